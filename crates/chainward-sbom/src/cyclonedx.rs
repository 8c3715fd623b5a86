//! CycloneDX 1.6, JSON encoding (<https://cyclonedx.org/docs/1.6/json/>).
//!
//! The document:
//! - `metadata.component` is the image, `type: container`: named by its reference (else the
//!   target), versioned by its manifest digest, with a `pkg:oci` purl when reference and digest
//!   are known, and `chainward:image:*` properties for the rest of [`ImageFacts`].
//! - `components` holds one `operating-system` component for the detected OS (name = os-release
//!   `ID`, version = `VERSION_ID`), then one `library` component per package, as Trivy writes OS
//!   packages. Each package's `bom-ref` is its purl; a second package with the same purl gets
//!   `<purl>|2` (then `|3`, …): `|` is percent-encoded inside a purl, so such a ref never equals
//!   another package's purl.
//! - Package details CycloneDX has no field for are `chainward:`-namespaced properties (like
//!   Trivy's `aquasecurity:trivy:`): `chainward:package:type`, `chainward:package:arch`,
//!   `chainward:package:source-name`, `chainward:package:source-version`,
//!   `chainward:package:source-rpm`, and per evidence location `N` (from 0)
//!   `chainward:location:N:path`, `chainward:location:N:layer` (the layer blob digest) and
//!   `chainward:location:N:layer-diff-id`. The paths are also `evidence.occurrences` (§ component
//!   evidence), the standard place for them.
//! - `dependencies` (§ dependency graph): the image depends on the OS component and on every
//!   package. Packages get no entry of their own: CycloneDX reads an empty `dependsOn` as "has
//!   no dependencies", which we do not know; an entry appears once a package edge is known.
//!
//! Licenses (§ license choice, which allows *either* a list of licenses *or* one expression):
//! - a listed SPDX id (matched case-insensitively) is `{"license": {"id": "<canonical id>"}}`;
//!   `license.id` is validated against the SPDX list, so nothing else ever goes there;
//! - one recorded string that is another valid SPDX expression (`MIT AND BSD-3-Clause`,
//!   `Apache-2.0+`) is `{"expression": "…"}`; several that are all valid are joined with `AND`
//!   into one expression (repeated terms once), as SPDX's `licenseDeclared` must be;
//! - otherwise (some string is not SPDX, e.g. Debian's `GPL-2+`) every string is listed: SPDX ids
//!   as `id`, everything else as `{"license": {"name": "<text as recorded>"}}`.
//!
//! All licenses carry `acknowledgement: declared`: they come from package metadata, nobody
//! concluded them.

use std::collections::{BTreeMap, HashSet};

use chainward_model::ImageFacts;
use serde::Serialize;

use crate::input::{Entry, Prepared};
use crate::license::{self, Expression, License};
use crate::oci_purl::image_purl;
use crate::{SbomError, SbomInput, write_json};

/// The `$schema` CycloneDX 1.6 documents name.
const SCHEMA_URL: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// Writes `input` as a CycloneDX 1.6 JSON document to `out`.
pub fn write(input: &SbomInput<'_>, out: &mut impl std::io::Write) -> Result<(), SbomError> {
    let prepared = Prepared::new(input)?;
    write_json(&bom(&prepared), out)
}

#[derive(Serialize)]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

/// CycloneDX 1.5+ `tools` object form (the array form is deprecated).
#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Supplier>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
}

