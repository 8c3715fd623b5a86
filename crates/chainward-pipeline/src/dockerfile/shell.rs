//! Pipelines and simple commands of a `RUN` script, with each word's unquoted text and its
//! byte range in the script. Not a shell: it knows quotes (`'…'`, `"…"`, `\`), line
//! continuations, comments, `$(…)` and `` `…` `` kept inside a word, redirections, and the
//! operators that separate commands (`|`, `|&` inside a pipeline; `&&`, `||`, `;`, `&`,
//! newlines and parentheses between pipelines). [`crate::shell_words`] splits `run:` steps
//! but forgets which operator joined two commands, which the pipe audits need.
//! One pass, linear in the script, whatever the bytes.

use std::ops::Range;

/// One word: its text with quotes and escapes removed, and its range in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The unquoted text.
    pub text: String,
    /// Where the word is, quotes included.
    pub range: Range<usize>,
}

/// A simple command: its words, redirections removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// Every word, leading `VAR=value` assignments and wrappers included.
    pub words: Vec<Word>,
}

/// Words that run the command after them (`sudo apt-get …`) or open a compound command.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "exec", "command", "nohup", "time", "nice", "!", "if", "then", "else", "elif", "do", "while",
    "until",
];

impl Command {
    /// The index of the word that names the program run, past assignments and wrappers
    /// (with their options: `sudo -E`, `env -i A=1`).
    pub fn program_index(&self) -> Option<usize> {
        let mut i = 0;
        let mut in_wrapper = false;
        while let Some(w) = self.words.get(i) {
            let t = w.text.as_str();
            let assignment = t
                .split_once('=')
                .is_some_and(|(k, _)| !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
            if assignment || (in_wrapper && t.starts_with('-')) || WRAPPERS.contains(&t) {
                in_wrapper |= WRAPPERS.contains(&t);
                i += 1;
                continue;
            }
            return Some(i);
        }
        None
    }

    /// The program's base name (`/usr/bin/apt-get` → `apt-get`).
    pub fn program(&self) -> Option<&str> {
        let w = self.words.get(self.program_index()?)?;
        Some(w.text.rsplit('/').next().unwrap_or(&w.text))
    }

    /// The program's arguments.
    pub fn args(&self) -> &[Word] {
        self.program_index().and_then(|i| self.words.get(i + 1..)).unwrap_or_default()
    }

    /// The first argument that is not an option (`install` of `apt-get -y install x`) and its
    /// index in [`Command::args`]; `valued` options (`-o`, `--index-url`) take the next word
    /// unless written `--name=value`.
    pub fn subcommand(&self, valued: &[&str]) -> Option<(usize, &Word)> {
        self.operands_from(0, valued).into_iter().next()
    }

    /// The non-option arguments from index `from` of [`Command::args`], with their indexes.
    pub fn operands_from(&self, from: usize, valued: &[&str]) -> Vec<(usize, &Word)> {
        let mut out = Vec::new();
        let mut skip_next = false;
        let mut options_end = false;
        for (i, w) in self.args().iter().enumerate().skip(from) {
            if skip_next {
                skip_next = false;
                continue;
            }
            let t = w.text.as_str();
            if !options_end && t == "--" {
                options_end = true;
                continue;
            }
            if !options_end && t.starts_with('-') && t.len() > 1 {
                let name = t.trim_start_matches('-');
                skip_next = !name.contains('=') && valued.contains(&name);
                continue;
            }
            out.push((i, w));
        }
        out
    }

    /// Is one of these options given (`no-cache` matches `--no-cache`, `--no-cache=true`;
    /// a one-letter name matches `-x`)?
    pub fn has_option(&self, names: &[&str]) -> bool {
        self.args().iter().any(|w| {
            let t = w.text.as_str();
            let long = t.strip_prefix("--").map(|n| n.split_once('=').map_or(n, |(k, _)| k));
            let short = t.strip_prefix('-').filter(|n| n.len() == 1);
            long.or(short).is_some_and(|n| names.contains(&n))
        })
    }

    /// The range from the program's word to the end of the last word.
    pub fn range(&self) -> Option<Range<usize>> {
        let first = self.words.get(self.program_index()?)?;
        let last = self.words.last()?;
        Some(first.range.start..last.range.end)
    }
}

/// Commands joined by `|`, and where each `|` is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pipeline {
    /// The commands, left to right.
    pub commands: Vec<Command>,
    /// The range of each pipe operator.
    pub pipes: Vec<Range<usize>>,
}

/// Is this word a redirection operator (alone, so its target is the next word)?
fn redirect_alone(t: &str) -> bool {
    let t = t.trim_start_matches(|c: char| c.is_ascii_digit());
    matches!(t, ">" | ">>" | "<" | "<<" | "<<-" | "<<<" | "&>" | "&>>" | ">&" | "<&" | "<>" | ">|")
}

/// Does this word start with a redirection (`>/dev/null`, `2>&1`, `<<EOF`)?
fn redirect_attached(t: &str) -> bool {
    let t = t.trim_start_matches(|c: char| c.is_ascii_digit());
    t.starts_with('>') || t.starts_with('<') || t.starts_with("&>")
}

