//! Removing an optional field reaches AWS: for each updatable optional field of a project and
//! of a deployment group, set it, apply, take it out of the model, apply, and the next plan is
//! empty with AWS back to how it was. `UpdateProject` and `UpdateDeploymentGroup` keep what
//! they are not given (as the emulator does), so a removal sent as nothing repeats forever.

use std::sync::Arc;

use serde_json::{Value, json};

use pipewright::engine::{self, ApplyOptions, ResolvedApp};
use pipewright::model::ResourceKind;
use pipewright::provider::api::Provider;

use crate::harness::{clients, kms_key, unique};
use crate::support::aws::provider_with;
use crate::support::examples::reference_app;

fn index(desired: &ResolvedApp, kind: ResourceKind) -> usize {
    desired
        .resources
        .iter()
        .position(|r| r.resource.kind == kind)
        .expect("the reference has one")
}

async fn plan(desired: &ResolvedApp, provider: &Arc<dyn Provider>) -> engine::Plan {
    engine::plan(desired, provider, 8)
        .await
        .expect("reads succeed")
}

async fn apply(plan: &engine::Plan, provider: &Arc<dyn Provider>) {
    let report = engine::apply(plan, provider, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{report}: {:#?}", report.outcomes);
}

/// The value at the top-level property `name` of what AWS has for resource `i`.
async fn observed(
    desired: &ResolvedApp,
    i: usize,
    provider: &Arc<dyn Provider>,
    name: &str,
) -> Option<Value> {
    let r = &desired.resources[i].resource;
    let seen = provider
        .read(r.kind, &r.physical_name)
        .await
        .expect("reads")
        .expect("exists");
    seen.properties.get(name).cloned()
}

/// For each `(property, value set, value after removal)` of resource `i`: sets it, applies,
/// puts back the value after removal (`None`: no property), applies, and checks that the plan
/// is empty and AWS has what it had before.
async fn set_then_remove(
    desired: &mut ResolvedApp,
    i: usize,
    provider: &Arc<dyn Provider>,
    cases: &[(&str, Value, Option<Value>)],
) {
    for (name, value, removed) in cases {
        let before = observed(desired, i, provider, name).await;
        desired.resources[i].resource.properties[*name] = value.clone();
        let set = plan(desired, provider).await;
        assert_eq!(set.summary.update, 1, "setting {name}: {set}");
        apply(&set, provider).await;
        assert!(plan(desired, provider).await.is_empty(), "{name} set");

        let props = desired.resources[i]
            .resource
            .properties
            .as_object_mut()
            .expect("properties are an object");
        match removed {
            Some(v) => props.insert((*name).to_owned(), v.clone()),
            None => props.remove(*name),
        };
        let remove = plan(desired, provider).await;
        assert_eq!(remove.summary.update, 1, "removing {name}: {remove}");
        apply(&remove, provider).await;
        let after = plan(desired, provider).await;
        assert!(after.is_empty(), "{name} removed, yet: {after}");
        assert_eq!(
            observed(desired, i, provider, name).await,
            before,
            "{name} is back to what it was"
        );
    }
}

/// Takes out of the model the property `name` that resource `i` already has, applies, and
/// checks that the plan is empty and AWS has no such property (or only its default) left.
async fn remove_present(
    desired: &mut ResolvedApp,
    i: usize,
    provider: &Arc<dyn Provider>,
    name: &str,
) {
    assert!(
        observed(desired, i, provider, name).await.is_some(),
        "{name} is there"
    );
    desired.resources[i]
        .resource
        .properties
        .as_object_mut()
        .expect("properties are an object")
        .remove(name);
    let remove = plan(desired, provider).await;
    assert_eq!(remove.summary.update, 1, "removing {name}: {remove}");
    apply(&remove, provider).await;
    let after = plan(desired, provider).await;
    assert!(after.is_empty(), "{name} removed, yet: {after}");
    assert_eq!(observed(desired, i, provider, name).await, None, "{name}");
}

async fn destroy(desired: &ResolvedApp, provider: &Arc<dyn Provider>) {
    let report = engine::destroy(
        &desired.app,
        Some(desired),
        provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
}

#[tokio::test]
async fn every_optional_field_of_a_project_can_be_removed() {
    let (provider, env) = provider_with(clients().await).await;
    let prefix = unique("rp");
    let mut desired = engine::resolve(&reference_app(&prefix).desired(), &env).expect("resolves");
    apply(&plan(&desired, &provider).await, &provider).await;
    let p = index(&desired, ResourceKind::Project);
    let logs = desired.resources[p].resource.properties["LogsConfig"].clone();
    let mut streamed = logs.clone();
    streamed["CloudWatchLogs"]["StreamName"] = json!("builds");
    let key = kms_key().await;
    let cases = [
        (
            "VpcConfig",
            json!({"VpcId": "vpc-0a1b2c3d", "Subnets": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]}),
            None,
        ),
        ("EncryptionKey", json!(key), None),
        (
            "Cache",
            json!({"Type": "LOCAL", "Modes": ["LOCAL_SOURCE_CACHE"]}),
            None,
        ),
        ("QueuedTimeoutInMinutes", json!(120), None),
        ("LogsConfig", streamed, Some(logs)),
    ];
    set_then_remove(&mut desired, p, &provider, &cases).await;
    // What the reference sets itself: no description, and AWS's 60-minute timeout (which
    // reads as none).
    remove_present(&mut desired, p, &provider, "Description").await;
    remove_present(&mut desired, p, &provider, "TimeoutInMinutes").await;
    destroy(&desired, &provider).await;
}

#[tokio::test]
async fn every_optional_field_of_a_deployment_group_can_be_removed() {
    let (provider, env) = provider_with(clients().await).await;
    let prefix = unique("rg");
    let mut desired = engine::resolve(&reference_app(&prefix).desired(), &env).expect("resolves");
    apply(&plan(&desired, &provider).await, &provider).await;
    let g = index(&desired, ResourceKind::DeploymentGroup);
    let rollback = desired.resources[g].resource.properties["AutoRollbackConfiguration"].clone();
    let filters = desired.resources[g].resource.properties["Ec2TagFilters"].clone();
    let cases = [
        (
            "LoadBalancerInfo",
            json!({"TargetGroupInfoList": [{"Name": "shop-web"}]}),
            None,
        ),
        (
            "AlarmConfiguration",
            json!({"Enabled": true, "Alarms": [{"Name": "shop-5xx"}]}),
            None,
        ),
        ("AutoScalingGroups", json!(["shop-web-asg"]), None),
        (
            "OnPremisesInstanceTagFilters",
            json!([{"Key": "Role", "Value": "web", "Type": "KEY_AND_VALUE"}]),
            None,
        ),
        (
            "AutoRollbackConfiguration",
            json!({"Enabled": true, "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}),
            Some(rollback),
        ),
        (
            "Ec2TagFilters",
            json!([{"Key": "Name", "Value": "shop-web-2", "Type": "KEY_AND_VALUE"}]),
            Some(filters),
        ),
    ];
    set_then_remove(&mut desired, g, &provider, &cases).await;
    // The last EC2 tag filter removed: the group keeps none.
    remove_present(&mut desired, g, &provider, "Ec2TagFilters").await;
    destroy(&desired, &provider).await;
}

#[tokio::test]
async fn the_descriptions_of_the_other_kinds_can_be_removed() {
    let (provider, env) = provider_with(clients().await).await;
    let prefix = unique("rd");
    let mut desired = engine::resolve(&reference_app(&prefix).desired(), &env).expect("resolves");
    apply(&plan(&desired, &provider).await, &provider).await;
    for (kind, field) in [
        (ResourceKind::Repository, "RepositoryDescription"),
        (ResourceKind::Role, "Description"),
        (ResourceKind::EventRule, "Description"),
    ] {
        let i = index(&desired, kind);
        if desired.resources[i]
            .resource
            .properties
            .get(field)
            .is_some()
        {
            remove_present(&mut desired, i, &provider, field).await;
        } else {
            let cases = [(field, json!("described"), None)];
            set_then_remove(&mut desired, i, &provider, &cases).await;
        }
    }
    destroy(&desired, &provider).await;
}
