//! The reconcile scenarios of the issue, on the reference app and the fake: in-place update,
//! replacement, drift, prune, rename, conflict, bounded concurrency.

use std::time::Duration;

use serde_json::{Value, json};

use pipewright::engine::{
    self, ApplyOptions, Change, ReplaceStrategy, ResolvedApp, Status, StatusKind,
};
use pipewright::model::ResourceKind;
use pipewright::provider::api::{FieldChange, Operation, Provider};
use pipewright::provider::fake::FakeProvider;

use crate::{fake, index, plan, position, resolved};

fn reference() -> ResolvedApp {
    resolved(&crate::reference::app().expect("the example builds"))
}

async fn applied(
    desired: &ResolvedApp,
) -> (std::sync::Arc<FakeProvider>, std::sync::Arc<dyn Provider>) {
    let (fake, provider) = fake();
    let report = engine::apply(
        &plan(desired, &provider).await,
        &provider,
        &ApplyOptions::default(),
    )
    .await;
    assert!(report.succeeded(), "{report}");
    (fake, provider)
}

#[tokio::test(start_paused = true)]
async fn a_changed_field_updates_only_that_field_in_place() {
    let mut desired = reference();
    let (_, provider) = applied(&desired).await;
    let p = index(&desired, ResourceKind::Project);
    desired.resources[p].resource.properties["TimeoutInMinutes"] = json!(45);
    let plan = plan(&desired, &provider).await;
    assert_eq!(plan.summary.update, 1);
    assert_eq!(
        plan.summary.to_string(),
        "0 to create, 1 to update, 0 to replace, 0 to delete"
    );
    let change = plan
        .changes
        .iter()
        .find(|c| c.change.is_change())
        .expect("one change");
    assert_eq!(
        change.change,
        Change::Update {
            fields: vec![FieldChange {
                path: "/TimeoutInMinutes".into(),
                old: Some(json!(30)),
                new: Some(json!(45)),
            }]
        }
    );
    assert!(
        engine::apply(&plan, &provider, &ApplyOptions::default())
            .await
            .succeeded()
    );
    assert!(crate::plan(&desired, &provider).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_create_only_change_replaces_the_resource_and_what_lives_in_it() {
    let mut desired = reference();
    let (fake, provider) = applied(&desired).await;
    let a = index(&desired, ResourceKind::Application);
    desired.resources[a].resource.properties["ComputePlatform"] = json!("Lambda");
    let plan = plan(&desired, &provider).await;
    assert_eq!(plan.summary.replace, 2, "{:#?}", plan.changes);
    let app_change = plan
        .changes
        .iter()
        .find(|c| c.kind == ResourceKind::Application)
        .expect("planned");
    let Change::Replace {
        forced_by,
        strategy,
        ..
    } = &app_change.change
    else {
        panic!("a replacement: {:?}", app_change.change);
    };
    assert_eq!(forced_by, "/ComputePlatform");
    assert_eq!(*strategy, ReplaceStrategy::DeleteThenCreate);
    let json = plan.to_json();
    assert!(json.contains("\"order\": \"delete_then_create\""), "{json}");

    fake.reset_calls();
    assert!(
        engine::apply(&plan, &provider, &ApplyOptions::default())
            .await
            .succeeded()
    );
    let name = &app_change.physical_name;
    let deleted = position(&fake, Operation::Delete, ResourceKind::Application, name);
    let created = position(&fake, Operation::Create, ResourceKind::Application, name);
    assert!(
        deleted.is_some() && deleted < created,
        "{deleted:?} before {created:?}"
    );
    assert!(crate::plan(&desired, &provider).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn out_of_band_changes_show_as_drift_and_apply_repairs_them() {
    let desired = reference();
    let (fake, provider) = applied(&desired).await;
    let p = &desired.resources[index(&desired, ResourceKind::Project)].resource;
    assert!(fake.set_field(
        p.kind,
        &p.physical_name,
        "/Environment/ComputeType",
        Some(json!("BUILD_GENERAL1_2XLARGE")),
    ));
    // A field AWS fills in by itself is not drift.
    fake.set_field(
        p.kind,
        &p.physical_name,
        "/BadgeEnabled",
        Some(json!(false)),
    );
    let drift = plan(&desired, &provider).await;
    assert_eq!(drift.drifted().count(), 1);
    let Change::Update { fields } = &drift
        .changes
        .iter()
        .find(|c| c.id == p.id)
        .expect("planned")
        .change
    else {
        panic!("drift is an update");
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].path, "/Environment/ComputeType");
    assert_eq!(fields[0].old, Some(json!("BUILD_GENERAL1_2XLARGE")));
    assert!(
        engine::apply(&drift, &provider, &ApplyOptions::default())
            .await
            .succeeded()
    );
    assert!(crate::plan(&desired, &provider).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_resource_removed_from_the_model_is_deleted_only_with_prune() {
    let mut desired = reference();
    let (fake, provider) = applied(&desired).await;
    let rule = desired
        .resources
        .iter()
        .position(|r| r.resource.kind == ResourceKind::EventRule)
        .map(|i| desired.resources.remove(i).resource)
        .expect("the reference detects changes with a rule");
    let plan = plan(&desired, &provider).await;
    assert_eq!(plan.summary.delete, 1);
    assert_eq!(
        plan.changes.last().map(|c| &c.change),
        Some(&Change::Delete)
    );

    let kept = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(kept.succeeded());
    assert_eq!(kept.with_status(StatusKind::Kept).count(), 1);
    assert!(fake.get(rule.kind, &rule.physical_name).is_some());

    let pruned = engine::apply(&plan, &provider, &ApplyOptions::default().prune(true)).await;
    assert!(pruned.succeeded(), "{pruned}");
    assert!(fake.get(rule.kind, &rule.physical_name).is_none());
    assert!(crate::plan(&desired, &provider).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_renamed_resource_is_created_before_the_old_one_goes() {
    let mut desired = reference();
    let (fake, provider) = applied(&desired).await;
    let p = index(&desired, ResourceKind::Project);
    let old = desired.resources[p].resource.physical_name.clone();
    desired.resources[p].resource.physical_name = "shop-build-2".into();
    desired.resources[p].resource.properties["Name"] = json!("shop-build-2");
    let plan = plan(&desired, &provider).await;
    let change = &plan
        .changes
        .iter()
        .find(|c| c.kind == ResourceKind::Project)
        .expect("planned")
        .change;
    assert_eq!(
        change,
        &Change::Replace {
            forced_by: "/Name".into(),
            strategy: ReplaceStrategy::CreateThenDelete {
                old_name: old.clone()
            },
            fields: Vec::new(),
            parent: None,
        }
    );
    fake.reset_calls();
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{report}");
    let created = position(
        &fake,
        Operation::Create,
        ResourceKind::Project,
        "shop-build-2",
    );
    let deleted = position(&fake, Operation::Delete, ResourceKind::Project, &old);
    assert!(created.is_some() && created < deleted);
    assert!(fake.get(ResourceKind::Project, &old).is_none());
}

#[tokio::test(start_paused = true)]
async fn a_same_named_resource_that_is_not_ours_is_a_conflict_left_untouched() {
    let desired = reference();
    let bucket = &desired.resources[index(&desired, ResourceKind::Bucket)].resource;
    let (fake, provider) = fake();
    let theirs =
        json!({"BucketName": bucket.physical_name, "Tags": [{"Key": "owner", "Value": "someone"}]});
    fake.insert_foreign(bucket.kind, &bucket.physical_name, theirs.clone());

    let plan = plan(&desired, &provider).await;
    assert_eq!(plan.summary.conflict, 2, "the bucket and its policy");
    assert!(plan.summary.to_string().ends_with(", 2 conflicts"));
    let Change::Conflict { message } = &plan
        .changes
        .iter()
        .find(|c| c.id == bucket.id)
        .expect("planned")
        .change
    else {
        panic!("a conflict");
    };
    assert!(
        message.ends_with(&format!(
            "to adopt it, tag it pipewright:app=shop and pipewright:id={}",
            bucket.id
        )),
        "{message}"
    );

    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(!report.succeeded());
    assert_eq!(fake.get(bucket.kind, &bucket.physical_name), Some(theirs));
    assert!(
        fake.get(ResourceKind::BucketPolicy, &bucket.physical_name)
            .is_none()
    );
    // What uses the bucket waits; what does not goes ahead.
    let pipeline = report
        .outcomes
        .iter()
        .find(|o| o.kind == ResourceKind::Pipeline)
        .expect("reported");
    assert!(
        matches!(&pipeline.status, Status::Skipped { reason } if reason.contains("is in conflict"))
    );
    let repo = report
        .outcomes
        .iter()
        .find(|o| o.kind == ResourceKind::Repository)
        .expect("reported");
    assert_eq!(repo.status, Status::Done);
    // Destroy never touches it either.
    engine::destroy(
        &desired.app,
        Some(&desired),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("the fake answers");
    assert!(fake.get(bucket.kind, &bucket.physical_name).is_some());
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded_and_independent_resources_overlap() {
    let mut app = pipewright::model::App::new("shop").expect("a valid name");
    for i in 0..6 {
        crate::reference::add_reference(&mut app, &format!("shop{i}")).expect("valid names");
    }
    let desired = resolved(&app);
    for limit in [1, 3, 8] {
        let fake = std::sync::Arc::new(FakeProvider::new().latency(Duration::from_millis(2)));
        let provider: std::sync::Arc<dyn Provider> = fake.clone();
        // Reads one at a time, so that the peak below is the apply's.
        let plan = engine::plan(&desired, &provider, 1)
            .await
            .expect("the fake answers");
        let report = engine::apply(
            &plan,
            &provider,
            &ApplyOptions::default().concurrency(limit),
        )
        .await;
        assert!(report.succeeded());
        assert_eq!(
            fake.max_in_flight(),
            limit,
            "the bound is reached, never passed"
        );
    }
    let fake = std::sync::Arc::new(FakeProvider::new().latency(Duration::from_millis(2)));
    let provider: std::sync::Arc<dyn Provider> = fake.clone();
    let plan = engine::plan(&desired, &provider, 3)
        .await
        .expect("the fake answers");
    assert!(fake.max_in_flight() <= 3);
    let report = engine::apply(&plan, &provider, &ApplyOptions::default().concurrency(3)).await;
    assert!(report.succeeded());
    assert_eq!(fake.max_in_flight(), 3);
}

/// Time follows the depth of the graph when a whole level can be in flight: with room for it,
/// every resource of the first level starts before any call returns, and the default bound is
/// filled by 50 pipelines.
#[tokio::test(start_paused = true)]
async fn a_whole_level_of_fifty_pipelines_is_in_flight_at_once() {
    let mut app = pipewright::model::App::new("shop").expect("a valid name");
    for i in 0..50 {
        crate::reference::add_reference(&mut app, &format!("s{i:02}")).expect("valid names");
    }
    let desired = resolved(&app);
    // The peak of calls in flight during an apply at `bound`, and the size of the first level.
    let peak = |bound: usize| {
        let desired = &desired;
        async move {
            let fake = std::sync::Arc::new(FakeProvider::new().latency(Duration::from_millis(1)));
            let provider: std::sync::Arc<dyn Provider> = fake.clone();
            // Reads one at a time, so that the peak below is the apply's.
            let plan = engine::plan(desired, &provider, 1)
                .await
                .expect("the fake answers");
            let first_level = plan.changes.iter().filter(|c| c.wave == 0).count();
            let report = engine::apply(
                &plan,
                &provider,
                &ApplyOptions::default().concurrency(bound),
            )
            .await;
            assert!(report.succeeded(), "{report}");
            (fake.max_in_flight(), first_level)
        }
    };
    let (in_flight, first_level) = peak(10_000).await;
    assert!(first_level >= 100, "{first_level}");
    assert!(
        in_flight >= first_level,
        "{in_flight} in flight, {first_level} in the first level"
    );
    let (in_flight, _) = peak(engine::DEFAULT_CONCURRENCY).await;
    assert_eq!(in_flight, engine::DEFAULT_CONCURRENCY);
}

#[tokio::test(start_paused = true)]
async fn a_failed_delete_skips_what_it_uses_while_other_pipelines_go() {
    let mut app = pipewright::model::App::new("shop").expect("a valid name");
    for prefix in ["one", "two"] {
        crate::reference::add_reference(&mut app, prefix).expect("valid names");
    }
    let desired = resolved(&app);
    let (fake, provider) = applied(&desired).await;
    fake.inject(
        pipewright::provider::fake::Failure::new(pipewright::provider::api::ProviderError::other(
            "InternalFailure",
            "try again",
        ))
        .on(Operation::Delete)
        .resource(ResourceKind::Pipeline, "one"),
    );
    let report = engine::destroy(
        &desired.app,
        Some(&desired),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("the fake answers");
    assert!(!report.succeeded());
    assert_eq!(report.with_status(StatusKind::Failed).count(), 1);
    let skipped: Vec<&str> = report
        .with_status(StatusKind::Skipped)
        .map(|o| o.physical_name.as_str())
        .collect();
    assert!(skipped.contains(&"one-artifacts-0001"), "{skipped:?}");
    assert!(skipped.iter().all(|n| !n.starts_with("two")), "{skipped:?}");
    assert!(fake.get(ResourceKind::Pipeline, "two").is_none());
    assert!(
        fake.get(ResourceKind::Bucket, "two-artifacts-0001")
            .is_none()
    );

    let rerun = engine::destroy(
        &desired.app,
        Some(&desired),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("the fake answers");
    assert!(rerun.succeeded(), "{rerun}");
    assert!(fake.resources().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_plan_reads_as_one_line_per_change_with_the_fields_under_it() {
    let mut desired = reference();
    let (_, provider) = applied(&desired).await;
    let p = index(&desired, ResourceKind::Project);
    desired.resources[p].resource.properties["TimeoutInMinutes"] = json!(45);
    let a = index(&desired, ResourceKind::Application);
    desired.resources[a].resource.properties["ComputePlatform"] = json!("Lambda");
    desired
        .resources
        .retain(|r| r.resource.kind != ResourceKind::EventRule);
    let plan = plan(&desired, &provider).await;
    insta::assert_snapshot!("reference.plan.txt", plan.to_string());
    let destroy = engine::plan_destroy(&desired.app, Some(&desired), &provider, 8)
        .await
        .expect("the fake answers");
    insta::assert_snapshot!("reference.destroy.txt", destroy.to_string());
    let (_, empty) = crate::fake();
    let nothing = engine::plan_destroy("shop", None, &empty, 8)
        .await
        .expect("the fake answers");
    assert_eq!(
        nothing.to_string(),
        "no changes: AWS matches the model\n0 to create, 0 to update, 0 to replace, 0 to delete"
    );
}

/// A policy change reads as the statements, actions and resources it adds and removes, not as
/// two cut-off documents.
#[tokio::test(start_paused = true)]
async fn a_policy_change_reads_as_a_statement_diff() {
    let mut desired = reference();
    let (_, provider) = applied(&desired).await;
    let role = desired
        .resources
        .iter()
        .position(|r| {
            r.resource.kind == ResourceKind::Role
                && r.resource.properties["Policies"][0]["PolicyDocument"]["Statement"]
                    .as_array()
                    .is_some_and(|s| s.len() > 1)
        })
        .expect("the reference has a role with several statements");
    let document =
        &mut desired.resources[role].resource.properties["Policies"][0]["PolicyDocument"];
    let statements = document["Statement"].as_array_mut().expect("a list");
    let first = &mut statements[0]["Action"];
    *first = match first.take() {
        Value::Array(mut a) => {
            a.push(json!("logs:DescribeLogStreams"));
            Value::Array(a)
        }
        one => json!([one, "logs:DescribeLogStreams"]),
    };
    statements.pop();
    statements.push(json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}));
    let plan = plan(&desired, &provider).await;
    insta::assert_snapshot!("reference.policy.txt", plan.to_string());
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_was_lost_is_finished_not_duplicated() {
    // Plan on an empty account, then the resources appear before apply runs (as when an earlier
    // attempt's answer was lost, or a crashed run made them): apply takes over what carries this
    // app's tags, finishes what differs, and leaves everything converged.
    let desired = reference();
    let (fake, provider) = fake();
    let plan = plan(&desired, &provider).await;
    assert_eq!(plan.summary.create, desired.resources.len());
    let p = index(&desired, ResourceKind::Project);
    for r in &desired.resources {
        provider
            .create(&r.resource)
            .await
            .expect("made behind the plan's back");
    }
    fake.set_field(
        ResourceKind::Project,
        &desired.resources[p].resource.physical_name,
        "/TimeoutInMinutes",
        Some(json!(5)),
    );
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{report}: {:#?}", report.outcomes);
    assert!(crate::plan(&desired, &provider).await.is_empty());
    assert_eq!(
        fake.resources().len(),
        desired.resources.len(),
        "no duplicate"
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_that_meets_a_foreign_resource_fails_and_leaves_it_alone() {
    let desired = reference();
    let (fake, provider) = fake();
    let plan = plan(&desired, &provider).await;
    let r = &desired.resources[index(&desired, ResourceKind::Repository)].resource;
    fake.insert_foreign(
        ResourceKind::Repository,
        &r.physical_name,
        json!({"RepositoryName": r.physical_name, "RepositoryDescription": "someone else's"}),
    );
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(!report.succeeded());
    let failed = report
        .with_status(StatusKind::Failed)
        .find(|o| o.kind == ResourceKind::Repository)
        .expect("the create failed");
    let Status::Failed { error, .. } = &failed.status else {
        unreachable!("filtered on failed")
    };
    assert!(error.message.contains("is not this app's"), "{error}");
    assert_eq!(
        fake.get(ResourceKind::Repository, &r.physical_name)
            .and_then(|p| p.get("RepositoryDescription").cloned()),
        Some(json!("someone else's")),
        "untouched"
    );
}

#[tokio::test(start_paused = true)]
async fn a_deployment_config_in_use_is_replaced_after_its_groups_move_off() {
    let mut desired = resolved(&crate::lambda_canary::app().expect("the example builds"));
    let (fake, provider) = applied(&desired).await;
    let k = index(&desired, ResourceKind::DeploymentConfig);
    let config = desired.resources[k].resource.physical_name.clone();
    desired.resources[k].resource.properties["TrafficRoutingConfig"]["TimeBasedCanary"]["CanaryPercentage"] =
        json!(30);

    // Deleting it under its group is what CodeDeploy (and the fake) refuses.
    let refused = provider
        .delete(ResourceKind::DeploymentConfig, &config)
        .await
        .expect_err("in use");
    assert_eq!(refused.code, "DeploymentConfigInUseException");

    let plan = plan(&desired, &provider).await;
    assert_eq!(
        plan.summary.to_string(),
        "0 to create, 0 to update, 1 to replace, 0 to delete"
    );
    assert!(
        plan.to_string().contains(
            "deployment group(s) \"orders/live\" use it: they move to CodeDeployDefault.LambdaAllAtOnce while it is replaced, then back"
        ),
        "{plan}"
    );
    // The JSON plan says so too, and progress counts the moves among the steps.
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).expect("JSON");
    let change = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["action"] == "replace")
        .expect("the replacement");
    assert_eq!(
        change["moves"],
        json!([{
            "id": desired.resources[index(&desired, ResourceKind::DeploymentGroup)].resource.id,
            "physical_name": "orders/live",
            "interim_config": "CodeDeployDefault.LambdaAllAtOnce",
        }])
    );
    let (options, events) = crate::recording();
    assert_eq!(engine::step_count(&plan, &options), 4);
    let report = engine::apply(&plan, &provider, &options).await;
    assert!(report.succeeded(), "{report}");
    assert_eq!(fake.count(Operation::Update), 2, "off, then back on");
    // Progress names what each call changes: the group's moves are the group's.
    let steps: Vec<(ResourceKind, String, Operation)> = events
        .lock()
        .expect("not poisoned")
        .iter()
        .filter_map(|e| match e.what {
            engine::EventKind::Succeeded { operation, .. } => {
                Some((e.resource.kind, e.resource.physical_name.clone(), operation))
            }
            _ => None,
        })
        .collect();
    let group = (ResourceKind::DeploymentGroup, "orders/live".to_owned());
    let config = (ResourceKind::DeploymentConfig, config);
    assert_eq!(
        steps,
        vec![
            (group.0, group.1.clone(), Operation::Update),
            (config.0, config.1.clone(), Operation::Delete),
            (config.0, config.1, Operation::Create),
            (group.0, group.1, Operation::Update),
        ]
    );
    assert!(crate::plan(&desired, &provider).await.is_empty());
}

/// The fake behind a tagging index that lags deletes: `list_owned` answers what the first
/// listing after `freeze` found, whatever was deleted since.
struct LaggingIndex {
    inner: std::sync::Arc<FakeProvider>,
    frozen: std::sync::Mutex<Option<Vec<pipewright::provider::api::Owned>>>,
}

impl Provider for LaggingIndex {
    fn read<'a>(
        &'a self,
        kind: ResourceKind,
        name: &'a str,
    ) -> pipewright::provider::api::BoxFuture<
        'a,
        Result<
            Option<pipewright::provider::api::Observed>,
            pipewright::provider::api::ProviderError,
        >,
    > {
        self.inner.read(kind, name)
    }

    fn create<'a>(
        &'a self,
        r: &'a pipewright::provider::api::Resource,
    ) -> pipewright::provider::api::BoxFuture<
        'a,
        Result<(), pipewright::provider::api::ProviderError>,
    > {
        self.inner.create(r)
    }

    fn update<'a>(
        &'a self,
        r: &'a pipewright::provider::api::Resource,
        fields: &'a [FieldChange],
    ) -> pipewright::provider::api::BoxFuture<
        'a,
        Result<(), pipewright::provider::api::ProviderError>,
    > {
        self.inner.update(r, fields)
    }

    fn delete<'a>(
        &'a self,
        kind: ResourceKind,
        name: &'a str,
    ) -> pipewright::provider::api::BoxFuture<
        'a,
        Result<(), pipewright::provider::api::ProviderError>,
    > {
        self.inner.delete(kind, name)
    }

    fn list_owned<'a>(
        &'a self,
        app: &'a str,
    ) -> pipewright::provider::api::BoxFuture<
        'a,
        Result<Vec<pipewright::provider::api::Owned>, pipewright::provider::api::ProviderError>,
    > {
        Box::pin(async move {
            let listed = self.inner.list_owned(app).await?;
            let mut frozen = self.frozen.lock().expect("frozen lock");
            Ok(frozen.get_or_insert(listed).clone())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_delete_planned_from_a_lagging_tag_listing_is_confirmed_by_a_direct_read() {
    // Bug: the tagging index still lists what was deleted moments before, and every delete was
    // planned from it alone: the plan after a prune or a destroy was never empty.
    let mut desired = reference();
    let (fake, _) = applied(&desired).await;
    let lagging: std::sync::Arc<dyn Provider> = std::sync::Arc::new(LaggingIndex {
        inner: std::sync::Arc::clone(&fake),
        frozen: std::sync::Mutex::default(),
    });
    // The listing is taken while everything is there, then the rule is pruned.
    let rule = desired
        .resources
        .iter()
        .position(|r| r.resource.kind == ResourceKind::EventRule)
        .map(|i| desired.resources.remove(i).resource)
        .expect("the reference detects changes with a rule");
    let pruning = plan(&desired, &lagging).await;
    assert_eq!(pruning.summary.delete, 1);
    let pruned = engine::apply(&pruning, &lagging, &ApplyOptions::default().prune(true)).await;
    assert!(pruned.succeeded(), "{pruned}");
    assert!(fake.get(rule.kind, &rule.physical_name).is_none());
    // The listing still names the rule; a read says it is gone.
    let listed = lagging.list_owned(&desired.app).await.expect("list");
    assert!(listed.iter().any(|o| o.physical_name == rule.physical_name));
    let after = plan(&desired, &lagging).await;
    assert!(after.is_empty(), "{after:#?}");

    // Destroy, then plan it again through the same lagging listing: nothing left to delete.
    let report = engine::destroy(
        &desired.app,
        Some(&desired),
        &lagging,
        &ApplyOptions::default(),
    )
    .await
    .expect("destroy");
    assert!(report.succeeded(), "{report}");
    let again = engine::plan_destroy(&desired.app, Some(&desired), &lagging, 8)
        .await
        .expect("destroy plan");
    assert!(
        again.changes.is_empty(),
        "only what is retained is left: {again:#?}"
    );
}
