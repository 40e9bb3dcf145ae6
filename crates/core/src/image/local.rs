//! The images on the engine: whether one is there, its id, the list of
//! pocket-dock's, removal.

use std::collections::HashMap;

use bollard::query_parameters::RemoveImageOptions;

use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::labels;
use crate::validate::check_image_ref;

/// One image, as `listImages()` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInfo {
    /// `sha256:…`.
    pub id: String,
    /// Its names (`repo:tag`), as the engine gives them; none for an untagged image.
    pub tags: Vec<String>,
    /// Bytes on disk.
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub created: i64,
    /// The profile it was built from, if any.
    pub profile: Option<String>,
    pub labels: HashMap<String, String>,
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

/// The id (`sha256:…`) of an image present on the engine.
pub async fn image_id(engine: &Engine, image: &str) -> Result<String> {
    let inspected = engine
        .docker()
        .inspect_image(image)
        .await
        .map_err(|e| Error::from_engine(e, Op::Image { image }))?;
    Ok(normalize_id(inspected.id.unwrap_or_default()))
}

/// Podman gives some ids as bare hex; Docker always as `sha256:…`.
pub fn normalize_id(id: String) -> String {
    if id.starts_with("sha256:") || id.is_empty() {
        id
    } else {
        format!("sha256:{id}")
    }
}

/// The images pocket-dock built, committed or runs profiles from; every
/// image with `all`. Newest first.
pub async fn list(engine: &Engine, all: bool) -> Result<Vec<ImageInfo>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Summary {
        id: String,
        repo_tags: Option<Vec<String>>,
        size: Option<i64>,
        created: Option<i64>,
        labels: Option<HashMap<String, String>>,
    }
    let body = engine
        .raw_get(
            "/images/json",
            Op::Engine {
                socket_path: engine.socket_path(),
            },
        )
        .await?;
    let summaries: Vec<Summary> = serde_json::from_slice(&body).map_err(|e| Error::SocketCommunication {
        detail: format!("unreadable image list: {e}"),
    })?;
    let mut images: Vec<ImageInfo> = summaries
        .into_iter()
        .map(|s| {
            let labels = s.labels.unwrap_or_default();
            ImageInfo {
                id: normalize_id(s.id),
                tags: s
                    .repo_tags
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                size: s.size.unwrap_or(0).max(0) as u64,
                created: s.created.unwrap_or(0),
                profile: labels.get(labels::PROFILE).cloned(),
                labels,
            }
        })
        .filter(|i| all || i.labels.contains_key(labels::IMAGE) || i.profile.is_some())
        .collect();
    images.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    Ok(images)
}

/// Removes an image by name or id. Without `force`, an image a container
/// uses is refused, and an id with several names too.
pub async fn remove(engine: &Engine, image: &str, force: bool) -> Result<()> {
    check_image_ref(image, "the image to remove").or_else(|e| {
        // An id (`sha256:…` or hex) is no reference, and fine here.
        let hex = image.trim_start_matches("sha256:");
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    engine
        .docker()
        .remove_image(
            image,
            Some(RemoveImageOptions {
                force,
                ..Default::default()
            }),
            None,
        )
        .await
        .map(|_| ())
        .map_err(|e| Error::from_engine(e, Op::Image { image }))
}
