//! Engine tier: plan, apply and destroy of the examples' apps against the in-memory fake
//! provider, scenario by scenario, and the engine's laws as property tests.

mod examples;
mod laws;
mod scenarios;

use std::sync::{Arc, Mutex};

use pipewright::engine::{self, ApplyOptions, Env, Event, Plan, ResolvedApp};
use pipewright::model::{App, ResourceKind};
use pipewright::provider::api::{Operation, Provider};
use pipewright::provider::fake::FakeProvider;

#[path = "../support/mod.rs"]
mod support;

pub(crate) use support::examples::{lambda_canary, multi_env, reference};

/// The account every test plans for.
pub(crate) fn env() -> Env {
    Env::new("aws", "eu-west-1", "123456789012")
}

/// Every example's app, by name.
pub(crate) fn examples() -> Vec<(&'static str, App)> {
    support::examples::built()
}

/// The app's desired state, resolved for [`env`].
pub(crate) fn resolved(app: &App) -> ResolvedApp {
    engine::resolve(&app.desired(), &env()).expect("the examples resolve")
}

/// Where the first resource of `kind` stands in `desired` (the examples have one of each kind
/// they use).
pub(crate) fn index(desired: &ResolvedApp, kind: ResourceKind) -> usize {
    desired
        .resources
        .iter()
        .position(|r| r.resource.kind == kind)
        .expect("the app has one of each kind it uses")
}

/// A fresh fake, also as the trait object the engine takes.
pub(crate) fn fake() -> (Arc<FakeProvider>, Arc<dyn Provider>) {
    let fake = Arc::new(FakeProvider::new());
    let provider: Arc<dyn Provider> = fake.clone();
    (fake, provider)
}

/// Default options that also collect every event. The tests run with paused tokio time, so the
/// default retry policy's delays pass at once.
pub(crate) fn recording() -> (ApplyOptions, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = ApplyOptions::default()
        .on_event(move |e| sink.lock().expect("not poisoned").push(e.clone()));
    (options, events)
}

pub(crate) async fn plan(desired: &ResolvedApp, provider: &Arc<dyn Provider>) -> Plan {
    engine::plan(desired, provider, 8)
        .await
        .expect("the fake answers")
}

/// The position of the first call of `op` on a resource in the fake's log.
pub(crate) fn position(
    fake: &FakeProvider,
    op: Operation,
    kind: ResourceKind,
    name: &str,
) -> Option<usize> {
    fake.calls()
        .iter()
        .position(|c| c.op == op && c.kind == Some(kind) && c.name == name)
}
