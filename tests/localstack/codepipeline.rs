//! CodePipeline: a V2 pipeline's whole life, including starting it and reading its state.

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    ExecutionMode, InputArtifact, OutputArtifact, PipelineDeclaration, PipelineType,
    PipelineVariableDeclaration, StageDeclaration, Tag,
};

use crate::harness::{clients, code, delete_role, role, unique};

fn action(
    name: &str,
    category: ActionCategory,
    provider: &str,
    config: &[(&str, &str)],
) -> aws_sdk_codepipeline::types::builders::ActionDeclarationBuilder {
    let mut action = ActionDeclaration::builder()
        .name(name)
        .run_order(1)
        .action_type_id(
            ActionTypeId::builder()
                .category(category)
                .owner(ActionOwner::Aws)
                .provider(provider)
                .version("1")
                .build()
                .expect("every field set"),
        );
    for (k, v) in config {
        action = action.configuration(*k, *v);
    }
    action
}

/// Source (CodeCommit) → Build (CodeBuild), as pipewright declares it.
pub(crate) fn declaration(
    name: &str,
    role_arn: &str,
    bucket: &str,
    repo: &str,
) -> PipelineDeclaration {
    let source = action(
        "Checkout",
        ActionCategory::Source,
        "CodeCommit",
        &[
            ("RepositoryName", repo),
            ("BranchName", "main"),
            ("PollForSourceChanges", "false"),
        ],
    )
    .output_artifacts(
        OutputArtifact::builder()
            .name("Source")
            .build()
            .expect("name set"),
    )
    .build()
    .expect("name and type set");
    let build = action(
        "Build",
        ActionCategory::Build,
        "CodeBuild",
        &[("ProjectName", "shop-build")],
    )
    .input_artifacts(
        InputArtifact::builder()
            .name("Source")
            .build()
            .expect("name set"),
    )
    .output_artifacts(
        OutputArtifact::builder()
            .name("Built")
            .build()
            .expect("name set"),
    )
    .build()
    .expect("name and type set");
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(role_arn)
        .artifact_store(
            ArtifactStore::builder()
                .r#type(ArtifactStoreType::S3)
                .location(bucket)
                .build()
                .expect("type and location set"),
        )
        .stages(
            StageDeclaration::builder()
                .name("Source")
                .actions(source)
                .build()
                .expect("set"),
        )
        .stages(
            StageDeclaration::builder()
                .name("Build")
                .actions(build)
                .build()
                .expect("set"),
        )
        .pipeline_type(PipelineType::V2)
        .execution_mode(ExecutionMode::Queued)
        .build()
        .expect("name, role and stages set")
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("key and value set")
}

async fn tags_of(cp: &Client, arn: &str) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = cp
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list tags")
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    tags
}

