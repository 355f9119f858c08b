//! Deployment configurations carry no tags: the app's are found by the ownership record on its
//! CodeDeploy application, so that prune and destroy remove them, and only them.

use std::sync::Arc;

use aws_sdk_codedeploy::types::{ComputePlatform, TrafficRoutingConfig, TrafficRoutingType};
use serde_json::json;

use pipewright::engine::{self, ApplyOptions, ChangeKind, ResolvedApp};
use pipewright::model::{App, ResourceKind};
use pipewright::provider::api::Provider;

use crate::harness::{clients, unique};
use crate::lambda_canary;
use crate::support::aws::provider_with;

fn index(desired: &ResolvedApp, kind: ResourceKind) -> usize {
    desired
        .resources
        .iter()
        .position(|r| r.resource.kind == kind)
        .expect("the example has one")
}

async fn plan(desired: &ResolvedApp, provider: &Arc<dyn Provider>) -> engine::Plan {
    engine::plan(desired, provider, 8)
        .await
        .expect("reads succeed")
}

async fn apply(plan: &engine::Plan, provider: &Arc<dyn Provider>, prune: bool) {
    let report = engine::apply(plan, provider, &ApplyOptions::default().prune(prune)).await;
    assert!(report.succeeded(), "{report}: {:#?}", report.outcomes);
}

/// A configuration made outside pipewright.
async fn foreign_config(cd: &aws_sdk_codedeploy::Client, name: &str) {
    cd.create_deployment_config()
        .deployment_config_name(name)
        .compute_platform(ComputePlatform::Lambda)
        .traffic_routing_config(
            TrafficRoutingConfig::builder()
                .r#type(TrafficRoutingType::AllAtOnce)
                .build(),
        )
        .send()
        .await
        .expect("someone else's config");
}

async fn exists(cd: &aws_sdk_codedeploy::Client, name: &str) -> bool {
    match cd
        .get_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e) => {
            use aws_sdk_codedeploy::error::ProvideErrorMetadata;
            assert_eq!(e.code(), Some("DeploymentConfigDoesNotExistException"));
            false
        }
    }
}

#[tokio::test]
async fn a_config_the_model_dropped_is_pruned_and_destroyed_and_no_other() {
    let c = clients().await;
    let cd = &c.codedeploy;
    let (provider, env) = provider_with(c.clone()).await;
    let prefix = unique("ow");
    let mut app = App::new(&prefix).expect("a valid app name");
    lambda_canary::add_lambda_canary(&mut app, &prefix).expect("valid names");
    let mut desired = engine::resolve(&app.desired(), &env).expect("resolves");
    let k = index(&desired, ResourceKind::DeploymentConfig);
    let config = desired.resources[k].resource.physical_name.clone();

    // A same-named configuration someone else made is not the app's: a conflict, untouched.
    foreign_config(cd, &config).await;
    let taken = plan(&desired, &provider).await;
    let change = taken
        .changes
        .iter()
        .find(|ch| ch.kind == ResourceKind::DeploymentConfig)
        .expect("planned");
    assert_eq!(change.change.kind(), ChangeKind::Conflict, "{taken}");
    cd.delete_deployment_config()
        .deployment_config_name(&config)
        .send()
        .await
        .expect("clean up");

    apply(&plan(&desired, &provider).await, &provider, false).await;
    assert!(plan(&desired, &provider).await.is_empty());
    assert!(
        provider
            .list_owned(&desired.app)
            .await
            .expect("lists")
            .iter()
            .any(|o| o.kind == ResourceKind::DeploymentConfig && o.physical_name == config),
        "the record lists it"
    );

    // The custom configuration replaced by a predefined one: pruned, and nothing else.
    let other = format!("{prefix}-theirs");
    foreign_config(cd, &other).await;
    let g = index(&desired, ResourceKind::DeploymentGroup);
    let id = desired.resources[k].resource.id.clone();
    desired.resources[g].resource.properties["DeploymentConfigName"] =
        json!("CodeDeployDefault.LambdaAllAtOnce");
    desired.resources[g].depends_on.retain(|d| *d != id);
    desired.resources.remove(k);
    let prune = plan(&desired, &provider).await;
    assert_eq!(prune.summary.delete, 1, "{prune}");
    assert_eq!(prune.summary.update, 1, "{prune}");
    apply(&prune, &provider, true).await;
    assert!(!exists(cd, &config).await, "pruned");
    assert!(exists(cd, &other).await, "someone else's stays");
    assert!(plan(&desired, &provider).await.is_empty());

    // Someone else makes a configuration under the old name: not the app's to delete.
    foreign_config(cd, &config).await;
    assert!(plan(&desired, &provider).await.is_empty());

    let report = engine::destroy(&desired.app, None, &provider, &ApplyOptions::default())
        .await
        .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
    assert!(exists(cd, &config).await && exists(cd, &other).await);
    for name in [&config, &other] {
        cd.delete_deployment_config()
            .deployment_config_name(name)
            .send()
            .await
            .expect("clean up");
    }
    assert!(
        provider
            .list_owned(&desired.app)
            .await
            .expect("lists")
            .is_empty()
    );
}

#[tokio::test]
async fn destroy_from_the_listing_alone_deletes_the_apps_configs() {
    let c = clients().await;
    let (provider, env) = provider_with(c.clone()).await;
    let prefix = unique("od");
    let mut app = App::new(&prefix).expect("a valid app name");
    lambda_canary::add_lambda_canary(&mut app, &prefix).expect("valid names");
    let desired = engine::resolve(&app.desired(), &env).expect("resolves");
    let config = desired.resources[index(&desired, ResourceKind::DeploymentConfig)]
        .resource
        .physical_name
        .clone();
    apply(&plan(&desired, &provider).await, &provider, false).await;

    // Without the model (`destroy` of an app whose code is gone), only the listing knows it.
    let report = engine::destroy(&desired.app, None, &provider, &ApplyOptions::default())
        .await
        .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
    assert!(
        !exists(&c.codedeploy, &config).await,
        "no config of the app is left"
    );
    assert!(
        provider
            .list_owned(&desired.app)
            .await
            .expect("lists")
            .is_empty()
    );
}
