//! Hostile Ruby, PHP and .NET inputs in a root filesystem made in a temporary directory:
//! invalid UTF-8, truncated and deeply nested JSON, a 50 MB lockfile, XML entity bombs and
//! deep XML, garbage lockfiles, unterminated gemspec literals. Cataloging must finish in
//! bounded time, never panic, warn naming the file, and keep what is readable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "a test: it fails loudly")]

use std::time::{Duration, Instant};

use chainward_catalog::lang::{dotnet, php, ruby};
use chainward_catalog::{Catalog, Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};

fn mine() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(ruby::GemfileLockCataloger),
        Box::new(ruby::GemspecCataloger),
        Box::new(php::ComposerLockCataloger),
        Box::new(php::ComposerInstalledCataloger),
        Box::new(dotnet::DotnetDepsCataloger),
        Box::new(dotnet::NugetLockCataloger),
        Box::new(dotnet::PackagesConfigCataloger),
        Box::new(dotnet::PackagesPropsCataloger),
    ]
}

/// Writes the files, catalogs the tree with the Ruby, PHP and .NET catalogers, in bounded time.
fn catalog(files: &[(&str, Vec<u8>)]) -> Catalog {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    let start = Instant::now();
    let set = CatalogerSet::new(mine());
    let image = load_image("rootfs", &Target::Rootfs(dir.path().to_path_buf()), &LoadOptions::default(), &set).unwrap();
    let out = set.catalog(&image.tree, &image.facts.layers);
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    out
}

fn warned(catalog: &Catalog, path: &str, needle: &str) -> bool {
    catalog.warnings.iter().any(|w| w.path == path && w.message.contains(needle))
}

fn nested(open: &str, close: &str, depth: usize) -> Vec<u8> {
    format!("{}{}", open.repeat(depth), close.repeat(depth)).into_bytes()
}

#[test]
fn invalid_utf8_truncated_and_wrong_shapes_are_warnings() {
    let c = catalog(&[
        ("a/Gemfile.lock", b"GEM\n  specs:\n    rack (\xff\xfe)\n".to_vec()),
        ("b/composer.lock", br#"{"packages":[{"name":"a/b","version":"1.0"},{"name":"#.to_vec()),
        ("c/vendor/composer/installed.json", b"\xff\xfe[]".to_vec()),
        ("d/packages.lock.json", b"{\"version\":1,\"dependencies\":[]}".to_vec()),
        ("e/App.deps.json", b"{\"libraries\":".to_vec()),
        ("f/packages.config", b"<packages><package id=\"A\" version=\"1\"></packages>".to_vec()),
        ("g/Directory.Packages.props", b"<Project><ItemGroup>\xff</ItemGroup></Project>".to_vec()),
        // A gemspec's stray invalid byte (in a description) does not lose the gem.
        (
            "usr/lib/ruby/gems/3.1.0/specifications/x-1.0.gemspec",
            b"Gem::Specification.new do |s|\n s.name = \"x\"\n s.version = \"1.0\"\n s.summary = \"\xff\"\nend\n"
                .to_vec(),
        ),
        ("usr/lib/ruby/gems/3.1.0/specifications/computed.gemspec", b"s.name = NAME\ns.version = V\n".to_vec()),
    ]);
    assert!(warned(&c, "/a/Gemfile.lock", "not UTF-8"), "{:?}", c.warnings);
    assert!(warned(&c, "/b/composer.lock", "not valid JSON"), "{:?}", c.warnings);
    assert!(warned(&c, "/c/vendor/composer/installed.json", "not valid JSON"), "{:?}", c.warnings);
    assert!(warned(&c, "/d/packages.lock.json", "expected an object"), "{:?}", c.warnings);
    assert!(warned(&c, "/e/App.deps.json", "not valid JSON"), "{:?}", c.warnings);
    assert!(warned(&c, "/f/packages.config", "not well-formed XML"), "{:?}", c.warnings);
    assert!(warned(&c, "/g/Directory.Packages.props", "not UTF-8"), "{:?}", c.warnings);
    assert!(warned(&c, "/usr/lib/ruby/gems/3.1.0/specifications/computed.gemspec", "no string literal"));
    let names: Vec<&str> = c.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["x"]);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep_json = nested("[", "]", 200_000);
    let mut deep_xml = b"<packages>".to_vec();
    deep_xml.extend(nested("<a>", "</a>", 100_000));
    deep_xml.extend(b"<package id=\"A\" version=\"1\"/></packages>");
    let c = catalog(&[
        ("a/composer.lock", deep_json.clone()),
        ("b/packages.lock.json", deep_json.clone()),
        ("c/App.deps.json", deep_json),
        ("d/packages.config", deep_xml),
    ]);
    for p in ["/a/composer.lock", "/b/packages.lock.json", "/c/App.deps.json"] {
        assert!(warned(&c, p, "not valid JSON"), "{p}: {:?}", c.warnings);
    }
    // Deep XML is read without recursion; only the <package> children of the root count.
    assert!(c.warnings.iter().all(|w| w.path != "/d/packages.config"), "{:?}", c.warnings);
    assert_eq!(c.packages.len(), 1);
}

