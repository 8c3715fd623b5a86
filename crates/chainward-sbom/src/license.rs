//! SPDX license expressions (SPDX 2.3 Annex D): parsing, classification and canonical rendering.
//!
//! Package databases record licenses as free text (`GPL-2+` in Debian copyright files), SPDX ids
//! (`MIT`), or SPDX expressions (`MIT AND BSD-3-Clause`, common in apk and rpm). The writers must
//! not claim an SPDX identifier that is not one: CycloneDX validates `license.id` against the
//! SPDX list, and SPDX consumers (spdx-tools) reject `licenseDeclared` values that do not parse.
//! So every recorded string is classified here, strictly, by the Annex D grammar:
//!
//! ```text
//! idstring            = 1*(ALPHA / DIGIT / "-" / ".")
//! license-ref         = ["DocumentRef-" idstring ":"] "LicenseRef-" idstring
//! simple-expression   = license-id / license-id "+" / license-ref
//! compound-expression = simple-expression / simple-expression "WITH" license-exception-id
//!                     / compound-expression "AND" compound-expression
//!                     / compound-expression "OR" compound-expression
//!                     / "(" compound-expression ")"
//! ```
//!
//! Operators are matched case-sensitively and identifiers case-insensitively (Annex D.2), and
//! `WITH` binds tighter than `AND`, which binds tighter than `OR` (Annex D.4). A `DocumentRef-`
//! is refused: it would need an `externalDocumentRefs` entry this crate cannot know.

use crate::spdx_license_list::{EXCEPTION_IDS, LICENSE_IDS};

/// Nesting deeper than this is refused rather than recursed into: license strings come from
/// package databases inside images, which are outside data.
const MAX_DEPTH: usize = 32;

/// A parsed, valid SPDX license expression with canonical identifier spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expression {
    /// A listed license id, with `+` ("or later", Annex D.3) when `or_later`.
    License { id: &'static str, or_later: bool },
    /// A document-local `LicenseRef-…`.
    Ref(String),
    /// `<license or ref> WITH <exception>`.
    With {
        /// A `License` or a `Ref`.
        subject: Box<Expression>,
        exception: &'static str,
    },
    /// Two or more operands joined by `AND`.
    And(Vec<Expression>),
    /// Two or more operands joined by `OR`.
    Or(Vec<Expression>),
}

/// What a recorded license string is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum License<'a> {
    /// Exactly one listed license id, without `+` or `WITH`: what CycloneDX `license.id` takes.
    Id(&'static str),
    /// Any other valid SPDX expression.
    Expression(Expression),
    /// Not a valid SPDX expression: a license name as free text (trimmed).
    Unrecognised(&'a str),
}

impl License<'_> {
    /// Classifies one recorded license string; `None` for an empty or blank one.
    pub(crate) fn classify(recorded: &str) -> Option<License<'_>> {
        let text = recorded.trim();
        if text.is_empty() {
            return None;
        }
        Some(match Expression::parse(text) {
            Some(Expression::License { id, or_later: false }) => License::Id(id),
            // Deprecated ids such as `GPL-2.0+` are listed ids of their own, so they can be a
            // CycloneDX `license.id`.
            Some(Expression::License { id, or_later: true }) if license_id(&format!("{id}+")).is_some() => {
                license_id(&format!("{id}+")).map_or(License::Unrecognised(text), License::Id)
            }
            Some(expr) => License::Expression(expr),
            None => License::Unrecognised(text),
        })
    }
}

/// The distinct, non-blank license strings of a package, in recorded order, classified; strings
/// that classify the same (`MIT`, ` mit`) count once.
pub(crate) fn classify_all(recorded: &[String]) -> Vec<License<'_>> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for text in recorded {
        let trimmed = text.trim();
        if seen.contains(&trimmed) {
            continue;
        }
        seen.push(trimmed);
        // `mit` and `MIT` are one license (ids match case-insensitively, Annex D.2).
        if let Some(class) = License::classify(trimmed)
            && !out.contains(&class)
        {
            out.push(class);
        }
    }
    out
}

/// Looks `word` up case-insensitively in a list sorted by ASCII lowercase.
fn lookup(list: &'static [&'static str], word: &str) -> Option<&'static str> {
    let wanted: Vec<u8> = word.bytes().map(|b| b.to_ascii_lowercase()).collect();
    list.binary_search_by(|probe| probe.bytes().map(|b| b.to_ascii_lowercase()).cmp(wanted.iter().copied()))
        .ok()
        .and_then(|i| list.get(i).copied())
}

/// A listed license id in its canonical spelling.
pub(crate) fn license_id(word: &str) -> Option<&'static str> {
    lookup(LICENSE_IDS, word)
}

