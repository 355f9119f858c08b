//! CodePipeline pipelines: stages, actions in run order, and typed artifacts.

use super::app::{HandleOf, Node, NodeRef, Resource, Tags, private::Sealed};
use super::deploy::CodeDeployActionPlatform;
use super::{
    ActionName, ArtifactBucket, ArtifactName, BucketName, BuildError, BuildProject, Built,
    DeploymentGroup, Ecs, EnvValue, EnvVar, EnvVarName, Namespace, PipelineName, Problems,
    Repository, RoleArn, StageName, TopicArn, VariableName,
};

/// A pipeline artifact: a value an action outputs and later actions take as input.
///
/// # Examples
/// ```
/// use pipewright::model::Artifact;
/// let source = Artifact::new("Source");
/// assert_eq!(source.name(), "Source");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Artifact {
    name: String,
}

impl Artifact {
    /// A new artifact. Its name is checked when the pipeline is built.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// The artifact's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The category of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionCategory {
    /// Produces the source.
    Source,
    /// Builds.
    Build,
    /// Tests.
    Test,
    /// Deploys.
    Deploy,
    /// Waits for a person.
    Approval,
}

impl ActionCategory {
    /// The CloudFormation value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source => "Source",
            Self::Build => "Build",
            Self::Test => "Test",
            Self::Deploy => "Deploy",
            Self::Approval => "Approval",
        }
    }
}

/// How a source action notices new commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChangeDetection {
    /// An EventBridge rule starts the pipeline on every push to the branch (the default).
    #[default]
    Events,
    /// CodePipeline polls the source (AWS discourages this; quotas apply).
    Polling,
    /// Nothing starts the pipeline automatically.
    None,
}

/// The format of a CodeCommit source artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceFormat {
    /// A zip of the branch head (the default).
    #[default]
    CodeZip,
    /// A reference CodeBuild uses to clone the repository with its history.
    FullClone,
}

/// A bucket an action reads or writes: one of the app's or an existing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketRef {
    /// A bucket of this app.
    App(NodeRef),
    /// An existing bucket outside the app.
    External(BucketName),
}

/// What an action does, with its action-specific configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// Source from a CodeCommit branch.
    CodeCommitSource {
        /// The repository.
        repository: NodeRef,
        /// The branch.
        branch: String,
        /// How a push starts the pipeline.
        detection: ChangeDetection,
        /// Artifact format.
        format: SourceFormat,
    },
    /// Source from an S3 object.
    S3Source {
        /// The bucket (must be versioned).
        bucket: BucketRef,
        /// The object key.
        key: String,
        /// Whether CodePipeline polls the object for changes.
        poll: bool,
    },
    /// Run a CodeBuild project.
    CodeBuild {
        /// The project.
        project: NodeRef,
        /// A test action (category Test) rather than a build.
        test: bool,
        /// Environment variables passed by the action.
        env: Vec<EnvVar>,
        /// Index of the input that is the primary source when there are several.
        primary_source: Option<usize>,
    },
    /// Wait for a manual approval.
    ManualApproval {
        /// SNS topic notified when approval is needed.
        topic: Option<TopicArn>,
        /// URL for the reviewer.
        url: Option<String>,
        /// Comments shown to the reviewer.
        comments: Option<String>,
    },
    /// Deploy files to S3.
    S3Deploy {
        /// The destination bucket.
        bucket: BucketRef,
        /// Whether to extract the artifact before upload.
        extract: bool,
        /// Object key (required when not extracting; an optional prefix otherwise).
        key: Option<String>,
    },
    /// CodeDeploy to a server or Lambda deployment group.
    CodeDeploy {
        /// The deployment group.
        group: NodeRef,
    },
    /// CodeDeploy blue/green to an ECS deployment group.
    EcsBlueGreen {
        /// The deployment group.
        group: NodeRef,
        /// (input index, path) of the task definition template.
        task_definition: Option<(usize, String)>,
        /// (input index, path) of the AppSpec template.
        appspec: Option<(usize, String)>,
        /// (input index, placeholder) of the image details file.
        image: Option<(usize, String)>,
    },
}

