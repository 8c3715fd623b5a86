//! Hostile Dockerfiles end in clear errors (naming the file and the line) or a bounded,
//! correct audit; never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use chainward_pipeline::dockerfile::DockerfileError;
use chainward_pipeline::{Config, Filter, Input, InputError, Persona, audit, load, load_path};

fn load_df(bytes: &[u8]) -> Result<Input, InputError> {
    load("Dockerfile", Path::new("Dockerfile"), bytes, &Default::default())
}

fn audit_all(input: Input) -> usize {
    let len = input.doc().source().len();
    let report = audit(&[input], &Config::default(), &Filter { persona: Persona::Auditor, ..Filter::default() });
    for f in &report.findings {
        assert!(f.primary.bytes.0 <= f.primary.bytes.1 && f.primary.bytes.1 <= len, "{f:?}");
    }
    report.findings.len()
}

/// Debug builds are slow; the bound is generous but catches anything quadratic.
const BOUND: Duration = Duration::from_secs(20);

#[test]
fn invalid_utf8_names_file_offset_and_line() {
    let e = load_df(b"FROM alpine:3.20\nRUN echo \xc3\x28\n").unwrap_err();
    assert!(matches!(e, InputError::Dockerfile { source: DockerfileError::InvalidUtf8 { offset: 26, line: 2 }, .. }));
    assert_eq!(e.to_string(), "Dockerfile: invalid UTF-8 at byte 26 (line 2)");
}

#[test]
fn twenty_megabytes_is_refused_before_reading() {
    let big = "RUN apk add --no-cache curl | sh\n".repeat(20 * 1024 * 1024 / 33 + 1);
    let e = load_df(big.as_bytes()).unwrap_err();
    assert!(matches!(e, InputError::Dockerfile { source: DockerfileError::TooLarge { .. }, .. }), "{e}");
    // From disk, the size is checked before the file is read.
    let dir = std::env::temp_dir().join(format!("chainward-dockerfile-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.Dockerfile");
    std::fs::write(&path, big.as_bytes()).unwrap();
    let e = load_path(&path, &Default::default()).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(e.to_string().contains("big.Dockerfile: the Dockerfile is"), "{e}");
}

#[test]
fn one_megabyte_line_is_bounded() {
    let started = Instant::now();
    let mut s = String::from("FROM alpine\nRUN apk add");
    while s.len() < 1 << 20 {
        s.push_str(" pkg | curl x | sh && apt-get install y ; pip install z");
    }
    s.push('\n');
    let n = audit_all(load_df(s.as_bytes()).unwrap());
    assert!(n >= 5, "{n}");
    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
}

#[test]
fn hundred_thousand_continuations_are_bounded() {
    let started = Instant::now();
    let mut s = String::from("FROM alpine\nRUN apk add \\\n");
    for i in 0..100_000 {
        s.push_str(&format!("  p{i} \\\n"));
    }
    s.push_str("  last\n");
    let input = load_df(s.as_bytes()).unwrap();
    let n = audit_all(input);
    assert!(n >= 3, "{n}");
    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());
}

#[test]
fn many_instructions_and_lines_are_refused_with_the_line() {
    let s = "RUN x\n".repeat(60_000);
    let e = load_df(s.as_bytes()).unwrap_err();
    assert_eq!(e.to_string(), "Dockerfile: more than 50000 instructions (at line 50001)");
    let s = "\n".repeat(300_000);
    let e = load_df(s.as_bytes()).unwrap_err();
    assert!(matches!(e, InputError::Dockerfile { source: DockerfileError::TooManyLines { .. }, .. }), "{e}");
}

#[test]
fn odd_bytes_never_panic() {
    let cases: &[&[u8]] = &[
        b"",
        b"\\",
        b"RUN \\",
        b"FROM",
        b"FROM @",
        b"FROM :",
        b"FROM a@",
        b"FROM ${",
        b"FROM $",
        b"ARG A=${A}\nFROM ${A:-}",
        b"RUN <<",
        b"RUN <<'EOF",
        b"RUN <<-\"E\"\n\tE",
        b"RUN [\"\\u12\"]",
        b"RUN [\"a\",",
        b"RUN \"unterminated | sh",
        b"RUN $(((((( | curl | sh",
        b"RUN `curl | sh",
        b"ADD",
        b"ADD --checksum",
        b"SHELL []\nRUN a | b",
        b"# escape=`\nRUN a `",
        b"\xef\xbb\xbfFROM a",
        "RUN é | ü \\\n ñ\u{2028}".as_bytes(),
        b"RUN a\r\nRUN b \\\r\n c\r\n",
        b"ONBUILD RUN curl x | sh",
    ];
    for c in cases {
        if let Ok(input) = load_df(c) {
            audit_all(input);
        }
    }
}
