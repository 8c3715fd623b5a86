//! SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), the format GitHub code
//! scanning and most security dashboards ingest.
//!
//! One log, one run. What goes where (section numbers of the SARIF 2.1.0 specification):
//!
//! - `invocations[0]` (§3.20): `executionSuccessful` is false when part of the input could not be
//!   checked ([`crate::Report::errors`]), each error a `toolExecutionNotifications` entry.
//! - `tool.driver` (§3.19): `name`, `version`, `semanticVersion`, `informationUri`, and `rules`.
//!   **Every rule of the report is listed, not only those with results**: the report's rules
//!   are the rules that ran, and §3.19.23 makes `rules` the tool component's rule set, so a
//!   consumer can tell "ran and found nothing" from "did not run", and each rule's
//!   documentation travels with the log. Rules are sorted by id, so `ruleIndex` does not depend
//!   on which rules fired.
//! - A rule (§3.49): `id`, `shortDescription` (the one line), `fullDescription` (the first
//!   paragraph of the documentation page), `help` (the whole page, as `text` and `markdown`),
//!   `defaultConfiguration.level`, `properties.tags`.
//! - A result (§3.27): `ruleId`, `ruleIndex`, `level`, `message.text`, one `locations` entry
//!   (the primary location), `relatedLocations` (numbered from 1 by `id`), `partialFingerprints`
//!   and `properties.severity` / `properties.confidence`.
//! - `level` from the severity ([`crate::Severity::level`]): critical and high → `error`,
//!   medium → `warning`, low and informational → `note`.
//! - A location (§3.28): `physicalLocation.artifactLocation.uri` — the file relative to the
//!   source root with `/` separators, percent-encoded as a URI reference (RFC 3986), with
//!   `uriBaseId` `%SRCROOT%` (absolute paths become `file://` URIs without a base) — and
//!   `region` (§3.30) `startLine`, `startColumn`, `endLine`, `endColumn`, 1-based, the end
//!   column exclusive (§3.30.8: the column after the last character). **Columns count Unicode
//!   code points**, as chainward's spans do, so the run says `columnKind: "unicodeCodePoints"`
//!   (§3.14.20) instead of the default UTF-16 code units; the two agree on ASCII.
//!   `region.snippet.text` is the region's text when it is at most [`MAX_SNIPPET_BYTES`].
//!   A logical location (a YAML route, a purl) is `logicalLocations[0].fullyQualifiedName`.
//! - `partialFingerprints` (§3.27.17) `chainwardFindingHash/v1`: the first 128 bits of a
//!   SHA-256 over the rule id, the file, the logical location with array indices dropped
//!   (`jobs.build.steps[].uses`) and the first line of the snippet (trimmed), then `:` and the
//!   occurrence number of that hash within the run (from 1). No line or column goes in, so a
//!   finding keeps its fingerprint when lines are added above it or steps are reordered.
//!
//! The output is deterministic: no timestamps, no absolute paths the caller did not give, fields
//! in a fixed order, results in the order given.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Finding, Level, Location, Report, ReportError, Rule};

/// The `$schema` of the log: the OASIS errata01 schema (the one in the shared corpus).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `uriBaseId` of relative artifact locations: the source root (the repository checkout).
pub const SRCROOT: &str = "%SRCROOT%";

/// The name of the partial fingerprint (§3.27.17: names carry their version).
pub const FINGERPRINT: &str = "chainwardFindingHash/v1";

/// Longest region text copied into `region.snippet` (a whole job, say, is left out).
pub const MAX_SNIPPET_BYTES: usize = 2048;

/// Writes `report` as a SARIF 2.1.0 log (pretty-printed JSON and a newline).
pub fn write(w: &mut (impl Write + ?Sized), report: &Report) -> Result<(), ReportError> {
    let log = build(report)?;
    serde_json::to_writer_pretty(&mut *w, &log)?;
    writeln!(w)?;
    Ok(())
}

/// Builds the SARIF log of `report` as a JSON value (for callers that embed or inspect it).
pub fn to_value(report: &Report) -> Result<serde_json::Value, ReportError> {
    Ok(serde_json::to_value(build(report)?)?)
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation<'a>; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Text<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'a str,
    rules: Vec<SarifRule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule<'a> {
    id: &'a str,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Text<'a>,
    default_configuration: Configuration,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RuleProperties<'a>>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<&'a str>,
}

