//! `chainward pipeline audit|explain`.
//!
//! # The JSON format (`--format json`), `chainward.pipeline/v1`
//!
//! One object: `version` (`"chainward.pipeline/v1"`), `findings` (array), `suppressed` and
//! `ignored` (counts of findings hidden by persona/minimums and by inline comments), `errors`
//! (array of strings, one per input that could not be audited). Each finding: `id`,
//! `description`, `severity` (informational|low|medium|high), `confidence` (low|medium|high),
//! `persona` (regular|pedantic|auditor), `primary` and `related` locations. A location:
//! `file`, `route` (YAML path such as `jobs.build.steps[2].uses`), `line`, `column`,
//! `end_line`, `end_column` (1-based; columns count characters), `bytes` (`[start, end)`
//! byte offsets), `annotation`. Fields are only ever added within v1; a change in meaning
//! gets a new version.
//!
//! # SARIF (`--format sarif`)
//!
//! A SARIF 2.1.0 log for GitHub code scanning (`github/codeql-action/upload-sarif`) and other
//! dashboards, valid against the official schema; `chainward-report`'s `sarif` module documents
//! every field. In short: one run; every audit that ran is a rule (id, one-line description,
//! its `explain` page as help); one result per shown finding with `level` from the severity
//! (high → `error`, medium → `warning`, low and informational → `note`), `severity` and
//! `confidence` properties, the primary span in `locations` and the related ones in
//! `relatedLocations`, and a `partialFingerprints` entry that does not change when lines move.
//! Paths are relative to the current directory (run it from the repository root) under
//! `%SRCROOT%`; columns count Unicode code points (`columnKind: unicodeCodePoints`). Inputs that
//! could not be audited are `toolExecutionNotifications` of a run whose
//! `executionSuccessful` is false.
//!
//! # GitHub annotations (`--format github`)
//!
//! One workflow command per finding, for a step of a GitHub Actions job:
//! `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=AUDIT-ID::description: annotation (severity: …, confidence: …)`,
//! `warning` for medium and `notice` for low and informational; columns only when the span is
//! on one line; values escaped as GitHub requires. Inputs that could not be audited are
//! reported on stderr only.
//!
//! Every format exits the same way: 0 nothing at or above `--fail-on`, 1 findings at or above
//! it, 2 an error (an input could not be audited, among others).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chainward_pipeline::{
    Confidence, Config, Filter, Finding, Input, Location, PLANNED_AUDITS, Persona, Report, Severity, all_audits,
};
use serde::Serialize;

use crate::cli::{ConfidenceArg, PersonaArg, PipelineAuditArgs, PipelineCommand, PipelineFormatArg, SeverityArg};
use crate::exit;

mod report_input;

const CONFIG_NAMES: [&str; 2] = ["chainward-pipeline.yml", ".github/chainward-pipeline.yml"];

/// Runs a pipeline subcommand.
pub(crate) fn run(cmd: PipelineCommand) -> anyhow::Result<u8> {
    match cmd {
        PipelineCommand::Audit(args) => audit(&args),
        PipelineCommand::Explain(args) => explain(&args.id),
    }
}

fn severity(s: SeverityArg) -> Severity {
    match s {
        SeverityArg::Informational => Severity::Informational,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
    }
}

fn find_config(args: &PipelineAuditArgs) -> Option<PathBuf> {
    if let Some(c) = &args.config {
        return Some(c.clone());
    }
    let mut bases = vec![PathBuf::from(".")];
    bases.extend(args.paths.iter().find(|p| p.is_dir()).cloned());
    bases.iter().flat_map(|b| CONFIG_NAMES.iter().map(move |n| b.join(n))).find(|p| p.is_file())
}

