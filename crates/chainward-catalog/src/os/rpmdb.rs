//! The rpm cataloger: finds the rpm database in its usual places and reads it with
//! [`super::rpm`].

use std::collections::BTreeSet;

use chainward_model::Location;

use super::rpm::{RpmDbFormat, read_rpmdb, to_package};
use crate::{CatalogContext, CatalogOutput, Cataloger, Warning};

/// Where rpm keeps its database: the classic `/var/lib/rpm` and, since rpm 4.16 on
/// Fedora/SUSE, `/usr/lib/sysimage/rpm` (often with `/var/lib/rpm` a symlink to it).
const DIRS: &[&str] = &["var/lib/rpm", "usr/lib/sysimage/rpm"];
/// Newest format first: when a migration left several, rpm itself reads the configured
/// backend, which is the newest present.
const FILES: &[&str] = &["rpmdb.sqlite", "Packages.db", "Packages"];

/// Reads the rpm database.
pub struct RpmCataloger;

impl Cataloger for RpmCataloger {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, path: &str, _size: u64) -> bool {
        match path.rsplit_once('/') {
            Some((dir, file)) => DIRS.contains(&dir) && FILES.contains(&file),
            None => false,
        }
    }

    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput {
        let mut out = CatalogOutput::default();
        let mut done = BTreeSet::new();
        for dir in DIRS {
            for file in FILES {
                let path = format!("{dir}/{file}");
                let Ok((canonical, node)) = ctx.tree.lookup(&path) else { continue };
                if node.kind != chainward_image::NodeKind::File || !done.insert(canonical.clone()) {
                    continue;
                }
                let Some(format) = RpmDbFormat::from_file_name(file) else { continue };
                let warn = |out: &mut CatalogOutput, message: String| {
                    out.warnings.push(Warning { cataloger: "rpm", path: format!("/{canonical}"), message });
                };
                let bytes = match ctx.tree.read(&canonical) {
                    Ok(b) => b,
                    Err(e) => {
                        warn(&mut out, e.to_string());
                        continue;
                    }
                };
                match read_rpmdb(format, &bytes) {
                    Ok(read) => {
                        for w in read.warnings {
                            warn(&mut out, w.to_string());
                        }
                        let layer = ctx.layer_digest(node.layer);
                        for h in &read.headers {
                            let mut p = to_package(h);
                            p.locations.push(Location { path: format!("/{canonical}"), layer: layer.clone() });
                            out.packages.push(p);
                        }
                    }
                    Err(e) => warn(&mut out, e.to_string()),
                }
                // One database per image: the first (newest-format) one found is rpm's own.
                if !out.packages.is_empty() {
                    return out;
                }
            }
        }
        out
    }
}
