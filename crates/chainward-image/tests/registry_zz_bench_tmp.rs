#![allow(clippy::unwrap_used, clippy::print_stderr, missing_docs)]
use chainward_image::Reference;
use chainward_image::source::registry::{NoProgress, RegistryOptions, resolve_registry_image};
#[test]
#[ignore]
fn bench() {
    let Ok(r) = std::env::var("CW_BENCH_REF") else { return };
    let host = r.split('/').next().unwrap().to_owned();
    let cfg = std::env::temp_dir().join("cw-bench-empty.json");
    std::fs::write(&cfg, "{}").unwrap();
    let opts = RegistryOptions { insecure_registries: vec![host], docker_config: Some(cfg), ..Default::default() };
    let r = Reference::parse(&r).unwrap();
    drop(resolve_registry_image(&r, &opts, &NoProgress).unwrap());
    let start = std::time::Instant::now();
    for _ in 0..5 { drop(resolve_registry_image(&r, &opts, &NoProgress).unwrap()); }
    eprintln!("BENCH {r}: {:?}", start.elapsed() / 5);
}
