//! CodeBuild: a project driven by CodePipeline (source and artifacts of type `CODEPIPELINE`).

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, EnvironmentVariable, EnvironmentVariableType,
    LogsConfig, LogsConfigStatusType, ProjectArtifacts, ProjectEnvironment, ProjectSource,
    SourceType, Tag,
};

use crate::harness::{clients, code, delete_role, role, unique};

fn environment(image: &str) -> ProjectEnvironment {
    ProjectEnvironment::builder()
        .r#type(EnvironmentType::LinuxContainer)
        .image(image)
        .compute_type(ComputeType::BuildGeneral1Small)
        .privileged_mode(false)
        .environment_variables(
            EnvironmentVariable::builder()
                .name("STAGE")
                .value("test")
                .r#type(EnvironmentVariableType::Plaintext)
                .build()
                .expect("name and value set"),
        )
        .environment_variables(
            EnvironmentVariable::builder()
                .name("TOKEN")
                .value("/shop/token")
                .r#type(EnvironmentVariableType::ParameterStore)
                .build()
                .expect("name and value set"),
        )
        .build()
        .expect("type, image and compute set")
}

#[tokio::test]
async fn pipeline_project_round_trip() {
    let c = clients().await;
    let cb = &c.codebuild;
    let name = unique("build");
    let role_name = unique("build-role");
    let role_arn = role(&c, &role_name, "codebuild.amazonaws.com").await;

    let created = cb
        .create_project()
        .name(&name)
        .description("build and unit tests")
        .source(
            ProjectSource::builder()
                .r#type(SourceType::Codepipeline)
                .buildspec("version: 0.2\nphases:\n  build:\n    commands:\n      - cargo test\n")
                .build()
                .expect("type set"),
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::Codepipeline)
                .build()
                .expect("type set"),
        )
        .environment(environment("aws/codebuild/standard:7.0"))
        .service_role(&role_arn)
        .timeout_in_minutes(30)
        .logs_config(
            LogsConfig::builder()
                .cloud_watch_logs(
                    aws_sdk_codebuild::types::CloudWatchLogsConfig::builder()
                        .status(LogsConfigStatusType::Enabled)
                        .group_name("/pipewright/contract")
                        .build()
                        .expect("status set"),
                )
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
        .expect("create project");
    let project = created.project().expect("project");
    assert!(
        project
            .arn()
            .is_some_and(|a| a.ends_with(&format!(":project/{name}")))
    );
    assert_eq!(
        code(
            cb.create_project()
                .name(&name)
                .source(
                    ProjectSource::builder()
                        .r#type(SourceType::NoSource)
                        .buildspec("version: 0.2")
                        .build()
                        .expect("type")
                )
                .artifacts(
                    ProjectArtifacts::builder()
                        .r#type(ArtifactsType::NoArtifacts)
                        .build()
                        .expect("type")
                )
                .environment(environment("aws/codebuild/standard:7.0"))
                .service_role(&role_arn)
                .send()
                .await
        ),
        "ResourceAlreadyExistsException"
    );

    // Batch read: found and not found in one call.
    let missing = unique("absent");
    let got = cb
        .batch_get_projects()
        .names(&name)
        .names(&missing)
        .send()
        .await
        .expect("batch get");
    assert_eq!(got.projects_not_found(), std::slice::from_ref(&missing));
    let project = got.projects().first().expect("the project");
    assert_eq!(project.name(), Some(name.as_str()));
    assert_eq!(
        project.source().map(|s| s.r#type()),
        Some(&SourceType::Codepipeline)
    );
    assert_eq!(
        project.artifacts().map(|a| a.r#type()),
        Some(&ArtifactsType::Codepipeline)
    );
    assert_eq!(project.timeout_in_minutes(), Some(30));
    assert_eq!(project.service_role(), Some(role_arn.as_str()));
    let env = project.environment().expect("environment");
    assert_eq!(env.image(), "aws/codebuild/standard:7.0");
    let vars: Vec<(&str, &str, Option<&EnvironmentVariableType>)> = env
        .environment_variables()
        .iter()
        .map(|v| (v.name(), v.value(), v.r#type()))
        .collect();
    assert_eq!(
        vars,
        [
            ("STAGE", "test", Some(&EnvironmentVariableType::Plaintext)),
            (
                "TOKEN",
                "/shop/token",
                Some(&EnvironmentVariableType::ParameterStore)
            ),
        ]
    );
    assert_eq!(
        project
            .logs_config()
            .and_then(|l| l.cloud_watch_logs())
            .and_then(|c| c.group_name()),
        Some("/pipewright/contract")
    );
    assert_eq!(
        project
            .tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [(Some("pipewright:app"), Some("contract"))]
    );

    // Update in place: only what is given changes.
    cb.update_project()
        .name(&name)
        .description("build, unit and lint")
        .timeout_in_minutes(45)
        .environment(environment("aws/codebuild/standard:8.0"))
        .tags(
            Tag::builder()
                .key("pipewright:app")
                .value("contract")
                .build(),
        )
        .tags(Tag::builder().key("pipewright:id").value("build").build())
        .send()
        .await
        .expect("update project");
    let got = cb
        .batch_get_projects()
        .names(&name)
        .send()
        .await
        .expect("batch get");
    let project = got.projects().first().expect("the project");
    assert_eq!(project.description(), Some("build, unit and lint"));
    assert_eq!(project.timeout_in_minutes(), Some(45));
    assert_eq!(
        project.environment().map(|e| e.image()),
        Some("aws/codebuild/standard:8.0")
    );
    assert_eq!(
        project.source().map(|s| s.r#type()),
        Some(&SourceType::Codepipeline)
    );
    assert_eq!(project.tags().len(), 2);
    assert_eq!(
        code(
            cb.update_project()
                .name(&missing)
                .description("x")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );

    // Listing.
    let listed = cb.list_projects().send().await.expect("list");
    assert!(listed.projects().contains(&name), "{listed:?}");

    // Delete; deleting a missing project succeeds, as on AWS.
    cb.delete_project()
        .name(&name)
        .send()
        .await
        .expect("delete");
    cb.delete_project()
        .name(&name)
        .send()
        .await
        .expect("delete again");
    let got = cb
        .batch_get_projects()
        .names(&name)
        .send()
        .await
        .expect("batch get");
    assert!(got.projects().is_empty());
    assert_eq!(got.projects_not_found(), [name]);

    delete_role(&c, &role_name).await;
}
