//! Building an image through the engine's build API (the classic builder on
//! both engines): the context streamed as a tar, the engine's output turned
//! into step and log events, a failure into [`Error::ImageBuild`] with its
//! step and the log's last lines, and an abort into a dropped request (both
//! engines then stop the build and remove its intermediate container; see
//! `docs/engines.md`).
//!
//! [`prepare`] judges the input (tag, labels, build args, the context on a
//! blocking thread) before any engine is reached; [`run`] builds. The id is
//! the one the engine's stream names (`aux.ID`, or `Successfully built …`),
//! never looked up by tag afterwards: two builds of one tag each get their own.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bollard::query_parameters::BuildImageOptions;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::context::{Context, Findings};
use super::progress::{OnProgress, Progress};
use crate::engine::Engine;
use crate::error::{Error, Op, Result};
use crate::labels;
use crate::validate::{check_image_ref, check_no_nul, invalid};

/// Lines of build output kept for the error of a failed build.
const LOG_TAIL_LINES: usize = 20;

/// The longest log line, in bytes: output without newlines arrives in pieces
/// of at most this size, so memory stays bounded whatever a step prints.
pub const MAX_LINE: usize = 16 * 1024;

/// What to build (the TS `buildImage` options).
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    /// The context directory.
    pub context: String,
    /// The Dockerfile, relative to the context (default `Dockerfile`).
    pub dockerfile: Option<String>,
    pub tag: String,
    pub build_args: Vec<(String, String)>,
    pub no_cache: bool,
    /// Labels added to the image, besides [`labels::IMAGE`].
    pub labels: Vec<(String, String)>,
}

/// A build whose input was judged: the spec and its opened context.
#[derive(Debug)]
pub struct Prepared {
    spec: BuildSpec,
    context: Context,
}

/// Checks `spec` and opens its context (on a blocking thread), before any
/// engine call: every failure is bad input.
pub async fn prepare(spec: BuildSpec) -> Result<Prepared> {
    check_tag(&spec.tag)?;
    for (k, v) in &spec.build_args {
        if k.is_empty() || k.contains('=') {
            return Err(invalid(format!(
                "build arg name {k:?} must be non-empty and without `=`"
            )));
        }
        check_no_nul(k, "a build arg name")?;
        check_no_nul(v, &format!("build arg {k:?}"))?;
    }
    for (k, v) in &spec.labels {
        if k.is_empty() {
            return Err(invalid("a build label key must not be empty"));
        }
        check_no_nul(k, "the build label key")?;
        check_no_nul(v, &format!("the build label {k:?}"))?;
        if k.starts_with("pocket-dock.") {
            return Err(invalid(format!(
                "the build label {k:?} is reserved: keys starting with `pocket-dock.` are pocket-dock's own; pick another key"
            )));
        }
    }
    let context = Context::open_blocking(spec.context.clone(), spec.dockerfile.clone()).await?;
    Ok(Prepared { spec, context })
}

/// The tag of a build: a reference with a name and maybe a tag, no digest
/// (a digest names content, which a build cannot promise).
fn check_tag(tag: &str) -> Result<()> {
    check_image_ref(tag, "`tag`")?;
    if tag.contains('@') {
        return Err(invalid(format!(
            "`tag` {tag:?} holds a digest: a build names its image `name` or `name:tag`, the engine computes the digest"
        )));
    }
    Ok(())
}

/// Checks `spec` (before any engine call), builds it and returns the image id
/// (`sha256:…`).
pub async fn build(
    engine: &Engine,
    spec: BuildSpec,
    cancel: CancellationToken,
    progress: impl OnProgress,
) -> Result<String> {
    run(engine, prepare(spec).await?, cancel, progress).await
}

