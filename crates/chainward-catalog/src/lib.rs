//! Catalogers: find the packages inside an image's merged file tree.
//!
//! Each cataloger says which files it needs ([`Cataloger::wants`], decided from the path
//! alone because compressed layers are read once) and then reads them from the finished
//! tree. Problems with one file are warnings that name the file; the scan goes on.
#![deny(missing_docs)]

mod executables;
pub mod lang;
mod merge;
pub mod os;
pub mod os_release;
mod provenance;

use chainward_image::{FileTree, Interest};
use chainward_model::{LayerFacts, OsRelease, Package};

pub use provenance::introducing_layers;

/// A problem with one input file; cataloging went on without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The cataloger that met it.
    pub cataloger: &'static str,
    /// The file (absolute path in the image).
    pub path: String,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.cataloger, self.path, self.message)
    }
}

/// What a cataloger sees.
pub struct CatalogContext<'a> {
    /// The merged file tree.
    pub tree: &'a FileTree,
    /// The image's layers (to turn layer indexes into digests).
    pub layers: &'a [LayerFacts],
    /// The detected operating system.
    pub os: Option<&'a OsRelease>,
    /// Regular files with something at hand, listed once for every cataloger.
    files: Vec<(&'a str, &'a chainward_image::Node)>,
}

impl<'a> CatalogContext<'a> {
    /// The context for cataloging `tree`.
    pub fn new(tree: &'a FileTree, layers: &'a [LayerFacts], os: Option<&'a OsRelease>) -> Self {
        let files = tree.iter().filter(|(_, n)| n.kind == chainward_image::NodeKind::File && n.has_content()).collect();
        Self { tree, layers, os, files }
    }

    /// Regular files whose bytes, extract or size problem is at hand, in path order. In a
    /// compressed image these are only the files some cataloger asked the walk to keep (a few
    /// hundred of tens of thousands), so catalogers iterate this, not the whole tree.
    pub fn files(&self) -> impl Iterator<Item = (&'a str, &'a chainward_image::Node)> + '_ {
        self.files.iter().copied()
    }
}

impl CatalogContext<'_> {
    /// The digest of layer `i`, if the image has layers.
    pub fn layer_digest(&self, i: Option<usize>) -> Option<chainward_model::Digest> {
        i.and_then(|i| self.layers.get(i)).map(|l| l.digest.clone())
    }
}

/// Packages and warnings from one cataloger.
#[derive(Debug, Default)]
pub struct CatalogOutput {
    /// The packages found.
    pub packages: Vec<Package>,
    /// Files that could not be read or parsed.
    pub warnings: Vec<Warning>,
}

/// Finds one kind of package.
pub trait Cataloger: Sync {
    /// A short name, e.g. `dpkg`.
    fn name(&self) -> &'static str;
    /// Whether the layer walk should keep this file's content (`path` has no leading `/`).
    fn wants(&self, path: &str, size: u64) -> bool;
    /// Reads the packages from the tree.
    fn catalog(&self, ctx: &CatalogContext<'_>) -> CatalogOutput;
    /// Whether this cataloger reads executables (see [`Cataloger::extract_executable`]).
    fn reads_executables(&self) -> bool {
        false
    }
    /// From an executable's bytes (ELF, PE or Mach-O), what this cataloger needs later (e.g. a
    /// Go binary's build information), kept by the walk in place of the file; read it back with
    /// [`CatalogContext::executable_extract`].
    fn extract_executable(&self, _path: &str, _bytes: &[u8]) -> Option<Vec<u8>> {
        None
    }
    /// [`Cataloger::extract_executable`] for an executable whose bytes are still in a file
    /// (an uncompressed archive, a root filesystem), positioned at its start. The default
    /// reads it whole; a cataloger that needs only parts of it reads only those.
    fn extract_executable_from_file(&self, path: &str, file: &mut dyn ReadSeek) -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).ok()?;
        self.extract_executable(path, &bytes)
    }
}

/// A file that can be read at any offset.
pub trait ReadSeek: std::io::Read + std::io::Seek {}

