//! Java archives (JAR, WAR, EAR, Jenkins JPI/HPI): the Maven coordinates they carry, and
//! those of the archives nested inside them (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, EAR
//! modules, `META-INF/jars/*.jar`).
//!
//! What identifies an archive follows Trivy's jar parser (`pkg/dependency/parser/java/jar`):
//! every valid `pom.properties` (any path, as shaded jars keep their dependencies' under
//! `META-INF/maven/GROUP/ARTIFACT/`) is a package; when none of them is the archive's own
//! (its artifactId and version are not those of the file name `ARTIFACT-VERSION.jar`), the
//! main section of `META-INF/MANIFEST.MF` names it (Implementation-*, Bundle-*,
//! Specification-*). Trivy's online fallbacks (Maven Central by SHA-1, then by the file
//! name's artifactId) need the network, which chainward never calls: an archive with
//! neither is not reported. Licenses come from the embedded `META-INF/maven/G/A/pom.xml`
//! and from Jenkins' `Plugin-License-Name` attributes.
//!
//! Bounds: nested archives at most [`Limits::max_depth`] deep; all the bytes inflated for
//! one outer archive (nested ones and their contents included) within
//! [`Limits::max_inflated`]; metadata files within [`Limits::max_metadata`].

use super::zip::{ZipArchive, ZipEntry};

/// Bounds for reading one outer archive.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How many archives deep nesting is followed (the outer archive is depth 0).
    pub max_depth: usize,
    /// All bytes inflated while reading one outer archive.
    pub max_inflated: u64,
    /// One metadata file (manifest, pom.properties, embedded pom.xml).
    pub max_metadata: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_depth: 4, max_inflated: 256 << 20, max_metadata: 1 << 20 }
    }
}

/// A package found in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JarPackage {
    /// `groupId:artifactId`.
    pub name: String,
    /// The version.
    pub version: String,
    /// The archive it was found in: the outer path, then each nested entry, `/`-joined
    /// (Trivy's `file_path`, e.g. `app.war/WEB-INF/lib/x.jar`).
    pub path: String,
    /// Licenses as the archive names them.
    pub licenses: Vec<String>,
}

/// What reading an archive gave: its packages, and problems naming the (nested) entry.
#[derive(Debug, Default)]
pub struct ArchiveReport {
    /// The packages, the outer archive's first, then each nested archive's.
    pub packages: Vec<JarPackage>,
    /// What could not be read; reading went on.
    pub problems: Vec<String>,
}

/// Whether a file name is a Java archive this cataloger reads.
pub fn is_archive_name(name: &str) -> bool {
    let lower = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    [".jar", ".war", ".ear", ".jpi", ".hpi"].iter().any(|ext| lower.ends_with(ext) && lower.len() > ext.len())
}

/// Reads an archive held in memory; `path` names it in the packages and problems.
pub fn read_archive(bytes: &[u8], path: &str, limits: &Limits) -> ArchiveReport {
    let mut report = ArchiveReport::default();
    let mut budget = limits.max_inflated;
    read_nested(bytes, path, 0, limits, &mut budget, &mut report);
    // The same package may be found twice in one archive (a manifest and a pom.properties,
    // or two copies of a pom.properties): keep the first (Trivy's removePackageDuplicates).
    let mut seen = std::collections::HashSet::new();
    report.packages.retain(|p| seen.insert((p.name.clone(), p.version.clone(), p.path.clone())));
    report
}