/// An action as handed to [`Stage::action`], before its names are checked.
#[derive(Debug, Clone)]
#[must_use]
pub struct UncheckedAction {
    name: String,
    run_order: u32,
    kind: ActionKind,
    inputs: Vec<String>,
    outputs: Vec<String>,
    namespace: Option<String>,
    env: Vec<(String, EnvValue)>,
    topic: Option<String>,
}

impl UncheckedAction {
    fn new(name: impl Into<String>, kind: ActionKind) -> Self {
        Self {
            name: name.into(),
            run_order: 1,
            kind,
            inputs: Vec::new(),
            outputs: Vec::new(),
            namespace: None,
            env: Vec::new(),
            topic: None,
        }
    }

    fn input_index(&mut self, a: &Artifact) -> usize {
        if let Some(i) = self.inputs.iter().position(|n| n == &a.name) {
            i
        } else {
            self.inputs.push(a.name.clone());
            self.inputs.len() - 1
        }
    }
}

macro_rules! common_action_methods {
    ($ty:ident) => {
        impl $ty {
            /// The position among the stage's actions (1 to 999); equal run orders run in parallel.
            pub fn run_order(mut self, n: u32) -> Self {
                self.0.run_order = n;
                self
            }

            /// The namespace under which the action's output variables are published.
            pub fn namespace(mut self, ns: impl Into<String>) -> Self {
                self.0.namespace = Some(ns.into());
                self
            }
        }

        impl From<$ty> for UncheckedAction {
            fn from(a: $ty) -> UncheckedAction {
                a.0
            }
        }
    };
}

/// A CodeCommit source action.
#[derive(Debug, Clone)]
#[must_use]
pub struct CodeCommitSource(UncheckedAction);
common_action_methods!(CodeCommitSource);

impl CodeCommitSource {
    /// Takes `branch` of `repository`. A push to it starts the pipeline through an EventBridge rule.
    pub fn new(
        name: impl Into<String>,
        repository: impl HandleOf<Repository>,
        branch: impl Into<String>,
    ) -> Self {
        Self(UncheckedAction::new(
            name,
            ActionKind::CodeCommitSource {
                repository: repository.node_ref().clone(),
                branch: branch.into(),
                detection: ChangeDetection::Events,
                format: SourceFormat::CodeZip,
            },
        ))
    }

    /// The output artifact (required).
    pub fn output(mut self, a: &Artifact) -> Self {
        self.0.outputs = vec![a.name.clone()];
        self
    }

    /// How pushes start the pipeline.
    pub fn change_detection(mut self, d: ChangeDetection) -> Self {
        if let ActionKind::CodeCommitSource { detection, .. } = &mut self.0.kind {
            *detection = d;
        }
        self
    }

    /// Hands CodeBuild a full clone reference instead of a zip.
    pub fn full_clone(mut self) -> Self {
        if let ActionKind::CodeCommitSource { format, .. } = &mut self.0.kind {
            *format = SourceFormat::FullClone;
        }
        self
    }
}

/// An S3 source action.
#[derive(Debug, Clone)]
#[must_use]
pub struct S3Source(UncheckedAction);
common_action_methods!(S3Source);

impl S3Source {
    /// Takes object `key` of an app bucket (which must be versioned).
    pub fn new(
        name: impl Into<String>,
        bucket: impl HandleOf<ArtifactBucket>,
        key: impl Into<String>,
    ) -> Self {
        Self(UncheckedAction::new(
            name,
            ActionKind::S3Source {
                bucket: BucketRef::App(bucket.node_ref().clone()),
                key: key.into(),
                poll: false,
            },
        ))
    }

    /// The output artifact (required).
    pub fn output(mut self, a: &Artifact) -> Self {
        self.0.outputs = vec![a.name.clone()];
        self
    }

    /// Polls the object for changes.
    pub fn poll(mut self) -> Self {
        if let ActionKind::S3Source { poll, .. } = &mut self.0.kind {
            *poll = true;
        }
        self
    }
}

/// A CodeBuild build or test action.
#[derive(Debug, Clone)]
#[must_use]
pub struct CodeBuild(UncheckedAction);
common_action_methods!(CodeBuild);

