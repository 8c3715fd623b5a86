//! Go: `go.mod` ([`GoModCataloger`], manifest evidence) and `go.sum` ([`GoSumCataloger`],
//! lockfile evidence).
//!
//! A `go.mod` gives the main module (relationship root, no version: it is the project
//! itself) and its requirements, direct or `// indirect`, after its own `replace` and
//! `exclude` directives. From Go 1.17 on a `go.mod` lists every module the build needs
//! (go.dev/ref/mod#graph-pruning), so a `go.sum` next to it adds nothing but checksums of
//! modules that were never selected and is not read; next to an older `go.mod` it adds the
//! modules the `go.mod` leaves out (as indirect), and on its own it lists every module.
//! Go module caches (`…/pkg/mod/…`) and `vendor/` copies are dependencies' own files, not
//! the project's, and are skipped. Binaries' build info is read by the binary catalogers.

pub mod gomod;
pub mod gosum;

use chainward_model::{Ecosystem, Evidence, Location, Package, Relationship};

use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// The largest `go.mod` read (Kubernetes' is about 15 KB).
pub const MAX_GO_MOD: u64 = 8 << 20;
/// The largest `go.sum` read (Kubernetes' is about 100 KB). It is read line by line into
/// one entry per module, so memory stays near the file's size.
pub const MAX_GO_SUM: u64 = 32 << 20;

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A go.mod or go.sum of a project, not a dependency's copy in a module cache or vendor tree.
fn is_project_file(path: &str, name: &str) -> bool {
    file_name(path) == name
        && !path.contains("/pkg/mod/")
        && !path.starts_with("pkg/mod/")
        && !path.split('/').any(|c| c == "vendor")
}

/// Reads one file of the tree within `limit`, or says why not.
fn read_bounded<'t>(
    ctx: &'t CatalogContext<'_>,
    path: &str,
    size: u64,
    limit: u64,
) -> Result<std::borrow::Cow<'t, [u8]>, String> {
    if size > limit {
        return Err(format!("{size} bytes is over the {limit}-byte limit; not read"));
    }
    ctx.tree.read(path).map_err(|e| e.to_string())
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to()))
}

/// How go.mod files are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoModOptions {
    /// Also report the minimum toolchain (`toolchain`, or `go` from 1.21 on) as the
    /// `stdlib` package, versioned `v1.N.P` (Trivy's `useMinVersion`). Off by default: the
    /// toolchain that builds the module may be any later one.
    pub toolchain_stdlib: bool,
}

/// `go.mod` files: the main module and its requirements.
pub struct GoModCataloger {
    /// How to read them.
    pub options: GoModOptions,
}

const GO_MOD: &str = "go-mod";
const GO_SUM: &str = "go-sum";

impl Cataloger for GoModCataloger {
    fn name(&self) -> &'static str {
        GO_MOD
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_GO_MOD && is_project_file(path, "go.mod")
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for (path, node) in ctx.files() {
            if !is_project_file(path, "go.mod") || node.kind != chainward_image::NodeKind::File {
                continue;
            }
            let warn = |message: String| Warning { cataloger: GO_MOD, path: format!("/{path}"), message };
            let bytes = match read_bounded(ctx, path, node.size, MAX_GO_MOD) {
                Ok(bytes) => bytes,
                Err(m) => {
                    out.warnings.push(warn(m));
                    continue;
                }
            };
            let text = match utf8(&bytes) {
                Ok(t) => t,
                Err(m) => {
                    out.warnings.push(warn(m));
                    continue;
                }
            };
            let parsed = gomod::parse(text);
            for p in &parsed.problems {
                out.warnings.push(warn(format!("line {}: {}", p.line, p.message)));
            }
            if parsed.more_problems > 0 {
                out.warnings.push(warn(format!("{} more lines could not be read", parsed.more_problems)));
            }
            if parsed.module.is_none() {
                out.warnings.push(warn("no module directive: the main module is not reported".to_owned()));
            }
            let location = Location { path: format!("/{path}"), layer: ctx.layer_digest(ctx.tree.layer_of(path)) };
            out.packages.extend(go_mod_packages(&parsed, self.options, &location));
        }
        out
    }
}

/// The packages a parsed go.mod names: the main module first (if it has a `module` line),
/// then the required modules in file order, then `stdlib` if asked for.
pub fn go_mod_packages(m: &gomod::GoMod, options: GoModOptions, location: &Location) -> Vec<Package> {
    let package = |name: &str, version: &str, relationship| {
        let mut p = Package::new(Ecosystem::Go, name, version);
        p.evidence = Evidence::Manifest;
        p.relationship = Some(relationship);
        p.locations.push(location.clone());
        p
    };
    let mut deps: Vec<Package> = m
        .modules()
        .iter()
        .map(|d| package(&d.path, &d.version, if d.indirect { Relationship::Indirect } else { Relationship::Direct }))
        .collect();
    if options.toolchain_stdlib
        && let Some(v) = m.toolchain_version()
    {
        deps.push(package("stdlib", &format!("v{v}"), Relationship::Direct));
    }
    let mut out = Vec::with_capacity(deps.len() + 1);
    if let Some(module) = &m.module {
        let mut root = package(module, "", Relationship::Root);
        root.depends_on =
            deps.iter().filter(|d| d.relationship == Some(Relationship::Direct)).map(Package::key).collect();
        out.push(root);
    }
    out.extend(deps);
    out
}

/// `go.sum` files: the modules they hold checksums for, where no go.mod says more.
pub struct GoSumCataloger;

