//! Pipeline executions that run: stages, run orders, approvals, stop, retry, modes, transitions,
//! actions that start builds, and a `git push` that runs a pipeline to its approval.
//!
//! Every pipeline here starts from an S3 source (a versioned bucket holding a ZIP) unless it tests
//! the CodeCommit source, and waits at manual approvals, so each test decides when an action ends.

use std::time::Duration;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionExecutionDetail, ActionExecutionFilter, ActionOwner,
    ActionTypeId, ApprovalResult, ApprovalStatus, ArtifactStore, ArtifactStoreType, ExecutionMode,
    InputArtifact, OutputArtifact, PipelineDeclaration, PipelineType, PipelineVariable,
    PipelineVariableDeclaration, SourceRevisionOverride, SourceRevisionType, StageDeclaration,
    StageRetryMode, StageState, StageTransitionType,
};
use aws_sdk_s3::{
    primitives::ByteStream,
    types::{BucketVersioningStatus, VersioningConfiguration},
};
use pipewright::provider::aws::Clients;

use crate::harness::{clients, code, delete_role, role, unique};

/// A ZIP with one file, `hello.txt` = "hello" (stored, not compressed), for the S3 source.
const HELLO_ZIP: &[u8] = &[
    0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x5c, 0x86, 0xa6,
    0x10, 0x36, 0x05, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x68, 0x65,
    0x6c, 0x6c, 0x6f, 0x2e, 0x74, 0x78, 0x74, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x50, 0x4b, 0x01, 0x02,
    0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x5c, 0x86, 0xa6, 0x10, 0x36,
    0x05, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2e,
    0x74, 0x78, 0x74, 0x50, 0x4b, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x37,
    0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00,
];

struct Fixture {
    c: Clients,
    name: String,
    role_name: String,
    role_arn: String,
    artifacts: String,
    source: String,
    first_version: String,
}

async fn fixture(prefix: &str) -> Fixture {
    let c = clients().await;
    let name = unique(prefix);
    let role_name = unique(&format!("{prefix}-role"));
    let role_arn = role(&c, &role_name, "codepipeline.amazonaws.com").await;
    let artifacts = unique(&format!("{prefix}-art"));
    let source = unique(&format!("{prefix}-src"));
    for bucket in [&artifacts, &source] {
        c.s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create bucket");
    }
    c.s3.put_bucket_versioning()
        .bucket(&source)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    let first_version = put_source(&c, &source, HELLO_ZIP).await;
    Fixture {
        c,
        name,
        role_name,
        role_arn,
        artifacts,
        source,
        first_version,
    }
}

async fn put_source(c: &Clients, bucket: &str, body: &[u8]) -> String {
    c.s3.put_object()
        .bucket(bucket)
        .key("app.zip")
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .expect("put source")
        .version_id()
        .expect("a versioned bucket answers a version")
        .to_owned()
}

impl Fixture {
    fn cp(&self) -> &aws_sdk_codepipeline::Client {
        &self.c.codepipeline
    }

    async fn create(&self, declaration: PipelineDeclaration) {
        self.cp()
            .create_pipeline()
            .pipeline(declaration)
            .send()
            .await
            .expect("create pipeline");
    }

    async fn state(&self) -> Vec<StageState> {
        self.cp()
            .get_pipeline_state()
            .name(&self.name)
            .send()
            .await
            .expect("state")
            .stage_states()
            .to_vec()
    }

    /// The token of an approval waiting in the latest execution of its stage.
    async fn token(&self, stage: &str, action: &str) -> Option<String> {
        let states = self.state().await;
        let stage = states.iter().find(|s| s.stage_name() == Some(stage))?;
        let action = stage
            .action_states()
            .iter()
            .find(|a| a.action_name() == Some(action))?;
        let latest = action.latest_execution()?;
        (latest.status().map(|s| s.as_str()) == Some("InProgress"))
            .then(|| latest.token().map(str::to_owned))
            .flatten()
    }

    async fn wait_token(&self, stage: &str, action: &str) -> String {
        wait(&format!("approval {stage}/{action} waiting"), || {
            self.token(stage, action)
        })
        .await
    }

    async fn answer(&self, stage: &str, action: &str, token: &str, status: ApprovalStatus) {
        self.cp()
            .put_approval_result()
            .pipeline_name(&self.name)
            .stage_name(stage)
            .action_name(action)
            .token(token)
            .result(
                ApprovalResult::builder()
                    .summary("checked by the test")
                    .status(status)
                    .build()
                    .expect("summary and status set"),
            )
            .send()
            .await
            .expect("put approval result");
    }

