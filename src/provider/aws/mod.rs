//! The AWS side of the provider layer: SDK clients, and the [`Provider`](super::api::Provider)
//! implementation over them, one file per service.
//!
//! [`Clients`] is built from one `aws_config` load, so every service sees the same region,
//! credentials, retry and timeout settings. The standard configuration chain applies (environment,
//! shared profile, SSO, container and instance roles); [`ClientOptions`] can override the region,
//! the profile and the endpoint. When an endpoint is overridden (explicitly, or through
//! `AWS_ENDPOINT_URL` as the SDK reads it), S3 uses path-style addressing, because emulators such as
//! LocalStack on loopback cannot serve virtual-hosted bucket names.

mod clients;
mod codeartifact;
mod codebuild;
mod codecommit;
mod codedeploy;
mod codepipeline;
mod common;
mod dispatch;
mod ecr;
mod eventbridge;
mod executions;
mod iam;
mod logs;
mod reports;
mod s3;

pub use clients::{ClientOptions, Clients, ConfigError};
pub use dispatch::AwsProvider;
pub use executions::AwsExecutions;
