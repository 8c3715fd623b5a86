//! GitHub Actions expressions (`${{ … }}`), parsed rather than pattern-matched.
//!
//! The grammar follows GitHub's "Evaluate expressions in workflows and actions" reference:
//! literals (`null`, booleans, numbers including hex and exponents, single-quoted strings with
//! `''` as the escape), contexts with `.name`, `.*`, `[expr]` and `[*]` access, function calls,
//! `!`, and the binary operators with GitHub's precedence, lowest first: `||`, `&&`,
//! `==`/`!=`, `<`/`<=`/`>`/`>=`. Nesting is bounded ([`MAX_DEPTH`]) so hostile input cannot
//! exhaust the stack.

use std::ops::Range;

/// Deepest nesting the parser accepts (parentheses, calls, indexes, `!`): the parser
/// recurses once per level.
pub const MAX_DEPTH: usize = 64;

/// Longest chain of links (`a || b || …`, `a.b.c…`) along any path of the tree. Chains are
/// parsed in loops but build a left-deep tree, and dropping a tree recurses: bounding them
/// keeps that within a small stack.
pub const MAX_CHAIN: usize = 1024;

/// A parsed expression; `span` is the byte range inside the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Byte range in the text given to [`parse_expression`].
    pub span: Range<usize>,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string literal (unescaped).
    String(String),
    /// A bare name: a context root such as `github`.
    Ident(String),
    /// `base.name`; `name` is `*` for `.*`.
    Property {
        /// What is accessed.
        base: Box<Expr>,
        /// The property.
        name: String,
    },
    /// `base[index]`; `[*]` has an index of [`ExprKind::Star`].
    Index {
        /// What is indexed.
        base: Box<Expr>,
        /// The index.
        index: Box<Expr>,
    },
    /// The `*` of `[*]`.
    Star,
    /// `name(args…)`; names are case-insensitive in GitHub and kept as written.
    Call {
        /// Function name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `!expr`
    Not(Box<Expr>),
    /// `left op right`
    Binary {
        /// Operator.
        op: BinOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
}

/// Why an expression did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// A character no token starts with.
    #[error("unexpected character {found:?} at offset {offset}")]
    UnexpectedChar {
        /// The character.
        found: char,
        /// Byte offset.
        offset: usize,
    },
    /// A string literal without its closing quote.
    #[error("unterminated string starting at offset {offset}")]
    UnterminatedString {
        /// Where the string starts.
        offset: usize,
    },
    /// A token where another was expected.
    #[error("expected {expected} at offset {offset}")]
    Expected {
        /// What was expected.
        expected: &'static str,
        /// Byte offset.
        offset: usize,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("expression nested deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A chain of operators or property accesses longer than [`MAX_CHAIN`].
    #[error("expression has a chain of more than {max} operators or accesses")]
    ChainTooLong {
        /// The limit.
        max: usize,
    },
    /// A number literal that is not a number.
    #[error("invalid number {text:?} at offset {offset}")]
    BadNumber {
        /// The literal.
        text: String,
        /// Byte offset.
        offset: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(String),
    Str(String),
    Punct(&'static str),
    End,
}

fn lex(src: &str) -> Result<Vec<(Tok, Range<usize>)>, ExprError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == b'\'' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(rel) = src[i..].find('\'') else {
                    return Err(ExprError::UnterminatedString { offset: start });
                };
                s.push_str(&src[i..i + rel]);
                i += rel + 1;
                if b.get(i) == Some(&b'\'') {
                    s.push('\'');
                    i += 1;
                } else {
                    break;
                }
            }
            out.push((Tok::Str(s), start..i));
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                // An exponent sign: `1e-5`.
                if (b[i] == b'e' || b[i] == b'E') && matches!(b.get(i + 1), Some(b'-' | b'+')) {
                    i += 1;
                }
                i += 1;
            }
            out.push((Tok::Num(src[start..i].to_owned()), start..i));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            out.push((Tok::Ident(src[start..i].to_owned()), start..i));
        } else {
            let two = src.get(i..i + 2).unwrap_or("");
            let p: &'static str = match two {
                "==" => "==",
                "!=" => "!=",
                "<=" => "<=",
                ">=" => ">=",
                "&&" => "&&",
                "||" => "||",
                _ => match c {
                    b'(' => "(",
                    b')' => ")",
                    b'[' => "[",
                    b']' => "]",
                    b'.' => ".",
                    b',' => ",",
                    b'!' => "!",
                    b'<' => "<",
                    b'>' => ">",
                    b'*' => "*",
                    _ => {
                        let found = src[i..].chars().next().unwrap_or('\0');
                        return Err(ExprError::UnexpectedChar { found, offset: i });
                    }
                },
            };
            i += p.len();
            out.push((Tok::Punct(p), start..i));
        }
    }
    out.push((Tok::End, b.len()..b.len()));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    depth: usize,
    chain: usize,
}

