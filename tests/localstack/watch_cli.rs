//! Watching through the CLI against the emulator: a broken build ends 1 with its failing command
//! and log tail, `run --json` is NDJSON ending in the outcome, Ctrl-C (SIGINT to the CLI's
//! process) stops watching with exit 130 while the execution goes on, and `logs --follow` of a
//! running build prints its lines to the end.
//!
//! Each test applies a small app of its own (a CodeCommit source and a build of `echo` lines) and
//! pushes a directory to start it. The Ctrl-C test runs the CLI as a process of its own: this
//! test binary again, running only [`cli_child`], which hands its arguments to
//! [`pipewright::cli::run_interruptible`] with Ctrl-C as the interrupt, as a program's `main`
//! does.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pipewright::model::{
    App, Artifact, ArtifactBucket, BuildProject, CodeBuild, CodeCommitSource, InlineBuildSpec,
    Pipeline, Repository, Stage,
};
use serde_json::Value;

use crate::harness::{clients, endpoint, unique};

/// A source and a build running `commands`, every name under `prefix`.
fn app(prefix: &str, commands: &[&str]) -> App {
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
            .buildspec(InlineBuildSpec::new().build(commands.iter().copied()))
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

/// Lines, then a command that fails: the failure report must name it and show the lines.
const BROKEN: &[&str] = &[
    "echo first line; echo second line; echo third line",
    "sh -c 'exit 3'",
];

/// A build that runs about 15 seconds, a line a second.
const SLOW: &[&str] = &[
    "for i in $(seq 1 15); do echo tick $i; sleep 1; done",
    "echo done",
];

struct Run {
    code: u8,
    out: String,
    err: String,
}

/// Runs the CLI in this process against the test emulator, at most three minutes.
async fn cli(app: App, args: &[&str]) -> Run {
    let mut argv = vec!["example"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--local", "--endpoint-url", endpoint()]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = tokio::time::timeout(
        Duration::from_secs(180),
        pipewright::cli::run(app, argv, &mut out, &mut err),
    )
    .await
    .unwrap_or_else(|_| panic!("{args:?} still running after 180 s"));
    Run {
        code,
        out: String::from_utf8_lossy(&out).into_owned(),
        err: String::from_utf8_lossy(&err).into_owned(),
    }
}

#[track_caller]
fn expect(run: &Run, code: u8, what: &str) {
    assert_eq!(
        run.code, code,
        "{what}: exit {}\n--- stdout\n{}\n--- stderr\n{}",
        run.code, run.out, run.err
    );
}

/// Applies the app; a directory of one file to push to its source branch (which starts an
/// execution through the pipeline's rule), to remove at the end.
async fn applied(prefix: &str, commands: &[&str]) -> std::path::PathBuf {
    expect(
        &cli(app(prefix, commands), &["apply", "--yes"]).await,
        0,
        "apply",
    );
    let dir = std::env::temp_dir().join(format!("{prefix}-dir"));
    std::fs::create_dir_all(&dir).expect("a source folder");
    std::fs::write(dir.join("README.md"), "watched\n").expect("a file");
    dir
}

/// The id of the pipeline's newest execution once it runs (at most a minute).
async fn running(c: &pipewright::provider::aws::Clients, pipeline: &str) -> String {
    for _ in 0..300 {
        let listed = c
            .codepipeline
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .max_results(1)
            .send()
            .await
            .expect("executions");
        if let Some(e) = listed.pipeline_execution_summaries().first()
            && e.status().map(|s| s.as_str()) == Some("InProgress")
            && e.trigger()
                .and_then(|t| t.trigger_type())
                .map(|t| t.as_str())
                == Some("CloudWatchEvent")
        {
            return e.pipeline_execution_id().expect("an id").to_owned();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no execution of {pipeline} started by the push runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_build_ends_1_with_its_failing_command_and_log_tail_and_json_ends_in_the_outcome()
{
    let prefix = unique("wbrk");
    let dir = applied(&prefix, BROKEN).await;
    let app = || app(&prefix, BROKEN);

    // Plain lines (no terminal here): the execution the push started, to its failed end.
    let watched = cli(app(), &["push", dir.to_str().expect("utf-8"), "--watch"]).await;
    expect(&watched, 1, "push --watch of a broken build");
    let report = watched
        .out
        .split_once("failed: Build/Make: sh -c 'exit 3'\n")
        .unwrap_or_else(|| panic!("no failure report:\n{}", watched.out))
        .1;
    assert!(
        report.contains("Error while executing command: sh -c 'exit 3'. Reason: exit status 3"),
        "{report}"
    );
    let tail: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("    | "))
        .collect();
    for line in ["first line", "second line", "third line"] {
        assert!(tail.contains(&line), "{line:?} not in the tail:\n{report}");
    }
    assert!(
        watched
            .out
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("execution ")
                && l.contains(" Failed")
                && l.contains(" after ")),
        "{}",
        watched.out
    );

    // --json: every line an event of version 1, the failure, then the outcome.
    let run = cli(app(), &["run", "--json"]).await;
    expect(&run, 1, "run --json of a broken build");
    let events: Vec<Value> = run
        .out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events.iter().all(|e| e["v"] == 1), "{}", run.out);
    assert_eq!(events[0]["type"], "following", "{}", run.out);
    let last = events.last().expect("events");
    assert_eq!(last["type"], "outcome", "{}", run.out);
    assert_eq!(last["status"], "Failed");
    assert_eq!(last["exit"], 1);
    let failure = &events[events.len() - 2];
    assert_eq!(failure["type"], "failure", "{}", run.out);
    assert_eq!(failure["stage"], "Build");
    assert_eq!(failure["command"], "sh -c 'exit 3'");
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "log" && e["message"] == "second line"),
        "{}",
        run.out
    );
    assert!(
        events.iter().any(|e| e["type"] == "build_phase"
            && e["phase"] == "BUILD"
            && e["status"] == "FAILED"),
        "{}",
        run.out
    );

    expect(&cli(app(), &["destroy", "--yes"]).await, 0, "destroy");
    let _ = std::fs::remove_dir_all(&dir);
}

