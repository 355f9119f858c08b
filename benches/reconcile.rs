//! Reconcile against LocalStack: 1, 10 and 50 copies of the reference pipeline in one app.
//!
//! For each size: the time of an apply from nothing (plan included, as `apply` runs it), of a
//! no-op plan (median of three), and of a destroy; and the AWS calls each made per resource,
//! counted by an SDK interceptor on every client (reads are Get/List/Describe/Head/BatchGet
//! calls). Every phase starts from a new provider, as each CLI command does, and the STS call
//! that finds the account is left out. Then the ratios of 50 pipelines to one, and the calls the
//! 50-pipeline no-op plan made, by operation.
//!
//! LocalStack answers in about a millisecond and is CPU-bound on a small machine, so its times
//! grow with the number of calls. A last table separates the engine's scheduling from that:
//! the same apply from nothing against the in-memory fake with 50 ms per call, as AWS answers,
//! at several concurrency bounds, where time grows with graph depth until the bound is reached.
//!
//! A warm-up round of one pipeline runs first and is not reported: LocalStack loads each service
//! on its first call, which would count against the smallest size.
//!
//! The emulator is the one at `AWS_ENDPOINT_URL`, or the bundled LocalStack started for this
//! run (in `.localstack/`, on a free port, stopped when this process ends).
//!
//! `cargo bench --bench reconcile` (`PIPEWRIGHT_BENCH_SIZES=1,2` runs other sizes;
//! `PIPEWRIGHT_BENCH_CONCURRENCY=32` another bound on calls in flight than the CLI's 8).
//! `cargo test --all-targets` runs it on 1 and 2 pipelines, as a check that it still works.

use std::collections::BTreeMap;
use std::error::Error;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use pipewright::engine::{self, ApplyOptions, Env, ResolvedApp};
use pipewright::local::LocalOptions;
use pipewright::model::App;
use pipewright::provider::api::Provider;
use pipewright::provider::aws::{AwsProvider, ClientOptions, Clients};
use pipewright::provider::fake::FakeProvider;

#[path = "../examples/reference.rs"]
#[allow(dead_code)]
mod reference;

const SIZES: [usize; 3] = [1, 10, 50];
/// The sizes under `cargo test --all-targets`, which runs this binary without `--bench`: a quick
/// check that the benchmark still works.
const SMOKE_SIZES: [usize; 2] = [1, 2];
const PLAN_RUNS: usize = 3;
/// The CLI's default; `PIPEWRIGHT_BENCH_CONCURRENCY` overrides it.
const CONCURRENCY: usize = 8;

/// Calls by `service:operation`, counted once per operation (retries are not extra calls).
#[derive(Debug, Default, Clone)]
struct Calls(Arc<Mutex<BTreeMap<String, usize>>>);

impl Calls {
    fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    // Before serialization rather than before execution: the operation's metadata is in the
    // bag by then, and it still runs once per operation, not per attempt.
    fn read_before_serialization(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = cfg.load::<Metadata>().map_or_else(
            || "unknown".to_owned(),
            |m| format!("{}:{}", m.service(), m.name()),
        );
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default() += 1;
        Ok(())
    }
}

fn is_read(call: &str) -> bool {
    let op = call.rsplit(':').next().unwrap_or(call);
    ["Get", "List", "Describe", "Head", "BatchGet"]
        .iter()
        .any(|p| op.starts_with(p))
}

/// One phase's figures.
#[derive(Debug, Default, Clone, Copy)]
struct Phase {
    seconds: f64,
    reads: usize,
    writes: usize,
}

impl Phase {
    fn from(seconds: f64, calls: &BTreeMap<String, usize>) -> Self {
        let reads = calls
            .iter()
            .filter(|(k, _)| is_read(k))
            .map(|(_, n)| n)
            .sum();
        let all: usize = calls.values().sum();
        Self {
            seconds,
            reads,
            writes: all - reads,
        }
    }
}

