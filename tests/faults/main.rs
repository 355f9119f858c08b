//! The fault tier: the SDK clients, the engine and the CLI through a proxy that injects
//! throttling, server errors, dropped connections and latency between them and the emulator;
//! `apply`, `destroy`, `run`, `watch` and `push` killed mid-run; two applies at once; watching
//! through faults; a busy emulator of its own. Each test writes its section of
//! `RELIABILITY.md` once it passed.

#[path = "../support/mod.rs"]
mod support;

pub(crate) use support::harness;

mod apply;
mod busy;
mod concurrent;
mod consistency;
mod crash;
mod permissions;
mod proxy;
mod push_killed;
mod report;
mod sdk;
mod watch;
mod watch_killed;
