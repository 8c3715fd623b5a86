//! Report formats over one neutral finding shape: SARIF 2.1.0 ([`sarif`]) and GitHub
//! workflow commands ([`github`]).
//!
//! Every command that finds something (pipeline audits today; scan and check later) maps its
//! own findings into a [`Report`] — the tool, the rules that ran and the [`Finding`]s — and
//! hands it to a renderer, which writes to any [`std::io::Write`]. This crate knows nothing of
//! workflows, images or policies, so every format serves every command.
//!
//! ```
//! use chainward_report::{Confidence, Finding, Level, Location, Region, Report, Rule, Severity, Tool};
//! let report = Report {
//!     tool: Tool { name: "chainward".into(), version: "0.1.0".into(), information_uri: "https://example.invalid/chainward".into() },
//!     rules: vec![Rule {
//!         id: "unpinned-uses".into(),
//!         description: "unpinned action reference".into(),
//!         help_markdown: "# unpinned-uses\n\nFlags `uses:` references that are not pinned.\n".into(),
//!         default_level: Level::Warning,
//!         tags: vec!["security".into()],
//!     }],
//!     findings: vec![Finding {
//!         rule_id: "unpinned-uses".into(),
//!         severity: Severity::High,
//!         confidence: Some(Confidence::High),
//!         message: "unpinned action reference: not pinned to a hash".into(),
//!         primary: Location {
//!             file: Some(".github/workflows/ci.yml".into()),
//!             region: Some(Region { start_line: 9, start_column: 15, end_line: 9, end_column: 34 }),
//!             logical: Some("jobs.a.steps[0].uses".into()),
//!             snippet: Some("actions/checkout@v4".into()),
//!             message: Some("not pinned to a hash".into()),
//!         },
//!         related: Vec::new(),
//!     }],
//!     errors: Vec::new(),
//! };
//! let mut out = Vec::new();
//! chainward_report::github::write(&mut out, &report.findings)?;
//! assert_eq!(
//!     String::from_utf8_lossy(&out),
//!     "::error file=.github/workflows/ci.yml,line=9,col=15,endLine=9,endColumn=33,title=unpinned-uses\
//!      ::unpinned action reference: not pinned to a hash (severity: high, confidence: high)\n"
//! );
//! let mut sarif = Vec::new();
//! chainward_report::sarif::write(&mut sarif, &report)?;
//! # Ok::<(), chainward_report::ReportError>(())
//! ```
//!
//! The tests validate every written log against the official SARIF 2.1.0 schema
//! (`chainward_testkit::schema`).
#![deny(missing_docs)]

pub mod github;
pub mod sarif;

/// What a command found, ready for any format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The tool that produced the findings.
    pub tool: Tool,
    /// The rules that ran (every rule a finding names must be here).
    pub rules: Vec<Rule>,
    /// The findings, in the order they are to be shown (callers sort them: by file, line, rule).
    pub findings: Vec<Finding>,
    /// Problems that kept part of the input from being checked (one line each); a report
    /// with errors is incomplete.
    pub errors: Vec<String>,
}

/// The tool that produced a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// Its name, e.g. `chainward`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Where to read about it (an absolute URI).
    pub information_uri: String,
}

/// A rule (an audit, a check, a policy rule) that can produce findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id, e.g. `unpinned-uses`.
    pub id: String,
    /// One line.
    pub description: String,
    /// The rule's documentation page (Markdown).
    pub help_markdown: String,
    /// The level a finding of this rule has when it states none; every [`Finding`] states its
    /// own (from its severity), so this is only a consumer's default.
    pub default_level: Level,
    /// Classification tags for consumers (GitHub code scanning files rules tagged `security`
    /// as security alerts).
    pub tags: Vec<String>,
}

/// How bad a finding is (the union of the scales chainward's commands use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing, not a weakness by itself.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical (vulnerability scales).
    Critical,
}

impl Severity {
    /// The lowercase name, as chainward's JSON formats spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The level a finding of this severity is shown at: critical and high are errors,
    /// medium is a warning, low and informational are notes. Low shares `note` with
    /// informational because a low finding is hygiene, not something to fail a review on;
    /// this is also zizmor's SARIF mapping, so users moving over see the same levels.
    pub fn level(self) -> Level {
        match self {
            Severity::Critical | Severity::High => Level::Error,
            Severity::Medium => Level::Warning,
            Severity::Low | Severity::Informational => Level::Note,
        }
    }
}

/// How sure the rule is that the finding is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Often a false positive; shown for review.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Confidence {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// The three levels every consumer understands (SARIF `level`, GitHub annotation kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Informational; SARIF `note`, GitHub `notice`.
    Note,
    /// SARIF and GitHub `warning`.
    Warning,
    /// SARIF and GitHub `error`.
    Error,
}

/// One finding in the neutral shape every format renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The id of the [`Rule`] that produced it.
    pub rule_id: String,
    /// Severity; the level shown is [`Severity::level`].
    pub severity: Severity,
    /// Confidence, when the rule states one.
    pub confidence: Option<Confidence>,
    /// What is wrong, one line.
    pub message: String,
    /// Where.
    pub primary: Location,
    /// Other places that explain the finding.
    pub related: Vec<Location>,
}

impl Finding {
    /// The level the finding is shown at.
    pub fn level(&self) -> Level {
        self.severity.level()
    }
}

/// Where a finding points: a file and a region in it, and/or a logical name (a YAML route, a
/// purl, an image layer) for findings that are not in a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file, relative to the source root (the repository checkout) with `/` separators;
    /// an absolute path when it is outside the root.
    pub file: Option<String>,
    /// The span in the file.
    pub region: Option<Region>,
    /// A logical location, e.g. the YAML route `jobs.build.steps[2].uses`.
    pub logical: Option<String>,
    /// The exact text of the region, when at hand.
    pub snippet: Option<String>,
    /// What this location shows.
    pub message: Option<String>,
}

/// A span of a file: 1-based lines and columns, columns counting Unicode code points
/// (characters), the end exclusive (the column just after the last character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region {
    /// First line.
    pub start_line: usize,
    /// First column.
    pub start_column: usize,
    /// Last line.
    pub end_line: usize,
    /// The column just after the last character on `end_line`.
    pub end_column: usize,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Writing failed.
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
    /// Serialising failed.
    #[error("serialising the report: {0}")]
    Json(#[from] serde_json::Error),
    /// A finding names a rule the report does not list.
    #[error("a finding names the rule `{rule_id}`, which the report does not list")]
    UnknownRule {
        /// The rule id.
        rule_id: String,
    },
    /// Two rules share an id.
    #[error("the rule `{rule_id}` is listed twice")]
    DuplicateRule {
        /// The rule id.
        rule_id: String,
    },
}
