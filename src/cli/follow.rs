//! What the execution commands share: which pipeline a command means, following an execution
//! with a line per event, and the exit code of its outcome.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use super::connect::Session;
use super::error::{CliError, Exit};
use crate::executions::{
    Decision, ExecutionId, ExecutionStatus, Executions, Follow, Watch, WatchEvent, WatchOptions,
};
use crate::model::ResourceKind;

/// `--pipeline NAME`, shared by every execution command.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct PipelineArg {
    /// The pipeline (may be left out when the app has one).
    #[arg(long, value_name = "NAME")]
    pipeline: Option<String>,
}

impl PipelineArg {
    /// The physical name of the pipeline meant: the one given, which must be the app's, or the
    /// app's only one.
    pub(super) fn resolve(&self, session: &Session) -> Result<String, CliError> {
        let names: Vec<&str> = session
            .desired
            .resources
            .iter()
            .filter(|r| r.resource.kind == ResourceKind::Pipeline)
            .map(|r| r.resource.physical_name.as_str())
            .collect();
        match (&self.pipeline, names.as_slice()) {
            (Some(given), _) if names.contains(&given.as_str()) => Ok(given.clone()),
            (Some(given), _) => Err(CliError::message(format!(
                "the app has no pipeline \"{given}\"; its pipelines: {}",
                names.join(", ")
            ))),
            (None, [only]) => Ok((*only).to_owned()),
            (None, []) => Err(CliError::message("the app has no pipeline")),
            (None, _) => Err(CliError::message(format!(
                "the app has {} pipelines: say which with --pipeline ({})",
                names.len(),
                names.join(", ")
            ))),
        }
    }
}

/// The report's name out of its ARN (`arn:...:report/<group>:<uuid>`).
pub(super) fn report_name(arn: &str) -> &str {
    arn.rsplit_once("report/").map_or(arn, |(_, rest)| rest)
}

/// `12 tests: 11 SUCCEEDED, 1 FAILED`.
pub(super) fn test_totals(report: &crate::executions::ReportSummary) -> String {
    let counts: Vec<String> = report
        .by_status
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    format!("{} tests: {}", report.total, counts.join(", "))
}

/// `2 succeeded, 1 in progress`: the counts that are not zero.
pub(super) fn overview_text(o: &crate::executions::DeploymentOverview) -> String {
    let parts: Vec<String> = [
        (o.pending, "pending"),
        (o.in_progress, "in progress"),
        (o.succeeded, "succeeded"),
        (o.failed, "failed"),
        (o.skipped, "skipped"),
        (o.ready, "ready"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, w)| format!("{n} {w}"))
    .collect();
    if parts.is_empty() {
        "no instances yet".into()
    } else {
        parts.join(", ")
    }
}

/// The line an event is shown as, `None` for an event plain output leaves out (a build
/// phase that succeeded: its beginning was told).
pub(super) fn line(event: &WatchEvent) -> Option<String> {
    Some(match event {
        WatchEvent::Queued { stage, behind } => {
            format!("queued: waits to enter {stage}, where execution {behind} runs")
        }
        WatchEvent::BuildPhase {
            stage,
            action,
            phase,
            status,
            contexts,
            ..
        } => match status.as_deref() {
            None => format!("{stage}/{action}: {phase}"),
            Some("SUCCEEDED") => return None,
            Some(s) => {
                let mut text = format!("{stage}/{action}: {phase} {s}");
                for c in contexts {
                    text.push_str(&format!("\n    {c}"));
                }
                text
            }
        },
        WatchEvent::LogLine {
            stage,
            action,
            line,
        } => format!("{stage}/{action} | {}", line.message),
        WatchEvent::TestReport {
            stage,
            action,
            report,
        } => format!(
            "{stage}/{action}: report {} {}: {}",
            report_name(&report.arn),
            report.status,
            test_totals(report)
        ),
        WatchEvent::Deployment {
            stage,
            action,
            deployment,
            status,
            overview,
            error,
        } => {
            let mut text = format!(
                "{stage}/{action}: deployment {deployment} {status} ({})",
                overview_text(overview)
            );
            if let Some(e) = error {
                text.push_str(&format!("\n    {e}"));
            }
            text
        }
        WatchEvent::DeploymentInstance {
            stage,
            action,
            instance,
            status,
            event,
            ..
        } => match event {
            Some((name, event_status)) => {
                format!("{stage}/{action}: {instance} {status} - {name} {event_status}")
            }
            None => format!("{stage}/{action}: {instance} {status}"),
        },
        WatchEvent::Following { id } => format!("execution {id}"),
        WatchEvent::Execution { status, summary } => match summary {
            Some(s) => format!("execution {status}: {s}"),
            None => format!("execution {status}"),
        },
        WatchEvent::Stage { stage, status } => format!("{stage}: {status}"),
        WatchEvent::Action {
            stage,
            action,
            status,
            summary,
            external_id,
            error,
        } => {
            let mut text = format!("{stage}/{action}: {status}");
            if let Some(id) = external_id {
                text.push_str(&format!(" ({id})"));
            }
            if let Some(s) = summary.as_deref().filter(|s| !s.is_empty()) {
                text.push_str(&format!(" - {s}"));
            }
            if let Some(e) = error {
                text.push_str(&format!("\n    {e}"));
            }
            text
        }
        WatchEvent::ApprovalWaiting { stage, action, .. } => {
            format!("{stage}/{action}: waiting for approval")
        }
    })
}

/// The exit code of an execution's final status: 0 when it succeeded, else 1.
pub(super) fn exit_of(status: &ExecutionStatus) -> u8 {
    u8::from(*status != ExecutionStatus::Succeeded)
}

