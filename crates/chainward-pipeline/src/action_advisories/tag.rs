//! Versions as GitHub Actions tags spell them, and the ranges OSV builds from them.
//!
//! Action versions are git tags. By convention (GitHub's "Using release management for
//! actions") a release is tagged `vMAJOR.MINOR.PATCH` and a *floating* tag `vMAJOR` (sometimes
//! `vMAJOR.MINOR`) is moved to the newest release of its line. So `v45` names whichever
//! `45.x.y` was newest at the time: the line `[45.0.0, 46.0.0)`. Versions are compared as
//! SemVer 2.0.0 §11 orders them (pre-releases below their release, build metadata ignored);
//! a leading `v`/`V` is optional on both sides, because OSV records for this ecosystem write
//! `46.0.1` while workflows write `v46.0.1`.

use std::cmp::Ordering;

/// A pre-release identifier (SemVer §11.4: numeric ones sort below alphanumeric ones).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreId {
    Num(u64),
    Alpha(String),
}

/// A complete version (missing components are 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<PreId>,
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch)).then_with(|| {
            // A release sorts above its pre-releases.
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How much of a version a tag names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    /// `v45`: the whole major line (a floating tag).
    Major,
    /// `v45.0`: one minor line (a floating tag).
    Minor,
    /// `v45.0.7`, or anything with a pre-release: one release.
    Exact,
}

/// A version-like tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    /// The lowest version the tag can name.
    pub(crate) version: Version,
    /// How much it names.
    pub(crate) precision: Precision,
}

impl Tag {
    /// Parses `[v]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`; `None` for anything else (branches,
    /// `release/v1`, four components, numbers that overflow).
    pub(crate) fn parse(s: &str) -> Option<Tag> {
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let s = s.split_once('+').map_or(s, |(v, _build)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let mut numbers = [0u64; 3];
        let mut count = 0;
        for part in core.split('.') {
            if count == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *numbers.get_mut(count)? = part.parse().ok()?;
            count += 1;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let mut ids = Vec::new();
                for id in p.split('.') {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                        return None;
                    }
                    ids.push(match id.parse::<u64>() {
                        Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) => PreId::Num(n),
                        _ => PreId::Alpha(id.to_owned()),
                    });
                }
                ids
            }
        };
        let [major, minor, patch] = numbers;
        let precision = match (count, pre.is_empty()) {
            (_, false) | (3, true) => Precision::Exact,
            (2, true) => Precision::Minor,
            _ => Precision::Major,
        };
        Some(Tag { version: Version { major, minor, patch, pre }, precision })
    }

    /// The first version past a floating tag's line (`v45` → `46.0.0`); `None` when the tag
    /// names one release or the next line number does not fit.
    pub(crate) fn line_end(&self) -> Option<Version> {
        let v = &self.version;
        match self.precision {
            Precision::Exact => None,
            Precision::Major => Some(Version { major: v.major.checked_add(1)?, minor: 0, patch: 0, pre: Vec::new() }),
            Precision::Minor => {
                Some(Version { major: v.major, minor: v.minor.checked_add(1)?, patch: 0, pre: Vec::new() })
            }
        }
    }
}

/// A version as an OSV event writes it (`0`, `46.0.1`, `v46`): missing components are 0.
pub(crate) fn parse_version(s: &str) -> Option<Version> {
    Tag::parse(s.trim()).map(|t| t.version)
}

/// Where an affected interval ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// No end: every later version is affected too.
    Open,
    /// `fixed`: this version and later ones are not affected.
    Fixed(Version),
    /// `last_affected`: this version is the last affected one.
    LastAffected(Version),
}

/// One affected interval of an OSV ECOSYSTEM/SEMVER range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interval {
    /// The first affected version; `None` for OSV's `introduced: "0"` (everything before).
    pub(crate) start: Option<Version>,
    /// The end.
    pub(crate) end: End,
}

impl Interval {
    /// Whether one version is affected.
    pub(crate) fn contains(&self, v: &Version) -> bool {
        self.start.as_ref().is_none_or(|s| s <= v)
            && match &self.end {
                End::Open => true,
                End::Fixed(f) => v < f,
                End::LastAffected(l) => v <= l,
            }
    }

    /// Whether some version in `[lo, hi)` is affected.
    pub(crate) fn intersects(&self, lo: &Version, hi: &Version) -> bool {
        self.start.as_ref().is_none_or(|s| s < hi)
            && match &self.end {
                End::Open => true,
                End::Fixed(f) => lo < f,
                End::LastAffected(l) => lo <= l,
            }
    }

    /// Whether the newest release of the line `[lo, hi)` is taken to be affected: some
    /// affected version is in the line and the interval is not closed by a `fixed` release
    /// inside it (floating tags move forward, so a line that got the fix names the fix now).
    /// A `last_affected` end inside the line says nothing about later releases, so it counts.
    pub(crate) fn covers_line_tip(&self, lo: &Version, hi: &Version) -> bool {
        self.intersects(lo, hi) && !matches!(&self.end, End::Fixed(f) if f < hi)
    }
}