#[derive(Serialize)]
struct Supplier {
    name: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License { license: LicenseObject },
    Expression { expression: String, acknowledgement: &'static str },
}

#[derive(Serialize)]
struct LicenseObject {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    acknowledgement: &'static str,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Evidence {
    occurrences: Vec<Occurrence>,
}

#[derive(Serialize)]
struct Occurrence {
    location: String,
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// Hands out `bom-ref`s, unique within the document as CycloneDX requires.
#[derive(Default)]
struct BomRefs {
    used: HashSet<String>,
}

impl BomRefs {
    fn claim(&mut self, base: String) -> String {
        if self.used.insert(base.clone()) {
            return base;
        }
        let mut n = 2u64;
        loop {
            let candidate = format!("{base}|{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

fn property(name: impl Into<String>, value: impl Into<String>) -> Property {
    Property { name: name.into(), value: value.into() }
}

fn bom(p: &Prepared<'_>) -> Bom {
    let mut refs = BomRefs::default();
    let image = image_component(p, &mut refs);
    let image_ref = image.bom_ref.clone().unwrap_or_default();
    let os = p.facts.os.as_ref().map(|os| {
        let base = match &os.version_id {
            Some(v) => format!("os:{}@{v}", os.id),
            None => format!("os:{}", os.id),
        };
        Component {
            bom_ref: Some(refs.claim(base)),
            kind: "operating-system",
            name: os.id.clone(),
            version: os.version_id.clone(),
            description: os.pretty_name.clone(),
            properties: os.codename.iter().map(|c| property("chainward:os:codename", c.clone())).collect(),
            evidence: (!os.evidence.is_empty())
                .then(|| Evidence { occurrences: vec![Occurrence { location: os.evidence.clone() }] }),
            ..Component::default()
        }
    });
    let packages: Vec<Component> = p.entries.iter().map(|e| package_component(e, p.facts, &mut refs)).collect();

    let os_ref = os.as_ref().and_then(|c| c.bom_ref.clone());
    let package_refs: Vec<String> = packages.iter().filter_map(|c| c.bom_ref.clone()).collect();
    let dependencies = dependency_graph(&image_ref, os_ref, &package_refs, &p.dependency_edges());

    Bom {
        schema: SCHEMA_URL,
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", p.uuid),
        version: 1,
        metadata: Metadata {
            timestamp: p.timestamp.to_owned(),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: p.tool.name.clone(),
                    version: Some(p.tool.version.clone()),
                    ..Component::default()
                }],
            },
            component: image,
        },
        components: os.into_iter().chain(packages).collect(),
        dependencies,
    }
}

/// The dependency graph: the image depends on the OS and on every package.
///
/// `package_edges` maps a package (its index in `package_refs`) to the packages it depends on:
/// the edges lockfiles record (`Package::depends_on`); dpkg `Depends`, apk `D:` and rpm
/// `Requires` resolved to packages will join them. Only packages with known edges get a
/// dependency element: an element with an empty `dependsOn` would mean "no dependencies"
/// (§ dependencies), which chainward does not know.
fn dependency_graph(
    image_ref: &str,
    os_ref: Option<String>,
    package_refs: &[String],
    package_edges: &BTreeMap<usize, Vec<usize>>,
) -> Vec<Dependency> {
    let mut graph = vec![Dependency {
        reference: image_ref.to_owned(),
        depends_on: os_ref.into_iter().chain(package_refs.iter().cloned()).collect(),
    }];
    for (&from, to) in package_edges {
        let Some(reference) = package_refs.get(from) else {
            continue;
        };
        let mut depends_on: Vec<String> = Vec::new();
        for r in to.iter().filter_map(|&i| package_refs.get(i)) {
            // `dependsOn` items must be unique (§ dependency, uniqueItems).
            if !depends_on.contains(r) {
                depends_on.push(r.clone());
            }
        }
        graph.push(Dependency { reference: reference.clone(), depends_on });
    }
    graph
}

fn image_component(p: &Prepared<'_>, refs: &mut BomRefs) -> Component {
    let facts = p.facts;
    let purl = image_purl(facts);
    let base = purl.clone().unwrap_or_else(|| format!("image:{}", p.image_name()));
    let mut properties = vec![property("chainward:image:target", facts.target.clone())];
    let mut push = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            properties.push(property(format!("chainward:image:{name}"), v));
        }
    };
    push("reference", facts.reference.clone());
    push("index-digest", facts.index_digest.as_ref().map(ToString::to_string));
    push("config-digest", facts.config_digest.as_ref().map(ToString::to_string));
    push("media-type", facts.manifest_media_type.clone());
    push("platform", facts.platform.as_ref().map(ToString::to_string));
    push("created", facts.created.clone());
    for (i, layer) in facts.layers.iter().enumerate() {
        push(&format!("layer:{i}:digest"), Some(layer.digest.to_string()));
        push(&format!("layer:{i}:diff-id"), layer.diff_id.as_ref().map(ToString::to_string));
    }
    Component {
        bom_ref: Some(refs.claim(base)),
        kind: "container",
        name: p.image_name().to_owned(),
        version: facts.manifest_digest.as_ref().map(ToString::to_string),
        purl,
        properties,
        ..Component::default()
    }
}

fn package_component(entry: &Entry<'_>, facts: &ImageFacts, refs: &mut BomRefs) -> Component {
    let pkg = entry.package;
    let mut properties = vec![property("chainward:package:type", pkg.ecosystem.purl_type())];
    if let Some(arch) = &pkg.arch {
        properties.push(property("chainward:package:arch", arch.clone()));
    }
    if let Some(src) = &pkg.source {
        properties.push(property("chainward:package:source-name", src.name.clone()));
        if let Some(v) = &src.version {
            properties.push(property("chainward:package:source-version", v.clone()));
        }
    }
    if let Some(srpm) = &pkg.source_rpm {
        properties.push(property("chainward:package:source-rpm", srpm.clone()));
    }
    for (i, loc) in pkg.locations.iter().enumerate() {
        properties.push(property(format!("chainward:location:{i}:path"), loc.path.clone()));
        if let Some(layer) = &loc.layer {
            properties.push(property(format!("chainward:location:{i}:layer"), layer.to_string()));
            let diff_id = facts.layers.iter().find(|l| l.digest == *layer).and_then(|l| l.diff_id.as_ref());
            if let Some(diff_id) = diff_id {
                properties.push(property(format!("chainward:location:{i}:layer-diff-id"), diff_id.to_string()));
            }
        }
    }
    Component {
        bom_ref: Some(refs.claim(entry.purl.clone())),
        kind: "library",
        supplier: pkg.supplier.clone().map(|name| Supplier { name }),
        name: pkg.name.clone(),
        version: Some(pkg.version.clone()),
        licenses: licenses(&pkg.licenses),
        purl: Some(entry.purl.clone()),
        properties,
        evidence: (!pkg.locations.is_empty()).then(|| Evidence {
            occurrences: pkg.locations.iter().map(|l| Occurrence { location: l.path.clone() }).collect(),
        }),
        ..Component::default()
    }
}

const DECLARED: &str = "declared";

/// The license choice for a package's recorded licenses (rules in the module docs).
fn licenses(recorded: &[String]) -> Vec<LicenseChoice> {
    let classified = license::classify_all(recorded);
    let all_ids = classified.iter().all(|l| matches!(l, License::Id(_)));
    let all_valid = classified.iter().all(|l| !matches!(l, License::Unrecognised(_)));
    if !all_ids && all_valid {
        // `all_valid` rules out free text, so the closure is never called.
        let operands = classified.iter().map(|l| l.to_expression(|text| Expression::Ref(text.to_owned()))).collect();
        if let Some(expr) = license::conjunction(operands) {
            return vec![LicenseChoice::Expression { expression: expr.render(), acknowledgement: DECLARED }];
        }
    }
    classified
        .into_iter()
        .map(|l| {
            let (id, name) = match l {
                License::Id(id) => (Some(id), None),
                License::Expression(e) => (None, Some(e.render())),
                License::Unrecognised(text) => (None, Some(text.to_owned())),
            };
            LicenseChoice::License { license: LicenseObject { id, name, acknowledgement: DECLARED } }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(recorded: &[&str]) -> serde_json::Value {
        let recorded: Vec<String> = recorded.iter().map(|s| (*s).to_owned()).collect();
        serde_json::to_value(licenses(&recorded)).unwrap()
    }

    #[test]
    fn listed_ids_are_ids() {
        assert_eq!(
            render(&["GPL-2.0-or-later", "bsd-3-clause"]),
            serde_json::json!([
                {"license": {"id": "GPL-2.0-or-later", "acknowledgement": "declared"}},
                {"license": {"id": "BSD-3-Clause", "acknowledgement": "declared"}},
            ])
        );
    }

    #[test]
    fn valid_expressions_become_one_expression() {
        assert_eq!(
            render(&["MIT AND BSD-3-Clause"]),
            serde_json::json!([{"expression": "MIT AND BSD-3-Clause", "acknowledgement": "declared"}])
        );
        assert_eq!(
            render(&["MIT OR Apache-2.0", "Zlib"]),
            serde_json::json!([{"expression": "(MIT OR Apache-2.0) AND Zlib", "acknowledgement": "declared"}])
        );
    }

    #[test]
    fn anything_unrecognised_makes_a_list_of_names_and_ids() {
        assert_eq!(
            render(&["GPL-2+", "MIT", "MIT OR Zlib"]),
            serde_json::json!([
                {"license": {"name": "GPL-2+", "acknowledgement": "declared"}},
                {"license": {"id": "MIT", "acknowledgement": "declared"}},
                {"license": {"name": "MIT OR Zlib", "acknowledgement": "declared"}},
            ])
        );
        assert_eq!(render(&[]), serde_json::json!([]));
    }

    #[test]
    fn duplicate_bom_refs_get_suffixes() {
        let mut refs = BomRefs::default();
        assert_eq!(refs.claim("pkg:deb/debian/a@1".into()), "pkg:deb/debian/a@1");
        assert_eq!(refs.claim("pkg:deb/debian/a@1".into()), "pkg:deb/debian/a@1|2");
        assert_eq!(refs.claim("pkg:deb/debian/a@1|3".into()), "pkg:deb/debian/a@1|3");
        assert_eq!(refs.claim("pkg:deb/debian/a@1".into()), "pkg:deb/debian/a@1|4");
    }

    #[test]
    fn package_edges_become_dependency_entries() {
        let refs = vec!["a".to_owned(), "b".to_owned()];
        let mut edges = BTreeMap::new();
        edges.insert(0, vec![1, 1, 7]);
        let graph = dependency_graph("img", Some("os".into()), &refs, &edges);
        let json = serde_json::to_value(&graph).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"ref": "img", "dependsOn": ["os", "a", "b"]},
                {"ref": "a", "dependsOn": ["b"]},
            ])
        );
    }
}