impl CodeBuild {
    /// Runs `project` as a build action.
    pub fn new(name: impl Into<String>, project: impl HandleOf<BuildProject>) -> Self {
        Self(UncheckedAction::new(
            name,
            ActionKind::CodeBuild {
                project: project.node_ref().clone(),
                test: false,
                env: Vec::new(),
                primary_source: None,
            },
        ))
    }

    /// Runs `project` as a test action.
    pub fn test(name: impl Into<String>, project: impl HandleOf<BuildProject>) -> Self {
        let mut a = Self::new(name, project);
        if let ActionKind::CodeBuild { test, .. } = &mut a.0.kind {
            *test = true;
        }
        a
    }

    /// Adds an input artifact (1 to 5).
    pub fn input(mut self, a: &Artifact) -> Self {
        self.0.input_index(a);
        self
    }

    /// Adds an output artifact (0 to 5).
    pub fn output(mut self, a: &Artifact) -> Self {
        self.0.outputs.push(a.name.clone());
        self
    }

    /// The input that is the primary source (added as an input if it is not one yet).
    pub fn primary_source(mut self, a: &Artifact) -> Self {
        let i = self.0.input_index(a);
        if let ActionKind::CodeBuild { primary_source, .. } = &mut self.0.kind {
            *primary_source = Some(i);
        }
        self
    }

    /// Passes an environment variable to the build.
    pub fn env(mut self, name: impl Into<String>, value: EnvValue) -> Self {
        self.0.env.push((name.into(), value));
        self
    }
}

/// A manual approval action.
#[derive(Debug, Clone)]
#[must_use]
pub struct ManualApproval(UncheckedAction);
common_action_methods!(ManualApproval);

impl ManualApproval {
    /// Waits for someone to approve.
    pub fn new(name: impl Into<String>) -> Self {
        Self(UncheckedAction::new(
            name,
            ActionKind::ManualApproval {
                topic: None,
                url: None,
                comments: None,
            },
        ))
    }

    /// Notifies this SNS topic (ARN) when approval is needed.
    pub fn notify(mut self, topic_arn: impl Into<String>) -> Self {
        self.0.topic = Some(topic_arn.into());
        self
    }

    /// A URL for the reviewer.
    pub fn review_url(mut self, u: impl Into<String>) -> Self {
        if let ActionKind::ManualApproval { url, .. } = &mut self.0.kind {
            *url = Some(u.into());
        }
        self
    }

    /// Comments for the reviewer.
    pub fn comments(mut self, c: impl Into<String>) -> Self {
        if let ActionKind::ManualApproval { comments, .. } = &mut self.0.kind {
            *comments = Some(c.into());
        }
        self
    }
}

/// An S3 deploy action.
#[derive(Debug, Clone)]
#[must_use]
pub struct S3Deploy(UncheckedAction);
common_action_methods!(S3Deploy);

impl S3Deploy {
    /// Extracts the input into an app bucket.
    pub fn new(name: impl Into<String>, bucket: impl HandleOf<ArtifactBucket>) -> Self {
        Self::to(name, BucketRef::App(bucket.node_ref().clone()))
    }

    /// Extracts the input into an existing bucket outside the app.
    pub fn external(name: impl Into<String>, bucket: BucketName) -> Self {
        Self::to(name, BucketRef::External(bucket))
    }

    fn to(name: impl Into<String>, bucket: BucketRef) -> Self {
        Self(UncheckedAction::new(
            name,
            ActionKind::S3Deploy {
                bucket,
                extract: true,
                key: None,
            },
        ))
    }

    /// The input artifact (required).
    pub fn input(mut self, a: &Artifact) -> Self {
        self.0.inputs = vec![a.name.clone()];
        self
    }

    /// Uploads the artifact as one object at `object_key` instead of extracting it.
    pub fn object_key(mut self, object_key: impl Into<String>) -> Self {
        if let ActionKind::S3Deploy { extract, key, .. } = &mut self.0.kind {
            *extract = false;
            *key = Some(object_key.into());
        }
        self
    }
}

