//! CodeDeploy applications, deployment configurations and deployment groups, typed by compute
//! platform so that a group only takes configurations, targets and actions of its own platform.

use std::fmt;
use std::marker::PhantomData;

use super::app::{Handle, HandleOf, Node, NodeRef, Resource, Tags, private::Sealed};
use super::{
    ApplicationName, BuildError, Built, DeploymentConfigName, DeploymentGroupName, Problems,
    RoleArn,
};

/// A CodeDeploy compute platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComputePlatform {
    /// EC2 and on-premises instances.
    Server,
    /// AWS Lambda functions.
    Lambda,
    /// Amazon ECS services.
    Ecs,
}

impl ComputePlatform {
    /// The CloudFormation value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "Server",
            Self::Lambda => "Lambda",
            Self::Ecs => "ECS",
        }
    }

    /// The predefined deployment configuration a group of this platform uses when it names none
    /// (and while its custom one is replaced).
    #[must_use]
    pub fn default_config(self) -> &'static str {
        match self {
            Self::Server => "CodeDeployDefault.OneAtATime",
            Self::Lambda => "CodeDeployDefault.LambdaAllAtOnce",
            Self::Ecs => "CodeDeployDefault.ECSAllAtOnce",
        }
    }

    /// The platform of a CloudFormation `ComputePlatform` value.
    ///
    /// ```
    /// use pipewright::model::ComputePlatform;
    /// let ecs = ComputePlatform::from_cfn("ECS").expect("a platform");
    /// assert_eq!(ecs.default_config(), "CodeDeployDefault.ECSAllAtOnce");
    /// assert_eq!(ComputePlatform::from_cfn("Batch"), None);
    /// ```
    #[must_use]
    pub fn from_cfn(value: &str) -> Option<Self> {
        [Self::Server, Self::Lambda, Self::Ecs]
            .into_iter()
            .find(|p| p.as_str() == value)
    }
}

impl fmt::Display for ComputePlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compute platform as a type. Sealed: [`Server`], [`Lambda`] and [`Ecs`].
pub trait Platform: private::Sealed + 'static {
    /// The platform value.
    const PLATFORM: ComputePlatform;
}

mod private {
    pub trait Sealed {}
}

/// The EC2/on-premises platform.
#[derive(Debug, Clone, Copy)]
pub struct Server;
/// The AWS Lambda platform.
#[derive(Debug, Clone, Copy)]
pub struct Lambda;
/// The Amazon ECS platform.
#[derive(Debug, Clone, Copy)]
pub struct Ecs;

impl private::Sealed for Server {}
impl private::Sealed for Lambda {}
impl private::Sealed for Ecs {}
impl Platform for Server {
    const PLATFORM: ComputePlatform = ComputePlatform::Server;
}
impl Platform for Lambda {
    const PLATFORM: ComputePlatform = ComputePlatform::Lambda;
}
impl Platform for Ecs {
    const PLATFORM: ComputePlatform = ComputePlatform::Ecs;
}

/// A CodeDeploy application, as stored in the app (platform erased).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Application {
    /// The application name (changing it replaces the application).
    pub name: ApplicationName,
    /// The compute platform (changing it replaces the application).
    pub platform: ComputePlatform,
    /// An existing CodeDeploy service role for its groups instead of the derived one.
    pub service_role: Option<RoleArn>,
    /// User tags.
    pub tags: Tags,
}

/// A CodeDeploy application for platform `P`.
#[derive(Debug, Clone)]
pub struct DeployApplication<P: Platform> {
    spec: Application,
    _p: PhantomData<P>,
}

/// An application deploying to EC2 or on-premises instances.
pub type ServerApplication = DeployApplication<Server>;
/// An application deploying Lambda function versions.
pub type LambdaApplication = DeployApplication<Lambda>;
/// An application deploying ECS services blue/green.
pub type EcsApplication = DeployApplication<Ecs>;

