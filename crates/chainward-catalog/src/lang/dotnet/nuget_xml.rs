//! NuGet's XML files: `packages.config` and central package versions
//! (`Directory.Packages.props`, `Packages.props`).
//!
//! XML is read with `roxmltree`: DTDs are refused (so no entity expansion, no billion
//! laughs) and the number of nodes is bounded. Only attributes are read; nothing is resolved
//! (an MSBuild property such as `$(Version)` is not a version and is left out).

/// The most XML nodes read from one file (a large props file has a few thousand).
pub const MAX_NODES: u32 = 1_000_000;

/// One package reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NugetReference {
    /// The package id.
    pub name: String,
    /// The version.
    pub version: String,
    /// `packages.config`: `developmentDependency="true"`.
    pub dev: bool,
}

/// Why an XML file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum NugetXmlError {
    /// Not well-formed XML, a DTD, or over the node bound.
    #[error("not well-formed XML: {0}")]
    Xml(#[from] roxmltree::Error),
    /// Another root element than the format's.
    #[error("expected a <{expected}> root element, found <{found}>")]
    Root {
        /// The format's root element.
        expected: &'static str,
        /// The file's.
        found: String,
    },
}

fn document(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..Default::default() };
    roxmltree::Document::parse_with_options(text, options)
}

fn trimmed(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// `packages.config`: `<packages><package id=".." version=".." developmentDependency=".."/>`.
/// Entries without an id or a version are returned as skipped (with their line).
pub fn parse_packages_config(text: &str) -> Result<(Vec<NugetReference>, Vec<String>), NugetXmlError> {
    let doc = document(text)?;
    let root = doc.root_element();
    if root.tag_name().name() != "packages" {
        return Err(NugetXmlError::Root { expected: "packages", found: root.tag_name().name().to_owned() });
    }
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for node in root.children().filter(|n| n.is_element() && n.tag_name().name() == "package") {
        match (trimmed(node.attribute("id")), trimmed(node.attribute("version"))) {
            (Some(name), Some(version)) => {
                let dev =
                    node.attribute("developmentDependency").is_some_and(|d| d.trim().eq_ignore_ascii_case("true"));
                out.push(NugetReference { name, version, dev });
            }
            _ => {
                let line = doc.text_pos_at(node.range().start).row;
                skipped.push(format!("line {line}: <package> without id or version"));
            }
        }
    }
    Ok((out, skipped))
}

/// Central package management: `<Project><ItemGroup><PackageVersion Include=".." Version=".."/>`
/// (and `PackageReference`, `GlobalPackageReference`; `Update` where `Include` is absent).
/// Items without a name or a literal version are left out; the result is sorted by name.
pub fn parse_packages_props(text: &str) -> Result<Vec<NugetReference>, NugetXmlError> {
    let doc = document(text)?;
    let root = doc.root_element();
    if root.tag_name().name() != "Project" {
        return Err(NugetXmlError::Root { expected: "Project", found: root.tag_name().name().to_owned() });
    }
    let mut out = Vec::new();
    for group in root.children().filter(|n| n.is_element() && n.tag_name().name() == "ItemGroup") {
        for item in group.children().filter(|n| n.is_element()) {
            if !matches!(item.tag_name().name(), "PackageVersion" | "PackageReference" | "GlobalPackageReference") {
                continue;
            }
            let name = trimmed(item.attribute("Include")).or_else(|| trimmed(item.attribute("Update")));
            // `Version` is an attribute, or a child element in the long form.
            let version = trimmed(item.attribute("Version")).or_else(|| {
                item.children()
                    .find(|c| c.is_element() && c.tag_name().name() == "Version")
                    .and_then(|c| trimmed(c.text()))
            });
            let (Some(name), Some(version)) = (name, version) else { continue };
            if version.contains("$(") {
                continue;
            }
            out.push(NugetReference { name, version, dev: false });
        }
    }
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_config() {
        let (refs, skipped) = parse_packages_config(
            "<packages>\n<package id=\"A\" version=\"1.0\" developmentDependency=\"True\"/>\n<package id=\"B\"/>\n\
             <package id=\" C \" version=\"2.0\"/></packages>",
        )
        .unwrap();
        assert_eq!(
            refs,
            [
                NugetReference { name: "A".into(), version: "1.0".into(), dev: true },
                NugetReference { name: "C".into(), version: "2.0".into(), dev: false },
            ]
        );
        assert_eq!(skipped, ["line 3: <package> without id or version"]);
        assert!(matches!(parse_packages_config("<Project/>"), Err(NugetXmlError::Root { .. })));
    }

    #[test]
    fn props_forms_and_properties() {
        let refs = parse_packages_props(
            "<Project><PropertyGroup><V>1</V></PropertyGroup><ItemGroup>\
             <PackageVersion Include=\"Z\" Version=\"$(V)\"/>\
             <PackageVersion Include=\"Y\"><Version> 3.0 </Version></PackageVersion>\
             <GlobalPackageReference Include=\"X\" Version=\"1.0\"/><Other Include=\"W\" Version=\"1\"/>\
             </ItemGroup></Project>",
        )
        .unwrap();
        let got: Vec<_> = refs.iter().map(|r| (r.name.as_str(), r.version.as_str())).collect();
        assert_eq!(got, [("X", "1.0"), ("Y", "3.0")]);
    }

    #[test]
    fn dtds_are_refused() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\
                    <packages><package id=\"&lol2;\" version=\"1\"/></packages>";
        assert!(matches!(parse_packages_config(bomb), Err(NugetXmlError::Xml(_))));
    }
}
