//! rpm headers as chainward packages.

use chainward_model::{Ecosystem, Package, SourcePackage};

use super::RpmHeader;

/// Maps a header to a [`Package`] of the rpm ecosystem.
///
/// - `version` is `[epoch:]version-release`, the string rpm's version comparison takes
///   (the purl moves the epoch into its `epoch` qualifier);
/// - `source_rpm` is `SOURCERPM`, and `source` is parsed from it when it has the
///   `name-version-release.src.rpm` shape. The file name carries no epoch, so the source
///   version is `version-release` only;
/// - `licenses` is `[LICENSE]` and `supplier` is `VENDOR`, each when non-empty.
///
/// ```
/// use chainward_catalog::os::rpm::{to_package, RpmHeader};
/// let h = RpmHeader {
///     name: "libuuid".into(),
///     epoch: None,
///     version: "2.32.1".into(),
///     release: "42.el8_8".into(),
///     arch: Some("x86_64".into()),
///     source_rpm: Some("util-linux-2.32.1-42.el8_8.src.rpm".into()),
///     license: Some("BSD".into()),
///     vendor: Some("Red Hat, Inc.".into()),
/// };
/// let p = to_package(&h);
/// assert_eq!(p.version, "2.32.1-42.el8_8");
/// assert_eq!(p.source.unwrap().name, "util-linux");
/// ```
pub fn to_package(h: &RpmHeader) -> Package {
    let version = match h.epoch {
        Some(epoch) => format!("{epoch}:{}-{}", h.version, h.release),
        None => format!("{}-{}", h.version, h.release),
    };
    let non_empty = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let mut pkg = Package::new(Ecosystem::Rpm, h.name.clone(), version);
    pkg.arch = non_empty(&h.arch);
    pkg.source_rpm = non_empty(&h.source_rpm);
    pkg.source = pkg.source_rpm.as_deref().and_then(parse_source_rpm);
    pkg.licenses = non_empty(&h.license).into_iter().collect();
    pkg.supplier = non_empty(&h.vendor);
    pkg
}

/// The source package named by a source rpm file name, `name-version-release.src.rpm`
/// (or `.nosrc.rpm`, rpm's name for source packages without sources). The name may
/// contain `-`, the version and release may not (rpm forbids it in both).
///
/// ```
/// use chainward_catalog::os::rpm::parse_source_rpm;
/// let src = parse_source_rpm("gcc11-11.2.1+git610-1.3.9.src.rpm").unwrap();
/// assert_eq!((src.name.as_str(), src.version.as_deref()), ("gcc11", Some("11.2.1+git610-1.3.9")));
/// assert_eq!(parse_source_rpm("(none)"), None);
/// ```
pub fn parse_source_rpm(file_name: &str) -> Option<SourcePackage> {
    let stem = file_name.strip_suffix(".src.rpm").or_else(|| file_name.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some(SourcePackage { name: name.to_owned(), version: Some(format!("{version}-{release}")) })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
mod tests {
    use chainward_model::PurlContext;

    use super::*;

    fn header() -> RpmHeader {
        RpmHeader {
            name: "dive".into(),
            epoch: None,
            version: "0.9.2".into(),
            release: "1".into(),
            arch: Some("x86_64".into()),
            source_rpm: Some("dive-0.9.2-1.src.rpm".into()),
            license: Some("MIT".into()),
            vendor: Some(String::new()),
        }
    }

    #[test]
    fn maps_fields_and_purl() {
        let p = to_package(&header());
        assert_eq!(p.ecosystem, Ecosystem::Rpm);
        assert_eq!(p.version, "0.9.2-1");
        assert_eq!(p.licenses, ["MIT"]);
        assert_eq!(p.supplier, None);
        assert_eq!(p.source, Some(SourcePackage { name: "dive".into(), version: Some("0.9.2-1".into()) }));
        assert_eq!(p.purl(&PurlContext::default()), "pkg:rpm/dive@0.9.2-1?arch=x86_64&upstream=dive-0.9.2-1.src.rpm");
    }

    #[test]
    fn epoch_is_part_of_the_version() {
        let mut h = header();
        h.epoch = Some(0);
        assert_eq!(to_package(&h).version, "0:0.9.2-1");
        h.epoch = Some(2);
        let p = to_package(&h);
        assert_eq!(p.rpm_epoch(), Some("2"));
        assert!(p.purl(&PurlContext::default()).contains("epoch=2"));
    }

    #[test]
    fn empty_optional_fields_are_left_out() {
        let mut h = header();
        h.arch = Some(String::new());
        h.source_rpm = None;
        h.license = Some(String::new());
        let p = to_package(&h);
        assert_eq!((p.arch, p.source, p.source_rpm, p.licenses.len()), (None, None, None, 0));
    }

    #[test]
    fn source_rpm_names() {
        for bad in
            ["", ".src.rpm", "a.src.rpm", "a-1.src.rpm", "-1-2.src.rpm", "a--2.src.rpm", "a-1-.src.rpm", "a-1-2.rpm"]
        {
            assert_eq!(parse_source_rpm(bad), None, "{bad}");
        }
        let s = parse_source_rpm("perl-Text-Tabs+Wrap-2013.0523-395.el8.nosrc.rpm").unwrap();
        assert_eq!(s.name, "perl-Text-Tabs+Wrap");
        assert_eq!(s.version.as_deref(), Some("2013.0523-395.el8"));
    }
}