#[test]
fn xml_entity_bombs_are_refused() {
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n\
        <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
        <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n\
        <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n]>\n";
    let config = format!("{bomb}<packages><package id=\"&lol4;\" version=\"1\"/></packages>");
    let props =
        format!("{bomb}<Project><ItemGroup><PackageVersion Include=\"&lol4;\" Version=\"1\"/></ItemGroup></Project>");
    let c = catalog(&[("a/packages.config", config.into_bytes()), ("a/Directory.Packages.props", props.into_bytes())]);
    assert!(warned(&c, "/a/packages.config", "not well-formed XML"), "{:?}", c.warnings);
    assert!(warned(&c, "/a/Directory.Packages.props", "not well-formed XML"), "{:?}", c.warnings);
    assert!(c.packages.is_empty());
}

#[test]
fn a_50_mb_lockfile_is_refused_with_a_warning() {
    let mut big = b"{\"packages\":[".to_vec();
    let entry = br#"{"name":"v/p","version":"1.0.0","license":["MIT"]},"#;
    while big.len() < 50 << 20 {
        big.extend_from_slice(entry);
    }
    big.extend_from_slice(br#"{"name":"v/last","version":"1"}]}"#);
    let c = catalog(&[("app/composer.lock", big)]);
    assert!(warned(&c, "/app/composer.lock", "over the"), "{:?}", c.warnings);
    assert!(c.packages.is_empty());
}

#[test]
fn garbage_lockfiles_keep_a_bounded_number_of_warnings() {
    let mut lock = b"GEM\n  remote: https://rubygems.org/\n  specs:\n    good (1.0)\n".to_vec();
    for i in 0..200_000u32 {
        lock.extend_from_slice(format!("    junk{i}\n      \t(\n  \x01\n").as_bytes());
    }
    lock.extend_from_slice(b"\nDEPENDENCIES\n  good\n");
    // An unterminated literal and a huge unterminated array in a gemspec.
    let mut spec = b"Gem::Specification.new do |s|\n s.name = \"y\"\n s.version = \"2\"\n s.licenses = [".to_vec();
    spec.extend(std::iter::repeat_n(b"\"MIT\", ".as_slice(), 100_000).flatten());
    let c = catalog(&[
        ("app/Gemfile.lock", lock),
        ("usr/local/bundle/specifications/y-2.gemspec", spec),
        ("usr/local/bundle/specifications/z-1.gemspec", format!("s.name = \"{}", "z".repeat(500_000)).into_bytes()),
    ]);
    let lock_warnings = c.warnings.iter().filter(|w| w.path == "/app/Gemfile.lock").count();
    assert!(lock_warnings <= ruby::gemfile_lock::MAX_PROBLEMS + 1, "{lock_warnings}");
    assert!(lock_warnings > 0);
    let mut got: Vec<(&str, &str)> = c.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
    got.sort();
    assert!(got.contains(&("good", "1.0")), "{got:?}");
    // The unterminated array is not a literal: the gem is kept, without licenses.
    let y = c.packages.iter().find(|p| p.name == "y").unwrap();
    assert!(y.licenses.is_empty());
    assert!(warned(&c, "/usr/local/bundle/specifications/z-1.gemspec", "no string literal"));
}
