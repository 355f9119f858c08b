//! Reconcile against LocalStack: 1, 10, 50 and 200 copies of the reference pipeline in one app.
//!
//! For each size: the time of an apply from nothing (plan included, as `apply` runs it), of a
//! no-op plan (median of three), and of a destroy; and the AWS calls each made per resource,
//! counted by an SDK interceptor on every client (reads are Get/List/Describe/Head/BatchGet
//! calls). Every phase starts from a new provider, as each CLI command does, and the STS call
//! that finds the account is left out. Then the ratios of the largest size to one, and the calls
//! its apply from nothing and its no-op plan made, by operation.
//!
//! LocalStack answers in about a millisecond from one Python process, so on a small machine it
//! is CPU-bound and its times grow with the number of calls, whatever the engine does: the
//! benchmark prints the emulator's CPU time during the largest apply to show it. AWS instead
//! takes tens to hundreds of milliseconds per call on servers that are never the bottleneck, so
//! the last table runs the same apply from nothing, a no-op plan and the destroy against the
//! same emulator behind
//! a loopback proxy that delays every request by 50 ms (`PIPEWRIGHT_BENCH_LATENCY_MS`), at
//! several concurrency bounds (`PIPEWRIGHT_BENCH_BOUNDS=8,32,64`): there time follows the depth
//! of the dependency graph as long as the bound lets a level run at once.
//!
//! A warm-up round of one pipeline runs first and is not reported: LocalStack loads each service
//! on its first call, which would count against the smallest size.
//!
//! The emulator is the one at `AWS_ENDPOINT_URL`, or the bundled LocalStack started for this
//! run (in `.localstack/`, on a free port, stopped when this process ends).
//!
//! `cargo bench --bench reconcile` (`PIPEWRIGHT_BENCH_SIZES=1,2` runs other sizes;
//! `PIPEWRIGHT_BENCH_CONCURRENCY=8` another bound on calls in flight than the CLI's default).
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

// The fault tier's proxy, used here only to add latency; its own tests run with that tier.
#[path = "../tests/faults/proxy.rs"]
#[allow(dead_code, unused_imports)]
mod proxy;

// The examples as the test tiers include them; only the reference is measured.
#[path = "../tests/support/examples.rs"]
#[allow(dead_code)]
mod examples;

use examples::reference;

const SIZES: [usize; 4] = [1, 10, 50, 200];
/// The sizes under `cargo test --all-targets`, which runs this binary without `--bench`: a quick
/// check that the benchmark still works.
const SMOKE_SIZES: [usize; 2] = [1, 2];
const PLAN_RUNS: usize = 3;
/// The CLI's default; `PIPEWRIGHT_BENCH_CONCURRENCY` overrides it.
const CONCURRENCY: usize = engine::DEFAULT_CONCURRENCY;
/// Added to every call in the last table: the low end of AWS control-plane latencies.
const LATENCY_MS: u64 = 50;
/// The concurrency bounds of the last table.
const BOUNDS: [usize; 3] = [8, 32, 64];

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
    /// CPU seconds the emulator spent during the apply, when its process is known.
    apply_emulator_cpu: Option<f64>,
    plan: Phase,
    destroy: Phase,
}

/// The emulator's endpoint, and its process when this run started it.
fn endpoint() -> Result<(String, Option<u32>), Box<dyn Error>> {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Ok((url, None));
    }
    let pid = std::process::id();
    let state_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack");
    let instance = format!("bench-{pid}");
    let emulator = LocalOptions::default()
        .state_dir(state_dir)
        .instance(&instance)
        .port(0)
        .owner_pid(pid)
        .timeout(Duration::from_secs(300))
        .show_progress(true)
        .start()?;
    let process = std::fs::read_to_string(format!("{state_dir}/instances/{instance}/pid"))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    Ok((emulator.endpoint().to_owned(), process))
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

/// The app `name` of `n` reference pipelines, validated and resolved for the account behind
/// `options`, with a provider on fresh clients.
async fn prepared(
    name: &str,
    n: usize,
    options: &ClientOptions,
) -> Result<(ResolvedApp, Arc<dyn Provider>), Box<dyn Error>> {
    let mut app = App::new(name)?;
    for i in 0..n {
        reference::add_reference(&mut app, &format!("{name}-{i:02}"))?;
    }
    pipewright::validate::validate(&app)?;
    let aws = AwsProvider::new(Clients::load(options).await?).await?;
    let env = Env::new(aws.partition(), aws.region(), aws.account());
    let desired = engine::resolve(&app.desired(), &env)?;
    Ok((desired, Arc::new(aws)))
}

