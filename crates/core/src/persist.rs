//! Finding and removing containers by label. Labels are the only state the
//! engine keeps for pocket-dock; only containers labelled
//! `pocket-dock.managed=true` are ever touched.

use std::collections::HashMap;

use bollard::query_parameters::{ListContainersOptions, RemoveContainerOptions};

use crate::container::spec::labels;
use crate::engine::Engine;
use crate::error::{Error, Op, Result};

/// Force-removes every managed container that also carries label `key`
/// (`key=value` when `value` is given). Returns how many were removed.
pub async fn remove_labelled(engine: &Engine, key: &str, value: Option<&str>) -> Result<usize> {
    let docker = engine.docker();
    let wanted = match value {
        Some(v) => format!("{key}={v}"),
        None => key.to_string(),
    };
    let filters = HashMap::from([("label".to_string(), vec![format!("{}=true", labels::MANAGED), wanted])]);
    let found = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(|e| {
            Error::from_engine(
                e,
                Op::Engine {
                    socket_path: engine.socket_path(),
                },
            )
        })?;
    let mut removed = 0;
    for c in found {
        let Some(id) = c.id else { continue };
        let gone = docker
            .remove_container(
                &id,
                Some(RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                }),
            )
            .await;
        match gone.map_err(|e| Error::from_engine(e, Op::Handle { container: &id })) {
            Ok(()) | Err(Error::ContainerGone { .. }) => removed += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}
