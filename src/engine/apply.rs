//! The executor: runs a plan through a provider with bounded concurrency, reporting progress
//! as events and ending with a report of what was done, what failed and what was skipped.
//!
//! A resource starts as soon as everything it depends on is done (so the time taken follows
//! the depth of the dependency graph, not the number of resources), with at most
//! [`ApplyOptions::concurrency`] provider calls in flight. When a resource fails, the resources
//! that depend on it are skipped while independent ones carry on. Deletes (pruned resources,
//! the old half of a create-then-delete replacement, everything in a destroy plan) run after
//! every create and update succeeded, users before what they use.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::EngineError;
use super::diff::{Change, ChangeKind, ReplaceStrategy, changed_fields, forced_by};
use super::plan::{Mode, Plan, delete_rank, plan_destroy};
use super::resolve::ResolvedApp;
use super::retry::{RetryPolicy, retry};
use crate::model::ResourceKind;
use crate::provider::api::{
    ErrorClass, FieldChange, Operation, Owner, Provider, ProviderError, Resource, carries_owner,
    kind_word, serialize_kind,
};

/// Receives progress events; called from the executor's tasks, so it must be quick.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// How to apply a plan.
#[derive(Clone)]
#[must_use]
pub struct ApplyOptions {
    concurrency: usize,
    prune: bool,
    retry: RetryPolicy,
    events: Option<EventSink>,
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("concurrency", &self.concurrency)
            .field("prune", &self.prune)
            .field("retry", &self.retry)
            .field("events", &self.events.is_some())
            .finish()
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            concurrency: super::DEFAULT_CONCURRENCY,
            prune: false,
            retry: RetryPolicy::default(),
            events: None,
        }
    }
}

impl ApplyOptions {
    /// The most provider calls in flight at once (default [`DEFAULT_CONCURRENCY`](super::DEFAULT_CONCURRENCY);
    /// 0 counts as 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Whether to delete what the app owns but the model no longer has (default no).
    pub fn prune(mut self, prune: bool) -> Self {
        self.prune = prune;
        self
    }

    /// How to retry calls failing just after a role change.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Where progress events go.
    pub fn on_event(mut self, sink: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.events = Some(Arc::new(sink));
        self
    }

    fn emit(&self, event: Event) {
        if let Some(sink) = &self.events {
            sink(&event);
        }
    }
}

/// The resource an [`Event`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventResource {
    /// Logical id.
    pub id: String,
    /// Kind.
    pub kind: ResourceKind,
    /// Physical name.
    pub physical_name: String,
}

impl EventResource {
    /// The resource with this id, kind and physical name.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        kind: ResourceKind,
        physical_name: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            physical_name: physical_name.into(),
        }
    }
}

/// Progress of an apply or destroy: what happened to which resource.
///
/// Serialized flat, as `{"event": "started", "id": …, "kind": …, "physical_name": …,
/// "operation": …}`: the [`EventKind`] in `event`, its fields after the resource's.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// The resource it is about.
    pub resource: EventResource,
    /// What happened.
    pub what: EventKind,
}

impl Event {
    /// An event about `resource`.
    #[must_use]
    pub fn new(resource: EventResource, what: EventKind) -> Self {
        Self { resource, what }
    }
}

