//! An in-memory [`Executions`] for tests: one pipeline whose execution follows a script on
//! tokio's clock, and a record of every call.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::{
    ApprovalToken, Decision, Execution, ExecutionId, ExecutionStatus, ExecutionSummary, Executions,
    GitRemote, PipelineState, RetryMode, SourceRevision, StartRequest,
};
use crate::provider::api::{BoxFuture, ErrorClass, ProviderError};

/// One step of a script: from `at` (since the fake was made) the execution has this status and
/// the pipeline this state.
#[derive(Debug, Clone)]
pub struct Step {
    /// When the step begins, on tokio's clock.
    pub at: Duration,
    /// The execution's status.
    pub status: ExecutionStatus,
    /// The pipeline's state.
    pub state: PipelineState,
}

/// A call the fake received, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Call {
    /// `start`, with its request.
    Start(StartRequest),
    /// `execution`.
    Execution,
    /// `executions`.
    Executions,
    /// `state`.
    State,
    /// `approve`: stage, action, decision, comment.
    Approve(String, String, Decision, String),
    /// `stop`: abandon or not.
    Stop(bool),
    /// `retry_stage`: stage and mode.
    Retry(String, RetryMode),
}

/// An in-memory pipeline with one scripted execution.
#[derive(Debug)]
pub struct FakeExecutions {
    pipeline: String,
    id: ExecutionId,
    origin: Instant,
    steps: Vec<Step>,
    calls: Mutex<Vec<Call>>,
    failures: Mutex<u32>,
    remote: Option<GitRemote>,
    commit: Option<(Duration, String)>,
}

impl FakeExecutions {
    /// A pipeline whose execution `id` goes through `steps` (sorted by time; the first should be
    /// at zero).
    #[must_use]
    pub fn scripted(pipeline: &str, id: &str, steps: Vec<Step>) -> Self {
        Self {
            pipeline: pipeline.into(),
            id: ExecutionId::new(id),
            origin: Instant::now(),
            steps,
            calls: Mutex::default(),
            failures: Mutex::new(0),
            remote: None,
            commit: None,
        }
    }

    /// Lists the execution as running `commit` from `at` on (before that it is not listed, as
    /// an execution a push's event has not started yet).
    #[must_use]
    pub fn runs_commit(mut self, at: Duration, commit: &str) -> Self {
        self.commit = Some((at, commit.into()));
        self
    }

    /// Answers [`Executions::git_remote`] with `remote` (such as a local bare repository).
    #[must_use]
    pub fn with_remote(mut self, remote: GitRemote) -> Self {
        self.remote = Some(remote);
        self
    }

    /// Makes the next `n` reads fail with a throttling error, as a busy control plane does.
    pub fn throttle_next(&self, n: u32) {
        *self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = n;
    }

    /// Every call so far.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn record(&self, call: Call) {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(call);
    }

    fn read(&self, call: Call, pipeline: &str) -> Result<&Step, ProviderError> {
        self.record(call);
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *failures > 0 {
            *failures -= 1;
            return Err(ProviderError::new(
                ErrorClass::Throttled,
                "ThrottlingException",
                "Rate exceeded",
            ));
        }
        if pipeline != self.pipeline {
            return Err(ProviderError::other(
                "PipelineNotFoundException",
                format!("Account does not have a pipeline with name '{pipeline}'"),
            ));
        }
        let elapsed = self.origin.elapsed();
        self.steps
            .iter()
            .take_while(|s| s.at <= elapsed)
            .last()
            .ok_or_else(|| ProviderError::other("PipelineExecutionNotFoundException", "not yet"))
    }

    fn current_token(&self, stage: &str, action: &str) -> Option<ApprovalToken> {
        let step = self.read(Call::State, &self.pipeline).ok()?;
        step.state
            .stages
            .iter()
            .find(|s| s.name == stage)?
            .actions
            .iter()
            .find(|a| a.name == action)?
            .token
            .clone()
    }
}

