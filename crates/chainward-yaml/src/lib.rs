//! YAML with source positions: a bounded parser to a tree whose every node keeps its line,
//! column and byte span, and routes (`jobs.build.steps[2].uses`) that resolve to nodes.
//!
//! ```
//! use chainward_yaml::{parse, Limits, Route};
//! let doc = parse(b"jobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4\n", &Limits::default())?;
//! let route = Route::parse("jobs.build.steps[0].uses").expect("a valid route");
//! let node = doc.resolve(&route).expect("present");
//! assert_eq!(node.as_str(), Some("actions/checkout@v4"));
//! assert_eq!((node.span.start.line, node.span.start.column), (4, 15));
//! # Ok::<(), chainward_yaml::YamlError>(())
//! ```
//!
//! Aliases are expanded into the tree (GitHub Actions accepts anchors and aliases), counted
//! against [`Limits::max_nodes`] so a "billion laughs" document fails fast instead of
//! exhausting memory. Duplicate mapping keys are an error carrying both positions: YAML 1.2
//! requires keys to be unique, and GitHub rejects such workflows.
#![deny(missing_docs)]

mod build;
pub mod patch;
mod route;

pub use build::parse;
pub use route::{Route, RouteComponent};

/// A position in the source: byte offset, 1-based line, 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Byte offset from the start of the source.
    pub byte: usize,
    /// Line, counting from 1.
    pub line: usize,
    /// Column, counting from 1, in characters.
    pub column: usize,
}

/// A source range: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// The first position.
    pub start: Pos,
    /// The position just after the last character.
    pub end: Pos,
}

/// How a scalar was written; GitHub Actions reads `if:` differently for block scalars, and a
/// plain empty scalar is YAML's null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// `value`
    Plain,
    /// `'value'`
    SingleQuoted,
    /// `"value"`
    DoubleQuoted,
    /// `|` block
    Literal,
    /// `>` block
    Folded,
}

/// One YAML node with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: NodeKind,
    /// Where it is in the source (for an expanded alias: where the alias is).
    pub span: Span,
}

/// The kinds of YAML nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar (its text after YAML unescaping/folding) and how it was written.
    Scalar(String, ScalarStyle),
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping, in source order; keys are nodes so their positions are kept.
    Mapping(Mapping),
}

/// Mapping entries in source order, with a key index once a mapping is large, so looking a
/// key up stays cheap in a workflow with thousands of jobs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping {
    entries: Vec<(Node, Node)>,
    index: Option<std::collections::HashMap<String, usize>>,
}

/// Mappings with more entries than this get a key index.
const INDEX_THRESHOLD: usize = 16;

impl Mapping {
    /// Builds a mapping from its entries (the first of equal keys wins lookups).
    pub fn new(entries: Vec<(Node, Node)>) -> Self {
        let index = (entries.len() > INDEX_THRESHOLD).then(|| {
            let mut index = std::collections::HashMap::with_capacity(entries.len());
            for (i, (k, _)) in entries.iter().enumerate() {
                if let Some(key) = k.as_str() {
                    index.entry(key.to_owned()).or_insert(i);
                }
            }
            index
        });
        Mapping { entries, index }
    }

    /// The entries in source order.
    pub fn entries(&self) -> &[(Node, Node)] {
        &self.entries
    }

    /// The entry for a scalar key.
    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        match &self.index {
            Some(index) => index.get(key).and_then(|i| self.entries.get(*i)),
            None => self.entries.iter().find(|(k, _)| k.as_str() == Some(key)),
        }
    }
}

impl Node {
    /// The scalar text, for any scalar style.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// Whether this is YAML's null (`~`, `null`, or nothing, written plain).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s, ScalarStyle::Plain) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A plain scalar read as a YAML 1.2 core-schema boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            NodeKind::Scalar(s, ScalarStyle::Plain) => match s.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub fn as_mapping(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Mapping(m) => Some(m.entries()),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// The key node and value of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            NodeKind::Mapping(m) => m.entry(key).map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The scalar text of `key` in a mapping.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }
}

/// A parsed document: the source and the root node.
#[derive(Debug, Clone)]
pub struct Document {
    source: String,
    line_starts: Vec<usize>,
    /// The root node (an empty plain scalar for an empty document).
    pub root: Node,
}

impl Document {
    /// A document over text that is not YAML (a Dockerfile, say): only its lines and
    /// positions, with an empty root. Lets findings on such files share the position,
    /// snippet and inline-ignore code of YAML ones.
    pub fn from_text(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if line_starts.last() == Some(&text.len()) && !text.is_empty() {
            line_starts.pop();
        }
        let root = Node { kind: NodeKind::Scalar(String::new(), ScalarStyle::Plain), span: Span::default() };
        Document { source: text.to_owned(), line_starts, root }
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self.line_starts.get(line).copied().unwrap_or(self.source.len());
        let text = self.source.get(start..end)?;
        Some(text.trim_end_matches(['\n', '\r']))
    }

