//! The one input all writers take, and what every writer derives from it the same way.

use chainward_model::{ImageFacts, Package, PurlContext};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::SbomError;

/// The tool that writes the SBOM, as it names itself in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolInfo {
    /// The tool's name, e.g. `chainward`.
    pub name: String,
    /// The tool's version, e.g. `0.1.0`.
    pub version: String,
}

impl ToolInfo {
    /// A tool name and version.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self { name: name.into(), version: version.into() }
    }
}

/// Everything a writer needs: what was scanned, what was found, and who wrote it when.
///
/// Packages are written in one deterministic order whatever their order here: by purl type,
/// name, version and architecture (byte-wise string order, absent architecture first), then by
/// purl and evidence locations; packages equal in all of these keep their order from `packages`.
#[derive(Debug, Clone)]
pub struct SbomInput<'a> {
    /// What is known about the image (or tree) that was scanned.
    pub facts: &'a ImageFacts,
    /// The packages found in it.
    pub packages: &'a [Package],
    /// The tool writing the SBOM.
    pub tool: ToolInfo,
    /// When the SBOM was made, RFC 3339 (e.g. `2024-05-01T12:00:00Z`); passed in so output is
    /// reproducible.
    pub timestamp: String,
    /// A UUID identifying this SBOM (`3e671687-395b-41f5-a30f-a58921a69b79`, with or without a
    /// `urn:uuid:` prefix); passed in so output is reproducible.
    pub serial: String,
}

/// The purl context of an image's packages: its os-release `ID` and `VERSION_ID`.
///
/// The one place the distro qualifier of every package purl comes from, so that the three
/// formats (and the matcher, which reads the same purls) agree.
pub fn purl_context(facts: &ImageFacts) -> PurlContext {
    match &facts.os {
        Some(os) => PurlContext {
            distro_id: Some(os.id.clone()).filter(|id| !id.is_empty()),
            distro_version: os.version_id.clone().filter(|v| !v.is_empty()),
        },
        None => PurlContext::default(),
    }
}

/// A package and its purl, in writing order.
pub(crate) struct Entry<'a> {
    pub(crate) package: &'a Package,
    pub(crate) purl: String,
}

/// The input after the checks and derivations all writers share.
pub(crate) struct Prepared<'a> {
    pub(crate) facts: &'a ImageFacts,
    pub(crate) tool: &'a ToolInfo,
    /// The timestamp as given, known to be RFC 3339.
    pub(crate) timestamp: &'a str,
    /// The same instant, parsed.
    pub(crate) instant: OffsetDateTime,
    /// The serial as a bare lowercase UUID.
    pub(crate) uuid: String,
    pub(crate) entries: Vec<Entry<'a>>,
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(input: &'a SbomInput<'a>) -> Result<Self, SbomError> {
        let instant = OffsetDateTime::parse(&input.timestamp, &Rfc3339)
            .map_err(|_| SbomError::InvalidTimestamp { value: input.timestamp.clone() })?;
        let uuid =
            normalise_uuid(&input.serial).ok_or_else(|| SbomError::InvalidSerial { value: input.serial.clone() })?;
        let ctx = purl_context(input.facts);
        let mut entries: Vec<Entry<'a>> =
            input.packages.iter().map(|package| Entry { package, purl: package.purl(&ctx) }).collect();
        // Stable, so full ties keep input order and the output stays a function of the input.
        entries.sort_by(|a, b| {
            let key = |e: &Entry<'a>| {
                (
                    e.package.ecosystem.purl_type(),
                    e.package.name.as_str(),
                    e.package.version.as_str(),
                    e.package.arch.as_deref().unwrap_or(""),
                )
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.purl.cmp(&b.purl))
                .then_with(|| a.package.locations.cmp(&b.package.locations))
        });
        Ok(Self { facts: input.facts, tool: &input.tool, timestamp: &input.timestamp, instant, uuid, entries })
    }

    /// Package dependency edges, as indices into `entries`: each `depends_on` key
    /// (`name@version`) resolved to a package read from the same file (a lockfile's edges stay
    /// inside its project), else to any package with that key. Keys that match nothing are
    /// dropped: the SBOM only links packages it lists.
    pub(crate) fn dependency_edges(&self) -> std::collections::BTreeMap<usize, Vec<usize>> {
        use std::collections::{BTreeMap, HashMap};
        let file = |e: &Entry<'_>| e.package.locations.first().map(|l| l.path.clone()).unwrap_or_default();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            by_key.entry(e.package.key()).or_default().push(i);
        }
        let mut edges = BTreeMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            if e.package.depends_on.is_empty() {
                continue;
            }
            let here = file(e);
            let mut to: Vec<usize> = Vec::new();
            for key in &e.package.depends_on {
                let Some(candidates) = by_key.get(key) else { continue };
                let pick = candidates
                    .iter()
                    .copied()
                    .find(|&j| file(&self.entries[j]) == here)
                    .or(candidates.first().copied());
                if let Some(j) = pick
                    && j != i
                    && !to.contains(&j)
                {
                    to.push(j);
                }
            }
            if !to.is_empty() {
                edges.insert(i, to);
            }
        }
        edges
    }

    /// What to call the image: its normalised reference, else the target as given.
    pub(crate) fn image_name(&self) -> &'a str {
        self.facts.reference.as_deref().unwrap_or(&self.facts.target)
    }
}

