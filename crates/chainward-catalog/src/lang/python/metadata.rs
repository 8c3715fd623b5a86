//! Core metadata of an installed Python distribution: `*.dist-info/METADATA` (wheels),
//! `*.egg-info/PKG-INFO` and the single-file `*.egg-info` (eggs and `setup.py install`).
//!
//! The format is RFC 822 headers (a `Name: value` per line, continuation lines start with
//! whitespace) followed by a blank line and the description, which is never read. Parsed as
//! text: nothing in the file is evaluated.

/// What a metadata file says about its distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `Name`, as written (PEP 503 normalisation is for comparing, not for showing).
    pub name: String,
    /// `Version`.
    pub version: String,
    /// Licenses, from the first of: `License-Expression` (PEP 639), `License` (when not
    /// empty), the `License ::` classifiers (their last segment), `License-File` (as a
    /// `file://NAME` reference, as Trivy reports it when the text is not at hand).
    pub licenses: Vec<String>,
}

/// Why a metadata file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// A header the file must have is missing or empty.
    #[error("no {0} header")]
    Missing(&'static str),
    /// The headers are not text.
    #[error("the headers are not UTF-8 text (byte {offset})")]
    NotText {
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

/// Parses the headers of a METADATA or PKG-INFO file.
pub fn parse(bytes: &[u8]) -> Result<Metadata, MetadataError> {
    let headers = header_block(bytes);
    let text = std::str::from_utf8(headers).map_err(|e| MetadataError::NotText { offset: e.valid_up_to() })?;
    let mut fields: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            // A continuation of the previous header's value.
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            fields.push((key.trim(), value.trim().to_owned()));
        }
    }
    let first = |key: &str| {
        fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    };
    let name = first("Name").ok_or(MetadataError::Missing("Name"))?.to_owned();
    let version = first("Version").ok_or(MetadataError::Missing("Version"))?.to_owned();

    let licenses = if let Some(expr) = first("License-Expression") {
        vec![expr.to_owned()]
    } else if let Some(license) = first("License") {
        vec![license.to_owned()]
    } else {
        let classifiers: Vec<String> = fields
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Classifier"))
            .filter_map(|(_, v)| {
                let parts: Vec<&str> = v.split("::").map(str::trim).collect();
                // `License :: OSI Approved` alone names no license.
                match parts.as_slice() {
                    ["License", "OSI Approved"] | ["License"] => None,
                    ["License", .., last] => Some((*last).to_owned()),
                    _ => None,
                }
            })
            .collect();
        if classifiers.is_empty() {
            first("License-File").map(|f| vec![format!("file://{f}")]).unwrap_or_default()
        } else {
            classifiers
        }
    };
    Ok(Metadata { name, version, licenses })
}

/// The bytes before the first blank line (the description, which can be large and in any
/// encoding, is not looked at).
fn header_block(bytes: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| start + i);
        let line = &bytes[start..end];
        if line.strip_suffix(b"\r").unwrap_or(line).is_empty() {
            return &bytes[..start];
        }
        start = end + 1;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_version_and_the_license_in_order_of_preference() {
        let m = parse(b"Metadata-Version: 2.1\nName: simple \nVersion: 0.1.0\n\nDescription body: ignored\n").unwrap();
        assert_eq!((m.name.as_str(), m.version.as_str(), m.licenses.len()), ("simple", "0.1.0", 0));
        let m = parse(b"Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: BSD\n").unwrap();
        assert_eq!(m.licenses, ["MIT OR Apache-2.0"]);
        let m = parse(b"Name: a\nVersion: 1\nLicense: \nClassifier: License :: OSI Approved :: MIT License\n").unwrap();
        assert_eq!(m.licenses, ["MIT License"]);
        let m =
            parse(b"Name: a\nVersion: 1\nClassifier: License :: OSI Approved\nLicense-File: LICENSE.txt\n").unwrap();
        assert_eq!(m.licenses, ["file://LICENSE.txt"]);
    }

    #[test]
    fn continuation_lines_and_crlf() {
        let m = parse(b"Name: a\r\nVersion: 2\r\nLicense: first line\r\n        second line\r\n\r\nbody").unwrap();
        assert_eq!(m.licenses, ["first line second line"]);
        assert_eq!(m.version, "2");
    }

    #[test]
    fn bad_input_is_an_error_naming_what_is_wrong() {
        assert_eq!(parse(b"Version: 1\n"), Err(MetadataError::Missing("Name")));
        assert_eq!(parse(b"Name: a\nVersion:\n"), Err(MetadataError::Missing("Version")));
        assert_eq!(parse(b"Name: \xff\nVersion: 1\n"), Err(MetadataError::NotText { offset: 6 }));
        // Invalid bytes in the description do not matter.
        assert!(parse(b"Name: a\nVersion: 1\n\n\xff\xfe").is_ok());
    }
}