impl<'a> Text<'a> {
    fn plain(text: &'a str) -> Self {
        Text { text, markdown: None }
    }
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text<'a>,
    locations: [SarifLocation<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    partial_fingerprints: HashMapOne,
    properties: ResultProperties,
}

/// `partialFingerprints` with our one entry (a struct, so the field order is fixed).
#[derive(Serialize)]
struct HashMapOne {
    #[serde(rename = "chainwardFindingHash/v1")]
    finding_hash: String,
}

#[derive(Serialize)]
struct ResultProperties {
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<SarifRegion<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion<'a> {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

fn build(report: &Report) -> Result<Log<'_>, ReportError> {
    let mut rules: Vec<&Rule> = report.rules.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(pair) = rules.windows(2).find(|p| p.first().map(|r| &r.id) == p.get(1).map(|r| &r.id)) {
        let rule_id = pair.first().map(|r| r.id.clone()).unwrap_or_default();
        return Err(ReportError::DuplicateRule { rule_id });
    }
    let index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut results = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        let Some(&rule_index) = index.get(f.rule_id.as_str()) else {
            return Err(ReportError::UnknownRule { rule_id: f.rule_id.clone() });
        };
        let hash = fingerprint_hash(f);
        let n = seen.entry(hash.clone()).or_insert(0);
        *n += 1;
        results.push(SarifResult {
            rule_id: &f.rule_id,
            rule_index,
            level: level(f.level()),
            message: Text::plain(&f.message),
            locations: [location(&f.primary, None)],
            related_locations: f.related.iter().enumerate().map(|(i, l)| location(l, Some(i + 1))).collect(),
            partial_fingerprints: HashMapOne { finding_hash: format!("{hash}:{n}") },
            properties: ResultProperties {
                severity: f.severity.as_str(),
                confidence: f.confidence.map(|c| c.as_str()),
            },
        });
    }

    Ok(Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: &report.tool.name,
                    version: &report.tool.version,
                    semantic_version: &report.tool.version,
                    information_uri: &report.tool.information_uri,
                    rules: rules.iter().map(|r| rule(r)).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: report
                    .errors
                    .iter()
                    .map(|e| Notification { level: "error", message: Text::plain(e) })
                    .collect(),
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    })
}

fn rule(r: &Rule) -> SarifRule<'_> {
    let full = first_paragraph(&r.help_markdown).unwrap_or(&r.description);
    SarifRule {
        id: &r.id,
        short_description: Text::plain(&r.description),
        full_description: Text { text: full, markdown: Some(full) },
        help: Text { text: &r.help_markdown, markdown: Some(&r.help_markdown) },
        default_configuration: Configuration { level: level(r.default_level) },
        properties: (!r.tags.is_empty()).then_some(RuleProperties { tags: &r.tags }),
    }
}

/// The first paragraph of a Markdown page that is not a heading.
fn first_paragraph(md: &str) -> Option<&str> {
    md.split("\n\n").map(str::trim).find(|p| !p.is_empty() && !p.starts_with('#'))
}

fn location(l: &Location, id: Option<usize>) -> SarifLocation<'_> {
    let physical_location = l.file.as_deref().map(|file| {
        let (uri, uri_base_id) = artifact_uri(file);
        PhysicalLocation {
            artifact_location: ArtifactLocation { uri, uri_base_id },
            region: l.region.map(|r| {
                let start_line = r.start_line.max(1);
                let start_column = r.start_column.max(1);
                let end_line = r.end_line.max(start_line);
                let end_column =
                    if end_line == start_line { r.end_column.max(start_column) } else { r.end_column.max(1) };
                SarifRegion {
                    start_line,
                    start_column,
                    end_line,
                    end_column,
                    snippet: l
                        .snippet
                        .as_deref()
                        .filter(|s| !s.is_empty() && s.len() <= MAX_SNIPPET_BYTES)
                        .map(Text::plain),
                }
            }),
        }
    });
    SarifLocation {
        id,
        physical_location,
        logical_locations: l
            .logical
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|name| LogicalLocation { fully_qualified_name: name })
            .into_iter()
            .collect(),
        message: l.message.as_deref().filter(|s| !s.is_empty()).map(Text::plain),
    }
}

