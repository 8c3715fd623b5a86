//! SPDX 2.3, JSON encoding (<https://spdx.github.io/spdx-spec/v2.3/>).
//!
//! The document:
//! - `name` is the image reference (else the target); `documentNamespace` is
//!   `https://spdx.org/spdxdocs/<tool>-<name>-<uuid>` (§6.5: unique per document; the base is the
//!   one the spec's own examples and other container tools use, as chainward owns no domain);
//!   `creationInfo` names only the tool (`Tool: chainward-<version>`), the creation time in UTC
//!   as §6.9 requires (`YYYY-MM-DDThh:mm:ssZ`), and the license list version the license ids were
//!   checked against.
//! - The image is a package (`SPDXRef-Image`, `primaryPackagePurpose: CONTAINER`, version = the
//!   manifest digest, a `pkg:oci` purl when derivable) that the document `DESCRIBES` (§11.1; the
//!   deprecated `documentDescribes` is not written). The OS is a package (`SPDXRef-OperatingSystem`,
//!   `OPERATING_SYSTEM`) the image `CONTAINS`, and so is every package found.
//! - Each found package is `SPDXRef-Package-<type>-<name>-<n>`, `<name>` with every character
//!   outside `[A-Za-z0-9.-]` (§7.2) replaced by `-` and `<n>` counting packages whose
//!   `<type>-<name>` comes out the same (1, 2, …), so ids do not shift when an unrelated package
//!   is added. `downloadLocation` is `NOASSERTION` and `filesAnalyzed` false (we read package
//!   databases, not files); `licenseConcluded` is `NOASSERTION` (nobody concluded anything);
//!   the purl is a `PACKAGE-MANAGER` external ref (§7.21); the source package or source rpm is
//!   `sourceInfo`; the evidence paths and layers are the `comment`; the supplier is
//!   `Organization: <name> (<email>)` (§7.5 syntax, from `Name <email>`) or `NOASSERTION`.
//!   "Organization" because package databases name teams as often as people and cannot tell
//!   which; Trivy and Syft make the same call.
//!
//! `licenseDeclared` (§7.15) is one SPDX expression for all of a package's recorded licenses,
//! joined with `AND` (SPDX has one field, and the recorded licenses all apply to the package);
//! `NOASSERTION` when none was recorded. Each recorded string that is a valid SPDX expression
//! over the SPDX License List 3.24 is written as such, ids in their canonical spelling. Each one
//! that is not (Debian's `GPL-2+`, `Public Domain`, `MIT and BSD`) becomes a `LicenseRef-` of the
//! text, and the text goes in `hasExtractedLicensingInfos` (§10): the verbatim string as recorded
//! in `name` and `extractedText`, with a comment that it is the recorded name, not the license
//! text. So no information is dropped and no id is claimed that is not one; a consumer sees
//! `LicenseRef-` exactly where a human has to look. The ref is the text with characters outside
//! `[A-Za-z0-9.-]` replaced (`+` becomes `-plus` so `GPL-2+` and `GPL-2` stay apart), suffixed
//! `-2`, `-3`, … (in package writing order) where two texts would collide. Terms repeated across a
//! package's strings are written once (`bsd-3-clause` + `MIT AND BSD-3-Clause` is
//! `BSD-3-Clause AND MIT`). A `LicenseRef-` the package itself records is
//! kept and declared the same way. This is what spdx-tools validates and what Syft and Trivy do.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use time::UtcOffset;
use time::format_description::well_known::Rfc3339;

use crate::input::{Entry, Prepared};
use crate::license::{self, Expression, License};
use crate::oci_purl::image_purl;
use crate::spdx_license_list::LICENSE_LIST_VERSION;
use crate::{SbomError, SbomInput, write_json};

/// Where document namespaces live (see the module docs).
const NAMESPACE_BASE: &str = "https://spdx.org/spdxdocs/";
const NOASSERTION: &str = "NOASSERTION";
const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";