fn load_config(args: &PipelineAuditArgs) -> anyhow::Result<Config> {
    let Some(path) = find_config(args) else { return Ok(Config::default()) };
    let bytes = std::fs::read(&path).with_context(|| format!("reading the config file {}", path.display()))?;
    let known: Vec<&str> = all_audits().iter().map(|a| a.id).collect();
    let mut config = Config::parse(&bytes, &known).with_context(|| format!("in the config file {}", path.display()))?;
    if let Some(dir) = config.action_advisories_dir.clone() {
        // Relative to the config file, so the file means the same from any working directory.
        let dir = path.parent().unwrap_or(Path::new(".")).join(dir);
        add_advisories(&mut config, &dir)
            .with_context(|| format!("known-compromised-action advisories of the config file {}", path.display()))?;
    }
    Ok(config)
}

/// Adds the OSV records of a directory to the bundled ones of `known-compromised-action`.
fn add_advisories(config: &mut Config, dir: &Path) -> anyhow::Result<()> {
    let found = chainward_pipeline::ActionAdvisories::load_dir(dir)
        .with_context(|| format!("reading the advisories in {}", dir.display()))?;
    tracing::debug!("{}: {} GitHub Actions advisories", dir.display(), found.len());
    config.action_advisories.extend(found);
    Ok(())
}

type GitHub = std::sync::Arc<chainward_pipeline::github::GitHubClient>;
type Audits = Vec<Box<dyn chainward_pipeline::Audit>>;

/// The audits to run: the offline registry, plus the online audits and their GitHub client
/// with `--online` (never constructed without it).
fn audits_for(args: &PipelineAuditArgs, config: &Config) -> anyhow::Result<(Audits, Option<GitHub>)> {
    use chainward_pipeline::github::{ClientOptions, DEFAULT_API_URL, GitHubClient, GitHubToken};
    let mut audits = chainward_pipeline::registry(config);
    if !args.online {
        return Ok((audits, None));
    }
    let Some(token) = std::env::var("GH_TOKEN").ok().as_deref().and_then(GitHubToken::new) else {
        bail!(
            "--online needs a GitHub token in the GH_TOKEN environment variable (any token works \
             for public repositories; e.g. GH_TOKEN=$(gh auth token))"
        );
    };
    let api_url = args.github_api.clone().unwrap_or_else(|| DEFAULT_API_URL.to_owned());
    let client = std::sync::Arc::new(
        GitHubClient::new(&token, ClientOptions { api_url, ..ClientOptions::default() })
            .context("setting up the GitHub API client for --online")?,
    );
    audits.extend(chainward_pipeline::online_registry(config, &client));
    Ok((audits, Some(client)))
}

