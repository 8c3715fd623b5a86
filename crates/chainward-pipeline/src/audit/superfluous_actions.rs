//! `superfluous-actions`: third-party actions that do what a tool already installed on
//! GitHub's runner images does (`gh`, `git`, `docker`, `jq`, `rustup`). Using one is not a
//! weakness by itself, but each is another dependency, often with a large tree of its own,
//! that can be compromised. Follows zizmor's audit of the same name (informational; the
//! actions whose replacement takes real work are for the pedantic persona, as zizmor rates
//! them).

use chainward_gha::{Step, Uses};

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Persona, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "superfluous-actions",
    description: "action functionality is already included by the runner",
    doc: "# superfluous-actions\n\nFlags steps that use an action whose job a tool preinstalled on GitHub's \
          runner images already does. Each such action adds code (and often many dependencies) to the \
          workflow's supply chain for no gain.\n\n| Action | Instead |\n|---|---|\n\
          | ncipollo/release-action, softprops/action-gh-release, elgohr/Github-Release-Action | `gh release create` |\n\
          | svenstaro/upload-release-action | `gh release create` / `gh release upload` |\n\
          | peter-evans/create-pull-request (pedantic) | `gh pr create` |\n\
          | peter-evans/create-or-update-comment (pedantic) | `gh pr comment` / `gh issue comment` |\n\
          | dacbd/create-issue-action | `gh issue create` |\n\
          | actions-ecosystem/action-add-labels, action-remove-labels | `gh issue edit` / `gh pr edit` |\n\
          | addnab/docker-run-action | `docker run`, or a container step |\n\
          | sergeysova/jq-action | `jq` |\n\
          | dtolnay/rust-toolchain (pedantic) | `rustup` |\n\
          | stefanzweifel/git-auto-commit-action, EndBug/add-and-commit (pedantic) | `git add`, `git commit`, `git push` |\n\n\
          ## Fix\n\n```yaml\n- run: rustup toolchain install 1.80.0\n```\n",
};

/// One superfluous action: `owner/repo` (lower-case; the action at the repository root), what
/// to use instead, who the finding is for and how sure we are that the replacement is easy.
struct Superfluous {
    slug: &'static str,
    instead: &'static str,
    persona: Persona,
    confidence: Confidence,
}

const fn regular(slug: &'static str, instead: &'static str) -> Superfluous {
    Superfluous { slug, instead, persona: Persona::Regular, confidence: Confidence::High }
}

/// The actions, from zizmor's documented table. Pedantic entries: replacing them takes more
/// than one command (a pull request needs a branch, push and `gh pr create`; comment editing by
/// id is not in `gh`; rust-toolchain also sets up the environment; the commit actions detect
/// empty commits and set up authentication).
const SUPERFLUOUS: &[Superfluous] = &[
    regular("ncipollo/release-action", "use `gh release` in a script step"),
    regular("softprops/action-gh-release", "use `gh release` in a script step"),
    regular("elgohr/github-release-action", "use `gh release` in a script step"),
    Superfluous {
        slug: "peter-evans/create-pull-request",
        instead: "use `gh pr create` in a script step",
        persona: Persona::Pedantic,
        confidence: Confidence::Low,
    },
    Superfluous {
        slug: "peter-evans/create-or-update-comment",
        instead: "use `gh pr comment` or `gh issue comment` in a script step",
        persona: Persona::Pedantic,
        confidence: Confidence::Low,
    },
    regular("dacbd/create-issue-action", "use `gh issue create` in a script step"),
    regular(
        "actions-ecosystem/action-add-labels",
        "use `gh issue edit --add-label` or `gh pr edit --add-label` in a script step",
    ),
    regular(
        "actions-ecosystem/action-remove-labels",
        "use `gh issue edit --remove-label` or `gh pr edit --remove-label` in a script step",
    ),
    regular("svenstaro/upload-release-action", "use `gh release create` and `gh release upload` in a script step"),
    regular("addnab/docker-run-action", "use `docker run` in a script step, or use a container step"),
    regular("sergeysova/jq-action", "use `jq` in a script step"),
    Superfluous {
        slug: "dtolnay/rust-toolchain",
        instead: "use `rustup` and/or `cargo` in a script step",
        persona: Persona::Pedantic,
        confidence: Confidence::Medium,
    },
    Superfluous {
        slug: "stefanzweifel/git-auto-commit-action",
        instead: "use `git add`, `git commit`, and `git push` in a script step",
        persona: Persona::Pedantic,
        confidence: Confidence::Low,
    },
    Superfluous {
        slug: "endbug/add-and-commit",
        instead: "use `git add`, `git commit`, and `git push` in a script step",
        persona: Persona::Pedantic,
        confidence: Confidence::Low,
    },
];

