//! Following one execution: successive observations turned into events, polled adaptively.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::{
    ActionStatus, ApprovalToken, Build, BuildStatus, DeploymentOverview, ExecutionId,
    ExecutionStatus, Executions, LogCursor, LogFrom, LogLine, PipelineState, ReportSummary,
    StageState, StageStatus,
};
use crate::engine::{RetryPolicy, retry};
use crate::provider::api::{ErrorClass, ProviderError};

/// Which execution a [`Watch`] follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follow {
    /// The pipeline's most recent execution when the watch starts.
    Latest,
    /// A given execution, such as the one [`Executions::start`] just started.
    Id(ExecutionId),
    /// The execution that runs this source commit, such as the one a push just started: the
    /// watch waits for it to appear (at most [`WatchOptions::appear`]).
    Commit(String),
}

/// What changed in the execution a [`Watch`] follows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// The execution being followed (first event; tells which one [`Follow::Latest`] found).
    Following {
        /// Its id.
        id: ExecutionId,
    },
    /// The execution's status changed (its first status comes first of all).
    Execution {
        /// The new status.
        status: ExecutionStatus,
        /// AWS's reason, when it gives one.
        summary: Option<String>,
    },
    /// A stage's run in this execution changed status.
    Stage {
        /// The stage.
        stage: String,
        /// The new status.
        status: StageStatus,
    },
    /// An action's run in this execution changed status, summary, external id or error.
    Action {
        /// Its stage.
        stage: String,
        /// The action.
        action: String,
        /// Its status.
        status: ActionStatus,
        /// AWS's summary.
        summary: Option<String>,
        /// The work it started (a build id, a deployment id).
        external_id: Option<String>,
        /// The error, when it failed.
        error: Option<String>,
    },
    /// A manual approval waits for an answer ([`Executions::approve`] with this token).
    ApprovalWaiting {
        /// Its stage.
        stage: String,
        /// The action.
        action: String,
        /// The token the answer must carry.
        token: ApprovalToken,
    },
    /// The execution waits to enter `stage` while another execution runs there (V2 pipelines
    /// in `QUEUED` mode; in `SUPERSEDED` mode it may be superseded instead). Told again when it
    /// moves up to another stage or behind another execution.
    Queued {
        /// The stage it waits to enter.
        stage: String,
        /// The execution in that stage.
        behind: ExecutionId,
    },
    /// A phase of an action's build began (`status` `None`) or ended.
    BuildPhase {
        /// Its stage.
        stage: String,
        /// The action.
        action: String,
        /// The build id.
        build: String,
        /// The phase (`INSTALL`, `BUILD`, ...).
        phase: String,
        /// How it ended (`SUCCEEDED`, `FAILED`, ...), `None` when it began.
        status: Option<String>,
        /// AWS's reasons, for a phase that did not succeed: the failing command.
        contexts: Vec<String>,
    },
    /// A line of a running build's log (each once, in order). For a build that failed
    /// before the watch saw it run, its last lines.
    LogLine {
        /// Its stage.
        stage: String,
        /// The action.
        action: String,
        /// The line.
        line: LogLine,
    },
    /// A test report of an action's build, once the build has ended.
    TestReport {
        /// Its stage.
        stage: String,
        /// The action.
        action: String,
        /// The report's totals.
        report: ReportSummary,
    },
    /// An action's deployment changed status or instance counts.
    Deployment {
        /// Its stage.
        stage: String,
        /// The action.
        action: String,
        /// The deployment id.
        deployment: String,
        /// Its status.
        status: String,
        /// Its instance counts.
        overview: DeploymentOverview,
        /// Why it failed.
        error: Option<String>,
    },
    /// An instance of an action's deployment changed status or lifecycle event.
    DeploymentInstance {
        /// Its stage.
        stage: String,
        /// The action.
        action: String,
        /// The deployment id.
        deployment: String,
        /// The instance.
        instance: String,
        /// Its status.
        status: String,
        /// The lifecycle event it is at and that event's status.
        event: Option<(String, String)>,
    },
}

/// How a [`Watch`] polls. Each poll is two calls (`GetPipelineExecution`, `GetPipelineState`),
/// plus, for each running build, `BatchGetBuilds` and one page of `GetLogEvents`, and for each
/// running deployment its three reads; the wait after a poll is stretched so that the calls
/// never average more than [`max_calls_per_second`](Self::max_calls_per_second).
#[derive(Debug, Clone)]
#[must_use]
pub struct WatchOptions {
    /// The most calls a second, on average over each poll and the wait after it (3 by
    /// default; 0 for no limit, as a benchmark measuring the emulator wants).
    pub max_calls_per_second: f64,
    /// How many of its last log lines a build that failed unseen shows.
    pub tail: u32,
    /// The interval right after something changed.
    pub fast: Duration,
    /// The longest interval while things run but nothing changes (doubling from `fast`).
    pub slow: Duration,
    /// The interval while nothing runs but an approval waits.
    pub approval: Duration,
    /// Retries of each read (throttling and network failures), on tokio's clock.
    pub retry: RetryPolicy,
    /// The longest a poll may take, its reads and their retries (the SDK's own included)
    /// together: a poll still unanswered then ends the watch with an error (25 s by default).
    /// A total outage is so reported at most this long after the first poll it meets began,
    /// that poll coming at most [`approval`](Self::approval) after the outage itself.
    pub give_up: Duration,
    /// How long [`Follow::Commit`] waits for the execution to appear (a push's event takes a
    /// moment to start it).
    pub appear: Duration,
}

impl Default for WatchOptions {
    /// One poll a second while things change (two calls a second), backing off to one every five
    /// seconds, and every ten while only an approval waits: well within CodePipeline's read
    /// quotas for several watched pipelines.
    fn default() -> Self {
        Self {
            max_calls_per_second: 3.0,
            tail: 20,
            fast: Duration::from_secs(1),
            slow: Duration::from_secs(5),
            approval: Duration::from_secs(10),
            retry: RetryPolicy::READS,
            give_up: GIVE_UP,
            appear: Duration::from_secs(60),
        }
    }
}

/// [`WatchOptions::give_up`]'s default: long enough for the SDK's and the watch's retries to
/// ride out ordinary throttling and failed requests, short enough that an outage is told soon.
pub(crate) const GIVE_UP: Duration = Duration::from_secs(25);

/// One look at the execution: its status and the stages whose latest run is this execution's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Observation {
    status: Option<(ExecutionStatus, Option<String>)>,
    stages: Vec<StageState>,
    /// The stage it waits to enter and the execution running there.
    queued: Option<(String, ExecutionId)>,
}

