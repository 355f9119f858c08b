//! The lifecycle of the artifact kinds through the engine and the AWS provider: create, an
//! empty plan, an update in place, a replacement forced by a create-only field, drift repaired,
//! and destroy leaving nothing the app owns.

use std::sync::Arc;

use serde_json::json;

use pipewright::engine::{self, ApplyOptions, Change, Env, ResolvedApp};
use pipewright::model::{
    App, ArtifactBucket, BuildProject, BuildProjectBuilder, InlineBuildSpec, ReportFormat,
    ReportGroup, ResourceKind,
};
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

/// An app of one bucket and one project whose buildspec reports `format` to `group` (made with
/// the bucket's handle).
fn report_app(
    app: &str,
    project: &str,
    format: ReportFormat,
    group: impl Fn(&pipewright::model::Handle<ArtifactBucket>) -> Option<ReportGroup>,
) -> App {
    let mut a = App::new(app).expect("app name");
    let bucket = a.add(
        ArtifactBucket::builder()
            .name(format!("{project}-reports"))
            .build()
            .expect("bucket"),
    );
    let mut spec = InlineBuildSpec::new().build(["echo built"]);
    if let Some(g) = group(&bucket) {
        spec = spec.report(&g, "reports/*.xml", format);
    }
    let p = BuildProject::builder()
        .name(project)
        .no_source()
        .buildspec(spec);
    a.add(p.build().expect("project"));
    a
}

#[tokio::test]
async fn a_projects_report_group_lives_and_dies_with_the_app() {
    let c = clients().await;
    let (provider, env) = provider_with(c.clone()).await;
    let name = unique("rg");
    let junit = ReportFormat::JunitXml;
    let desired = resolved(
        &report_app(&name, &name, junit, |_| Some(ReportGroup::test("unit"))),
        &env,
    );
    let group = find(&desired, ResourceKind::ReportGroup)
        .physical_name
        .clone();
    assert_eq!(group, format!("{name}-unit"));
    let arn = format!(
        "arn:aws:codebuild:{}:000000000000:report-group/{group}",
        c.region()
    );

    let first = plan(&desired, &provider).await;
    assert_eq!(
        first.summary.create, 6,
        "bucket, bucket policy, project, role, log group, report group: {first}"
    );
    apply(&first, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let seen = c
        .codebuild
        .batch_get_report_groups()
        .report_group_arns(&arn)
        .send()
        .await
        .expect("report group");
    let g = &seen.report_groups()[0];
    assert_eq!(g.r#type().map(|t| t.as_str()), Some("TEST"));
    assert_eq!(
        g.export_config()
            .and_then(|e| e.export_config_type())
            .map(|t| t.as_str()),
        Some("NO_EXPORT")
    );
    assert!(
        g.tags()
            .iter()
            .any(|t| t.key() == Some("pipewright:app") && t.value() == Some(name.as_str()))
    );

    // Exported to the bucket: the group updates in place, and the role may now write there.
    let exported = |b: &pipewright::model::Handle<ArtifactBucket>| {
        Some(ReportGroup::test("unit").export_to(b, Some("reports")))
    };
    let desired = resolved(&report_app(&name, &name, junit, exported), &env);
    let update = plan(&desired, &provider).await;
    assert_eq!(update.summary.update, 2, "report group and role: {update}");
    assert_eq!(update.summary.replace, 0, "{update}");
    apply(&update, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let seen = provider
        .read(ResourceKind::ReportGroup, &group)
        .await
        .expect("reads")
        .expect("the group exists");
    assert_eq!(
        seen.properties["ExportConfig"]["S3Destination"]["Bucket"],
        json!(format!("{name}-reports"))
    );

    // Changed out of band: the plan names the field and apply puts it back.
    c.codebuild
        .update_report_group()
        .arn(&arn)
        .export_config(
            aws_sdk_codebuild::types::ReportExportConfig::builder()
                .export_config_type(aws_sdk_codebuild::types::ReportExportConfigType::NoExport)
                .build(),
        )
        .send()
        .await
        .expect("out-of-band change");
    let drift = plan(&desired, &provider).await;
    let drifted: Vec<_> = drift.drifted().collect();
    assert_eq!(drifted.len(), 1, "{drift}");
    assert!(
        matches!(&drifted[0].change, Change::Update { fields } if fields[0].path.starts_with("/ExportConfig")),
        "{drift}"
    );
    apply(&drift, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // A coverage group under the same name is another group: replaced, forced by its type.
    let coverage = |b: &pipewright::model::Handle<ArtifactBucket>| {
        Some(ReportGroup::coverage("unit").export_to(b, Some("reports")))
    };
    let desired = resolved(
        &report_app(&name, &name, ReportFormat::CoberturaXml, coverage),
        &env,
    );
    let replace = plan(&desired, &provider).await;
    assert_eq!(replace.summary.replace, 1, "{replace}");
    assert!(replace.changes.iter().any(|c| matches!(
        &c.change,
        Change::Replace { forced_by, .. } if forced_by == "/Type"
    )));
    apply(&replace, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // Someone else's group under a name the model wants: a conflict, left alone.
    let theirs = format!("{name}-theirs");
    c.codebuild
        .create_report_group()
        .name(&theirs)
        .r#type(aws_sdk_codebuild::types::ReportType::Test)
        .export_config(
            aws_sdk_codebuild::types::ReportExportConfig::builder()
                .export_config_type(aws_sdk_codebuild::types::ReportExportConfigType::NoExport)
                .build(),
        )
        .send()
        .await
        .expect("someone else's group");
    let wants_theirs = resolved(
        &report_app(&name, &name, junit, |_| Some(ReportGroup::test("theirs"))),
        &env,
    );
    let conflict = plan(&wants_theirs, &provider).await;
    assert!(conflict.has_conflicts(), "{conflict}");
    let theirs_arn = arn.replace(&group, &theirs);
    c.codebuild
        .delete_report_group()
        .arn(&theirs_arn)
        .send()
        .await
        .expect("delete theirs");

    // Dropped from the model: pruned, and the role no longer names it.
    let none = resolved(&report_app(&name, &name, junit, |_| None), &env);
    let prune = plan(&none, &provider).await;
    assert_eq!(prune.summary.delete, 1, "{prune}");
    let report = engine::apply(&prune, &provider, &ApplyOptions::default().prune(true)).await;
    assert!(report.succeeded(), "{report}");
    assert!(
        provider
            .read(ResourceKind::ReportGroup, &group)
            .await
            .expect("reads")
            .is_none(),
        "pruned"
    );
    assert!(plan(&none, &provider).await.is_empty());

    // Back again, then destroyed with the app.
    apply(&plan(&desired, &provider).await, &provider).await;
    destroy_leaves_nothing(&desired, &provider).await;
}
