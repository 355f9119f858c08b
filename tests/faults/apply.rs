//! The engine through the fault proxy: apply and destroy of whole apps while requests fail, and
//! what happens when every request fails.

use std::sync::Arc;
use std::time::Duration;

use pipewright::engine::{self, ApplyOptions, Env, ResolvedApp, RetryPolicy, StatusKind};
use pipewright::model::App;
use pipewright::provider::api::Provider;

use crate::harness::{endpoint, unique};
use crate::proxy::{Fault, FaultPlan, FaultProxy};
use crate::support::aws::provider_at;
use crate::support::examples::{self, AddExample, reference_app};

/// Every kind of fault the proxy injects.
pub(crate) const ALL_FAULTS: [Fault; 6] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::Unavailable,
    Fault::DropBefore,
    Fault::DropAfter,
    Fault::Latency(Duration::from_millis(30)),
];

/// Fault rates and seeds each app is applied and destroyed under. Seed 3 at 30% once dropped
/// the answer to a deployment group's create, whose retry then met the group it had made.
pub(crate) const FAULT_RUNS: [(f64, u64); 3] = [(0.1, 1001), (0.3, 1002), (0.3, 3)];

/// The engine's retry policy for these tests: the default shape, shorter delays.
pub(crate) fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(60),
        first_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
        max_attempts: 12,
    }
}

pub(crate) fn resolved(app: &App, env: &Env) -> ResolvedApp {
    engine::resolve(&app.desired(), env).expect("the reference app resolves")
}

/// Plans through `provider` with the engine's own retries, as the CLI does.
pub(crate) async fn plan_is_empty(desired: &ResolvedApp, provider: &Arc<dyn Provider>) -> bool {
    engine::plan(desired, provider, 8)
        .await
        .expect("a plan without faults")
        .is_empty()
}

/// Applies and destroys one example through every fault run; panics on the first failure.
async fn converge_under_faults(example: &'static str, add: AddExample) {
    let (direct, env) = provider_at(endpoint()).await;
    for (rate, seed) in FAULT_RUNS {
        let prefix = unique("flt");
        let mut app = App::new(prefix.as_str()).expect("a valid app name");
        add(&mut app, &prefix).expect("valid names");
        let desired = resolved(&app, &env);
        let proxy = FaultProxy::start(endpoint(), FaultPlan::new(rate, &ALL_FAULTS, seed)).await;
        let (faulty, _) = provider_at(proxy.endpoint()).await;
        let options = ApplyOptions::default().retry(quick_retries());
        let run = format!("{example} at {rate} (seed {seed})");

        let plan = engine::plan(&desired, &faulty, 8)
            .await
            .unwrap_or_else(|e| panic!("plan of {run}: {e}"));
        let report = engine::apply(&plan, &faulty, &options).await;
        assert!(report.succeeded(), "apply of {run}: {:#?}", report.outcomes);
        // The same end state as without faults: seen directly, nothing left to change.
        assert!(plan_is_empty(&desired, &direct).await, "{run} converged");

        let report = engine::destroy(&prefix, Some(&desired), &faulty, &options)
            .await
            .unwrap_or_else(|e| panic!("destroy plan of {run}: {e}"));
        assert!(
            report.succeeded(),
            "destroy of {run}: {:#?}",
            report.outcomes
        );
        // Only what the model marks retained is left; the test removes it afterwards.
        let kept: Vec<_> = report.with_status(StatusKind::Kept).collect();
        let left = direct.list_owned(&prefix).await.expect("list owned");
        for owned in &left {
            assert!(
                kept.iter().any(|k| k.physical_name == owned.physical_name),
                "{run}: {owned:?} was neither destroyed nor retained"
            );
        }
        for k in kept {
            direct
                .delete(k.kind, &k.physical_name)
                .await
                .expect("clean up what was retained");
        }
        assert!(
            proxy.stats().total_faults() > 0,
            "{run}: faults were injected"
        );
    }
}

#[tokio::test]
async fn every_example_applies_and_destroys_with_faults() {
    let mut runs = tokio::task::JoinSet::new();
    for example in examples::ALL {
        runs.spawn(converge_under_faults(example.name, example.add));
    }
    while let Some(done) = runs.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    let rows: Vec<_> = examples::ALL
        .iter()
        .flat_map(|example| {
            FAULT_RUNS
                .iter()
                .map(|&(rate, seed)| crate::report::FaultRow {
                    app: example.name,
                    rate,
                    seed,
                })
        })
        .collect();
    crate::report::record_faults(
        &rows,
        "throttling (400 `ThrottlingException` / `Throttling`, 503 `SlowDown` for S3), 500 \
         `InternalFailure`, 503 `ServiceUnavailable`, a connection dropped before the request \
         reaches the emulator, a connection dropped after the emulator acted (the answer is lost), \
         and 30 ms of added latency",
    );
}

