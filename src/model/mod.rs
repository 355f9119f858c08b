//! The typed model: an [`App`] owning resources, typed [`Handle`]s for every cross-reference, and
//! the [`desired`](App::desired) expansion into the exact set of AWS resources (including the derived
//! IAM roles and change-detection rules) that synthesis and the reconcile engine both use.
//!
//! Pure: no I/O, no clock, no environment. Builders check names and required fields; whole-model
//! rules live in [`crate::validate`].

mod app;
mod bucket;
mod build;
mod deploy;
mod expand;
mod image;
mod kind;
mod names;
mod packages;
mod pipeline;
mod repository;
mod setters;

pub use app::{App, Handle, HandleOf, LogicalId, Node, NodeRef, Resource, Tags};
pub use bucket::{AccessLog, ArtifactBucket, ArtifactBucketBuilder, Encryption};
pub(crate) use build::action_env_json;
pub use build::{
    BuildProject, BuildProjectBuilder, BuildSource, BuildSpec, Cache, ComputeType, EnvValue,
    EnvVar, Environment, EnvironmentType, Image, ImagePush, InlineBuildSpec, LocalCacheMode, Logs,
    PackageAccess, ReportExport, ReportFormat, ReportGroup, ReportKind, VpcConfig,
};
pub use deploy::{
    Application, AutoRollback, CodeDeployActionPlatform, ComputePlatform, ConfigRef, ConfigRule,
    DeployApplication, DeployApplicationBuilder, DeployConfig, DeploymentConfig, DeploymentGroup,
    DeploymentGroupBuilder, Ecs, EcsApplication, EcsTarget, HealthyHosts, Lambda,
    LambdaApplication, LambdaTarget, Platform, RollbackEvent, Server, ServerApplication,
    ServerTarget, StoredDeploymentConfig, StoredDeploymentGroup, TagFilter, Target,
    TrafficPlatform, TrafficRouting,
};
pub use expand::{
    Arn, Definition, Desired, DesiredResource, EventRule, Principal, REGION_VAR, ResolvedConfig,
    Role, RolePurpose, RoleRef, Statement, Used, role_path,
};
pub use image::{
    ImageEncryption, ImageRepository, ImageRepositoryBuilder, Lifecycle, REPOSITORY_POLICY_MAX,
    TagMutability,
};
pub use kind::{
    ArnFormat, ArnScope, BulkRead, KindInfo, KindRules, OwnershipRecord, ResourceKind, TAG_APP,
    TAG_ID, render_arn,
};
pub use names::{
    ActionName, AppName, ApplicationName, ArtifactDomainName, ArtifactName, ArtifactRepositoryName,
    BucketName, DeploymentConfigName, DeploymentGroupName, EnvVarName, ImageRepositoryName,
    KmsKeyArn, NameError, Namespace, PipelineName, ProjectName, RepositoryName, RoleArn, StageName,
    TAG_VALUE_MAX, TagKey, TopicArn, VariableName,
};
pub use packages::{
    ARTIFACT_DESCRIPTION_MAX, ArtifactDomain, ArtifactDomainBuilder, ArtifactRepository,
    ArtifactRepositoryBuilder, ExternalConnection,
};
pub use pipeline::{
    Action, ActionCategory, ActionKind, Artifact, BucketRef, ChangeDetection, CodeBuild,
    CodeCommitSource, CodeDeploy, DisabledTransition, EcsBlueGreenDeploy, ExecutionMode,
    ManualApproval, Pipeline, PipelineBuilder, PipelineType, S3Deploy, S3Source, SourceFormat,
    Stage, StageDecl, UncheckedAction, Variable,
};
pub use repository::{Repository, RepositoryBuilder};
pub use setters::setter_for;

/// A builder was given an invalid or incomplete resource.
///
/// Lists every problem the builder found, each with the field, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{resource} {name:?}: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct BuildError {
    /// The kind of resource being built, such as `pipeline`.
    pub resource: &'static str,
    /// Its name, or an empty string when the name itself is missing.
    pub name: String,
    /// Every problem found.
    pub problems: Vec<FieldProblem>,
}

impl From<NameError> for BuildError {
    /// An invalid [`App`] name, as a build error, so that app-building code can use `?` for both.
    fn from(e: NameError) -> Self {
        let rule = match e.breach() {
            Some(b) => format!("{}; {b}", e.rule),
            None => e.rule.into(),
        };
        Self {
            resource: "app",
            name: e.value.clone(),
            problems: vec![FieldProblem {
                field: "name".into(),
                value: Some(e.value),
                rule,
            }],
        }
    }
}

/// One field of a builder that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Path of the field, such as `stages[1].actions[0].name`.
    pub field: String,
    /// The rejected value; `None` when the field is missing.
    pub value: Option<String>,
    /// The rule it breaks.
    pub rule: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{} {:?}: {}", self.field, v, self.rule),
            None => write!(f, "{}: {}", self.field, self.rule),
        }
    }
}

/// Collects builder problems so a builder reports all of them at once.
#[derive(Default)]
pub(crate) struct Problems(Vec<FieldProblem>);

impl Problems {
    pub(crate) fn missing(&mut self, field: impl Into<String>) {
        self.0.push(FieldProblem {
            field: field.into(),
            value: None,
            rule: "is required".into(),
        });
    }

    /// Parses a required name, recording a problem when it is missing or invalid.
    pub(crate) fn name<T>(
        &mut self,
        field: &str,
        raw: Option<String>,
        parse: fn(String) -> Result<T, NameError>,
    ) -> Option<T> {
        match raw {
            None => {
                self.missing(field);
                None
            }
            Some(v) => self.parse(field, v, parse),
        }
    }