/// Writes `input` as an SPDX 2.3 JSON document to `out`.
pub fn write(input: &SbomInput<'_>, out: &mut impl std::io::Write) -> Result<(), SbomError> {
    let prepared = Prepared::new(input)?;
    let doc = document(&prepared)?;
    write_json(&doc, out)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
    license_list_version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    supplier: String,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    name: String,
    extracted_text: String,
    comment: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

fn purl_ref(purl: String) -> ExternalRef {
    ExternalRef { reference_category: "PACKAGE-MANAGER", reference_type: "purl", reference_locator: purl }
}

fn relationship(from: &str, kind: &'static str, to: &str) -> Relationship {
    Relationship { spdx_element_id: from.to_owned(), relationship_type: kind, related_spdx_element: to.to_owned() }
}

fn document(p: &Prepared<'_>) -> Result<Document, SbomError> {
    let facts = p.facts;
    let created = p
        .instant
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| SbomError::InvalidTimestamp { value: p.timestamp.to_owned() })?;
    let name = p.image_name().to_owned();
    let namespace = format!("{NAMESPACE_BASE}{}-{}-{}", uri_segment(&p.tool.name), uri_segment(&name), p.uuid);

    let mut refs = LicenseRefs::new(&p.entries);

    let mut packages = vec![Package {
        spdx_id: IMAGE_ID.to_owned(),
        name: name.clone(),
        version_info: facts.manifest_digest.as_ref().map(ToString::to_string),
        supplier: NOASSERTION.to_owned(),
        download_location: NOASSERTION,
        files_analyzed: false,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_owned(),
        source_info: None,
        description: None,
        comment: Some(image_comment(p)),
        external_refs: image_purl(facts).into_iter().map(purl_ref).collect(),
        primary_package_purpose: "CONTAINER",
    }];
    let mut relationships = vec![relationship("SPDXRef-DOCUMENT", "DESCRIBES", IMAGE_ID)];

    if let Some(os) = &facts.os {
        packages.push(Package {
            spdx_id: OS_ID.to_owned(),
            name: os.id.clone(),
            version_info: os.version_id.clone(),
            supplier: NOASSERTION.to_owned(),
            download_location: NOASSERTION,
            files_analyzed: false,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION.to_owned(),
            source_info: None,
            description: os.pretty_name.clone(),
            comment: (!os.evidence.is_empty()).then(|| format!("detected from {}", os.evidence)),
            external_refs: Vec::new(),
            primary_package_purpose: "OPERATING_SYSTEM",
        });
        relationships.push(relationship(IMAGE_ID, "CONTAINS", OS_ID));
    }

    let mut id_counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut package_ids: Vec<String> = Vec::with_capacity(p.entries.len());
    for entry in &p.entries {
        let pkg = entry.package;
        let base = format!("SPDXRef-Package-{}-{}", pkg.ecosystem.purl_type(), spdx_idstring(&pkg.name));
        let n = id_counts.entry(base.clone()).or_insert(0);
        *n += 1;
        let spdx_id = format!("{base}-{n}");
        relationships.push(relationship(IMAGE_ID, "CONTAINS", &spdx_id));
        package_ids.push(spdx_id.clone());
        packages.push(Package {
            spdx_id,
            name: pkg.name.clone(),
            version_info: Some(pkg.version.clone()),
            supplier: pkg.supplier.as_deref().map_or_else(|| NOASSERTION.to_owned(), supplier),
            download_location: NOASSERTION,
            files_analyzed: false,
            license_concluded: NOASSERTION,
            license_declared: refs.declared(&pkg.licenses),
            source_info: source_info(entry),
            description: None,
            comment: evidence_comment(entry),
            external_refs: vec![purl_ref(entry.purl.clone())],
            primary_package_purpose: "LIBRARY",
        });
    }

    // Lockfile dependency edges (§11.1 DEPENDS_ON).
    for (from, to) in p.dependency_edges() {
        for j in to {
            if let (Some(a), Some(b)) = (package_ids.get(from), package_ids.get(j)) {
                relationships.push(relationship(a, "DEPENDS_ON", b));
            }
        }
    }

    Ok(Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name,
        document_namespace: namespace,
        creation_info: CreationInfo {
            created,
            creators: vec![format!("Tool: {}-{}", p.tool.name, p.tool.version)],
            license_list_version: LICENSE_LIST_VERSION,
        },
        packages,
        has_extracted_licensing_infos: refs.extracted(),
        relationships,
    })
}

