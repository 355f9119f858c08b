//! `push` killed mid-transfer: the CLI (this test binary again, in a process group of its own)
//! pushes a directory with a large file, and the whole group (the CLI, `git push`, its remote
//! helper) is killed with SIGKILL at seeded moments of its `git push`'s run. After each kill the
//! repository is intact (a fresh clone passes `git fsck --full`), the branch points at the
//! commit it had or at the new one, never at anything else, and a rerun pushes and removes the
//! temporary folder the killed push left.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::harness::{clients, endpoint, unique};
use crate::proxy::splitmix;
use crate::watch::{app, cli_at, expect};

/// How many kill moments (`PIPEWRIGHT_EXHAUSTIVE=1`: more), and their seed.
const KILLS: usize = 3;
const KILLS_EXHAUSTIVE: usize = 10;
const KILL_SEED: u64 = 0x9054_c0de;
/// The large file's size: a push of it takes a measurable time on loopback.
const BLOB: usize = 8 << 20;
/// The branch pushed to: not the one the pipeline watches, so no execution starts.
const BRANCH: &str = "kills";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Fills `dir` with a README and an incompressible file drawn from `seed`.
fn fill(dir: &Path, seed: u64) {
    std::fs::write(dir.join("README.md"), format!("version {seed}\n")).expect("a file");
    let mut bytes = Vec::with_capacity(BLOB);
    let mut x = seed;
    while bytes.len() < BLOB {
        x = splitmix(x);
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(dir.join("blob.bin"), bytes).expect("a large file");
}

/// The tree git makes of `dir`'s files (what a push of it commits).
fn tree_of(dir: &Path, scratch: &Path) -> String {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).expect("a scratch folder");
    let git_dir = scratch.to_str().expect("utf-8");
    let work = dir.to_str().expect("utf-8");
    let with = |args: &[&str]| {
        let mut all = vec!["--git-dir", git_dir, "--work-tree", work];
        all.extend_from_slice(args);
        git(dir, &all)
    };
    with(&["init", "--quiet"]);
    with(&["add", "--all", "."]);
    with(&["write-tree"])
}

/// A fresh clone of the branch: checked whole by `git fsck --full`; its commit and tree.
fn cloned(url: &str, into: &Path) -> (String, String) {
    let _ = std::fs::remove_dir_all(into);
    let parent = into.parent().expect("a parent");
    git(
        parent,
        &[
            "clone",
            "--quiet",
            "--depth",
            "2",
            "--no-local",
            "--branch",
            BRANCH,
            url,
            into.to_str().expect("utf-8"),
        ],
    );
    git(into, &["fsck", "--full", "--strict"]);
    (
        git(into, &["rev-parse", "HEAD"]),
        git(into, &["rev-parse", "HEAD^{tree}"]),
    )
}

/// Whether a `git push` runs in process group `pgid`.
fn git_push_runs(pgid: u32) -> bool {
    in_group(pgid).iter().any(|pid| {
        let pid = pid.split_whitespace().next().unwrap_or_default();
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
            let argv: Vec<&[u8]> = c.split(|b| *b == 0).collect();
            argv.first().is_some_and(|a| a.ends_with(b"git")) && argv.get(1) == Some(&&b"push"[..])
        })
    })
}

