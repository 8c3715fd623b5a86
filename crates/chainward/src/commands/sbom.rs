//! `chainward sbom TARGET`: read an image, catalog its packages, write an SBOM.

use anyhow::Context;
use chainward_catalog::CatalogerSet;
use chainward_image::source::{LoadOptions, Target, load_image_with_progress};
use chainward_image::walk::Limits;
use chainward_model::Platform;
use chainward_sbom::{SbomFormat, SbomInput, ToolInfo};

use crate::cli::{ImageArgs, SbomArgs, SbomFormatArg};
use crate::exit;
use crate::output::write_output;

pub(crate) fn load_options(args: &ImageArgs) -> anyhow::Result<LoadOptions> {
    Ok(LoadOptions {
        platform: Platform::parse(&args.platform)?,
        limits: Limits { max_file_size: args.max_file_size, max_image_size: args.max_image_size, ..Limits::default() },
        insecure_registries: args.insecure_registries.clone(),
    })
}

/// The time to stamp the document with: `SOURCE_DATE_EPOCH` when set (reproducible
/// builds convention), otherwise now.
fn timestamp() -> anyhow::Result<String> {
    use time::format_description::well_known::Rfc3339;
    let now = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s.trim().parse().context("SOURCE_DATE_EPOCH is not a number of seconds")?;
            time::OffsetDateTime::from_unix_timestamp(secs).context("SOURCE_DATE_EPOCH is out of range")?
        }
        Err(_) => time::OffsetDateTime::now_utc(),
    };
    Ok(now.replace_nanosecond(0).unwrap_or(now).format(&Rfc3339)?)
}

pub(crate) fn run(args: &SbomArgs, quiet: bool) -> anyhow::Result<u8> {
    let opts = load_options(&args.image)?;
    let target = Target::parse(&args.target)?;
    let catalogers =
        if target.is_source_tree() { CatalogerSet::source_tree_set() } else { CatalogerSet::default_set() };
    let started = std::time::Instant::now();
    let bar = crate::progress::DownloadBar::new(quiet);
    let image = load_image_with_progress(&args.target, &target, &opts, &catalogers, &bar);
    bar.finish();
    let image = image.with_context(|| format!("reading {}", args.target))?;
    tracing::info!("read {} ({} files) in {:.2?}", args.target, image.tree.len(), started.elapsed());
    for clamped in &image.tree.clamped_paths {
        tracing::warn!("layer entry {clamped:?} points outside the image root; read as if inside it");
    }
    let catalog = catalogers.catalog(&image.tree, &image.facts.layers);
    for w in &catalog.warnings {
        tracing::warn!("{w}");
    }
    let mut facts = image.facts;
    facts.os = catalog.os;
    let input = SbomInput {
        facts: &facts,
        packages: &catalog.packages,
        tool: ToolInfo::new("chainward", env!("CARGO_PKG_VERSION")),
        timestamp: timestamp()?,
        serial: uuid::Uuid::new_v4().to_string(),
    };
    let format = match args.format {
        SbomFormatArg::Cyclonedx => SbomFormat::CycloneDxJson,
        SbomFormatArg::Spdx => SbomFormat::SpdxJson,
        SbomFormatArg::Json => SbomFormat::ChainwardJson,
    };
    write_output(args.output.as_deref(), |out| {
        let mut out = out;
        format.write(&input, &mut out)?;
        Ok(())
    })?;
    tracing::info!("{} packages, {} warnings", catalog.packages.len(), catalog.warnings.len());
    Ok(exit::OK)
}
