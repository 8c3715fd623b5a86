//! The walk shared by file-per-package and lockfile catalogers: every regular file of the
//! tree whose path matches, read within a size bound, with a warning naming the file when it
//! cannot be read or is too large (a file over the bound was never kept by `wants`, so the
//! warning says why it is missing instead of staying silent).

use chainward_image::NodeKind;
use chainward_model::Location;

use crate::{CatalogContext, CatalogOutput, Warning};

/// Calls `f(path, bytes, out)` for each regular file whose path (no leading `/`) matches.
pub(crate) fn for_each_file(
    ctx: &CatalogContext<'_>,
    cataloger: &'static str,
    matches: fn(&str) -> bool,
    max_size: u64,
    out: &mut CatalogOutput,
    mut f: impl FnMut(&str, &[u8], &mut CatalogOutput),
) {
    for (path, node) in ctx.files() {
        if node.kind != NodeKind::File || !matches(path) {
            continue;
        }
        let warn = |message: String| Warning { cataloger, path: format!("/{path}"), message };
        if node.size > max_size {
            out.warnings.push(warn(format!("{} bytes is over the {max_size}-byte bound for this file", node.size)));
            continue;
        }
        match ctx.tree.read(path) {
            Ok(bytes) => f(path, &bytes, out),
            Err(e) => out.warnings.push(warn(e.to_string())),
        }
    }
}

/// The evidence location of `path` (no leading `/`): the absolute path and its layer.
pub(crate) fn location(ctx: &CatalogContext<'_>, path: &str) -> Location {
    Location { path: format!("/{path}"), layer: ctx.layer_digest(ctx.tree.layer_of(path)) }
}

/// The last path component.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Text without a UTF-8 byte-order mark, or the offset of the first invalid byte.
pub(crate) fn utf8_text(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to()))
}
