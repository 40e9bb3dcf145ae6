//! The built-in profiles: named images whose build contexts ship in the npm
//! package (`profiles/<name>/`), each with the network default its use calls
//! for. Pure data: the table below is the one place a profile is described
//! (the TS layer adds only where its build context lies on disk).

/// One built-in profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    /// The image a build of this profile is tagged with, and that
    /// `createNewContainer({ profile })` runs.
    pub image_tag: &'static str,
    /// Whether containers of this profile get a network unless told otherwise.
    pub network_default: bool,
    pub description: &'static str,
    /// Roughly what the built image weighs.
    pub size_estimate: &'static str,
    /// Capabilities its containers drop unless `capDrop` says otherwise.
    pub cap_drop: &'static [&'static str],
}

/// What the `agent` profile drops: an agent fetches and runs code, and
/// needs none of raw sockets (ping, packet forging), device nodes, the audit
/// log, `chroot`, or setting file or process capabilities. Ordinary work —
/// installing packages, `chown` in its files, binding ports above 1024 and
/// below as root — keeps working.
pub const AGENT_CAP_DROP: &[&str] = &["NET_RAW", "MKNOD", "AUDIT_WRITE", "SYS_CHROOT", "SETFCAP", "SETPCAP"];

/// The profile used when neither `image` nor `profile` is given.
pub const DEFAULT_PROFILE: &str = "minimal-python";

/// Every built-in profile, the default first. Network is off where the
/// sandbox's job is running code (the untrusted-code default) and on where
/// the job needs to fetch things (packages, APIs, toolchains).
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "minimal-python",
        image_tag: "pocket-dock/minimal-python",
        network_default: false,
        description: "Python 3.12 and pip on Debian slim; the default",
        size_estimate: "~130 MB",
        cap_drop: &[],
    },
    Profile {
        name: "minimal-node",
        image_tag: "pocket-dock/minimal-node",
        network_default: false,
        description: "Node.js 22, npm and npx on Debian slim",
        size_estimate: "~200 MB",
        cap_drop: &[],
    },
    Profile {
        name: "minimal-bun",
        image_tag: "pocket-dock/minimal-bun",
        network_default: false,
        description: "The Bun runtime (and bunx) on Debian slim",
        size_estimate: "~180 MB",
        cap_drop: &[],
    },
    Profile {
        name: "dev",
        image_tag: "pocket-dock/dev",
        network_default: true,
        description: "Interactive development: build-essential, git, curl, jq, vim-tiny, less; bash with completion and a git-aware prompt; ipython",
        size_estimate: "~450 MB",
        cap_drop: &[],
    },
    Profile {
        name: "agent",
        image_tag: "pocket-dock/agent",
        network_default: true,
        description: "Agents: Python with requests, httpx, pandas, numpy, beautifulsoup4, lxml, pyyaml, pillow; Node.js and npm; git, curl, jq",
        size_estimate: "~650 MB",
        cap_drop: AGENT_CAP_DROP,
    },
    Profile {
        name: "embedded",
        image_tag: "pocket-dock/embedded",
        network_default: true,
        description: "Microcontroller work: gcc, cmake, ninja, gdb, the ARM cross-compiler with newlib, PlatformIO and esptool; the sandbox user is in `dialout` for serial `devices`",
        size_estimate: "~1.3 GB",
        cap_drop: &[],
    },
];

/// The profile called `name`.
pub fn find(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name)
}

/// The profile whose image is `image` (with or without `:latest`, and as
/// Podman names local images, `localhost/…`).
pub fn by_image(image: &str) -> Option<&'static Profile> {
    let bare = image.strip_prefix("localhost/").unwrap_or(image);
    let bare = bare.strip_suffix(":latest").unwrap_or(bare);
    PROFILES.iter().find(|p| p.image_tag == bare)
}

/// The known names, for error messages: "minimal-python, minimal-node, …".
pub fn known_names() -> String {
    PROFILES.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_profile_exists_and_comes_first() {
        assert_eq!(PROFILES[0].name, DEFAULT_PROFILE);
        assert!(find(DEFAULT_PROFILE).is_some());
    }

    #[test]
    fn every_tag_is_pocket_dock_slash_name() {
        for p in PROFILES {
            assert_eq!(p.image_tag, format!("pocket-dock/{}", p.name));
        }
    }

    #[test]
    fn a_profile_is_found_by_its_image_as_either_engine_names_it() {
        for image in [
            "pocket-dock/dev",
            "pocket-dock/dev:latest",
            "localhost/pocket-dock/dev:latest",
        ] {
            assert_eq!(by_image(image).map(|p| p.name), Some("dev"), "{image}");
        }
        assert!(by_image("pocket-dock/dev:v2").is_none());
        assert!(by_image("python:3.12-slim").is_none());
    }
}
