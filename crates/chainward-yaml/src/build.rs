//! Builds the positioned tree from saphyr-parser's event stream, with an explicit stack (no
//! recursion, so nesting depth costs heap, bounded by `Limits::max_depth`).

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle as SaphyrStyle};

use crate::{Document, Limits, Mapping, Node, NodeKind, Pos, ScalarStyle, Span, YamlError};

/// Parses one YAML document from bytes, within `limits`.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Document, YamlError> {
    if bytes.len() > limits.max_bytes {
        return Err(YamlError::TooLarge { size: bytes.len(), max: limits.max_bytes });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| YamlError::InvalidUtf8 { offset: e.valid_up_to() })?;
    // A byte-order mark is allowed by YAML but would shift saphyr's character indices.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder::new(text, limits);
    let root = builder.run()?;
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    if line_starts.last() == Some(&text.len()) && !text.is_empty() {
        line_starts.pop();
    }
    Ok(Document { source: text.to_owned(), line_starts, root })
}

enum Frame {
    Seq { start: Pos, anchor: usize, items: Vec<Node> },
    Map { start: Pos, anchor: usize, entries: Vec<(Node, Node)>, key: Option<Node>, seen: HashMap<String, Pos> },
}

struct Builder<'a> {
    text: &'a str,
    limits: &'a Limits,
    /// Converts saphyr's character indices to byte offsets; markers arrive nearly in order,
    /// so walking from the last conversion is cheap (a 20 MB single line stays linear).
    cursor_char: usize,
    cursor_byte: usize,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, limits: &'a Limits) -> Self {
        Builder { text, limits, cursor_char: 0, cursor_byte: 0, anchors: HashMap::new(), nodes: 0 }
    }

    fn pos(&mut self, m: &Marker) -> Pos {
        let target = m.index();
        let bytes = self.text.as_bytes();
        while self.cursor_char < target && self.cursor_byte < bytes.len() {
            self.cursor_byte += 1;
            while self.cursor_byte < bytes.len() && !self.text.is_char_boundary(self.cursor_byte) {
                self.cursor_byte += 1;
            }
            self.cursor_char += 1;
        }
        while self.cursor_char > target && self.cursor_byte > 0 {
            self.cursor_byte -= 1;
            while self.cursor_byte > 0 && !self.text.is_char_boundary(self.cursor_byte) {
                self.cursor_byte -= 1;
            }
            self.cursor_char -= 1;
        }
        Pos { byte: self.cursor_byte, line: m.line(), column: m.col() + 1 }
    }

    fn count(&mut self, n: usize, at: Pos) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(YamlError::TooManyNodes { line: at.line, column: at.column, max: self.limits.max_nodes });
        }
        Ok(())
    }

    fn run(&mut self) -> Result<Node, YamlError> {
        let mut parser = Parser::new_from_str(self.text);
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<Node> = None;
        let mut documents = 0usize;
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| YamlError::Syntax {
                line: e.marker().line(),
                column: e.marker().col() + 1,
                message: e.info().to_owned(),
            })?;
            let start = self.pos(&span.start);
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        return Err(YamlError::MultipleDocuments { line: start.line });
                    }
                }
                Event::Alias(id) => {
                    let end = self.pos(&span.end);
                    let (node, size) = self
                        .anchors
                        .get(&id)
                        .cloned()
                        .ok_or(YamlError::UnknownAlias { line: start.line, column: start.column })?;
                    self.count(size, start)?;
                    let node = Node { kind: node.kind, span: Span { start, end } };
                    self.complete(&mut stack, &mut root, node, 0, size)?;
                }
                Event::Scalar(value, style, anchor, _) => {
                    self.count(1, start)?;
                    let end = self.pos(&span.end);
                    let style = match style {
                        SaphyrStyle::Plain => ScalarStyle::Plain,
                        SaphyrStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                        SaphyrStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                        SaphyrStyle::Literal => ScalarStyle::Literal,
                        SaphyrStyle::Folded => ScalarStyle::Folded,
                    };
                    let node = Node { kind: NodeKind::Scalar(value.into_owned(), style), span: Span { start, end } };
                    self.complete(&mut stack, &mut root, node, anchor, 1)?;
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    self.count(1, start)?;
                    if stack.len() >= self.limits.max_depth {
                        return Err(YamlError::TooDeep {
                            line: start.line,
                            column: start.column,
                            max: self.limits.max_depth,
                        });
                    }
                    stack.push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq { start, anchor, items: Vec::new() }
                    } else {
                        Frame::Map { start, anchor, entries: Vec::new(), key: None, seen: HashMap::new() }
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let end = self.pos(&span.end);
                    let Some(frame) = stack.pop() else { continue };
                    // A block collection ends where its last child ends: saphyr's end event sits
                    // on the next token, often the following line. Flow collections end at
                    // their closing bracket.
                    let is_flow = |start: Pos| matches!(self.text.as_bytes().get(start.byte), Some(b'[' | b'{'));
                    let (node, anchor) = match frame {
                        Frame::Seq { start, anchor, items } => {
                            let end = match items.last() {
                                Some(last) if !is_flow(start) => last.span.end,
                                _ => end,
                            };
                            (Node { kind: NodeKind::Sequence(items), span: Span { start, end } }, anchor)
                        }
                        Frame::Map { start, anchor, entries, .. } => {
                            let end = match entries.last() {
                                Some((_, last)) if !is_flow(start) => last.span.end,
                                _ => end,
                            };
                            (Node { kind: NodeKind::Mapping(Mapping::new(entries)), span: Span { start, end } }, anchor)
                        }
                    };
                    let size = if anchor > 0 { subtree_size(&node) } else { 0 };
                    self.complete(&mut stack, &mut root, node, anchor, size)?;
                }
            }
        }
        Ok(root.unwrap_or(Node { kind: NodeKind::Scalar(String::new(), ScalarStyle::Plain), span: Span::default() }))
    }

    fn complete(
        &mut self,
        stack: &mut [Frame],
        root: &mut Option<Node>,
        node: Node,
        anchor: usize,
        size: usize,
    ) -> Result<(), YamlError> {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size.max(1)));
        }
        match stack.last_mut() {
            None => *root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, seen, .. }) => match key.take() {
                None => {
                    if let Some(k) = node.as_str() {
                        if let Some(first) = seen.get(k) {
                            return Err(YamlError::DuplicateKey {
                                key: k.to_owned(),
                                line: node.span.start.line,
                                column: node.span.start.column,
                                first_line: first.line,
                                first_column: first.column,
                            });
                        }
                        seen.insert(k.to_owned(), node.span.start);
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// Nodes in a subtree, iteratively (an anchored subtree may be deep).
fn subtree_size(node: &Node) -> usize {
    let mut n = 0usize;
    let mut todo = vec![node];
    while let Some(x) = todo.pop() {
        n += 1;
        match &x.kind {
            NodeKind::Scalar(..) => {}
            NodeKind::Sequence(items) => todo.extend(items),
            NodeKind::Mapping(m) => {
                for (k, v) in m.entries() {
                    todo.push(k);
                    todo.push(v);
                }
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Route;

    fn p(s: &str) -> Result<Document, YamlError> {
        parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn spans_and_routes() {
        let d = p("on: push\njobs:\n  a:\n    steps:\n      - run: echo é\n      - uses: x/y@v1\n").unwrap();
        let n = d.resolve(&Route::parse("jobs.a.steps[1].uses").unwrap()).unwrap();
        assert_eq!(n.as_str(), Some("x/y@v1"));
        assert_eq!((n.span.start.line, n.span.start.column), (6, 15));
        assert_eq!(&d.source()[n.span.start.byte..n.span.end.byte], "x/y@v1");
        let k = d.resolve_key(&Route::parse("jobs.a").unwrap()).unwrap();
        assert_eq!(k.span.start.line, 3);
        assert_eq!(d.line_text(5), Some("      - run: echo é"));
    }

    #[test]
    fn duplicate_keys_name_both_positions() {
        let e = p("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(matches!(e, YamlError::DuplicateKey { line: 3, first_line: 1, .. }), "{e:?}");
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 { "a".to_owned() } else { format!("l{}", i - 1) };
            s.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(matches!(p(&s).unwrap_err(), YamlError::TooManyNodes { .. }));
    }

    #[test]
    fn hostile_inputs_are_errors() {
        // saphyr's scanner stops flow nesting itself (a syntax error); our depth bound covers
        // block nesting and any nesting below its limit.
        assert!(p(&"[".repeat(100_000)).is_err());
        let shallow = Limits { max_depth: 3, ..Limits::default() };
        assert!(matches!(parse(b"a: [[[1]]]", &shallow).unwrap_err(), YamlError::TooDeep { .. }));
        assert!(matches!(parse(b"a: \xff\n", &Limits::default()).unwrap_err(), YamlError::InvalidUtf8 { offset: 3 }));
        assert!(matches!(p("a: [").unwrap_err(), YamlError::Syntax { .. }));
        assert!(matches!(p("a: 1\n---\nb: 2\n").unwrap_err(), YamlError::MultipleDocuments { .. }));
        let small = Limits { max_bytes: 4, ..Limits::default() };
        assert!(matches!(parse(b"a: 12", &small).unwrap_err(), YamlError::TooLarge { .. }));
        // saphyr rejects an alias to an unknown anchor itself; ours is a second line of defence.
        assert!(p("a: *x\n").is_err());
    }

    #[test]
    fn aliases_expand() {
        let d = p("x: &v {k: 1}\ny: *v\n").unwrap();
        assert_eq!(d.root.get("y").unwrap().get_str("k"), Some("1"));
        assert_eq!(d.root.get("y").unwrap().span.start.line, 2);
        assert!(p("").unwrap().root.is_null());
    }
}