fn audit(args: &PipelineAuditArgs) -> anyhow::Result<u8> {
    let mut config = load_config(args)?;
    for dir in &args.advisories {
        add_advisories(&mut config, dir)?;
    }
    let limits = chainward_yaml::Limits::default();
    let mut inputs: Vec<Input> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for path in &args.paths {
        if !path.exists() {
            bail!("{}: no such file or directory", path.display());
        }
        let files = chainward_pipeline::discover(path)?;
        if files.is_empty() {
            tracing::warn!(
                "{}: no workflows, actions, Dependabot or pre-commit configs or Dockerfiles found",
                path.display()
            );
        }
        for file in files {
            // A bad file is reported and the run goes on; the exit code says it happened.
            match chainward_pipeline::load_path(&file, &limits) {
                Ok(input) => inputs.push(input),
                Err(e) => {
                    tracing::error!("{e}");
                    errors.push(e.to_string());
                }
            }
        }
    }
    let filter = Filter {
        persona: match args.persona {
            PersonaArg::Regular => Persona::Regular,
            PersonaArg::Pedantic => Persona::Pedantic,
            PersonaArg::Auditor => Persona::Auditor,
        },
        min_severity: args.min_severity.map(severity),
        min_confidence: args.min_confidence.map(|c| match c {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        }),
    };
    let (audits, github) = audits_for(args, &config)?;
    let mut report = chainward_pipeline::audit_with(&inputs, &audits, &config, &filter);
    // Online, tags and branches can be pinned to the commits they name now.
    if args.fix
        && let Some(client) = &github
    {
        chainward_pipeline::github::add_pin_fixes(&inputs, &mut report, client);
    }
    if args.fix && apply_fixes(&mut inputs, &report, &limits, &mut errors) {
        // Report what is left in the fixed files.
        report = chainward_pipeline::audit_with(&inputs, &audits, &config, &filter);
    }
    // GitHub API failures do not stop the run: the other audits' findings are still shown,
    // and the exit code says the online audits are incomplete.
    for problem in github.iter().flat_map(|c| c.problems()) {
        tracing::error!("{problem}");
        errors.push(format!("online audits incomplete: {problem}"));
    }
    crate::output::write_output(None, |w| match args.format {
        PipelineFormatArg::Plain => write_plain(w, &report, &inputs),
        PipelineFormatArg::Json => write_json(w, &report, &errors),
        PipelineFormatArg::Sarif => {
            let neutral = report_input::report_input(&report, &inputs, &audits, &config, &errors);
            Ok(chainward_report::sarif::write(w, &neutral)?)
        }
        PipelineFormatArg::Github => {
            let neutral = report_input::report_input(&report, &inputs, &audits, &config, &errors);
            Ok(chainward_report::github::write(w, &neutral.findings)?)
        }
    })?;
    if !errors.is_empty() {
        return Ok(exit::ERROR);
    }
    let fail_on = severity(args.fail_on);
    Ok(if report.findings.iter().any(|f| f.severity >= fail_on) { 1 } else { exit::OK })
}

/// Applies the fixes the findings offer, file by file, and reloads the fixed inputs. Returns
/// whether any file changed. A file whose fixes cannot be applied safely is left as it was
/// and named in `errors`.
fn apply_fixes(
    inputs: &mut [Input],
    report: &Report,
    limits: &chainward_yaml::Limits,
    errors: &mut Vec<String>,
) -> bool {
    let findings: Vec<&Finding> = report.findings.iter().collect();
    let mut changed = false;
    for input in inputs.iter_mut() {
        let fixed = match chainward_pipeline::fix_file(input, &findings, limits) {
            Ok(Some(fixed)) => fixed,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!("{e}");
                errors.push(e.to_string());
                continue;
            }
        };
        let path = std::path::Path::new(&input.file);
        let reloaded = write_preserving_permissions(path, &fixed.source)
            .and_then(|()| chainward_pipeline::load_path(path, limits).map_err(anyhow::Error::from));
        match reloaded {
            Ok(new_input) => {
                tracing::info!(
                    "{}: applied {} fix(es){}",
                    input.file,
                    fixed.applied.len(),
                    if fixed.deferred > 0 {
                        format!(", {} left for another run", fixed.deferred)
                    } else {
                        String::new()
                    }
                );
                *input = new_input;
                changed = true;
            }
            Err(e) => {
                let message = format!("{}: writing the fixed file: {e:#}", input.file);
                tracing::error!("{message}");
                errors.push(message);
            }
        }
    }
    changed
}

/// Replaces a file atomically (a temporary file renamed over it) with its permissions kept.
fn write_preserving_permissions(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    let permissions = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.permissions();
    crate::output::write_output(Some(path), |w| Ok(w.write_all(contents.as_bytes())?))?;
    std::fs::set_permissions(path, permissions).with_context(|| format!("setting permissions of {}", path.display()))
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: &'static str,
    findings: &'a [Finding],
    suppressed: usize,
    ignored: usize,
    errors: &'a [String],
}

fn write_json(w: &mut dyn Write, report: &Report, errors: &[String]) -> anyhow::Result<()> {
    let doc = JsonReport {
        version: "chainward.pipeline/v1",
        findings: &report.findings,
        suppressed: report.suppressed,
        ignored: report.ignored,
        errors,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)?;
    Ok(())
}

/// Most lines of source shown for one finding.
const MAX_SNIPPET_LINES: usize = 12;

