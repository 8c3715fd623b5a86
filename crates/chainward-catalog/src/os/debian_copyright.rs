//! Licenses from Debian copyright files: the machine-readable format's `License:` fields
//! (DEP-5, <https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/>), and for
//! free-form files the `/usr/share/common-licenses/NAME` references Debian policy §12.5
//! asks for. Debian short names are mapped to SPDX ids where the mapping is exact.

/// Debian short names (copyright-format §"License short name") → SPDX ids.
fn to_spdx(name: &str) -> String {
    let mapped = match name {
        "GPL-1" => "GPL-1.0-only",
        "GPL-1+" => "GPL-1.0-or-later",
        "GPL-2" => "GPL-2.0-only",
        "GPL-2+" => "GPL-2.0-or-later",
        "GPL-3" => "GPL-3.0-only",
        "GPL-3+" => "GPL-3.0-or-later",
        "LGPL-2" => "LGPL-2.0-only",
        "LGPL-2+" => "LGPL-2.0-or-later",
        "LGPL-2.1" => "LGPL-2.1-only",
        "LGPL-2.1+" => "LGPL-2.1-or-later",
        "LGPL-3" => "LGPL-3.0-only",
        "LGPL-3+" => "LGPL-3.0-or-later",
        "AGPL-3" => "AGPL-3.0-only",
        "AGPL-3+" => "AGPL-3.0-or-later",
        "GFDL-1.2" => "GFDL-1.2-only",
        "GFDL-1.2+" => "GFDL-1.2-or-later",
        "GFDL-1.3" => "GFDL-1.3-only",
        "GFDL-1.3+" => "GFDL-1.3-or-later",
        "Apache-2" | "Apache-2.0" => "Apache-2.0",
        "MPL-1.1" => "MPL-1.1",
        "MPL-2.0" => "MPL-2.0",
        "Expat" => "MIT",
        "BSD-2-clause" => "BSD-2-Clause",
        "BSD-3-clause" => "BSD-3-Clause",
        "BSD-4-clause" => "BSD-4-Clause",
        "public-domain" => "public-domain",
        other => other,
    };
    mapped.to_owned()
}

/// The distinct licenses a copyright file names, in order of first appearance.
pub(crate) fn licenses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: String| {
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    };
    let machine_readable =
        text.lines().next().is_some_and(|l| l.starts_with("Format:") || l.starts_with("Format-Specification:"));
    if machine_readable {
        for line in text.lines() {
            let Some(value) = line.strip_prefix("License:") else { continue };
            // `GPL-2+ or Artistic`, `GPL-2+ and BSD-3-clause`, `MIT, with exception`:
            // record each operand.
            for part in
                value.trim().split([',']).next().unwrap_or_default().split(" or ").flat_map(|p| p.split(" and "))
            {
                push(to_spdx(part.trim()));
            }
        }
    }
    // Free-form files (and machine-readable ones that point there too).
    for (i, _) in text.match_indices("/usr/share/common-licenses/") {
        let rest = &text[i + "/usr/share/common-licenses/".len()..];
        let name: String =
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+')).collect();
        let name = name.trim_end_matches('.');
        if !name.is_empty() && !machine_readable {
            push(to_spdx(name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep5_fields_map_to_spdx() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
                    Files: *\nLicense: GPL-2+\n\nFiles: x\nLicense: BSD-3-clause or GPL-2\n\nLicense: GPL-2+\n text\n";
        assert_eq!(licenses(text), ["GPL-2.0-or-later", "BSD-3-Clause", "GPL-2.0-only"]);
    }

    #[test]
    fn free_form_references() {
        let text = "This is free software; see /usr/share/common-licenses/GPL-3.\n";
        assert_eq!(licenses(text), ["GPL-3.0-only"]);
    }
}
