//! CodeBuild projects.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::app::{HandleOf, Node, NodeRef, Resource, Tags, private::Sealed};
use super::{
    ArtifactBucket, ArtifactRepository, BuildError, Built, EnvVarName, ImageRepository, KmsKeyArn,
    Problems, ProjectName, Repository, RoleArn,
};

/// Where a project's source comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BuildSource {
    /// The pipeline hands the source in as an input artifact (the default; required for any
    /// project a pipeline runs).
    #[default]
    Pipeline,
    /// The project clones a CodeCommit repository itself.
    CodeCommit {
        /// The repository.
        repository: NodeRef,
    },
    /// No source.
    None,
}

/// An inline buildspec, typed. Serialized as JSON, which CodeBuild reads as YAML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use]
pub struct InlineBuildSpec {
    /// Commands of the phases `install`, `pre_build`, `build` and `post_build`, by phase.
    pub phases: BTreeMap<&'static str, Vec<String>>,
    /// Files (globs) that make up the output artifact.
    pub artifact_files: Vec<String>,
    /// The base directory of the artifact files.
    pub base_directory: Option<String>,
    /// Reports: report group name (the buildspec's key, [`ReportGroup::name`]) → (files glob,
    /// file format).
    pub reports: BTreeMap<String, (String, ReportFormat)>,
    /// The report groups the reports go to, declared by [`InlineBuildSpec::report`]; a project
    /// built with this spec declares them ([`BuildProject::report_groups`]).
    pub report_groups: Vec<ReportGroup>,
}

impl InlineBuildSpec {
    /// An empty buildspec.
    pub fn new() -> Self {
        Self::default()
    }

    fn phase(
        mut self,
        phase: &'static str,
        cmds: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.phases
            .entry(phase)
            .or_default()
            .extend(cmds.into_iter().map(Into::into));
        self
    }

    /// Appends commands to the `install` phase.
    pub fn install(self, cmds: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.phase("install", cmds)
    }

    /// Appends commands to the `pre_build` phase.
    pub fn pre_build(self, cmds: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.phase("pre_build", cmds)
    }

    /// Appends commands to the `build` phase.
    pub fn build(self, cmds: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.phase("build", cmds)
    }

    /// Appends commands to the `post_build` phase.
    pub fn post_build(self, cmds: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.phase("post_build", cmds)
    }

    /// Appends files to the output artifact.
    pub fn artifacts(mut self, files: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.artifact_files
            .extend(files.into_iter().map(Into::into));
        self
    }

    /// Sets the artifact base directory.
    pub fn base_directory(mut self, dir: impl Into<String>) -> Self {
        self.base_directory = Some(dir.into());
        self
    }

    /// Sends the report read from `files` in `format` to `group`, which the project using this
    /// spec declares: a test report ([`ReportFormat::JunitXml`], ...) goes to a
    /// [`ReportGroup::test`] group, a code coverage report ([`ReportFormat::CoberturaXml`], ...)
    /// to a [`ReportGroup::coverage`] one, as [`ReportFormat::kind`] says (validation checks it).
    ///
    /// ```
    /// use pipewright::model::{InlineBuildSpec, ReportFormat, ReportGroup};
    /// let unit = ReportGroup::test("unit");
    /// let spec = InlineBuildSpec::new().report(&unit, "reports/*.xml", ReportFormat::JunitXml);
    /// assert!(spec.render().contains(r#""reports":{"unit":"#));
    /// ```
    pub fn report(
        mut self,
        group: &ReportGroup,
        files: impl Into<String>,
        format: ReportFormat,
    ) -> Self {
        self.reports
            .insert(group.name.clone(), (files.into(), format));
        if !self.report_groups.contains(group) {
            self.report_groups.push(group.clone());
        }
        self
    }

    /// The buildspec text (JSON, valid YAML).
    #[must_use]
    pub fn render(&self) -> String {
        use serde_json::{Map, Value, json};
        let mut root = Map::new();
        root.insert("version".into(), json!("0.2"));
        let mut phases = Map::new();
        for (phase, cmds) in &self.phases {
            phases.insert((*phase).into(), json!({ "commands": cmds }));
        }
        root.insert("phases".into(), Value::Object(phases));
        if !self.reports.is_empty() {
            let mut reports = Map::new();
            for (name, (files, format)) in &self.reports {
                reports.insert(
                    name.clone(),
                    json!({ "files": [files], "file-format": format.as_str() }),
                );
            }
            root.insert("reports".into(), Value::Object(reports));
        }
        if !self.artifact_files.is_empty() {
            let mut art = Map::new();
            art.insert("files".into(), json!(self.artifact_files));
            if let Some(dir) = &self.base_directory {
                art.insert("base-directory".into(), json!(dir));
            }
            root.insert("artifacts".into(), Value::Object(art));
        }
        Value::Object(root).to_string()
    }
}

