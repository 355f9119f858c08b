//! A busy emulator: an emulator of its own (a second LocalStack instance, so that stopping it
//! touches no other test), several pipelines pushed at once, each push watched by a CLI
//! process of its own, every execution ending as its commit deserves (a commit with a `FAIL`
//! file fails its build); the emulator's thread count back to its baseline afterwards; then the
//! emulator stopped while builds run: no process it started is left, and a watch of it says it
//! lost touch instead of hanging.
//!
//! The CI run pushes [`PIPELINES`] pipelines; `PIPEWRIGHT_EXHAUSTIVE=1` pushes
//! [`PIPELINES_EXHAUSTIVE`].

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pipewright::local::LocalOptions;
use pipewright::model::{
    App, Artifact, ArtifactBucket, BuildProject, CodeBuild, CodeCommitSource, InlineBuildSpec,
    Pipeline, Repository, Stage,
};
use tokio::process::Command;

use crate::harness::unique;
use crate::watch::{cli_at, expect};

const PIPELINES: usize = 3;
pub(crate) const PIPELINES_EXHAUSTIVE: usize = 20;
const CHILD_PREFIX: &str = "PIPEWRIGHT_BUSY_APP";
const CHILD_ARGS: &str = "PIPEWRIGHT_BUSY_ARGS";

/// Source → a build of a few lines that fails when the commit has a `FAIL` file.
fn app(prefix: &str) -> App {
    let mut app = App::new(prefix).expect("a valid app name");
    let repo = app.add(
        Repository::builder()
            .name(format!("{prefix}-src"))
            .build()
            .expect("a repository"),
    );
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{prefix}-art"))
            .build()
            .expect("a bucket"),
    );
    let project = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-build"))
            .buildspec(InlineBuildSpec::new().build([
                "for i in $(seq 1 10); do echo \"line $i\"; sleep 0.3; done",
                "test ! -e FAIL",
            ]))
            .build()
            .expect("a project"),
    );
    let source = Artifact::new("Source");
    app.add(
        Pipeline::builder()
            .name(prefix)
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(Stage::new("Build").action(CodeBuild::new("Make", &project).input(&source)))
            .build()
            .expect("a pipeline"),
    );
    app
}

/// Not a test: a CLI process of the busy test, on the app named by `PIPEWRIGHT_BUSY_APP`, with
/// the arguments in `PIPEWRIGHT_BUSY_ARGS` (separated by U+001F).
#[tokio::test]
#[ignore = "the busy-emulator test runs it as its child process"]
async fn child_cli() {
    let (Ok(prefix), Ok(args)) = (std::env::var(CHILD_PREFIX), std::env::var(CHILD_ARGS)) else {
        return;
    };
    let mut argv = vec!["example".to_owned()];
    argv.extend(args.split('\u{1f}').map(str::to_owned));
    let code = pipewright::cli::run(
        app(&prefix),
        argv,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
    .await;
    std::process::exit(code.into());
}

fn child(prefix: &str, url: &str, args: &[&str]) -> tokio::process::Child {
    let mut argv: Vec<&str> = args.to_vec();
    argv.extend_from_slice(&["--local", "--endpoint-url", url]);
    Command::new(std::env::current_exe().expect("the test binary knows its path"))
        .args(["--exact", "busy::child_cli", "--ignored", "--nocapture"])
        .env(CHILD_PREFIX, prefix)
        .env(CHILD_ARGS, argv.join("\u{1f}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the test binary runs again as a child")
}

/// A field of `/proc/PID/status` (`Threads`, `VmRSS` in kB).
fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// (pid, parent, process group, start time) of every process.
fn processes() -> Vec<(u32, u32, u32, u64)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        // After the command: state, ppid, pgrp, ... and the start time is field 22 of the line.
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(0);
        all.push((pid, num(1) as u32, num(2) as u32, num(19)));
    }
    all
}

