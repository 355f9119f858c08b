//! CloudWatch Logs: the log group each CodeBuild project writes to. Every call the provider
//! makes (`DescribeLogGroups`, `ListTagsForResource`, `CreateLogGroup`, `PutRetentionPolicy`,
//! `DeleteRetentionPolicy`, `AssociateKmsKey`, `DisassociateKmsKey`, `TagResource`,
//! `UntagResource`, `DeleteLogGroup`) with AWS's answers, and the group in the tagging API.

use std::collections::HashMap;

use aws_sdk_resourcegroupstagging::types::TagFilter;

use crate::harness::{clients, code, kms_key, unique};

async fn describe(
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
) -> Option<aws_sdk_cloudwatchlogs::types::LogGroup> {
    logs.describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .expect("describe log groups")
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .cloned()
}

async fn tags(logs: &aws_sdk_cloudwatchlogs::Client, arn: &str) -> HashMap<String, String> {
    logs.list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list tags")
        .tags()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn log_group_round_trip() {
    let c = clients().await;
    let key = kms_key().await;
    let logs = &c.logs;
    let app = unique("logs");
    let name = format!("/aws/codebuild/{}", unique("build"));
    let arn = format!("arn:aws:logs:{}:000000000000:log-group:{name}", c.region());

    assert!(describe(logs, &name).await.is_none());
    assert_eq!(
        code(
            logs.list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            logs.create_log_group()
                .log_group_name("no spaces allowed")
                .send()
                .await
        ),
        "InvalidParameterException"
    );

    logs.create_log_group()
        .log_group_name(&name)
        .tags("pipewright:app", &app)
        .send()
        .await
        .expect("create log group");
    assert_eq!(
        code(logs.create_log_group().log_group_name(&name).send().await),
        "ResourceAlreadyExistsException"
    );
    let g = describe(logs, &name).await.expect("the group is listed");
    assert_eq!(g.retention_in_days(), None, "no retention: kept forever");
    assert_eq!(g.kms_key_id(), None);
    assert_eq!(tags(logs, &arn).await.get("pipewright:app"), Some(&app));

    // Retention: only CloudWatch Logs' values.
    assert_eq!(
        code(
            logs.put_retention_policy()
                .log_group_name(&name)
                .retention_in_days(4)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    logs.put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(365)
        .send()
        .await
        .expect("put retention");
    assert_eq!(
        describe(logs, &name)
            .await
            .and_then(|g| g.retention_in_days()),
        Some(365)
    );
    logs.delete_retention_policy()
        .log_group_name(&name)
        .send()
        .await
        .expect("delete retention");
    assert_eq!(
        describe(logs, &name)
            .await
            .and_then(|g| g.retention_in_days()),
        None
    );

    // Encryption key: a key ARN, associated and taken off again.
    assert_eq!(
        code(
            logs.associate_kms_key()
                .log_group_name(&name)
                .kms_key_id("alias/mine")
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    logs.associate_kms_key()
        .log_group_name(&name)
        .kms_key_id(&key)
        .send()
        .await
        .expect("associate key");
    assert_eq!(
        describe(logs, &name)
            .await
            .and_then(|g| g.kms_key_id().map(str::to_owned)),
        Some(key.clone())
    );
    logs.disassociate_kms_key()
        .log_group_name(&name)
        .send()
        .await
        .expect("disassociate key");
    assert_eq!(
        describe(logs, &name)
            .await
            .and_then(|g| g.kms_key_id().map(str::to_owned)),
        None
    );

    // Tags by the group's ARN (without `:*`).
    logs.tag_resource()
        .resource_arn(&arn)
        .tags("pipewright:id", "LogGroupX")
        .send()
        .await
        .expect("tag");
    logs.untag_resource()
        .resource_arn(&arn)
        .tag_keys("pipewright:app")
        .send()
        .await
        .expect("untag");
    let now = tags(logs, &arn).await;
    assert_eq!(
        now.get("pipewright:id").map(String::as_str),
        Some("LogGroupX")
    );
    assert!(!now.contains_key("pipewright:app"));
    logs.tag_resource()
        .resource_arn(&arn)
        .tags("pipewright:app", &app)
        .send()
        .await
        .expect("tag again");

    // The tagging API lists the group by its tag, under the ARN without `:*`.
    let listed = c
        .tagging
        .get_resources()
        .tag_filters(
            TagFilter::builder()
                .key("pipewright:app")
                .values(&app)
                .build(),
        )
        .send()
        .await
        .expect("get resources");
    let arns: Vec<&str> = listed
        .resource_tag_mapping_list()
        .iter()
        .filter_map(|m| m.resource_arn())
        .collect();
    assert_eq!(arns, [arn.as_str()]);
    let typed = c
        .tagging
        .get_resources()
        .resource_type_filters("logs:log-group")
        .tag_filters(
            TagFilter::builder()
                .key("pipewright:app")
                .values(&app)
                .build(),
        )
        .send()
        .await
        .expect("get resources by type");
    assert_eq!(typed.resource_tag_mapping_list().len(), 1);

    logs.delete_log_group()
        .log_group_name(&name)
        .send()
        .await
        .expect("delete");
    assert!(describe(logs, &name).await.is_none());
    assert_eq!(
        code(logs.delete_log_group().log_group_name(&name).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            logs.put_retention_policy()
                .log_group_name(&name)
                .retention_in_days(30)
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            logs.tag_resource()
                .resource_arn(&arn)
                .tags("k", "v")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );

    // A group created again under the name has none of the old group's tags.
    logs.create_log_group()
        .log_group_name(&name)
        .send()
        .await
        .expect("create again");
    assert!(tags(logs, &arn).await.is_empty(), "a new group, no tags");
    logs.delete_log_group()
        .log_group_name(&name)
        .send()
        .await
        .expect("delete again");
}