/// Parses the text between `${{` and `}}`.
pub fn parse_expression(src: &str) -> Result<Expr, ExprError> {
    let mut p = Parser { toks: lex(src)?, pos: 0, depth: 0, chain: 0 };
    let e = p.or()?;
    match p.peek() {
        Tok::End => Ok(e),
        _ => Err(ExprError::Expected { expected: "end of expression", offset: p.offset() }),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::End, |t| &t.0)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |t| t.1.start)
    }
    fn bump(&mut self) -> (Tok, Range<usize>) {
        let t = self.toks.get(self.pos).cloned().unwrap_or((Tok::End, 0..0));
        self.pos += 1;
        t
    }
    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(q) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: &'static str) -> Result<usize, ExprError> {
        let off = self.offset();
        if self.eat(p) {
            Ok(self.toks.get(self.pos - 1).map_or(off, |t| t.1.end))
        } else {
            Err(ExprError::Expected { expected: p, offset: off })
        }
    }
    fn link(&mut self) -> Result<(), ExprError> {
        self.chain += 1;
        if self.chain > MAX_CHAIN { Err(ExprError::ChainTooLong { max: MAX_CHAIN }) } else { Ok(()) }
    }
    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(ExprError::TooDeep { max: MAX_DEPTH }) } else { Ok(()) }
    }

    fn binary(
        &mut self,
        next: fn(&mut Self) -> Result<Expr, ExprError>,
        ops: &[(&str, BinOp)],
    ) -> Result<Expr, ExprError> {
        let mut left = next(self)?;
        let mut links = 0;
        let result = loop {
            let Some(op) = ops.iter().find(|(p, _)| matches!(self.peek(), Tok::Punct(q) if q == p)).map(|x| x.1) else {
                break Ok(left);
            };
            self.pos += 1;
            links += 1;
            if let Err(e) = self.link() {
                break Err(e);
            }
            let right = match next(self) {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            let span = left.span.start..right.span.end;
            left = Expr { kind: ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) }, span };
        };
        self.chain -= links;
        result
    }
    fn or(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let r = self.binary(Self::and, &[("||", BinOp::Or)]);
        self.depth -= 1;
        r
    }
    fn and(&mut self) -> Result<Expr, ExprError> {
        self.binary(Self::equality, &[("&&", BinOp::And)])
    }
    fn equality(&mut self) -> Result<Expr, ExprError> {
        self.binary(Self::comparison, &[("==", BinOp::Eq), ("!=", BinOp::Ne)])
    }
    fn comparison(&mut self) -> Result<Expr, ExprError> {
        self.binary(Self::unary, &[("<=", BinOp::Le), (">=", BinOp::Ge), ("<", BinOp::Lt), (">", BinOp::Gt)])
    }
    fn unary(&mut self) -> Result<Expr, ExprError> {
        let start = self.offset();
        if self.eat("!") {
            self.enter()?;
            let inner = self.unary();
            self.depth -= 1;
            let inner = inner?;
            let span = start..inner.span.end;
            return Ok(Expr { kind: ExprKind::Not(Box::new(inner)), span });
        }
        self.postfix()
    }
    fn postfix(&mut self) -> Result<Expr, ExprError> {
        let e = self.primary()?;
        let chain = self.chain;
        let r = self.postfix_chain(e);
        self.chain = chain;
        r
    }
    fn postfix_chain(&mut self, mut e: Expr) -> Result<Expr, ExprError> {
        loop {
            if matches!(self.peek(), Tok::Punct("." | "[")) {
                self.link()?;
            }
            if self.eat(".") {
                let (t, r) = self.bump();
                let name = match t {
                    Tok::Ident(n) => n,
                    Tok::Punct("*") => "*".to_owned(),
                    _ => return Err(ExprError::Expected { expected: "a property name", offset: r.start }),
                };
                let span = e.span.start..r.end;
                e = Expr { kind: ExprKind::Property { base: Box::new(e), name }, span };
            } else if matches!(self.peek(), Tok::Punct("[")) {
                self.pos += 1;
                let index = if matches!(self.peek(), Tok::Punct("*")) {
                    let (_, r) = self.bump();
                    Expr { kind: ExprKind::Star, span: r }
                } else {
                    self.or()?
                };
                let end = self.expect("]")?;
                let span = e.span.start..end;
                e = Expr { kind: ExprKind::Index { base: Box::new(e), index: Box::new(index) }, span };
            } else {
                return Ok(e);
            }
        }
    }
    fn primary(&mut self) -> Result<Expr, ExprError> {
        let (t, r) = self.bump();
        let kind = match t {
            Tok::Str(s) => ExprKind::String(s),
            Tok::Num(n) => ExprKind::Number(parse_number(&n).ok_or(ExprError::BadNumber { text: n, offset: r.start })?),
            Tok::Ident(id) => match id.as_str() {
                "null" => ExprKind::Null,
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                _ if matches!(self.peek(), Tok::Punct("(")) => {
                    self.pos += 1;
                    self.enter()?;
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.or()?);
                            if self.eat(",") {
                                continue;
                            }
                            break;
                        }
                        self.expect(")")?;
                    }
                    self.depth -= 1;
                    let end = self.toks.get(self.pos - 1).map_or(r.end, |t| t.1.end);
                    return Ok(Expr { kind: ExprKind::Call { name: id, args }, span: r.start..end });
                }
                _ => ExprKind::Ident(id),
            },
            Tok::Punct("(") => {
                let inner = self.or()?;
                let end = self.expect(")")?;
                return Ok(Expr { kind: inner.kind, span: r.start..end });
            }
            _ => return Err(ExprError::Expected { expected: "a value", offset: r.start }),
        };
        Ok(Expr { kind, span: r })
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()? as f64
    } else {
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// One part of a context path: `github.event.issue.title` has four names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextPart {
    /// A name (or a string-literal index), lower-cased: contexts are case-insensitive.
    Name(String),
    /// `.*` or `[*]`
    Star,
    /// An index computed by an expression, e.g. `secrets[format('{0}', x)]`.
    Computed,
}

