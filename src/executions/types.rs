//! The typed values executions speak in.

use std::fmt;
use std::time::SystemTime;

/// Declares an open AWS enum: the documented values, plus `Unknown` for any value AWS adds
/// later (as the SDK's own enums do), with the wire text both ways.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of pipewright does not know.
            Unknown(String),
        }

        impl $name {
            /// The value as AWS writes it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(s) => s,
                }
            }

            /// The value AWS wrote.
            #[must_use]
            pub fn from_aws(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_enum!(
    /// The status of a pipeline execution (`PipelineExecutionStatus`).
    ExecutionStatus {
        /// Running.
        InProgress = "InProgress",
        /// Being stopped: running actions finish first.
        Stopping = "Stopping",
        /// Stopped.
        Stopped = "Stopped",
        /// Every stage succeeded.
        Succeeded = "Succeeded",
        /// A newer execution took its place (SUPERSEDED mode).
        Superseded = "Superseded",
        /// An action failed.
        Failed = "Failed",
        /// Cancelled because the pipeline changed while it waited.
        Cancelled = "Cancelled",
    }
);

impl ExecutionStatus {
    /// Whether the execution has ended (nothing more will change).
    #[must_use]
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Stopped | Self::Succeeded | Self::Superseded | Self::Failed | Self::Cancelled
        )
    }
}

open_enum!(
    /// The status of a stage's latest execution (`StageExecutionStatus`).
    StageStatus {
        /// Running.
        InProgress = "InProgress",
        /// Every action succeeded.
        Succeeded = "Succeeded",
        /// An action failed.
        Failed = "Failed",
        /// Stopped with the execution.
        Stopped = "Stopped",
        /// Being stopped.
        Stopping = "Stopping",
        /// Cancelled.
        Cancelled = "Cancelled",
        /// Skipped (a condition's result).
        Skipped = "Skipped",
    }
);

open_enum!(
    /// The status of an action's latest execution (`ActionExecutionStatus`).
    ActionStatus {
        /// Running, or waiting (a manual approval waits in progress).
        InProgress = "InProgress",
        /// Abandoned by a stop with `abandon`.
        Abandoned = "Abandoned",
        /// Succeeded.
        Succeeded = "Succeeded",
        /// Failed.
        Failed = "Failed",
    }
);

/// A pipeline execution's id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExecutionId(String);

impl ExecutionId {
    /// The id AWS gave.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl AsRef<str> for ExecutionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The token of a manual approval waiting for an answer. Only the current token is accepted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApprovalToken(String);

impl ApprovalToken {
    /// The token AWS gave.
    #[must_use]
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

impl AsRef<str> for ApprovalToken {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// Not a secret, but a capability to approve: shown only where a caller prints it on purpose.
impl fmt::Debug for ApprovalToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApprovalToken(..)")
    }
}

/// The answer to a manual approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Approved: the execution goes on.
    Approve,
    /// Rejected: the action, its stage and the execution fail.
    Reject,
}

/// How a failed stage is retried (`StageRetryMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Only the actions that failed.
    FailedActions,
    /// Every action of the stage.
    AllActions,
}

/// A source revision to run instead of the latest (`SourceRevisionOverride`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOverride {
    /// The source action's name.
    pub action: String,
    /// `COMMIT_ID`, `IMAGE_DIGEST`, `S3_OBJECT_VERSION_ID` or `S3_OBJECT_KEY`.
    pub revision_type: String,
    /// The revision, such as a commit id.
    pub value: String,
}

/// What to start an execution with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct StartRequest {
    /// Pipeline-level variables (V2 pipelines), by name.
    pub variables: Vec<(String, String)>,
    /// Source revisions to use instead of the latest.
    pub source_revisions: Vec<SourceOverride>,
}

impl StartRequest {
    /// Adds a pipeline variable.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }

    /// Runs `action` on a given commit instead of the branch's latest.
    pub fn commit(mut self, action: impl Into<String>, commit_id: impl Into<String>) -> Self {
        self.source_revisions.push(SourceOverride {
            action: action.into(),
            revision_type: "COMMIT_ID".into(),
            value: commit_id.into(),
        });
        self
    }
}

/// A source revision an execution runs (`SourceRevision` / `ArtifactRevision`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRevision {
    /// The source action's name (or the artifact's, for an artifact revision).
    pub action: String,
    /// The revision id, such as a commit id.
    pub revision_id: Option<String>,
    /// Its summary, such as a commit message.
    pub summary: Option<String>,
}