impl<P: Platform> DeployApplication<P> {
    /// Starts a builder.
    pub fn builder() -> DeployApplicationBuilder<P> {
        DeployApplicationBuilder {
            name: None,
            service_role: None,
            tags: Vec::new(),
            _p: PhantomData,
        }
    }

    /// The platform-erased description.
    #[must_use]
    pub fn spec(&self) -> &Application {
        &self.spec
    }
}

impl<P: Platform> Sealed for DeployApplication<P> {}
impl<P: Platform> Resource for DeployApplication<P> {
    fn into_node(self) -> Node {
        Node::Application(self.spec)
    }
}

/// Builds a [`DeployApplication`].
#[derive(Debug, Clone)]
#[must_use]
pub struct DeployApplicationBuilder<P> {
    name: Option<String>,
    service_role: Option<String>,
    tags: Vec<(String, String)>,
    _p: PhantomData<P>,
}

impl<P: Platform> DeployApplicationBuilder<P> {
    /// The application name (required).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Uses an existing CodeDeploy service role for the application's groups.
    pub fn service_role(mut self, arn: impl Into<String>) -> Self {
        self.service_role = Some(arn.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Builds the application.
    ///
    /// # Errors
    /// Every missing or invalid field.
    pub fn build(self) -> Result<DeployApplication<P>, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<DeployApplication<P>> {
        let mut p = Problems::default();
        let raw = self.name.clone();
        let name = p.name("name", self.name, ApplicationName::new);
        let service_role = self
            .service_role
            .and_then(|r| p.parse("service_role", r, RoleArn::new));
        let tags = p.tags(self.tags);
        let value = name.map(|name| DeployApplication {
            spec: Application {
                name,
                platform: P::PLATFORM,
                service_role,
                tags,
            },
            _p: PhantomData,
        });
        p.finish("application", raw.as_deref(), value)
    }
}

/// The minimum number of healthy instances during a server deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthyHosts {
    /// A number of hosts.
    Count(u32),
    /// A percentage of the fleet (0 to 99).
    FleetPercent(u32),
}

/// How traffic shifts in a Lambda or ECS deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficRouting {
    /// All traffic at once.
    AllAtOnce,
    /// `percent` first, the rest after `interval_minutes`.
    Canary {
        /// Percentage shifted first (1 to 99).
        percent: u32,
        /// Minutes before the rest shifts.
        interval_minutes: u32,
    },
    /// `percent` more every `interval_minutes`.
    Linear {
        /// Percentage shifted each step (1 to 99).
        percent: u32,
        /// Minutes between steps.
        interval_minutes: u32,
    },
}

/// The rule of a custom deployment configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigRule {
    /// Server: keep at least this many hosts healthy.
    MinimumHealthyHosts(HealthyHosts),
    /// Lambda/ECS: shift traffic this way.
    Traffic(TrafficRouting),
}

/// A custom deployment configuration, as stored in the app (platform erased).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredDeploymentConfig {
    /// The configuration name (every field of a configuration forces replacement).
    pub name: DeploymentConfigName,
    /// The compute platform.
    pub platform: ComputePlatform,
    /// The rule.
    pub rule: ConfigRule,
}

/// A custom deployment configuration for platform `P`.
#[derive(Debug, Clone)]
pub struct DeploymentConfig<P: Platform> {
    spec: StoredDeploymentConfig,
    _p: PhantomData<P>,
}

impl<P: Platform> Sealed for DeploymentConfig<P> {}
impl<P: Platform> Resource for DeploymentConfig<P> {
    fn into_node(self) -> Node {
        Node::DeploymentConfig(self.spec)
    }
}

fn config<P: Platform>(name: String, rule: ConfigRule) -> Result<DeploymentConfig<P>, BuildError> {
    let mut p = Problems::default();
    let raw = name.clone();
    let name = p.parse("name", name, DeploymentConfigName::new);
    let value = name.map(|name| DeploymentConfig {
        spec: StoredDeploymentConfig {
            name,
            platform: P::PLATFORM,
            rule,
        },
        _p: PhantomData,
    });
    p.finish("deployment_config", Some(&raw), value)
        .into_result()
}

