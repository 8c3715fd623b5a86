//! `Pipfile.lock`: a JSON object whose sections map names to `{"version": "==X", ...}`.
//! `default` holds the `[packages]` of the Pipfile, `develop` its `[dev-packages]`; other
//! sections are pipenv's custom package categories (not dev). `_meta` is not a section.
//!
//! The lock file records no dependency edges and no direct/indirect split. Entries without a
//! version (VCS, path or editable requirements) name no release and are left out, as Trivy
//! and Syft do.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::lockfile::{Entry, LockfileError, Notes, Parsed, finish, from_json, shorten, text};

/// The sections in file order, each with its entries' `version` fields. Read by visitors
/// rather than into `serde_json::Value`: everything else (hashes, `_meta`) is skipped as it
/// streams by, so memory follows the packages, not the file's JSON tree.
struct Lock(Vec<(String, Section)>);

/// A section: entries in file order, or `None` when the section is not an object.
struct Section(Option<Vec<(String, Spec)>>);

/// An entry's version: `Missing` (a VCS or path entry), `NotAString`, or the string.
enum Spec {
    Missing,
    NotAString,
    NotAnObject,
    Version(String),
}

impl<'de> serde::Deserialize<'de> for Lock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lock;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Pipfile.lock object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lock, A::Error> {
                let mut sections = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "_meta" {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        let section = map.next_value::<Section>()?;
                        sections.push((key, section));
                    }
                }
                Ok(Lock(sections))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> serde::Deserialize<'de> for Section {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Section;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a section of packages")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Section, A::Error> {
                let mut entries = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    entries.push((name, map.next_value::<Spec>()?));
                }
                Ok(Section(Some(entries)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Section, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Section(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Section, E> {
                Ok(Section(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Section, E> {
                Ok(Section(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Section, E> {
                Ok(Section(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Section, E> {
                Ok(Section(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Section, E> {
                Ok(Section(None))
            }
            fn visit_unit<E>(self) -> Result<Section, E> {
                Ok(Section(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> serde::Deserialize<'de> for Spec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Spec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a package entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spec, A::Error> {
                let mut spec = Spec::Missing;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "version" {
                        spec = match map.next_value::<serde_json::Value>()? {
                            serde_json::Value::String(v) => Spec::Version(v),
                            _ => Spec::NotAString,
                        };
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(spec)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Spec, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Spec::NotAnObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Spec, E> {
                Ok(Spec::NotAnObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Spec, E> {
                Ok(Spec::NotAnObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Spec, E> {
                Ok(Spec::NotAnObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Spec, E> {
                Ok(Spec::NotAnObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Spec, E> {
                Ok(Spec::NotAnObject)
            }
            fn visit_unit<E>(self) -> Result<Spec, E> {
                Ok(Spec::NotAnObject)
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a `Pipfile.lock`.
pub fn parse(bytes: &[u8]) -> Result<Parsed, LockfileError> {
    let Lock(mut sections) = from_json(text(bytes)?)?;
    // `default` first, so that the file's order of packages is kept for prod packages.
    sections.sort_by_key(|(name, _)| name != "default");
    let mut notes = Notes::default();
    let mut entries = Vec::new();
    for (section, Section(packages)) in sections {
        let Some(packages) = packages else {
            notes.push(format!("{} is not an object; skipped", shorten(&section)));
            continue;
        };
        for (name, spec) in packages {
            let version = match spec {
                Spec::Version(v) => v,
                Spec::Missing => continue,
                Spec::NotAString => {
                    notes.push(format!("{}.{}.version is not a string; skipped", shorten(&section), shorten(&name)));
                    continue;
                }
                Spec::NotAnObject => {
                    notes.push(format!("{}.{} is not an object; skipped", shorten(&section), shorten(&name)));
                    continue;
                }
            };
            let version = version.trim().trim_start_matches("==").trim();
            if version.is_empty() || version == "*" {
                continue;
            }
            let mut e = Entry::new(name, version.to_owned());
            e.dev = section == "develop";
            entries.push(e);
        }
    }
    Ok(finish(entries, notes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn develop_is_dev_unless_also_default_and_vcs_entries_are_left_out() {
        let lock = br#"{
  "_meta": {"hash": {"sha256": "x"}},
  "default": {"requests": {"version": "==2.32.0"}, "mylib": {"git": "https://x/y.git", "ref": "abc"}},
  "develop": {"pytest": {"version": "==8.0.0"}, "Requests": {"version": "==2.32.0"}},
  "docs": {"sphinx": {"version": "==7.0"}}
}"#;
        let parsed = parse(lock).unwrap();
        let got: Vec<(&str, &str, bool)> =
            parsed.packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.dev)).collect();
        assert_eq!(got, [("requests", "2.32.0", false), ("pytest", "8.0.0", true), ("sphinx", "7.0", false)]);
        assert!(parsed.notes.is_empty());
    }

    #[test]
    fn malformed_sections_are_noted_and_the_rest_read() {
        let parsed =
            parse(br#"{"default": {"a": 1, "b": {"version": 2}, "c": {"version": "==1"}}, "develop": []}"#).unwrap();
        assert_eq!(parsed.packages.len(), 1);
        assert_eq!(parsed.notes.len(), 3, "{:?}", parsed.notes);
        assert!(matches!(parse(b"[]"), Err(LockfileError::Json { .. })));
    }
}