/// `[A-Za-z0-9.-]` only (§3.2 / §7.2 idstring); everything else becomes `-`.
fn spdx_idstring(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect()
}

/// A URI path segment from free text: unreserved characters (RFC 3986 §2.3) kept, others `-`.
fn uri_segment(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || "-._~".contains(c) { c } else { '-' }).collect()
}

/// `Name <email>` (dpkg `Maintainer`, rpm `Packager`) as §7.5's `Organization: Name (email)`.
fn supplier(raw: &str) -> String {
    let raw = raw.trim();
    let who = match raw.strip_suffix('>').and_then(|r| r.rsplit_once('<')) {
        Some((name, email)) if !name.trim().is_empty() => {
            format!("{} ({})", name.trim(), email.trim())
        }
        Some((_, email)) => email.trim().to_owned(),
        None => raw.to_owned(),
    };
    format!("Organization: {who}")
}

fn source_info(entry: &Entry<'_>) -> Option<String> {
    let pkg = entry.package;
    if let Some(srpm) = &pkg.source_rpm {
        return Some(format!("built from source rpm {srpm}"));
    }
    pkg.source.as_ref().map(|src| match &src.version {
        Some(v) => format!("built from source package {} {v}", src.name),
        None => format!("built from source package {}", src.name),
    })
}

fn evidence_comment(entry: &Entry<'_>) -> Option<String> {
    let parts: Vec<String> = entry
        .package
        .locations
        .iter()
        .map(|l| match &l.layer {
            Some(layer) => format!("{} (layer {layer})", l.path),
            None => l.path.clone(),
        })
        .collect();
    (!parts.is_empty()).then(|| format!("found in {}", parts.join("; ")))
}

fn image_comment(p: &Prepared<'_>) -> String {
    let facts = p.facts;
    let mut parts = vec![format!("target {}", facts.target)];
    if let Some(d) = &facts.index_digest {
        parts.push(format!("index digest {d}"));
    }
    if let Some(d) = &facts.config_digest {
        parts.push(format!("config digest {d}"));
    }
    if let Some(platform) = &facts.platform {
        parts.push(format!("platform {platform}"));
    }
    parts.join("; ")
}

const EXTRACTED_COMMENT: &str = "The license as the package metadata names it; chainward did not \
                                 extract the license text, so this is the recorded name, not the text.";

/// The document's `LicenseRef-`s: one per distinct unrecognised license text, plus the ones
/// packages record themselves (see the module docs).
struct LicenseRefs {
    /// Refs in use, lowercased: refs compare case-insensitively (§10.1 via Annex D.2).
    taken: HashSet<String>,
    /// Unrecognised text → the ref standing for it.
    by_text: HashMap<String, String>,
    /// Every ref used → the text it stands for, sorted by ref.
    declared: BTreeMap<String, String>,
}

