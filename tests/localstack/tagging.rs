//! The Resource Groups Tagging API: everything an app owns, found by its `pipewright:app` tag.

use std::collections::BTreeSet;

use aws_sdk_resourcegroupstagging::types::TagFilter;

use crate::{
    codepipeline::declaration,
    harness::{clients, delete_role, role, unique},
};

const APP_TAG: &str = "pipewright:app";

async fn owned(
    c: &pipewright::provider::aws::Clients,
    app: &str,
    types: &[&str],
) -> BTreeSet<String> {
    let mut arns = BTreeSet::new();
    let mut pages = c
        .tagging
        .get_resources()
        .tag_filters(TagFilter::builder().key(APP_TAG).values(app).build())
        .set_resource_type_filters(
            (!types.is_empty()).then(|| types.iter().map(|t| t.to_string()).collect()),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for mapping in page.expect("get resources").resource_tag_mapping_list() {
            let tags = mapping.tags();
            assert!(
                tags.iter().any(|t| t.key() == APP_TAG && t.value() == app),
                "{mapping:?} carries the filtered tag"
            );
            arns.insert(mapping.resource_arn().expect("an ARN").to_owned());
        }
    }
    arns
}

#[tokio::test]
async fn finds_every_kind_by_app_tag() {
    let c = clients().await;
    let app = unique("app");
    let other_app = unique("other");
    let region = c.region().to_owned();
    let account = "000000000000";

    let bucket = unique("bucket");
    c.s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    c.s3.put_bucket_tagging()
        .bucket(&bucket)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key(APP_TAG)
                        .value(&app)
                        .build()
                        .expect("tag"),
                )
                .build()
                .expect("tags"),
        )
        .send()
        .await
        .expect("bucket tags");

    let role_name = unique("role");
    let role_arn = role(&c, &role_name, "codepipeline.amazonaws.com").await;
    c.iam
        .tag_role()
        .role_name(&role_name)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key(APP_TAG)
                .value(&app)
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("role tags");

    let repo = unique("repo");
    let repo_arn = c
        .codecommit
        .create_repository()
        .repository_name(&repo)
        .tags(APP_TAG, &app)
        .send()
        .await
        .expect("repository")
        .repository_metadata()
        .and_then(|m| m.arn())
        .expect("an ARN")
        .to_owned();

    let project = unique("build");
    let project_arn = c
        .codebuild
        .create_project()
        .name(&project)
        .source(
            aws_sdk_codebuild::types::ProjectSource::builder()
                .r#type(aws_sdk_codebuild::types::SourceType::Codepipeline)
                .build()
                .expect("type"),
        )
        .artifacts(
            aws_sdk_codebuild::types::ProjectArtifacts::builder()
                .r#type(aws_sdk_codebuild::types::ArtifactsType::Codepipeline)
                .build()
                .expect("type"),
        )
        .environment(
            aws_sdk_codebuild::types::ProjectEnvironment::builder()
                .r#type(aws_sdk_codebuild::types::EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(aws_sdk_codebuild::types::ComputeType::BuildGeneral1Small)
                .build()
                .expect("environment"),
        )
        .service_role(&role_arn)
        .tags(
            aws_sdk_codebuild::types::Tag::builder()
                .key(APP_TAG)
                .value(&app)
                .build(),
        )
        .send()
        .await
        .expect("project")
        .project()
        .and_then(|p| p.arn())
        .expect("an ARN")
        .to_owned();

    let application = unique("deploy");
    let group = unique("group");
    let cd_tag = aws_sdk_codedeploy::types::Tag::builder()
        .key(APP_TAG)
        .value(&app)
        .build();
    c.codedeploy
        .create_application()
        .application_name(&application)
        .tags(cd_tag.clone())
        .send()
        .await
        .expect("application");
    c.codedeploy
        .create_deployment_group()
        .application_name(&application)
        .deployment_group_name(&group)
        .service_role_arn(&role_arn)
        .tags(cd_tag)
        .send()
        .await
        .expect("deployment group");

    let pipeline = unique("pipeline");
    c.codepipeline
        .create_pipeline()
        .pipeline(declaration(&pipeline, &role_arn, &bucket, &repo))
        .tags(
            aws_sdk_codepipeline::types::Tag::builder()
                .key(APP_TAG)
                .value(&app)
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("pipeline");

    let rule = unique("rule");
    let rule_arn = c
        .eventbridge
        .put_rule()
        .name(&rule)
        .event_pattern(r#"{"source":["aws.codecommit"]}"#)
        .tags(
            aws_sdk_eventbridge::types::Tag::builder()
                .key(APP_TAG)
                .value(&app)
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("rule")
        .rule_arn()
        .expect("an ARN")
        .to_owned();

    // Something owned by another app must not show up.
    let foreign = unique("foreign");
    c.codecommit
        .create_repository()
        .repository_name(&foreign)
        .tags(APP_TAG, &other_app)
        .send()
        .await
        .expect("foreign repository");

    let expected: BTreeSet<String> = [
        format!("arn:aws:s3:::{bucket}"),
        repo_arn.clone(),
        project_arn,
        format!("arn:aws:codedeploy:{region}:{account}:application:{application}"),
        format!("arn:aws:codedeploy:{region}:{account}:deploymentgroup:{application}/{group}"),
        format!("arn:aws:codepipeline:{region}:{account}:{pipeline}"),
        rule_arn,
    ]
    .into_iter()
    .collect();
    assert_eq!(owned(&c, &app, &[]).await, expected);

    // Type filters narrow the answer. A role, global, is in no region: a regional listing
    // never has it, whatever its tags (pipewright lists roles through IAM).
    assert_eq!(
        owned(&c, &app, &["codecommit", "iam:role"]).await,
        [repo_arn].into_iter().collect()
    );
    assert!(owned(&c, &app, &["iam"]).await.is_empty(), "{role_arn}");

    // Clean up, then nothing of the app is left.
    c.eventbridge
        .delete_rule()
        .name(&rule)
        .send()
        .await
        .expect("delete rule");
    c.codepipeline
        .delete_pipeline()
        .name(&pipeline)
        .send()
        .await
        .expect("delete pipeline");
    c.codedeploy
        .delete_deployment_group()
        .application_name(&application)
        .deployment_group_name(&group)
        .send()
        .await
        .expect("delete group");
    c.codedeploy
        .delete_application()
        .application_name(&application)
        .send()
        .await
        .expect("delete application");
    c.codebuild
        .delete_project()
        .name(&project)
        .send()
        .await
        .expect("delete project");
    for name in [&repo, &foreign] {
        c.codecommit
            .delete_repository()
            .repository_name(name)
            .send()
            .await
            .expect("delete repo");
    }
    c.s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete bucket");
    delete_role(&c, &role_name).await;
    assert_eq!(owned(&c, &app, &[]).await, BTreeSet::new());
}