fn read_nested(bytes: &[u8], path: &str, depth: usize, limits: &Limits, budget: &mut u64, report: &mut ArchiveReport) {
    let zip = match ZipArchive::new(bytes) {
        Ok(z) => z,
        Err(e) => {
            report.problems.push(format!("{path}: {e}"));
            return;
        }
    };
    let read = |entry: &ZipEntry, limit: u64, budget: &mut u64, report: &mut ArchiveReport| {
        read_entry(&zip, entry, limit, budget, path, limits, report)
    };

    let own_file = file_name_coordinates(path.rsplit('/').next().unwrap_or(path));
    let first = report.packages.len();
    let mut found_own = false;
    let mut manifest = None;
    let mut pom_licenses: Vec<(String, Vec<String>)> = Vec::new();
    let mut nested: Vec<&ZipEntry> = Vec::new();
    for entry in &zip.entries {
        if entry.name.ends_with('/') {
            continue;
        }
        let base = entry.name.rsplit('/').next().unwrap_or(&entry.name);
        if base == "pom.properties" {
            let Some(data) = read(entry, limits.max_metadata, budget, report) else { continue };
            let props = parse_pom_properties(&String::from_utf8_lossy(&data));
            if let Some((group, artifact, version)) = props {
                if own_file.as_ref().is_some_and(|(a, v)| *a == artifact && *v == version) {
                    found_own = true;
                }
                report.packages.push(JarPackage {
                    name: format!("{group}:{artifact}"),
                    version,
                    path: path.to_owned(),
                    licenses: Vec::new(),
                });
            }
        } else if base == "pom.xml" {
            let Some(ga) = embedded_pom_coordinates(&entry.name) else { continue };
            let Some(data) = read(entry, limits.max_metadata, budget, report) else { continue };
            match super::pom::parse(&data) {
                Ok(pom) if !pom.licenses.is_empty() => pom_licenses.push((ga, pom.licenses)),
                Ok(_) => {}
                Err(e) => report.problems.push(format!("{path}/{}: {e}", entry.name)),
            }
        } else if entry.name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            let Some(data) = read(entry, limits.max_metadata, budget, report) else { continue };
            manifest = Some(Manifest::parse(&String::from_utf8_lossy(&data)));
        } else if is_archive_name(&entry.name) {
            nested.push(entry);
        }
    }

    if !found_own && let Some((group, artifact, version)) = manifest.as_ref().and_then(Manifest::coordinates) {
        report.packages.push(JarPackage {
            name: format!("{group}:{artifact}"),
            version,
            path: path.to_owned(),
            licenses: Vec::new(),
        });
    }
    // Licenses of the embedded pom.xml, matched by groupId:artifactId (the path has no version).
    for p in &mut report.packages[first..] {
        if let Some((_, l)) = pom_licenses.iter().find(|(ga, _)| *ga == p.name) {
            p.licenses.clone_from(l);
        }
    }
    // Jenkins' Plugin-License-Name attributes belong to the archive's own package, when
    // exactly one package is this archive's and it has no license yet.
    if let Some(names) = manifest.as_ref().map(|m| m.plugin_licenses.clone()).filter(|n| !n.is_empty()) {
        let own: Vec<usize> = (first..report.packages.len()).filter(|&i| report.packages[i].path == path).collect();
        if let [i] = own[..]
            && report.packages[i].licenses.is_empty()
        {
            report.packages[i].licenses = names;
        }
    }

    for entry in nested {
        let inner = format!("{path}/{}", entry.name.trim_start_matches('/'));
        if depth + 1 > limits.max_depth {
            report.problems.push(format!("{inner}: not read: archives nested deeper than {} levels", limits.max_depth));
            continue;
        }
        let Some(data) = read(entry, u64::MAX, budget, report) else { continue };
        read_nested(&data, &inner, depth + 1, limits, budget, report);
    }
}

/// Inflates one entry within `limit` and what is left of the archive's budget.
fn read_entry(
    zip: &ZipArchive<'_>,
    entry: &ZipEntry,
    limit: u64,
    budget: &mut u64,
    path: &str,
    limits: &Limits,
    report: &mut ArchiveReport,
) -> Option<Vec<u8>> {
    match zip.read(entry, limit.min(*budget)) {
        Ok(data) => {
            *budget = budget.saturating_sub(data.len() as u64);
            Some(data)
        }
        Err(e) => {
            report.problems.push(if entry.uncompressed_size > *budget && entry.uncompressed_size <= limit {
                format!(
                    "{path}/{}: not read: the {}-byte bound on bytes inflated from one archive is spent (a zip bomb?)",
                    entry.name, limits.max_inflated
                )
            } else {
                format!("{path}/{e}")
            });
            None
        }
    }
}

/// `artifactId` and `version` from a file name `ARTIFACT-VERSION.jar`, as Trivy's
/// `^([a-zA-Z0-9\._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?).jar$` reads it: the longest artifactId
/// that is followed by `-` and a digit.
pub fn file_name_coordinates(file: &str) -> Option<(String, String)> {
    let stem = file.strip_suffix(".jar")?;
    let bytes = stem.as_bytes();
    (1..bytes.len()).rev().find_map(|i| {
        if bytes[i] != b'-' || !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (artifact, version) = (&stem[..i], &stem[i + 1..]);
        let (last, rest) = artifact.split_at(artifact.char_indices().last()?.0);
        let ok = rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && last != "-"
            && last != "*"
            && !version.chars().any(char::is_whitespace);
        ok.then(|| (artifact.to_owned(), version.to_owned()))
    })
}

