//! The lifecycle of an ECR repository through the engine and the AWS provider: create, an
//! empty plan, updates in place (tag mutability, scan on push, lifecycle and repository
//! policies), a replacement forced by the encryption, drift repaired, a same-named repository
//! of someone else's left alone, prune, and destroy leaving nothing (its images included); and a
//! project that pushes to it, with the URI in its environment and the push actions in its role.

use std::sync::Arc;

use serde_json::json;

use pipewright::engine::{self, ApplyOptions, Change, Env, ResolvedApp};
use pipewright::model::{
    App, BuildProject, ImageRepository, ImageRepositoryBuilder, InlineBuildSpec, ResourceKind,
};
use pipewright::provider::api::Provider;

use crate::harness::{clients, kms_key, unique};
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

fn repo_app(
    app: &str,
    repo: &str,
    edit: impl Fn(ImageRepositoryBuilder) -> ImageRepositoryBuilder,
) -> App {
    let mut a = App::new(app).expect("app name");
    a.add(
        edit(ImageRepository::builder().name(repo))
            .build()
            .expect("repository"),
    );
    a
}

#[tokio::test]
async fn an_image_repository_lives_and_dies_with_the_app() {
    let c = clients().await;
    let key = kms_key().await;
    let (provider, env) = provider_with(c.clone()).await;
    let name = unique("ecr");
    let repo = format!("{name}/web");
    let kept = |r: ImageRepositoryBuilder| r.keep_last_images(10).expire_untagged_after_days(7);

    // Created with the secure defaults and the lifecycle policy; then nothing to do.
    let desired = resolved(&repo_app(&name, &repo, kept), &env);
    let first = plan(&desired, &provider).await;
    assert_eq!(first.summary.create, 1, "{first}");
    apply(&first, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let seen = c
        .ecr
        .describe_repositories()
        .repository_names(&repo)
        .send()
        .await
        .expect("describe");
    let r = &seen.repositories()[0];
    assert_eq!(
        r.image_tag_mutability().map(|m| m.as_str()),
        Some("IMMUTABLE")
    );
    assert_eq!(
        r.image_scanning_configuration().map(|s| s.scan_on_push()),
        Some(true)
    );
    let lifecycle = c
        .ecr
        .get_lifecycle_policy()
        .repository_name(&repo)
        .send()
        .await
        .expect("a lifecycle policy");
    let doc: serde_json::Value =
        serde_json::from_str(lifecycle.lifecycle_policy_text().expect("text")).expect("JSON");
    assert_eq!(doc["rules"][0]["selection"]["tagStatus"], "untagged");
    assert_eq!(doc["rules"][1]["selection"]["countNumber"], 10);

    // Mutability, scanning, lifecycle and a repository policy change in place.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
    let changed = move |r: ImageRepositoryBuilder| {
        r.mutable_tags()
            .scan_on_push(false)
            .keep_last_images(5)
            .policy(policy)
    };
    let desired = resolved(&repo_app(&name, &repo, changed), &env);
    let update = plan(&desired, &provider).await;
    assert_eq!(update.summary.update, 1, "{update}");
    assert_eq!(update.summary.replace, 0, "{update}");
    apply(&update, &provider).await;
    assert!(
        plan(&desired, &provider).await.is_empty(),
        "updated as planned"
    );
    let seen = provider
        .read(ResourceKind::ImageRepository, &repo)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(seen.properties["ImageTagMutability"], json!("MUTABLE"));
    assert_eq!(
        seen.properties["RepositoryPolicyText"]["Statement"][0]["Sid"],
        json!("Pull")
    );

    // Changed out of band: the plan names the field and apply puts it back.
    c.ecr
        .put_image_tag_mutability()
        .repository_name(&repo)
        .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Immutable)
        .send()
        .await
        .expect("out-of-band change");
    let drift = plan(&desired, &provider).await;
    let drifted: Vec<_> = drift.drifted().collect();
    assert_eq!(drifted.len(), 1, "{drift}");
    assert!(
        matches!(&drifted[0].change, Change::Update { fields } if fields[0].path == "/ImageTagMutability"),
        "{drift}"
    );
    apply(&drift, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // An image pushed, then the encryption changed: a replacement (the images go with it).
    c.ecr
        .put_image()
        .repository_name(&repo)
        .image_tag("v1")
        .image_manifest(r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#)
        .send()
        .await
        .expect("put image");
    let desired = resolved(&repo_app(&name, &repo, |r| r.kms_key(&key)), &env);
    let replace = plan(&desired, &provider).await;
    assert_eq!(replace.summary.replace, 1, "{replace}");
    assert!(replace.changes.iter().any(|c| matches!(
        &c.change,
        Change::Replace { forced_by, .. } if forced_by.starts_with("/EncryptionConfiguration")
    )));
    apply(&replace, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let seen = provider
        .read(ResourceKind::ImageRepository, &repo)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(
        seen.properties["EncryptionConfiguration"],
        json!({"EncryptionType": "KMS", "KmsKey": key})
    );

    // Someone else's repository under a name the model wants: a conflict, left alone.
    let theirs = format!("{name}/theirs");
    c.ecr
        .create_repository()
        .repository_name(&theirs)
        .send()
        .await
        .expect("someone else's repository");
    let mut both = repo_app(&name, &repo, |r| r.kms_key(&key));
    both.add(
        ImageRepository::builder()
            .name(&theirs)
            .build()
            .expect("repo"),
    );
    let wants_theirs = resolved(&both, &env);
    let conflict = plan(&wants_theirs, &provider).await;
    assert!(conflict.has_conflicts(), "{conflict}");
    assert!(
        provider
            .read(ResourceKind::ImageRepository, &theirs)
            .await
            .expect("reads")
            .is_some_and(|o| o.owner.is_none()),
        "theirs is left as it was"
    );
    c.ecr
        .delete_repository()
        .repository_name(&theirs)
        .send()
        .await
        .expect("delete theirs");

    // Dropped from the model: pruned with its images.
    let empty = App::new(&name).expect("app name");
    let none = resolved(&empty, &env);
    let prune = plan(&none, &provider).await;
    assert_eq!(prune.summary.delete, 1, "{prune}");
    let report = engine::apply(&prune, &provider, &ApplyOptions::default().prune(true)).await;
    assert!(report.succeeded(), "{report}");
    assert!(
        provider
            .read(ResourceKind::ImageRepository, &repo)
            .await
            .expect("reads")
            .is_none(),
        "pruned"
    );

    // Back with a project pushing to it: the URI in its environment, the push actions on
    // exactly this repository in its role; destroyed with the app, nothing left.
    let mut a = App::new(&name).expect("app name");
    let web = a.add(ImageRepository::builder().name(&repo));
    a.add(
        BuildProject::builder()
            .name(&name)
            .no_source()
            .privileged(true)
            .pushes_to(&web)
            .buildspec(InlineBuildSpec::new().build(["docker push $REPOSITORY_URI:latest"])),
    );
    let desired = resolved(&a, &env);
    apply(&plan(&desired, &provider).await, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let project = c
        .codebuild
        .batch_get_projects()
        .names(&name)
        .send()
        .await
        .expect("project");
    let vars = project.projects()[0]
        .environment()
        .map(|e| e.environment_variables())
        .unwrap_or_default();
    let uri = vars
        .iter()
        .find(|v| v.name() == "REPOSITORY_URI")
        .map(|v| v.value().to_owned());
    assert_eq!(
        uri,
        Some(format!(
            "000000000000.dkr.ecr.{}.amazonaws.com/{repo}",
            c.region()
        ))
    );
    let role = desired
        .resources
        .iter()
        .find(|r| r.resource.kind == ResourceKind::Role)
        .expect("a build role");
    let seen = provider
        .read(ResourceKind::Role, &role.resource.physical_name)
        .await
        .expect("reads")
        .expect("the role exists");
    let statements = seen.properties["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements")
        .clone();
    let push = statements
        .iter()
        .find(|s| s["Sid"] == "PushImages")
        .expect("a push statement");
    let arn = json!(format!(
        "arn:aws:ecr:{}:000000000000:repository/{repo}",
        c.region()
    ));
    assert!(
        push["Resource"] == arn || push["Resource"] == json!([arn]),
        "exactly this repository: {push}"
    );
    assert!(
        statements
            .iter()
            .any(|s| s["Action"] == json!("ecr:GetAuthorizationToken")
                || s["Action"] == json!(["ecr:GetAuthorizationToken"])),
        "a login token: {statements:?}"
    );
    engine::destroy(
        &desired.app,
        Some(&desired),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
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
