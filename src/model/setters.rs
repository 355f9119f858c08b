//! Which builder setter a CloudFormation property comes from, so that a plan or a drift report
//! names what to change in the Rust model beside the property's path (`/TimeoutInMinutes
//! (BuildProjectBuilder::timeout_minutes)`).

use super::ResourceKind;

/// `(kind, path pattern, setter)`: the first pattern the path lies under wins, so the longer
/// patterns of a kind come first. `*` stands for one path segment.
const SETTERS: &[(ResourceKind, &str, &str)] = &[
    (
        ResourceKind::ArtifactDomain,
        "/EncryptionKey",
        "ArtifactDomainBuilder::encryption_key",
    ),
    (
        ResourceKind::ArtifactDomain,
        "/Tags",
        "ArtifactDomainBuilder::tag",
    ),
    (
        ResourceKind::ArtifactRepository,
        "/Description",
        "ArtifactRepositoryBuilder::description",
    ),
    (
        ResourceKind::ArtifactRepository,
        "/Upstreams",
        "ArtifactRepositoryBuilder::upstream",
    ),
    (
        ResourceKind::ArtifactRepository,
        "/ExternalConnections",
        "ArtifactRepositoryBuilder::external_connection",
    ),
    (
        ResourceKind::ArtifactRepository,
        "/Tags",
        "ArtifactRepositoryBuilder::tag",
    ),
    (
        ResourceKind::Repository,
        "/RepositoryDescription",
        "RepositoryBuilder::description",
    ),
    (
        ResourceKind::Repository,
        "/KmsKeyId",
        "RepositoryBuilder::kms_key",
    ),
    (ResourceKind::Repository, "/Tags", "RepositoryBuilder::tag"),
    (
        ResourceKind::ImageRepository,
        "/ImageTagMutability",
        "ImageRepositoryBuilder::mutable_tags",
    ),
    (
        ResourceKind::ImageRepository,
        "/ImageScanningConfiguration",
        "ImageRepositoryBuilder::scan_on_push",
    ),
    (
        ResourceKind::ImageRepository,
        "/EncryptionConfiguration",
        "ImageRepositoryBuilder::kms_key",
    ),
    (
        ResourceKind::ImageRepository,
        "/LifecyclePolicy",
        "ImageRepositoryBuilder::keep_last_images, expire_untagged_after_days",
    ),
    (
        ResourceKind::ImageRepository,
        "/RepositoryPolicyText",
        "ImageRepositoryBuilder::policy",
    ),
    (
        ResourceKind::ImageRepository,
        "/Tags",
        "ImageRepositoryBuilder::tag",
    ),
    (
        ResourceKind::Bucket,
        "/BucketEncryption",
        "ArtifactBucketBuilder::kms_key",
    ),
    (
        ResourceKind::Bucket,
        "/VersioningConfiguration",
        "ArtifactBucketBuilder::versioned",
    ),
    (
        ResourceKind::Bucket,
        "/LifecycleConfiguration",
        "ArtifactBucketBuilder::expiration_days, noncurrent_expiration_days, abort_incomplete_upload_days",
    ),
    (
        ResourceKind::Bucket,
        "/LoggingConfiguration",
        "ArtifactBucketBuilder::access_log",
    ),
    (ResourceKind::Bucket, "/Tags", "ArtifactBucketBuilder::tag"),
    (
        ResourceKind::Project,
        "/Description",
        "BuildProjectBuilder::description",
    ),
    (
        ResourceKind::Project,
        "/Source/BuildSpec",
        "BuildProjectBuilder::buildspec",
    ),
    (
        ResourceKind::Project,
        "/Source",
        "BuildProjectBuilder::codecommit_source, no_source",
    ),
    (
        ResourceKind::Project,
        "/Environment/Image",
        "BuildProjectBuilder::image",
    ),
    (
        ResourceKind::Project,
        "/Environment/ComputeType",
        "BuildProjectBuilder::compute",
    ),
    (
        ResourceKind::Project,
        "/Environment/Type",
        "BuildProjectBuilder::environment_type",
    ),
    (
        ResourceKind::Project,
        "/Environment/PrivilegedMode",
        "BuildProjectBuilder::privileged",
    ),
    (
        ResourceKind::Project,
        "/Environment/EnvironmentVariables",
        "BuildProjectBuilder::env",
    ),
    (
        ResourceKind::Project,
        "/TimeoutInMinutes",
        "BuildProjectBuilder::timeout_minutes",
    ),
    (
        ResourceKind::Project,
        "/QueuedTimeoutInMinutes",
        "BuildProjectBuilder::queued_timeout_minutes",
    ),
    (
        ResourceKind::Project,
        "/Cache",
        "BuildProjectBuilder::local_cache, s3_cache",
    ),
    (
        ResourceKind::Project,
        "/LogsConfig",
        "BuildProjectBuilder::log_group",
    ),
    (
        ResourceKind::Project,
        "/VpcConfig",
        "BuildProjectBuilder::vpc",
    ),
    (
        ResourceKind::Project,
        "/EncryptionKey",
        "BuildProjectBuilder::encryption_key",
    ),
    (
        ResourceKind::Project,
        "/ServiceRole",
        "BuildProjectBuilder::service_role",
    ),
    (ResourceKind::Project, "/Tags", "BuildProjectBuilder::tag"),
    (
        ResourceKind::Application,
        "/Tags",
        "DeployApplicationBuilder::tag",
    ),
    (
        ResourceKind::DeploymentConfig,
        "/MinimumHealthyHosts",
        "DeploymentConfig::minimum_healthy_hosts",
    ),
    (
        ResourceKind::DeploymentConfig,
        "/TrafficRoutingConfig",
        "DeploymentConfig::traffic",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/DeploymentConfigName",
        "DeploymentGroupBuilder::config",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/AutoRollbackConfiguration",
        "DeploymentGroupBuilder::auto_rollback",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/AlarmConfiguration",
        "DeploymentGroupBuilder::alarm",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/Ec2TagFilters",
        "DeploymentGroupBuilder::ec2_tag, ec2_tag_filter",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/OnPremisesInstanceTagFilters",
        "DeploymentGroupBuilder::on_premises_tag_filter",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/AutoScalingGroups",
        "DeploymentGroupBuilder::auto_scaling_group",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/LoadBalancerInfo",
        "DeploymentGroupBuilder::load_balancer_target_group, target_groups, prod_listener, test_listener",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/BlueGreenDeploymentConfiguration",
        "DeploymentGroupBuilder::termination_wait_minutes",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/ECSServices",
        "DeploymentGroupBuilder::service",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/ServiceRoleArn",
        "DeployApplicationBuilder::service_role",
    ),
    (
        ResourceKind::DeploymentGroup,
        "/Tags",
        "DeploymentGroupBuilder::tag",
    ),
    (
        ResourceKind::Pipeline,
        "/Stages/*/Actions/*/RunOrder",
        "the action's run_order",
    ),
    (
        ResourceKind::Pipeline,
        "/Stages/*/Actions/*/InputArtifacts",
        "the action's input",
    ),
    (
        ResourceKind::Pipeline,
        "/Stages/*/Actions/*/OutputArtifacts",
        "the action's output",
    ),
    (
        ResourceKind::Pipeline,
        "/Stages/*/Actions/*/Namespace",
        "the action's namespace",
    ),
    (
        ResourceKind::Pipeline,
        "/Stages/*/Actions/*/Configuration",
        "the action's constructor and setters",
    ),
    (ResourceKind::Pipeline, "/Stages", "PipelineBuilder::stage"),
    (
        ResourceKind::Pipeline,
        "/ArtifactStore",
        "PipelineBuilder::artifact_store",
    ),
    (
        ResourceKind::Pipeline,
        "/PipelineType",
        "PipelineBuilder::pipeline_type",
    ),
    (
        ResourceKind::Pipeline,
        "/ExecutionMode",
        "PipelineBuilder::execution_mode",
    ),
    (
        ResourceKind::Pipeline,
        "/Variables",
        "PipelineBuilder::variable, required_variable, variable_description",
    ),
    (
        ResourceKind::Pipeline,
        "/DisableInboundStageTransitions",
        "PipelineBuilder::disable_transition",
    ),
    (ResourceKind::Pipeline, "/RoleArn", "PipelineBuilder::role"),
    (ResourceKind::Pipeline, "/Tags", "PipelineBuilder::tag"),
    (
        ResourceKind::ReportGroup,
        "/ExportConfig",
        "ReportGroup::export_to, zipped",
    ),
    (
        ResourceKind::ReportGroup,
        "/Type",
        "ReportGroup::test, coverage",
    ),
    (
        ResourceKind::ReportGroup,
        "/Tags",
        "BuildProjectBuilder::tag",
    ),
    (
        ResourceKind::Role,
        "/Policies",
        "derived from what the role's users do",
    ),
    (
        ResourceKind::Role,
        "/AssumeRolePolicyDocument",
        "derived from the service that uses the role",
    ),
    (
        ResourceKind::BucketPolicy,
        "/PolicyDocument",
        "derived from the bucket's users",
    ),
    (
        ResourceKind::EventRule,
        "/EventPattern",
        "CodeCommitSource::change_detection",
    ),
];

