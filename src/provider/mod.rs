//! Providers: reading and changing AWS resources, one trait for every resource kind.
//!
//! [`api`] is the contract the engine speaks; [`aws`] implements it over the AWS SDK for Rust (the
//! only place that names an SDK type) with [`aws::Clients`] built once from the standard AWS
//! configuration chain; [`fake`] implements it in memory, with injectable failures, for the
//! engine's tests.

pub mod api;
pub mod aws;
pub mod fake;
