//! GitHub Actions workflow commands: one annotation line per finding.
//!
//! ```text
//! ::error file=.github/workflows/ci.yml,line=9,col=15,endLine=9,endColumn=33,title=unpinned-uses::unpinned action reference: … (severity: high, confidence: high)
//! ```
//!
//! Printed to stdout inside a workflow run, each line becomes an annotation on the file
//! (`error`, `warning` or `notice`, from [`crate::Severity::level`]); the title is the rule id.
//!
//! What GitHub expects, and what this module does about it:
//! - `col` and `endColumn` only when the annotation starts and ends on the same line (the
//!   toolkit's `AnnotationProperties`: "cannot be sent when startLine and endLine are
//!   different"); `endColumn` is inclusive there (it "defaults to startColumn"), so the
//!   exclusive end of a [`crate::Region`] is shown one less.
//! - A region that ends at column 1 of a later line (a span that takes in its trailing newline)
//!   ends on the line before, so the annotation does not spill onto an unrelated line.
//! - Escaping, as `@actions/core`'s `command.ts` does: in the message (data) `%`, `\r`, `\n`
//!   become `%25`, `%0D`, `%0A`; in property values also `:` and `,` become `%3A` and `%2C`
//!   (they delimit the command and its properties).
//!
//! Columns are in characters, as chainward counts them; GitHub does not document its unit,
//! and the two agree on the ASCII that workflow keys are written in.

use std::fmt::Write as _;
use std::io::Write;

use crate::{Finding, Level, ReportError};

/// Writes one workflow command per finding, in the order given.
pub fn write(w: &mut (impl Write + ?Sized), findings: &[Finding]) -> Result<(), ReportError> {
    for f in findings {
        writeln!(w, "{}", command(f))?;
    }
    Ok(())
}

/// The workflow command for one finding (without the newline).
pub fn command(f: &Finding) -> String {
    let kind = match f.level() {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    };
    let mut props: Vec<(&str, String)> = Vec::new();
    if let Some(file) = &f.primary.file {
        props.push(("file", file.replace('\\', "/")));
        if let Some(r) = f.primary.region {
            let start_line = r.start_line.max(1);
            let mut end_line = r.end_line.max(start_line);
            if end_line > start_line && r.end_column <= 1 {
                end_line -= 1;
            }
            props.push(("line", start_line.to_string()));
            if end_line == start_line {
                let col = r.start_column.max(1);
                props.push(("col", col.to_string()));
                props.push(("endLine", end_line.to_string()));
                props.push(("endColumn", r.end_column.saturating_sub(1).max(col).to_string()));
            } else {
                props.push(("endLine", end_line.to_string()));
            }
        }
    }
    props.push(("title", f.rule_id.clone()));

    let mut line = format!("::{kind}");
    for (i, (key, value)) in props.iter().enumerate() {
        let sep = if i == 0 { ' ' } else { ',' };
        let _ = write!(line, "{sep}{key}={}", escape_property(value));
    }
    let mut message = format!("{} (severity: {}", f.message, f.severity.as_str());
    if let Some(c) = f.confidence {
        let _ = write!(message, ", confidence: {}", c.as_str());
    }
    message.push(')');
    let _ = write!(line, "::{}", escape_data(&message));
    line
}

