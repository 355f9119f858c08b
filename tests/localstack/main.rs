//! The LocalStack tier: the emulator contract.
//!
//! Every operation pipewright's AWS provider relies on, called through the same Rust SDK clients
//! the provider uses ([`pipewright::provider::aws::Clients`]), against the bundled LocalStack (or
//! the emulator at `AWS_ENDPOINT_URL`). Each test creates what it needs under a unique name, checks
//! create, read (and the AWS error code when the resource is missing), update, tags, listing and
//! delete, and removes what it made. This documents what the emulator supports: a change that
//! breaks one of these calls fails CI. `reconcile` drives the engine over the reference pipeline;
//! `examples` drives every example through the CLI its program gets.

#[path = "../support/mod.rs"]
mod support;

pub(crate) use support::examples::{
    container, ecs_blue_green, lambda_canary, library, multi_env, reference,
};
pub(crate) use support::harness;

mod artifact_repositories;
mod artifacts;
mod build_logs;
mod build_secrets;
mod builds;
mod codeartifact;
mod codebuild;
mod codecommit;
mod codedeploy;
mod codepipeline;
mod deployments;
mod ecr;
mod eventbridge;
mod examples;
mod executions;
mod git;
mod iam;
mod image_repositories;
mod kms_keys;
mod logs;
mod ownership;
mod reconcile;
mod removals;
mod report_groups;
mod run;
mod s3;
mod smoke;
mod tagging;
mod watch_cli;
