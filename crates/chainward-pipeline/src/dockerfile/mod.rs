//! Dockerfiles with source positions: instructions with their lines and byte spans, line
//! continuations (and the `# escape=` parser directive), comments, heredocs (`RUN <<EOF`),
//! exec (JSON) and shell forms, instruction flags (`ADD --checksum=…`), and build stages
//! (`FROM [--platform=…] image [AS name]`, global `ARG` defaults substituted into image names,
//! references to earlier stages).
//!
//! ```
//! use chainward_pipeline::dockerfile::{parse, Limits};
//! let file = parse(b"ARG V=3.20\nFROM alpine:${V} AS base\nRUN apk add \\\n    git\n", &Limits::default())?;
//! let stage = &file.stages()[0];
//! assert_eq!(stage.image.resolved, "alpine:3.20");
//! assert_eq!(stage.alias.as_deref(), Some("base"));
//! let run = &file.instructions()[2];
//! assert_eq!((run.keyword.as_str(), run.line, run.end_line), ("RUN", 3, 4));
//! assert_eq!(run.args(), "apk add     git");
//! # Ok::<(), chainward_pipeline::dockerfile::DockerfileError>(())
//! ```
//!
//! The grammar follows the Dockerfile reference and BuildKit's parser: an instruction's
//! keyword is case-insensitive; a line ending in the escape character (after optional
//! trailing blanks) continues on the next, whose comment and blank lines are skipped;
//! directives are only read before the first instruction, blank or other comment line.
//! Errors are values, never panics, whatever the bytes; work is linear in the input and
//! bounded by [`Limits`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use chainward_yaml::Document;

use crate::finding::{Confidence, Draft, Severity, Spot};

pub mod shell;

/// Bounds on what a Dockerfile may make the parser do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Most physical lines.
    pub max_lines: usize,
    /// Most instructions.
    pub max_instructions: usize,
}

impl Default for Limits {
    /// 8 MiB, 250 000 lines, 50 000 instructions: far beyond real Dockerfiles (the largest in
    /// public repositories are a few thousand lines), small enough to keep audits fast.
    fn default() -> Self {
        Limits { max_bytes: 8 << 20, max_lines: 250_000, max_instructions: 50_000 }
    }
}

/// Why a Dockerfile was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerfileError {
    /// The file is larger than [`Limits::max_bytes`].
    #[error("the Dockerfile is {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not UTF-8.
    #[error("invalid UTF-8 at byte {offset} (line {line})")]
    InvalidUtf8 {
        /// The first invalid byte.
        offset: usize,
        /// Its line, 1-based.
        line: usize,
    },
    /// More lines than [`Limits::max_lines`].
    #[error("more than {max} lines (at line {line})")]
    TooManyLines {
        /// The first line past the limit.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// More instructions than [`Limits::max_instructions`].
    #[error("more than {max} instructions (at line {line})")]
    TooManyInstructions {
        /// Where the first instruction past the limit starts.
        line: usize,
        /// The limit.
        max: usize,
    },
}

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// The source, for positions, lines and snippets.
    pub text: Document,
    /// The escape character (`\` unless a `# escape=` directive says `` ` ``).
    pub escape: char,
    /// Parser directives (`syntax`, `escape`, `check`), lower-cased names, in order.
    pub directives: Vec<(String, String)>,
    instructions: Vec<Instruction>,
    stages: Vec<Stage>,
}

impl Dockerfile {
    /// Reports, per RUN instruction, one finding over the places `visit` flags in the commands
    /// of its scripts (hadolint counts findings per instruction): the walk the package-install
    /// audits share.
    pub(crate) fn report_per_run(
        &self,
        severity: crate::finding::Severity,
        confidence: crate::finding::Confidence,
        out: &mut crate::finding::Sink<'_>,
        mut visit: impl FnMut(&Script<'_>, &shell::Command, &mut Vec<(Range<usize>, String)>),
    ) {
        for ins in self.instructions().iter().filter(|i| i.keyword == "RUN") {
            let mut places = Vec::new();
            for script in self.scripts(ins) {
                for cmd in script.pipelines().iter().flat_map(|p| &p.commands) {
                    visit(&script, cmd, &mut places);
                }
            }
            if let Some(draft) = ins.draft_all(severity, confidence, places) {
                out.report(draft);
            }
        }
    }

    /// Every instruction, in order.
    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }

