//! chainward's own SBOM format, `chainward.sbom/v1`: a frozen, versioned JSON wire format.
//!
//! CycloneDX and SPDX are for exchange; this format is for people and scripts that want every
//! fact chainward has about an image in one flat, predictable shape (`jq '.packages[].purl'`).
//! It is versioned by its `schema` field: within `v1` fields are only ever *added*; renaming,
//! removing or retyping a field, or changing what one means, makes `v2`. Readers should ignore
//! fields they do not know. The types below are the format (they serialize to it and read it
//! back), so they are kept separate from the model types, which may change freely.
//!
//! Every field is always present: a fact that is not known is `null`, a list that is empty is
//! `[]`, so no reader has to tell "absent" from "unknown".
//!
//! ```json
//! {
//!   "schema": "chainward.sbom/v1",
//!   "tool": { "name": "chainward", "version": "0.1.0" },
//!   "timestamp": "2024-05-01T12:00:00Z",
//!   "target": "registry:debian:12",
//!   "image": {
//!     "reference": "docker.io/library/debian:12",
//!     "digest": "sha256:…", "index_digest": "sha256:…", "config_digest": "sha256:…",
//!     "media_type": "application/vnd.oci.image.manifest.v1+json",
//!     "platform": { "os": "linux", "architecture": "amd64", "variant": null },
//!     "created": "2024-04-23T00:00:00Z",
//!     "layers": [ { "digest": "sha256:…", "diff_id": "sha256:…", "media_type": "…", "size": 29126484 } ]
//!   },
//!   "os": { "id": "debian", "version_id": "12", "codename": "bookworm",
//!           "pretty_name": "Debian GNU/Linux 12 (bookworm)", "evidence": "/etc/os-release" },
//!   "packages": [
//!     { "type": "deb", "name": "libsqlite3-0", "version": "3.40.1-2+deb12u1",
//!       "purl": "pkg:deb/debian/libsqlite3-0@3.40.1-2%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=sqlite3",
//!       "arch": "amd64", "source": { "name": "sqlite3", "version": null }, "source_rpm": null,
//!       "licenses": [ "public-domain", "GPL-2+" ], "supplier": "Laszlo Boszormenyi (GCS) <gcs@debian.org>",
//!       "locations": [ { "path": "/var/lib/dpkg/status", "layer": "sha256:…" } ] }
//!   ]
//! }
//! ```
//!
//! Fields:
//! - `schema` (string): always `chainward.sbom/v1` ([`SCHEMA`]).
//! - `tool` (object): `name` and `version` (strings) of the tool that wrote the document.
//! - `timestamp` (string): when the document was made, RFC 3339, as the caller gave it.
//! - `target` (string): what the user asked to scan, e.g. `registry:alpine:3.20`, `dir:./rootfs`.
//! - `image` (object; its fields are `null` for targets that are not images, such as `dir:`):
//!   - `reference` (string|null): the normalised image reference, e.g. `docker.io/library/debian:12`;
//!   - `digest` (string|null): digest of the image manifest (for a multi-platform image, of the
//!     chosen platform's manifest), `algorithm:hex` (OCI image-spec descriptor.md);
//!   - `index_digest` (string|null): digest of the index the manifest was chosen from;
//!   - `config_digest` (string|null): digest of the image config blob (the "image ID");
//!   - `media_type` (string|null): media type of the manifest;
//!   - `platform` (object|null): `os`, `architecture` (Go naming, e.g. `arm64`), `variant`
//!     (string|null, e.g. `v8`), from the image config;
//!   - `created` (string|null): `created` from the image config, as it is written there;
//!   - `layers` (array): bottom layer first; each has `digest` (the blob digest as the manifest
//!     names it), `diff_id` (string|null, digest of the uncompressed tar), `media_type`
//!     (string|null) and `size` (integer|null, bytes).
//! - `os` (object|null): the detected operating system, from os-release(5) or its fallbacks:
//!   `id` (`ID`), `version_id`, `codename` (`VERSION_CODENAME`), `pretty_name` (`PRETTY_NAME`)
//!   (strings|null), and `evidence` (string): the file the answer came from.
//! - `packages` (array), sorted by `type`, `name`, `version`, `arch` (byte-wise string order;
//!   `null` arch first), then `purl`, then `locations`; each:
//!   - `type` (string): the ecosystem as its purl type: `deb`, `apk`, `rpm`, `pypi`, `npm`,
//!     `cargo`, `golang`, `maven`, `gem`, `composer`, `nuget`;
//!   - `name` (string): the name as the ecosystem spells it;
//!   - `version` (string): the full version as the ecosystem compares it (dpkg
//!     `[epoch:]upstream[-revision]`, apk `1.2.3-r0`, rpm `[epoch:]version-release`);
//!   - `purl` (string): the Package URL, with `distro=<ID>-<VERSION_ID>` from `os`;
//!   - `arch` (string|null): the architecture as the package database records it;
//!   - `source` (object|null): the source package, `name` (string) and `version` (string|null);
//!   - `source_rpm` (string|null): rpm only, the `SOURCERPM` file name;
//!   - `licenses` (array of strings): licenses exactly as recorded, not normalised (SPDX ids,
//!     SPDX expressions or free text);
//!   - `supplier` (string|null): vendor or maintainer as recorded, e.g. `Name <email>`;
//!   - `locations` (array): evidence, each `path` (string, absolute in the image) and `layer`
//!     (string|null, digest of the layer that introduced the package: for a package database
//!     rewritten by later layers, the oldest layer of the unbroken run of versions listing it);
//!   - `evidence` (string): what kind of file says the package is there: `installed` (a
//!     package database or installed metadata), `lockfile`, `manifest` or `binary` (build
//!     information inside an executable). A lockfile entry that is also installed is listed
//!     once, as installed;
//!   - `dev` (boolean): a development-only dependency, as the lockfile says;
//!   - `relationship` (string|null): `root`, `workspace`, `direct` or `indirect` where the
//!     lockfile says, else `null`;
//!   - `depends_on` (array of strings): `name@version` of the packages it depends on, as the
//!     lockfile records them.

