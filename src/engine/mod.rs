//! The reconcile engine: make AWS match the model, with AWS itself as the only state.
//!
//! 1. [`resolve`] turns the model's desired state into concrete, comparable resources for one
//!    account and region.
//! 2. [`plan`] reads each of them through a [`Provider`](crate::provider::api::Provider) and
//!    lists what the app owns; [`diff`] (pure) decides each resource's [`Change`].
//! 3. [`apply`] runs the plan with bounded concurrency and reports progress as [`Event`]s;
//!    [`destroy`] deletes everything the app owns.
//!
//! Provider calls that fail in a way expected to clear are tried again by one loop, [`retry`],
//! under a [`RetryPolicy`] measured on tokio's clock: [`RetryPolicy::READS`] for a plan's reads,
//! [`ApplyOptions::retry`] for apply's calls.
//!
//! ```
//! use std::sync::Arc;
//! use pipewright::engine::{self, ApplyOptions, Env};
//! use pipewright::model::*;
//! use pipewright::provider::{api::Provider, fake::FakeProvider};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut app = App::new("shop")?;
//! app.add(Repository::builder().name("shop-api").build()?);
//! let desired = engine::resolve(&app.desired(), &Env::new("aws", "eu-west-1", "123456789012"))?;
//! let provider: Arc<dyn Provider> = Arc::new(FakeProvider::new());
//!
//! let plan = engine::plan(&desired, &provider, engine::DEFAULT_CONCURRENCY).await?;
//! assert_eq!(plan.summary.to_string(), "1 to create, 0 to update, 0 to replace, 0 to delete");
//! // Nothing over an AWS limit for this region; one step to run.
//! assert!(engine::check_limits(&desired).is_empty());
//! assert_eq!(engine::step_count(&plan, &ApplyOptions::default()), 1);
//! let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
//! assert!(report.succeeded());
//! assert!(engine::plan(&desired, &provider, engine::DEFAULT_CONCURRENCY).await?.is_empty());
//! # Ok(())
//! # }
//! ```

mod apply;
mod diff;
mod limits;
mod plan;
mod resolve;
mod retry;
mod show;

pub use apply::{
    ApplyOptions, Event, EventKind, EventResource, EventSink, Outcome, Report, Status, StatusKind,
    apply, destroy, step_count,
};
pub use diff::{
    Change, ChangeKind, KindRules, ReplaceStrategy, changed_fields, diff, normalize, rules,
};
pub use limits::{
    ROLE_POLICY_MAX, check_keys_in, check_limits, check_limits_in, partition_of, policy_chars,
};
pub use plan::{
    FORMAT_VERSION, GroupMove, Mode, ObservedMap, Plan, PlannedChange, Retained, Summary,
    build_destroy_plan, build_plan, delete_rank, plan, plan_destroy, waves,
};
pub use resolve::{Env, ResolveError, ResolvedApp, ResolvedResource, resolve};
pub use retry::{RetryPolicy, Retrying, retry};

use crate::model::ResourceKind;
use crate::provider::api::{ProviderError, kind_word};

/// Provider calls in flight at once unless told otherwise: in plans (reads), applies and
/// destroys, and the CLI's `--concurrency` default.
///
/// AWS takes tens to hundreds of milliseconds per control-plane call, so the time of an apply is
/// the number of calls made one after another: the depth of the dependency graph when a whole
/// level runs at once, the number of resources divided by the bound when it cannot. 64 lets a level
/// of about 50 pipelines' resources run together (the reconcile benchmark measures 50 reference
/// pipelines at 4–5 times one pipeline with 50 ms per call; at 8 it is 16 times). The AWS clients
/// use the SDK's adaptive retry mode, so a service that throttles is sent fewer requests per
/// second by this process until it recovers, whatever the bound.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Why the engine could not plan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The desired state refers to something that cannot be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// Reading a resource failed.
    #[error("reading {} \"{name}\" failed", kind_word(*kind))]
    Read {
        /// Its kind.
        kind: ResourceKind,
        /// Its physical name.
        name: String,
        /// The provider's error.
        #[source]
        source: ProviderError,
    },
    /// Listing what the app owns failed.
    #[error("listing the resources of app \"{app}\" failed")]
    List {
        /// The app.
        app: String,
        /// The provider's error.
        #[source]
        source: ProviderError,
    },
    /// Dependencies form a cycle (the model never produces one).
    #[error("resources depend on each other in a cycle: {}", ids.join(", "))]
    Cycle {
        /// The resources on or behind the cycle.
        ids: Vec<String>,
    },
    /// A reading task ended abnormally.
    #[error("a reading task ended abnormally: {0}")]
    Task(String),
}