    /// Every build stage (one per `FROM`), in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The shell scripts a `RUN` runs: its shell-form arguments; the heredoc bodies fed to
    /// a shell (`RUN <<EOF`, `RUN bash <<EOF`); for the exec form, the `-c` script of
    /// `["sh", "-c", "…"]` or else the command itself.
    pub fn scripts<'a>(&'a self, ins: &'a Instruction) -> Vec<Script<'a>> {
        let mut out = Vec::new();
        match &ins.form {
            Form::Exec(items) => {
                let whole = ins.source_range(ins.args_start..ins.logical.len());
                let text = match items.as_slice() {
                    [sh, c, script, ..] if is_shell(sh) && c.starts_with('-') && c.ends_with('c') => script.clone(),
                    _ => items.join(" "),
                };
                out.push(Script { text: Cow::Owned(text), ins, origin: Origin::Whole(whole) });
            }
            Form::Shell => {
                let args = ins.args();
                out.push(Script { text: Cow::Borrowed(args), ins, origin: Origin::Logical(ins.args_start) });
                if !ins.heredocs.is_empty() {
                    let head = shell::pipelines(args);
                    let fed_to_shell =
                        head.first().and_then(|p| p.commands.first()).is_none_or(|c| match c.program() {
                            None => true,
                            Some(p) => is_shell(p),
                        });
                    if fed_to_shell {
                        for h in &ins.heredocs {
                            let body = self.text.source().get(h.body.clone()).unwrap_or_default();
                            out.push(Script { text: Cow::Borrowed(body), ins, origin: Origin::Source(h.body.start) });
                        }
                    }
                }
            }
        }
        out
    }

    /// The instruction whose span holds a byte offset.
    pub fn instruction_at(&self, byte: usize) -> Option<&Instruction> {
        let i = self.instructions.partition_point(|x| x.span.start <= byte).checked_sub(1)?;
        self.instructions.get(i).filter(|x| byte < x.span.end.max(x.span.start + 1))
    }
}

/// Is this program a POSIX-style shell (`/bin/sh`, `bash`, …)?
pub fn is_shell(program: &str) -> bool {
    let base = program.rsplit('/').next().unwrap_or(program);
    matches!(base, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh" | "busybox")
}

/// Where a script's text comes from.
#[derive(Debug, Clone)]
enum Origin {
    /// The instruction's logical text, from this offset.
    Logical(usize),
    /// The source, verbatim from this offset (heredoc bodies).
    Source(usize),
    /// Unescaped from JSON: every offset maps to the whole exec-form array.
    Whole(Range<usize>),
}

/// A shell script a `RUN` instruction runs, with a way back to source positions.
#[derive(Debug, Clone)]
pub struct Script<'a> {
    /// The script text.
    pub text: Cow<'a, str>,
    /// The instruction it belongs to.
    pub ins: &'a Instruction,
    origin: Origin,
}

impl Script<'_> {
    /// The source range of a range of [`Script::text`].
    pub fn source_range(&self, r: Range<usize>) -> Range<usize> {
        match &self.origin {
            Origin::Logical(base) => self.ins.source_range(base + r.start..base + r.end),
            Origin::Source(base) => base + r.start..base + r.end,
            Origin::Whole(w) => w.clone(),
        }
    }

    /// The script's pipelines.
    pub fn pipelines(&self) -> Vec<shell::Pipeline> {
        shell::pipelines(&self.text)
    }
}

/// An instruction flag such as `--platform=linux/amd64` or `--checksum=sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The name, without dashes.
    pub name: String,
    /// The value after `=`, if any.
    pub value: Option<String>,
    /// Where the flag is in the source.
    pub span: Range<usize>,
}

/// How an instruction's arguments are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// A JSON array of strings (`["/bin/sh", "-c", "…"]`), unescaped.
    Exec(Vec<String>),
    /// Anything else: one string a shell (or the instruction) splits.
    Shell,
}

