//! What the test tiers share, included once by each tier's `main.rs`
//! (`#[path = "../support/mod.rs"] mod support;`), one module per need:
//!
//! - `examples`: every example program, included once, with its app and its `add_…(app, prefix)`;
//! - `harness`: the LocalStack emulator a run talks to, and helpers for calling it;
//! - `aws`: the AWS provider over the SDK clients pointed at an endpoint;
//! - `report`: the writer of `RELIABILITY.md` sections.
//!
//! A tier uses only some of these, so what it leaves unused is not dead code to warn about.
#![allow(dead_code)]

pub(crate) mod aws;
pub(crate) mod examples;
pub(crate) mod harness;
pub(crate) mod report;
