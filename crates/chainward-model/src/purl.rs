//! Package URLs (purl-spec, PURL-TYPES.rst) for chainward's packages.
//!
//! Qualifier choices follow Syft, whose purls Grype matches on: `arch`, `distro=ID-VERSION_ID`,
//! `upstream` for the source package when it differs from the binary package, and for rpm the
//! `epoch` qualifier with `version-release` as the version (as the purl spec says for rpm).

use packageurl::PackageUrl;

use crate::{Ecosystem, Package};

/// What a purl needs to know about the distro the package came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurlContext {
    /// os-release `ID`, e.g. `debian`.
    pub distro_id: Option<String>,
    /// os-release `VERSION_ID`, e.g. `12`.
    pub distro_version: Option<String>,
}

fn namespace(eco: Ecosystem, ctx: &PurlContext) -> Option<String> {
    let id = ctx.distro_id.as_deref();
    match (eco, id) {
        // Syft and Trivy name Red Hat Enterprise Linux packages `redhat`.
        (Ecosystem::Rpm, Some("rhel")) => Some("redhat".into()),
        (_, Some(id)) if !id.is_empty() => Some(id.to_ascii_lowercase()),
        (Ecosystem::Deb, _) => Some("debian".into()),
        (Ecosystem::Apk, _) => Some("alpine".into()),
        (Ecosystem::Rpm, _) => None,
    }
}

pub(crate) fn build_purl(pkg: &Package, ctx: &PurlContext) -> String {
    let (version, epoch) = match pkg.ecosystem {
        Ecosystem::Rpm => match pkg.version.split_once(':') {
            Some((e, v)) => (v.to_owned(), Some(e.to_owned())),
            None => (pkg.version.clone(), None),
        },
        _ => (pkg.version.clone(), None),
    };
    let fallback = || format!("pkg:{}/{}@{}", pkg.ecosystem.purl_type(), pkg.name, version);
    let Ok(mut purl) = PackageUrl::new(pkg.ecosystem.purl_type(), pkg.name.as_str()) else {
        return fallback();
    };
    let mut build = || -> Result<String, packageurl::Error> {
        if let Some(ns) = namespace(pkg.ecosystem, ctx) {
            purl.with_namespace(ns)?;
        }
        if !version.is_empty() {
            purl.with_version(version.clone())?;
        }
        if let Some(arch) = pkg.arch.as_deref().filter(|a| !a.is_empty()) {
            purl.add_qualifier("arch", arch.to_owned())?;
        }
        if let Some(epoch) = &epoch {
            purl.add_qualifier("epoch", epoch.clone())?;
        }
        if let (Some(id), Some(v)) = (&ctx.distro_id, &ctx.distro_version) {
            purl.add_qualifier("distro", format!("{id}-{v}"))?;
        }
        match (pkg.ecosystem, &pkg.source, &pkg.source_rpm) {
            (Ecosystem::Rpm, _, Some(srpm)) => {
                purl.add_qualifier("upstream", srpm.clone())?;
            }
            (_, Some(src), _) if src.name != pkg.name => {
                let up = match &src.version {
                    Some(v) if *v != pkg.version => format!("{}@{}", src.name, v),
                    _ => src.name.clone(),
                };
                purl.add_qualifier("upstream", up)?;
            }
            _ => {}
        }
        Ok(purl.to_string())
    };
    build().unwrap_or_else(|_| fallback())
}

#[cfg(test)]
mod tests {
    use crate::{Ecosystem, Package, PurlContext, SourcePackage};

    fn ctx(id: &str, v: &str) -> PurlContext {
        PurlContext { distro_id: Some(id.into()), distro_version: Some(v.into()) }
    }

    #[test]
    fn deb_with_source_and_plus_sign() {
        let mut p = Package::new(Ecosystem::Deb, "libsqlite3-0", "3.34.1-3+b1");
        p.arch = Some("amd64".into());
        p.source = Some(SourcePackage { name: "sqlite3".into(), version: Some("3.34.1-3".into()) });
        assert_eq!(
            p.purl(&ctx("debian", "11")),
            "pkg:deb/debian/libsqlite3-0@3.34.1-3%2Bb1?arch=amd64&distro=debian-11&upstream=sqlite3%403.34.1-3"
        );
    }

    #[test]
    fn rpm_epoch_goes_to_qualifier() {
        let mut p = Package::new(Ecosystem::Rpm, "bash", "1:4.4.19-12.el8");
        p.arch = Some("x86_64".into());
        p.source_rpm = Some("bash-4.4.19-12.el8.src.rpm".into());
        assert_eq!(
            p.purl(&ctx("rhel", "8.8")),
            "pkg:rpm/redhat/bash@4.4.19-12.el8?arch=x86_64&distro=rhel-8.8&epoch=1&upstream=bash-4.4.19-12.el8.src.rpm"
        );
    }
}
