//! Installed gem specifications (`specifications/*.gemspec`), read as data.
//!
//! A gemspec is Ruby code; RubyGems writes the installed copy with `Gem::Specification#to_ruby`
//! as plain assignments to the block variable (`s.name = "rack".freeze`). It is never
//! evaluated here: a small literal reader takes the right-hand side of the `name`, `version`,
//! `license` and `licenses` assignments when it is a string literal (`"…"`, `'…'`, `%q<…>`,
//! optionally `.freeze`) or an array of them. Anything else (a method call, interpolation)
//! is not a literal and is not read.

/// The longest literal read (a name, version or license is short).
const MAX_LITERAL: usize = 4096;
/// The most licenses read from one array.
const MAX_LICENSES: usize = 64;

/// What a gemspec says about its gem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gemspec {
    /// `spec.name`.
    pub name: String,
    /// `spec.version`.
    pub version: String,
    /// `spec.license` / `spec.licenses`.
    pub licenses: Vec<String>,
}

/// Why a gemspec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GemspecError {
    /// No literal `name` assignment.
    #[error("no string literal assigned to the spec's name")]
    NoName,
    /// No literal `version` assignment.
    #[error("no string literal assigned to the spec's version")]
    NoVersion,
}

/// The block variable of `Gem::Specification.new do |s|` (or `{ |s|`), if the file has one.
fn block_variable(text: &str) -> Option<&str> {
    let at = text.find("Gem::Specification.new")?;
    let rest = &text[at..];
    let rest = &rest[rest.find('|')? + 1..];
    let var = rest.split('|').next()?.trim();
    (!var.is_empty() && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(var)
}

/// The text after `VAR.attr =` when `line` (trimmed) is that assignment.
fn assignment<'a>(line: &'a str, var: Option<&str>, attr: &str) -> Option<&'a str> {
    let (lhs, rest) = line.split_once('.')?;
    let ok_var = match var {
        Some(v) => lhs == v,
        None => !lhs.is_empty() && lhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
    };
    if !ok_var {
        return None;
    }
    let rest = rest.strip_prefix(attr)?.trim_start();
    let rest = rest.strip_prefix('=')?;
    // `==` is a comparison, not an assignment.
    if rest.starts_with('=') {
        return None;
    }
    Some(rest.trim_start())
}

/// Reads one string literal at the start of `s`; returns it and the rest after it (and
/// after an optional `.freeze`).
fn string_literal(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    let (close, body_start, double) = match first {
        '"' => ('"', 1, true),
        '\'' => ('\'', 1, false),
        '%' => {
            let (kind_len, double) = match s.get(1..2)? {
                "q" => (1, false),
                "Q" => (1, true),
                _ => (0, true),
            };
            let open = s.get(1 + kind_len..)?.chars().next()?;
            let close = match open {
                '<' => '>',
                '{' => '}',
                '(' => ')',
                '[' => ']',
                c if c.is_ascii_punctuation() => c,
                _ => return None,
            };
            (close, 1 + kind_len + open.len_utf8(), double)
        }
        _ => return None,
    };
    let body = s.get(body_start..)?;
    let mut value = String::new();
    let mut it = body.char_indices();
    while let Some((i, c)) = it.next() {
        if value.len() > MAX_LITERAL {
            return None;
        }
        if c == close {
            let rest = &body[i + c.len_utf8()..];
            let rest = rest.strip_prefix(".freeze").unwrap_or(rest);
            return Some((value, rest));
        }
        match c {
            '\\' => {
                let (_, e) = it.next()?;
                match (double, e) {
                    (true, 'n') => value.push('\n'),
                    (true, 't') => value.push('\t'),
                    (true, e) => value.push(e),
                    // Single quotes: only `\\` and the delimiter are escapes.
                    (false, e) if e == '\\' || e == close => value.push(e),
                    (false, e) => {
                        value.push('\\');
                        value.push(e);
                    }
                }
            }
            // Interpolation: the value is computed at run time, not a literal.
            '#' if double && body[i + 1..].starts_with('{') => return None,
            c => value.push(c),
        }
    }
    None
}