    async fn approve(&self, stage: &str, action: &str) {
        let token = self.wait_token(stage, action).await;
        self.answer(stage, action, &token, ApprovalStatus::Approved)
            .await;
    }

    async fn status(&self, execution: &str) -> String {
        self.cp()
            .get_pipeline_execution()
            .pipeline_name(&self.name)
            .pipeline_execution_id(execution)
            .send()
            .await
            .expect("get execution")
            .pipeline_execution()
            .and_then(|e| e.status())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default()
    }

    async fn wait_status(&self, execution: &str, wanted: &str) {
        wait(&format!("execution {execution} {wanted}"), || async {
            (self.status(execution).await == wanted).then_some(())
        })
        .await;
    }

    /// Execution ids, newest first.
    async fn executions(&self) -> Vec<(String, String, String)> {
        self.cp()
            .list_pipeline_executions()
            .pipeline_name(&self.name)
            .send()
            .await
            .expect("executions")
            .pipeline_execution_summaries()
            .iter()
            .map(|e| {
                (
                    e.pipeline_execution_id().unwrap_or_default().to_owned(),
                    e.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    e.trigger()
                        .and_then(|t| t.trigger_type())
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    async fn first_execution(&self) -> String {
        wait("the first execution", || async {
            self.executions().await.last().map(|e| e.0.clone())
        })
        .await
    }

    async fn start(&self) -> String {
        self.cp()
            .start_pipeline_execution()
            .name(&self.name)
            .send()
            .await
            .expect("start")
            .pipeline_execution_id()
            .expect("an id")
            .to_owned()
    }

    async fn actions(&self, execution: &str) -> Vec<ActionExecutionDetail> {
        self.cp()
            .list_action_executions()
            .pipeline_name(&self.name)
            .filter(
                ActionExecutionFilter::builder()
                    .pipeline_execution_id(execution)
                    .build(),
            )
            .send()
            .await
            .expect("action executions")
            .action_execution_details()
            .to_vec()
    }

    async fn cleanup(self) {
        // Deleting a pipeline stops its executions.
        self.cp()
            .delete_pipeline()
            .name(&self.name)
            .send()
            .await
            .expect("delete pipeline");
        for bucket in [&self.artifacts, &self.source] {
            let versions = self
                .c
                .s3
                .list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .expect("versions");
            for v in versions.versions() {
                let mut delete = self
                    .c
                    .s3
                    .delete_object()
                    .bucket(bucket)
                    .key(v.key().expect("a listed version has a key"));
                if let Some(id) = v.version_id() {
                    delete = delete.version_id(id);
                }
                delete.send().await.expect("delete object");
            }
            self.c
                .s3
                .delete_bucket()
                .bucket(bucket)
                .send()
                .await
                .expect("delete bucket");
        }
        delete_role(&self.c, &self.role_name).await;
    }
}

/// Polls `probe` every 50 ms until it answers, for at most 15 s.
async fn wait<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..300 {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn kind(category: ActionCategory, provider: &str) -> ActionTypeId {
    ActionTypeId::builder()
        .category(category)
        .owner(ActionOwner::Aws)
        .provider(provider)
        .version("1")
        .build()
        .expect("every field set")
}

fn s3_source(f: &Fixture) -> ActionDeclaration {
    ActionDeclaration::builder()
        .name("Fetch")
        .action_type_id(kind(ActionCategory::Source, "S3"))
        .run_order(1)
        .namespace("Src")
        .configuration("S3Bucket", &f.source)
        .configuration("S3ObjectKey", "app.zip")
        .configuration("PollForSourceChanges", "false")
        .output_artifacts(OutputArtifact::builder().name("Src").build().expect("name"))
        .build()
        .expect("name and type set")
}

fn approval(name: &str, run_order: i32) -> ActionDeclaration {
    ActionDeclaration::builder()
        .name(name)
        .action_type_id(kind(ActionCategory::Approval, "Manual"))
        .run_order(run_order)
        .configuration("CustomData", "#{variables.Env} at #{Src.VersionId}")
        .build()
        .expect("name and type set")
}

fn stage(name: &str, actions: Vec<ActionDeclaration>) -> StageDeclaration {
    StageDeclaration::builder()
        .name(name)
        .set_actions(Some(actions))
        .build()
        .expect("name and actions set")
}

fn declaration(
    f: &Fixture,
    mode: ExecutionMode,
    stages: Vec<StageDeclaration>,
) -> PipelineDeclaration {
    PipelineDeclaration::builder()
        .name(&f.name)
        .role_arn(&f.role_arn)
        .artifact_store(
            ArtifactStore::builder()
                .r#type(ArtifactStoreType::S3)
                .location(&f.artifacts)
                .build()
                .expect("type and location set"),
        )
        .set_stages(Some(stages))
        .pipeline_type(PipelineType::V2)
        .execution_mode(mode)
        .variables(
            PipelineVariableDeclaration::builder()
                .name("Env")
                .default_value("dev")
                .build()
                .expect("name set"),
        )
        .build()
        .expect("name, role and stages set")
}

/// Source → Gate (one approval) → Ship (one approval).
fn gated(f: &Fixture, mode: ExecutionMode) -> PipelineDeclaration {
    declaration(
        f,
        mode,
        vec![
            stage("Source", vec![s3_source(f)]),
            stage("Gate", vec![approval("Approve", 1)]),
            stage("Ship", vec![approval("Confirm", 1)]),
        ],
    )
}

fn millis(t: Option<&aws_sdk_codepipeline::primitives::DateTime>) -> i64 {
    t.expect("a time").to_millis().expect("in range")
}

fn named<'a>(details: &'a [ActionExecutionDetail], action: &str) -> &'a ActionExecutionDetail {
    details
        .iter()
        .find(|d| d.action_name() == Some(action))
        .unwrap_or_else(|| panic!("no execution of {action}"))
}

fn status_of(detail: &ActionExecutionDetail) -> &str {
    detail.status().map(|s| s.as_str()).unwrap_or_default()
}

#[tokio::test]
async fn create_pipeline_starts_an_execution_and_start_takes_variables_and_revisions() {
    let f = fixture("exec-start").await;
    f.create(gated(&f, ExecutionMode::Parallel)).await;

    // CreatePipeline's own execution reaches the approval with the source's artifact in S3.
    let first = f.first_execution().await;
    assert_eq!(f.executions().await[0].2, "CreatePipeline");
    f.wait_token("Gate", "Approve").await;
    let details = f.actions(&first).await;
    let fetch = named(&details, "Fetch");
    assert_eq!(status_of(fetch), "Succeeded");
    let output = fetch.output().expect("an output");
    let location = output.output_artifacts()[0]
        .s3_location()
        .expect("a location");
    assert_eq!(location.bucket(), Some(f.artifacts.as_str()));
    let key = location.key().expect("a key");
    assert!(key.starts_with(&format!("{}/Src/", &f.name[..20])), "{key}");
    let stored =
        f.c.s3
            .get_object()
            .bucket(&f.artifacts)
            .key(key)
            .send()
            .await
            .expect("the artifact is in the store");
    let body = stored.body.collect().await.expect("body").into_bytes();
    assert_eq!(&body[..], HELLO_ZIP);
    assert_eq!(
        output.output_variables().and_then(|v| v.get("VersionId")),
        Some(&f.first_version)
    );
    let gate = named(&details, "Approve");
    assert_eq!(
        gate.input()
            .and_then(|i| i.resolved_configuration())
            .and_then(|c| c.get("CustomData"))
            .map(String::as_str),
        Some(format!("dev at {}", f.first_version).as_str())
    );

    // StartPipelineExecution with a variable and an older object version.
    let second_version = put_source(&f.c, &f.source, b"not the first").await;
    assert_ne!(second_version, f.first_version);
    let started = f
        .cp()
        .start_pipeline_execution()
        .name(&f.name)
        .variables(
            PipelineVariable::builder()
                .name("Env")
                .value("prod")
                .build()
                .expect("name and value"),
        )
        .source_revisions(
            SourceRevisionOverride::builder()
                .action_name("Fetch")
                .revision_type(SourceRevisionType::S3ObjectVersionId)
                .revision_value(&f.first_version)
                .build()
                .expect("every field"),
        )
        .send()
        .await
        .expect("start")
        .pipeline_execution_id()
        .expect("an id")
        .to_owned();
    let got = wait("the second execution at its approval", || async {
        let details = f.actions(&started).await;
        details
            .iter()
            .any(|d| d.action_name() == Some("Approve"))
            .then_some(details)
    })
    .await;
    assert_eq!(
        named(&got, "Approve")
            .input()
            .and_then(|i| i.resolved_configuration())
            .and_then(|c| c.get("CustomData"))
            .map(String::as_str),
        Some(format!("prod at {}", f.first_version).as_str())
    );
    let execution = f
        .cp()
        .get_pipeline_execution()
        .pipeline_name(&f.name)
        .pipeline_execution_id(&started)
        .send()
        .await
        .expect("get execution");
    let execution = execution.pipeline_execution().expect("an execution");
    assert_eq!(
        execution
            .variables()
            .iter()
            .map(|v| (v.name(), v.resolved_value()))
            .collect::<Vec<_>>(),
        [(Some("Env"), Some("prod"))]
    );
    assert_eq!(
        execution
            .trigger()
            .and_then(|t| t.trigger_type())
            .map(|t| t.as_str()),
        Some("StartPipelineExecution")
    );
    let revisions = execution.artifact_revisions();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].revision_id(), Some(f.first_version.as_str()));

    // AWS refuses a variable the pipeline does not declare.
    assert_eq!(
        code(
            f.cp()
                .start_pipeline_execution()
                .name(&f.name)
                .variables(
                    PipelineVariable::builder()
                        .name("Nope")
                        .value("x")
                        .build()
                        .expect("name and value"),
                )
                .send()
                .await
        ),
        "ValidationException"
    );
    f.cleanup().await;
}

#[tokio::test]
async fn parallel_actions_overlap_and_a_later_run_order_waits_for_them() {
    let f = fixture("exec-order").await;
    f.create(declaration(
        &f,
        ExecutionMode::Superseded,
        vec![
            stage("Source", vec![s3_source(&f)]),
            stage(
                "Review",
                vec![
                    approval("Left", 1),
                    approval("Right", 1),
                    approval("After", 2),
                ],
            ),
        ],
    ))
    .await;
    let execution = f.first_execution().await;
    let left = f.wait_token("Review", "Left").await;
    let right = f.wait_token("Review", "Right").await;
    // Both of run order 1 wait at once; run order 2 has not started.
    assert!(f.token("Review", "After").await.is_none());
    assert!(
        !f.actions(&execution)
            .await
            .iter()
            .any(|d| d.action_name() == Some("After"))
    );
    f.answer("Review", "Left", &left, ApprovalStatus::Approved)
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        f.token("Review", "After").await.is_none(),
        "Right still runs"
    );
    f.answer("Review", "Right", &right, ApprovalStatus::Approved)
        .await;
    f.approve("Review", "After").await;
    f.wait_status(&execution, "Succeeded").await;