impl Expr {
    /// The context path when this expression is a pure context access (`github.event.x`,
    /// `matrix['os']`, `steps.*.outputs`), root first.
    pub fn context_path(&self) -> Option<Vec<ContextPart>> {
        let mut parts = Vec::new();
        let mut e = self;
        loop {
            match &e.kind {
                ExprKind::Ident(n) => {
                    parts.push(ContextPart::Name(n.to_ascii_lowercase()));
                    break;
                }
                ExprKind::Property { base, name } => {
                    parts.push(if name == "*" {
                        ContextPart::Star
                    } else {
                        ContextPart::Name(name.to_ascii_lowercase())
                    });
                    e = base;
                }
                ExprKind::Index { base, index } => {
                    parts.push(match &index.kind {
                        ExprKind::String(s) => ContextPart::Name(s.to_ascii_lowercase()),
                        // `commits[0]` is one element of a list, as `commits.*` is any element.
                        ExprKind::Star | ExprKind::Number(_) => ContextPart::Star,
                        _ => ContextPart::Computed,
                    });
                    e = base;
                }
                _ => return None,
            }
        }
        parts.reverse();
        Some(parts)
    }

    /// The context path as a dotted pattern (`github.event.issue.title`, `steps.*.outputs`),
    /// `None` when it is not a pure context or has a computed index.
    pub fn context_pattern(&self) -> Option<String> {
        let parts = self.context_path()?;
        let mut out = Vec::with_capacity(parts.len());
        for p in &parts {
            match p {
                ContextPart::Name(n) => out.push(n.as_str()),
                ContextPart::Star => out.push("*"),
                ContextPart::Computed => return None,
            }
        }
        Some(out.join("."))
    }

