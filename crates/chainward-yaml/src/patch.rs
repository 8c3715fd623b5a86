//! Patches that keep a file's formatting and comments: byte-range edits of the source,
//! computed from node spans, applied together, then re-parsed to prove the result is YAML
//! that says what was meant.
//!
//! ```
//! use chainward_yaml::{parse, patch, Limits, Route};
//! let src = "steps:\n  - uses: actions/checkout@v4 # pinned later\n    with:\n      fetch-depth: 0\n";
//! let doc = parse(src.as_bytes(), &Limits::default())?;
//! let with = Route::parse("steps[0].with").expect("a route");
//! let edit = patch::set_entry(&doc, &with, "persist-credentials", &patch::Value::scalar("false"))?;
//! let fixed = patch::apply(src, &[edit], &Limits::default())?;
//! assert_eq!(fixed, "steps:\n  - uses: actions/checkout@v4 # pinned later\n    with:\n      fetch-depth: 0\n      persist-credentials: false\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ops::Range;

use crate::{Document, Limits, Node, NodeKind, Route, YamlError};

/// Replace `range` of the source with `replacement` (an insertion when the range is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Byte range of the original source.
    pub range: Range<usize>,
    /// The new text.
    pub replacement: String,
}

/// A value to write: a plain scalar (written as given) or a mapping of such scalars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A scalar, written verbatim: the caller quotes it if YAML needs quotes.
    Scalar(String),
    /// A mapping of keys to scalars, written in the style of the surrounding file.
    Mapping(Vec<(String, String)>),
}

impl Value {
    /// A verbatim scalar.
    pub fn scalar(text: impl Into<String>) -> Self {
        Value::Scalar(text.into())
    }
}

/// Why a patch could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The route names no node.
    #[error("nothing at {route} to patch")]
    NotFound {
        /// The route.
        route: String,
    },
    /// The node is not a mapping, or is written in a way a safe patch cannot handle.
    #[error("cannot patch {route}: {why}")]
    Unsupported {
        /// The route.
        route: String,
        /// What stands in the way.
        why: &'static str,
    },
    /// Two edits overlap.
    #[error("edits overlap at bytes {at}")]
    Overlap {
        /// Where the second edit starts.
        at: usize,
    },
    /// An edit falls outside the source or inside a character.
    #[error("edit range {start}..{end} is not inside the source")]
    OutOfBounds {
        /// Start byte.
        start: usize,
        /// End byte.
        end: usize,
    },
    /// The patched text is no longer valid YAML.
    #[error("the patched file does not parse: {0}")]
    Reparse(#[from] YamlError),
}

/// Applies edits to `source` and re-parses the result. Edits may come in any order but must
/// not overlap; insertions at the same offset are applied in the order given.
pub fn apply(source: &str, edits: &[Edit], limits: &Limits) -> Result<String, PatchError> {
    let mut sorted: Vec<(usize, &Edit)> = edits.iter().enumerate().collect();
    sorted.sort_by_key(|(i, e)| (e.range.start, e.range.end, *i));
    let mut out = String::with_capacity(source.len() + edits.iter().map(|e| e.replacement.len()).sum::<usize>());
    let mut at = 0;
    for (_, edit) in sorted {
        let Range { start, end } = edit.range.clone();
        if start > end || end > source.len() || !source.is_char_boundary(start) || !source.is_char_boundary(end) {
            return Err(PatchError::OutOfBounds { start, end });
        }
        if start < at {
            return Err(PatchError::Overlap { at: start });
        }
        out.push_str(&source[at..start]);
        out.push_str(&edit.replacement);
        at = end;
    }
    out.push_str(&source[at..]);
    crate::parse(out.as_bytes(), limits)?;
    Ok(out)
}