/// A CodeBuild report group of a project (`AWS::CodeBuild::ReportGroup`), which pipewright creates
/// and owns: the buildspec's report `name` goes to the group `<project>-<name>`, the group CodeBuild
/// itself uses for a report named so in a buildspec (CodeBuild User Guide, "Create a report group
/// using a buildspec file"); creating it first gives it its type, export and tags, and lets the
/// project's role publish to exactly that group rather than create groups.
///
/// Destroying the app deletes the group with its reports (`DeleteReports`).
///
/// ```
/// use pipewright::model::{ReportGroup, ReportKind};
/// let coverage = ReportGroup::coverage("coverage");
/// assert_eq!(coverage.kind, ReportKind::CodeCoverage);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ReportGroup {
    /// The report's name in the buildspec; the group is named `<project>-<name>` (2 to 128
    /// characters in all, letters, digits, `-` and `_`).
    pub name: String,
    /// Test or code coverage reports.
    pub kind: ReportKind,
    /// Where the raw report files are exported.
    pub export: ReportExport,
}

/// Where a report group exports the raw files of its reports (`ExportConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReportExport {
    /// Not exported (`NO_EXPORT`, the default): the reports are kept in CodeBuild only.
    #[default]
    None,
    /// To an artifact bucket of the app (`S3`), under a path, as the raw files or one ZIP.
    Bucket {
        /// The bucket.
        bucket: NodeRef,
        /// The key prefix, if any.
        path: Option<String>,
        /// One ZIP file per report instead of the raw files.
        zip: bool,
    },
}

impl ReportGroup {
    /// A group of test reports (`TEST`).
    pub fn test(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: ReportKind::Test,
            export: ReportExport::None,
        }
    }

    /// A group of code coverage reports (`CODE_COVERAGE`).
    pub fn coverage(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: ReportKind::CodeCoverage,
            export: ReportExport::None,
        }
    }

    /// Exports the raw report files to an artifact bucket of the app, under `path` (if any);
    /// the bucket's encryption applies (its KMS key, when it has one, encrypts the export).
    pub fn export_to(mut self, bucket: impl HandleOf<ArtifactBucket>, path: Option<&str>) -> Self {
        self.export = ReportExport::Bucket {
            bucket: bucket.node_ref().clone(),
            path: path.map(str::to_owned),
            zip: false,
        };
        self
    }

    /// Packs each exported report into one ZIP file (only with [`ReportGroup::export_to`]).
    pub fn zipped(mut self) -> Self {
        if let ReportExport::Bucket { zip, .. } = &mut self.export {
            *zip = true;
        }
        self
    }
}

/// What a report group holds: CodeBuild's report group `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportKind {
    /// Test results (`TEST`).
    Test,
    /// Code coverage (`CODE_COVERAGE`).
    CodeCoverage,
}

impl ReportKind {
    /// The CodeBuild value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "TEST",
            Self::CodeCoverage => "CODE_COVERAGE",
        }
    }
}

/// The file format of a report, the closed set CodeBuild accepts as a buildspec report's
/// `file-format` (the `ReportFileFormat`/`TestReport` formats of the CodeBuild API reference and
/// "Buildspec reference: reports/file-format"; botocore's `codebuild` model, `ReportType` and the
/// report group's `ExportConfig` docs list the same values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportFormat {
    /// Cucumber JSON (test).
    CucumberJson,
    /// JUnit XML (test).
    JunitXml,
    /// NUnit XML, version 2 (test).
    NunitXml,
    /// NUnit XML, version 3 (test).
    Nunit3Xml,
    /// TestNG XML (test).
    TestNgXml,
    /// Visual Studio TRX (test).
    VisualStudioTrx,
    /// Clover XML (code coverage).
    CloverXml,
    /// Cobertura XML (code coverage).
    CoberturaXml,
    /// JaCoCo XML (code coverage).
    JacocoXml,
    /// SimpleCov JSON (code coverage).
    SimpleCov,
}

