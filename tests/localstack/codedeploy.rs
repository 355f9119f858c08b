//! CodeDeploy: application, custom deployment config, deployment group.

use aws_sdk_codedeploy::types::{
    Alarm, AlarmConfiguration, AutoRollbackConfiguration, AutoRollbackEvent, ComputePlatform,
    DeploymentOption, DeploymentStyle, DeploymentType, Ec2TagFilter, Ec2TagFilterType,
    MinimumHealthyHosts, MinimumHealthyHostsType, Tag,
};

use crate::harness::{clients, code, delete_role, role, unique};

fn tag_filter(value: &str) -> Ec2TagFilter {
    Ec2TagFilter::builder()
        .key("Name")
        .value(value)
        .r#type(Ec2TagFilterType::KeyAndValue)
        .build()
}

#[tokio::test]
async fn application_config_and_group_round_trip() {
    let c = clients().await;
    let cd = &c.codedeploy;
    let app = unique("app");
    let config = unique("config");
    let group = unique("group");
    let role_name = unique("deploy-role");
    let role_arn = role(&c, &role_name, "codedeploy.amazonaws.com").await;

    // Application.
    assert_eq!(
        code(cd.get_application().application_name(&app).send().await),
        "ApplicationDoesNotExistException"
    );
    cd.create_application()
        .application_name(&app)
        .compute_platform(ComputePlatform::Server)
        .tags(
            Tag::builder()
                .key("pipewright:app")
                .value("contract")
                .build(),
        )
        .send()
        .await
        .expect("create application");
    assert_eq!(
        code(cd.create_application().application_name(&app).send().await),
        "ApplicationAlreadyExistsException"
    );
    let got = cd
        .get_application()
        .application_name(&app)
        .send()
        .await
        .expect("get application");
    assert_eq!(
        got.application().and_then(|a| a.compute_platform()),
        Some(&ComputePlatform::Server)
    );
    let listed = cd
        .list_applications()
        .send()
        .await
        .expect("list applications");
    assert!(listed.applications().contains(&app));

    // Tags on the application, by ARN.
    let app_arn = format!(
        "arn:aws:codedeploy:{}:000000000000:application:{app}",
        c.region()
    );
    let tags = cd
        .list_tags_for_resource()
        .resource_arn(&app_arn)
        .send()
        .await
        .expect("list tags");
    assert_eq!(
        tags.tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [(Some("pipewright:app"), Some("contract"))]
    );
    cd.tag_resource()
        .resource_arn(&app_arn)
        .tags(Tag::builder().key("pipewright:id").value("app").build())
        .send()
        .await
        .expect("tag");
    cd.untag_resource()
        .resource_arn(&app_arn)
        .tag_keys("pipewright:app")
        .send()
        .await
        .expect("untag");
    let tags = cd
        .list_tags_for_resource()
        .resource_arn(&app_arn)
        .send()
        .await
        .expect("list tags");
    assert_eq!(
        tags.tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [(Some("pipewright:id"), Some("app"))]
    );

    // Deployment configs: AWS's predefined ones, and a custom one.
    let predefined = cd
        .get_deployment_config()
        .deployment_config_name("CodeDeployDefault.OneAtATime")
        .send()
        .await
        .expect("predefined config");
    assert!(predefined.deployment_config_info().is_some());
    assert_eq!(
        code(
            cd.get_deployment_config()
                .deployment_config_name(&config)
                .send()
                .await
        ),
        "DeploymentConfigDoesNotExistException"
    );
    cd.create_deployment_config()
        .deployment_config_name(&config)
        .compute_platform(ComputePlatform::Server)
        .minimum_healthy_hosts(
            MinimumHealthyHosts::builder()
                .r#type(MinimumHealthyHostsType::FleetPercent)
                .value(75)
                .build(),
        )
        .send()
        .await
        .expect("create config");
    let got = cd
        .get_deployment_config()
        .deployment_config_name(&config)
        .send()
        .await
        .expect("get config");
    let hosts = got
        .deployment_config_info()
        .and_then(|i| i.minimum_healthy_hosts())
        .expect("minimum healthy hosts");
    assert_eq!(
        (hosts.r#type(), hosts.value()),
        (Some(&MinimumHealthyHostsType::FleetPercent), 75)
    );
    let configs = cd
        .list_deployment_configs()
        .send()
        .await
        .expect("list configs");
    assert!(configs.deployment_configs_list().contains(&config));

    // Deployment group.
    assert_eq!(
        code(
            cd.get_deployment_group()
                .application_name(&app)
                .deployment_group_name(&group)
                .send()
                .await
        ),
        "DeploymentGroupDoesNotExistException"
    );
    cd.create_deployment_group()
        .application_name(&app)
        .deployment_group_name(&group)
        .service_role_arn(&role_arn)
        .deployment_config_name(&config)
        .ec2_tag_filters(tag_filter("shop-web"))
        .deployment_style(
            DeploymentStyle::builder()
                .deployment_type(DeploymentType::InPlace)
                .deployment_option(DeploymentOption::WithoutTrafficControl)
                .build(),
        )
        .auto_rollback_configuration(
            AutoRollbackConfiguration::builder()
                .enabled(true)
                .events(AutoRollbackEvent::DeploymentFailure)
                .events(AutoRollbackEvent::DeploymentStopOnAlarm)
                .build(),
        )
        .alarm_configuration(
            AlarmConfiguration::builder()
                .enabled(true)
                .alarms(Alarm::builder().name("shop-5xx").build())
                .build(),
        )
        .tags(
            Tag::builder()
                .key("pipewright:app")
                .value("contract")
                .build(),
        )
        .send()
        .await
        .expect("create group");
    let got = cd
        .get_deployment_group()
        .application_name(&app)
        .deployment_group_name(&group)
        .send()
        .await
        .expect("get group");
    let info = got.deployment_group_info().expect("group info");
    assert_eq!(info.service_role_arn(), Some(role_arn.as_str()));
    assert_eq!(info.deployment_config_name(), Some(config.as_str()));
    assert_eq!(info.ec2_tag_filters(), [tag_filter("shop-web")]);
    assert_eq!(
        info.deployment_style().and_then(|s| s.deployment_type()),
        Some(&DeploymentType::InPlace)
    );
    let rollback = info.auto_rollback_configuration().expect("auto rollback");
    assert!(rollback.enabled());
    assert_eq!(rollback.events().len(), 2);
    let alarms = info.alarm_configuration().expect("alarm configuration");
    assert!(alarms.enabled());
    assert_eq!(
        alarms.alarms().iter().map(|a| a.name()).collect::<Vec<_>>(),
        [Some("shop-5xx")]
    );

    // Update in place.
    cd.update_deployment_group()
        .application_name(&app)
        .current_deployment_group_name(&group)
        .ec2_tag_filters(tag_filter("shop-web-v2"))
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .send()
        .await
        .expect("update group");
    let got = cd
        .get_deployment_group()
        .application_name(&app)
        .deployment_group_name(&group)
        .send()
        .await
        .expect("get group");
    let info = got.deployment_group_info().expect("group info");
    assert_eq!(info.ec2_tag_filters(), [tag_filter("shop-web-v2")]);
    assert_eq!(
        info.deployment_config_name(),
        Some("CodeDeployDefault.AllAtOnce")
    );
    assert_eq!(
        info.service_role_arn(),
        Some(role_arn.as_str()),
        "untouched fields stay"
    );

    let groups = cd
        .list_deployment_groups()
        .application_name(&app)
        .send()
        .await
        .expect("list groups");
    assert_eq!(groups.deployment_groups(), std::slice::from_ref(&group));

    // Delete: group, config, application.
    cd.delete_deployment_group()
        .application_name(&app)
        .deployment_group_name(&group)
        .send()
        .await
        .expect("delete group");
    assert_eq!(
        code(
            cd.get_deployment_group()
                .application_name(&app)
                .deployment_group_name(&group)
                .send()
                .await
        ),
        "DeploymentGroupDoesNotExistException"
    );
    cd.delete_deployment_config()
        .deployment_config_name(&config)
        .send()
        .await
        .expect("delete config");
    assert_eq!(
        code(
            cd.get_deployment_config()
                .deployment_config_name(&config)
                .send()
                .await
        ),
        "DeploymentConfigDoesNotExistException"
    );
    cd.delete_application()
        .application_name(&app)
        .send()
        .await
        .expect("delete application");
    assert_eq!(
        code(cd.get_application().application_name(&app).send().await),
        "ApplicationDoesNotExistException"
    );

    delete_role(&c, &role_name).await;
}

#[tokio::test]
async fn tags_come_in_pages_and_the_provider_reads_every_one() {
    use pipewright::model::ResourceKind;
    use pipewright::provider::api::Resource;

    let c = clients().await;
    let app = unique("tagpages");
    let mut tags: Vec<serde_json::Value> = (0..13)
        .map(|i| serde_json::json!({"Key": format!("k{i:02}"), "Value": format!("v{i}")}))
        .collect();
    tags.push(serde_json::json!({"Key": "pipewright:app", "Value": app}));
    tags.sort_by_key(|t| t["Key"].as_str().unwrap_or_default().to_owned());
    let (provider, env) = crate::support::aws::provider_with(c.clone()).await;
    let resource = Resource {
        id: "App".into(),
        kind: ResourceKind::Application,
        physical_name: app.clone(),
        properties: serde_json::json!({
            "ApplicationName": app, "ComputePlatform": "Server", "Tags": tags,
        }),
    };
    provider.create(&resource).await.expect("created");

    // The emulator pages a resource's tags, as AWS may (ListTagsForResource's NextToken).
    let arn = format!(
        "arn:aws:codedeploy:{}:{}:application:{app}",
        env.region, env.account
    );
    let first = c
        .codedeploy
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("lists");
    assert!(first.tags().len() < tags.len());
    assert!(first.next_token().is_some());

    // Bug: only the first page was read, so the rest showed as tags to add on every plan.
    let seen = provider
        .read(ResourceKind::Application, &app)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(seen.properties["Tags"], serde_json::Value::Array(tags));

    provider
        .delete(ResourceKind::Application, &app)
        .await
        .expect("deleted");
}