/// One execution, as `GetPipelineExecution` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// Its id.
    pub id: ExecutionId,
    /// Its status.
    pub status: ExecutionStatus,
    /// Why it has that status, when AWS says.
    pub status_summary: Option<String>,
    /// What started it (`CreatePipeline`, `StartPipelineExecution`, `CloudWatchEvent`, ...).
    pub trigger: Option<String>,
    /// The revisions of its source artifacts.
    pub revisions: Vec<SourceRevision>,
    /// Its variables, resolved.
    pub variables: Vec<(String, String)>,
}

/// An execution in a list (`PipelineExecutionSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionSummary {
    /// Its id.
    pub id: ExecutionId,
    /// Its status.
    pub status: ExecutionStatus,
    /// What started it.
    pub trigger: Option<String>,
    /// Its source revisions.
    pub source_revisions: Vec<SourceRevision>,
    /// When it started.
    pub started: Option<SystemTime>,
    /// When it last changed.
    pub updated: Option<SystemTime>,
}

/// An action's latest execution in a pipeline's state (`ActionState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionState {
    /// The action's name.
    pub name: String,
    /// Its latest execution's status, `None` before it ever ran.
    pub status: Option<ActionStatus>,
    /// AWS's summary (a build's phase, an approval's comment).
    pub summary: Option<String>,
    /// The id of the work it started (a build id, a deployment id).
    pub external_id: Option<String>,
    /// A link to that work.
    pub external_url: Option<String>,
    /// The approval token, while a manual approval waits.
    pub token: Option<ApprovalToken>,
    /// The error, when it failed.
    pub error: Option<String>,
}

/// A stage's state (`StageState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageState {
    /// The stage's name.
    pub name: String,
    /// The execution its latest run belongs to.
    pub execution: Option<ExecutionId>,
    /// That run's status.
    pub status: Option<StageStatus>,
    /// Whether executions may enter it (`false` while its inbound transition is disabled).
    pub inbound_enabled: bool,
    /// Its actions, in the pipeline's order.
    pub actions: Vec<ActionState>,
}

/// A pipeline's state: every stage, in order (`GetPipelineState`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PipelineState {
    /// The stages.
    pub stages: Vec<StageState>,
}

open_enum!(
    /// The status of a CodeBuild build (`StatusType` of `BatchGetBuilds`' `buildStatus`).
    BuildStatus {
        /// Succeeded.
        Succeeded = "SUCCEEDED",
        /// A command or phase failed.
        Failed = "FAILED",
        /// CodeBuild itself failed.
        Fault = "FAULT",
        /// Ran past `timeoutInMinutes`.
        TimedOut = "TIMED_OUT",
        /// Running.
        InProgress = "IN_PROGRESS",
        /// Stopped.
        Stopped = "STOPPED",
    }
);

impl BuildStatus {
    /// Whether the build has ended.
    #[must_use]
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::InProgress | Self::Unknown(_))
    }
}

/// One phase of a build (`BuildPhase`): `SUBMITTED`, `QUEUED`, ..., `BUILD`, ..., `COMPLETED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPhase {
    /// The phase (`phaseType`).
    pub name: String,
    /// How it ended (`phaseStatus`: `SUCCEEDED`, `FAILED`, ...), `None` while it runs.
    pub status: Option<String>,
    /// Why it ended so, as `STATUS_CODE: message` (`contexts`): for a failed command,
    /// `COMMAND_EXECUTION_ERROR: Error while executing command: <command>. Reason: ...`.
    pub contexts: Vec<String>,
    /// How long it took, once it ended (`durationInSeconds`).
    pub seconds: Option<i64>,
}

/// Where a build's log is (`LogsLocation`): a CloudWatch Logs stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogStream {
    /// The log group (`/aws/codebuild/<project>` unless the project says otherwise).
    pub group: String,
    /// The stream (the build id's uuid).
    pub stream: String,
    /// A link to the log in the console, when AWS gives one.
    pub deep_link: Option<String>,
}

/// A CodeBuild build, as `BatchGetBuilds` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// Its id, `<project>:<uuid>`.
    pub id: String,
    /// Its status.
    pub status: BuildStatus,
    /// The phase it is in (`currentPhase`).
    pub current_phase: Option<String>,
    /// Its phases so far, in order.
    pub phases: Vec<BuildPhase>,
    /// Its log, once CodeBuild has made the stream.
    pub log: Option<LogStream>,
    /// Its test and coverage reports (`reportArns`).
    pub report_arns: Vec<String>,
}

impl Build {
    /// The first failed phase and the context AWS gives for it (the failing command, for a
    /// command that failed).
    #[must_use]
    pub fn failure(&self) -> Option<&BuildPhase> {
        self.phases.iter().find(|p| {
            p.status
                .as_deref()
                .is_some_and(|s| !matches!(s, "SUCCEEDED" | "SKIPPED" | ""))
        })
    }
}

