//! The desired state: every AWS resource an app stands for, derived roles and change-detection
//! rules included, with logical ids, physical names and dependencies. Synthesis renders it as a
//! CloudFormation template; the reconcile engine compares it with what AWS has.

use std::collections::{BTreeMap, BTreeSet};

use super::app::{App, LogicalId, Node, NodeRef};
use super::kind::{ArnScope, ResourceKind, render_arn};
use super::{
    Action, ActionKind, Application, ArtifactBucket, ArtifactDomain, ArtifactRepository, BucketRef,
    BuildProject, BuildSource, Cache, ChangeDetection, ComputePlatform, ConfigRef, Encryption,
    EnvValue, EnvVarName, ImageRepository, KmsKeyArn, Pipeline, PipelineName, ReportExport,
    ReportGroup, Repository, RoleArn, SourceFormat, StoredDeploymentConfig, StoredDeploymentGroup,
    Target,
};

/// A role a resource runs as: derived by pipewright, or given by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleRef {
    /// A role in the desired state, by logical id.
    Derived(LogicalId),
    /// An existing role.
    Existing(RoleArn),
}

/// What a derived role is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolePurpose {
    /// The service role of a pipeline.
    Pipeline,
    /// The service role of a CodeBuild project.
    Build,
    /// The service role of a CodeDeploy application's groups.
    Deploy,
    /// The role change-detection rules use to start a pipeline.
    Events,
}

/// The service a role trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// `codepipeline.amazonaws.com`.
    CodePipeline,
    /// `codebuild.amazonaws.com`.
    CodeBuild,
    /// `codedeploy.amazonaws.com`.
    CodeDeploy,
    /// `events.amazonaws.com`.
    Events,
}

impl Principal {
    /// The service principal.
    #[must_use]
    pub fn service(self) -> &'static str {
        match self {
            Self::CodePipeline => "codepipeline.amazonaws.com",
            Self::CodeBuild => "codebuild.amazonaws.com",
            Self::CodeDeploy => "codedeploy.amazonaws.com",
            Self::Events => "events.amazonaws.com",
        }
    }
}

/// An ARN in a policy, independent of partition, region and account until rendered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arn {
    /// Every resource. Used only where AWS offers no resource-level permission; the statement
    /// then carries the reason.
    Any,
    /// An ARN of this partition/region/account: `arn:<p>:<service>:<region>:<account>:<resource>`,
    /// region and account left empty as `scope` says (S3 omits both).
    Scoped {
        /// The service prefix, such as `codebuild`.
        service: &'static str,
        /// Which of region and account the ARN names.
        scope: ArnScope,
        /// The resource part, such as `project/shop-build`.
        resource: String,
    },
    /// A complete ARN given by the user.
    Literal(String),
}

impl Arn {
    fn regional(service: &'static str, resource: impl Into<String>) -> Self {
        Self::Scoped {
            service,
            scope: ArnScope::Regional,
            resource: resource.into(),
        }
    }

    fn s3(resource: impl Into<String>) -> Self {
        Self::Scoped {
            service: "s3",
            scope: ArnScope::Partition,
            resource: resource.into(),
        }
    }

    /// The ARN of a resource of `kind` named `name`, in the format the kind table gives.
    ///
    /// # Panics
    /// For a kind without an ARN (a bucket policy): no policy names one.
    fn of(kind: ResourceKind, name: &str) -> Self {
        // Every kind a derived policy names has an ARN format in the table (a unit test of
        // this module walks each one).
        let format = kind
            .info()
            .arn
            .expect("policies name only kinds that have an ARN");
        Self::Scoped {
            service: format.service,
            scope: format.scope,
            resource: format!("{}{name}", format.prefix),
        }
    }

    /// The ARN for a concrete partition, region and account (or CloudFormation placeholders).
    #[must_use]
    pub fn render(&self, partition: &str, region: &str, account: &str) -> String {
        match self {
            Self::Any => "*".into(),
            Self::Scoped {
                service,
                scope,
                resource,
            } => render_arn(partition, service, *scope, region, account, resource),
            Self::Literal(s) => s.clone(),
        }
    }
}

/// One statement of a derived policy (always `Allow`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Statement id, naming why the permission is there.
    pub sid: &'static str,
    /// IAM actions, sorted.
    pub actions: Vec<&'static str>,
    /// Resources, sorted and distinct.
    pub resources: Vec<Arn>,
    /// Why a wildcard is needed: for statements on [`Arn::Any`], and for name patterns that
    /// reach beyond the app's own resources.
    pub wildcard_reason: Option<&'static str>,
    /// A condition: (operator, key, values); values are ARNs or literal strings.
    pub condition: Option<(&'static str, &'static str, Vec<Arn>)>,
}

/// A role pipewright derives, with its inline least-privilege policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// What it is for.
    pub purpose: RolePurpose,
    /// The service that assumes it.
    pub principal: Principal,
    /// The policy statements.
    pub statements: Vec<Statement>,
}

/// An EventBridge rule that starts a pipeline when a CodeCommit branch moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRule {
    /// The repository watched.
    pub repository: LogicalId,
    /// Its name.
    pub repository_name: String,
    /// The branch watched.
    pub branch: String,
    /// The pipeline started.
    pub pipeline: LogicalId,
    /// Its name.
    pub pipeline_name: PipelineName,
    /// The role the rule uses.
    pub role: RoleRef,
}

