//! [`AwsExecutions`]: the [`Executions`] trait on CodePipeline's execution API.

use std::time::SystemTime;

use aws_sdk_codepipeline::types::{
    ApprovalResult, ApprovalStatus, PipelineVariable, SourceRevisionOverride, SourceRevisionType,
    StageRetryMode,
};

use aws_sdk_codecommit::config::ProvideCredentials;

use super::Clients;
use super::common::{build_error, sdk_error};
use crate::executions::push;
use crate::executions::{
    ActionState, ActionStatus, ApprovalToken, Build, BuildPhase, BuildStatus, Decision, Deployment,
    DeploymentOverview, Execution, ExecutionId, ExecutionStatus, ExecutionSummary, Executions,
    GitAuth, GitRemote, InstanceProgress, LogFrom, LogLine, LogPage, LogStream, PipelineState,
    ReportSummary, RetryMode, SourceRevision, StageState, StageStatus, StartRequest,
};
use crate::provider::api::ErrorClass;
use crate::provider::api::{BoxFuture, ProviderError};

/// Pipeline executions through the SDK, on AWS or on the bundled emulator alike.
#[derive(Debug, Clone)]
pub struct AwsExecutions {
    clients: Clients,
}

impl AwsExecutions {
    /// Executions through these clients.
    #[must_use]
    pub fn new(clients: Clients) -> Self {
        Self { clients }
    }
}