/// A CodeDeploy action to a server or Lambda deployment group.
#[derive(Debug, Clone)]
#[must_use]
pub struct CodeDeploy(UncheckedAction);
common_action_methods!(CodeDeploy);

impl CodeDeploy {
    /// Deploys the input revision to `group` (a server or Lambda group; ECS groups take
    /// [`EcsBlueGreenDeploy`]).
    pub fn new<P: CodeDeployActionPlatform>(
        name: impl Into<String>,
        group: impl HandleOf<DeploymentGroup<P>>,
    ) -> Self {
        Self(UncheckedAction::new(
            name,
            ActionKind::CodeDeploy {
                group: group.node_ref().clone(),
            },
        ))
    }

    /// The revision artifact (required).
    pub fn input(mut self, a: &Artifact) -> Self {
        self.0.inputs = vec![a.name.clone()];
        self
    }
}

/// A CodeDeploy blue/green action to an ECS deployment group.
#[derive(Debug, Clone)]
#[must_use]
pub struct EcsBlueGreenDeploy(UncheckedAction);
common_action_methods!(EcsBlueGreenDeploy);

impl EcsBlueGreenDeploy {
    /// Deploys to an ECS group.
    pub fn new(name: impl Into<String>, group: impl HandleOf<DeploymentGroup<Ecs>>) -> Self {
        Self(UncheckedAction::new(
            name,
            ActionKind::EcsBlueGreen {
                group: group.node_ref().clone(),
                task_definition: None,
                appspec: None,
                image: None,
            },
        ))
    }

    /// The task definition template at `path` in artifact `a` (required).
    pub fn task_definition(mut self, a: &Artifact, path: impl Into<String>) -> Self {
        let i = self.0.input_index(a);
        if let ActionKind::EcsBlueGreen {
            task_definition, ..
        } = &mut self.0.kind
        {
            *task_definition = Some((i, path.into()));
        }
        self
    }

    /// The AppSpec template at `path` in artifact `a` (required).
    pub fn appspec(mut self, a: &Artifact, path: impl Into<String>) -> Self {
        let i = self.0.input_index(a);
        if let ActionKind::EcsBlueGreen { appspec, .. } = &mut self.0.kind {
            *appspec = Some((i, path.into()));
        }
        self
    }

    /// The image details in artifact `a`, substituted for `placeholder` in the task definition.
    pub fn image(mut self, a: &Artifact, placeholder: impl Into<String>) -> Self {
        let i = self.0.input_index(a);
        if let ActionKind::EcsBlueGreen { image, .. } = &mut self.0.kind {
            *image = Some((i, placeholder.into()));
        }
        self
    }
}

/// A stage as handed to [`PipelineBuilder::stage`], before its names are checked.
#[derive(Debug, Clone)]
#[must_use]
pub struct Stage {
    name: String,
    actions: Vec<UncheckedAction>,
}

impl Stage {
    /// A new, empty stage.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            actions: Vec::new(),
        }
    }

    /// Appends an action.
    pub fn action(mut self, a: impl Into<UncheckedAction>) -> Self {
        self.actions.push(a.into());
        self
    }
}

/// A checked pipeline action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Action {
    /// The action name, unique in its stage.
    pub name: ActionName,
    /// Run order within the stage.
    pub run_order: u32,
    /// What it does.
    pub kind: ActionKind,
    /// Input artifacts.
    pub inputs: Vec<ArtifactName>,
    /// Output artifacts.
    pub outputs: Vec<ArtifactName>,
    /// Output-variable namespace.
    pub namespace: Option<Namespace>,
}

impl Action {
    /// The action's category.
    #[must_use]
    pub fn category(&self) -> ActionCategory {
        match &self.kind {
            ActionKind::CodeCommitSource { .. } | ActionKind::S3Source { .. } => {
                ActionCategory::Source
            }
            ActionKind::CodeBuild { test: true, .. } => ActionCategory::Test,
            ActionKind::CodeBuild { .. } => ActionCategory::Build,
            ActionKind::ManualApproval { .. } => ActionCategory::Approval,
            ActionKind::S3Deploy { .. }
            | ActionKind::CodeDeploy { .. }
            | ActionKind::EcsBlueGreen { .. } => ActionCategory::Deploy,
        }
    }

