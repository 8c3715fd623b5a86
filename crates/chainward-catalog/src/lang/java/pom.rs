//! Maven `pom.xml` (POM 4.0.0 reference): the project's own coordinates and its direct
//! dependencies with the versions the file itself gives — explicit, through `${property}`
//! from `<properties>` and the project's own coordinates, or from the same file's
//! `<dependencyManagement>`. No parent, BOM or repository is fetched (chainward never calls
//! the network): a version only a parent or BOM knows is left out and counted.
//!
//! The XML is read with `roxmltree`: DTDs are refused (no entity expansion, so no billion
//! laughs) and the node count is bounded.

use std::collections::HashMap;

/// Why a pom.xml could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PomError {
    /// Not well-formed XML, or a DTD, or too many nodes.
    #[error("not a readable XML document: {0}")]
    Xml(String),
    /// The root element is not `<project>`.
    #[error("the root element is <{0}>, not <project>")]
    NotAProject(String),
}

/// A dependency as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependency {
    /// `<groupId>`.
    pub group: String,
    /// `<artifactId>`.
    pub artifact: String,
    /// `<version>`, if written.
    pub version: Option<String>,
    /// `<scope>`, if written.
    pub scope: Option<String>,
}

/// What a pom.xml says, before interpolation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pom {
    /// `<groupId>`.
    pub group: Option<String>,
    /// `<artifactId>`.
    pub artifact: Option<String>,
    /// `<version>`.
    pub version: Option<String>,
    /// `<parent>`'s groupId and version (inherited when the project omits its own).
    pub parent_group: Option<String>,
    /// The parent's version.
    pub parent_version: Option<String>,
    /// `<properties>`.
    pub properties: HashMap<String, String>,
    /// `<licenses><license><name>`.
    pub licenses: Vec<String>,
    /// `<dependencies>`.
    pub dependencies: Vec<Dependency>,
    /// `<dependencyManagement><dependencies>`.
    pub managed: Vec<Dependency>,
}

