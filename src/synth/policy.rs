//! The deployer policy: the least-privilege IAM policy of the principal that runs `plan`,
//! `apply`, `destroy`, `drift` and the execution verbs for one app in one account and region.
//!
//! Every statement names the app's own resources (its repositories, bucket, projects, report
//! groups, log groups, CodeDeploy applications, groups and configurations, pipelines, rules, and
//! the roles under its role path `/pipewright/<app>/<region>/`). `*` appears only for actions
//! that take no resource; each such statement says why beside it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::model::{
    Definition, Desired, REGION_VAR, ResolvedConfig, ResourceKind, RoleRef, role_path,
};

/// One `Allow` statement of the deployer policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyStatement {
    /// Statement id, naming what the permission is for.
    pub sid: &'static str,
    /// IAM actions, sorted and distinct.
    pub actions: BTreeSet<&'static str>,
    /// Resource ARNs (or `*`), sorted and distinct.
    pub resources: BTreeSet<String>,
    /// A condition: (operator, key, values).
    pub condition: Option<(&'static str, &'static str, BTreeSet<String>)>,
}

/// The deployer policy of an app; [`DeployerPolicy::to_json`] renders the IAM document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployerPolicy {
    /// Its statements, in a fixed order.
    pub statements: Vec<PolicyStatement>,
}

impl DeployerPolicy {
    /// The IAM policy document, pretty-printed; byte-identical for the same app, partition,
    /// region and account.
    #[must_use]
    pub fn to_json(&self) -> String {
        let statements: Vec<Value> = self
            .statements
            .iter()
            .map(|s| {
                let mut v = json!({
                    "Sid": s.sid,
                    "Effect": "Allow",
                    "Action": s.actions.iter().collect::<Vec<_>>(),
                    "Resource": s.resources.iter().collect::<Vec<_>>(),
                });
                if let Some((op, key, values)) = &s.condition {
                    v["Condition"] = json!({ *op: { *key: values.iter().collect::<Vec<_>>() } });
                }
                v
            })
            .collect();
        // serde_json keeps an object's keys sorted, so the output is deterministic.
        serde_json::to_string_pretty(&json!({
            "Version": "2012-10-17",
            "Statement": statements,
        }))
        .unwrap_or_default()
    }
}

/// Statements under construction, by sid, in the order first pushed.
#[derive(Default)]
struct Builder {
    order: Vec<&'static str>,
    by_sid: BTreeMap<&'static str, PolicyStatement>,
}

