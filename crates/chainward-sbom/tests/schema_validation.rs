//! The written CycloneDX and SPDX documents validate against the official schemas, and the
//! validation is real: documents that break the schema are rejected.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too: failures should be loud

mod fixture;

use chainward_model::{Ecosystem, ImageFacts, Package};
use chainward_sbom::{SbomFormat, SbomInput};
use chainward_testkit::schema::{SchemaKind, SchemaValidationError, validate_against_schema};
use serde_json::{Value, json};

fn written(format: SbomFormat, input: &SbomInput<'_>) -> Value {
    let mut out = Vec::new();
    format.write(input, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn violations(kind: SchemaKind, doc: &Value, dir: &std::path::Path) -> Vec<String> {
    match validate_against_schema(kind, doc, dir) {
        Ok(()) => Vec::new(),
        Err(SchemaValidationError::Invalid { violations }) => violations.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("validation could not run: {other} ({other:?})"),
    }
}

#[test]
fn cyclonedx_of_realistic_packages_is_valid() {
    let Some(dir) = fixture::schema_dir() else {
        return;
    };
    let facts = fixture::facts();
    let packages = fixture::packages();
    let doc = written(SbomFormat::CycloneDxJson, &fixture::input(&facts, &packages));
    assert_eq!(violations(SchemaKind::CycloneDx16, &doc, &dir), Vec::<String>::new());
    // The document is the one we think it is, not an empty shell that trivially validates.
    assert_eq!(doc["components"].as_array().unwrap().len(), packages.len() + 1);
}

#[test]
fn spdx_of_realistic_packages_is_valid() {
    let Some(dir) = fixture::schema_dir() else {
        return;
    };
    let facts = fixture::facts();
    let packages = fixture::packages();
    let doc = written(SbomFormat::SpdxJson, &fixture::input(&facts, &packages));
    assert_eq!(violations(SchemaKind::Spdx23, &doc, &dir), Vec::<String>::new());
    assert_eq!(doc["packages"].as_array().unwrap().len(), packages.len() + 2);
}

#[test]
fn documents_for_a_bare_directory_are_valid() {
    let Some(dir) = fixture::schema_dir() else {
        return;
    };
    let facts = ImageFacts { target: "dir:./rootfs".into(), ..Default::default() };
    let packages = [Package::new(Ecosystem::Apk, "busybox", "1.36.1-r29")];
    for pkgs in [&packages[..], &[]] {
        let input = fixture::input(&facts, pkgs);
        let cdx = written(SbomFormat::CycloneDxJson, &input);
        assert_eq!(violations(SchemaKind::CycloneDx16, &cdx, &dir), Vec::<String>::new());
        let spdx = written(SbomFormat::SpdxJson, &input);
        assert_eq!(violations(SchemaKind::Spdx23, &spdx, &dir), Vec::<String>::new());
    }
}

#[test]
fn cyclonedx_validator_rejects_broken_documents() {
    let Some(dir) = fixture::schema_dir() else {
        return;
    };
    let facts = fixture::facts();
    let packages = fixture::packages();
    let valid = written(SbomFormat::CycloneDxJson, &fixture::input(&facts, &packages));

    let mut nameless = valid.clone();
    nameless["components"][1].as_object_mut().unwrap().remove("name");
    let found = violations(SchemaKind::CycloneDx16, &nameless, &dir);
    assert!(found.iter().any(|v| v.contains("/components/1") && v.contains("name")), "{found:?}");

    // `license.id` is checked against the SPDX list (the `$ref` into spdx.schema.json resolves):
    // the same document passes with a listed id and fails with Debian's name for it.
    let mut listed_id = valid.clone();
    listed_id["components"][1]["licenses"] = json!([{"license": {"id": "GPL-2.0+"}}]);
    assert_eq!(violations(SchemaKind::CycloneDx16, &listed_id, &dir), Vec::<String>::new());
    let mut bad_id = valid.clone();
    bad_id["components"][1]["licenses"] = json!([{"license": {"id": "GPL-2+"}}]);
    let found = violations(SchemaKind::CycloneDx16, &bad_id, &dir);
    assert!(found.iter().any(|v| v.contains("/components/1/licenses")), "{found:?}");

    // `format: date-time` is asserted.
    let mut bad_time = valid.clone();
    bad_time["metadata"]["timestamp"] = json!("yesterday");
    assert!(!violations(SchemaKind::CycloneDx16, &bad_time, &dir).is_empty());

    let mut bad_serial = valid;
    bad_serial["serialNumber"] = json!("urn:uuid:NOT-A-UUID");
    assert!(!violations(SchemaKind::CycloneDx16, &bad_serial, &dir).is_empty());
}

#[test]
fn spdx_validator_rejects_broken_documents() {
    let Some(dir) = fixture::schema_dir() else {
        return;
    };
    let facts = fixture::facts();
    let packages = fixture::packages();
    let valid = written(SbomFormat::SpdxJson, &fixture::input(&facts, &packages));

    let mut no_id = valid.clone();
    no_id["packages"][2].as_object_mut().unwrap().remove("SPDXID");
    let found = violations(SchemaKind::Spdx23, &no_id, &dir);
    assert!(found.iter().any(|v| v.contains("/packages/2")), "{found:?}");

    let mut bad_category = valid.clone();
    bad_category["packages"][2]["externalRefs"][0]["referenceCategory"] = json!("PACKAGE_MANAGER");
    assert!(!violations(SchemaKind::Spdx23, &bad_category, &dir).is_empty());

    let mut no_creators = valid;
    no_creators["creationInfo"].as_object_mut().unwrap().remove("creators");
    assert!(!violations(SchemaKind::Spdx23, &no_creators, &dir).is_empty());
}

#[test]
fn missing_schema_files_are_an_error_not_a_pass() {
    let empty = std::env::temp_dir().join("chainward-sbom-no-schemas-here");
    let err = validate_against_schema(SchemaKind::CycloneDx16, &json!({}), &empty).unwrap_err();
    assert!(matches!(err, SchemaValidationError::ReadSchema { .. }), "{err:?}");
}

/// Every id CycloneDX 1.6 accepts as `license.id` is recognised: licenses are written as `id`
/// (and validate), exceptions are recognised after `WITH`. With the crate's own count check
/// (`license::tests`), this shows the embedded list is exactly the schema's.
#[test]
fn every_cyclonedx_license_id_is_recognised_and_written_as_id() {
    let Some(dir) = fixture::schema_dir() else {
        return;
    };
    let enum_doc: Value =
        serde_json::from_slice(&std::fs::read(dir.join("cyclonedx-1.6/spdx.schema.json")).unwrap()).unwrap();
    let ids: Vec<&str> = enum_doc["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(ids.len() > 700, "{}", ids.len());

    let facts = ImageFacts { target: "dir:.".into(), ..Default::default() };
    let mut packages = Vec::new();
    for id in &ids {
        let mut as_license = Package::new(Ecosystem::Apk, format!("l-{id}"), "1");
        // Lowercased: ids match case-insensitively and are written in canonical spelling.
        as_license.licenses = vec![id.to_ascii_lowercase()];
        let mut as_exception = Package::new(Ecosystem::Apk, format!("x-{id}"), "1");
        as_exception.licenses = vec![format!("MIT WITH {id}")];
        packages.push(as_license);
        packages.push(as_exception);
    }
    let doc = written(SbomFormat::CycloneDxJson, &fixture::input(&facts, &packages));
    assert_eq!(violations(SchemaKind::CycloneDx16, &doc, &dir), Vec::<String>::new());

    let licenses_of = |name: String| -> Value {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == json!(name))
            .map(|c| c["licenses"].clone())
            .unwrap()
    };
    let (mut as_ids, mut as_exceptions) = (0, 0);
    for id in &ids {
        let license = licenses_of(format!("l-{id}"));
        let exception = licenses_of(format!("x-{id}"));
        if license[0]["license"]["id"] == json!(id) {
            as_ids += 1;
            assert_eq!(exception[0]["license"]["name"], json!(format!("MIT WITH {id}")), "{id}");
        } else {
            as_exceptions += 1;
            assert_eq!(exception[0]["expression"], json!(format!("MIT WITH {id}")), "{id}");
            assert_eq!(license[0]["license"]["name"], json!(id.to_ascii_lowercase()), "{id}");
        }
    }
    assert_eq!((as_ids, as_exceptions), (659, 70));
}

/// Lockfile edges become CycloneDX `dependencies` and SPDX `DEPENDS_ON`, resolved within the
/// same lockfile first, and the documents stay valid. An edge to a package not listed is
/// dropped, and a package without edges gets no dependency element.
#[test]
fn lockfile_dependency_edges_are_written_and_valid() {
    let Some(dir) = fixture::schema_dir() else {
        return;
    };
    let facts = ImageFacts { target: "dir:./app".into(), ..Default::default() };
    let lock = |name: &str, version: &str, path: &str, deps: &[&str]| {
        let mut p = Package::new(Ecosystem::Npm, name, version);
        p.evidence = chainward_model::Evidence::Lockfile;
        p.locations.push(chainward_model::Location { path: path.into(), layer: None });
        p.depends_on = deps.iter().map(|d| (*d).to_owned()).collect();
        p
    };
    let packages = [
        lock("express", "4.16.0", "/app/package-lock.json", &["accepts@1.3.8", "missing@9.9.9"]),
        lock("accepts", "1.3.8", "/app/package-lock.json", &[]),
        // The same key in another project: not the one the edge means.
        lock("accepts", "1.3.8", "/other/package-lock.json", &[]),
    ];
    let input = fixture::input(&facts, &packages);
    let cdx = written(SbomFormat::CycloneDxJson, &input);
    assert_eq!(violations(SchemaKind::CycloneDx16, &cdx, &dir), Vec::<String>::new());
    let refs: Vec<(String, String)> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = c["evidence"]["occurrences"][0]["location"].as_str().unwrap_or_default().to_owned();
            (c["bom-ref"].as_str().unwrap().to_owned(), format!("{}@{}", c["name"].as_str().unwrap(), path))
        })
        .collect();
    let ref_of = |what: &str| refs.iter().find(|(_, w)| w == what).map(|(r, _)| r.clone()).unwrap();
    let express = ref_of("express@/app/package-lock.json");
    let accepts = ref_of("accepts@/app/package-lock.json");
    let deps = cdx["dependencies"].as_array().unwrap();
    let of_express: Vec<&serde_json::Value> = deps.iter().filter(|d| d["ref"] == express.as_str()).collect();
    assert_eq!(of_express.len(), 1);
    assert_eq!(of_express[0]["dependsOn"], serde_json::json!([accepts]));
    assert_eq!(deps.len(), 2, "the image's element and express's: {deps:?}");

    let spdx = written(SbomFormat::SpdxJson, &input);
    assert_eq!(violations(SchemaKind::Spdx23, &spdx, &dir), Vec::<String>::new());
    let depends: Vec<&serde_json::Value> =
        spdx["relationships"].as_array().unwrap().iter().filter(|r| r["relationshipType"] == "DEPENDS_ON").collect();
    assert_eq!(depends.len(), 1, "{depends:?}");
}