/// What happened to the resource of an [`Event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// A provider call started.
    Started {
        /// The call.
        operation: Operation,
    },
    /// A call failed in a way expected to clear and will be tried again.
    Retrying {
        /// The call.
        operation: Operation,
        /// The attempt that failed, from 1.
        attempt: u32,
        /// How long until the next attempt, in milliseconds.
        delay_ms: u64,
        /// The error.
        error: ProviderError,
    },
    /// A call succeeded.
    Succeeded {
        /// The call.
        operation: Operation,
        /// How long it took, retries included, in milliseconds.
        elapsed_ms: u64,
    },
    /// A call failed for good.
    Failed {
        /// The call.
        operation: Operation,
        /// The error.
        error: ProviderError,
    },
    /// A resource was not touched because of another one.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// The JSON form of an [`Event`], the same as when each kind repeated the resource.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum EventWire<'a> {
    Started {
        id: &'a str,
        #[serde(serialize_with = "serialize_kind")]
        kind: &'a ResourceKind,
        physical_name: &'a str,
        operation: Operation,
    },
    Retrying {
        id: &'a str,
        #[serde(serialize_with = "serialize_kind")]
        kind: &'a ResourceKind,
        physical_name: &'a str,
        operation: Operation,
        attempt: u32,
        delay_ms: u64,
        error: &'a ProviderError,
    },
    Succeeded {
        id: &'a str,
        #[serde(serialize_with = "serialize_kind")]
        kind: &'a ResourceKind,
        physical_name: &'a str,
        operation: Operation,
        elapsed_ms: u64,
    },
    Failed {
        id: &'a str,
        #[serde(serialize_with = "serialize_kind")]
        kind: &'a ResourceKind,
        physical_name: &'a str,
        operation: Operation,
        error: &'a ProviderError,
    },
    Skipped {
        id: &'a str,
        #[serde(serialize_with = "serialize_kind")]
        kind: &'a ResourceKind,
        physical_name: &'a str,
        reason: &'a str,
    },
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let EventResource {
            id,
            kind,
            physical_name,
        } = &self.resource;
        let wire = match &self.what {
            EventKind::Started { operation } => EventWire::Started {
                id,
                kind,
                physical_name,
                operation: *operation,
            },
            EventKind::Retrying {
                operation,
                attempt,
                delay_ms,
                error,
            } => EventWire::Retrying {
                id,
                kind,
                physical_name,
                operation: *operation,
                attempt: *attempt,
                delay_ms: *delay_ms,
                error,
            },
            EventKind::Succeeded {
                operation,
                elapsed_ms,
            } => EventWire::Succeeded {
                id,
                kind,
                physical_name,
                operation: *operation,
                elapsed_ms: *elapsed_ms,
            },
            EventKind::Failed { operation, error } => EventWire::Failed {
                id,
                kind,
                physical_name,
                operation: *operation,
                error,
            },
            EventKind::Skipped { reason } => EventWire::Skipped {
                id,
                kind,
                physical_name,
                reason,
            },
        };
        wire.serialize(s)
    }
}

/// How one resource ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Its change was made.
    Done,
    /// A call failed.
    Failed {
        /// The call.
        operation: Operation,
        /// The error, with the AWS code and message.
        error: ProviderError,
    },
    /// Not attempted because of another resource.
    Skipped {
        /// Why.
        reason: String,
    },
    /// In conflict: it exists but is not the app's, and was left untouched.
    Conflict {
        /// What is there and how to adopt it.
        message: String,
    },
    /// Deliberately left in place.
    Kept {
        /// Why.
        reason: String,
    },
}

impl Status {
    /// Which kind of ending it is, without its details.
    #[must_use]
    pub fn kind(&self) -> StatusKind {
        match self {
            Self::Done => StatusKind::Done,
            Self::Failed { .. } => StatusKind::Failed,
            Self::Skipped { .. } => StatusKind::Skipped,
            Self::Conflict { .. } => StatusKind::Conflict,
            Self::Kept { .. } => StatusKind::Kept,
        }
    }
}

/// The kinds of [`Status`], without their details: what [`Report::with_status`] filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatusKind {
    /// [`Status::Done`].
    Done,
    /// [`Status::Failed`].
    Failed,
    /// [`Status::Skipped`].
    Skipped,
    /// [`Status::Conflict`].
    Conflict,
    /// [`Status::Kept`].
    Kept,
}

/// The outcome of one resource of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// Logical id.
    pub id: String,
    /// Kind.
    #[serde(serialize_with = "serialize_kind")]
    pub kind: ResourceKind,
    /// Physical name.
    pub physical_name: String,
    /// The planned change: create, update, replace, delete or conflict.
    pub change: ChangeKind,
    /// How it ended.
    pub status: Status,
    /// Time spent on it, in milliseconds.
    pub elapsed_ms: u64,
}

/// What an apply or destroy did. Every resource the plan changes appears once (the old half
/// of a create-then-delete replacement as a second `delete` outcome).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// One entry per planned change, in plan order.
    pub outcomes: Vec<Outcome>,
    /// Wall-clock time, in milliseconds.
    pub elapsed_ms: u64,
}

impl Report {
    /// Whether AWS now matches the plan: nothing failed, was skipped or is in conflict.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| matches!(o.status, Status::Done | Status::Kept { .. }))
    }

    /// The outcomes whose status is of the given kind.
    pub fn with_status(&self, status: StatusKind) -> impl Iterator<Item = &Outcome> + '_ {
        self.outcomes
            .iter()
            .filter(move |o| o.status.kind() == status)
    }
}

