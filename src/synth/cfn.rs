//! Typed CloudFormation template structures. Field order is declaration order and maps are
//! `BTreeMap`s, so serialization is byte-deterministic.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// A CloudFormation value: a literal or an intrinsic function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// A literal string.
    Str(String),
    /// A literal boolean.
    Bool(bool),
    /// `{"Ref": id}`.
    Ref(String),
    /// `{"Fn::GetAtt": [id, attribute]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": text}`; `${Id}` and `${Id.Attr}` inside refer to resources.
    Sub(String),
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(v) => s.serialize_str(v),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Ref(id) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("Ref", id)?;
                m.end()
            }
            Self::GetAtt(id, attr) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("Fn::GetAtt", &[id, attr])?;
                m.end()
            }
            Self::Sub(text) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("Fn::Sub", text)?;
                m.end()
            }
        }
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

/// A synthesized CloudFormation template: one per group of resources that fits CloudFormation's
/// limits (see [`crate::synth`]). Render it with [`Template::to_json`].
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    /// File stem, such as `shop` or `shop-2`.
    #[serde(skip)]
    pub(crate) name: String,
    /// Always `2010-09-09`.
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub(crate) format_version: &'static str,
    /// What the template holds.
    #[serde(rename = "Description")]
    pub(crate) description: String,
    /// Resources by logical id.
    #[serde(rename = "Resources")]
    pub(crate) resources: BTreeMap<String, CfnResource>,
    /// Outputs by logical id.
    #[serde(rename = "Outputs", skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) outputs: BTreeMap<String, Output>,
}

/// A template output.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Output {
    /// What it is.
    #[serde(rename = "Description")]
    pub(crate) description: String,
    /// Its value.
    #[serde(rename = "Value")]
    pub(crate) value: Expr,
}

/// A resource of a template.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CfnResource {
    /// The resource type.
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
    /// Explicit dependencies not already implied by a `Ref`/`GetAtt`/`Sub`.
    #[serde(rename = "DependsOn", skip_serializing_if = "Vec::is_empty")]
    pub(crate) depends_on: Vec<String>,
    /// `Retain` for resources kept on destroy.
    #[serde(rename = "DeletionPolicy", skip_serializing_if = "Option::is_none")]
    pub(crate) deletion_policy: Option<&'static str>,
    /// Mirrors the deletion policy.
    #[serde(
        rename = "UpdateReplacePolicy",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) update_replace_policy: Option<&'static str>,
    /// Metadata: checkov skips with their justification, reasons for wildcard resources.
    #[serde(rename = "Metadata", skip_serializing_if = "Metadata::is_empty")]
    pub(crate) metadata: Metadata,
    /// The properties.
    #[serde(rename = "Properties")]
    pub(crate) properties: Properties,
}

/// Resource metadata.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Metadata {
    /// Security checks that cannot apply, each with why.
    #[serde(rename = "checkov", skip_serializing_if = "Option::is_none")]
    pub(crate) checkov: Option<CheckovSkips>,
    /// Why some policy statements use `Resource: "*"`, by statement id.
    #[serde(
        rename = "pipewright:wildcards",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub(crate) wildcards: BTreeMap<&'static str, &'static str>,
}

impl Metadata {
    fn is_empty(&self) -> bool {
        self.checkov.is_none() && self.wildcards.is_empty()
    }
}

/// checkov's per-resource skip list.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckovSkips {
    /// The skipped checks.
    pub(crate) skip: Vec<CheckovSkip>,
}

/// One skipped checkov check.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckovSkip {
    /// The check id, such as `CKV_AWS_18`.
    pub(crate) id: &'static str,
    /// Why it cannot apply.
    pub(crate) comment: &'static str,
}

/// A resource tag.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Tag {
    /// Key.
    pub(crate) key: String,
    /// Value.
    pub(crate) value: String,
}

