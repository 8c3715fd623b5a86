//! Symbolic routes into a document: `jobs.build.steps[2].uses`.

use std::fmt;

/// One step of a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteComponent {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path from the root to a node, kept symbolic until a span is needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Route(Vec<RouteComponent>);

impl Route {
    /// The empty route (the root).
    pub fn root() -> Self {
        Route(Vec::new())
    }

    /// The components, root first.
    pub fn components(&self) -> &[RouteComponent] {
        &self.0
    }

    /// This route extended by a key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut r = self.clone();
        r.0.push(RouteComponent::Key(key.into()));
        r
    }

    /// This route extended by an index.
    pub fn index(&self, i: usize) -> Self {
        let mut r = self.clone();
        r.0.push(RouteComponent::Index(i));
        r
    }

    /// The last component and the route to its parent.
    pub fn split_last(&self) -> Option<(&RouteComponent, Route)> {
        let (last, rest) = self.0.split_last()?;
        Some((last, Route(rest.to_vec())))
    }

    /// Parses `a.b[2].c` and `a["key.with.dots"]`; `None` when malformed.
    pub fn parse(s: &str) -> Option<Self> {
        let mut out = Vec::new();
        let mut rest = s;
        let mut first = true;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']')?;
                let inner = &r[..end];
                if let Some(q) = inner.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
                    out.push(RouteComponent::Key(q.to_owned()));
                } else {
                    out.push(RouteComponent::Index(inner.parse().ok()?));
                }
                rest = &r[end + 1..];
            } else {
                let r = if first { rest } else { rest.strip_prefix('.')? };
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if end == 0 {
                    return None;
                }
                out.push(RouteComponent::Key(r[..end].to_owned()));
                rest = &r[end..];
            }
            first = false;
        }
        Some(Route(out))
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.iter().enumerate() {
            match c {
                RouteComponent::Key(k) if k.is_empty() || k.contains(['.', '[', ']', '"']) => write!(f, "[{k:?}]")?,
                RouteComponent::Key(k) if i == 0 => f.write_str(k)?,
                RouteComponent::Key(k) => write!(f, ".{k}")?,
                RouteComponent::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in ["jobs.build.steps[2].uses", "on", "a[\"x.y\"].b", "a[0][1]"] {
            assert_eq!(Route::parse(s).unwrap().to_string(), s);
        }
        assert!(Route::parse("a..b").is_none());
        assert!(Route::parse("a[x]").is_none());
    }
}