impl LicenseRefs {
    /// Reserves the refs packages record themselves, so no generated ref takes their name.
    fn new(entries: &[Entry<'_>]) -> Self {
        let mut declared = BTreeMap::new();
        for entry in entries {
            for class in license::classify_all(&entry.package.licenses) {
                if let License::Expression(e) = class {
                    for r in e.license_refs() {
                        declared.insert(r.to_owned(), r.to_owned());
                    }
                }
            }
        }
        Self { taken: declared.keys().map(|r| r.to_ascii_lowercase()).collect(), by_text: HashMap::new(), declared }
    }

    /// The ref for an unrecognised text: the same for the same text, a new one otherwise.
    /// Packages are visited in writing order, so the suffixes are deterministic.
    fn ref_for(&mut self, text: &str) -> String {
        if let Some(r) = self.by_text.get(text) {
            return r.clone();
        }
        let base = format!("LicenseRef-{}", ref_idstring(text));
        let mut candidate = base.clone();
        let mut n = 2u64;
        while !self.taken.insert(candidate.to_ascii_lowercase()) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        self.declared.insert(candidate.clone(), text.to_owned());
        self.by_text.insert(text.to_owned(), candidate.clone());
        candidate
    }

    /// `licenseDeclared` for a package's recorded licenses.
    fn declared(&mut self, recorded: &[String]) -> String {
        let operands = license::classify_all(recorded)
            .iter()
            .map(|class| class.to_expression(|text| Expression::Ref(self.ref_for(text))))
            .collect();
        license::conjunction(operands).map_or_else(|| NOASSERTION.to_owned(), |e| e.render())
    }

    fn extracted(&self) -> Vec<ExtractedLicense> {
        self.declared
            .iter()
            .map(|(id, text)| ExtractedLicense {
                license_id: id.clone(),
                name: text.clone(),
                extracted_text: text.clone(),
                comment: EXTRACTED_COMMENT,
            })
            .collect()
    }
}

/// The idstring of a generated `LicenseRef-`: `+` spelled `-plus`, other characters outside
/// `[A-Za-z0-9.-]` as `-`, runs of `-` from replacement collapsed, never empty.
fn ref_idstring(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            c if c.is_ascii_alphanumeric() || c == '.' => out.push(c),
            '+' => out.push_str("-plus"),
            _ if out.ends_with('-') => {}
            _ => out.push('-'),
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() { "unknown".to_owned() } else { trimmed.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplier_syntax() {
        assert_eq!(
            supplier("APT Development Team <deity@lists.debian.org>"),
            "Organization: APT Development Team (deity@lists.debian.org)"
        );
        assert_eq!(supplier("<a@b.c>"), "Organization: a@b.c");
        assert_eq!(supplier("Red Hat, Inc."), "Organization: Red Hat, Inc.");
    }

    #[test]
    fn license_refs_are_unique_and_stable() {
        let mut refs = LicenseRefs {
            taken: HashSet::from(["licenseref-gpl-2-plus-2".to_owned()]),
            by_text: HashMap::new(),
            declared: BTreeMap::new(),
        };
        assert_eq!(refs.ref_for("GPL-2+"), "LicenseRef-GPL-2-plus");
        // Collides after sanitising; skips the reserved (package-recorded) `-2` too.
        assert_eq!(refs.ref_for("GPL 2+"), "LicenseRef-GPL-2-plus-3");
        assert_eq!(refs.ref_for("GPL-2+"), "LicenseRef-GPL-2-plus");
        assert_eq!(
            refs.declared(&["MIT".into(), "GPL 2+".into(), "MIT or Zlib".into()]),
            "MIT AND LicenseRef-GPL-2-plus-3 AND LicenseRef-MIT-or-Zlib"
        );
        assert_eq!(refs.declared(&[]), "NOASSERTION");
        let texts: Vec<(String, String)> =
            refs.extracted().into_iter().map(|e| (e.license_id, e.extracted_text)).collect();
        assert_eq!(
            texts,
            vec![
                ("LicenseRef-GPL-2-plus".into(), "GPL-2+".into()),
                ("LicenseRef-GPL-2-plus-3".into(), "GPL 2+".into()),
                ("LicenseRef-MIT-or-Zlib".into(), "MIT or Zlib".into()),
            ]
        );
    }

    #[test]
    fn idstrings() {
        assert_eq!(spdx_idstring("libstdc++6"), "libstdc--6");
        assert_eq!(spdx_idstring("python3.11-minimal"), "python3.11-minimal");
        assert_eq!(ref_idstring("GPL-2+"), "GPL-2-plus");
        assert_eq!(ref_idstring("Public Domain"), "Public-Domain");
        assert_eq!(ref_idstring("BSD (3 clause)"), "BSD-3-clause");
        assert_eq!(ref_idstring("©"), "unknown");
        assert_eq!(uri_segment("docker.io/library/debian:12"), "docker.io-library-debian-12");
    }
}