/// Escapes a command's data (the message): `%`, `\r`, `\n`.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value: what [`escape_data`] escapes, and `:` and `,`.
pub fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Confidence, Location, Region, Severity};

    fn finding(severity: Severity, file: Option<&str>, region: Option<Region>, message: &str) -> Finding {
        Finding {
            rule_id: "template-injection".into(),
            severity,
            confidence: Some(Confidence::Medium),
            message: message.into(),
            primary: Location { file: file.map(Into::into), region, ..Location::default() },
            related: Vec::new(),
        }
    }

    fn region(start_line: usize, start_column: usize, end_line: usize, end_column: usize) -> Option<Region> {
        Some(Region { start_line, start_column, end_line, end_column })
    }

    #[test]
    fn data_escaping() {
        assert_eq!(escape_data("50% of a\r\nb: c, d"), "50%25 of a%0D%0Ab: c, d");
        // An already escaped-looking sequence is escaped again, not passed through.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_data("plain ü ${{ x }}"), "plain ü ${{ x }}");
    }

    #[test]
    fn property_escaping() {
        assert_eq!(escape_property("a:b,c%d\re\nf"), "a%3Ab%2Cc%25d%0De%0Af");
        assert_eq!(escape_property("::error::"), "%3A%3Aerror%3A%3A");
    }

    #[test]
    fn hostile_file_and_message_cannot_inject_a_command() {
        let f = finding(
            Severity::High,
            Some("dir,title=x:y/evil\n::error::.yml"),
            region(3, 1, 3, 5),
            "bad\n::warning file=z::injected 100%",
        );
        let line = command(&f);
        assert_eq!(
            line,
            "::error file=dir%2Ctitle=x%3Ay/evil%0A%3A%3Aerror%3A%3A.yml,line=3,col=1,endLine=3,endColumn=4,\
             title=template-injection::bad%0A::warning file=z::injected 100%25 (severity: high, confidence: medium)"
        );
        assert!(!line.contains('\n'));
        // Exactly one `::` pair before the data: the properties cannot close the command early.
        let (head, _) = line.split_at(line.find("::bad").unwrap_or(0));
        assert_eq!(head.matches("::").count(), 1, "{head}");
    }

    #[test]
    fn levels_follow_severity() {
        let kinds: Vec<String> =
            [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Informational]
                .into_iter()
                .map(|s| command(&finding(s, Some("a.yml"), None, "m")))
                .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
                .collect();
        assert_eq!(kinds, ["::error", "::error", "::warning", "::notice", "::notice"]);
    }

    #[test]
    fn columns_only_on_one_line_and_end_column_inclusive() {
        let one = command(&finding(Severity::Low, Some("a.yml"), region(4, 7, 4, 12), "m"));
        assert!(one.starts_with("::notice file=a.yml,line=4,col=7,endLine=4,endColumn=11,title="), "{one}");
        // An empty span still names its column.
        let empty = command(&finding(Severity::Low, Some("a.yml"), region(4, 7, 4, 7), "m"));
        assert!(empty.contains(",col=7,endLine=4,endColumn=7,"), "{empty}");
        let multi = command(&finding(Severity::Low, Some("a.yml"), region(4, 7, 9, 3), "m"));
        assert!(multi.starts_with("::notice file=a.yml,line=4,endLine=9,title="), "{multi}");
        // A span ending at the start of the next line ends on its own line.
        let newline = command(&finding(Severity::Low, Some("a.yml"), region(4, 7, 5, 1), "m"));
        assert!(newline.contains("line=4,col=7,endLine=4,endColumn=7,"), "{newline}");
        let block = command(&finding(Severity::Low, Some("a.yml"), region(4, 7, 8, 1), "m"));
        assert!(block.contains("line=4,endLine=7,title="), "{block}");
    }

    #[test]
    fn windows_separators_and_no_file() {
        let f = finding(Severity::Medium, Some(r".github\workflows\ci.yml"), region(1, 1, 1, 2), "m");
        assert!(command(&f).starts_with("::warning file=.github/workflows/ci.yml,line=1,"));
        let f = finding(Severity::Medium, None, None, "m");
        assert_eq!(command(&f), "::warning title=template-injection::m (severity: medium, confidence: medium)");
    }

    #[test]
    fn one_line_per_finding() {
        let findings = vec![
            finding(Severity::High, Some("a.yml"), region(1, 1, 1, 2), "first\nline"),
            finding(Severity::Low, Some("b.yml"), region(2, 1, 3, 2), "second"),
        ];
        let mut out = Vec::new();
        write(&mut out, &findings).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8(out).unwrap_or_default();
        insta::assert_snapshot!(text);
        assert_eq!(text.lines().count(), findings.len());
    }
}
