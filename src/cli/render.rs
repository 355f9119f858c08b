//! How `run`, `watch` and `push --watch` show an execution: a live tree redrawn in place on a
//! terminal, timestamped lines without one, or NDJSON events with `--json`.
//!
//! All three read the same [`Tree`], the execution as the watch's events have told it so far,
//! so that the failure report at the end (the failing command from the build's phase context,
//! and the last lines of its log) is the same whichever way the run was shown.
//!
//! # The `--json` events (version 1)
//!
//! One JSON object per line on stdout, each with `"v": 1`, `"type"` and `"elapsed"` (seconds
//! since the watch began, a number). By `type`, the other fields:
//!
//! | `type` | fields |
//! |---|---|
//! | `pushed` | `repository`, `branch`, `commit`, `from_work_tree`, `uncommitted` (`push --json`) |
//! | `started` | `execution` (`run --no-wait --json`) |
//! | `following` | `execution` |
//! | `execution` | `status` (`InProgress`, `Succeeded`, `Failed`, `Stopped`, ...), `summary` |
//! | `queued` | `stage` (it waits to enter), `behind` (the execution there) |
//! | `stage` | `stage`, `status` |
//! | `action` | `stage`, `action`, `status`, `summary`, `external_id` (build or deployment id), `error` |
//! | `approval_waiting` | `stage`, `action` (the token is not printed: `approve` answers it) |
//! | `approved` | `stage`, `action` (answered by `--approve`) |
//! | `build_phase` | `stage`, `action`, `build`, `phase`, `status` (`null` when it began), `contexts` |
//! | `log` | `stage`, `action`, `timestamp` (ms since the epoch), `message` |
//! | `test_report` | `stage`, `action`, `report`, `status`, `total`, `by_status` (`{"FAILED": 1, ...}`) |
//! | `deployment` | `stage`, `action`, `deployment`, `status`, `overview` (instance counts), `error` |
//! | `deployment_instance` | `stage`, `action`, `deployment`, `instance`, `status`, `lifecycle_event`, `lifecycle_status` |
//! | `failure` | `stage`, `action`, `external_id`, `error`, `phase`, `command`, `contexts`, `tail` (last log lines) |
//! | `outcome` | `execution`, `status`, `exit` (the process's exit code: 0 only when it succeeded) |
//! | `interrupted` | `execution`, `hint`, `exit` (130): Ctrl-C stopped the watch, not the execution |
//!
//! Fields that do not apply are `null`. `failure` events come right before `outcome`, one per
//! failed action. A consumer should ignore types and fields it does not know: they may be added
//! within version 1; a change to an existing field bumps `v`.

use std::collections::VecDeque;
use std::io::Write;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::follow::{line, overview_text, report_name, test_totals};
use crate::executions::{
    ActionStatus, DeploymentOverview, ExecutionId, ExecutionStatus, ReportSummary, StageStatus,
    WatchEvent,
};

/// The version of the `--json` events.
pub(super) const JSON_VERSION: u64 = 1;

/// How many of a build's last log lines the failure report shows.
const TAIL: usize = 20;

/// How many of the running build's last log lines the live tree shows under its action.
const LIVE_LINES: usize = 3;

/// How an execution is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// Timestamped lines, one per event (no terminal).
    Plain,
    /// A tree redrawn in place with ANSI cursor movement (a terminal).
    Live,
    /// NDJSON events (`--json`).
    Json,
}

impl Style {
    /// `--json` wins; otherwise the tree on a terminal, lines elsewhere.
    pub(super) fn pick(json: bool, terminal: bool) -> Self {
        match (json, terminal) {
            (true, _) => Self::Json,
            (false, true) => Self::Live,
            (false, false) => Self::Plain,
        }
    }
}

/// The stages of a pipeline and their actions, in order, as the app declares them: the tree
/// shows those not reached yet.
pub(super) type Layout = Vec<(String, Vec<String>)>;

#[derive(Debug, Default)]
struct ActionView {
    name: String,
    status: Option<ActionStatus>,
    started: Option<Instant>,
    ended: Option<Instant>,
    external_id: Option<String>,
    error: Option<String>,
    waiting: bool,
    approved: bool,
    /// The build phase running.
    phase: Option<String>,
    /// The first phase that did not succeed, and AWS's contexts for it.
    failed_phase: Option<(String, String, Vec<String>)>,
    tail: VecDeque<String>,
    reports: Vec<ReportSummary>,
    deployment: Option<(String, String, DeploymentOverview, Option<String>)>,
    instances: Vec<Instance>,
}