    let details = f.actions(&execution).await;
    let (l, r, a) = (
        named(&details, "Left"),
        named(&details, "Right"),
        named(&details, "After"),
    );
    // Left and Right overlap; After started once both had ended.
    assert!(millis(l.start_time()) <= millis(r.last_update_time()));
    assert!(millis(r.start_time()) <= millis(l.last_update_time()));
    assert!(millis(l.last_update_time()) < millis(r.last_update_time()));
    assert!(millis(a.start_time()) >= millis(r.last_update_time()));
    f.cleanup().await;
}

#[tokio::test]
async fn a_rejected_approval_fails_the_execution_skips_later_stages_and_retry_reruns_it() {
    let f = fixture("exec-reject").await;
    f.create(gated(&f, ExecutionMode::Superseded)).await;
    let execution = f.first_execution().await;
    let token = f.wait_token("Gate", "Approve").await;
    assert_eq!(
        code(
            f.cp()
                .put_approval_result()
                .pipeline_name(&f.name)
                .stage_name("Gate")
                .action_name("Approve")
                .token("not-the-token")
                .result(
                    ApprovalResult::builder()
                        .summary("no")
                        .status(ApprovalStatus::Approved)
                        .build()
                        .expect("set"),
                )
                .send()
                .await
        ),
        "InvalidApprovalTokenException"
    );
    f.answer("Gate", "Approve", &token, ApprovalStatus::Rejected)
        .await;
    f.wait_status(&execution, "Failed").await;
    assert_eq!(
        code(
            f.cp()
                .put_approval_result()
                .pipeline_name(&f.name)
                .stage_name("Gate")
                .action_name("Approve")
                .token(&token)
                .result(
                    ApprovalResult::builder()
                        .summary("again")
                        .status(ApprovalStatus::Approved)
                        .build()
                        .expect("set"),
                )
                .send()
                .await
        ),
        "ApprovalAlreadyCompletedException"
    );
    let states = f.state().await;
    assert_eq!(
        states[1].latest_execution().map(|e| e.status().as_str()),
        Some("Failed")
    );
    // The later stage never ran.
    assert!(states[2].latest_execution().is_none());
    let details = f.actions(&execution).await;
    assert!(details.iter().all(|d| d.action_name() != Some("Confirm")));
    assert_eq!(status_of(named(&details, "Approve")), "Failed");

    // A succeeded stage cannot be retried; the failed one is, in place.
    assert_eq!(
        code(
            f.cp()
                .retry_stage_execution()
                .pipeline_name(&f.name)
                .stage_name("Source")
                .pipeline_execution_id(&execution)
                .retry_mode(StageRetryMode::FailedActions)
                .send()
                .await
        ),
        "StageNotRetryableException"
    );
    let retried = f
        .cp()
        .retry_stage_execution()
        .pipeline_name(&f.name)
        .stage_name("Gate")
        .pipeline_execution_id(&execution)
        .retry_mode(StageRetryMode::FailedActions)
        .send()
        .await
        .expect("retry");
    assert_eq!(retried.pipeline_execution_id(), Some(execution.as_str()));
    assert_eq!(f.status(&execution).await, "InProgress");
    f.approve("Gate", "Approve").await;
    f.approve("Ship", "Confirm").await;
    f.wait_status(&execution, "Succeeded").await;
    assert_eq!(
        f.executions().await.len(),
        1,
        "a retry is not a new execution"
    );
    f.cleanup().await;
}