impl Observation {
    fn of(
        id: &ExecutionId,
        status: (ExecutionStatus, Option<String>),
        state: PipelineState,
    ) -> Self {
        let running = status.0 == ExecutionStatus::InProgress;
        let ours = |s: &StageState| s.execution.as_ref() == Some(id);
        // Waiting: running, none of its stages running, and the stage after its last one held
        // by another execution that runs there.
        let queued = if running
            && !state
                .stages
                .iter()
                .any(|s| ours(s) && s.status == Some(StageStatus::InProgress))
        {
            let next = state.stages.iter().rposition(ours).map_or(0, |i| i + 1);
            state
                .stages
                .get(next)
                .and_then(|s| match (&s.execution, &s.status) {
                    (Some(other), Some(StageStatus::InProgress)) if other != id => {
                        Some((s.name.clone(), other.clone()))
                    }
                    _ => None,
                })
        } else {
            None
        };
        Self {
            status: Some(status),
            stages: state.stages.into_iter().filter(ours).collect(),
            queued,
        }
    }

    fn waits_on_approval(&self) -> bool {
        self.stages.iter().any(|s| {
            s.actions
                .iter()
                .any(|a| a.token.is_some() && a.status == Some(ActionStatus::InProgress))
        })
    }
}

/// The events that lead from `before` to `after`, in pipeline order: the execution first, then
/// each stage followed by its actions.
fn changes(before: &Observation, after: &Observation) -> Vec<WatchEvent> {
    let mut events = Vec::new();
    if let Some((status, summary)) = &after.status
        && before.status.as_ref().map(|(s, _)| s) != Some(status)
    {
        events.push(WatchEvent::Execution {
            status: status.clone(),
            summary: summary.clone(),
        });
    }
    if let Some((stage, behind)) = &after.queued
        && before.queued != after.queued
    {
        events.push(WatchEvent::Queued {
            stage: stage.clone(),
            behind: behind.clone(),
        });
    }
    for stage in &after.stages {
        let old = before.stages.iter().find(|s| s.name == stage.name);
        if let Some(status) = &stage.status
            && old.and_then(|s| s.status.as_ref()) != Some(status)
        {
            events.push(WatchEvent::Stage {
                stage: stage.name.clone(),
                status: status.clone(),
            });
        }
        for action in &stage.actions {
            let Some(status) = &action.status else {
                continue;
            };
            let was = old.and_then(|s| s.actions.iter().find(|a| a.name == action.name));
            let seen = |a: &super::ActionState| {
                (
                    a.status.clone(),
                    a.summary.clone(),
                    a.external_id.clone(),
                    a.error.clone(),
                )
            };
            if was.map(seen) != Some(seen(action)) {
                events.push(WatchEvent::Action {
                    stage: stage.name.clone(),
                    action: action.name.clone(),
                    status: status.clone(),
                    summary: action.summary.clone(),
                    external_id: action.external_id.clone(),
                    error: action.error.clone(),
                });
            }
            if let (ActionStatus::InProgress, Some(token)) = (status, &action.token)
                && was.and_then(|a| a.token.as_ref()) != Some(token)
            {
                events.push(WatchEvent::ApprovalWaiting {
                    stage: stage.name.clone(),
                    action: action.name.clone(),
                    token: token.clone(),
                });
            }
        }
    }
    events
}

/// Whether an action's external id is a CodeBuild build id, `<project>:<uuid>`.
pub(crate) fn is_build_id(id: &str) -> bool {
    id.split_once(':').is_some_and(|(project, uuid)| {
        !project.is_empty()
            && uuid.len() == 36
            && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    })
}

/// Whether an action's external id is a CodeDeploy deployment id, `d-` and 9 of `[A-Z0-9]`.
fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

/// What a watch follows of the work one action started.
#[derive(Debug)]
struct Work {
    stage: String,
    action: String,
    id: String,
    done: bool,
    /// Polls since the work ended whose reads of its end (last log pages, reports) failed.
    unread_ends: u32,
    kind: WorkKind,
}

#[derive(Debug)]
enum WorkKind {
    Build {
        /// (phase, status) pairs already told.
        phases: Vec<(String, Option<String>)>,
        cursor: Option<LogCursor>,
        /// Whether the build was seen running (then its whole log is told).
        seen_running: bool,
    },
    Deployment {
        last: Option<(String, DeploymentOverview, Option<String>)>,
        /// (instance, status, lifecycle event and its status) already told.
        instances: Vec<InstanceSeen>,
    },
}

/// An instance's id, status, and the lifecycle event it is at with that event's status.
type InstanceSeen = (String, String, Option<(String, String)>);

/// How many log pages a build that just ended is read to the end with, at most.
const FINAL_LOG_PAGES: u32 = 10;

/// How many more polls the end of an ended build (its last log pages, its reports) is read
/// on after a read failed or its pages ran past [`FINAL_LOG_PAGES`], before the watch gives up
/// on it: a lost answer must not lose log lines, nor a broken log stream hold the execution's
/// end for ever.
const END_READS: u32 = 5;

