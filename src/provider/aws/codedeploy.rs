//! CodeDeploy applications (`AWS::CodeDeploy::Application`), custom deployment configurations
//! (`AWS::CodeDeploy::DeploymentConfig`, immutable: a change is a replacement) and deployment
//! groups (`AWS::CodeDeploy::DeploymentGroup`, addressed as `<application>/<group>`).

use std::collections::{BTreeMap, BTreeSet};

use super::dispatch::{Ahead, AwsProvider, Record, kind_api, per_call};
use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{
    Alarm, AlarmConfiguration, ApplicationInfo, AutoRollbackConfiguration, AutoRollbackEvent,
    BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption, ComputePlatform,
    DeploymentGroupInfo, DeploymentOption, DeploymentReadyAction, DeploymentReadyOption,
    DeploymentStyle, DeploymentType, Ec2TagFilter, Ec2TagFilterType, EcsService, InstanceAction,
    LoadBalancerInfo, MinimumHealthyHosts, MinimumHealthyHostsType, Tag, TagFilter, TagFilterType,
    TargetGroupInfo, TargetGroupPairInfo, TimeBasedCanary, TimeBasedLinear, TrafficRoute,
    TrafficRoutingConfig, TrafficRoutingType,
};
use serde_json::{Map, Value, json};

use super::common::{
    MAX_TAG_PAGES, TagPairs, absent, all_pages, gone, int_at, sdk_error, send_tag_delta, str_prop,
    tag_delta, tags_of, tags_value, touched, under,
};
use crate::model::ResourceKind;
use crate::provider::api::{
    ErrorClass, FieldChange, Observed, Owner, ProviderError, RECORD_HOST, Resource, TAG_APP, TAG_ID,
};