#[tokio::test]
async fn stop_waits_for_running_actions_and_abandon_does_not() {
    let f = fixture("exec-stop").await;
    f.create(gated(&f, ExecutionMode::Superseded)).await;
    let execution = f.first_execution().await;
    f.wait_token("Gate", "Approve").await;
    f.cp()
        .stop_pipeline_execution()
        .pipeline_name(&f.name)
        .pipeline_execution_id(&execution)
        .reason("not today")
        .send()
        .await
        .expect("stop");
    // The approval still waits, so the execution is Stopping.
    assert_eq!(f.status(&execution).await, "Stopping");
    assert_eq!(
        code(
            f.cp()
                .stop_pipeline_execution()
                .pipeline_name(&f.name)
                .pipeline_execution_id(&execution)
                .send()
                .await
        ),
        "DuplicatedStopRequestException"
    );
    f.cp()
        .stop_pipeline_execution()
        .pipeline_name(&f.name)
        .pipeline_execution_id(&execution)
        .abandon(true)
        .send()
        .await
        .expect("stop and abandon");
    assert_eq!(f.status(&execution).await, "Stopped");
    let details = f.actions(&execution).await;
    assert_eq!(status_of(named(&details, "Approve")), "Abandoned");
    let summary = f
        .cp()
        .list_pipeline_executions()
        .pipeline_name(&f.name)
        .send()
        .await
        .expect("executions");
    assert_eq!(
        summary.pipeline_execution_summaries()[0]
            .stop_trigger()
            .and_then(|t| t.reason()),
        Some("not today")
    );
    assert_eq!(
        code(
            f.cp()
                .stop_pipeline_execution()
                .pipeline_name(&f.name)
                .pipeline_execution_id(&execution)
                .send()
                .await
        ),
        "PipelineExecutionNotStoppableException"
    );
    f.cleanup().await;
}

