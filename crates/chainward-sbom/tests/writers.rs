//! What the writers write: snapshots of all three formats for realistic packages, determinism,
//! identifier rules, license handling and errors.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too: failures should be loud

mod fixture;

use std::collections::HashSet;
use std::io;

use chainward_sbom::chainward_json::{self, Document};
use chainward_sbom::{SbomError, SbomFormat, SbomInput};
use serde_json::{Value, json};

const FORMATS: [SbomFormat; 3] = [SbomFormat::CycloneDxJson, SbomFormat::SpdxJson, SbomFormat::ChainwardJson];

fn text(format: SbomFormat, input: &SbomInput<'_>) -> String {
    let mut out = Vec::new();
    format.write(input, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn json_of(format: SbomFormat, input: &SbomInput<'_>) -> Value {
    serde_json::from_str(&text(format, input)).unwrap()
}

fn component<'v>(bom: &'v Value, name: &str) -> Vec<&'v Value> {
    bom["components"].as_array().unwrap().iter().filter(|c| c["name"] == json!(name)).collect()
}

fn spdx_package<'v>(doc: &'v Value, name: &str) -> &'v Value {
    doc["packages"].as_array().unwrap().iter().find(|p| p["name"] == json!(name)).unwrap()
}

#[test]
fn snapshots() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    let input = fixture::input(&facts, &packages);
    insta::assert_snapshot!("cyclonedx", text(SbomFormat::CycloneDxJson, &input));
    insta::assert_snapshot!("spdx", text(SbomFormat::SpdxJson, &input));
    insta::assert_snapshot!("chainward", text(SbomFormat::ChainwardJson, &input));
}

#[test]
fn output_is_a_function_of_the_input_not_of_package_order() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    let mut reversed = packages.clone();
    reversed.reverse();
    // Includes the two same-purl `login` entries, told apart by their evidence locations.
    for format in FORMATS {
        let a = text(format, &fixture::input(&facts, &packages));
        let b = text(format, &fixture::input(&facts, &packages));
        let c = text(format, &fixture::input(&facts, &reversed));
        assert_eq!(a, b, "{format:?} differs between two runs");
        assert_eq!(a, c, "{format:?} depends on package order");
        assert!(a.ends_with("}\n"), "{format:?} ends with a newline");
    }
}

#[test]
fn cyclonedx_document_shape() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    let bom = json_of(SbomFormat::CycloneDxJson, &fixture::input(&facts, &packages));

    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["serialNumber"], "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
    assert_eq!(bom["metadata"]["timestamp"], fixture::TIMESTAMP);
    assert_eq!(bom["metadata"]["tools"]["components"][0]["name"], "chainward");

    let image = &bom["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["name"], "docker.io/library/ubuntu:18.04");
    assert_eq!(image["version"], format!("sha256:{}", "a".repeat(64)));
    assert_eq!(
        image["purl"],
        format!(
            "pkg:oci/ubuntu@sha256:{}?arch=amd64&repository_url=docker.io%2Flibrary%2Fubuntu&tag=18.04",
            "a".repeat(64)
        )
    );
    assert_eq!(image["bom-ref"], image["purl"]);

    let os = &bom["components"][0];
    assert_eq!(
        (os["type"].as_str(), os["name"].as_str(), os["version"].as_str()),
        (Some("operating-system"), Some("ubuntu"), Some("18.04"))
    );

    // bom-refs are unique, and the second `login` (same purl) got a suffix.
    let mut refs = HashSet::new();
    for c in bom["components"].as_array().unwrap() {
        assert!(refs.insert(c["bom-ref"].as_str().unwrap().to_owned()), "duplicate {}", c["bom-ref"]);
    }
    let logins = component(&bom, "login");
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0]["purl"], logins[1]["purl"]);
    assert_eq!(logins[1]["bom-ref"], format!("{}|2", logins[0]["purl"].as_str().unwrap()));

    // The image depends on the OS and every package; nothing else claims to know its deps.
    let deps = bom["dependencies"].as_array().unwrap();
    assert_eq!(deps.len(), 1);
    assert_eq!(deps[0]["ref"], image["bom-ref"]);
    let depends_on: Vec<&Value> = deps[0]["dependsOn"].as_array().unwrap().iter().collect();
    let all_refs: Vec<&Value> = bom["components"].as_array().unwrap().iter().map(|c| &c["bom-ref"]).collect();
    assert_eq!(depends_on, all_refs);
}

