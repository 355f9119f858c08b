//! The lifecycle of a CodeArtifact domain and its repositories through the engine and the AWS
//! provider: create (an upstream before the repository naming it), an empty plan, updates in
//! place (description, upstreams, external connection), a replacement forced by the domain's
//! key, drift repaired, a same-named repository of someone else's left alone, prune, a project
//! publishing to a repository (its login variables and its role's CodeArtifact grants as IAM
//! holds them), and destroy deleting the repositories before their domain and leaving nothing.

use std::sync::Arc;

use serde_json::json;

use pipewright::engine::{self, ApplyOptions, Change, Env, ResolvedApp};
use pipewright::model::{
    App, ArtifactDomain, ArtifactRepository, BuildProject, ExternalConnection, InlineBuildSpec,
    ResourceKind,
};
use pipewright::provider::api::Provider;

use crate::harness::{clients, code, unique};
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

/// How the test's app is shaped at each step.
#[derive(Clone, Copy)]
struct Shape {
    key: Option<&'static str>,
    description: Option<&'static str>,
    /// Whether `libs` has `store` as its upstream (else the connection is on `libs` itself).
    upstream: bool,
    connection: ExternalConnection,
}

fn packages_app(app: &str, domain: &str, s: Shape) -> App {
    let mut a = App::new(app).expect("app name");
    let mut d = ArtifactDomain::builder().name(domain);
    if let Some(k) = s.key {
        d = d.encryption_key(k);
    }
    let d = a.add(d);
    let store = a.add(
        ArtifactRepository::builder()
            .domain(&d)
            .name("store")
            .external_connection(s.connection),
    );
    let mut libs = ArtifactRepository::builder().domain(&d).name("libs");
    if let Some(text) = s.description {
        libs = libs.description(text);
    }
    libs = if s.upstream {
        libs.upstream(&store)
    } else {
        libs.external_connection(ExternalConnection::Npmjs)
    };
    a.add(libs);
    a
}

const KEY: &str = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";

