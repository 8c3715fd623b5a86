//! `go.mod` (go.dev/ref/mod#go-mod-file), read as text: `module`, `go`, `toolchain`,
//! `require` (with `// indirect`), `replace` and `exclude`, single lines and `( … )` blocks,
//! quoted and raw strings. Other directives (`retract`, `godebug`, `tool`, `ignore`) name no
//! dependency and are skipped.
//!
//! [`GoMod::modules`] applies the file's own `replace` and `exclude` directives, as the go
//! command does for the main module: a replacement with a version reports the replacement
//! module; one with a local directory keeps the required module path with no version (its
//! code is the directory, not a published version).

/// A problem with one line; the rest of the file is still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The most line problems kept (plus a count of the rest in [`GoMod::more_problems`]).
pub const MAX_PROBLEMS: usize = 50;

/// A `require` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Require {
    /// Module path.
    pub path: String,
    /// Version (`v1.2.3`, a pseudo-version, `+incompatible`).
    pub version: String,
    /// Marked `// indirect`.
    pub indirect: bool,
}

/// A `replace` directive: `old [version] => new [version]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    /// The module replaced.
    pub old_path: String,
    /// Only this version is replaced; `None`: every version.
    pub old_version: Option<String>,
    /// The replacement module path, or a local directory when `new_version` is `None`.
    pub new_path: String,
    /// The replacement's version; `None` for a directory.
    pub new_version: Option<String>,
}

/// What a `go.mod` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoMod {
    /// The main module's path.
    pub module: Option<String>,
    /// The `go` directive (`1.22.0`).
    pub go: Option<String>,
    /// The `toolchain` directive (`go1.22.5`).
    pub toolchain: Option<String>,
    /// Requirements in file order.
    pub requires: Vec<Require>,
    /// Replacements in file order.
    pub replaces: Vec<Replace>,
    /// Excluded `(path, version)` pairs.
    pub excludes: Vec<(String, String)>,
    /// Lines that could not be read (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<LineProblem>,
    /// How many problems were not kept.
    pub more_problems: usize,
}

/// A module the main module depends on, after `replace` and `exclude`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Module path (the replacement's, if replaced by another module).
    pub path: String,
    /// Version; empty when replaced by a local directory.
    pub version: String,
    /// Marked `// indirect`.
    pub indirect: bool,
    /// The directory that replaces it, if any.
    pub local_replacement: Option<String>,
}

impl GoMod {
    fn problem(&mut self, line: usize, message: impl Into<String>) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(LineProblem { line, message: message.into() });
        } else {
            self.more_problems += 1;
        }
    }

    /// The required modules with replacements and exclusions applied, in file order.
    pub fn modules(&self) -> Vec<Module> {
        use std::collections::{HashMap, HashSet};
        let excluded: HashSet<(&str, &str)> = self.excludes.iter().map(|(p, v)| (p.as_str(), v.as_str())).collect();
        // The go command lets a versioned replacement win over an unversioned one; among
        // equal ones the last line wins (`go mod edit` would refuse duplicates).
        let mut exact: HashMap<(&str, &str), &Replace> = HashMap::new();
        let mut any: HashMap<&str, &Replace> = HashMap::new();
        for r in &self.replaces {
            match &r.old_version {
                Some(v) => exact.insert((&r.old_path, v), r),
                None => any.insert(&r.old_path, r),
            };
        }
        let mut out = Vec::new();
        for req in &self.requires {
            if excluded.contains(&(req.path.as_str(), req.version.as_str())) {
                continue;
            }
            let replacement =
                exact.get(&(req.path.as_str(), req.version.as_str())).or_else(|| any.get(req.path.as_str()));
            out.push(match replacement {
                Some(Replace { new_path, new_version: Some(v), .. }) => Module {
                    path: new_path.clone(),
                    version: v.clone(),
                    indirect: req.indirect,
                    local_replacement: None,
                },
                Some(Replace { new_path, new_version: None, .. }) => Module {
                    path: req.path.clone(),
                    version: String::new(),
                    indirect: req.indirect,
                    local_replacement: Some(new_path.clone()),
                },
                None => Module {
                    path: req.path.clone(),
                    version: req.version.clone(),
                    indirect: req.indirect,
                    local_replacement: None,
                },
            });
        }
        out
    }

    /// The minimum Go toolchain the module asks for, as `major.minor[.patch]`: the
    /// `toolchain` directive (without `go` and any `-suffix`, go.dev/doc/toolchain#name),
    /// else the `go` directive from Go 1.21 on, where it became a minimum toolchain.
    pub fn toolchain_version(&self) -> Option<String> {
        if let Some(t) = &self.toolchain {
            let name = t.split('-').next().unwrap_or(t);
            return name.strip_prefix("go").filter(|v| !v.is_empty()).map(str::to_owned);
        }
        let go = self.go.as_deref()?;
        (go_minor(go)? >= 21).then(|| go.to_owned())
    }
}

