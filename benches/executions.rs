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
//! Beside that fast watch, each run is watched a second time exactly as `run` and `watch` do
//! (the default [`WatchOptions`]: adaptive polling, at most 3 calls a second) through a proxy
//! that counts its calls, and a probe reads `GetPipelineState` every 100 ms: the figures are the
//! calls a second that watch costs per pipeline (target at most 3), and the delay from a stage's
//! status changing in the emulator (first seen by the probe) to that watch's event for it
//! (target under 1 s while things change; an idle watch backs off to 5 s, 10 s at an approval).
//!
//! The emulator is the one at `AWS_ENDPOINT_URL`, or the bundled LocalStack started for this run
//! (in `.localstack/`, on a free port, stopped when this process ends). `cargo bench --bench
//! executions`; `PIPEWRIGHT_BENCH_PUSHES=1,3` runs other counts. `cargo test --all-targets` runs
//! it with one pipeline, as a check that it still works.

use std::collections::HashMap;
use std::error::Error;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pipewright::engine::{self, ApplyOptions, Env};
use pipewright::executions::{
    ApprovalToken, Build, Decision, Deployment, Execution, ExecutionId, ExecutionSummary,
    Executions, Follow, GitRemote, LogFrom, LogPage, LogStream, PipelineState, ReportSummary,
    RetryMode, StartRequest, Watch, WatchEvent, WatchOptions, push,
};
use pipewright::local::LocalOptions;
use pipewright::model::App;
use pipewright::provider::api::{BoxFuture, ProviderError};
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
    /// The default watch's calls a second over its whole run.
    calls_per_second: f64,
    /// Per stage status change: its delay from the probe seeing it to the default watch's event.
    delays: Vec<f64>,
}

/// An [`Executions`] that counts the calls it passes on.
struct Counting {
    inner: Arc<dyn Executions>,
    calls: AtomicU64,
}

impl Counting {
    fn count(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }
}

impl Executions for Counting {
    fn start<'a>(
        &'a self,
        p: &'a str,
        r: &'a StartRequest,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>> {
        self.count();
        self.inner.start(p, r)
    }
    fn execution<'a>(
        &'a self,
        p: &'a str,
        id: &'a ExecutionId,
    ) -> BoxFuture<'a, Result<Execution, ProviderError>> {
        self.count();
        self.inner.execution(p, id)
    }
    fn executions<'a>(
        &'a self,
        p: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ExecutionSummary>, ProviderError>> {
        self.count();
        self.inner.executions(p, limit)
    }
    fn state<'a>(&'a self, p: &'a str) -> BoxFuture<'a, Result<PipelineState, ProviderError>> {
        self.count();
        self.inner.state(p)
    }
    fn approve<'a>(
        &'a self,
        p: &'a str,
        s: &'a str,
        a: &'a str,
        t: &'a ApprovalToken,
        d: Decision,
        c: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.count();
        self.inner.approve(p, s, a, t, d, c)
    }
    fn stop<'a>(
        &'a self,
        p: &'a str,
        id: &'a ExecutionId,
        abandon: bool,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.count();
        self.inner.stop(p, id, abandon, reason)
    }
    fn retry_stage<'a>(
        &'a self,
        p: &'a str,
        id: &'a ExecutionId,
        s: &'a str,
        m: RetryMode,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>> {
        self.count();
        self.inner.retry_stage(p, id, s, m)
    }
    fn git_remote<'a>(&'a self, r: &'a str) -> BoxFuture<'a, Result<GitRemote, ProviderError>> {
        self.count();
        self.inner.git_remote(r)
    }
    fn build<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Build, ProviderError>> {
        self.count();
        self.inner.build(id)
    }
    fn log_events<'a>(
        &'a self,
        log: &'a LogStream,
        from: &'a LogFrom,
    ) -> BoxFuture<'a, Result<LogPage, ProviderError>> {
        self.count();
        self.inner.log_events(log, from)
    }
    fn reports<'a>(
        &'a self,
        arns: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<ReportSummary>, ProviderError>> {
        self.count();
        self.inner.reports(arns)
    }
    fn deployment<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Deployment, ProviderError>> {
        // Three calls: GetDeployment, ListDeploymentTargets, BatchGetDeploymentTargets.
        self.calls.fetch_add(3, Ordering::Relaxed);
        self.inner.deployment(id)
    }
}