#[tokio::test]
async fn a_package_domain_lives_and_dies_with_the_app() {
    let c = clients().await;
    let (provider, env) = provider_with(c.clone()).await;
    let name = unique("ca");
    let domain = name.clone();
    let libs = format!("{domain}/libs");
    let first_shape = Shape {
        key: None,
        description: Some("the shop's libraries"),
        upstream: true,
        connection: ExternalConnection::Pypi,
    };

    // Created (the upstream first); then nothing to do.
    let desired = resolved(&packages_app(&name, &domain, first_shape), &env);
    let first = plan(&desired, &provider).await;
    assert_eq!(first.summary.create, 3, "{first}");
    apply(&first, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let seen = c
        .codeartifact
        .describe_repository()
        .domain(&domain)
        .repository("libs")
        .send()
        .await
        .expect("describe");
    let r = seen.repository().expect("a repository");
    assert_eq!(r.description(), Some("the shop's libraries"));
    assert_eq!(r.upstreams()[0].repository_name(), Some("store"), "{r:?}");
    let store = c
        .codeartifact
        .describe_repository()
        .domain(&domain)
        .repository("store")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        store.repository().expect("store").external_connections()[0].external_connection_name(),
        Some("public:pypi")
    );

    // A domain with repositories is not deleted (DeleteDomain: ConflictException).
    assert_eq!(
        code(c.codeartifact.delete_domain().domain(&domain).send().await),
        "ConflictException"
    );

    // Description removed, the connection changed, and `libs` connected itself instead of
    // through its upstream: updates in place.
    let second_shape = Shape {
        description: None,
        upstream: false,
        connection: ExternalConnection::MavenCentral,
        ..first_shape
    };
    let desired = resolved(&packages_app(&name, &domain, second_shape), &env);
    let update = plan(&desired, &provider).await;
    assert_eq!(update.summary.update, 2, "{update}");
    assert_eq!(update.summary.replace, 0, "{update}");
    apply(&update, &provider).await;
    let after = plan(&desired, &provider).await;
    assert!(after.is_empty(), "updated as planned: {after}");
    let seen = provider
        .read(ResourceKind::ArtifactRepository, &libs)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(seen.properties.get("Description"), None);
    assert_eq!(seen.properties.get("Upstreams"), None);
    assert_eq!(
        seen.properties["ExternalConnections"],
        json!(["public:npmjs"])
    );

    // Back to the upstream, then changed out of band: the plan names the field and apply puts
    // it back.
    let desired = resolved(&packages_app(&name, &domain, first_shape), &env);
    apply(&plan(&desired, &provider).await, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    c.codeartifact
        .update_repository()
        .domain(&domain)
        .repository("libs")
        .description("changed by hand")
        .send()
        .await
        .expect("out-of-band change");
    let drift = plan(&desired, &provider).await;
    let drifted: Vec<_> = drift.drifted().collect();
    assert_eq!(drifted.len(), 1, "{drift}");
    assert!(
        matches!(&drifted[0].change, Change::Update { fields } if fields[0].path == "/Description"),
        "{drift}"
    );
    apply(&drift, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // The domain's key changed: the domain is replaced, and its repositories with it.
    let keyed = Shape {
        key: Some(KEY),
        ..first_shape
    };
    let desired = resolved(&packages_app(&name, &domain, keyed), &env);
    let replace = plan(&desired, &provider).await;
    assert!(
        replace.changes.iter().any(|c| matches!(
            &c.change,
            Change::Replace { forced_by, .. } if forced_by == "/EncryptionKey"
        )),
        "{replace}"
    );
    apply(&replace, &provider).await;
    assert!(plan(&desired, &provider).await.is_empty());
    let seen = provider
        .read(ResourceKind::ArtifactDomain, &domain)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(seen.properties["EncryptionKey"], json!(KEY));

    // Someone else's repository under a name the model wants: a conflict, left alone.
    c.codeartifact
        .create_repository()
        .domain(&domain)
        .repository("theirs")
        .send()
        .await
        .expect("someone else's repository");
    // The model as it is, plus a repository named as theirs.
    let mut a = App::new(&name).expect("app name");
    let dom = a.add(ArtifactDomain::builder().name(&domain).encryption_key(KEY));
    let store = a.add(
        ArtifactRepository::builder()
            .domain(&dom)
            .name("store")
            .external_connection(ExternalConnection::Pypi),
    );
    a.add(
        ArtifactRepository::builder()
            .domain(&dom)
            .name("libs")
            .description("the shop's libraries")
            .upstream(&store),
    );
    a.add(ArtifactRepository::builder().domain(&dom).name("theirs"));
    let wants_theirs = resolved(&a, &env);
    let conflict = plan(&wants_theirs, &provider).await;
    assert!(conflict.has_conflicts(), "{conflict}");
    assert!(
        provider
            .read(
                ResourceKind::ArtifactRepository,
                &format!("{domain}/theirs")
            )
            .await
            .expect("reads")
            .is_some_and(|o| o.owner.is_none()),
        "theirs is left as it was"
    );
    c.codeartifact
        .delete_repository()
        .domain(&domain)
        .repository("theirs")
        .send()
        .await
        .expect("delete theirs");

    // `libs` dropped from the model: pruned, its upstream kept.
    let mut fewer = App::new(&name).expect("app name");
    let dom = fewer.add(ArtifactDomain::builder().name(&domain).encryption_key(KEY));
    fewer.add(
        ArtifactRepository::builder()
            .domain(&dom)
            .name("store")
            .external_connection(ExternalConnection::Pypi),
    );
    let fewer = resolved(&fewer, &env);
    let prune = plan(&fewer, &provider).await;
    assert_eq!(prune.summary.delete, 1, "{prune}");
    let report = engine::apply(&prune, &provider, &ApplyOptions::default().prune(true)).await;
    assert!(report.succeeded(), "{report}");
    assert!(
        provider
            .read(ResourceKind::ArtifactRepository, &libs)
            .await
            .expect("reads")
            .is_none(),
        "pruned"
    );

    // A project publishing to the repository: the login variables in its environment and
    // exactly CodeArtifact's read and publish actions, with the bearer token for CodeArtifact
    // only, in its role as IAM holds it.
    let mut with_build = App::new(&name).expect("app name");
    let dom = with_build.add(ArtifactDomain::builder().name(&domain).encryption_key(KEY));
    let store = with_build.add(
        ArtifactRepository::builder()
            .domain(&dom)
            .name("store")
            .external_connection(ExternalConnection::Pypi),
    );
    with_build.add(
        BuildProject::builder()
            .name(&name)
            .no_source()
            .publishes_to(&store)
            .buildspec(InlineBuildSpec::new().build(["twine upload dist/*"])),
    );
    let fewer = resolved(&with_build, &env);
    apply(&plan(&fewer, &provider).await, &provider).await;
    assert!(plan(&fewer, &provider).await.is_empty());
    let project = c
        .codebuild
        .batch_get_projects()
        .names(&name)
        .send()
        .await
        .expect("project");
    let vars: std::collections::BTreeMap<String, String> = project.projects()[0]
        .environment()
        .map(|e| e.environment_variables())
        .unwrap_or_default()
        .iter()
        .map(|v| (v.name().to_owned(), v.value().to_owned()))
        .collect();
    let wanted: std::collections::BTreeMap<String, String> = [
        ("CODEARTIFACT_DOMAIN", domain.as_str()),
        ("CODEARTIFACT_DOMAIN_OWNER", "000000000000"),
        ("CODEARTIFACT_REPOSITORY", "store"),
        ("CODEARTIFACT_REGION", c.region()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(vars, wanted);
    let role = fewer
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
    let one = |v: &serde_json::Value| match v {
        serde_json::Value::Array(a) if a.len() == 1 => a[0].clone(),
        other => other.clone(),
    };
    let by_sid = |sid: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("a {sid} statement: {statements:?}"))
            .clone()
    };
    let region = c.region();
    assert_eq!(
        one(&by_sid("PackagesLogin")["Resource"]),
        json!(format!(
            "arn:aws:codeartifact:{region}:000000000000:domain/{domain}"
        ))
    );
    assert_eq!(
        one(&by_sid("ReadPackages")["Resource"]),
        json!(format!(
            "arn:aws:codeartifact:{region}:000000000000:repository/{domain}/store"
        ))
    );
    assert_eq!(
        one(&by_sid("PublishPackages")["Resource"]),
        json!(format!(
            "arn:aws:codeartifact:{region}:000000000000:package/{domain}/store/*"
        ))
    );
    let bearer = by_sid("PackagesBearerToken");
    assert_eq!(one(&bearer["Action"]), json!("sts:GetServiceBearerToken"));
    assert_eq!(
        one(&bearer["Condition"]["StringEquals"]["sts:AWSServiceName"]),
        json!("codeartifact.amazonaws.com")
    );

    // Destroyed: the project, the repository before its domain, nothing left.
    engine::destroy(
        &fewer.app,
        Some(&fewer),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(
        provider
            .list_owned(&fewer.app)
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