async fn measure(
    n: usize,
    options: &ClientOptions,
    calls: &Calls,
    stamp: &str,
    concurrency: usize,
    emulator: Option<u32>,
) -> Result<(Row, [BTreeMap<String, usize>; 2]), Box<dyn Error>> {
    let (desired, p) = prepared(&format!("bench{stamp}n{n}"), n, options).await?;
    calls.take();

    let cpu_before = emulator.and_then(cpu_seconds);
    let started = Instant::now();
    let plan = engine::plan(&desired, &p, concurrency).await?;
    let report = engine::apply(&plan, &p, &ApplyOptions::default().concurrency(concurrency)).await;
    let apply_calls = calls.take();
    let apply = Phase::from(started.elapsed().as_secs_f64(), &apply_calls);
    let apply_emulator_cpu = cpu_before
        .zip(emulator.and_then(cpu_seconds))
        .map(|(before, after)| after - before);
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
            apply_emulator_cpu,
            plan,
            destroy,
        },
        [apply_calls, by_operation],
    ))
}

/// Seconds of an apply from nothing of `n` pipelines, of a no-op plan after it (from a new
/// provider, as a CLI command) and of its destroy, through `options`.
async fn apply_destroy(
    n: usize,
    options: &ClientOptions,
    stamp: &str,
    concurrency: usize,
) -> Result<(f64, f64, f64), Box<dyn Error>> {
    let (desired, p) = prepared(&format!("lat{stamp}c{concurrency}n{n}"), n, options).await?;
    let opts = ApplyOptions::default().concurrency(concurrency);

    let started = Instant::now();
    let plan = engine::plan(&desired, &p, concurrency).await?;
    let report = engine::apply(&plan, &p, &opts).await;
    let apply = started.elapsed().as_secs_f64();
    if !report.succeeded() {
        return Err(format!("apply of {n} pipeline(s) failed: {report}").into());
    }
    let fresh: Arc<dyn Provider> = Arc::new(AwsProvider::new(Clients::load(options).await?).await?);
    let started = Instant::now();
    let again = engine::plan(&desired, &fresh, concurrency).await?;
    let plan = started.elapsed().as_secs_f64();
    if !again.is_empty() {
        return Err(format!("the plan after apply is not empty: {}", again.summary).into());
    }
    let started = Instant::now();
    let report = engine::destroy(&desired.app, Some(&desired), &fresh, &opts).await?;
    let destroy = started.elapsed().as_secs_f64();
    if !report.succeeded() {
        return Err(format!("destroy of {n} pipeline(s) failed: {report}").into());
    }
    Ok((apply, plan, destroy))
}

/// The comma-separated numbers in the environment variable `var`, or `default` without it.
fn numbers(var: &str, default: &[usize]) -> Result<Vec<usize>, Box<dyn Error>> {
    match std::env::var(var) {
        Ok(list) => Ok(list
            .split(',')
            .map(|n| n.trim().parse())
            .collect::<Result<_, _>>()?),
        Err(_) => Ok(default.to_vec()),
    }
}