fn time(t: Option<&aws_sdk_codepipeline::primitives::DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

fn status(s: Option<&aws_sdk_codepipeline::types::PipelineExecutionStatus>) -> ExecutionStatus {
    ExecutionStatus::from_aws(s.map_or("", |s| s.as_str()))
}

impl Executions for AwsExecutions {
    fn start<'a>(
        &'a self,
        pipeline: &'a str,
        request: &'a StartRequest,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>> {
        Box::pin(async move {
            let mut call = self
                .clients
                .codepipeline
                .start_pipeline_execution()
                .name(pipeline);
            for (name, value) in &request.variables {
                call = call.variables(
                    PipelineVariable::builder()
                        .name(name)
                        .value(value)
                        .build()
                        .map_err(build_error)?,
                );
            }
            for o in &request.source_revisions {
                call = call.source_revisions(
                    SourceRevisionOverride::builder()
                        .action_name(&o.action)
                        .revision_type(SourceRevisionType::from(o.revision_type.as_str()))
                        .revision_value(&o.value)
                        .build()
                        .map_err(build_error)?,
                );
            }
            let out = call.send().await.map_err(sdk_error)?;
            out.pipeline_execution_id()
                .map(ExecutionId::new)
                .ok_or_else(|| ProviderError::other("InvalidResponse", "no execution id"))
        })
    }

    fn execution<'a>(
        &'a self,
        pipeline: &'a str,
        id: &'a ExecutionId,
    ) -> BoxFuture<'a, Result<Execution, ProviderError>> {
        Box::pin(async move {
            let out = self
                .clients
                .codepipeline
                .get_pipeline_execution()
                .pipeline_name(pipeline)
                .pipeline_execution_id(id.as_ref())
                .send()
                .await
                .map_err(sdk_error)?;
            let e = out
                .pipeline_execution()
                .ok_or_else(|| ProviderError::other("InvalidResponse", "no execution"))?;
            Ok(Execution {
                id: id.clone(),
                status: status(e.status()),
                status_summary: e.status_summary().map(str::to_owned),
                trigger: e
                    .trigger()
                    .and_then(|t| t.trigger_type())
                    .map(|t| t.as_str().to_owned()),
                revisions: e
                    .artifact_revisions()
                    .iter()
                    .map(|r| SourceRevision {
                        action: r.name().unwrap_or_default().to_owned(),
                        revision_id: r.revision_id().map(str::to_owned),
                        summary: r.revision_summary().map(str::to_owned),
                    })
                    .collect(),
                variables: e
                    .variables()
                    .iter()
                    .filter_map(|v| Some((v.name()?.to_owned(), v.resolved_value()?.to_owned())))
                    .collect(),
            })
        })
    }

    fn executions<'a>(
        &'a self,
        pipeline: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<ExecutionSummary>, ProviderError>> {
        Box::pin(async move {
            // One page holds up to 100, the most a caller may ask for.
            let limit = limit.clamp(1, 100);
            let out = self
                .clients
                .codepipeline
                .list_pipeline_executions()
                .pipeline_name(pipeline)
                .max_results(i32::try_from(limit).unwrap_or(100))
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(out
                .pipeline_execution_summaries()
                .iter()
                .filter_map(|s| {
                    Some(ExecutionSummary {
                        id: ExecutionId::new(s.pipeline_execution_id()?),
                        status: status(s.status()),
                        trigger: s
                            .trigger()
                            .and_then(|t| t.trigger_type())
                            .map(|t| t.as_str().to_owned()),
                        source_revisions: s
                            .source_revisions()
                            .iter()
                            .map(|r| SourceRevision {
                                action: r.action_name().to_owned(),
                                revision_id: r.revision_id().map(str::to_owned),
                                summary: r.revision_summary().map(str::to_owned),
                            })
                            .collect(),
                        started: time(s.start_time()),
                        updated: time(s.last_update_time()),
                    })
                })
                .take(limit)
                .collect())
        })
    }

    fn state<'a>(
        &'a self,
        pipeline: &'a str,
    ) -> BoxFuture<'a, Result<PipelineState, ProviderError>> {
        Box::pin(async move {
            let out = self
                .clients
                .codepipeline
                .get_pipeline_state()
                .name(pipeline)
                .send()
                .await
                .map_err(sdk_error)?;
            let stages = out
                .stage_states()
                .iter()
                .map(|s| StageState {
                    name: s.stage_name().unwrap_or_default().to_owned(),
                    execution: s
                        .latest_execution()
                        .map(|e| ExecutionId::new(e.pipeline_execution_id())),
                    status: s
                        .latest_execution()
                        .map(|e| StageStatus::from_aws(e.status().as_str())),
                    // No transition state means AWS has never disabled it.
                    inbound_enabled: s.inbound_transition_state().is_none_or(|t| t.enabled()),
                    actions: s
                        .action_states()
                        .iter()
                        .map(|a| {
                            let latest = a.latest_execution();
                            ActionState {
                                name: a.action_name().unwrap_or_default().to_owned(),
                                status: latest
                                    .and_then(|e| e.status())
                                    .map(|st| ActionStatus::from_aws(st.as_str())),
                                summary: latest.and_then(|e| e.summary()).map(str::to_owned),
                                external_id: latest
                                    .and_then(|e| e.external_execution_id())
                                    .map(str::to_owned),
                                external_url: latest
                                    .and_then(|e| e.external_execution_url())
                                    .map(str::to_owned),
                                token: latest.and_then(|e| e.token()).map(ApprovalToken::new),
                                error: latest.and_then(|e| e.error_details()).map(|d| {
                                    format!(
                                        "{}: {}",
                                        d.code().unwrap_or("Error"),
                                        d.message().unwrap_or_default()
                                    )
                                }),
                            }
                        })
                        .collect(),
                })
                .collect();
            Ok(PipelineState { stages })
        })
    }

    fn approve<'a>(
        &'a self,
        pipeline: &'a str,
        stage: &'a str,
        action: &'a str,
        token: &'a ApprovalToken,
        decision: Decision,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let status = match decision {
                Decision::Approve => ApprovalStatus::Approved,
                Decision::Reject => ApprovalStatus::Rejected,
            };
            let result = ApprovalResult::builder()
                .status(status)
                .summary(comment)
                .build()
                .map_err(build_error)?;
            self.clients
                .codepipeline
                .put_approval_result()
                .pipeline_name(pipeline)
                .stage_name(stage)
                .action_name(action)
                .token(token.as_ref())
                .result(result)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(())
        })
    }

    fn stop<'a>(
        &'a self,
        pipeline: &'a str,
        id: &'a ExecutionId,
        abandon: bool,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            self.clients
                .codepipeline
                .stop_pipeline_execution()
                .pipeline_name(pipeline)
                .pipeline_execution_id(id.as_ref())
                .abandon(abandon)
                .reason(reason)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(())
        })
    }

    fn retry_stage<'a>(
        &'a self,
        pipeline: &'a str,
        id: &'a ExecutionId,
        stage: &'a str,
        mode: RetryMode,
    ) -> BoxFuture<'a, Result<ExecutionId, ProviderError>> {
        Box::pin(async move {
            let mode = match mode {
                RetryMode::FailedActions => StageRetryMode::FailedActions,
                RetryMode::AllActions => StageRetryMode::AllActions,
            };
            let out = self
                .clients
                .codepipeline
                .retry_stage_execution()
                .pipeline_name(pipeline)
                .pipeline_execution_id(id.as_ref())
                .stage_name(stage)
                .retry_mode(mode)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(out
                .pipeline_execution_id()
                .map_or_else(|| id.clone(), ExecutionId::new))
        })
    }

    fn git_remote<'a>(
        &'a self,
        repository: &'a str,
    ) -> BoxFuture<'a, Result<GitRemote, ProviderError>> {
        Box::pin(async move {
            let out = self
                .clients
                .codecommit
                .get_repository()
                .repository_name(repository)
                .send()
                .await
                .map_err(sdk_error)?;
            let url = out
                .repository_metadata()
                .and_then(|m| m.clone_url_http())
                .ok_or_else(|| ProviderError::other("InvalidResponse", "no cloneUrlHttp"))?
                .to_owned();
            let Some((host, path)) = aws_git_host(&url) else {
                // Not AWS's git endpoint (the bundled emulator, or a proxy): no signature.
                return Ok(GitRemote {
                    url,
                    auth: GitAuth::None,
                });
            };
            let provider = self.clients.credentials().ok_or_else(|| {
                ProviderError::other(
                    "NoCredentials",
                    "no AWS credentials to sign the git push with",
                )
            })?;
            let creds = provider.provide_credentials().await.map_err(|e| {
                ProviderError::other(
                    "CredentialsNotLoaded",
                    format!("cannot load AWS credentials: {e}"),
                )
            })?;
            let region = host
                .strip_prefix("git-codecommit.")
                .and_then(|h| h.split('.').next())
                .unwrap_or(self.clients.region())
                .to_owned();
            let auth = push::codecommit_auth(
                creds.access_key_id(),
                creds.secret_access_key(),
                creds.session_token(),
                &region,
                &host,
                &path,
                SystemTime::now(),
            );
            Ok(GitRemote { url, auth })
        })
    }

    fn build<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Build, ProviderError>> {
        Box::pin(async move {
            let out = self
                .clients
                .codebuild
                .batch_get_builds()
                .ids(id)
                .send()
                .await
                .map_err(sdk_error)?;
            let Some(b) = out.builds().iter().find(|b| b.id() == Some(id)) else {
                // BatchGetBuilds answers 200 and lists unknown ids under `buildsNotFound`.
                return Err(ProviderError::new(
                    ErrorClass::NotFound,
                    "ResourceNotFoundException",
                    format!("build {id} not found"),
                ));
            };
            Ok(Build {
                id: id.to_owned(),
                status: BuildStatus::from_aws(b.build_status().map_or("", |s| s.as_str())),
                current_phase: b.current_phase().map(str::to_owned),
                phases: b
                    .phases()
                    .iter()
                    .map(|p| BuildPhase {
                        name: p
                            .phase_type()
                            .map(|t| t.as_str().to_owned())
                            .unwrap_or_default(),
                        status: p.phase_status().map(|s| s.as_str().to_owned()),
                        contexts: p
                            .contexts()
                            .iter()
                            .map(|c| {
                                format!(
                                    "{}: {}",
                                    c.status_code().unwrap_or_default(),
                                    c.message().unwrap_or_default()
                                )
                            })
                            .filter(|c| c != ": ")
                            .collect(),
                        seconds: p.duration_in_seconds(),
                    })
                    .collect(),
                log: b.logs().and_then(|l| {
                    Some(LogStream {
                        group: l.group_name()?.to_owned(),
                        stream: l.stream_name()?.to_owned(),
                        deep_link: l.deep_link().map(str::to_owned),
                    })
                }),
                report_arns: b.report_arns().to_vec(),
            })
        })
    }

    fn log_events<'a>(
        &'a self,
        log: &'a LogStream,
        from: &'a LogFrom,
    ) -> BoxFuture<'a, Result<LogPage, ProviderError>> {
        Box::pin(async move {
            let mut call = self
                .clients
                .logs
                .get_log_events()
                .log_group_name(&log.group)
                .log_stream_name(&log.stream);
            call = match from {
                // `startFromHead` reads oldest first; it must be set on every page of a forward
                // read, or a token read goes backwards (GetLogEvents API reference).
                LogFrom::Start => call.start_from_head(true),
                LogFrom::Token(token) => call.start_from_head(true).next_token(token),
                // Without `startFromHead` the page is the latest events.
                LogFrom::Tail(n) => call
                    .start_from_head(false)
                    .limit(i32::try_from(*n).unwrap_or(10_000).clamp(1, 10_000)),
            };
            let out = call.send().await.map_err(sdk_error)?;
            Ok(LogPage {
                lines: out
                    .events()
                    .iter()
                    .map(|e| LogLine {
                        timestamp: e.timestamp().unwrap_or_default(),
                        message: e
                            .message()
                            .unwrap_or_default()
                            .trim_end_matches(['\n', '\r'])
                            .to_owned(),
                    })
                    .collect(),
                next: out.next_forward_token().map(str::to_owned),
            })
        })
    }

    fn reports<'a>(
        &'a self,
        arns: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<ReportSummary>, ProviderError>> {
        Box::pin(async move {
            let mut reports = Vec::new();
            // BatchGetReports takes 1 to 100 ARNs a call.
            for chunk in arns.chunks(100) {
                let out = self
                    .clients
                    .codebuild
                    .batch_get_reports()
                    .set_report_arns(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(sdk_error)?;
                for r in out.reports() {
                    let summary = r.test_summary();
                    let mut by_status: Vec<(String, i64)> = summary
                        .map(|t| {
                            t.status_counts()
                                .iter()
                                .map(|(k, v)| (k.clone(), i64::from(*v)))
                                .collect()
                        })
                        .unwrap_or_default();
                    by_status.sort();
                    reports.push(ReportSummary {
                        arn: r.arn().unwrap_or_default().to_owned(),
                        status: r
                            .status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        total: summary.map_or(0, |t| i64::from(t.total())),
                        by_status,
                    });
                }
            }
            Ok(reports)
        })
    }

    fn deployment<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Deployment, ProviderError>> {
        Box::pin(async move {
            let codedeploy = &self.clients.codedeploy;
            let out = codedeploy
                .get_deployment()
                .deployment_id(id)
                .send()
                .await
                .map_err(sdk_error)?;
            let info = out
                .deployment_info()
                .ok_or_else(|| ProviderError::other("InvalidResponse", "no deploymentInfo"))?;
            let overview =
                info.deployment_overview()
                    .map_or_else(DeploymentOverview::default, |o| DeploymentOverview {
                        pending: o.pending(),
                        in_progress: o.in_progress(),
                        succeeded: o.succeeded(),
                        failed: o.failed(),
                        skipped: o.skipped(),
                        ready: o.ready(),
                    });
            // Bounded: a deployment group holds at most a few thousand instances, 100 a page.
            let mut targets = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..100 {
                let page = codedeploy
                    .list_deployment_targets()
                    .deployment_id(id)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(sdk_error)?;
                targets.extend(page.target_ids().iter().cloned());
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                    _ => break,
                }
            }
            let mut instances = Vec::new();
            // BatchGetDeploymentTargets takes up to 25 target ids a call.
            for chunk in targets.chunks(25) {
                let page = codedeploy
                    .batch_get_deployment_targets()
                    .deployment_id(id)
                    .set_target_ids(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(sdk_error)?;
                for t in page.deployment_targets() {
                    let Some(i) = t.instance_target() else {
                        continue;
                    };
                    instances.push(InstanceProgress {
                        id: i.target_id().unwrap_or_default().to_owned(),
                        status: i
                            .status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        events: i
                            .lifecycle_events()
                            .iter()
                            .map(|e| {
                                (
                                    e.lifecycle_event_name().unwrap_or_default().to_owned(),
                                    e.status()
                                        .map(|s| s.as_str().to_owned())
                                        .unwrap_or_default(),
                                )
                            })
                            .collect(),
                    });
                }
            }
            instances.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(Deployment {
                id: id.to_owned(),
                status: info
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                overview,
                error: info.error_information().map(|e| {
                    format!(
                        "{}: {}",
                        e.code().map_or("", |c| c.as_str()),
                        e.message().unwrap_or_default()
                    )
                }),
                instances,
            })
        })
    }
}

/// The host and path of an AWS CodeCommit HTTPS git URL
/// (`https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>`), `None` for any other URL.
fn aws_git_host(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    (host.starts_with("git-codecommit.")
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")))
    .then(|| (host.to_owned(), format!("/{path}")))
}