    /// The position of a byte offset (clamped to the source; columns count characters).
    pub fn pos_at(&self, byte: usize) -> Pos {
        let mut byte = byte.min(self.source.len());
        while !self.source.is_char_boundary(byte) {
            byte -= 1;
        }
        let line_index = self.line_starts.partition_point(|&s| s <= byte).saturating_sub(1);
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = self.source.get(line_start..byte).map_or(0, |s| s.chars().count()) + 1;
        Pos { byte, line: line_index + 1, column }
    }

    /// The byte where a 1-based line starts; the source length past the last line.
    pub fn line_start(&self, line: usize) -> usize {
        line.checked_sub(1).and_then(|i| self.line_starts.get(i)).copied().unwrap_or(self.source.len())
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The node a route names, if present.
    pub fn resolve(&self, route: &Route) -> Option<&Node> {
        let mut node = &self.root;
        for c in route.components() {
            node = match c {
                RouteComponent::Key(k) => node.get(k)?,
                RouteComponent::Index(i) => node.as_sequence()?.get(*i)?,
            };
        }
        Some(node)
    }

    /// Every scalar value (not keys) with its route, in document order.
    pub fn scalars(&self) -> Vec<(Route, &Node)> {
        self.scalars_under(&Route::root())
    }

    /// Every scalar value (not keys) under a route, with its route, in document order.
    pub fn scalars_under(&self, under: &Route) -> Vec<(Route, &Node)> {
        let mut out = Vec::new();
        let Some(start) = self.resolve(under) else { return out };
        let mut todo = vec![(under.clone(), start)];
        while let Some((route, node)) = todo.pop() {
            match &node.kind {
                NodeKind::Scalar(..) => out.push((route, node)),
                NodeKind::Sequence(items) => {
                    todo.extend(items.iter().enumerate().rev().map(|(i, n)| (route.index(i), n)));
                }
                NodeKind::Mapping(m) => {
                    todo.extend(m.entries().iter().rev().filter_map(|(k, v)| Some((route.key(k.as_str()?), v))))
                }
            }
        }
        out
    }

    /// The key node of the last component of a route (for findings about a key itself).
    pub fn resolve_key(&self, route: &Route) -> Option<&Node> {
        let (last, parent) = route.split_last()?;
        let parent = self.resolve(&parent)?;
        match last {
            RouteComponent::Key(k) => parent.entry(k).map(|(k, _)| k),
            RouteComponent::Index(_) => None,
        }
    }
}

/// Bounds on what a document may make the parser do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest source accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes in the tree, counting every node an alias expands to.
    pub max_nodes: usize,
}

impl Default for Limits {
    /// 32 MiB, depth 256, two million nodes: far beyond any real workflow (GitHub itself
    /// caps a workflow file at 512 KiB of expanded size), small enough to stay in memory.
    fn default() -> Self {
        Limits { max_bytes: 32 << 20, max_depth: 256, max_nodes: 2_000_000 }
    }
}

/// Why a document was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// The source is larger than [`Limits::max_bytes`].
    #[error("the document is {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The source is not UTF-8.
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// The first invalid byte.
        offset: usize,
    },
    /// The YAML syntax is wrong.
    #[error("YAML syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// Nesting is deeper than [`Limits::max_depth`].
    #[error("nesting deeper than {max} levels at line {line}, column {column}")]
    TooDeep {
        /// Where the limit was crossed.
        line: usize,
        /// Column.
        column: usize,
        /// The limit.
        max: usize,
    },
    /// More nodes (after alias expansion) than [`Limits::max_nodes`].
    #[error("more than {max} nodes (after expanding aliases) at line {line}, column {column}")]
    TooManyNodes {
        /// Where the limit was crossed.
        line: usize,
        /// Column.
        column: usize,
        /// The limit.
        max: usize,
    },
    /// An alias names no anchor defined before it.
    #[error("alias at line {line}, column {column} names no earlier anchor")]
    UnknownAlias {
        /// Line of the alias.
        line: usize,
        /// Column.
        column: usize,
    },
    /// A mapping has the same key twice.
    #[error(
        "duplicate key {key:?} at line {line}, column {column} (first at line {first_line}, column {first_column})"
    )]
    DuplicateKey {
        /// The key.
        key: String,
        /// Line of the second occurrence.
        line: usize,
        /// Column of the second occurrence.
        column: usize,
        /// Line of the first occurrence.
        first_line: usize,
        /// Column of the first occurrence.
        first_column: usize,
    },
    /// The stream has more than one document (workflows and actions are single documents).
    #[error("a second YAML document starts at line {line}; only one is allowed")]
    MultipleDocuments {
        /// Line where the second document starts.
        line: usize,
    },
}