impl fmt::Display for Report {
    /// `5 done, 1 failed, 2 skipped` (conflicts and kept resources when there are any).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |s| self.with_status(s).count();
        write!(
            f,
            "{} done, {} failed, {} skipped",
            n(StatusKind::Done),
            n(StatusKind::Failed),
            n(StatusKind::Skipped)
        )?;
        for (word, count) in [
            ("in conflict", n(StatusKind::Conflict)),
            ("kept", n(StatusKind::Kept)),
        ] {
            if count > 0 {
                write!(f, ", {count} {word}")?;
            }
        }
        Ok(())
    }
}

/// One provider call of a node.
#[derive(Debug, Clone)]
enum Step {
    Create(Resource),
    Update(Resource, Vec<FieldChange>),
    Delete(ResourceKind, String),
}

impl Step {
    fn operation(&self) -> Operation {
        match self {
            Self::Create(_) => Operation::Create,
            Self::Update(..) => Operation::Update,
            Self::Delete(..) => Operation::Delete,
        }
    }

    /// Whom the step's events name: the resource it changes (a replaced deployment config's
    /// node also moves its groups), else the node's own id.
    fn who<'a>(&'a self, id: &'a str) -> (&'a str, ResourceKind, &'a str) {
        match self {
            Self::Create(r) | Self::Update(r, _) => {
                (r.id.as_str(), r.kind, r.physical_name.as_str())
            }
            Self::Delete(kind, name) => (id, *kind, name.as_str()),
        }
    }
}

/// One unit of scheduling: a resource's calls, run in order.
#[derive(Debug, Clone)]
struct Node {
    /// Its entry in the outcomes.
    outcome: usize,
    /// Its calls; none for a node that only blocks its dependents (a conflict).
    steps: Vec<Step>,
    /// Nodes that must succeed first.
    deps: Vec<usize>,
}

/// A node's task result: its index, the failing call if any, the time it took.
type Finished = (usize, Result<(), (Operation, ProviderError)>, Duration);

/// Where a node is in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Succeeded,
    /// Failed, skipped or in conflict: its dependents are skipped.
    Blocked,
}

/// Runs one call, retrying eventual-consistency failures within the policy.
async fn call(
    provider: &dyn Provider,
    step: &Step,
    who: (&str, ResourceKind, &str),
    options: &ApplyOptions,
) -> Result<(), ProviderError> {
    let (id, kind, name) = who;
    let operation = step.operation();
    let resource = EventResource::new(id, kind, name);
    let emit = |what| options.emit(Event::new(resource.clone(), what));
    emit(EventKind::Started { operation });
    let start = Instant::now();
    let attempt = || async {
        match step {
            Step::Create(r) => match provider.create(r).await {
                Err(e) if e.class == ErrorClass::AlreadyExists => take_over(provider, r, e).await,
                other => other,
            },
            Step::Update(r, fields) => provider.update(r, fields).await,
            Step::Delete(kind, name) => match provider.delete(*kind, name).await {
                // Gone already is what a delete wants.
                Err(e) if e.class == ErrorClass::NotFound => Ok(()),
                other => other,
            },
        }
    };
    let result = retry(&options.retry, attempt, |r| {
        emit(EventKind::Retrying {
            operation,
            attempt: r.attempt,
            delay_ms: millis(r.delay),
            error: r.error.clone(),
        });
    })
    .await;
    match &result {
        Ok(()) => emit(EventKind::Succeeded {
            operation,
            elapsed_ms: millis(start.elapsed()),
        }),
        Err(e) => emit(EventKind::Failed {
            operation,
            error: e.clone(),
        }),
    }
    result
}

