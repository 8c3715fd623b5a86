//! pip requirements files (`requirements*.txt`): the lines that pin one version.
//!
//! A line is `name[extras] <specifiers> [; markers] [--hash=…]`, possibly continued with `\`.
//! Only an exact pin (`==` or `===` without wildcard) names the version that is installed;
//! with [`Options::min_version`] the lower bound of `>=`, `~=` and `==X.*` ranges is taken
//! instead (Trivy's `useMinVersion`). Options lines (`-e`, `--index-url`, …) are skipped;
//! `-r FILE` / `--requirement FILE` includes are returned so the caller can follow them
//! within the scanned tree. Text only: nothing is executed or fetched.

/// One pinned requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The name as written (without extras).
    pub name: String,
    /// The pinned (or, with `min_version`, minimum) version.
    pub version: String,
    /// 1-based line where the requirement starts.
    pub line: usize,
}

/// How to read ranges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Report the lower bound of a range when there is no exact pin.
    pub min_version: bool,
}

/// What a requirements file lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Pinned requirements in file order.
    pub requirements: Vec<Requirement>,
    /// Files named by `-r`/`--requirement` (and `-c`/`--constraint`), as written.
    pub includes: Vec<String>,
}

/// Decodes the file (UTF-8, or UTF-16 with a byte-order mark, as Windows editors write it).
pub fn decode(bytes: &[u8]) -> Result<String, std::str::Utf8Error> {
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xff, 0xfe, ..] => Ok(utf16(true)),
        [0xfe, 0xff, ..] => Ok(utf16(false)),
        [0xef, 0xbb, 0xbf, rest @ ..] => std::str::from_utf8(rest).map(str::to_owned),
        _ => std::str::from_utf8(bytes).map(str::to_owned),
    }
}

/// Parses the text of a requirements file.
pub fn parse(text: &str, options: Options) -> Parsed {
    let mut out = Parsed::default();
    for (line_no, logical) in logical_lines(text) {
        let line = strip_comment(&logical);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') {
            if let Some(file) = include(line) {
                out.includes.push(file.to_owned());
            }
            continue;
        }
        if let Some((name, version)) = pinned(line, options) {
            out.requirements.push(Requirement { name, version, line: line_no });
        }
    }
    out
}

/// Joins `\`-continued lines; yields each logical line with the number of its first line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = i + 1;
        }
        match raw.trim_end().strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(raw);
                out.push((start, std::mem::take(&mut current)));
            }
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

/// Drops a `#` comment. pip requires whitespace before `#`, but requirement lines such as
/// `Jinja2==3.0.0#comment` are found in the wild (and read by Trivy), and `#` cannot occur
/// in a name, a version or a marker of a pinned requirement, so any `#` ends the line.
fn strip_comment(line: &str) -> &str {
    line.split_once('#').map_or(line, |(head, _)| head)
}

fn include(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    let first = words.next()?;
    for flag in ["--requirement", "--constraint", "-r", "-c"] {
        if first == flag {
            return words.next();
        }
        if let Some(rest) = first.strip_prefix(flag).and_then(|r| r.strip_prefix('=').or(Some(r))) {
            // `-rfile.txt`, `--requirement=file.txt`
            if !rest.is_empty() && (flag.len() == 2 || first.as_bytes().get(flag.len()) == Some(&b'=')) {
                return Some(rest);
            }
        }
    }
    None
}