    /// Whether this is a context at or under `parent` (a dotted pattern; `*` matches any one
    /// part; case-insensitive), as zizmor's `child_of`.
    pub fn context_child_of(&self, parent: &str) -> bool {
        let Some(parts) = self.context_path() else { return false };
        let want: Vec<&str> = parent.split('.').collect();
        want.len() <= parts.len()
            && want.iter().zip(&parts).all(|(w, p)| match p {
                ContextPart::Name(n) => *w == "*" || w.eq_ignore_ascii_case(n),
                ContextPart::Star | ContextPart::Computed => *w == "*",
            })
    }

    /// Every sub-expression, this one first (pre-order, iteratively).
    pub fn walk(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        let mut todo = vec![self];
        while let Some(e) = todo.pop() {
            out.push(e);
            push_children(e, &mut todo);
        }
        out
    }

    /// How many sub-expressions match `pred`, not looking inside a match: the outermost
    /// matches only, each counted once (e.g. `toJSON(secrets)` for overprovisioned-secrets).
    pub fn count_outermost(&self, pred: impl Fn(&Expr) -> bool) -> usize {
        let mut n = 0;
        let mut todo = vec![self];
        while let Some(e) = todo.pop() {
            if pred(e) {
                n += 1;
            } else {
                push_children(e, &mut todo);
            }
        }
        n
    }
}

/// Pushes the direct children of `e` so that they pop in source order.
fn push_children<'a>(e: &'a Expr, todo: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Property { base, .. } => todo.push(base),
        ExprKind::Index { base, index } => {
            todo.push(index);
            todo.push(base);
        }
        ExprKind::Call { args, .. } => todo.extend(args.iter().rev()),
        ExprKind::Not(inner) => todo.push(inner),
        ExprKind::Binary { left, right, .. } => {
            todo.push(right);
            todo.push(left);
        }
        _ => {}
    }
}

/// A `${{ … }}` found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionSpan<'a> {
    /// The text between the delimiters.
    pub inner: &'a str,
    /// Byte range of the whole `${{ … }}` in the searched string.
    pub outer: Range<usize>,
}

/// Finds every `${{ … }}` in `s`. A `}}` inside a string literal does not end an expression;
/// an expression left open runs to the end of the string (GitHub rejects it; we report what
/// we saw rather than dropping it).
pub fn find_expressions(s: &str) -> Vec<ExpressionSpan<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = s.get(from..).and_then(|t| t.find("${{")) {
        let start = from + rel;
        let body = start + 3;
        let b = s.as_bytes();
        let mut i = body;
        let mut in_str = false;
        let mut end = None;
        while i < b.len() {
            if b[i] == b'\'' {
                in_str = !in_str;
            } else if !in_str && b[i] == b'}' && b.get(i + 1) == Some(&b'}') {
                end = Some(i);
                break;
            }
            i += 1;
        }
        let (inner_end, outer_end) = match end {
            Some(e) => (e, e + 2),
            None => (s.len(), s.len()),
        };
        out.push(ExpressionSpan { inner: s.get(body..inner_end).unwrap_or(""), outer: start..outer_end });
        from = outer_end.max(start + 3);
    }
    out
}

