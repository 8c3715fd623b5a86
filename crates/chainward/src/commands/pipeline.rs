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

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chainward_pipeline::{
    Confidence, Config, Filter, Finding, Input, Location, PLANNED_AUDITS, Persona, Report, Severity, all_audits,
};
use serde::Serialize;

use crate::cli::{ConfidenceArg, PersonaArg, PipelineAuditArgs, PipelineCommand, PipelineFormatArg, SeverityArg};
use crate::exit;

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
    Config::parse(&bytes, &known).with_context(|| format!("in the config file {}", path.display()))
}

fn audit(args: &PipelineAuditArgs) -> anyhow::Result<u8> {
    let config = load_config(args)?;
    let limits = chainward_yaml::Limits::default();
    let mut inputs: Vec<Input> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for path in &args.paths {
        if !path.exists() {
            bail!("{}: no such file or directory", path.display());
        }
        let files = chainward_pipeline::discover(path)?;
        if files.is_empty() {
            tracing::warn!("{}: no workflows, action.yml or dependabot.yml found", path.display());
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
    let report = chainward_pipeline::audit(&inputs, &config, &filter);
    crate::output::write_output(None, |w| match args.format {
        PipelineFormatArg::Plain => write_plain(w, &report, &inputs),
        PipelineFormatArg::Json => write_json(w, &report, &errors),
    })?;
    if !errors.is_empty() {
        return Ok(exit::ERROR);
    }
    let fail_on = severity(args.fail_on);
    Ok(if report.findings.iter().any(|f| f.severity >= fail_on) { 1 } else { exit::OK })
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
}