/// A literal or an array of literals (`["MIT".freeze, "Ruby".freeze]`), possibly over lines.
fn literal_list(s: &str) -> Option<Vec<String>> {
    let Some(mut rest) = s.strip_prefix('[') else {
        return string_literal(s).map(|(v, _)| vec![v]);
    };
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(']') {
            let _ = r;
            return Some(out);
        }
        let (value, r) = string_literal(rest)?;
        if out.len() < MAX_LICENSES {
            out.push(value);
        }
        rest = r.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Reads the name, version and licenses of an installed gemspec.
pub fn parse(text: &str) -> Result<Gemspec, GemspecError> {
    let var = block_variable(text);
    let mut name = None;
    let mut version = None;
    let mut licenses = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        if trimmed.starts_with('#') {
            continue;
        }
        // The right-hand side may continue over lines (an array): read from the whole text.
        let from = |rhs: &str| &text[start + lead + (trimmed.len() - rhs.len())..];
        if name.is_none()
            && let Some(rhs) = assignment(trimmed, var, "name")
        {
            name = string_literal(rhs).map(|(v, _)| v);
        } else if version.is_none()
            && let Some(rhs) = assignment(trimmed, var, "version")
        {
            version = string_literal(rhs).map(|(v, _)| v);
        } else if licenses.is_none()
            && let Some(rhs) = assignment(trimmed, var, "licenses").or_else(|| assignment(trimmed, var, "license"))
        {
            // `licenses = "MIT"` is valid Ruby: `Gem::Specification#licenses=` wraps a
            // single string in an array.
            licenses = literal_list(from(rhs));
        }
    }
    let name = name.filter(|n| !n.trim().is_empty()).ok_or(GemspecError::NoName)?;
    let version = version.filter(|v| !v.trim().is_empty()).ok_or(GemspecError::NoVersion)?;
    let licenses = licenses.unwrap_or_default().into_iter().filter(|l| !l.trim().is_empty()).collect();
    Ok(Gemspec { name, version, licenses })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(string_literal("\"rack\".freeze # c"), Some(("rack".into(), " # c")));
        assert_eq!(string_literal("'a\\'b'"), Some(("a'b".into(), "")));
        assert_eq!(string_literal("%q<power_assert>.freeze, x"), Some(("power_assert".into(), ", x")));
        assert_eq!(string_literal("%q{x}"), Some(("x".into(), "")));
        assert_eq!(string_literal("\"a#{b}\""), None);
        assert_eq!(string_literal("File.read('VERSION')"), None);
        assert_eq!(string_literal("\"unterminated"), None);
        assert_eq!(
            literal_list("[\"Ruby\".freeze,\n  \"BSDL\".freeze, 'PSFL']\n"),
            Some(vec!["Ruby".into(), "BSDL".into(), "PSFL".into()])
        );
        assert_eq!(literal_list("[]"), Some(vec![]));
        assert_eq!(literal_list("[\"a\", x]"), None);
    }

    #[test]
    fn a_to_ruby_gemspec() {
        let text = "# stub: rack 3.0.8 ruby lib\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  \
                    s.version = \"3.0.8\"\n  s.licenses = [\"MIT\".freeze]\n  \
                    s.add_runtime_dependency(%q<x>.freeze, [\">= 0\"])\nend\n";
        let g = parse(text).unwrap();
        assert_eq!((g.name.as_str(), g.version.as_str(), g.licenses), ("rack", "3.0.8", vec!["MIT".to_owned()]));
    }

    #[test]
    fn other_variables_and_computed_values() {
        // Only the block variable's attributes count.
        let text = "Gem::Specification.new do |spec|\n  other.name = \"no\"\n  spec.name = \"yes\"\n  \
                    spec.version = Foo::VERSION\nend\n";
        assert_eq!(parse(text), Err(GemspecError::NoVersion));
        assert_eq!(parse("s.version = \"1\"\n"), Err(GemspecError::NoName));
        let g = parse("s.name = 'x'\ns.version = '1.0'\ns.version == '2'\n").unwrap();
        assert_eq!(g.version, "1.0");
    }
}