/// A create that found its resource already there: most often this run's own earlier attempt,
/// whose answer was lost (a dropped connection, a crash), so the resource is there but unseen.
/// It is read back and finished with an update when it carries this app's tags for this
/// resource (or, for the kinds that carry no tags, when it is already exactly as wanted); any
/// other resource under that name is left untouched and the create fails.
async fn take_over(
    provider: &dyn Provider,
    wanted: &Resource,
    exists: ProviderError,
) -> Result<(), ProviderError> {
    let Some(found) = provider.read(wanted.kind, &wanted.physical_name).await? else {
        // Gone again between the two calls: try the create anew.
        return Err(ProviderError::new(
            ErrorClass::Transient,
            exists.code,
            exists.message,
        ));
    };
    let fields = changed_fields(wanted.kind, &wanted.properties, &found.properties);
    let ours = match (&found.owner, Owner::from_properties(&wanted.properties)) {
        (Some(found), Some(wanted)) => *found == wanted,
        _ => !carries_owner(wanted) && fields.is_empty(),
    };
    if !ours || forced_by(wanted.kind, &fields).is_some() {
        return Err(ProviderError::other(
            exists.code,
            format!(
                "{}; the {} \"{}\" there is not this app's {} as the model wants it, so it is left untouched",
                exists.message,
                kind_word(wanted.kind),
                wanted.physical_name,
                wanted.id
            ),
        ));
    }
    if fields.is_empty() {
        return Ok(());
    }
    provider.update(wanted, &fields).await
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Why a node is skipped: the first of its dependencies that failed, was skipped or is in
/// conflict.
fn skip_reason(node: &Node, nodes: &[Node], state: &[State], outcomes: &[Outcome]) -> String {
    let Some(&d) = node.deps.iter().find(|&&d| state[d] == State::Blocked) else {
        return "a resource it depends on did not finish".into();
    };
    let dep = &outcomes[nodes[d].outcome];
    let why = match dep.status {
        Status::Failed { .. } => "failed",
        Status::Conflict { .. } => "is in conflict",
        _ => "was skipped",
    };
    format!(
        "depends on {} \"{}\", which {why}",
        kind_word(dep.kind),
        dep.physical_name
    )
}

/// Runs nodes in dependency order with at most `concurrency` in flight; fills their outcomes.
///
/// Each node counts its unfinished dependencies; a node whose count reaches zero joins the
/// queue of ready nodes, and a node that fails, is skipped or is in conflict skips what depends
/// on it. So the scheduler looks at each node and each dependency a bounded number of times,
/// whatever the order of completions: it returns that number of looks, the measure of its own
/// work.
async fn run(
    nodes: &[Node],
    outcomes: &mut [Outcome],
    provider: &Arc<dyn Provider>,
    options: &ApplyOptions,
) -> usize {
    let mut visits = 0;
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut unfinished: Vec<usize> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        visits += 1;
        for &d in &node.deps {
            dependents[d].push(i);
        }
        unfinished.push(node.deps.len());
    }
    // A node without steps is a conflict (see `schedule`): what depends on it is skipped.
    let mut state: Vec<State> = nodes
        .iter()
        .map(|n| {
            if n.steps.is_empty() {
                State::Blocked
            } else {
                State::Waiting
            }
        })
        .collect();
    let mut ready: VecDeque<usize> = (0..nodes.len())
        .filter(|&i| state[i] == State::Waiting && unfinished[i] == 0)
        .collect();
    // Nodes that are blocked and whose dependents have not been skipped yet.
    let mut blocked: Vec<usize> = (0..nodes.len())
        .filter(|&i| state[i] == State::Blocked)
        .rev()
        .collect();
    let mut set: JoinSet<Finished> = JoinSet::new();
    loop {
        // Skips cascade: a skipped node blocks its own dependents in turn.
        while let Some(b) = blocked.pop() {
            for &i in dependents[b].iter().rev() {
                visits += 1;
                if state[i] != State::Waiting {
                    continue;
                }
                visits += nodes[i].deps.len();
                let reason = skip_reason(&nodes[i], nodes, &state, outcomes);
                let o = &mut outcomes[nodes[i].outcome];
                options.emit(Event::new(
                    EventResource::new(o.id.clone(), o.kind, o.physical_name.clone()),
                    EventKind::Skipped {
                        reason: reason.clone(),
                    },
                ));
                o.status = Status::Skipped { reason };
                state[i] = State::Blocked;
                blocked.push(i);
            }
        }
        while set.len() < options.concurrency {
            let Some(i) = ready.pop_front() else { break };
            visits += 1;
            // Skipped since it became ready? Only its dependencies skip it, and they all
            // succeeded; still, never start a node twice.
            if state[i] != State::Waiting {
                continue;
            }
            state[i] = State::Running;
            let id = outcomes[nodes[i].outcome].id.clone();
            let steps = nodes[i].steps.clone();
            let p = Arc::clone(provider);
            let opts = options.clone();
            set.spawn(async move {
                let start = Instant::now();
                for step in &steps {
                    let who = step.who(&id);
                    if let Err(e) = call(p.as_ref(), step, who, &opts).await {
                        return (i, Err((step.operation(), e)), start.elapsed());
                    }
                }
                (i, Ok(()), start.elapsed())
            });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        // A task that panicked (a provider bug) stays `Running` and is reported below.
        if let Ok((i, result, elapsed)) = joined {
            let o = &mut outcomes[nodes[i].outcome];
            o.elapsed_ms += millis(elapsed);
            match result {
                Ok(()) => {
                    o.status = Status::Done;
                    state[i] = State::Succeeded;
                    for &j in &dependents[i] {
                        visits += 1;
                        unfinished[j] -= 1;
                        if unfinished[j] == 0 && state[j] == State::Waiting {
                            ready.push_back(j);
                        }
                    }
                }
                Err((operation, error)) => {
                    o.status = Status::Failed { operation, error };
                    state[i] = State::Blocked;
                    blocked.push(i);
                }
            }
        }
    }
    for (i, node) in nodes.iter().enumerate() {
        let o = &mut outcomes[node.outcome];
        match state[i] {
            State::Running => {
                o.status = Status::Failed {
                    operation: node.steps.first().map_or(Operation::Read, Step::operation),
                    error: ProviderError::other("InternalError", "the provider call panicked"),
                };
            }
            // Only reachable when a dependency panicked or the graph has a cycle.
            State::Waiting => {
                o.status = Status::Skipped {
                    reason: "a resource it depends on did not finish".into(),
                };
            }
            State::Succeeded | State::Blocked => {}
        }
    }
    visits
}

/// A delete waiting for phase two, with what orders it against the others.
struct Delete {
    node: Node,
    rank: usize,
    in_model: bool,
    id: String,
    depends_on: Vec<String>,
}

/// Each delete's dependencies, by index, sorted: the deletes of its users when both are in the
/// model, else the deletes of a lower rank. Indexed by id, so a destroy of the whole model costs
/// its dependencies, not every pair of deletes.
fn delete_order(deletes: &[Delete]) -> Vec<Vec<usize>> {
    let mut in_model: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, d) in deletes.iter().enumerate().filter(|(_, d)| d.in_model) {
        in_model.entry(d.id.as_str()).or_default().push(i);
    }
    let outside: Vec<usize> = (0..deletes.len())
        .filter(|&j| !deletes[j].in_model)
        .collect();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); deletes.len()];
    for (j, user) in deletes.iter().enumerate().filter(|(_, d)| d.in_model) {
        for used in &user.depends_on {
            for &i in in_model.get(used.as_str()).into_iter().flatten() {
                if i != j {
                    deps[i].push(j);
                }
            }
        }
    }
    for (i, d) in deletes.iter().enumerate() {
        let by_rank = |j: &usize| *j != i && deletes[*j].rank < d.rank;
        if d.in_model {
            deps[i].extend(outside.iter().copied().filter(by_rank));
        } else {
            deps[i].extend((0..deletes.len()).filter(by_rank));
        }
    }
    for d in &mut deps {
        d.sort_unstable();
        d.dedup();
    }
    deps
}