/// Every descendant of `root` (pid and start time), and everything in its process group.
fn descendants(root: u32) -> BTreeSet<(u32, u64)> {
    let all = processes();
    let mut found: BTreeSet<(u32, u64)> = BTreeSet::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for &(pid, ppid, _, start) in &all {
            if ppid == parent && found.insert((pid, start)) {
                parents.push(pid);
            }
        }
    }
    for &(pid, _, pgrp, start) in &all {
        if pgrp == root && pid != root {
            found.insert((pid, start));
        }
    }
    found
}

/// Those of `seen` still alive (the same pid with the same start time), and any process left in
/// group `group`.
fn left_of(seen: &BTreeSet<(u32, u64)>, group: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|&(pid, _, pgrp, start)| seen.contains(&(pid, start)) || pgrp == group)
        .map(|(pid, ..)| pid)
        .collect()
}

/// Whether `pid` is a build's shell (the emulator runs a buildspec's commands through
/// `bash --noprofile --norc` in a session of its own) or a `sleep` of the buildspec.
fn is_build_shell(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
        let argv: Vec<&[u8]> = c.split(|b| *b == 0).collect();
        argv.get(1) == Some(&&b"--noprofile"[..]) || argv.first() == Some(&&b"sleep"[..])
    })
}

/// What the busy run measured, for the report and its figures.
pub(crate) struct Busy {
    pub(crate) pipelines: usize,
    pub(crate) failing: usize,
    pub(crate) slowest: f64,
    pub(crate) threads: (u64, u64, u64),
    pub(crate) rss_kb: (u64, u64, u64),
    pub(crate) children_seen: usize,
    pub(crate) watch_seconds: f64,
    pub(crate) watch_message: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_emulator_ends_every_execution_as_deserved_and_leaves_nothing_when_stopped() {
    let n = if crate::crash::exhaustive() {
        PIPELINES_EXHAUSTIVE
    } else {
        PIPELINES
    };
    let me = std::process::id();
    let state = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"));
    let options = LocalOptions::default()
        .state_dir(&state)
        .instance(format!("busy-{me}"))
        .port(0)
        .owner_pid(me)
        .timeout(Duration::from_secs(300));
    let url = tokio::task::spawn_blocking({
        let options = options.clone();
        move || options.start()
    })
    .await
    .expect("the starter")
    .expect("a LocalStack of its own")
    .endpoint()
    .to_owned();
    let pid: u32 = std::fs::read_to_string(state.join(format!("instances/busy-{me}/pid")))
        .expect("the instance's pid file")
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a pid");
    let limit = Duration::from_secs(300);

    let prefixes: Vec<String> = (0..n).map(|_| unique("busy")).collect();
    for prefix in &prefixes {
        expect(
            &cli_at(app(prefix), &url, &["apply", "--yes"], limit).await,
            0,
            "apply",
        );
    }
    let root = std::env::temp_dir().join(format!("pwt-busy-{me}"));
    let dirs: Vec<PathBuf> = prefixes.iter().map(|p| root.join(p)).collect();
    for (i, dir) in dirs.iter().enumerate() {
        std::fs::create_dir_all(dir).expect("a folder");
        std::fs::write(dir.join("README.md"), format!("busy {i}\n")).expect("a file");
    }
    // Settled before the baseline: the applies' work done.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let baseline = (
        status_field(pid, "Threads").expect("threads"),
        status_field(pid, "VmRSS").expect("RSS"),
    );

