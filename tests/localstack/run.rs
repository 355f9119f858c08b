//! The execution verbs through the CLI against the emulator's executor: `push` a directory,
//! `run --approve` to the end, `executions --json`, `approve --reject`, `watch`, `stop`.

use pipewright::model::App;
use serde_json::Value;

use crate::harness::{endpoint, unique};
use crate::support::examples::reference_app;

struct Run {
    code: u8,
    out: String,
    err: String,
}

/// Runs the CLI on `app` against the test emulator; a command still running after two minutes
/// fails the test instead of hanging it.
async fn cli(app: App, args: &[&str]) -> Run {
    let mut argv = vec!["example"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--local", "--endpoint-url", endpoint()]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        pipewright::cli::run(app, argv, &mut out, &mut err),
    )
    .await
    .unwrap_or_else(|_| panic!("{args:?} still running after 120 s"));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_then_run_approve_reaches_the_end_and_a_rejection_fails_the_execution() {
    let prefix = unique("run");
    let app = || reference_app(&prefix);
    expect(&cli(app(), &["apply", "--yes"]).await, 0, "apply");
    // The instance the reference deployment group selects by its tag.
    crate::deployments::add_instances(&format!("{prefix}-web"), 1).await;

    // A directory that is not a git work tree goes up as one commit of its files: the sample
    // application, which the pipeline's build really compiles.
    let dir = std::env::temp_dir().join(format!("{prefix}-src"));
    copy_tree(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop-api"),
        &dir,
    );
    std::fs::write(dir.join("README.md"), "hello from push\n").unwrap();
    let pushed = cli(app(), &["push", dir.to_str().unwrap()]).await;
    expect(&pushed, 0, "push");
    assert!(
        pushed.out.contains(&format!("to {prefix}-api/main: ")) || pushed.out.contains("pushed "),
        "{}",
        pushed.out
    );

    // The push started an execution through the rule; it waits at the approval, which holds
    // the stage (later executions wait behind it, as on AWS): answer it, then watch it end.
    approve_when_waiting(app, &[]).await;
    let watched = cli(app(), &["watch"]).await;
    expect(&watched, 0, "watch of the pushed execution");
    assert!(
        watched.out.contains("execution Succeeded"),
        "{}",
        watched.out
    );

    // run starts its own execution and approves the approval it reaches.
    let run = cli(app(), &["run", "--approve"]).await;
    expect(&run, 0, "run --approve");
    for seen in [
        "Approve/Approve: waiting for approval",
        "Approve/Approve: approved (--approve)",
        "execution Succeeded",
    ] {
        assert!(run.out.contains(seen), "{seen:?} missing:\n{}", run.out);
    }

    let listed = cli(app(), &["executions", "--json", "--limit", "5"]).await;
    expect(&listed, 0, "executions --json");
    let doc: Value = serde_json::from_str(&listed.out).unwrap();
    assert_eq!(doc["format_version"], 1);
    let executions = doc["executions"].as_array().unwrap();
    assert!(executions.len() >= 2, "{doc:#}");
    assert_eq!(
        executions[0]["status"], "Succeeded",
        "newest first: {doc:#}"
    );
    assert!(
        executions.iter().any(|e| e["trigger"] == "CloudWatchEvent"),
        "the push started one through the rule: {doc:#}"
    );

    // A second run left waiting, rejected from another command: watch ends 1.
    let started = cli(app(), &["run", "--no-wait"]).await;
    expect(&started, 0, "run --no-wait");
    let id = started.out.trim().to_owned();
    let rejected = approve_when_waiting(app, &["--reject", "--comment", "not today"]).await;
    assert!(
        rejected.out.contains("Approve/Approve: rejected"),
        "{}",
        rejected.out
    );
    let watched = cli(app(), &["watch", "--execution", &id]).await;
    expect(&watched, 1, "watch of a rejected execution");
    assert!(watched.out.contains("execution Failed"), "{}", watched.out);

    let stop = cli(app(), &["stop"]).await;
    expect(&stop, 1, "stop with nothing running");
    assert!(
        stop.err.contains("has no running execution"),
        "{}",
        stop.err
    );

    expect(&cli(app(), &["destroy", "--yes"]).await, 0, "destroy");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `approve` with `extra` until an approval waits (at most 20 s), and returns that run.
async fn approve_when_waiting(app: impl Fn() -> App, extra: &[&str]) -> Run {
    let mut args = vec!["approve"];
    args.extend_from_slice(extra);
    for _ in 0..100 {
        let r = cli(app(), &args).await;
        if r.code == 0 {
            return r;
        }
        assert!(r.err.contains("no approval waiting"), "{}", r.err);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("no approval was reached in 20 s");
}

/// Copies a folder's files (build output left out), keeping their modes.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a file name");
        if name == "target" {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).expect("copy a file");
        }
    }
}