impl DeploymentConfig<Server> {
    /// A server configuration keeping `healthy` hosts healthy.
    ///
    /// # Errors
    /// When the name is invalid.
    pub fn minimum_healthy_hosts(
        name: impl Into<String>,
        healthy: HealthyHosts,
    ) -> Result<Self, BuildError> {
        config(name.into(), ConfigRule::MinimumHealthyHosts(healthy))
    }
}

impl<P: TrafficPlatform> DeploymentConfig<P> {
    /// A traffic-shifting configuration (Lambda or ECS).
    ///
    /// # Errors
    /// When the name is invalid.
    pub fn traffic(name: impl Into<String>, routing: TrafficRouting) -> Result<Self, BuildError> {
        config(name.into(), ConfigRule::Traffic(routing))
    }
}

/// Platforms that shift traffic ([`Lambda`] and [`Ecs`]).
pub trait TrafficPlatform: Platform {}
impl TrafficPlatform for Lambda {}
impl TrafficPlatform for Ecs {}

/// Platforms the plain CodeDeploy pipeline action deploys to ([`Server`] and [`Lambda`]).
pub trait CodeDeployActionPlatform: Platform {}
impl CodeDeployActionPlatform for Server {}
impl CodeDeployActionPlatform for Lambda {}

/// The configuration a deployment group uses, erased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigRef {
    /// One of AWS's `CodeDeployDefault.*` configurations.
    Predefined(&'static str),
    /// A custom configuration of the app.
    Custom(NodeRef),
}

/// The configuration of a deployment group on platform `P`: a predefined constant or a handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployConfig<P: Platform> {
    pub(crate) inner: ConfigRef,
    _p: PhantomData<P>,
}

impl<P: Platform> DeployConfig<P> {
    const fn predefined(name: &'static str) -> Self {
        Self {
            inner: ConfigRef::Predefined(name),
            _p: PhantomData,
        }
    }
}

impl<P: Platform> From<&Handle<DeploymentConfig<P>>> for DeployConfig<P> {
    fn from(h: &Handle<DeploymentConfig<P>>) -> Self {
        Self {
            inner: ConfigRef::Custom(h.node().clone()),
            _p: PhantomData,
        }
    }
}

impl DeployConfig<Server> {
    /// `CodeDeployDefault.OneAtATime`.
    pub const ONE_AT_A_TIME: Self = Self::predefined("CodeDeployDefault.OneAtATime");
    /// `CodeDeployDefault.HalfAtATime`.
    pub const HALF_AT_A_TIME: Self = Self::predefined("CodeDeployDefault.HalfAtATime");
    /// `CodeDeployDefault.AllAtOnce`.
    pub const ALL_AT_ONCE: Self = Self::predefined("CodeDeployDefault.AllAtOnce");
}