impl ReportFormat {
    /// The buildspec value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CucumberJson => "CUCUMBERJSON",
            Self::JunitXml => "JUNITXML",
            Self::NunitXml => "NUNITXML",
            Self::Nunit3Xml => "NUNIT3XML",
            Self::TestNgXml => "TESTNGXML",
            Self::VisualStudioTrx => "VISUALSTUDIOTRX",
            Self::CloverXml => "CLOVERXML",
            Self::CoberturaXml => "COBERTURAXML",
            Self::JacocoXml => "JACOCOXML",
            Self::SimpleCov => "SIMPLECOV",
        }
    }

    /// Whether a report in this format is a test report or a code coverage report.
    #[must_use]
    pub fn kind(self) -> ReportKind {
        match self {
            Self::CloverXml | Self::CoberturaXml | Self::JacocoXml | Self::SimpleCov => {
                ReportKind::CodeCoverage
            }
            _ => ReportKind::Test,
        }
    }
}

/// The buildspec of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildSpec {
    /// A path in the source (such as `buildspec.yml`).
    File(String),
    /// An inline, typed buildspec.
    Inline(InlineBuildSpec),
}

impl Default for BuildSpec {
    fn default() -> Self {
        Self::File("buildspec.yml".into())
    }
}

impl From<InlineBuildSpec> for BuildSpec {
    fn from(s: InlineBuildSpec) -> Self {
        Self::Inline(s)
    }
}

/// The kind of build environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnvironmentType {
    /// Linux on x86-64 (the default).
    #[default]
    LinuxContainer,
    /// Linux on ARM.
    ArmContainer,
    /// Linux on x86-64 with a GPU.
    LinuxGpuContainer,
    /// AWS Lambda compute, x86-64.
    LinuxLambdaContainer,
    /// AWS Lambda compute, ARM.
    ArmLambdaContainer,
    /// Windows Server 2019.
    WindowsServer2019Container,
    /// Windows Server 2022.
    WindowsServer2022Container,
}

impl EnvironmentType {
    /// The CloudFormation value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LinuxContainer => "LINUX_CONTAINER",
            Self::ArmContainer => "ARM_CONTAINER",
            Self::LinuxGpuContainer => "LINUX_GPU_CONTAINER",
            Self::LinuxLambdaContainer => "LINUX_LAMBDA_CONTAINER",
            Self::ArmLambdaContainer => "ARM_LAMBDA_CONTAINER",
            Self::WindowsServer2019Container => "WINDOWS_SERVER_2019_CONTAINER",
            Self::WindowsServer2022Container => "WINDOWS_SERVER_2022_CONTAINER",
        }
    }

    /// Whether this runs on Lambda compute.
    #[must_use]
    pub fn is_lambda(self) -> bool {
        matches!(self, Self::LinuxLambdaContainer | Self::ArmLambdaContainer)
    }
}

/// The compute size of a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComputeType {
    /// 3 GB, 2 vCPUs (the default).
    #[default]
    Small,
    /// 7 GB, 4 vCPUs.
    Medium,
    /// 15 GB, 8 vCPUs.
    Large,
    /// 70 GB, 36 vCPUs.
    XLarge,
    /// 145 GB, 72 vCPUs.
    X2Large,
    /// Lambda, 1 GB.
    Lambda1Gb,
    /// Lambda, 2 GB.
    Lambda2Gb,
    /// Lambda, 4 GB.
    Lambda4Gb,
    /// Lambda, 8 GB.
    Lambda8Gb,
    /// Lambda, 10 GB.
    Lambda10Gb,
}

impl ComputeType {
    /// The CloudFormation value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Small => "BUILD_GENERAL1_SMALL",
            Self::Medium => "BUILD_GENERAL1_MEDIUM",
            Self::Large => "BUILD_GENERAL1_LARGE",
            Self::XLarge => "BUILD_GENERAL1_XLARGE",
            Self::X2Large => "BUILD_GENERAL1_2XLARGE",
            Self::Lambda1Gb => "BUILD_LAMBDA_1GB",
            Self::Lambda2Gb => "BUILD_LAMBDA_2GB",
            Self::Lambda4Gb => "BUILD_LAMBDA_4GB",
            Self::Lambda8Gb => "BUILD_LAMBDA_8GB",
            Self::Lambda10Gb => "BUILD_LAMBDA_10GB",
        }
    }

    /// Whether this is a Lambda compute size.
    #[must_use]
    pub fn is_lambda(self) -> bool {
        matches!(
            self,
            Self::Lambda1Gb
                | Self::Lambda2Gb
                | Self::Lambda4Gb
                | Self::Lambda8Gb
                | Self::Lambda10Gb
        )
    }
}

