//! `typosquat-uses`: `uses:` slugs (`owner/repo`) one typo away from a popular action held by
//! a different owner: `action/checkout` for `actions/checkout`, `dokcer/login-action` for
//! `docker/login-action`. Whoever registers the misspelt name runs code in every workflow that
//! makes the typo.
//!
//! Follows zizmor's audit of the same name, which runs the typomania checks: a repeated
//! character, two adjacent characters swapped, a trailing version number, an omitted
//! character, words (split at `-`, `_`, `/`) reordered, and a character replaced by a
//! neighbouring key or a look-alike. A near miss under the popular action's own owner
//! (`actions/chekout`) is not reported: that owner controls the namespace, and the reference
//! simply fails. We cannot ask GitHub whether the misspelt repository exists (offline), so the
//! confidence is low, as zizmor's is offline. The corpus is `data/popular-actions.txt`.

use std::collections::HashMap;
use std::sync::LazyLock;

use chainward_gha::{RepositoryUses, Step, Uses, Workflow};
use chainward_yaml::Route;

use super::{Audit, AuditInfo, StepParent};
use crate::finding::{Confidence, Draft, Focus, Severity, Sink, Spot};

static INFO: AuditInfo = AuditInfo {
    id: "typosquat-uses",
    description: "action reference resembles a popular action",
    doc: "# typosquat-uses\n\nFlags `uses:` clauses whose `owner/repo` is one typo away from a well-known \
          action owned by someone else (`action/checkout` for `actions/checkout`). If an attacker registers \
          the misspelt name, the workflow runs their code.\n\nThe typos considered: a repeated, omitted or \
          substituted (neighbouring key or look-alike) character, two adjacent characters swapped, a \
          trailing version number, and words reordered. Near misses under the real owner are not reported. \
          The list of popular actions is built in (a snapshot); chainward does not check whether the \
          misspelt repository exists, so findings have low confidence.\n\n## Fix\n\nCorrect the reference: \
          `uses: actions/checkout@v4`.\n",
};

/// The popular actions.
const POPULAR: &str = include_str!("../../data/popular-actions.txt");

/// Lower-case `owner/repo` → lower-case owner.
static CORPUS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    POPULAR
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| {
            let (owner, repo) = l.split_once('/')?;
            (!owner.is_empty() && !repo.is_empty()).then(|| (l.to_ascii_lowercase(), owner.to_ascii_lowercase()))
        })
        .collect()
});

/// Characters a slug can hold (for the omitted-character check).
const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789-_./";

/// Keyboard rows of a US QWERTY layout, each offset half a key from the one above: a key's
/// neighbours are the keys beside it, and above and below it on the staggered rows.
const ROWS: [&str; 4] = ["1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// Look-alikes and separators that are easily confused (both directions are tried).
const CONFUSABLE: &[(&str, &str)] = &[
    ("m", "rn"),
    ("w", "vv"),
    ("l", "1"),
    ("l", "i"),
    ("o", "0"),
    ("-", "_"),
    ("-", "."),
    ("_", "."),
    ("-", ""),
    ("_", ""),
    (".", ""),
];

/// Slugs longer than this are not checked: no GitHub owner/repo is (39 + 1 + 100 characters),
/// and the checks' work grows with the length.
const MAX_SLUG: usize = 140;

/// Most words reordered by the swapped-words check (their permutations are tried).
const MAX_WORDS: usize = 5;

fn neighbours(c: char) -> Vec<char> {
    let mut out = Vec::new();
    for (r, row) in ROWS.iter().enumerate() {
        let Some(i) = row.find(c) else { continue };
        let row: Vec<char> = row.chars().collect();
        let mut add = |row: &[char], j: Option<usize>| {
            if let Some(k) = j.and_then(|j| row.get(j)) {
                out.push(*k);
            }
        };
        add(&row, i.checked_sub(1));
        add(&row, Some(i + 1));
        if let Some(above) = r.checked_sub(1).and_then(|a| ROWS.get(a)) {
            let above: Vec<char> = above.chars().collect();
            add(&above, Some(i));
            add(&above, Some(i + 1));
        }
        if let Some(below) = ROWS.get(r + 1) {
            let below: Vec<char> = below.chars().collect();
            add(&below, i.checked_sub(1));
            add(&below, Some(i));
        }
    }
    out
}

/// What kind of typo turns the popular name into the one written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typo {
    Repeated,
    SwappedCharacters,
    Version,
    Omitted,
    SwappedWords,
    Substituted,
}

