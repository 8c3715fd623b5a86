//! Views over a positioned YAML tree: each accessor returns the node and its route, so every
//! fact an audit uses can be pointed at in the source.

use chainward_yaml::{Document, Node, Route};

use crate::Uses;

/// Why a document is not the kind of file it was taken for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The top level is not a mapping.
    #[error("the top level is not a mapping")]
    NotAMapping,
    /// A required key is missing.
    #[error("the required key `{key}` is missing")]
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// A key holds the wrong kind of value.
    #[error("`{route}` should be {expected}")]
    WrongType {
        /// Where.
        route: String,
        /// What it should be.
        expected: &'static str,
    },
}

fn root_mapping(doc: &Document) -> Result<(), ModelError> {
    doc.root.as_mapping().map(|_| ()).ok_or(ModelError::NotAMapping)
}

/// A GitHub Actions workflow (`.github/workflows/*.yml`).
#[derive(Debug, Clone)]
pub struct Workflow {
    /// The positioned document.
    pub doc: Document,
}

impl Workflow {
    /// Checks the shape (a mapping with a `jobs` mapping) and wraps the document.
    pub fn new(doc: Document) -> Result<Self, ModelError> {
        root_mapping(&doc)?;
        match doc.root.get("jobs") {
            None => return Err(ModelError::MissingKey { key: "jobs" }),
            Some(j) if j.as_mapping().is_none() => {
                return Err(ModelError::WrongType { route: "jobs".into(), expected: "a mapping of job ids to jobs" });
            }
            Some(_) => {}
        }
        Ok(Workflow { doc })
    }

    /// The `on:` node (YAML 1.1 readers turn `on` into `true`; we keep the key as written).
    pub fn on(&self) -> Option<&Node> {
        self.doc.root.get("on")
    }

    /// The trigger event names: `on: push`, `on: [push, pull_request]` or `on: {push: …}`.
    pub fn triggers(&self) -> Vec<&str> {
        match self.on() {
            Some(n) => match (&n.as_str(), n.as_sequence(), n.as_mapping()) {
                (Some(s), _, _) => vec![s],
                (_, Some(seq), _) => seq.iter().filter_map(Node::as_str).collect(),
                (_, _, Some(m)) => m.iter().filter_map(|(k, _)| k.as_str()).collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        }
    }

    /// Whether the workflow has this trigger.
    pub fn has_trigger(&self, name: &str) -> bool {
        self.triggers().contains(&name)
    }

    /// The jobs in source order.
    pub fn jobs(&self) -> Vec<Job<'_>> {
        let Some(jobs) = self.doc.root.get("jobs").and_then(Node::as_mapping) else { return Vec::new() };
        jobs.iter()
            .filter_map(|(k, v)| {
                let id = k.as_str()?;
                Some(Job { id, node: v, route: Route::root().key("jobs").key(id) })
            })
            .collect()
    }
}

/// One job of a workflow.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// The job id.
    pub id: &'a str,
    /// The job's mapping.
    pub node: &'a Node,
    /// `jobs.<id>`.
    pub route: Route,
}

impl<'a> Job<'a> {
    /// A key of the job.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    /// Whether this job calls a reusable workflow (`jobs.<id>.uses`).
    pub fn is_reusable_call(&self) -> bool {
        self.node.get("uses").is_some()
    }

    /// The steps of a normal job.
    pub fn steps(&self) -> Vec<Step<'a>> {
        steps_at(self.node.get("steps"), &self.route.key("steps"))
    }
}

fn steps_at<'a>(node: Option<&'a Node>, route: &Route) -> Vec<Step<'a>> {
    let Some(seq) = node.and_then(Node::as_sequence) else { return Vec::new() };
    seq.iter().enumerate().map(|(i, n)| Step { index: i, node: n, route: route.index(i) }).collect()
}

/// One step (of a job or of a composite action).
#[derive(Debug, Clone)]
pub struct Step<'a> {
    /// Index in its `steps:` list.
    pub index: usize,
    /// The step's mapping.
    pub node: &'a Node,
    /// Its route.
    pub route: Route,
}

impl<'a> Step<'a> {
    /// A key of the step.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    /// The parsed `uses:`, when present and well-formed.
    pub fn uses(&self) -> Option<Uses> {
        Uses::parse(self.node.get_str("uses")?)
    }

    /// The `run:` script.
    pub fn run(&self) -> Option<&'a str> {
        self.node.get_str("run")
    }

    /// A `with:` input.
    pub fn with(&self, key: &str) -> Option<&'a Node> {
        self.node.get("with")?.get(key)
    }
}

/// An action definition (`action.yml`).
#[derive(Debug, Clone)]
pub struct Action {
    /// The positioned document.
    pub doc: Document,
}