/// A listed exception id in its canonical spelling.
pub(crate) fn exception_id(word: &str) -> Option<&'static str> {
    lookup(EXCEPTION_IDS, word)
}

fn is_idstring(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    And,
    Or,
    With,
    Word(&'a str),
}

fn tokenize(text: &str) -> Vec<Token<'_>> {
    fn flush<'a>(tokens: &mut Vec<Token<'a>>, word: &'a str) {
        tokens.push(match word {
            "AND" => Token::And,
            "OR" => Token::Or,
            "WITH" => Token::With,
            w => Token::Word(w),
        });
    }
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if let Some(s) = start.take() {
                flush(&mut tokens, &text[s..i]);
            }
            match c {
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                _ => {}
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        flush(&mut tokens, &text[s..]);
    }
    tokens
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
}

impl<'a> Parser<'_, 'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.peek();
        self.pos += 1;
        t
    }

    /// or-expression = and-expression *("OR" and-expression)
    fn or_expr(&mut self, depth: usize) -> Option<Expression> {
        let mut operands = vec![self.and_expr(depth)?];
        while self.peek() == Some(Token::Or) {
            self.pos += 1;
            operands.push(self.and_expr(depth)?);
        }
        Some(flatten(operands, false))
    }

    /// and-expression = with-expression *("AND" with-expression)
    fn and_expr(&mut self, depth: usize) -> Option<Expression> {
        let mut operands = vec![self.with_expr(depth)?];
        while self.peek() == Some(Token::And) {
            self.pos += 1;
            operands.push(self.with_expr(depth)?);
        }
        Some(flatten(operands, true))
    }

    /// with-expression = simple-expression ["WITH" exception] / "(" or-expression ")"
    fn with_expr(&mut self, depth: usize) -> Option<Expression> {
        match self.next()? {
            Token::Open => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let inner = self.or_expr(depth + 1)?;
                (self.next()? == Token::Close).then_some(inner)
            }
            Token::Word(word) => {
                let simple = simple_expression(word)?;
                if self.peek() != Some(Token::With) {
                    return Some(simple);
                }
                self.pos += 1;
                // `GPL-2.0+ WITH …` is allowed: the subject is any simple expression.
                let Token::Word(exc) = self.next()? else {
                    return None;
                };
                Some(Expression::With { subject: Box::new(simple), exception: exception_id(exc)? })
            }
            _ => None,
        }
    }
}

/// One operand is itself; nested operands of the same operator are merged (both are associative).
fn flatten(mut operands: Vec<Expression>, and: bool) -> Expression {
    if operands.len() == 1
        && let Some(only) = operands.pop()
    {
        return only;
    }
    let mut flat = Vec::with_capacity(operands.len());
    for op in operands {
        match (op, and) {
            (Expression::And(inner), true) | (Expression::Or(inner), false) => flat.extend(inner),
            (other, _) => flat.push(other),
        }
    }
    if and { Expression::And(flat) } else { Expression::Or(flat) }
}

fn simple_expression(word: &str) -> Option<Expression> {
    if let Some(idstring) = word.strip_prefix("LicenseRef-") {
        return is_idstring(idstring).then(|| Expression::Ref(word.to_owned()));
    }
    let (id, or_later) = match word.strip_suffix('+') {
        Some(base) => (base, true),
        None => (word, false),
    };
    // A deprecated id that ends in `+` (`GPL-2.0+`) is a listed id of its own; it is rendered
    // the same either way, so reading it as `GPL-2.0` + "or later" loses nothing.
    if !is_idstring(id) {
        return None;
    }
    Some(Expression::License { id: license_id(id)?, or_later })
}

impl Expression {
    /// Parses a whole string as an SPDX license expression; `None` if it is not one.
    pub(crate) fn parse(text: &str) -> Option<Expression> {
        let tokens = tokenize(text);
        let mut parser = Parser { tokens: &tokens, pos: 0 };
        let expr = parser.or_expr(0)?;
        (parser.pos == tokens.len()).then_some(expr)
    }

    /// Whether the top-level operator is `OR`, so the expression needs parentheses as an operand
    /// of `AND` (Annex D.4 precedence).
    pub(crate) fn is_disjunction(&self) -> bool {
        matches!(self, Expression::Or(_))
    }

    /// The `LicenseRef-…` ids the expression uses, in order of appearance.
    pub(crate) fn license_refs(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'s>(&'s self, out: &mut Vec<&'s str>) {
        match self {
            Expression::License { .. } => {}
            Expression::Ref(r) => out.push(r),
            Expression::With { subject, .. } => subject.collect_refs(out),
            Expression::And(ops) | Expression::Or(ops) => {
                for op in ops {
                    op.collect_refs(out);
                }
            }
        }
    }

