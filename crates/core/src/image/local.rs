//! The images on the engine: whether one is there, its id, the list of
//! pocket-dock's, removal.

use std::collections::HashMap;

use bollard::query_parameters::RemoveImageOptions;

use crate::engine::{Engine, EngineKind};
use crate::error::{Error, Op, Result};
use crate::labels;
use crate::validate::{check_image_ref, invalid};

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

/// The id of the image carrying label `key=value`, if one does.
pub async fn id_by_label(engine: &Engine, label: &str) -> Result<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Listed {
        #[serde(rename = "Id")]
        id: String,
    }
    let filters = serde_json::json!({ "label": [label] }).to_string();
    let path = format!("/images/json?filters={}", crate::engine::percent_encode(&filters));
    let found: Vec<Listed> = engine.raw_json(&path, "image list").await?;
    Ok(found.into_iter().next().map(|i| normalize_id(i.id)))
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
    let summaries: Vec<Summary> = engine.raw_json("/images/json", "image list").await?;
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

/// Judges the reference of a removal, before any engine is reached: a name
/// (`name[:tag]`) or an id (`sha256:…` or hex, a prefix too).
pub fn check_remove(image: &str) -> Result<()> {
    check_image_ref(image, "the image to remove").or_else(|e| if is_id(image) { Ok(()) } else { Err(e) })
}

/// Whether `image` is given as an id (`sha256:…` or bare hex, maybe a prefix).
fn is_id(image: &str) -> bool {
    let hex = image.strip_prefix("sha256:").unwrap_or(image);
    !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes an image by name or id. Without `force`, an image a container
/// uses is refused, and an id with several names too. `force` never removes
/// a container, on either engine (Podman's own force would): a name in use is
/// only untagged, an id in use refused.
pub async fn remove(engine: &Engine, image: &str, force: bool) -> Result<()> {
    check_remove(image)?;
    if force {
        let id = image_id(engine, image).await?;
        let users = containers_using(engine, &id).await?;
        if !users.is_empty() {
            if is_id(image) {
                return Err(invalid(format!(
                    "image {image} is in use by container(s) {}: remove them first (`force` removes names and unused images, never containers)",
                    users.join(", ")
                )));
            }
            return untag(engine, image).await;
        }
    }
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
        .map_err(|e| removal_error(e, image))
}

/// The names of the containers (running or not) made from image `id`. Read
/// raw: bollard cannot read the list when Podman reports a container as
/// `stopped`.
async fn containers_using(engine: &Engine, id: &str) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Listed {
        #[serde(rename = "Id")]
        id: String,
        #[serde(rename = "Names", default)]
        names: Option<Vec<String>>,
        #[serde(rename = "ImageID", default)]
        image_id: Option<String>,
    }
    let all: Vec<Listed> = engine.raw_json("/containers/json?all=1", "container list").await?;
    Ok(all
        .into_iter()
        .filter(|c| c.image_id.clone().map(normalize_id).as_deref() == Some(id))
        .map(|c| {
            c.names
                .and_then(|n| n.into_iter().next())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or(c.id)
        })
        .collect())
}

/// Takes the name `image` off its image and leaves the image (a container
/// uses it): Docker's forced removal of a name does just that; Podman's
/// would remove the containers, so its own untag endpoint does it.
async fn untag(engine: &Engine, image: &str) -> Result<()> {
    match engine.kind() {
        EngineKind::Docker => engine
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
            .map_err(|e| removal_error(e, image)),
        EngineKind::Podman => {
            // Podman qualifies names (`docker.io/…` from a compat build,
            // `localhost/…` from a tag): untag the stored name the given one means.
            let inspected = engine
                .docker()
                .inspect_image(image)
                .await
                .map_err(|e| Error::from_engine(e, Op::Image { image }))?;
            let given = if image.rsplit('/').next().is_some_and(|last| last.contains(':')) {
                image.to_string()
            } else {
                format!("{image}:latest")
            };
            let stored = inspected
                .repo_tags
                .unwrap_or_default()
                .into_iter()
                .find(|t| {
                    *t == given
                        || t.strip_suffix(&given)
                            .is_some_and(|head| matches!(head, "docker.io/" | "docker.io/library/" | "localhost/"))
                })
                .unwrap_or(given);
            let (repo, tag) = split_reference(&stored);
            let path = format!(
                "/v4.0.0/libpod/images/{}/untag?repo={}&tag={}",
                encode(image),
                encode(&repo),
                encode(&tag)
            );
            engine
                .raw_request("POST", &path, &[], Op::Image { image })
                .await
                .map(|_| ())
        }
    }
}

/// An engine's refusal to remove: Podman's 500 "please force removal" for an
/// id with several names reads as what to do.
fn removal_error(e: bollard::errors::Error, image: &str) -> Error {
    if let bollard::errors::Error::DockerResponseServerError { message, .. } = &e {
        if message.contains("please force removal") || message.contains("must be forced") {
            return invalid(format!(
                "image {image} has several names: remove it by each name, or pass `force: true` to remove the image with all of them ({message})"
            ));
        }
    }
    Error::from_engine(e, Op::Image { image })
}

/// `reference` → (repository, tag or digest); no tag means `latest`, as the
/// docker CLI does (an empty tag would make Docker pull every tag).
pub(crate) fn split_reference(reference: &str) -> (String, String) {
    if let Some((repo, digest)) = reference.split_once('@') {
        return (repo.to_string(), digest.to_string());
    }
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(i) => (
            reference[..slash + i].to_string(),
            reference[slash + i + 1..].to_string(),
        ),
        None => (reference.to_string(), "latest".to_string()),
    }
}

/// Percent-encodes a query value (references hold `:`, `/` and `@`).
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