/// Builds a prepared spec and returns the image id (`sha256:…`).
pub async fn run(
    engine: &Engine,
    prepared: Prepared,
    cancel: CancellationToken,
    mut progress: impl OnProgress,
) -> Result<String> {
    let Prepared { spec, context } = prepared;
    let mut image_labels: HashMap<String, String> = spec.labels.iter().cloned().collect();
    image_labels.insert(labels::IMAGE.into(), "build".into());
    let nonce = format!("{:016x}", rand::random::<u64>());
    image_labels.insert(labels::BUILD.into(), nonce.clone());
    let options = BuildImageOptions {
        t: Some(spec.tag.clone()),
        dockerfile: context.dockerfile().to_string(),
        buildargs: Some(spec.build_args.iter().cloned().collect()),
        labels: Some(image_labels),
        nocache: spec.no_cache,
        rm: true,
        forcerm: true,
        ..Default::default()
    };
    let (chunks, findings) = context.stream();
    let body = bollard::body_try_stream(super::channel::receiver_stream(chunks));
    let mut stream = engine.docker().build_image(options, None, Some(body));
    let mut log = BuildLog::default();
    let mut built: Option<String> = None;
    let outcome = async {
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(info) => info,
                Err(e) => {
                    let detail = engine_detail(e, &spec.tag);
                    return Err(log.failure(&spec.tag, context_detail(&findings, detail)));
                }
            };
            if let Some(id) = info.aux.and_then(|a| a.id) {
                built = Some(id);
            }
            if let Some(text) = info.stream.as_deref() {
                if let Some(short) = text.trim().strip_prefix("Successfully built ") {
                    built.get_or_insert_with(|| short.trim().to_string());
                }
                log.feed(text, &mut progress);
            }
            if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                log.flush(&mut progress);
                return Err(log.failure(&spec.tag, context_detail(&findings, detail)));
            }
        }
        log.flush(&mut progress);
        if let Some(failure) = findings.lock().unwrap_or_else(|p| p.into_inner()).failure.clone() {
            return Err(log.failure(&spec.tag, format!("the build context could not be sent: {failure}")));
        }
        Ok(())
    };
    tokio::select! {
        r = outcome => r?,
        () = cancel.cancelled() => {
            return Err(Error::Aborted { operation: format!("building {}", spec.tag) });
        }
    }
    match built {
        Some(id) if id.starts_with("sha256:") => Ok(id),
        // A short id from `Successfully built`: the engine completes it.
        Some(short) => super::local::image_id(engine, &short).await,
        // Not by tag: a concurrent build of the same tag may hold it by now.
        None => super::local::id_by_label(engine, &format!("{}={nonce}", labels::BUILD))
            .await?
            .ok_or_else(|| Error::ImageBuild {
                image: spec.tag.clone(),
                detail: "the engine reported success but no image carries this build's label".into(),
                step: None,
                instruction: None,
                log_tail: Vec::new(),
            }),
    }
}

/// The detail of a failed build, with what the context writer met: a file it
/// could not send, or (for an engine that fails without a word) the symlinks
/// that point out of the context.
fn context_detail(findings: &Arc<Mutex<Findings>>, detail: String) -> String {
    let found = findings.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(failure) = &found.failure {
        return format!("the build context could not be sent: {failure}");
    }
    if !detail.trim().is_empty() {
        return detail;
    }
    if found.escaping_links.is_empty() {
        "the engine refused the build without saying why: check the context for files it cannot take (special files, symlinks that point outside it)".into()
    } else {
        format!(
            "the engine refused the build without saying why; the context holds symlinks that point outside it through `..` ({}), which Podman does not accept: remove them, make them absolute, or list them in .dockerignore",
            found.escaping_links.join(", ")
        )
    }
}

/// An engine failure during a build: bad input the engine judged (an unknown
/// base image, a syntax error in the Dockerfile) reads as the engine said it.
fn engine_detail(e: bollard::errors::Error, tag: &str) -> String {
    match e {
        bollard::errors::Error::DockerStreamError { error } => error,
        bollard::errors::Error::DockerResponseServerError { message, .. } => message,
        other => Error::from_engine(other, Op::Image { image: tag }).to_string(),
    }
}

/// The build's output so far: lines assembled from the engine's chunks, the
/// current step, and the last lines for an error.
#[derive(Debug, Default)]
struct BuildLog {
    partial: String,
    step: Option<(u32, String)>,
    tail: VecDeque<String>,
}

