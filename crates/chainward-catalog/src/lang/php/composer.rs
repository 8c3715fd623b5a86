//! Composer's `composer.lock` and `vendor/composer/installed.json`, read as JSON data.
//!
//! - `composer.lock`: `packages` (what production installs) and `packages-dev` (only with
//!   `--dev`, the default of `composer install` in development).
//! - `installed.json`: what is in `vendor/`. Composer 1 writes a bare array of packages;
//!   Composer 2 writes `{"packages": [...], "dev": bool, "dev-package-names": [...]}`.
//!
//! Each package entry has `name`, `version`, `license` (an array of SPDX ids, or a string in
//! old files) and `require` (an object of name → constraint; PHP writes an empty one as `[]`).

use serde_json::Value;

/// One package entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposerPackage {
    /// `vendor/name`.
    pub name: String,
    /// The version as Composer writes it (`v1.0.2`, `1.5.2`, `dev-main`).
    pub version: String,
    /// License identifiers.
    pub licenses: Vec<String>,
    /// Names in `require` that are packages (platform requirements such as `php` and
    /// `ext-json` left out).
    pub requires: Vec<String>,
    /// Listed under `packages-dev`, or in `dev-package-names`.
    pub dev: bool,
}

/// Why a Composer file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ComposerError {
    /// Not JSON (or nested deeper than serde_json's recursion limit of 128).
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not the expected shape.
    #[error("{0}")]
    Shape(&'static str),
}

/// The packages of a file, and entries that were skipped with the reason.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Packages in file order.
    pub packages: Vec<ComposerPackage>,
    /// `(index path, reason)` of entries without a usable name or version.
    pub skipped: Vec<(String, &'static str)>,
}

/// Platform requirements (PHP itself, extensions, libraries, Composer's API) are not
/// packages of the lockfile (Composer's `PlatformRepository::PLATFORM_PACKAGE_REGEX`).
fn is_platform(name: &str) -> bool {
    name == "php"
        || name.starts_with("php-")
        || name.starts_with("ext-")
        || name.starts_with("lib-")
        || name == "hhvm"
        || name.starts_with("composer-")
        || name == "composer"
}

fn entry(v: &Value, dev: bool) -> Result<ComposerPackage, &'static str> {
    let name = v.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty()).ok_or("no name")?;
    let version = v.get("version").and_then(Value::as_str).filter(|n| !n.trim().is_empty()).ok_or("no version")?;
    let licenses = match v.get("license") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let requires = match v.get("require") {
        Some(Value::Object(m)) => m.keys().filter(|k| !is_platform(k)).cloned().collect(),
        _ => Vec::new(),
    };
    Ok(ComposerPackage { name: name.to_owned(), version: version.to_owned(), licenses, requires, dev })
}

fn collect(list: &[Value], field: &str, dev: impl Fn(&str) -> bool, out: &mut Parsed) {
    for (i, v) in list.iter().enumerate() {
        let dev_flag = v.get("name").and_then(Value::as_str).is_some_and(&dev);
        match entry(v, dev_flag) {
            Ok(p) => out.packages.push(p),
            Err(reason) => out.skipped.push((format!("{field}[{i}]"), reason)),
        }
    }
}

/// Parses a `composer.lock`.
pub fn parse_lock(bytes: &[u8]) -> Result<Parsed, ComposerError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let Value::Object(map) = &doc else { return Err(ComposerError::Shape("expected a JSON object")) };
    let mut out = Parsed::default();
    for (field, dev) in [("packages", false), ("packages-dev", true)] {
        match map.get(field) {
            Some(Value::Array(list)) => collect(list, field, |_| dev, &mut out),
            None | Some(Value::Null) => {}
            Some(_) => return Err(ComposerError::Shape("`packages` and `packages-dev` must be arrays")),
        }
    }
    Ok(out)
}

/// Parses a `vendor/composer/installed.json` (Composer 1 or 2).
pub fn parse_installed(bytes: &[u8]) -> Result<Parsed, ComposerError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let mut out = Parsed::default();
    match &doc {
        Value::Array(list) => collect(list, "", |_| false, &mut out),
        Value::Object(map) => {
            let Some(Value::Array(list)) = map.get("packages") else {
                return Err(ComposerError::Shape("expected a `packages` array"));
            };
            let dev_names: Vec<&str> = match map.get("dev-package-names") {
                Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let dev_names: std::collections::HashSet<&str> = dev_names.into_iter().collect();
            collect(list, "packages", |n| dev_names.contains(n), &mut out);
        }
        _ => return Err(ComposerError::Shape("expected an array (Composer 1) or an object (Composer 2)")),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_dev_licenses_and_requires() {
        let lock = br#"{"packages":[{"name":"a/b","version":"v1.0","license":"MIT","require":{"php":">=7","ext-json":"*","c/d":"^1"}},
            {"name":"x/empty-require","version":"1.0","require":[]}],
            "packages-dev":[{"name":"c/d","version":"1.2","license":["MIT","BSD-2-Clause"]},{"version":"9"}]}"#;
        let p = parse_lock(lock).unwrap();
        let got: Vec<_> = p.packages.iter().map(|p| (p.name.as_str(), p.dev, p.requires.clone())).collect();
        assert_eq!(
            got,
            [("a/b", false, vec!["c/d".to_owned()]), ("x/empty-require", false, vec![]), ("c/d", true, vec![])]
        );
        assert_eq!(p.packages[0].licenses, ["MIT"]);
        assert_eq!(p.packages[2].licenses, ["MIT", "BSD-2-Clause"]);
        assert_eq!(p.skipped, [("packages-dev[1]".to_owned(), "no name")]);
    }

    #[test]
    fn installed_v1_v2_and_dev_names() {
        let v1 = br#"[{"name":"a/b","version":"1.0"}]"#;
        assert_eq!(parse_installed(v1).unwrap().packages.len(), 1);
        let v2 = br#"{"packages":[{"name":"a/b","version":"1.0"},{"name":"t/phpunit","version":"9.0"}],
            "dev":true,"dev-package-names":["t/phpunit"]}"#;
        let p = parse_installed(v2).unwrap();
        assert_eq!(p.packages.iter().map(|p| p.dev).collect::<Vec<_>>(), [false, true]);
        assert!(matches!(parse_installed(b"{\"x\":1}"), Err(ComposerError::Shape(_))));
        assert!(matches!(parse_installed(b"\"s\""), Err(ComposerError::Shape(_))));
        assert!(matches!(parse_lock(b"[1"), Err(ComposerError::Json(_))));
    }
}