/// Bug: when the answer to `CreateDeploymentConfig` was lost, the SDK's own retry met the
/// configuration the lost call had made, and the create failed with
/// `DeploymentConfigAlreadyExistsException`: a configuration carries no tags, so nothing said it
/// was the app's, and the groups and the pipeline behind it were skipped.
#[tokio::test]
async fn a_lost_answer_to_create_deployment_config_is_taken_as_the_apps() {
    let (direct, env) = provider_at(endpoint()).await;
    let prefix = unique("cfg");
    let example = examples::ALL
        .iter()
        .find(|e| e.name == "multi_env")
        .expect("the multi_env example has a custom configuration");
    let mut app = App::new(prefix.as_str()).expect("a valid app name");
    (example.add)(&mut app, &prefix).expect("valid names");
    let desired = resolved(&app, &env);
    let lost = FaultPlan::new(1.0, &[Fault::DropAfter], 11)
        .operation("CreateDeploymentConfig")
        .limit(1);
    let proxy = FaultProxy::start(endpoint(), lost).await;
    let (faulty, _) = provider_at(proxy.endpoint()).await;
    let options = ApplyOptions::default().retry(quick_retries());
    let plan = engine::plan(&desired, &faulty, 8).await.expect("plans");
    let report = engine::apply(&plan, &faulty, &options).await;
    assert_eq!(proxy.stats().total_faults(), 1, "the answer was lost once");
    assert!(report.succeeded(), "{report}: {:#?}", report.outcomes);
    assert!(plan_is_empty(&desired, &direct).await, "converged");
    let report = engine::destroy(&prefix, Some(&desired), &direct, &options)
        .await
        .expect("destroy plan");
    assert!(report.succeeded(), "{report}");
}

/// Bug: when the answer to `RemoveTargets` was lost, the SDK's retry met a rule without that
/// target, an entry failed with `ResourceNotFoundException`, and the delete took it for the rule
/// being gone: `destroy` said done and left the rule, with the app's tags, behind.
#[tokio::test]
async fn a_lost_answer_to_remove_targets_still_deletes_the_rule() {
    let (direct, env) = provider_at(endpoint()).await;
    let prefix = unique("rmt");
    let desired = resolved(&reference_app(&prefix), &env);
    let plan = engine::plan(&desired, &direct, 8).await.expect("plans");
    let report = engine::apply(&plan, &direct, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{report}");
    let lost = FaultPlan::new(1.0, &[Fault::DropAfter], 7)
        .operation("RemoveTargets")
        .limit(1);
    let proxy = FaultProxy::start(endpoint(), lost).await;
    let (faulty, _) = provider_at(proxy.endpoint()).await;
    let options = ApplyOptions::default().retry(quick_retries());
    let report = engine::destroy(&prefix, Some(&desired), &faulty, &options)
        .await
        .expect("destroy plan");
    assert!(report.succeeded(), "{report}");
    assert_eq!(proxy.stats().total_faults(), 1, "the answer was lost once");
    let left = direct.list_owned(&prefix).await.expect("list owned");
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn with_every_request_failing_apply_stops_within_its_budget_then_a_rerun_converges() {
    let (direct, env) = provider_at(endpoint()).await;
    let prefix = unique("down");
    let app = reference_app(&prefix);
    let desired = resolved(&app, &env);
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let (faulty, _) = provider_at(proxy.endpoint()).await;
    let plan = engine::plan(&desired, &faulty, 8)
        .await
        .expect("plan before the outage");

    // Everything fails from now on: reads are retried a bounded few times, then reported.
    proxy.set_plan(FaultPlan::new(1.0, &[Fault::Unavailable], 9));
    let err = engine::plan(&desired, &faulty, 8)
        .await
        .expect_err("nothing can be read");
    let message = err.to_string();
    assert!(message.contains(&prefix), "names the app: {message}");
    let source = std::error::Error::source(&err)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        source.contains("ServiceUnavailable"),
        "names the AWS code: {source}"
    );

    // Apply: every call retried within the engine's budget, then failed; nothing is half-done in
    // a way a rerun cannot finish.
    let budget = RetryPolicy {
        budget: Duration::from_secs(3),
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(500),
        max_attempts: 4,
    };
    let before = proxy.stats().total_requests();
    let report = engine::apply(&plan, &faulty, &ApplyOptions::default().retry(budget)).await;
    assert!(!report.succeeded());
    let failed: Vec<_> = report.with_status(StatusKind::Failed).collect();
    assert!(!failed.is_empty());
    assert!(
        report.with_status(StatusKind::Done).next().is_none(),
        "nothing can succeed while every request fails"
    );
    for o in &failed {
        let pipewright::engine::Status::Failed { error, .. } = &o.status else {
            unreachable!("filtered on failed")
        };
        assert_eq!(error.code, "ServiceUnavailable", "{o:?}");
    }
    // What depends on a failed resource is skipped, not attempted.
    assert!(
        report.with_status(StatusKind::Skipped).count() > 0,
        "{report}"
    );
    // Bounded: at most 4 engine attempts of at most 5 SDK attempts for each started resource.
    let attempts = proxy.stats().total_requests() - before;
    assert!(
        attempts <= (failed.len() as u64) * 4 * 5,
        "{attempts} requests for {} failed resources",
        failed.len()
    );

    // The outage ends: a rerun converges, and destroy leaves nothing owned.
    proxy.set_plan(FaultPlan::none());
    let plan = engine::plan(&desired, &faulty, 8)
        .await
        .expect("plan after the outage");
    let report = engine::apply(
        &plan,
        &faulty,
        &ApplyOptions::default().retry(quick_retries()),
    )
    .await;
    assert!(report.succeeded(), "{:#?}", report.outcomes);
    assert!(plan_is_empty(&desired, &direct).await);
    let report = engine::destroy(&prefix, Some(&desired), &direct, &ApplyOptions::default())
        .await
        .expect("destroy");
    assert!(report.succeeded(), "{report}");
    assert!(direct.list_owned(&prefix).await.expect("list").is_empty());
}
