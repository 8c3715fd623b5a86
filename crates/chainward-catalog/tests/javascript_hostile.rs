//! Hostile inputs for the JavaScript parsers: invalid UTF-8, truncation, deep nesting,
//! YAML anchor bombs in pnpm lockfiles, and a lockfile over the size limit. Each must end in
//! an error (a warning naming the file, in the catalogers) or a bounded result, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chainward_catalog::lang::javascript::{
    JsError, JsLockfileCataloger, MAX_LOCKFILE, bun_lock, package_json, package_lock, pnpm_lock, yarn_lock,
};
use chainward_catalog::{Cataloger, CatalogerSet};
use chainward_image::source::{LoadOptions, Target, load_image};

#[test]
fn invalid_utf8_and_truncation() {
    let bad = b"\xff\xfe\x00garbage";
    assert!(package_lock::parse(bad).is_err());
    assert!(yarn_lock::parse(bad).is_err());
    assert!(pnpm_lock::parse(bad).is_err());
    assert!(bun_lock::parse(bad).is_err());
    assert!(package_json::parse(bad).is_err());
    let lock = br#"{"lockfileVersion":3,"packages":{"":{},"node_modules/a":{"version":"1.0.0"}}}"#;
    for n in 0..lock.len() {
        let _ = package_lock::parse(&lock[..n]);
        let _ = bun_lock::parse(&lock[..n]);
    }
    let yaml = b"lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\nsnapshots:\n  a@1.0.0: {}\n";
    for n in 0..yaml.len() {
        let _ = pnpm_lock::parse(&yaml[..n]);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(package_lock::parse(deep.as_bytes()), Err(JsError::Json { .. })));
    assert!(bun_lock::parse(deep.as_bytes()).is_err());
    let mut v1 = String::from(r#"{"lockfileVersion":1,"dependencies":"#);
    for _ in 0..200 {
        v1.push_str(r#"{"a":{"version":"1.0.0","dependencies":"#);
    }
    assert!(package_lock::parse(v1.as_bytes()).is_err());
    let yaml = format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(pnpm_lock::parse(yaml.as_bytes()), Err(JsError::Yaml(_))));
}

#[test]
fn pnpm_billion_laughs_stops_fast() {
    let mut y = String::from(
        "lockfileVersion: '9.0'\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 0..9 {
        let prev = if i == 0 { "a".to_owned() } else { format!("l{}", i - 1) };
        let refs = vec![format!("*{prev}"); 9].join(",");
        y.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    y.push_str("packages:\n  x@1.0.0: *l8\n");
    let start = std::time::Instant::now();
    assert!(matches!(pnpm_lock::parse(y.as_bytes()), Err(JsError::Yaml(_))));
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn an_oversized_lockfile_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    let f = std::fs::File::create(app.join("package-lock.json")).unwrap();
    f.set_len(MAX_LOCKFILE + 1).unwrap();
    let set = CatalogerSet::new(vec![Box::new(JsLockfileCataloger) as Box<dyn Cataloger>]);
    let image = load_image("rootfs", &Target::Rootfs(dir.path().to_path_buf()), &LoadOptions::default(), &set).unwrap();
    let catalog = set.catalog(&image.tree, &image.facts.layers);
    assert!(catalog.packages.is_empty());
    assert_eq!(catalog.warnings.len(), 1);
    assert_eq!(catalog.warnings[0].path, "/app/package-lock.json");
    assert!(catalog.warnings[0].message.contains("limit"), "{}", catalog.warnings[0].message);
}

#[test]
fn a_large_lockfile_parses_linearly() {
    // ~8 MB of yarn v1 entries: one pass, no quadratic work.
    let mut y = String::new();
    for i in 0..100_000 {
        y.push_str(&format!("pkg{i}@^1.0.0:\n  version \"1.0.{i}\"\n  dependencies:\n    pkg{} \"^1.0.0\"\n\n", i + 1));
    }
    let start = std::time::Instant::now();
    let got = yarn_lock::parse(y.as_bytes()).unwrap();
    assert_eq!(got.len(), 100_000);
    assert!(start.elapsed().as_secs() < 20);
}