/// CPU seconds (user + system) the process `pid` has used so far, from `/proc` (Linux only).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux that matters here.
    Some(ticks / 100.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut out = std::io::stdout().lock();
    let (url, emulator) = endpoint()?;
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
    measure(
        1,
        &options,
        &calls,
        &format!("{stamp}w"),
        concurrency,
        emulator,
    )
    .await?;
    let mut rows = Vec::new();
    let mut last_ops: [BTreeMap<String, usize>; 2] = Default::default();
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = numbers(
        "PIPEWRIGHT_BENCH_SIZES",
        if full { &SIZES } else { &SMOKE_SIZES },
    )?;
    for &n in &sizes {
        let (row, by_operation) =
            measure(n, &options, &calls, &stamp, concurrency, emulator).await?;
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
        last_ops = by_operation;
    }
    if let (Some(one), Some(many)) = (rows.first(), rows.last()) {
        writeln!(
            out,
            "{} vs {} against the bare emulator: apply ×{:.1}, no-op plan ×{:.1}, destroy ×{:.1} \
             (resources ×{:.0})",
            many.pipelines,
            one.pipelines,
            many.apply.seconds / one.apply.seconds,
            many.plan.seconds / one.plan.seconds,
            many.destroy.seconds / one.destroy.seconds,
            many.resources as f64 / one.resources as f64,
        )?;
        for ((what, phase), ops) in [
            ("apply from nothing", many.apply),
            ("no-op plan", many.plan),
        ]
        .into_iter()
        .zip(&last_ops)
        {
            writeln!(
                out,
                "{what} of {} pipelines: {} reads, {} writes ({:.2} calls/resource); by operation:",
                many.pipelines,
                phase.reads,
                phase.writes,
                (phase.reads + phase.writes) as f64 / many.resources as f64
            )?;
            for (op, n) in ops {
                writeln!(
                    out,
                    "  {op:<48} {n:>5}  ({:.2}/resource)",
                    *n as f64 / many.resources as f64
                )?;
            }
        }
    }

    // The emulator's share of the largest apply: when it is busy all along, the apply waits on
    // its CPU, and no scheduling can make it follow the depth of the graph.
    if let Some((row, cpu)) = rows
        .last()
        .and_then(|r| r.apply_emulator_cpu.map(|cpu| (r, cpu)))
    {
        writeln!(
            out,
            "emulator CPU during the {}-pipeline apply: {cpu:.2} s over {:.2} s ({:.0}% of one core; \
             {:.2} ms per call)",
            row.pipelines,
            row.apply.seconds,
            100.0 * cpu / row.apply.seconds,
            1000.0 * cpu / (row.apply.reads + row.apply.writes).max(1) as f64,
        )?;
    }

    // The same emulator behind a proxy that holds every request for a while, as AWS takes
    // tens to hundreds of milliseconds per control-plane call: time now follows calls in
    // sequence (the depth of the graph) as long as the concurrency bound lets a level run at once.
    let latency = Duration::from_millis(match std::env::var("PIPEWRIGHT_BENCH_LATENCY_MS") {
        Ok(ms) => ms.trim().parse()?,
        Err(_) => LATENCY_MS,
    });
    let proxy = proxy::FaultProxy::start(
        &url,
        proxy::FaultPlan::new(1.0, &[proxy::Fault::Latency(latency)], 0),
    )
    .await;
    let slow = ClientOptions::local(proxy.endpoint());
    let bounds = numbers(
        "PIPEWRIGHT_BENCH_BOUNDS",
        if full { &BOUNDS } else { &[CONCURRENCY] },
    )?;
    writeln!(
        out,
        "with {} ms added to every call: apply / no-op plan / destroy seconds (× one pipeline) by \
         concurrency",
        latency.as_millis()
    )?;
    let header: Vec<String> = bounds
        .iter()
        .map(|c| format!("{:^41}", format!("concurrency {c}")))
        .collect();
    writeln!(out, "{:>9} | {}", "pipelines", header.join(" | "))?;
    let mut one: Vec<(f64, f64, f64)> = Vec::new();
    let mut last: Vec<(f64, f64, f64)> = Vec::new();
    for &n in &sizes {
        let mut cells = Vec::new();
        last.clear();
        for (k, &c) in bounds.iter().enumerate() {
            let (apply, plan, destroy) = apply_destroy(n, &slow, &stamp, c).await?;
            if one.len() <= k {
                one.push((apply, plan, destroy));
            }
            last.push((apply, plan, destroy));
            cells.push(format!(
                "{apply:>6.2} (×{:>4.1}) {plan:>5.2} (×{:>4.1}) {destroy:>6.2} (×{:>4.1})",
                apply / one[k].0,
                plan / one[k].1,
                destroy / one[k].2
            ));
        }
        writeln!(out, "{n:>9} | {}", cells.join(" | "))?;
    }
    // The verdict at the CLI's default bound: how the largest size compares with the smallest.
    if let (Some(k), Some(&first), Some(&most)) = (
        bounds.iter().position(|&c| c == CONCURRENCY),
        sizes.first(),
        sizes.last(),
    ) {
        writeln!(
            out,
            "{most} vs {first} with {} ms per call at concurrency {CONCURRENCY}: apply ×{:.1}, \
             no-op plan ×{:.1} ({:.2} s), destroy ×{:.1} (resources ×{}, graph depth ×1)",
            latency.as_millis(),
            last[k].0 / one[k].0,
            last[k].1 / one[k].1,
            last[k].1,
            last[k].2 / one[k].2,
            most / first,
        )?;
    }
    Ok(())
}