/// Follows `follow` as `run` does (default options) through a counting proxy: its calls a
/// second, and when it told each (stage, status).
async fn default_watch(
    source: Arc<dyn Executions>,
    pipeline: String,
    follow: Follow,
) -> Result<(f64, HashMap<(String, String), Instant>), String> {
    let counting = Arc::new(Counting {
        inner: source,
        calls: AtomicU64::new(0),
    });
    let started = Instant::now();
    let mut watch = Watch::new(counting.clone(), pipeline, follow, WatchOptions::default());
    let mut told = HashMap::new();
    while let Some(event) = watch.next().await {
        if let WatchEvent::Stage { stage, status } = event.map_err(|e| e.to_string())? {
            told.entry((stage, status.to_string()))
                .or_insert_with(Instant::now);
        }
    }
    let calls = counting.calls.load(Ordering::Relaxed) as f64;
    Ok((calls / started.elapsed().as_secs_f64(), told))
}

/// Reads the pipeline's state every 100 ms until `done`: when each (stage, status) of the
/// execution `id` was first seen.
async fn probe(
    source: Arc<dyn Executions>,
    pipeline: String,
    id: Arc<std::sync::OnceLock<ExecutionId>>,
    done: Arc<std::sync::atomic::AtomicBool>,
) -> HashMap<(String, String), Instant> {
    let mut seen = HashMap::new();
    while !done.load(Ordering::Relaxed) {
        if let (Some(id), Ok(state)) = (id.get(), source.state(&pipeline).await) {
            let now = Instant::now();
            for s in state.stages {
                if s.execution.as_ref() == Some(id)
                    && let Some(status) = s.status
                {
                    seen.entry((s.name, status.to_string())).or_insert(now);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
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
    let observer = tokio::spawn(default_watch(
        source.clone(),
        prefix.clone(),
        Follow::Commit(pushed.commit.clone()),
    ));
    let id = Arc::new(std::sync::OnceLock::new());
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let prober = tokio::spawn(probe(
        source.clone(),
        prefix.clone(),
        id.clone(),
        done.clone(),
    ));
    let mut watch = Watch::new(
        source.clone(),
        &prefix,
        Follow::Commit(pushed.commit),
        options,
    );
    while let Some(event) = watch.next().await {
        let now = pushed_at.elapsed().as_secs_f64();
        match event.map_err(|e| e.to_string())? {
            WatchEvent::Following { id: followed } => {
                let _ = id.set(followed);
            }
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
    let (calls_per_second, told) = observer
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("the default watch: {e}"))?;
    done.store(true, Ordering::Relaxed);
    let seen = prober.await.map_err(|e| e.to_string())?;
    t.calls_per_second = calls_per_second;
    t.delays = seen
        .iter()
        .filter_map(|(key, at)| {
            told.get(key)
                .map(|w| w.saturating_duration_since(*at).as_secs_f64())
        })
        .collect();
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
        let rates: Vec<f64> = timelines.iter().map(|t| t.calls_per_second).collect();
        let delays: Vec<f64> = timelines.iter().flat_map(|t| t.delays.clone()).collect();
        writeln!(
            out,
            "           default watch: {:.2} calls/s per pipeline (median; max {:.2}); status change to its event {:.2}s median, {:.2}s max over {} changes",
            median(rates.clone()),
            max(&rates),
            median(delays.clone()),
            max(&delays),
            delays.len()
        )?;
        if !ok {
            return Err(format!("executions ended {statuses:?}").into());
        }
    }
    writeln!(
        out,
        "targets: source to a waiting approval < 2 s; a whole run without approvals < 5 s; a watch at most 3 calls/s per pipeline; a status change to its event < 1 s"
    )?;
    Ok(())
}