impl DeployConfig<Lambda> {
    /// `CodeDeployDefault.LambdaAllAtOnce`.
    pub const LAMBDA_ALL_AT_ONCE: Self = Self::predefined("CodeDeployDefault.LambdaAllAtOnce");
    /// `CodeDeployDefault.LambdaCanary10Percent5Minutes`.
    pub const LAMBDA_CANARY_10_PERCENT_5_MINUTES: Self =
        Self::predefined("CodeDeployDefault.LambdaCanary10Percent5Minutes");
    /// `CodeDeployDefault.LambdaCanary10Percent10Minutes`.
    pub const LAMBDA_CANARY_10_PERCENT_10_MINUTES: Self =
        Self::predefined("CodeDeployDefault.LambdaCanary10Percent10Minutes");
    /// `CodeDeployDefault.LambdaCanary10Percent15Minutes`.
    pub const LAMBDA_CANARY_10_PERCENT_15_MINUTES: Self =
        Self::predefined("CodeDeployDefault.LambdaCanary10Percent15Minutes");
    /// `CodeDeployDefault.LambdaCanary10Percent30Minutes`.
    pub const LAMBDA_CANARY_10_PERCENT_30_MINUTES: Self =
        Self::predefined("CodeDeployDefault.LambdaCanary10Percent30Minutes");
    /// `CodeDeployDefault.LambdaLinear10PercentEvery1Minute`.
    pub const LAMBDA_LINEAR_10_PERCENT_EVERY_1_MINUTE: Self =
        Self::predefined("CodeDeployDefault.LambdaLinear10PercentEvery1Minute");
    /// `CodeDeployDefault.LambdaLinear10PercentEvery2Minutes`.
    pub const LAMBDA_LINEAR_10_PERCENT_EVERY_2_MINUTES: Self =
        Self::predefined("CodeDeployDefault.LambdaLinear10PercentEvery2Minutes");
    /// `CodeDeployDefault.LambdaLinear10PercentEvery3Minutes`.
    pub const LAMBDA_LINEAR_10_PERCENT_EVERY_3_MINUTES: Self =
        Self::predefined("CodeDeployDefault.LambdaLinear10PercentEvery3Minutes");
    /// `CodeDeployDefault.LambdaLinear10PercentEvery10Minutes`.
    pub const LAMBDA_LINEAR_10_PERCENT_EVERY_10_MINUTES: Self =
        Self::predefined("CodeDeployDefault.LambdaLinear10PercentEvery10Minutes");
}

impl DeployConfig<Ecs> {
    /// `CodeDeployDefault.ECSAllAtOnce`.
    pub const ECS_ALL_AT_ONCE: Self = Self::predefined("CodeDeployDefault.ECSAllAtOnce");
    /// `CodeDeployDefault.ECSCanary10Percent5Minutes`.
    pub const ECS_CANARY_10_PERCENT_5_MINUTES: Self =
        Self::predefined("CodeDeployDefault.ECSCanary10Percent5Minutes");
    /// `CodeDeployDefault.ECSCanary10Percent15Minutes`.
    pub const ECS_CANARY_10_PERCENT_15_MINUTES: Self =
        Self::predefined("CodeDeployDefault.ECSCanary10Percent15Minutes");
    /// `CodeDeployDefault.ECSLinear10PercentEvery1Minutes`.
    pub const ECS_LINEAR_10_PERCENT_EVERY_1_MINUTES: Self =
        Self::predefined("CodeDeployDefault.ECSLinear10PercentEvery1Minutes");
    /// `CodeDeployDefault.ECSLinear10PercentEvery3Minutes`.
    pub const ECS_LINEAR_10_PERCENT_EVERY_3_MINUTES: Self =
        Self::predefined("CodeDeployDefault.ECSLinear10PercentEvery3Minutes");
}

/// An EC2 or on-premises tag filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFilter {
    /// Instances with this tag key and value.
    KeyAndValue(String, String),
    /// Instances with this tag key, any value.
    KeyOnly(String),
    /// Instances with any tag of this value.
    ValueOnly(String),
}

/// What a server deployment group deploys to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerTarget {
    /// EC2 instances matching any of these filters.
    pub ec2_tags: Vec<TagFilter>,
    /// Auto Scaling groups by name.
    pub auto_scaling_groups: Vec<String>,
    /// On-premises instances matching any of these filters.
    pub on_premises_tags: Vec<TagFilter>,
    /// Target groups (by name) traffic is blocked at during an in-place deployment.
    pub load_balancer_target_groups: Vec<String>,
}

/// What a Lambda deployment group deploys to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LambdaTarget {
    /// Function names whose aliases the group may shift (scopes the derived role).
    pub functions: Vec<String>,
}