/// A heredoc attached to an instruction (`RUN <<EOF` … `EOF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word.
    pub delimiter: String,
    /// `<<-`: leading tabs are stripped from the body.
    pub strip_tabs: bool,
    /// The delimiter was quoted, so the body is not expanded.
    pub quoted: bool,
    /// The body's source range (after the instruction line, before the delimiter line).
    pub body: Range<usize>,
    /// The marker's range in the instruction's logical text.
    pub marker: Range<usize>,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The keyword, upper-cased (`RUN`, `FROM`, …).
    pub keyword: String,
    /// The first line, 1-based.
    pub line: usize,
    /// The last line (of the last heredoc, if any), 1-based.
    pub end_line: usize,
    /// The source range, from the keyword to the end of the last line (line break excluded).
    pub span: Range<usize>,
    /// The build stage the instruction belongs to (`None` before the first `FROM`).
    pub stage: Option<usize>,
    /// Leading `--name[=value]` flags.
    pub flags: Vec<Flag>,
    /// Exec or shell form of the arguments after the flags.
    pub form: Form,
    /// Heredocs, in order.
    pub heredocs: Vec<Heredoc>,
    /// The source range of the comment block right above the instruction (no blank line
    /// between).
    pub comments_above: Option<Range<usize>>,
    /// The logical line: physical lines joined, continuations and inner comments removed.
    logical: String,
    /// `(logical offset, source offset)` where each joined piece starts.
    pieces: Vec<(usize, usize)>,
    /// Where the arguments after the flags start in `logical`.
    args_start: usize,
}

impl Instruction {
    /// The logical text of the whole instruction (keyword included).
    pub fn logical(&self) -> &str {
        &self.logical
    }

    /// The arguments after the keyword and flags, as one logical line.
    pub fn args(&self) -> &str {
        self.logical.get(self.args_start..).unwrap_or_default()
    }

    /// The offset of [`Instruction::args`] in [`Instruction::logical`].
    pub fn args_start(&self) -> usize {
        self.args_start
    }

    /// The flag of this name, if given.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The source offset of a logical offset.
    pub fn source_offset(&self, logical: usize) -> usize {
        let i = self.pieces.partition_point(|(l, _)| *l <= logical).saturating_sub(1);
        match self.pieces.get(i) {
            Some((l, s)) => s + logical.saturating_sub(*l),
            None => self.span.start,
        }
    }

    /// The source range of a logical range (its end is mapped from its last byte, so a range
    /// ending a joined line does not reach into the next).
    pub fn source_range(&self, logical: Range<usize>) -> Range<usize> {
        let start = self.source_offset(logical.start);
        let end = if logical.end > logical.start { self.source_offset(logical.end - 1) + 1 } else { start };
        start..end.max(start)
    }

    /// A draft finding on this instruction at a source range: the instruction's lines and
    /// the comment block right above it accept `# chainward: ignore[id]`.
    pub(crate) fn draft(
        &self,
        severity: Severity,
        confidence: Confidence,
        range: Range<usize>,
        annotation: impl Into<String>,
    ) -> Draft {
        let mut draft =
            Draft::new(severity, confidence, Spot::bytes(range, annotation)).hidden(Spot::bytes(self.span.clone(), ""));
        if let Some(comments) = &self.comments_above {
            draft = draft.hidden(Spot::bytes(comments.clone(), ""));
        }
        draft
    }

    /// One draft for several places in this instruction (one finding per instruction, as
    /// hadolint counts): the first is primary, the others related; `None` when empty.
    pub(crate) fn draft_all(
        &self,
        severity: Severity,
        confidence: Confidence,
        places: Vec<(Range<usize>, String)>,
    ) -> Option<Draft> {
        // Related locations are capped: a hostile `apt-get install` of 100 000 packages is
        // one finding with a note, not 100 000 positions to compute and render.
        const MAX_RELATED: usize = 16;
        let total = places.len();
        let mut it = places.into_iter();
        let (range, annotation) = it.next()?;
        let mut draft = self.draft(severity, confidence, range, annotation);
        for (i, (r, a)) in it.take(MAX_RELATED).enumerate() {
            let a = if i + 1 == MAX_RELATED && total > MAX_RELATED + 1 {
                format!("{a} (and {} more)", total - MAX_RELATED - 1)
            } else {
                a
            };
            draft = draft.related(Spot::bytes(r, a));
        }
        Some(draft)
    }

    /// Whitespace-separated words of the arguments with their logical ranges (Docker's own
    /// splitting for instructions such as `FROM`, `ADD`, `COPY` in shell form).
    pub fn words(&self) -> Vec<(Range<usize>, &str)> {
        split_words(&self.logical, self.args_start)
    }
}

