//! Crashes: `apply` and `destroy` (the real CLI, in a child process) are killed with SIGKILL at
//! seeded points across their runs, right after the emulator acted on a request whose answer the
//! child never got; `apply` at its default concurrency is killed at seeded random moments too.
//! After each, a rerun converges to the same end state (no orphan, no duplicate, nothing
//! untagged) and `destroy` leaves nothing owned.
//!
//! The default run kills at a seeded sample of points; `PIPEWRIGHT_EXHAUSTIVE=1` kills `destroy`
//! at every one of its requests and the concurrent `apply` at [`CONCURRENT_KILLS_EXHAUSTIVE`]
//! moments.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use pipewright::engine::{self, ApplyOptions};
use pipewright::model::ResourceKind;
use pipewright::provider::api::Provider;
use tokio::process::{Child, Command};

use crate::apply::{quick_retries, resolved};
use crate::harness::{endpoint, unique};
use crate::proxy::{FaultPlan, FaultProxy, splitmix};
use crate::support::aws::provider_at;
use crate::support::examples::reference_app;

/// How many distinct kill points, and the seed that picks them.
pub(crate) const CRASH_POINTS: usize = 24;
pub(crate) const CRASH_SEED: u64 = 0x5eed_c0de;

/// Not a test: the child process the crash tests kill. It applies the reference app named by
/// `PIPEWRIGHT_CRASH_APP` through the CLI, one call at a time so that request `n` is always the
/// same call, against `AWS_ENDPOINT_URL` with the environment's credentials.
#[tokio::test]
#[ignore = "the crash tests run it as their child process"]
async fn child_apply() {
    let Ok(prefix) = std::env::var("PIPEWRIGHT_CRASH_APP") else {
        return;
    };
    // `PIPEWRIGHT_CRASH_VERB`: `apply` (one call at a time, the default), `apply-concurrent`
    // (the CLI's default concurrency) or `destroy` (one call at a time).
    let verb = std::env::var("PIPEWRIGHT_CRASH_VERB").unwrap_or_else(|_| "apply".into());
    let args: &[&str] = match verb.as_str() {
        "apply-concurrent" => &["reference", "apply", "--yes"],
        "destroy" => &["reference", "destroy", "--yes", "--concurrency", "1"],
        _ => &["reference", "apply", "--yes", "--concurrency", "1"],
    };
    let code = pipewright::cli::run(
        reference_app(&prefix),
        args.iter().copied(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
    .await;
    std::process::exit(code.into());
}

/// Whether the exhaustive crash runs are asked for (`PIPEWRIGHT_EXHAUSTIVE=1`).
pub(crate) fn exhaustive() -> bool {
    std::env::var("PIPEWRIGHT_EXHAUSTIVE").is_ok_and(|v| v == "1")
}

fn spawn_child(prefix: &str, endpoint: &str) -> Child {
    spawn_verb(prefix, endpoint, "apply")
}

fn spawn_verb(prefix: &str, endpoint: &str, verb: &str) -> Child {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let nowhere = std::env::temp_dir().join("pipewright-no-aws-config");
    Command::new(exe)
        .args(["--exact", "crash::child_apply", "--ignored", "--nocapture"])
        .env("PIPEWRIGHT_CRASH_VERB", verb)
        .env("PIPEWRIGHT_CRASH_APP", prefix)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the test binary runs again as a child")
}

/// `count` distinct request indexes below `total`, drawn from `seed`, sorted.
pub(crate) fn kill_points(total: u64, count: usize, seed: u64) -> Vec<u64> {
    let mut points = BTreeSet::new();
    let mut i = 0;
    while points.len() < count.min(total as usize) {
        points.insert(splitmix(seed ^ splitmix(i)) % total);
        i += 1;
    }
    points.into_iter().collect()
}

/// After a rerun, exactly the model's resources exist under their names, each carrying the
/// app's tags for its id; the app owns nothing else.
async fn exactly_the_model(
    provider: &Arc<dyn Provider>,
    prefix: &str,
    desired: &engine::ResolvedApp,
) {
    let mut expected = BTreeSet::new();
    for r in &desired.resources {
        let r = &r.resource;
        let found = provider
            .read(r.kind, &r.physical_name)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{} {} exists", r.kind.cfn_type(), r.physical_name));
        if r.kind.taggable() {
            let owner = found
                .owner
                .unwrap_or_else(|| panic!("{} is tagged", r.physical_name));
            assert_eq!(
                (owner.app.as_str(), owner.id.as_str()),
                (prefix, r.id.as_str())
            );
            expected.insert((r.kind, r.physical_name.clone()));
        }
    }
    let owned: BTreeSet<(ResourceKind, String)> = provider
        .list_owned(prefix)
        .await
        .expect("list owned")
        .into_iter()
        .map(|o| (o.kind, o.physical_name))
        .collect();
    assert_eq!(owned, expected, "no orphan, no duplicate");
}

async fn nothing_left(provider: &Arc<dyn Provider>, prefix: &str, desired: &engine::ResolvedApp) {
    assert!(provider.list_owned(prefix).await.expect("list").is_empty());
    for r in &desired.resources {
        let r = &r.resource;
        assert!(
            provider
                .read(r.kind, &r.physical_name)
                .await
                .expect("read")
                .is_none(),
            "{} {} is gone",
            r.kind.cfn_type(),
            r.physical_name
        );
    }
}

#[tokio::test]
async fn apply_killed_at_any_point_is_finished_by_a_rerun() {
    let (direct, env) = provider_at(endpoint()).await;

    // A whole run first, to count its requests.
    let prefix = unique("crash");
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let child = spawn_child(&prefix, proxy.endpoint());
    let output = child.wait_with_output().await.expect("the child runs");
    assert!(
        output.status.success(),
        "an uninterrupted apply succeeds: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let total = proxy.stats().total_requests();
    let desired = resolved(&reference_app(&prefix), &env);
    exactly_the_model(&direct, &prefix, &desired).await;
    engine::destroy(&prefix, Some(&desired), &direct, &ApplyOptions::default())
        .await
        .expect("destroy");
    nothing_left(&direct, &prefix, &desired).await;

    let points = kill_points(total, CRASH_POINTS, CRASH_SEED);
    assert_eq!(
        points.len(),
        CRASH_POINTS.min(total as usize),
        "{total} requests"
    );
    let mut killed_at = Vec::new();
    for point in points {
        let prefix = unique("crash");
        let desired = resolved(&reference_app(&prefix), &env);
        let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
        let tripped = proxy.trip_at(point);
        let mut child = spawn_child(&prefix, proxy.endpoint());
        let call = tokio::select! {
            call = tripped => call.expect("the proxy reports the trip"),
            status = child.wait() => panic!("the child ended before request {point}: {status:?}"),
            () = tokio::time::sleep(Duration::from_secs(120)) => panic!("request {point} never came"),
        };
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reaped");
        killed_at.push((point, call.clone()));

        // The rerun, as a user would run it: plan, apply.
        let plan = engine::plan(&desired, &direct, 8)
            .await
            .unwrap_or_else(|e| panic!("plan after a kill at {point} ({call}): {e}"));
        let report = engine::apply(
            &plan,
            &direct,
            &ApplyOptions::default().retry(quick_retries()),
        )
        .await;
        assert!(
            report.succeeded(),
            "rerun after a kill at {point} ({call}): {:#?}",
            report.outcomes
        );
        assert!(
            engine::plan(&desired, &direct, 8)
                .await
                .expect("plan")
                .is_empty()
        );
        exactly_the_model(&direct, &prefix, &desired).await;
        let report = engine::destroy(&prefix, Some(&desired), &direct, &ApplyOptions::default())
            .await
            .expect("destroy");
        assert!(
            report.succeeded(),
            "destroy after a kill at {point}: {report}"
        );
        nothing_left(&direct, &prefix, &desired).await;
    }
    crate::report::record_crashes(total, &killed_at);
}

/// How many destroy kill points the default run samples, and the seed.
pub(crate) const DESTROY_CRASH_POINTS: usize = 8;
pub(crate) const DESTROY_CRASH_SEED: u64 = 0xde57_c0de;

/// Applies the reference app as `prefix` straight to the emulator, checked.
async fn applied(
    direct: &Arc<dyn Provider>,
    prefix: &str,
    env: &engine::Env,
) -> engine::ResolvedApp {
    let desired = resolved(&reference_app(prefix), env);
    let plan = engine::plan(&desired, direct, 8).await.expect("plan");
    let report = engine::apply(
        &plan,
        direct,
        &ApplyOptions::default().retry(quick_retries()),
    )
    .await;
    assert!(report.succeeded(), "apply: {:#?}", report.outcomes);
    desired
}

/// Runs `child` until the proxy sees request `point`, then kills it; the call whose answer was
/// lost.
async fn kill_at(
    mut child: Child,
    tripped: tokio::sync::oneshot::Receiver<String>,
    point: u64,
) -> String {
    let call = tokio::select! {
        call = tripped => call.expect("the proxy reports the trip"),
        status = child.wait() => panic!("the child ended before request {point}: {status:?}"),
        () = tokio::time::sleep(Duration::from_secs(120)) => panic!("request {point} never came"),
    };
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("reaped");
    call
}

#[tokio::test]
async fn destroy_killed_at_any_point_is_finished_by_a_rerun() {
    let (direct, env) = provider_at(endpoint()).await;

    // A whole destroy first, to count its requests.
    let prefix = unique("dcrash");
    let desired = applied(&direct, &prefix, &env).await;
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let output = spawn_verb(&prefix, proxy.endpoint(), "destroy")
        .wait_with_output()
        .await
        .expect("the child runs");
    assert!(
        output.status.success(),
        "an uninterrupted destroy succeeds: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let total = proxy.stats().total_requests();
    nothing_left(&direct, &prefix, &desired).await;

    let points: Vec<u64> = if exhaustive() {
        (0..total).collect()
    } else {
        kill_points(total, DESTROY_CRASH_POINTS, DESTROY_CRASH_SEED)
    };
    let mut killed_at = Vec::new();
    for point in points {
        let prefix = unique("dcrash");
        let desired = applied(&direct, &prefix, &env).await;
        let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
        let tripped = proxy.trip_at(point);
        let child = spawn_verb(&prefix, proxy.endpoint(), "destroy");
        let call = kill_at(child, tripped, point).await;
        killed_at.push((point, call.clone()));

        // The rerun: destroy again, as a user would.
        let report = engine::destroy(
            &prefix,
            Some(&desired),
            &direct,
            &ApplyOptions::default().retry(quick_retries()),
        )
        .await
        .unwrap_or_else(|e| panic!("destroy after a kill at {point} ({call}): {e}"));
        assert!(
            report.succeeded(),
            "rerun after a kill at {point} ({call}): {report}"
        );
        nothing_left(&direct, &prefix, &desired).await;
    }
    crate::report::record_destroy_crashes(total, &killed_at, exhaustive());
}

/// Kills of the concurrent apply: a few by default, this many with `PIPEWRIGHT_EXHAUSTIVE=1`.
pub(crate) const CONCURRENT_KILLS: usize = 3;
pub(crate) const CONCURRENT_KILLS_EXHAUSTIVE: usize = 20;
pub(crate) const CONCURRENT_SEED: u64 = 0xc0c0_4e47;

#[tokio::test]
async fn apply_at_default_concurrency_killed_at_random_moments_is_finished_by_a_rerun() {
    let (direct, env) = provider_at(endpoint()).await;
    // Its requests, counted once: the order differs run to run, the number hardly.
    let prefix = unique("ccrash");
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let output = spawn_verb(&prefix, proxy.endpoint(), "apply-concurrent")
        .wait_with_output()
        .await
        .expect("the child runs");
    assert!(
        output.status.success(),
        "an uninterrupted apply succeeds: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let total = proxy.stats().total_requests();
    let desired = resolved(&reference_app(&prefix), &env);
    exactly_the_model(&direct, &prefix, &desired).await;
    engine::destroy(&prefix, Some(&desired), &direct, &ApplyOptions::default())
        .await
        .expect("destroy");
    nothing_left(&direct, &prefix, &desired).await;

    let kills = if exhaustive() {
        CONCURRENT_KILLS_EXHAUSTIVE
    } else {
        CONCURRENT_KILLS
    };
    // Moments before the last tenth of the run, so that each kill lands mid-run.
    let points = kill_points(total * 9 / 10, kills, CONCURRENT_SEED);
    for point in &points {
        let prefix = unique("ccrash");
        let desired = resolved(&reference_app(&prefix), &env);
        let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
        let tripped = proxy.trip_at(*point);
        let child = spawn_verb(&prefix, proxy.endpoint(), "apply-concurrent");
        let call = kill_at(child, tripped, *point).await;
        let plan = engine::plan(&desired, &direct, 8)
            .await
            .unwrap_or_else(|e| panic!("plan after a kill at {point} ({call}): {e}"));
        let report = engine::apply(
            &plan,
            &direct,
            &ApplyOptions::default().retry(quick_retries()),
        )
        .await;
        assert!(
            report.succeeded(),
            "rerun after a kill at {point} ({call}): {:#?}",
            report.outcomes
        );
        assert!(
            engine::plan(&desired, &direct, 8)
                .await
                .expect("plan")
                .is_empty()
        );
        exactly_the_model(&direct, &prefix, &desired).await;
        let report = engine::destroy(&prefix, Some(&desired), &direct, &ApplyOptions::default())
            .await
            .expect("destroy");
        assert!(
            report.succeeded(),
            "destroy after a kill at {point}: {report}"
        );
        nothing_left(&direct, &prefix, &desired).await;
    }
    crate::report::record_concurrent_crashes(points.len(), exhaustive());
}