/// Polls until `git push` runs in group `pgid` (at most a minute).
async fn until_git_push(pgid: u32) {
    let until = Instant::now() + Duration::from_secs(60);
    while !git_push_runs(pgid) {
        assert!(Instant::now() < until, "no git push ran");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The processes in process group `pgid` (`pid (command`, as `/proc/PID/stat` starts).
fn in_group(pgid: u32) -> Vec<String> {
    let mut left = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`: the fields after the command's closing parenthesis.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let group = rest.split_whitespace().nth(2);
        if group == Some(pgid.to_string().as_str()) {
            left.push(head.to_owned());
        }
    }
    left
}

/// A kill, as the report shows it.
pub(crate) struct PushKill {
    /// Per mille of the time `git push` runs in a whole push.
    pub(crate) at: u64,
    /// Whether the branch still had the old commit (else the new one) after the kill.
    pub(crate) kept_old: bool,
    /// The processes of the group the kill ended.
    pub(crate) running: Vec<String>,
    /// Whether the kill left the push's temporary folder (the rerun removed it).
    pub(crate) killed_left: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_killed_mid_transfer_leaves_the_repository_intact_and_a_rerun_pushes() {
    let prefix = unique("fpsh");
    let limit = Duration::from_secs(240);
    let app = || app(&prefix);
    expect(
        &cli_at(app(), endpoint(), &["apply", "--yes"], limit).await,
        0,
        "apply",
    );
    let url = clients()
        .await
        .codecommit
        .get_repository()
        .repository_name(format!("{prefix}-src"))
        .send()
        .await
        .expect("the repository")
        .repository_metadata()
        .and_then(|m| m.clone_url_http())
        .expect("a clone URL")
        .to_owned();
    let root = std::env::temp_dir().join(format!("{prefix}-push"));
    let (dir, scratch, clone) = (root.join("dir"), root.join("tree"), root.join("clone"));
    std::fs::create_dir_all(&dir).expect("a source folder");
    let push = ["push", dir.to_str().expect("utf-8"), "--branch", BRANCH];

    // Whole pushes first, in a child as the killed ones run, to know how long `git push`
    // runs: the first creates the branch; the second, an update as the killed ones are, is
    // the one measured.
    let mut transfer = Duration::ZERO;
    for version in [0, 1000] {
        fill(&dir, version);
        let mut whole = child(&prefix, &push, endpoint());
        let pgid = whole.id().expect("a running child");
        until_git_push(pgid).await;
        let started = Instant::now();
        while git_push_runs(pgid) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        transfer = started.elapsed();
        let status = whole.wait().await.expect("the push runs");
        assert!(status.success(), "a whole push succeeds: {status:?}");
    }
    let (mut commit, mut tree) = cloned(&url, &clone);
    assert_eq!(tree, tree_of(&dir, &scratch));

    let mut kills = Vec::new();
    let mut points = std::collections::BTreeSet::new();
    let mut draw = 0;
    let count = if crate::crash::exhaustive() {
        KILLS_EXHAUSTIVE
    } else {
        KILLS
    };
    while points.len() < count {
        // Within the first nine tenths: a loaded machine may run a push faster than the one
        // measured, and a push that ended before its kill tests nothing.
        points.insert(50 + splitmix(KILL_SEED ^ splitmix(draw)) % 850);
        draw += 1;
    }
    for (i, at) in points.into_iter().enumerate() {
        fill(&dir, i as u64 + 1);
        let new_tree = tree_of(&dir, &scratch);
        // A seeded moment of `git push`'s run, from its start to its last byte.
        let mut victim = child(&prefix, &push, endpoint());
        let pgid = victim.id().expect("a running child");
        until_git_push(pgid).await;
        let delay = transfer.mul_f64(at as f64 / 1000.0);
        let ended = tokio::time::timeout(delay, victim.wait()).await;
        // Rare (a push faster than the measured one): then the checks below still hold, and
        // the figures say so.
        let running = if ended.is_ok() {
            vec!["nothing: the push had ended".to_owned()]
        } else {
            in_group(pgid)
        };
        if ended.is_err() {
            let killed = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status()
                .expect("kill");
            assert!(killed.success());
        }
        victim.wait().await.expect("reaped");
        // git and its helpers went with it.
        let until = Instant::now() + Duration::from_secs(10);
        while !in_group(pgid).is_empty() {
            assert!(Instant::now() < until, "left running: {:?}", in_group(pgid));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // The killed push's temporary folder outlived it (the kill gave it no time to clean).
        let left_by = |pid: u32| -> Vec<String> {
            let ours = format!("pipewright-push-{pid}-");
            std::fs::read_dir(std::env::temp_dir())
                .expect("the temporary folder")
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(&ours))
                .collect()
        };
        let killed_left = !left_by(pgid).is_empty();

        let (now, now_tree) = cloned(&url, &clone);
        let kept_old = now == commit;
        if !kept_old {
            assert_eq!(
                now_tree, new_tree,
                "after a kill at {at}‰: the new commit or the old"
            );
            assert_eq!(
                git(&clone, &["rev-parse", "HEAD^"]),
                commit,
                "the new commit is on top of the old"
            );
        } else {
            assert_eq!(now_tree, tree);
        }
        kills.push(PushKill {
            at,
            kept_old,
            running,
            killed_left,
        });

        // The rerun pushes (again, when the killed one got through: nothing to add then).
        let rerun = cli_at(app(), endpoint(), &push, limit).await;
        expect(&rerun, 0, "the push after a kill");
        // ... and swept what the killed one left: nothing of it remains.
        assert_eq!(
            left_by(pgid),
            Vec::<String>::new(),
            "the killed push's folder after the rerun"
        );
        let (after, after_tree) = cloned(&url, &clone);
        assert_eq!(after_tree, new_tree, "the rerun pushed the folder");
        assert_eq!(
            git(&clone, &["rev-parse", "HEAD^"]),
            now,
            "the rerun's commit is on top of what the kill left"
        );
        (commit, tree) = (after, after_tree);
    }

    expect(
        &cli_at(app(), endpoint(), &["destroy", "--yes"], limit).await,
        0,
        "destroy",
    );
    let _ = std::fs::remove_dir_all(&root);
    crate::report::record_push_kills(&kills);
}

/// The CLI running `args` (the emulator's endpoint added) in a process group of its own.
fn child(prefix: &str, args: &[&str], url: &str) -> tokio::process::Child {
    let mut argv: Vec<&str> = args.to_vec();
    argv.extend_from_slice(&["--local", "--endpoint-url", url]);
    Command::new(std::env::current_exe().expect("the test binary knows its path"))
        .args([
            "--exact",
            "watch_killed::child_cli",
            "--ignored",
            "--nocapture",
        ])
        .env("PIPEWRIGHT_KILLED_APP", prefix)
        .env("PIPEWRIGHT_KILLED_ARGS", argv.join("\u{1f}"))
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the test binary runs again as a child")
}