/// The minor version of a `go` directive `1.N[.P]`.
pub fn go_minor(version: &str) -> Option<u32> {
    let rest = version.strip_prefix("1.")?;
    let digits: &str = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// Parses the text of a `go.mod`.
pub fn parse(text: &str) -> GoMod {
    let mut out = GoMod::default();
    let mut block: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let (tokens, comment) = match tokenize(raw) {
            Ok(t) => t,
            Err(message) => {
                out.problem(line_no, message);
                continue;
            }
        };
        if tokens.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if tokens.len() == 1 && tokens[0] == ")" {
                block = None;
                continue;
            }
            if tokens.iter().any(|t| t == "(" || t == ")") {
                out.problem(line_no, "a block line cannot open or close a block");
                continue;
            }
            let verb = verb.clone();
            statement(&mut out, line_no, &verb, &tokens, comment.as_deref());
            continue;
        }
        let verb = tokens[0].clone();
        match &tokens[1..] {
            [open] if open == "(" => block = Some((verb, line_no)),
            // `require ( )` on one line: an empty block.
            [open, close] if open == "(" && close == ")" => {}
            rest => statement(&mut out, line_no, &verb, rest, comment.as_deref()),
        }
    }
    if let Some((verb, line)) = block {
        out.problem(line, format!("the {verb} block opened here is never closed"));
    }
    out
}

fn statement(out: &mut GoMod, line: usize, verb: &str, args: &[String], comment: Option<&str>) {
    match verb {
        "module" => match args {
            [path] => out.module = Some(path.clone()),
            _ => out.problem(line, "module: expected one module path"),
        },
        "go" => match args {
            [v] => out.go = Some(v.clone()),
            _ => out.problem(line, "go: expected one version"),
        },
        "toolchain" => match args {
            [v] => out.toolchain = Some(v.clone()),
            _ => out.problem(line, "toolchain: expected one name"),
        },
        "require" => match args {
            [path, version] => out.requires.push(Require {
                path: path.clone(),
                version: version.clone(),
                indirect: comment.is_some_and(is_indirect),
            }),
            _ => out.problem(line, "require: expected a module path and a version"),
        },
        "exclude" => match args {
            [path, version] => out.excludes.push((path.clone(), version.clone())),
            _ => out.problem(line, "exclude: expected a module path and a version"),
        },
        "replace" => {
            let Some(arrow) = args.iter().position(|a| a == "=>") else {
                out.problem(line, "replace: expected `=>`");
                return;
            };
            let (old, new) = (&args[..arrow], &args[arrow + 1..]);
            let (old_path, old_version) = match old {
                [p] => (p, None),
                [p, v] => (p, Some(v.clone())),
                _ => {
                    out.problem(line, "replace: expected `path [version]` before `=>`");
                    return;
                }
            };
            let replace = match new {
                [dir] if is_local_path(dir) => {
                    Replace { old_path: old_path.clone(), old_version, new_path: dir.clone(), new_version: None }
                }
                [p, v] if !is_local_path(p) => Replace {
                    old_path: old_path.clone(),
                    old_version,
                    new_path: p.clone(),
                    new_version: Some(v.clone()),
                },
                _ => {
                    out.problem(line, "replace: expected a directory or `path version` after `=>`");
                    return;
                }
            };
            out.replaces.push(replace);
        }
        // retract, godebug, tool, ignore, and directives of later Go versions.
        _ => {}
    }
}

/// A replacement without a version must be a directory (go.dev/ref/mod#go-mod-file-replace:
/// a path beginning with `./` or `../`, or an absolute path).
fn is_local_path(path: &str) -> bool {
    path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path == "."
        || path == ".."
        || path.starts_with(".\\")
        || path.starts_with("..\\")
        || path.as_bytes().get(1) == Some(&b':')
}

/// `// indirect` or `// indirect; other words` (modfile's `isIndirect`).
fn is_indirect(comment: &str) -> bool {
    let c = comment.trim_start_matches('/').trim();
    c == "indirect" || c.starts_with("indirect;")
}

type Tokens = (Vec<String>, Option<String>);

