//! Every row of `../shared/corpus/workflows/dockerfiles/cases.tsv`: hadolint's pinning rules
//! (mapped to chainward's audit ids below) and chainward's own two checks, at the default
//! (regular) persona. A row with a line: that many findings on the instruction starting on
//! that line (hadolint reports the line an instruction starts on; chainward's findings point
//! at the exact word inside it, so the instruction holding the finding is looked up). A row
//! without a line (`-`): that many findings in the whole file — 0 rows must not fire.
//! Also: inline ignores, the pedantic tag-only audit, discovery of Dockerfile names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::Path;

use chainward_pipeline::dockerfile::{self, Limits};
use chainward_pipeline::{Config, Filter, Finding, Persona, audit, discover, is_dockerfile_name, load};

/// hadolint rule → chainward audit id; chainward's own checks keep their names.
const RULES: &[(&str, &str)] = &[
    ("DL3006", "docker-base-untagged"),
    ("DL3007", "docker-base-latest"),
    ("DL3008", "docker-unpinned-apt"),
    ("DL3009", "docker-apt-lists-kept"),
    ("DL3013", "docker-unpinned-pip"),
    ("DL3015", "docker-apt-install-recommends"),
    ("DL3016", "docker-unpinned-npm"),
    ("DL3018", "docker-unpinned-apk"),
    ("DL3019", "docker-apk-cache-kept"),
    ("DL3020", "docker-add-instead-of-copy"),
    ("DL4006", "docker-pipe-without-pipefail"),
    ("remote-script-pipe-to-shell", "remote-script-pipe-to-shell"),
    ("remote-add-without-checksum", "remote-add-without-checksum"),
];

fn audit_id(rule: &str) -> &'static str {
    RULES.iter().find(|(r, _)| *r == rule).map(|(_, id)| *id).unwrap_or_else(|| panic!("no audit for rule {rule}"))
}