/// Sets `key` in the mapping at `mapping` to `value`: replaces the value of an existing
/// scalar entry, or adds the entry after the last one, in the mapping's own style (block
/// entries at the indentation of their siblings, or `, key: value` inside `{ }`).
pub fn set_entry(doc: &Document, mapping: &Route, key: &str, value: &Value) -> Result<Edit, PatchError> {
    let unsupported = |why| PatchError::Unsupported { route: mapping.to_string(), why };
    let node = doc.resolve(mapping).ok_or_else(|| PatchError::NotFound { route: mapping.to_string() })?;
    let NodeKind::Mapping(map) = &node.kind else { return Err(unsupported("not a mapping")) };
    let src = doc.source();
    // The file's line break, from its first line (not a scan of the whole file: a fix is
    // computed per finding, and a large file can have thousands).
    let first_line_text = src.get(..doc.line_start(2)).unwrap_or(src);
    let newline = if first_line_text.ends_with("\r\n") { "\r\n" } else { "\n" };
    let flow = src.get(node.span.start.byte..).is_some_and(|s| s.starts_with('{'));

    if let Some((_, existing)) = map.entry(key) {
        let Value::Scalar(text) = value else { return Err(unsupported("the key exists and holds a collection")) };
        if !matches!(existing.kind, NodeKind::Scalar(..)) || existing.span.start.byte == existing.span.end.byte {
            return Err(unsupported("the existing value is not a written scalar"));
        }
        return Ok(Edit { range: existing.span.start.byte..existing.span.end.byte, replacement: text.clone() });
    }

    if flow {
        let close = node.span.end.byte.checked_sub(1).filter(|&b| src.as_bytes().get(b) == Some(&b'}'));
        let Some(close) = close else { return Err(unsupported("a flow mapping without its closing brace")) };
        let inline = match value {
            Value::Scalar(t) => format!("{key}: {t}"),
            Value::Mapping(entries) => format!("{key}: {{{}}}", flow_entries(entries)),
        };
        // Back over spaces before `}` so `{ a: 1 }` becomes `{ a: 1, b: 2 }`.
        let before = src[..close].trim_end_matches(' ').len();
        let replacement = if map.entries().is_empty() { inline } else { format!(", {inline}") };
        return Ok(Edit { range: before..before, replacement });
    }

    let Some((first_key, _)) = map.entries().first() else {
        return Err(unsupported("an empty block mapping has no indentation to follow"));
    };
    let indent = first_key.span.start.column.saturating_sub(1);
    let line_start = doc.line_start(first_key.span.start.line);
    let prefix = src.get(line_start..first_key.span.start.byte).unwrap_or_default();
    // The first key may follow `- ` of a sequence item; later keys are indented with spaces.
    if prefix.chars().any(|c| !matches!(c, ' ' | '-')) {
        return Err(unsupported("keys are not indented with spaces"));
    }
    let pad = " ".repeat(indent);
    let text = match value {
        Value::Scalar(t) => format!("{pad}{key}: {t}{newline}"),
        Value::Mapping(entries) => {
            let inner: String = entries.iter().map(|(k, v)| format!("{pad}  {k}: {v}{newline}")).collect();
            format!("{pad}{key}:{newline}{inner}")
        }
    };
    let last_value = map.entries().last().map(|(_, v)| v).ok_or_else(|| unsupported("no entries"))?;
    let at = insertion_line(doc, last_value);
    // A file whose last line has no line break: end it before adding ours.
    let lead = if at == src.len() && !src.is_empty() && !src.ends_with('\n') { newline } else { "" };
    Ok(Edit { range: at..at, replacement: format!("{lead}{text}") })
}

/// The byte where the line after `node`'s last written character starts. A block node's span
/// can run on over blank lines and comments up to the next token; the new entry goes right
/// after the node's own text so that those stay where they are.
fn insertion_line(doc: &Document, node: &Node) -> usize {
    let src = doc.source();
    let text = src.get(node.span.start.byte..node.span.end.byte).unwrap_or_default();
    let last = node.span.start.byte + text.trim_end().len();
    let line = doc.pos_at(last.saturating_sub(1).max(node.span.start.byte)).line;
    doc.line_start(line + 1)
}

/// Checks that a patch changed nothing but what it meant to: every scalar of `before` that is
/// not under one of `changed` is still there with the same value in `after`, and `after` has
/// no scalar outside `changed` that `before` lacked. (Guards against an insertion that, say,
/// moves a block scalar's trailing lines into a neighbour.)
pub fn unchanged_except(before: &Document, after: &Document, changed: &[Route]) -> Result<(), PatchError> {
    let outside = |route: &Route| !changed.iter().any(|c| route.components().starts_with(c.components()));
    let collect = |doc: &Document| -> Vec<(Route, String)> {
        doc.scalars()
            .into_iter()
            .filter(|(r, _)| outside(r))
            .map(|(r, n)| (r, n.as_str().unwrap_or_default().to_owned()))
            .collect()
    };
    let (a, b) = (collect(before), collect(after));
    if a != b {
        let route =
            a.iter().zip(&b).find(|(x, y)| x != y).map_or_else(|| "the end".to_owned(), |(x, _)| x.0.to_string());
        return Err(PatchError::Unsupported { route, why: "the patch would change a value it does not own" });
    }
    Ok(())
}

