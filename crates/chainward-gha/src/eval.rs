//! Constant evaluation of expressions: what an expression yields when it reads no context.
//!
//! Follows GitHub's "Evaluate expressions in workflows and actions" reference: `&&` and `||`
//! yield one of their operands (not a boolean), `!` and comparisons yield booleans, string
//! comparisons ignore case, mixed-type comparisons compare as numbers, and `false`, `null`,
//! `0`, `NaN` and `''` are falsy. zizmor evaluates the same way (its `consteval`), which the
//! audits that port its checks rely on (`unsound-ternary`, steps whose `if:` is statically
//! false).

use crate::expr::{BinOp, Expr, ExprKind};

/// The value of a constant expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
}

impl Value {
    /// GitHub's truthiness: `false`, `null`, `0`, `NaN` and `''` are falsy.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
        }
    }

    /// The value as a number, with GitHub's coercions (`''` is 0, `true` is 1, text that is
    /// not a number is `NaN`).
    pub fn as_number(&self) -> f64 {
        match self {
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => string_to_number(s),
        }
    }

    /// The value as text, as `format()` and string functions see it.
    pub fn as_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => number_text(*n),
            Value::String(s) => s.clone(),
        }
    }

    fn loose_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::String(a), Value::String(b)) => a.to_uppercase() == b.to_uppercase(),
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (a, b) => a.as_number() == b.as_number(),
        }
    }

    fn loose_cmp(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Value::String(a), Value::String(b)) => a.to_uppercase().partial_cmp(&b.to_uppercase()),
            (a, b) => a.as_number().partial_cmp(&b.as_number()),
        }
    }
}

/// Formats a number as GitHub does: integers without a fraction.
fn number_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity".to_owned() } else { "-Infinity".to_owned() }
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn string_to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    if let Ok(v) = t.parse::<f64>()
        && v.is_finite()
    {
        return v;
    }
    if let Some(hex) = t.strip_prefix("0x") {
        return u32::from_str_radix(hex, 16).map_or(f64::NAN, |n| f64::from(n as i32));
    }
    f64::NAN
}

/// `fromJSON` of a JSON scalar; arrays and objects are not constants we model.
fn json_scalar(s: &str) -> Option<Value> {
    let t = s.trim();
    match t {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => {
            if let Some(inner) = t.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                // Only strings without escapes: decoding JSON escapes is not needed here.
                return (!inner.contains(['\\', '"'])).then(|| Value::String(inner.to_owned()));
            }
            t.parse::<f64>().ok().filter(|n| n.is_finite()).map(Value::Number)
        }
    }
}

/// `format('{0} {1}', a, b)`, with `{{`/`}}` escapes; `None` for a malformed template.
fn format(args: &[Value]) -> Option<Value> {
    let (template, rest) = args.split_first()?;
    let template = template.as_text();
    let mut out = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '{' => {
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some((_, d)) if d.is_ascii_digit() => digits.push(d),
                        Some((_, '}')) => break,
                        _ => return None,
                    }
                }
                let index: usize = digits.parse().ok()?;
                out.push_str(&rest.get(index)?.as_text());
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '}' => return None,
            _ => out.push(c),
        }
    }
    Some(Value::String(out))
}

impl Expr {
    /// The expression's value when it can be computed without any context: literals,
    /// operators over constants, and `format`, `contains`, `startsWith`, `endsWith` and
    /// `fromJSON` (of a scalar) over constants. `None` otherwise.
    pub fn consteval(&self) -> Option<Value> {
        match &self.kind {
            ExprKind::Null => Some(Value::Null),
            ExprKind::Bool(b) => Some(Value::Bool(*b)),
            ExprKind::Number(n) => Some(Value::Number(*n)),
            ExprKind::String(s) => Some(Value::String(s.clone())),
            ExprKind::Not(inner) => Some(Value::Bool(!inner.consteval()?.is_truthy())),
            ExprKind::Binary { op, left, right } => {
                let (l, r) = (left.consteval()?, right.consteval()?);
                Some(match op {
                    BinOp::And => {
                        if l.is_truthy() {
                            r
                        } else {
                            l
                        }
                    }
                    BinOp::Or => {
                        if l.is_truthy() {
                            l
                        } else {
                            r
                        }
                    }
                    BinOp::Eq => Value::Bool(l.loose_eq(&r)),
                    BinOp::Ne => Value::Bool(!l.loose_eq(&r)),
                    BinOp::Lt => Value::Bool(l.loose_cmp(&r) == Some(std::cmp::Ordering::Less)),
                    BinOp::Le => Value::Bool(matches!(
                        l.loose_cmp(&r),
                        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                    )),
                    BinOp::Gt => Value::Bool(l.loose_cmp(&r) == Some(std::cmp::Ordering::Greater)),
                    BinOp::Ge => Value::Bool(matches!(
                        l.loose_cmp(&r),
                        Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                    )),
                })
            }
            ExprKind::Call { name, args } => {
                let args = args.iter().map(Expr::consteval).collect::<Option<Vec<_>>>()?;
                let text = |i: usize| args.get(i).map(|v| v.as_text().to_uppercase());
                match name.to_ascii_lowercase().as_str() {
                    "format" => format(&args),
                    "contains" if args.len() == 2 => Some(Value::Bool(text(0)?.contains(&text(1)?))),
                    "startswith" if args.len() == 2 => Some(Value::Bool(text(0)?.starts_with(&text(1)?))),
                    "endswith" if args.len() == 2 => Some(Value::Bool(text(0)?.ends_with(&text(1)?))),
                    "fromjson" if args.len() == 1 => match args.first()? {
                        Value::String(s) => json_scalar(s),
                        _ => None,
                    },
                    _ => None,
                }
            }
            ExprKind::Ident(_) | ExprKind::Property { .. } | ExprKind::Index { .. } | ExprKind::Star => None,
        }
    }

