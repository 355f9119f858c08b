//! A busy emulator: an emulator of its own (a second LocalStack instance, so that stopping it
//! touches no other test, started with deployment hooks on), several pipelines pushed at once,
//! every third ending in a CodeDeploy deployment to an instance of the emulator, each push
//! watched by a CLI process of its own, every execution ending as its commit deserves (a commit
//! with a `FAIL` file fails its build), deployments in flight while builds run; after a warm-up
//! round and a busy one, the emulator's thread count back to its baseline and its memory within
//! a margin of it; then the emulator stopped while builds and hooks run: no process it started
//! is left, and a watch of it says it lost touch instead of hanging.
//!
//! The CI run pushes [`PIPELINES`] pipelines; `PIPEWRIGHT_EXHAUSTIVE=1` pushes
//! [`PIPELINES_EXHAUSTIVE`].

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pipewright::local::LocalOptions;
use pipewright::model::{
    App, Artifact, ArtifactBucket, BuildProject, CodeBuild, CodeCommitSource, CodeDeploy,
    DeployConfig, DeploymentGroup, InlineBuildSpec, Pipeline, Repository, ServerApplication, Stage,
};
use tokio::process::Command;

use crate::harness::unique;
use crate::watch::{cli_at, expect};

const PIPELINES: usize = 3;
pub(crate) const PIPELINES_EXHAUSTIVE: usize = 20;
/// How far above the baseline (after a warm-up round) the emulator's RSS may be once the busy
/// round is done, in per cent.
const RSS_MARGIN: u64 = 25;
const CHILD_PREFIX: &str = "PIPEWRIGHT_BUSY_APP";
const CHILD_ARGS: &str = "PIPEWRIGHT_BUSY_ARGS";

/// Whether pipeline `prefix` ends in a deployment (its name says so, for the child CLI).
fn deploys_by_name(prefix: &str) -> bool {
    prefix.starts_with("pwt-busyd-")
}

/// The hook every deployment runs on its instance: long enough to be in flight while the other
/// pipelines' builds run.
const HOOK: &str = "#!/bin/sh\necho starting\nsleep 6\necho started\n";
const APPSPEC: &str = "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/busy-hook.sh\n      timeout: 60\n";

/// Source → a build that fails when the commit has a `FAIL` file. A pipeline named by
/// `unique("busyd")` builds at once and deploys the commit's `appspec.yml` to the instances
/// tagged `Name=<prefix>-web` (CodeDeploy to EC2/on-premises); the others' builds print lines
/// for a few seconds, so that those deployments run while they build.
fn app(prefix: &str) -> App {
    let deploys = deploys_by_name(prefix);
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
    let spec = if deploys {
        InlineBuildSpec::new()
            .build(["test ! -e FAIL", "echo built"])
            .artifacts(["appspec.yml", "scripts/**/*"])
    } else {
        InlineBuildSpec::new().build([
            "for i in $(seq 1 20); do echo \"line $i\"; sleep 0.3; done",
            "test ! -e FAIL",
        ])
    };
    let project = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-build"))
            .buildspec(spec)
            .build()
            .expect("a project"),
    );
    let source = Artifact::new("Source");
    let built = Artifact::new("Built");
    let mut make = CodeBuild::new("Make", &project).input(&source);
    if deploys {
        make = make.output(&built);
    }
    let mut pipeline = Pipeline::builder()
        .name(prefix)
        .artifact_store(&bucket)
        .stage(
            Stage::new("Source")
                .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
        )
        .stage(Stage::new("Build").action(make));
    if deploys {
        let application = app.add(
            ServerApplication::builder()
                .name(prefix)
                .build()
                .expect("an application"),
        );
        let group = app.add(
            DeploymentGroup::builder()
                .application(&application)
                .name("web")
                .ec2_tag("Name", format!("{prefix}-web"))
                .config(DeployConfig::ALL_AT_ONCE)
                .build()
                .expect("a deployment group"),
        );
        pipeline = pipeline
            .stage(Stage::new("Deploy").action(CodeDeploy::new("ToWeb", &group).input(&built)));
    }
    app.add(pipeline.build().expect("a pipeline"));
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