/// At most this many XML nodes (a real pom has a few thousand).
const MAX_NODES: u32 = 1_000_000;
/// How many `${…}` rounds one value may take (properties referring to properties).
const MAX_INTERPOLATION_DEPTH: usize = 8;
/// The longest interpolated value: properties that double each other stop growing here.
const MAX_VALUE_LEN: usize = 4096;

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(node: roxmltree::Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text(node: Option<roxmltree::Node<'_, '_>>) -> Option<String> {
    let t: String = node?.children().filter_map(|c| c.text()).collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn dependencies(node: Option<roxmltree::Node<'_, '_>>) -> Vec<Dependency> {
    let Some(deps) = node else { return Vec::new() };
    children(deps, "dependency")
        .map(|d| Dependency {
            group: text(child(d, "groupId")).unwrap_or_default(),
            artifact: text(child(d, "artifactId")).unwrap_or_default(),
            version: text(child(d, "version")),
            scope: text(child(d, "scope")),
        })
        .collect()
}

/// Parses a pom.xml. Bytes that are not UTF-8 (a Latin-1 pom) are read lossily: the
/// structure is ASCII, only free text would change.
pub fn parse(bytes: &[u8]) -> Result<Pom, PomError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let source = String::from_utf8_lossy(bytes);
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(&source, options).map_err(|e| PomError::Xml(e.to_string()))?;
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return Err(PomError::NotAProject(project.tag_name().name().to_owned()));
    }
    let parent = child(project, "parent");
    let properties = child(project, "properties")
        .map(|p| {
            p.children()
                .filter(|c| c.is_element())
                .map(|c| (c.tag_name().name().to_owned(), text(Some(c)).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let licenses = child(project, "licenses")
        .map(|l| children(l, "license").filter_map(|l| text(child(l, "name"))).collect())
        .unwrap_or_default();
    Ok(Pom {
        group: text(child(project, "groupId")),
        artifact: text(child(project, "artifactId")),
        version: text(child(project, "version")),
        parent_group: parent.and_then(|p| text(child(p, "groupId"))),
        parent_version: parent.and_then(|p| text(child(p, "version"))),
        properties,
        licenses,
        dependencies: dependencies(child(project, "dependencies")),
        managed: dependencies(child(project, "dependencyManagement").and_then(|m| child(m, "dependencies"))),
    })
}

/// A dependency with its version resolved from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDependency {
    /// `groupId:artifactId`.
    pub name: String,
    /// The version.
    pub version: String,
    /// `test` scope: needed only to build and test the project.
    pub dev: bool,
}

/// The project and its direct dependencies, as far as the file alone resolves them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// The project's `groupId:artifactId` and version (inherited from `<parent>` when the
    /// project omits them), when both are known.
    pub root: Option<(String, String)>,
    /// Direct dependencies: compile, runtime (and unscoped) ones, and test ones as dev.
    /// `provided` and `system` dependencies are left out: the runtime supplies them, they
    /// are not part of the project's artifact (Trivy leaves them out too).
    pub dependencies: Vec<ResolvedDependency>,
    /// `groupId:artifactId` of dependencies whose version only a parent, a BOM or an
    /// undefined property knows.
    pub unresolved: Vec<String>,
}

impl Pom {
    fn lookup(&self, key: &str) -> Option<String> {
        match key {
            "project.version" | "pom.version" | "version" => {
                self.version.clone().or_else(|| self.parent_version.clone())
            }
            "project.groupId" | "pom.groupId" | "groupId" => self.group.clone().or_else(|| self.parent_group.clone()),
            "project.artifactId" | "pom.artifactId" | "artifactId" => self.artifact.clone(),
            "project.parent.version" | "parent.version" => self.parent_version.clone(),
            "project.parent.groupId" | "parent.groupId" => self.parent_group.clone(),
            _ => self.properties.get(key).cloned(),
        }
    }

    /// Substitutes `${name}` references; unknown ones stay as written. Bounded in depth
    /// (references to references) and in the length of the result.
    pub fn interpolate(&self, value: &str) -> String {
        let mut current = value.to_owned();
        for _ in 0..MAX_INTERPOLATION_DEPTH {
            if !current.contains("${") {
                break;
            }
            let mut out = String::with_capacity(current.len());
            let mut rest = current.as_str();
            let mut changed = false;
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    out.push_str(&rest[start..]);
                    rest = "";
                    break;
                };
                match self.lookup(&after[..end]) {
                    Some(v) => {
                        out.push_str(&v);
                        changed = true;
                    }
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
                if out.len() > MAX_VALUE_LEN {
                    return current;
                }
            }
            out.push_str(rest);
            if !changed || out.len() > MAX_VALUE_LEN {
                break;
            }
            current = out;
        }
        current
    }

    fn resolved_value(&self, value: Option<&str>) -> Option<String> {
        let v = self.interpolate(value?);
        (!v.is_empty() && !v.contains("${")).then_some(v)
    }

    /// Resolves the project and its direct dependencies from this file alone.
    pub fn resolve(&self) -> Resolved {
        let mut out = Resolved::default();
        let group = self.resolved_value(self.group.as_deref().or(self.parent_group.as_deref()));
        let version = self.resolved_value(self.version.as_deref().or(self.parent_version.as_deref()));
        let artifact = self.resolved_value(self.artifact.as_deref());
        if let (Some(g), Some(a), Some(v)) = (group, artifact, version) {
            out.root = Some((format!("{g}:{a}"), v));
        }
        let mut seen = std::collections::HashSet::new();
        for d in &self.dependencies {
            let scope = d.scope.as_deref().map(|s| self.interpolate(s));
            if matches!(scope.as_deref(), Some("provided" | "system" | "import")) {
                continue;
            }
            let group = self.interpolate(&d.group);
            let artifact = self.interpolate(&d.artifact);
            if group.is_empty() || artifact.is_empty() {
                continue;
            }
            let name = format!("{group}:{artifact}");
            let managed = || {
                self.managed
                    .iter()
                    .find(|m| self.interpolate(&m.group) == group && self.interpolate(&m.artifact) == artifact)
                    .and_then(|m| m.version.as_deref())
            };
            let Some(version) = self.resolved_value(d.version.as_deref().or_else(managed)) else {
                out.unresolved.push(name);
                continue;
            };
            // Maven version ranges ([1.0,2.0)) name no single version.
            if version.starts_with(['[', '(']) {
                out.unresolved.push(name);
                continue;
            }
            if seen.insert(name.clone()) {
                out.dependencies.push(ResolvedDependency { name, version, dev: scope.as_deref() == Some("test") });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_parent_inheritance_and_management() {
        let pom = parse(
            br#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent><groupId>org.parent</groupId><artifactId>p</artifactId><version>7</version></parent>
  <artifactId>child</artifactId>
  <properties><a>${b}</a><b>1.${c}</b><c>2</c><loop>${loop}</loop></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>m</groupId><artifactId>managed</artifactId><version>${project.version}</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>x</groupId><artifactId>y</artifactId><version>${a}</version></dependency>
    <dependency><groupId>m</groupId><artifactId>managed</artifactId></dependency>
    <dependency><groupId>t</groupId><artifactId>junit</artifactId><version>4</version><scope>test</scope></dependency>
    <dependency><groupId>u</groupId><artifactId>fromparent</artifactId></dependency>
    <dependency><groupId>u</groupId><artifactId>undefined</artifactId><version>${nope}</version></dependency>
    <dependency><groupId>u</groupId><artifactId>loop</artifactId><version>${loop}</version></dependency>
    <dependency><groupId>u</groupId><artifactId>range</artifactId><version>[1.0,2.0)</version></dependency>
    <dependency><groupId>s</groupId><artifactId>servlet</artifactId><version>4</version><scope>provided</scope></dependency>
  </dependencies>
</project>"#,
        )
        .unwrap();
        let r = pom.resolve();
        assert_eq!(r.root, Some(("org.parent:child".into(), "7".into())));
        let deps: Vec<(&str, &str, bool)> =
            r.dependencies.iter().map(|d| (d.name.as_str(), d.version.as_str(), d.dev)).collect();
        assert_eq!(deps, [("x:y", "1.2", false), ("m:managed", "7", false), ("t:junit", "4", true)]);
        assert_eq!(r.unresolved, ["u:fromparent", "u:undefined", "u:loop", "u:range"]);
    }

    #[test]
    fn exponential_properties_stop_growing() {
        let mut xml = String::from("<project><properties><p0>xxxxxxxx</p0>");
        for i in 1..40 {
            xml.push_str(&format!("<p{i}>${{p{0}}}${{p{0}}}</p{i}>", i - 1));
        }
        xml.push_str("</properties><artifactId>a</artifactId><groupId>g</groupId><version>${p39}</version></project>");
        let pom = parse(xml.as_bytes()).unwrap();
        assert!(pom.interpolate("${p39}").len() <= MAX_VALUE_LEN * 2);
        assert_eq!(pom.resolve().root, None);
    }

    #[test]
    fn dtds_and_other_roots_are_refused() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><project>&lol2;</project>"#;
        assert!(matches!(parse(bomb), Err(PomError::Xml(_))));
        assert!(matches!(parse(b"<settings/>"), Err(PomError::NotAProject(_))));
    }
}
