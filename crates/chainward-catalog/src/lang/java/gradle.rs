//! Gradle dependency lockfiles (`gradle.lockfile`, `*-gradle.lockfile` for buildscripts,
//! and the per-configuration `gradle/dependency-locks/*.lockfile` of Gradle before 6.0):
//! one `group:artifact:version=configuration,…` line per module, `#` comments, and an
//! `empty=…` line naming configurations without dependencies.

/// One locked module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedModule {
    /// `group:artifact`.
    pub name: String,
    /// The locked version.
    pub version: String,
    /// Only test configurations (`test…`) resolve it (Trivy's rule), so it is not part of
    /// what the project ships. A per-configuration lockfile has no configuration list: its
    /// entries are not marked dev.
    pub dev: bool,
    /// 1-based line number.
    pub line: usize,
}

/// A line that is not a lock entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// What was expected.
    pub message: String,
}

/// Reads a lockfile; malformed lines are reported, the rest is kept.
pub fn parse(text: &str) -> (Vec<LockedModule>, Vec<BadLine>) {
    let mut modules = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (coordinates, configurations) = match line.split_once('=') {
            Some((c, confs)) => (c.trim(), Some(confs)),
            None => (line, None),
        };
        if coordinates == "empty" {
            continue;
        }
        let parts: Vec<&str> = coordinates.split(':').map(str::trim).collect();
        let [group, artifact, version] = parts[..] else {
            if bad.len() < 100 {
                let shown: String = coordinates.chars().take(80).collect();
                bad.push(BadLine {
                    line: i + 1,
                    message: format!("expected group:artifact:version=configurations, found {shown:?}"),
                });
            }
            continue;
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            continue;
        }
        let dev = configurations.is_some_and(|c| {
            let confs: Vec<&str> = c.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
            !confs.is_empty() && confs.iter().all(|c| c.starts_with("test"))
        });
        modules.push(LockedModule {
            name: format!("{group}:{artifact}"),
            version: version.to_owned(),
            dev,
            line: i + 1,
        });
    }
    (modules, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_dev_and_bad_lines() {
        let (m, bad) = parse(
            "# comment\na:b:1=compileClasspath, testRuntimeClasspath\nc:d:2=testCompileClasspath,testRuntimeClasspath\n e:f:3\nnot-a-line=x\nempty=annotationProcessor\n",
        );
        let got: Vec<(&str, &str, bool)> = m.iter().map(|m| (m.name.as_str(), m.version.as_str(), m.dev)).collect();
        assert_eq!(got, [("a:b", "1", false), ("c:d", "2", true), ("e:f", "3", false)]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 5);
    }
}
