//! Watching through faults: `run` and `watch` of a small pipeline (a CodeCommit source, a build
//! that prints numbered lines, a manual approval answered by `--approve`) through the fault proxy
//! tell the same outcome, the same stages and actions, and every log line exactly once, as a run
//! without faults; a total outage while watching ends within a bounded time with an error that
//! says the execution may still be running.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pipewright::model::{
    App, Artifact, ArtifactBucket, BuildProject, CodeBuild, CodeCommitSource, InlineBuildSpec,
    ManualApproval, Pipeline, Repository, Stage,
};
use serde_json::Value;

use crate::apply::ALL_FAULTS;
use crate::harness::{clients, endpoint, unique};
use crate::proxy::{Fault, FaultPlan, FaultProxy};

/// How many numbered lines the build prints.
pub(crate) const LINES: u32 = 60;

/// The build: `line 1` to `line N`, 0.15 s apart, so that the watch reads the log
/// over several pages and polls while the build runs.
fn commands() -> String {
    format!("for i in $(seq 1 {LINES}); do echo \"line $i\"; sleep 0.15; done")
}

/// Source → build of numbered lines → manual approval, every name under `prefix`.
pub(crate) fn app(prefix: &str) -> App {
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
            .buildspec(InlineBuildSpec::new().build([commands()]))
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
            .stage(Stage::new("Approve").action(ManualApproval::new("Approve")))
            .build()
            .expect("a pipeline"),
    );
    app
}

pub(crate) struct Run {
    pub(crate) code: u8,
    pub(crate) out: String,
    pub(crate) err: String,
}