impl Builder {
    fn add(
        &mut self,
        sid: &'static str,
        actions: &[&'static str],
        resources: impl IntoIterator<Item = String>,
    ) {
        let s = self.by_sid.entry(sid).or_insert_with(|| {
            self.order.push(sid);
            PolicyStatement {
                sid,
                actions: BTreeSet::new(),
                resources: BTreeSet::new(),
                condition: None,
            }
        });
        s.actions.extend(actions);
        s.resources.extend(resources);
    }

    fn condition(&mut self, sid: &'static str, op: &'static str, key: &'static str, v: &str) {
        if let Some(s) = self.by_sid.get_mut(sid) {
            s.condition
                .get_or_insert_with(|| (op, key, BTreeSet::new()))
                .2
                .insert(v.to_owned());
        }
    }

    fn finish(mut self) -> DeployerPolicy {
        let statements = self
            .order
            .iter()
            .filter_map(|sid| self.by_sid.remove(sid))
            .filter(|s| !s.resources.is_empty())
            .collect();
        DeployerPolicy { statements }
    }
}

/// The deployer policy of `desired` in `partition`, `region` and `account`.
///
/// Pure: it reads only the model, so an administrator can print it before the deployer has any
/// permission at all.
///
/// # Examples
///
/// ```
/// use pipewright::model::{App, Repository};
///
/// let mut app = App::new("shop").unwrap();
/// app.add(Repository::builder().name("shop-api").build().unwrap());
/// let policy = pipewright::synth::deployer_policy(&app.desired(), "aws", "eu-west-1", "123456789012");
/// assert!(policy.to_json().contains("arn:aws:codecommit:eu-west-1:123456789012:shop-api"));
/// ```
#[must_use]
pub fn deployer_policy(
    desired: &Desired<'_>,
    partition: &str,
    region: &str,
    account: &str,
) -> DeployerPolicy {
    let arn = |kind: ResourceKind, name: &str| {
        kind.arn(partition, region, account, name)
            .unwrap_or_default()
    };
    let regional = |service: &str, resource: &str| {
        format!("arn:{partition}:{service}:{region}:{account}:{resource}")
    };
    let mut b = Builder::default();
    // Who the caller is (the account id in every ARN): sts:GetCallerIdentity takes no resource
    // (STS API Reference: "No permissions are required to perform this operation"; listed so a
    // deny-by-default boundary cannot block it).
    b.add("WhoAmI", &["sts:GetCallerIdentity"], ["*".to_owned()]);
    // What the app owns, by tag: tag:GetResources has no resource-level permission.
    b.add(
        "FindOwnedResources",
        &["tag:GetResources"],
        ["*".to_owned()],
    );
    // Owned roles are listed with a path prefix; iam:ListRoles has no resource-level
    // permission (IAM Service Authorization Reference: no resource types).
    b.add("ListRoles", &["iam:ListRoles"], ["*".to_owned()]);
    // A plan reads ahead with listings that show which of the app's pipelines, deployment
    // configurations, applications and rules exist; these list actions take no resource
    // (Service Authorization Reference: no resource types for ListPipelines, ListApplications,
    // ListDeploymentConfigs and ListRules; CodeArtifact's ListDomains and ListRepositories are
    // added below for an app with CodeArtifact resources).
    b.add(
        "ReadAheadListings",
        &[
            "codedeploy:ListApplications",
            "codedeploy:ListDeploymentConfigs",
            "codepipeline:ListPipelines",
            "events:ListRules",
        ],
        ["*".to_owned()],
    );

    let app_name = desired.app.name().as_str();
    let path = role_path(app_name).replace(REGION_VAR, region);
    let roles = format!("arn:{partition}:iam::{account}:role{path}*");
    b.add(
        "ManageRoles",
        &[
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:ListRoleTags",
            "iam:PutRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
        ],
        [roles.clone()],
    );

    let mut passed: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut pass = |service: &'static str, role: &RoleRef| {
        let arn = match role {
            RoleRef::Derived(_) => roles.clone(),
            RoleRef::Existing(arn) => arn.to_string(),
        };
        passed.entry(service).or_default().insert(arn);
    };
    for r in &desired.resources {
        let name = r.physical_name.as_str();
        match &r.spec {
            Definition::Repository(repo) => {
                let repo_arn = arn(ResourceKind::Repository, name);
                b.add(
                    "Repositories",
                    &[
                        "codecommit:BatchGetRepositories",
                        "codecommit:CreateRepository",
                        "codecommit:DeleteRepository",
                        "codecommit:GetRepository",
                        "codecommit:ListTagsForResource",
                        "codecommit:TagResource",
                        "codecommit:UntagResource",
                        "codecommit:UpdateRepositoryDescription",
                        "codecommit:UpdateRepositoryEncryptionKey",
                    ],
                    [repo_arn.clone()],
                );
                // `push` fetches the branch head and pushes a commit over Git (HTTPS).
                b.add(
                    "PushSource",
                    &["codecommit:GitPull", "codecommit:GitPush"],
                    [repo_arn],
                );
                if let Some(key) = &repo.kms_key {
                    // CodeCommit encrypts with the caller's permissions on a customer managed
                    // key (CodeCommit User Guide, "AWS KMS and encryption").
                    b.add(
                        "RepositoryKeys",
                        &[
                            "kms:Decrypt",
                            "kms:DescribeKey",
                            "kms:Encrypt",
                            "kms:GenerateDataKey",
                        ],
                        [key.to_string()],
                    );
                }
            }
            Definition::Bucket(_) => {
                let bucket = arn(ResourceKind::Bucket, name);
                b.add(
                    "ArtifactBuckets",
                    &[
                        // HeadBucket is authorized as s3:ListBucket; DeleteBucketLifecycle as
                        // s3:PutLifecycleConfiguration; ListObjectVersions as
                        // s3:ListBucketVersions (S3 User Guide, "Actions, resources and
                        // condition keys for Amazon S3").
                        "s3:CreateBucket",
                        "s3:DeleteBucket",
                        "s3:DeleteBucketPolicy",
                        "s3:GetBucketLocation",
                        "s3:GetBucketLogging",
                        "s3:GetBucketOwnershipControls",
                        "s3:GetBucketPolicy",
                        "s3:GetBucketPublicAccessBlock",
                        "s3:GetBucketTagging",
                        "s3:GetBucketVersioning",
                        "s3:GetEncryptionConfiguration",
                        "s3:GetLifecycleConfiguration",
                        "s3:ListBucket",
                        "s3:ListBucketVersions",
                        "s3:PutBucketLogging",
                        "s3:PutBucketOwnershipControls",
                        "s3:PutBucketPolicy",
                        "s3:PutBucketPublicAccessBlock",
                        "s3:PutBucketTagging",
                        "s3:PutBucketVersioning",
                        "s3:PutEncryptionConfiguration",
                        "s3:PutLifecycleConfiguration",
                        // CreateBucket with tags also needs s3:TagResource (S3 API Reference,
                        // CreateBucket: "Tags").
                        "s3:TagResource",
                    ],
                    [bucket.clone()],
                );
                // Destroy empties the bucket (DeleteObjects, every version).
                b.add(
                    "EmptyArtifactBuckets",
                    &["s3:DeleteObject", "s3:DeleteObjectVersion"],
                    [format!("{bucket}/*")],
                );
            }
            Definition::BucketPolicy { .. } => {}
            Definition::Project { role, .. } => {
                b.add(
                    "Projects",
                    &[
                        "codebuild:BatchGetBuilds",
                        "codebuild:BatchGetProjects",
                        "codebuild:CreateProject",
                        "codebuild:DeleteProject",
                        "codebuild:UpdateProject",
                    ],
                    [arn(ResourceKind::Project, name)],
                );
                pass("codebuild.amazonaws.com", role);
            }
            Definition::ImageRepository(_) => b.add(
                "ImageRepositories",
                &[
                    "ecr:CreateRepository",
                    "ecr:DeleteLifecyclePolicy",
                    "ecr:DeleteRepository",
                    "ecr:DeleteRepositoryPolicy",
                    "ecr:DescribeRepositories",
                    "ecr:GetLifecyclePolicy",
                    "ecr:GetRepositoryPolicy",
                    "ecr:ListTagsForResource",
                    "ecr:PutImageScanningConfiguration",
                    "ecr:PutImageTagMutability",
                    "ecr:PutLifecyclePolicy",
                    "ecr:SetRepositoryPolicy",
                    "ecr:TagResource",
                    "ecr:UntagResource",
                ],
                [arn(ResourceKind::ImageRepository, name)],
            ),
            Definition::ArtifactDomain(domain) => {
                b.add(
                    "ReadAheadListings",
                    &["codeartifact:ListDomains"],
                    ["*".to_owned()],
                );
                b.add(
                    "ArtifactDomains",
                    &[
                        "codeartifact:CreateDomain",
                        "codeartifact:DeleteDomain",
                        "codeartifact:DescribeDomain",
                        "codeartifact:ListRepositoriesInDomain",
                        "codeartifact:ListTagsForResource",
                        "codeartifact:TagResource",
                        "codeartifact:UntagResource",
                    ],
                    [arn(ResourceKind::ArtifactDomain, name)],
                );
                // Deleting the domain first deletes its repositories that carry the app's tag
                // (CodeArtifact refuses to delete a domain with repositories): their tags are
                // read, and they are deleted, under the domain's repository ARNs.
                b.add(
                    "ArtifactDomainRepositories",
                    &[
                        "codeartifact:DeleteRepository",
                        "codeartifact:ListTagsForResource",
                    ],
                    [format!("{}/*", arn(ResourceKind::ArtifactRepository, name))],
                );
                // CreateDomain with a key: "your IAM role must have kms:DescribeKey and
                // kms:CreateGrant permissions on the encryption key" (CodeArtifact API
                // Reference, CreateDomain: encryptionKey).
                if let Some(key) = &domain.encryption_key {
                    b.add(
                        "ArtifactDomainKeys",
                        &["kms:CreateGrant", "kms:DescribeKey"],
                        [key.to_string()],
                    );
                }
            }
            Definition::ArtifactRepository { .. } => {
                b.add(
                    "ReadAheadListings",
                    &["codeartifact:ListRepositories"],
                    ["*".to_owned()],
                );
                b.add(
                    "ArtifactRepositories",
                    &[
                        "codeartifact:AssociateExternalConnection",
                        // Naming a repository as an upstream is authorized on the upstream
                        // (CodeArtifact User Guide, "Add or remove upstream repositories").
                        "codeartifact:AssociateWithDownstreamRepository",
                        "codeartifact:CreateRepository",
                        "codeartifact:DeleteRepository",
                        "codeartifact:DescribeRepository",
                        "codeartifact:DisassociateExternalConnection",
                        "codeartifact:ListTagsForResource",
                        "codeartifact:TagResource",
                        "codeartifact:UntagResource",
                        "codeartifact:UpdateRepository",
                    ],
                    [arn(ResourceKind::ArtifactRepository, name)],
                );
            }
            Definition::ReportGroup { .. } => b.add(
                "ReportGroups",
                &[
                    "codebuild:BatchGetReportGroups",
                    "codebuild:BatchGetReports",
                    "codebuild:CreateReportGroup",
                    "codebuild:DeleteReportGroup",
                    "codebuild:UpdateReportGroup",
                ],
                [arn(ResourceKind::ReportGroup, name)],
            ),
            Definition::LogGroup { .. } => {
                b.add(
                    "LogGroups",
                    &[
                        "logs:AssociateKmsKey",
                        "logs:CreateLogGroup",
                        "logs:DeleteLogGroup",
                        "logs:DeleteRetentionPolicy",
                        "logs:DisassociateKmsKey",
                        "logs:GetLogEvents",
                        "logs:ListTagsForResource",
                        "logs:PutRetentionPolicy",
                        // CreateLogGroup with tags needs logs:TagResource.
                        "logs:TagResource",
                        "logs:UntagResource",
                    ],
                    [
                        regional("logs", &format!("log-group:{name}")),
                        regional("logs", &format!("log-group:{name}:*")),
                    ],
                );
                // DescribeLogGroups filters by name prefix and is authorized on the account's
                // log groups as a whole (CloudWatch Logs API Reference: resource `log-group:*`).
                b.add(
                    "DescribeLogGroups",
                    &["logs:DescribeLogGroups"],
                    [regional("logs", "log-group:*")],
                );
            }
            Definition::Application(_) => b.add(
                "DeployApplications",
                &[
                    "codedeploy:BatchGetApplications",
                    "codedeploy:CreateApplication",
                    "codedeploy:DeleteApplication",
                    "codedeploy:GetApplication",
                    "codedeploy:ListTagsForResource",
                    "codedeploy:TagResource",
                    "codedeploy:UntagResource",
                ],
                [arn(ResourceKind::Application, name)],
            ),
            Definition::DeploymentConfig(_) => b.add(
                "DeploymentConfigs",
                &[
                    "codedeploy:CreateDeploymentConfig",
                    "codedeploy:DeleteDeploymentConfig",
                    "codedeploy:GetDeploymentConfig",
                ],
                [arn(ResourceKind::DeploymentConfig, name)],
            ),
            Definition::DeploymentGroup {
                group,
                config,
                role,
                ..
            } => {
                b.add(
                    "DeploymentGroups",
                    &[
                        "codedeploy:BatchGetDeploymentGroups",
                        "codedeploy:BatchGetDeploymentTargets",
                        "codedeploy:CreateDeploymentGroup",
                        "codedeploy:DeleteDeploymentGroup",
                        "codedeploy:GetDeployment",
                        "codedeploy:GetDeploymentGroup",
                        "codedeploy:ListDeploymentTargets",
                        "codedeploy:ListTagsForResource",
                        "codedeploy:TagResource",
                        "codedeploy:UntagResource",
                        "codedeploy:UpdateDeploymentGroup",
                    ],
                    [arn(
                        ResourceKind::DeploymentGroup,
                        &format!("{}/{}", group.application_name, group.name),
                    )],
                );
                if let ResolvedConfig::Predefined(n) = config {
                    b.add(
                        "DeploymentConfigs",
                        &["codedeploy:GetDeploymentConfig"],
                        [arn(ResourceKind::DeploymentConfig, n)],
                    );
                }
                pass("codedeploy.amazonaws.com", role);
            }
            Definition::Pipeline { role, .. } => {
                let pipeline = arn(ResourceKind::Pipeline, name);
                b.add(
                    "Pipelines",
                    &[
                        "codepipeline:CreatePipeline",
                        "codepipeline:DeletePipeline",
                        "codepipeline:GetPipeline",
                        "codepipeline:GetPipelineExecution",
                        "codepipeline:GetPipelineState",
                        "codepipeline:ListPipelineExecutions",
                        "codepipeline:ListTagsForResource",
                        "codepipeline:StartPipelineExecution",
                        "codepipeline:StopPipelineExecution",
                        "codepipeline:TagResource",
                        "codepipeline:UntagResource",
                        "codepipeline:UpdatePipeline",
                    ],
                    [pipeline.clone()],
                );
                // Transitions and retries are authorized on the stage
                // (`<pipeline>/<stage>`), approvals on the action
                // (`<pipeline>/<stage>/<action>`).
                b.add(
                    "PipelineStages",
                    &[
                        "codepipeline:DisableStageTransition",
                        "codepipeline:EnableStageTransition",
                        "codepipeline:PutApprovalResult",
                        "codepipeline:RetryStageExecution",
                    ],
                    [format!("{pipeline}/*")],
                );
                pass("codepipeline.amazonaws.com", role);
            }
            Definition::EventRule(rule) => {
                b.add(
                    "ChangeRules",
                    &[
                        "events:DeleteRule",
                        "events:DescribeRule",
                        "events:ListTagsForResource",
                        "events:ListTargetsByRule",
                        "events:PutRule",
                        "events:PutTargets",
                        "events:RemoveTargets",
                        "events:TagResource",
                        "events:UntagResource",
                    ],
                    [arn(ResourceKind::EventRule, name)],
                );
                pass("events.amazonaws.com", &rule.role);
            }
            Definition::Role(_) => {}
        }
    }
    // Handing each service its role: only the app's roles (and the existing roles the model
    // names), only to the services that assume them.
    let services: BTreeSet<&str> = passed.keys().copied().collect();
    b.add(
        "PassServiceRoles",
        &["iam:PassRole"],
        passed.into_values().flatten(),
    );
    for service in services {
        b.condition(
            "PassServiceRoles",
            "StringEquals",
            "iam:PassedToService",
            service,
        );
    }
    b.finish()
}