/// What an ECS deployment group deploys to (always blue/green with traffic control).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsTarget {
    /// The cluster name.
    pub cluster: String,
    /// The service name.
    pub service: String,
    /// The blue and green target group names.
    pub target_groups: [String; 2],
    /// ARN of the production listener.
    pub prod_listener: String,
    /// ARN of the test listener, if any.
    pub test_listener: Option<String>,
    /// Minutes the blue tasks are kept after success (0 to 2880).
    pub termination_wait_minutes: u32,
    /// Task and execution roles the deployment passes to ECS.
    pub pass_roles: Vec<RoleArn>,
}

/// The platform-specific target of a deployment group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// EC2/on-premises.
    Server(ServerTarget),
    /// Lambda.
    Lambda(LambdaTarget),
    /// ECS.
    Ecs(EcsTarget),
}

/// An event that triggers automatic rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RollbackEvent {
    /// The deployment failed.
    DeploymentFailure,
    /// An alarm stopped the deployment.
    StopOnAlarm,
    /// A user stopped the deployment.
    StopOnRequest,
}

impl RollbackEvent {
    /// The CloudFormation value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeploymentFailure => "DEPLOYMENT_FAILURE",
            Self::StopOnAlarm => "DEPLOYMENT_STOP_ON_ALARM",
            Self::StopOnRequest => "DEPLOYMENT_STOP_ON_REQUEST",
        }
    }
}

/// Automatic rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoRollback {
    /// The events that roll back.
    pub events: Vec<RollbackEvent>,
}

/// A deployment group, as stored in the app (platform erased).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredDeploymentGroup {
    /// The application it belongs to.
    pub application: NodeRef,
    /// The application's name (copied for naming and ARNs).
    pub application_name: String,
    /// The group name (changing it replaces the group).
    pub name: DeploymentGroupName,
    /// The platform.
    pub platform: ComputePlatform,
    /// The deployment configuration; `None` leaves AWS's default for the platform.
    pub config: Option<ConfigRef>,
    /// Where it deploys.
    pub target: Target,
    /// Automatic rollback, `None` for off.
    pub auto_rollback: Option<AutoRollback>,
    /// CloudWatch alarm names that stop a deployment (at most 10).
    pub alarms: Vec<String>,
    /// User tags.
    pub tags: Tags,
}

/// A deployment group on platform `P`.
#[derive(Debug, Clone)]
pub struct DeploymentGroup<P: Platform> {
    spec: StoredDeploymentGroup,
    _p: PhantomData<P>,
}

impl<P: Platform> DeploymentGroup<P> {
    /// Starts a builder. The platform follows from the application handle given to it.
    pub fn builder() -> DeploymentGroupBuilder<P> {
        DeploymentGroupBuilder {
            application: None,
            name: None,
            config: None,
            server: ServerTarget::default(),
            lambda: LambdaTarget::default(),
            ecs_service: None,
            ecs_target_groups: None,
            ecs_prod_listener: None,
            ecs_test_listener: None,
            ecs_termination_wait: 5,
            ecs_pass_roles: Vec::new(),
            auto_rollback: Some(vec![RollbackEvent::DeploymentFailure]),
            alarms: Vec::new(),
            tags: Vec::new(),
            _p: PhantomData,
        }
    }

    /// The platform-erased description.
    #[must_use]
    pub fn spec(&self) -> &StoredDeploymentGroup {
        &self.spec
    }
}

impl<P: Platform> Sealed for DeploymentGroup<P> {}
impl<P: Platform> Resource for DeploymentGroup<P> {
    fn into_node(self) -> Node {
        Node::DeploymentGroup(self.spec)
    }
}

/// Builds a [`DeploymentGroup`]. Target setters exist only for the group's platform.
#[derive(Debug, Clone)]
#[must_use]
pub struct DeploymentGroupBuilder<P> {
    application: Option<NodeRef>,
    name: Option<String>,
    config: Option<ConfigRef>,
    server: ServerTarget,
    lambda: LambdaTarget,
    ecs_service: Option<(String, String)>,
    ecs_target_groups: Option<[String; 2]>,
    ecs_prod_listener: Option<String>,
    ecs_test_listener: Option<String>,
    ecs_termination_wait: u32,
    ecs_pass_roles: Vec<String>,
    auto_rollback: Option<Vec<RollbackEvent>>,
    alarms: Vec<String>,
    tags: Vec<(String, String)>,
    _p: PhantomData<P>,
}

