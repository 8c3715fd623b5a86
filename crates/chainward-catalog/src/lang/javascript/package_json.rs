//! `package.json`: the name, version and licenses of an installed package (or of the
//! project itself). Read as JSON data; scripts are never looked at.

use serde_json::Value;

use super::JsError;

/// What chainward reads from a `package.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageJson {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
    /// `license` / `licenses`, in the forms npm has accepted over time.
    pub licenses: Vec<String>,
}

/// Parses a `package.json`. A file without a string `name` and `version` is not a package
/// (`Ok(None)`): npm writes such files inside packages (`{"type": "module"}`) and projects.
pub fn parse(bytes: &[u8]) -> Result<Option<PackageJson>, JsError> {
    let value: Value = super::parse_json(bytes)?;
    let Some(obj) = value.as_object() else {
        return Err(JsError::Shape { what: "package.json", expected: "a JSON object" });
    };
    let (Some(name), Some(version)) =
        (obj.get("name").and_then(Value::as_str), obj.get("version").and_then(Value::as_str))
    else {
        return Ok(None);
    };
    if name.is_empty() || version.is_empty() {
        return Ok(None);
    }
    Ok(Some(PackageJson { name: name.to_owned(), version: version.to_owned(), licenses: licenses(&value) }))
}

/// `license` as a string or a `{ "type": … }` object, or the legacy `licenses` array of
/// strings or objects (npm's package.json documentation, "license").
pub fn licenses(obj: &Value) -> Vec<String> {
    let one = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Object(o) => o.get("type").and_then(Value::as_str).map(|s| s.trim().to_owned()),
            _ => None,
        }
    };
    // `license` is a string in the spec, but lockfiles copy arrays from old manifests.
    match obj.get("license") {
        Some(Value::Array(items)) => return items.iter().filter_map(one).collect(),
        Some(v) => {
            if let Some(l) = one(v) {
                return vec![l];
            }
        }
        None => {}
    }
    match obj.get("licenses") {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_forms() {
        let p = |s: &str| parse(s.as_bytes()).unwrap().unwrap().licenses;
        assert_eq!(p(r#"{"name":"a","version":"1","license":"MIT"}"#), ["MIT"]);
        assert_eq!(p(r#"{"name":"a","version":"1","license":{"type":"ISC","url":"x"}}"#), ["ISC"]);
        assert_eq!(p(r#"{"name":"a","version":"1","licenses":[{"type":"MIT"},"Apache-2.0"]}"#), ["MIT", "Apache-2.0"]);
        assert!(p(r#"{"name":"a","version":"1"}"#).is_empty());
    }

    #[test]
    fn not_a_package() {
        assert_eq!(parse(br#"{"type":"module"}"#).unwrap(), None);
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"{").is_err());
    }
}