/// `(name, version)` of a pinned requirement line (comments already removed).
fn pinned(line: &str, options: Options) -> Option<(String, String)> {
    // Environment markers and per-requirement options (`--hash`) end the specifier.
    let line = line.split_once(';').map_or(line, |(head, _)| head);
    let line = line.split(" --").next().unwrap_or(line);
    // A direct reference (`name @ url`, or after the pin as pip's freeze writes it).
    let line = line.split_once(" @ ").map_or(line, |(head, _)| head);
    let name_end =
        line.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = line[name_end..].trim_start();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map_or("", |(_, r)| r).trim_start();
    }
    let specifiers: Vec<(&str, &str)> = rest
        .split(',')
        .filter_map(|spec| {
            let spec = spec.trim();
            let op_len = spec.find(|c: char| !matches!(c, '=' | '<' | '>' | '!' | '~')).unwrap_or(spec.len());
            let (op, version) = spec.split_at(op_len);
            (!op.is_empty()).then_some((op, version.trim()))
        })
        .collect();
    let valid = |v: &str| {
        !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_' | '!'))
    };
    for (op, version) in &specifiers {
        if matches!(*op, "==" | "===") && valid(version) {
            return Some((name.to_owned(), (*version).to_owned()));
        }
    }
    if !options.min_version {
        return None;
    }
    // The lower bound: `>=` or `~=` first, then a `==X.*` wildcard with its stars as 0.
    for (op, version) in &specifiers {
        if matches!(*op, ">=" | "~=") && valid(version) {
            return Some((name.to_owned(), (*version).to_owned()));
        }
    }
    for (op, version) in &specifiers {
        if *op == "==" {
            // Only a trailing wildcard has a lower bound: `2.0.*` → 2.0.0; `5.*.*` and
            // `4.*.1` are not versions.
            if let Some(prefix) = version.strip_suffix(".*")
                && valid(prefix)
            {
                return Some((name.to_owned(), format!("{prefix}.0")));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, options: Options) -> Vec<(String, String)> {
        parse(text, options).requirements.into_iter().map(|r| (r.name, r.version)).collect()
    }

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.to_owned(), v.to_owned())
    }

    #[test]
    fn pins_extras_markers_hashes_and_continuations() {
        let text = "flask == 4.0.0\ncelery[redis, pytest] == 4.4.7 # note\nargh==0.26.2 \\\n  --hash=sha256:ab \\\n  --hash=sha256:cd\nSomeProject ==5.4 ; python_version < '3.8'\nurllib3===1.26.20\nGithub == 3.7.1 @ git+https://example.invalid/r\nrange>=1.0\n==2.3.4\n";
        assert_eq!(
            names(text, Options::default()),
            [
                pair("flask", "4.0.0"),
                pair("celery", "4.4.7"),
                pair("argh", "0.26.2"),
                pair("SomeProject", "5.4"),
                pair("urllib3", "1.26.20"),
                pair("Github", "3.7.1")
            ]
        );
        assert_eq!(parse(text, Options::default()).requirements[2].line, 3);
    }

    #[test]
    fn includes_are_returned_and_options_skipped() {
        let parsed = parse(
            "-r base.txt\n--requirement=dev.txt\n-c constraints.txt\n-e git+https://x/y\n--index-url https://x\n",
            Options::default(),
        );
        assert_eq!(parsed.includes, ["base.txt", "dev.txt", "constraints.txt"]);
        assert!(parsed.requirements.is_empty());
    }

    #[test]
    fn min_version_takes_lower_bounds() {
        let text = "keyring >= 4.1.1\npython-gitlab==2.0.*\ndjango==5.*.*\ndjango==4.*.1\npyjwt==1.*,>=1.2\neventlet!=0.18.3,>=0.18.2\n";
        let o = Options { min_version: true };
        assert_eq!(
            names(text, o),
            [
                pair("keyring", "4.1.1"),
                pair("python-gitlab", "2.0.0"),
                pair("pyjwt", "1.2"),
                pair("eventlet", "0.18.2")
            ]
        );
        assert!(names(text, Options::default()).is_empty());
    }

    #[test]
    fn decodes_utf16_with_a_bom_and_rejects_invalid_utf8() {
        let utf16: Vec<u8> =
            [0xff, 0xfe].into_iter().chain("attrs==20.3.0\r\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16).unwrap(), "attrs==20.3.0\r\n");
        assert!(decode(b"a==1\n\xff").is_err());
    }
}
