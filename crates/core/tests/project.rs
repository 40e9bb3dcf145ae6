//! Projects without an engine: the config parser (every mistake a
//! `ProjectConfig` error with file, line and key), init and root finding,
//! and the journal (one well-formed line per command, however many at once;
//! logs rotated by size and count).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use pocket_dock_core::journal::{Entry, HistoryLine, Journal, LogPolicy};
use pocket_dock_core::project::{self, config, Project};
use pocket_dock_core::Error;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pd-project-{tag}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The (line, key, detail) of a config mistake.
fn mistake(text: &str) -> (Option<u32>, Option<String>, String) {
    match config::parse(text, Path::new("/p/.pocket-dock/pocket-dock.yaml")) {
        Err(Error::ProjectConfig {
            file,
            line,
            key,
            detail,
        }) => {
            assert_eq!(file, "/p/.pocket-dock/pocket-dock.yaml");
            (line, key, detail)
        }
        other => panic!("expected a ProjectConfig error for {text:?}, got {other:?}"),
    }
}

#[test]
fn a_full_config_parses_with_sizes_in_units() {
    let c = config::parse(
        "project_name: app\ndefault_profile: minimal-node\ndefault_persist: true\nauto_log: false\nmax_log_size: 10MB\nmax_logs_per_instance: 3\nretention_days: 7\nsocket: /run/x.sock\nlog_level: debug\n",
        Path::new("f"),
    )
    .unwrap();
    assert_eq!(c.project_name.as_deref(), Some("app"));
    assert_eq!(c.default_profile.as_deref(), Some("minimal-node"));
    assert_eq!(c.default_persist, Some(true));
    assert_eq!(c.auto_log, Some(false));
    assert_eq!(c.max_log_size, Some(10 * 1024 * 1024));
    assert_eq!(c.max_logs_per_instance, Some(3));
    assert_eq!(c.retention_days, Some(7));
    assert_eq!(c.socket.as_deref(), Some("/run/x.sock"));
    assert_eq!(
        config::parse("max_log_size: 2048\n", Path::new("f"))
            .unwrap()
            .max_log_size,
        Some(2048)
    );
    assert_eq!(
        config::parse("max_log_size: 1.5KB\n", Path::new("f"))
            .unwrap()
            .max_log_size,
        Some(1536)
    );
    // Empty, or only comments: nothing set.
    assert_eq!(config::parse("", Path::new("f")).unwrap().project_name, None);
    assert_eq!(config::parse("# nothing\n", Path::new("f")).unwrap().auto_log, None);
}

#[test]
fn each_mistake_names_its_line_and_key() {
    let (line, key, detail) = mistake("project_name: app\ncolour: red\n");
    assert_eq!((line, key.as_deref()), (Some(2), Some("colour")));
    assert!(detail.contains("unknown field"), "{detail}");

    let (line, key, _) = mistake("project_name: app\n\ndefault_persist: maybe\n");
    assert_eq!((line, key.as_deref()), (Some(3), Some("default_persist")));

    let (line, key, detail) = mistake("auto_log: true\nmax_log_size: lots\nretention_days: 3\n");
    assert_eq!((line, key.as_deref()), (Some(2), Some("max_log_size")));
    assert!(detail.contains("expected a size like 10MB"), "{detail}");

    let (line, key, _) = mistake("max_logs_per_instance: -4\n");
    assert_eq!((line, key.as_deref()), (Some(1), Some("max_logs_per_instance")));

    let (line, key, _) = mistake("retention_days: 0\n");
    assert_eq!((line, key.as_deref()), (Some(1), Some("retention_days")));

    let (line, key, detail) = mistake("a: 1\n b: [\n");
    assert!(line.is_some(), "bad YAML has a line: {detail}");
    assert_eq!(key, None);
    assert!(detail.contains("not valid YAML"), "{detail}");

    let (_, key, detail) = mistake("default_profile: huge\n");
    assert_eq!(key.as_deref(), Some("default_profile"));
    assert!(
        detail.contains("minimal-python"),
        "the message lists the profiles: {detail}"
    );

    let (_, key, _) = mistake("project_name: \"a/b\"\n");
    assert_eq!(key.as_deref(), Some("project_name"));

    let (line, _, _) = mistake("- a\n- b\n");
    assert_eq!(line, Some(1));

    // The message says where and what to do.
    let e = config::parse("x: 1\n", Path::new("/p/c.yaml")).unwrap_err().to_string();
    assert!(e.starts_with("/p/c.yaml:1: `x`: "), "{e}");
    assert!(e.contains("docs/projects.md"), "{e}");
}