/// A build image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image(Cow<'static, str>);

impl Image {
    /// `aws/codebuild/standard:7.0` (Ubuntu 22.04, x86-64).
    pub const STANDARD_7: Self = Self(Cow::Borrowed("aws/codebuild/standard:7.0"));
    /// `aws/codebuild/amazonlinux-x86_64-standard:5.0` (Amazon Linux 2023, x86-64).
    pub const AMAZON_LINUX_5: Self = Self(Cow::Borrowed(
        "aws/codebuild/amazonlinux-x86_64-standard:5.0",
    ));
    /// `aws/codebuild/amazonlinux-aarch64-standard:3.0` (Amazon Linux 2023, ARM).
    pub const AMAZON_LINUX_ARM_3: Self = Self(Cow::Borrowed(
        "aws/codebuild/amazonlinux-aarch64-standard:3.0",
    ));

    /// Any other image, such as an ECR image URI.
    #[must_use]
    pub fn custom(uri: impl Into<String>) -> Self {
        Self(Cow::Owned(uri.into()))
    }

    /// The image identifier.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The value of a CodeBuild environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// A plain value, visible in the console and in the template.
    Plaintext(String),
    /// The name of an SSM Parameter Store parameter.
    ParameterStore(String),
    /// The name or ARN of a Secrets Manager secret (optionally `:json-key:…`).
    SecretsManager(String),
}

impl EnvValue {
    /// A plain value, visible in the console and in the template.
    #[must_use]
    pub fn plaintext(value: impl Into<String>) -> Self {
        Self::Plaintext(value.into())
    }

    /// The name of an SSM Parameter Store parameter, resolved when the build starts.
    #[must_use]
    pub fn parameter_store(name: impl Into<String>) -> Self {
        Self::ParameterStore(name.into())
    }

    /// The name or ARN of a Secrets Manager secret (optionally `:json-key:…`), resolved when the
    /// build starts.
    #[must_use]
    pub fn secrets_manager(reference: impl Into<String>) -> Self {
        Self::SecretsManager(reference.into())
    }

    /// The CodeBuild type name.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Plaintext(_) => "PLAINTEXT",
            Self::ParameterStore(_) => "PARAMETER_STORE",
            Self::SecretsManager(_) => "SECRETS_MANAGER",
        }
    }

    /// The raw value (a parameter or secret reference for the non-plaintext kinds).
    #[must_use]
    pub fn value(&self) -> &str {
        match self {
            Self::Plaintext(v) | Self::ParameterStore(v) | Self::SecretsManager(v) => v,
        }
    }
}

/// A CodeBuild environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable name.
    pub name: EnvVarName,
    /// Its value.
    pub value: EnvValue,
}

/// The `EnvironmentVariables` configuration value of a CodeBuild action: the variables as the
/// JSON array CodePipeline hands to CodeBuild.
///
/// Synthesis writes this string and validation measures it against AWS's 1000-character limit on
/// configuration values, so the two cannot disagree.
pub(crate) fn action_env_json(vars: &[EnvVar]) -> String {
    let vars: Vec<serde_json::Value> = vars
        .iter()
        .map(|v| {
            serde_json::json!({
                "name": v.name.as_str(),
                "value": v.value.value(),
                "type": v.value.type_name(),
            })
        })
        .collect();
    serde_json::Value::Array(vars).to_string()
}

/// The build environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// The kind of environment.
    pub kind: EnvironmentType,
    /// The image.
    pub image: Image,
    /// The compute size.
    pub compute: ComputeType,
    /// Docker-in-Docker (needed to build images).
    pub privileged: bool,
    /// Environment variables.
    pub variables: Vec<EnvVar>,
}

impl Default for Environment {
    fn default() -> Self {
        Self {
            kind: EnvironmentType::default(),
            image: Image::STANDARD_7,
            compute: ComputeType::default(),
            privileged: false,
            variables: Vec::new(),
        }
    }
}

/// A mode of the local build cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LocalCacheMode {
    /// Docker layers.
    DockerLayer,
    /// The source checkout.
    Source,
    /// Paths listed in the buildspec's `cache` section.
    Custom,
}

impl LocalCacheMode {
    /// The CloudFormation value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DockerLayer => "LOCAL_DOCKER_LAYER_CACHE",
            Self::Source => "LOCAL_SOURCE_CACHE",
            Self::Custom => "LOCAL_CUSTOM_CACHE",
        }
    }
}

