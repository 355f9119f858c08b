//! The bad-input tier: invalid models, hostile strings, broken environments, and the security
//! properties of what pipewright prints and generates.
//!
//! - `corpus`: the invalid models and what the CLI must say about each (data, for the report);
//! - `refusals`: every corpus case run through `plan` in a real process, refused with its message,
//!   exit code 1 and zero requests to a counting endpoint; the corpus covers every rule and name;
//! - `robustness`: builders the synth tier's property tests do not reach never panic either;
//! - `environment`: no credentials, expired credentials, a wrong region, an unreachable endpoint
//!   and an endpoint that answers garbage, each a clear error in bounded time;
//! - `policies`: every IAM policy of every example is least privilege, every trust policy names
//!   one service;
//! - `security`: no output at any verbosity carries a credential or a secret's value (LocalStack);
//! - `verbs`: bad input to the execution verbs (`push`, `run`, `watch`, `approve`, `logs`,
//!   `stop`, `retry`) against LocalStack: each refused with its exit code, one paragraph, no
//!   panic, and nothing changed;
//! - `report`: this tier's sections of `RELIABILITY.md`, written once their tests passed.
//!
//! `child` runs this very binary as the CLI's process (its `entry` test, ignored otherwise), in
//! an environment each test builds from nothing; `listener` is a loopback endpoint that counts
//! connections and answers nothing, garbage, or `ExpiredToken`.

#[path = "../support/mod.rs"]
mod support;

pub(crate) use support::harness;

mod child;
pub(crate) mod corpus;
mod environment;
mod listener;
mod policies;
mod refusals;
mod report;
mod robustness;
mod security;
mod verbs;
