//! The image's own Package URL: `pkg:oci/<name>@<digest>?arch=…&repository_url=…&tag=…`.
//!
//! Encoded by the `packageurl` crate, like every package purl (the model crate uses it too): the
//! `:` of the digest stays as it is (purl-spec "Character encoding": `:` need not be encoded) and
//! the `/` in `repository_url` is percent-encoded; purl readers decode both forms alike.
//!
//! purl-spec PURL-TYPES "oci": the name is the last path segment of the repository, lowercased;
//! the version is the digest (required: it is what identifies the artifact); `repository_url`
//! says where it may be fetched (e.g. `docker.io/library/debian`), `tag` the tag it was pulled by,
//! `arch` its architecture. We use the *platform manifest* digest: for a multi-platform image that
//! is the one artifact scanned, and the index digest is recorded beside it in each format.

use chainward_model::ImageFacts;
use packageurl::PackageUrl;

/// The `pkg:oci` purl of the scanned image, when its reference and manifest digest are known.
pub(crate) fn image_purl(facts: &ImageFacts) -> Option<String> {
    let reference = facts.reference.as_deref()?;
    let digest = facts.manifest_digest.as_ref()?;
    // `repo[:tag][@digest]`; a `:` before the last `/` is a registry port, not a tag.
    let name_tag = reference.split_once('@').map_or(reference, |(n, _)| n);
    let (repository, tag) = match name_tag.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (name_tag, None),
    };
    let name = repository.rsplit('/').next().filter(|n| !n.is_empty())?.to_ascii_lowercase();
    let mut purl = PackageUrl::new("oci", name).ok()?;
    purl.with_version(digest.to_string()).ok()?;
    if let Some(platform) = &facts.platform {
        purl.add_qualifier("arch", platform.architecture.clone()).ok()?;
    }
    purl.add_qualifier("repository_url", repository.to_owned()).ok()?;
    if let Some(tag) = tag.filter(|t| !t.is_empty()) {
        purl.add_qualifier("tag", tag.to_owned()).ok()?;
    }
    Some(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_model::{Digest, Platform};

    const D: &str = "sha256:64507d6bcdd71fd4dea0848ec91a550f804c5d7661eeb639826dc4a66f7da74c";

    fn facts(reference: Option<&str>) -> ImageFacts {
        ImageFacts {
            target: "t".into(),
            reference: reference.map(str::to_owned),
            manifest_digest: Some(Digest::parse(D).unwrap()),
            platform: Some(Platform::linux_amd64()),
            ..Default::default()
        }
    }

    #[test]
    fn docker_hub_reference() {
        assert_eq!(
            image_purl(&facts(Some("docker.io/library/debian:12"))).as_deref(),
            Some(
                "pkg:oci/debian@sha256:64507d6bcdd71fd4dea0848ec91a550f804c5d7661eeb639826dc4a66f7da74c\
                 ?arch=amd64&repository_url=docker.io%2Flibrary%2Fdebian&tag=12"
            )
        );
    }

    #[test]
    fn registry_port_and_digest_reference() {
        let purl = image_purl(&facts(Some(&format!("localhost:5000/team/App@{D}")))).unwrap();
        assert!(purl.starts_with("pkg:oci/app@sha256:"), "{purl}");
        assert!(purl.contains("repository_url=localhost:5000%2Fteam%2FApp"), "{purl}");
        assert!(!purl.contains("tag="), "{purl}");
    }

    #[test]
    fn not_derivable_without_reference_or_digest() {
        assert_eq!(image_purl(&facts(None)), None);
        let mut f = facts(Some("docker.io/library/debian:12"));
        f.manifest_digest = None;
        assert_eq!(image_purl(&f), None);
    }
}
