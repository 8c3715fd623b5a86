//! Operating-system detection: os-release(5) with the fallbacks older and minimal images
//! need (`/usr/lib/os-release`, `/etc/alpine-release`, `/etc/debian_version`,
//! `/etc/redhat-release`).

use chainward_image::FileTree;
use chainward_model::OsRelease;

const OS_RELEASE: &[&str] = &["etc/os-release", "usr/lib/os-release"];
const FALLBACKS: &[&str] = &["etc/alpine-release", "etc/debian_version", "etc/redhat-release"];

/// Whether the layer walk must keep `path` for OS detection.
pub fn wants(path: &str) -> bool {
    OS_RELEASE.contains(&path) || FALLBACKS.contains(&path)
}

/// Detects the OS of a tree, or `None` when nothing identifies one (scratch, distroless
/// static images).
pub fn detect(tree: &FileTree) -> Option<OsRelease> {
    for path in OS_RELEASE {
        if let Ok(bytes) = tree.read(path)
            && let Some(os) = parse_os_release(&String::from_utf8_lossy(&bytes), &format!("/{path}"))
        {
            return Some(os);
        }
    }
    if let Ok(bytes) = tree.read("etc/alpine-release") {
        let v = String::from_utf8_lossy(&bytes).trim().to_owned();
        if !v.is_empty() {
            return Some(OsRelease {
                id: "alpine".into(),
                version_id: Some(v),
                evidence: "/etc/alpine-release".into(),
                ..Default::default()
            });
        }
    }
    if let Ok(bytes) = tree.read("etc/debian_version") {
        let v = String::from_utf8_lossy(&bytes).trim().to_owned();
        // `12.15` → VERSION_ID 12 (as os-release says); `bookworm/sid` is a codename.
        let (version_id, codename) = match v.split('.').next() {
            Some(major) if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) => {
                (Some(major.to_owned()), None)
            }
            _ => (None, v.split('/').next().map(str::to_owned).filter(|s| !s.is_empty())),
        };
        return Some(OsRelease {
            id: "debian".into(),
            version_id,
            codename,
            evidence: "/etc/debian_version".into(),
            ..Default::default()
        });
    }
    if let Ok(bytes) = tree.read("etc/redhat-release") {
        return parse_redhat_release(&String::from_utf8_lossy(&bytes));
    }
    None
}

/// `Red Hat Enterprise Linux release 8.8 (Ootpa)`, `CentOS Linux release 7.9.2009 (Core)`.
fn parse_redhat_release(text: &str) -> Option<OsRelease> {
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_owned();
    let id = match name {
        n if n.starts_with("Red Hat") => "rhel",
        n if n.starts_with("CentOS") => "centos",
        n if n.starts_with("Fedora") => "fedora",
        n if n.starts_with("Rocky") => "rocky",
        n if n.starts_with("AlmaLinux") => "almalinux",
        n if n.starts_with("Oracle") => "ol",
        _ => return None,
    };
    Some(OsRelease {
        id: id.into(),
        version_id: Some(version),
        pretty_name: Some(line.to_owned()),
        evidence: "/etc/redhat-release".into(),
        ..Default::default()
    })
}

/// Parses os-release(5): `KEY=VALUE` lines, values optionally in single or double quotes
/// with shell-style backslash escapes inside double quotes.
pub fn parse_os_release(text: &str, evidence: &str) -> Option<OsRelease> {
    let mut os = OsRelease { evidence: evidence.to_owned(), ..Default::default() };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else { continue };
        let value = unquote(raw.trim());
        match key.trim() {
            "ID" => os.id = value.to_ascii_lowercase(),
            "VERSION_ID" => os.version_id = Some(value).filter(|v| !v.is_empty()),
            "VERSION_CODENAME" => os.codename = Some(value).filter(|v| !v.is_empty()),
            "PRETTY_NAME" => os.pretty_name = Some(value).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    (!os.id.is_empty()).then_some(os)
}

fn unquote(raw: &str) -> String {
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        inner.to_owned()
    } else {
        raw.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_os_release() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";
        let os = parse_os_release(text, "/etc/os-release").unwrap();
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.codename.as_deref(), Some("bookworm"));
        assert_eq!(os.pretty_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    }

    #[test]
    fn escapes_and_single_quotes() {
        let os = parse_os_release("ID='alpine'\nPRETTY_NAME=\"a \\\"b\\\"\"\n", "x").unwrap();
        assert_eq!(os.id, "alpine");
        assert_eq!(os.pretty_name.as_deref(), Some("a \"b\""));
        assert!(parse_os_release("NAME=x\n", "x").is_none());
    }

    #[test]
    fn redhat_release() {
        let os = parse_redhat_release("Red Hat Enterprise Linux release 8.8 (Ootpa)\n").unwrap();
        assert_eq!((os.id.as_str(), os.version_id.as_deref()), ("rhel", Some("8.8")));
    }
}