    pub(crate) fn parse<T>(
        &mut self,
        field: impl Into<String>,
        raw: String,
        parse: fn(String) -> Result<T, NameError>,
    ) -> Option<T> {
        match parse(raw) {
            Ok(n) => Some(n),
            Err(e) => {
                // The rule, then which part of it the value breaks.
                let rule = match e.breach() {
                    Some(b) => format!("{}; {b}", e.rule),
                    None => e.rule.into(),
                };
                self.0.push(FieldProblem {
                    field: field.into(),
                    value: Some(e.value),
                    rule,
                });
                None
            }
        }
    }

    /// Records a value that parsed but breaks a rule of its own.
    pub(crate) fn invalid(&mut self, field: &str, value: &str, rule: &str) {
        self.0.push(FieldProblem {
            field: field.into(),
            value: Some(value.into()),
            rule: rule.into(),
        });
    }

    pub(crate) fn tags(&mut self, raw: Vec<(String, String)>) -> Tags {
        let mut tags = Tags::default();
        for (k, v) in raw {
            let field = format!("tags[{k}]");
            if v.chars().count() > TAG_VALUE_MAX {
                self.0.push(FieldProblem {
                    field: field.clone(),
                    value: Some(v.clone()),
                    rule: "a tag value has at most 256 characters".into(),
                });
            }
            if let Some(key) = self.parse(field, k, TagKey::new) {
                tags.0.insert(key, v);
            }
        }
        tags
    }

    /// The value built so far and, when anything was wrong, the problems. The value may be
    /// partial (an invalid optional field left out) so that [`App::add`] keeps it and
    /// [`crate::validate`] checks the rest of it.
    pub(crate) fn finish<T>(
        self,
        resource: &'static str,
        name: Option<&str>,
        value: Option<T>,
    ) -> Built<T> {
        let error = (!self.0.is_empty() || value.is_none()).then(|| BuildError {
            resource,
            name: name.unwrap_or_default().to_owned(),
            problems: self.0,
        });
        Built { value, error }
    }
}

/// What a builder made: the value (possibly partial) and what was wrong.
pub(crate) struct Built<T> {
    pub(crate) value: Option<T>,
    pub(crate) error: Option<BuildError>,
}

impl<T> Built<T> {
    /// The value if nothing was wrong, every problem otherwise.
    pub(crate) fn into_result(self) -> Result<T, BuildError> {
        match (self.value, self.error) {
            (Some(v), None) => Ok(v),
            (_, Some(e)) => Err(e),
            (None, None) => unreachable!("finish records a problem whenever the value is missing"),
        }
    }
}

/// What [`App::add`] takes: a resource, the `Result` of building one, or its builder itself.
///
/// Given a builder (or an `Err`), the app keeps what was wrong and [`crate::validate`] reports it
/// together with every other mistake of the app, so one bad name does not hide the next one:
///
/// ```
/// use pipewright::model::*;
/// let mut app = App::new("shop")?;
/// app.add(Repository::builder().name("shop.git"));
/// app.add(ArtifactBucket::builder().name("Shop"));
/// let err = pipewright::validate::validate(&app).unwrap_err();
/// assert_eq!(err.violations.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be added to an app",
    label = "not a resource, a resource's builder, or the `Result` of building one",
    note = "`app.add(...)` takes a resource (`X::builder()....build()?`), the builder itself, or the `Result` of `build()`"
)]
pub trait IntoResource: app::private::SealedInto {
    /// The resource this becomes.
    type Resource: Resource;

    #[doc(hidden)]
    fn into_parts(self) -> (Option<Self::Resource>, Option<BuildError>);
}

impl<R: Resource> app::private::SealedInto for R {}
impl<R: Resource> IntoResource for R {
    type Resource = R;
    fn into_parts(self) -> (Option<R>, Option<BuildError>) {
        (Some(self), None)
    }
}

impl<R: Resource> app::private::SealedInto for Result<R, BuildError> {}
impl<R: Resource> IntoResource for Result<R, BuildError> {
    type Resource = R;
    fn into_parts(self) -> (Option<R>, Option<BuildError>) {
        match self {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        }
    }
}

/// A builder is added as what it builds, with whatever was wrong recorded in the app.
macro_rules! builder_into_resource {
    ($builder:ty => $resource:ty) => {
        impl app::private::SealedInto for $builder {}
        impl IntoResource for $builder {
            type Resource = $resource;
            fn into_parts(self) -> (Option<$resource>, Option<BuildError>) {
                let built = self.built();
                (built.value, built.error)
            }
        }
    };
    (platform $builder:ident => $resource:ident) => {
        impl<P: Platform> app::private::SealedInto for $builder<P> {}
        impl<P: Platform> IntoResource for $builder<P> {
            type Resource = $resource<P>;
            fn into_parts(self) -> (Option<$resource<P>>, Option<BuildError>) {
                let built = self.built();
                (built.value, built.error)
            }
        }
    };
}

builder_into_resource!(RepositoryBuilder => Repository);
builder_into_resource!(ImageRepositoryBuilder => ImageRepository);
builder_into_resource!(ArtifactDomainBuilder => ArtifactDomain);
builder_into_resource!(ArtifactRepositoryBuilder => ArtifactRepository);
builder_into_resource!(ArtifactBucketBuilder => ArtifactBucket);
builder_into_resource!(BuildProjectBuilder => BuildProject);
builder_into_resource!(PipelineBuilder => Pipeline);
builder_into_resource!(platform DeployApplicationBuilder => DeployApplication);
builder_into_resource!(platform DeploymentGroupBuilder => DeploymentGroup);