impl<P: Platform> DeploymentGroupBuilder<P> {
    /// The application (required); fixes the platform.
    pub fn application(mut self, app: impl HandleOf<DeployApplication<P>>) -> Self {
        self.application = Some(app.node_ref().clone());
        self
    }

    /// The group name (required).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The deployment configuration: a constant such as [`DeployConfig::ONE_AT_A_TIME`] or a
    /// `&Handle<DeploymentConfig<P>>`.
    pub fn config(mut self, config: impl Into<DeployConfig<P>>) -> Self {
        self.config = Some(config.into().inner);
        self
    }

    /// Rolls back automatically on these events (on failure by default); empty turns it off.
    pub fn auto_rollback(mut self, events: impl IntoIterator<Item = RollbackEvent>) -> Self {
        let mut ev: Vec<_> = events.into_iter().collect();
        ev.sort();
        ev.dedup();
        self.auto_rollback = if ev.is_empty() { None } else { Some(ev) };
        self
    }

    /// Adds a CloudWatch alarm (by name) that stops deployments.
    pub fn alarm(mut self, name: impl Into<String>) -> Self {
        self.alarms.push(name.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Builds the group.
    ///
    /// # Errors
    /// Every missing or invalid field (for ECS: service, target groups and production listener
    /// are required).
    pub fn build(self) -> Result<DeploymentGroup<P>, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<DeploymentGroup<P>> {
        let mut p = Problems::default();
        let raw = self.name.clone();
        if self.application.is_none() {
            p.missing("application");
        }
        let name = p.name("name", self.name, DeploymentGroupName::new);
        let target = match P::PLATFORM {
            ComputePlatform::Server => Some(Target::Server(self.server)),
            ComputePlatform::Lambda => Some(Target::Lambda(self.lambda)),
            ComputePlatform::Ecs => {
                if self.ecs_service.is_none() {
                    p.missing("ecs.service");
                }
                if self.ecs_target_groups.is_none() {
                    p.missing("ecs.target_groups");
                }
                if self.ecs_prod_listener.is_none() {
                    p.missing("ecs.prod_listener");
                }
                let pass_roles: Vec<RoleArn> = self
                    .ecs_pass_roles
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, r)| p.parse(format!("ecs.pass_roles[{i}]"), r, RoleArn::new))
                    .collect();
                match (
                    self.ecs_service,
                    self.ecs_target_groups,
                    self.ecs_prod_listener,
                ) {
                    (Some((cluster, service)), Some(target_groups), Some(prod_listener)) => {
                        Some(Target::Ecs(EcsTarget {
                            cluster,
                            service,
                            target_groups,
                            prod_listener,
                            test_listener: self.ecs_test_listener,
                            termination_wait_minutes: self.ecs_termination_wait,
                            pass_roles,
                        }))
                    }
                    _ => None,
                }
            }
        };
        let tags = p.tags(self.tags);
        let value = match (self.application, name, target) {
            (Some(application), Some(name), Some(target)) => Some(DeploymentGroup {
                spec: StoredDeploymentGroup {
                    application_name: application.name.clone(),
                    application,
                    name,
                    platform: P::PLATFORM,
                    config: self.config,
                    target,
                    auto_rollback: self.auto_rollback.map(|events| AutoRollback { events }),
                    alarms: self.alarms,
                    tags,
                },
                _p: PhantomData,
            }),
            _ => None,
        };
        p.finish("deployment_group", raw.as_deref(), value)
    }
}