/// An instance of a deployment: its id, status, and the lifecycle event it is at with that
/// event's status.
type Instance = (String, String, Option<(String, String)>);

#[derive(Debug, Default)]
struct StageView {
    name: String,
    status: Option<StageStatus>,
    started: Option<Instant>,
    ended: Option<Instant>,
    actions: Vec<ActionView>,
}

/// The execution as told so far.
#[derive(Debug)]
pub(super) struct Tree {
    began: Instant,
    execution: Option<ExecutionId>,
    status: Option<ExecutionStatus>,
    summary: Option<String>,
    queued: Option<(String, ExecutionId)>,
    stages: Vec<StageView>,
}

fn is_final_action(s: &ActionStatus) -> bool {
    !matches!(s, ActionStatus::InProgress | ActionStatus::Unknown(_))
}

fn is_final_stage(s: &StageStatus) -> bool {
    !matches!(
        s,
        StageStatus::InProgress | StageStatus::Stopping | StageStatus::Unknown(_)
    )
}

impl Tree {
    pub(super) fn new(layout: &Layout, began: Instant) -> Self {
        let stages = layout
            .iter()
            .map(|(stage, actions)| StageView {
                name: stage.clone(),
                actions: actions
                    .iter()
                    .map(|a| ActionView {
                        name: a.clone(),
                        ..ActionView::default()
                    })
                    .collect(),
                ..StageView::default()
            })
            .collect();
        Self {
            began,
            execution: None,
            status: None,
            summary: None,
            queued: None,
            stages,
        }
    }

