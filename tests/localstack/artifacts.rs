//! The lifecycle of the artifact kinds through the engine and the AWS provider: create, an
//! empty plan, an update in place, a replacement forced by a create-only field, drift repaired,
//! and destroy leaving nothing the app owns.

use std::sync::Arc;

use serde_json::json;

use pipewright::engine::{self, ApplyOptions, Change, Env, ResolvedApp};
use pipewright::model::{App, BuildProject, BuildProjectBuilder, InlineBuildSpec, ResourceKind};
use pipewright::provider::api::Provider;

use crate::harness::{clients, unique};
use crate::support::aws::provider_with;

async fn plan(desired: &ResolvedApp, provider: &Arc<dyn Provider>) -> engine::Plan {
    engine::plan(desired, provider, 8)
        .await
        .expect("reads succeed")
}

async fn apply(plan: &engine::Plan, provider: &Arc<dyn Provider>) {
    let report = engine::apply(plan, provider, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{report}: {:#?}", report.outcomes);
}

fn resolved(app: &App, env: &Env) -> ResolvedApp {
    engine::resolve(&app.desired(), env).expect("resolves")
}

fn find(desired: &ResolvedApp, kind: ResourceKind) -> &pipewright::provider::api::Resource {
    &desired
        .resources
        .iter()
        .find(|r| r.resource.kind == kind)
        .expect("the app has one")
        .resource
}

/// Destroys the app, then checks that nothing it owned is left, by tags or by name.
async fn destroy_leaves_nothing(desired: &ResolvedApp, provider: &Arc<dyn Provider>) {
    let report = engine::destroy(
        &desired.app,
        Some(desired),
        provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
    assert!(
        provider
            .list_owned(&desired.app)
            .await
            .expect("lists")
            .is_empty()
    );
    for r in &desired.resources {
        let seen = provider
            .read(r.resource.kind, &r.resource.physical_name)
            .await
            .expect("reads");
        assert!(seen.is_none(), "{} remains", r.resource.id);
    }
}

fn project_app(
    app: &str,
    project: &str,
    edit: impl Fn(BuildProjectBuilder) -> BuildProjectBuilder,
) -> App {
    let mut a = App::new(app).expect("app name");
    let spec = InlineBuildSpec::new().build(["echo built"]);
    let p = BuildProject::builder()
        .name(project)
        .no_source()
        .buildspec(spec);
    a.add(edit(p).build().expect("project"));
    a
}

#[tokio::test]
async fn a_projects_log_group_lives_and_dies_with_the_app() {
    let c = clients().await;
    let (provider, env) = provider_with(c.clone()).await;
    let name = unique("lg");
    let monthly = |p: BuildProjectBuilder| p.log_retention_days(30);
    let desired = resolved(&project_app(&name, &name, monthly), &env);
    let group = find(&desired, ResourceKind::LogGroup).physical_name.clone();
    assert_eq!(group, format!("/aws/codebuild/{name}"));

    let first = plan(&desired, &provider).await;
    assert_eq!(first.summary.create, 3, "project, role, log group: {first}");
    apply(&first, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let seen = provider
        .read(ResourceKind::LogGroup, &group)
        .await
        .expect("reads")
        .expect("the group exists");
    assert_eq!(seen.properties["RetentionInDays"], json!(30));
    let project = c
        .codebuild
        .batch_get_projects()
        .names(&name)
        .send()
        .await
        .expect("project");
    let logs = project.projects()[0]
        .logs_config()
        .and_then(|l| l.cloud_watch_logs())
        .expect("a CloudWatch logs config");
    assert_eq!(logs.group_name(), Some(group.as_str()));

    // The retention updates in place, on the group only.
    let yearly = project_app(&name, &name, |p| p);
    let desired = resolved(&yearly, &env);
    let update = plan(&desired, &provider).await;
    assert_eq!(update.summary.update, 1, "{update}");
    let changed: Vec<_> = update.drifted().collect();
    assert_eq!(changed[0].id, find(&desired, ResourceKind::LogGroup).id);
    apply(&update, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // Changed out of band: the plan names the field and apply puts it back.
    c.logs
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(7)
        .send()
        .await
        .expect("out-of-band change");
    let drift = plan(&desired, &provider).await;
    let drifted: Vec<_> = drift.drifted().collect();
    assert_eq!(drifted.len(), 1, "{drift}");
    assert_eq!(
        drifted[0].change,
        Change::Update {
            fields: vec![pipewright::provider::api::FieldChange {
                path: "/RetentionInDays".into(),
                old: Some(json!(7)),
                new: Some(json!(365)),
            }]
        }
    );
    apply(&drift, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // Kept forever: the retention policy is removed.
    let forever = resolved(
        &project_app(&name, &name, BuildProjectBuilder::keep_logs_forever),
        &env,
    );
    let remove = plan(&forever, &provider).await;
    assert_eq!(remove.summary.update, 1, "{remove}");
    apply(&remove, &provider).await;
    assert!(plan(&forever, &provider).await.is_empty());

    // Another group name is another group: the group is replaced, and the project (pointed at
    // the new one) and its role (allowed to write only there) update in place.
    let renamed_group = format!("/pipewright/{name}/builds");
    let renamed = resolved(
        &project_app(&name, &name, |p| p.log_group(renamed_group.clone(), None)),
        &env,
    );
    let replace = plan(&renamed, &provider).await;
    assert_eq!(replace.summary.replace, 1, "{replace}");
    assert_eq!(replace.summary.update, 2, "{replace}");
    assert!(replace.changes.iter().any(|c| matches!(
        &c.change,
        Change::Replace { forced_by, .. } if forced_by == "/LogGroupName"
    )));
    apply(&replace, &provider).await;
    assert!(plan(&renamed, &provider).await.is_empty());
    assert!(
        provider
            .read(ResourceKind::LogGroup, &group)
            .await
            .expect("reads")
            .is_none(),
        "the old group is gone"
    );

    destroy_leaves_nothing(&renamed, &provider).await;
}