/// The build cache.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cache {
    /// No cache (the default).
    #[default]
    None,
    /// A cache on the build host.
    Local(Vec<LocalCacheMode>),
    /// A cache in an artifact bucket of the app, under a prefix.
    S3 {
        /// The bucket.
        bucket: NodeRef,
        /// The key prefix.
        prefix: String,
    },
}

/// Where build logs go: a CloudWatch Logs group that pipewright creates for the project (an
/// `AWS::Logs::LogGroup` of the app, tagged like every resource), with a bounded retention.
///
/// CloudWatch Logs keeps a group's events forever unless it has a retention policy, and CodeBuild
/// creates the group it writes to without one: storage then grows for as long as the project
/// builds. pipewright's group keeps events for [`Logs::DEFAULT_RETENTION_DAYS`] (one year, a
/// common audit horizon) unless the project says otherwise, and the project's role may write
/// only to that group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logs {
    /// CloudWatch Logs group name; `/aws/codebuild/<project>` by default.
    pub group: Option<String>,
    /// Stream name prefix.
    pub stream: Option<String>,
    /// Days the group keeps log events, one of [`Logs::RETENTION_DAYS`]; `None` keeps them
    /// forever.
    pub retention_days: Option<u32>,
    /// The KMS key that encrypts the group's log data; CloudWatch Logs' own encryption when
    /// `None`. The key's policy must allow `logs.<region>.amazonaws.com` to use it.
    pub kms_key: Option<KmsKeyArn>,
}

impl Logs {
    /// The retention of a project's log group unless it sets one: 365 days.
    pub const DEFAULT_RETENTION_DAYS: u32 = 365;

    /// The retentions CloudWatch Logs accepts, in days (`PutRetentionPolicy`, `retentionInDays`).
    pub const RETENTION_DAYS: [u32; 22] = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ];
}

impl Default for Logs {
    fn default() -> Self {
        Self {
            group: None,
            stream: None,
            retention_days: Some(Self::DEFAULT_RETENTION_DAYS),
            kms_key: None,
        }
    }
}

/// Running builds inside a VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcConfig {
    /// The VPC id.
    pub vpc_id: String,
    /// Subnet ids (1 to 16).
    pub subnets: Vec<String>,
    /// Security group ids (1 to 5).
    pub security_groups: Vec<String>,
}

/// A CodeBuild project.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildProject {
    /// The project name (changing it replaces the project).
    pub name: ProjectName,
    /// Description, at most 255 characters.
    pub description: Option<String>,
    /// Where the source comes from.
    pub source: BuildSource,
    /// The buildspec.
    pub buildspec: BuildSpec,
    /// The build environment.
    pub environment: Environment,
    /// Build timeout in minutes (5 to 2160; AWS default 60).
    pub timeout_minutes: Option<u32>,
    /// Queued timeout in minutes (5 to 480; AWS default 480).
    pub queued_timeout_minutes: Option<u32>,
    /// Build cache.
    pub cache: Cache,
    /// Logs.
    pub logs: Logs,
    /// VPC placement.
    pub vpc: Option<VpcConfig>,
    /// The report groups its builds publish to: those of an inline buildspec's reports and those
    /// declared with [`BuildProjectBuilder::report_group`]. Each is a resource of the app, and
    /// the project's role may publish to exactly these.
    pub report_groups: Vec<ReportGroup>,
    /// Key that encrypts build output; the artifact bucket's key or AWS's managed key when `None`.
    pub encryption_key: Option<KmsKeyArn>,
    /// An existing service role to use instead of the derived one.
    pub service_role: Option<RoleArn>,
    /// The ECR repositories its builds push images to ([`BuildProjectBuilder::pushes_to`]).
    pub image_pushes: Vec<ImagePush>,
    /// The CodeArtifact repositories its builds read packages from or publish to
    /// ([`BuildProjectBuilder::reads_packages_from`], [`BuildProjectBuilder::publishes_to`]).
    pub packages: Vec<PackageAccess>,
    /// User tags.
    pub tags: Tags,
}

/// An ECR repository a project's builds push images to, and the environment variable that
/// holds its URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePush {
    /// The repository.
    pub repository: NodeRef,
    /// The variable holding its URI.
    pub variable: EnvVarName,
}

/// A CodeArtifact repository a project's builds use, and whether they publish to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageAccess {
    /// The repository.
    pub repository: NodeRef,
    /// Whether the builds publish to it (else they only read from it).
    pub publish: bool,
}

