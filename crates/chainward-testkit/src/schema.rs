//! Validation of written documents (CycloneDX, SPDX, SARIF) against the official JSON schemas,
//! for the tests of every crate that writes them.
//!
//! The schemas are read from a folder laid out like the project's shared corpus
//! (`shared/corpus/schemas`, which holds byte-for-byte copies of the upstream files):
//!
//! - `cyclonedx-1.6/bom-1.6.schema.json`, which `$ref`s `spdx.schema.json` and
//!   `jsf-0.82.schema.json` by relative name; both are registered under the URIs those names
//!   resolve to against the main schema's `$id` (`http://cyclonedx.org/schema/…`);
//! - `spdx-2.3/spdx-schema.json`;
//! - `sarif-2.1.0/sarif-schema-2.1.0.json` (draft-04, self-contained).
//!
//! Nothing is ever fetched: every resource is registered up front, and the retriever refuses
//! anything else, so a missing file fails validator construction instead of reaching the network.
//! `format` keywords are asserted (so a bad `date-time` is caught), as the Python `jsonschema`
//! the corpus README mentions is usually run with a format checker.
//!
//! ```no_run
//! use chainward_testkit::schema::{SchemaKind, validate_against_schema};
//! # fn check(written: &[u8], schemas: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
//! let doc: serde_json::Value = serde_json::from_slice(written)?;
//! validate_against_schema(SchemaKind::CycloneDx16, &doc, schemas)?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use jsonschema::{Registry, Retrieve, Uri};
use serde_json::Value;

/// Which schema to validate against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// CycloneDX 1.6 JSON (`cyclonedx-1.6/bom-1.6.schema.json`).
    CycloneDx16,
    /// SPDX 2.3 JSON (`spdx-2.3/spdx-schema.json`).
    Spdx23,
    /// SARIF 2.1.0 (`sarif-2.1.0/sarif-schema-2.1.0.json`).
    Sarif210,
}

struct SchemaFiles {
    main: &'static str,
    /// Resources the main schema references: (URI it resolves to, file).
    referenced: &'static [(&'static str, &'static str)],
}

impl SchemaKind {
    fn files(self) -> SchemaFiles {
        match self {
            SchemaKind::CycloneDx16 => SchemaFiles {
                main: "cyclonedx-1.6/bom-1.6.schema.json",
                referenced: &[
                    ("http://cyclonedx.org/schema/spdx.schema.json", "cyclonedx-1.6/spdx.schema.json"),
                    ("http://cyclonedx.org/schema/jsf-0.82.schema.json", "cyclonedx-1.6/jsf-0.82.schema.json"),
                ],
            },
            SchemaKind::Spdx23 => SchemaFiles { main: "spdx-2.3/spdx-schema.json", referenced: &[] },
            SchemaKind::Sarif210 => SchemaFiles { main: "sarif-2.1.0/sarif-schema-2.1.0.json", referenced: &[] },
        }
    }
}

/// One way in which a document breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer to the offending value in the document, e.g. `/components/3/name`.
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

/// Why a document could not be shown valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaValidationError {
    /// A schema file could not be read.
    #[error("cannot read schema {path}")]
    ReadSchema {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A schema file is not JSON.
    #[error("schema {path} is not JSON")]
    ParseSchema {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The schemas could not be compiled into a validator (e.g. an unresolvable `$ref`).
    #[error("cannot build a validator from {path}")]
    CompileSchema {
        /// The main schema file.
        path: PathBuf,
        /// The validator library's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The document breaks the schema; every violation found is listed.
    #[error("{} schema violation(s); first: {}", violations.len(), violations.first().map(ToString::to_string).unwrap_or_default())]
    Invalid {
        /// All violations.
        violations: Vec<SchemaViolation>,
    },
}

/// Refuses every retrieval: all resources are registered up front, and tests never touch the
/// network.
struct NoRetrieval;

impl Retrieve for NoRetrieval {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("{uri} is not registered and is not fetched").into())
    }
}

fn read_json(path: &Path) -> Result<Value, SchemaValidationError> {
    let text =
        std::fs::read(path).map_err(|source| SchemaValidationError::ReadSchema { path: path.to_owned(), source })?;
    serde_json::from_slice(&text).map_err(|source| SchemaValidationError::ParseSchema { path: path.to_owned(), source })
}

/// Validates `document` against the official schema of `kind`, read from `schema_dir` (a folder
/// laid out like `shared/corpus/schemas`, see the module docs).
pub fn validate_against_schema(
    kind: SchemaKind,
    document: &Value,
    schema_dir: &Path,
) -> Result<(), SchemaValidationError> {
    let files = kind.files();
    let main_path = schema_dir.join(files.main);
    let main = read_json(&main_path)?;
    let mut referenced = Vec::with_capacity(files.referenced.len());
    for (uri, file) in files.referenced {
        referenced.push((*uri, read_json(&schema_dir.join(file))?));
    }
    let compile = |source: Box<dyn std::error::Error + Send + Sync>| SchemaValidationError::CompileSchema {
        path: main_path.clone(),
        source,
    };
    let registry = Registry::new()
        .retriever(NoRetrieval)
        .extend(referenced)
        .and_then(|b| b.prepare())
        .map_err(|e| compile(Box::new(e)))?;
    let validator = jsonschema::options()
        .with_registry(&registry)
        .with_retriever(NoRetrieval)
        .should_validate_formats(true)
        .build(&main)
        .map_err(|e| compile(Box::new(e)))?;
    let violations: Vec<SchemaViolation> = validator
        .iter_errors(document)
        .map(|e| SchemaViolation {
            instance_path: e.instance_path().to_string(),
            schema_path: e.schema_path().to_string(),
            message: e.to_string(),
        })
        .collect();
    if violations.is_empty() { Ok(()) } else { Err(SchemaValidationError::Invalid { violations }) }
}