    fn stage(&mut self, name: &str) -> &mut StageView {
        let i = match self.stages.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.stages.push(StageView {
                    name: name.into(),
                    ..StageView::default()
                });
                self.stages.len() - 1
            }
        };
        &mut self.stages[i]
    }

    fn action(&mut self, stage: &str, action: &str) -> &mut ActionView {
        let s = self.stage(stage);
        let i = match s.actions.iter().position(|a| a.name == action) {
            Some(i) => i,
            None => {
                s.actions.push(ActionView {
                    name: action.into(),
                    ..ActionView::default()
                });
                s.actions.len() - 1
            }
        };
        &mut s.actions[i]
    }

    /// Takes in what `event` tells, seen at `now`.
    pub(super) fn apply(&mut self, event: &WatchEvent, now: Instant) {
        match event {
            WatchEvent::Following { id } => self.execution = Some(id.clone()),
            WatchEvent::Execution { status, summary } => {
                self.status = Some(status.clone());
                self.summary.clone_from(summary);
                if *status != ExecutionStatus::InProgress {
                    self.queued = None;
                }
            }
            WatchEvent::Queued { stage, behind } => {
                self.queued = Some((stage.clone(), behind.clone()));
            }
            WatchEvent::Stage { stage, status } => {
                if self.queued.as_ref().is_some_and(|(s, _)| s == stage) {
                    self.queued = None;
                }
                let s = self.stage(stage);
                if *status == StageStatus::InProgress {
                    s.started.get_or_insert(now);
                    s.ended = None;
                } else if is_final_stage(status) && s.started.is_some() {
                    s.ended.get_or_insert(now);
                }
                s.status = Some(status.clone());
            }
            WatchEvent::Action {
                stage,
                action,
                status,
                external_id,
                error,
                ..
            } => {
                let a = self.action(stage, action);
                if *status == ActionStatus::InProgress {
                    if a.status != Some(ActionStatus::InProgress) {
                        // A retried action starts again.
                        a.started = Some(now);
                        a.ended = None;
                        a.failed_phase = None;
                    }
                } else {
                    a.waiting = false;
                    if is_final_action(status) && a.started.is_some() {
                        a.ended.get_or_insert(now);
                    }
                }
                a.status = Some(status.clone());
                a.external_id.clone_from(external_id);
                a.error.clone_from(error);
            }
            WatchEvent::ApprovalWaiting { stage, action, .. } => {
                self.action(stage, action).waiting = true;
            }
            WatchEvent::BuildPhase {
                stage,
                action,
                phase,
                status,
                contexts,
                ..
            } => {
                let a = self.action(stage, action);
                match status.as_deref() {
                    None => a.phase = Some(phase.clone()),
                    Some("SUCCEEDED") => {}
                    Some(s) => {
                        if a.failed_phase.is_none() {
                            a.failed_phase = Some((phase.clone(), s.to_owned(), contexts.clone()));
                        }
                    }
                }
            }
            WatchEvent::LogLine {
                stage,
                action,
                line,
            } => {
                let a = self.action(stage, action);
                if a.tail.len() == TAIL {
                    a.tail.pop_front();
                }
                a.tail.push_back(line.message.clone());
            }
            WatchEvent::TestReport {
                stage,
                action,
                report,
            } => {
                let a = self.action(stage, action);
                a.reports.retain(|r| r.arn != report.arn);
                a.reports.push(report.clone());
            }
            WatchEvent::Deployment {
                stage,
                action,
                deployment,
                status,
                overview,
                error,
            } => {
                self.action(stage, action).deployment =
                    Some((deployment.clone(), status.clone(), *overview, error.clone()));
            }
            WatchEvent::DeploymentInstance {
                stage,
                action,
                instance,
                status,
                event,
                ..
            } => {
                let a = self.action(stage, action);
                a.instances.retain(|(i, ..)| i != instance);
                a.instances
                    .push((instance.clone(), status.clone(), event.clone()));
                a.instances.sort_by(|x, y| x.0.cmp(&y.0));
            }
        }
    }

    fn approved(&mut self, stage: &str, action: &str) {
        let a = self.action(stage, action);
        a.approved = true;
        a.waiting = false;
    }

    /// The failed actions, each as what a failure report says of it.
    fn failures(&self) -> Vec<Failure> {
        let mut out = Vec::new();
        for s in &self.stages {
            for a in &s.actions {
                if a.status != Some(ActionStatus::Failed) {
                    continue;
                }
                let (phase, contexts) = match &a.failed_phase {
                    Some((phase, status, contexts)) => {
                        (Some(format!("{phase} {status}")), contexts.clone())
                    }
                    None => (None, Vec::new()),
                };
                out.push(Failure {
                    stage: s.name.clone(),
                    action: a.name.clone(),
                    external_id: a.external_id.clone(),
                    error: a.error.clone(),
                    phase,
                    command: contexts.iter().find_map(|c| failing_command(c)),
                    contexts,
                    tail: a.tail.iter().cloned().collect(),
                });
            }
        }
        out
    }

    /// The live tree, a line each, at most `width` characters.
    fn frame(&self, now: Instant, width: usize) -> Vec<String> {
        let mut lines = Vec::new();
        let status = self
            .status
            .as_ref()
            .map_or("starting".to_owned(), ToString::to_string);
        let id = self
            .execution
            .as_ref()
            .map_or_else(|| "…".to_owned(), ToString::to_string);
        lines.push(format!(
            "execution {id}  {status}  {}",
            clock(now - self.began)
        ));
        if let Some((stage, behind)) = &self.queued {
            lines.push(format!(
                "  queued: waits to enter {stage}, where execution {behind} runs"
            ));
        }
        for s in &self.stages {
            let symbol = s.status.as_ref().map_or(PENDING, stage_symbol);
            lines.push(with_time(
                format!("{symbol} {}", s.name),
                s.started,
                s.ended,
                now,
            ));
            for a in &s.actions {
                let symbol = if a.waiting {
                    WAITING
                } else {
                    a.status.as_ref().map_or(PENDING, action_symbol)
                };
                let mut label = format!("  {symbol} {}", a.name);
                let running = a.status == Some(ActionStatus::InProgress);
                if a.waiting {
                    label.push_str("  waiting for approval");
                } else if a.approved && running {
                    label.push_str("  approved (--approve)");
                } else if running && let Some(p) = &a.phase {
                    label.push_str(&format!("  {p}"));
                }
                if let Some(e) = a.error.as_deref().filter(|_| !running) {
                    label.push_str(&format!("  {e}"));
                }
                lines.push(with_time(label, a.started, a.ended, now));
                for r in &a.reports {
                    lines.push(format!("      {}: {}", report_name(&r.arn), test_totals(r)));
                }
                if let Some((id, status, overview, error)) = &a.deployment {
                    lines.push(format!(
                        "      deployment {id} {status} ({})",
                        overview_text(overview)
                    ));
                    if let Some(e) = error {
                        lines.push(format!("      {e}"));
                    }
                    for (instance, status, event) in &a.instances {
                        lines.push(match event {
                            Some((name, s)) => format!("        {instance} {status}  {name} {s}"),
                            None => format!("        {instance} {status}"),
                        });
                    }
                }
                if running && a.deployment.is_none() {
                    let skip = a.tail.len().saturating_sub(LIVE_LINES);
                    for l in a.tail.iter().skip(skip) {
                        lines.push(format!("      | {l}"));
                    }
                }
            }
        }
        lines.into_iter().map(|l| cut(&l, width)).collect()
    }
}