/// `groupId`, `artifactId`, `version` of a `pom.properties` (Java properties: `key=value`
/// or `key: value`, `#`/`!` comments), when all three are there.
pub fn parse_pom_properties(text: &str) -> Option<(String, String, String)> {
    let (mut group, mut artifact, mut version) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(split) = line.find(['=', ':']) else { continue };
        let (key, value) = (line[..split].trim(), line[split + 1..].trim());
        match key {
            "groupId" => group = Some(value),
            "artifactId" => artifact = Some(value),
            "version" => version = Some(value),
            _ => {}
        }
    }
    match (group, artifact, version) {
        (Some(g), Some(a), Some(v)) if !g.is_empty() && !a.is_empty() && !v.is_empty() => {
            Some((g.to_owned(), a.to_owned(), v.to_owned()))
        }
        _ => None,
    }
}

/// `GROUP:ARTIFACT` of `META-INF/maven/GROUP/ARTIFACT/pom.xml`.
fn embedded_pom_coordinates(name: &str) -> Option<String> {
    let rel = name.strip_prefix("META-INF/maven/")?.strip_suffix("/pom.xml")?;
    let (g, a) = rel.split_once('/')?;
    (!g.is_empty() && !a.is_empty() && !a.contains('/')).then(|| format!("{g}:{a}"))
}

/// The main section of a `MANIFEST.MF` (JAR File Specification, "JAR Manifest"): the
/// attributes that describe the archive itself. Individual sections after the first blank
/// line describe entries and are not read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Manifest {
    attributes: Vec<(String, String)>,
    /// `Plugin-License-Name` and `Plugin-License-Name-N` values (Jenkins plugins).
    pub plugin_licenses: Vec<String>,
}