/// The inner text when the whole of `s` (trimmed) is one `${{ … }}`, as GitHub reads a
/// value that is "an expression" rather than a literal (e.g. `runs-on: ${{ matrix.os }}`).
pub fn whole_expression(s: &str) -> Option<&str> {
    let t = s.trim();
    let found = find_expressions(t);
    match found.as_slice() {
        [only] if only.outer == (0..t.len()) && t.ends_with("}}") => Some(only.inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(s: &str) -> Vec<ContextPart> {
        parse_expression(s).unwrap().context_path().unwrap()
    }

    #[test]
    fn precedence() {
        let e = parse_expression("a || b && c == 'x'").unwrap();
        let ExprKind::Binary { op: BinOp::Or, right, .. } = e.kind else { panic!() };
        let ExprKind::Binary { op: BinOp::And, right: eq, .. } = right.kind else { panic!() };
        assert!(matches!(eq.kind, ExprKind::Binary { op: BinOp::Eq, .. }));
        let e = parse_expression("!a.b == true").unwrap();
        assert!(matches!(e.kind, ExprKind::Binary { op: BinOp::Eq, .. }));
    }

    #[test]
    fn contexts_and_calls() {
        use ContextPart::*;
        assert_eq!(
            ctx("github.event.issue.title"),
            [Name("github".into()), Name("event".into()), Name("issue".into()), Name("title".into())]
        );
        assert_eq!(ctx("github['HEAD_REF']"), [Name("github".into()), Name("head_ref".into())]);
        assert_eq!(ctx("steps.*.outputs[*]"), [Name("steps".into()), Star, Name("outputs".into()), Star]);
        assert_eq!(ctx("secrets[format('{0}', x)]")[1], Computed);
        let e = parse_expression("contains(fromJSON('[\"a\"]'), github.actor) && 0x1F > -1.5e3").unwrap();
        assert!(e.walk().iter().any(|x| matches!(&x.kind, ExprKind::Call { name, .. } if name == "fromJSON")));
        assert_eq!(parse_expression("'it''s'").unwrap().kind, ExprKind::String("it's".into()));
    }

    #[test]
    fn errors_not_panics() {
        for bad in ["", "a.", "f(", "'x", "a ==", "a[1", "#", "1x2", ")"] {
            assert!(parse_expression(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_expression(&"(".repeat(10_000)), Err(ExprError::TooDeep { max: MAX_DEPTH }));
        assert_eq!(parse_expression(&"!".repeat(10_000)), Err(ExprError::TooDeep { max: MAX_DEPTH }));
        assert!(parse_expression(&format!("{}1{}", "a[".repeat(300), "]".repeat(300))).is_err());
        let long_or = vec!["a"; 100_000].join(" || ");
        assert_eq!(parse_expression(&long_or), Err(ExprError::ChainTooLong { max: MAX_CHAIN }));
        let long_path = format!("a{}", ".b".repeat(100_000));
        assert_eq!(parse_expression(&long_path), Err(ExprError::ChainTooLong { max: MAX_CHAIN }));
        assert!(parse_expression(&vec!["a"; 1000].join(" && ")).is_ok());
    }

    #[test]
    fn finds_expressions() {
        let s = "echo ${{ github.ref }} and ${{ format('}}', x) }} ${{ open";
        let f = find_expressions(s);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].inner.trim(), "github.ref");
        assert_eq!(&s[f[0].outer.clone()], "${{ github.ref }}");
        assert_eq!(f[1].inner.trim(), "format('}}', x)");
        assert_eq!(f[2].inner.trim(), "open");
    }
}