/// An image reference as written in `FROM`, with global `ARG` defaults substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// As written.
    pub raw: String,
    /// With `$VAR`/`${VAR}`/`${VAR:-default}` of global `ARG`s replaced by their defaults.
    pub resolved: String,
    /// A variable without a default is left in `resolved`.
    pub unresolved: bool,
    /// The repository part (`docker.io/library/node`, `node`).
    pub name: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest (`sha256:…`), if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Splits a reference: `name[:tag][@digest]`; a colon before the last `/` is a port.
    pub fn new(raw: &str, resolved: String, unresolved: bool) -> Self {
        let (rest, digest) = match resolved.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (resolved.as_str(), None),
        };
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest.get(slash..).and_then(|last| last.rfind(':')) {
            Some(i) => (rest.get(..slash + i).unwrap_or(rest), rest.get(slash + i + 1..).map(str::to_owned)),
            None => (rest, None),
        };
        ImageRef { raw: raw.to_owned(), name: name.to_owned(), tag, digest, resolved: resolved.clone(), unresolved }
    }
}

/// A build stage: one `FROM` and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The index of the `FROM` instruction.
    pub instruction: usize,
    /// The base image.
    pub image: ImageRef,
    /// The image's source range.
    pub image_span: Range<usize>,
    /// `--platform=…`, if given.
    pub platform: Option<String>,
    /// The `AS name`, if given.
    pub alias: Option<String>,
    /// The earlier stage the base image names, if it names one.
    pub stage_ref: Option<usize>,
}

impl Stage {
    /// `FROM scratch`: the empty image, nothing to pin.
    pub fn is_scratch(&self) -> bool {
        self.stage_ref.is_none() && self.image.resolved.eq_ignore_ascii_case("scratch")
    }

    /// The base is an image from a registry (not a stage, not scratch).
    pub fn is_external(&self) -> bool {
        self.stage_ref.is_none() && !self.is_scratch()
    }
}

fn split_words(text: &str, from: usize) -> Vec<(Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i < from) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s..i, text.get(s..i).unwrap_or_default()));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s..text.len(), text.get(s..).unwrap_or_default()));
    }
    out
}

/// Parses a Dockerfile from bytes, within `limits`.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Dockerfile, DockerfileError> {
    if bytes.len() > limits.max_bytes {
        return Err(DockerfileError::TooLarge { size: bytes.len(), max: limits.max_bytes });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = bytes.get(..offset).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()) + 1;
        DockerfileError::InvalidUtf8 { offset, line }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = Document::from_text(text);
    if doc.line_count() > limits.max_lines {
        return Err(DockerfileError::TooManyLines { line: limits.max_lines + 1, max: limits.max_lines });
    }
    Parser { doc: &doc, limits, escape: '\\', directives: Vec::new(), out: Vec::new() }.run().map(
        |(escape, directives, instructions)| {
            let stages = stages(&instructions);
            let mut instructions = instructions;
            let mut stage = None;
            let mut next = stages.iter().map(|s| s.instruction).enumerate().peekable();
            for (i, ins) in instructions.iter_mut().enumerate() {
                if let Some((s, _)) = next.next_if(|(_, at)| *at == i) {
                    stage = Some(s);
                }
                ins.stage = stage;
            }
            Dockerfile { text: doc.clone(), escape, directives, instructions, stages }
        },
    )
}

struct Parser<'a> {
    doc: &'a Document,
    limits: &'a Limits,
    escape: char,
    directives: Vec<(String, String)>,
    out: Vec<Instruction>,
}

/// The keywords whose arguments may carry heredocs (Dockerfile frontend 1.4+).
const HEREDOC_KEYWORDS: [&str; 3] = ["RUN", "COPY", "ADD"];

type Parsed = (char, Vec<(String, String)>, Vec<Instruction>);

