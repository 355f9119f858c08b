//! Pipelines running in the bundled emulator: from `git push` returning to each stage starting
//! and to the execution ending, for the reference pipeline, one alone and ten pushed at once.
//!
//! Each app is applied first (not timed). Then its sample application (`examples/shop-api`) is
//! pushed with the same code as `push` (the git CLI over the emulator's git server), and a
//! [`Watch`] follows the execution the push started (`Follow::Commit`), polling every 50 ms so
//! that the figures are the emulator's, not the CLI's one-second poll. The approval is answered
//! as soon as it waits (what `push --watch --approve` does); the time it waited is reported and
//! left out of "run without the approval". The build really runs (the host's cargo compiles and
//! tests the sample application); deployments are still the emulator's stubs, so the figures are
//! the executor's (source archive, artifact store, stage scheduling, the event from the push) plus
//! the build's own time.
//!
//! Targets on a 2-core machine: source to a waiting approval under 2 s, a whole run without
//! approvals under 5 s (AWS's own baseline is about four minutes a run, aws-cdk#14158).
//!
//! The emulator is the one at `AWS_ENDPOINT_URL`, or the bundled LocalStack started for this run
//! (in `.localstack/`, on a free port, stopped when this process ends). `cargo bench --bench
//! executions`; `PIPEWRIGHT_BENCH_PUSHES=1,3` runs other counts. `cargo test --all-targets` runs
//! it with one pipeline, as a check that it still works.

use std::error::Error;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pipewright::engine::{self, ApplyOptions, Env};
use pipewright::executions::{Decision, Executions, Follow, Watch, WatchEvent, WatchOptions, push};
use pipewright::local::LocalOptions;
use pipewright::model::App;
use pipewright::provider::aws::{AwsExecutions, AwsProvider, ClientOptions, Clients};

#[path = "../tests/support/examples.rs"]
#[allow(dead_code)]
mod examples;

use examples::reference;

const COUNTS: [usize; 2] = [1, 10];
const SMOKE_COUNTS: [usize; 1] = [1];

/// When each thing happened, in seconds after the push returned.
#[derive(Debug, Default, Clone)]
struct Timeline {
    push: f64,
    stages: Vec<(String, f64)>,
    approval_waiting: Option<f64>,
    approved: Option<f64>,
    end: f64,
    status: String,
}

impl Timeline {
    /// The run's length without the time the approval waited for its answer.
    fn without_approval(&self) -> f64 {
        self.end - self.approved.unwrap_or(0.0) + self.approval_waiting.unwrap_or(0.0)
    }
}

/// The emulator: the one at `AWS_ENDPOINT_URL` (`None`: its instances are the caller's to
/// make), or the bundled LocalStack started for this run.
fn endpoint() -> Result<(String, Option<LocalOptions>), Box<dyn Error>> {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Ok((url, None));
    }
    let pid = std::process::id();
    let options = LocalOptions::default()
        .state_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"))
        .instance(format!("bench-exec-{pid}"))
        .port(0)
        .owner_pid(pid)
        .timeout(Duration::from_secs(300))
        .show_progress(true);
    let emulator = options.start()?;
    Ok((emulator.endpoint().to_owned(), Some(options)))
}

/// Applies the reference pipeline as app `prefix`.
async fn apply(prefix: &str, options: &ClientOptions) -> Result<(), Box<dyn Error>> {
    let mut app = App::new(prefix)?;
    reference::add_reference(&mut app, prefix)?;
    pipewright::validate::validate(&app)?;
    let aws = AwsProvider::new(Clients::load(options).await?).await?;
    let env = Env::new(aws.partition(), aws.region(), aws.account());
    let desired = engine::resolve(&app.desired(), &env)?;
    let p: Arc<dyn pipewright::provider::api::Provider> = Arc::new(aws);
    let plan = engine::plan(&desired, &p, engine::DEFAULT_CONCURRENCY).await?;
    let report = engine::apply(&plan, &p, &ApplyOptions::default()).await;
    if !report.succeeded() {
        return Err(format!("apply of {prefix} failed").into());
    }
    Ok(())
}