#[tokio::test]
async fn superseded_a_newer_execution_replaces_one_waiting_at_a_locked_stage() {
    let f = fixture("exec-super").await;
    f.create(gated(&f, ExecutionMode::Superseded)).await;
    let first = f.first_execution().await;
    f.wait_token("Gate", "Approve").await; // first holds Gate
    let second = f.start().await;
    wait("second waiting at Gate", || async {
        let states = f.state().await;
        states[1]
            .inbound_execution()
            .filter(|e| e.pipeline_execution_id() == second.as_str())
            .map(|_| ())
    })
    .await;
    let third = f.start().await;
    f.wait_status(&second, "Superseded").await;
    assert_eq!(f.status(&third).await, "InProgress");
    f.approve("Gate", "Approve").await;
    // first moves on to Ship; third enters Gate.
    wait("third at the Gate approval", || async {
        f.actions(&third)
            .await
            .iter()
            .any(|d| d.action_name() == Some("Approve"))
            .then_some(())
    })
    .await;
    assert_eq!(f.status(&first).await, "InProgress");
    f.cleanup().await;
}

#[tokio::test]
async fn queued_executions_wait_their_turn_in_order() {
    let f = fixture("exec-queue").await;
    f.create(gated(&f, ExecutionMode::Queued)).await;
    let first = f.first_execution().await;
    f.wait_token("Gate", "Approve").await;
    let second = f.start().await;
    let third = f.start().await;
    wait("second and third waiting at Gate", || async {
        let states = f.state().await;
        let waiting: Vec<_> = states[1]
            .inbound_executions()
            .iter()
            .map(|e| e.pipeline_execution_id().to_owned())
            .collect();
        (waiting == [second.clone(), third.clone()]).then_some(())
    })
    .await;
    f.approve("Gate", "Approve").await; // first leaves Gate: second, not third, enters
    wait("second at the Gate approval", || async {
        f.actions(&second)
            .await
            .iter()
            .any(|d| d.action_name() == Some("Approve"))
            .then_some(())
    })
    .await;
    assert!(
        !f.actions(&third)
            .await
            .iter()
            .any(|d| d.action_name() == Some("Approve"))
    );
    for id in [&first, &second, &third] {
        assert_eq!(f.status(id).await, "InProgress");
    }
    f.cleanup().await;
}