/// An OSV range event, already parsed.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
}

/// The affected intervals of one range (OSV schema, "Evaluation": events are sorted by
/// version, `introduced` opens an interval, `fixed`/`last_affected` close it).
pub(crate) fn intervals(mut events: Vec<Event>) -> Vec<Interval> {
    fn key(e: &Event) -> Option<&Version> {
        match e {
            Event::Introduced(v) => v.as_ref(),
            Event::Fixed(v) | Event::LastAffected(v) => Some(v),
        }
    }
    // `None` (introduced "0") sorts first; the sort is stable for equal versions.
    events.sort_by(|a, b| key(a).cmp(&key(b)));
    let mut out = Vec::new();
    let mut open: Option<Option<Version>> = None;
    for e in events {
        match e {
            Event::Introduced(v) => {
                if open.is_none() {
                    open = Some(v);
                }
            }
            Event::Fixed(f) => {
                if let Some(start) = open.take() {
                    out.push(Interval { start, end: End::Fixed(f) });
                }
            }
            Event::LastAffected(l) => {
                if let Some(start) = open.take() {
                    out.push(Interval { start, end: End::LastAffected(l) });
                }
            }
        }
    }
    if let Some(start) = open {
        out.push(Interval { start, end: End::Open });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse_version(s).unwrap()
    }

    #[test]
    fn tag_forms() {
        assert_eq!(Tag::parse("v45").unwrap().precision, Precision::Major);
        assert_eq!(Tag::parse("45").unwrap().precision, Precision::Major);
        assert_eq!(Tag::parse("V45.0").unwrap().precision, Precision::Minor);
        assert_eq!(Tag::parse("v45.0.7").unwrap().precision, Precision::Exact);
        assert_eq!(Tag::parse("v46.0.0-rc.1").unwrap().precision, Precision::Exact);
        assert_eq!(Tag::parse("v45").unwrap().line_end(), Some(v("46.0.0")));
        assert_eq!(Tag::parse("v45.2").unwrap().line_end(), Some(v("45.3.0")));
        for bad in ["main", "release/v1", "v", "v1.2.3.4", "v1..2", "1.x", "v1.2.3-", "v99999999999999999999", ""] {
            assert!(Tag::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn semver_order() {
        assert!(v("v45.0.7") < v("46.0.1"));
        assert!(v("45.0.10") > v("45.0.9"));
        assert!(v("46.0.0-rc.1") < v("46.0.0"));
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-alpha.beta"));
        assert!(v("1.0.0-beta.2") < v("1.0.0-beta.11"));
        assert_eq!(v("v46.0.1+build.5"), v("46.0.1"));
        assert_eq!(v("v46"), v("46.0.0"));
    }

    #[test]
    fn events_become_intervals() {
        let i = intervals(vec![Event::Fixed(v("46.0.1")), Event::Introduced(None)]);
        assert_eq!(i, vec![Interval { start: None, end: End::Fixed(v("46.0.1")) }]);
        assert!(i[0].contains(&v("35.7.7")));
        assert!(!i[0].contains(&v("46.0.1")));
        let i = intervals(vec![
            Event::Introduced(Some(v("1.0.0"))),
            Event::Fixed(v("1.2.0")),
            Event::Introduced(Some(v("2.0.0"))),
        ]);
        assert_eq!(i.len(), 2);
        assert!(!i.iter().any(|i| i.contains(&v("1.5.0"))));
        assert!(i.iter().any(|i| i.contains(&v("9.0.0"))));
        let i = intervals(vec![Event::Introduced(Some(v("2.0.0"))), Event::LastAffected(v("2.3.4"))]);
        assert!(i[0].contains(&v("2.3.4")));
        assert!(!i[0].contains(&v("2.3.5")));
    }

    #[test]
    fn floating_lines() {
        let fixed = Interval { start: None, end: End::Fixed(v("46.0.1")) };
        let line = |t: &str| {
            let t = Tag::parse(t).unwrap();
            let end = t.line_end().unwrap();
            (t.version, end)
        };
        let (lo, hi) = line("v45");
        assert!(fixed.covers_line_tip(&lo, &hi));
        // v46 contains the fix: the tag has moved past the affected 46.0.0, if there was one.
        let (lo, hi) = line("v46");
        assert!(fixed.intersects(&lo, &hi));
        assert!(!fixed.covers_line_tip(&lo, &hi));
        let (lo, hi) = line("v47");
        assert!(!fixed.intersects(&lo, &hi));
        let last = Interval { start: Some(v("1")), end: End::LastAffected(v("45.0.7")) };
        let (lo, hi) = line("v45");
        assert!(last.covers_line_tip(&lo, &hi));
        let (lo, hi) = line("v0");
        assert!(!last.intersects(&lo, &hi));
    }
}