impl<T: std::io::Read + std::io::Seek> ReadSeek for T {}

/// The catalogers chainward runs on images: package databases, installed packages, and
/// lockfiles. A lockfile entry that is also installed is reported once, with the installed
/// evidence; one that is not (a dev dependency never installed) keeps its lockfile evidence.
pub fn default_catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(os::dpkg::DpkgCataloger),
        Box::new(os::apk::ApkCataloger),
        Box::new(os::rpmdb::RpmCataloger),
        Box::new(lang::python::PythonInstalledCataloger),
        Box::new(lang::python::PipRequirementsCataloger { options: Default::default() }),
        Box::new(lang::python::PythonLockfileCataloger),
        Box::new(lang::javascript::NodeModulesCataloger),
        Box::new(lang::javascript::JsLockfileCataloger),
        Box::new(lang::rust::CargoLockCataloger),
        Box::new(lang::go::GoModCataloger { options: Default::default() }),
        Box::new(lang::go::GoSumCataloger),
        Box::new(lang::ruby::GemfileLockCataloger),
        Box::new(lang::ruby::GemspecCataloger),
        Box::new(lang::php::ComposerLockCataloger),
        Box::new(lang::php::ComposerInstalledCataloger),
        Box::new(lang::dotnet::DotnetDepsCataloger),
        Box::new(lang::dotnet::NugetLockCataloger),
        Box::new(lang::dotnet::PackagesConfigCataloger),
        Box::new(lang::dotnet::PackagesPropsCataloger),
        Box::new(lang::java::JavaArchiveCataloger),
        Box::new(lang::java::MavenPomCataloger),
        Box::new(lang::java::GradleLockfileCataloger),
        Box::new(lang::binary::BinaryCataloger),
    ]
}

/// The catalogers for a source tree (`dir:`): today the image set (installed packages of a
/// checked-in virtualenv count too); manifest-only catalogers will join here.
pub fn source_tree_catalogers() -> Vec<Box<dyn Cataloger>> {
    default_catalogers()
}

/// A set of catalogers, which is also the walk's [`Interest`].
pub struct CatalogerSet {
    catalogers: Vec<Box<dyn Cataloger>>,
}

impl CatalogerSet {
    /// The default set.
    pub fn default_set() -> Self {
        Self { catalogers: default_catalogers() }
    }

    /// The source-tree set ([`source_tree_catalogers`]).
    pub fn source_tree_set() -> Self {
        Self { catalogers: source_tree_catalogers() }
    }

    /// A set of the given catalogers.
    pub fn new(catalogers: Vec<Box<dyn Cataloger>>) -> Self {
        Self { catalogers }
    }

    /// Runs every cataloger over a finished tree.
    pub fn catalog(&self, tree: &FileTree, layers: &[LayerFacts]) -> Catalog {
        let os = os_release::detect(tree);
        let ctx = CatalogContext::new(tree, layers, os.as_ref());
        let mut packages = Vec::new();
        let mut warnings = Vec::new();
        for c in &self.catalogers {
            let out = c.catalog(&ctx);
            packages.extend(out.packages);
            warnings.extend(out.warnings);
        }
        merge::prefer_installed(&mut packages);
        Catalog { os, packages, warnings }
    }
}

impl Interest for CatalogerSet {
    fn wants(&self, path: &str, size: u64) -> bool {
        os_release::wants(path) || self.catalogers.iter().any(|c| c.wants(path, size))
    }

    fn extracts_executables(&self) -> bool {
        self.catalogers.iter().any(|c| c.reads_executables())
    }

    fn extract_executable(&self, path: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        let parts: Vec<(&str, Vec<u8>)> = self
            .catalogers
            .iter()
            .filter(|c| c.reads_executables())
            .filter_map(|c| Some((c.name(), c.extract_executable(path, bytes)?)))
            .collect();
        executables::pack(&parts)
    }
}

/// Everything found in a tree.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The operating system, if one was recognised.
    pub os: Option<OsRelease>,
    /// Every package.
    pub packages: Vec<Package>,
    /// Files that could not be read or parsed.
    pub warnings: Vec<Warning>,
}
