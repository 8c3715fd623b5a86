use crate::Digest;
use crate::purl::{PurlContext, build_purl};

/// The package ecosystem, which decides the purl type and the version scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    /// Debian packages from the dpkg database.
    Deb,
    /// Alpine packages from the apk database.
    Apk,
    /// RPM packages from the rpm database.
    Rpm,
    /// Python distributions (PyPI).
    Python,
    /// JavaScript packages (npm, yarn, pnpm, bun).
    Npm,
    /// Rust crates.
    Cargo,
    /// Go modules (and the Go standard library, as `stdlib`).
    Go,
    /// Java archives and Maven/Gradle dependencies; the name is `groupId:artifactId`.
    Maven,
    /// Ruby gems.
    Gem,
    /// PHP Composer packages; the name is `vendor/package`.
    Composer,
    /// .NET NuGet packages.
    Nuget,
}

impl Ecosystem {
    /// The purl type (purl-spec PURL-TYPES).
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Apk => "apk",
            Self::Rpm => "rpm",
            Self::Python => "pypi",
            Self::Npm => "npm",
            Self::Cargo => "cargo",
            Self::Go => "golang",
            Self::Maven => "maven",
            Self::Gem => "gem",
            Self::Composer => "composer",
            Self::Nuget => "nuget",
        }
    }

    /// Whether packages of this ecosystem belong to the operating system.
    pub fn is_os(self) -> bool {
        matches!(self, Self::Deb | Self::Apk | Self::Rpm)
    }
}

/// The source package a binary package was built from: dpkg `Source:`, apk origin, rpm SOURCERPM.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourcePackage {
    /// Source package name.
    pub name: String,
    /// Source version, when it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// How a language package is required by the project that lists it, where the file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    /// The project itself (the root of a lockfile).
    Root,
    /// A workspace member of the project.
    Workspace,
    /// Required by the project directly.
    Direct,
    /// Required only through other packages.
    Indirect,
}

/// What kind of file a package was read from. In an image, installed evidence is what runs;
/// a lockfile or manifest says what a project asked for, which may never have been installed
/// (dev dependencies, a different platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// A package database or installed metadata (dpkg status, dist-info, node_modules).
    #[default]
    Installed,
    /// A lockfile (requirements.txt pins, package-lock.json, Cargo.lock, …).
    Lockfile,
    /// A manifest with versions (pom.xml, go.mod, a package.json of the project itself).
    Manifest,
    /// Build information embedded in a binary (Go buildinfo, cargo-auditable).
    Binary,
}

impl Evidence {
    /// Whether this is the default, installed evidence.
    pub fn is_installed(&self) -> bool {
        *self == Evidence::Installed
    }
}

/// Where a package was found: the evidence file and the layer that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// Absolute path inside the image or scanned tree, e.g. `/var/lib/dpkg/status`.
    pub path: String,
    /// The digest of the layer blob that last wrote the file, for layered images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
}

/// A package found inside an image or tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Package {
    /// The ecosystem.
    #[serde(rename = "type")]
    pub ecosystem: Ecosystem,
    /// The package name as its ecosystem spells it.
    pub name: String,
    /// The full version as the ecosystem's version scheme compares it: dpkg
    /// `[epoch:]upstream[-revision]`, apk `1.2.3-r0`, rpm `[epoch:]version-release`.
    pub version: String,
    /// The architecture, as the package database records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The source package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// RPM only: the source rpm file name (`SOURCERPM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_rpm: Option<String>,
    /// Licenses as recorded (free text or SPDX expressions; not normalised).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Vendor or maintainer, when the database records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// Evidence: where the package was read from.
    #[serde(default)]
    pub locations: Vec<Location>,
    /// Language packages: direct or indirect, where the lockfile says (`None`: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<Relationship>,
    /// Language packages: needed only to develop the project, not to run it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// What kind of file says the package is there.
    #[serde(default, skip_serializing_if = "Evidence::is_installed")]
    pub evidence: Evidence,
    /// Language packages: what this package depends on, as [`Package::key`]s of packages
    /// found in the same file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl Package {
    /// A package with just ecosystem, name and version.
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            ecosystem,
            name: name.into(),
            version: version.into(),
            arch: None,
            source: None,
            source_rpm: None,
            licenses: Vec::new(),
            supplier: None,
            locations: Vec::new(),
            relationship: None,
            dev: false,
            evidence: Evidence::Installed,
            depends_on: Vec::new(),
        }
    }

    /// `name@version`: what [`Package::depends_on`] entries name.
    pub fn key(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The Package URL of this package in the given distro context.
    pub fn purl(&self, ctx: &PurlContext) -> String {
        build_purl(self, ctx)
    }

    /// For RPM versions `[epoch:]version-release`: the epoch, if any.
    pub fn rpm_epoch(&self) -> Option<&str> {
        self.version.split_once(':').map(|(e, _)| e)
    }
}