impl DeploymentGroupBuilder<Server> {
    /// Deploys to EC2 instances tagged `key = value`.
    pub fn ec2_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.server
            .ec2_tags
            .push(TagFilter::KeyAndValue(key.into(), value.into()));
        self
    }

    /// Deploys to EC2 instances matching this filter.
    pub fn ec2_tag_filter(mut self, filter: TagFilter) -> Self {
        self.server.ec2_tags.push(filter);
        self
    }

    /// Deploys to the instances of an Auto Scaling group.
    pub fn auto_scaling_group(mut self, name: impl Into<String>) -> Self {
        self.server.auto_scaling_groups.push(name.into());
        self
    }

    /// Deploys to on-premises instances matching this filter.
    pub fn on_premises_tag_filter(mut self, filter: TagFilter) -> Self {
        self.server.on_premises_tags.push(filter);
        self
    }

    /// Blocks traffic at this target group (by name) while an instance is deployed.
    pub fn load_balancer_target_group(mut self, name: impl Into<String>) -> Self {
        self.server.load_balancer_target_groups.push(name.into());
        self
    }
}

impl DeploymentGroupBuilder<Lambda> {
    /// A function whose alias the group shifts (scopes the derived CodeDeploy role).
    pub fn function(mut self, name: impl Into<String>) -> Self {
        self.lambda.functions.push(name.into());
        self
    }
}

impl DeploymentGroupBuilder<Ecs> {
    /// The ECS service (required).
    pub fn service(mut self, cluster: impl Into<String>, service: impl Into<String>) -> Self {
        self.ecs_service = Some((cluster.into(), service.into()));
        self
    }

    /// The blue and green target group names (required).
    pub fn target_groups(mut self, blue: impl Into<String>, green: impl Into<String>) -> Self {
        self.ecs_target_groups = Some([blue.into(), green.into()]);
        self
    }

    /// The production listener ARN (required).
    pub fn prod_listener(mut self, arn: impl Into<String>) -> Self {
        self.ecs_prod_listener = Some(arn.into());
        self
    }

    /// A test listener ARN.
    pub fn test_listener(mut self, arn: impl Into<String>) -> Self {
        self.ecs_test_listener = Some(arn.into());
        self
    }

    /// Minutes to keep the blue tasks after a successful deployment (5 by default).
    pub fn termination_wait_minutes(mut self, minutes: u32) -> Self {
        self.ecs_termination_wait = minutes;
        self
    }

    /// A task or execution role the new task definition uses (the deployment passes it to ECS).
    pub fn pass_role(mut self, arn: impl Into<String>) -> Self {
        self.ecs_pass_roles.push(arn.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::App;

    #[test]
    fn group_platform_follows_application_handle() {
        let mut app = App::new("shop").unwrap();
        let a = app.add(ServerApplication::builder().name("shop").build().unwrap());
        let g = DeploymentGroup::builder()
            .application(&a)
            .name("prod")
            .ec2_tag("Name", "web")
            .config(DeployConfig::ONE_AT_A_TIME)
            .build()
            .unwrap();
        assert_eq!(g.spec().platform, ComputePlatform::Server);
        assert_eq!(g.spec().application_name, "shop");
    }

    #[test]
    fn ecs_group_requires_service_target_groups_and_listener() {
        let mut app = App::new("shop").unwrap();
        let a = app.add(EcsApplication::builder().name("web").build().unwrap());
        let err = DeploymentGroup::builder()
            .application(&a)
            .name("prod")
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "deployment_group \"prod\": ecs.service: is required; ecs.target_groups: is required; ecs.prod_listener: is required"
        );
    }

    #[test]
    fn custom_config_is_named_and_typed() {
        let c = DeploymentConfig::<Lambda>::traffic(
            "canary-20",
            TrafficRouting::Canary {
                percent: 20,
                interval_minutes: 5,
            },
        )
        .unwrap();
        assert_eq!(c.spec.platform, ComputePlatform::Lambda);
        assert!(
            DeploymentConfig::minimum_healthy_hosts("CodeDeployDefault.X", HealthyHosts::Count(1))
                .is_err()
        );
    }
}