struct Row {
    pipelines: usize,
    resources: usize,
    apply: Phase,
    plan: Phase,
    destroy: Phase,
}

fn endpoint() -> Result<String, Box<dyn Error>> {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Ok(url);
    }
    let pid = std::process::id();
    let emulator = LocalOptions::default()
        .state_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"))
        .instance(format!("bench-{pid}"))
        .port(0)
        .owner_pid(pid)
        .timeout(Duration::from_secs(300))
        .show_progress(true)
        .start()?;
    Ok(emulator.endpoint().to_owned())
}

/// A provider on fresh clients, as a CLI command builds one; its STS call is not counted.
async fn provider(
    options: &ClientOptions,
    calls: &Calls,
) -> Result<Arc<dyn Provider>, Box<dyn Error>> {
    let aws = AwsProvider::new(Clients::load(options).await?).await?;
    calls.take();
    Ok(Arc::new(aws))
}

async fn measure(
    n: usize,
    options: &ClientOptions,
    calls: &Calls,
    stamp: &str,
    concurrency: usize,
) -> Result<(Row, BTreeMap<String, usize>), Box<dyn Error>> {
    let name = format!("bench{stamp}n{n}");
    let mut app = App::new(&name)?;
    for i in 0..n {
        reference::add_reference(&mut app, &format!("{name}-{i:02}"))?;
    }
    pipewright::validate::validate(&app)?;
    let aws = AwsProvider::new(Clients::load(options).await?).await?;
    let env = Env::new(aws.partition(), aws.region(), aws.account());
    let desired: ResolvedApp = engine::resolve(&app.desired(), &env)?;
    let p: Arc<dyn Provider> = Arc::new(aws);
    calls.take();

    let started = Instant::now();
    let plan = engine::plan(&desired, &p, concurrency).await?;
    let report = engine::apply(&plan, &p, &ApplyOptions::default().concurrency(concurrency)).await;
    let apply = Phase::from(started.elapsed().as_secs_f64(), &calls.take());
    if !report.succeeded() {
        return Err(format!("apply of {n} pipeline(s) failed: {report}").into());
    }

    let mut plans = Vec::new();
    let mut by_operation = BTreeMap::new();
    for _ in 0..PLAN_RUNS {
        let p = provider(options, calls).await?;
        let started = Instant::now();
        let again = engine::plan(&desired, &p, concurrency).await?;
        let seconds = started.elapsed().as_secs_f64();
        by_operation = calls.take();
        if !again.is_empty() {
            return Err(format!("the plan after apply is not empty: {}", again.summary).into());
        }
        plans.push(Phase::from(seconds, &by_operation));
    }
    plans.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let plan = plans[plans.len() / 2];

    let p = provider(options, calls).await?;
    let started = Instant::now();
    let report = engine::destroy(
        &desired.app,
        Some(&desired),
        &p,
        &ApplyOptions::default().concurrency(concurrency),
    )
    .await?;
    let destroy = Phase::from(started.elapsed().as_secs_f64(), &calls.take());
    if !report.succeeded() {
        return Err(format!("destroy of {n} pipeline(s) failed: {report}").into());
    }
    Ok((
        Row {
            pipelines: n,
            resources: desired.resources.len(),
            apply,
            plan,
            destroy,
        },
        by_operation,
    ))
}

