//! pipewright: AWS CI/CD pipelines as typed Rust code.
//!
//! A program describes a pipeline (CodeCommit repository, CodeBuild projects, S3 artifact bucket,
//! CodeDeploy applications and groups, IAM roles, and the CodePipeline that wires them) and gets a
//! command line that synthesizes CloudFormation, plans, applies, destroys and detects drift
//! directly through the AWS SDK for Rust.
//!
//! Layers, in one direction of dependency:
//!
//! - [`provider`]: the AWS SDK clients ([`provider::aws::Clients`]), built from the standard AWS
//!   configuration chain.
//! - [`local`]: the bundled LocalStack, an emulator on loopback for trying pipewright (and testing
//!   it) without an AWS account.

pub mod local;
pub mod provider;