    /// Whether the expression could be replaced by its value, as zizmor's
    /// `constant_reducible`: literals, operators over reducible operands, and calls of
    /// `contains`, `startsWith`, `endsWith`, `format`, `toJSON` and `join` with reducible
    /// arguments. `fromJSON` counts as not reducible (as in zizmor), though
    /// [`Expr::consteval`] evaluates it.
    pub fn constant_reducible(&self) -> bool {
        match &self.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::String(_) => true,
            ExprKind::Not(inner) => inner.constant_reducible(),
            ExprKind::Binary { left, right, .. } => left.constant_reducible() && right.constant_reducible(),
            ExprKind::Call { name, args } => {
                matches!(
                    name.to_ascii_lowercase().as_str(),
                    "contains" | "startswith" | "endswith" | "format" | "tojson" | "join"
                ) && args.iter().all(Expr::constant_reducible)
            }
            ExprKind::Ident(_) | ExprKind::Property { .. } | ExprKind::Index { .. } | ExprKind::Star => false,
        }
    }
}

/// Whether an `if:` condition (as written, with or without `${{ }}`) is statically false:
/// the literal `false`, or an expression that evaluates to the boolean `false` without
/// reading any context. A step or job guarded by it never runs. Other falsy constants
/// (`''`, `0`, `null`) are not counted, as in zizmor (issue #2059).
pub fn if_statically_false(condition: &str) -> bool {
    let bare = crate::expr::whole_expression(condition).unwrap_or(condition);
    crate::expr::parse_expression(bare).is_ok_and(|e| e.consteval() == Some(Value::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_expression;

    fn eval(s: &str) -> Option<Value> {
        parse_expression(s).unwrap().consteval()
    }

    #[test]
    fn operators() {
        assert_eq!(eval("true && false"), Some(Value::Bool(false)));
        assert_eq!(eval("'' || 'x'"), Some(Value::String("x".into())));
        assert_eq!(eval("'a' && 0"), Some(Value::Number(0.0)));
        assert_eq!(eval("!''"), Some(Value::Bool(true)));
        assert_eq!(eval("'ABC' == 'abc'"), Some(Value::Bool(true)));
        assert_eq!(eval("'1' == 1"), Some(Value::Bool(true)));
        assert_eq!(eval("'x' == 0"), Some(Value::Bool(false)));
        assert_eq!(eval("2 >= 10"), Some(Value::Bool(false)));
        assert_eq!(eval("github.ref == 'x'"), None);
        assert_eq!(eval("foo && ''"), None);
    }

    #[test]
    fn calls() {
        assert_eq!(eval("format('{0}-{1}', 'a', 1)"), Some(Value::String("a-1".into())));
        assert_eq!(eval("format('{{x}}')"), Some(Value::String("{x}".into())));
        assert_eq!(eval("format('{1}', 'a')"), None);
        assert_eq!(eval("format('{0}', '')"), Some(Value::String(String::new())));
        assert_eq!(eval("contains('Hello', 'ell')"), Some(Value::Bool(true)));
        assert_eq!(eval("startsWith('refs/tags/v1', 'refs/TAGS/')"), Some(Value::Bool(true)));
        assert_eq!(eval("endsWith('abc', 'x')"), Some(Value::Bool(false)));
        assert_eq!(eval("fromJSON('false')"), Some(Value::Bool(false)));
        assert_eq!(eval("fromJSON('[1]')"), None);
        assert_eq!(eval("success()"), None);
    }

    #[test]
    fn reducible() {
        let r = |s: &str| parse_expression(s).unwrap().constant_reducible();
        assert!(r("'a' && format('{0}', 1)"));
        assert!(!r("fromJSON('false')"));
        assert!(!r("github.actor"));
        assert!(!r("foo && '' || 'bar'"));
    }

    #[test]
    fn statically_false() {
        for f in ["false", "${{ false }}", "${{false}}", "${{ true && false }}", "${{ !true }}", "false || false"] {
            assert!(if_statically_false(f), "{f}");
        }
        for t in ["true", "${{ true }}", "${{ '' }}", "${{ null }}", "${{ github.actor == 'x' }}", "${{ nope("] {
            assert!(!if_statically_false(t), "{t}");
        }
    }
}