#[tokio::test]
async fn a_disabled_transition_holds_an_execution_until_enabled() {
    let f = fixture("exec-hold").await;
    f.create(gated(&f, ExecutionMode::Superseded)).await;
    let execution = f.first_execution().await;
    f.cp()
        .disable_stage_transition()
        .pipeline_name(&f.name)
        .stage_name("Ship")
        .transition_type(StageTransitionType::Inbound)
        .reason("change freeze")
        .send()
        .await
        .expect("disable");
    assert_eq!(
        code(
            f.cp()
                .disable_stage_transition()
                .pipeline_name(&f.name)
                .stage_name("Nope")
                .transition_type(StageTransitionType::Inbound)
                .reason("x")
                .send()
                .await
        ),
        "StageNotFoundException"
    );
    f.approve("Gate", "Approve").await;
    wait("the execution held before Ship", || async {
        let states = f.state().await;
        states[2].inbound_execution().is_some().then_some(())
    })
    .await;
    let states = f.state().await;
    let transition = states[2].inbound_transition_state().expect("a transition");
    assert!(!transition.enabled());
    assert_eq!(transition.disabled_reason(), Some("change freeze"));
    assert!(f.token("Ship", "Confirm").await.is_none());
    assert_eq!(f.status(&execution).await, "InProgress");
    f.cp()
        .enable_stage_transition()
        .pipeline_name(&f.name)
        .stage_name("Ship")
        .transition_type(StageTransitionType::Inbound)
        .send()
        .await
        .expect("enable");
    f.approve("Ship", "Confirm").await;
    f.wait_status(&execution, "Succeeded").await;
    f.cleanup().await;
}

#[tokio::test]
async fn a_codebuild_action_starts_a_build_and_a_failed_action_skips_later_stages() {
    use aws_sdk_codebuild::types::{
        ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment,
        ProjectSource, SourceType,
    };
    let f = fixture("exec-build").await;
    let project = unique("exec-build-project");
    f.c.codebuild
        .create_project()
        .name(&project)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::Codepipeline)
                .buildspec("version: 0.2\nphases:\n  build:\n    commands:\n      - true\n")
                .build()
                .expect("type"),
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::Codepipeline)
                .build()
                .expect("type"),
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .expect("set"),
        )
        .service_role(&f.role_arn)
        .send()
        .await
        .expect("create project");
    let build = |name: &str, project: &str| {
        ActionDeclaration::builder()
            .name(name)
            .action_type_id(kind(ActionCategory::Build, "CodeBuild"))
            .run_order(1)
            .configuration("ProjectName", project)
            .configuration(
                "EnvironmentVariables",
                r##"[{"name":"ENV","value":"#{variables.Env}","type":"PLAINTEXT"}]"##,
            )
            .input_artifacts(InputArtifact::builder().name("Src").build().expect("name"))
            .build()
            .expect("set")
    };
    f.create(declaration(
        &f,
        ExecutionMode::Superseded,
        vec![
            stage("Source", vec![s3_source(&f)]),
            stage(
                "Build",
                vec![build("Real", &project), build("Missing", "no-such-project")],
            ),
            stage("Ship", vec![approval("Confirm", 1)]),
        ],
    ))
    .await;
    let execution = f.first_execution().await;
    f.wait_status(&execution, "Failed").await;
    let details = f.actions(&execution).await;
    let real = named(&details, "Real");
    assert_eq!(status_of(real), "Succeeded");
    let build_id = real
        .output()
        .and_then(|o| o.execution_result())
        .and_then(|r| r.external_execution_id())
        .expect("the build id")
        .to_owned();
    assert!(build_id.starts_with(&format!("{project}:")), "{build_id}");
    let builds =
        f.c.codebuild
            .batch_get_builds()
            .ids(&build_id)
            .send()
            .await
            .expect("builds");
    let started = &builds.builds()[0];
    assert_eq!(
        started.initiator(),
        Some(format!("codepipeline/{}", f.name).as_str())
    );
    let env = started
        .environment()
        .map(|e| e.environment_variables().to_vec())
        .unwrap_or_default();
    assert!(
        env.iter().any(|v| v.name() == "ENV" && v.value() == "dev"),
        "{env:?}"
    );
    let missing = named(&details, "Missing");
    assert_eq!(status_of(missing), "Failed");
    let error = missing
        .output()
        .and_then(|o| o.execution_result())
        .and_then(|r| r.error_details())
        .expect("error details");
    assert!(
        error
            .message()
            .unwrap_or_default()
            .contains("no-such-project"),
        "{error:?}"
    );
    // Ship never ran.
    assert!(details.iter().all(|d| d.action_name() != Some("Confirm")));
    assert!(f.state().await[2].latest_execution().is_none());
    f.c.codebuild
        .delete_project()
        .name(&project)
        .send()
        .await
        .expect("delete project");
    f.cleanup().await;
}