const CHILD_PREFIX: &str = "PIPEWRIGHT_WATCH_CLI_PREFIX";
const CHILD_ARGS: &str = "PIPEWRIGHT_WATCH_CLI_ARGS";
/// What the child prints before the CLI's output (libtest prints its own lines first).
const CHILD_MARK: &str = "@@ cli output @@";

/// The CLI as a process of its own, for [`ctrl_c_stops_watching_never_the_execution`]: runs
/// only when that test starts this binary with the app's prefix and the arguments in its
/// environment, and exits with the CLI's code.
#[test]
#[ignore = "the CLI process of the Ctrl-C test; runs only as that"]
fn cli_child() {
    let (Ok(prefix), Ok(args)) = (std::env::var(CHILD_PREFIX), std::env::var(CHILD_ARGS)) else {
        return;
    };
    let mut argv = vec!["example".to_owned()];
    argv.extend(args.split('\u{1f}').map(str::to_owned));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    {
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "\n{CHILD_MARK}");
    }
    let code = runtime.block_on(async {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        pipewright::cli::run_interruptible(
            app(&prefix, SLOW),
            argv,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
            ctrl_c,
        )
        .await
    });
    std::process::exit(i32::from(code));
}

/// Waits until `text` (what a reader thread collects) holds `wanted`, at most `limit`.
fn wait_for(text: &Mutex<String>, wanted: &str, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if text.lock().expect("the reader").contains(wanted) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_watching_never_the_execution_and_logs_follow_reads_to_the_end() {
    let prefix = unique("wint");
    let dir = applied(&prefix, SLOW).await;
    let app = || app(&prefix, SLOW);
    let c = clients().await;
    let pushed = cli(app(), &["push", dir.to_str().expect("utf-8")]).await;
    expect(&pushed, 0, "push");
    let id = running(&c, &prefix).await;

    // `watch` in a process of its own; SIGINT once the build runs.
    let args = [
        "watch",
        "--execution",
        &id,
        "--local",
        "--endpoint-url",
        endpoint(),
    ]
    .join("\u{1f}");
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "watch_cli::cli_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PREFIX, &prefix)
        .env(CHILD_ARGS, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI process");
    let out = Arc::new(Mutex::new(String::new()));
    let reader = {
        let out = out.clone();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut text = out.lock().expect("the reader");
                text.push_str(&line);
                text.push('\n');
            }
        })
    };
    let seen = tokio::task::spawn_blocking({
        let out = out.clone();
        // The emulator tells an action's build id only once the action ends (AWS tells it
        // while the build runs), so the watch sees the action running, not yet its log.
        move || wait_for(&out, "Build/Make: InProgress", Duration::from_secs(120))
    })
    .await
    .expect("the waiter");
    assert!(
        seen,
        "the watch never showed the build running:\n{}",
        out.lock().expect("the reader")
    );
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("the child's status") {
                return Some(status);
            }
            if Instant::now() > until {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .expect("the waiter")
    .expect("the CLI ended within 30 s of SIGINT");
    reader.join().expect("the reader");
    let text = out.lock().expect("the reader").clone();
    let shown = text.split_once(CHILD_MARK).map_or("", |(_, s)| s);
    assert_eq!(status.code(), Some(130), "{shown}");
    assert!(
        shown.contains(&format!(
            "stopped watching; execution {id} of {prefix} goes on (`stop --pipeline {prefix}` stops it)"
        )),
        "{shown}"
    );

    // The execution goes on: still running, and its build's log read to its end (`logs
    // --follow` waits for the build of the running action).
    let execution = c
        .codepipeline
        .get_pipeline_execution()
        .pipeline_name(&prefix)
        .pipeline_execution_id(&id)
        .send()
        .await
        .expect("the execution");
    let status = execution
        .pipeline_execution()
        .and_then(|e| e.status())
        .map(|s| s.as_str().to_owned());
    assert_eq!(status.as_deref(), Some("InProgress"), "after Ctrl-C");
    let logs = cli(
        app(),
        &[
            "logs",
            "--execution",
            &id,
            "--action",
            "Build/Make",
            "--follow",
        ],
    )
    .await;
    expect(&logs, 0, "logs --follow");
    let ticks: Vec<&str> = logs
        .out
        .lines()
        .filter(|l| l.starts_with("tick "))
        .collect();
    let expected: Vec<String> = (1..=15).map(|i| format!("tick {i}")).collect();
    assert_eq!(ticks, expected, "every line once, in order:\n{}", logs.out);
    assert!(logs.out.lines().any(|l| l == "done"), "{}", logs.out);

    let watched = cli(app(), &["watch", "--execution", &id]).await;
    expect(&watched, 0, "the execution went on to succeed");

    expect(&cli(app(), &["destroy", "--yes"]).await, 0, "destroy");
    let _ = std::fs::remove_dir_all(&dir);
}