impl Work {
    /// Reads what changed; the events, and how many calls it took.
    async fn follow(
        &mut self,
        source: &dyn Executions,
        tail: u32,
        events: &mut Vec<WatchEvent>,
    ) -> u32 {
        let (stage, action) = (self.stage.clone(), self.action.clone());
        match &mut self.kind {
            WorkKind::Build {
                phases,
                cursor,
                seen_running,
            } => {
                let Ok(build) = source.build(&self.id).await else {
                    return 1;
                };
                let mut calls = 1;
                let mut complete = true;
                tell_phases(&stage, &action, &build, phases, events);
                let ended = build.status.is_final();
                *seen_running |= !ended;
                if cursor.is_none() {
                    *cursor = build.log.clone().map(LogCursor::new);
                }
                let log_line = |line| WatchEvent::LogLine {
                    stage: stage.clone(),
                    action: action.clone(),
                    line,
                };
                if let Some(c) = cursor {
                    if !ended {
                        // One page a poll: a busy log is read on at the next poll.
                        calls += 1;
                        if let Ok((lines, _)) = c.page(source).await {
                            events.extend(lines.into_iter().map(log_line));
                        }
                    } else if *seen_running {
                        for page in 0..FINAL_LOG_PAGES {
                            calls += 1;
                            match c.page(source).await {
                                Ok((lines, more)) => {
                                    events.extend(lines.into_iter().map(log_line));
                                    if !more {
                                        break;
                                    }
                                    // More than a poll's pages: read on at the next poll.
                                    complete &= page + 1 < FINAL_LOG_PAGES;
                                }
                                Err(_) => {
                                    // The cursor stays: the next poll reads on from there.
                                    complete = false;
                                    break;
                                }
                            }
                        }
                    } else if build.failure().is_some() || build.status != BuildStatus::Succeeded {
                        calls += 1;
                        match source.log_events(c.log(), &LogFrom::Tail(tail)).await {
                            Ok(page) => events.extend(page.lines.into_iter().map(log_line)),
                            Err(_) => complete = false,
                        }
                    }
                }
                if ended && complete && !build.report_arns.is_empty() {
                    calls += 1;
                    match source.reports(&build.report_arns).await {
                        Ok(reports) => {
                            events.extend(reports.into_iter().map(|report| {
                                WatchEvent::TestReport {
                                    stage: stage.clone(),
                                    action: action.clone(),
                                    report,
                                }
                            }));
                        }
                        Err(_) => complete = false,
                    }
                }
                if ended {
                    if complete || self.unread_ends >= END_READS {
                        self.done = true;
                    } else {
                        self.unread_ends += 1;
                    }
                }
                calls
            }
            WorkKind::Deployment { last, instances } => {
                let Ok(d) = source.deployment(&self.id).await else {
                    return 1;
                };
                let calls = 2 + u32::try_from(d.instances.len().div_ceil(25).max(1)).unwrap_or(1);
                let now = (d.status.clone(), d.overview, d.error.clone());
                if last.as_ref() != Some(&now) {
                    events.push(WatchEvent::Deployment {
                        stage: stage.clone(),
                        action: action.clone(),
                        deployment: d.id.clone(),
                        status: d.status.clone(),
                        overview: d.overview,
                        error: d.error.clone(),
                    });
                    *last = Some(now);
                }
                for i in &d.instances {
                    let seen = (i.id.clone(), i.status.clone(), i.current_event().cloned());
                    if !instances.contains(&seen) {
                        instances.retain(|(id, ..)| *id != i.id);
                        events.push(WatchEvent::DeploymentInstance {
                            stage: stage.clone(),
                            action: action.clone(),
                            deployment: d.id.clone(),
                            instance: i.id.clone(),
                            status: i.status.clone(),
                            event: seen.2.clone(),
                        });
                        instances.push(seen);
                    }
                }
                self.done = matches!(d.status.as_str(), "Succeeded" | "Failed" | "Stopped");
                calls
            }
        }
    }
}

/// Tells each phase of `build` that began or ended since `told`, in the build's order.
fn tell_phases(
    stage: &str,
    action: &str,
    build: &Build,
    told: &mut Vec<(String, Option<String>)>,
    events: &mut Vec<WatchEvent>,
) {
    for p in &build.phases {
        let key = (p.name.clone(), p.status.clone());
        if told.contains(&key) {
            continue;
        }
        // A phase first seen ended is told once, ended.
        told.push((p.name.clone(), None));
        told.push(key);
        events.push(WatchEvent::BuildPhase {
            stage: stage.into(),
            action: action.into(),
            build: build.id.clone(),
            phase: p.name.clone(),
            status: p.status.clone(),
            contexts: p.contexts.clone(),
        });
    }
}

/// Follows one execution to its end. Ask for [`next`](Self::next) event, or await the
/// [`outcome`](Self::outcome). Dropping it stops watching, never the execution.
pub struct Watch {
    source: Arc<dyn Executions>,
    pipeline: String,
    follow: Follow,
    options: WatchOptions,
    id: Option<ExecutionId>,
    seen: Observation,
    pending: VecDeque<WatchEvent>,
    interval: Option<Duration>,
    done: bool,
    polls: u64,
    calls: u64,
    work: Vec<Work>,
    /// The last failure a read's retry met, for the error of a poll that ran out of time.
    last_failure: std::sync::Mutex<Option<ProviderError>>,
}

impl Watch {
    /// A watch of `pipeline`'s execution `follow`; nothing is called until the first
    /// [`next`](Self::next).
    pub fn new(
        source: Arc<dyn Executions>,
        pipeline: impl Into<String>,
        follow: Follow,
        options: WatchOptions,
    ) -> Self {
        Self {
            source,
            pipeline: pipeline.into(),
            follow,
            options,
            id: None,
            seen: Observation::default(),
            pending: VecDeque::new(),
            interval: None,
            done: false,
            polls: 0,
            calls: 0,
            work: Vec::new(),
            last_failure: std::sync::Mutex::new(None),
        }
    }