/// Follows `follow` of `pipeline` to its end, a timestamped line per event on `out`; with
/// `approve`, approves each manual approval it reaches, and says so.
pub(super) async fn follow(
    source: &Arc<dyn Executions>,
    pipeline: &str,
    follow: Follow,
    approve: bool,
    out: &mut dyn Write,
) -> Exit {
    let started = Instant::now();
    let mut watch = Watch::new(source.clone(), pipeline, follow, WatchOptions::default());
    let mut last = None;
    while let Some(event) = watch.next().await {
        let event = event
            .map_err(|e| CliError::new(format!("cannot follow pipeline \"{pipeline}\""), e))?;
        let clock = format!("{:>6.1}s", started.elapsed().as_secs_f64());
        if let Some(text) = line(&event) {
            let _ = writeln!(out, "{clock} {text}");
        }
        match &event {
            WatchEvent::Execution { status, .. } => last = Some(status.clone()),
            WatchEvent::ApprovalWaiting {
                stage,
                action,
                token,
            } if approve => {
                source
                    .approve(
                        pipeline,
                        stage,
                        action,
                        token,
                        Decision::Approve,
                        "approved by --approve",
                    )
                    .await
                    .map_err(|e| CliError::new(format!("cannot approve {stage}/{action}"), e))?;
                let _ = writeln!(out, "{clock} {stage}/{action}: approved (--approve)");
            }
            _ => {}
        }
    }
    match last {
        Some(status) => Ok(exit_of(&status)),
        None => Err(CliError::message(format!(
            "pipeline \"{pipeline}\": the execution ended without a status"
        ))),
    }
}

/// The execution meant by `--execution`, or the newest one whose status `wanted` accepts.
pub(super) async fn execution_or_latest(
    source: &Arc<dyn Executions>,
    pipeline: &str,
    given: Option<&str>,
    what: &str,
    wanted: impl Fn(&ExecutionStatus) -> bool,
) -> Result<ExecutionId, CliError> {
    if let Some(id) = given {
        return Ok(ExecutionId::new(id));
    }
    let recent = source
        .executions(pipeline, 20)
        .await
        .map_err(|e| CliError::new(format!("cannot list the executions of \"{pipeline}\""), e))?;
    recent
        .into_iter()
        .find(|e| wanted(&e.status))
        .map(|e| e.id)
        .ok_or_else(|| {
            CliError::message(format!(
                "pipeline \"{pipeline}\" has no {what} execution among its last 20 (`executions` lists them)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::executions::fake::{Call, FakeExecutions, Step};
    use crate::executions::{
        ActionState, ActionStatus, ApprovalToken, PipelineState, StageState, StageStatus,
    };

    fn gate(status: ActionStatus, token: Option<&str>) -> PipelineState {
        PipelineState {
            stages: vec![StageState {
                name: "Gate".into(),
                execution: Some(ExecutionId::new("e1")),
                status: Some(StageStatus::InProgress),
                inbound_enabled: true,
                actions: vec![ActionState {
                    name: "Approve".into(),
                    status: Some(status),
                    summary: None,
                    external_id: None,
                    external_url: None,
                    token: token.map(ApprovalToken::new),
                    error: Some("Rejected: no".into()).filter(|_| token.is_none()),
                }],
            }],
        }
    }

    fn fake(end: ExecutionStatus) -> Arc<FakeExecutions> {
        Arc::new(FakeExecutions::scripted(
            "shop",
            "e1",
            vec![
                Step {
                    at: Duration::ZERO,
                    status: ExecutionStatus::InProgress,
                    state: gate(ActionStatus::InProgress, Some("t1")),
                },
                Step {
                    at: Duration::from_secs(30),
                    status: end,
                    state: gate(ActionStatus::Failed, None),
                },
            ],
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn run_approve_answers_the_waiting_approval_with_its_token() {
        let source = fake(ExecutionStatus::Succeeded);
        let dyn_source: Arc<dyn Executions> = source.clone();
        let mut out = Vec::new();
        let code = follow(
            &dyn_source,
            "shop",
            Follow::Id(ExecutionId::new("e1")),
            true,
            &mut out,
        )
        .await
        .unwrap();
        assert_eq!(code, 0);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Gate/Approve: waiting for approval"),
            "{text}"
        );
        assert!(
            text.contains("Gate/Approve: approved (--approve)"),
            "{text}"
        );
        assert!(text.contains("execution Succeeded"), "{text}");
        let approvals: Vec<_> = source
            .calls()
            .into_iter()
            .filter(|c| matches!(c, Call::Approve(..)))
            .collect();
        assert_eq!(approvals.len(), 1, "one answer for one approval");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_execution_exits_1_and_shows_the_error() {
        let source: Arc<dyn Executions> = fake(ExecutionStatus::Failed);
        let mut out = Vec::new();
        let code = follow(&source, "shop", Follow::Latest, false, &mut out)
            .await
            .unwrap();
        assert_eq!(code, 1);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Gate/Approve: Failed\n    Rejected: no"),
            "{text}"
        );
        assert!(!text.contains("approved (--approve)"), "{text}");
    }

    #[test]
    fn only_success_exits_0() {
        assert_eq!(exit_of(&ExecutionStatus::Succeeded), 0);
        for s in [
            ExecutionStatus::Failed,
            ExecutionStatus::Stopped,
            ExecutionStatus::Superseded,
            ExecutionStatus::Cancelled,
        ] {
            assert_eq!(exit_of(&s), 1, "{s}");
        }
    }
}
