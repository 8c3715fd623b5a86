//! `docker-archive:FILE[:REF|:@N]`: what `docker save` and `skopeo copy docker-archive:`
//! write — a tar with `manifest.json` (`[{Config, RepoTags, Layers}]`), the config, and
//! uncompressed layer tars; also gzip-compressed (`docker save | gzip`).
//!
//! Uncompressed archives are indexed by header and each layer walked in place (bodies are
//! skipped by seeking). A compressed archive can be read only front to back, and
//! `manifest.json` may come last, so every layer-like member is walked as it streams by and
//! ordered afterwards.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chainward_model::{Digest, ImageFacts, LayerFacts};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::manifest::{self, Compression, ImageConfig, MAX_DOCUMENT_SIZE};
use crate::source::archive::ArchiveIndex;
use crate::source::{ResolvedImage, SourceError};
use crate::tar::{EntryType, Streaming, TarReader};
use crate::walk::{Budget, Interest, LayerIndex, Limits, normalize_path, walk_reader};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Which image of a multi-image archive: by reference (`:name:tag`) or position (`:@N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// A RepoTags entry.
    Reference(String),
    /// A 0-based index into manifest.json.
    Index(usize),
}

impl Selector {
    /// Parses the part after the file name.
    pub fn parse(s: &str) -> Self {
        match s.strip_prefix('@').and_then(|n| n.parse().ok()) {
            Some(n) => Self::Index(n),
            None => Self::Reference(s.to_owned()),
        }
    }
}

fn parse_manifest(bytes: &[u8], file: &Path) -> Result<Vec<ManifestEntry>, SourceError> {
    serde_json::from_slice(bytes).map_err(|e| SourceError::Invalid {
        what: format!("{}: manifest.json", file.display()),
        reason: format!("expected a JSON list of {{Config, RepoTags, Layers}}: {e}"),
    })
}

fn select<'a>(
    entries: &'a [ManifestEntry],
    selector: Option<&Selector>,
    target: &str,
) -> Result<&'a ManifestEntry, SourceError> {
    let names = || -> Vec<String> {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| match e.repo_tags.as_deref() {
                Some([first, ..]) => format!("{first} (@{i})"),
                _ => format!("@{i}"),
            })
            .collect()
    };
    match selector {
        None => match entries {
            [only] => Ok(only),
            [] => Err(SourceError::Invalid { what: target.to_owned(), reason: "manifest.json lists no image".into() }),
            _ => Err(SourceError::AmbiguousImage { target: target.to_owned(), available: names() }),
        },
        Some(Selector::Index(i)) => entries.get(*i).ok_or_else(|| SourceError::NoSuchTag {
            target: target.to_owned(),
            tag: format!("@{i}"),
            available: names(),
        }),
        Some(Selector::Reference(r)) => entries
            .iter()
            .find(|e| e.repo_tags.iter().flatten().any(|t| t == r || tag_matches(t, r)))
            .ok_or_else(|| SourceError::NoSuchTag { target: target.to_owned(), tag: r.clone(), available: names() }),
    }
}

/// `debian:12` matches the stored `docker.io/library/debian:12`, as skopeo normalises.
fn tag_matches(stored: &str, wanted: &str) -> bool {
    match (crate::Reference::parse(stored), crate::Reference::parse(wanted)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn facts_for(
    entry: &ManifestEntry,
    config_bytes: &[u8],
    target: &str,
    file: &Path,
) -> Result<(ImageFacts, ImageConfig), SourceError> {
    let config = manifest::parse_config(config_bytes, &format!("{}: {}", file.display(), entry.config))?;
    let diff_ids = config.rootfs.as_ref().map(|r| r.diff_ids.clone()).unwrap_or_default();
    if diff_ids.len() != entry.layers.len() {
        return Err(SourceError::Invalid {
            what: format!("{}: {}", file.display(), entry.config),
            reason: format!(
                "the config lists {} diff_ids but manifest.json lists {} layers",
                diff_ids.len(),
                entry.layers.len()
            ),
        });
    }
    let layers = diff_ids
        .iter()
        .map(|d| LayerFacts {
            // The layers of a docker archive are the uncompressed tars: their digest is the diff_id.
            digest: d.clone(),
            diff_id: Some(d.clone()),
            media_type: Some("application/vnd.docker.image.rootfs.diff.tar".into()),
            size: None,
        })
        .collect();
    let facts = ImageFacts {
        target: target.to_owned(),
        reference: entry.repo_tags.as_ref().and_then(|t| t.first().cloned()),
        config_digest: Some(Digest::sha256_from_bytes(&Sha256::digest(config_bytes).into())),
        platform: config.platform(),
        created: config.created.clone(),
        layers,
        ..Default::default()
    };
    Ok((facts, config))
}

/// Whether a file starts like gzip.
pub(crate) fn is_gzip(file: &Path) -> Result<bool, SourceError> {
    let mut head = [0u8; 2];
    let mut f = File::open(file).map_err(|source| SourceError::Io { path: file.to_path_buf(), source })?;
    let n = f.read(&mut head).map_err(|source| SourceError::Io { path: file.to_path_buf(), source })?;
    Ok(Compression::sniff(&head[..n]) == Compression::Gzip)
}

/// An uncompressed archive: index members, resolve the image, layers as file regions.
pub(crate) fn resolve(file: &Path, selector: Option<&Selector>, target: &str) -> Result<ResolvedImage, SourceError> {
    let index = ArchiveIndex::open(file)?;
    if !index.contains("manifest.json") {
        return Err(SourceError::Invalid {
            what: file.display().to_string(),
            reason: "no manifest.json: not a docker archive (for an OCI archive use oci-archive:)".into(),
        });
    }
    let entries = parse_manifest(&index.read_small("manifest.json", MAX_DOCUMENT_SIZE)?, file)?;
    let entry = select(&entries, selector, target)?;
    let config_bytes = index.read_small(&entry.config, MAX_DOCUMENT_SIZE)?;
    let (facts, _) = facts_for(entry, &config_bytes, target, file)?;
    let layers = entry
        .layers
        .iter()
        .map(|name| {
            index
                .blob(name)
                .ok_or_else(|| SourceError::Missing { what: format!("layer {name} in {}", index.path_buf().display()) })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ResolvedImage { facts, layers, keep_alive: None })
}

/// What a member of a streamed archive turned out to be.
enum Streamed {
    Json(Vec<u8>),
    Layer(LayerIndex),
    Link(String),
}

/// A gzip-compressed archive: one pass, every layer-like member walked as it comes.
pub(crate) fn load_compressed(
    file: &Path,
    selector: Option<&Selector>,
    target: &str,
    interest: &dyn Interest,
    limits: &Limits,
) -> Result<(ImageFacts, Vec<LayerIndex>), SourceError> {
    let f = File::open(file).map_err(|source| SourceError::Io { path: file.to_path_buf(), source })?;
    let gz = flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, f));
    let mut outer = TarReader::new(Streaming(BufReader::with_capacity(256 * 1024, gz)), limits.max_image_size);
    let budget = Budget::default();
    let archive_err = |source| SourceError::Archive { path: file.to_path_buf(), source };
    let mut members: BTreeMap<String, Streamed> = BTreeMap::new();
    while let Some(e) = outer.next_entry().map_err(archive_err)? {
        let (name, _) = normalize_path(&String::from_utf8_lossy(&e.path));
        match e.entry_type {
            EntryType::Symlink | EntryType::Hardlink => {
                let t = String::from_utf8_lossy(e.link.as_deref().unwrap_or_default()).into_owned();
                let t = if e.entry_type == EntryType::Symlink && !t.starts_with('/') {
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    normalize_path(&format!("{dir}/{t}")).0
                } else {
                    normalize_path(&t).0
                };
                members.insert(name, Streamed::Link(t));
                continue;
            }
            EntryType::File => {}
            _ => continue,
        }
        let mut data = BufReader::with_capacity(64 * 1024, outer.data_reader());
        let head = data.fill_buf().map_err(|source| SourceError::Io { path: file.to_path_buf(), source })?;
        let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let looks_tar = head.len() >= 262 && &head[257..262] == b"ustar";
        let compressed = Compression::sniff(&head[..head.len().min(4)]) != Compression::None;
        if looks_tar || compressed {
            let index = walk_reader(data, &name, interest, limits, &budget)?;
            members.insert(name, Streamed::Layer(index));
        } else if matches!(first, Some(b'{' | b'[')) && e.size <= MAX_DOCUMENT_SIZE {
            // Every JSON-looking member is kept until manifest.json (which may come last)
            // says which are needed: they count against the kept-bytes bound, or a few MB of
            // gzip could hold thousands of 8 MiB "documents".
            budget.keep(limits, e.size)?;
            let mut buf = Vec::with_capacity(e.size as usize);
            data.read_to_end(&mut buf).map_err(|source| SourceError::Io { path: file.to_path_buf(), source })?;
            members.insert(name, Streamed::Json(buf));
        }
    }
    let resolve = |name: &str| -> Option<String> {
        let mut n = normalize_path(name).0;
        for _ in 0..8 {
            match members.get(&n)? {
                Streamed::Link(t) => n = t.clone(),
                _ => return Some(n),
            }
        }
        None
    };
    let json = |name: &str| -> Result<&[u8], SourceError> {
        match resolve(name).and_then(|n| members.get(&n)) {
            Some(Streamed::Json(b)) => Ok(b),
            _ => Err(SourceError::Missing { what: format!("{name} in archive {}", file.display()) }),
        }
    };
    let entries = parse_manifest(json("manifest.json")?, file)?;
    let entry = select(&entries, selector, target)?;
    let (facts, _) = facts_for(entry, json(&entry.config)?, target, file)?;
    let keys = entry
        .layers
        .iter()
        .map(|name| {
            resolve(name)
                .ok_or_else(|| SourceError::Missing { what: format!("layer {name} in archive {}", file.display()) })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut layers = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let not_a_layer = || SourceError::Missing {
            what: format!("layer {key} in archive {} (member is not a tar)", file.display()),
        };
        // A layer listed twice was walked once: clone for all but its last use.
        let index = if keys[i + 1..].contains(key) {
            match members.get(key) {
                Some(Streamed::Layer(index)) => {
                    LayerIndex { entries: index.entries.clone(), clamped_paths: index.clamped_paths.clone() }
                }
                _ => return Err(not_a_layer()),
            }
        } else {
            match members.remove(key) {
                Some(Streamed::Layer(index)) => index,
                _ => return Err(not_a_layer()),
            }
        };
        layers.push(index);
    }
    Ok((facts, layers))
}
