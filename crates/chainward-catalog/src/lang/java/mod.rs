//! Java: archives, Maven poms and Gradle lockfiles. Names are `groupId:artifactId`.
//!
//! - [`JavaArchiveCataloger`]: JAR, WAR, EAR and Jenkins JPI/HPI files with the archives
//!   nested in them ([`archive`]); installed evidence (an archive in an image is what runs).
//! - [`MavenPomCataloger`]: `pom.xml` with the versions the file itself gives ([`pom`]);
//!   manifest evidence.
//! - [`GradleLockfileCataloger`]: `gradle.lockfile` ([`gradle`]); lockfile evidence.

pub mod archive;
pub mod gradle;
pub mod pom;
pub mod zip;

use chainward_image::NodeKind;
use chainward_model::{Ecosystem, Evidence, Location, Package, Relationship};

use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// Archives larger than this are not kept by the layer walk; each one is named in a warning.
pub const MAX_ARCHIVE: u64 = 64 << 20;
/// pom.xml files larger than this are not read.
const MAX_POM: u64 = 8 << 20;
/// Gradle lockfiles larger than this are not read.
const MAX_GRADLE_LOCKFILE: u64 = 16 << 20;

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_pom_path(path: &str) -> bool {
    // A pom.xml under META-INF/maven/ is the copy Maven packs into an archive (seen here in
    // an exploded archive or a build output folder): the archive is the evidence.
    file_name(path) == "pom.xml" && !path.contains("META-INF/maven/")
}

fn is_gradle_lockfile_path(path: &str) -> bool {
    let name = file_name(path);
    name.ends_with("gradle.lockfile") || (name.ends_with(".lockfile") && path.contains("gradle/dependency-locks/"))
}

/// Calls `f` with the bytes of each regular file whose path matches, within `max` bytes; a
/// larger or unreadable one is named in a warning (never skipped silently).
fn for_each_file(
    ctx: &CatalogContext<'_>,
    cataloger: &'static str,
    matches: fn(&str) -> bool,
    max: u64,
    out: &mut CatalogOutput,
    mut f: impl FnMut(&str, &[u8], &mut CatalogOutput),
) {
    for (path, node) in ctx.files() {
        if node.kind != NodeKind::File || !matches(path) {
            continue;
        }
        let warn = |message: String| Warning { cataloger, path: format!("/{path}"), message };
        if node.size > max {
            out.warnings
                .push(warn(format!("{} bytes is over the {max}-byte bound for this file: not read", node.size)));
            continue;
        }
        match ctx.tree.read(path) {
            Ok(bytes) => f(path, &bytes, out),
            Err(e) => out.warnings.push(warn(e.to_string())),
        }
    }
}

fn location(ctx: &CatalogContext<'_>, path: &str, shown: String) -> Location {
    Location { path: shown, layer: ctx.layer_digest(ctx.tree.layer_of(path)) }
}

/// Java archives and the archives nested in them.
pub struct JavaArchiveCataloger;

impl Cataloger for JavaArchiveCataloger {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_ARCHIVE && archive::is_archive_name(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        let limits = archive::Limits::default();
        for_each_file(ctx, self.name(), archive::is_archive_name, MAX_ARCHIVE, &mut out, |path, bytes, out| {
            let report = archive::read_archive(bytes, &format!("/{path}"), &limits);
            for problem in report.problems {
                out.warnings.push(Warning { cataloger: "java-archive", path: format!("/{path}"), message: problem });
            }
            for p in report.packages {
                let mut pkg = Package::new(Ecosystem::Maven, p.name, p.version);
                pkg.licenses = p.licenses;
                pkg.locations.push(location(ctx, path, p.path));
                out.packages.push(pkg);
            }
        });
        out
    }
}

/// Maven `pom.xml`: the project and its direct dependencies.
pub struct MavenPomCataloger;