const PENDING: &str = "○";
const WAITING: &str = "⏸";

fn stage_symbol(s: &StageStatus) -> &'static str {
    match s {
        StageStatus::Succeeded => "✓",
        StageStatus::Failed => "✗",
        StageStatus::InProgress | StageStatus::Stopping => "●",
        StageStatus::Skipped => "↷",
        _ => "■",
    }
}

fn action_symbol(s: &ActionStatus) -> &'static str {
    match s {
        ActionStatus::Succeeded => "✓",
        ActionStatus::Failed => "✗",
        ActionStatus::InProgress => "●",
        _ => "■",
    }
}

/// `12.3s`, or `2m05s` past a minute.
fn clock(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// `label`, padded, then the time since it started (to its end, once it ended).
fn with_time(
    label: String,
    started: Option<Instant>,
    ended: Option<Instant>,
    now: Instant,
) -> String {
    match started {
        Some(s) => {
            let took = ended.unwrap_or(now) - s;
            let pad = 40usize.saturating_sub(label.chars().count()).max(1);
            format!("{label}{}{}", " ".repeat(pad), clock(took))
        }
        None => label,
    }
}

/// `line`, cut to `width` characters (a line the terminal wraps would break the redraw).
fn cut(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_owned();
    }
    let mut s: String = line.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The command out of a phase context `COMMAND_EXECUTION_ERROR: Error while executing command:
/// <command>. Reason: <reason>` (CodeBuild's wording for a failed command).
fn failing_command(context: &str) -> Option<String> {
    let (_, rest) = context.split_once("Error while executing command: ")?;
    let command = rest.rsplit_once(". Reason: ").map_or(rest, |(c, _)| c);
    Some(command.to_owned())
}

/// What the report at the end says of one failed action.
#[derive(Debug)]
struct Failure {
    stage: String,
    action: String,
    external_id: Option<String>,
    error: Option<String>,
    phase: Option<String>,
    command: Option<String>,
    contexts: Vec<String>,
    tail: Vec<String>,
}

impl Failure {
    fn text(&self) -> Vec<String> {
        let mut lines = vec![match (&self.external_id, &self.command) {
            (_, Some(c)) => format!("failed: {}/{}: {c}", self.stage, self.action),
            (Some(id), None) => format!("failed: {}/{} ({id})", self.stage, self.action),
            (None, None) => format!("failed: {}/{}", self.stage, self.action),
        }];
        if let Some(e) = &self.error {
            lines.push(format!("    {e}"));
        }
        if let Some(p) = &self.phase {
            lines.push(format!("    phase {p}"));
        }
        lines.extend(self.contexts.iter().map(|c| format!("    {c}")));
        if !self.tail.is_empty() {
            lines.push(format!("    last {} lines of its log:", self.tail.len()));
            lines.extend(self.tail.iter().map(|l| format!("    | {l}")));
        }
        lines
    }

    fn json(&self) -> Value {
        json!({
            "stage": self.stage,
            "action": self.action,
            "external_id": self.external_id,
            "error": self.error,
            "phase": self.phase,
            "command": self.command,
            "contexts": self.contexts,
            "tail": self.tail,
        })
    }
}

/// Shows one execution's events as they come, in one [`Style`].
pub(super) struct Renderer {
    style: Style,
    pipeline: String,
    began: Instant,
    tree: Tree,
    /// Lines of the live tree on screen, to move back over.
    drawn: usize,
    width: usize,
}

impl Renderer {
    pub(super) fn new(style: Style, pipeline: &str, layout: &Layout) -> Self {
        let began = Instant::now();
        // A tree line longer than the terminal would wrap and break the redraw; COLUMNS is
        // what shells export.
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|w| *w >= 20)
            .unwrap_or(100);
        Self {
            style,
            pipeline: pipeline.to_owned(),
            began,
            tree: Tree::new(layout, began),
            drawn: 0,
            width,
        }
    }

    pub(super) fn is_live(&self) -> bool {
        self.style == Style::Live
    }

    fn elapsed(&self) -> f64 {
        (Instant::now() - self.began).as_secs_f64()
    }

    fn stamp(&self) -> String {
        format!("{:>6.1}s", self.elapsed())
    }

    fn emit(&self, out: &mut dyn Write, kind: &str, fields: Value) {
        let mut object = json!({
            "v": JSON_VERSION,
            "type": kind,
            // Milliseconds are enough, and keep the numbers short.
            "elapsed": (self.elapsed() * 1000.0).round() / 1000.0,
        });
        if let (Some(o), Value::Object(f)) = (object.as_object_mut(), fields) {
            o.extend(f);
        }
        let _ = writeln!(out, "{object}");
    }

    /// Shows `event`.
    pub(super) fn event(&mut self, event: &WatchEvent, out: &mut dyn Write) {
        self.tree.apply(event, Instant::now());
        match self.style {
            Style::Plain => {
                if let Some(text) = line(event) {
                    let _ = writeln!(out, "{} {text}", self.stamp());
                }
            }
            Style::Live => self.redraw(out),
            Style::Json => {
                let (kind, fields) = event_json(event);
                self.emit(out, kind, fields);
            }
        }
    }

    /// Shows that `--approve` answered `stage`/`action`.
    pub(super) fn approved(&mut self, stage: &str, action: &str, out: &mut dyn Write) {
        self.tree.approved(stage, action);
        match self.style {
            Style::Plain => {
                let _ = writeln!(
                    out,
                    "{} {stage}/{action}: approved (--approve)",
                    self.stamp()
                );
            }
            Style::Live => self.redraw(out),
            Style::Json => self.emit(out, "approved", json!({"stage": stage, "action": action})),
        }
    }

    /// Draws the live tree again over the last one (elapsed times move on).
    pub(super) fn redraw(&mut self, out: &mut dyn Write) {
        if self.style != Style::Live {
            return;
        }
        let frame = self.tree.frame(Instant::now(), self.width);
        let mut text = String::new();
        if self.drawn > 0 {
            // Up to the first line of the last frame, then clear from there down.
            text.push_str(&format!("\x1b[{}A\r", self.drawn));
        }
        text.push_str("\x1b[J");
        for l in &frame {
            text.push_str(l);
            text.push('\n');
        }
        self.drawn = frame.len();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// The end: the final tree, a report of each failed action (the failing command and the
    /// last lines of its log), and the outcome. The execution's final status, when it had one.
    pub(super) fn finish(&mut self, out: &mut dyn Write) -> Option<ExecutionStatus> {
        let status = self.tree.status.clone()?;
        let failures = if status == ExecutionStatus::Succeeded {
            Vec::new()
        } else {
            self.tree.failures()
        };
        let code = super::follow::exit_of(&status);
        let id = self
            .tree
            .execution
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        match self.style {
            Style::Json => {
                for f in &failures {
                    self.emit(out, "failure", f.json());
                }
                self.emit(
                    out,
                    "outcome",
                    json!({"execution": id, "status": status.as_str(), "exit": code}),
                );
            }
            Style::Plain | Style::Live => {
                self.redraw(out);
                for f in &failures {
                    for l in f.text() {
                        let _ = writeln!(out, "{l}");
                    }
                }
                let why = self
                    .tree
                    .summary
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "execution {id} of {} {status}{why} after {}",
                    self.pipeline,
                    clock(Instant::now() - self.began)
                );
            }
        }
        let _ = out.flush();
        Some(status)
    }

    /// Ctrl-C: the watch stops, the execution goes on; says how to stop that.
    pub(super) fn interrupted(&mut self, out: &mut dyn Write) {
        let id = self
            .tree
            .execution
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "(not found yet)".into());
        let hint = format!("stop --pipeline {}", self.pipeline);
        match self.style {
            Style::Json => self.emit(
                out,
                "interrupted",
                json!({"execution": id, "hint": hint, "exit": 130}),
            ),
            Style::Plain | Style::Live => {
                self.redraw(out);
                let _ = writeln!(
                    out,
                    "stopped watching; execution {id} of {} goes on (`{hint}` stops it)",
                    self.pipeline
                );
            }
        }
        let _ = out.flush();
    }
}

