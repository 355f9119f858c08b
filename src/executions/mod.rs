//! Pipeline executions: start them, follow them, approve, stop and retry, on AWS and on the
//! bundled emulator alike.
//!
//! Layered like the [`engine`](crate::engine): it talks to AWS through one trait,
//! [`Executions`], implemented over the SDK in
//! [`provider::aws::AwsExecutions`](crate::provider::aws::AwsExecutions) and in memory by
//! [`fake::FakeExecutions`] for tests; it never prints. Values are typed ([`ExecutionId`],
//! [`ExecutionStatus`], [`ApprovalToken`]) rather than JSON, and AWS's open enums keep an
//! `Unknown` arm, as the SDK's own do.
//!
//! Following an execution is a [`Watch`]: ask it for the [next](Watch::next) event, or
//! [wait](Watch::outcome) for the final status. It polls adaptively on tokio's clock (fast while
//! something changes, slower while nothing does, slowest while an approval waits), so tests run
//! with paused time and an overall deadline is the caller's `tokio::time::timeout`.
//!
//! ```no_run
//! # async fn demo(source: std::sync::Arc<dyn pipewright::executions::Executions>) -> Result<(), pipewright::provider::api::ProviderError> {
//! use pipewright::executions::{Follow, StartRequest, Watch, WatchOptions};
//!
//! let id = source.start("shop", &StartRequest::default().variable("Env", "staging")).await?;
//! let mut watch = Watch::new(source, "shop", Follow::Id(id), WatchOptions::default());
//! while let Some(event) = watch.next().await {
//!     println!("{:?}", event?);
//! }
//! # Ok(()) }
//! ```

pub mod fake;
mod logs;
pub mod push;
mod types;
mod watch;

pub use logs::LogCursor;
pub use types::{
    ActionState, ActionStatus, ApprovalToken, Build, BuildPhase, BuildStatus, Decision, Deployment,
    DeploymentOverview, Execution, ExecutionId, ExecutionStatus, ExecutionSummary,
    InstanceProgress, LogFrom, LogLine, LogPage, LogStream, PipelineState, ReportSummary,
    RetryMode, SourceOverride, SourceRevision, StageState, StageStatus, StartRequest,
};
pub(crate) use watch::is_build_id;
pub use watch::{Follow, Watch, WatchEvent, WatchOptions};

pub use push::{GitAuth, GitRemote, PushError, Pushed, push};

use crate::provider::api::{BoxFuture, ProviderError};

/// Reads and drives a pipeline's executions. Implementations must be cheap to share
/// (`Send + Sync`); a watch calls them from its own task.
///
/// Every method maps to one AWS call (`StartPipelineExecution`, `GetPipelineExecution`,
/// `ListPipelineExecutions`, `GetPipelineState`, `PutApprovalResult`, `StopPipelineExecution`,
/// `RetryStageExecution`; for what the actions started, `BatchGetBuilds`, CloudWatch Logs'
/// `GetLogEvents` and `BatchGetReports`), except [`deployment`](Self::deployment), which takes
/// `GetDeployment`, `ListDeploymentTargets` and `BatchGetDeploymentTargets`, and returns AWS's
/// error, classified as the provider's are.
pub trait Executions: Send + Sync {
    /// Starts an execution of `pipeline`; its id.
    ///
    /// # Errors
    /// The AWS error, classified (`PipelineNotFoundException` when the app is not applied).
    fn start<'a>(
        &'a self,
        pipeline: &'a str,
        request: &'a StartRequest,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>>;

    /// One execution.
    ///
    /// # Errors
    /// The AWS error, classified (`PipelineExecutionNotFoundException`).
    fn execution<'a>(
        &'a self,
        pipeline: &'a str,
        id: &'a ExecutionId,
    ) -> BoxFuture<'a, Result<Execution, ProviderError>>;

    /// The most recent executions, newest first, at most `limit` (1 to 100).
    ///
    /// # Errors
    /// The AWS error, classified.
    fn executions<'a>(
        &'a self,
        pipeline: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ExecutionSummary>, ProviderError>>;

    /// The state of every stage and action, as the console shows it.
    ///
    /// # Errors
    /// The AWS error, classified.
    fn state<'a>(
        &'a self,
        pipeline: &'a str,
    ) -> BoxFuture<'a, Result<PipelineState, ProviderError>>;

    /// Approves or rejects the manual approval `stage`/`action` waiting with `token`.
    ///
    /// # Errors
    /// The AWS error, classified (`InvalidApprovalTokenException` for a stale token).
    fn approve<'a>(
        &'a self,
        pipeline: &'a str,
        stage: &'a str,
        action: &'a str,
        token: &'a ApprovalToken,
        decision: Decision,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Stops an execution: lets its running actions finish, or with `abandon` leaves them.
    ///
    /// # Errors
    /// The AWS error, classified.
    fn stop<'a>(
        &'a self,
        pipeline: &'a str,
        id: &'a ExecutionId,
        abandon: bool,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Retries a failed stage of an execution; the execution's id (AWS keeps it).
    ///
    /// # Errors
    /// The AWS error, classified (`StageNotRetryableException`).
    fn retry_stage<'a>(
        &'a self,
        pipeline: &'a str,
        id: &'a ExecutionId,
        stage: &'a str,
        mode: RetryMode,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>>;

    /// Where `git` pushes to a CodeCommit repository, and with which credentials: its
    /// `cloneUrlHttp`, signed for AWS's git endpoint or bare for the emulator.
    ///
    /// # Errors
    /// The AWS error, classified (`RepositoryDoesNotExistException` when the app is not
    /// applied).
    fn git_remote<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<GitRemote, ProviderError>>;

    /// The CodeBuild build `id` (`<project>:<uuid>`, an action's external id): status, phases,
    /// log stream and reports (`BatchGetBuilds`).
    ///
    /// # Errors
    /// The AWS error, classified; `ResourceNotFoundException` when CodeBuild lists the id
    /// under `buildsNotFound`.
    fn build<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Build, ProviderError>>;

    /// One page of a build's log (`GetLogEvents`, oldest first). Read on with the page's
    /// [`next`](LogPage::next) token; a page whose token is the one sent means nothing more yet.
    /// [`LogCursor`] does that bookkeeping.
    ///
    /// # Errors
    /// The AWS error, classified (`ResourceNotFoundException` while the stream does not exist).
    fn log_events<'a>(
        &'a self,
        log: &'a LogStream,
        from: &'a LogFrom,
    ) -> BoxFuture<'a, Result<LogPage, ProviderError>>;

    /// The test reports `arns` (a build's [`report_arns`](Build::report_arns)), with their
    /// totals by status (`BatchGetReports`, up to 100 at once).
    ///
    /// # Errors
    /// The AWS error, classified.
    fn reports<'a>(
        &'a self,
        arns: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<ReportSummary>, ProviderError>>;

    /// The CodeDeploy deployment `id` (`d-...`, an action's external id): its status, instance
    /// counts, and each instance's status and lifecycle events.
    ///
    /// # Errors
    /// The AWS error, classified (`DeploymentDoesNotExistException`).
    fn deployment<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Deployment, ProviderError>>;
}
