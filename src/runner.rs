//! Tells the core where the in-container runner binary is: next to this
//! addon's `.node` file, wherever the package manager put it. Found from the
//! address of our own code when the addon loads, so no JS loader has to pass
//! it in.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use pocket_dock_core as core;

/// File name of the in-container runner, shipped next to the addon.
static RUNNER_FILE: &str = "pocket-dock-runner";

#[napi_derive::module_init]
fn locate_runner() {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // Any address inside this addon will do: that of one of its statics.
    // SAFETY: dladdr only reads the address and fills `info`; the name it
    // returns is owned by the dynamic loader and copied at once.
    let found = unsafe { libc::dladdr(std::ptr::addr_of!(RUNNER_FILE).cast(), &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return;
    }
    let addon = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    let addon = PathBuf::from(std::ffi::OsStr::from_bytes(addon.to_bytes()));
    if let Some(dir) = addon.parent() {
        core::runner::set_binary_path(dir.join(RUNNER_FILE));
    }
}
