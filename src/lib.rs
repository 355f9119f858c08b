//! pipewright: AWS CI/CD pipelines as typed Rust code.
//!
//! A program describes a pipeline (CodeCommit repository, CodeBuild projects, S3 artifact bucket,
//! CodeDeploy applications and groups, IAM roles, and the CodePipeline that wires them) and gets a
//! command line that synthesizes CloudFormation, and plans, applies, destroys and detects drift
//! directly through the AWS SDK for Rust (against AWS, or the bundled LocalStack with `--local`).
//! README.md's "Using pipewright in your own crate" walks through a new crate, from `Cargo.toml`
//! to `destroy --local`.
//!
//! ```
//! use pipewright::model::*;
//!
//! let mut app = App::new("shop")?;
//! let repo = app.add(Repository::builder().name("shop-api").build()?);
//! let bucket = app.add(ArtifactBucket::builder().name("shop-artifacts-0001").build()?);
//! let build = app.add(BuildProject::builder().name("shop-build").build()?);
//! let (source, built) = (Artifact::new("Source"), Artifact::new("Built"));
//! app.add(
//!     Pipeline::builder()
//!         .name("shop")
//!         .artifact_store(&bucket)
//!         .stage(Stage::new("Source").action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)))
//!         .stage(Stage::new("Build").action(CodeBuild::new("Build", &build).input(&source).output(&built)))
//!         .build()?,
//! );
//! pipewright::validate::validate(&app)?;
//! let templates = pipewright::synth::synthesize(&app)?;
//! assert_eq!(templates.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layers, in one direction of dependency:
//!
//! - [`model`]: pure types and the desired-state expansion (derived IAM roles, change detection);
//! - [`validate`]: every rule AWS would reject, all at once, before any API call;
//! - [`synth`]: the CloudFormation template(s) and the pipeline graph, byte-deterministic;
//! - [`engine`]: plan, apply, destroy and drift: AWS made to match the model, with AWS itself as
//!   the only state, through a provider;
//! - [`provider`]: one trait for every resource kind, implemented over the AWS SDK
//!   ([`provider::aws`]) and in memory for tests ([`provider::fake`]);
//! - [`local`]: the bundled LocalStack, an emulator on loopback for trying pipewright (and testing
//!   it) without an AWS account;
//! - [`cli`]: the command line every program built on the library gets.

pub mod cli;
pub mod engine;
pub mod executions;
pub mod local;
pub mod model;
pub mod provider;
pub mod synth;
pub mod validate;

/// The README's Rust snippets compile and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