impl Cataloger for GoSumCataloger {
    fn name(&self) -> &'static str {
        GO_SUM
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        // The go.mod next to a go.sum decides how much of it is read.
        (size <= MAX_GO_SUM && is_project_file(path, "go.sum"))
            || (size <= MAX_GO_MOD && is_project_file(path, "go.mod"))
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for (path, node) in ctx.files() {
            if !is_project_file(path, "go.sum") || node.kind != chainward_image::NodeKind::File {
                continue;
            }
            let warn = |message: String| Warning { cataloger: GO_SUM, path: format!("/{path}"), message };
            let sibling = match path.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/go.mod"),
                None => "go.mod".to_owned(),
            };
            // A go.mod that cannot be read is warned about by the go.mod cataloger; the
            // go.sum is then read on its own.
            let go_mod = ctx
                .tree
                .get(&sibling)
                .filter(|n| n.kind == chainward_image::NodeKind::File && n.size <= MAX_GO_MOD)
                .and_then(|_| ctx.tree.read(&sibling).ok())
                .and_then(|b| std::str::from_utf8(&b).ok().map(gomod::parse));
            if let Some(m) = &go_mod
                && m.go.as_deref().and_then(gomod::go_minor).is_some_and(|minor| minor >= 17)
            {
                continue;
            }
            let bytes = match read_bounded(ctx, path, node.size, MAX_GO_SUM) {
                Ok(bytes) => bytes,
                Err(m) => {
                    out.warnings.push(warn(m));
                    continue;
                }
            };
            let text = match utf8(&bytes) {
                Ok(t) => t,
                Err(m) => {
                    out.warnings.push(warn(m));
                    continue;
                }
            };
            let sum = gosum::parse(text);
            if let Some(first) = sum.bad_lines.first() {
                out.warnings.push(warn(format!(
                    "{} lines are not `module version hash` (the first: line {first})",
                    sum.bad_lines.len() + sum.more_bad_lines
                )));
            }
            let location = Location { path: format!("/{path}"), layer: ctx.layer_digest(ctx.tree.layer_of(path)) };
            out.packages.extend(go_sum_packages(&sum, go_mod.as_ref(), &location));
        }
        out
    }
}

/// The packages of a parsed go.sum. With the (pre-1.17) go.mod next to it, only the modules
/// that go.mod does not name, as indirect dependencies.
pub fn go_sum_packages(sum: &gosum::GoSum, go_mod: Option<&gomod::GoMod>, location: &Location) -> Vec<Package> {
    let named: std::collections::HashSet<&str> = go_mod
        .map(|m| {
            let mut named: std::collections::HashSet<&str> = m.requires.iter().map(|r| r.path.as_str()).collect();
            named.extend(m.replaces.iter().filter(|r| r.new_version.is_some()).map(|r| r.new_path.as_str()));
            named.extend(m.module.as_deref());
            named
        })
        .unwrap_or_default();
    sum.modules
        .iter()
        .filter(|(path, _)| !named.contains(path.as_str()))
        .map(|(path, version)| {
            let mut p = Package::new(Ecosystem::Go, path.clone(), version.clone());
            p.evidence = Evidence::Lockfile;
            p.relationship = go_mod.map(|_| Relationship::Indirect);
            p.locations.push(location.clone());
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc() -> Location {
        Location { path: "/src/go.mod".into(), layer: None }
    }

    #[test]
    fn project_files_only() {
        assert!(is_project_file("src/app/go.mod", "go.mod"));
        assert!(is_project_file("go.sum", "go.sum"));
        assert!(!is_project_file("root/go/pkg/mod/github.com/x/y@v1.0.0/go.mod", "go.mod"));
        assert!(!is_project_file("src/app/vendor/github.com/x/y/go.mod", "go.mod"));
        assert!(!is_project_file("src/app/go.mod.bak", "go.mod"));
    }

    #[test]
    fn root_depends_on_direct_requirements_and_stdlib_on_request() {
        let m = gomod::parse(
            "module example.com/app\ngo 1.22.0\nrequire example.com/a v1.0.0\nrequire example.com/b v1.1.0 // indirect\n",
        );
        let pkgs = go_mod_packages(&m, GoModOptions::default(), &loc());
        let got: Vec<(&str, &str, Option<Relationship>)> =
            pkgs.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.relationship)).collect();
        assert_eq!(
            got,
            [
                ("example.com/app", "", Some(Relationship::Root)),
                ("example.com/a", "v1.0.0", Some(Relationship::Direct)),
                ("example.com/b", "v1.1.0", Some(Relationship::Indirect)),
            ]
        );
        assert_eq!(pkgs[0].depends_on, ["example.com/a@v1.0.0"]);
        assert_eq!(pkgs[0].purl(&Default::default()), "pkg:golang/example.com/app");
        let with = go_mod_packages(&m, GoModOptions { toolchain_stdlib: true }, &loc());
        assert_eq!(with.last().map(Package::key).as_deref(), Some("stdlib@v1.22.0"));
        assert!(with.iter().all(|p| p.evidence == Evidence::Manifest));
    }

    #[test]
    fn go_sum_next_to_an_old_go_mod_adds_what_it_leaves_out() {
        let m = gomod::parse("module example.com/app\ngo 1.16\nrequire example.com/a v1.0.0\n");
        let sum = gosum::parse("example.com/a v1.0.0 h1:x=\nexample.com/t v0.2.0/go.mod h1:y=\n");
        let alone: Vec<String> = go_sum_packages(&sum, None, &loc()).iter().map(Package::key).collect();
        assert_eq!(alone, ["example.com/a@v1.0.0", "example.com/t@v0.2.0"]);
        let with = go_sum_packages(&sum, Some(&m), &loc());
        assert_eq!(with.len(), 1);
        assert_eq!(
            (with[0].key(), with[0].relationship),
            ("example.com/t@v0.2.0".to_owned(), Some(Relationship::Indirect))
        );
    }
}