impl Parser<'_> {
    fn line(&self, n: usize) -> Option<(usize, &str)> {
        Some((self.doc.line_start(n), self.doc.line_text(n)?))
    }

    fn run(mut self) -> Result<Parsed, DockerfileError> {
        let count = self.doc.line_count();
        let mut n = 1;
        let mut in_directives = true;
        let mut comments: Option<(usize, usize)> = None;
        while n <= count {
            let Some((_, text)) = self.line(n) else { break };
            let trimmed = text.trim_start();
            if in_directives {
                if let Some((k, v)) = directive(trimmed) {
                    if k == "escape" && (v == "`" || v == "\\") {
                        self.escape = if v == "`" { '`' } else { '\\' };
                    }
                    self.directives.push((k, v));
                    n += 1;
                    continue;
                }
                in_directives = false;
            }
            if trimmed.is_empty() {
                comments = None;
                n += 1;
                continue;
            }
            if trimmed.starts_with('#') {
                comments = Some(comments.map_or((n, n), |(s, _)| (s, n)));
                n += 1;
                continue;
            }
            if self.out.len() >= self.limits.max_instructions {
                return Err(DockerfileError::TooManyInstructions { line: n, max: self.limits.max_instructions });
            }
            n = self.instruction(n, comments.take())? + 1;
        }
        Ok((self.escape, self.directives, self.out))
    }

    /// Reads the instruction starting on line `first`; returns its last line.
    fn instruction(&mut self, first: usize, comments_above: Option<(usize, usize)>) -> Result<usize, DockerfileError> {
        let mut logical = String::new();
        let mut pieces = Vec::new();
        let mut n = first;
        let mut last = first;
        let mut start_byte = None;
        let count = self.doc.line_count();
        while let Some((line_start, text)) = self.line(n) {
            let skip = n > first && {
                let t = text.trim_start();
                t.is_empty() || t.starts_with('#')
            };
            if !skip {
                let lead = if n == first { text.len() - text.trim_start().len() } else { 0 };
                let body = text.get(lead..).unwrap_or_default();
                let trimmed = body.trim_end();
                let (content, continues) = match trimmed.strip_suffix(self.escape) {
                    Some(c) => (c, true),
                    None => (body.trim_end_matches(['\r']), false),
                };
                start_byte.get_or_insert(line_start + lead);
                pieces.push((logical.len(), line_start + lead));
                logical.push_str(content);
                last = n;
                if !continues {
                    break;
                }
            }
            if n >= count {
                break;
            }
            n += 1;
        }
        let start = start_byte.unwrap_or_else(|| self.doc.line_start(first));
        let kw_end = logical.find(char::is_whitespace).unwrap_or(logical.len());
        let keyword = logical.get(..kw_end).unwrap_or_default().to_ascii_uppercase();
        let mut i = skip_ws(&logical, kw_end);
        let mut flags = Vec::new();
        let mut tmp = Instruction {
            keyword,
            line: first,
            end_line: last,
            span: start..start,
            stage: None,
            flags: Vec::new(),
            form: Form::Shell,
            heredocs: Vec::new(),
            comments_above: comments_above.map(|(s, e)| {
                self.doc.line_start(s)..self.doc.line_start(e) + self.doc.line_text(e).map_or(0, str::len)
            }),
            logical,
            pieces,
            args_start: 0,
        };
        // Flags: `--name[=value]` words before the arguments (not for CMD/ENTRYPOINT…, whose
        // arguments may legitimately start with `--`).
        if matches!(tmp.keyword.as_str(), "FROM" | "RUN" | "ADD" | "COPY" | "HEALTHCHECK" | "ONBUILD") {
            while tmp.logical.get(i..).is_some_and(|r| r.starts_with("--")) {
                let end =
                    tmp.logical.get(i..).and_then(|r| r.find(char::is_whitespace)).map_or(tmp.logical.len(), |e| i + e);
                let word = tmp.logical.get(i + 2..end).unwrap_or_default();
                let (name, value) = match word.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (word.to_owned(), None),
                };
                flags.push(Flag { name, value, span: tmp.source_range(i..end) });
                i = skip_ws(&tmp.logical, end);
            }
        }
        tmp.flags = flags;
        tmp.args_start = i;
        let args = tmp.args().trim_end();
        if args.starts_with('[')
            && let Some(items) = json_string_array(args)
        {
            tmp.form = Form::Exec(items);
        }
        let mut end_line = last;
        if HEREDOC_KEYWORDS.contains(&tmp.keyword.as_str()) && tmp.form == Form::Shell {
            for (marker, delimiter, strip_tabs, quoted) in heredoc_markers(&tmp.logical, tmp.args_start) {
                let body_first = end_line + 1;
                let mut m = body_first;
                let mut close = None;
                while m <= count {
                    let Some((_, text)) = self.line(m) else { break };
                    let t = if strip_tabs { text.trim_start_matches('\t') } else { text };
                    if t == delimiter {
                        close = Some(m);
                        break;
                    }
                    m += 1;
                }
                // An unterminated heredoc runs to the end of the file, as BuildKit reads it.
                let body_last = close.map_or(count, |c| c - 1);
                let body_start = self.doc.line_start(body_first);
                let body_end = if body_last >= body_first { self.doc.line_start(body_last + 1) } else { body_start };
                tmp.heredocs.push(Heredoc { delimiter, strip_tabs, quoted, body: body_start..body_end, marker });
                end_line = close.unwrap_or(count).max(end_line);
            }
        }
        let end = self.doc.line_start(end_line) + self.doc.line_text(end_line).map_or(0, str::len);
        tmp.end_line = end_line;
        tmp.span = start..end.max(start);
        self.out.push(tmp);
        Ok(end_line)
    }
}