    /// The CodePipeline provider name.
    #[must_use]
    pub fn provider(&self) -> &'static str {
        match &self.kind {
            ActionKind::CodeCommitSource { .. } => "CodeCommit",
            ActionKind::S3Source { .. } | ActionKind::S3Deploy { .. } => "S3",
            ActionKind::CodeBuild { .. } => "CodeBuild",
            ActionKind::ManualApproval { .. } => "Manual",
            ActionKind::CodeDeploy { .. } => "CodeDeploy",
            ActionKind::EcsBlueGreen { .. } => "CodeDeployToECS",
        }
    }

    /// The allowed numbers of (input, output) artifacts, inclusive.
    #[must_use]
    pub fn artifact_bounds(&self) -> ((usize, usize), (usize, usize)) {
        match &self.kind {
            ActionKind::CodeCommitSource { .. } | ActionKind::S3Source { .. } => ((0, 0), (1, 1)),
            ActionKind::CodeBuild { .. } => ((1, 5), (0, 5)),
            ActionKind::ManualApproval { .. } => ((0, 0), (0, 0)),
            ActionKind::S3Deploy { .. } | ActionKind::CodeDeploy { .. } => ((1, 1), (0, 0)),
            ActionKind::EcsBlueGreen { .. } => ((1, 5), (0, 0)),
        }
    }
}

/// A checked stage.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageDecl {
    /// The stage name.
    pub name: StageName,
    /// Its actions in declaration order.
    pub actions: Vec<Action>,
}

/// The pipeline type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PipelineType {
    /// V1 (legacy).
    V1,
    /// V2 (the default): variables, QUEUED/PARALLEL modes.
    #[default]
    V2,
}

/// How concurrent executions are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecutionMode {
    /// A newer execution overtakes an older one (the default).
    #[default]
    Superseded,
    /// Executions wait in line (V2 only).
    Queued,
    /// Executions run independently (V2 only).
    Parallel,
}

impl ExecutionMode {
    /// The CloudFormation value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Superseded => "SUPERSEDED",
            Self::Queued => "QUEUED",
            Self::Parallel => "PARALLEL",
        }
    }
}

/// A pipeline-level variable (V2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The name.
    pub name: VariableName,
    /// The default value (1 to 1000 characters).
    pub default: Option<String>,
    /// A description (at most 200 characters).
    pub description: Option<String>,
}

/// A disabled inbound transition into a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisabledTransition {
    /// The stage whose inbound transition is disabled.
    pub stage: StageName,
    /// Why (1 to 300 characters).
    pub reason: String,
}

/// A CodePipeline pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pipeline {
    /// The name (changing it replaces the pipeline).
    pub name: PipelineName,
    /// The bucket that stores artifacts between actions.
    pub artifact_store: NodeRef,
    /// V1 or V2.
    pub pipeline_type: PipelineType,
    /// Execution mode.
    pub execution_mode: ExecutionMode,
    /// Pipeline variables.
    pub variables: Vec<Variable>,
    /// Stages in order.
    pub stages: Vec<StageDecl>,
    /// Disabled inbound transitions.
    pub disabled_transitions: Vec<DisabledTransition>,
    /// An existing pipeline role instead of the derived one.
    pub role: Option<RoleArn>,
    /// An existing role for the change-detection rules instead of the derived one.
    pub events_role: Option<RoleArn>,
    /// User tags.
    pub tags: Tags,
}

impl Pipeline {
    /// Starts a builder.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// Every action with its (stage index, action index).
    pub fn actions(&self) -> impl Iterator<Item = (usize, usize, &Action)> {
        self.stages.iter().enumerate().flat_map(|(s, st)| {
            st.actions
                .iter()
                .enumerate()
                .map(move |(a, act)| (s, a, act))
        })
    }
}

impl Sealed for Pipeline {}
impl Resource for Pipeline {
    fn into_node(self) -> Node {
        Node::Pipeline(self)
    }
}