impl Typo {
    fn describe(self) -> &'static str {
        match self {
            Typo::Repeated => "a repeated character",
            Typo::SwappedCharacters => "two swapped characters",
            Typo::Version => "an added version number",
            Typo::Omitted => "an omitted character",
            Typo::SwappedWords => "reordered words",
            Typo::Substituted => "a mistyped character",
        }
    }
}

/// Every name the written `slug` could be a typo of, with the kind of typo, in the order
/// the checks run.
fn variants(slug: &str) -> Vec<(String, Typo)> {
    let chars: Vec<char> = slug.chars().collect();
    let rebuild = |at: usize, len: usize, with: &str| -> String {
        let mut s: String = chars[..at].iter().collect();
        s.push_str(with);
        s.extend(chars.get(at + len..).unwrap_or_default());
        s
    };
    let mut out = Vec::new();
    for (i, w) in chars.windows(2).enumerate() {
        if w[0] == w[1] && w[0].is_ascii() {
            out.push((rebuild(i, 2, &w[0].to_string()), Typo::Repeated));
        }
    }
    for (i, w) in chars.windows(2).enumerate() {
        if w[0] != w[1] {
            out.push((rebuild(i, 2, &format!("{}{}", w[1], w[0])), Typo::SwappedCharacters));
        }
    }
    let trimmed = slug.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches('-');
    if !trimmed.is_empty() && trimmed != slug {
        out.push((trimmed.to_owned(), Typo::Version));
    }
    for i in 0..=chars.len() {
        for c in ALPHABET.chars() {
            out.push((rebuild(i, 0, &c.to_string()), Typo::Omitted));
        }
    }
    let words: Vec<&str> = slug.split(['-', '_', '/']).collect();
    if (2..=MAX_WORDS).contains(&words.len()) {
        for order in permutations(words.len()) {
            for sep in ["-", "_", "/"] {
                let joined = order.iter().filter_map(|&i| words.get(i).copied()).collect::<Vec<_>>().join(sep);
                out.push((joined, Typo::SwappedWords));
            }
        }
    }
    for (i, c) in chars.iter().enumerate() {
        for n in neighbours(*c) {
            out.push((rebuild(i, 1, &n.to_string()), Typo::Substituted));
        }
    }
    for (a, b) in CONFUSABLE {
        for (from, to) in [(a, b), (b, a)] {
            if from.is_empty() {
                continue;
            }
            for (at, _) in slug.match_indices(from) {
                let mut s = String::with_capacity(slug.len() + 1);
                s.push_str(&slug[..at]);
                s.push_str(to);
                s.push_str(&slug[at + from.len()..]);
                out.push((s, Typo::Substituted));
            }
        }
    }
    out
}

/// All orderings of `0..n` (n is at most [`MAX_WORDS`]), by Heap's algorithm, iteratively.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut a: Vec<usize> = (0..n).collect();
    let mut out = vec![a.clone()];
    let mut c = vec![0; n];
    let mut i = 1;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                a.swap(0, i);
            } else {
                a.swap(c[i], i);
            }
            out.push(a.clone());
            c[i] += 1;
            i = 1;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    out
}

/// The popular action `uses` looks like a typo of, if any, and how.
fn squatted(uses: &RepositoryUses) -> Option<(&'static str, Typo)> {
    let slug = format!("{}/{}", uses.owner, uses.repo).to_ascii_lowercase();
    let owner = uses.owner.to_ascii_lowercase();
    if slug.len() > MAX_SLUG || CORPUS.contains_key(&slug) {
        return None;
    }
    variants(&slug).into_iter().find_map(|(name, typo)| {
        let (popular, popular_owner) = CORPUS.get_key_value(&name)?;
        (name != slug && *popular_owner != owner).then_some((popular.as_str(), typo))
    })
}

pub(super) struct TyposquatUses;

impl TyposquatUses {
    /// `parent` is the step or calling job holding `uses:`.
    fn check(uses: &RepositoryUses, parent: &Route, out: &mut Sink<'_>) {
        let Some((popular, typo)) = squatted(uses) else { return };
        let slug = format!("{}/{}", uses.owner, uses.repo);
        let primary = Spot::new(
            parent.key("uses"),
            Focus::Text(slug.clone()),
            format!("{} looks like {popular} with {}", slug.to_ascii_lowercase(), typo.describe()),
        );
        let hidden = Spot::whole_entry(parent);
        out.report(Draft::new(Severity::High, Confidence::Low, primary).hidden(hidden));
    }
}