impl BuildProject {
    /// The environment variables a build that uses a CodeArtifact repository logs in with
    /// (`aws codeartifact login --tool <tool> --domain $CODEARTIFACT_DOMAIN --domain-owner
    /// $CODEARTIFACT_DOMAIN_OWNER --repository $CODEARTIFACT_REPOSITORY --region
    /// $CODEARTIFACT_REGION`): the domain, its owner (the account), the repository and the
    /// region, the four things `login` and `GetRepositoryEndpoint` take.
    pub const CODEARTIFACT_VARIABLES: [&'static str; 4] = [
        "CODEARTIFACT_DOMAIN",
        "CODEARTIFACT_DOMAIN_OWNER",
        "CODEARTIFACT_REPOSITORY",
        "CODEARTIFACT_REGION",
    ];

    /// The variable a build reads the URI of the repository it pushes to from, unless
    /// [`BuildProjectBuilder::pushes_to_as`] names another: `REPOSITORY_URI`, the name the
    /// CodeBuild User Guide's Docker sample for Amazon ECR uses.
    pub const REPOSITORY_URI: &'static str = "REPOSITORY_URI";

    /// Starts a builder.
    pub fn builder() -> BuildProjectBuilder {
        BuildProjectBuilder::default()
    }

    /// The CloudWatch Logs group the builds write to.
    #[must_use]
    pub fn log_group(&self) -> String {
        self.logs
            .group
            .clone()
            .unwrap_or_else(|| format!("/aws/codebuild/{}", self.name))
    }

    /// The name of one of its report groups: `<project>-<report name>`.
    #[must_use]
    pub fn report_group_name(&self, group: &ReportGroup) -> String {
        format!("{}-{}", self.name, group.name)
    }
}

impl Sealed for BuildProject {}
impl Resource for BuildProject {
    fn into_node(self) -> Node {
        Node::Project(self)
    }
}

/// Builds a [`BuildProject`].
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct BuildProjectBuilder {
    name: Option<String>,
    description: Option<String>,
    source: BuildSource,
    buildspec: BuildSpec,
    environment: Environment,
    raw_vars: Vec<(String, EnvValue)>,
    timeout_minutes: Option<u32>,
    queued_timeout_minutes: Option<u32>,
    cache: Cache,
    log_group: Option<String>,
    log_stream: Option<String>,
    log_retention_days: Option<Option<u32>>,
    log_kms_key: Option<String>,
    vpc: Option<VpcConfig>,
    report_groups: Vec<ReportGroup>,
    encryption_key: Option<String>,
    service_role: Option<String>,
    pushes: Vec<(NodeRef, String)>,
    packages: Vec<PackageAccess>,
    tags: Vec<(String, String)>,
}

impl BuildProjectBuilder {
    /// The project name (required).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Clones a CodeCommit repository instead of taking the source from a pipeline.
    pub fn codecommit_source(mut self, repository: impl HandleOf<Repository>) -> Self {
        self.source = BuildSource::CodeCommit {
            repository: repository.node_ref().clone(),
        };
        self
    }

    /// Runs without any source.
    pub fn no_source(mut self) -> Self {
        self.source = BuildSource::None;
        self
    }

    /// The buildspec: a [`InlineBuildSpec`] inline, or [`BuildSpec::File`].
    pub fn buildspec(mut self, spec: impl Into<BuildSpec>) -> Self {
        self.buildspec = spec.into();
        if let BuildSpec::Inline(s) = &self.buildspec {
            for g in s.report_groups.clone() {
                self = self.report_group(g);
            }
        }
        self
    }

    /// The environment type.
    pub fn environment_type(mut self, kind: EnvironmentType) -> Self {
        self.environment.kind = kind;
        self
    }

    /// The build image.
    pub fn image(mut self, image: Image) -> Self {
        self.environment.image = image;
        self
    }

    /// The compute size.
    pub fn compute(mut self, compute: ComputeType) -> Self {
        self.environment.compute = compute;
        self
    }

    /// Privileged mode (Docker builds).
    pub fn privileged(mut self, on: bool) -> Self {
        self.environment.privileged = on;
        self
    }

    /// Lets the builds push images to `repository`, whose URI they find in `REPOSITORY_URI`
    /// ([`BuildProject::REPOSITORY_URI`]). The derived role gets exactly ECR's push actions on
    /// that repository, and `ecr:GetAuthorizationToken` (which takes no resource) to log in
    /// (Amazon ECR User Guide, "IAM permissions for pushing an image"). A Docker build also
    /// needs [`BuildProjectBuilder::privileged`].
    pub fn pushes_to(self, repository: impl HandleOf<ImageRepository>) -> Self {
        self.pushes_to_as(repository, BuildProject::REPOSITORY_URI)
    }