/// An event's `type` and fields in the `--json` form.
fn event_json(event: &WatchEvent) -> (&'static str, Value) {
    match event {
        WatchEvent::Following { id } => ("following", json!({"execution": id.as_ref()})),
        WatchEvent::Execution { status, summary } => (
            "execution",
            json!({"status": status.as_str(), "summary": summary}),
        ),
        WatchEvent::Queued { stage, behind } => {
            ("queued", json!({"stage": stage, "behind": behind.as_ref()}))
        }
        WatchEvent::Stage { stage, status } => {
            ("stage", json!({"stage": stage, "status": status.as_str()}))
        }
        WatchEvent::Action {
            stage,
            action,
            status,
            summary,
            external_id,
            error,
        } => (
            "action",
            json!({"stage": stage, "action": action, "status": status.as_str(),
                   "summary": summary, "external_id": external_id, "error": error}),
        ),
        WatchEvent::ApprovalWaiting { stage, action, .. } => (
            "approval_waiting",
            json!({"stage": stage, "action": action}),
        ),
        WatchEvent::BuildPhase {
            stage,
            action,
            build,
            phase,
            status,
            contexts,
        } => (
            "build_phase",
            json!({"stage": stage, "action": action, "build": build, "phase": phase,
                   "status": status, "contexts": contexts}),
        ),
        WatchEvent::LogLine {
            stage,
            action,
            line,
        } => (
            "log",
            json!({"stage": stage, "action": action, "timestamp": line.timestamp,
                   "message": line.message}),
        ),
        WatchEvent::TestReport {
            stage,
            action,
            report,
        } => {
            let by_status: serde_json::Map<String, Value> = report
                .by_status
                .iter()
                .map(|(s, n)| (s.clone(), json!(n)))
                .collect();
            (
                "test_report",
                json!({"stage": stage, "action": action, "report": report_name(&report.arn),
                       "status": report.status, "total": report.total, "by_status": by_status}),
            )
        }
        WatchEvent::Deployment {
            stage,
            action,
            deployment,
            status,
            overview,
            error,
        } => (
            "deployment",
            json!({"stage": stage, "action": action, "deployment": deployment, "status": status,
                   "overview": {
                       "pending": overview.pending, "in_progress": overview.in_progress,
                       "succeeded": overview.succeeded, "failed": overview.failed,
                       "skipped": overview.skipped, "ready": overview.ready,
                   },
                   "error": error}),
        ),
        WatchEvent::DeploymentInstance {
            stage,
            action,
            deployment,
            instance,
            status,
            event,
        } => (
            "deployment_instance",
            json!({"stage": stage, "action": action, "deployment": deployment,
                   "instance": instance, "status": status,
                   "lifecycle_event": event.as_ref().map(|(n, _)| n),
                   "lifecycle_status": event.as_ref().map(|(_, s)| s)}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failing_command_comes_out_of_codebuilds_phase_context() {
        assert_eq!(
            failing_command(
                "COMMAND_EXECUTION_ERROR: Error while executing command: npm test. Reason: exit status 1"
            )
            .as_deref(),
            Some("npm test")
        );
        assert_eq!(failing_command("YAML_FILE_ERROR: bad indentation"), None);
    }

    #[test]
    fn long_lines_are_cut_to_the_width() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(clock(std::time::Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn json_wins_and_a_terminal_gets_the_tree() {
        assert_eq!(Style::pick(true, true), Style::Json);
        assert_eq!(Style::pick(false, true), Style::Live);
        assert_eq!(Style::pick(false, false), Style::Plain);
    }
}