#[test]
fn init_is_idempotent_and_the_root_is_found_from_below() {
    let root = temp_dir("init").canonicalize().unwrap();
    let made = project::init(Some(&root), Some("my app")).unwrap();
    assert_eq!(made, root);
    let file = root.join(".pocket-dock/pocket-dock.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // Every key is written out, commented, and parses to the defaults.
    for key in [
        "project_name",
        "default_profile",
        "default_persist",
        "auto_log",
        "max_log_size",
        "max_logs_per_instance",
        "retention_days",
        "socket",
        "log_level",
    ] {
        assert!(text.contains(&format!("{key}:")), "{key} missing from\n{text}");
    }
    let p = Project::open(&root).unwrap();
    assert_eq!(p.settings.project_name, "my app");
    assert_eq!(p.settings.max_log_size, config::DEFAULT_MAX_LOG_SIZE);
    assert!(p.settings.auto_log && !p.settings.default_persist);
    assert_eq!(
        std::fs::read_to_string(root.join(".pocket-dock/.gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("instances/")
    );
    // Again: nothing changes, an edited config is kept.
    std::fs::write(&file, "project_name: kept\n").unwrap();
    assert_eq!(project::init(Some(&root), Some("other")).unwrap(), root);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "project_name: kept\n");

    let nested = root.join("a/b/c");
    std::fs::create_dir_all(&nested).unwrap();
    assert_eq!(project::find_root(Some(&nested)).unwrap(), Some(root.clone()));
    let outside = temp_dir("outside");
    assert_eq!(project::find_root(Some(&outside)).unwrap(), None);
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}

#[test]
fn bad_paths_and_names_are_type_errors() {
    let dir = temp_dir("bad");
    let file = dir.join("f");
    std::fs::write(&file, "x").unwrap();
    for e in [
        project::init(Some(&file), None).unwrap_err(),
        project::init(Some(&dir.join("missing")), None).unwrap_err(),
        project::find_root(Some(&file)).unwrap_err(),
        project::init(Some(&dir), Some("a/b")).unwrap_err(),
        project::init(Some(&dir), Some("a\nb")).unwrap_err(),
        project::init(Some(&dir), Some("")).unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    }
    assert!(!dir.join(".pocket-dock").exists(), "bad input left nothing behind");
    assert!(matches!(
        Project::open(&dir).unwrap_err(),
        Error::ProjectNotInitialized { .. }
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_project_directory_is_a_project_error() {
    // Root ignores permissions; a file where the directory should be does not.
    let dir = temp_dir("unwritable");
    std::fs::write(dir.join(".pocket-dock"), "not a directory").unwrap();
    let e = project::init(Some(&dir), None).unwrap_err();
    assert!(matches!(e, Error::Project { .. }), "{e:?}");
    assert_eq!(e.code(), "PROJECT_ERROR");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn result_entry(i: usize) -> (String, String) {
    (format!("echo {i}"), format!("line {i}\n"))
}

#[test]
fn concurrent_records_leave_one_whole_line_each() {
    let dir = temp_dir("journal");
    let policy = LogPolicy {
        enabled: true,
        max_size: 4096,
        max_files: 3,
        retention: Duration::from_secs(86_400),
    };
    let journal = Journal::open(&dir, "c", policy);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let j = journal.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let (cmd, out) = result_entry(t * 25 + i);
                    j.record(Entry {
                        kind: "run",
                        command: &cmd,
                        started: SystemTime::now(),
                        exit_code: (i % 3) as i64,
                        duration_ms: 1.5,
                        timed_out: false,
                        truncated: false,
                        stdout: &out,
                        stderr: "",
                    });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    journal.flush();
    let text = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    let lines: Vec<HistoryLine> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 200);
    let mut commands: Vec<String> = lines.iter().map(|l| l.command.clone()).collect();
    commands.sort();
    commands.dedup();
    assert_eq!(commands.len(), 200, "every command once");

    // 200 entries of ~80 bytes in 4 KiB files: rotated, at most 3 files, none over the size.
    let logs: Vec<_> = std::fs::read_dir(dir.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 3, "{logs:?}");
    for f in &logs {
        assert!(
            std::fs::metadata(f).unwrap().len() <= 4096,
            "{f:?} is over max_log_size"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_user_config_applies_under_the_project_config() {
    // Only keys no other test of this file looks at, since the environment
    // is shared by the tests running at once.
    let home = temp_dir("xdg");
    std::fs::create_dir_all(home.join("pocket-dock")).unwrap();
    std::fs::write(
        home.join("pocket-dock/config.yaml"),
        "retention_days: 9\nlog_level: debug\nsocket: /user.sock\n",
    )
    .unwrap();
    std::env::set_var("XDG_CONFIG_HOME", &home);
    let root = temp_dir("merge");
    project::init(Some(&root), Some("m")).unwrap();
    std::fs::write(
        root.join(".pocket-dock/pocket-dock.yaml"),
        "project_name: m\nsocket: /project.sock\n",
    )
    .unwrap();
    let s = Project::open(&root).unwrap().settings;
    std::env::remove_var("XDG_CONFIG_HOME");
    assert_eq!(s.retention_days, 9, "from the user's file");
    assert_eq!(s.log_level, config::LogLevel::Debug);
    assert_eq!(s.socket.as_deref(), Some("/project.sock"), "the project's file wins");
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::remove_dir_all(&home).unwrap();
}
