//! Findings: symbolic routes become concrete spans in one place ([`Sink::report`]).

use chainward_yaml::{Document, Route, Span};
use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not a weakness by itself.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// How sure the audit is that the finding is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Often a false positive; shown for review.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// Who a finding is for: zizmor's personas, whose names users already know. A finding is
/// shown when its persona is at or below the one selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Persona {
    /// Findings worth acting on.
    #[default]
    Regular,
    /// Also code-quality and hygiene findings.
    Pedantic,
    /// Everything, including findings that need a human to judge.
    Auditor,
}

/// A fix: edits of the finding's file, safe to apply without review (`--fix`). Only fixes
/// that keep the file's meaning apart from the flaw are offered; the edits are checked again
/// when applied (the result must parse and change nothing outside `changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What the fix does, in a few words.
    pub title: String,
    /// Byte-range edits of the original source.
    #[serde(skip)]
    pub edits: Vec<chainward_yaml::patch::Edit>,
    /// The routes whose values the edits may change or add.
    #[serde(skip)]
    pub changes: Vec<Route>,
}

/// Where a finding points: the file, the symbolic route and the concrete span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The input file as given (or as found under a directory).
    pub file: String,
    /// The YAML route, e.g. `jobs.build.steps[2].uses`.
    pub route: String,
    /// First line, 1-based.
    pub line: usize,
    /// First column, 1-based.
    pub column: usize,
    /// Last line, 1-based.
    pub end_line: usize,
    /// Column just after the end, 1-based.
    pub end_column: usize,
    /// Byte range in the file.
    pub bytes: (usize, usize),
    /// What this location shows.
    pub annotation: String,
}

/// One audit result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The audit id (kebab-case).
    pub id: &'static str,
    /// The audit's one-line description.
    pub description: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Confidence.
    pub confidence: Confidence,
    /// The persona the finding is meant for.
    pub persona: Persona,
    /// The primary location.
    pub primary: Location,
    /// Related locations, for context.
    pub related: Vec<Location>,
    /// Line ranges that are not shown but where an inline ignore comment still applies
    /// (zizmor's "hidden" locations, e.g. the whole step for `unpinned-uses`).
    #[serde(skip)]
    pub ignore_lines: Vec<(usize, usize)>,
    /// Fixes that would make the finding go away (applied by `--fix`).
    pub fixes: Vec<Fix>,
}

/// What part of a routed node a location covers.
#[derive(Debug, Clone)]
pub enum Focus {
    /// The value.
    Value,
    /// The key of the route's last component.
    Key,
    /// A piece of the value's source text (e.g. one `${{ }}` inside a `run:` script): the
    /// first occurrence in the value's source; the value itself when it is not found
    /// verbatim (escapes, folding).
    Text(String),
    /// Like [`Focus::Text`], the `nth` (0-based) occurrence.
    TextAt(String, usize),
    /// A byte range of the source, for inputs without YAML routes (Dockerfiles); the
    /// route is ignored.
    Bytes(usize, usize),
}

/// A location as an audit states it: symbolic, with an annotation.
#[derive(Debug, Clone)]
pub struct Spot {
    /// The route.
    pub route: Route,
    /// Which part.
    pub focus: Focus,
    /// What it shows.
    pub annotation: String,
}

impl Spot {
    /// A location at a route.
    pub fn new(route: Route, focus: Focus, annotation: impl Into<String>) -> Self {
        Spot { route, focus, annotation: annotation.into() }
    }

    /// The whole step (a sequence item) or calling job (a mapping entry) at `parent`, with no
    /// annotation: the hidden location that lets an ignore comment anywhere on it apply, as
    /// zizmor's do.
    pub fn whole_entry(parent: &Route) -> Self {
        let focus = if matches!(parent.split_last(), Some((chainward_yaml::RouteComponent::Index(_), _))) {
            Focus::Value
        } else {
            Focus::Key
        };
        Spot::new(parent.clone(), focus, "")
    }

    /// A location at a byte range of the source (inputs that are not YAML, such as
    /// Dockerfiles); its route is empty.
    pub fn bytes(range: std::ops::Range<usize>, annotation: impl Into<String>) -> Self {
        Spot { route: Route::root(), focus: Focus::Bytes(range.start, range.end), annotation: annotation.into() }
    }
}

