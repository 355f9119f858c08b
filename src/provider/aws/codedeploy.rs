//! CodeDeploy applications (`AWS::CodeDeploy::Application`) and custom deployment
//! configurations (`AWS::CodeDeploy::DeploymentConfig`, immutable: a change is a replacement).

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::types::{
    ComputePlatform, MinimumHealthyHosts, MinimumHealthyHostsType, Tag, TimeBasedCanary,
    TimeBasedLinear, TrafficRoutingConfig, TrafficRoutingType,
};
use serde_json::{Map, Value, json};

use super::common::{absent, gone, sdk_error, str_prop, tag_delta, tags_of, tags_value};
use crate::provider::api::{FieldChange, Observed, ProviderError, Resource};

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
) -> Result<Option<Observed>, ProviderError> {
    let out = match cd.get_application().application_name(name).send().await {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(app) = out.application() else {
        return Ok(None);
    };
    let mut p = Map::new();
    p.insert(
        "ApplicationName".into(),
        json!(app.application_name().unwrap_or(name)),
    );
    if let Some(c) = app.compute_platform() {
        p.insert("ComputePlatform".into(), json!(c.as_str()));
    }
    let tags = cd
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_error)?;
    p.insert(
        "Tags".into(),
        tags_value(
            tags.tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
        ),
    );
    Ok(Some(Observed::new(Value::Object(p))))
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

/// Changes an application's tags (its name and platform are create-only).
pub(crate) async fn update_application(
    cd: &Client,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let Some((set, remove)) = tag_delta(fields) else {
        return Ok(());
    };
    if !set.is_empty() {
        cd.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags(set)))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !remove.is_empty() {
        cd.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(sdk_error)?;
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

fn int(v: &Value, path: &str) -> i32 {
    v.pointer(path)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or_default()
}

/// Creates a deployment configuration.
pub(crate) async fn create_config(cd: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    let hosts = p.get("MinimumHealthyHosts").map(|h| {
        MinimumHealthyHosts::builder()
            .set_type(h["Type"].as_str().map(MinimumHealthyHostsType::from))
            .value(int(h, "/Value"))
            .build()
    });
    let traffic = p.get("TrafficRoutingConfig").map(|t| {
        let canary = t.get("TimeBasedCanary").map(|c| {
            TimeBasedCanary::builder()
                .canary_percentage(int(c, "/CanaryPercentage"))
                .canary_interval(int(c, "/CanaryInterval"))
                .build()
        });
        let linear = t.get("TimeBasedLinear").map(|l| {
            TimeBasedLinear::builder()
                .linear_percentage(int(l, "/LinearPercentage"))
                .linear_interval(int(l, "/LinearInterval"))
                .build()
        });
        TrafficRoutingConfig::builder()
            .set_type(t["Type"].as_str().map(TrafficRoutingType::from))
            .set_time_based_canary(canary)
            .set_time_based_linear(linear)
            .build()
    });
    cd.create_deployment_config()
        .deployment_config_name(&r.physical_name)
        .set_compute_platform(str_prop(p, "ComputePlatform").map(ComputePlatform::from))
        .set_minimum_healthy_hosts(hosts)
        .set_traffic_routing_config(traffic)
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
}