    /// The expression with canonical id spelling and only the parentheses precedence needs.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Expression::License { id, or_later } => {
                out.push_str(id);
                if *or_later {
                    out.push('+');
                }
            }
            Expression::Ref(r) => out.push_str(r),
            Expression::With { subject, exception } => {
                subject.render_into(out);
                out.push_str(" WITH ");
                out.push_str(exception);
            }
            Expression::And(ops) => {
                for (i, op) in ops.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" AND ");
                    }
                    if op.is_disjunction() {
                        out.push('(');
                        op.render_into(out);
                        out.push(')');
                    } else {
                        op.render_into(out);
                    }
                }
            }
            Expression::Or(ops) => {
                for (i, op) in ops.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" OR ");
                    }
                    op.render_into(out);
                }
            }
        }
    }
}

/// All `operands` joined with `AND` (what a package's several recorded licenses mean together),
/// with nested conjunctions flattened and repeated terms dropped: `BSD-3-Clause` and
/// `MIT AND BSD-3-Clause` give `BSD-3-Clause AND MIT`. `None` for no operands.
pub(crate) fn conjunction(operands: Vec<Expression>) -> Option<Expression> {
    let mut terms: Vec<Expression> = Vec::new();
    for op in operands {
        let parts = match op {
            Expression::And(inner) => inner,
            other => vec![other],
        };
        for part in parts {
            if !terms.contains(&part) {
                terms.push(part);
            }
        }
    }
    match terms.len() {
        0 => None,
        1 => terms.pop(),
        _ => Some(Expression::And(terms)),
    }
}

