//! Projects: `initProject`, `findProjectRoot` (sync in both modules),
//! `doctor`, and the journal hooks the TS layer calls (its warnings, the
//! flush at process exit).

use std::path::PathBuf;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use pocket_dock_core as core;

use crate::call::{promise, Result};
use crate::error::js_error;

/// Creates `.pocket-dock/` in `path` (default: the cwd); returns the root.
#[napi]
pub fn init_project(env: &Env, path: Option<String>, project_name: Option<String>) -> Result<String> {
    core::project::init(path.map(PathBuf::from).as_deref(), project_name.as_deref())
        .map(|p| p.display().to_string())
        .map_err(|e| js_error(env, e))
}

/// The nearest project root from `start` (default: the cwd) up, or null.
#[napi]
pub fn find_project_root(env: &Env, start: Option<String>) -> Result<Option<String>> {
    core::project::find_root(start.map(PathBuf::from).as_deref())
        .map(|p| p.map(|p| p.display().to_string()))
        .map_err(|e| js_error(env, e))
}

/// What `doctor()` found.
#[napi(object)]
pub struct NativeDoctorReport {
    pub orphaned_containers: Vec<String>,
    pub stale_instance_dirs: Vec<String>,
    pub healthy: u32,
}

impl From<core::doctor::DoctorReport> for NativeDoctorReport {
    fn from(r: core::doctor::DoctorReport) -> Self {
        NativeDoctorReport {
            orphaned_containers: r.orphaned_containers,
            stale_instance_dirs: r.stale_instance_dirs,
            healthy: r.healthy,
        }
    }
}

/// Compares a project's instance directories with its containers.
#[napi(ts_return_type = "Promise<NativeDoctorReport>")]
pub fn doctor<'env>(
    env: &'env Env,
    project_root: Option<String>,
    socket_path: Option<String>,
) -> Result<PromiseRaw<'env, NativeDoctorReport>> {
    promise(env, async move {
        core::doctor::doctor(project_root.map(PathBuf::from).as_deref(), socket_path).await
    })
}
#[napi]
pub fn doctor_sync(env: &Env, project_root: Option<String>, socket_path: Option<String>) -> Result<NativeDoctorReport> {
    crate::call::block(
        env,
        core::doctor::doctor(project_root.map(PathBuf::from).as_deref(), socket_path),
    )
}

/// The journal warnings not yet emitted (a log or history write that failed).
#[napi]
pub fn take_journal_warnings() -> Vec<String> {
    core::journal::take_warnings()
}

/// Waits until every journal has written what it was given (at process exit).
#[napi]
pub fn flush_journals() {
    core::journal::flush_all()
}

// ---- projectInfo: the project in force (the CLI's `status` and `logs`) ----

/// A project's root, its instance directory and the configuration in force.
#[napi(object)]
pub struct NativeProjectInfo {
    pub root: String,
    pub instances_dir: String,
    pub project_name: String,
    pub default_profile: Option<String>,
    pub default_persist: bool,
    pub auto_log: bool,
    pub max_log_size: f64,
    pub max_logs_per_instance: u32,
    pub retention_days: u32,
    pub socket: Option<String>,
    pub log_level: String,
}

/// The project at `root` (default: the nearest from the cwd up).
#[napi]
pub fn project_info(env: &Env, root: Option<String>) -> Result<NativeProjectInfo> {
    let p = core::project::open_or_find(root.map(PathBuf::from).as_deref()).map_err(|e| js_error(env, e))?;
    let s = p.settings.clone();
    Ok(NativeProjectInfo {
        root: p.root.display().to_string(),
        instances_dir: p.instances_dir().display().to_string(),
        project_name: s.project_name,
        default_profile: s.default_profile,
        default_persist: s.default_persist,
        auto_log: s.auto_log,
        max_log_size: s.max_log_size as f64,
        max_logs_per_instance: s.max_logs_per_instance,
        retention_days: s.retention_days,
        socket: s.socket,
        log_level: format!("{:?}", s.log_level).to_lowercase(),
    })
}
