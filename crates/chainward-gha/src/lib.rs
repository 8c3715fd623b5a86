//! GitHub Actions models (workflows, actions, Dependabot and pre-commit configs) built over positioned YAML,
//! and a real parser for `${{ }}` expressions.
//!
//! ```
//! use chainward_gha::{parse_expression, find_expressions, ContextPart};
//! let run = "echo ${{ github.event.issue.title }}";
//! let found = find_expressions(run);
//! let expr = parse_expression(found[0].inner)?;
//! assert_eq!(expr.context_path().unwrap()[3], ContextPart::Name("title".into()));
//! # Ok::<(), chainward_gha::ExprError>(())
//! ```
#![deny(missing_docs)]

mod eval;
mod expr;
mod model;
mod pre_commit;
mod uses;

pub use eval::{Value, if_statically_false};
pub use expr::{
    BinOp, ContextPart, Expr, ExprError, ExprKind, ExpressionSpan, MAX_CHAIN, MAX_DEPTH, find_expressions,
    parse_expression, whole_expression,
};
pub use model::{Action, Dependabot, Expansion, Job, ModelError, Step, Workflow};
pub use pre_commit::{PreCommitConfig, PreCommitRepo, RemoteRepo};
pub use uses::{DockerImage, RepositoryUses, Uses};
