//! The engine against the in-memory fake: 1, 10, 100 and 1,000 copies of the reference pipeline
//! in one app (1,000 pipelines are about 12,000 resources).
//!
//! For each size: the time to plan from nothing, to apply that plan, to plan again (a no-op) and
//! to destroy, with the fake answering at once. What is measured is the engine itself (resolve
//! excluded): planning, diffing and above all the scheduler, whose work must grow with the
//! number of resources and dependencies, not with their square. Figures are printed, never
//! asserted.
//!
//! `cargo bench --bench engine`; `cargo test --all-targets` runs it on 1 and 2 pipelines, as a
//! check that it still works (`cargo test --bench engine -- --bench` runs every size in the
//! test profile).

use std::error::Error;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use pipewright::engine::{self, ApplyOptions, Env};
use pipewright::model::App;
use pipewright::provider::api::Provider;
use pipewright::provider::fake::FakeProvider;

#[path = "../examples/reference.rs"]
#[allow(dead_code)]
mod reference;

const SIZES: [usize; 4] = [1, 10, 100, 1000];
/// The sizes under `cargo test --all-targets`, which runs this binary without `--bench`.
const SMOKE_SIZES: [usize; 2] = [1, 2];

fn seconds(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

async fn measure(n: usize, out: &mut dyn Write) -> Result<(), Box<dyn Error>> {
    let mut app = App::new("fleet")?;
    for i in 0..n {
        reference::add_reference(&mut app, &format!("svc{i:04}"))?;
    }
    let desired = engine::resolve(
        &app.desired(),
        &Env::new("aws", "eu-west-1", "123456789012"),
    )?;
    let provider: Arc<dyn Provider> = Arc::new(FakeProvider::new());
    let options = ApplyOptions::default();

    let started = Instant::now();
    let plan = engine::plan(&desired, &provider, engine::DEFAULT_CONCURRENCY).await?;
    let planned = seconds(started);

    let started = Instant::now();
    let report = engine::apply(&plan, &provider, &options).await;
    let applied = seconds(started);
    if !report.succeeded() {
        return Err(format!("apply of {n} pipelines: {report}").into());
    }

    let started = Instant::now();
    let again = engine::plan(&desired, &provider, engine::DEFAULT_CONCURRENCY).await?;
    let replanned = seconds(started);
    if !again.is_empty() {
        return Err(format!("{n} pipelines: the plan after apply is not empty").into());
    }

    let started = Instant::now();
    let report = engine::destroy(&desired.app, Some(&desired), &provider, &options).await?;
    let destroyed = seconds(started);
    if !report.succeeded() {
        return Err(format!("destroy of {n} pipelines: {report}").into());
    }

    writeln!(
        out,
        "{n:>9} {:>9} | {planned:>8.3} {applied:>8.3} {replanned:>8.3} {destroyed:>9.3}",
        desired.resources.len()
    )?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let full = std::env::args().any(|a| a == "--bench");
    let mut out = std::io::stdout().lock();
    writeln!(out, "engine against the in-memory fake, seconds")?;
    writeln!(
        out,
        "{:>9} {:>9} | {:>8} {:>8} {:>8} {:>9}",
        "pipelines", "resources", "plan", "apply", "no-op", "destroy"
    )?;
    for &n in if full { &SIZES[..] } else { &SMOKE_SIZES[..] } {
        measure(n, &mut out).await?;
    }
    Ok(())
}