impl Action {
    /// Checks the shape (a mapping with `runs`) and wraps the document.
    pub fn new(doc: Document) -> Result<Self, ModelError> {
        root_mapping(&doc)?;
        if doc.root.get("runs").and_then(Node::as_mapping).is_none() {
            return Err(ModelError::MissingKey { key: "runs" });
        }
        Ok(Action { doc })
    }

    /// `runs.using`.
    pub fn using(&self) -> Option<&str> {
        self.doc.root.get("runs")?.get_str("using")
    }

    /// The steps of a composite action.
    pub fn steps(&self) -> Vec<Step<'_>> {
        steps_at(self.doc.root.get("runs").and_then(|r| r.get("steps")), &Route::root().key("runs").key("steps"))
    }
}

/// A Dependabot configuration (`.github/dependabot.yml`).
#[derive(Debug, Clone)]
pub struct Dependabot {
    /// The positioned document.
    pub doc: Document,
}

impl Dependabot {
    /// Checks the shape (a mapping with an `updates` list) and wraps the document.
    pub fn new(doc: Document) -> Result<Self, ModelError> {
        root_mapping(&doc)?;
        if doc.root.get("updates").and_then(Node::as_sequence).is_none() {
            return Err(ModelError::MissingKey { key: "updates" });
        }
        Ok(Dependabot { doc })
    }

    /// The `updates:` entries with their routes.
    pub fn updates(&self) -> Vec<(&Node, Route)> {
        let Some(seq) = self.doc.root.get("updates").and_then(Node::as_sequence) else { return Vec::new() };
        seq.iter().enumerate().map(|(i, n)| (n, Route::root().key("updates").index(i))).collect()
    }
}

/// One value a `matrix.<key>` can take, with the route of the YAML node it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// `matrix.<key>` (lower-case key, as contexts compare case-insensitively).
    pub path: String,
    /// The value as text.
    pub value: String,
    /// Where the value is written.
    pub route: Route,
}

impl Expansion {
    /// Whether the value is fixed text (no `${{ }}`).
    pub fn is_static(&self) -> bool {
        !self.value.contains("${{")
    }
}

/// Most combinations computed; GitHub itself caps a matrix at 256 jobs.
const MAX_COMBINATIONS: usize = 4096;

impl Job<'_> {
    /// The values each `matrix.<key>` takes, following GitHub's "Running variations of jobs
    /// in a workflow": the product of the dimensions, minus `exclude` entries, plus `include`
    /// entries. Empty when the matrix is an expression (it is not known statically).
    pub fn matrix_expansions(&self) -> Vec<Expansion> {
        let route = self.route.key("strategy").key("matrix");
        let Some(matrix) = self.node.get("strategy").and_then(|s| s.get("matrix")) else { return Vec::new() };
        let Some(entries) = matrix.as_mapping() else { return Vec::new() };
        type Combo = Vec<(String, String, Route)>;
        let mut combos: Vec<Combo> = vec![Vec::new()];
        for (k, v) in entries {
            let Some(key) = k.as_str() else { continue };
            if key == "include" || key == "exclude" {
                continue;
            }
            let values: Vec<(String, Route)> = match v.as_sequence() {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| Some((n.as_str()?.to_owned(), route.key(key).index(i))))
                    .collect(),
                None => v.as_str().map(|s| vec![(s.to_owned(), route.key(key))]).unwrap_or_default(),
            };
            let mut next = Vec::new();
            'outer: for c in &combos {
                for (val, r) in &values {
                    if next.len() >= MAX_COMBINATIONS {
                        break 'outer;
                    }
                    let mut c = c.clone();
                    c.push((key.to_ascii_lowercase(), val.clone(), r.clone()));
                    next.push(c);
                }
            }
            combos = next;
        }
        if let Some(excludes) = matrix.get("exclude").and_then(Node::as_sequence) {
            for ex in excludes {
                let Some(pairs) = ex.as_mapping() else { continue };
                combos.retain(|c| {
                    !pairs.iter().all(|(k, v)| {
                        let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else { return false };
                        c.iter().any(|(ck, cv, _)| *ck == k.to_ascii_lowercase() && cv == v)
                    })
                });
            }
        }
        let mut out: Vec<Expansion> = combos
            .into_iter()
            .flatten()
            .map(|(k, value, route)| Expansion { path: format!("matrix.{k}"), value, route })
            .collect();
        if let Some(includes) = matrix.get("include").and_then(Node::as_sequence) {
            for (i, inc) in includes.iter().enumerate() {
                for (k, v) in inc.as_mapping().unwrap_or_default() {
                    let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else { continue };
                    out.push(Expansion {
                        path: format!("matrix.{}", k.to_ascii_lowercase()),
                        value: v.to_owned(),
                        route: route.key("include").index(i).key(k),
                    });
                }
            }
        }
        // One entry per distinct (path, value, place).
        let mut seen = std::collections::HashSet::new();
        out.retain(|e| seen.insert((e.path.clone(), e.value.clone(), e.route.to_string())));
        out
    }
}
