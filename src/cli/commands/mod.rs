//! One file per command: each holds its clap arguments and a `run` that calls one library
//! operation and renders what comes back, returning an [`Exit`](super::error::Exit).

pub(super) mod apply;
pub(super) mod approve;
pub(super) mod destroy;
pub(super) mod drift;
pub(super) mod executions;
pub(super) mod graph;
pub(super) mod local;
pub(super) mod logs;
pub(super) mod plan;
pub(super) mod policy;
pub(super) mod push;
pub(super) mod retry;
pub(super) mod run;
pub(super) mod stop;
pub(super) mod synth;
pub(super) mod watch;

/// `--concurrency` when not given: the engine's default, which fits the flag's range.
#[allow(clippy::cast_possible_truncation)]
const DEFAULT_CONCURRENCY: u16 = {
    assert!(crate::engine::DEFAULT_CONCURRENCY <= 256);
    crate::engine::DEFAULT_CONCURRENCY as u16
};

/// How many AWS calls a command may have in flight.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(super) struct Calls {
    /// The most AWS calls in flight at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
}

impl Calls {
    fn limit(self) -> usize {
        self.concurrency.into()
    }
}