/// What a desired resource is, with everything needed to render or compare it.
#[derive(Debug, Clone)]
pub enum Definition<'a> {
    /// A repository.
    Repository(&'a Repository),
    /// An Amazon ECR repository.
    ImageRepository(&'a ImageRepository),
    /// An AWS CodeArtifact domain.
    ArtifactDomain(&'a ArtifactDomain),
    /// An AWS CodeArtifact repository.
    ArtifactRepository {
        /// The repository.
        repository: &'a ArtifactRepository,
        /// Its domain's logical id.
        domain: LogicalId,
        /// Its upstreams' logical ids and repository names, in the order searched.
        upstreams: Vec<(LogicalId, String)>,
    },
    /// An artifact bucket.
    Bucket(&'a ArtifactBucket),
    /// The TLS-only policy of a bucket.
    BucketPolicy {
        /// The bucket.
        bucket: LogicalId,
    },
    /// A CodeBuild project.
    Project {
        /// The project.
        project: &'a BuildProject,
        /// Its service role.
        role: RoleRef,
        /// The repository it clones, when its source is CodeCommit.
        repository: Option<(LogicalId, String)>,
        /// The bucket of its S3 cache.
        cache_bucket: Option<(LogicalId, String)>,
        /// The KMS key of the artifact bucket of pipelines running it, used to encrypt output.
        artifact_key: Option<&'a KmsKeyArn>,
        /// Its log group.
        log_group: LogicalId,
        /// The ECR repositories it pushes to: logical id, name, and the variable holding the URI.
        images: Vec<(LogicalId, String, &'a EnvVarName)>,
        /// The CodeArtifact repository its `CODEARTIFACT_*` variables name, by logical id.
        packages: Option<LogicalId>,
    },
    /// A CodeDeploy application.
    Application(&'a Application),
    /// A custom deployment configuration.
    DeploymentConfig(&'a StoredDeploymentConfig),
    /// A deployment group.
    DeploymentGroup {
        /// The group.
        group: &'a StoredDeploymentGroup,
        /// Its application.
        application: LogicalId,
        /// Its configuration: a predefined name, or a custom one by logical id and name.
        config: ResolvedConfig,
        /// Its service role.
        role: RoleRef,
    },
    /// A pipeline.
    Pipeline {
        /// The pipeline.
        pipeline: &'a Pipeline,
        /// Its service role.
        role: RoleRef,
        /// The artifact bucket (logical id, name, encryption).
        store: (LogicalId, String, &'a Encryption),
        /// Logical ids and names of what each action uses, by (stage, action) index.
        uses: BTreeMap<(usize, usize), Vec<Used>>,
    },
    /// The CloudWatch Logs group a project writes its build logs to.
    LogGroup {
        /// The project.
        project: &'a BuildProject,
    },
    /// A report group a project publishes to.
    ReportGroup {
        /// The project.
        project: &'a BuildProject,
        /// The group.
        group: &'a ReportGroup,
        /// The artifact bucket it exports to (logical id, name, KMS key), if it exports.
        bucket: Option<(LogicalId, String, Option<&'a KmsKeyArn>)>,
    },
    /// A derived role.
    Role(Role),
    /// A change-detection rule.
    EventRule(EventRule),
}

/// A deployment configuration resolved to its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedConfig {
    /// `CodeDeployDefault.*`.
    Predefined(&'static str),
    /// A custom configuration of the app.
    Custom(LogicalId, String),
}

impl ResolvedConfig {
    /// The configuration name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Predefined(n) => n,
            Self::Custom(_, n) => n,
        }
    }
}

/// A resource an action uses, for the graph and for references in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    /// Its logical id, `None` for a resource outside the app.
    pub id: Option<LogicalId>,
    /// Its kind.
    pub kind: ResourceKind,
    /// Its name (for a deployment group: the group name).
    pub name: String,
    /// For a deployment group, its application's logical id and name.
    pub application: Option<(LogicalId, String)>,
}

/// One desired AWS resource.
#[derive(Debug, Clone)]
pub struct DesiredResource<'a> {
    /// Logical id (CloudFormation logical id, `pipewright:id` tag).
    pub id: LogicalId,
    /// The kind.
    pub kind: ResourceKind,
    /// The physical name AWS knows it by (for a deployment group, the group name within its
    /// application; for a bucket policy, its bucket's name; for a derived role, a name holding
    /// [`REGION_VAR`], which resolution for one region replaces).
    pub physical_name: String,
    /// Logical ids of the resources that must exist first, sorted.
    pub depends_on: Vec<LogicalId>,
    /// What it is.
    pub spec: Definition<'a>,
}

/// The desired state of an app.
#[derive(Debug, Clone)]
pub struct Desired<'a> {
    /// The app.
    pub app: &'a App,
    /// Every resource: each model resource followed by what is derived from it.
    pub resources: Vec<DesiredResource<'a>>,
}

/// The longest IAM role / EventBridge rule name.
const DERIVED_NAME_MAX: usize = 64;

/// What stands for the region in a derived role's name and path until the engine resolves them
/// for one region (CloudFormation's pseudo parameter, so the template's `Fn::Sub` does the same).
pub const REGION_VAR: &str = "${AWS::Region}";

/// The longest region name a derived role's name makes room for (`us-isof-south-1`).
const REGION_MAX: usize = 15;

/// `parts` joined by `-`, with characters outside `allowed` replaced by `-`, shortened with a
/// stable hash suffix when longer than 64 characters.
fn derived_name(parts: &[&str], allowed: &str) -> String {
    derived_name_within(parts, allowed, DERIVED_NAME_MAX)
}

/// [`derived_name`] shortened to at most `max` characters.
fn derived_name_within(parts: &[&str], allowed: &str, max: usize) -> String {
    let joined: String = parts
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || allowed.contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if joined.len() <= max {
        return joined;
    }
    // FNV-1a: stable across platforms and releases, unlike std's hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in joined.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{}-{h:08x}", &joined[..max - 9])
}

/// The name of a derived role: `<app>-<kind>-<name>-<region>`, where `name` loses the app's
/// name when it starts with it (`ledger-build-unit-tests-eu-west-1` for the project
/// `ledger-unit-tests`, not `ledger-build-ledger-unit-tests-eu-west-1`) and goes when it is the
/// app's name (`ledger-pipeline-eu-west-1`).
///
/// IAM is global: role names are unique per account, not per region, so the same app applied
/// in two regions needs two sets of roles, and the region is part of the name (the path alone
/// does not make a name unique). The part before the region is shortened to leave room for
/// the longest region name, so the name fits IAM's 64 characters in every region.
fn role_name(app: &App, kind: &str, name: &str) -> String {
    let app_name = app.name().as_str();
    let mut parts = vec![app_name, kind];
    parts.extend(within_app(app_name, name));
    let base = derived_name_within(&parts, "+=,.@_-", DERIVED_NAME_MAX - 1 - REGION_MAX);
    format!("{base}-{REGION_VAR}")
}

/// The IAM path of the roles an app derives in one region: `/pipewright/<app>/<region>/`
/// (with [`REGION_VAR`] for the region). Listing the roles under it finds exactly what the app
/// owns in that region, without reading the account's other roles.
#[must_use]
pub fn role_path(app: &str) -> String {
    format!("/pipewright/{app}/{REGION_VAR}/")
}

/// `name` without the app's name in front (`None` when it is the app's name): derived names
/// start with the app's name already.
fn within_app<'n>(app: &str, name: &'n str) -> Option<&'n str> {
    if name == app {
        return None;
    }
    Some(
        name.strip_prefix(app)
            .and_then(|rest| rest.strip_prefix('-'))
            .filter(|rest| !rest.is_empty())
            .unwrap_or(name),
    )
}

fn statement(
    sid: &'static str,
    actions: &[&'static str],
    resources: impl IntoIterator<Item = Arn>,
) -> Statement {
    let mut actions = actions.to_vec();
    actions.sort_unstable();
    let resources: BTreeSet<Arn> = resources.into_iter().collect();
    Statement {
        sid,
        actions,
        resources: resources.into_iter().collect(),
        wildcard_reason: None,
        condition: None,
    }
}

/// Passing the ECS task roles an ECS deployment registers, to ECS tasks only; `None` without
/// roles.
fn pass_task_roles(roles: impl IntoIterator<Item = Arn>) -> Option<Statement> {
    let mut s = statement("PassTaskRoles", &["iam:PassRole"], roles);
    s.condition = Some((
        "StringEquals",
        "iam:PassedToService",
        vec![Arn::Literal("ecs-tasks.amazonaws.com".into())],
    ));
    (!s.resources.is_empty()).then_some(s)
}

fn wildcard(sid: &'static str, actions: &[&'static str], reason: &'static str) -> Statement {
    Statement {
        wildcard_reason: Some(reason),
        ..statement(sid, actions, [Arn::Any])
    }
}

fn kms_statement(sid: &'static str, keys: &BTreeSet<&KmsKeyArn>) -> Option<Statement> {
    (!keys.is_empty()).then(|| {
        statement(
            sid,
            &[
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            keys.iter().map(|k| Arn::Literal(k.to_string())),
        )
    })
}

fn bucket_key(b: &ArtifactBucket) -> Option<&KmsKeyArn> {
    match &b.encryption {
        Encryption::Kms(k) => Some(k),
        Encryption::S3Managed => None,
    }
}

fn bucket_name<'b>(
    app: &'b App,
    r: &'b BucketRef,
) -> Option<(Option<LogicalId>, &'b str, Option<&'b ArtifactBucket>)> {
    match r {
        BucketRef::App(n) => app
            .bucket(n)
            .map(|b| (Some(n.id.clone()), b.name.as_str(), Some(b))),
        BucketRef::External(name) => Some((None, name.as_str(), None)),
    }
}

fn parameter_arn(name: &str) -> Arn {
    if name.starts_with("arn:") {
        return Arn::Literal(name.into());
    }
    Arn::regional("ssm", format!("parameter/{}", name.trim_start_matches('/')))
}

fn secret_arn(reference: &str) -> Arn {
    if reference.starts_with("arn:") {
        // arn:p:secretsmanager:r:a:secret:name-suffix[:json-key:stage:version]
        let arn: Vec<&str> = reference.splitn(8, ':').take(7).collect();
        return Arn::Literal(arn.join(":"));
    }
    let name = reference.split(':').next().unwrap_or(reference);
    // Secrets Manager appends a six-character suffix to every secret's ARN.
    Arn::regional("secretsmanager", format!("secret:{name}-??????"))
}

fn env_statements(vars: &[&EnvValue], out: &mut Vec<Statement>) {
    let params: Vec<Arn> = vars
        .iter()
        .filter_map(|v| match v {
            EnvValue::ParameterStore(p) => Some(parameter_arn(p)),
            _ => None,
        })
        .collect();
    if !params.is_empty() {
        out.push(statement("ReadParameters", &["ssm:GetParameters"], params));
    }
    let secrets: Vec<Arn> = vars
        .iter()
        .filter_map(|v| match v {
            EnvValue::SecretsManager(s) => Some(secret_arn(s)),
            _ => None,
        })
        .collect();
    if !secrets.is_empty() {
        out.push(statement(
            "ReadSecrets",
            &["secretsmanager:GetSecretValue"],
            secrets,
        ));
    }
}

/// The configuration a group deploys with: its own (predefined or the app's custom one), else
/// its platform's default. The group's template and its pipeline's role both take it from here.
fn resolved_config(app: &App, g: &StoredDeploymentGroup) -> ResolvedConfig {
    match &g.config {
        Some(ConfigRef::Predefined(n)) => ResolvedConfig::Predefined(n),
        Some(ConfigRef::Custom(r)) => ResolvedConfig::Custom(
            r.id.clone(),
            app.config(r)
                .map(|c| c.name.to_string())
                .unwrap_or_default(),
        ),
        None => ResolvedConfig::Predefined(g.platform.default_config()),
    }
}

/// The logical id of a project's log group.
pub(crate) fn log_group_id(p: &BuildProject) -> LogicalId {
    LogicalId::derive("LogGroup", &[p.name.as_str()])
}

/// The logical id of one of a project's report groups.
pub(crate) fn report_group_id(p: &BuildProject, g: &ReportGroup) -> LogicalId {
    LogicalId::derive("ReportGroup", &[p.name.as_str(), g.name.as_str()])
}

fn group_arn(g: &StoredDeploymentGroup) -> Arn {
    Arn::of(
        ResourceKind::DeploymentGroup,
        &format!("{}/{}", g.application_name, g.name),
    )
}

impl App {
    /// Expands the app into its desired AWS resources: each model resource, the TLS-only policy
    /// of each bucket, the derived IAM roles (one per pipeline, per project, per CodeDeploy
    /// application, and one events role per pipeline with change detection) and one EventBridge
    /// rule per event-detected CodeCommit source.
    ///
    /// Pure and deterministic. Meant for a model that passed [`crate::validate`]: references
    /// that do not resolve are skipped rather than reported.
    #[must_use]
    pub fn desired(&self) -> Desired<'_> {
        Expander::new(self).run()
    }
}