    /// As [`BuildProjectBuilder::pushes_to`], with the repository's URI in `variable` (for a
    /// project that pushes to more than one repository).
    pub fn pushes_to_as(
        mut self,
        repository: impl HandleOf<ImageRepository>,
        variable: impl Into<String>,
    ) -> Self {
        self.pushes
            .push((repository.node_ref().clone(), variable.into()));
        self
    }

    /// Lets the builds read packages from a CodeArtifact repository (and, through it, from its
    /// upstreams and external connection). The derived role gets
    /// `codeartifact:GetAuthorizationToken` on the repository's domain,
    /// `codeartifact:GetRepositoryEndpoint` and `codeartifact:ReadFromRepository` on the
    /// repository, and `sts:GetServiceBearerToken` (which CodeArtifact's token needs, on `*`,
    /// only for `codeartifact.amazonaws.com`); the builds find the repository in
    /// [`BuildProject::CODEARTIFACT_VARIABLES`]. A project logs in to one repository.
    pub fn reads_packages_from(mut self, repository: impl HandleOf<ArtifactRepository>) -> Self {
        self.packages.push(PackageAccess {
            repository: repository.node_ref().clone(),
            publish: false,
        });
        self
    }

    /// As [`BuildProjectBuilder::reads_packages_from`], and lets the builds publish package
    /// versions to the repository: `codeartifact:PublishPackageVersion` and
    /// `codeartifact:PutPackageMetadata` on the packages of that repository.
    pub fn publishes_to(mut self, repository: impl HandleOf<ArtifactRepository>) -> Self {
        self.packages.push(PackageAccess {
            repository: repository.node_ref().clone(),
            publish: true,
        });
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, name: impl Into<String>, value: EnvValue) -> Self {
        self.raw_vars.push((name.into(), value));
        self
    }

    /// The build timeout in minutes.
    pub fn timeout_minutes(mut self, m: u32) -> Self {
        self.timeout_minutes = Some(m);
        self
    }

    /// The queued timeout in minutes.
    pub fn queued_timeout_minutes(mut self, m: u32) -> Self {
        self.queued_timeout_minutes = Some(m);
        self
    }

    /// A local cache with these modes.
    pub fn local_cache(mut self, modes: impl IntoIterator<Item = LocalCacheMode>) -> Self {
        let mut modes: Vec<_> = modes.into_iter().collect();
        modes.sort();
        modes.dedup();
        self.cache = Cache::Local(modes);
        self
    }

    /// An S3 cache in one of the app's artifact buckets.
    pub fn s3_cache(
        mut self,
        bucket: impl HandleOf<ArtifactBucket>,
        prefix: impl Into<String>,
    ) -> Self {
        self.cache = Cache::S3 {
            bucket: bucket.node_ref().clone(),
            prefix: prefix.into(),
        };
        self
    }

    /// The CloudWatch Logs group name (and optional stream prefix), instead of
    /// `/aws/codebuild/<project>`. pipewright creates and owns the group either way.
    pub fn log_group(mut self, group: impl Into<String>, stream: Option<String>) -> Self {
        self.log_group = Some(group.into());
        self.log_stream = stream;
        self
    }

    /// How many days the log group keeps build logs ([`Logs::DEFAULT_RETENTION_DAYS`] unless
    /// set); one of [`Logs::RETENTION_DAYS`], which validation checks.
    ///
    /// ```
    /// use pipewright::model::BuildProject;
    /// let p = BuildProject::builder().name("shop-build").log_retention_days(30).build()?;
    /// assert_eq!(p.logs.retention_days, Some(30));
    /// # Ok::<(), pipewright::model::BuildError>(())
    /// ```
    pub fn log_retention_days(mut self, days: u32) -> Self {
        self.log_retention_days = Some(Some(days));
        self
    }

    /// Keeps build logs forever (no retention policy on the log group).
    pub fn keep_logs_forever(mut self) -> Self {
        self.log_retention_days = Some(None);
        self
    }

    /// Encrypts the log group with a customer managed KMS key (a key ARN; its key policy must
    /// let CloudWatch Logs use it).
    pub fn log_kms_key(mut self, arn: impl Into<String>) -> Self {
        self.log_kms_key = Some(arn.into());
        self
    }

