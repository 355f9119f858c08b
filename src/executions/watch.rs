//! Following one execution: successive observations turned into events, polled adaptively.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::{
    ActionStatus, ApprovalToken, ExecutionId, ExecutionStatus, Executions, PipelineState,
    StageState, StageStatus,
};
use crate::engine::{RetryPolicy, retry};
use crate::provider::api::ProviderError;

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
}

/// How a [`Watch`] polls. Each poll is two calls (`GetPipelineExecution`, `GetPipelineState`).
#[derive(Debug, Clone)]
#[must_use]
pub struct WatchOptions {
    /// The interval right after something changed.
    pub fast: Duration,
    /// The longest interval while things run but nothing changes (doubling from `fast`).
    pub slow: Duration,
    /// The interval while nothing runs but an approval waits.
    pub approval: Duration,
    /// Retries of each read (throttling and network failures), on tokio's clock.
    pub retry: RetryPolicy,
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
            fast: Duration::from_secs(1),
            slow: Duration::from_secs(5),
            approval: Duration::from_secs(10),
            retry: RetryPolicy::READS,
            appear: Duration::from_secs(60),
        }
    }
}

/// One look at the execution: its status and the stages whose latest run is this execution's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Observation {
    status: Option<(ExecutionStatus, Option<String>)>,
    stages: Vec<StageState>,
}

impl Observation {
    fn of(
        id: &ExecutionId,
        status: (ExecutionStatus, Option<String>),
        state: PipelineState,
    ) -> Self {
        Self {
            status: Some(status),
            stages: state
                .stages
                .into_iter()
                .filter(|s| s.execution.as_ref() == Some(id))
                .collect(),
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
        }
    }

    /// How many polls were made so far (each is two calls).
    #[must_use]
    pub fn polls(&self) -> u64 {
        self.polls
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
            if let Err(e) = self.poll().await {
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

    async fn poll(&mut self) -> Result<(), ProviderError> {
        self.polls += 1;
        let (source, pipeline, policy) =
            (&self.source, self.pipeline.as_str(), &self.options.retry);
        let id = match (&self.id, &self.follow) {
            (Some(id), _) | (None, Follow::Id(id)) => id.clone(),
            (None, Follow::Commit(commit)) => {
                let deadline = tokio::time::Instant::now() + self.options.appear;
                loop {
                    let recent = retry(policy, || source.executions(pipeline, 20), |_| {}).await?;
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
                let latest = retry(policy, || source.executions(pipeline, 1), |_| {}).await?;
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
        let execution = retry(policy, || source.execution(pipeline, &id), |_| {}).await?;
        let state = retry(policy, || source.state(pipeline), |_| {}).await?;
        let now = Observation::of(
            &id,
            (execution.status.clone(), execution.status_summary),
            state,
        );
        let events = changes(&self.seen, &now);
        self.interval = Some(if !events.is_empty() {
            self.options.fast
        } else if now.waits_on_approval() {
            self.options.approval
        } else {
            self.interval
                .map_or(self.options.fast, |i| (i * 2).min(self.options.slow))
        });
        self.done = execution.status.is_final();
        self.pending.extend(events);
        self.seen = now;
        Ok(())
    }
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
        assert_eq!(
            events.last(),
            Some(&WatchEvent::Action {
                stage: "Gate".into(),
                action: "Approve".into(),
                status: ActionStatus::Succeeded,
                summary: None,
                external_id: None,
                error: None,
            })
        );
        assert!(events.contains(&WatchEvent::Execution {
            status: ExecutionStatus::Succeeded,
            summary: None
        }));
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
}