impl Executions for FakeExecutions {
    fn start<'a>(
        &'a self,
        pipeline: &'a str,
        request: &'a StartRequest,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>> {
        self.record(Call::Start(request.clone()));
        let answer = if pipeline == self.pipeline {
            Ok(self.id.clone())
        } else {
            Err(ProviderError::other("PipelineNotFoundException", pipeline))
        };
        Box::pin(std::future::ready(answer))
    }

    fn execution<'a>(
        &'a self,
        pipeline: &'a str,
        id: &'a ExecutionId,
    ) -> BoxFuture<'a, Result<Execution, ProviderError>> {
        let answer = self.read(Call::Execution, pipeline).and_then(|step| {
            if *id != self.id {
                return Err(ProviderError::other(
                    "PipelineExecutionNotFoundException",
                    format!("no execution {id}"),
                ));
            }
            Ok(Execution {
                id: id.clone(),
                status: step.status.clone(),
                status_summary: None,
                trigger: Some("StartPipelineExecution".into()),
                revisions: Vec::new(),
                variables: Vec::new(),
            })
        });
        Box::pin(std::future::ready(answer))
    }

    fn executions<'a>(
        &'a self,
        pipeline: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ExecutionSummary>, ProviderError>> {
        let answer = self.read(Call::Executions, pipeline).map(|step| {
            let revisions = match &self.commit {
                Some((at, _)) if self.origin.elapsed() < *at => return Vec::new(),
                Some((_, commit)) => vec![SourceRevision {
                    action: "Checkout".into(),
                    revision_id: Some(commit.clone()),
                    summary: None,
                }],
                None => Vec::new(),
            };
            vec![ExecutionSummary {
                id: self.id.clone(),
                status: step.status.clone(),
                trigger: Some("StartPipelineExecution".into()),
                source_revisions: revisions,
                started: None,
                updated: None,
            }]
            .into_iter()
            .take(limit)
            .collect()
        });
        Box::pin(std::future::ready(answer))
    }

    fn state<'a>(
        &'a self,
        pipeline: &'a str,
    ) -> BoxFuture<'a, Result<PipelineState, ProviderError>> {
        let answer = self.read(Call::State, pipeline).map(|s| s.state.clone());
        Box::pin(std::future::ready(answer))
    }

    fn approve<'a>(
        &'a self,
        _pipeline: &'a str,
        stage: &'a str,
        action: &'a str,
        token: &'a ApprovalToken,
        decision: Decision,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        let current = self.current_token(stage, action);
        self.record(Call::Approve(
            stage.into(),
            action.into(),
            decision,
            comment.into(),
        ));
        let answer = if current.as_ref() == Some(token) {
            Ok(())
        } else {
            // As CodePipeline: only the token of the approval waiting now is accepted.
            Err(ProviderError::other(
                "InvalidApprovalTokenException",
                "The approval action has no valid token",
            ))
        };
        Box::pin(std::future::ready(answer))
    }

    fn stop<'a>(
        &'a self,
        _pipeline: &'a str,
        _id: &'a ExecutionId,
        abandon: bool,
        _reason: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.record(Call::Stop(abandon));
        Box::pin(std::future::ready(Ok(())))
    }

    fn retry_stage<'a>(
        &'a self,
        _pipeline: &'a str,
        id: &'a ExecutionId,
        stage: &'a str,
        mode: RetryMode,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>> {
        self.record(Call::Retry(stage.into(), mode));
        Box::pin(std::future::ready(Ok(id.clone())))
    }

    fn git_remote<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<GitRemote, ProviderError>> {
        let answer = self.remote.clone().ok_or_else(|| {
            ProviderError::other(
                "RepositoryDoesNotExistException",
                format!("{repository} does not exist"),
            )
        });
        Box::pin(std::future::ready(answer))
    }
}