fn skip_ws(s: &str, from: usize) -> usize {
    s.get(from..).map_or(s.len(), |r| from + (r.len() - r.trim_start().len()))
}

/// `# name=value` with a known directive name, lower-cased.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix('#')?;
    let (k, v) = rest.split_once('=')?;
    let k = k.trim().to_ascii_lowercase();
    matches!(k.as_str(), "escape" | "syntax" | "check").then(|| (k, v.trim().to_owned()))
}

/// Heredoc markers in shell-form arguments: `<<WORD`, `<<-WORD`, `<<"WORD"`, `<<'WORD'`,
/// outside quotes, not `<<<`. Returns (marker range, delimiter, strip tabs, quoted).
fn heredoc_markers(logical: &str, from: usize) -> Vec<(Range<usize>, String, bool, bool)> {
    let b = logical.as_bytes();
    let mut out = Vec::new();
    let mut quote = None;
    let mut i = from;
    while let Some(&c) = b.get(i) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'<' && b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                let start = i;
                let mut j = i + 2;
                let strip = b.get(j) == Some(&b'-');
                if strip {
                    j += 1;
                }
                let q = b.get(j).copied().filter(|c| *c == b'"' || *c == b'\'');
                if q.is_some() {
                    j += 1;
                }
                let word_start = j;
                // A delimiter starts like a name, so `$((1<<2))` is no heredoc.
                if b.get(j).is_some_and(u8::is_ascii_digit) {
                    i = j;
                    continue;
                }
                while b.get(j).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-' || *c == b'.') {
                    j += 1;
                }
                let word = logical.get(word_start..j).unwrap_or_default();
                if let Some(q) = q {
                    if b.get(j) != Some(&q) {
                        i = j;
                        continue;
                    }
                    j += 1;
                }
                if !word.is_empty() && out.len() < 64 {
                    out.push((start..j, word.to_owned(), strip, q.is_some()));
                }
                i = j;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    out
}

/// A JSON array of strings, as Docker's exec form; `None` for anything else (then the
/// arguments are shell form, as Docker falls back).
fn json_string_array(s: &str) -> Option<Vec<String>> {
    let mut chars = s.trim().chars().peekable();
    let mut out = Vec::new();
    if chars.next()? != '[' {
        return None;
    }
    let ws = |c: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while c.peek().is_some_and(|x| x.is_whitespace()) {
            c.next();
        }
    };
    ws(&mut chars);
    if chars.peek() == Some(&']') {
        chars.next();
        return chars.next().is_none().then_some(out);
    }
    loop {
        ws(&mut chars);
        if chars.next()? != '"' {
            return None;
        }
        let mut item = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'n' => item.push('\n'),
                    't' => item.push('\t'),
                    'r' => item.push('\r'),
                    'b' => item.push('\u{8}'),
                    'f' => item.push('\u{c}'),
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                        item.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}'));
                    }
                    c => item.push(c),
                },
                c => item.push(c),
            }
        }
        out.push(item);
        ws(&mut chars);
        match chars.next()? {
            ',' => continue,
            ']' => break,
            _ => return None,
        }
    }
    ws(&mut chars);
    chars.next().is_none().then_some(out)
}

