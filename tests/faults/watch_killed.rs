//! `run` and `watch` killed with SIGKILL (the CLI in a child process: this test binary again,
//! running only [`child_cli`]) at moments across an execution: the execution carries on in the
//! emulator, and a new `watch` picks it up and reports its outcome.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::{Child, Command};

use crate::harness::{clients, endpoint, unique};
use crate::proxy::{FaultPlan, FaultProxy};
use crate::watch::{LINES, app, cli_at, expect};

const CHILD_PREFIX: &str = "PIPEWRIGHT_KILLED_APP";
const CHILD_ARGS: &str = "PIPEWRIGHT_KILLED_ARGS";

/// Not a test: the CLI process the tests below kill. Runs the arguments in
/// `PIPEWRIGHT_KILLED_ARGS` (separated by U+001F) on the app named by `PIPEWRIGHT_KILLED_APP`,
/// and exits with the CLI's code.
#[tokio::test]
#[ignore = "the killed-watch tests run it as their child process"]
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

fn spawn(prefix: &str, url: &str, args: &[&str]) -> Child {
    let mut argv: Vec<&str> = args.to_vec();
    argv.extend_from_slice(&["--local", "--endpoint-url", url]);
    Command::new(std::env::current_exe().expect("the test binary knows its path"))
        .args([
            "--exact",
            "watch_killed::child_cli",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_PREFIX, prefix)
        .env(CHILD_ARGS, argv.join("\u{1f}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the test binary runs again as a child")
}

/// SIGKILL, and the child is gone.
async fn kill(mut child: Child) {
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("reaped");
    assert!(status.code().is_none(), "killed by a signal: {status:?}");
}

/// Waits until the proxy has seen a request for `operation` (at most two minutes).
async fn seen(proxy: &FaultProxy, operation: &str) {
    let until = Instant::now() + Duration::from_secs(120);
    while !proxy
        .stats()
        .requests
        .keys()
        .any(|k| k.ends_with(&format!(":{operation}")))
    {
        assert!(Instant::now() < until, "no {operation} request came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The pipeline's executions, newest first: (id, status).
async fn executions(pipeline: &str) -> Vec<(String, String)> {
    clients()
        .await
        .codepipeline
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .expect("the executions")
        .pipeline_execution_summaries()
        .iter()
        .map(|e| {
            (
                e.pipeline_execution_id().unwrap_or_default().to_owned(),
                e.status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Waits until the approval of execution `id` waits (at most two minutes).
async fn approval_waits(pipeline: &str, id: &str) {
    let c = clients().await;
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let state = c
            .codepipeline
            .get_pipeline_state()
            .name(pipeline)
            .send()
            .await
            .expect("the pipeline's state");
        let waits = state
            .stage_states()
            .iter()
            .filter(|s| s.stage_name() == Some("Approve"))
            .any(|s| {
                s.latest_execution().is_some_and(|e| {
                    e.pipeline_execution_id() == id && e.status().as_str() == "InProgress"
                }) && s
                    .action_states()
                    .iter()
                    .any(|a| a.latest_execution().and_then(|e| e.token()).is_some())
            });
        if waits {
            return;
        }
        assert!(Instant::now() < until, "the approval of {id} never waited");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A kill point, as the report names it.
pub(crate) struct Killed {
    pub(crate) verb: &'static str,
    pub(crate) when: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_and_watch_killed_leave_the_execution_running_and_a_new_watch_reports_its_end() {
    let prefix = unique("fkil");
    let limit = Duration::from_secs(240);
    expect(
        &cli_at(app(&prefix), endpoint(), &["apply", "--yes"], limit).await,
        0,
        "apply",
    );
    let dir = std::env::temp_dir().join(format!("{prefix}-dir"));
    std::fs::create_dir_all(&dir).expect("a source folder");
    std::fs::write(dir.join("README.md"), "killed watches\n").expect("a file");
    let pushed = cli_at(
        app(&prefix),
        endpoint(),
        &["push", dir.to_str().expect("utf-8"), "--watch", "--approve"],
        limit,
    )
    .await;
    expect(&pushed, 0, "push --watch --approve");
    let mut killed = Vec::new();

    // 1. `run` killed once the emulator started the execution, before the CLI heard its id.
    let before = executions(&prefix).await.len();
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let tripped = proxy.trip_on("StartPipelineExecution");
    let child = spawn(&prefix, proxy.endpoint(), &["run", "--json", "--approve"]);
    tokio::time::timeout(Duration::from_secs(120), tripped)
        .await
        .expect("run starts its execution within two minutes")
        .expect("the proxy reports the trip");
    kill(child).await;
    let listed = executions(&prefix).await;
    assert_eq!(
        listed.len(),
        before + 1,
        "one execution started: {listed:?}"
    );
    picked_up(&prefix, &listed[0].0, None).await;
    killed.push(Killed {
        verb: "run --approve",
        when: "its `StartPipelineExecution` acted on, the answer lost",
    });

    // 2. `run` killed while it reads the running build's log.
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let child = spawn(&prefix, proxy.endpoint(), &["run", "--json", "--approve"]);
    seen(&proxy, "GetLogEvents").await;
    kill(child).await;
    let listed = executions(&prefix).await;
    assert_eq!(listed[0].1, "InProgress", "{listed:?}");
    picked_up(&prefix, &listed[0].0, None).await;
    killed.push(Killed {
        verb: "run --approve",
        when: "while it reads the running build's log",
    });

    // 3. `watch` killed while the execution waits at its approval.
    let started = cli_at(app(&prefix), endpoint(), &["run", "--no-wait"], limit).await;
    expect(&started, 0, "run --no-wait");
    let id = started.out.trim().to_owned();
    let child = spawn(
        &prefix,
        endpoint(),
        &["watch", "--execution", &id, "--json"],
    );
    approval_waits(&prefix, &id).await;
    kill(child).await;
    picked_up(&prefix, &id, Some(&id)).await;
    killed.push(Killed {
        verb: "watch",
        when: "while the execution waits at its approval",
    });

    expect(
        &cli_at(app(&prefix), endpoint(), &["destroy", "--yes"], limit).await,
        0,
        "destroy",
    );
    let _ = std::fs::remove_dir_all(&dir);
    crate::report::record_killed_watches(&killed);
}

/// A new `watch --approve` (of the latest execution, or of `given`) follows execution `id`,
/// which went on without the killed process, to its success; when it saw the build run, every
/// log line once.
async fn picked_up(prefix: &str, id: &str, given: Option<&str>) {
    let mut args = vec!["watch", "--json", "--approve"];
    if let Some(given) = given {
        args.extend_from_slice(&["--execution", given]);
    }
    let watched = cli_at(app(prefix), endpoint(), &args, Duration::from_secs(240)).await;
    expect(&watched, 0, "the new watch");
    let events: Vec<Value> = watched
        .out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON events"))
        .collect();
    assert_eq!(events[0]["type"], "following", "{}", watched.out);
    assert_eq!(events[0]["execution"], id, "the execution the kill left");
    let last = events.last().expect("events");
    assert_eq!(
        (&last["type"], &last["status"], &last["exit"]),
        (
            &Value::from("outcome"),
            &Value::from("Succeeded"),
            &Value::from(0)
        ),
        "{}",
        watched.out
    );
    let lines: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "log")
        .filter_map(|e| e["message"].as_str())
        .filter(|m| m.starts_with("line "))
        .collect();
    if !lines.is_empty() {
        let expected: Vec<String> = (1..=LINES).map(|i| format!("line {i}")).collect();
        assert_eq!(lines, expected, "every line once");
    }
}