/// `8-4-4-4-12` hex digits (RFC 9562 §4 string form), optionally `urn:uuid:`-prefixed, lowercased.
///
/// Lowercase because CycloneDX's `serialNumber` pattern only admits `[0-9a-f]`.
fn normalise_uuid(serial: &str) -> Option<String> {
    let bare = match (serial.get(..9), serial.get(9..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("urn:uuid:") => rest,
        _ => serial,
    };
    let groups: Vec<&str> = bare.split('-').collect();
    let lengths_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
    let hex_ok = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    (lengths_ok && hex_ok).then(|| bare.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_model::{Ecosystem, OsRelease};

    #[test]
    fn uuid_forms() {
        let u = "3E671687-395B-41F5-A30F-A58921A69B79";
        assert_eq!(normalise_uuid(u).as_deref(), Some("3e671687-395b-41f5-a30f-a58921a69b79"));
        assert_eq!(normalise_uuid(&format!("urn:uuid:{u}")).as_deref(), Some("3e671687-395b-41f5-a30f-a58921a69b79"));
        assert_eq!(normalise_uuid("3e671687395b41f5a30fa58921a69b79"), None);
        assert_eq!(normalise_uuid("3e671687-395b-41f5-a30f-a58921a69b7g"), None);
        assert_eq!(normalise_uuid("urn:uuid:"), None);
        assert_eq!(normalise_uuid("é"), None);
    }

    #[test]
    fn purl_context_comes_from_os_release() {
        let mut facts = ImageFacts::default();
        assert_eq!(purl_context(&facts), PurlContext::default());
        facts.os = Some(OsRelease { id: "alpine".into(), version_id: Some("3.20.3".into()), ..Default::default() });
        let ctx = purl_context(&facts);
        assert_eq!(ctx.distro_id.as_deref(), Some("alpine"));
        assert_eq!(ctx.distro_version.as_deref(), Some("3.20.3"));
    }

    #[test]
    fn rejects_bad_timestamp_and_serial() {
        let facts = ImageFacts::default();
        let mut input = SbomInput {
            facts: &facts,
            packages: &[],
            tool: ToolInfo::new("chainward", "0"),
            timestamp: "2024-05-01 12:00".into(),
            serial: "3e671687-395b-41f5-a30f-a58921a69b79".into(),
        };
        assert!(matches!(Prepared::new(&input), Err(SbomError::InvalidTimestamp { .. })));
        input.timestamp = "2024-05-01T12:00:00+02:00".into();
        input.serial = "not-a-uuid".into();
        assert!(matches!(Prepared::new(&input), Err(SbomError::InvalidSerial { .. })));
    }

    #[test]
    fn order_ignores_input_order() {
        let facts = ImageFacts::default();
        let mut a = Package::new(Ecosystem::Deb, "zlib1g", "1:1.2.13");
        a.arch = Some("amd64".into());
        let mut b = a.clone();
        b.arch = None;
        let c = Package::new(Ecosystem::Apk, "zlib", "1.3.1-r1");
        let d = Package::new(Ecosystem::Deb, "bash", "5.2");
        let forward = [a.clone(), b.clone(), c.clone(), d.clone()];
        let backward = [d, c, b, a];
        let names = |pkgs: &[Package]| {
            let input = SbomInput {
                facts: &facts,
                packages: pkgs,
                tool: ToolInfo::new("chainward", "0"),
                timestamp: "2024-05-01T12:00:00Z".into(),
                serial: "3e671687-395b-41f5-a30f-a58921a69b79".into(),
            };
            let prepared = Prepared::new(&input).unwrap();
            prepared.entries.iter().map(|e| e.purl.clone()).collect::<Vec<_>>()
        };
        assert_eq!(names(&forward), names(&backward));
        assert_eq!(
            names(&forward),
            vec![
                "pkg:apk/alpine/zlib@1.3.1-r1",
                "pkg:deb/debian/bash@5.2",
                "pkg:deb/debian/zlib1g@1:1.2.13",
                "pkg:deb/debian/zlib1g@1:1.2.13?arch=amd64",
            ]
        );
    }
}
