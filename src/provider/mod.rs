//! Providers: how pipewright reads and changes the real resources behind the model.
//!
//! The provider layer is the only place that talks to a cloud. [`aws`] holds the AWS SDK for Rust
//! clients, built once from the standard AWS configuration chain; nothing outside `provider::aws`
//! names an SDK type.

pub mod aws;
