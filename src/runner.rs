//! Tells the core where the in-container runner binary is: next to this
//! addon's `.node` file, wherever the package manager put it. Found from the
//! address of our own code when the addon loads, so no JS loader has to pass
//! it in.

use std::path::PathBuf;

use pocket_dock_core as core;

/// File name of the in-container runner, shipped next to the addon.
static RUNNER_FILE: &str = "pocket-dock-runner";

#[napi_derive::module_init]
fn locate_runner() {
    if let Some(dir) = addon_path().as_deref().and_then(|p| p.parent()) {
        core::runner::set_binary_path(dir.join(RUNNER_FILE));
    }
}

/// The file this addon was loaded from (any address inside it will do: that
/// of one of its statics), as the dynamic loader knows it.
#[cfg(unix)]
fn addon_path() -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the address and fills `info`; the name it
    // returns is owned by the dynamic loader and copied at once.
    let found = unsafe { libc::dladdr(std::ptr::addr_of!(RUNNER_FILE).cast(), &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    let addon = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(addon.to_bytes())))
}

/// Windows: the module that holds one of our statics, and its file name.
#[cfg(windows)]
fn addon_path() -> Option<PathBuf> {
    use std::os::windows::ffi::OsStringExt;
    use windows_sys::Win32::System::LibraryLoader::{
        GetModuleFileNameW, GetModuleHandleExW, GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
        GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
    };
    let mut module = std::ptr::null_mut();
    let flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
    // SAFETY: with FROM_ADDRESS the "name" is an address inside the module;
    // UNCHANGED_REFCOUNT takes no reference, so there is nothing to release.
    let found = unsafe { GetModuleHandleExW(flags, std::ptr::addr_of!(RUNNER_FILE).cast(), &mut module) };
    if found == 0 {
        return None;
    }
    // Long paths: up to 32 767 UTF-16 units.
    let mut buf = vec![0u16; 32_768];
    // SAFETY: the buffer is valid for its length, which is passed along.
    let len = unsafe { GetModuleFileNameW(module, buf.as_mut_ptr(), buf.len() as u32) } as usize;
    if len == 0 || len >= buf.len() {
        return None;
    }
    Some(PathBuf::from(std::ffi::OsString::from_wide(&buf[..len])))
}