    /// How many polls were made so far.
    #[must_use]
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// How many calls the polls made so far (retries not counted).
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// The next event; `None` once the execution has ended and every event was given.
    ///
    /// # Errors
    /// A read that failed after its retries (then the watch ends), or, for [`Follow::Latest`],
    /// `PipelineExecutionNotFoundException` when the pipeline has never run.
    pub async fn next(&mut self) -> Option<Result<WatchEvent, ProviderError>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            if let Some(interval) = self.interval {
                tokio::time::sleep(interval).await;
            }
            // Once the execution is known, a poll is bounded as a whole (before, the wait for
            // a commit's execution to appear is bounded by `appear`, and each read by itself).
            let polled = if self.id.is_some() {
                let give_up = self.options.give_up;
                match tokio::time::timeout(give_up, self.poll()).await {
                    Ok(polled) => polled,
                    Err(_) => Err(self.out_of_time()),
                }
            } else {
                self.poll().await
            };
            if let Err(e) = polled {
                self.done = true;
                return Some(Err(e));
            }
        }
    }

    /// Follows the execution to its end; its final status.
    ///
    /// # Errors
    /// As [`next`](Self::next).
    pub async fn outcome(mut self) -> Result<ExecutionStatus, ProviderError> {
        let mut last = None;
        while let Some(event) = self.next().await {
            if let WatchEvent::Execution { status, .. } = event? {
                last = Some(status);
            }
        }
        last.ok_or_else(|| ProviderError::other("NoExecution", "the watch ended without a status"))
    }

    /// The error of a poll that did not end within [`WatchOptions::give_up`].
    fn out_of_time(&self) -> ProviderError {
        no_answer(self.options.give_up, &self.last_failure)
    }

    async fn poll(&mut self) -> Result<(), ProviderError> {
        self.polls += 1;
        let (source, pipeline, policy) =
            (&self.source, self.pipeline.as_str(), &self.options.retry);
        let last_failure = &self.last_failure;
        let failed = |r: crate::engine::Retrying<'_>| {
            *last_failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r.error.clone());
        };
        let id = match (&self.id, &self.follow) {
            (Some(id), _) | (None, Follow::Id(id)) => id.clone(),
            (None, Follow::Commit(commit)) => {
                let deadline = tokio::time::Instant::now() + self.options.appear;
                loop {
                    let recent = bounded(
                        self.options.give_up,
                        last_failure,
                        retry(policy, || source.executions(pipeline, 20), failed),
                    )
                    .await?;
                    let found = recent.into_iter().find(|e| {
                        e.source_revisions
                            .iter()
                            .any(|r| r.revision_id.as_deref() == Some(commit.as_str()))
                    });
                    if let Some(e) = found {
                        break e.id;
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(ProviderError::other(
                            "PipelineExecutionNotFoundException",
                            format!(
                                "no execution of \"{pipeline}\" runs commit {commit} after {} s \
                                 (is the pipeline's change detection on?)",
                                self.options.appear.as_secs()
                            ),
                        ));
                    }
                    tokio::time::sleep(self.options.fast).await;
                }
            }
            (None, Follow::Latest) => {
                let latest = bounded(
                    self.options.give_up,
                    last_failure,
                    retry(policy, || source.executions(pipeline, 1), failed),
                )
                .await?;
                latest.into_iter().next().map(|e| e.id).ok_or_else(|| {
                    ProviderError::other(
                        "PipelineExecutionNotFoundException",
                        format!("pipeline \"{pipeline}\" has no execution yet"),
                    )
                })?
            }
        };
        if self.id.is_none() {
            self.pending
                .push_back(WatchEvent::Following { id: id.clone() });
            self.id = Some(id.clone());
        }
        let execution = bounded(
            self.options.give_up,
            last_failure,
            retry(policy, || source.execution(pipeline, &id), failed),
        )
        .await?;
        let state = bounded(
            self.options.give_up,
            last_failure,
            retry(policy, || source.state(pipeline), failed),
        )
        .await?;
        let mut now = Observation::of(
            &id,
            (execution.status.clone(), execution.status_summary),
            state,
        );
        let mut events = changes(&self.seen, &now);
        let mut calls = 2;
        for stage in &now.stages {
            for action in &stage.actions {
                let Some(external) = action.external_id.as_deref() else {
                    continue;
                };
                if action.status.is_none() {
                    continue;
                }
                let known = self.work.iter().position(|w| {
                    w.id == external && w.stage == stage.name && w.action == action.name
                });
                let index = match known {
                    Some(i) => i,
                    None => {
                        let kind = if is_build_id(external) {
                            WorkKind::Build {
                                phases: Vec::new(),
                                cursor: None,
                                seen_running: false,
                            }
                        } else if is_deployment_id(external) {
                            WorkKind::Deployment {
                                last: None,
                                instances: Vec::new(),
                            }
                        } else {
                            continue;
                        };
                        self.work.push(Work {
                            stage: stage.name.clone(),
                            action: action.name.clone(),
                            id: external.to_owned(),
                            done: false,
                            unread_ends: 0,
                            kind,
                        });
                        self.work.len() - 1
                    }
                };
                let work = &mut self.work[index];
                if !work.done {
                    calls += work
                        .follow(self.source.as_ref(), self.options.tail, &mut events)
                        .await;
                }
            }
        }
        // An ended execution whose work was not read to its end (a log page or a report whose
        // read failed) is told ended at a later poll, after the rest of that work.
        let settled = self.work.iter().all(|w| w.done);
        let ended = execution.status.is_final() && settled;
        if execution.status.is_final() && !settled {
            events.retain(|e| !matches!(e, WatchEvent::Execution { .. }));
            now.status.clone_from(&self.seen.status);
        }
        // The end comes last, after what the actions' work told on the way.
        if ended
            && let Some(i) = events
                .iter()
                .position(|e| matches!(e, WatchEvent::Execution { .. }))
        {
            let end = events.remove(i);
            events.push(end);
        }
        self.calls += u64::from(calls);
        let adaptive = if !events.is_empty() {
            self.options.fast
        } else if now.waits_on_approval() {
            self.options.approval
        } else {
            self.interval
                .map_or(self.options.fast, |i| (i * 2).min(self.options.slow))
        };
        let budget = if self.options.max_calls_per_second > 0.0 {
            Duration::from_secs_f64(f64::from(calls) / self.options.max_calls_per_second)
        } else {
            Duration::ZERO
        };
        self.interval = Some(adaptive.max(budget));
        self.done = ended;
        self.pending.extend(events);
        self.seen = now;
        Ok(())
    }
}

/// `read` (a read and its retries), ended with an error when it takes longer than `limit`.
async fn bounded<T>(
    limit: Duration,
    last_failure: &std::sync::Mutex<Option<ProviderError>>,
    read: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    tokio::time::timeout(limit, read)
        .await
        .unwrap_or_else(|_| Err(no_answer(limit, last_failure)))
}

/// What a watch whose reads went `limit` without an answer says: that, and the last failure
/// its retries met.
fn no_answer(
    limit: Duration,
    last_failure: &std::sync::Mutex<Option<ProviderError>>,
) -> ProviderError {
    let last = last_failure
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    let message = format!(
        "no answer within {} s{}",
        limit.as_secs(),
        last.map(|e| format!(" (last failure: {e})"))
            .unwrap_or_default()
    );
    ProviderError::new(ErrorClass::Transient, "RequestTimeout", message)
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("pipeline", &self.pipeline)
            .field("follow", &self.follow)
            .field("id", &self.id)
            .field("polls", &self.polls)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executions::ActionState;

    fn action(name: &str, status: Option<ActionStatus>) -> ActionState {
        ActionState {
            name: name.into(),
            status,
            summary: None,
            external_id: None,
            external_url: None,
            token: None,
            error: None,
        }
    }

    fn stage(name: &str, id: &str, status: StageStatus, actions: Vec<ActionState>) -> StageState {
        StageState {
            name: name.into(),
            execution: Some(ExecutionId::new(id)),
            status: Some(status),
            inbound_enabled: true,
            actions,
        }
    }

    #[test]
    fn changes_name_each_transition_once_in_pipeline_order() {
        let id = ExecutionId::new("e1");
        let first = Observation::of(
            &id,
            (ExecutionStatus::InProgress, None),
            PipelineState {
                stages: vec![
                    stage(
                        "Source",
                        "e1",
                        StageStatus::InProgress,
                        vec![action("Checkout", Some(ActionStatus::InProgress))],
                    ),
                    // A stage whose latest run belongs to another execution is not ours.
                    stage(
                        "Build",
                        "e0",
                        StageStatus::Failed,
                        vec![action("Build", Some(ActionStatus::Failed))],
                    ),
                ],
            },
        );
        let events = changes(&Observation::default(), &first);
        assert_eq!(
            events,
            vec![
                WatchEvent::Execution {
                    status: ExecutionStatus::InProgress,
                    summary: None
                },
                WatchEvent::Stage {
                    stage: "Source".into(),
                    status: StageStatus::InProgress
                },
                WatchEvent::Action {
                    stage: "Source".into(),
                    action: "Checkout".into(),
                    status: ActionStatus::InProgress,
                    summary: None,
                    external_id: None,
                    error: None
                },
            ]
        );
        assert!(
            changes(&first, &first).is_empty(),
            "nothing changed, nothing told"
        );
    }

    #[test]
    fn an_approval_is_announced_once_with_its_token() {
        let id = ExecutionId::new("e1");
        let mut approval = action("Approve", Some(ActionStatus::InProgress));
        approval.token = Some(ApprovalToken::new("t1"));
        let obs = Observation::of(
            &id,
            (ExecutionStatus::InProgress, None),
            PipelineState {
                stages: vec![stage("Gate", "e1", StageStatus::InProgress, vec![approval])],
            },
        );
        let events = changes(&Observation::default(), &obs);
        assert!(events.contains(&WatchEvent::ApprovalWaiting {
            stage: "Gate".into(),
            action: "Approve".into(),
            token: ApprovalToken::new("t1"),
        }));
        assert!(obs.waits_on_approval());
        assert!(changes(&obs, &obs).is_empty());
    }
}