#[tokio::test]
async fn pipeline_round_trip() {
    let c = clients().await;
    let cp = &c.codepipeline;
    let name = unique("pipeline");
    let role_name = unique("pipeline-role");
    let role_arn = role(&c, &role_name, "codepipeline.amazonaws.com").await;
    let declared = declaration(&name, &role_arn, "contract-artifacts", "shop-api");

    assert_eq!(
        code(cp.get_pipeline().name(&name).send().await),
        "PipelineNotFoundException"
    );
    let created = cp
        .create_pipeline()
        .pipeline(declared.clone())
        .tags(tag("pipewright:app", "contract"))
        .send()
        .await
        .expect("create pipeline");
    assert_eq!(created.pipeline().map(|p| p.name()), Some(name.as_str()));
    assert_eq!(
        code(cp.create_pipeline().pipeline(declared.clone()).send().await),
        "PipelineNameInUseException"
    );

    // Read back what was declared.
    let got = cp
        .get_pipeline()
        .name(&name)
        .send()
        .await
        .expect("get pipeline");
    let pipeline = got.pipeline().expect("pipeline");
    assert_eq!(pipeline.version(), Some(1));
    assert_eq!(pipeline.pipeline_type(), Some(&PipelineType::V2));
    assert_eq!(pipeline.execution_mode(), Some(&ExecutionMode::Queued));
    assert_eq!(
        pipeline
            .stages()
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>(),
        ["Source", "Build"]
    );
    let source = &pipeline.stages()[0].actions()[0];
    assert_eq!(
        source
            .configuration()
            .and_then(|c| c.get("PollForSourceChanges"))
            .map(String::as_str),
        Some("false")
    );
    let arn = got
        .metadata()
        .and_then(|m| m.pipeline_arn())
        .expect("an ARN")
        .to_owned();
    assert!(arn.ends_with(&format!(":{name}")), "{arn}");

    // Update in place: a variable and a third stage; the version moves on.
    let mut updated = declared.clone();
    updated.variables = Some(vec![
        PipelineVariableDeclaration::builder()
            .name("Environment")
            .default_value("staging")
            .build()
            .expect("name set"),
    ]);
    let approve = action("Approve", ActionCategory::Approval, "Manual", &[])
        .build()
        .expect("name and type set");
    updated.stages.push(
        StageDeclaration::builder()
            .name("Approve")
            .actions(approve)
            .build()
            .expect("set"),
    );
    let answer = cp
        .update_pipeline()
        .pipeline(updated)
        .send()
        .await
        .expect("update");
    assert_eq!(answer.pipeline().and_then(|p| p.version()), Some(2));
    let got = cp
        .get_pipeline()
        .name(&name)
        .send()
        .await
        .expect("get pipeline");
    let pipeline = got.pipeline().expect("pipeline");
    assert_eq!(pipeline.stages().len(), 3);
    assert_eq!(pipeline.variables().len(), 1);

    // Listing.
    let listed = cp.list_pipelines().send().await.expect("list");
    assert!(
        listed
            .pipelines()
            .iter()
            .any(|p| p.name() == Some(name.as_str()))
    );

    // Start an execution, then read the state and the executions.
    let started = cp
        .start_pipeline_execution()
        .name(&name)
        .send()
        .await
        .expect("start execution");
    let execution = started
        .pipeline_execution_id()
        .expect("an execution id")
        .to_owned();
    let state = cp
        .get_pipeline_state()
        .name(&name)
        .send()
        .await
        .expect("state");
    assert_eq!(state.pipeline_version(), Some(2));
    assert_eq!(
        state
            .stage_states()
            .iter()
            .filter_map(|s| s.stage_name())
            .collect::<Vec<_>>(),
        ["Source", "Build", "Approve"]
    );
    assert_eq!(
        code(cp.get_pipeline_state().name(unique("absent")).send().await),
        "PipelineNotFoundException"
    );
    let executions = cp
        .list_pipeline_executions()
        .pipeline_name(&name)
        .send()
        .await
        .expect("executions");
    assert!(
        executions
            .pipeline_execution_summaries()
            .iter()
            .any(|e| e.pipeline_execution_id() == Some(execution.as_str()))
    );

    // Tags.
    cp.tag_resource()
        .resource_arn(&arn)
        .tags(tag("pipewright:id", "pipeline"))
        .send()
        .await
        .expect("tag");
    assert_eq!(
        tags_of(cp, &arn).await,
        [
            ("pipewright:app".to_owned(), "contract".to_owned()),
            ("pipewright:id".to_owned(), "pipeline".to_owned())
        ]
    );
    cp.untag_resource()
        .resource_arn(&arn)
        .tag_keys("pipewright:app")
        .send()
        .await
        .expect("untag");
    assert_eq!(
        tags_of(cp, &arn).await,
        [("pipewright:id".to_owned(), "pipeline".to_owned())]
    );

    // Delete; deleting a missing pipeline succeeds, as on AWS.
    cp.delete_pipeline()
        .name(&name)
        .send()
        .await
        .expect("delete");
    cp.delete_pipeline()
        .name(&name)
        .send()
        .await
        .expect("delete again");
    assert_eq!(
        code(cp.get_pipeline().name(&name).send().await),
        "PipelineNotFoundException"
    );

    delete_role(&c, &role_name).await;
}