use serde::{Deserialize, Serialize};

use crate::input::Prepared;
use crate::{SbomError, SbomInput, write_json};

/// The `schema` value of this version of the format.
pub const SCHEMA: &str = "chainward.sbom/v1";

/// Writes `input` as a `chainward.sbom/v1` document to `out`.
pub fn write(input: &SbomInput<'_>, out: &mut impl std::io::Write) -> Result<(), SbomError> {
    let prepared = Prepared::new(input)?;
    write_json(&Document::from_prepared(&prepared), out)
}

/// A `chainward.sbom/v1` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The tool that wrote the document.
    pub tool: Tool,
    /// When the document was made, RFC 3339.
    pub timestamp: String,
    /// What the user asked to scan.
    pub target: String,
    /// The image facts.
    pub image: Image,
    /// The detected operating system.
    pub os: Option<Os>,
    /// The packages, in the documented order.
    #[serde(default)]
    pub packages: Vec<PackageEntry>,
}

/// `tool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Tool name.
    pub name: String,
    /// Tool version.
    pub version: String,
}

/// `image`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Normalised reference.
    pub reference: Option<String>,
    /// Manifest digest.
    pub digest: Option<String>,
    /// Index digest.
    pub index_digest: Option<String>,
    /// Config digest.
    pub config_digest: Option<String>,
    /// Manifest media type.
    pub media_type: Option<String>,
    /// Platform.
    pub platform: Option<Platform>,
    /// Config `created`.
    pub created: Option<String>,
    /// Layers, bottom first.
    #[serde(default)]
    pub layers: Vec<Layer>,
}

/// `image.platform`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `amd64`.
    pub architecture: String,
    /// e.g. `v8`.
    pub variant: Option<String>,
}

/// `image.layers[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// Blob digest.
    pub digest: String,
    /// Uncompressed digest.
    pub diff_id: Option<String>,
    /// Blob media type.
    pub media_type: Option<String>,
    /// Blob size in bytes.
    pub size: Option<u64>,
}

/// `os`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Os {
    /// os-release `ID`.
    pub id: String,
    /// os-release `VERSION_ID`.
    pub version_id: Option<String>,
    /// os-release `VERSION_CODENAME`.
    pub codename: Option<String>,
    /// os-release `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// The file the answer came from.
    pub evidence: String,
}