/// The artifact URI of a file: a relative reference under `%SRCROOT%`, or a `file://` URI for
/// an absolute path.
fn artifact_uri(file: &str) -> (String, Option<&'static str>) {
    let path = file.replace('\\', "/");
    let bytes = path.as_bytes();
    let drive = bytes.len() >= 2 && bytes.first().is_some_and(u8::is_ascii_alphabetic) && bytes.get(1) == Some(&b':');
    if path.starts_with('/') {
        (format!("file://{}", percent_encode(&path, true)), None)
    } else if drive {
        (format!("file:///{}", percent_encode(&path, true)), None)
    } else {
        let rel = path.strip_prefix("./").unwrap_or(&path);
        // A `:` in the first segment of a relative reference would read as a scheme (RFC 3986
        // §4.2), so relative references encode every `:`.
        (percent_encode(rel, false), Some(SRCROOT))
    }
}

/// Percent-encodes a path for a URI: unreserved characters, `/` and the sub-delimiters that are
/// harmless in a path stay; everything else (space, `%`, `#`, `?`, non-ASCII) is encoded as UTF-8.
fn percent_encode(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')')
            || matches!(b, b'*' | b'+' | b',' | b';' | b'=' | b'@')
            || (keep_colon && b == b':');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The hex of the first 128 bits of the SHA-256 of what identifies a finding apart from its
/// position (see the module docs).
fn fingerprint_hash(f: &Finding) -> String {
    let logical = f.primary.logical.as_deref().map(drop_indices).unwrap_or_default();
    let snippet = f.primary.snippet.as_deref().and_then(|s| s.lines().next()).unwrap_or_default().trim();
    let file = f.primary.file.as_deref().unwrap_or_default().replace('\\', "/");
    let file = file.strip_prefix("./").unwrap_or(&file);
    let mut h = Sha256::new();
    for part in [f.rule_id.as_str(), file, &logical, snippet] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    hex::encode(digest.get(..16).unwrap_or_default())
}