impl Cataloger for MavenPomCataloger {
    fn name(&self) -> &'static str {
        "maven-pom"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_POM && is_pom_path(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_pom_path, MAX_POM, &mut out, |path, bytes, out| {
            let warn = |message: String| Warning { cataloger: "maven-pom", path: format!("/{path}"), message };
            let pom = match pom::parse(bytes) {
                Ok(p) => p,
                Err(e) => {
                    out.warnings.push(warn(e.to_string()));
                    return;
                }
            };
            let resolved = pom.resolve();
            if !resolved.unresolved.is_empty() {
                out.warnings.push(warn(format!(
                    "{} dependencies have a version only a parent POM, a BOM or an undefined property gives (not fetched): {}",
                    resolved.unresolved.len(),
                    resolved.unresolved.join(", ")
                )));
            }
            // Integration-test projects of maven-invoker-plugin (`src/it/*/pom.xml`,
            // `target/it/*/pom.xml`) are not shipped: everything in them is dev (as Trivy).
            let segments: Vec<&str> = path.split('/').collect();
            let integration_test = segments.len() >= 4
                && matches!(segments[segments.len() - 4], "src" | "target")
                && segments[segments.len() - 3] == "it";
            let loc = location(ctx, path, format!("/{path}"));
            let deps: Vec<Package> = resolved
                .dependencies
                .into_iter()
                .map(|d| {
                    let mut p = Package::new(Ecosystem::Maven, d.name, d.version);
                    p.evidence = Evidence::Manifest;
                    p.relationship = Some(Relationship::Direct);
                    p.dev = d.dev || integration_test;
                    p.locations.push(loc.clone());
                    p
                })
                .collect();
            if let Some((name, version)) = resolved.root {
                let mut root = Package::new(Ecosystem::Maven, name, version);
                root.evidence = Evidence::Manifest;
                root.relationship = Some(Relationship::Root);
                root.dev = integration_test;
                root.licenses = pom.licenses.clone();
                root.depends_on = deps.iter().map(Package::key).collect();
                root.locations.push(loc.clone());
                out.packages.push(root);
            } else {
                out.warnings.push(warn(
                    "the project's groupId, artifactId or version is missing or names an undefined property".into(),
                ));
            }
            out.packages.extend(deps);
        });
        out
    }
}

/// Gradle dependency lockfiles.
pub struct GradleLockfileCataloger;

impl Cataloger for GradleLockfileCataloger {
    fn name(&self) -> &'static str {
        "gradle-lockfile"
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_GRADLE_LOCKFILE && is_gradle_lockfile_path(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for_each_file(ctx, self.name(), is_gradle_lockfile_path, MAX_GRADLE_LOCKFILE, &mut out, |path, bytes, out| {
            let warn = |message: String| Warning { cataloger: "gradle-lockfile", path: format!("/{path}"), message };
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    out.warnings.push(warn(format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to())));
                    return;
                }
            };
            let (modules, bad) = gradle::parse(text);
            for b in bad {
                out.warnings.push(warn(format!("line {}: {}", b.line, b.message)));
            }
            let loc = location(ctx, path, format!("/{path}"));
            for m in modules {
                let mut p = Package::new(Ecosystem::Maven, m.name, m.version);
                p.evidence = Evidence::Lockfile;
                p.dev = m.dev;
                p.locations.push(loc.clone());
                out.packages.push(p);
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(archive::is_archive_name("app/lib/log4j-core-2.14.1.jar"));
        assert!(archive::is_archive_name("var/jenkins_home/plugins/git.JPI"));
        assert!(!archive::is_archive_name("app/lib/.jar"));
        assert!(!archive::is_archive_name("app/jar"));
        assert!(is_pom_path("src/app/pom.xml"));
        assert!(!is_pom_path("app/classes/META-INF/maven/g/a/pom.xml"));
        assert!(is_gradle_lockfile_path("app/gradle.lockfile"));
        assert!(is_gradle_lockfile_path("app/buildscript-gradle.lockfile"));
        assert!(is_gradle_lockfile_path("app/gradle/dependency-locks/compileClasspath.lockfile"));
        assert!(!is_gradle_lockfile_path("app/yarn.lockfile"));
    }
}