#[test]
fn cyclonedx_package_details() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    let bom = json_of(SbomFormat::CycloneDxJson, &fixture::input(&facts, &packages));

    let bsdutils = component(&bom, "bsdutils")[0];
    assert_eq!(bsdutils["version"], "1:2.31.1-0.4ubuntu3.1");
    assert_eq!(bsdutils["supplier"]["name"], "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>");
    // `GPL-2+` is Debian's name, not SPDX: kept as a name; the duplicate is dropped; the SPDX
    // id in Debian's lowercase spelling is written canonically.
    assert_eq!(
        bsdutils["licenses"],
        json!([
            {"license": {"name": "GPL-2+", "acknowledgement": "declared"}},
            {"license": {"id": "BSD-4-Clause", "acknowledgement": "declared"}},
            {"license": {"name": "public-domain", "acknowledgement": "declared"}},
        ])
    );
    let props: Vec<(String, String)> = bsdutils["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["value"].as_str().unwrap().to_owned()))
        .collect();
    let prop = |name: &str| props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(prop("chainward:package:type"), Some("deb"));
    assert_eq!(prop("chainward:package:source-name"), Some("util-linux"));
    assert_eq!(prop("chainward:package:source-version"), Some("2.31.1-0.4ubuntu3.1"));
    assert_eq!(prop("chainward:location:0:path"), Some("/var/lib/dpkg/status"));
    assert_eq!(prop("chainward:location:0:layer"), Some(fixture::layer_bottom().to_string().as_str()));
    assert_eq!(prop("chainward:location:0:layer-diff-id"), Some(format!("sha256:{}", "d".repeat(64)).as_str()));
    assert_eq!(bsdutils["evidence"]["occurrences"], json!([{"location": "/var/lib/dpkg/status"}]));

    let zstd = component(&bom, "libzstd1")[0];
    assert_eq!(
        zstd["licenses"],
        json!([{"expression": "(BSD-3-Clause OR GPL-2.0-only) AND Zlib", "acknowledgement": "declared"}])
    );
    assert!(zstd["purl"].as_str().unwrap().contains("@1.3.3%2Bdfsg-2ubuntu1"), "{}", zstd["purl"]);

    let gcc = component(&bom, "libstdc++6")[0];
    assert_eq!(gcc["licenses"][0]["expression"], "GPL-3.0-or-later WITH GCC-exception-3.1");

    let openssl = component(&bom, "openssl-libs")[0];
    assert_eq!(
        openssl["licenses"],
        json!([{"license": {"name": "OpenSSL and ASL 2.0", "acknowledgement": "declared"}}])
    );
    assert!(openssl["purl"].as_str().unwrap().contains("epoch=1"), "{}", openssl["purl"]);

    let musl = component(&bom, "musl-utils")[0];
    assert_eq!(musl["licenses"][0]["expression"], "MIT AND BSD-2-Clause AND GPL-2.0-or-later");
}