/// Runs `git` in `dir` with a fixed identity and no prompt; panics with its output on failure.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=pipewright test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// One file of a ZIP, read with Python's zipfile (Python is already the emulator's requirement).
fn unzip_file(zip: &std::path::Path, name: &str) -> String {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
        ])
        .arg(zip)
        .arg(name)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn a_git_push_starts_the_pipeline_through_its_rule_and_the_source_artifact_holds_the_tree() {
    use aws_sdk_eventbridge::types::{RuleState, Target};

    let f = fixture("exec-push").await;
    let repo = unique("exec-push-repo");
    let rule = unique("exec-push-rule");
    let events_role = unique("exec-push-events");
    let events_role_arn = role(&f.c, &events_role, "events.amazonaws.com").await;
    let created =
        f.c.codecommit
            .create_repository()
            .repository_name(&repo)
            .send()
            .await
            .expect("create repository");
    let metadata = created.repository_metadata().expect("metadata");
    let url = metadata.clone_url_http().expect("a clone URL").to_owned();
    let repo_arn = metadata.arn().expect("an ARN").to_owned();

    let tree = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(&repo);
    std::fs::create_dir_all(&tree).expect("work tree");
    git(&tree, &["init", "-q", "-b", "main"]);
    std::fs::write(tree.join("README.md"), "first\n").expect("write");
    git(&tree, &["add", "README.md"]);
    git(&tree, &["commit", "-q", "-m", "First commit"]);
    git(&tree, &["remote", "add", "origin", &url]);
    git(&tree, &["push", "-q", "origin", "main"]);

    // Source (CodeCommit) → Approve, with the change-detection rule pipewright creates.
    let source = ActionDeclaration::builder()
        .name("Checkout")
        .action_type_id(kind(ActionCategory::Source, "CodeCommit"))
        .run_order(1)
        .namespace("Src")
        .configuration("RepositoryName", &repo)
        .configuration("BranchName", "main")
        .configuration("PollForSourceChanges", "false")
        .output_artifacts(OutputArtifact::builder().name("Src").build().expect("name"))
        .build()
        .expect("set");
    let gate = ActionDeclaration::builder()
        .name("Approve")
        .action_type_id(kind(ActionCategory::Approval, "Manual"))
        .run_order(1)
        .configuration("CustomData", "#{Src.CommitMessage} (#{Src.CommitId})")
        .build()
        .expect("set");
    f.create(declaration(
        &f,
        ExecutionMode::Queued,
        vec![stage("Source", vec![source]), stage("Gate", vec![gate])],
    ))
    .await;
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
    let eb = &f.c.eventbridge;
    eb.put_rule()
        .name(&rule)
        .event_pattern(pattern.to_string())
        .state(RuleState::Enabled)
        .send()
        .await
        .expect("put rule");
    eb.put_targets()
        .rule(&rule)
        .targets(
            Target::builder()
                .id("pipeline")
                .arn(format!(
                    "arn:aws:codepipeline:{}:000000000000:{}",
                    f.c.region(),
                    f.name
                ))
                .role_arn(&events_role_arn)
                .build()
                .expect("id and arn"),
        )
        .send()
        .await
        .expect("put targets");

    // CreatePipeline's execution takes the first commit.
    let first = f.first_execution().await;
    f.wait_token("Gate", "Approve").await;
    f.approve("Gate", "Approve").await;
    f.wait_status(&first, "Succeeded").await;

    std::fs::write(tree.join("README.md"), "second\n").expect("write");
    git(&tree, &["commit", "-q", "-am", "Second commit"]);
    let commit = git(&tree, &["rev-parse", "HEAD"]);
    git(&tree, &["push", "-q", "origin", "main"]);

    let pushed = wait("an execution started by the push", || async {
        f.executions()
            .await
            .into_iter()
            .find(|e| e.2 == "CloudWatchEvent")
            .map(|e| e.0)
    })
    .await;
    let details = wait("the pushed execution at its approval", || async {
        let details = f.actions(&pushed).await;
        details
            .iter()
            .any(|d| d.action_name() == Some("Approve"))
            .then_some(details)
    })
    .await;
    let checkout = named(&details, "Checkout");
    assert_eq!(status_of(checkout), "Succeeded");
    let output = checkout.output().expect("output");
    let variables = output.output_variables().expect("source variables");
    assert_eq!(variables.get("CommitId"), Some(&commit));
    assert_eq!(
        variables.get("CommitMessage").map(String::as_str),
        Some("Second commit")
    );
    assert_eq!(
        variables.get("BranchName").map(String::as_str),
        Some("main")
    );
    assert_eq!(
        named(&details, "Approve")
            .input()
            .and_then(|i| i.resolved_configuration())
            .and_then(|c| c.get("CustomData"))
            .cloned(),
        Some(format!("Second commit ({commit})"))
    );
    let location = output.output_artifacts()[0]
        .s3_location()
        .expect("a location");
    let object =
        f.c.s3
            .get_object()
            .bucket(location.bucket().expect("bucket"))
            .key(location.key().expect("key"))
            .send()
            .await
            .expect("the source artifact");
    let bytes = object.body.collect().await.expect("body").into_bytes();
    let zip = tree.with_extension("zip");
    std::fs::write(&zip, &bytes).expect("write zip");
    assert_eq!(unzip_file(&zip, "README.md"), "second\n");
    let execution = f
        .cp()
        .get_pipeline_execution()
        .pipeline_name(&f.name)
        .pipeline_execution_id(&pushed)
        .send()
        .await
        .expect("get execution");
    assert_eq!(
        execution
            .pipeline_execution()
            .map(|e| e.artifact_revisions().to_vec())
            .unwrap_or_default()
            .iter()
            .map(|r| r.revision_id().unwrap_or_default().to_owned())
            .collect::<Vec<_>>(),
        [commit]
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
    f.c.codecommit
        .delete_repository()
        .repository_name(&repo)
        .send()
        .await
        .expect("delete repository");
    delete_role(&f.c, &events_role).await;
    let _ = std::fs::remove_dir_all(&tree);
    let _ = std::fs::remove_file(&zip);
    f.cleanup().await;
}

#[tokio::test]
async fn an_execution_keeps_its_pipeline_version_through_an_update_and_delete_stops_it() {
    let f = fixture("exec-update").await;
    f.create(gated(&f, ExecutionMode::Superseded)).await;
    let execution = f.first_execution().await;
    f.wait_token("Gate", "Approve").await;
    // Version 2 drops the Ship stage while the first execution waits at Gate.
    let mut shorter = gated(&f, ExecutionMode::Superseded);
    shorter.stages.pop();
    f.cp()
        .update_pipeline()
        .pipeline(shorter)
        .send()
        .await
        .expect("update");
    f.approve("Gate", "Approve").await;
    // The execution still runs version 1, Ship included.
    wait("the first execution at Ship", || async {
        f.actions(&execution)
            .await
            .iter()
            .any(|d| d.action_name() == Some("Confirm") && d.pipeline_version() == Some(1))
            .then_some(())
    })
    .await;
    let second = f.start().await;
    f.approve("Gate", "Approve").await;
    f.wait_status(&second, "Succeeded").await;
    assert!(
        f.actions(&second)
            .await
            .iter()
            .all(|d| d.action_name() != Some("Confirm")),
        "version 2 has no Ship stage"
    );
    assert_eq!(f.status(&execution).await, "InProgress");
    let (cp, name) = (f.cp().clone(), f.name.clone());
    f.cleanup().await;
    // Deleted with its pipeline: nothing of it is left to read.
    assert_eq!(
        code(
            cp.get_pipeline_execution()
                .pipeline_name(&name)
                .pipeline_execution_id(&execution)
                .send()
                .await
        ),
        "PipelineNotFoundException"
    );
}