impl Audit for TyposquatUses {
    fn info(&self) -> &'static AuditInfo {
        &INFO
    }

    fn workflow(&self, workflow: &Workflow, out: &mut Sink<'_>) {
        for job in workflow.jobs() {
            if let Some(Uses::Repository(uses)) = job.node.get_str("uses").and_then(Uses::parse) {
                Self::check(&uses, &job.route, out);
            }
            self.job(workflow, &job, out);
        }
    }

    fn step(&self, _parent: StepParent<'_>, step: &Step<'_>, out: &mut Sink<'_>) {
        if let Some(Uses::Repository(uses)) = step.uses() {
            Self::check(&uses, &step.route, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{Config, Filter, Finding, audit, load};

    fn findings(name: &str, yaml: &str) -> Vec<Finding> {
        let input = load(name, Path::new(name), yaml.as_bytes(), &Default::default()).unwrap();
        let report = audit(&[input], &Config::default(), &Filter::default());
        report.findings.into_iter().filter(|f| f.id == "typosquat-uses").collect()
    }

    fn squat(slug: &str) -> Option<(&'static str, Typo)> {
        let Some(Uses::Repository(u)) = Uses::parse(&format!("{slug}@v1")) else { panic!("{slug}") };
        squatted(&u)
    }

    #[test]
    fn each_kind_of_typo() {
        assert_eq!(squat("action/checkout"), Some(("actions/checkout", Typo::Omitted)));
        assert_eq!(squat("actionss/checkout"), Some(("actions/checkout", Typo::Repeated)));
        assert_eq!(squat("dokcer/login-action"), Some(("docker/login-action", Typo::SwappedCharacters)));
        assert_eq!(squat("actoins/cache"), Some(("actions/cache", Typo::SwappedCharacters)));
        assert_eq!(squat("codecov2/codecov-action"), None, "a version on the owner is not the trailing number");
        assert_eq!(squat("docker/login-action2").map(|s| s.0), None, "same owner");
        assert_eq!(squat("actionz/checkout"), Some(("actions/checkout", Typo::Substituted)));
        assert_eq!(squat("checkout/actions"), Some(("actions/checkout", Typo::SwappedWords)));
        assert_eq!(squat("peter-evans-/create-pull-request").map(|s| s.0), Some("peter-evans/create-pull-request"));
        assert_eq!(squat("swatinern/rust-cache"), Some(("swatinem/rust-cache", Typo::Substituted)));
        assert_eq!(squat("softprops/action-gh-release2"), None, "same owner");
        assert_eq!(squat("googleapis1/release-please-action").map(|s| s.0), None);
    }

    #[test]
    fn no_typo_no_finding() {
        for ok in [
            "actions/checkout",
            "Actions/Checkout",
            "docker/login-action",
            "my-org/checkout",
            "actions/chekout", // same owner: GitHub's own namespace
            "octo-org/build-tools",
            "a/b",
        ] {
            assert_eq!(squat(ok), None, "{ok}");
        }
        let long = format!("{}/{}", "a".repeat(200), "b".repeat(200));
        assert_eq!(squat(&long), None);
    }

    #[test]
    fn steps_actions_and_reusable_workflows() {
        let wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
                  - uses: action/checkout@v4\n      - uses: actions/checkout@v4\n      \
                  - uses: ./action/checkout\n      - uses: docker://action/checkout\n  \
                  b:\n    uses: dokcer/login-action/.github/workflows/x.yml@v1\n";
        let got = findings(".github/workflows/ci.yml", wf);
        assert_eq!(got.iter().map(|f| f.primary.line).collect::<Vec<_>>(), [6, 11]);
        assert!(got.iter().all(|f| f.severity == Severity::High && f.confidence == Confidence::Low));
        assert!(got[0].primary.annotation.contains("actions/checkout"), "{}", got[0].primary.annotation);
        let action = "name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n    \
                      - uses: docker/setup-buildx-actoin@v3\n";
        assert!(findings("action.yml", action).is_empty(), "same owner");
        let action = "name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n    \
                      - uses: dockerr/setup-buildx-action@v3\n";
        assert_eq!(findings("action.yml", action).len(), 1);
    }

    #[test]
    fn keyboard() {
        let mut s = neighbours('s');
        s.sort_unstable();
        assert_eq!(s, ['a', 'd', 'e', 'w', 'x', 'z']);
        assert_eq!(permutations(3).len(), 6);
        assert_eq!(permutations(1).len(), 1);
    }

    #[test]
    fn corpus_is_well_formed() {
        assert!(CORPUS.len() > 100);
        for slug in CORPUS.keys() {
            assert_eq!(slug.split('/').count(), 2, "{slug}");
        }
    }
}
