//! One package, one entry: a lockfile or manifest entry for a package that is also installed
//! (same ecosystem, same name as the ecosystem compares names, same version) is dropped, so
//! the installed evidence — what actually runs — is what the SBOM shows. Entries that match
//! nothing installed stay, with their own evidence (e.g. the dev dependencies a lockfile lists
//! but an image never installed).

use std::collections::HashSet;

use chainward_model::{Ecosystem, Evidence, Package};

/// The name as the ecosystem compares it.
fn comparable_name(p: &Package) -> String {
    match p.ecosystem {
        Ecosystem::Python => crate::lang::python::normalize_name(&p.name),
        _ => p.name.clone(),
    }
}

/// Drops declared (lockfile, manifest) entries that an installed package already covers.
pub(crate) fn prefer_installed(packages: &mut Vec<Package>) {
    let installed: HashSet<(Ecosystem, String, String)> = packages
        .iter()
        .filter(|p| !p.ecosystem.is_os() && p.evidence == Evidence::Installed)
        .map(|p| (p.ecosystem, comparable_name(p), p.version.clone()))
        .collect();
    if installed.is_empty() {
        return;
    }
    packages.retain(|p| {
        !matches!(p.evidence, Evidence::Lockfile | Evidence::Manifest)
            || !installed.contains(&(p.ecosystem, comparable_name(p), p.version.clone()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str, evidence: Evidence) -> Package {
        let mut p = Package::new(Ecosystem::Python, name, version);
        p.evidence = evidence;
        p
    }

    #[test]
    fn installed_wins_and_the_rest_stays() {
        let mut all = vec![
            pkg("Jinja2", "2.10", Evidence::Installed),
            pkg("jinja2", "2.10", Evidence::Lockfile),
            pkg("httplib2", "0.11.3", Evidence::Lockfile),
            pkg("pytest", "8.0", Evidence::Lockfile),
        ];
        prefer_installed(&mut all);
        let left: Vec<(&str, Evidence)> = all.iter().map(|p| (p.name.as_str(), p.evidence)).collect();
        assert_eq!(
            left,
            [("Jinja2", Evidence::Installed), ("httplib2", Evidence::Lockfile), ("pytest", Evidence::Lockfile)]
        );
    }
}
