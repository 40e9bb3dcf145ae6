//! Core errors as JS errors. Each one becomes a plain JS `Error` (a
//! `TypeError`/`RangeError` for bad input) whose `code` is the core's stable
//! code and whose fields ([`NativeErrorFields`]) are properties of the error
//! object itself, so a script calling the binding directly sees a normal error;
//! `lib/errors.ts` only picks the exported class by `code`. See
//! `docs/design.md` (error mapping).

use napi::bindgen_prelude::{JsObjectValue, JsValue, Object, ToNapiValue, Unknown};
use napi::{Env, JsError, JsRangeError, JsTypeError, ValueType};
use napi_derive::napi;
use pocket_dock_core as core;

/// The properties of a native error, declared once: the Rust side fills them
/// from the core error, `binding.d.ts` types them for `lib/errors.ts`.
#[napi(object)]
pub struct NativeErrorFields {
    /// The stable code, e.g. `CONTAINER_NOT_FOUND` (also napi's `err.code`).
    pub code: String,
    pub socket_path: Option<String>,
    pub detail: Option<String>,
    /// Every socket discovery checked (`PODMAN_NOT_RUNNING`).
    pub tried: Option<Vec<String>>,
    pub container_id: Option<String>,
    pub image: Option<String>,
    /// A path inside the container (`ENOENT`, `EISDIR`, `ENOTDIR`).
    pub path: Option<String>,
    /// The failing step of a build (`BUILD_FAILED`), from 1.
    pub step: Option<u32>,
    /// That step's instruction, e.g. `RUN make`.
    pub instruction: Option<String>,
    /// The last lines the build printed.
    pub log_tail: Option<Vec<String>>,
    /// The config file of a `PROJECT_CONFIG_ERROR`, its line (from 1) and key.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub key: Option<String>,
}

impl From<&core::Error> for NativeErrorFields {
    fn from(e: &core::Error) -> Self {
        use core::Error as E;
        let mut f = NativeErrorFields {
            code: e.code().to_string(),
            socket_path: None,
            detail: None,
            tried: None,
            container_id: None,
            image: None,
            path: None,
            step: None,
            instruction: None,
            log_tail: None,
            file: None,
            line: None,
            key: None,
        };
        match e {
            E::SocketConnection { socket_path, detail } => {
                f.socket_path = Some(socket_path.clone());
                f.detail = Some(detail.clone());
            }
            E::PodmanNotRunning { tried } => f.tried = Some(tried.clone()),
            E::Container { container_id, detail }
            | E::ContainerNotFound { container_id, detail }
            | E::ContainerNotRunning { container_id, detail }
            | E::ContainerGone { container_id, detail } => {
                f.container_id = Some(container_id.clone());
                f.detail = Some(detail.clone());
            }
            E::FileNotFound { container_id, path }
            | E::IsADirectory { container_id, path }
            | E::NotADirectory { container_id, path } => {
                f.container_id = Some(container_id.clone());
                f.path = Some(path.clone());
            }
            E::ImageNotFound { image, detail } | E::ImagePull { image, detail } => {
                f.image = Some(image.clone());
                f.detail = Some(detail.clone());
            }
            E::ImageBuild {
                image,
                detail,
                step,
                instruction,
                log_tail,
            } => {
                f.image = Some(image.clone());
                f.detail = Some(detail.clone());
                f.step = *step;
                f.instruction = instruction.clone();
                f.log_tail = Some(log_tail.clone());
            }
            E::Aborted { operation } => f.detail = Some(operation.clone()),
            E::SocketCommunication { detail }
            | E::SessionClosed { detail }
            | E::StdinClosed { detail }
            | E::Timeout { detail }
            | E::ProjectNotInitialized { detail } => f.detail = Some(detail.clone()),
            E::ProjectConfig {
                file,
                line,
                key,
                detail,
            } => {
                f.file = Some(file.clone());
                f.line = *line;
                f.key = key.clone();
                f.detail = Some(detail.clone());
            }
            E::Project { path, detail } => {
                f.path = Some(path.clone());
                f.detail = Some(detail.clone());
            }
            E::InvalidArgument(_) | E::OutOfRange(_) => {}
        }
        f
    }
}

/// Builds the JS error for `e` (on the JS thread: it needs `env`) and wraps it
/// so napi throws or rejects with that very object.
pub(crate) fn js_error(env: &Env, e: core::Error) -> napi::Error {
    let fields = NativeErrorFields::from(&e);
    let plain = napi::Error::new(fields.code.clone(), e.to_string());
    let raw = unsafe {
        match e {
            core::Error::InvalidArgument(_) => JsTypeError::from(plain).into_value(env.raw()),
            core::Error::OutOfRange(_) => JsRangeError::from(plain).into_value(env.raw()),
            _ => JsError::from(plain).into_value(env.raw()),
        }
    };
    if raw.is_null() {
        // The environment is going away: nothing can receive a richer error.
        return napi::Error::new(napi::Status::GenericFailure, fields.code);
    }
    let mut error = Object::from_raw(env.raw(), raw);
    if let Err(failed) = set_fields(env, &mut error, fields) {
        return failed;
    }
    napi::Error::from(error.to_unknown())
}

/// Copies the defined fields onto the error object.
fn set_fields(env: &Env, error: &mut Object, fields: NativeErrorFields) -> napi::Result<()> {
    let raw = unsafe { NativeErrorFields::to_napi_value(env.raw(), fields)? };
    let fields = Object::from_raw(env.raw(), raw);
    let names = fields.get_property_names()?;
    for i in 0..names.get_array_length()? {
        let name: Unknown = names.get_element(i)?;
        let value: Unknown = fields.get_property(name)?;
        if value.get_type()? != ValueType::Undefined {
            error.set_property(name, value)?;
        }
    }
    Ok(())
}