/// Pushes the sample application to `prefix`'s repository and follows the run it starts.
async fn run(prefix: String, source: Arc<dyn Executions>) -> Result<Timeline, String> {
    let app_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop-api");
    let remote = source
        .git_remote(&format!("{prefix}-api"))
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let pushed = push(&app_dir, &remote, "main")
        .await
        .map_err(|e| e.to_string())?;
    let pushed_at = Instant::now();
    let mut t = Timeline {
        push: (pushed_at - started).as_secs_f64(),
        ..Timeline::default()
    };
    let options = WatchOptions {
        fast: Duration::from_millis(50),
        slow: Duration::from_millis(50),
        approval: Duration::from_millis(50),
        max_calls_per_second: 0.0,
        ..WatchOptions::default()
    };
    let mut watch = Watch::new(
        source.clone(),
        &prefix,
        Follow::Commit(pushed.commit),
        options,
    );
    while let Some(event) = watch.next().await {
        let now = pushed_at.elapsed().as_secs_f64();
        match event.map_err(|e| e.to_string())? {
            WatchEvent::Stage { stage, status } if status.as_str() == "InProgress" => {
                t.stages.push((stage, now));
            }
            WatchEvent::ApprovalWaiting {
                stage,
                action,
                token,
            } => {
                t.approval_waiting = Some(now);
                source
                    .approve(&prefix, &stage, &action, &token, Decision::Approve, "bench")
                    .await
                    .map_err(|e| e.to_string())?;
                t.approved = Some(pushed_at.elapsed().as_secs_f64());
            }
            WatchEvent::Execution { status, .. } => {
                t.end = now;
                t.status = status.to_string();
            }
            _ => {}
        }
    }
    Ok(t)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let benching = std::env::args().any(|a| a == "--bench");
    let counts: Vec<usize> = match std::env::var("PIPEWRIGHT_BENCH_PUSHES") {
        Ok(s) => s.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) if benching => COUNTS.to_vec(),
        Err(_) => SMOKE_COUNTS.to_vec(),
    };
    let (url, local) = endpoint()?;
    let options = ClientOptions::local(&url);
    let source: Arc<dyn Executions> = Arc::new(AwsExecutions::new(Clients::load(&options).await?));
    let stamp = std::process::id();
    let mut out = std::io::stdout();

    writeln!(
        out,
        "pipelines  push   source→approval (median/max)   run without approval (median/max)   status"
    )?;
    for &n in &counts {
        let prefixes: Vec<String> = (0..n).map(|i| format!("bx{stamp}n{n}i{i:02}")).collect();
        for p in &prefixes {
            apply(p, &options).await?;
            // The instance the reference's deployment group selects by its tag.
            if let Some(local) = local.clone() {
                let tag = format!("Name={p}-web");
                tokio::task::spawn_blocking(move || local.instances(["add", "--tag", &tag]))
                    .await??;
            }
        }
        // Let the executions that creating the pipelines started (and that fail at their
        // source: the branch does not exist yet) end before the pushes.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let runs = prefixes
            .iter()
            .map(|p| tokio::spawn(run(p.clone(), source.clone())))
            .collect::<Vec<_>>();
        let mut timelines = Vec::new();
        for r in runs {
            timelines.push(r.await?.map_err(|e| format!("run: {e}"))?);
        }
        let push = median(timelines.iter().map(|t| t.push).collect());
        let to_approval: Vec<f64> = timelines
            .iter()
            .filter_map(|t| t.approval_waiting)
            .collect();
        let whole: Vec<f64> = timelines.iter().map(Timeline::without_approval).collect();
        let statuses: Vec<&str> = timelines.iter().map(|t| t.status.as_str()).collect();
        let ok = statuses.iter().all(|s| *s == "Succeeded");
        writeln!(
            out,
            "{n:>9}  {push:.2}s  {:>8.2}s / {:>5.2}s                {:>8.2}s / {:>5.2}s                      {}",
            median(to_approval.clone()),
            max(&to_approval),
            median(whole.clone()),
            max(&whole),
            if ok {
                "all Succeeded"
            } else {
                "NOT ALL SUCCEEDED"
            }
        )?;
        if let Some(t) = timelines.first() {
            let stages: Vec<String> = t
                .stages
                .iter()
                .map(|(s, at)| format!("{s} {at:.2}s"))
                .collect();
            writeln!(
                out,
                "           stages started (first pipeline): {}",
                stages.join(", ")
            )?;
        }
        if !ok {
            return Err(format!("executions ended {statuses:?}").into());
        }
    }
    writeln!(
        out,
        "targets: source to a waiting approval < 2 s; a whole run without approvals < 5 s"
    )?;
    Ok(())
}