/// `jobs.build.steps[2].uses` → `jobs.build.steps[].uses`: positions out, names kept.
fn drop_indices(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut in_index = false;
    for c in route.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push(c);
            }
            ']' => {
                in_index = false;
                out.push(c);
            }
            c if in_index && c.is_ascii_digit() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Confidence, Region, Severity};
    use serde_json::Value;

    fn rule(id: &str) -> Rule {
        Rule {
            id: id.into(),
            description: format!("{id} description"),
            help_markdown: format!("# {id}\n\nWhat {id} flags,\nover two lines.\n\n## Fix\n\nDo this.\n"),
            default_level: Level::Warning,
            tags: vec!["security".into()],
        }
    }

    fn loc(file: &str, line: usize, route: &str, snippet: &str) -> Location {
        Location {
            file: Some(file.into()),
            region: Some(Region {
                start_line: line,
                start_column: 9,
                end_line: line,
                end_column: 9 + snippet.chars().count(),
            }),
            logical: Some(route.into()),
            snippet: Some(snippet.into()),
            message: Some(format!("at {route}")),
        }
    }

    fn finding(rule_id: &str, severity: Severity, primary: Location) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            severity,
            confidence: Some(Confidence::High),
            message: format!("{rule_id}: something"),
            primary,
            related: Vec::new(),
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            tool: crate::Tool {
                name: "chainward".into(),
                version: "0.1.0".into(),
                information_uri: "https://example.invalid/chainward".into(),
            },
            rules: vec![rule("zeta-rule"), rule("unpinned-uses"), rule("template-injection")],
            findings,
            errors: Vec::new(),
        }
    }

    fn render(r: &Report) -> String {
        let mut out = Vec::new();
        write(&mut out, r).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn sample() -> Report {
        let mut injection = finding(
            "template-injection",
            Severity::High,
            loc(".github/workflows/ci.yml", 12, "jobs.build.steps[1].run", "${{ github.event.issue.title }}"),
        );
        injection.related.push(loc(".github/workflows/ci.yml", 2, "on", "issues"));
        injection.confidence = None;
        report(vec![
            finding(
                "unpinned-uses",
                Severity::High,
                loc(".github/workflows/ci.yml", 9, "jobs.build.steps[0].uses", "actions/checkout@v4"),
            ),
            injection,
            finding("unpinned-uses", Severity::Medium, loc("sub dir/action.yml", 4, "runs.steps[0].uses", "a/b@v1")),
            finding(
                "zeta-rule",
                Severity::Low,
                Location { logical: Some("pkg:npm/x@1".into()), ..Location::default() },
            ),
        ])
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn structure() {
        let v = to_value(&sample()).unwrap();
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SCHEMA_URI);
        let run = &v["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
        assert_eq!(ids, ["template-injection", "unpinned-uses", "zeta-rule"]);
        assert_eq!(rules[0]["fullDescription"]["text"], "What template-injection flags,\nover two lines.");
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "warning");
        assert!(rules[0]["help"]["markdown"].as_str().unwrap().contains("## Fix"));

        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);
        for r in results {
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], r["ruleId"]);
        }
        let levels: Vec<&str> = results.iter().filter_map(|r| r["level"].as_str()).collect();
        assert_eq!(levels, ["error", "error", "warning", "note"]);
        let first = &results[0];
        let phys = &first["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], ".github/workflows/ci.yml");
        assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(phys["region"]["startLine"], 9);
        assert_eq!(phys["region"]["startColumn"], 9);
        assert_eq!(phys["region"]["endColumn"], 28);
        assert_eq!(phys["region"]["snippet"]["text"], "actions/checkout@v4");
        assert_eq!(first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "jobs.build.steps[0].uses");
        assert_eq!(first["properties"]["severity"], "high");
        assert_eq!(first["properties"]["confidence"], "high");
        // No confidence stated: none invented.
        assert!(results[1]["properties"].get("confidence").is_none());
        assert_eq!(results[1]["relatedLocations"][0]["id"], 1);
        assert_eq!(results[1]["relatedLocations"][0]["message"]["text"], "at on");
        // Spaces are percent-encoded.
        assert_eq!(results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "sub%20dir/action.yml");
        // A location with no file keeps its logical name and has no physical location.
        assert!(results[3]["locations"][0].get("physicalLocation").is_none());
        assert_eq!(results[3]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "pkg:npm/x@1");
    }

    #[test]
    fn errors_make_the_run_unsuccessful() {
        let v = to_value(&sample()).unwrap();
        assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], true);
        let mut r = sample();
        r.errors.push("bad.yml: duplicate key `on`".into());
        let v = to_value(&r).unwrap();
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        assert_eq!(inv["toolExecutionNotifications"][0]["level"], "error");
        assert_eq!(inv["toolExecutionNotifications"][0]["message"]["text"], "bad.yml: duplicate key `on`");
        let Some(shared) = chainward_testkit::shared_dir() else { return };
        chainward_testkit::schema::validate_against_schema(
            chainward_testkit::schema::SchemaKind::Sarif210,
            &v,
            &shared.join("corpus/schemas"),
        )
        .unwrap();
    }

    #[test]
    fn deterministic() {
        let r = sample();
        assert_eq!(render(&r), render(&r));
        // Rule order in the input does not matter.
        let mut shuffled = r.clone();
        shuffled.rules.reverse();
        assert_eq!(render(&r), render(&shuffled));
    }

    fn fingerprints(r: &Report) -> Vec<String> {
        let v = to_value(r).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"][FINGERPRINT].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn fingerprints_survive_moved_lines_and_reordered_steps() {
        let before = report(vec![finding(
            "unpinned-uses",
            Severity::High,
            loc("ci.yml", 9, "jobs.build.steps[0].uses", "actions/checkout@v4"),
        )]);
        let after = report(vec![finding(
            "unpinned-uses",
            Severity::High,
            loc("./ci.yml", 30, "jobs.build.steps[3].uses", "actions/checkout@v4"),
        )]);
        assert_eq!(fingerprints(&before), fingerprints(&after));
        let fp = &fingerprints(&before)[0];
        assert!(fp.ends_with(":1") && fp.len() == 34, "{fp}");

        // Another rule, file, job or reference is another finding.
        for other in [
            finding(
                "template-injection",
                Severity::High,
                loc("ci.yml", 9, "jobs.build.steps[0].uses", "actions/checkout@v4"),
            ),
            finding(
                "unpinned-uses",
                Severity::High,
                loc("release.yml", 9, "jobs.build.steps[0].uses", "actions/checkout@v4"),
            ),
            finding(
                "unpinned-uses",
                Severity::High,
                loc("ci.yml", 9, "jobs.test.steps[0].uses", "actions/checkout@v4"),
            ),
            finding(
                "unpinned-uses",
                Severity::High,
                loc("ci.yml", 9, "jobs.build.steps[0].uses", "actions/setup-go@v5"),
            ),
        ] {
            assert_ne!(fingerprints(&before), fingerprints(&report(vec![other])));
        }
    }

    #[test]
    fn identical_findings_are_numbered() {
        let same = || finding("unpinned-uses", Severity::High, loc("ci.yml", 9, "jobs.a.steps[0].uses", "x/y@v1"));
        let mut second = same();
        second.primary.logical = Some("jobs.a.steps[4].uses".into());
        let fps = fingerprints(&report(vec![same(), second]));
        let (a, b) = (&fps[0], &fps[1]);
        assert_eq!(a.split(':').next(), b.split(':').next());
        assert!(a.ends_with(":1") && b.ends_with(":2"), "{fps:?}");
    }

    #[test]
    fn unknown_and_duplicate_rules_are_errors() {
        let mut r = report(vec![finding("no-such-rule", Severity::Low, Location::default())]);
        assert!(
            matches!(write(&mut Vec::new(), &r), Err(ReportError::UnknownRule { rule_id }) if rule_id == "no-such-rule")
        );
        r.findings.clear();
        r.rules.push(rule("unpinned-uses"));
        assert!(
            matches!(write(&mut Vec::new(), &r), Err(ReportError::DuplicateRule { rule_id }) if rule_id == "unpinned-uses")
        );
    }

    #[test]
    fn uris() {
        assert_eq!(artifact_uri("./a/b.yml"), ("a/b.yml".into(), Some(SRCROOT)));
        assert_eq!(artifact_uri(r".github\workflows\ci.yml"), (".github/workflows/ci.yml".into(), Some(SRCROOT)));
        assert_eq!(artifact_uri("dir:x/100%#?ü.yml"), ("dir%3Ax/100%25%23%3F%C3%BC.yml".into(), Some(SRCROOT)));
        assert_eq!(artifact_uri("/abs/a b.yml"), ("file:///abs/a%20b.yml".into(), None));
        assert_eq!(artifact_uri(r"C:\repo\ci.yml"), ("file:///C:/repo/ci.yml".into(), None));
    }

    #[test]
    fn regions_are_never_inverted_and_long_snippets_are_left_out() {
        let mut l = loc("a.yml", 5, "jobs", "x");
        l.region = Some(Region { start_line: 0, start_column: 0, end_line: 0, end_column: 0 });
        l.snippet = Some("y".repeat(MAX_SNIPPET_BYTES + 1));
        let v = to_value(&report(vec![finding("zeta-rule", Severity::Low, l)])).unwrap();
        let region: &Value = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(1), Some(1)));
        assert_eq!((region["endLine"].as_u64(), region["endColumn"].as_u64()), (Some(1), Some(1)));
        assert!(region.get("snippet").is_none());
    }

    #[test]
    fn valid_against_the_official_schema() {
        let Some(shared) = chainward_testkit::shared_dir() else { return };
        let dir = shared.join("corpus/schemas");
        chainward_testkit::schema::validate_against_schema(
            chainward_testkit::schema::SchemaKind::Sarif210,
            &to_value(&sample()).unwrap(),
            &dir,
        )
        .unwrap();
        chainward_testkit::schema::validate_against_schema(
            chainward_testkit::schema::SchemaKind::Sarif210,
            &to_value(&report(Vec::new())).unwrap(),
            &dir,
        )
        .unwrap();
    }

    #[test]
    fn the_schema_check_is_real() {
        let Some(shared) = chainward_testkit::shared_dir() else { return };
        let dir = shared.join("corpus/schemas");
        let mut v = to_value(&sample()).unwrap();
        v["runs"][0]["results"][0]["level"] = "fatal".into();
        v["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
        match chainward_testkit::schema::validate_against_schema(
            chainward_testkit::schema::SchemaKind::Sarif210,
            &v,
            &dir,
        ) {
            Err(chainward_testkit::schema::SchemaValidationError::Invalid { violations }) => {
                let paths: Vec<&str> = violations.iter().map(|v| v.instance_path.as_str()).collect();
                assert!(paths.contains(&"/runs/0/results/0/level"), "{paths:?}");
                assert!(paths.iter().any(|p| p.starts_with("/runs/0/results/1/locations/0")), "{paths:?}");
            }
            other => panic!("expected violations, got {other:?}"),
        }
    }
}
