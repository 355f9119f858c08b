//! Every example's app: apply from nothing, converge, survive a failure at any step, destroy.

use pipewright::engine::{self, ApplyOptions, Change, RetryPolicy, Status, StatusKind};
use pipewright::provider::api::{ErrorClass, Operation, ProviderError};
use pipewright::provider::fake::Failure;

use crate::{examples, plan, position, resolved};

#[tokio::test(start_paused = true)]
async fn every_example_applies_from_nothing_then_plans_no_change() {
    for (name, app) in examples() {
        let desired = resolved(&app);
        let (fake, provider) = crate::fake();
        let first = plan(&desired, &provider).await;
        assert_eq!(first.summary.create, desired.resources.len(), "{name}");
        assert!(
            first.changes.iter().all(|c| c.change == Change::Create),
            "{name}"
        );
        let report = engine::apply(&first, &provider, &ApplyOptions::default()).await;
        assert!(report.succeeded(), "{name}: {report}");
        assert_eq!(fake.resources().len(), desired.resources.len(), "{name}");

        let second = plan(&desired, &provider).await;
        assert!(second.is_empty(), "{name}: {:#?}", second.changes);
        assert_eq!(second.summary.no_op, desired.resources.len(), "{name}");
        assert_eq!(
            second.summary.to_string(),
            "0 to create, 0 to update, 0 to replace, 0 to delete"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn apply_creates_every_dependency_first() {
    for (name, app) in examples() {
        let desired = resolved(&app);
        let (fake, provider) = crate::fake();
        let report = engine::apply(
            &plan(&desired, &provider).await,
            &provider,
            &ApplyOptions::default(),
        )
        .await;
        assert!(report.succeeded(), "{name}: {report}");
        let by_id = |id: &str| {
            desired
                .resources
                .iter()
                .find(|r| r.resource.id == id)
                .map(|r| &r.resource)
                .expect("dependencies are in the app")
        };
        let created = |kind, physical_name: &str| {
            position(&fake, Operation::Create, kind, physical_name)
                .unwrap_or_else(|| panic!("{name}: {physical_name} was created"))
        };
        for r in &desired.resources {
            let me = created(r.resource.kind, &r.resource.physical_name);
            for d in &r.depends_on {
                let dep = by_id(d);
                let before = created(dep.kind, &dep.physical_name);
                assert!(before < me, "{name}: {} before {}", dep.id, r.resource.id);
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_at_any_step_is_reported_and_a_rerun_converges() {
    let app = crate::reference::app().expect("the example builds");
    let desired = resolved(&app);
    let steps = {
        let (fake, provider) = crate::fake();
        engine::apply(
            &plan(&desired, &provider).await,
            &provider,
            &ApplyOptions::default(),
        )
        .await;
        fake.calls().iter().filter(|c| c.op.mutates()).count()
    };
    assert_eq!(steps, desired.resources.len());
    for step in 1..=steps {
        let (fake, provider) = crate::fake();
        fake.inject(
            Failure::new(ProviderError::other(
                "InternalFailure",
                "we encountered an internal error",
            ))
            .mutations()
            .nth(step),
        );
        let report = engine::apply(
            &plan(&desired, &provider).await,
            &provider,
            &ApplyOptions::default(),
        )
        .await;
        assert!(!report.succeeded(), "step {step}");
        let failed: Vec<_> = report.with_status(StatusKind::Failed).collect();
        assert_eq!(failed.len(), 1, "step {step}");
        match &failed[0].status {
            Status::Failed { operation, error } => {
                assert_eq!(*operation, Operation::Create);
                assert_eq!(error.code, "InternalFailure");
            }
            other => panic!("step {step}: {other:?}"),
        }
        // Whatever was skipped depends, directly or not, on what failed.
        for s in report.with_status(StatusKind::Skipped) {
            let Status::Skipped { reason } = &s.status else {
                unreachable!()
            };
            assert!(reason.starts_with("depends on "), "{reason}");
        }

        let rerun = engine::apply(
            &plan(&desired, &provider).await,
            &provider,
            &ApplyOptions::default(),
        )
        .await;
        assert!(rerun.succeeded(), "step {step}: {rerun}");
        assert!(plan(&desired, &provider).await.is_empty(), "step {step}");
    }
}

#[tokio::test(start_paused = true)]
async fn destroy_after_apply_leaves_nothing_owned_users_deleted_first() {
    for (name, app) in examples() {
        let desired = resolved(&app);
        let (fake, provider) = crate::fake();
        let applied = engine::apply(
            &plan(&desired, &provider).await,
            &provider,
            &ApplyOptions::default(),
        )
        .await;
        assert!(applied.succeeded(), "{name}: {applied}");
        assert_eq!(fake.resources().len(), desired.resources.len(), "{name}");
        fake.reset_calls();
        let report = engine::destroy(
            &desired.app,
            Some(&desired),
            &provider,
            &ApplyOptions::default(),
        )
        .await
        .expect("the fake answers");
        assert!(report.succeeded(), "{name}: {report}");
        let retained: Vec<_> = desired.resources.iter().filter(|r| r.retain).collect();
        let left = fake.resources();
        assert!(
            provider
                .list_owned(&desired.app)
                .await
                .expect("the fake answers")
                .iter()
                .all(|o| retained
                    .iter()
                    .any(|r| r.resource.physical_name == o.physical_name)),
            "{name}: {left:?}"
        );
        // Every resource not kept was deleted, users before what they use.
        let deleted = |r: &pipewright::engine::ResolvedResource| {
            let at = position(
                &fake,
                Operation::Delete,
                r.resource.kind,
                &r.resource.physical_name,
            );
            let kept = left.contains(&(r.resource.kind, r.resource.physical_name.clone()));
            assert_eq!(
                at.is_none(),
                kept,
                "{name}: {} deleted unless kept",
                r.resource.id
            );
            at
        };
        for r in &desired.resources {
            let me = deleted(r);
            for d in &r.depends_on {
                let dep = desired
                    .resources
                    .iter()
                    .find(|x| &x.resource.id == d)
                    .expect("dependencies are in the app");
                if let (Some(me), Some(after)) = (me, deleted(dep)) {
                    assert!(me < after, "{name}: {} before {}", r.resource.id, d);
                }
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn destroy_keeps_retained_buckets_and_their_policies() {
    let app = crate::multi_env::app().expect("the example builds");
    let desired = resolved(&app);
    let (fake, provider) = crate::fake();
    engine::apply(
        &plan(&desired, &provider).await,
        &provider,
        &ApplyOptions::default(),
    )
    .await;
    let report = engine::destroy(
        &desired.app,
        Some(&desired),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("the fake answers");
    assert!(report.succeeded(), "{report}");
    let kept: Vec<_> = report
        .with_status(StatusKind::Kept)
        .map(|o| o.kind)
        .collect();
    assert_eq!(
        kept,
        [
            pipewright::model::ResourceKind::Bucket,
            pipewright::model::ResourceKind::BucketPolicy
        ]
    );
    assert_eq!(fake.resources().len(), 2);
    assert!(report.to_string().ends_with(", 2 kept"), "{report}");
}

#[tokio::test(start_paused = true)]
async fn not_authorized_just_after_a_role_change_is_retried_within_bounds() {
    let app = crate::reference::app().expect("the example builds");
    let desired = resolved(&app);
    let pipeline = desired
        .resources
        .iter()
        .find(|r| r.resource.kind == pipewright::model::ResourceKind::Pipeline)
        .expect("the reference has a pipeline")
        .resource
        .clone();
    let denied = ProviderError::new(
        ErrorClass::Retryable,
        "InvalidStructureException",
        "codepipeline is not authorized to perform AssumeRole on role",
    );

    let (fake, provider) = crate::fake();
    fake.inject(
        Failure::new(denied.clone())
            .on(Operation::Create)
            .resource(pipeline.kind, &pipeline.physical_name)
            .times(3),
    );
    let (options, events) = crate::recording();
    let report = engine::apply(&plan(&desired, &provider).await, &provider, &options).await;
    assert!(report.succeeded(), "{report}");
    let retries = events
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|e| matches!(e.what, engine::EventKind::Retrying { .. }))
        .count();
    assert_eq!(retries, 3);

    // A failure that never clears is reported once the budget is spent.
    let (fake, provider) = crate::fake();
    fake.inject(
        Failure::new(denied)
            .on(Operation::Create)
            .resource(pipeline.kind, &pipeline.physical_name)
            .times(usize::MAX),
    );
    let bounded = ApplyOptions::default().retry(RetryPolicy {
        max_attempts: 10,
        ..RetryPolicy::default()
    });
    let report = engine::apply(&plan(&desired, &provider).await, &provider, &bounded).await;
    let failed: Vec<_> = report.with_status(StatusKind::Failed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].physical_name, pipeline.physical_name);
    let tries = fake
        .calls()
        .iter()
        .filter(|c| {
            c.kind == Some(pipeline.kind)
                && c.name == pipeline.physical_name
                && c.op == Operation::Create
        })
        .count();
    assert!((2..=10).contains(&tries), "{tries} attempts");
}

#[tokio::test(start_paused = true)]
async fn progress_events_pair_every_start_with_an_end() {
    let app = crate::reference::app().expect("the example builds");
    let desired = resolved(&app);
    let (_, provider) = crate::fake();
    let (options, events) = crate::recording();
    engine::apply(&plan(&desired, &provider).await, &provider, &options).await;
    let events = events.lock().expect("not poisoned");
    let started = events
        .iter()
        .filter(|e| matches!(e.what, engine::EventKind::Started { .. }))
        .count();
    let ended = events
        .iter()
        .filter(|e| matches!(e.what, engine::EventKind::Succeeded { .. }))
        .count();
    assert_eq!(started, desired.resources.len());
    assert_eq!(started, ended);
    let json = serde_json::to_value(&events[0]).expect("events serialize");
    assert_eq!(json["event"], "started");
    assert_eq!(json["operation"], "create");
}

#[tokio::test(start_paused = true)]
async fn the_plan_is_json_with_a_format_version() {
    let app = crate::reference::app().expect("the example builds");
    let desired = resolved(&app);
    let (_, provider) = crate::fake();
    let plan = plan(&desired, &provider).await;
    insta::assert_snapshot!("reference.plan.json", plan.to_json());
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).expect("valid JSON");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["mode"], "apply");
    assert_eq!(json["summary"]["create"], desired.resources.len());
}

#[tokio::test(start_paused = true)]
async fn a_failure_at_any_step_of_updates_replacements_and_prunes_then_a_rerun_converges() {
    let app = crate::reference::app().expect("the example builds");
    let before = resolved(&app);
    let mut after = before.clone();
    let p = crate::index(&after, pipewright::model::ResourceKind::Project);
    after.resources[p].resource.properties["TimeoutInMinutes"] = serde_json::json!(45);
    let a = crate::index(&after, pipewright::model::ResourceKind::Application);
    after.resources[a].resource.properties["ComputePlatform"] = serde_json::json!("Lambda");
    after
        .resources
        .retain(|r| r.resource.kind != pipewright::model::ResourceKind::EventRule);
    let options = || ApplyOptions::default().prune(true);

    let steps = {
        let (fake, provider) = crate::fake();
        engine::apply(
            &plan(&before, &provider).await,
            &provider,
            &ApplyOptions::default(),
        )
        .await;
        fake.reset_calls();
        engine::apply(&plan(&after, &provider).await, &provider, &options()).await;
        fake.calls().iter().filter(|c| c.op.mutates()).count()
    };
    // Update, two replacements (delete and create each), one prune.
    assert_eq!(steps, 6);
    for step in 1..=steps {
        let (fake, provider) = crate::fake();
        engine::apply(
            &plan(&before, &provider).await,
            &provider,
            &ApplyOptions::default(),
        )
        .await;
        fake.inject(
            Failure::new(ProviderError::other("InternalFailure", "try again"))
                .mutations()
                .nth(step),
        );
        let report = engine::apply(&plan(&after, &provider).await, &provider, &options()).await;
        assert!(!report.succeeded(), "step {step}");
        let rerun = engine::apply(&plan(&after, &provider).await, &provider, &options()).await;
        assert!(rerun.succeeded(), "step {step}: {rerun}");
        assert!(plan(&after, &provider).await.is_empty(), "step {step}");
    }
}