/// A finding as an audit states it, before spans are known.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Severity.
    pub severity: Severity,
    /// Confidence.
    pub confidence: Confidence,
    /// Persona.
    pub persona: Persona,
    /// Primary location.
    pub primary: Spot,
    /// Related locations.
    pub related: Vec<Spot>,
    /// Locations not shown, where an inline ignore comment still applies.
    pub hidden: Vec<Spot>,
    /// Fixes, edits of the same file.
    pub fixes: Vec<Fix>,
}

impl Draft {
    /// A regular-persona draft.
    pub fn new(severity: Severity, confidence: Confidence, primary: Spot) -> Self {
        Draft {
            severity,
            confidence,
            persona: Persona::Regular,
            primary,
            related: Vec::new(),
            hidden: Vec::new(),
            fixes: Vec::new(),
        }
    }

    /// Sets the persona.
    pub fn persona(mut self, persona: Persona) -> Self {
        self.persona = persona;
        self
    }

    /// Adds a hidden location (its lines accept inline ignore comments).
    pub fn hidden(mut self, spot: Spot) -> Self {
        self.hidden.push(spot);
        self
    }

    /// Adds a related location.
    pub fn related(mut self, spot: Spot) -> Self {
        self.related.push(spot);
        self
    }

    /// Offers a fix.
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }
}

/// Collects an audit's findings for one input, turning routes into spans.
#[derive(Debug)]
pub struct Sink<'a> {
    file: &'a str,
    doc: &'a Document,
    id: &'static str,
    description: &'static str,
    findings: Vec<Finding>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &'a str, doc: &'a Document, id: &'static str, description: &'static str) -> Self {
        Sink { file, doc, id, description, findings: Vec::new() }
    }

    pub(crate) fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    /// The document being audited.
    pub fn doc(&self) -> &'a Document {
        self.doc
    }

    /// Records a finding.
    pub fn report(&mut self, draft: Draft) {
        let primary = self.locate(&draft.primary);
        let related = draft.related.iter().map(|s| self.locate(s)).collect();
        let ignore_lines = draft
            .hidden
            .iter()
            .map(|s| {
                let l = self.locate(s);
                (l.line, l.end_line)
            })
            .collect();
        self.findings.push(Finding {
            id: self.id,
            description: self.description,
            severity: draft.severity,
            confidence: draft.confidence,
            persona: draft.persona,
            primary,
            related,
            ignore_lines,
            fixes: draft.fixes,
        });
    }

    fn locate(&self, spot: &Spot) -> Location {
        let value = self.doc.resolve(&spot.route);
        let span = match &spot.focus {
            Focus::Value => value.map(|n| n.span),
            // The key through the end of its value, so an ignore comment anywhere on the
            // entry applies (as zizmor's does); the line shown is the key's.
            Focus::Key => match (self.doc.resolve_key(&spot.route), value) {
                (Some(k), Some(v)) => Some(Span { start: k.span.start, end: v.span.end.max(k.span.end) }),
                (k, v) => k.or(v).map(|n| n.span),
            },
            Focus::Text(needle) => value.map(|n| text_span(self.doc, n.span, needle, 0).unwrap_or(n.span)),
            Focus::TextAt(needle, nth) => value.map(|n| text_span(self.doc, n.span, needle, *nth).unwrap_or(n.span)),
            Focus::Bytes(start, end) => {
                Some(Span { start: self.doc.pos_at(*start), end: self.doc.pos_at((*end).max(*start)) })
            }
        }
        .unwrap_or_default();
        Location {
            file: self.file.to_owned(),
            route: spot.route.to_string(),
            line: span.start.line.max(1),
            column: span.start.column.max(1),
            end_line: span.end.line.max(1),
            end_column: span.end.column.max(1),
            bytes: (span.start.byte, span.end.byte),
            annotation: spot.annotation.clone(),
        }
    }
}

/// The span of `needle` inside `within`, searching the source text verbatim.
fn text_span(doc: &Document, within: Span, needle: &str, nth: usize) -> Option<Span> {
    if needle.is_empty() {
        return None;
    }
    let src = doc.source();
    let hay = src.get(within.start.byte..within.end.byte.max(within.start.byte))?;
    let rel = hay.match_indices(needle).nth(nth)?.0;
    let start = within.start.byte + rel;
    let end = start + needle.len();
    Some(Span { start: doc.pos_at(start), end: doc.pos_at(end) })
}