/// Splits a script into pipelines.
pub fn pipelines(script: &str) -> Vec<Pipeline> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut pipeline = Pipeline::default();
    let mut words: Vec<Word> = Vec::new();
    let end_command = |words: &mut Vec<Word>, pipeline: &mut Pipeline| {
        let mut cmd = Command::default();
        let mut it = std::mem::take(words).into_iter();
        while let Some(w) = it.next() {
            if redirect_alone(&w.text) {
                it.next();
            } else if !redirect_attached(&w.text) || w.range.len() != w.text.len() {
                // A quoted word that reads like `>x` is an argument, not a redirection.
                cmd.words.push(w);
            }
        }
        pipeline.commands.push(cmd);
    };
    let end_pipeline = |pipeline: &mut Pipeline, out: &mut Vec<Pipeline>| {
        let p = std::mem::take(pipeline);
        if p.commands.iter().any(|c| !c.words.is_empty()) {
            out.push(p);
        }
    };
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => i += 3,
            b' ' | b'\t' | b'\r' => i += 1,
            b'|' => {
                end_command(&mut words, &mut pipeline);
                if b.get(i + 1) == Some(&b'|') {
                    end_pipeline(&mut pipeline, &mut out);
                    i += 2;
                } else {
                    let len = if b.get(i + 1) == Some(&b'&') { 2 } else { 1 };
                    pipeline.pipes.push(i..i + len);
                    i += len;
                }
            }
            b'\n' | b';' | b'&' | b'(' | b')' => {
                end_command(&mut words, &mut pipeline);
                end_pipeline(&mut pipeline, &mut out);
                i += 1;
            }
            b'#' => {
                while b.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
            }
            _ => {
                let (word, next) = read_word(script, i);
                if next > i {
                    words.push(word);
                }
                i = next.max(i + 1);
            }
        }
    }
    end_command(&mut words, &mut pipeline);
    end_pipeline(&mut pipeline, &mut out);
    out
}

/// Reads one word starting at `start`; returns it and the offset after it.
fn read_word(script: &str, start: usize) -> (Word, usize) {
    let b = script.as_bytes();
    let mut text: Vec<u8> = Vec::new();
    let mut i = start;
    let mut quote: Option<u8> = None;
    let mut depth = 0usize; // inside `$(…)`
    let mut backtick = false;
    while let Some(&c) = b.get(i) {
        if depth > 0 || backtick {
            match c {
                b'(' if depth > 0 => depth += 1,
                b')' if depth > 0 => depth -= 1,
                b'`' if backtick => backtick = false,
                _ => {}
            }
            text.push(c);
            i += 1;
            continue;
        }
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(b'"'), b'\\') if matches!(b.get(i + 1), Some(b'"' | b'\\' | b'$' | b'`')) => {
                i += 1;
                text.extend(b.get(i));
            }
            (Some(b'"'), b'\\') if b.get(i + 1) == Some(&b'\n') => i += 1,
            (Some(_), _) => text.push(c),
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'\\') if b.get(i + 1) == Some(&b'\n') => i += 1,
            (None, b'\\') => {
                i += 1;
                text.extend(b.get(i));
            }
            (None, b'$') if b.get(i + 1) == Some(&b'(') => {
                depth = 1;
                text.extend_from_slice(b"$(");
                i += 1;
            }
            (None, b'`') => {
                backtick = true;
                text.push(c);
            }
            (None, b'>' | b'<') => {
                // A redirection keeps its operator characters together: `2>&1`, `>|`, `<<-`.
                text.push(c);
                while let Some(&d) = b.get(i + 1).filter(|d| matches!(d, b'>' | b'<' | b'&' | b'|' | b'-')) {
                    text.push(d);
                    i += 1;
                }
            }
            (None, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'|' | b'&' | b'(' | b')') => break,
            (None, _) => text.push(c),
        }
        i += 1;
    }
    let end = i.min(b.len());
    (Word { text: String::from_utf8_lossy(&text).into_owned(), range: start..end }, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<Vec<String>> {
        pipelines(s).iter().map(|p| p.commands.iter().map(|c| c.program().unwrap_or("").to_owned()).collect()).collect()
    }

    #[test]
    fn operators() {
        assert_eq!(
            names("set -eux && apk update; curl -fsSL 'https://x/y' 2>&1 | sudo -E sh -s -- && a || b & c"),
            [vec!["set"], vec!["apk"], vec!["curl", "sh"], vec!["a"], vec!["b"], vec!["c"]]
        );
        let p = &pipelines("wget -qO- https://x | bash")[0];
        assert_eq!(p.pipes, vec![20..21]);
        assert_eq!(p.commands[0].args().iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["-qO-", "https://x"]);
    }

    #[test]
    fn quotes_substitutions_redirections() {
        let s = "FOO=1 echo \"a | b\" $(cat x | y) `z|w` > /dev/null 'q'\\\n  r # c | d\nnext";
        let p = pipelines(s);
        assert_eq!(p.len(), 2);
        let cmd = &p[0].commands[0];
        assert!(p[0].pipes.is_empty());
        let texts: Vec<_> = cmd.args().iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["a | b", "$(cat x | y)", "`z|w`", "q", "r"]);
        assert_eq!(&s[cmd.args()[0].range.clone()], "\"a | b\"");
        assert_eq!(p[1].commands[0].program(), Some("next"));
        assert_eq!(pipelines("a |& b")[0].pipes, vec![2..4]);
        assert!(pipelines("\"unterminated | x").len() == 1);
        assert!(pipelines("$((((( |").len() == 1);
    }
}