/// Builds a [`Pipeline`].
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct PipelineBuilder {
    name: Option<String>,
    artifact_store: Option<NodeRef>,
    pipeline_type: PipelineType,
    execution_mode: ExecutionMode,
    variables: Vec<(String, Option<String>, Option<String>)>,
    stages: Vec<Stage>,
    disabled: Vec<(String, String)>,
    role: Option<String>,
    events_role: Option<String>,
    tags: Vec<(String, String)>,
}

impl PipelineBuilder {
    /// The pipeline name (required).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The artifact bucket (required).
    pub fn artifact_store(mut self, bucket: impl HandleOf<ArtifactBucket>) -> Self {
        self.artifact_store = Some(bucket.node_ref().clone());
        self
    }

    /// V1 or V2 (V2 by default).
    pub fn pipeline_type(mut self, t: PipelineType) -> Self {
        self.pipeline_type = t;
        self
    }

    /// The execution mode (SUPERSEDED by default).
    pub fn execution_mode(mut self, m: ExecutionMode) -> Self {
        self.execution_mode = m;
        self
    }

    /// Declares a pipeline variable with a default value (1 to 1000 characters).
    pub fn variable(mut self, name: impl Into<String>, default: &str) -> Self {
        self.variables
            .push((name.into(), Some(default.to_owned()), None));
        self
    }

    /// Declares a pipeline variable without a default: each execution must give it a value.
    pub fn required_variable(mut self, name: impl Into<String>) -> Self {
        self.variables.push((name.into(), None, None));
        self
    }

    /// Describes the variable declared last (at most 200 characters); does nothing before any.
    pub fn variable_description(mut self, description: impl Into<String>) -> Self {
        if let Some(last) = self.variables.last_mut() {
            last.2 = Some(description.into());
        }
        self
    }

    /// Appends a stage.
    pub fn stage(mut self, stage: Stage) -> Self {
        self.stages.push(stage);
        self
    }

    /// Disables the inbound transition of `stage`.
    pub fn disable_transition(
        mut self,
        stage: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        self.disabled.push((stage.into(), reason.into()));
        self
    }

    /// Uses an existing pipeline role.
    pub fn role(mut self, arn: impl Into<String>) -> Self {
        self.role = Some(arn.into());
        self
    }

