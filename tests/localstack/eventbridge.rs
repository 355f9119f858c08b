//! EventBridge: the change-detection rule that starts a pipeline when its branch moves.

use std::time::Duration;

use aws_sdk_eventbridge::types::{PutEventsRequestEntry, RuleState, Tag, Target};

use crate::{
    codepipeline::declaration,
    harness::{clients, code, delete_role, role, unique},
};

#[tokio::test]
async fn rule_starts_its_pipeline() {
    let c = clients().await;
    let eb = &c.eventbridge;
    let rule = unique("rule");
    let repo = unique("repo");
    let pipeline = unique("pipeline");
    let events_role = unique("events-role");
    let pipeline_role = unique("pipeline-role");
    let events_role_arn = role(&c, &events_role, "events.amazonaws.com").await;
    let pipeline_role_arn = role(&c, &pipeline_role, "codepipeline.amazonaws.com").await;

    c.codepipeline
        .create_pipeline()
        .pipeline(declaration(
            &pipeline,
            &pipeline_role_arn,
            "contract-artifacts",
            &repo,
        ))
        .send()
        .await
        .expect("create pipeline");
    let pipeline_arn = format!(
        "arn:aws:codepipeline:{}:000000000000:{pipeline}",
        c.region()
    );
    let repo_arn = format!("arn:aws:codecommit:{}:000000000000:{repo}", c.region());

    assert_eq!(
        code(eb.describe_rule().name(&rule).send().await),
        "ResourceNotFoundException"
    );
    let pattern = serde_json::json!({
        "source": ["aws.codecommit"],
        "detail-type": ["CodeCommit Repository State Change"],
        "resources": [repo_arn],
        "detail": {
            "event": ["referenceCreated", "referenceUpdated"],
            "referenceType": ["branch"],
            "referenceName": ["main"]
        }
    });
    let created = eb
        .put_rule()
        .name(&rule)
        .description("start the pipeline on a push to main")
        .event_pattern(pattern.to_string())
        .state(RuleState::Enabled)
        .tags(
            Tag::builder()
                .key("pipewright:app")
                .value("contract")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("put rule");
    let rule_arn = created.rule_arn().expect("a rule ARN").to_owned();

    let described = eb
        .describe_rule()
        .name(&rule)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.state(), Some(&RuleState::Enabled));
    let stored: serde_json::Value =
        serde_json::from_str(described.event_pattern().expect("a pattern")).expect("JSON");
    assert_eq!(stored, pattern);

    // Updating is putting again.
    eb.put_rule()
        .name(&rule)
        .description("start the pipeline on a push")
        .event_pattern(pattern.to_string())
        .state(RuleState::Enabled)
        .send()
        .await
        .expect("put rule again");
    let described = eb
        .describe_rule()
        .name(&rule)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        described.description(),
        Some("start the pipeline on a push")
    );

    // The pipeline as target, invoked with the events role.
    let put = eb
        .put_targets()
        .rule(&rule)
        .targets(
            Target::builder()
                .id("pipeline")
                .arn(&pipeline_arn)
                .role_arn(&events_role_arn)
                .build()
                .expect("id and arn set"),
        )
        .send()
        .await
        .expect("put targets");
    assert_eq!(put.failed_entry_count(), 0, "{:?}", put.failed_entries());
    let targets = eb
        .list_targets_by_rule()
        .rule(&rule)
        .send()
        .await
        .expect("targets");
    let target = targets.targets().first().expect("one target");
    assert_eq!(
        (target.arn(), target.role_arn()),
        (pipeline_arn.as_str(), Some(events_role_arn.as_str()))
    );

    // A push to main starts the pipeline.
    let detail = serde_json::json!({
        "event": "referenceUpdated",
        "referenceType": "branch",
        "referenceName": "main",
        "repositoryName": repo,
    });
    let sent = eb
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .source("aws.codecommit")
                .detail_type("CodeCommit Repository State Change")
                .resources(&repo_arn)
                .detail(detail.to_string())
                .build(),
        )
        .send()
        .await
        .expect("put events");
    assert_eq!(sent.failed_entry_count(), 0);
    let mut started = false;
    // Delivery is asynchronous; bounded wait.
    for _ in 0..50 {
        let executions = c
            .codepipeline
            .list_pipeline_executions()
            .pipeline_name(&pipeline)
            .send()
            .await
            .expect("executions");
        // CreatePipeline started one execution itself; the event's has its own trigger.
        if executions.pipeline_execution_summaries().iter().any(|e| {
            e.trigger()
                .and_then(|t| t.trigger_type())
                .map(|t| t.as_str())
                == Some("CloudWatchEvent")
        }) {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started, "the event started an execution of {pipeline}");

    // Tags.
    eb.tag_resource()
        .resource_arn(&rule_arn)
        .tags(
            Tag::builder()
                .key("pipewright:id")
                .value("rule")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("tag");
    eb.untag_resource()
        .resource_arn(&rule_arn)
        .tag_keys("pipewright:app")
        .send()
        .await
        .expect("untag");
    let tags = eb
        .list_tags_for_resource()
        .resource_arn(&rule_arn)
        .send()
        .await
        .expect("tags");
    assert_eq!(
        tags.tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [("pipewright:id", "rule")]
    );

    // Listing.
    let rules = eb
        .list_rules()
        .name_prefix(&rule)
        .send()
        .await
        .expect("list rules");
    assert_eq!(
        rules
            .rules()
            .iter()
            .filter_map(|r| r.name())
            .collect::<Vec<_>>(),
        [rule.as_str()]
    );

    // Targets must go before the rule.
    assert_eq!(
        code(eb.delete_rule().name(&rule).send().await),
        "ValidationException"
    );
    eb.remove_targets()
        .rule(&rule)
        .ids("pipeline")
        .send()
        .await
        .expect("remove targets");
    eb.delete_rule()
        .name(&rule)
        .send()
        .await
        .expect("delete rule");
    assert_eq!(
        code(eb.describe_rule().name(&rule).send().await),
        "ResourceNotFoundException"
    );

    c.codepipeline
        .delete_pipeline()
        .name(&pipeline)
        .send()
        .await
        .expect("delete pipeline");
    delete_role(&c, &events_role).await;
    delete_role(&c, &pipeline_role).await;
}
