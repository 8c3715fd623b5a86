//! `go.sum` (go.dev/ref/mod#go-sum-files): lines `path version[/go.mod] hash`.
//!
//! One module per path, at the version of its last line: the go command writes go.sum
//! sorted by path and then by semantic version, so the last line names the highest version
//! (Trivy's reading). A `/go.mod` line counts as its module's version too: a module whose
//! code was never downloaded still has a `/go.mod` line.

use std::collections::BTreeMap;

/// The most line problems kept.
pub const MAX_PROBLEMS: usize = 50;

/// What a `go.sum` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoSum {
    /// Module path → version, sorted by path.
    pub modules: BTreeMap<String, String>,
    /// 1-based lines that are not `path version hash` (at most [`MAX_PROBLEMS`]).
    pub bad_lines: Vec<usize>,
    /// How many bad lines were not kept.
    pub more_bad_lines: usize,
}

/// Parses the text of a `go.sum`.
pub fn parse(text: &str) -> GoSum {
    let mut out = GoSum::default();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split_whitespace();
        let (Some(path), Some(version)) = (fields.next(), fields.next()) else {
            // Empty lines (Trivy's fixture ends with some) are not errors.
            if !line.trim().is_empty() {
                bad(&mut out, i + 1);
            }
            continue;
        };
        let version = version.strip_suffix("/go.mod").unwrap_or(version);
        if !version.starts_with('v') || version.len() < 2 || path.starts_with('/') {
            bad(&mut out, i + 1);
            continue;
        }
        // `get_mut` first: most lines repeat the previous path, which then allocates nothing.
        match out.modules.get_mut(path) {
            Some(v) => {
                if v != version {
                    version.clone_into(v);
                }
            }
            None => {
                out.modules.insert(path.to_owned(), version.to_owned());
            }
        }
    }
    out
}

fn bad(out: &mut GoSum, line: usize) {
    if out.bad_lines.len() < MAX_PROBLEMS {
        out.bad_lines.push(line);
    } else {
        out.more_bad_lines += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_version_wins_and_go_mod_lines_count() {
        let s = parse(
            "a.com/x v1.0.0/go.mod h1:AA=\na.com/x v1.1.0 h1:BB=\na.com/x v1.1.0/go.mod h1:CC=\nb.com/y v0.1.0/go.mod h1:DD=\n\n",
        );
        let got: Vec<(&str, &str)> = s.modules.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, [("a.com/x", "v1.1.0"), ("b.com/y", "v0.1.0")]);
        assert!(s.bad_lines.is_empty());
    }

    #[test]
    fn garbage_lines_are_counted() {
        let s = parse("just-one-field\na.com/x 1.0 h1:x\na.com/x v1.0.0 h1:x\n");
        assert_eq!(s.bad_lines, [1, 2]);
        assert_eq!(s.modules.len(), 1);
    }
}
