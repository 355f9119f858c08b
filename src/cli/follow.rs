//! What the execution commands share: which pipeline a command means, following an execution
//! with a line per event, and the exit code of its outcome.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::connect::Session;
use super::error::{CliError, Exit};
use super::render::{Layout, Renderer, Style};
use crate::engine::{RetryPolicy, retry};
use crate::executions::{
    ActionStatus, ApprovalToken, Decision, ExecutionId, ExecutionStatus, Executions, Follow, Watch,
    WatchEvent, WatchOptions,
};
use crate::model::ResourceKind;
use crate::provider::api::ProviderError;

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

/// What stops a watch without stopping the execution: Ctrl-C for [`main`](super::main), a
/// future of the caller's for [`run_interruptible`](super::run_interruptible), nothing for
/// [`run`](super::run).
pub(crate) struct Interrupt {
    signal: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    fired: bool,
}

impl Interrupt {
    /// Never fires.
    pub(crate) fn never() -> Self {
        Self {
            signal: None,
            fired: false,
        }
    }

    /// Fires when `signal` completes.
    pub(crate) fn on(signal: impl Future<Output = ()> + Send + 'static) -> Self {
        Self {
            signal: Some(Box::pin(signal)),
            fired: false,
        }
    }

    /// Fires on Ctrl-C (SIGINT). The handler is installed at the first wait, so before a watch
    /// begins Ctrl-C ends the process as it always does.
    pub(crate) fn ctrl_c() -> Self {
        Self::on(async {
            if tokio::signal::ctrl_c().await.is_err() {
                // No handler could be installed: then nothing interrupts.
                std::future::pending::<()>().await;
            }
        })
    }

    /// Completes when the interrupt fires (at once if it already has); never for
    /// [`never`](Self::never). Cancel-safe: the signal is kept across calls.
    pub(crate) async fn wait(&mut self) {
        if self.fired {
            return;
        }
        match &mut self.signal {
            Some(signal) => {
                signal.as_mut().await;
                self.fired = true;
                self.signal = None;
            }
            None => std::future::pending().await,
        }
    }
}

/// The exit code of a watch that Ctrl-C stopped (128 + SIGINT, as shells report it).
pub(super) const INTERRUPTED: u8 = 130;

/// How a command that follows an execution shows it, and what interrupts it.
pub(crate) struct Console {
    /// Whether `out` is a terminal (then the live tree).
    pub(crate) terminal: bool,
    /// What stops the watch.
    pub(crate) interrupt: Interrupt,
}

impl Console {
    /// No terminal, no interrupt: plain lines to the end.
    pub(crate) fn plain() -> Self {
        Self {
            terminal: false,
            interrupt: Interrupt::never(),
        }
    }
}