/// Seconds of an apply from nothing of `n` pipelines against the fake with `latency` per call.
async fn fake_apply(
    n: usize,
    latency: Duration,
    concurrency: usize,
) -> Result<f64, Box<dyn Error>> {
    let mut app = App::new("fake")?;
    for i in 0..n {
        reference::add_reference(&mut app, &format!("fake-{i:02}"))?;
    }
    let env = Env::new("aws", "us-east-1", "123456789012");
    let desired = engine::resolve(&app.desired(), &env)?;
    let p: Arc<dyn Provider> = Arc::new(FakeProvider::new().latency(latency));
    let started = Instant::now();
    let plan = engine::plan(&desired, &p, concurrency).await?;
    let report = engine::apply(&plan, &p, &ApplyOptions::default().concurrency(concurrency)).await;
    if !report.succeeded() {
        return Err(format!("apply of {n} pipeline(s) on the fake failed: {report}").into());
    }
    Ok(started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut out = std::io::stdout().lock();
    let url = endpoint()?;
    let calls = Calls::default();
    let options = ClientOptions::local(&url).interceptor(calls.clone());
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() % 100_000)
        .unwrap_or_default()
        .to_string();

    let concurrency = match std::env::var("PIPEWRIGHT_BENCH_CONCURRENCY") {
        Ok(n) => n.trim().parse()?,
        Err(_) => CONCURRENCY,
    };
    writeln!(out, "reconcile against {url}, concurrency {concurrency}")?;
    writeln!(
        out,
        "{:>9} {:>9} | {:>8} {:>9} | {:>8} {:>9} | {:>8} {:>9}",
        "pipelines",
        "resources",
        "apply s",
        "calls/res",
        "plan s",
        "reads/res",
        "destroy s",
        "calls/res"
    )?;
    measure(1, &options, &calls, &format!("{stamp}w"), concurrency).await?;
    let mut rows = Vec::new();
    let mut last_plan = BTreeMap::new();
    let sizes: Vec<usize> = match std::env::var("PIPEWRIGHT_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|n| n.trim().parse())
            .collect::<Result<_, _>>()?,
        Err(_) if std::env::args().any(|a| a == "--bench") => SIZES.to_vec(),
        Err(_) => SMOKE_SIZES.to_vec(),
    };
    for &n in &sizes {
        let (row, by_operation) = measure(n, &options, &calls, &stamp, concurrency).await?;
        let per = |count: usize| count as f64 / row.resources as f64;
        writeln!(
            out,
            "{:>9} {:>9} | {:>8.2} {:>9.2} | {:>8.2} {:>9.2} | {:>8.2} {:>9.2}",
            row.pipelines,
            row.resources,
            row.apply.seconds,
            per(row.apply.reads + row.apply.writes),
            row.plan.seconds,
            per(row.plan.reads),
            row.destroy.seconds,
            per(row.destroy.reads + row.destroy.writes),
        )?;
        rows.push(row);
        last_plan = by_operation;
    }
    if let (Some(one), Some(many)) = (rows.first(), rows.last()) {
        writeln!(
            out,
            "{} vs {}: apply ×{:.1}, no-op plan ×{:.1}, destroy ×{:.1} (resources ×{:.0})",
            many.pipelines,
            one.pipelines,
            many.apply.seconds / one.apply.seconds,
            many.plan.seconds / one.plan.seconds,
            many.destroy.seconds / one.destroy.seconds,
            many.resources as f64 / one.resources as f64,
        )?;
        writeln!(
            out,
            "no-op plan of {} pipelines: {} reads, {} writes; by operation:",
            many.pipelines, many.plan.reads, many.plan.writes
        )?;
        for (op, n) in &last_plan {
            writeln!(
                out,
                "  {op:<48} {n:>5}  ({:.2}/resource)",
                *n as f64 / many.resources as f64
            )?;
        }
    }

    let latency = Duration::from_millis(50);
    let bounds = [8, 32, 128];
    writeln!(
        out,
        "apply from nothing on the fake, {} ms per call: seconds at concurrency {bounds:?}",
        latency.as_millis()
    )?;
    let mut one = Vec::new();
    for &n in &sizes {
        let mut cells = Vec::new();
        for (k, &c) in bounds.iter().enumerate() {
            let t = fake_apply(n, latency, c).await?;
            if one.len() <= k {
                one.push(t);
            }
            cells.push(format!("{t:>6.2} (×{:.1})", t / one[k]));
        }
        writeln!(out, "{n:>9} pipelines: {}", cells.join("  "))?;
    }
    Ok(())
}
