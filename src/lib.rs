//! pipewright: AWS CI/CD pipelines as typed Rust code.
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
//! Layers: [`model`] (pure types and the desired-state expansion) → [`validate`] (every rule AWS
//! would reject, all at once) → [`synth`] (CloudFormation template and pipeline graph), with
//! [`cli`] as the front end every program built on the library gets. [`engine`] reconciles AWS with
//! the model through a [`provider`].

pub mod cli;
pub mod engine;
pub mod model;
pub mod provider;
pub mod synth;
pub mod validate;