    /// Runs builds in a VPC.
    pub fn vpc(
        mut self,
        vpc_id: impl Into<String>,
        subnets: impl IntoIterator<Item = impl Into<String>>,
        security_groups: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.vpc = Some(VpcConfig {
            vpc_id: vpc_id.into(),
            subnets: subnets.into_iter().map(Into::into).collect(),
            security_groups: security_groups.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Declares a report group the builds publish to, for a buildspec file that names it in its
    /// `reports` (an inline spec's [`InlineBuildSpec::report`] declares its groups itself).
    pub fn report_group(mut self, group: ReportGroup) -> Self {
        if !self.report_groups.contains(&group) {
            self.report_groups.push(group);
        }
        self
    }

    /// Encrypts build output with this KMS key.
    pub fn encryption_key(mut self, arn: impl Into<String>) -> Self {
        self.encryption_key = Some(arn.into());
        self
    }

    /// Uses an existing service role instead of deriving one.
    pub fn service_role(mut self, arn: impl Into<String>) -> Self {
        self.service_role = Some(arn.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Builds the project.
    ///
    /// # Errors
    /// Every missing or invalid field.
    pub fn build(self) -> Result<BuildProject, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<BuildProject> {
        let mut p = Problems::default();
        let raw_name = self.name.clone();
        let name = p.name("name", self.name, ProjectName::new);
        let mut environment = self.environment;
        for (n, value) in self.raw_vars {
            if let Some(name) = p.parse(
                format!("environment.variables[{n}].name"),
                n,
                EnvVarName::new,
            ) {
                environment.variables.push(EnvVar { name, value });
            }
        }
        let image_pushes = self
            .pushes
            .into_iter()
            .filter_map(|(repository, v)| {
                let field = format!("image_pushes[{}].variable", repository.name());
                p.parse(field, v, EnvVarName::new)
                    .map(|variable| ImagePush {
                        repository,
                        variable,
                    })
            })
            .collect();
        let encryption_key = self
            .encryption_key
            .and_then(|k| p.parse("encryption_key", k, KmsKeyArn::new));
        let service_role = self
            .service_role
            .and_then(|r| p.parse("service_role", r, RoleArn::new));
        let log_kms_key = self
            .log_kms_key
            .and_then(|k| p.parse("logs.kms_key", k, KmsKeyArn::new));
        let tags = p.tags(self.tags);
        let value = name.map(|name| BuildProject {
            name,
            description: self.description,
            source: self.source,
            buildspec: self.buildspec,
            environment,
            timeout_minutes: self.timeout_minutes,
            queued_timeout_minutes: self.queued_timeout_minutes,
            cache: self.cache,
            logs: Logs {
                group: self.log_group,
                stream: self.log_stream,
                retention_days: self
                    .log_retention_days
                    .unwrap_or(Some(Logs::DEFAULT_RETENTION_DAYS)),
                kms_key: log_kms_key,
            },
            vpc: self.vpc,
            report_groups: self.report_groups,
            encryption_key,
            service_role,
            image_pushes,
            packages: self.packages,
            tags,
        });
        p.finish("project", raw_name.as_deref(), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_spec_renders_json_buildspec() {
        let s = InlineBuildSpec::new()
            .build(["cargo build --release"])
            .post_build(["cargo test"])
            .artifacts(["target/release/app", "appspec.yml"])
            .report(
                &ReportGroup::test("unit"),
                "reports/*.xml",
                ReportFormat::JunitXml,
            );
        assert_eq!(
            s.render(),
            r#"{"artifacts":{"files":["target/release/app","appspec.yml"]},"phases":{"build":{"commands":["cargo build --release"]},"post_build":{"commands":["cargo test"]}},"reports":{"unit":{"file-format":"JUNITXML","files":["reports/*.xml"]}},"version":"0.2"}"#
        );
    }

    #[test]
    fn reserved_env_var_name_is_reported_with_path() {
        let err = BuildProject::builder()
            .name("p1")
            .env("CODEBUILD_X", EnvValue::plaintext("1"))
            .build()
            .unwrap_err();
        assert_eq!(
            err.problems[0].field,
            "environment.variables[CODEBUILD_X].name"
        );
    }

    #[test]
    fn reports_in_spec_declare_their_groups() {
        let r = ReportGroup::test("r");
        let p = BuildProject::builder()
            .name("p1")
            .report_group(r.clone())
            .buildspec(InlineBuildSpec::new().report(&r, "x.xml", ReportFormat::JunitXml))
            .build()
            .unwrap();
        assert_eq!(p.report_groups, vec![r]);
        assert_eq!(p.log_group(), "/aws/codebuild/p1");
    }
}