fn tags(pairs: Vec<(String, String)>) -> Vec<Tag> {
    pairs
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Reads an application and its tags; `None` when it does not exist. `arn` is the
/// application's ARN (`arn:<partition>:codedeploy:<region>:<account>:application:<name>`),
/// which the tagging calls need and CodeDeploy does not return.
pub(crate) async fn read_application(
    cd: &Client,
    name: &str,
    arn: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    let out = match cd.get_application().application_name(name).send().await {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(app) = out.application() else {
        return Ok(None);
    };
    let mut p = application_properties(app, name);
    p.insert("Tags".into(), tags_at(cd, arn, known_tags).await?);
    Ok(Some(Observed::new(Value::Object(p))))
}

/// An application's properties but its tags.
fn application_properties(app: &ApplicationInfo, name: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "ApplicationName".into(),
        json!(app.application_name().unwrap_or(name)),
    );
    if let Some(c) = app.compute_platform() {
        p.insert("ComputePlatform".into(), json!(c.as_str()));
    }
    p
}

/// What `BatchGetApplications` answers when one of the names does not exist: an error for
/// the whole call (CodeDeploy API Reference, BatchGetApplications, Errors).
const NO_APPLICATION: &str = "ApplicationDoesNotExistException";

/// The most pages of `ListApplications` read to learn which applications exist.
const MAX_LIST_PAGES: usize = 1000;

/// The applications of these names, by `BatchGetApplications` in calls of the kind table's
/// batch size; fails whole, as AWS does, when one does not exist.
async fn batch_applications(
    cd: &Client,
    names: &[String],
) -> Result<Vec<ApplicationInfo>, ProviderError> {
    let mut out = Vec::new();
    for chunk in names.chunks(per_call(ResourceKind::Application)) {
        let got = cd
            .batch_get_applications()
            .set_application_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(sdk_error)?;
        out.extend(got.applications_info().iter().cloned());
    }
    Ok(out)
}

/// Every application name of the account and region (`ListApplications`, every page).
async fn application_names(cd: &Client) -> Result<BTreeSet<String>, ProviderError> {
    let names = all_pages("applications", MAX_LIST_PAGES, |token| async move {
        let page = cd
            .list_applications()
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok((
            page.applications().to_vec(),
            page.next_token().map(str::to_owned),
        ))
    })
    .await?;
    Ok(names.into_iter().collect())
}

/// Reads many applications at once: `BatchGetApplications`, and when it fails because one of
/// them does not exist, `ListApplications` to learn which do and a batch of those. An absent
/// one is answered; one that exists when the app's listing gave its tags (else its read asks).
async fn read_applications_ahead(
    p: &AwsProvider,
    names: &[String],
) -> Result<Ahead, ProviderError> {
    let cd = &p.clients.codedeploy;
    let mut out = Vec::with_capacity(names.len());
    let infos = match batch_applications(cd, names).await {
        Ok(infos) => infos,
        Err(e) if e.code == NO_APPLICATION => {
            let listed = application_names(cd).await?;
            let (there, missing): (Vec<String>, Vec<String>) =
                names.iter().cloned().partition(|n| listed.contains(n));
            out.extend(missing.into_iter().map(|n| (n, None)));
            if there.is_empty() {
                Vec::new()
            } else {
                batch_applications(cd, &there).await?
            }
        }
        Err(e) => return Err(e),
    };
    for info in &infos {
        let Some(name) = info.application_name() else {
            continue;
        };
        if let Some(tags) = p.listed(ResourceKind::Application, name) {
            let mut props = application_properties(info, name);
            props.insert("Tags".into(), tags_value(tags));
            out.push((name.to_owned(), Some(Observed::new(Value::Object(props)))));
        }
    }
    Ok(out)
}

/// Reads many deployment groups at once: `BatchGetDeploymentGroups` for each application (the
/// applications side by side), in calls of the kind table's batch size. A group of an
/// application known to be absent (read ahead before its groups) needs no call; one of an
/// application that does not exist is absent, as is one the call does not return; one it
/// returns is answered when the app's listing gave its tags (else its read asks).
async fn read_groups_ahead(p: &AwsProvider, names: &[String]) -> Result<Ahead, ProviderError> {
    let mut by_application: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut out = Vec::with_capacity(names.len());
    for address in names {
        let (application, _) = split(address)?;
        if p.known_absent(ResourceKind::Application, application) {
            out.push((address.clone(), None));
        } else {
            by_application
                .entry(application.to_owned())
                .or_default()
                .push(address.clone());
        }
    }
    let mut set = tokio::task::JoinSet::new();
    for (application, addresses) in by_application {
        for chunk in addresses.chunks(per_call(ResourceKind::DeploymentGroup)) {
            let (p, application, chunk) = (p.clone(), application.clone(), chunk.to_vec());
            set.spawn(async move { groups_of(&p, &application, &chunk).await });
        }
    }
    while let Some(joined) = set.join_next().await {
        let answers = joined.map_err(|e| ProviderError::other("TaskFailed", e.to_string()))??;
        out.extend(answers);
    }
    Ok(out)
}

/// One `BatchGetDeploymentGroups` call: the groups at `addresses`, all of `application`.
async fn groups_of(
    p: &AwsProvider,
    application: &str,
    addresses: &[String],
) -> Result<Ahead, ProviderError> {
    let mut groups = Vec::with_capacity(addresses.len());
    for address in addresses {
        groups.push(split(address)?.1.to_owned());
    }
    let got = match p
        .clients
        .codedeploy
        .batch_get_deployment_groups()
        .application_name(application)
        .set_deployment_group_names(Some(groups.clone()))
        .send()
        .await
        .map_err(sdk_error)
    {
        Ok(got) => got,
        Err(e) if e.code == NO_APPLICATION => {
            return Ok(addresses.iter().map(|a| (a.clone(), None)).collect());
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::with_capacity(addresses.len());
    for (group, address) in groups.iter().zip(addresses) {
        let found = got
            .deployment_groups_info()
            .iter()
            .find(|g| g.deployment_group_name() == Some(group.as_str()));
        match found {
            None => out.push((address.clone(), None)),
            Some(info) => {
                if let Some(tags) = p.listed(ResourceKind::DeploymentGroup, address) {
                    let mut props = group_properties(info);
                    props["Tags"] = tags_value(tags);
                    out.push((address.clone(), Some(Observed::new(props))));
                }
            }
        }
    }
    Ok(out)
}

/// Which of these deployment configurations exist (`ListDeploymentConfigs`, every page): an
/// absent one is answered, one that exists is read on its own.
async fn read_configs_ahead(cd: &Client, names: &[String]) -> Result<Ahead, ProviderError> {
    let listed = all_pages(
        "deployment configurations",
        MAX_LIST_PAGES,
        |token| async move {
            let page = cd
                .list_deployment_configs()
                .set_next_token(token)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok((
                page.deployment_configs_list().to_vec(),
                page.next_token().map(str::to_owned),
            ))
        },
    )
    .await?;
    let listed: BTreeSet<String> = listed.into_iter().collect();
    Ok(names
        .iter()
        .filter(|n| !listed.contains(*n))
        .map(|n| (n.clone(), None))
        .collect())
}

/// The tags of the application or group at `arn`: `known` (from the tagging API's listing) when
/// there, else as CodeDeploy lists them.
async fn tags_at(cd: &Client, arn: &str, known: Option<TagPairs>) -> Result<Value, ProviderError> {
    if let Some(tags) = known {
        return Ok(tags_value(tags));
    }
    // The answer comes in pages (`NextToken`), each followed.
    let listed = all_pages("tags", MAX_TAG_PAGES, |token| async move {
        let page = cd
            .list_tags_for_resource()
            .resource_arn(arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        let tags: TagPairs = page
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        Ok((tags, page.next_token().map(str::to_owned)))
    })
    .await?;
    Ok(tags_value(listed))
}

/// Creates an application with its tags.
pub(crate) async fn create_application(cd: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    cd.create_application()
        .application_name(&r.physical_name)
        .set_compute_platform(str_prop(p, "ComputePlatform").map(ComputePlatform::from))
        .set_tags(Some(tags(tags_of(p))))
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Changes the tags of an application or deployment group, by ARN (an application's name and
/// platform are create-only).
pub(crate) async fn update_application(
    cd: &Client,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    if let Some((set, remove)) = tag_delta(fields) {
        send_tag_delta!(cd, arn, tags(set), remove);
    }
    Ok(())
}

/// Deletes an application (and with it its deployment groups); gone already is success.
pub(crate) async fn delete_application(cd: &Client, name: &str) -> Result<(), ProviderError> {
    match cd.delete_application().application_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

/// The properties of a configuration in the shape synthesis writes: minimum healthy hosts for
/// the Server platform, traffic routing for Lambda and ECS (AWS may fill in the other).
fn config_properties(info: &aws_sdk_codedeploy::types::DeploymentConfigInfo, name: &str) -> Value {
    let mut p = Map::new();
    p.insert(
        "DeploymentConfigName".into(),
        json!(info.deployment_config_name().unwrap_or(name)),
    );
    let platform = info.compute_platform().map(ComputePlatform::as_str);
    if let Some(c) = platform {
        p.insert("ComputePlatform".into(), json!(c));
    }
    let server = matches!(platform, None | Some("Server"));
    if let Some(h) = info.minimum_healthy_hosts().filter(|_| server) {
        p.insert(
            "MinimumHealthyHosts".into(),
            json!({"Type": h.r#type().map(MinimumHealthyHostsType::as_str), "Value": h.value()}),
        );
    }
    if let Some(t) = info.traffic_routing_config().filter(|_| !server) {
        let mut m = Map::new();
        m.insert(
            "Type".into(),
            json!(t.r#type().map(TrafficRoutingType::as_str)),
        );
        if let Some(c) = t.time_based_canary() {
            m.insert(
                "TimeBasedCanary".into(),
                json!({"CanaryPercentage": c.canary_percentage(), "CanaryInterval": c.canary_interval()}),
            );
        }
        if let Some(l) = t.time_based_linear() {
            m.insert(
                "TimeBasedLinear".into(),
                json!({"LinearPercentage": l.linear_percentage(), "LinearInterval": l.linear_interval()}),
            );
        }
        p.insert("TrafficRoutingConfig".into(), Value::Object(m));
    }
    Value::Object(p)
}

/// Reads a deployment configuration; `None` when it does not exist.
pub(crate) async fn read_config(
    cd: &Client,
    name: &str,
) -> Result<Option<Observed>, ProviderError> {
    match cd
        .get_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .deployment_config_info()
            .map(|info| Observed::new(config_properties(info, name)))),
        Err(e) => absent(sdk_error(e)),
    }
}

/// Creates a deployment configuration.
pub(crate) async fn create_config(cd: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    let hosts = p.get("MinimumHealthyHosts").map(|h| {
        MinimumHealthyHosts::builder()
            .set_type(h["Type"].as_str().map(MinimumHealthyHostsType::from))
            .value(int_at(h, "/Value").unwrap_or_default())
            .build()
    });
    let traffic = p.get("TrafficRoutingConfig").map(|t| {
        let canary = t.get("TimeBasedCanary").map(|c| {
            TimeBasedCanary::builder()
                .canary_percentage(int_at(c, "/CanaryPercentage").unwrap_or_default())
                .canary_interval(int_at(c, "/CanaryInterval").unwrap_or_default())
                .build()
        });
        let linear = t.get("TimeBasedLinear").map(|l| {
            TimeBasedLinear::builder()
                .linear_percentage(int_at(l, "/LinearPercentage").unwrap_or_default())
                .linear_interval(int_at(l, "/LinearInterval").unwrap_or_default())
                .build()
        });
        TrafficRoutingConfig::builder()
            .set_type(t["Type"].as_str().map(TrafficRoutingType::from))
            .set_time_based_canary(canary)
            .set_time_based_linear(linear)
            .build()
    });
    // Sent once, without the SDK's own retries: a configuration carries no tags, so when an
    // answer is lost only this provider can know the create may have happened (a retry inside
    // the SDK would meet `DeploymentConfigAlreadyExistsException` and hide that). The engine
    // retries instead, and the create that then meets the configuration takes it as its own.
    cd.create_deployment_config()
        .deployment_config_name(&r.physical_name)
        .set_compute_platform(str_prop(p, "ComputePlatform").map(ComputePlatform::from))
        .set_minimum_healthy_hosts(hosts)
        .set_traffic_routing_config(traffic)
        .customize()
        .config_override(
            aws_sdk_codedeploy::config::Builder::default()
                .retry_config(aws_sdk_codedeploy::config::retry::RetryConfig::disabled()),
        )
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Deletes a deployment configuration; gone already is success. CodeDeploy refuses while a
/// deployment group still uses it.
pub(crate) async fn delete_config(cd: &Client, name: &str) -> Result<(), ProviderError> {
    match cd
        .delete_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

/// Splits a deployment group's address into application and group names.
fn split(address: &str) -> Result<(&str, &str), ProviderError> {
    address.split_once('/').ok_or_else(|| {
        ProviderError::other(
            "InvalidAddress",
            format!("deployment group address \"{address}\" is not <application>/<group>"),
        )
    })
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("Name").and_then(Value::as_str).or_else(|| x.as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn filters<T>(
    v: Option<&Value>,
    f: impl Fn(Option<String>, Option<String>, Option<&str>) -> T,
) -> Vec<T> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| {
                    f(
                        t["Key"].as_str().map(str::to_owned),
                        t["Value"].as_str().map(str::to_owned),
                        t["Type"].as_str(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn filter_value(key: Option<&str>, value: Option<&str>, kind: Option<&str>) -> Value {
    let mut m = Map::new();
    if let Some(k) = key.filter(|k| !k.is_empty()) {
        m.insert("Key".into(), json!(k));
    }
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        m.insert("Value".into(), json!(v));
    }
    if let Some(t) = kind {
        m.insert("Type".into(), json!(t));
    }
    Value::Object(m)
}

/// The properties of a group in the shape synthesis writes; what AWS reports for a feature that
/// is off (no alarms, rollback disabled, blue/green settings of a Lambda group) reads as off.
fn group_properties(g: &DeploymentGroupInfo) -> Value {
    let mut p = Map::new();
    p.insert("ApplicationName".into(), json!(g.application_name()));
    p.insert(
        "DeploymentGroupName".into(),
        json!(g.deployment_group_name()),
    );
    if let Some(r) = g.service_role_arn() {
        p.insert("ServiceRoleArn".into(), json!(r));
    }
    if let Some(c) = g.deployment_config_name() {
        p.insert("DeploymentConfigName".into(), json!(c));
    }
    if let Some(s) = g.deployment_style() {
        p.insert(
            "DeploymentStyle".into(),
            json!({
                "DeploymentType": s.deployment_type().map(DeploymentType::as_str),
                "DeploymentOption": s.deployment_option().map(DeploymentOption::as_str),
            }),
        );
    }
    let ec2: Vec<Value> = g
        .ec2_tag_filters()
        .iter()
        .map(|t| filter_value(t.key(), t.value(), t.r#type().map(Ec2TagFilterType::as_str)))
        .collect();
    if !ec2.is_empty() {
        p.insert("Ec2TagFilters".into(), Value::Array(ec2));
    }
    let on_premises: Vec<Value> = g
        .on_premises_instance_tag_filters()
        .iter()
        .map(|t| filter_value(t.key(), t.value(), t.r#type().map(TagFilterType::as_str)))
        .collect();
    if !on_premises.is_empty() {
        p.insert(
            "OnPremisesInstanceTagFilters".into(),
            Value::Array(on_premises),
        );
    }
    let groups: Vec<&str> = g
        .auto_scaling_groups()
        .iter()
        .filter_map(|a| a.name())
        .collect();
    if !groups.is_empty() {
        p.insert("AutoScalingGroups".into(), json!(groups));
    }
    let ecs: Vec<Value> = g
        .ecs_services()
        .iter()
        .map(|e| json!({"ClusterName": e.cluster_name(), "ServiceName": e.service_name()}))
        .collect();
    if !ecs.is_empty() {
        p.insert("ECSServices".into(), Value::Array(ecs));
    }
    if let Some(lb) = g.load_balancer_info() {
        let mut m = Map::new();
        let groups: Vec<Value> = lb
            .target_group_info_list()
            .iter()
            .map(|t| json!({"Name": t.name()}))
            .collect();
        if !groups.is_empty() {
            m.insert("TargetGroupInfoList".into(), Value::Array(groups));
        }
        let pairs: Vec<Value> = lb
            .target_group_pair_info_list()
            .iter()
            .map(|pair| {
                let mut x = Map::new();
                x.insert(
                    "TargetGroups".into(),
                    Value::Array(
                        pair.target_groups()
                            .iter()
                            .map(|t| json!({"Name": t.name()}))
                            .collect(),
                    ),
                );
                if let Some(r) = pair.prod_traffic_route() {
                    x.insert(
                        "ProdTrafficRoute".into(),
                        json!({"ListenerArns": r.listener_arns()}),
                    );
                }
                if let Some(r) = pair
                    .test_traffic_route()
                    .filter(|r| !r.listener_arns().is_empty())
                {
                    x.insert(
                        "TestTrafficRoute".into(),
                        json!({"ListenerArns": r.listener_arns()}),
                    );
                }
                Value::Object(x)
            })
            .collect();
        if !pairs.is_empty() {
            m.insert("TargetGroupPairInfoList".into(), Value::Array(pairs));
        }
        if !m.is_empty() {
            p.insert("LoadBalancerInfo".into(), Value::Object(m));
        }
    }
    let ecs_platform = g.compute_platform() == Some(&ComputePlatform::Ecs);
    if let Some(bg) = g
        .blue_green_deployment_configuration()
        .filter(|_| ecs_platform)
    {
        let mut m = Map::new();
        if let Some(r) = bg.deployment_ready_option() {
            m.insert(
                "DeploymentReadyOption".into(),
                json!({
                    "ActionOnTimeout": r.action_on_timeout().map(DeploymentReadyAction::as_str),
                    "WaitTimeInMinutes": r.wait_time_in_minutes(),
                }),
            );
        }
        if let Some(t) = bg.terminate_blue_instances_on_deployment_success() {
            m.insert(
                "TerminateBlueInstancesOnDeploymentSuccess".into(),
                json!({
                    "Action": t.action().map(InstanceAction::as_str),
                    "TerminationWaitTimeInMinutes": t.termination_wait_time_in_minutes(),
                }),
            );
        }
        // An empty structure is what removing the settings leaves: none.
        if !m.is_empty() {
            p.insert("BlueGreenDeploymentConfiguration".into(), Value::Object(m));
        }
    }
    let rollback = match g.auto_rollback_configuration().filter(|r| r.enabled()) {
        Some(r) => json!({
            "Enabled": true,
            "Events": r.events().iter().map(AutoRollbackEvent::as_str).collect::<Vec<_>>(),
        }),
        None => json!({"Enabled": false}),
    };
    p.insert("AutoRollbackConfiguration".into(), rollback);
    if let Some(a) = g
        .alarm_configuration()
        .filter(|a| a.enabled() || !a.alarms().is_empty())
    {
        let alarms: Vec<Value> = a
            .alarms()
            .iter()
            .map(|x| json!({"Name": x.name()}))
            .collect();
        p.insert(
            "AlarmConfiguration".into(),
            json!({"Enabled": a.enabled(), "Alarms": alarms}),
        );
    }
    Value::Object(p)
}

/// Reads a deployment group by address and its tags; `None` when it (or its application)
/// does not exist. `arn` is the group's ARN, which the tagging call needs.
pub(crate) async fn read_group(
    cd: &Client,
    address: &str,
    arn: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    let (application, group) = split(address)?;
    let out = match cd
        .get_deployment_group()
        .application_name(application)
        .deployment_group_name(group)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(info) = out.deployment_group_info() else {
        return Ok(None);
    };
    let mut p = group_properties(info);
    p["Tags"] = tags_at(cd, arn, known_tags).await?;
    Ok(Some(Observed::new(p)))
}

/// Everything but the names, as the SDK wants it. A `None` is left out of the request.
///
/// AWS accepts per compute platform only some of these fields: for an ECS or Lambda group,
/// `autoScalingGroups`, `ec2TagFilters` and `onPremisesInstanceTagFilters` may not be given at
/// all, not even empty ("InvalidAutoScalingGroupException: For ECS deployment group,
/// autoScalingGroups can not be specified", hashicorp/terraform-provider-aws#7128). So a list
/// or structure goes out only when the model has one, or, on an update, when the model no
/// longer has one the group had: then its documented "remove" form (an empty list, "To remove
/// tags, do not enter any tag names", an empty `LoadBalancerInfo`), since `UpdateDeploymentGroup`
/// keeps what it is not given. Those removals only ever concern fields the group's platform
/// has, because only those read back as present.
struct GroupParts {
    style: DeploymentStyle,
    ec2: Option<Vec<Ec2TagFilter>>,
    on_premises: Option<Vec<TagFilter>>,
    auto_scaling: Option<Vec<String>>,
    ecs: Option<Vec<EcsService>>,
    load_balancer: Option<LoadBalancerInfo>,
    blue_green: Option<BlueGreenDeploymentConfiguration>,
    rollback: AutoRollbackConfiguration,
    alarms: AlarmConfiguration,
}

/// `list` when it has something or when `removed`, else nothing.
fn given<T>(list: Vec<T>, removed: bool) -> Option<Vec<T>> {
    (!list.is_empty() || removed).then_some(list)
}

/// The SDK parts of a group's properties `p`; `removed(name)` says whether the top-level
/// property `name` is one an update takes away (always false on a create).
fn group_parts(p: &Value, removed: &dyn Fn(&str) -> bool) -> GroupParts {
    let style = DeploymentStyle::builder()
        .set_deployment_type(
            p.pointer("/DeploymentStyle/DeploymentType")
                .and_then(Value::as_str)
                .map(DeploymentType::from),
        )
        .set_deployment_option(
            p.pointer("/DeploymentStyle/DeploymentOption")
                .and_then(Value::as_str)
                .map(DeploymentOption::from),
        )
        .build();
    let ec2 = filters(p.get("Ec2TagFilters"), |k, v, t| {
        Ec2TagFilter::builder()
            .set_key(k)
            .set_value(v)
            .set_type(t.map(Ec2TagFilterType::from))
            .build()
    });
    let on_premises = filters(p.get("OnPremisesInstanceTagFilters"), |k, v, t| {
        TagFilter::builder()
            .set_key(k)
            .set_value(v)
            .set_type(t.map(TagFilterType::from))
            .build()
    });
    let auto_scaling = names(p.get("AutoScalingGroups").unwrap_or(&Value::Null));
    let ecs = p
        .get("ECSServices")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    EcsService::builder()
                        .set_cluster_name(e["ClusterName"].as_str().map(str::to_owned))
                        .set_service_name(e["ServiceName"].as_str().map(str::to_owned))
                        .build()
                })
                .collect()
        })
        .unwrap_or_default();
    let target = |n: String| TargetGroupInfo::builder().name(n).build();
    let route = |v: &Value| {
        TrafficRoute::builder()
            .set_listener_arns(Some(
                v["ListenerArns"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            ))
            .build()
    };
    let load_balancer = match p.get("LoadBalancerInfo") {
        None if removed("LoadBalancerInfo") => Some(LoadBalancerInfo::builder().build()),
        lb => lb.map(|lb| {
            let pairs = lb["TargetGroupPairInfoList"].as_array().map(|a| {
                a.iter()
                    .map(|pair| {
                        TargetGroupPairInfo::builder()
                            .set_target_groups(Some(
                                names(&pair["TargetGroups"])
                                    .into_iter()
                                    .map(target)
                                    .collect(),
                            ))
                            .set_prod_traffic_route(pair.get("ProdTrafficRoute").map(route))
                            .set_test_traffic_route(pair.get("TestTrafficRoute").map(route))
                            .build()
                    })
                    .collect()
            });
            let groups: Vec<TargetGroupInfo> = names(&lb["TargetGroupInfoList"])
                .into_iter()
                .map(target)
                .collect();
            LoadBalancerInfo::builder()
                .set_target_group_info_list((!groups.is_empty()).then_some(groups))
                .set_target_group_pair_info_list(pairs)
                .build()
        }),
    };
    // Removing the settings is an empty structure (the group keeps omitted fields).
    let blue_green = match p.get("BlueGreenDeploymentConfiguration") {
        None if removed("BlueGreenDeploymentConfiguration") => {
            Some(BlueGreenDeploymentConfiguration::builder().build())
        }
        bg => bg.map(|bg| {
            let ready = bg.get("DeploymentReadyOption").map(|r| {
                DeploymentReadyOption::builder()
                    .set_action_on_timeout(
                        r["ActionOnTimeout"]
                            .as_str()
                            .map(DeploymentReadyAction::from),
                    )
                    .set_wait_time_in_minutes(int_at(r, "/WaitTimeInMinutes"))
                    .build()
            });
            let terminate = bg
                .get("TerminateBlueInstancesOnDeploymentSuccess")
                .map(|t| {
                    BlueInstanceTerminationOption::builder()
                        .set_action(t["Action"].as_str().map(InstanceAction::from))
                        .set_termination_wait_time_in_minutes(int_at(
                            t,
                            "/TerminationWaitTimeInMinutes",
                        ))
                        .build()
                });
            BlueGreenDeploymentConfiguration::builder()
                .set_deployment_ready_option(ready)
                .set_terminate_blue_instances_on_deployment_success(terminate)
                .build()
        }),
    };
    let rb = p.get("AutoRollbackConfiguration");
    let rollback = AutoRollbackConfiguration::builder()
        .enabled(rb.and_then(|r| r["Enabled"].as_bool()).unwrap_or(false))
        .set_events(rb.and_then(|r| r["Events"].as_array()).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(AutoRollbackEvent::from)
                .collect()
        }))
        .build();
    // No alarms is an explicit "off", so that removing the last alarm takes effect.
    let alarms = match p.get("AlarmConfiguration") {
        Some(a) => AlarmConfiguration::builder()
            .enabled(a["Enabled"].as_bool().unwrap_or(true))
            .set_alarms(Some(
                names(&a["Alarms"])
                    .into_iter()
                    .map(|n| Alarm::builder().name(n).build())
                    .collect(),
            ))
            .build(),
        None => AlarmConfiguration::builder()
            .enabled(false)
            .set_alarms(Some(Vec::new()))
            .build(),
    };
    GroupParts {
        style,
        ec2: given(ec2, removed("Ec2TagFilters")),
        on_premises: given(on_premises, removed("OnPremisesInstanceTagFilters")),
        auto_scaling: given(auto_scaling, removed("AutoScalingGroups")),
        ecs: given(ecs, removed("ECSServices")),
        load_balancer,
        blue_green,
        rollback,
        alarms,
    }
}

/// Sets every setting of a deployment group from its properties `$p` and their SDK parts `$x`
/// ([`group_parts`]) on a `CreateDeploymentGroup` or `UpdateDeploymentGroup` builder, whose
/// setters share their names; a `None` part is left out ([`GroupParts`]).
macro_rules! group_settings {
    ($builder:expr, $p:expr, $x:expr) => {
        $builder
            .service_role_arn(str_prop($p, "ServiceRoleArn").unwrap_or_default())
            .set_deployment_config_name(str_prop($p, "DeploymentConfigName").map(str::to_owned))
            .deployment_style($x.style)
            .set_ec2_tag_filters($x.ec2)
            .set_on_premises_instance_tag_filters($x.on_premises)
            .set_auto_scaling_groups($x.auto_scaling)
            .set_ecs_services($x.ecs)
            .set_load_balancer_info($x.load_balancer)
            .set_blue_green_deployment_configuration($x.blue_green)
            .auto_rollback_configuration($x.rollback)
            .alarm_configuration($x.alarms)
    };
}

/// Creates a deployment group with its tags.
pub(crate) async fn create_group(cd: &Client, r: &Resource) -> Result<(), ProviderError> {
    let (application, group) = split(&r.physical_name)?;
    let p = &r.properties;
    let x = group_parts(p, &|_| false);
    let create = cd
        .create_deployment_group()
        .application_name(application)
        .deployment_group_name(group);
    group_settings!(create, p, x)
        .set_tags(Some(tags(tags_of(p))))
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Brings a deployment group to `r` (`UpdateDeploymentGroup` with every setting the model
/// has, and the "remove" form of each it no longer has: [`GroupParts`]), then its tags.
pub(crate) async fn update_group(
    cd: &Client,
    r: &Resource,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let (application, group) = split(&r.physical_name)?;
    let p = &r.properties;
    if fields.iter().any(|f| f.path != "/Tags") {
        let x = group_parts(p, &|name| p.get(name).is_none() && touched(fields, name));
        let update = cd
            .update_deployment_group()
            .application_name(application)
            .current_deployment_group_name(group);
        group_settings!(update, p, x)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    update_application(cd, arn, fields).await
}

/// Deletes a deployment group; gone already (or its application gone) is success.
pub(crate) async fn delete_group(cd: &Client, address: &str) -> Result<(), ProviderError> {
    let (application, group) = split(address)?;
    match cd
        .delete_deployment_group()
        .application_name(application)
        .deployment_group_name(group)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::Application`.
    Applications {
        read(p, name) {
            Box::pin(async move {
                let arn = p.arn(ResourceKind::Application, name);
                let tags = p.listed(ResourceKind::Application, name);
                read_application(&p.clients.codedeploy, name, &arn, tags).await
            })
        }
        create(p, r) {
            Box::pin(create_application(&p.clients.codedeploy, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update_application(&p.clients.codedeploy, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(delete_application(&p.clients.codedeploy, name))
        }
        read_ahead(p, names) {
            Box::pin(read_applications_ahead(p, names))
        }
    }
);

/// The ownership record a configuration's desired properties ask for: the application holding
/// it ([`RECORD_HOST`]) and the owner its `Tags` name.
fn wanted_record(r: &Resource) -> Option<Record> {
    let host = str_prop(&r.properties, RECORD_HOST)?;
    let owner = Owner::from_properties(&r.properties)?;
    Some(Record {
        host: host.to_owned(),
        app: owner.app,
        id: owner.id,
    })
}

/// The record's tag key for the configuration `name` (the kind table's prefix).
fn record_key(name: &str) -> String {
    let prefix = ResourceKind::DeploymentConfig
        .info()
        .record
        .map_or("", |r| r.key_prefix);
    format!("{prefix}{name}")
}

/// Writes the record of configuration `name` on its application.
async fn write_record(p: &AwsProvider, name: &str, record: &Record) -> Result<(), ProviderError> {
    let arn = p.arn(ResourceKind::Application, &record.host);
    let tag = Tag::builder()
        .key(record_key(name))
        .value(&record.id)
        .build();
    p.clients
        .codedeploy
        .tag_resource()
        .resource_arn(arn)
        .tags(tag)
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Removes the record of configuration `name` from application `host`; an application gone
/// already took it along.
async fn erase_record(p: &AwsProvider, name: &str, host: &str) -> Result<(), ProviderError> {
    let arn = p.arn(ResourceKind::Application, host);
    match p
        .clients
        .codedeploy
        .untag_resource()
        .resource_arn(arn)
        .tag_keys(record_key(name))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::DeploymentConfig`. A configuration carries no tags: its
    /// owner is the record on the app's application that names it (the kind table's `record`),
    /// which reads show as its `Tags` and [`RECORD_HOST`]. The record is written once the
    /// configuration exists, so that a same-named configuration someone else made (the create
    /// fails) never gets one, and erased once it is gone.
    DeploymentConfigs {
        read(p, name) {
            Box::pin(async move {
                let Some(mut seen) = read_config(&p.clients.codedeploy, name).await? else {
                    return Ok(None);
                };
                if let Some(record) = p.record(ResourceKind::DeploymentConfig, name) {
                    seen.properties[RECORD_HOST] = json!(record.host);
                    seen.properties["Tags"] = tags_value([(TAG_APP, record.app), (TAG_ID, record.id)]);
                    seen = Observed::new(seen.properties);
                }
                Ok(Some(seen))
            })
        }
        create(p, r) {
            Box::pin(async move {
                match create_config(&p.clients.codedeploy, r).await {
                    Ok(()) => {}
                    // The configuration may exist without its record: the next attempt finds it.
                    Err(e) if e.class == ErrorClass::Transient => {
                        p.note_unanswered(r.kind, &r.physical_name);
                        return Err(e);
                    }
                    // It exists, and this run's own create whose answer was lost made it (the
                    // plan found no configuration under this name, and a configuration carries
                    // no tags that could say whose it is): it is the app's, and gets its record
                    // now. One someone else made gets none: the engine reports it as theirs.
                    Err(e)
                        if e.class == ErrorClass::AlreadyExists
                            && p.was_unanswered(r.kind, &r.physical_name) => {}
                    Err(e) => return Err(e),
                }
                if let Some(record) = wanted_record(r) {
                    write_record(p, &r.physical_name, &record).await?;
                    p.set_record(r.kind, &r.physical_name, Some(record));
                }
                Ok(())
            })
        }
        update(p, r, fields) {
            Box::pin(async move {
                // Every field of a deployment configuration is create-only (the engine replaces
                // it); only its record moves or changes.
                let host_path = format!("/{RECORD_HOST}");
                let recorded = |f: &FieldChange| f.path == host_path || under(&f.path, "Tags");
                let record = wanted_record(r).filter(|_| fields.iter().all(recorded));
                let Some(record) = record else {
                    return Err(ProviderError::other(
                        "Immutable",
                        format!(
                            "deployment config \"{}\" cannot change in place; it is replaced",
                            r.physical_name
                        ),
                    ));
                };
                write_record(p, &r.physical_name, &record).await?;
                let old_host = fields
                    .iter()
                    .find(|f| f.path == host_path)
                    .and_then(|f| f.old.as_ref()?.as_str());
                if let Some(old) = old_host.filter(|old| *old != record.host) {
                    erase_record(p, &r.physical_name, old).await?;
                }
                p.set_record(r.kind, &r.physical_name, Some(record));
                Ok(())
            })
        }
        delete(p, name) {
            Box::pin(async move {
                delete_config(&p.clients.codedeploy, name).await?;
                if let Some(record) = p.record(ResourceKind::DeploymentConfig, name) {
                    erase_record(p, name, &record.host).await?;
                    p.set_record(ResourceKind::DeploymentConfig, name, None);
                }
                Ok(())
            })
        }
        read_ahead(p, names) {
            Box::pin(read_configs_ahead(&p.clients.codedeploy, names))
        }
    }
);

kind_api!(
    /// The [`KindApi`] of `ResourceKind::DeploymentGroup`.
    DeploymentGroups {
        read(p, name) {
            Box::pin(async move {
                let arn = p.arn(ResourceKind::DeploymentGroup, name);
                let tags = p.listed(ResourceKind::DeploymentGroup, name);
                read_group(&p.clients.codedeploy, name, &arn, tags).await
            })
        }
        create(p, r) {
            Box::pin(create_group(&p.clients.codedeploy, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update_group(&p.clients.codedeploy, r, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(delete_group(&p.clients.codedeploy, name))
        }
        read_ahead(p, names) {
            Box::pin(read_groups_ahead(p, names))
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codedeploy::types::DeploymentConfigInfo;

    #[test]
    fn configurations_read_back_in_the_shape_synthesis_writes() {
        let canary = DeploymentConfigInfo::builder()
            .deployment_config_name("shop-canary")
            .compute_platform(ComputePlatform::Lambda)
            .minimum_healthy_hosts(
                MinimumHealthyHosts::builder()
                    .r#type(MinimumHealthyHostsType::FleetPercent)
                    .value(0)
                    .build(),
            )
            .traffic_routing_config(
                TrafficRoutingConfig::builder()
                    .r#type(TrafficRoutingType::TimeBasedCanary)
                    .time_based_canary(
                        TimeBasedCanary::builder()
                            .canary_percentage(10)
                            .canary_interval(5)
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(
            config_properties(&canary, "shop-canary"),
            json!({
                "DeploymentConfigName": "shop-canary",
                "ComputePlatform": "Lambda",
                "TrafficRoutingConfig": {"Type": "TimeBasedCanary", "TimeBasedCanary": {"CanaryPercentage": 10, "CanaryInterval": 5}},
            })
        );
    }

    #[test]
    fn a_group_round_trips_through_the_sdk_types() {
        let want = json!({
            "ApplicationName": "shop",
            "DeploymentGroupName": "production",
            "ServiceRoleArn": "arn:aws:iam::123456789012:role/shop-deploy-shop",
            "DeploymentConfigName": "CodeDeployDefault.OneAtATime",
            "DeploymentStyle": {"DeploymentType": "IN_PLACE", "DeploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
            "Ec2TagFilters": [{"Key": "Name", "Value": "shop-web", "Type": "KEY_AND_VALUE"}],
            "AutoRollbackConfiguration": {"Enabled": true, "Events": ["DEPLOYMENT_FAILURE"]},
        });
        let x = group_parts(&want, &|_| false);
        let info = DeploymentGroupInfo::builder()
            .application_name("shop")
            .deployment_group_name("production")
            .service_role_arn("arn:aws:iam::123456789012:role/shop-deploy-shop")
            .deployment_config_name("CodeDeployDefault.OneAtATime")
            .deployment_style(x.style)
            .set_ec2_tag_filters(x.ec2)
            .auto_rollback_configuration(x.rollback)
            .alarm_configuration(x.alarms)
            .compute_platform(ComputePlatform::Server)
            .build();
        assert_eq!(group_properties(&info), want);
        assert_eq!(split("shop/production").unwrap(), ("shop", "production"));
        assert!(split("production").is_err());
    }
}
