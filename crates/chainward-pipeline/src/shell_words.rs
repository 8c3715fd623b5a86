//! A small command splitter for `run:` scripts (bash and PowerShell alike): enough to find
//! commands such as `cargo publish` and where they start. It is not a shell parser: it
//! honours quotes, comments, `\`/`` ` `` line continuations and the usual separators
//! (`;`, `&&`, `||`, `|`, `&`, newlines, parentheses), and skips leading `VAR=value`
//! assignments.

/// One simple command: its name, its arguments (as written, quotes kept) and the byte
/// offset where it starts in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command<'a> {
    pub(crate) name: &'a str,
    pub(crate) args: Vec<&'a str>,
    pub(crate) start: usize,
}

/// Splits a script into simple commands.
pub(crate) fn commands<'a>(script: &'a str) -> Vec<Command<'a>> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    let flush = |words: &mut Vec<(usize, usize)>, out: &mut Vec<Command<'a>>| {
        let mut ws = words.drain(..).map(|(s, e)| (s, &script[s..e]));
        let mut first = ws.next();
        // `FOO=bar cmd args`: assignments are not the command.
        while let Some((_, w)) = first {
            let is_assignment = w
                .split_once('=')
                .is_some_and(|(k, _)| !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
            if !is_assignment {
                break;
            }
            first = ws.next();
        }
        if let Some((start, name)) = first {
            out.push(Command { name, args: ws.map(|(_, w)| w).collect(), start });
        }
    };
    while i < b.len() {
        let c = b[i];
        // Line continuations join lines.
        if (c == b'\\' || c == b'`') && b.get(i + 1) == Some(&b'\n') {
            i += 2;
            continue;
        }
        if c == b'\\' && b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
            i += 3;
            continue;
        }
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\n' | b';' | b'|' | b'&' | b'(' | b')' => {
                flush(&mut words, &mut out);
                i += 1;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                let start = i;
                let mut quote: Option<u8> = None;
                while i < b.len() {
                    let d = b[i];
                    match quote {
                        Some(q) if d == q => quote = None,
                        Some(b'"') if d == b'\\' => i += 1,
                        Some(_) => {}
                        None => match d {
                            b'\'' | b'"' => quote = Some(d),
                            b'\\' if b.get(i + 1).is_some_and(|n| *n != b'\n') => i += 1,
                            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'|' | b'&' | b'(' | b')' => break,
                            b'\\' | b'`' if b.get(i + 1) == Some(&b'\n') => break,
                            _ => {}
                        },
                    }
                    i += 1;
                }
                let end = i.min(b.len());
                // Keep the offsets on character boundaries whatever the bytes were.
                if script.is_char_boundary(start) && script.is_char_boundary(end) && end > start {
                    words.push((start, end));
                }
            }
        }
    }
    flush(&mut words, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        let s = "FOO=1 cargo \\\n  publish --x # c\necho 'a;b' && npm publish\nnuget `\n push";
        let c = commands(s);
        assert_eq!(c[0].name, "cargo");
        assert_eq!(c[0].args, ["publish", "--x"]);
        assert_eq!(c[1].args, ["'a;b'"]);
        assert_eq!((c[2].name, c[2].args.as_slice()), ("npm", ["publish"].as_slice()));
        assert_eq!(c[3].args, ["push"]);
        assert_eq!(&s[c[0].start..c[0].start + 5], "cargo");
        assert!(commands("\"unterminated").len() == 1);
    }
}