/// The builder setter (or, for derived resources, where the value comes from) behind `path` of
/// a resource of `kind`, if the path has one.
///
/// ```
/// use pipewright::model::{ResourceKind, setter_for};
/// assert_eq!(
///     setter_for(ResourceKind::Project, "/TimeoutInMinutes"),
///     Some("BuildProjectBuilder::timeout_minutes")
/// );
/// assert_eq!(
///     setter_for(ResourceKind::Pipeline, "/Stages/1/Actions/0/RunOrder"),
///     Some("the action's run_order")
/// );
/// assert_eq!(setter_for(ResourceKind::Project, "/Name"), None);
/// ```
#[must_use]
pub fn setter_for(kind: ResourceKind, path: &str) -> Option<&'static str> {
    SETTERS
        .iter()
        .find(|(k, pattern, _)| *k == kind && lies_under(path, pattern))
        .map(|(_, _, setter)| *setter)
}

/// Whether `path` is `pattern` or below it, `*` matching any one segment.
fn lies_under(path: &str, pattern: &str) -> bool {
    let mut segments = path.split('/');
    pattern
        .split('/')
        .all(|p| segments.next().is_some_and(|s| p == "*" || p == s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_pattern_under_which_a_path_lies_names_the_setter() {
        assert_eq!(
            setter_for(ResourceKind::Project, "/Source/BuildSpec"),
            Some("BuildProjectBuilder::buildspec")
        );
        assert_eq!(
            setter_for(ResourceKind::Project, "/Source/Type"),
            Some("BuildProjectBuilder::codecommit_source, no_source")
        );
        assert_eq!(
            setter_for(ResourceKind::Pipeline, "/Stages/0/Name"),
            Some("PipelineBuilder::stage")
        );
        assert_eq!(
            setter_for(ResourceKind::Project, "/TimeoutInMinutesX"),
            None,
            "a path lies under a pattern only at a segment boundary"
        );
    }

    #[test]
    fn every_pattern_of_a_kind_is_reachable() {
        // A pattern after a shorter one it lies under would never be found.
        for (i, (kind, pattern, _)) in SETTERS.iter().enumerate() {
            let first = SETTERS
                .iter()
                .position(|(k, p, _)| k == kind && lies_under(pattern, p));
            assert_eq!(
                first,
                Some(i),
                "{kind:?} {pattern} is shadowed by an earlier one"
            );
        }
    }
}