/// The step that moves deployment group `g` from configuration `from` to `to`.
fn moved(g: &Resource, from: &str, to: &str) -> Step {
    let mut r = g.clone();
    r.properties["DeploymentConfigName"] = serde_json::json!(to);
    Step::Update(
        r,
        vec![FieldChange {
            path: "/DeploymentConfigName".into(),
            old: Some(serde_json::json!(from)),
            new: Some(serde_json::json!(to)),
        }],
    )
}

/// What an apply will run: an outcome per resource, the creates and updates (phase one) and
/// the deletes (phase two), each node with its steps and dependencies.
struct Schedule {
    outcomes: Vec<Outcome>,
    first: Vec<Node>,
    deletes: Vec<Delete>,
}

/// How many provider steps applying `plan` with `options` takes when everything succeeds: one
/// per create, update and delete, two per replacement, and two more per deployment group moved
/// off and back onto a configuration being replaced. What progress counts up to.
#[must_use]
pub fn step_count(plan: &Plan, options: &ApplyOptions) -> usize {
    let s = schedule(plan, options);
    s.first
        .iter()
        .chain(s.deletes.iter().map(|d| &d.node))
        .map(|n| n.steps.len())
        .sum()
}

fn schedule(plan: &Plan, options: &ApplyOptions) -> Schedule {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut first: Vec<Node> = Vec::new();
    let mut first_deps: Vec<&[String]> = Vec::new();
    let mut deletes: Vec<Delete> = Vec::new();
    let mut node_of_id: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &plan.changes {
        let outcome = Outcome {
            id: c.id.clone(),
            kind: c.kind,
            physical_name: c.physical_name.clone(),
            change: c.change.kind(),
            status: Status::Done,
            elapsed_ms: 0,
        };
        let at = outcomes.len();
        let mut old_name = None;
        let steps = match (&c.change, c.resource.clone()) {
            (Change::NoOp, _) => continue,
            (Change::Conflict { .. }, _) => Vec::new(),
            (Change::Delete, _) => {
                let mut outcome = outcome;
                if plan.mode == Mode::Apply && !options.prune {
                    outcome.status = Status::Kept {
                        reason: "the model no longer has it; apply with prune to delete it".into(),
                    };
                } else {
                    deletes.push(Delete {
                        node: Node {
                            outcome: at,
                            steps: vec![Step::Delete(c.kind, c.physical_name.clone())],
                            deps: Vec::new(),
                        },
                        rank: delete_rank(c.kind),
                        in_model: c.in_model,
                        id: c.id.clone(),
                        depends_on: c.depends_on.clone(),
                    });
                }
                outcomes.push(outcome);
                continue;
            }
            (Change::Create, Some(r)) => vec![Step::Create(r)],
            (Change::Update { fields }, Some(r)) => vec![Step::Update(r, fields.clone())],
            (Change::Replace { strategy, .. }, Some(r)) => match strategy {
                ReplaceStrategy::DeleteThenCreate => {
                    // CodeDeploy refuses to delete a configuration a group uses: the groups
                    // the plan names move to their platform's default for the moment it is
                    // gone, then back.
                    let users: Vec<(&Resource, &str)> = c
                        .moves
                        .iter()
                        .filter_map(|m| {
                            let g = plan.changes.iter().find(|g| g.id == m.id)?;
                            Some((g.resource.as_ref()?, m.interim_config.as_str()))
                        })
                        .collect();
                    let mut steps: Vec<Step> = users
                        .iter()
                        .map(|(g, interim)| moved(g, &c.physical_name, interim))
                        .collect();
                    steps.push(Step::Delete(c.kind, c.physical_name.clone()));
                    steps.push(Step::Create(r));
                    steps.extend(
                        users
                            .iter()
                            .map(|(g, interim)| moved(g, interim, &c.physical_name)),
                    );
                    steps
                }
                ReplaceStrategy::CreateThenDelete { old_name: old } => {
                    old_name = Some(old.clone());
                    vec![Step::Create(r)]
                }
            },
            // The planner always attaches the desired resource to these changes.
            (_, None) => {
                let mut outcome = outcome;
                outcome.status = Status::Skipped {
                    reason: "the plan has no desired state for it".into(),
                };
                outcomes.push(outcome);
                continue;
            }
        };
        let mut outcome = outcome;
        if let Change::Conflict { message } = &c.change {
            outcome.status = Status::Conflict {
                message: message.clone(),
            };
        }
        node_of_id.insert(c.id.as_str(), first.len());
        first.push(Node {
            outcome: at,
            steps,
            deps: Vec::new(),
        });
        first_deps.push(&c.depends_on);
        outcomes.push(outcome);
        if let Some(old) = old_name {
            deletes.push(Delete {
                node: Node {
                    outcome: outcomes.len(),
                    steps: vec![Step::Delete(c.kind, old.clone())],
                    deps: Vec::new(),
                },
                rank: delete_rank(c.kind),
                in_model: false,
                id: c.id.clone(),
                depends_on: Vec::new(),
            });
            outcomes.push(Outcome {
                id: c.id.clone(),
                kind: c.kind,
                physical_name: old,
                change: ChangeKind::Delete,
                status: Status::Done,
                elapsed_ms: 0,
            });
        }
    }
    for (node, deps) in first.iter_mut().zip(&first_deps) {
        node.deps = deps
            .iter()
            .filter_map(|d| node_of_id.get(d.as_str()).copied())
            .collect();
    }
    Schedule {
        outcomes,
        first,
        deletes,
    }
}