/// Global `ARG name[=default]` values declared before the first `FROM`.
fn global_args(instructions: &[Instruction]) -> HashMap<String, Option<String>> {
    let mut out = HashMap::new();
    for ins in instructions.iter().take_while(|i| i.keyword != "FROM") {
        if ins.keyword != "ARG" {
            continue;
        }
        for (_, w) in ins.words() {
            let (k, v) = match w.split_once('=') {
                Some((k, v)) => (k, Some(unquote(v))),
                None => (w, None),
            };
            out.insert(k.to_owned(), v);
        }
    }
    out
}

fn unquote(s: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    s.to_owned()
}

/// Substitutes `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}` with the global defaults;
/// returns the text and whether a variable was left without a value.
fn substitute(s: &str, args: &HashMap<String, Option<String>>) -> (String, bool) {
    let value = |name: &str| args.get(name).cloned().flatten();
    let mut out = String::new();
    let mut unresolved = false;
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 1..).unwrap_or_default();
        if let Some(inner) = after.strip_prefix('{')
            && let Some(close) = inner.find('}')
        {
            let expr = inner.get(..close).unwrap_or_default();
            let (name, default) = match expr.split_once(":-").or_else(|| expr.split_once('-')) {
                Some((n, d)) => (n, Some(d)),
                None => (expr, None),
            };
            match value(name).filter(|v| !v.is_empty()).or_else(|| default.map(str::to_owned)) {
                Some(v) => out.push_str(&v),
                None => {
                    unresolved = true;
                    out.push_str(rest.get(i..i + 2 + close + 1).unwrap_or_default());
                }
            }
            rest = inner.get(close + 1..).unwrap_or_default();
        } else {
            let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            let name = after.get(..len).unwrap_or_default();
            if name.is_empty() {
                out.push('$');
            } else if let Some(v) = value(name) {
                out.push_str(&v);
            } else {
                unresolved = true;
                out.push('$');
                out.push_str(name);
            }
            rest = after.get(len..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    (out, unresolved)
}

fn stages(instructions: &[Instruction]) -> Vec<Stage> {
    let args = global_args(instructions);
    let mut out: Vec<Stage> = Vec::new();
    // Stage names, lower-cased (BuildKit matches them case-insensitively) → latest stage.
    let mut names: HashMap<String, usize> = HashMap::new();
    for (index, ins) in instructions.iter().enumerate() {
        if ins.keyword != "FROM" {
            continue;
        }
        let words = ins.words();
        let Some((range, raw)) = words.first() else { continue };
        let alias = match (words.get(1), words.get(2)) {
            (Some((_, as_kw)), Some((_, name))) if as_kw.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
            _ => None,
        };
        let (resolved, unresolved) = substitute(raw, &args);
        let image = ImageRef::new(raw, resolved, unresolved);
        // A stage name is matched case-insensitively, as BuildKit lower-cases them.
        let stage_ref = (image.tag.is_none() && image.digest.is_none())
            .then(|| names.get(&image.resolved.to_ascii_lowercase()).copied())
            .flatten();
        if let Some(a) = &alias {
            names.insert(a.to_ascii_lowercase(), out.len());
        }
        out.push(Stage {
            instruction: index,
            image_span: ins.source_range(range.clone()),
            platform: ins.flag("platform").and_then(|f| f.value.clone()),
            alias,
            stage_ref,
            image,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Dockerfile {
        parse(s.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn continuations_and_inner_comments() {
        let f = p("FROM a\nRUN apt-get update \\\n  # a comment\n\n && apt-get install -y x\nCMD [\"x\"]\n");
        let run = &f.instructions()[1];
        assert_eq!((run.line, run.end_line), (2, 5));
        assert_eq!(run.args(), "apt-get update  && apt-get install -y x");
        let at = run.args().find("install").unwrap() + run.args_start();
        let src = run.source_range(at..at + 7);
        assert_eq!(&f.text.source()[src.clone()], "install");
        assert_eq!(f.text.pos_at(src.start).line, 5);
        assert_eq!(f.instructions()[2].line, 6);
        assert_eq!(f.instructions()[2].form, Form::Exec(vec!["x".into()]));
    }

    #[test]
    fn escape_directive() {
        let f = p("# escape=`\nFROM windows\nRUN dir c:\\ `\n  && echo hi\n");
        assert_eq!(f.escape, '`');
        assert_eq!(f.directives, [("escape".to_owned(), "`".to_owned())]);
        let run = &f.instructions()[1];
        assert_eq!((run.line, run.end_line), (3, 4));
        assert_eq!(run.args(), "dir c:\\   && echo hi");
        // After the first instruction, a directive-looking line is a comment.
        let g = p("FROM a\n# escape=`\nRUN x \\\n y\n");
        assert_eq!(g.escape, '\\');
        assert_eq!(g.instructions()[1].args(), "x  y");
    }

    #[test]
    fn heredocs() {
        let f = p("FROM a\nRUN <<EOF bash\napt-get install x\nEOF\nRUN <<-'A' cat <<B\n\tline\n\tA\nb\nB\nRUN ok\n");
        let r = &f.instructions()[1];
        assert_eq!((r.line, r.end_line), (2, 4));
        assert_eq!(r.heredocs.len(), 1);
        assert_eq!(&f.text.source()[r.heredocs[0].body.clone()], "apt-get install x\n");
        let r2 = &f.instructions()[2];
        assert_eq!((r2.line, r2.end_line), (5, 9));
        assert!(r2.heredocs[0].strip_tabs && r2.heredocs[0].quoted);
        assert_eq!(&f.text.source()[r2.heredocs[1].body.clone()], "b\n");
        assert_eq!(f.instructions()[3].line, 10);
        // Unterminated: runs to the end.
        let g = p("FROM a\nRUN <<EOF\necho\n");
        assert_eq!(g.instructions()[1].end_line, 3);
    }

    #[test]
    fn exec_and_shell_forms() {
        let f = p(
            "FROM a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nCMD [\"a\\\"b\", \"\\u0041\"]\nCMD [nope]\nCMD []\n",
        );
        assert_eq!(
            f.instructions()[1].form,
            Form::Exec(vec!["/bin/bash".into(), "-o".into(), "pipefail".into(), "-c".into()])
        );
        assert_eq!(f.instructions()[2].form, Form::Exec(vec!["a\"b".into(), "A".into()]));
        assert_eq!(f.instructions()[3].form, Form::Shell);
        assert_eq!(f.instructions()[4].form, Form::Exec(vec![]));
    }

    #[test]
    fn from_stages_args_and_flags() {
        let f = p(
            "ARG REG=ghcr.io\nARG TAG\nFROM --platform=$BUILDPLATFORM ${REG}/x/y:1.2 AS Build\nFROM build\nFROM localhost:5000/z\nFROM img:${TAG}\nFROM a@sha256:00\nADD --checksum=sha256:ab --chmod=644 https://x/y /z\n",
        );
        let s = f.stages();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!((s[0].image.name.as_str(), s[0].image.tag.as_deref()), ("ghcr.io/x/y", Some("1.2")));
        assert_eq!(&f.text.source()[s[0].image_span.clone()], "${REG}/x/y:1.2");
        assert_eq!(s[1].stage_ref, Some(0));
        assert_eq!((s[2].image.name.as_str(), s[2].image.tag.as_deref()), ("localhost:5000/z", None));
        assert!(s[3].image.unresolved);
        assert_eq!(s[4].image.digest.as_deref(), Some("sha256:00"));
        let add = f.instructions().last().unwrap();
        assert_eq!(add.flag("checksum").and_then(|c| c.value.as_deref()), Some("sha256:ab"));
        assert_eq!(add.args(), "https://x/y /z");
        assert_eq!(add.stage, Some(4));
        assert_eq!(f.instructions()[0].stage, None);
    }

    #[test]
    fn limits_and_bytes() {
        assert!(matches!(
            parse(b"FROM a\nRUN \xff\n", &Limits::default()),
            Err(DockerfileError::InvalidUtf8 { offset: 11, line: 2 })
        ));
        let small = Limits { max_bytes: 10, max_lines: 2, max_instructions: 1 };
        assert!(matches!(parse(b"FROM aaaaaaaaaaa", &small), Err(DockerfileError::TooLarge { .. })));
        assert!(matches!(parse(b"\n\n\n", &small), Err(DockerfileError::TooManyLines { .. })));
        assert!(matches!(parse(b"FROM a\nRUN", &small), Err(DockerfileError::TooManyInstructions { line: 2, .. })));
        assert!(p("").instructions().is_empty());
        assert_eq!(p("RUN x \\").instructions()[0].args(), "x ");
    }
}