/// Where a read of a log starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFrom {
    /// From the first event (`startFromHead`).
    Start,
    /// After the events already read: the `nextForwardToken` of the previous page.
    Token(String),
    /// The last `n` events only (the log's tail).
    Tail(u32),
}

/// One event of a log (`OutputLogEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was logged, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The line, without its trailing newline.
    pub message: String,
}

/// One page of a log (`GetLogEvents`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage {
    /// Its events, oldest first.
    pub lines: Vec<LogLine>,
    /// The token that reads on after them (`nextForwardToken`). AWS gives back the token it was
    /// sent when there is nothing more yet.
    pub next: Option<String>,
}

/// A test report's totals (`BatchGetReports`' `testSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSummary {
    /// The report's ARN.
    pub arn: String,
    /// Its status (`GENERATING`, `SUCCEEDED`, `FAILED`, `INCOMPLETE`, `DELETING`).
    pub status: String,
    /// How many test cases.
    pub total: i64,
    /// How many per status (`SUCCEEDED`, `FAILED`, `SKIPPED`, ...), sorted by status.
    pub by_status: Vec<(String, i64)>,
}

/// A CodeDeploy deployment's instance counts (`deploymentOverview`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeploymentOverview {
    /// Instances waiting.
    pub pending: i64,
    /// Instances being deployed to.
    pub in_progress: i64,
    /// Instances done.
    pub succeeded: i64,
    /// Instances failed.
    pub failed: i64,
    /// Instances skipped.
    pub skipped: i64,
    /// Instances ready (blue/green).
    pub ready: i64,
}

/// One instance of a deployment (`InstanceTarget` of `BatchGetDeploymentTargets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProgress {
    /// The instance (`targetId`).
    pub id: String,
    /// Its status (`Pending`, `InProgress`, `Succeeded`, `Failed`, `Skipped`, `Unknown`, `Ready`).
    pub status: String,
    /// Its lifecycle events in order, as (`lifecycleEventName`, `status`).
    pub events: Vec<(String, String)>,
}

impl InstanceProgress {
    /// The lifecycle event it is at: the one running, else the last that ended, else none.
    #[must_use]
    pub fn current_event(&self) -> Option<&(String, String)> {
        self.events
            .iter()
            .find(|(_, s)| s == "InProgress")
            .or_else(|| self.events.iter().rev().find(|(_, s)| s != "Pending"))
    }
}

/// A CodeDeploy deployment: `GetDeployment`, then its instances (`ListDeploymentTargets`,
/// `BatchGetDeploymentTargets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Its id, `d-` and 9 characters.
    pub id: String,
    /// Its status (`Created`, `Queued`, `InProgress`, `Baking`, `Succeeded`, `Failed`, `Stopped`,
    /// `Ready`).
    pub status: String,
    /// Its instance counts.
    pub overview: DeploymentOverview,
    /// Why it failed (`errorInformation`, as `CODE: message`).
    pub error: Option<String>,
    /// Its instances, sorted by id.
    pub instances: Vec<InstanceProgress>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_and_write_aws_words_and_keep_unknown_ones() {
        for s in [
            "InProgress",
            "Stopping",
            "Stopped",
            "Succeeded",
            "Superseded",
            "Failed",
        ] {
            assert_eq!(ExecutionStatus::from_aws(s).as_str(), s);
            assert!(!matches!(
                ExecutionStatus::from_aws(s),
                ExecutionStatus::Unknown(_)
            ));
        }
        let later = ExecutionStatus::from_aws("Paused");
        assert_eq!(later, ExecutionStatus::Unknown("Paused".into()));
        assert_eq!(later.to_string(), "Paused");
        assert!(!later.is_final());
        assert!(ExecutionStatus::Superseded.is_final());
        assert!(!ExecutionStatus::Stopping.is_final());
        assert_eq!(ActionStatus::from_aws("Abandoned"), ActionStatus::Abandoned);
        assert_eq!(StageStatus::from_aws("Skipped"), StageStatus::Skipped);
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let t = ApprovalToken::new("0f7e-secret-ish");
        assert_eq!(format!("{t:?}"), "ApprovalToken(..)");
        assert_eq!(t.as_ref(), "0f7e-secret-ish");
    }

    #[test]
    fn a_start_request_collects_variables_and_commits() {
        let r = StartRequest::default()
            .variable("Env", "prod")
            .commit("Checkout", "abc123");
        assert_eq!(r.variables, vec![("Env".to_owned(), "prod".to_owned())]);
        assert_eq!(r.source_revisions[0].revision_type, "COMMIT_ID");
    }
}