    /// Uses an existing role for the change-detection rules.
    pub fn events_role(mut self, arn: impl Into<String>) -> Self {
        self.events_role = Some(arn.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Builds the pipeline, checking every name it holds. Structural rules (stage counts,
    /// artifact flow, run orders, …) are checked by [`crate::validate`].
    ///
    /// # Errors
    /// Every missing or invalid field, with its path.
    pub fn build(self) -> Result<Pipeline, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<Pipeline> {
        let mut p = Problems::default();
        let raw = self.name.clone();
        let name = p.name("name", self.name, PipelineName::new);
        if self.artifact_store.is_none() {
            p.missing("artifact_store");
        }
        let mut stages = Vec::with_capacity(self.stages.len());
        // Paths name stages, actions and artifacts as the user wrote them, not by index.
        for stage in self.stages {
            let sat = format!("stages[{}]", stage.name);
            let sname = p.parse(format!("{sat}.name"), stage.name, StageName::new);
            let mut actions = Vec::with_capacity(stage.actions.len());
            for a in stage.actions {
                let at = format!("{sat}.actions[{}]", a.name);
                if let Some(action) = check_action(&mut p, &at, a) {
                    actions.push(action);
                }
            }
            if let Some(name) = sname {
                stages.push(StageDecl { name, actions });
            }
        }
        let variables = self
            .variables
            .into_iter()
            .filter_map(|(n, default, description)| {
                p.parse(format!("variables[{n}].name"), n, VariableName::new)
                    .map(|name| Variable {
                        name,
                        default,
                        description,
                    })
            })
            .collect();
        let disabled_transitions = self
            .disabled
            .into_iter()
            .filter_map(|(s, reason)| {
                p.parse(
                    format!("disabled_transitions[{s}].stage"),
                    s,
                    StageName::new,
                )
                .map(|stage| DisabledTransition { stage, reason })
            })
            .collect();
        let role = self.role.and_then(|r| p.parse("role", r, RoleArn::new));
        let events_role = self
            .events_role
            .and_then(|r| p.parse("events_role", r, RoleArn::new));
        let tags = p.tags(self.tags);
        let value = match (name, self.artifact_store) {
            (Some(name), Some(artifact_store)) => Some(Pipeline {
                name,
                artifact_store,
                pipeline_type: self.pipeline_type,
                execution_mode: self.execution_mode,
                variables,
                stages,
                disabled_transitions,
                role,
                events_role,
                tags,
            }),
            _ => None,
        };
        p.finish("pipeline", raw.as_deref(), value)
    }
}

fn check_action(p: &mut Problems, at: &str, a: UncheckedAction) -> Option<Action> {
    let name = p.parse(format!("{at}.name"), a.name, ActionName::new);
    let inputs: Vec<_> = a
        .inputs
        .into_iter()
        .filter_map(|n| p.parse(format!("{at}.inputs[{n}]"), n, ArtifactName::new))
        .collect();
    let outputs: Vec<_> = a
        .outputs
        .into_iter()
        .filter_map(|n| p.parse(format!("{at}.outputs[{n}]"), n, ArtifactName::new))
        .collect();
    let namespace = a
        .namespace
        .and_then(|n| p.parse(format!("{at}.namespace"), n, Namespace::new));
    let mut kind = a.kind;
    match &mut kind {
        ActionKind::CodeBuild { env, .. } => {
            for (n, value) in a.env {
                if let Some(name) = p.parse(format!("{at}.env[{n}].name"), n, EnvVarName::new) {
                    env.push(EnvVar { name, value });
                }
            }
        }
        ActionKind::ManualApproval { topic, .. } => {
            *topic = a
                .topic
                .and_then(|t| p.parse(format!("{at}.notify"), t, TopicArn::new));
        }
        _ => {}
    }
    Some(Action {
        name: name?,
        run_order: a.run_order,
        kind,
        inputs,
        outputs,
        namespace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::App;

    #[test]
    fn every_bad_name_in_a_pipeline_is_reported_with_its_path() {
        let mut app = App::new("shop").unwrap();
        let bucket = app.add(
            ArtifactBucket::builder()
                .name("shop-artifacts")
                .build()
                .unwrap(),
        );
        let repo = app.add(Repository::builder().name("shop").build().unwrap());
        let err = Pipeline::builder()
            .name("ship")
            .artifact_store(&bucket)
            .stage(Stage::new("Source ok?").action(
                CodeCommitSource::new("Check out", &repo, "main").output(&Artifact::new("src.zip")),
            ))
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "pipeline \"ship\": stages[Source ok?].name \"Source ok?\": 1 to 100 characters of A-Z, a-z, 0-9 and '.@_-'; spaces are not allowed (character 7); \
             stages[Source ok?].actions[Check out].name \"Check out\": 1 to 100 characters of A-Z, a-z, 0-9 and '.@_-'; spaces are not allowed (character 6); \
             stages[Source ok?].actions[Check out].outputs[src.zip] \"src.zip\": 1 to 100 characters of A-Z, a-z, 0-9, '_' and '-'; '.' (character 4) is not allowed"
        );
    }

    #[test]
    fn ecs_action_inputs_are_deduplicated() {
        let mut app = App::new("shop").unwrap();
        let a = app.add(
            crate::model::EcsApplication::builder()
                .name("web")
                .build()
                .unwrap(),
        );
        let g = app.add(
            DeploymentGroup::builder()
                .application(&a)
                .name("prod")
                .service("c", "s")
                .target_groups("b", "g")
                .prod_listener(
                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/1/2",
                )
                .build()
                .unwrap(),
        );
        let built = Artifact::new("Built");
        let spec: UncheckedAction = EcsBlueGreenDeploy::new("Deploy", &g)
            .task_definition(&built, "taskdef.json")
            .appspec(&built, "appspec.yaml")
            .into();
        assert_eq!(spec.inputs, vec!["Built".to_string()]);
    }
}
