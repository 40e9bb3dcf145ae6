//! Images: building one from a local directory through the engine's build API
//! (offline: nothing is pulled), checking for one, removing one.

use std::path::Path;

use bollard::query_parameters::{BuildImageOptions, RemoveImageOptions};
use futures::StreamExt;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};

/// Builds `dir` (which holds a `Dockerfile`) into an image tagged `tag` and
/// returns the image id. Build output is passed line by line to `progress`.
pub async fn build_from_dir(
    engine: &Engine,
    dir: &Path,
    tag: &str,
    mut progress: impl FnMut(&str) + Send,
) -> Result<String> {
    let context = tar_dir(dir)?;
    let options = BuildImageOptions {
        t: Some(tag.to_string()),
        dockerfile: "Dockerfile".into(),
        rm: true,
        forcerm: true,
        ..Default::default()
    };
    let mut stream = engine
        .docker()
        .build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| build_error(tag, Error::from_engine(e, Op::Image { image: tag }).to_string()))?;
        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
            return Err(build_error(tag, detail));
        }
        if let Some(line) = info.stream.as_deref().map(str::trim_end).filter(|l| !l.is_empty()) {
            progress(line);
        }
    }
    let image = engine
        .docker()
        .inspect_image(tag)
        .await
        .map_err(|e| Error::from_engine(e, Op::Image { image: tag }))?;
    Ok(image.id.unwrap_or_default())
}

/// Whether an image with this name or id is present on the engine.
pub async fn exists(engine: &Engine, image: &str) -> Result<bool> {
    match engine.docker().inspect_image(image).await {
        Ok(_) => Ok(true),
        Err(e) => match Error::from_engine(e, Op::Image { image }) {
            Error::ImageNotFound { .. } => Ok(false),
            other => Err(other),
        },
    }
}

/// Removes an image (forcefully: containers must already be gone).
pub async fn remove(engine: &Engine, image: &str) -> Result<()> {
    engine
        .docker()
        .remove_image(
            image,
            Some(RemoveImageOptions {
                force: true,
                ..Default::default()
            }),
            None,
        )
        .await
        .map(|_| ())
        .map_err(|e| Error::from_engine(e, Op::Image { image }))
}

fn build_error(tag: &str, detail: String) -> Error {
    Error::ImageBuild {
        image: tag.to_string(),
        detail,
    }
}

/// The build context: `dir` as an uncompressed tar, in memory (contexts are small).
fn tar_dir(dir: &Path) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", dir)
        .and_then(|_| builder.into_inner())
        .map_err(|e| Error::InvalidArgument(format!("cannot read build context {}: {e}", dir.display())))
}
