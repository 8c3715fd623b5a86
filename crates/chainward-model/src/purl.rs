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
        _ => None,
    }
}

/// Splits a language package's name into purl namespace and name, per PURL-TYPES:
/// npm `@scope/name`, Maven `group:artifact`, Go `host/path/module` (the last segment is
/// the name), Composer `vendor/name`; PyPI names are lowercased with `_` as `-`.
fn language_parts(eco: Ecosystem, name: &str) -> (Option<String>, String) {
    match eco {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => (Some(format!("@{scope}")), n.to_owned()),
            None => (None, name.to_owned()),
        },
        Ecosystem::Maven => match name.split_once(':') {
            Some((group, artifact)) => (Some(group.to_owned()), artifact.to_owned()),
            None => (None, name.to_owned()),
        },
        Ecosystem::Go | Ecosystem::Composer => match name.rsplit_once('/') {
            Some((ns, n)) => (Some(ns.to_owned()), n.to_owned()),
            None => (None, name.to_owned()),
        },
        Ecosystem::Python => (None, name.to_ascii_lowercase().replace('_', "-")),
        _ => (None, name.to_owned()),
    }
}

fn build_language_purl(pkg: &Package) -> String {
    let (ns, name) = language_parts(pkg.ecosystem, &pkg.name);
    let fallback = || {
        let ns = ns.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
        format!("pkg:{}/{ns}{name}@{}", pkg.ecosystem.purl_type(), pkg.version)
    };
    let build = || -> Result<String, packageurl::Error> {
        let mut purl = PackageUrl::new(pkg.ecosystem.purl_type(), name.as_str())?;
        if let Some(ns) = &ns {
            purl.with_namespace(ns.clone())?;
        }
        if !pkg.version.is_empty() {
            purl.with_version(pkg.version.clone())?;
        }
        Ok(purl.to_string())
    };
    build().unwrap_or_else(|_| fallback())
}

pub(crate) fn build_purl(pkg: &Package, ctx: &PurlContext) -> String {
    if !pkg.ecosystem.is_os() {
        return build_language_purl(pkg);
    }
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
    fn language_purls_split_namespaces_and_carry_no_distro() {
        let debian = ctx("debian", "12");
        let cases = [
            (Ecosystem::Npm, "@babel/core", "7.24.0", "pkg:npm/%40babel/core@7.24.0"),
            (Ecosystem::Npm, "lodash", "4.17.21", "pkg:npm/lodash@4.17.21"),
            (
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ),
            (Ecosystem::Go, "github.com/sirupsen/logrus", "v1.9.3", "pkg:golang/github.com/sirupsen/logrus@v1.9.3"),
            (Ecosystem::Go, "stdlib", "go1.19.8", "pkg:golang/stdlib@go1.19.8"),
            (Ecosystem::Composer, "symfony/console", "v6.4.1", "pkg:composer/symfony/console@v6.4.1"),
            (Ecosystem::Python, "Typing_Extensions", "4.12.2", "pkg:pypi/typing-extensions@4.12.2"),
            (Ecosystem::Cargo, "serde", "1.0.200", "pkg:cargo/serde@1.0.200"),
            (Ecosystem::Gem, "rails", "7.1.0", "pkg:gem/rails@7.1.0"),
            (Ecosystem::Nuget, "Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3"),
        ];
        for (eco, name, version, want) in cases {
            assert_eq!(Package::new(eco, name, version).purl(&debian), want);
        }
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
