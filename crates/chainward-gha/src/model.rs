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
