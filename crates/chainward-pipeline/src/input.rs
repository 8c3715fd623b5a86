//! Inputs: which files are audited and what kind each is.

use std::path::{Path, PathBuf};

use chainward_gha::{Action, Dependabot, ModelError, PreCommitConfig, Workflow};
use chainward_yaml::{Document, Limits, YamlError};

use crate::dockerfile::{self, Dockerfile, DockerfileError};

/// What kind of file an input is.
#[derive(Debug, Clone)]
pub enum InputKind {
    /// A workflow.
    Workflow(Workflow),
    /// An action definition (composite, Docker or JavaScript).
    Action(Action),
    /// A Dependabot configuration.
    Dependabot(Dependabot),
    /// A pre-commit configuration (`.pre-commit-config.yaml`).
    PreCommit(PreCommitConfig),
    /// A Dockerfile (or Containerfile).
    Dockerfile(Box<Dockerfile>),
}

/// A loaded input.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path as shown in findings.
    pub file: String,
    /// The parsed file.
    pub kind: InputKind,
}

impl Input {
    /// The positioned document.
    pub fn doc(&self) -> &Document {
        match &self.kind {
            InputKind::Workflow(w) => &w.doc,
            InputKind::Action(a) => &a.doc,
            InputKind::Dependabot(d) => &d.doc,
            InputKind::PreCommit(p) => &p.doc,
            InputKind::Dockerfile(d) => &d.text,
        }
    }
}

/// Why an input could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Reading failed.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        source: std::io::Error,
    },
    /// The YAML is malformed or over a limit.
    #[error("{file}: {source}")]
    Yaml {
        /// The file.
        file: String,
        /// The error.
        source: YamlError,
    },
    /// The YAML is not a workflow, action or Dependabot config of the expected shape.
    #[error("{file}: not a valid {kind}: {source}")]
    Model {
        /// The file.
        file: String,
        /// What it was taken for.
        kind: &'static str,
        /// The error.
        source: ModelError,
    },
    /// The Dockerfile is malformed or over a limit.
    #[error("{file}: {source}")]
    Dockerfile {
        /// The file.
        file: String,
        /// The error.
        source: DockerfileError,
    },
    /// A file whose kind cannot be told from its name or content.
    #[error("{file}: not a workflow, action, Dependabot or pre-commit config, or Dockerfile")]
    Unrecognized {
        /// The file.
        file: String,
    },
    /// A directory search met more folders than the bound (a home directory or a disk root,
    /// not a repository).
    #[error("{root}: more than {limit} folders below it; name the repository or the folders to audit")]
    TooManyDirectories {
        /// The directory searched.
        root: String,
        /// The bound.
        limit: usize,
    },
}

/// How many folders a directory search visits before it gives up with an error (instead of
/// auditing part of the tree without saying so).
const MAX_SEARCHED_DIRECTORIES: usize = 100_000;

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Kind by name, as GitHub finds these files: `action.yml|yaml` anywhere, `dependabot.yml|yaml`,
/// anything else YAML is taken for a workflow only when its content says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guess {
    Action,
    Dependabot,
    PreCommit,
    Workflow,
    ByContent,
}

fn guess(path: &Path) -> Guess {
    match file_name(path) {
        "action.yml" | "action.yaml" => Guess::Action,
        "dependabot.yml" | "dependabot.yaml" => Guess::Dependabot,
        // pre-commit reads `.pre-commit-config.yaml`; zizmor also takes the `.yml` spelling.
        ".pre-commit-config.yaml" | ".pre-commit-config.yml" if !is_under_workflows(path) => Guess::PreCommit,
        _ if is_under_workflows(path) => Guess::Workflow,
        _ => Guess::ByContent,
    }
}

fn is_under_workflows(path: &Path) -> bool {
    let parent = path.parent();
    parent.and_then(|p| p.file_name()).is_some_and(|n| n == "workflows")
        && parent.and_then(Path::parent).and_then(|p| p.file_name()).is_some_and(|n| n == ".github")
}

/// Is this the name of a Dockerfile? `Dockerfile`, `Containerfile`, `*.Dockerfile`,
/// `*.dockerfile` and `Dockerfile.*`, but not BuildKit's per-Dockerfile ignore file
/// `Dockerfile.dockerignore`.
pub fn is_dockerfile_name(path: &Path) -> bool {
    let name = file_name(path);
    !name.ends_with(".dockerignore")
        && (matches!(name, "Dockerfile" | "Containerfile")
            || name.ends_with(".Dockerfile")
            || name.ends_with(".dockerfile")
            || name.strip_prefix("Dockerfile.").is_some_and(|rest| !rest.is_empty()))
}