impl BuildLog {
    fn feed(&mut self, text: &str, progress: &mut impl FnMut(Progress)) {
        self.partial.push_str(text);
        loop {
            match self.partial.find('\n') {
                Some(i) if i <= MAX_LINE => {
                    let line: String = self.partial.drain(..=i).collect();
                    self.line(line.trim_end(), progress);
                }
                // Output without newlines: cut into lines of at most MAX_LINE bytes.
                _ if self.partial.len() > MAX_LINE => {
                    let mut cut = MAX_LINE;
                    while !self.partial.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let line: String = self.partial.drain(..cut).collect();
                    self.line(&line, progress);
                }
                _ => break,
            }
        }
    }

    fn flush(&mut self, progress: &mut impl FnMut(Progress)) {
        let rest = std::mem::take(&mut self.partial);
        if !rest.trim().is_empty() {
            self.line(rest.trim_end(), progress);
        }
    }

    fn line(&mut self, line: &str, progress: &mut impl FnMut(Progress)) {
        if line.trim().is_empty() {
            return;
        }
        if let Some((step, total, text)) = parse_step(line) {
            self.step = Some((step, text.clone()));
            progress(Progress::Step { step, total, text });
            return;
        }
        if self.tail.len() == LOG_TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.to_string());
        progress(Progress::Log { text: line.to_string() });
    }

    fn failure(&self, tag: &str, detail: String) -> Error {
        Error::ImageBuild {
            image: tag.to_string(),
            detail: detail.trim().to_string(),
            step: self.step.as_ref().map(|(n, _)| *n),
            instruction: self.step.as_ref().map(|(_, t)| t.clone()),
            log_tail: self.tail.iter().cloned().collect(),
        }
    }
}

/// A step marker: Docker's `Step 2/5 : COPY . /app`, Podman's `STEP 2/5: COPY . /app`.
fn parse_step(line: &str) -> Option<(u32, u32, String)> {
    let rest = line.strip_prefix("Step ").or_else(|| line.strip_prefix("STEP "))?;
    let (counts, text) = rest.split_once(':')?;
    let (step, total) = counts.trim().split_once('/')?;
    Some((step.parse().ok()?, total.parse().ok()?, text.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_step_markers_are_steps() {
        assert_eq!(parse_step("Step 2/5 : COPY . /app"), Some((2, 5, "COPY . /app".into())));
        assert_eq!(
            parse_step("STEP 3/5: RUN echo a: b"),
            Some((3, 5, "RUN echo a: b".into()))
        );
        assert_eq!(parse_step("Stepping out"), None);
        assert_eq!(parse_step(" ---> Running in abc"), None);
    }

    #[test]
    fn lines_split_across_chunks_are_one_line_and_the_tail_is_bounded() {
        let mut log = BuildLog::default();
        let mut events = Vec::new();
        let mut sink = |p: Progress| events.push(p);
        log.feed("Step 1/2 : RUN x\nhel", &mut sink);
        log.feed("lo\n", &mut sink);
        for i in 0..30 {
            log.feed(&format!("line {i}\n"), &mut sink);
        }
        log.feed("no newline", &mut sink);
        log.flush(&mut sink);
        assert_eq!(
            events[0],
            Progress::Step {
                step: 1,
                total: 2,
                text: "RUN x".into()
            }
        );
        assert_eq!(events[1], Progress::Log { text: "hello".into() });
        let Error::ImageBuild {
            step,
            instruction,
            log_tail,
            ..
        } = log.failure("t", "boom".into())
        else {
            panic!()
        };
        assert_eq!((step, instruction.as_deref()), (Some(1), Some("RUN x")));
        assert_eq!(log_tail.len(), LOG_TAIL_LINES);
        assert_eq!(log_tail.last().map(String::as_str), Some("no newline"));
    }

    #[test]
    fn output_without_newlines_is_cut_into_bounded_lines() {
        let mut log = BuildLog::default();
        let mut sizes = Vec::new();
        let mut sink = |p: Progress| {
            if let Progress::Log { text } = p {
                sizes.push(text.len());
            }
        };
        for _ in 0..100 {
            log.feed(&"é".repeat(1000), &mut sink);
        }
        log.feed("\n", &mut sink);
        log.flush(&mut sink);
        assert!(sizes.iter().all(|n| *n <= MAX_LINE), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 200_000);
    }

    #[test]
    fn a_digest_is_no_build_tag() {
        assert!(check_tag("x:1").is_ok());
        assert!(check_tag(&format!("x@sha256:{}", "a".repeat(64))).is_err());
    }
}