impl Manifest {
    /// Parses the main section; lines end with CRLF, LF or CR, and a line starting with one
    /// space continues the previous one (joined without the space, as java.util.jar does).
    pub fn parse(text: &str) -> Self {
        let mut m = Self::default();
        let mut current = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            let cut = rest.find(['\r', '\n']).unwrap_or(rest.len());
            let line = &rest[..cut];
            rest = &rest[cut..];
            // CRLF is one line end; a lone CR or LF is one too.
            rest = rest.strip_prefix("\r\n").or_else(|| rest.get(1..)).unwrap_or_default();
            if line.is_empty() {
                break;
            }
            if let Some(cont) = line.strip_prefix(' ') {
                // Bound a hostile manifest of endless continuation lines (the input itself
                // is bounded by the metadata limit, so this only caps one attribute).
                if current.len() < 64 << 10 {
                    current.push_str(cont);
                }
                continue;
            }
            m.add(&current);
            current = line.to_owned();
        }
        m.add(&current);
        m
    }

    fn add(&mut self, line: &str) {
        let Some((key, value)) = line.split_once(':') else { return };
        let value = value.trim();
        // `%name` values are OSGi localisation keys, not values (Trivy skips them too).
        if value.is_empty() || value.starts_with('%') {
            return;
        }
        let key = key.trim();
        if key == "Plugin-License-Name" || key.strip_prefix("Plugin-License-Name-").is_some_and(|n| !n.is_empty()) {
            self.plugin_licenses.push(value.to_owned());
        }
        self.attributes.push((key.to_owned(), value.to_owned()));
    }

    /// The value of an attribute (names compare case-insensitively, as the JAR spec says).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// groupId, artifactId and version as Trivy derives them from a manifest: group from
    /// Implementation-Vendor-Id, Bundle-SymbolicName (without its last dot-separated part),
    /// Implementation-Vendor, Specification-Vendor; artifact from Implementation-Title,
    /// Specification-Title, Bundle-Name; version from Implementation-Version,
    /// Specification-Version, Bundle-Version. Bundle-SymbolicName's directives
    /// (`;singleton:=true`) are dropped first.
    pub fn coordinates(&self) -> Option<(String, String, String)> {
        let first = |keys: &[&str]| keys.iter().find_map(|k| self.get(k)).map(str::to_owned);
        let group = self.get("Implementation-Vendor-Id").map(str::to_owned).or_else(|| {
            self.get("Bundle-SymbolicName").map(|s| {
                let s = s.split(';').next().unwrap_or(s).trim();
                s.rsplit_once('.').map_or(s, |(g, _)| g).to_owned()
            })
        });
        let group = group.or_else(|| first(&["Implementation-Vendor", "Specification-Vendor"]))?;
        let artifact = first(&["Implementation-Title", "Specification-Title", "Bundle-Name"])?;
        let version = first(&["Implementation-Version", "Specification-Version", "Bundle-Version"])?;
        (!group.is_empty()).then_some((group, artifact, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::java::zip::tests::build;

    #[test]
    fn file_names() {
        let c = |s: &str| file_name_coordinates(s).map(|(a, v)| format!("{a} {v}"));
        assert_eq!(c("log4j-core-2.14.1.jar").as_deref(), Some("log4j-core 2.14.1"));
        assert_eq!(c("spring-core-5.3.4-SNAPSHOT.jar").as_deref(), Some("spring-core 5.3.4-SNAPSHOT"));
        assert_eq!(c("heuristic-1.0.0-SNAPSHOT.jar").as_deref(), Some("heuristic 1.0.0-SNAPSHOT"));
        assert_eq!(c("nested.jar"), None);
        assert_eq!(c("x-1.war"), None);
        assert_eq!(c("-1.jar"), None);
    }

    #[test]
    fn manifest_main_section_folding_and_fallbacks() {
        let m = Manifest::parse(
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-d\r\n atabind;singleton:=true\r\nBundle-Name: %name\r\nSpecification-Title: Jackson\r\nBundle-Version: 2.13.0\r\n\r\nName: x/\r\nImplementation-Version: 9\r\n",
        );
        assert_eq!(m.coordinates(), Some(("com.fasterxml.jackson.core".into(), "Jackson".into(), "2.13.0".into())));
        // A lone CR ends a line too.
        let m = Manifest::parse("Implementation-Vendor-Id: g\rImplementation-Title: a\rImplementation-Version: 1\r");
        assert_eq!(m.coordinates(), Some(("g".into(), "a".into(), "1".into())));
        assert_eq!(Manifest::parse("Manifest-Version: 1.0\n").coordinates(), None);
    }

    #[test]
    fn pom_properties() {
        let p = parse_pom_properties("#Created by Maven\nversion=2.14.1\ngroupId = org.apache\nartifactId:core\n");
        assert_eq!(p, Some(("org.apache".into(), "core".into(), "2.14.1".into())));
        assert_eq!(parse_pom_properties("groupId=a\nartifactId=b\n"), None);
    }

    #[test]
    fn war_with_libraries_and_own_manifest_fallback() {
        let lib = build(&[(
            "META-INF/maven/org.x/lib/pom.properties",
            b"groupId=org.x\nartifactId=lib\nversion=1.2\n",
            true,
        )]);
        let war = build(&[
            (
                "META-INF/MANIFEST.MF",
                b"Implementation-Vendor-Id: com.app\nImplementation-Title: app\nImplementation-Version: 3\n",
                true,
            ),
            ("WEB-INF/lib/lib-1.2.jar", &lib, false),
        ]);
        let r = read_archive(&war, "srv/app.war", &Limits::default());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let got: Vec<(&str, &str, &str)> =
            r.packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.path.as_str())).collect();
        assert_eq!(
            got,
            [("com.app:app", "3", "srv/app.war"), ("org.x:lib", "1.2", "srv/app.war/WEB-INF/lib/lib-1.2.jar")]
        );
    }

    #[test]
    fn own_pom_properties_wins_over_the_manifest() {
        let jar = build(&[
            (
                "META-INF/MANIFEST.MF",
                b"Implementation-Vendor-Id: v\nImplementation-Title: Title\nImplementation-Version: 2\n",
                false,
            ),
            ("META-INF/maven/g/a/pom.properties", b"groupId=g\nartifactId=a\nversion=2\n", false),
            (
                "META-INF/maven/g/a/pom.xml",
                b"<project><licenses><license><name>Apache-2.0</name></license></licenses></project>",
                false,
            ),
        ]);
        let r = read_archive(&jar, "a-2.jar", &Limits::default());
        assert_eq!(r.packages.len(), 1);
        assert_eq!(r.packages[0].name, "g:a");
        assert_eq!(r.packages[0].licenses, ["Apache-2.0"]);
    }
}
