//! `chainward sbom` on the debian-12-app image reports exactly the application packages of
//! `../shared/images/expected/debian-12-app.app-packages.tsv` for every ecosystem chainward
//! catalogs so far (name, version, evidence path). Rows of ecosystems not cataloged yet are
//! counted and printed, never passed; the other corpus images have no application packages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

/// purl types chainward catalogs in images today.
const CATALOGED: &[&str] = &["pypi", "maven", "npm", "cargo", "go-stdlib", "go-main", "gomod", "cargo-auditable"];

/// The SBOM `type` of a TSV `ecosystem`: the TSV names the packages read from binaries
/// apart (`go-stdlib`, `go-main` and `gomod` for the Go build info of
/// /usr/local/bin/cw-go-demo, `cargo-auditable` for the `.dep-v0` of
/// /usr/local/bin/cw-rust-demo); chainward reports them as `golang` and `cargo` packages
/// with evidence `binary`, located at the binary ([`debian_12_app_binaries`] checks that).
fn sbom_type(tsv_ecosystem: &str) -> &str {
    match tsv_ecosystem {
        "go-stdlib" | "go-main" | "gomod" => "golang",
        "cargo-auditable" => "cargo",
        other => other,
    }
}

fn app_packages(target: &str) -> BTreeSet<(String, String, String, String)> {
    let out =
        Command::new(env!("CARGO_BIN_EXE_chainward")).args(["sbom", "--format", "json", target]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sbom: Value = serde_json::from_slice(&out.stdout).unwrap();
    sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !matches!(p["type"].as_str(), Some("deb" | "apk" | "rpm")))
        .map(|p| {
            (
                p["type"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
                p["locations"][0]["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn debian_12_app_application_packages() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let rows = chainward_testkit::read_tsv(&shared.join("images/expected/debian-12-app.app-packages.tsv"));
    let mut want = BTreeSet::new();
    let mut pending = std::collections::BTreeMap::<String, usize>::new();
    for row in &rows {
        if CATALOGED.contains(&row["ecosystem"].as_str()) {
            let ecosystem = sbom_type(&row["ecosystem"]).to_owned();
            want.insert((ecosystem, row["name"].clone(), row["version"].clone(), row["path"].clone()));
        } else {
            *pending.entry(row["ecosystem"].clone()).or_default() += 1;
        }
    }
    assert_eq!(want.iter().filter(|w| w.0 == "pypi").count(), 10, "the ten Python distributions");
    // log4j-core 2.14.1 from its pom.properties in /app/lib/log4j-core-2.14.1.jar. Trivy's
    // baseline has no Java row: it ran with `--skip-files '**/*.jar'` (its jar analyzer needs
    // the Java DB, unavailable offline; see ../shared/images/README.md).
    assert_eq!(want.iter().filter(|w| w.0 == "maven").count(), 1, "log4j-core from the JAR");
    // npm: the 53 packages installed under /app/node_modules (nested copies at their nested
    // paths), the 22 dev entries of /app/package-lock.json that were never installed, and
    // the project itself from /app/package.json; [`debian_12_app_npm_scopes`] checks how.
    assert_eq!(want.iter().filter(|w| w.0 == "npm").count(), 76, "53 installed + 22 dev + the project");
    // cargo: every crate of /app/rust/Cargo.lock (lockfile evidence), those built into
    // /usr/local/bin/cw-rust-demo and those only needed at build time or on other platforms.
    let in_binary = |w: &&(String, String, String, String)| w.3.starts_with("/usr/local/bin/");
    assert_eq!(want.iter().filter(|w| w.0 == "cargo" && !in_binary(w)).count(), 26, "the 26 crates of Cargo.lock");
    // Binaries: the Go toolchain (go1.19.8, as the build info records it; Trivy writes
    // v1.19.8), the main module `(devel)` (Trivy: no version) and the dependency replaced by
    // a directory as the module it replaces, `example.com/greeter v0.3.1` (Trivy: `./greeter`
    // with no version); the root crate and the 17 runtime crates of cw-rust-demo's `.dep-v0`
    // (Cargo.lock's other 8 are build-time or other-platform crates, not in the binary).
    assert_eq!(want.iter().filter(|w| w.0 == "golang").count(), 3, "stdlib, main module, greeter");
    assert_eq!(want.iter().filter(|w| w.0 == "cargo" && in_binary(w)).count(), 18, "cargo-auditable");
    let target = format!("oci-layout:{}:debian-12-app", shared.join("images/oci").display());
    let got = app_packages(&target);
    assert_eq!(got, want);
    // httplib2 0.11.3 was whited out by a later layer (plain and opaque whiteouts).
    assert!(!got.iter().any(|p| p.1 == "httplib2" && p.2 == "0.11.3"));
    println!("rows of ecosystems not cataloged yet: {pending:?}");
}

#[test]
fn base_images_have_no_application_packages() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    for tag in ["alpine-3.20.3", "alpine-3.12.12", "debian-12"] {
        let target = format!("oci-layout:{}:{tag}", shared.join("images/oci").display());
        assert_eq!(app_packages(&target), BTreeSet::new(), "{tag}");
    }
}

/// `dir:` on the source tree the app image was built from: the requirements files' pins.
/// Trivy (`app-fs.trivy.json`) reads only files named exactly `requirements.txt`; chainward
/// also reads `requirements-layer1.txt` (pip accepts any name, and Syft's pattern
/// `*requirements*.txt` matches it too), so its 9 older pins — among them the vulnerable
/// httplib2 0.11.3 — are reported with their own evidence path.
#[test]
fn dir_target_reads_the_requirements_files() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let app = shared.join("images/build/app");
    let got = app_packages(&format!("dir:{}", app.display()));
    let trivy: Value =
        serde_json::from_slice(&std::fs::read(shared.join("images/trivy-baseline/app-fs.trivy.json")).unwrap())
            .unwrap();
    let from_trivy: BTreeSet<(String, String)> = trivy["Results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Type"] == "pip")
        .flat_map(|r| r["Packages"].as_array().unwrap())
        .map(|p| (p["Name"].as_str().unwrap().to_owned(), p["Version"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(from_trivy.len(), 10);
    let in_file = |file: &str| -> BTreeSet<(String, String)> {
        got.iter().filter(|p| p.0 == "pypi" && p.3.ends_with(file)).map(|p| (p.1.clone(), p.2.clone())).collect()
    };
    assert_eq!(in_file("/python/requirements.txt"), from_trivy);
    let layer1 = in_file("/python/requirements-layer1.txt");
    assert_eq!(layer1.len(), 9);
    assert!(layer1.contains(&("httplib2".to_owned(), "0.11.3".to_owned())));
}

/// Every package of the SBOM, as the JSON format writes it.
fn sbom_packages(target: &str) -> Vec<Value> {
    let out =
        Command::new(env!("CARGO_BIN_EXE_chainward")).args(["sbom", "--format", "json", target]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sbom: Value = serde_json::from_slice(&out.stdout).unwrap();
    sbom["packages"].as_array().unwrap().clone()
}

/// (name, version, evidence path).
type NameVersionPath = (String, String, String);

/// The `scope` column of the npm rows against what chainward says of each package: `prod`
/// is installed (not dev), `dev (lockfile only, not installed)` is a dev entry of the
/// lockfile with lockfile evidence (the lockfile's prod entries are installed and listed
/// once, as installed), `root project` is the project's package.json.
#[test]
fn debian_12_app_npm_scopes() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let rows = chainward_testkit::read_tsv(&shared.join("images/expected/debian-12-app.app-packages.tsv"));
    let target = format!("oci-layout:{}:debian-12-app", shared.join("images/oci").display());
    let got: std::collections::BTreeMap<NameVersionPath, (String, bool, Option<String>)> = sbom_packages(&target)
        .iter()
        .filter(|p| p["type"] == "npm")
        .map(|p| {
            (
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["version"].as_str().unwrap().to_owned(),
                    p["locations"][0]["path"].as_str().unwrap().to_owned(),
                ),
                (
                    p["evidence"].as_str().unwrap_or("installed").to_owned(),
                    p["dev"].as_bool().unwrap_or(false),
                    p["relationship"].as_str().map(str::to_owned),
                ),
            )
        })
        .collect();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for row in rows.iter().filter(|r| r["ecosystem"] == "npm") {
        let key = (row["name"].clone(), row["version"].clone(), row["path"].clone());
        let (evidence, dev, relationship) = got.get(&key).unwrap_or_else(|| panic!("{key:?} not reported"));
        match row["scope"].as_str() {
            "prod" => assert!(evidence == "installed" && !dev, "{key:?}: {evidence} dev={dev}"),
            "dev (lockfile only, not installed)" => {
                assert!(evidence == "lockfile" && *dev, "{key:?}: {evidence} dev={dev}");
                assert!(key.2.ends_with("/package-lock.json"), "{key:?}");
            }
            "root project" => {
                assert!(evidence == "manifest" && relationship.as_deref() == Some("root"), "{key:?}: {evidence}")
            }
            other => panic!("unknown scope {other:?}"),
        }
        *counts.entry(row["scope"].clone()).or_default() += 1;
    }
    assert_eq!(counts.get("prod"), Some(&53));
    assert_eq!(counts.get("dev (lockfile only, not installed)"), Some(&22));
    assert_eq!(got.len(), 76, "no npm package beyond the expected rows");
}

/// `dir:` on the app's source: node/package-lock.json's entries and the project from
/// node/package.json. Trivy (`app-fs.trivy.json`, `trivy fs` without `--include-dev-deps`)
/// lists the lockfile's 53 production packages and leaves out the 22 dev entries and the
/// root project; chainward lists those too, marked dev=true (and relationship root), so the
/// production set must equal Trivy's exactly, with the same direct/indirect split.
#[test]
fn dir_target_reads_the_npm_lockfile() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let app = shared.join("images/build/app");
    let got = sbom_packages(&format!("dir:{}", app.display()));
    let npm: Vec<&Value> = got.iter().filter(|p| p["type"] == "npm").collect();
    let trivy: Value =
        serde_json::from_slice(&std::fs::read(shared.join("images/trivy-baseline/app-fs.trivy.json")).unwrap())
            .unwrap();
    let from_trivy: BTreeSet<(String, String, String)> = trivy["Results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Type"] == "npm")
        .flat_map(|r| r["Packages"].as_array().unwrap())
        .map(|p| {
            (
                p["Name"].as_str().unwrap().to_owned(),
                p["Version"].as_str().unwrap().to_owned(),
                p["Relationship"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(from_trivy.len(), 53);
    let lock = |p: &&&Value| p["locations"][0]["path"].as_str().unwrap().ends_with("/node/package-lock.json");
    let prod: BTreeSet<(String, String, String)> = npm
        .iter()
        .filter(lock)
        .filter(|p| p["dev"] != true)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
                p["relationship"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(prod, from_trivy);
    assert_eq!(npm.iter().filter(lock).filter(|p| p["dev"] == true).count(), 22, "mocha and its dependencies");
    let root: Vec<&&Value> = npm.iter().filter(|p| p["relationship"] == "root").collect();
    assert_eq!(root.len(), 1);
    assert_eq!((root[0]["name"].as_str(), root[0]["version"].as_str()), (Some("cw-node-demo"), Some("1.0.0")));
    assert!(root[0]["locations"][0]["path"].as_str().unwrap().ends_with("/node/package.json"));
    // Every production package lists its dependencies, as Trivy's DependsOn does.
    let express = npm.iter().find(|p| p["name"] == "express").unwrap();
    assert!(express["depends_on"].as_array().unwrap().iter().any(|d| d == "accepts@1.3.8"));
}

/// `dir:` on the app's source: rust/Cargo.lock and the two go.mod files, against Trivy's
/// `app-fs.trivy.json` for the same folder.
/// - Cargo.lock: the same 26 crates with the same relationships (the root, the 11 crates it
///   names, the rest indirect) and the same dependency edges. Trivy reads the relationships
///   with Cargo.toml; chainward reads them from the lockfile alone (the one crate without a
///   source that no other local crate depends on is the root).
/// - go/go.mod: both report the main module `example.com/cwgodemo` as the root, with no
///   version. Its requirement `example.com/greeter v0.3.1` is replaced by the directory
///   `./greeter`: Trivy leaves it out; chainward keeps it as a direct dependency with no
///   version (the code is the directory, not the published v0.3.1), so the root's edge to it
///   is in the SBOM, as the Go binary's build info shows the same replacement.
/// - go/greeter/go.mod: both report `example.com/greeter` as the root of that module.
#[test]
fn dir_target_reads_cargo_lock_and_go_mod() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let app = shared.join("images/build/app");
    let got = sbom_packages(&format!("dir:{}", app.display()));
    let trivy: Value =
        serde_json::from_slice(&std::fs::read(shared.join("images/trivy-baseline/app-fs.trivy.json")).unwrap())
            .unwrap();
    let trivy_rows = |kind: &str, target: &str| -> BTreeSet<(String, String, String, Vec<String>)> {
        trivy["Results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["Type"] == kind && r["Target"] == target)
            .flat_map(|r| r["Packages"].as_array().unwrap())
            .map(|p| {
                let mut deps: Vec<String> = p["DependsOn"]
                    .as_array()
                    .map(|d| d.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default();
                deps.sort();
                (
                    p["Name"].as_str().unwrap().to_owned(),
                    p["Version"].as_str().unwrap_or("").to_owned(),
                    p["Relationship"].as_str().unwrap().to_owned(),
                    deps,
                )
            })
            .collect()
    };
    let ours = |kind: &str, file: &str| -> BTreeSet<(String, String, String, Vec<String>)> {
        got.iter()
            .filter(|p| p["type"] == kind && p["locations"][0]["path"].as_str().unwrap().ends_with(file))
            .map(|p| {
                let mut deps: Vec<String> = p["depends_on"]
                    .as_array()
                    .map(|d| d.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default();
                deps.sort();
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["version"].as_str().unwrap_or("").to_owned(),
                    p["relationship"].as_str().unwrap().to_owned(),
                    deps,
                )
            })
            .collect()
    };

    let cargo = ours("cargo", "/rust/Cargo.lock");
    assert_eq!(cargo.len(), 26);
    assert_eq!(cargo, trivy_rows("cargo", "rust/Cargo.lock"));
    let in_lock = |p: &&Value| p["locations"][0]["path"].as_str().unwrap().ends_with("/rust/Cargo.lock");
    assert!(got.iter().filter(|p| p["type"] == "cargo").filter(in_lock).all(|p| p["evidence"] == "lockfile"));

    let s = |v: &str| v.to_owned();
    let module = ours("golang", "/go/go.mod");
    let from_trivy = trivy_rows("gomod", "go/go.mod");
    assert_eq!(from_trivy, BTreeSet::from([(s("example.com/cwgodemo"), s(""), s("root"), vec![])]));
    assert_eq!(
        module,
        BTreeSet::from([
            (s("example.com/cwgodemo"), s(""), s("root"), vec![s("example.com/greeter@")]),
            (s("example.com/greeter"), s(""), s("direct"), vec![]),
        ])
    );
    let greeter = ours("golang", "/go/greeter/go.mod");
    assert_eq!(greeter, trivy_rows("gomod", "go/greeter/go.mod"));
    assert_eq!(greeter.len(), 1);
    let in_go_mod = |p: &&Value| p["locations"][0]["path"].as_str().unwrap().ends_with("/go.mod");
    assert!(got.iter().filter(|p| p["type"] == "golang").filter(in_go_mod).all(|p| p["evidence"] == "manifest"));
}

/// The packages read from the two binaries carry evidence `binary`, and the roots (the Go
/// main module, the crate cw-rust-demo was built from) relationship `root`; no other package
/// has binary evidence.
#[test]
fn debian_12_app_binaries() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let target = format!("oci-layout:{}:debian-12-app", shared.join("images/oci").display());
    let packages = sbom_packages(&target);
    let at_binary = |p: &&Value| p["locations"][0]["path"].as_str().unwrap().starts_with("/usr/local/bin/cw-");
    let binary: Vec<&Value> = packages.iter().filter(at_binary).collect();
    assert_eq!(binary.len(), 21);
    assert!(binary.iter().all(|p| p["evidence"] == "binary"), "{binary:?}");
    assert_eq!(packages.iter().filter(|p| p["evidence"] == "binary").count(), 21);
    let roots: BTreeSet<(&str, &str)> = binary
        .iter()
        .filter(|p| p["relationship"] == "root")
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(roots, BTreeSet::from([("example.com/cwgodemo", "(devel)"), ("cw-rust-demo", "0.1.0")]));
}

/// The image against Trivy's own scan of it (`trivy-baseline/debian-12-app.trivy.json`,
/// application packages), with every difference named and explained:
/// - chainward lists the 22 dev entries of /app/package-lock.json that were never installed,
///   with lockfile evidence and dev=true; Trivy's image scan reads node_modules only.
/// - log4j-core is only chainward's: the baseline ran with `--skip-files '**/*.jar'`.
/// - The Go binary: chainward writes the toolchain as the binary records it (`go1.19.8`, Trivy
///   `v1.19.8`), the main module's version as recorded (`(devel)`, Trivy none), and the
///   dependency replaced by `./greeter` as the module it replaces (`example.com/greeter
///   v0.3.1`, which is what advisories name; Trivy lists the directory `./greeter`).
#[test]
fn debian_12_app_against_trivys_image_scan() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let trivy: Value =
        serde_json::from_slice(&std::fs::read(shared.join("images/trivy-baseline/debian-12-app.trivy.json")).unwrap())
            .unwrap();
    let trivy_type = |t: &str| match t {
        "node-pkg" => "npm",
        "python-pkg" => "pypi",
        "cargo" | "rustbinary" => "cargo",
        "gobinary" => "golang",
        other => panic!("a Trivy result type this test does not map: {other}"),
    };
    let theirs: BTreeSet<(String, String, String)> = trivy["Results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Class"] == "lang-pkgs")
        .flat_map(|r| {
            let kind = trivy_type(r["Type"].as_str().unwrap()).to_owned();
            r["Packages"].as_array().unwrap().iter().map(move |p| {
                (kind.clone(), p["Name"].as_str().unwrap().to_owned(), p["Version"].as_str().unwrap_or("").to_owned())
            })
        })
        .collect();
    let target = format!("oci-layout:{}:debian-12-app", shared.join("images/oci").display());
    let packages = sbom_packages(&target);
    let app: Vec<&Value> =
        packages.iter().filter(|p| !matches!(p["type"].as_str(), Some("deb" | "apk" | "rpm"))).collect();
    let ours: BTreeSet<(String, String, String)> = app
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_owned();
            (s("type"), s("name"), s("version"))
        })
        .collect();
    let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    let dev_only: BTreeSet<(String, String, String)> = app
        .iter()
        .filter(|p| p["type"] == "npm" && p["dev"] == true && p["evidence"] == "lockfile")
        .map(|p| t("npm", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(dev_only.len(), 22);
    let mut only_ours: BTreeSet<_> = ours.difference(&theirs).cloned().collect();
    for d in &dev_only {
        only_ours.remove(d);
    }
    assert_eq!(
        only_ours,
        BTreeSet::from([
            t("maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
            t("golang", "example.com/cwgodemo", "(devel)"),
            t("golang", "example.com/greeter", "v0.3.1"),
            t("golang", "stdlib", "go1.19.8"),
        ])
    );
    let only_theirs: BTreeSet<_> = theirs.difference(&ours).cloned().collect();
    assert_eq!(
        only_theirs,
        BTreeSet::from([
            t("golang", "./greeter", ""),
            t("golang", "example.com/cwgodemo", ""),
            t("golang", "stdlib", "v1.19.8"),
        ])
    );
}
