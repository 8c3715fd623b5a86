//! Pipeline findings in the neutral shape of `chainward-report` (for `--format sarif|github`).
//!
//! The mapping is generic over inputs: a finding is placed by its file and span, and its snippet
//! is cut from whichever input has that file, whatever kind of input it is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chainward_pipeline::{Audit, Confidence, Config, Finding, Input, Location, Report, Severity};

/// The tool as SARIF names it.
fn tool() -> chainward_report::Tool {
    chainward_report::Tool {
        name: "chainward".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        information_uri: env!("CARGO_PKG_REPOSITORY").into(),
    }
}

/// Builds the neutral report: every audit that ran (those given, less those the config
/// disables) as a rule, the shown findings in their order (file, line, id), and the inputs that could
/// not be audited.
pub(super) fn report_input(
    report: &Report,
    inputs: &[Input],
    audits: &[Box<dyn Audit>],
    config: &Config,
    errors: &[String],
) -> chainward_report::Report {
    let mut rules: BTreeMap<&str, chainward_report::Rule> = BTreeMap::new();
    for audit in audits {
        let info = audit.info();
        if config.disabled.contains(info.id) {
            continue;
        }
        rules.insert(info.id, rule(info.id, info.description, info.doc));
    }
    // A finding always names a registered audit; should one not, it still gets a rule rather
    // than making the whole report fail.
    for f in &report.findings {
        rules.entry(f.id).or_insert_with(|| {
            let doc = chainward_pipeline::all_audits().into_iter().find(|a| a.id == f.id).map_or("", |a| a.doc);
            rule(f.id, f.description, doc)
        });
    }

    let sources: HashMap<&str, &str> = inputs.iter().map(|i| (i.file.as_str(), i.doc().source())).collect();
    let root = std::env::current_dir().ok();
    let place = |l: &Location| location(l, sources.get(l.file.as_str()).copied(), root.as_deref());
    let findings = report
        .findings
        .iter()
        .map(|f: &Finding| chainward_report::Finding {
            rule_id: f.id.to_owned(),
            severity: severity(f.severity),
            confidence: Some(confidence(f.confidence)),
            message: if f.primary.annotation.is_empty() {
                f.description.to_owned()
            } else {
                format!("{}: {}", f.description, f.primary.annotation)
            },
            primary: place(&f.primary),
            related: f.related.iter().map(place).collect(),
        })
        .collect();
    chainward_report::Report { tool: tool(), rules: rules.into_values().collect(), findings, errors: errors.to_vec() }
}

fn rule(id: &str, description: &str, doc: &str) -> chainward_report::Rule {
    chainward_report::Rule {
        id: id.to_owned(),
        description: description.to_owned(),
        help_markdown: if doc.is_empty() { format!("# {id}\n\n{description}\n") } else { doc.to_owned() },
        // Audits state no default severity (a finding's severity depends on what it found, e.g.
        // template-injection is high or low); every result carries its own level, so the
        // rule's default is SARIF's own (§3.50.3).
        default_level: chainward_report::Level::Warning,
        tags: vec!["security".to_owned()],
    }
}

fn severity(s: Severity) -> chainward_report::Severity {
    match s {
        Severity::Informational => chainward_report::Severity::Informational,
        Severity::Low => chainward_report::Severity::Low,
        Severity::Medium => chainward_report::Severity::Medium,
        Severity::High => chainward_report::Severity::High,
    }
}

fn confidence(c: Confidence) -> chainward_report::Confidence {
    match c {
        Confidence::Low => chainward_report::Confidence::Low,
        Confidence::Medium => chainward_report::Confidence::Medium,
        Confidence::High => chainward_report::Confidence::High,
    }
}

fn location(l: &Location, source: Option<&str>, root: Option<&Path>) -> chainward_report::Location {
    let (start, end) = l.bytes;
    chainward_report::Location {
        file: Some(relative_to_root(&l.file, root)),
        region: Some(chainward_report::Region {
            start_line: l.line,
            start_column: l.column,
            end_line: l.end_line,
            end_column: l.end_column,
        }),
        logical: (!l.route.is_empty()).then(|| l.route.clone()),
        snippet: source.and_then(|s| s.get(start..end.max(start))).map(str::to_owned),
        message: (!l.annotation.is_empty()).then(|| l.annotation.clone()),
    }
}

/// Paths under the current directory (the checkout, in CI) relative to it, as SARIF's
/// `%SRCROOT%` and GitHub annotations expect; other paths as given.
fn relative_to_root(file: &str, root: Option<&Path>) -> String {
    let path = Path::new(file);
    if path.is_absolute()
        && let Some(root) = root
    {
        let roots: [Option<PathBuf>; 2] = [Some(root.to_path_buf()), root.canonicalize().ok()];
        let canonical = path.canonicalize().ok();
        for r in roots.iter().flatten() {
            for p in [Some(path), canonical.as_deref()].into_iter().flatten() {
                if let Ok(rel) = p.strip_prefix(r) {
                    return rel.display().to_string();
                }
            }
        }
    }
    file.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_root_become_relative() {
        let root = Path::new("/srv/checkout");
        assert_eq!(relative_to_root("/srv/checkout/.github/workflows/ci.yml", Some(root)), ".github/workflows/ci.yml");
        assert_eq!(relative_to_root("/elsewhere/ci.yml", Some(root)), "/elsewhere/ci.yml");
        assert_eq!(relative_to_root(".github/workflows/ci.yml", Some(root)), ".github/workflows/ci.yml");
        assert_eq!(relative_to_root("/srv/checkout/a.yml", None), "/srv/checkout/a.yml");
    }

    #[test]
    fn every_audit_is_a_rule_and_findings_keep_their_spans() {
        let yaml = b"on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: {persist-credentials: false}\n";
        let input = chainward_pipeline::load(
            ".github/workflows/ci.yml",
            Path::new(".github/workflows/ci.yml"),
            yaml,
            &Default::default(),
        )
        .unwrap();
        let config = Config::default();
        let report =
            chainward_pipeline::audit(std::slice::from_ref(&input), &config, &chainward_pipeline::Filter::default());
        let audits = chainward_pipeline::registry(&config);
        let neutral = report_input(&report, std::slice::from_ref(&input), &audits, &config, &[]);
        // Every audit that runs (the registry; not the online audits an offline run skips).
        let ran: std::collections::BTreeSet<&str> = audits.iter().map(|a| a.info().id).collect();
        let rules: std::collections::BTreeSet<&str> = neutral.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(rules, ran);
        assert_eq!(neutral.findings.len(), report.findings.len());
        let f = neutral.findings.iter().find(|f| f.rule_id == "unpinned-uses").unwrap();
        assert_eq!(f.primary.snippet.as_deref(), Some("actions/checkout@v4"));
        assert_eq!(f.primary.logical.as_deref(), Some("jobs.a.steps[0].uses"));
        assert_eq!(f.primary.region.map(|r| (r.start_line, r.start_column, r.end_column)), Some((7, 15, 34)));
        assert_eq!(f.severity, chainward_report::Severity::High);
        let doc = neutral.rules.iter().find(|r| r.id == "unpinned-uses").unwrap();
        assert!(doc.help_markdown.starts_with("# unpinned-uses"));
    }
}
