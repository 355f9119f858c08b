//! An in-memory [`Executions`] for tests: one pipeline whose execution follows a script on
//! tokio's clock, and a record of every call.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::{
    ApprovalToken, Build, Decision, Deployment, Execution, ExecutionId, ExecutionStatus,
    ExecutionSummary, Executions, GitRemote, LogFrom, LogLine, LogPage, LogStream, PipelineState,
    ReportSummary, RetryMode, SourceRevision, StartRequest,
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
    /// `build`, with the build id.
    Build(String),
    /// `log_events`, with where it read from.
    LogEvents(LogFrom),
    /// `reports`, with how many.
    Reports(usize),
    /// `deployment`, with its id.
    Deployment(String),
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
    builds: Vec<(Duration, Build)>,
    log: Vec<(Duration, LogLine)>,
    page_size: usize,
    reports: Vec<ReportSummary>,
    deployments: Vec<(Duration, Deployment)>,
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
            builds: Vec::new(),
            log: Vec::new(),
            page_size: 10_000,
            reports: Vec::new(),
            deployments: Vec::new(),
        }
    }

    /// From `at` on, [`Executions::build`] of `build.id` answers `build` (the latest step at
    /// or before the time asked wins; steps in time order).
    #[must_use]
    pub fn build_at(mut self, at: Duration, build: Build) -> Self {
        self.builds.push((at, build));
        self
    }

    /// The build log (any stream asked for): each line appears at its time.
    #[must_use]
    pub fn log_lines(mut self, lines: Vec<(Duration, LogLine)>) -> Self {
        self.log = lines;
        self
    }

    /// At most `n` events a page (AWS's limit is 10,000 or 1 MB), to test paging.
    #[must_use]
    pub fn log_page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// What [`Executions::reports`] answers for any ARN among these reports'.
    #[must_use]
    pub fn with_reports(mut self, reports: Vec<ReportSummary>) -> Self {
        self.reports = reports;
        self
    }

    /// From `at` on, [`Executions::deployment`] of `deployment.id` answers `deployment`.
    #[must_use]
    pub fn deployment_at(mut self, at: Duration, deployment: Deployment) -> Self {
        self.deployments.push((at, deployment));
        self
    }

    fn visible_log(&self) -> Vec<&LogLine> {
        let now = self.origin.elapsed();
        self.log
            .iter()
            .filter(|(at, _)| *at <= now)
            .map(|(_, l)| l)
            .collect()
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

    fn build<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Build, ProviderError>> {
        self.record(Call::Build(id.into()));
        let now = self.origin.elapsed();
        let answer = self
            .builds
            .iter()
            .rfind(|(at, b)| *at <= now && b.id == id)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorClass::NotFound,
                    "ResourceNotFoundException",
                    format!("build {id} not found"),
                )
            });
        Box::pin(std::future::ready(answer))
    }

    fn log_events<'a>(
        &'a self,
        _log: &'a LogStream,
        from: &'a LogFrom,
    ) -> BoxFuture<'a, Result<LogPage, ProviderError>> {
        self.record(Call::LogEvents(from.clone()));
        let lines = self.visible_log();
        // Tokens are `f/<index of the next event>`, and the same token comes back when there
        // is nothing after it, as AWS's `nextForwardToken` does.
        let answer = match from {
            LogFrom::Tail(n) => {
                let n = usize::try_from(*n).unwrap_or(usize::MAX);
                let start = lines.len().saturating_sub(n);
                Ok(LogPage {
                    lines: lines[start..].iter().map(|l| (*l).clone()).collect(),
                    next: Some(format!("f/{}", lines.len())),
                })
            }
            LogFrom::Start | LogFrom::Token(_) => {
                let start = match from {
                    LogFrom::Token(t) => t
                        .strip_prefix("f/")
                        .and_then(|i| i.parse::<usize>().ok())
                        .ok_or_else(|| {
                            ProviderError::other(
                                "InvalidParameterException",
                                "The specified nextToken is invalid.",
                            )
                        }),
                    _ => Ok(0),
                };
                start.map(|start| {
                    let start = start.min(lines.len());
                    let end = (start + self.page_size).min(lines.len());
                    LogPage {
                        lines: lines[start..end].iter().map(|l| (*l).clone()).collect(),
                        next: Some(format!("f/{end}")),
                    }
                })
            }
        };
        Box::pin(std::future::ready(answer))
    }

    fn reports<'a>(
        &'a self,
        arns: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<ReportSummary>, ProviderError>> {
        self.record(Call::Reports(arns.len()));
        let answer = self
            .reports
            .iter()
            .filter(|r| arns.contains(&r.arn))
            .cloned()
            .collect();
        Box::pin(std::future::ready(Ok(answer)))
    }

    fn deployment<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Deployment, ProviderError>> {
        self.record(Call::Deployment(id.into()));
        let now = self.origin.elapsed();
        let answer = self
            .deployments
            .iter()
            .rfind(|(at, d)| *at <= now && d.id == id)
            .map(|(_, d)| d.clone())
            .ok_or_else(|| {
                ProviderError::other(
                    "DeploymentDoesNotExistException",
                    format!("The deployment {id} could not be found."),
                )
            });
        Box::pin(std::future::ready(answer))
    }
}