#[test]
fn spdx_document_shape() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    let doc = json_of(SbomFormat::SpdxJson, &fixture::input(&facts, &packages));

    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "docker.io/library/ubuntu:18.04");
    assert_eq!(
        doc["documentNamespace"],
        "https://spdx.org/spdxdocs/chainward-docker.io-library-ubuntu-18.04-3e671687-395b-41f5-a30f-a58921a69b79"
    );
    // §6.9: UTC with `Z`; the input was +02:00.
    assert_eq!(doc["creationInfo"]["created"], "2024-05-01T12:30:00Z");
    assert_eq!(doc["creationInfo"]["creators"], json!(["Tool: chainward-0.1.0"]));

    // SPDXIDs: unique, idstring only (§3.2), and every relationship names existing elements.
    let mut ids = HashSet::from(["SPDXRef-DOCUMENT".to_owned()]);
    for p in doc["packages"].as_array().unwrap() {
        let id = p["SPDXID"].as_str().unwrap();
        let idstring = id.strip_prefix("SPDXRef-").unwrap();
        assert!(idstring.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'), "{id}");
        assert!(ids.insert(id.to_owned()), "duplicate {id}");
    }
    assert!(ids.contains("SPDXRef-Package-deb-libstdc--6-1"));
    assert!(ids.contains("SPDXRef-Package-deb-login-1") && ids.contains("SPDXRef-Package-deb-login-2"));

    let relationships = doc["relationships"].as_array().unwrap();
    for r in relationships {
        assert!(ids.contains(r["spdxElementId"].as_str().unwrap()), "{r}");
        assert!(ids.contains(r["relatedSpdxElement"].as_str().unwrap()), "{r}");
    }
    assert_eq!(
        relationships[0],
        json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"})
    );
    let contained: usize = relationships
        .iter()
        .filter(|r| r["spdxElementId"] == "SPDXRef-Image" && r["relationshipType"] == "CONTAINS")
        .count();
    assert_eq!(contained, packages.len() + 1, "every package and the OS");

    let image = spdx_package(&doc, "docker.io/library/ubuntu:18.04");
    assert_eq!(image["primaryPackagePurpose"], "CONTAINER");
    let image_purl = image["externalRefs"][0]["referenceLocator"].as_str().unwrap();
    assert!(image_purl.starts_with("pkg:oci/ubuntu@"), "{image_purl}");
}

#[test]
fn spdx_package_details_and_licenses() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    let doc = json_of(SbomFormat::SpdxJson, &fixture::input(&facts, &packages));

    let bsdutils = spdx_package(&doc, "bsdutils");
    assert_eq!(bsdutils["versionInfo"], "1:2.31.1-0.4ubuntu3.1");
    assert_eq!(bsdutils["downloadLocation"], "NOASSERTION");
    assert_eq!(bsdutils["filesAnalyzed"], false);
    assert_eq!(bsdutils["licenseConcluded"], "NOASSERTION");
    assert_eq!(bsdutils["licenseDeclared"], "LicenseRef-GPL-2-plus AND BSD-4-Clause AND LicenseRef-public-domain");
    assert_eq!(bsdutils["supplier"], "Organization: Ubuntu Developers (ubuntu-devel-discuss@lists.ubuntu.com)");
    assert_eq!(bsdutils["sourceInfo"], "built from source package util-linux 2.31.1-0.4ubuntu3.1");
    assert_eq!(
        bsdutils["externalRefs"],
        json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": bsdutils["externalRefs"][0]["referenceLocator"].clone(),
        }])
    );
    assert!(bsdutils["externalRefs"][0]["referenceLocator"].as_str().unwrap().starts_with("pkg:deb/ubuntu/bsdutils@"));

    assert_eq!(spdx_package(&doc, "libzstd1")["licenseDeclared"], "(BSD-3-Clause OR GPL-2.0-only) AND Zlib");
    assert_eq!(spdx_package(&doc, "libuuid1")["licenseDeclared"], "BSD-3-Clause AND MIT");
    assert_eq!(spdx_package(&doc, "openssl-libs")["licenseDeclared"], "LicenseRef-OpenSSL-and-ASL-2.0");
    assert_eq!(
        spdx_package(&doc, "openssl-libs")["sourceInfo"],
        "built from source rpm openssl-1.1.1k-12.el8_9.src.rpm"
    );
    assert_eq!(spdx_package(&doc, "openssl-libs")["supplier"], "Organization: Red Hat, Inc.");
    assert_eq!(spdx_package(&doc, "tzdata")["licenseDeclared"], "LicenseRef-Fedora-Public-Domain");
    assert_eq!(spdx_package(&doc, "tzdata")["supplier"], "NOASSERTION");

    // Every LicenseRef used is declared exactly once, with the recorded text.
    let extracted = doc["hasExtractedLicensingInfos"].as_array().unwrap();
    let declared: Vec<&str> = extracted.iter().map(|e| e["licenseId"].as_str().unwrap()).collect();
    assert_eq!(
        declared,
        vec![
            "LicenseRef-Fedora-Public-Domain",
            "LicenseRef-GPL-2-plus",
            "LicenseRef-OpenSSL-and-ASL-2.0",
            "LicenseRef-public-domain",
        ]
    );
    let gpl2 = extracted.iter().find(|e| e["licenseId"] == "LicenseRef-GPL-2-plus").unwrap();
    assert_eq!(gpl2["extractedText"], "GPL-2+");
    assert_eq!(gpl2["name"], "GPL-2+");
    for p in doc["packages"].as_array().unwrap() {
        let declared_expr = p["licenseDeclared"].as_str().unwrap();
        for word in declared_expr.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if word.starts_with("LicenseRef-") {
                assert!(declared.contains(&word), "{word} used by {} but not declared", p["name"]);
            }
        }
    }
}

