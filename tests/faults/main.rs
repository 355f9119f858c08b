//! The fault tier: the SDK clients and the engine through a proxy that injects throttling,
//! server errors, dropped connections and latency between them and the emulator; `apply` killed
//! mid-run; two applies at once. Each test writes its section of `RELIABILITY.md` once it passed.

#[path = "../support/mod.rs"]
mod support;

pub(crate) use support::harness;

mod apply;
mod concurrent;
mod crash;
mod proxy;
mod push_killed;
mod report;
mod sdk;
mod watch;
mod watch_killed;