struct Expander<'a> {
    app: &'a App,
    out: Vec<DesiredResource<'a>>,
    /// Project id → buckets (and keys) of the pipelines that run it.
    project_buckets: BTreeMap<LogicalId, BTreeSet<(&'a str, Option<&'a KmsKeyArn>)>>,
    /// Project id → repositories a full-clone source hands it.
    project_clones: BTreeMap<LogicalId, BTreeSet<&'a str>>,
    /// Project id → env values of the actions running it.
    project_action_env: BTreeMap<LogicalId, Vec<&'a EnvValue>>,
    /// Application id → artifact buckets (and keys) of the pipelines that deploy to it.
    application_buckets: BTreeMap<LogicalId, BTreeSet<(&'a str, Option<&'a KmsKeyArn>)>>,
}

impl<'a> Expander<'a> {
    fn new(app: &'a App) -> Self {
        let mut x = Self {
            app,
            out: Vec::with_capacity(app.nodes().len() * 2),
            project_buckets: BTreeMap::new(),
            project_clones: BTreeMap::new(),
            project_action_env: BTreeMap::new(),
            application_buckets: BTreeMap::new(),
        };
        x.index_pipelines();
        x
    }

    fn index_pipelines(&mut self) {
        let app = self.app;
        for node in app.nodes() {
            let Node::Pipeline(p) = node else { continue };
            let Some(store) = app.bucket(&p.artifact_store) else {
                continue;
            };
            let sources: BTreeMap<&str, &Action> = p
                .actions()
                .flat_map(|(_, _, a)| a.outputs.iter().map(move |o| (o.as_str(), a)))
                .collect();
            for (_, _, a) in p.actions() {
                match &a.kind {
                    ActionKind::CodeBuild { project, env, .. } => {
                        self.project_buckets
                            .entry(project.id.clone())
                            .or_default()
                            .insert((store.name.as_str(), bucket_key(store)));
                        self.project_action_env
                            .entry(project.id.clone())
                            .or_default()
                            .extend(env.iter().map(|e| &e.value));
                        for input in &a.inputs {
                            if let Some(ActionKind::CodeCommitSource {
                                repository,
                                format: SourceFormat::FullClone,
                                ..
                            }) = sources.get(input.as_str()).map(|s| &s.kind)
                                && let Some(r) = app.repository(repository)
                            {
                                self.project_clones
                                    .entry(project.id.clone())
                                    .or_default()
                                    .insert(r.name.as_str());
                            }
                        }
                    }
                    ActionKind::CodeDeploy { group } | ActionKind::EcsBlueGreen { group, .. } => {
                        if let Some(g) = app.group(group) {
                            self.application_buckets
                                .entry(g.application.id.clone())
                                .or_default()
                                .insert((store.name.as_str(), bucket_key(store)));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn push(
        &mut self,
        id: LogicalId,
        kind: ResourceKind,
        physical_name: String,
        deps: BTreeSet<LogicalId>,
        spec: Definition<'a>,
    ) {
        self.out.push(DesiredResource {
            id,
            kind,
            physical_name,
            depends_on: deps.into_iter().collect(),
            spec,
        });
    }

    fn push_role(
        &mut self,
        id: LogicalId,
        name: String,
        purpose: RolePurpose,
        principal: Principal,
        statements: Vec<Statement>,
    ) {
        self.push(
            id,
            ResourceKind::Role,
            name,
            BTreeSet::new(),
            Definition::Role(Role {
                purpose,
                principal,
                statements,
            }),
        );
    }

    fn run(mut self) -> Desired<'a> {
        let app = self.app;
        for (id, node) in app.iter() {
            match node {
                Node::Repository(r) => {
                    self.push(
                        id.clone(),
                        ResourceKind::Repository,
                        r.name.to_string(),
                        BTreeSet::new(),
                        Definition::Repository(r),
                    );
                }
                Node::Bucket(b) => {
                    self.push(
                        id.clone(),
                        ResourceKind::Bucket,
                        b.name.to_string(),
                        BTreeSet::new(),
                        Definition::Bucket(b),
                    );
                    self.push(
                        LogicalId::derive("BucketPolicy", &[b.name.as_str()]),
                        ResourceKind::BucketPolicy,
                        b.name.to_string(),
                        BTreeSet::from([id.clone()]),
                        Definition::BucketPolicy { bucket: id.clone() },
                    );
                }
                Node::Project(p) => self.project(id, p),
                Node::Application(a) => self.application(id, a),
                Node::DeploymentConfig(c) => {
                    self.push(
                        id.clone(),
                        ResourceKind::DeploymentConfig,
                        c.name.to_string(),
                        BTreeSet::new(),
                        Definition::DeploymentConfig(c),
                    );
                }
                Node::DeploymentGroup(g) => self.group(id, g),
                Node::Pipeline(p) => self.pipeline(id, p),
                Node::ImageRepository(r) => {
                    self.push(
                        id.clone(),
                        ResourceKind::ImageRepository,
                        r.name.to_string(),
                        BTreeSet::new(),
                        Definition::ImageRepository(r),
                    );
                }
                Node::ArtifactDomain(d) => {
                    self.push(
                        id.clone(),
                        ResourceKind::ArtifactDomain,
                        d.name.to_string(),
                        BTreeSet::new(),
                        Definition::ArtifactDomain(d),
                    );
                }
                Node::ArtifactRepository(r) => {
                    let upstreams: Vec<(LogicalId, String)> = r
                        .upstreams
                        .iter()
                        .filter_map(|u| {
                            app.artifact_repository(u)
                                .map(|x| (u.id.clone(), x.name.to_string()))
                        })
                        .collect();
                    // The upstreams exist before the repository naming them, and it is deleted
                    // before them.
                    let mut deps: BTreeSet<LogicalId> =
                        upstreams.iter().map(|(id, _)| id.clone()).collect();
                    deps.insert(r.domain.id.clone());
                    self.push(
                        id.clone(),
                        ResourceKind::ArtifactRepository,
                        r.physical_name(),
                        deps,
                        Definition::ArtifactRepository {
                            repository: r,
                            domain: r.domain.id.clone(),
                            upstreams,
                        },
                    );
                }
            }
        }
        Desired {
            app,
            resources: self.out,
        }
    }

    fn project(&mut self, id: &LogicalId, p: &'a BuildProject) {
        let app = self.app;
        let mut deps = BTreeSet::new();
        let repository = match &p.source {
            BuildSource::CodeCommit { repository } => app
                .repository(repository)
                .map(|r| (repository.id.clone(), r.name.to_string())),
            _ => None,
        };
        let cache_bucket = match &p.cache {
            Cache::S3 { bucket, .. } => app
                .bucket(bucket)
                .map(|b| (bucket.id.clone(), b.name.to_string())),
            _ => None,
        };
        let images: Vec<(LogicalId, String, &'a EnvVarName)> = p
            .image_pushes
            .iter()
            .filter_map(|push| {
                app.image_repository(&push.repository).map(|r| {
                    (
                        push.repository.id.clone(),
                        r.name.to_string(),
                        &push.variable,
                    )
                })
            })
            .collect();
        deps.extend(repository.iter().map(|r| r.0.clone()));
        deps.extend(cache_bucket.iter().map(|r| r.0.clone()));
        deps.extend(images.iter().map(|r| r.0.clone()));
        // The CodeArtifact repositories it uses: (logical id, domain name, repository name,
        // publishes).
        let packages: Vec<(LogicalId, String, String, bool)> = p
            .packages
            .iter()
            .filter_map(|a| {
                app.artifact_repository(&a.repository).map(|r| {
                    (
                        a.repository.id.clone(),
                        r.domain_name.clone(),
                        r.name.to_string(),
                        a.publish,
                    )
                })
            })
            .collect();
        deps.extend(packages.iter().map(|r| r.0.clone()));
        let buckets = self.project_buckets.get(id).cloned().unwrap_or_default();
        let artifact_key = buckets.iter().find_map(|(_, k)| *k);
        let log_group = p.log_group();
        let log_id = log_group_id(p);
        self.push(
            log_id.clone(),
            ResourceKind::LogGroup,
            log_group.clone(),
            BTreeSet::new(),
            Definition::LogGroup { project: p },
        );
        deps.insert(log_id.clone());
        // Its report groups, each exporting to a bucket of the app or nowhere.
        let mut exports = Vec::new();
        let mut report_keys = Vec::new();
        for g in &p.report_groups {
            let gid = report_group_id(p, g);
            let bucket = match &g.export {
                ReportExport::Bucket { bucket, path, .. } => app.bucket(bucket).map(|b| {
                    exports.push((b.name.to_string(), path.clone()));
                    report_keys.extend(bucket_key(b));
                    (bucket.id.clone(), b.name.to_string(), bucket_key(b))
                }),
                ReportExport::None => None,
            };
            let gdeps = bucket.iter().map(|b| b.0.clone()).collect();
            self.push(
                gid.clone(),
                ResourceKind::ReportGroup,
                p.report_group_name(g),
                gdeps,
                Definition::ReportGroup {
                    project: p,
                    group: g,
                    bucket,
                },
            );
            deps.insert(gid);
        }
        let role = if let Some(arn) = &p.service_role {
            RoleRef::Existing(arn.clone())
        } else {
            let role_id = LogicalId::derive("BuildRole", &[p.name.as_str()]);
            // The app creates the group, so the role needs no logs:CreateLogGroup: it writes
            // streams of that one group (`log-group:<name>:*`, the group's ARN as CloudWatch
            // Logs gives it, which covers its `log-stream:<name>` streams).
            let mut st = vec![statement(
                "WriteBuildLogs",
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                [Arn::regional("logs", format!("log-group:{log_group}:*"))],
            )];
            if !buckets.is_empty() {
                st.push(statement(
                    "PipelineArtifacts",
                    &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    buckets.iter().map(|(b, _)| Arn::s3(format!("{b}/*"))),
                ));
                st.push(statement(
                    "PipelineArtifactBuckets",
                    &["s3:GetBucketAcl", "s3:GetBucketLocation"],
                    buckets.iter().map(|(b, _)| Arn::s3(*b)),
                ));
            }
            let mut clones: BTreeSet<&str> =
                self.project_clones.get(id).cloned().unwrap_or_default();
            if let Some((_, name)) = &repository {
                clones.insert(name.as_str());
            }
            if !images.is_empty() {
                // Amazon ECR User Guide, "IAM permissions for pushing an image": these actions
                // on the repository, and a token to log in to the registry.
                st.push(statement(
                    "PushImages",
                    &[
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:CompleteLayerUpload",
                        "ecr:InitiateLayerUpload",
                        "ecr:PutImage",
                        "ecr:UploadLayerPart",
                    ],
                    images
                        .iter()
                        .map(|(_, name, _)| Arn::of(ResourceKind::ImageRepository, name)),
                ));
                st.push(wildcard(
                    "EcrLogin",
                    &["ecr:GetAuthorizationToken"],
                    "ecr:GetAuthorizationToken supports no resource-level permission: it names no repository",
                ));
            }
            if !packages.is_empty() {
                // CodeArtifact User Guide, "AWS CodeArtifact authentication and tokens" and
                // "Using CodeArtifact with CodeBuild": a token for the domain, the repository's
                // endpoint and reads; publishing writes package versions and their metadata,
                // authorized on the packages of the repository.
                st.push(statement(
                    "PackagesLogin",
                    &["codeartifact:GetAuthorizationToken"],
                    packages
                        .iter()
                        .map(|(_, domain, _, _)| Arn::of(ResourceKind::ArtifactDomain, domain)),
                ));
                st.push(statement(
                    "ReadPackages",
                    &[
                        "codeartifact:GetRepositoryEndpoint",
                        "codeartifact:ReadFromRepository",
                    ],
                    packages.iter().map(|(_, domain, repo, _)| {
                        Arn::of(
                            ResourceKind::ArtifactRepository,
                            &format!("{domain}/{repo}"),
                        )
                    }),
                ));
                let published: Vec<Arn> = packages
                    .iter()
                    .filter(|(_, _, _, publish)| *publish)
                    .map(|(_, domain, repo, _)| {
                        Arn::regional("codeartifact", format!("package/{domain}/{repo}/*"))
                    })
                    .collect();
                if !published.is_empty() {
                    st.push(statement(
                        "PublishPackages",
                        &[
                            "codeartifact:PublishPackageVersion",
                            "codeartifact:PutPackageMetadata",
                        ],
                        published,
                    ));
                }
                let mut bearer = wildcard(
                    "PackagesBearerToken",
                    &["sts:GetServiceBearerToken"],
                    "sts:GetServiceBearerToken supports no resource-level permission; the condition limits it to CodeArtifact",
                );
                bearer.condition = Some((
                    "StringEquals",
                    "sts:AWSServiceName",
                    vec![Arn::Literal("codeartifact.amazonaws.com".into())],
                ));
                st.push(bearer);
            }
            if !clones.is_empty() {
                st.push(statement(
                    "PullSource",
                    &["codecommit:GitPull"],
                    clones.iter().map(|r| Arn::of(ResourceKind::Repository, r)),
                ));
            }
            if let (Some((_, name)), Cache::S3 { prefix, .. }) = (&cache_bucket, &p.cache) {
                st.push(statement(
                    "BuildCache",
                    &["s3:GetObject", "s3:PutObject"],
                    [Arn::s3(format!(
                        "{name}/{}*",
                        prefix.trim_start_matches('/')
                    ))],
                ));
            }
            let mut env: Vec<&EnvValue> =
                p.environment.variables.iter().map(|v| &v.value).collect();
            env.extend(self.project_action_env.get(id).into_iter().flatten());
            env_statements(&env, &mut st);
            if !p.report_groups.is_empty() {
                // The app creates the groups, so no codebuild:CreateReportGroup: the builds
                // publish reports to exactly these (CodeBuild User Guide, "Test report
                // permissions").
                st.push(statement(
                    "PublishReports",
                    &[
                        "codebuild:BatchPutCodeCoverages",
                        "codebuild:BatchPutTestCases",
                        "codebuild:CreateReport",
                        "codebuild:UpdateReport",
                    ],
                    p.report_groups
                        .iter()
                        .map(|g| Arn::of(ResourceKind::ReportGroup, &p.report_group_name(g))),
                ));
            }
            if !exports.is_empty() {
                // CodeBuild exports a report's raw files with the project's role.
                st.push(statement(
                    "ExportReports",
                    &["s3:PutObject"],
                    exports.iter().map(|(b, path)| {
                        let prefix = path.as_deref().unwrap_or("").trim_matches('/');
                        if prefix.is_empty() {
                            Arn::s3(format!("{b}/*"))
                        } else {
                            Arn::s3(format!("{b}/{prefix}/*"))
                        }
                    }),
                ));
            }
            if let Some(vpc) = &p.vpc {
                st.push(wildcard(
                    "BuildInVpc",
                    &[
                        "ec2:CreateNetworkInterface",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                    ],
                    "CodeBuild creates and describes network interfaces whose ids are unknown before the build; these EC2 calls take no narrower resource",
                ));
                let mut s = statement(
                    "AttachNetworkInterfaces",
                    &["ec2:CreateNetworkInterfacePermission"],
                    [Arn::regional("ec2", "network-interface/*")],
                );
                s.condition = Some((
                    "StringEquals",
                    "ec2:Subnet",
                    vpc.subnets
                        .iter()
                        .map(|sn| Arn::regional("ec2", format!("subnet/{sn}")))
                        .collect(),
                ));
                st.push(s);
            }
            let keys: BTreeSet<&KmsKeyArn> = p
                .encryption_key
                .iter()
                .chain(artifact_key)
                .chain(report_keys.iter().copied())
                .collect();
            st.extend(kms_statement("EncryptArtifacts", &keys));
            let name = role_name(app, "build", p.name.as_str());
            self.push_role(
                role_id.clone(),
                name,
                RolePurpose::Build,
                Principal::CodeBuild,
                st,
            );
            deps.insert(role_id.clone());
            RoleRef::Derived(role_id)
        };
        self.push(
            id.clone(),
            ResourceKind::Project,
            p.name.to_string(),
            deps,
            Definition::Project {
                project: p,
                role,
                repository,
                cache_bucket,
                artifact_key: p.encryption_key.as_ref().or(artifact_key),
                log_group: log_id,
                images,
                packages: packages.first().map(|(id, ..)| id.clone()),
            },
        );
    }

    fn application(&mut self, id: &LogicalId, a: &'a Application) {
        let app = self.app;
        self.push(
            id.clone(),
            ResourceKind::Application,
            a.name.to_string(),
            BTreeSet::new(),
            Definition::Application(a),
        );
        if a.service_role.is_some() {
            return;
        }
        let groups: Vec<&StoredDeploymentGroup> = app
            .nodes()
            .iter()
            .filter_map(|n| match n {
                Node::DeploymentGroup(g) if g.application.id == *id => Some(g),
                _ => None,
            })
            .collect();
        let mut st = Vec::new();
        match a.platform {
            ComputePlatform::Server => {
                st.push(wildcard(
                    "DiscoverInstances",
                    &["ec2:DescribeInstanceStatus", "ec2:DescribeInstances", "tag:GetResources"],
                    "CodeDeploy finds target instances by tag; these describe/list calls have no resource-level permissions",
                ));
                let asgs: BTreeSet<&str> = groups
                    .iter()
                    .filter_map(|g| match &g.target {
                        Target::Server(s) => Some(s.auto_scaling_groups.iter().map(String::as_str)),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                if !asgs.is_empty() {
                    st.push(statement(
                        "ManageLifecycleHooks",
                        &[
                            "autoscaling:CompleteLifecycleAction",
                            "autoscaling:DeleteLifecycleHook",
                            "autoscaling:PutLifecycleHook",
                            "autoscaling:RecordLifecycleActionHeartbeat",
                            "autoscaling:ResumeProcesses",
                            "autoscaling:SuspendProcesses",
                        ],
                        asgs.iter().map(|n| {
                            Arn::regional(
                                "autoscaling",
                                format!("autoScalingGroup:*:autoScalingGroupName/{n}"),
                            )
                        }),
                    ));
                    st.push(wildcard(
                        "DescribeAutoScaling",
                        &[
                            "autoscaling:DescribeAutoScalingGroups",
                            "autoscaling:DescribeLifecycleHooks",
                        ],
                        "Auto Scaling describe calls have no resource-level permissions",
                    ));
                }
                let tgs: BTreeSet<&str> = groups
                    .iter()
                    .filter_map(|g| match &g.target {
                        Target::Server(s) => {
                            Some(s.load_balancer_target_groups.iter().map(String::as_str))
                        }
                        _ => None,
                    })
                    .flatten()
                    .collect();
                if !tgs.is_empty() {
                    st.push(statement(
                        "BlockTraffic",
                        &[
                            "elasticloadbalancing:DeregisterTargets",
                            "elasticloadbalancing:RegisterTargets",
                        ],
                        tgs.iter().map(|n| {
                            Arn::regional("elasticloadbalancing", format!("targetgroup/{n}/*"))
                        }),
                    ));
                    st.push(wildcard(
                        "DescribeLoadBalancing",
                        &[
                            "elasticloadbalancing:DescribeTargetGroups",
                            "elasticloadbalancing:DescribeTargetHealth",
                        ],
                        "Elastic Load Balancing describe calls have no resource-level permissions",
                    ));
                }
            }
            ComputePlatform::Lambda => {
                let functions: BTreeSet<&str> = groups
                    .iter()
                    .filter_map(|g| match &g.target {
                        Target::Lambda(l) => Some(l.functions.iter().map(String::as_str)),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                st.push(statement(
                    "ShiftAliases",
                    &[
                        "lambda:GetAlias",
                        "lambda:GetProvisionedConcurrencyConfig",
                        "lambda:UpdateAlias",
                    ],
                    functions.iter().flat_map(|f| {
                        [
                            Arn::regional("lambda", format!("function:{f}")),
                            Arn::regional("lambda", format!("function:{f}:*")),
                        ]
                    }),
                ));
                // CodeDeploy reads a Lambda revision's AppSpec from the pipeline's artifact
                // bucket with this role (AWSCodeDeployRoleForLambda grants s3:GetObject).
                st.extend(self.revision_statements(id));
                st.push(hooks_statement());
            }
            ComputePlatform::Ecs => {
                let mut services = Vec::new();
                let mut listeners = Vec::new();
                let mut roles = Vec::new();
                for g in &groups {
                    if let Target::Ecs(e) = &g.target {
                        services.push(Arn::regional(
                            "ecs",
                            format!("service/{}/{}", e.cluster, e.service),
                        ));
                        services.push(Arn::regional(
                            "ecs",
                            format!("task-set/{}/{}/*", e.cluster, e.service),
                        ));
                        for l in std::iter::once(&e.prod_listener).chain(&e.test_listener) {
                            listeners.push(Arn::Literal(l.clone()));
                            listeners.push(Arn::Literal(format!(
                                "{}/*",
                                l.replacen(":listener/", ":listener-rule/", 1)
                            )));
                        }
                        roles.extend(e.pass_roles.iter().map(|r| Arn::Literal(r.to_string())));
                    }
                }
                st.push(statement(
                    "ShiftTaskSets",
                    &[
                        "ecs:CreateTaskSet",
                        "ecs:DeleteTaskSet",
                        "ecs:DescribeServices",
                        "ecs:UpdateServicePrimaryTaskSet",
                    ],
                    services,
                ));
                st.push(statement(
                    "SwitchListeners",
                    &[
                        "elasticloadbalancing:ModifyListener",
                        "elasticloadbalancing:ModifyRule",
                    ],
                    listeners,
                ));
                st.push(wildcard(
                    "DescribeLoadBalancing",
                    &[
                        "elasticloadbalancing:DescribeListeners",
                        "elasticloadbalancing:DescribeRules",
                        "elasticloadbalancing:DescribeTargetGroups",
                    ],
                    "Elastic Load Balancing describe calls have no resource-level permissions",
                ));
                st.extend(self.revision_statements(id));
                st.extend(pass_task_roles(roles));
                st.push(hooks_statement());
            }
        }
        if groups.iter().any(|g| !g.alarms.is_empty()) {
            st.push(wildcard(
                "ReadAlarms",
                &["cloudwatch:DescribeAlarms"],
                "cloudwatch:DescribeAlarms has no resource-level permissions",
            ));
        }
        st.retain(|s| !s.resources.is_empty());
        let role_id = LogicalId::derive("DeployRole", &[a.name.as_str()]);
        let name = role_name(app, "deploy", a.name.as_str());
        self.push_role(
            role_id,
            name,
            RolePurpose::Deploy,
            Principal::CodeDeploy,
            st,
        );
    }

    /// Reading the revisions pipelines hand an ECS or Lambda application: CodeDeploy fetches
    /// the AppSpec from the artifact bucket with the service role (`AWSCodeDeployRoleForECS`
    /// and `AWSCodeDeployRoleForLambda` grant `s3:GetObject`), and decrypts it with the
    /// bucket's key when the bucket has one.
    fn revision_statements(&self, id: &LogicalId) -> Vec<Statement> {
        let Some(buckets) = self.application_buckets.get(id) else {
            return Vec::new();
        };
        let mut st = vec![statement(
            "ReadRevision",
            &["s3:GetObject", "s3:GetObjectVersion"],
            buckets.iter().map(|(b, _)| Arn::s3(format!("{b}/*"))),
        )];
        let keys: BTreeSet<&KmsKeyArn> = buckets.iter().filter_map(|(_, k)| *k).collect();
        if !keys.is_empty() {
            st.push(statement(
                "DecryptRevision",
                &["kms:Decrypt", "kms:DescribeKey"],
                keys.iter().map(|k| Arn::Literal(k.to_string())),
            ));
        }
        st
    }

    fn group(&mut self, id: &LogicalId, g: &'a StoredDeploymentGroup) {
        let app = self.app;
        let mut deps = BTreeSet::from([g.application.id.clone()]);
        let config = resolved_config(app, g);
        if let ResolvedConfig::Custom(config_id, _) = &config {
            deps.insert(config_id.clone());
        }
        let role = match app
            .application(&g.application)
            .and_then(|a| a.service_role.clone())
        {
            Some(arn) => RoleRef::Existing(arn),
            None => {
                let rid = LogicalId::derive("DeployRole", &[g.application_name.as_str()]);
                deps.insert(rid.clone());
                RoleRef::Derived(rid)
            }
        };
        self.push(
            id.clone(),
            ResourceKind::DeploymentGroup,
            g.name.to_string(),
            deps,
            Definition::DeploymentGroup {
                group: g,
                application: g.application.id.clone(),
                config,
                role,
            },
        );
    }

    fn used(&self, a: &Action) -> Vec<Used> {
        let app = self.app;
        let one = |r: &NodeRef, kind: ResourceKind, name: String| Used {
            id: Some(r.id.clone()),
            kind,
            name,
            application: None,
        };
        let bucket = |b: &BucketRef| {
            bucket_name(app, b).map(|(id, name, _)| Used {
                id,
                kind: ResourceKind::Bucket,
                name: name.to_owned(),
                application: None,
            })
        };
        match &a.kind {
            ActionKind::CodeCommitSource { repository, .. } => app
                .repository(repository)
                .map(|r| one(repository, ResourceKind::Repository, r.name.to_string()))
                .into_iter()
                .collect(),
            ActionKind::S3Source { bucket: b, .. } | ActionKind::S3Deploy { bucket: b, .. } => {
                bucket(b).into_iter().collect()
            }
            ActionKind::CodeBuild { project, .. } => app
                .project(project)
                .map(|p| one(project, ResourceKind::Project, p.name.to_string()))
                .into_iter()
                .collect(),
            ActionKind::ManualApproval { .. } => Vec::new(),
            ActionKind::CodeDeploy { group } | ActionKind::EcsBlueGreen { group, .. } => app
                .group(group)
                .map(|g| Used {
                    id: Some(group.id.clone()),
                    kind: ResourceKind::DeploymentGroup,
                    name: g.name.to_string(),
                    application: Some((g.application.id.clone(), g.application_name.clone())),
                })
                .into_iter()
                .collect(),
        }
    }

    fn pipeline(&mut self, id: &LogicalId, p: &'a Pipeline) {
        let app = self.app;
        let Some(store) = app.bucket(&p.artifact_store) else {
            return;
        };
        let mut deps = BTreeSet::from([p.artifact_store.id.clone()]);
        let mut uses = BTreeMap::new();
        for (s, i, a) in p.actions() {
            let u = self.used(a);
            for used in &u {
                deps.extend(used.id.clone());
            }
            uses.insert((s, i), u);
        }
        let role = if let Some(arn) = &p.role {
            RoleRef::Existing(arn.clone())
        } else {
            let role_id = LogicalId::derive("PipelineRole", &[p.name.as_str()]);
            let st = self.pipeline_statements(p, store);
            let name = role_name(app, "pipeline", p.name.as_str());
            self.push_role(
                role_id.clone(),
                name,
                RolePurpose::Pipeline,
                Principal::CodePipeline,
                st,
            );
            deps.insert(role_id.clone());
            RoleRef::Derived(role_id)
        };
        self.push(
            id.clone(),
            ResourceKind::Pipeline,
            p.name.to_string(),
            deps,
            Definition::Pipeline {
                pipeline: p,
                role,
                store: (
                    p.artifact_store.id.clone(),
                    store.name.to_string(),
                    &store.encryption,
                ),
                uses,
            },
        );
        // Change detection: one rule per event-detected CodeCommit source, one events role per pipeline.
        let detected: Vec<(&Action, &NodeRef, &str)> = p
            .actions()
            .filter_map(|(_, _, a)| match &a.kind {
                ActionKind::CodeCommitSource {
                    repository,
                    branch,
                    detection: ChangeDetection::Events,
                    ..
                } => Some((a, repository, branch.as_str())),
                _ => None,
            })
            .collect();
        if detected.is_empty() {
            return;
        }
        let events_role = if let Some(arn) = &p.events_role {
            RoleRef::Existing(arn.clone())
        } else {
            let rid = LogicalId::derive("EventsRole", &[p.name.as_str()]);
            let st = vec![statement(
                "StartPipeline",
                &["codepipeline:StartPipelineExecution"],
                [Arn::of(ResourceKind::Pipeline, p.name.as_str())],
            )];
            let name = role_name(app, "events", p.name.as_str());
            self.push_role(
                rid.clone(),
                name,
                RolePurpose::Events,
                Principal::Events,
                st,
            );
            RoleRef::Derived(rid)
        };
        for (a, repository, branch) in detected {
            let Some(repo) = app.repository(repository) else {
                continue;
            };
            let rule_id = LogicalId::derive("ChangeRule", &[p.name.as_str(), a.name.as_str()]);
            let mut deps = BTreeSet::from([id.clone(), repository.id.clone()]);
            if let RoleRef::Derived(r) = &events_role {
                deps.insert(r.clone());
            }
            let app_name = app.name().as_str();
            let mut parts = vec![app_name];
            parts.extend(within_app(app_name, p.name.as_str()));
            parts.push(a.name.as_str());
            let name = derived_name(&parts, "._-");
            self.push(
                rule_id,
                ResourceKind::EventRule,
                name,
                deps,
                Definition::EventRule(EventRule {
                    repository: repository.id.clone(),
                    repository_name: repo.name.to_string(),
                    branch: branch.to_owned(),
                    pipeline: id.clone(),
                    pipeline_name: p.name.clone(),
                    role: events_role.clone(),
                }),
            );
        }
    }

    fn pipeline_statements(&self, p: &'a Pipeline, store: &'a ArtifactBucket) -> Vec<Statement> {
        let app = self.app;
        let mut st = vec![
            statement(
                "ArtifactStoreObjects",
                // CodePipeline writes artifacts with the bucket-owner-full-control ACL, hence
                // s3:PutObjectAcl (CodePipeline User Guide, "CodePipeline service role policy").
                &[
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:PutObjectAcl",
                ],
                [Arn::s3(format!("{}/*", store.name))],
            ),
            statement(
                "ArtifactStoreBucket",
                &[
                    "s3:GetBucketAcl",
                    "s3:GetBucketLocation",
                    "s3:GetBucketVersioning",
                ],
                [Arn::s3(store.name.as_str())],
            ),
        ];
        let mut keys: BTreeSet<&KmsKeyArn> = bucket_key(store).into_iter().collect();
        let mut repos = Vec::new();
        let mut source_objects = Vec::new();
        let mut source_buckets = Vec::new();
        let mut projects = Vec::new();
        let mut topics = Vec::new();
        let mut deploy_objects = Vec::new();
        let mut groups = Vec::new();
        let mut applications = Vec::new();
        let mut configs = Vec::new();
        let mut ecs_roles = Vec::new();
        let mut ecs = false;
        for (_, _, a) in p.actions() {
            match &a.kind {
                ActionKind::CodeCommitSource { repository, .. } => {
                    if let Some(r) = app.repository(repository) {
                        repos.push(Arn::of(ResourceKind::Repository, r.name.as_str()));
                    }
                }
                ActionKind::S3Source { bucket, key, .. } => {
                    if let Some((_, name, b)) = bucket_name(app, bucket) {
                        source_objects.push(Arn::s3(format!("{name}/{key}")));
                        source_buckets.push(Arn::s3(name));
                        keys.extend(b.and_then(bucket_key));
                    }
                }
                ActionKind::CodeBuild { project, .. } => {
                    if let Some(pr) = app.project(project) {
                        projects.push(Arn::of(ResourceKind::Project, pr.name.as_str()));
                    }
                }
                ActionKind::ManualApproval { topic: Some(t), .. } => {
                    topics.push(Arn::Literal(t.to_string()))
                }
                ActionKind::ManualApproval { .. } => {}
                ActionKind::S3Deploy {
                    bucket,
                    key,
                    extract,
                } => {
                    if let Some((_, name, b)) = bucket_name(app, bucket) {
                        let object = match (extract, key) {
                            (false, Some(k)) => k.clone(),
                            (true, Some(prefix)) => format!("{}/*", prefix.trim_end_matches('/')),
                            _ => "*".into(),
                        };
                        deploy_objects.push(Arn::s3(format!("{name}/{object}")));
                        keys.extend(b.and_then(bucket_key));
                    }
                }
                ActionKind::CodeDeploy { group } | ActionKind::EcsBlueGreen { group, .. } => {
                    if let Some(g) = app.group(group) {
                        groups.push(group_arn(g));
                        applications.push(Arn::of(
                            ResourceKind::Application,
                            g.application_name.as_str(),
                        ));
                        configs.push(Arn::of(
                            ResourceKind::DeploymentConfig,
                            resolved_config(app, g).name(),
                        ));
                        if let Target::Ecs(e) = &g.target {
                            ecs = true;
                            ecs_roles
                                .extend(e.pass_roles.iter().map(|r| Arn::Literal(r.to_string())));
                        }
                    }
                }
            }
        }
        let mut push = |sid, actions: &[&'static str], res: Vec<Arn>| {
            if !res.is_empty() {
                st.push(statement(sid, actions, res));
            }
        };
        push(
            "ReadSourceRepositories",
            &[
                "codecommit:CancelUploadArchive",
                "codecommit:GetBranch",
                "codecommit:GetCommit",
                "codecommit:GetRepository",
                "codecommit:GetUploadArchiveStatus",
                "codecommit:UploadArchive",
            ],
            repos,
        );
        push(
            "ReadSourceObjects",
            &["s3:GetObject", "s3:GetObjectVersion"],
            source_objects,
        );
        push(
            "ReadSourceBuckets",
            &["s3:GetBucketVersioning"],
            source_buckets,
        );
        push(
            "RunBuilds",
            &["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
            projects,
        );
        push("NotifyApprovers", &["sns:Publish"], topics);
        push("DeployObjects", &["s3:PutObject"], deploy_objects);
        push(
            "CreateDeployments",
            &["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
            groups,
        );
        push(
            "RegisterRevisions",
            &[
                "codedeploy:GetApplication",
                "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision",
            ],
            applications,
        );
        push(
            "ReadDeploymentConfigs",
            &["codedeploy:GetDeploymentConfig"],
            configs,
        );
        if ecs {
            st.push(wildcard(
                "RegisterTaskDefinitions",
                &["ecs:RegisterTaskDefinition"],
                "ecs:RegisterTaskDefinition has no resource-level permissions",
            ));
            st.extend(pass_task_roles(ecs_roles));
        }
        st.extend(kms_statement("UseArtifactKeys", &keys));
        st
    }
}

fn hooks_statement() -> Statement {
    Statement {
        // Documented in the template like `Resource: "*"`: the pattern reaches beyond the app.
        wildcard_reason: Some(
            "lifecycle hooks are Lambda functions named in the AppSpec, not in the app; CodeDeploy's documented convention names them CodeDeployHook_*",
        ),
        ..statement(
            "RunLifecycleHooks",
            &["lambda:InvokeFunction"],
            [Arn::regional("lambda", "function:CodeDeployHook_*")],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_fit_in_64_characters_stably() {
        let long = "p".repeat(80);
        let a = derived_name(&["shop", "pipeline", &long], "_-");
        assert_eq!(a.len(), 64);
        assert_eq!(a, derived_name(&["shop", "pipeline", &long], "_-"));
        assert_eq!(derived_name(&["shop", "x@y"], "._-"), "shop-x-y");
    }

    #[test]
    fn arns_render_for_a_concrete_account() {
        let a = Arn::regional("codebuild", "project/p");
        assert_eq!(Arn::of(ResourceKind::Project, "p"), a);
        for kind in ResourceKind::ALL {
            if kind.info().arn.is_some() {
                assert_eq!(
                    Some(Arn::of(kind, "n").render("aws", "eu-west-1", "1")),
                    kind.arn("aws", "eu-west-1", "1", "n"),
                    "{kind:?}"
                );
            }
        }
        assert_eq!(
            a.render("aws", "eu-west-1", "123456789012"),
            "arn:aws:codebuild:eu-west-1:123456789012:project/p"
        );
        assert_eq!(
            Arn::s3("b/*").render("aws", "eu-west-1", "1"),
            "arn:aws:s3:::b/*"
        );
    }

    /// A project that reads from a CodeArtifact repository gets the login token on its domain,
    /// the endpoint and reads on the repository and the bearer token for CodeArtifact only; one
    /// that publishes also writes the repository's packages; one that does neither gets no
    /// CodeArtifact or STS action.
    #[test]
    fn package_grants_are_exactly_codeartifacts_read_and_publish_actions() {
        use crate::model::{App, ArtifactDomain, ArtifactRepository, InlineBuildSpec};
        let mut app = App::new("shop").unwrap();
        let domain = app.add(ArtifactDomain::builder().name("shop"));
        let libs = app.add(ArtifactRepository::builder().domain(&domain).name("libs"));
        let spec = || InlineBuildSpec::new().build(["make"]);
        for (name, publish) in [("reader", false), ("publisher", true)] {
            let b = BuildProject::builder()
                .name(name)
                .no_source()
                .buildspec(spec());
            app.add(if publish {
                b.publishes_to(&libs)
            } else {
                b.reads_packages_from(&libs)
            });
        }
        app.add(
            BuildProject::builder()
                .name("tester")
                .no_source()
                .buildspec(spec()),
        );
        let desired = app.desired();
        let role = |name: &str| {
            desired
                .resources
                .iter()
                .find_map(|r| match &r.spec {
                    Definition::Role(role) if r.physical_name.contains(name) => Some(role),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("a role for {name}"))
        };
        let grants = |r: &Role| -> Vec<(&'static str, Vec<&'static str>, Vec<Arn>)> {
            r.statements
                .iter()
                .filter(|s| {
                    s.actions
                        .iter()
                        .any(|a| a.starts_with("codeartifact:") || a.starts_with("sts:"))
                })
                .map(|s| (s.sid, s.actions.clone(), s.resources.clone()))
                .collect()
        };
        let read = vec![
            (
                "PackagesLogin",
                vec!["codeartifact:GetAuthorizationToken"],
                vec![Arn::of(ResourceKind::ArtifactDomain, "shop")],
            ),
            (
                "ReadPackages",
                vec![
                    "codeartifact:GetRepositoryEndpoint",
                    "codeartifact:ReadFromRepository",
                ],
                vec![Arn::of(ResourceKind::ArtifactRepository, "shop/libs")],
            ),
            (
                "PackagesBearerToken",
                vec!["sts:GetServiceBearerToken"],
                vec![Arn::Any],
            ),
        ];
        assert_eq!(grants(role("reader")), read);
        let mut publish = read.clone();
        publish.insert(
            2,
            (
                "PublishPackages",
                vec![
                    "codeartifact:PublishPackageVersion",
                    "codeartifact:PutPackageMetadata",
                ],
                vec![Arn::regional("codeartifact", "package/shop/libs/*")],
            ),
        );
        assert_eq!(grants(role("publisher")), publish);
        assert!(grants(role("tester")).is_empty());
        let bearer = role("reader")
            .statements
            .iter()
            .find(|s| s.sid == "PackagesBearerToken")
            .expect("the bearer token");
        assert_eq!(
            bearer.condition,
            Some((
                "StringEquals",
                "sts:AWSServiceName",
                vec![Arn::Literal("codeartifact.amazonaws.com".into())]
            ))
        );
        let project = desired
            .resources
            .iter()
            .find(|r| r.physical_name == "reader")
            .unwrap();
        assert!(project.depends_on.contains(libs.id()));
    }

    /// A project that pushes to a repository gets exactly ECR's push actions on it and a login
    /// token on `*`, and depends on it; a project that does not gets no ECR action at all.
    #[test]
    fn a_push_grants_exactly_the_push_actions_on_its_repository() {
        use crate::model::{App, ImageRepository, InlineBuildSpec};
        let mut app = App::new("shop").unwrap();
        let web = app.add(ImageRepository::builder().name("shop/web"));
        app.add(ImageRepository::builder().name("shop/other"));
        app.add(
            BuildProject::builder()
                .name("pusher")
                .no_source()
                .pushes_to(&web)
                .buildspec(InlineBuildSpec::new().build(["docker push $REPOSITORY_URI"])),
        );
        app.add(
            BuildProject::builder()
                .name("tester")
                .no_source()
                .buildspec(InlineBuildSpec::new().build(["make test"])),
        );
        let desired = app.desired();
        let role = |name: &str| {
            desired
                .resources
                .iter()
                .find_map(|r| match &r.spec {
                    Definition::Role(role) if r.physical_name.contains(name) => Some(role),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("a role for {name}"))
        };
        let pusher = role("pusher");
        let push = pusher
            .statements
            .iter()
            .find(|s| s.sid == "PushImages")
            .expect("a push statement");
        assert_eq!(
            push.actions,
            [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ]
        );
        assert_eq!(
            push.resources,
            [Arn::of(ResourceKind::ImageRepository, "shop/web")]
        );
        let login = pusher
            .statements
            .iter()
            .find(|s| s.sid == "EcrLogin")
            .expect("a login statement");
        assert_eq!(
            (login.actions.as_slice(), login.resources.as_slice()),
            (&["ecr:GetAuthorizationToken"][..], &[Arn::Any][..])
        );
        assert!(login.wildcard_reason.is_some());
        let ecr_actions = |r: &Role| {
            r.statements
                .iter()
                .flat_map(|s| &s.actions)
                .filter(|a| a.starts_with("ecr:"))
                .count()
        };
        assert_eq!(
            ecr_actions(pusher),
            7,
            "the push actions and the login only"
        );
        assert_eq!(ecr_actions(role("tester")), 0);
        let project = desired
            .resources
            .iter()
            .find(|r| r.physical_name == "pusher")
            .unwrap();
        assert!(project.depends_on.contains(web.id()));
    }

    #[test]
    fn secrets_and_parameters_are_scoped() {
        assert_eq!(
            secret_arn("db/pass:password"),
            Arn::regional("secretsmanager", "secret:db/pass-??????")
        );
        assert_eq!(
            secret_arn("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::"),
            Arn::Literal("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf".into())
        );
        assert_eq!(
            parameter_arn("/ci/token"),
            Arn::regional("ssm", "parameter/ci/token")
        );
    }
}
