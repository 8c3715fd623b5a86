//! Image references from the shared corpus: the expected parses of the k8s fixture images, and
//! every `image` of the admission reviews and real-world manifests, which must parse and
//! round-trip through `Display`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs,
    reason = "a test: it fails loudly and tells why it skips"
)]

use std::path::{Path, PathBuf};

use chainward_image::{Reference, ReferenceError};

/// `../shared` beside the workspace (see `chainward_testkit::shared_dir`: fails under CI).
fn shared() -> Option<PathBuf> {
    chainward_testkit::shared_dir()
}

/// A TSV file as (header, rows), each row a vector of fields.
fn read_tsv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.is_empty());
    let header =
        lines.next().unwrap_or_else(|| panic!("{} is empty", path.display())).split('\t').map(str::to_owned).collect();
    let rows = lines.map(|l| l.split('\t').map(str::to_owned).collect()).collect();
    (header, rows)
}

fn column(header: &[String], name: &str, path: &Path) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("{} has no column {name:?}: {header:?}", path.display()))
}

/// Parses `image`, and checks that its normalised and familiar forms read back as itself.
fn parse_and_round_trip(image: &str, origin: &str) -> Reference {
    let r = Reference::parse(image).unwrap_or_else(|e| panic!("{origin}: {image:?}: {e}"));
    for form in [r.to_string(), r.familiar()] {
        let again = Reference::parse(&form).unwrap_or_else(|e| panic!("{origin}: {form:?}: {e}"));
        assert_eq!(again, r, "{origin}: {image:?} → {form:?}");
        assert_eq!(again.to_string(), r.to_string(), "{origin}: {image:?} → {form:?}");
    }
    r
}

/// A corpus string that is not a valid reference, the error it must give, and why.
struct KnownInvalid {
    image: &'static str,
    is_expected: fn(&ReferenceError) -> bool,
    why: &'static str,
}

/// None so far: every `image` in the corpus is a reference `docker pull` accepts.
const KNOWN_INVALID: &[KnownInvalid] = &[];

fn check_image(image: &str, origin: &str) {
    if let Some(known) = KNOWN_INVALID.iter().find(|k| k.image == image) {
        let err = Reference::parse(image).expect_err(image);
        assert!((known.is_expected)(&err), "{origin}: {image:?} ({}): unexpected {err}", known.why);
        return;
    }
    parse_and_round_trip(image, origin);
}

#[test]
fn k8s_fixture_images_parse_as_expected() {
    let Some(shared) = shared() else { return };
    let path = shared.join("images/k8s/EXPECTED-IMAGES.tsv");
    let (header, rows) = read_tsv(&path);
    let col = |name| column(&header, name, &path);
    let (image, registry, repository, tag, digest) =
        (col("image"), col("registry"), col("repository"), col("tag"), col("digest"));
    assert!(!rows.is_empty(), "{} has no rows", path.display());
    let field = |row: &Vec<String>, i: usize| row.get(i).map_or("", String::as_str).to_owned();
    for row in &rows {
        let written = field(row, image);
        let origin = format!("{}: {}", path.display(), row.join(" "));
        let r = parse_and_round_trip(&written, &origin);
        assert_eq!(r.registry(), field(row, registry), "{origin}");
        assert_eq!(r.repository(), field(row, repository), "{origin}");
        match field(row, tag).as_str() {
            "" => assert_eq!(r.tag(), None, "{origin}"),
            "latest (implicit)" => {
                assert_eq!(r.tag(), None, "{origin}");
                assert_eq!(r.tag_or_latest(), Some("latest"), "{origin}");
                assert!(r.to_string().ends_with(":latest"), "{origin}");
            }
            t => assert_eq!(r.tag(), Some(t), "{origin}"),
        }
        let want_digest = field(row, digest);
        assert_eq!(r.digest().map(ToString::to_string).unwrap_or_default(), want_digest, "{origin}");
    }
}

#[test]
fn admission_review_images_parse() {
    let Some(shared) = shared() else { return };
    let path = shared.join("corpus/admission/index.tsv");
    let (header, rows) = read_tsv(&path);
    let (file, images) = (column(&header, "file", &path), column(&header, "images", &path));
    let n_images = column(&header, "n_images", &path);
    let mut seen = 0;
    for row in &rows {
        let origin = format!("{}: {}", path.display(), row[file]);
        let listed: Vec<&str> = match row[images].as_str() {
            "-" => Vec::new(),
            list => list.split(';').collect(),
        };
        // The index's own count keeps a silently truncated row from passing.
        assert_eq!(listed.len().to_string(), row[n_images], "{origin}");
        for image in listed {
            check_image(image, &origin);
            seen += 1;
        }
    }
    assert!(seen > 0, "{} lists no images", path.display());
}

/// `index.tsv` has no image column of its own: its `entries` column holds
/// `kind|namespace/name|container|image` items, `;`-separated. `containers.tsv` lists the same
/// containers one a row with an `image` column; both are read and must agree.
#[test]
fn k8s_manifest_images_parse() {
    let Some(shared) = shared() else { return };
    let index = shared.join("corpus/k8s-manifests/index.tsv");
    let (header, rows) = read_tsv(&index);
    let (file, entries) =
        (column(&header, "file", &index), column(&header, "entries(kind|namespace/name|container|image)", &index));
    let mut from_index = Vec::new();
    for row in &rows {
        let Some(list) = row.get(entries).filter(|l| !l.is_empty() && *l != "-") else {
            continue;
        };
        for entry in list.split(';') {
            let image = entry
                .splitn(4, '|')
                .nth(3)
                .unwrap_or_else(|| panic!("{}: {}: entry {entry:?}", index.display(), row[file]));
            check_image(image, &format!("{}: {}", index.display(), row[file]));
            from_index.push(image.to_owned());
        }
    }
    assert!(!from_index.is_empty(), "{} lists no images", index.display());

    let containers = shared.join("corpus/k8s-manifests/containers.tsv");
    let (header, rows) = read_tsv(&containers);
    let image = column(&header, "image", &containers);
    let mut from_containers: Vec<String> = rows.iter().map(|r| r[image].clone()).collect();
    for written in &from_containers {
        check_image(written, &containers.display().to_string());
    }
    from_index.sort();
    from_containers.sort();
    assert_eq!(from_index, from_containers);
}