/// The properties of each resource type.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum Properties {
    /// `AWS::CodeCommit::Repository`.
    Repository(RepositoryProps),
    /// `AWS::S3::Bucket`.
    Bucket(Box<BucketProps>),
    /// `AWS::S3::BucketPolicy`.
    BucketPolicy(BucketPolicyProps),
    /// `AWS::CodeBuild::Project`.
    Project(Box<ProjectProps>),
    /// `AWS::CodeDeploy::Application`.
    Application(ApplicationProps),
    /// `AWS::CodeDeploy::DeploymentConfig`.
    DeploymentConfig(DeploymentConfigProps),
    /// `AWS::CodeDeploy::DeploymentGroup`.
    DeploymentGroup(Box<DeploymentGroupProps>),
    /// `AWS::CodePipeline::Pipeline`.
    Pipeline(Box<PipelineProps>),
    /// `AWS::IAM::Role`.
    Role(RoleProps),
    /// `AWS::Events::Rule`.
    EventRule(EventRuleProps),
    /// `AWS::Logs::LogGroup`.
    LogGroup(LogGroupProps),
    /// `AWS::CodeBuild::ReportGroup`.
    ReportGroup(ReportGroupProps),
    /// `AWS::ECR::Repository`.
    ImageRepository(ImageRepositoryProps),
    /// `AWS::CodeArtifact::Domain`.
    ArtifactDomain(ArtifactDomainProps),
    /// `AWS::CodeArtifact::Repository`.
    ArtifactRepository(ArtifactRepositoryProps),
}

/// `AWS::CodeArtifact::Domain` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ArtifactDomainProps {
    pub(crate) domain_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) encryption_key: Option<String>,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::CodeArtifact::Repository` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ArtifactRepositoryProps {
    pub(crate) repository_name: String,
    pub(crate) domain_name: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) upstreams: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) external_connections: Vec<&'static str>,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::ECR::Repository` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ImageRepositoryProps {
    pub(crate) repository_name: String,
    pub(crate) image_tag_mutability: &'static str,
    pub(crate) image_scanning_configuration: serde_json::Value,
    pub(crate) encryption_configuration: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lifecycle_policy: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) repository_policy_text: Option<serde_json::Value>,
    pub(crate) empty_on_delete: bool,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::CodeBuild::ReportGroup` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReportGroupProps {
    pub(crate) name: String,
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
    pub(crate) export_config: serde_json::Value,
    pub(crate) delete_reports: bool,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::Logs::LogGroup` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LogGroupProps {
    pub(crate) log_group_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retention_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kms_key_id: Option<String>,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::CodeCommit::Repository` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RepositoryProps {
    pub(crate) repository_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) repository_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kms_key_id: Option<String>,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::S3::Bucket` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BucketProps {
    pub(crate) bucket_name: String,
    pub(crate) bucket_encryption: serde_json::Value,
    pub(crate) public_access_block_configuration: serde_json::Value,
    pub(crate) ownership_controls: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) versioning_configuration: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lifecycle_configuration: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) logging_configuration: Option<serde_json::Value>,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::S3::BucketPolicy` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BucketPolicyProps {
    pub(crate) bucket: Expr,
    pub(crate) policy_document: PolicyDocument,
}

/// An IAM policy document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PolicyDocument {
    pub(crate) version: &'static str,
    pub(crate) statement: Vec<PolicyStatement>,
}

/// An IAM policy statement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PolicyStatement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sid: Option<&'static str>,
    pub(crate) effect: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) principal: Option<serde_json::Value>,
    pub(crate) action: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) resource: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) condition: Option<BTreeMap<&'static str, BTreeMap<&'static str, Vec<Expr>>>>,
}

/// `AWS::CodeBuild::Project` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProjectProps {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) service_role: Expr,
    pub(crate) source: BTreeMap<&'static str, Expr>,
    pub(crate) artifacts: BTreeMap<&'static str, Expr>,
    pub(crate) environment: ProjectEnvironment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeout_in_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) queued_timeout_in_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cache: Option<serde_json::Value>,
    pub(crate) logs_config: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) vpc_config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) encryption_key: Option<String>,
    pub(crate) tags: Vec<Tag>,
}

/// The environment of a CodeBuild project.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProjectEnvironment {
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
    pub(crate) image: String,
    pub(crate) compute_type: &'static str,
    pub(crate) privileged_mode: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) environment_variables: Vec<BTreeMap<&'static str, Expr>>,
}

/// `AWS::CodeDeploy::Application` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ApplicationProps {
    pub(crate) application_name: String,
    pub(crate) compute_platform: &'static str,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::CodeDeploy::DeploymentConfig` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeploymentConfigProps {
    pub(crate) deployment_config_name: String,
    pub(crate) compute_platform: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) minimum_healthy_hosts: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) traffic_routing_config: Option<serde_json::Value>,
}