/// `packages[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageEntry {
    /// Ecosystem as purl type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name.
    pub name: String,
    /// Full version.
    pub version: String,
    /// Package URL.
    pub purl: String,
    /// Architecture.
    pub arch: Option<String>,
    /// Source package.
    pub source: Option<Source>,
    /// rpm `SOURCERPM`.
    pub source_rpm: Option<String>,
    /// Licenses as recorded.
    #[serde(default)]
    pub licenses: Vec<String>,
    /// Supplier as recorded.
    pub supplier: Option<String>,
    /// Evidence locations.
    #[serde(default)]
    pub locations: Vec<Location>,
    /// What kind of file the package was read from.
    #[serde(default = "installed")]
    pub evidence: String,
    /// A development-only dependency.
    #[serde(default)]
    pub dev: bool,
    /// `root`, `workspace`, `direct`, `indirect`, or null when unknown.
    #[serde(default)]
    pub relationship: Option<String>,
    /// `name@version` of the packages this one depends on.
    #[serde(default)]
    pub depends_on: Vec<String>,
}

fn installed() -> String {
    "installed".to_owned()
}

/// The lowercase wire name of a model enum (as serde writes it).
fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// `packages[].source`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Source package name.
    pub name: String,
    /// Source version.
    pub version: Option<String>,
}

/// `packages[].locations[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Absolute path in the image.
    pub path: String,
    /// Layer blob digest.
    pub layer: Option<String>,
}

impl Document {
    fn from_prepared(p: &Prepared<'_>) -> Self {
        let facts = p.facts;
        let digest = |d: &Option<chainward_model::Digest>| d.as_ref().map(ToString::to_string);
        Document {
            schema: SCHEMA.to_owned(),
            tool: Tool { name: p.tool.name.clone(), version: p.tool.version.clone() },
            timestamp: p.timestamp.to_owned(),
            target: facts.target.clone(),
            image: Image {
                reference: facts.reference.clone(),
                digest: digest(&facts.manifest_digest),
                index_digest: digest(&facts.index_digest),
                config_digest: digest(&facts.config_digest),
                media_type: facts.manifest_media_type.clone(),
                platform: facts.platform.as_ref().map(|pl| Platform {
                    os: pl.os.clone(),
                    architecture: pl.architecture.clone(),
                    variant: pl.variant.clone(),
                }),
                created: facts.created.clone(),
                layers: facts
                    .layers
                    .iter()
                    .map(|l| Layer {
                        digest: l.digest.to_string(),
                        diff_id: digest(&l.diff_id),
                        media_type: l.media_type.clone(),
                        size: l.size,
                    })
                    .collect(),
            },
            os: facts.os.as_ref().map(|os| Os {
                id: os.id.clone(),
                version_id: os.version_id.clone(),
                codename: os.codename.clone(),
                pretty_name: os.pretty_name.clone(),
                evidence: os.evidence.clone(),
            }),
            packages: p
                .entries
                .iter()
                .map(|e| {
                    let pkg = e.package;
                    PackageEntry {
                        kind: pkg.ecosystem.purl_type().to_owned(),
                        name: pkg.name.clone(),
                        version: pkg.version.clone(),
                        purl: e.purl.clone(),
                        arch: pkg.arch.clone(),
                        source: pkg
                            .source
                            .as_ref()
                            .map(|s| Source { name: s.name.clone(), version: s.version.clone() }),
                        source_rpm: pkg.source_rpm.clone(),
                        licenses: pkg.licenses.clone(),
                        supplier: pkg.supplier.clone(),
                        locations: pkg
                            .locations
                            .iter()
                            .map(|l| Location {
                                path: l.path.clone(),
                                layer: l.layer.as_ref().map(ToString::to_string),
                            })
                            .collect(),
                        evidence: wire_name(&pkg.evidence),
                        dev: pkg.dev,
                        relationship: pkg.relationship.as_ref().map(wire_name),
                        depends_on: pkg.depends_on.clone(),
                    }
                })
                .collect(),
        }
    }
}
