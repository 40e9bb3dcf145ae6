//! The labels pocket-dock puts on its containers (and images): the only state the engine
//! keeps for it. Only containers labelled [`MANAGED`]`=true` are ever listed
//! or touched, so other tools' containers are safe.

pub const MANAGED: &str = "pocket-dock.managed";
pub const PERSIST: &str = "pocket-dock.persist";
pub const PROJECT: &str = "pocket-dock.project";
/// The project directory a project container was created in: where its
/// instance directory is (see `docs/projects.md`).
pub const PROJECT_ROOT: &str = "pocket-dock.project-root";
pub const PROFILE: &str = "pocket-dock.profile";
pub const TIMEOUT: &str = "pocket-dock.timeout";
pub const VERSION: &str = "pocket-dock.version";
/// The process that created an ephemeral container, with its host: the
/// startup sweep removes ephemeral containers whose owner is gone.
pub const OWNER_PID: &str = "pocket-dock.owner-pid";
pub const OWNER_HOST: &str = "pocket-dock.owner-host";
/// The container's [`crate::CreateOptions`] as JSON, so a resumed handle
/// knows its configuration and `reboot({ fresh: true })` can recreate it.
pub const OPTIONS: &str = "pocket-dock.options";
/// On images: how pocket-dock made the image (`build`, `snapshot`), so
/// `listImages()` finds pocket-dock's images among the engine's.
pub const IMAGE: &str = "pocket-dock.image";
/// On images pocket-dock builds: a value of that build's own, to find its
/// image when the engine's answer did not name it.
pub const BUILD: &str = "pocket-dock.build";
/// The prefix of every label above; users may not set labels under it.
pub const RESERVED_PREFIX: &str = "pocket-dock.";