fn write_plain(w: &mut dyn Write, report: &Report, inputs: &[Input]) -> anyhow::Result<()> {
    use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
    let renderer = if std::io::stdout().is_terminal() { Renderer::styled() } else { Renderer::plain() };
    let mut current: Option<&str> = None;
    for f in &report.findings {
        if current != Some(f.primary.file.as_str()) {
            current = Some(&f.primary.file);
            writeln!(w, "── {} ──", f.primary.file)?;
        }
        let Some(input) = inputs.iter().find(|i| i.file == f.primary.file) else { continue };
        let doc = input.doc();
        // A window of whole lines around the locations, so a 20 MB file is never handed over.
        let first = f.primary.line;
        let last = std::iter::once(&f.primary)
            .chain(&f.related)
            .map(|l| l.end_line)
            .max()
            .unwrap_or(first)
            .clamp(first, first + MAX_SNIPPET_LINES - 1);
        let window_start = doc.line_start(first);
        let window_end = doc.line_start(last + 1).max(window_start);
        let source = doc.source().get(window_start..window_end).unwrap_or_default();
        let clip = |l: &Location| -> Option<std::ops::Range<usize>> {
            if l.line < first || l.line > last {
                return None;
            }
            let s = l.bytes.0.saturating_sub(window_start).min(source.len());
            let e = l.bytes.1.saturating_sub(window_start).clamp(s, source.len());
            Some(s..e)
        };
        let mut snippet = Snippet::source(source).line_start(first).path(f.primary.file.as_str());
        if let Some(span) = clip(&f.primary) {
            snippet = snippet.annotation(AnnotationKind::Primary.span(span).label(f.primary.annotation.as_str()));
        }
        for r in &f.related {
            if let Some(span) = clip(r) {
                snippet = snippet.annotation(AnnotationKind::Context.span(span).label(r.annotation.as_str()));
            }
        }
        let level = match f.severity {
            Severity::High => Level::ERROR,
            Severity::Medium => Level::WARNING,
            Severity::Low => Level::HELP,
            Severity::Informational => Level::INFO,
        };
        let confidence = match f.confidence {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        };
        let title = format!("{}: {} (confidence: {confidence})", f.id, f.description);
        let group = level.primary_title(title).element(snippet);
        writeln!(w, "{}", renderer.render(&[group]))?;
        writeln!(w)?;
    }
    let n = report.findings.len();
    writeln!(
        w,
        "{n} finding{} ({} suppressed by persona or minimums, {} ignored by comments)",
        if n == 1 { "" } else { "s" },
        report.suppressed,
        report.ignored
    )?;
    Ok(())
}

fn explain(id: &str) -> anyhow::Result<u8> {
    if let Some(info) = all_audits().into_iter().find(|a| a.id == id) {
        crate::output::write_output(None, |w| {
            writeln!(w, "{}", info.doc.trim_end())?;
            Ok(())
        })?;
        return Ok(exit::OK);
    }
    if PLANNED_AUDITS.contains(&id) {
        bail!("the audit `{id}` is planned but not implemented yet");
    }
    let known: Vec<&str> = all_audits().iter().map(|a| a.id).collect();
    bail!("no audit is called `{id}`; known audits: {}", known.join(", "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn explain_knows_every_audit() {
        for a in chainward_pipeline::all_audits() {
            assert!(a.doc.starts_with(&format!("# {}", a.id)), "{}", a.id);
        }
    }

    /// docs/pipeline.md lists every audit, and nothing that is not one.
    #[test]
    fn the_command_page_lists_every_audit() {
        let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/pipeline.md")).unwrap();
        let listed: std::collections::BTreeSet<&str> =
            page.lines().filter_map(|l| l.strip_prefix("| `")?.split_once('`').map(|(id, _)| id)).collect();
        let audits: std::collections::BTreeSet<&str> = chainward_pipeline::all_audits().iter().map(|a| a.id).collect();
        assert_eq!(listed, audits);
    }
}