/// Applies a plan: creates, updates and replaces in dependency order, then (with
/// [`ApplyOptions::prune`], or always for a destroy plan) deletes. Never fails as a whole: the
/// [`Report`] says what happened to each resource; apply again to finish after a failure.
pub async fn apply(plan: &Plan, provider: &Arc<dyn Provider>, options: &ApplyOptions) -> Report {
    let started = Instant::now();
    let Schedule {
        mut outcomes,
        first,
        deletes,
    } = schedule(plan, options);
    run(&first, &mut outcomes, provider, options).await;

    // Deletes wait for every create and update: something kept may use a resource being
    // deleted until its own update has moved it over.
    let blocked = first.iter().any(|n| {
        !matches!(
            outcomes[n.outcome].status,
            Status::Done | Status::Conflict { .. }
        )
    });
    // Users are deleted before what they use: exactly by the model's dependencies when both
    // are in the model, else by kind.
    let second: Vec<Node> = delete_order(&deletes)
        .into_iter()
        .zip(&deletes)
        .map(|(deps, d)| Node {
            deps,
            ..d.node.clone()
        })
        .collect();
    if blocked {
        for node in &second {
            let o = &mut outcomes[node.outcome];
            let reason = "not run because an earlier change did not succeed".to_owned();
            options.emit(Event::new(
                EventResource::new(o.id.clone(), o.kind, o.physical_name.clone()),
                EventKind::Skipped {
                    reason: reason.clone(),
                },
            ));
            o.status = Status::Skipped { reason };
        }
    } else {
        run(&second, &mut outcomes, provider, options).await;
    }
    for r in &plan.retained {
        outcomes.push(Outcome {
            id: r.id.clone(),
            kind: r.kind,
            physical_name: r.physical_name.clone(),
            change: ChangeKind::Delete,
            status: Status::Kept {
                reason: "the model marks it to be retained on destroy".into(),
            },
            elapsed_ms: 0,
        });
    }
    Report {
        outcomes,
        elapsed_ms: millis(started.elapsed()),
    }
}