#[test]
fn chainward_json_is_sorted_complete_and_reads_back() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    let written = text(SbomFormat::ChainwardJson, &fixture::input(&facts, &packages));
    let doc: Document = serde_json::from_str(&written).unwrap();
    assert_eq!(doc.schema, chainward_json::SCHEMA);
    assert_eq!(doc.packages.len(), packages.len());
    let keys: Vec<(String, String, String, Option<String>)> =
        doc.packages.iter().map(|p| (p.kind.clone(), p.name.clone(), p.version.clone(), p.arch.clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(doc.packages[0].kind, "apk");
    assert_eq!(doc.image.layers.len(), 2);
    assert_eq!(doc.os.as_ref().unwrap().codename.as_deref(), Some("bionic"));
    // Unknown facts are explicit nulls, not missing keys.
    let raw: Value = serde_json::from_str(&written).unwrap();
    let musl = raw["packages"].as_array().unwrap().iter().find(|p| p["name"] == "musl-utils").unwrap();
    assert_eq!(musl["source"], json!({"name": "musl", "version": null}));
    assert!(musl.as_object().unwrap().contains_key("source_rpm"));
    assert_eq!(musl["source_rpm"], Value::Null);
    // Licenses are as recorded, not normalised.
    let bsdutils = doc.packages.iter().find(|p| p.name == "bsdutils").unwrap();
    assert_eq!(bsdutils.licenses, vec!["GPL-2+", "BSD-4-clause", "public-domain", "GPL-2+"]);
}

#[test]
fn bad_timestamp_and_serial_are_typed_errors() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    for format in FORMATS {
        let mut input = fixture::input(&facts, &packages);
        input.timestamp = "1 May 2024".into();
        let err = format.write(&input, &mut Vec::new()).unwrap_err();
        assert!(matches!(&err, SbomError::InvalidTimestamp { value } if value == "1 May 2024"), "{err:?}");
        let mut input = fixture::input(&facts, &packages);
        input.serial = "1234".into();
        let err = format.write(&input, &mut Vec::new()).unwrap_err();
        assert!(matches!(&err, SbomError::InvalidSerial { value } if value == "1234"), "{err:?}");
    }
}

struct ClosedPipe;

impl io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_pipe_is_an_io_error_with_its_kind() {
    let facts = fixture::facts();
    let packages = fixture::packages();
    for format in FORMATS {
        let err = format.write(&fixture::input(&facts, &packages), &mut ClosedPipe).unwrap_err();
        assert!(matches!(&err, SbomError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe), "{format:?}: {err:?}");
    }
}