    // Every third commit carries a FAIL file: its build, and so its execution, fails.
    let fails = |i: usize| i % 3 == 1;
    for (i, dir) in dirs.iter().enumerate() {
        if fails(i) {
            std::fs::write(dir.join("FAIL"), "this commit fails its build\n").expect("a file");
        }
    }
    let started = Instant::now();
    let pushes: Vec<_> = prefixes
        .iter()
        .zip(&dirs)
        .map(|(prefix, dir)| {
            child(
                prefix,
                &url,
                &["push", dir.to_str().expect("utf-8"), "--watch"],
            )
        })
        .collect();
    let mut peak = baseline;
    let mut slowest = 0.0f64;
    let mut waiting = Vec::new();
    for push in pushes {
        waiting.push(tokio::spawn(async move {
            let out = push.wait_with_output().await.expect("the push runs");
            (out, started.elapsed().as_secs_f64())
        }));
    }
    let mut results = Vec::new();
    for task in waiting {
        while !task.is_finished() {
            peak.0 = peak.0.max(status_field(pid, "Threads").unwrap_or(0));
            peak.1 = peak.1.max(status_field(pid, "VmRSS").unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        results.push(task.await.expect("the waiter"));
    }
    for (i, (out, seconds)) in results.iter().enumerate() {
        let want = if fails(i) { 1 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "push --watch of pipeline {i}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let status = if fails(i) { " Failed" } else { " Succeeded" };
        assert!(
            text.lines()
                .last()
                .is_some_and(|l| l.starts_with("execution ") && l.contains(status)),
            "{text}"
        );
        slowest = slowest.max(*seconds);
    }

    // The emulator's threads back to their baseline once the work is done (at most a minute).
    let until = Instant::now() + Duration::from_secs(60);
    let after = loop {
        let threads = status_field(pid, "Threads").expect("threads");
        if threads <= baseline.0 || Instant::now() > until {
            break (threads, status_field(pid, "VmRSS").expect("RSS"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        after.0 <= baseline.0,
        "threads {} after the busy run, {} before",
        after.0,
        baseline.0
    );

    // Stopped mid-run: every pipeline pushed again, the emulator stopped while the builds run.
    for (i, dir) in dirs.iter().enumerate() {
        std::fs::write(dir.join("README.md"), format!("busy again {i}\n")).expect("a file");
    }
    for (prefix, dir) in prefixes.iter().zip(&dirs) {
        let pushed = cli_at(
            app(prefix),
            &url,
            &["push", dir.to_str().expect("utf-8")],
            limit,
        )
        .await;
        expect(&pushed, 0, "push");
    }
    let watch = child(&prefixes[0], &url, &["watch"]);
    // Builds run as processes of the emulator: wait for them, and note every descendant.
    let until = Instant::now() + Duration::from_secs(120);
    let mut seen = BTreeSet::new();
    let mut building = false;
    while !building && Instant::now() < until {
        let now = descendants(pid);
        building = now.iter().any(|&(p, _)| is_build_shell(p));
        seen.extend(now);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(building, "no build ran in the emulator's processes");
    tokio::task::spawn_blocking(move || options.stop())
        .await
        .expect("the stopper")
        .expect("the emulator stops");
    let stopped = Instant::now();
    let until = Instant::now() + Duration::from_secs(10);
    while !left_of(&seen, pid).is_empty() {
        assert!(
            Instant::now() < until,
            "left behind by the stopped emulator: {:?}",
            left_of(&seen, pid)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let watched = tokio::time::timeout(Duration::from_secs(240), watch.wait_with_output())
        .await
        .expect("the watch of a vanished emulator ends")
        .expect("the watch runs");
    let watch_seconds = stopped.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&watched.stderr);
    let message = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(watched.status.code(), Some(1), "{err}");
    assert!(
        message.contains("lost touch with AWS") && message.contains("may still be running"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&root);
    crate::report::record_busy(&Busy {
        pipelines: n,
        failing: (0..n).filter(|&i| fails(i)).count(),
        slowest,
        threads: (baseline.0, peak.0, after.0),
        rss_kb: (baseline.1, peak.1, after.1),
        children_seen: seen.len(),
        watch_seconds,
        watch_message: without_id(message.split_inclusive("again)").next().unwrap_or_default())
            .replace(&prefixes[0], "PIPELINE"),
    });
}

/// `text` with the execution id after each `execution ` replaced by `ID`.
fn without_id(text: &str) -> String {
    let mut out = Vec::new();
    let mut after_execution = false;
    for word in text.split(' ') {
        let id = word.trim_end_matches('`');
        if after_execution
            && id.len() >= 30
            && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        {
            out.push(word.replace(id, "ID"));
        } else {
            out.push(word.to_owned());
        }
        after_execution = word == "execution" || word == "--execution";
    }
    out.join(" ")
}