/// Deletes everything the app owns: [`plan_destroy`] then [`apply`].
///
/// # Errors
/// When reading what the app owns fails; failures of deletes are in the report.
pub async fn destroy(
    app: &str,
    desired: Option<&ResolvedApp>,
    provider: &Arc<dyn Provider>,
    options: &ApplyOptions,
) -> Result<Report, EngineError> {
    let plan = plan_destroy(app, desired, provider, options.concurrency).await?;
    Ok(apply(&plan, provider, options).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Env, resolve};
    use crate::model::{App, Repository};
    use crate::provider::fake::{Failure, FakeProvider};

    /// A one-repository app, planned against a fresh fake.
    async fn one_repository() -> (Arc<FakeProvider>, Arc<dyn Provider>, Plan) {
        let mut app = App::new("shop").expect("a valid app name");
        app.add(
            Repository::builder()
                .name("shop-api")
                .build()
                .expect("a valid repository"),
        );
        let desired = resolve(
            &app.desired(),
            &Env::new("aws", "eu-west-1", "123456789012"),
        )
        .expect("the app resolves");
        let fake = Arc::new(FakeProvider::new());
        let provider: Arc<dyn Provider> = fake.clone();
        let plan = super::super::plan(&desired, &provider, 8)
            .await
            .expect("the fake answers");
        (fake, provider, plan)
    }

    #[test]
    fn events_and_outcomes_keep_their_json_form() {
        let resource = EventResource::new("A", ResourceKind::Role, "a");
        let retrying = Event::new(
            resource.clone(),
            EventKind::Retrying {
                operation: Operation::Create,
                attempt: 2,
                delay_ms: 2000,
                error: ProviderError::new(ErrorClass::Throttled, "Throttling", "slow down"),
            },
        );
        assert_eq!(
            serde_json::to_string(&retrying).expect("serializes"),
            r#"{"event":"retrying","id":"A","kind":"AWS::IAM::Role","physical_name":"a","operation":"create","attempt":2,"delay_ms":2000,"error":{"class":"throttled","code":"Throttling","message":"slow down"}}"#
        );
        let skipped = Event::new(
            resource,
            EventKind::Skipped {
                reason: "why".into(),
            },
        );
        assert_eq!(
            serde_json::to_string(&skipped).expect("serializes"),
            r#"{"event":"skipped","id":"A","kind":"AWS::IAM::Role","physical_name":"a","reason":"why"}"#
        );
        let outcome = Outcome {
            id: "A".into(),
            kind: ResourceKind::Role,
            physical_name: "a".into(),
            change: ChangeKind::Replace,
            status: Status::Kept {
                reason: "why".into(),
            },
            elapsed_ms: 0,
        };
        assert_eq!(
            serde_json::to_string(&outcome).expect("serializes"),
            r#"{"id":"A","kind":"AWS::IAM::Role","physical_name":"a","change":"replace","status":{"status":"kept","reason":"why"},"elapsed_ms":0}"#
        );
        assert_eq!(
            serde_json::to_value(ChangeKind::NoOp).expect("serializes"),
            "no-op"
        );
    }

    /// A chain of `n` creates of repositories, each depending on the one before, with its
    /// outcomes.
    fn chain(n: usize) -> (Vec<Node>, Vec<Outcome>) {
        let name = |i: usize| format!("repo-{i:04}");
        let nodes = (0..n)
            .map(|i| Node {
                outcome: i,
                steps: vec![Step::Create(Resource {
                    id: format!("Repo{i}"),
                    kind: ResourceKind::Repository,
                    physical_name: name(i),
                    properties: serde_json::json!({ "RepositoryName": name(i) }),
                })],
                deps: i.checked_sub(1).into_iter().collect(),
            })
            .collect();
        let outcomes = (0..n)
            .map(|i| Outcome {
                id: format!("Repo{i}"),
                kind: ResourceKind::Repository,
                physical_name: name(i),
                change: ChangeKind::Create,
                status: Status::Done,
                elapsed_ms: 0,
            })
            .collect();
        (nodes, outcomes)
    }

    /// Bug 7: the scheduler rescanned every node after each completion, so a chain of n
    /// resources cost it about n² looks; counting unfinished dependencies makes it n + edges.
    #[tokio::test]
    async fn bug_7_scheduler_work_grows_with_nodes_and_edges() {
        let n = 300;
        let (nodes, mut outcomes) = chain(n);
        let edges: usize = nodes.iter().map(|d| d.deps.len()).sum();
        let fake = Arc::new(FakeProvider::new());
        let provider: Arc<dyn Provider> = fake.clone();
        let visits = run(&nodes, &mut outcomes, &provider, &ApplyOptions::default()).await;
        assert!(outcomes.iter().all(|o| o.status == Status::Done));
        assert_eq!(fake.count(Operation::Create), n);
        let calls = fake.calls();
        assert!(calls.windows(2).all(|w| w[0].name < w[1].name), "in order");
        // Rescanning looked at every node after each completion: 180,300 looks here.
        assert!(
            visits <= 2 * (n + edges),
            "{visits} visits for {n} nodes and {edges} edges"
        );

        // A failure at the head skips the whole chain, each node once, in order.
        let (nodes, mut outcomes) = chain(n);
        let fake = Arc::new(FakeProvider::new());
        fake.inject(Failure::new(ProviderError::other("InternalError", "boom")));
        let provider: Arc<dyn Provider> = fake.clone();
        let visits = run(&nodes, &mut outcomes, &provider, &ApplyOptions::default()).await;
        assert!(matches!(outcomes[0].status, Status::Failed { .. }));
        assert_eq!(
            outcomes[2].status,
            Status::Skipped {
                reason: "depends on repository \"repo-0001\", which was skipped".into()
            }
        );
        assert!(
            outcomes[1..]
                .iter()
                .all(|o| matches!(o.status, Status::Skipped { .. }))
        );
        assert_eq!(fake.count(Operation::Create), 1);
        assert!(
            visits <= 2 * (n + edges),
            "{visits} visits for {n} nodes and {edges} edges"
        );
    }

    /// Bug 6: the budget was measured on the std clock while the delays slept on tokio's, so
    /// with paused time (or any clock tokio drives) the budget never ran out and only the
    /// attempt cap ended the retries.
    #[tokio::test(start_paused = true)]
    async fn bug_6_retry_budget_is_measured_on_tokio_time() {
        let (fake, provider, plan) = one_repository().await;
        fake.inject(
            Failure::new(ProviderError::new(
                ErrorClass::Retryable,
                "AccessDeniedException",
                "not authorized",
            ))
            .on(Operation::Create)
            .times(usize::MAX),
        );
        let policy = RetryPolicy {
            budget: Duration::from_secs(120),
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
            max_attempts: u32::MAX,
        };
        let started = tokio::time::Instant::now();
        let report = tokio::time::timeout(
            Duration::from_secs(3600),
            apply(&plan, &provider, &ApplyOptions::default().retry(policy)),
        )
        .await
        .expect("retries stop once the budget is spent, in tokio's time");
        assert!(
            started.elapsed() <= policy.budget,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            report.with_status(StatusKind::Failed).count(),
            1,
            "{report}"
        );
        // Delays of 1, 2, 4 and 8 s, then 15 s each, fit 11 times in 120 s: 12 attempts.
        assert_eq!(fake.count(Operation::Create), 12);
    }
}