fn flow_entries(entries: &[(String, String)]) -> String {
    entries.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn set(src: &str, route: &str, key: &str, value: Value) -> Result<String, PatchError> {
        let doc = parse(src.as_bytes(), &Limits::default()).unwrap();
        let edit = set_entry(&doc, &Route::parse(route).unwrap(), key, &value)?;
        apply(src, &[edit], &Limits::default())
    }

    fn check(fixed: &str, route: &str, want: &str) {
        let doc = parse(fixed.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(doc.resolve(&Route::parse(route).unwrap()).and_then(Node::as_str), Some(want), "{fixed}");
    }

    #[test]
    fn adds_a_block_entry_after_nested_values_and_comments() {
        let src = "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          repo: x # why\n          args: |\n            one\n            two\n\n      - run: echo\n";
        let fixed = set(src, "jobs.a.steps[0].with", "persist-credentials", Value::scalar("false")).unwrap();
        check(&fixed, "jobs.a.steps[0].with.persist-credentials", "false");
        check(&fixed, "jobs.a.steps[0].with.args", "one\ntwo\n");
        assert!(fixed.contains("repo: x # why\n"), "{fixed}");
        check(&fixed, "jobs.a.steps[1].run", "echo");
    }

    #[test]
    fn adds_a_mapping_to_a_sequence_item_in_block_style() {
        let src = "steps:\n  - name: co\n    uses: actions/checkout@v4\n  - run: make\n";
        let with = Value::Mapping(vec![("persist-credentials".into(), "false".into())]);
        let fixed = set(src, "steps[0]", "with", with).unwrap();
        assert_eq!(
            fixed,
            "steps:\n  - name: co\n    uses: actions/checkout@v4\n    with:\n      persist-credentials: false\n  - run: make\n"
        );
    }

    #[test]
    fn flow_mappings_stay_flow() {
        let fixed = set("with: { fetch-depth: 0 }\n", "with", "persist-credentials", Value::scalar("false")).unwrap();
        assert_eq!(fixed, "with: { fetch-depth: 0, persist-credentials: false }\n");
        let fixed = set("with: {}\n", "with", "persist-credentials", Value::scalar("false")).unwrap();
        assert_eq!(fixed, "with: {persist-credentials: false}\n");
    }

    #[test]
    fn replaces_an_existing_scalar_and_keeps_crlf_and_a_missing_final_newline() {
        let fixed = set(
            "with:\r\n  persist-credentials: true # yes\r\n",
            "with",
            "persist-credentials",
            Value::scalar("false"),
        )
        .unwrap();
        assert_eq!(fixed, "with:\r\n  persist-credentials: false # yes\r\n");
        let fixed = set("with:\r\n  a: 1", "with", "b", Value::scalar("2")).unwrap();
        assert_eq!(fixed, "with:\r\n  a: 1\r\n  b: 2\r\n");
    }

    #[test]
    fn unchanged_except_catches_a_patch_that_changes_a_neighbour() {
        let src = "with:\n  a: |+\n    text\n\n  b: 1\n";
        let before = parse(src.as_bytes(), &Limits::default()).unwrap();
        let fixed = set(src, "with", "c", Value::scalar("2")).unwrap();
        let after = parse(fixed.as_bytes(), &Limits::default()).unwrap();
        unchanged_except(&before, &after, &[Route::parse("with.c").unwrap()]).unwrap();
        // An edit that rewrites a neighbour's value is refused.
        let bad =
            apply(src, &[Edit { range: src.len() - 2..src.len() - 1, replacement: "9".into() }], &Limits::default())
                .unwrap();
        let after = parse(bad.as_bytes(), &Limits::default()).unwrap();
        assert!(unchanged_except(&before, &after, &[Route::parse("with.c").unwrap()]).is_err());
        // Appending after a keep-chomped block scalar would take its trailing blank line:
        // the check sees the changed value.
        let src = "with:\n  a: |+\n    text\n\nnext: 1\n";
        let before = parse(src.as_bytes(), &Limits::default()).unwrap();
        let fixed = set(src, "with", "c", Value::scalar("2")).unwrap();
        let after = parse(fixed.as_bytes(), &Limits::default()).unwrap();
        assert!(unchanged_except(&before, &after, &[Route::parse("with.c").unwrap()]).is_err(), "{fixed:?}");
    }

    #[test]
    fn refuses_what_it_cannot_patch_safely() {
        assert!(matches!(set("a: 1\n", "b", "k", Value::scalar("v")), Err(PatchError::NotFound { .. })));
        assert!(matches!(set("a: [1]\n", "a", "k", Value::scalar("v")), Err(PatchError::Unsupported { .. })));
        assert!(matches!(set("a:\n  k: [1]\n", "a", "k", Value::scalar("v")), Err(PatchError::Unsupported { .. })));
        let src = "a: 1\n";
        let overlapping =
            [Edit { range: 0..3, replacement: "b".into() }, Edit { range: 1..2, replacement: "c".into() }];
        assert!(matches!(apply(src, &overlapping, &Limits::default()), Err(PatchError::Overlap { .. })));
        let breaking = [Edit { range: 0..0, replacement: "{".into() }];
        assert!(matches!(apply(src, &breaking, &Limits::default()), Err(PatchError::Reparse(_))));
        let outside = [Edit { range: 3..9, replacement: String::new() }];
        assert!(matches!(apply(src, &outside, &Limits::default()), Err(PatchError::OutOfBounds { .. })));
    }
}
