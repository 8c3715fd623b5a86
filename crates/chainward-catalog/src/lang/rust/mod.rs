//! Rust: `Cargo.lock` ([`CargoLockCataloger`]).
//!
//! Binaries built with cargo-auditable are read by the binary catalogers, not here.

pub mod cargo_lock;

use chainward_model::{Ecosystem, Evidence, Location, Package, Relationship};

use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// The largest `Cargo.lock` read. Real ones stay under a few MB (rust-lang/rust's is about
/// 200 KB); a larger file is named in a warning instead of being parsed. The TOML document
/// tree takes about thirteen times the file's size while it is read (measured on a 50 MB
/// file: 640 MB), so this bounds one file's peak near 110 MB.
pub const MAX_CARGO_LOCK: u64 = 8 << 20;

const NAME: &str = "cargo-lock";

/// A project's `Cargo.lock`. Copies inside Cargo's registry and git caches
/// (`$CARGO_HOME/registry/src/…`, `$CARGO_HOME/git/checkouts/…`) belong to downloaded
/// dependencies, whose own lockfiles do not take part in the build, and are skipped.
fn is_cargo_lock(path: &str) -> bool {
    path.rsplit('/').next() == Some("Cargo.lock")
        && !path.contains("cargo/registry/")
        && !path.contains("cargo/git/checkouts/")
}

/// Crates locked by `Cargo.lock` files (lockfile evidence).
pub struct CargoLockCataloger;

impl Cataloger for CargoLockCataloger {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_CARGO_LOCK && is_cargo_lock(path)
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        for (path, node) in ctx.files() {
            if !is_cargo_lock(path) || node.kind != chainward_image::NodeKind::File {
                continue;
            }
            let warn = |message: String| Warning { cataloger: NAME, path: format!("/{path}"), message };
            if node.size > MAX_CARGO_LOCK {
                out.warnings
                    .push(warn(format!("{} bytes is over the {MAX_CARGO_LOCK}-byte limit; not read", node.size)));
                continue;
            }
            let bytes = match ctx.tree.read(path) {
                Ok(b) => b,
                Err(e) => {
                    out.warnings.push(warn(e.to_string()));
                    continue;
                }
            };
            let lock = match cargo_lock::parse(&bytes) {
                Ok(lock) => lock,
                Err(e) => {
                    out.warnings.push(warn(e.to_string()));
                    continue;
                }
            };
            if let Some(first) = lock.skipped.first() {
                out.warnings.push(warn(format!(
                    "{} [[package]] entries skipped (the first, entry {}: {})",
                    lock.skipped.len(),
                    first.index,
                    first.reason
                )));
            }
            let location = Location { path: format!("/{path}"), layer: ctx.layer_digest(ctx.tree.layer_of(path)) };
            out.packages.extend(packages(&lock, &location));
        }
        out
    }
}

/// The packages of a parsed lockfile, each with the given evidence location.
pub fn packages(lock: &cargo_lock::CargoLock, location: &Location) -> Vec<Package> {
    lock.crates
        .iter()
        .map(|c| {
            let mut p = Package::new(Ecosystem::Cargo, c.name.clone(), c.version.clone());
            p.evidence = Evidence::Lockfile;
            p.locations.push(location.clone());
            p.relationship = Some(match c.role {
                cargo_lock::CrateRole::Root => Relationship::Root,
                cargo_lock::CrateRole::Workspace => Relationship::Workspace,
                cargo_lock::CrateRole::Direct => Relationship::Direct,
                cargo_lock::CrateRole::Indirect => Relationship::Indirect,
            });
            p.depends_on = c
                .depends_on
                .iter()
                .filter_map(|&d| lock.crates.get(d))
                .map(|d| format!("{}@{}", d.name, d.version))
                .collect();
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_paths() {
        assert!(is_cargo_lock("app/rust/Cargo.lock"));
        assert!(is_cargo_lock("Cargo.lock"));
        assert!(!is_cargo_lock("app/cargo.lock"));
        assert!(!is_cargo_lock("app/Cargo.lock.orig"));
        assert!(!is_cargo_lock("root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ripgrep-14.1.0/Cargo.lock"));
        assert!(!is_cargo_lock("usr/local/cargo/git/checkouts/regex-1a2b/1a069b9/Cargo.lock"));
        assert!(!CargoLockCataloger.wants("Cargo.lock", MAX_CARGO_LOCK + 1));
    }

    #[test]
    fn packages_carry_relationships_and_dependency_keys() {
        let lock = cargo_lock::parse(
            b"version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"libc\"]\n[[package]]\nname = \"libc\"\nversion = \"0.2.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        )
        .unwrap();
        let loc = Location { path: "/app/Cargo.lock".into(), layer: None };
        let pkgs = packages(&lock, &loc);
        assert_eq!(pkgs[0].relationship, Some(Relationship::Root));
        assert_eq!(pkgs[0].depends_on, ["libc@0.2.1"]);
        assert_eq!(pkgs[1].relationship, Some(Relationship::Direct));
        assert_eq!(pkgs[1].evidence, Evidence::Lockfile);
        assert_eq!(pkgs[1].purl(&Default::default()), "pkg:cargo/libc@0.2.1");
    }
}