pub(super) struct SuperfluousActions;

impl Audit for SuperfluousActions {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        let Some(Uses::Repository(uses)) = step.uses() else { return };
        // The action at the repository root only: a subpath is a different action.
        if uses.subpath.is_some() {
            return;
        }
        for entry in SUPERFLUOUS {
            let matches = entry.slug.split_once('/').is_some_and(|(owner, repo)| {
                owner.eq_ignore_ascii_case(&uses.owner) && repo.eq_ignore_ascii_case(&uses.repo)
            });
            if matches {
                let raw = step.node.get_str("uses").unwrap_or_default().trim().to_owned();
                let primary = Spot::new(step.route.key("uses"), Focus::Text(raw), entry.instead);
                let hidden = Spot::new(step.route.clone(), Focus::Value, "");
                out.report(
                    Draft::new(Severity::Informational, entry.confidence, primary)
                        .persona(entry.persona)
                        .hidden(hidden),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{Config, Filter, Finding, Persona, audit, load};

    fn findings(name: &str, yaml: &str, persona: Persona) -> Vec<Finding> {
        let input = load(name, Path::new(name), yaml.as_bytes(), &Default::default()).unwrap();
        let report = audit(&[input], &Config::default(), &Filter { persona, ..Filter::default() });
        report.findings.into_iter().filter(|f| f.id == "superfluous-actions").collect()
    }

    fn lines(fs: &[Finding]) -> Vec<usize> {
        fs.iter().map(|f| f.primary.line).collect()
    }

    const WORKFLOW: &str = "on: push\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      \
                            - uses: softprops/action-gh-release@v2\n      \
                            - uses: dtolnay/rust-toolchain@stable\n      \
                            - uses: Sergeysova/JQ-Action@v2\n        with: {cmd: jq .}\n";

    #[test]
    fn regular_and_pedantic() {
        let regular = findings(".github/workflows/ci.yml", WORKFLOW, Persona::Regular);
        assert_eq!(lines(&regular), [6, 8]);
        assert!(regular.iter().all(|f| f.severity == crate::Severity::Informational));
        assert!(regular[0].primary.annotation.contains("gh release"));
        let pedantic = findings(".github/workflows/ci.yml", WORKFLOW, Persona::Pedantic);
        assert_eq!(lines(&pedantic), [6, 7, 8]);
        assert_eq!(pedantic[1].confidence, crate::Confidence::Medium);
    }

    #[test]
    fn composite_actions() {
        let action = "name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n    \
                      - uses: addnab/docker-run-action@v3\n      with: {image: alpine}\n";
        assert_eq!(lines(&findings("action.yml", action, Persona::Regular)), [6]);
    }

    #[test]
    fn negatives() {
        // Other actions, other owners, subpaths, local and Docker references, and `run:` steps
        // that mention the names.
        let wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
                  - uses: actions/checkout@v4\n      - uses: someone/action-gh-release@v2\n      \
                  - uses: softprops/action-gh-release/sub@v2\n      - uses: ./softprops/action-gh-release\n      \
                  - uses: docker://softprops/action-gh-release\n      \
                  - run: echo softprops/action-gh-release\n";
        assert!(findings(".github/workflows/ci.yml", wf, Persona::Auditor).is_empty());
    }

    #[test]
    fn inline_ignore_on_the_step() {
        let wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
                  - name: release # chainward: ignore[superfluous-actions]\n        \
                  uses: ncipollo/release-action@v1\n";
        assert!(findings(".github/workflows/ci.yml", wf, Persona::Regular).is_empty());
    }
}