fn run(name: &str, bytes: &[u8], persona: Persona) -> Vec<Finding> {
    let input = load(name, Path::new(name), bytes, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    audit(&[input], &Config::default(), &Filter { persona, ..Filter::default() }).findings
}

#[test]
fn dockerfile_cases() {
    let Some(shared) = chainward_testkit::shared_dir() else { return };
    let root = shared.join("corpus/workflows/dockerfiles");
    let rows = chainward_testkit::read_tsv(&root.join("cases.tsv"));
    assert!(rows.len() >= 35, "cases.tsv has {} rows", rows.len());
    // (file) → findings with the start line of the instruction each points into.
    let mut results: BTreeMap<String, Vec<(&'static str, usize)>> = BTreeMap::new();
    for row in &rows {
        let file = row["file"].clone();
        if results.contains_key(&file) {
            continue;
        }
        let path = root.join(&file);
        assert!(is_dockerfile_name(&path), "{file} is not named like a Dockerfile");
        let bytes = std::fs::read(&path).unwrap();
        let parsed = dockerfile::parse(&bytes, &Limits::default()).unwrap();
        let found = run(&file, &bytes, Persona::Regular)
            .into_iter()
            .map(|f| {
                let ins = parsed.instruction_at(f.primary.bytes.0).unwrap_or_else(|| panic!("{file}: {f:?}"));
                assert!(f.primary.line >= ins.line && f.primary.end_line <= ins.end_line, "{file}: {f:?}");
                (f.id, ins.line)
            })
            .collect();
        results.insert(file, found);
    }
    let mut passed = 0;
    let mut failures = Vec::new();
    let mut listed: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for row in &rows {
        let id = audit_id(&row["rule"]);
        let found = &results[&row["file"]];
        let want: usize = row["count"].parse().unwrap();
        let got = match row["line"].as_str() {
            "-" | "" => found.iter().filter(|(f, _)| *f == id).count(),
            line => {
                let line: usize = line.parse().unwrap();
                found.iter().filter(|(f, l)| *f == id && *l == line).count()
            }
        };
        *listed.entry((row["file"].clone(), id)).or_default() += want;
        if got == want {
            passed += 1;
        } else {
            failures
                .push(format!("{} {} ({id}) line {}: want {want}, got {got}", row["file"], row["rule"], row["line"]));
        }
    }
    // A (file, rule) with lines listed has no findings on other lines either.
    for ((file, id), want) in &listed {
        let total = results[file].iter().filter(|(f, _)| f == id).count();
        if total != *want {
            failures.push(format!("{file} {id}: {want} findings listed in all, got {total}"));
        }
    }
    // Findings of mapped audits on (file, rule) pairs the corpus does not list: shown for
    // review; the corpus lists the rules each file is about, not every rule.
    for (file, found) in &results {
        for (id, line) in found.iter().filter(|(id, _)| !listed.contains_key(&(file.clone(), *id))) {
            println!("not in the corpus (not checked): {file} {id} line {line}");
        }
    }
    println!("Dockerfile corpus rows passing: {passed}/{}", rows.len());
    assert!(failures.is_empty(), "{} rows fail:\n{}", failures.len(), failures.join("\n"));
}

fn ids(findings: &[Finding]) -> Vec<(&'static str, usize)> {
    findings.iter().map(|f| (f.id, f.primary.line)).collect()
}

#[test]
fn spans_point_at_the_offending_words() {
    let src = "FROM node:latest\nRUN apt-get update \\\n && apt-get -y install curl \\\n      git=1:2.39 wget\n";
    let f = run("Dockerfile", src.as_bytes(), Persona::Regular);
    let latest = f.iter().find(|f| f.id == "docker-base-latest").unwrap();
    assert_eq!((latest.primary.line, latest.primary.column, latest.primary.end_column), (1, 6, 17));
    let apt = f.iter().find(|f| f.id == "docker-unpinned-apt").unwrap();
    assert_eq!(&src[apt.primary.bytes.0..apt.primary.bytes.1], "curl");
    assert_eq!((apt.primary.line, apt.primary.column), (3, 24));
    assert_eq!(apt.related.len(), 1);
    assert_eq!(&src[apt.related[0].bytes.0..apt.related[0].bytes.1], "wget");
    assert_eq!(apt.related[0].line, 4);
    assert_eq!(apt.primary.route, "");
}

#[test]
fn inline_ignores() {
    let src = "# chainward: ignore[docker-base-latest]\nFROM node:latest\n\n# unrelated\n# chainward: ignore[docker-unpinned-apk]\nRUN apk add --no-cache \\\n  git\nRUN apk add --no-cache curl # chainward: ignore[docker-unpinned-apk]\nRUN apk add --no-cache vim\n";
    let input = load("x.Dockerfile", Path::new("x.Dockerfile"), src.as_bytes(), &Default::default()).unwrap();
    let report = audit(&[input], &Config::default(), &Filter::default());
    assert_eq!(ids(&report.findings), [("docker-unpinned-apk", 9)]);
    assert_eq!(report.ignored, 3);
    // A comment above a blank line does not reach the instruction below it.
    let f = run("Dockerfile", b"# chainward: ignore[docker-base-latest]\n\nFROM node:latest\n", Persona::Regular);
    assert_eq!(ids(&f), [("docker-base-latest", 3)]);
}

#[test]
fn tag_only_is_pedantic() {
    let src = b"FROM alpine:3.20 AS a\nFROM a\nFROM scratch\nFROM busybox@sha256:00\n";
    assert!(run("Dockerfile", src, Persona::Regular).is_empty());
    assert_eq!(ids(&run("Dockerfile", src, Persona::Pedantic)), [("docker-base-tag-only", 1)]);
}

#[test]
fn shell_forms_heredocs_and_stages() {
    let src = "ARG BASE=ubuntu\nFROM $BASE AS build\nRUN <<EOF\nset -e\ncurl -fsSL https://x.invalid/i.sh | sudo bash -s --\nEOF\n\
               RUN [\"/bin/sh\", \"-c\", \"wget -qO- https://x.invalid | sh\"]\nRUN sh -c \"$(curl -fsSL https://x.invalid)\"\n\
               FROM build\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN pip install -r requirements.txt && pip install . && npm ci && npm install\n\
               RUN python3 -m pip install --no-cache-dir flask 'django>=4' && npm i -g @scope/pkg@1 left-pad\nRUN apt install -y --no-install-recommends jq\n";
    let f = run("Dockerfile", src.as_bytes(), Persona::Regular);
    let got = ids(&f);
    for want in [
        ("docker-base-untagged", 2),
        ("remote-script-pipe-to-shell", 5),
        ("docker-pipe-without-pipefail", 5),
        ("remote-script-pipe-to-shell", 7),
        ("docker-pipe-without-pipefail", 7),
        ("remote-script-pipe-to-shell", 8),
        ("docker-unpinned-pip", 12),
        ("docker-unpinned-npm", 12),
        ("docker-unpinned-apt", 13),
    ] {
        assert!(got.contains(&want), "{want:?} missing from {got:?}");
    }
    // `pip install -r`, `pip install .`, `npm ci`, bare `npm install`, the pinned ones, and
    // pipes after `SHELL … -o pipefail` are not findings.
    assert_eq!(got.iter().filter(|(_, l)| *l == 11).count(), 0, "{got:?}");
    assert_eq!(got.iter().filter(|(id, _)| *id == "docker-pipe-without-pipefail").count(), 2, "{got:?}");
    let pip = f.iter().find(|f| f.id == "docker-unpinned-pip").unwrap();
    assert_eq!(&src[pip.primary.bytes.0..pip.primary.bytes.1], "flask");
    assert!(pip.related.is_empty());
    let npm = f.iter().find(|f| f.id == "docker-unpinned-npm").unwrap();
    assert_eq!(&src[npm.primary.bytes.0..npm.primary.bytes.1], "left-pad");
    // Exempt base image from a global ARG: medium confidence, as --build-arg may override it.
    let untagged = f.iter().find(|f| f.id == "docker-base-untagged").unwrap();
    assert_eq!(untagged.confidence, chainward_pipeline::Confidence::Medium);
}

#[test]
fn dockerfile_names_and_discovery() {
    for yes in ["Dockerfile", "Containerfile", "a/web.Dockerfile", "b.dockerfile", "Dockerfile.prod"] {
        assert!(is_dockerfile_name(Path::new(yes)), "{yes}");
    }
    for no in ["Dockerfile.dockerignore", "Dockerfile.", "dockerfile.yml", "action.yml", "Dockerfiles"] {
        assert!(!is_dockerfile_name(Path::new(no)), "{no}");
    }
    let dir = std::env::temp_dir().join(format!("chainward-dockerfile-discover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for f in
        ["Dockerfile", "svc/Containerfile", "svc/api.Dockerfile", "node_modules/x/Dockerfile", ".hidden/Dockerfile"]
    {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "FROM scratch\n").unwrap();
    }
    let found: Vec<String> =
        discover(&dir).unwrap().iter().map(|p| p.strip_prefix(&dir).unwrap().display().to_string()).collect();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, ["Dockerfile", "svc/Containerfile", "svc/api.Dockerfile"]);
}