/// Runs the CLI in this process against `url` (the emulator or a proxy before it), at most
/// `limit`.
pub(crate) async fn cli_at(app: App, url: &str, args: &[&str], limit: Duration) -> Run {
    let mut argv = vec!["example"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--local", "--endpoint-url", url]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = tokio::time::timeout(limit, pipewright::cli::run(app, argv, &mut out, &mut err))
        .await
        .unwrap_or_else(|_| panic!("{args:?} still running after {} s", limit.as_secs()));
    Run {
        code,
        out: String::from_utf8_lossy(&out).into_owned(),
        err: String::from_utf8_lossy(&err).into_owned(),
    }
}

#[track_caller]
pub(crate) fn expect(run: &Run, code: u8, what: &str) {
    assert_eq!(
        run.code, code,
        "{what}: exit {}\n--- stdout\n{}\n--- stderr\n{}",
        run.code, run.out, run.err
    );
}

/// What a `--json` watch told, reduced to what must not depend on faults.
#[derive(Debug, PartialEq, Eq)]
struct Told {
    /// Stages and actions (`Build`, `Build/Make`) in the order they were first told, each with
    /// the last status told for it.
    sequence: Vec<(String, String)>,
    /// The build's numbered log lines, as told.
    lines: Vec<String>,
    /// The approvals `--approve` answered.
    approved: Vec<String>,
    /// The outcome's status and exit code (the last event).
    outcome: (String, i64),
}

fn told(out: &str) -> Told {
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{out}")))
        .collect();
    let mut order: Vec<String> = Vec::new();
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    let (mut lines, mut approved) = (Vec::new(), Vec::new());
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    for e in &events {
        let key = match e["type"].as_str() {
            Some("stage") => text(&e["stage"]),
            Some("action") => format!("{}/{}", text(&e["stage"]), text(&e["action"])),
            Some("log") => {
                // The build's own lines (the runner's `[Container]` lines carry timestamps).
                let message = text(&e["message"]);
                if message.starts_with("line ") {
                    lines.push(message);
                }
                continue;
            }
            Some("approved") => {
                approved.push(format!("{}/{}", text(&e["stage"]), text(&e["action"])));
                continue;
            }
            _ => continue,
        };
        if !order.contains(&key) {
            order.push(key.clone());
        }
        last.insert(key, text(&e["status"]));
    }
    let end = events.last().unwrap_or_else(|| panic!("no event:\n{out}"));
    assert_eq!(
        end["type"], "outcome",
        "the last event is the outcome:\n{out}"
    );
    Told {
        sequence: order
            .into_iter()
            .map(|k| {
                let status = last[&k].clone();
                (k, status)
            })
            .collect(),
        lines,
        approved,
        outcome: (text(&end["status"]), end["exit"].as_i64().unwrap_or(-1)),
    }
}

/// One watched run's figures, for the report.
pub(crate) struct WatchRow {
    pub(crate) verb: &'static str,
    /// Which requests failed: `10%`, or the one request that did.
    pub(crate) what: &'static str,
    pub(crate) seed: Option<u64>,
    pub(crate) requests: u64,
    pub(crate) faults: BTreeMap<String, u64>,
    pub(crate) seconds: f64,
}

/// The runs: the verb, which requests fail (for the report), the plan, and its seed.
fn runs() -> Vec<(&'static str, &'static str, FaultPlan, Option<u64>)> {
    let rate = |r: f64, seed: u64| FaultPlan::new(r, &ALL_FAULTS, seed);
    vec![
        ("run", "none", FaultPlan::none(), None),
        ("run", "10%", rate(0.1, 1901), Some(1901)),
        ("watch", "30%", rate(0.3, 1902), Some(1902)),
        ("run", "10%", rate(0.1, 1904), Some(1904)),
        ("watch", "30%", rate(0.3, 1905), Some(1905)),
        // PutApprovalResult is no read: its retry after a lost answer meets an approval
        // already answered, by this very watch.
        (
            "run",
            "the answer to `--approve`'s `PutApprovalResult`, once",
            FaultPlan::new(1.0, &[Fault::DropAfter], 0)
                .operation("PutApprovalResult")
                .limit(1),
            None,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_and_watch_through_faults_tell_the_same_execution_and_every_log_line_once() {
    let prefix = unique("fwat");
    let app = || app(&prefix);
    let limit = Duration::from_secs(240);
    expect(
        &cli_at(app(), endpoint(), &["apply", "--yes"], limit).await,
        0,
        "apply",
    );
    // The first commit; its push starts an execution, followed (and approved) straight away.
    let dir = std::env::temp_dir().join(format!("{prefix}-dir"));
    std::fs::create_dir_all(&dir).expect("a source folder");
    std::fs::write(dir.join("README.md"), "watched through faults\n").expect("a file");
    let pushed = cli_at(
        app(),
        endpoint(),
        &["push", dir.to_str().expect("utf-8"), "--watch", "--approve"],
        limit,
    )
    .await;
    expect(&pushed, 0, "push --watch --approve");

    let expected_lines: Vec<String> = (1..=LINES).map(|i| format!("line {i}")).collect();
    let mut baseline: Option<Told> = None;
    let mut rows = Vec::new();
    for (verb, which, plan, seed) in runs() {
        let proxy = FaultProxy::start(endpoint(), plan).await;
        let started = Instant::now();
        let run = if verb == "run" {
            cli_at(
                app(),
                proxy.endpoint(),
                &["run", "--json", "--approve"],
                limit,
            )
            .await
        } else {
            // Started without faults; followed through them.
            let started = cli_at(app(), endpoint(), &["run", "--no-wait"], limit).await;
            expect(&started, 0, "run --no-wait");
            let id = started.out.trim().to_owned();
            cli_at(
                app(),
                proxy.endpoint(),
                &["watch", "--execution", &id, "--json", "--approve"],
                limit,
            )
            .await
        };
        let seconds = started.elapsed().as_secs_f64();
        let what = format!("{verb} with {which} failing (seed {seed:?})");
        expect(&run, 0, &what);
        let seen = told(&run.out);
        assert_eq!(
            seen.lines, expected_lines,
            "{what}: every line once, in order"
        );
        assert_eq!(seen.approved, ["Approve/Approve"], "{what}");
        assert_eq!(seen.outcome, ("Succeeded".to_owned(), 0), "{what}");
        match &baseline {
            None => {
                assert_eq!(
                    seen.sequence
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>(),
                    [
                        "Source",
                        "Source/Checkout",
                        "Build",
                        "Build/Make",
                        "Approve",
                        "Approve/Approve"
                    ],
                    "{what}"
                );
                baseline = Some(seen);
            }
            Some(base) => assert_eq!(&seen, base, "{what} tells what a run without faults does"),
        }
        let stats = proxy.stats();
        if which != "none" {
            assert!(stats.total_faults() > 0, "{what}: faults were injected");
        }
        rows.push(WatchRow {
            verb,
            what: which,
            seed,
            requests: stats.total_requests(),
            faults: stats.faults,
            seconds,
        });
    }

    let outage = outage_while_watching(&prefix).await;
    expect(
        &cli_at(app(), endpoint(), &["destroy", "--yes"], limit).await,
        0,
        "destroy",
    );
    let _ = std::fs::remove_dir_all(&dir);
    crate::report::record_watching(&rows, &outage);
}

/// What a total outage while watching did.
pub(crate) struct Outage {
    /// From the outage to the watch's end.
    pub(crate) seconds: f64,
    /// The requests the proxy refused.
    pub(crate) refused: u64,
    pub(crate) code: u8,
    pub(crate) message: String,
}

/// Starts an execution, watches it through the proxy, and once the watch follows the running
/// build, the proxy refuses everything: the watch ends within the bound it enforces (a poll
/// unanswered for `WatchOptions::give_up`, after at most the longest wait between polls), exit
/// 1, saying the execution may still be running, and it does run on to its approval.
async fn outage_while_watching(prefix: &str) -> Outage {
    let limit = Duration::from_secs(240);
    let c = clients().await;
    let started = cli_at(app(prefix), endpoint(), &["run", "--no-wait"], limit).await;
    expect(&started, 0, "run --no-wait");
    let id = started.out.trim().to_owned();
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let args = ["watch", "--execution", &id, "--json"];
    let watching = cli_at(app(prefix), proxy.endpoint(), &args, limit);
    // Once the watch reads the build's log, nothing gets through any more.
    let cut = async {
        let until = Instant::now() + Duration::from_secs(120);
        while !proxy
            .stats()
            .requests
            .keys()
            .any(|k| k.ends_with(":GetLogEvents"))
        {
            assert!(
                Instant::now() < until,
                "the watch never read the build's log"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        proxy.set_plan(FaultPlan::new(
            1.0,
            &[Fault::Unavailable, Fault::DropBefore, Fault::Throttle],
            1903,
        ));
        (Instant::now(), proxy.stats().total_requests())
    };
    let (run, (cut, before)) = tokio::join!(watching, cut);
    let seconds = cut.elapsed().as_secs_f64();
    let refused = proxy.stats().total_requests() - before;
    expect(&run, 1, "watch through a total outage");
    // The bound the watch enforces: a poll unanswered for `give_up` ends it, and that poll
    // comes at most the longest wait between polls after the outage began (a few seconds more
    // for the CLI to start, print and exit on a loaded machine).
    let options = pipewright::executions::WatchOptions::default();
    let bound = options.give_up + options.approval.max(options.slow);
    assert!(
        seconds <= (bound + Duration::from_secs(10)).as_secs_f64(),
        "the outage was told {seconds:.1} s after it began (bound {} s)\n{}",
        bound.as_secs(),
        run.err
    );
    let message = run.err.lines().next().unwrap_or_default().to_owned();
    assert!(
        message.contains(&format!("execution {id} of \"{prefix}\""))
            && message.contains("may still be running")
            && message.contains(&format!("watch --pipeline {prefix} --execution {id}")),
        "{}",
        run.err
    );
    // The execution itself went on: it reaches its approval, which is then rejected to end it.
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let state = c
            .codepipeline
            .get_pipeline_state()
            .name(prefix)
            .send()
            .await
            .expect("the pipeline's state");
        let token = state
            .stage_states()
            .iter()
            .filter(|s| s.stage_name() == Some("Approve"))
            .flat_map(|s| s.action_states())
            .find_map(|a| {
                a.latest_execution()
                    .and_then(|e| e.token())
                    .map(str::to_owned)
            });
        let ours = state
            .stage_states()
            .iter()
            .find(|s| s.stage_name() == Some("Approve"))
            .and_then(|s| s.latest_execution())
            .is_some_and(|e| {
                e.pipeline_execution_id() == id && e.status().as_str() == "InProgress"
            });
        if let (true, Some(token)) = (ours, token) {
            c.codepipeline
                .put_approval_result()
                .pipeline_name(prefix)
                .stage_name("Approve")
                .action_name("Approve")
                .token(token)
                .result(
                    aws_sdk_codepipeline::types::ApprovalResult::builder()
                        .status(aws_sdk_codepipeline::types::ApprovalStatus::Rejected)
                        .summary("end of the outage test")
                        .build()
                        .expect("a result"),
                )
                .send()
                .await
                .expect("reject");
            break;
        }
        assert!(
            Instant::now() < until,
            "the execution did not reach its approval after the watch's outage"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Outage {
        seconds,
        refused,
        code: run.code,
        // Up to its cause, which is whichever fault the last retry met.
        message: message
            .split_inclusive("again)")
            .next()
            .unwrap_or_default()
            .replace(&id, "ID")
            .replace(prefix, "PIPELINE"),
    }
}
