//! Providers: reading and changing AWS resources, one trait for every resource kind.

pub mod api;
pub mod fake;
