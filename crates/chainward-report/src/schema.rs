//! Validation of written SARIF against the official SARIF 2.1.0 JSON schema (feature
//! `schema-validation`).
//!
//! For tests: this crate's and the binary's integration tests check the logs they write. The
//! schema is read from a folder laid out like the project's shared corpus
//! (`shared/corpus/schemas`, byte-for-byte upstream copies): `sarif-2.1.0/sarif-schema-2.1.0.json`
//! (draft-04, self-contained). Nothing is fetched: the retriever refuses every URI, so a schema
//! that needed one fails validator construction instead of reaching the network. `format`
//! keywords (`uri`, `uri-reference`, `date-time`) are asserted, as the corpus README's Python
//! `jsonschema` run with a format checker does — so a bad artifact URI is caught.
//!
//! This is the same `jsonschema` crate, and the same approach, as `chainward-sbom`'s schema
//! tests.
//!
//! ```no_run
//! # fn check(written: &[u8], schemas: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
//! let log: serde_json::Value = serde_json::from_slice(written)?;
//! chainward_report::schema::validate_sarif(&log, schemas)?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use jsonschema::{Retrieve, Uri};
use serde_json::Value;

/// The schema file, relative to the schema folder.
pub const SARIF_SCHEMA: &str = "sarif-2.1.0/sarif-schema-2.1.0.json";

/// One way in which a document breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer to the offending value, e.g. `/runs/0/results/3/level`.
    pub instance_path: String,
    /// JSON pointer to the schema keyword that failed.
    pub schema_path: String,
    /// What is wrong, as the validator words it.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {:?}: {} (schema {})", self.instance_path, self.message, self.schema_path)
    }
}

/// Why a log could not be shown valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaValidationError {
    /// The schema file could not be read.
    #[error("cannot read schema {path}")]
    ReadSchema {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The schema file is not JSON.
    #[error("schema {path} is not JSON")]
    ParseSchema {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The schema could not be compiled into a validator.
    #[error("cannot build a validator from {path}")]
    CompileSchema {
        /// The schema file.
        path: PathBuf,
        /// The validator library's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The log breaks the schema; every violation found is listed.
    #[error("{} schema violation(s); first: {}", violations.len(), violations.first().map(ToString::to_string).unwrap_or_default())]
    Invalid {
        /// All violations.
        violations: Vec<SchemaViolation>,
    },
}

/// Refuses every retrieval: tests never touch the network.
struct NoRetrieval;

impl Retrieve for NoRetrieval {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("{uri} is not registered and is not fetched").into())
    }
}

/// Validates a SARIF log against `schema_dir/sarif-2.1.0/sarif-schema-2.1.0.json`.
pub fn validate_sarif(log: &Value, schema_dir: &Path) -> Result<(), SchemaValidationError> {
    let path = schema_dir.join(SARIF_SCHEMA);
    let text =
        std::fs::read(&path).map_err(|source| SchemaValidationError::ReadSchema { path: path.clone(), source })?;
    let schema: Value = serde_json::from_slice(&text)
        .map_err(|source| SchemaValidationError::ParseSchema { path: path.clone(), source })?;
    let validator = jsonschema::options()
        .with_retriever(NoRetrieval)
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| SchemaValidationError::CompileSchema { path: path.clone(), source: Box::new(e) })?;
    let violations: Vec<SchemaViolation> = validator
        .iter_errors(log)
        .map(|e| SchemaViolation {
            instance_path: e.instance_path().to_string(),
            schema_path: e.schema_path().to_string(),
            message: e.to_string(),
        })
        .collect();
    if violations.is_empty() { Ok(()) } else { Err(SchemaValidationError::Invalid { violations }) }
}