/// The stages and actions of `pipeline` as the app declares them, in order.
pub(super) fn layout(session: &Session, pipeline: &str) -> Layout {
    session
        .desired
        .resources
        .iter()
        .filter(|r| {
            r.resource.kind == ResourceKind::Pipeline && r.resource.physical_name == pipeline
        })
        .flat_map(|r| {
            r.resource.properties["Stages"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|stage| {
            let actions = stage["Actions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|a| a["Name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (
                stage["Name"].as_str().unwrap_or_default().to_owned(),
                actions,
            )
        })
        .collect()
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
    let mut console = Console::plain();
    follow_with(
        source,
        pipeline,
        follow,
        approve,
        View {
            style: Style::Plain,
            layout: Vec::new(),
        },
        &mut console.interrupt,
        out,
    )
    .await
}

/// How [`follow_with`] shows the execution.
pub(super) struct View {
    /// Lines, the live tree, or JSON.
    pub(super) style: Style,
    /// The pipeline's stages and actions, for the tree.
    pub(super) layout: Layout,
}

/// Follows `follow` of `pipeline` to its end, shown as `view` says on `out`; with `approve`,
/// approves each manual approval it reaches, and says so. Exit 0 when the execution succeeded, 1
/// when it did not, and 130 when `interrupt` fired first (the execution goes on: the output says
/// how to stop it).
pub(super) async fn follow_with(
    source: &Arc<dyn Executions>,
    pipeline: &str,
    follow: Follow,
    approve: bool,
    view: View,
    interrupt: &mut Interrupt,
    out: &mut dyn Write,
) -> Exit {
    let mut renderer = Renderer::new(view.style, pipeline, &view.layout);
    // The watch runs in a task of its own, so that neither the live tree's clock nor an
    // interrupt ever cancels a poll half-way (a log page read but not yet told).
    let (tx, mut rx) = mpsc::channel(256);
    let mut watch = Watch::new(source.clone(), pipeline, follow, WatchOptions::default());
    let task = tokio::spawn(async move {
        while let Some(event) = watch.next().await {
            if tx.send(event).await.is_err() {
                break;
            }
        }
    });
    // Aborts the watch however this function returns.
    let _abort = AbortOnDrop(task);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let live = renderer.is_live();
    // The execution being followed, once the watch has found it: an error after that says
    // how to pick it up again, since losing touch with AWS stops the watch, not the execution.
    let mut following: Option<ExecutionId> = None;
    loop {
        let next = tokio::select! {
            biased;
            () = interrupt.wait() => {
                renderer.interrupted(out);
                return Ok(INTERRUPTED);
            }
            event = rx.recv() => event,
            _ = tick.tick(), if live => {
                renderer.redraw(out);
                continue;
            }
        };
        let Some(event) = next else { break };
        let event = event.map_err(|e| match &following {
            Some(id) => CliError::new(
                format!(
                    "lost touch with AWS while following execution {id} of \"{pipeline}\"; the \
                     execution itself may still be running (`watch --pipeline {pipeline} \
                     --execution {id}` picks it up again)"
                ),
                e,
            ),
            None => CliError::new(format!("cannot follow pipeline \"{pipeline}\""), e),
        })?;
        if let WatchEvent::Following { id } = &event {
            following = Some(id.clone());
        }
        renderer.event(&event, out);
        if let WatchEvent::ApprovalWaiting {
            stage,
            action,
            token,
        } = &event
            && approve
        {
            answer(
                source,
                pipeline,
                following.as_ref(),
                (stage, action, token),
                Decision::Approve,
                "approved by --approve",
            )
            .await
            .map_err(|e| CliError::new(format!("cannot approve {stage}/{action}"), e))?;
            renderer.approved(stage, action, out);
        }
    }
    match renderer.finish(out) {
        Some(status) => Ok(exit_of(&status)),
        None => Err(CliError::message(format!(
            "pipeline \"{pipeline}\": the execution ended without a status"
        ))),
    }
}

/// Answers the approval `stage`/`action` waiting with `token` in `execution`.
///
/// `PutApprovalResult` is no read: when its answer is lost on the way back (a dropped
/// connection after AWS acted), the SDK's retry meets `ApprovalAlreadyCompletedException` for
/// the answer it gave itself. That error is taken as done when the pipeline's state shows the
/// approval in that execution ended as `decision` asked (approved: succeeded; rejected: failed),
/// and returned otherwise.
pub(super) async fn answer(
    source: &Arc<dyn Executions>,
    pipeline: &str,
    execution: Option<&ExecutionId>,
    (stage, action, token): (&str, &str, &ApprovalToken),
    decision: Decision,
    comment: &str,
) -> Result<(), ProviderError> {
    let Err(e) = source
        .approve(pipeline, stage, action, token, decision, comment)
        .await
    else {
        return Ok(());
    };
    if e.code != "ApprovalAlreadyCompletedException" {
        return Err(e);
    }
    let wanted = match decision {
        Decision::Approve => ActionStatus::Succeeded,
        Decision::Reject => ActionStatus::Failed,
    };
    let state = retry(&RetryPolicy::READS, || source.state(pipeline), |_| {}).await?;
    let done = state.stages.iter().any(|s| {
        s.name == stage
            && execution.is_none_or(|id| s.execution.as_ref() == Some(id))
            && s.actions
                .iter()
                .any(|a| a.name == action && a.status.as_ref() == Some(&wanted))
    });
    if done { Ok(()) } else { Err(e) }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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
        ActionState, ActionStatus, ApprovalToken, Build, BuildPhase, BuildStatus, LogLine,
        LogStream, PipelineState, StageState, StageStatus,
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

    const BUILD_ID: &str = "shop-build:0f5c8f6e-2b7a-4d1c-9a39-5f1f2d3c4b5a";
    const FAILED: &str =
        "COMMAND_EXECUTION_ERROR: Error while executing command: npm test. Reason: exit status 1";

    fn build_stage(status: ActionStatus) -> PipelineState {
        let stage_status = match status {
            ActionStatus::InProgress => StageStatus::InProgress,
            _ => StageStatus::Failed,
        };
        PipelineState {
            stages: vec![StageState {
                name: "Build".into(),
                execution: Some(ExecutionId::new("e1")),
                status: Some(stage_status),
                inbound_enabled: true,
                actions: vec![ActionState {
                    name: "Compile".into(),
                    status: Some(status.clone()),
                    summary: None,
                    external_id: Some(BUILD_ID.into()),
                    external_url: None,
                    token: None,
                    error: (status == ActionStatus::Failed)
                        .then(|| "Build terminated with state: FAILED".to_owned()),
                }],
            }],
        }
    }

    fn build(status: BuildStatus, failed: bool) -> Build {
        let phase = |name: &str, status: Option<&str>, context: Option<&str>| BuildPhase {
            name: name.into(),
            status: status.map(str::to_owned),
            contexts: context.into_iter().map(str::to_owned).collect(),
            seconds: None,
        };
        let mut phases = vec![phase("SUBMITTED", Some("SUCCEEDED"), None)];
        if failed {
            phases.push(phase("BUILD", Some("FAILED"), Some(FAILED)));
        } else {
            phases.push(phase("BUILD", None, None));
        }
        Build {
            id: BUILD_ID.into(),
            status,
            current_phase: phases.last().map(|p| p.name.clone()),
            phases,
            log: Some(LogStream {
                group: "/aws/codebuild/shop-build".into(),
                stream: "0f5c8f6e-2b7a-4d1c-9a39-5f1f2d3c4b5a".into(),
                deep_link: None,
            }),
            report_arns: Vec::new(),
        }
    }

    /// A build that logs a line every 500 ms for 15 s, then fails its `npm test` at 20 s.
    fn failing_build() -> Arc<FakeExecutions> {
        let lines = (0..30)
            .map(|i| {
                (
                    Duration::from_millis(500 * i),
                    LogLine {
                        timestamp: 1_700_000_000_000 + i64::try_from(i).unwrap(),
                        message: format!("line {i}"),
                    },
                )
            })
            .collect();
        let end = Duration::from_secs(20);
        Arc::new(
            FakeExecutions::scripted(
                "shop",
                "e1",
                vec![
                    Step {
                        at: Duration::ZERO,
                        status: ExecutionStatus::InProgress,
                        state: build_stage(ActionStatus::InProgress),
                    },
                    Step {
                        at: end,
                        status: ExecutionStatus::Failed,
                        state: build_stage(ActionStatus::Failed),
                    },
                ],
            )
            .build_at(Duration::ZERO, build(BuildStatus::InProgress, false))
            .build_at(end, build(BuildStatus::Failed, true))
            .log_lines(lines),
        )
    }

    fn layout() -> Layout {
        vec![
            ("Build".into(), vec!["Compile".into()]),
            ("Deploy".into(), vec!["ToProd".into()]),
        ]
    }

    /// Follows `source`'s execution shown as `style`; the exit code and what was written.
    async fn shown(
        source: Arc<FakeExecutions>,
        style: Style,
        approve: bool,
        interrupt: &mut Interrupt,
    ) -> (u8, String) {
        let source: Arc<dyn Executions> = source;
        let mut out = Vec::new();
        let view = View {
            style,
            layout: layout(),
        };
        let code = follow_with(
            &source,
            "shop",
            Follow::Latest,
            approve,
            view,
            interrupt,
            &mut out,
        )
        .await
        .unwrap();
        (code, String::from_utf8(out).unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn plain_lines_end_with_the_failing_command_and_the_log_tail() {
        let (code, text) = shown(
            failing_build(),
            Style::Plain,
            false,
            &mut Interrupt::never(),
        )
        .await;
        assert_eq!(code, 1, "{text}");
        assert!(!text.contains('\x1b'), "no terminal, no escapes: {text}");
        assert!(text.contains("  0.0s execution e1\n"), "{text}");
        assert!(text.contains("Build/Compile | line 0\n"), "{text}");
        let report = text
            .split_once("failed: Build/Compile: npm test\n")
            .unwrap_or_else(|| panic!("no failure report: {text}"))
            .1;
        let tail: Vec<&str> = report
            .lines()
            .filter_map(|l| l.strip_prefix("    | "))
            .collect();
        let expected: Vec<String> = (10..30).map(|i| format!("line {i}")).collect();
        assert_eq!(tail, expected, "{report}");
        assert!(report.contains(&format!("    {FAILED}\n")), "{report}");
        assert!(report.contains("    phase BUILD FAILED\n"), "{report}");
        let last = text.lines().last().unwrap();
        assert!(
            last.starts_with("execution e1 of shop Failed after 2"),
            "{last}"
        );
    }

    /// The frames a live rendering drew: the text after each clear-to-end.
    fn frames(text: &str) -> Vec<&str> {
        text.split("\x1b[J").skip(1).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn on_a_terminal_the_tree_is_redrawn_in_place_and_the_failure_stays_below() {
        let (code, text) =
            shown(failing_build(), Style::Live, false, &mut Interrupt::never()).await;
        assert_eq!(code, 1);
        let frames = frames(&text);
        assert!(frames.len() > 10, "a frame per change and per second");
        // Each frame ends by moving back up over its own lines, to the next one's start.
        for frame in &frames[..frames.len() - 1] {
            let lines = frame.matches('\n').count();
            assert!(
                frame.ends_with(&format!("\x1b[{lines}A\r")),
                "a frame of {lines} lines is moved over: {frame:?}"
            );
        }
        let running = frames
            .iter()
            .find(|f| f.contains("| line 12"))
            .expect("a frame while the build runs");
        let tree: Vec<&str> = running.lines().collect();
        assert!(
            tree[0].starts_with("execution e1  InProgress  "),
            "{running}"
        );
        assert!(tree[1].starts_with("● Build "), "{running}");
        assert!(tree[2].starts_with("  ● Compile  BUILD "), "{running}");
        assert!(tree[2].ends_with('s'), "elapsed time: {running}");
        let logs: Vec<&&str> = tree.iter().filter(|l| l.starts_with("      | ")).collect();
        assert!(logs.len() <= 3, "the last few lines only: {running}");
        assert!(tree.contains(&"○ Deploy"), "not reached yet: {running}");
        assert!(tree.contains(&"  ○ ToProd"), "{running}");
        let last = frames.last().unwrap();
        assert!(last.contains("✗ Build "), "{last}");
        assert!(
            last.contains("  ✗ Compile  Build terminated with state: FAILED"),
            "{last}"
        );
        assert!(
            !last.contains("      | "),
            "no log under an ended build: {last}"
        );
        assert!(last.contains("failed: Build/Compile: npm test\n"), "{last}");
        assert!(last.contains("    | line 29\n"), "{last}");
        assert!(
            last.contains("execution e1 of shop Failed after "),
            "{last}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn json_events_are_versioned_ndjson_ending_in_the_outcome() {
        let (code, text) = shown(
            fake(ExecutionStatus::Succeeded),
            Style::Json,
            true,
            &mut Interrupt::never(),
        )
        .await;
        assert_eq!(code, 0);
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["v"], 1, "{l}");
        }
        insta::assert_snapshot!("approve.ndjson", text);

        let (code, text) =
            shown(failing_build(), Style::Json, false, &mut Interrupt::never()).await;
        assert_eq!(code, 1);
        let events: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let n = events.len();
        assert_eq!(events[n - 1]["type"], "outcome");
        assert_eq!(events[n - 1]["status"], "Failed");
        assert_eq!(events[n - 1]["exit"], 1);
        let failure = &events[n - 2];
        assert_eq!(failure["type"], "failure");
        assert_eq!(failure["command"], "npm test");
        assert_eq!(failure["contexts"][0], FAILED);
        assert_eq!(failure["tail"].as_array().unwrap().len(), 20);
        let logs = events.iter().filter(|e| e["type"] == "log").count();
        assert_eq!(logs, 30, "every line once");
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_stops_watching_never_the_execution_and_exits_130() {
        for style in [Style::Plain, Style::Live, Style::Json] {
            let source = fake(ExecutionStatus::Succeeded);
            let mut interrupt = Interrupt::on(tokio::time::sleep(Duration::from_secs(5)));
            let started = tokio::time::Instant::now();
            let (code, text) = shown(source.clone(), style, false, &mut interrupt).await;
            assert_eq!(code, INTERRUPTED, "{style:?}: {text}");
            assert_eq!(
                started.elapsed(),
                Duration::from_secs(5),
                "it stopped when interrupted, not at the end"
            );
            if style == Style::Json {
                let last: serde_json::Value =
                    serde_json::from_str(text.lines().last().unwrap()).unwrap();
                assert_eq!(last["type"], "interrupted");
                assert_eq!(last["hint"], "stop --pipeline shop");
                assert_eq!(last["exit"], 130);
            } else {
                assert!(
                    text.ends_with(
                        "stopped watching; execution e1 of shop goes on (`stop --pipeline shop` stops it)\n"
                    ),
                    "{style:?}: {text}"
                );
            }
            assert!(
                !source
                    .calls()
                    .iter()
                    .any(|c| matches!(c, Call::Stop(_) | Call::Approve(..))),
                "nothing was stopped or answered"
            );
            // Interrupted once, it stays so.
            interrupt.wait().await;
        }
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