/// Loads one file given its bytes.
pub fn load(file: &str, path: &Path, bytes: &[u8], limits: &Limits) -> Result<Input, InputError> {
    if is_dockerfile_name(path) {
        let parsed = dockerfile::parse(bytes, &dockerfile::Limits::default())
            .map_err(|source| InputError::Dockerfile { file: file.into(), source })?;
        return Ok(Input { file: file.to_owned(), kind: InputKind::Dockerfile(Box::new(parsed)) });
    }
    let doc = chainward_yaml::parse(bytes, limits).map_err(|source| InputError::Yaml { file: file.into(), source })?;
    let model = |kind, source| InputError::Model { file: file.into(), kind, source };
    let kind = match guess(path) {
        Guess::Action => InputKind::Action(Action::new(doc).map_err(|e| model("action", e))?),
        Guess::Dependabot => InputKind::Dependabot(Dependabot::new(doc).map_err(|e| model("Dependabot config", e))?),
        Guess::Workflow => InputKind::Workflow(Workflow::new(doc).map_err(|e| model("workflow", e))?),
        Guess::PreCommit => InputKind::PreCommit(PreCommitConfig::new(doc).map_err(|e| model("pre-commit config", e))?),
        Guess::ByContent if doc.root.get("jobs").is_some() => {
            InputKind::Workflow(Workflow::new(doc).map_err(|e| model("workflow", e))?)
        }
        Guess::ByContent if doc.root.get("runs").is_some() => {
            InputKind::Action(Action::new(doc).map_err(|e| model("action", e))?)
        }
        Guess::ByContent if doc.root.get("updates").is_some() => {
            InputKind::Dependabot(Dependabot::new(doc).map_err(|e| model("Dependabot config", e))?)
        }
        Guess::ByContent => return Err(InputError::Unrecognized { file: file.into() }),
    };
    Ok(Input { file: file.to_owned(), kind })
}

/// Reads and loads one file.
pub fn load_path(path: &Path, limits: &Limits) -> Result<Input, InputError> {
    // `audit .` shows `.github/workflows/ci.yml`, not `./.github/workflows/ci.yml`.
    let file = path.strip_prefix(".").unwrap_or(path).display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| InputError::Io { file: file.clone(), source })?;
    // Refuse before reading, so a huge file costs no memory.
    let max = dockerfile::Limits::default().max_bytes;
    if is_dockerfile_name(path) && meta.len() > max as u64 {
        let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        return Err(InputError::Dockerfile { file, source: DockerfileError::TooLarge { size, max } });
    }
    if meta.len() > limits.max_bytes as u64 {
        let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        return Err(InputError::Yaml { file, source: YamlError::TooLarge { size, max: limits.max_bytes } });
    }
    let bytes = std::fs::read(path).map_err(|source| InputError::Io { file: file.clone(), source })?;
    load(&file, path, &bytes, limits)
}

/// The files a directory holds the way a repository lays them out (sorted):
/// `.github/workflows/*.{yml,yaml}`, `action.{yml,yaml}` anywhere but inside hidden or
/// vendored folders, `.github/dependabot.{yml,yaml}` and `.pre-commit-config.{yaml,yml}` at the
/// root, and Dockerfiles ([`is_dockerfile_name`]) anywhere actions are looked for. A file path
/// is returned as is.
pub fn discover(path: &Path) -> Result<Vec<PathBuf>, InputError> {
    let io = |source| InputError::Io { file: path.display().to_string(), source };
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let github = path.join(".github");
    for dir in [github.join("workflows")] {
        if dir.is_dir() {
            for entry in std::fs::read_dir(&dir).map_err(io)? {
                let p = entry.map_err(io)?.path();
                if p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
                    out.push(p);
                }
            }
        }
    }
    for name in ["dependabot.yml", "dependabot.yaml"] {
        let p = github.join(name);
        if p.is_file() {
            out.push(p);
        }
    }
    // pre-commit reads its config from the repository root only.
    for name in [".pre-commit-config.yaml", ".pre-commit-config.yml"] {
        let p = path.join(name);
        if p.is_file() {
            out.push(p);
        }
    }
    // Actions: an explicit stack (no recursion), skipping hidden and dependency folders.
    let mut todo = vec![path.to_path_buf()];
    let mut visited = 0usize;
    while let Some(dir) = todo.pop() {
        visited += 1;
        if visited > MAX_SEARCHED_DIRECTORIES {
            return Err(InputError::TooManyDirectories {
                root: path.display().to_string(),
                limit: MAX_SEARCHED_DIRECTORIES,
            });
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let p = entry.path();
            let name = file_name(&p);
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if !name.starts_with('.') && name != "node_modules" && name != "target" {
                    todo.push(p);
                }
            } else if ft.is_file() && (matches!(name, "action.yml" | "action.yaml") || is_dockerfile_name(&p)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