/// `AWS::CodeDeploy::DeploymentGroup` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeploymentGroupProps {
    pub(crate) application_name: Expr,
    pub(crate) deployment_group_name: String,
    pub(crate) service_role_arn: Expr,
    pub(crate) deployment_config_name: Expr,
    pub(crate) deployment_style: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ec2_tag_filters: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) on_premises_instance_tag_filters: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auto_scaling_groups: Option<Vec<String>>,
    #[serde(rename = "ECSServices", skip_serializing_if = "Option::is_none")]
    pub(crate) ecs_services: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) load_balancer_info: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) blue_green_deployment_configuration: Option<serde_json::Value>,
    pub(crate) auto_rollback_configuration: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_configuration: Option<serde_json::Value>,
    pub(crate) tags: Vec<Tag>,
}

/// `AWS::CodePipeline::Pipeline` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PipelineProps {
    pub(crate) name: String,
    pub(crate) role_arn: Expr,
    pub(crate) pipeline_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) execution_mode: Option<&'static str>,
    pub(crate) artifact_store: ArtifactStore,
    pub(crate) stages: Vec<StageProps>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) variables: Vec<BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) disable_inbound_stage_transitions: Vec<BTreeMap<&'static str, String>>,
    pub(crate) tags: Vec<Tag>,
}

/// A pipeline's artifact store.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ArtifactStore {
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
    pub(crate) location: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) encryption_key: Option<BTreeMap<&'static str, String>>,
}

/// A pipeline stage.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StageProps {
    pub(crate) name: String,
    pub(crate) actions: Vec<ActionProps>,
}

/// A pipeline action.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ActionProps {
    pub(crate) name: String,
    pub(crate) action_type_id: ActionTypeId,
    pub(crate) run_order: u32,
    pub(crate) configuration: BTreeMap<&'static str, Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) input_artifacts: Vec<BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) output_artifacts: Vec<BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) namespace: Option<String>,
}

/// An action type id.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ActionTypeId {
    pub(crate) category: &'static str,
    pub(crate) owner: &'static str,
    pub(crate) provider: &'static str,
    pub(crate) version: &'static str,
}

/// `AWS::IAM::Role` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RoleProps {
    /// `Fn::Sub` of the name with the region in it.
    pub(crate) role_name: Expr,
    /// `Fn::Sub` of `/pipewright/<app>/<region>/`.
    pub(crate) path: Expr,
    pub(crate) description: String,
    pub(crate) assume_role_policy_document: PolicyDocument,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) policies: Vec<InlinePolicy>,
    pub(crate) tags: Vec<Tag>,
}

/// An inline policy of a role.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InlinePolicy {
    pub(crate) policy_name: &'static str,
    pub(crate) policy_document: PolicyDocument,
}

/// `AWS::Events::Rule` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EventRuleProps {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) state: &'static str,
    pub(crate) event_pattern: serde_json::Value,
    pub(crate) targets: Vec<EventTarget>,
    pub(crate) tags: Vec<Tag>,
}

/// A rule target.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EventTarget {
    pub(crate) arn: Expr,
    pub(crate) id: &'static str,
    pub(crate) role_arn: Expr,
}
