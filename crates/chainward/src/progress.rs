//! A download progress bar on stderr for registry pulls, drawn only when stderr is a
//! terminal (pipelines and CI logs get none).

use std::io::IsTerminal;

use chainward_image::source::registry::PullProgress;
use chainward_model::Digest;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One bar for all layer bytes of the image.
pub(crate) struct DownloadBar {
    bar: Option<ProgressBar>,
}

impl DownloadBar {
    pub(crate) fn new(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message("pulling layers");
        Self { bar: Some(bar) }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl PullProgress for DownloadBar {
    fn blob_started(&self, _digest: &Digest, size: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(size);
        }
    }

    fn blob_advanced(&self, _digest: &Digest, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }
}