/// Whether `pid` is a build's shell: the emulator runs a buildspec's commands through a
/// `/bin/sh` reading them on its standard input (`bash --noprofile --norc` for `shell: bash`),
/// in a session of its own.
fn is_build_shell(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
        let argv: Vec<&[u8]> = c.split(|b| *b == 0).filter(|a| !a.is_empty()).collect();
        argv == [&b"/bin/sh"[..]] || argv.get(1) == Some(&&b"--noprofile"[..])
    })
}

/// Whether `pid` is a deployment's hook (`/bin/sh .../scripts/busy-hook.sh`, run by the
/// emulator as the CodeDeploy agent runs it on an instance).
fn is_hook(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a.ends_with(b"busy-hook.sh")))
}

/// What runs among the emulator's processes now: how many builds, the deployment hooks, and
/// every descendant.
type Running = (usize, BTreeSet<(u32, u64)>, BTreeSet<(u32, u64)>);

fn running(emulator: u32) -> Running {
    let now = descendants(emulator);
    let builds = now.iter().filter(|&&(p, _)| is_build_shell(p)).count();
    let hooks = now.iter().copied().filter(|&(p, _)| is_hook(p)).collect();
    (builds, hooks, now)
}

/// Pushes each folder with `push --watch` in a CLI process of its own, all at once; each
/// watch's output and time, in order, and how many deployment hooks were seen running while
/// builds ran (sampled every 200 ms, with the emulator's peak threads and RSS in `peak`).
async fn busy_round(
    prefixes: &[String],
    dirs: &[PathBuf],
    url: &str,
    emulator: u32,
    peak: &mut (u64, u64),
) -> (Vec<(std::process::Output, f64)>, usize) {
    let started = Instant::now();
    let pushes: Vec<_> = prefixes
        .iter()
        .zip(dirs)
        .map(|(prefix, dir)| {
            child(
                prefix,
                url,
                &["push", dir.to_str().expect("utf-8"), "--watch"],
            )
        })
        .collect();
    let mut waiting = Vec::new();
    for push in pushes {
        waiting.push(tokio::spawn(async move {
            let out = push.wait_with_output().await.expect("the push runs");
            (out, started.elapsed().as_secs_f64())
        }));
    }
    let mut overlap = BTreeSet::new();
    let mut results = Vec::new();
    for task in waiting {
        while !task.is_finished() {
            peak.0 = peak.0.max(status_field(emulator, "Threads").unwrap_or(0));
            peak.1 = peak.1.max(status_field(emulator, "VmRSS").unwrap_or(0));
            let (builds, hooks, _) = running(emulator);
            if builds > 0 {
                overlap.extend(hooks);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        results.push(task.await.expect("the waiter"));
    }
    (results, overlap.len())
}

/// What the busy run measured, for the report and its figures.
pub(crate) struct Busy {
    pub(crate) pipelines: usize,
    pub(crate) failing: usize,
    pub(crate) slowest: f64,
    pub(crate) deploying: usize,
    /// The most deployments seen in flight (their hooks running) while builds ran.
    pub(crate) overlap: usize,
    pub(crate) threads: (u64, u64, u64),
    pub(crate) rss_kb: (u64, u64, u64),
    /// The most the RSS after the busy round may exceed the baseline by, in per cent.
    pub(crate) rss_margin: u64,
    /// Deployment hooks running when the emulator was stopped.
    pub(crate) hooks_at_stop: usize,
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
        .timeout(Duration::from_secs(300))
        .run_hooks(true);
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

    // Every third pipeline (the third, sixth, ...) ends in a deployment; of the others, every
    // other commit carries a FAIL file: its build, and so its execution, fails.
    let deploys = |i: usize| i % 3 == 2;
    let fails = |i: usize| i % 3 == 1;
    let prefixes: Vec<String> = (0..n)
        .map(|i| unique(if deploys(i) { "busyd" } else { "busy" }))
        .collect();
    for prefix in &prefixes {
        expect(
            &cli_at(app(prefix), &url, &["apply", "--yes"], limit).await,
            0,
            "apply",
        );
        if deploys_by_name(prefix) {
            let tag = format!("Name={prefix}-web");
            let options = options.clone();
            tokio::task::spawn_blocking(move || options.instances(["add", "--tag", &tag]))
                .await
                .expect("the launcher thread")
                .expect("an instance for the deployments");
        }
    }
    let root = std::env::temp_dir().join(format!("pwt-busy-{me}"));
    let dirs: Vec<PathBuf> = prefixes.iter().map(|p| root.join(p)).collect();
    for (i, dir) in dirs.iter().enumerate() {
        std::fs::create_dir_all(dir.join("scripts")).expect("a folder");
        std::fs::write(dir.join("README.md"), format!("busy {i}\n")).expect("a file");
        if deploys(i) {
            std::fs::write(dir.join("appspec.yml"), APPSPEC).expect("a file");
            std::fs::write(dir.join("scripts/busy-hook.sh"), HOOK).expect("a file");
        }
        if fails(i) {
            std::fs::write(dir.join("FAIL"), "this commit fails its build\n").expect("a file");
        }
    }
    let check = |round: &str, results: &[(std::process::Output, f64)]| {
        for (i, (out, _)) in results.iter().enumerate() {
            let want = if fails(i) { 1 } else { 0 };
            assert_eq!(
                out.status.code(),
                Some(want),
                "{round}: push --watch of pipeline {i}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            let status = if fails(i) { " Failed" } else { " Succeeded" };
            assert!(
                text.lines()
                    .last()
                    .is_some_and(|l| l.starts_with("execution ") && l.contains(status)),
                "{round}: {text}"
            );
            if deploys(i) {
                assert!(
                    text.contains("Deploy"),
                    "{round}: pipeline {i} deployed: {text}"
                );
            }
        }
    };

    // A first round warms the emulator up (Python keeps the memory it grew to): the baseline is
    // taken after it.
    let mut peak = (0, 0);
    let (warm, _) = busy_round(&prefixes, &dirs, &url, pid, &mut peak).await;
    check("the warm-up round", &warm);
    // Settled before the baseline: the work done.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let baseline = (
        status_field(pid, "Threads").expect("threads"),
        status_field(pid, "VmRSS").expect("RSS"),
    );

    // The busy round: every pipeline gets a new commit, pushed and watched at once.
    for (i, dir) in dirs.iter().enumerate() {
        std::fs::write(dir.join("README.md"), format!("busy {i}, round 2\n")).expect("a file");
    }
    let mut peak = baseline;
    let (results, overlap) = busy_round(&prefixes, &dirs, &url, pid, &mut peak).await;
    check("the busy round", &results);
    let slowest = results.iter().map(|(_, s)| *s).fold(0.0f64, f64::max);
    let deploying = (0..n).filter(|&i| deploys(i)).count();
    let wanted = if crate::crash::exhaustive() { 3 } else { 1 };
    assert!(
        overlap >= wanted,
        "{overlap} deployments ran while builds ran, of {deploying}: {}",
        results
            .iter()
            .map(|(o, t)| format!("{t:.1} s: {}", String::from_utf8_lossy(&o.stdout)))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The emulator's threads back to their baseline once the work is done, and its memory
    // within RSS_MARGIN per cent of it (at most a minute).
    let rss_bound = baseline.1 * (100 + RSS_MARGIN) / 100;
    let until = Instant::now() + Duration::from_secs(60);
    let after = loop {
        let threads = status_field(pid, "Threads").expect("threads");
        let rss = status_field(pid, "VmRSS").expect("RSS");
        if (threads <= baseline.0 && rss <= rss_bound) || Instant::now() > until {
            break (threads, rss);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        after.0 <= baseline.0,
        "threads {} after the busy run, {} before",
        after.0,
        baseline.0
    );
    assert!(
        after.1 <= rss_bound,
        "RSS {} kB after the busy round, {} kB after the warm-up round (at most +{RSS_MARGIN}%)",
        after.1,
        baseline.1
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
    // Builds and deployment hooks run as processes of the emulator: wait until both run, and
    // note every descendant.
    let until = Instant::now() + Duration::from_secs(120);
    let mut seen = BTreeSet::new();
    let (mut builds, mut hooks) = (0, 0);
    while (builds == 0 || hooks == 0) && Instant::now() < until {
        let (b, h, now) = running(pid);
        (builds, hooks) = (b, h.len());
        seen.extend(now);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(builds > 0, "no build ran in the emulator's processes");
    assert!(
        hooks > 0,
        "no deployment hook ran in the emulator's processes"
    );
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
        deploying,
        overlap,
        threads: (baseline.0, peak.0, after.0),
        rss_kb: (baseline.1, peak.1, after.1),
        rss_margin: RSS_MARGIN,
        hooks_at_stop: hooks,
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