#[cfg(test)]
mod watch_tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::executions::ActionState;
    use crate::executions::fake::{Call, FakeExecutions, Step};
    use crate::executions::{LogFrom, LogLine, ReportSummary};

    fn run(status: ActionStatus, token: Option<&str>) -> PipelineState {
        PipelineState {
            stages: vec![StageState {
                name: "Gate".into(),
                execution: Some(ExecutionId::new("e1")),
                status: Some(match status {
                    ActionStatus::Succeeded => StageStatus::Succeeded,
                    ActionStatus::Failed => StageStatus::Failed,
                    _ => StageStatus::InProgress,
                }),
                inbound_enabled: true,
                actions: vec![ActionState {
                    name: "Approve".into(),
                    status: Some(status),
                    summary: None,
                    external_id: None,
                    external_url: None,
                    token: token.map(ApprovalToken::new),
                    error: None,
                }],
            }],
        }
    }

    fn script() -> Vec<Step> {
        vec![
            Step {
                at: Duration::ZERO,
                status: ExecutionStatus::InProgress,
                state: run(ActionStatus::InProgress, None),
            },
            Step {
                at: Duration::from_secs(3),
                status: ExecutionStatus::InProgress,
                state: run(ActionStatus::InProgress, Some("t1")),
            },
            Step {
                at: Duration::from_secs(120),
                status: ExecutionStatus::Succeeded,
                state: run(ActionStatus::Succeeded, None),
            },
        ]
    }

    #[tokio::test(start_paused = true)]
    async fn a_watch_tells_each_change_once_and_ends_with_the_execution() {
        let fake = Arc::new(FakeExecutions::scripted("shop", "e1", script()));
        let mut watch = Watch::new(
            fake.clone(),
            "shop",
            Follow::Latest,
            WatchOptions::default(),
        );
        let mut events = Vec::new();
        while let Some(e) = watch.next().await {
            events.push(e.unwrap());
        }
        assert_eq!(
            events[0],
            WatchEvent::Following {
                id: ExecutionId::new("e1")
            }
        );
        let approvals = events
            .iter()
            .filter(|e| matches!(e, WatchEvent::ApprovalWaiting { .. }))
            .count();
        assert_eq!(approvals, 1, "{events:#?}");
        // The end comes last, right after the change that made it.
        let n = events.len();
        assert_eq!(
            events[n - 2],
            WatchEvent::Action {
                stage: "Gate".into(),
                action: "Approve".into(),
                status: ActionStatus::Succeeded,
                summary: None,
                external_id: None,
                error: None,
            }
        );
        assert_eq!(
            events[n - 1],
            WatchEvent::Execution {
                status: ExecutionStatus::Succeeded,
                summary: None
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn polling_slows_down_while_an_approval_waits() {
        let fake = Arc::new(FakeExecutions::scripted("shop", "e1", script()));
        let watch = Watch::new(
            fake.clone(),
            "shop",
            Follow::Id(ExecutionId::new("e1")),
            WatchOptions::default(),
        );
        let started = tokio::time::Instant::now();
        assert_eq!(watch.outcome().await.unwrap(), ExecutionStatus::Succeeded);
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_secs(120), "{elapsed:?}");
        let reads = fake
            .calls()
            .iter()
            .filter(|c| matches!(c, Call::Execution | Call::State))
            .count();
        // 117 s of waiting on an approval at one poll (two reads) per 10 s, plus the first
        // seconds at the fast rate: far below 3 calls a second.
        let per_second = reads as f64 / elapsed.as_secs_f64();
        assert!(per_second < 0.5, "{reads} reads in {elapsed:?}");
        assert!(reads >= 20, "it still looked regularly: {reads}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_read_is_retried_and_the_watch_goes_on() {
        let fake = Arc::new(FakeExecutions::scripted("shop", "e1", script()));
        fake.throttle_next(2);
        let watch = Watch::new(
            fake.clone(),
            "shop",
            Follow::Latest,
            WatchOptions::default(),
        );
        assert_eq!(watch.outcome().await.unwrap(), ExecutionStatus::Succeeded);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pipeline_that_does_not_exist_ends_the_watch_with_aws_error() {
        let fake = Arc::new(FakeExecutions::scripted("shop", "e1", script()));
        let mut watch = Watch::new(fake, "other", Follow::Latest, WatchOptions::default());
        let err = watch.next().await.unwrap().unwrap_err();
        assert_eq!(err.code, "PipelineNotFoundException");
        assert!(watch.next().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pushed_commit_is_followed_once_its_execution_appears() {
        let fake = Arc::new(
            FakeExecutions::scripted("shop", "e1", script())
                .runs_commit(Duration::from_secs(4), "c0ffee"),
        );
        let mut watch = Watch::new(
            fake.clone(),
            "shop",
            Follow::Commit("c0ffee".into()),
            WatchOptions::default(),
        );
        let started = tokio::time::Instant::now();
        let first = watch.next().await.unwrap().unwrap();
        assert_eq!(
            first,
            WatchEvent::Following {
                id: ExecutionId::new("e1")
            }
        );
        assert!(
            started.elapsed() >= Duration::from_secs(4),
            "it waited for the execution to appear"
        );

        let never = Arc::new(FakeExecutions::scripted("shop", "e1", script()));
        let mut watch = Watch::new(
            never,
            "shop",
            Follow::Commit("beef".into()),
            WatchOptions::default(),
        );
        let err = watch.next().await.unwrap().unwrap_err();
        assert_eq!(err.code, "PipelineExecutionNotFoundException");
        assert!(err.message.contains("beef"), "{err}");
    }

    const BUILD_ID: &str = "shop-build:0f5c8f6e-2b7a-4d1c-9a39-5f1f2d3c4b5a";

    fn build_stage(status: ActionStatus) -> PipelineState {
        PipelineState {
            stages: vec![StageState {
                name: "Build".into(),
                execution: Some(ExecutionId::new("e1")),
                status: Some(if status == ActionStatus::InProgress {
                    StageStatus::InProgress
                } else {
                    StageStatus::Failed
                }),
                inbound_enabled: true,
                actions: vec![ActionState {
                    name: "Compile".into(),
                    status: Some(status),
                    summary: None,
                    external_id: Some(BUILD_ID.into()),
                    external_url: None,
                    token: None,
                    error: None,
                }],
            }],
        }
    }

    fn phase(
        name: &str,
        status: Option<&str>,
        context: Option<&str>,
    ) -> crate::executions::BuildPhase {
        crate::executions::BuildPhase {
            name: name.into(),
            status: status.map(str::to_owned),
            contexts: context.into_iter().map(str::to_owned).collect(),
            seconds: None,
        }
    }

    fn build(status: BuildStatus, phases: Vec<crate::executions::BuildPhase>) -> Build {
        Build {
            id: BUILD_ID.into(),
            status,
            current_phase: phases.last().map(|p| p.name.clone()),
            phases,
            log: Some(crate::executions::LogStream {
                group: "/aws/codebuild/shop-build".into(),
                stream: "0f5c8f6e-2b7a-4d1c-9a39-5f1f2d3c4b5a".into(),
                deep_link: None,
            }),
            report_arns: vec![
                "arn:aws:codebuild:us-east-1:000000000000:report/shop-build-unit:r1".into(),
            ],
        }
    }

    const FAILED: &str =
        "COMMAND_EXECUTION_ERROR: Error while executing command: npm test. Reason: exit status 1";

    fn failing_build(run_for: Duration) -> FakeExecutions {
        let lines = (0..30)
            .map(|i| {
                (
                    Duration::from_millis(500 * i),
                    LogLine {
                        timestamp: i64::try_from(i).unwrap(),
                        message: format!("line {i}"),
                    },
                )
            })
            .collect();
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
                    at: run_for,
                    status: ExecutionStatus::Failed,
                    state: build_stage(ActionStatus::Failed),
                },
            ],
        )
        .build_at(
            Duration::ZERO,
            build(
                BuildStatus::InProgress,
                vec![
                    phase("SUBMITTED", Some("SUCCEEDED"), None),
                    phase("BUILD", None, None),
                ],
            ),
        )
        .build_at(
            run_for,
            build(
                BuildStatus::Failed,
                vec![
                    phase("SUBMITTED", Some("SUCCEEDED"), None),
                    phase("BUILD", Some("FAILED"), Some(FAILED)),
                    phase("COMPLETED", None, None),
                ],
            ),
        )
        .log_lines(lines)
        .log_page_size(4)
        .with_reports(vec![ReportSummary {
            arn: "arn:aws:codebuild:us-east-1:000000000000:report/shop-build-unit:r1".into(),
            status: "FAILED".into(),
            total: 3,
            by_status: vec![("FAILED".into(), 1), ("SUCCEEDED".into(), 2)],
        }])
    }

    async fn all(watch: &mut Watch) -> Vec<WatchEvent> {
        let mut events = Vec::new();
        while let Some(e) = watch.next().await {
            events.push(e.unwrap());
        }
        events
    }

    fn log_messages(events: &[WatchEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                WatchEvent::LogLine { line, .. } => Some(line.message.clone()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_builds_log_is_told_line_by_line_across_pages_without_loss_or_repeat() {
        let fake = Arc::new(failing_build(Duration::from_secs(20)));
        let mut watch = Watch::new(
            fake.clone(),
            "shop",
            Follow::Latest,
            WatchOptions::default(),
        );
        let started = tokio::time::Instant::now();
        let events = all(&mut watch).await;
        let expected: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
        assert_eq!(log_messages(&events), expected, "{events:#?}");
        // Paged 4 at a time: more than one page was read, each from the token before.
        let reads: Vec<_> = fake
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::LogEvents(from) => Some(from),
                _ => None,
            })
            .collect();
        assert_eq!(reads[0], LogFrom::Start);
        assert!(reads.len() >= 8, "{reads:?}");
        // The failing phase with its command, told once, then the reports, then the end.
        let failed: Vec<_> = events
            .iter()
            .filter(
                |e| matches!(e, WatchEvent::BuildPhase { status: Some(s), .. } if s == "FAILED"),
            )
            .collect();
        assert_eq!(failed.len(), 1, "{events:#?}");
        assert!(
            matches!(failed[0], WatchEvent::BuildPhase { contexts, .. } if contexts == &vec![FAILED.to_owned()])
        );
        let began = events
            .iter()
            .filter(|e| matches!(e, WatchEvent::BuildPhase { phase, status: None, .. } if phase == "BUILD"))
            .count();
        assert_eq!(began, 1);
        let n = events.len();
        assert!(
            matches!(&events[n - 2], WatchEvent::TestReport { report, .. } if report.total == 3)
        );
        assert_eq!(
            events[n - 1],
            WatchEvent::Execution {
                status: ExecutionStatus::Failed,
                summary: None
            }
        );
        // The budget holds while the log streams: at most 3 calls a second.
        let calls = fake.calls().len() as f64;
        let per_second = calls / started.elapsed().as_secs_f64();
        assert!(
            per_second <= 3.0,
            "{calls} calls in {:?}",
            started.elapsed()
        );
        assert_eq!(
            watch.calls(),
            fake.calls().len() as u64 - 1,
            "all but the listing"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_build_that_failed_before_the_watch_shows_its_failing_command_and_log_tail() {
        let fake = Arc::new(failing_build(Duration::ZERO));
        tokio::time::advance(Duration::from_secs(30)).await;
        let mut watch = Watch::new(
            fake.clone(),
            "shop",
            Follow::Latest,
            WatchOptions::default(),
        );
        let events = all(&mut watch).await;
        let expected: Vec<String> = (10..30).map(|i| format!("line {i}")).collect();
        assert_eq!(
            log_messages(&events),
            expected,
            "the last 20 lines: {events:#?}"
        );
        assert!(fake.calls().contains(&Call::LogEvents(LogFrom::Tail(20))));
        assert!(
            events.iter().any(
                |e| matches!(e, WatchEvent::BuildPhase { contexts, .. } if contexts.len() == 1)
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn deployment_progress_is_told_per_instance_once_per_change() {
        use crate::executions::{Deployment, InstanceProgress};
        let id = "d-ABCDEF123";
        let state = |status: ActionStatus| PipelineState {
            stages: vec![StageState {
                name: "Deploy".into(),
                execution: Some(ExecutionId::new("e1")),
                status: Some(StageStatus::InProgress),
                inbound_enabled: true,
                actions: vec![ActionState {
                    name: "ToFleet".into(),
                    status: Some(status),
                    summary: None,
                    external_id: Some(id.into()),
                    external_url: None,
                    token: None,
                    error: None,
                }],
            }],
        };
        let instance = |n: &str, status: &str, events: &[(&str, &str)]| InstanceProgress {
            id: n.into(),
            status: status.into(),
            events: events
                .iter()
                .map(|(a, b)| ((*a).into(), (*b).into()))
                .collect(),
        };
        let deployment = |status: &str, instances: Vec<InstanceProgress>| Deployment {
            id: id.into(),
            status: status.into(),
            overview: DeploymentOverview {
                in_progress: instances
                    .iter()
                    .filter(|i| i.status == "InProgress")
                    .count() as i64,
                succeeded: instances.iter().filter(|i| i.status == "Succeeded").count() as i64,
                ..DeploymentOverview::default()
            },
            error: None,
            instances,
        };
        let fake = Arc::new(
            FakeExecutions::scripted(
                "shop",
                "e1",
                vec![
                    Step {
                        at: Duration::ZERO,
                        status: ExecutionStatus::InProgress,
                        state: state(ActionStatus::InProgress),
                    },
                    Step {
                        at: Duration::from_secs(12),
                        status: ExecutionStatus::Succeeded,
                        state: state(ActionStatus::Succeeded),
                    },
                ],
            )
            .deployment_at(
                Duration::ZERO,
                deployment(
                    "InProgress",
                    vec![
                        instance(
                            "i-1",
                            "InProgress",
                            &[("DownloadBundle", "InProgress"), ("Install", "Pending")],
                        ),
                        instance("i-2", "Pending", &[]),
                    ],
                ),
            )
            .deployment_at(
                Duration::from_secs(4),
                deployment(
                    "InProgress",
                    vec![
                        instance(
                            "i-1",
                            "Succeeded",
                            &[("DownloadBundle", "Succeeded"), ("Install", "Succeeded")],
                        ),
                        instance("i-2", "InProgress", &[("DownloadBundle", "InProgress")]),
                    ],
                ),
            )
            .deployment_at(
                Duration::from_secs(10),
                deployment(
                    "Succeeded",
                    vec![
                        instance(
                            "i-1",
                            "Succeeded",
                            &[("DownloadBundle", "Succeeded"), ("Install", "Succeeded")],
                        ),
                        instance("i-2", "Succeeded", &[("DownloadBundle", "Succeeded")]),
                    ],
                ),
            ),
        );
        let mut watch = Watch::new(fake, "shop", Follow::Latest, WatchOptions::default());
        let told: Vec<(String, String, Option<String>)> = all(&mut watch)
            .await
            .into_iter()
            .filter_map(|e| match e {
                WatchEvent::DeploymentInstance {
                    instance,
                    status,
                    event,
                    ..
                } => Some((instance, status, event.map(|(n, s)| format!("{n} {s}")))),
                _ => None,
            })
            .collect();
        let t =
            |i: &str, s: &str, e: Option<&str>| (i.to_owned(), s.to_owned(), e.map(str::to_owned));
        assert_eq!(
            told,
            vec![
                t("i-1", "InProgress", Some("DownloadBundle InProgress")),
                t("i-2", "Pending", None),
                t("i-1", "Succeeded", Some("Install Succeeded")),
                t("i-2", "InProgress", Some("DownloadBundle InProgress")),
                t("i-2", "Succeeded", Some("DownloadBundle Succeeded")),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_execution_queued_behind_another_says_so_once() {
        let held = |ours: Option<StageStatus>| PipelineState {
            stages: vec![
                StageState {
                    name: "Source".into(),
                    execution: Some(ExecutionId::new("e1")),
                    status: Some(StageStatus::Succeeded),
                    inbound_enabled: true,
                    actions: vec![],
                },
                StageState {
                    name: "Build".into(),
                    execution: Some(ExecutionId::new(if ours.is_some() { "e1" } else { "e0" })),
                    status: Some(ours.unwrap_or(StageStatus::InProgress)),
                    inbound_enabled: true,
                    actions: vec![],
                },
            ],
        };
        let fake = Arc::new(FakeExecutions::scripted(
            "shop",
            "e1",
            vec![
                Step {
                    at: Duration::ZERO,
                    status: ExecutionStatus::InProgress,
                    state: held(None),
                },
                Step {
                    at: Duration::from_secs(30),
                    status: ExecutionStatus::InProgress,
                    state: held(Some(StageStatus::InProgress)),
                },
                Step {
                    at: Duration::from_secs(40),
                    status: ExecutionStatus::Succeeded,
                    state: held(Some(StageStatus::Succeeded)),
                },
            ],
        ));
        let mut watch = Watch::new(fake, "shop", Follow::Latest, WatchOptions::default());
        let events = all(&mut watch).await;
        let queued: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, WatchEvent::Queued { .. }))
            .collect();
        assert_eq!(
            queued,
            vec![&WatchEvent::Queued {
                stage: "Build".into(),
                behind: ExecutionId::new("e0")
            }]
        );
        let position = |wanted: &WatchEvent| events.iter().position(|e| e == wanted).unwrap();
        assert!(
            position(queued[0])
                < position(&WatchEvent::Stage {
                    stage: "Build".into(),
                    status: StageStatus::InProgress
                })
        );
    }

    #[test]
    fn external_ids_tell_builds_from_deployments() {
        assert!(is_build_id(BUILD_ID));
        assert!(!is_build_id("d-ABCDEF123"));
        assert!(is_deployment_id("d-ABCDEF123"));
        assert!(!is_deployment_id("d-abcdef123"));
        assert!(!is_deployment_id(BUILD_ID));
    }

    /// The fake, with every log read from a moment on failing a few times: a build that ended
    /// whose last pages could not be read at once.
    struct LateLogFailures {
        inner: FakeExecutions,
        from: tokio::time::Instant,
        failures: std::sync::atomic::AtomicU32,
        /// From when every read takes this long and then fails, as reads through a network
        /// that went away do (the SDK's own retries inside).
        outage: Option<(tokio::time::Instant, Duration)>,
    }

    impl LateLogFailures {
        /// Whether the outage has begun: then the failing read.
        fn down<'a, T: Send + 'a>(
            &self,
        ) -> Option<crate::provider::api::BoxFuture<'a, Result<T, ProviderError>>> {
            let (from, slow) = self.outage?;
            (tokio::time::Instant::now() >= from).then(|| {
                let failing: crate::provider::api::BoxFuture<'a, Result<T, ProviderError>> =
                    Box::pin(async move {
                        tokio::time::sleep(slow).await;
                        Err(ProviderError::new(
                            ErrorClass::Transient,
                            "DispatchFailure",
                            "connection refused",
                        ))
                    });
                failing
            })
        }
    }

    impl Executions for LateLogFailures {
        fn start<'a>(
            &'a self,
            pipeline: &'a str,
            request: &'a crate::executions::StartRequest,
        ) -> crate::provider::api::BoxFuture<'a, Result<ExecutionId, ProviderError>> {
            self.inner.start(pipeline, request)
        }
        fn execution<'a>(
            &'a self,
            pipeline: &'a str,
            id: &'a ExecutionId,
        ) -> crate::provider::api::BoxFuture<'a, Result<crate::executions::Execution, ProviderError>>
        {
            if let Some(down) = self.down() {
                return down;
            }
            self.inner.execution(pipeline, id)
        }
        fn executions<'a>(
            &'a self,
            pipeline: &'a str,
            limit: usize,
        ) -> crate::provider::api::BoxFuture<
            'a,
            Result<Vec<crate::executions::ExecutionSummary>, ProviderError>,
        > {
            if let Some(down) = self.down() {
                return down;
            }
            self.inner.executions(pipeline, limit)
        }
        fn state<'a>(
            &'a self,
            pipeline: &'a str,
        ) -> crate::provider::api::BoxFuture<'a, Result<PipelineState, ProviderError>> {
            if let Some(down) = self.down() {
                return down;
            }
            self.inner.state(pipeline)
        }
        fn approve<'a>(
            &'a self,
            pipeline: &'a str,
            stage: &'a str,
            action: &'a str,
            token: &'a ApprovalToken,
            decision: crate::executions::Decision,
            comment: &'a str,
        ) -> crate::provider::api::BoxFuture<'a, Result<(), ProviderError>> {
            self.inner
                .approve(pipeline, stage, action, token, decision, comment)
        }
        fn stop<'a>(
            &'a self,
            pipeline: &'a str,
            id: &'a ExecutionId,
            abandon: bool,
            reason: &'a str,
        ) -> crate::provider::api::BoxFuture<'a, Result<(), ProviderError>> {
            self.inner.stop(pipeline, id, abandon, reason)
        }
        fn retry_stage<'a>(
            &'a self,
            pipeline: &'a str,
            id: &'a ExecutionId,
            stage: &'a str,
            mode: crate::executions::RetryMode,
        ) -> crate::provider::api::BoxFuture<'a, Result<ExecutionId, ProviderError>> {
            self.inner.retry_stage(pipeline, id, stage, mode)
        }
        fn git_remote<'a>(
            &'a self,
            repository: &'a str,
        ) -> crate::provider::api::BoxFuture<'a, Result<crate::executions::GitRemote, ProviderError>>
        {
            self.inner.git_remote(repository)
        }
        fn build<'a>(
            &'a self,
            id: &'a str,
        ) -> crate::provider::api::BoxFuture<'a, Result<Build, ProviderError>> {
            if let Some(down) = self.down() {
                return down;
            }
            self.inner.build(id)
        }
        fn log_events<'a>(
            &'a self,
            log: &'a crate::executions::LogStream,
            from: &'a LogFrom,
        ) -> crate::provider::api::BoxFuture<'a, Result<crate::executions::LogPage, ProviderError>>
        {
            use std::sync::atomic::Ordering;
            if let Some(down) = self.down() {
                return down;
            }
            if tokio::time::Instant::now() >= self.from
                && self
                    .failures
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok()
            {
                return Box::pin(async {
                    Err(ProviderError::other("InternalFailure", "injected"))
                });
            }
            self.inner.log_events(log, from)
        }
        fn reports<'a>(
            &'a self,
            arns: &'a [String],
        ) -> crate::provider::api::BoxFuture<'a, Result<Vec<ReportSummary>, ProviderError>>
        {
            self.inner.reports(arns)
        }
        fn deployment<'a>(
            &'a self,
            id: &'a str,
        ) -> crate::provider::api::BoxFuture<'a, Result<crate::executions::Deployment, ProviderError>>
        {
            self.inner.deployment(id)
        }
    }

    /// Regression: the last pages of a build that had just ended were read once, and a failed
    /// read lost every line not yet told.
    #[tokio::test(start_paused = true)]
    async fn an_ended_builds_last_log_pages_are_read_again_when_a_read_fails() {
        let run_for = Duration::from_secs(20);
        // One line a page, so that lines are still unread when the build ends.
        let source = Arc::new(LateLogFailures {
            inner: failing_build(run_for).log_page_size(1),
            from: tokio::time::Instant::now() + run_for,
            failures: std::sync::atomic::AtomicU32::new(2),
            outage: None,
        });
        let mut watch = Watch::new(
            source.clone(),
            "shop",
            Follow::Latest,
            WatchOptions::default(),
        );
        let events = all(&mut watch).await;
        let expected: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
        assert_eq!(log_messages(&events), expected, "{events:#?}");
        assert_eq!(
            source.failures.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "the failures were injected"
        );
        assert_eq!(
            events.last(),
            Some(&WatchEvent::Execution {
                status: ExecutionStatus::Failed,
                summary: None
            }),
            "the end is told last"
        );
    }

    /// Regression: a total outage took over a minute to be told (the SDK's retries inside each
    /// of the watch's read retries); a poll is now bounded by `give_up`, whatever its reads do.
    #[tokio::test(start_paused = true)]
    async fn a_total_outage_ends_the_watch_within_its_give_up_time() {
        let began = tokio::time::Instant::now() + Duration::from_secs(30);
        let source = Arc::new(LateLogFailures {
            inner: FakeExecutions::scripted("shop", "e1", script()),
            from: began,
            failures: std::sync::atomic::AtomicU32::new(0),
            // Each read takes 20 s to fail: four of them in a row would take well over a minute.
            outage: Some((began, Duration::from_secs(20))),
        });
        let options = WatchOptions::default();
        let (give_up, longest_wait) = (options.give_up, options.approval.max(options.slow));
        assert_eq!(give_up, Duration::from_secs(25));
        let mut watch = Watch::new(source, "shop", Follow::Latest, options);
        let error = loop {
            match watch.next().await {
                Some(Ok(_)) => {}
                Some(Err(e)) => break e,
                None => panic!("the watch ended without an error"),
            }
        };
        let ended = tokio::time::Instant::now();
        assert!(ended > began, "the watch ended before the outage");
        let told = ended - began;
        assert!(
            told <= longest_wait + give_up,
            "told {told:?} after the outage"
        );
        assert_eq!(error.code, "RequestTimeout");
        assert!(
            error.message.contains("no answer within 25 s")
                && error
                    .message
                    .contains("DispatchFailure: connection refused"),
            "{error}"
        );
        assert!(watch.next().await.is_none(), "the watch is over");
    }
}