/// Splits a line into tokens (`(`, `)` and `=>` on their own; `"…"` and `` `…` `` strings
/// unquoted) and its trailing `//` comment.
fn tokenize(line: &str) -> Result<Tokens, String> {
    let mut tokens = Vec::new();
    let mut chars = line.char_indices().peekable();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            tokens.push(std::mem::take(current));
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '/' if line[i..].starts_with("//") && current.is_empty() => {
                return Ok((tokens, Some(line[i..].to_owned())));
            }
            c if c.is_whitespace() => flush(&mut current, &mut tokens),
            '(' | ')' => {
                flush(&mut current, &mut tokens);
                tokens.push(c.to_string());
            }
            '=' if chars.peek().map(|&(_, n)| n) == Some('>') => {
                chars.next();
                flush(&mut current, &mut tokens);
                tokens.push("=>".to_owned());
            }
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 'n')) => s.push('\n'),
                            Some((_, 't')) => s.push('\t'),
                            Some((_, e)) => s.push(e),
                            None => return Err("unterminated quoted string".to_owned()),
                        },
                        Some((_, ch)) => s.push(ch),
                        None => return Err("unterminated quoted string".to_owned()),
                    }
                }
                current.push_str(&s);
            }
            '`' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '`')) => break,
                        Some((_, ch)) => s.push(ch),
                        None => return Err("unterminated raw string".to_owned()),
                    }
                }
                current.push_str(&s);
            }
            c => current.push(c),
        }
    }
    flush(&mut current, &mut tokens);
    Ok((tokens, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(path: &str, version: &str, indirect: bool, local: Option<&str>) -> Module {
        Module { path: path.into(), version: version.into(), indirect, local_replacement: local.map(str::to_owned) }
    }

    #[test]
    fn blocks_comments_replacements_and_exclusions() {
        let text = r#"module (
    "example.com/app"
)

go 1.21
toolchain go1.22.5-custom

require (
	example.com/a v1.0.0 // indirect
	example.com/b v1.2.0 // indirect; used by tests
	//example.com/commented v9.9.9
	example.com/c v0.1.0 // a comment
	example.com/local v0.3.1
	example.com/gone v1.0.0
	example.com/pinned v1.0.0
)
require example.com/single v2.0.0+incompatible

replace example.com/c => example.com/fork/c v0.2.0
replace (
	example.com/local => ./local
	example.com/pinned v0.9.0 => example.com/pinned v0.9.1
)
exclude example.com/gone v1.0.0
retract v1.0.0
"#;
        let m = parse(text);
        assert!(m.problems.is_empty(), "{:?}", m.problems);
        assert_eq!(m.module.as_deref(), Some("example.com/app"));
        assert_eq!(m.toolchain_version().as_deref(), Some("1.22.5"));
        assert_eq!(
            m.modules(),
            [
                module("example.com/a", "v1.0.0", true, None),
                module("example.com/b", "v1.2.0", true, None),
                module("example.com/fork/c", "v0.2.0", false, None),
                module("example.com/local", "", false, Some("./local")),
                module("example.com/pinned", "v1.0.0", false, None),
                module("example.com/single", "v2.0.0+incompatible", false, None),
            ]
        );
    }

    #[test]
    fn toolchain_from_the_go_line_only_from_1_21() {
        assert_eq!(parse("go 1.21.3\n").toolchain_version().as_deref(), Some("1.21.3"));
        assert_eq!(parse("go 1.19\n").toolchain_version(), None);
        assert_eq!(parse("module x\n").toolchain_version(), None);
        assert_eq!(go_minor("1.17"), Some(17));
        assert_eq!(go_minor("2"), None);
    }

    #[test]
    fn problems_name_their_lines_and_the_rest_is_read() {
        let m = parse(
            "require example.com/a\nrequire \"unterminated\nrequire example.com/b v1.0.0\nreplace a b\nrequire (\nexample.com/c v1.0.0\n",
        );
        let lines: Vec<usize> = m.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 4, 5]);
        assert_eq!(m.requires.len(), 2);
        let many = "require x\n".repeat(MAX_PROBLEMS + 5);
        let m = parse(&many);
        assert_eq!((m.problems.len(), m.more_problems), (MAX_PROBLEMS, 5));
    }

    #[test]
    fn tokens() {
        assert_eq!(tokenize("a=>b").unwrap().0, ["a", "=>", "b"]);
        assert_eq!(tokenize("require(").unwrap().0, ["require", "("]);
        assert_eq!(tokenize("x `raw path` // c").unwrap(), (vec!["x".into(), "raw path".into()], Some("// c".into())));
        assert_eq!(tokenize(r#""a\"b""#).unwrap().0, ["a\"b"]);
    }
}