impl License<'_> {
    /// The expression this license stands for, with `unrecognised` deciding what free text
    /// becomes (a `LicenseRef-` in SPDX).
    pub(crate) fn to_expression(&self, unrecognised: impl FnOnce(&str) -> Expression) -> Expression {
        match self {
            License::Id(id) => Expression::License { id, or_later: false },
            License::Expression(e) => e.clone(),
            License::Unrecognised(text) => unrecognised(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(s: &str) -> Option<String> {
        Expression::parse(s).map(|e| e.render())
    }

    #[test]
    fn lists_have_the_size_of_the_cyclonedx_enum() {
        // `tests/schema_validation.rs` shows every one of the 729 ids of CycloneDX 1.6.2's
        // spdx.schema.json is recognised; equal sizes (and no duplicates, below) make the sets equal.
        assert_eq!((LICENSE_IDS.len(), EXCEPTION_IDS.len()), (659, 70));
    }

    #[test]
    fn lists_are_sorted_for_binary_search() {
        for list in [LICENSE_IDS, EXCEPTION_IDS] {
            for pair in list.windows(2) {
                assert!(pair[0].to_ascii_lowercase() < pair[1].to_ascii_lowercase(), "{pair:?} out of order");
            }
        }
    }

    #[test]
    fn ids_match_case_insensitively_and_render_canonically() {
        assert_eq!(license_id("mit"), Some("MIT"));
        assert_eq!(license_id("bsd-3-clause"), Some("BSD-3-Clause"));
        assert_eq!(license_id("GPL-2"), None);
        assert_eq!(exception_id("classpath-exception-2.0"), Some("Classpath-exception-2.0"));
        // An exception is not a license, and the other way round.
        assert_eq!(license_id("Classpath-exception-2.0"), None);
        assert_eq!(exception_id("MIT"), None);
        assert_eq!(render("apache-2.0"), Some("Apache-2.0".into()));
    }

    #[test]
    fn classification() {
        assert_eq!(License::classify("  MIT "), Some(License::Id("MIT")));
        assert_eq!(License::classify(""), None);
        assert_eq!(License::classify("GPL-2+"), Some(License::Unrecognised("GPL-2+")));
        assert_eq!(License::classify("gpl-2.0+"), Some(License::Id("GPL-2.0+")));
        assert_eq!(
            License::classify("Apache-2.0+"),
            Some(License::Expression(Expression::License { id: "Apache-2.0", or_later: true }))
        );
        assert!(matches!(License::classify("MIT AND BSD-3-Clause"), Some(License::Expression(Expression::And(_)))));
        // Lowercase operators are not operators (Annex D.2), so this is free text.
        assert!(matches!(License::classify("MIT and BSD-3-Clause"), Some(License::Unrecognised(_))));
        assert!(matches!(License::classify("Public Domain"), Some(License::Unrecognised(_))));
    }

    #[test]
    fn precedence_and_parentheses() {
        assert_eq!(render("MIT OR Apache-2.0 AND BSD-3-Clause"), Some("MIT OR Apache-2.0 AND BSD-3-Clause".into()));
        assert_eq!(render("(MIT OR Apache-2.0) AND BSD-3-Clause"), Some("(MIT OR Apache-2.0) AND BSD-3-Clause".into()));
        // Redundant parentheses go; the meaning stays.
        assert_eq!(render("((MIT))"), Some("MIT".into()));
        assert_eq!(render("(MIT AND Zlib) AND ISC"), Some("MIT AND Zlib AND ISC".into()));
        assert_eq!(render("gpl-2.0-only with linux-syscall-note"), None, "operators are case-sensitive");
        assert_eq!(render("gpl-2.0-only WITH linux-syscall-note"), Some("GPL-2.0-only WITH Linux-syscall-note".into()));
        assert_eq!(
            render("GPL-2.0+ WITH Classpath-exception-2.0"),
            Some("GPL-2.0+ WITH Classpath-exception-2.0".into())
        );
    }

    #[test]
    fn malformed_expressions_are_refused() {
        for bad in [
            "MIT AND",
            "AND MIT",
            "(MIT",
            "MIT)",
            "MIT OR OR Zlib",
            "MIT WITH MIT",
            "(MIT OR Zlib) WITH Classpath-exception-2.0",
            "LicenseRef-",
            "LicenseRef-a_b",
            "DocumentRef-x:LicenseRef-y",
            "MIT+ +",
            "NOASSERTION",
            "()",
        ] {
            assert_eq!(Expression::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn license_refs_are_collected() {
        let e = Expression::parse("LicenseRef-Fedora-Public-Domain OR (MIT AND LicenseRef-x.y)").unwrap();
        assert_eq!(e.license_refs(), vec!["LicenseRef-Fedora-Public-Domain", "LicenseRef-x.y"]);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}MIT{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(Expression::parse(&deep), None);
        let ok = format!("{}MIT{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(render(&ok), Some("MIT".into()));
    }

    #[test]
    fn duplicates_and_blanks_are_dropped() {
        let recorded = vec!["MIT".to_owned(), " mit".to_owned(), "  ".to_owned(), "GPL-2+".to_owned()];
        assert_eq!(classify_all(&recorded), vec![License::Id("MIT"), License::Unrecognised("GPL-2+")]);
    }

    #[test]
    fn conjunction_flattens_dedupes_and_parenthesises() {
        let parse = |t: &str| Expression::parse(t).unwrap();
        let joined = |ops: &[&str]| conjunction(ops.iter().map(|t| parse(t)).collect()).map(|e| e.render());
        assert_eq!(joined(&["MIT OR Zlib", "ISC"]).as_deref(), Some("(MIT OR Zlib) AND ISC"));
        assert_eq!(joined(&["MIT OR Zlib"]).as_deref(), Some("MIT OR Zlib"));
        assert_eq!(joined(&["bsd-3-clause", "MIT AND BSD-3-Clause"]).as_deref(), Some("BSD-3-Clause AND MIT"));
        assert_eq!(joined(&[]), None);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn term() -> impl Strategy<Value = String> {
            prop_oneof![
                proptest::sample::select(LICENSE_IDS).prop_map(str::to_owned),
                // `GPL-2.0+` is listed as it is; `GPL-2.0++` is not an expression.
                proptest::sample::select(LICENSE_IDS)
                    .prop_filter("already ends in +", |id| !id.ends_with('+'))
                    .prop_map(|id| format!("{}+", id.to_ascii_lowercase())),
                (proptest::sample::select(LICENSE_IDS), proptest::sample::select(EXCEPTION_IDS))
                    .prop_map(|(l, e)| format!("{l} WITH {e}")),
                "[A-Za-z0-9.-]{1,12}".prop_map(|s| format!("LicenseRef-{s}")),
            ]
        }

        fn expression() -> impl Strategy<Value = String> {
            term().prop_recursive(4, 16, 3, |inner| {
                (inner.clone(), prop_oneof![Just("AND"), Just("OR")], inner)
                    .prop_map(|(a, op, b)| format!("({a}) {op} ({b})"))
            })
        }

        proptest! {
            /// Rendering is canonical: it parses back to the same expression and renders the same.
            #[test]
            fn render_round_trips(text in expression()) {
                let parsed = Expression::parse(&text).unwrap();
                let rendered = parsed.render();
                let reparsed = Expression::parse(&rendered).unwrap();
                prop_assert_eq!(&reparsed, &parsed);
                prop_assert_eq!(reparsed.render(), rendered);
            }

            /// Outside data never panics the parser, and whatever it accepts renders to valid text.
            #[test]
            fn arbitrary_text_is_safe(text in ".{0,64}") {
                if let Some(expr) = Expression::parse(&text) {
                    prop_assert!(Expression::parse(&expr.render()).is_some());
                }
            }
        }
    }
}
