//! Every resource kind pipewright manages, and everything known about each kind, in one table.
//!
//! A kind's word, CloudFormation type, tagging, diff rules, name property, parent, delete rank
//! and ARN format are all in [`ResourceKind::info`]: the engine, the providers, synthesis and
//! validation read them from there, so adding a kind is one entry here plus its service file in
//! `provider/aws/` (see `DESIGN.md`).

/// The tag naming the app that owns a resource: the ownership scope.
pub const TAG_APP: &str = "pipewright:app";
/// The tag naming a resource's logical id within its app.
pub const TAG_ID: &str = "pipewright:id";

/// The kind of an AWS resource pipewright manages: those a user adds to an [`App`](super::App)
/// and those derived from them (roles, bucket policies, change-detection rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    /// `AWS::CodeCommit::Repository`.
    Repository,
    /// `AWS::S3::Bucket`.
    Bucket,
    /// `AWS::S3::BucketPolicy` (the TLS-only policy of an artifact bucket).
    BucketPolicy,
    /// `AWS::CodeBuild::Project`.
    Project,
    /// `AWS::CodeDeploy::Application`.
    Application,
    /// `AWS::CodeDeploy::DeploymentConfig`.
    DeploymentConfig,
    /// `AWS::CodeDeploy::DeploymentGroup`.
    DeploymentGroup,
    /// `AWS::CodePipeline::Pipeline`.
    Pipeline,
    /// `AWS::IAM::Role` with its inline policy.
    Role,
    /// `AWS::Events::Rule` starting a pipeline on a push.
    EventRule,
    /// `AWS::Logs::LogGroup`: the CloudWatch Logs group a CodeBuild project writes to.
    LogGroup,
    /// `AWS::CodeBuild::ReportGroup`: a group of a CodeBuild project's test or coverage reports.
    ReportGroup,
    /// `AWS::ECR::Repository`: an Amazon ECR repository of container images.
    ImageRepository,
    /// `AWS::CodeArtifact::Domain`: the AWS CodeArtifact domain of package repositories.
    ArtifactDomain,
    /// `AWS::CodeArtifact::Repository`: an AWS CodeArtifact repository of packages.
    ArtifactRepository,
}

/// How the diff treats a kind's properties (from the CloudFormation registry schemas).
#[derive(Debug, Clone, Copy)]
pub struct KindRules {
    /// Create-only properties: a change to one forces a replacement. The property naming the
    /// resource, if its name is create-only, comes first (a rename is planned by it).
    pub create_only: &'static [&'static str],
    /// Lists compared as sets; `*` matches one step, `**` any number of steps.
    pub sets: &'static [&'static str],
    /// Properties the model describes entirely: fields inside them that the model does not set
    /// must be absent, so they are not taken for server-side defaults.
    pub exact: &'static [&'static str],
    /// Values AWS keeps as strings whatever the template gave (CodePipeline's action
    /// configuration turns `false` into `"false"`): booleans and numbers there compare as text.
    pub strings: &'static [&'static str],
}

/// Which parts of an ARN a kind fills in besides the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArnScope {
    /// Region and account: `arn:aws:codebuild:eu-west-1:123456789012:project/x`.
    Regional,
    /// The account only (global services such as IAM): `arn:aws:iam::123456789012:role/x`.
    Account,
    /// Neither (S3 buckets): `arn:aws:s3:::x`.
    Partition,
}

/// The ARN of a kind's resources: `arn:<partition>:<service>:<region>:<account>:<prefix><name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArnFormat {
    /// The service prefix, such as `codebuild`.
    pub service: &'static str,
    /// Which of region and account the ARN names.
    pub scope: ArnScope,
    /// What precedes the physical name in the resource part, such as `project/`.
    pub prefix: &'static str,
    /// Whether a path may stand between the prefix and the name (IAM: `role/<path>/<name>`).
    pub path: bool,
}

/// Where a kind that cannot carry tags keeps its ownership: a record on a resource of another
/// kind of the same app that can.
///
/// Deployment configurations take no tags, so a run could only find one under a name the model
/// still has: one the model dropped was neither pruned nor destroyed, and one someone else made
/// under a name the model wants was taken for the app's. The record is a tag on the app's
/// CodeDeploy application, `<key_prefix><config name>` = the config's logical id, because the
/// application is what the configuration serves, carries the app's `pipewright:app` tag (so the
/// tagging API's listing of the app returns the records with no extra call), and outlives its
/// configurations in every delete order (it is deleted after them). A configuration is then the
/// app's exactly when such a record names it, as a tagged resource is when its tags do; a
/// same-named configuration without a record is someone else's and never touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnershipRecord {
    /// The kind of resource that holds the record.
    pub host: ResourceKind,
    /// The record's tag key before the recorded resource's physical name.
    pub key_prefix: &'static str,
}

/// How a provider reads many resources of a kind at once, before a plan reads each one: fewer
/// calls (and AWS quota) per resource, and none at all for a resource that a listing shows is
/// absent. The AWS provider follows it (`provider::aws`); a provider that knows no better
/// reads one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkRead {
    /// Each resource is read by itself (S3 has no call that reads many buckets).
    One,
    /// A batch call reads up to `per_call` resources (`BatchGetProjects`: 100) and answers for
    /// each, present or absent.
    Batch {
        /// The most resources one call takes, as the API reference gives it.
        per_call: usize,
    },
    /// A listing (by name prefix where AWS offers one, every page) shows which resources exist,
    /// with part of what a read returns; only those that exist are then read, for the rest.
    Listing,
}

/// Everything pipewright knows about one resource kind.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    /// A short lower-case word for messages: `bucket`, `deployment group`, …
    pub word: &'static str,
    /// The word in validation paths and logical ids of the model: `deployment_group[prod]`.
    pub path_word: &'static str,
    /// The CloudFormation resource type.
    pub cfn_type: &'static str,
    /// Whether the resource carries tags (and so `pipewright:app` / `pipewright:id`).
    pub taggable: bool,
    /// The diff rules.
    pub rules: KindRules,
    /// The kind whose deletion deletes this one, with the property naming it: a parent
    /// recreated under the same name needs its children recreated too.
    pub parent: Option<(ResourceKind, &'static str)>,
    /// The order in which kinds are deleted when the model does not say (resources it no
    /// longer has): users before what they use, consistent with every dependency the model
    /// derives. Lower goes first.
    pub delete_rank: u8,
    /// The ARN format, `None` for a kind that has no ARN of its own (a bucket policy).
    pub arn: Option<ArnFormat>,
    /// For a kind that carries no tags, where its ownership is recorded instead; `None` for the
    /// kinds that carry tags and for those owned through their parent (a bucket policy).
    pub record: Option<OwnershipRecord>,
    /// How many of them are read at once.
    pub bulk: BulkRead,
}

const fn arn(service: &'static str, scope: ArnScope, prefix: &'static str) -> Option<ArnFormat> {
    Some(ArnFormat {
        service,
        scope,
        prefix,
        path: false,
    })
}

impl ResourceKind {
    /// Every kind, in declaration order.
    pub const ALL: [ResourceKind; 15] = [
        Self::Repository,
        Self::Bucket,
        Self::BucketPolicy,
        Self::Project,
        Self::Application,
        Self::DeploymentConfig,
        Self::DeploymentGroup,
        Self::Pipeline,
        Self::Role,
        Self::EventRule,
        Self::LogGroup,
        Self::ReportGroup,
        Self::ImageRepository,
        Self::ArtifactDomain,
        Self::ArtifactRepository,
    ];

    /// Everything known about this kind: the one table.
    #[must_use]
    pub const fn info(self) -> &'static KindInfo {
        use ArnScope::{Account, Partition, Regional};
        match self {
            Self::Repository => {
                const {
                    &KindInfo {
                        word: "repository",
                        path_word: "repository",
                        cfn_type: "AWS::CodeCommit::Repository",
                        taggable: true,
                        rules: KindRules {
                            create_only: &[],
                            sets: &["/Tags"],
                            exact: &["/RepositoryDescription"],
                            strings: &[],
                        },
                        parent: None,
                        delete_rank: 7,
                        arn: arn("codecommit", Regional, ""),
                        record: None,
                        bulk: BulkRead::Batch { per_call: 25 },
                    }
                }
            }
            Self::Bucket => {
                const {
                    &KindInfo {
                        word: "bucket",
                        path_word: "bucket",
                        cfn_type: "AWS::S3::Bucket",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/BucketName"],
                            sets: &[
                                "/Tags",
                                "/LifecycleConfiguration/Rules",
                                "/BucketEncryption/ServerSideEncryptionConfiguration",
                            ],
                            exact: &[
                                "/BucketEncryption",
                                "/PublicAccessBlockConfiguration",
                                "/VersioningConfiguration",
                                "/LifecycleConfiguration",
                                "/LoggingConfiguration",
                            ],
                            strings: &[],
                        },
                        parent: None,
                        delete_rank: 7,
                        arn: arn("s3", Partition, ""),
                        record: None,
                        bulk: BulkRead::One,
                    }
                }
            }
            Self::BucketPolicy => {
                const {
                    &KindInfo {
                        word: "bucket policy",
                        path_word: "bucket_policy",
                        cfn_type: "AWS::S3::BucketPolicy",
                        taggable: false,
                        rules: KindRules {
                            create_only: &["/Bucket"],
                            sets: &[
                                "/PolicyDocument/Statement",
                                "/PolicyDocument/Statement/*/Action",
                                "/PolicyDocument/Statement/*/Resource",
                                "/PolicyDocument/Statement/*/Condition/*/*",
                            ],
                            exact: &["/PolicyDocument"],
                            strings: &[],
                        },
                        parent: Some((Self::Bucket, "/Bucket")),
                        delete_rank: 6,
                        arn: None,
                        record: None,
                        bulk: BulkRead::One,
                    }
                }
            }
            Self::Project => {
                const {
                    &KindInfo {
                        word: "project",
                        path_word: "project",
                        cfn_type: "AWS::CodeBuild::Project",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/Name"],
                            sets: &[
                                "/Tags",
                                "/Cache/Modes",
                                "/VpcConfig/Subnets",
                                "/VpcConfig/SecurityGroupIds",
                            ],
                            exact: &[
                                "/Description",
                                "/Cache",
                                "/VpcConfig",
                                "/Source/BuildSpec",
                                "/Source/Location",
                                "/Environment/EnvironmentVariables",
                                "/EncryptionKey",
                                // The provider reads AWS's defaults of these as absent, so that
                                // a removal is a change (and sends the default back).
                                "/LogsConfig",
                                "/TimeoutInMinutes",
                                "/QueuedTimeoutInMinutes",
                            ],
                            strings: &[],
                        },
                        parent: None,
                        delete_rank: 3,
                        arn: arn("codebuild", Regional, "project/"),
                        record: None,
                        bulk: BulkRead::Batch { per_call: 100 },
                    }
                }
            }
            Self::Application => {
                const {
                    &KindInfo {
                        word: "application",
                        path_word: "application",
                        cfn_type: "AWS::CodeDeploy::Application",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/ApplicationName", "/ComputePlatform"],
                            sets: &["/Tags"],
                            exact: &[],
                            strings: &[],
                        },
                        parent: None,
                        delete_rank: 5,
                        arn: arn("codedeploy", Regional, "application:"),
                        record: None,
                        bulk: BulkRead::Batch { per_call: 100 },
                    }
                }
            }
            Self::DeploymentConfig => {
                const {
                    &KindInfo {
                        word: "deployment config",
                        path_word: "deployment_config",
                        cfn_type: "AWS::CodeDeploy::DeploymentConfig",
                        taggable: false,
                        rules: KindRules {
                            create_only: &[
                                "/DeploymentConfigName",
                                "/ComputePlatform",
                                "/MinimumHealthyHosts",
                                "/TrafficRoutingConfig",
                                "/ZonalConfig",
                            ],
                            // The owner tags its record stands for (`record` below).
                            sets: &["/Tags"],
                            exact: &["/MinimumHealthyHosts", "/TrafficRoutingConfig"],
                            strings: &[],
                        },
                        parent: None,
                        delete_rank: 4,
                        arn: arn("codedeploy", Regional, "deploymentconfig:"),
                        record: Some(OwnershipRecord {
                            host: Self::Application,
                            key_prefix: "pipewright:deploymentconfig:",
                        }),
                        bulk: BulkRead::Listing,
                    }
                }
            }
            Self::DeploymentGroup => {
                const {
                    &KindInfo {
                        word: "deployment group",
                        path_word: "deployment_group",
                        cfn_type: "AWS::CodeDeploy::DeploymentGroup",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/DeploymentGroupName", "/ApplicationName"],
                            sets: &[
                                "/Tags",
                                "/Ec2TagFilters",
                                "/OnPremisesInstanceTagFilters",
                                "/AutoScalingGroups",
                                "/ECSServices",
                                "/AutoRollbackConfiguration/Events",
                                "/AlarmConfiguration/Alarms",
                            ],
                            exact: &[
                                "/Ec2TagFilters",
                                "/OnPremisesInstanceTagFilters",
                                "/AutoScalingGroups",
                                "/ECSServices",
                                "/LoadBalancerInfo",
                                "/BlueGreenDeploymentConfiguration",
                                "/AlarmConfiguration",
                                "/AutoRollbackConfiguration",
                            ],
                            strings: &[],
                        },
                        parent: Some((Self::Application, "/ApplicationName")),
                        delete_rank: 2,
                        // The physical name `<application>/<group>` is also the ARN's resource part.
                        arn: arn("codedeploy", Regional, "deploymentgroup:"),
                        record: None,
                        bulk: BulkRead::Batch { per_call: 25 },
                    }
                }
            }
            Self::Pipeline => {
                const {
                    &KindInfo {
                        word: "pipeline",
                        path_word: "pipeline",
                        cfn_type: "AWS::CodePipeline::Pipeline",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/Name"],
                            // Whole lists: the provider re-enables the stages an old list has and a new
                            // one lacks.
                            sets: &["/Tags", "/DisableInboundStageTransitions"],
                            exact: &[
                                "/ArtifactStore",
                                "/Stages",
                                "/Variables",
                                "/DisableInboundStageTransitions",
                            ],
                            strings: &["/Stages/*/Actions/*/Configuration/*"],
                        },
                        parent: None,
                        delete_rank: 1,
                        arn: arn("codepipeline", Regional, ""),
                        record: None,
                        bulk: BulkRead::Listing,
                    }
                }
            }
            Self::Role => {
                const {
                    &KindInfo {
                        word: "role",
                        path_word: "role",
                        cfn_type: "AWS::IAM::Role",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/RoleName", "/Path"],
                            sets: &[
                                "/Tags",
                                "/Policies",
                                "/AssumeRolePolicyDocument/Statement",
                                "/AssumeRolePolicyDocument/Statement/*/Action",
                                "/Policies/*/PolicyDocument/Statement",
                                "/Policies/*/PolicyDocument/Statement/*/Action",
                                "/Policies/*/PolicyDocument/Statement/*/Resource",
                                "/Policies/*/PolicyDocument/Statement/*/Condition/*/*",
                            ],
                            exact: &["/Description", "/AssumeRolePolicyDocument", "/Policies"],
                            strings: &[],
                        },
                        parent: None,
                        delete_rank: 8,
                        arn: Some(ArnFormat {
                            service: "iam",
                            scope: Account,
                            prefix: "role/",
                            path: true,
                        }),
                        record: None,
                        bulk: BulkRead::Listing,
                    }
                }
            }
            Self::EventRule => {
                const {
                    &KindInfo {
                        word: "event rule",
                        path_word: "event_rule",
                        cfn_type: "AWS::Events::Rule",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/Name"],
                            sets: &["/Tags", "/Targets", "/EventPattern/**"],
                            exact: &["/Description", "/EventPattern", "/Targets"],
                            strings: &[],
                        },
                        parent: None,
                        delete_rank: 0,
                        arn: arn("events", Regional, "rule/"),
                        record: None,
                        bulk: BulkRead::Listing,
                    }
                }
            }
            Self::LogGroup => {
                const {
                    &KindInfo {
                        word: "log group",
                        path_word: "log_group",
                        cfn_type: "AWS::Logs::LogGroup",
                        taggable: true,
                        rules: KindRules {
                            create_only: &["/LogGroupName", "/LogGroupClass"],
                            sets: &["/Tags"],
                            // Absent means "kept forever" and "no customer key": a removal
                            // from the model is a change that the provider sends.
                            exact: &["/RetentionInDays", "/KmsKeyId"],
                            strings: &[],
                        },
                        parent: None,
                        // After the projects that write to it.
                        delete_rank: 7,
                        // The tagging API and TagResource name a group without the `:*` that
                        // DescribeLogGroups appends (CloudWatch Logs API Reference, TagResource).
                        arn: arn("logs", Regional, "log-group:"),
                        record: None,
                        bulk: BulkRead::Listing,
                    }
                }
            }
            Self::ReportGroup => {
                const {
                    &KindInfo {
                        word: "report group",
                        path_word: "report_group",
                        cfn_type: "AWS::CodeBuild::ReportGroup",
                        taggable: true,
                        rules: KindRules {
                            // CloudFormation: `Name` and `Type` require replacement; the export
                            // and tags are updated in place (UpdateReportGroup).
                            create_only: &["/Name", "/Type"],
                            sets: &["/Tags"],
                            exact: &["/ExportConfig"],
                            strings: &[],
                        },
                        parent: None,
                        // After the projects that publish to it, before the bucket it exports to.
                        delete_rank: 6,
                        arn: arn("codebuild", Regional, "report-group/"),
                        record: None,
                        bulk: BulkRead::Batch { per_call: 100 },
                    }
                }
            }
            Self::ImageRepository => {
                const {
                    &KindInfo {
                        word: "image repository",
                        path_word: "image_repository",
                        cfn_type: "AWS::ECR::Repository",
                        taggable: true,
                        rules: KindRules {
                            // CloudFormation registry schema: `RepositoryName` and
                            // `EncryptionConfiguration` are create-only; mutability, scanning,
                            // the lifecycle and repository policies and tags change in place.
                            create_only: &["/RepositoryName", "/EncryptionConfiguration"],
                            sets: &[
                                "/Tags",
                                "/RepositoryPolicyText/Statement",
                                "/RepositoryPolicyText/Statement/*/Action",
                                "/RepositoryPolicyText/Statement/*/Resource",
                            ],
                            // Absent means "no policy" and "AWS's key": a removal from the
                            // model is a change the provider sends.
                            exact: &[
                                "/EncryptionConfiguration",
                                "/LifecyclePolicy",
                                "/RepositoryPolicyText",
                            ],
                            strings: &[],
                        },
                        parent: None,
                        // After the projects that push to it and the deployments that pull.
                        delete_rank: 7,
                        arn: arn("ecr", Regional, "repository/"),
                        record: None,
                        // DescribeRepositories fails whole when one name does not exist.
                        bulk: BulkRead::One,
                    }
                }
            }
            Self::ArtifactDomain => {
                const {
                    &KindInfo {
                        word: "artifact domain",
                        path_word: "artifact_domain",
                        cfn_type: "AWS::CodeArtifact::Domain",
                        taggable: true,
                        rules: KindRules {
                            // CloudFormation registry schema: `DomainName` and `EncryptionKey`
                            // are create-only. Without a key AWS uses its managed one and
                            // DescribeDomain names it: the key is not `exact`, so that is not
                            // taken for a change.
                            create_only: &["/DomainName", "/EncryptionKey"],
                            sets: &["/Tags"],
                            exact: &[],
                            strings: &[],
                        },
                        parent: None,
                        // After its repositories (DeleteDomain refuses a domain that has any).
                        delete_rank: 9,
                        arn: arn("codeartifact", Regional, "domain/"),
                        record: None,
                        // ListDomains answers with everything DescribeDomain does but tags.
                        bulk: BulkRead::Listing,
                    }
                }
            }
            Self::ArtifactRepository => {
                const {
                    &KindInfo {
                        word: "artifact repository",
                        path_word: "artifact_repository",
                        cfn_type: "AWS::CodeArtifact::Repository",
                        taggable: true,
                        rules: KindRules {
                            // CloudFormation registry schema: `RepositoryName`, `DomainName` and
                            // `DomainOwner` are create-only; the description, upstreams and
                            // external connections change in place. Upstreams are searched in
                            // order, so they are a list, not a set.
                            create_only: &["/RepositoryName", "/DomainName"],
                            sets: &["/Tags"],
                            // Absent means "none": a removal from the model is a change.
                            exact: &["/Description", "/Upstreams", "/ExternalConnections"],
                            strings: &[],
                        },
                        parent: Some((Self::ArtifactDomain, "/DomainName")),
                        // After the projects that read from or publish to it, before its
                        // domain.
                        delete_rank: 7,
                        arn: arn("codeartifact", Regional, "repository/"),
                        record: None,
                        // ListRepositories (by name prefix) shows which exist; a read then
                        // asks DescribeRepository for the upstreams and connection.
                        bulk: BulkRead::Listing,
                    }
                }
            }
        }
    }

    /// A short lower-case word for messages: `bucket`, `deployment group`, …
    #[must_use]
    pub const fn word(self) -> &'static str {
        self.info().word
    }

    /// The CloudFormation resource type.
    #[must_use]
    pub const fn cfn_type(self) -> &'static str {
        self.info().cfn_type
    }

    /// Whether the resource carries tags (and so `pipewright:app` / `pipewright:id`).
    #[must_use]
    pub const fn taggable(self) -> bool {
        self.info().taggable
    }

    /// Whether a resource of this kind names its owner in tags: its own, or those of its
    /// [`OwnershipRecord`]. The others (a bucket policy) are the app's by name.
    #[must_use]
    pub const fn has_owner_tags(self) -> bool {
        self.info().taggable || self.info().record.is_some()
    }

    /// The diff rules of this kind.
    #[must_use]
    pub const fn rules(self) -> KindRules {
        self.info().rules
    }

    /// The property naming the resource, when a new name means a new resource: the first
    /// create-only one.
    #[must_use]
    pub fn name_property(self) -> Option<&'static str> {
        self.info().rules.create_only.first().copied()
    }

    /// The ARN of the resource named `name`, for a concrete (or placeholder) partition, region
    /// and account; `None` for a kind without an ARN of its own.
    #[must_use]
    pub fn arn(self, partition: &str, region: &str, account: &str, name: &str) -> Option<String> {
        let f = self.info().arn?;
        Some(render_arn(
            partition,
            f.service,
            f.scope,
            region,
            account,
            &format!("{}{name}", f.prefix),
        ))
    }

    /// The kind and physical name of a resource pipewright manages, from its ARN; `None` for an
    /// ARN of any other kind of resource.
    #[must_use]
    pub fn from_arn(arn: &str) -> Option<(Self, String)> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", _, service, _, _, resource] = parts.as_slice() else {
            return None;
        };
        // The longest matching prefix wins: `deploymentgroup:` before an empty one.
        Self::ALL
            .iter()
            .filter_map(|&k| {
                let f = k.info().arn?;
                let rest = resource.strip_prefix(f.prefix)?;
                (f.service == *service && !rest.is_empty()).then_some((k, f, rest))
            })
            .max_by_key(|(_, f, _)| f.prefix.len())
            .and_then(|(k, f, rest)| {
                let name = if f.path {
                    rest.rsplit('/').next()?
                } else {
                    rest
                };
                (!name.is_empty()).then(|| (k, name.to_owned()))
            })
    }
}

/// The one place an ARN is put together: `arn:<partition>:<service>:<region>:<account>:<resource>`,
/// with region and account left empty as `scope` says. The parts may be concrete values or
/// CloudFormation placeholders such as `${AWS::Region}`.
#[must_use]
pub fn render_arn(
    partition: &str,
    service: &str,
    scope: ArnScope,
    region: &str,
    account: &str,
    resource: &str,
) -> String {
    let (region, account) = match scope {
        ArnScope::Regional => (region, account),
        ArnScope::Account => ("", account),
        ArnScope::Partition => ("", ""),
    };
    format!("arn:{partition}:{service}:{region}:{account}:{resource}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip_through_the_table() {
        for kind in ResourceKind::ALL {
            let name = match kind {
                ResourceKind::DeploymentGroup => "shop/production",
                _ => "shop-x",
            };
            let Some(arn) = kind.arn("aws", "eu-west-1", "123456789012", name) else {
                assert_eq!(
                    kind,
                    ResourceKind::BucketPolicy,
                    "only a bucket policy has no ARN"
                );
                continue;
            };
            assert_eq!(
                ResourceKind::from_arn(&arn),
                Some((kind, name.to_owned())),
                "{arn}"
            );
        }
    }

    #[test]
    fn arns_name_the_kind_and_physical_name() {
        let cases = [
            (
                "arn:aws:s3:::shop-artifacts-0001",
                ResourceKind::Bucket,
                "shop-artifacts-0001",
            ),
            (
                "arn:aws:iam::123456789012:role/shop-pipeline-shop",
                ResourceKind::Role,
                "shop-pipeline-shop",
            ),
            (
                "arn:aws:iam::123456789012:role/pipewright/shop/shop-build",
                ResourceKind::Role,
                "shop-build",
            ),
            (
                "arn:aws:codecommit:eu-west-1:123456789012:shop-api",
                ResourceKind::Repository,
                "shop-api",
            ),
            (
                "arn:aws:codebuild:eu-west-1:123456789012:project/shop-build",
                ResourceKind::Project,
                "shop-build",
            ),
            (
                "arn:aws:codedeploy:eu-west-1:123456789012:application:shop",
                ResourceKind::Application,
                "shop",
            ),
            (
                "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/production",
                ResourceKind::DeploymentGroup,
                "shop/production",
            ),
            (
                "arn:aws:codepipeline:eu-west-1:123456789012:shop",
                ResourceKind::Pipeline,
                "shop",
            ),
            (
                "arn:aws:events:eu-west-1:123456789012:rule/shop-shop-Checkout",
                ResourceKind::EventRule,
                "shop-shop-Checkout",
            ),
            (
                "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/shop-build",
                ResourceKind::LogGroup,
                "/aws/codebuild/shop-build",
            ),
            (
                "arn:aws:codebuild:eu-west-1:123456789012:report-group/shop-build-unit",
                ResourceKind::ReportGroup,
                "shop-build-unit",
            ),
            (
                "arn:aws:ecr:eu-west-1:123456789012:repository/shop/web",
                ResourceKind::ImageRepository,
                "shop/web",
            ),
            (
                "arn:aws:codeartifact:eu-west-1:123456789012:domain/shop",
                ResourceKind::ArtifactDomain,
                "shop",
            ),
            (
                "arn:aws:codeartifact:eu-west-1:123456789012:repository/shop/libs",
                ResourceKind::ArtifactRepository,
                "shop/libs",
            ),
        ];
        for (arn, kind, name) in cases {
            assert_eq!(
                ResourceKind::from_arn(arn),
                Some((kind, name.to_owned())),
                "{arn}"
            );
        }
        for other in [
            "arn:aws:sns:eu-west-1:1:topic",
            "not an arn",
            "arn:aws:iam::1:user/someone",
            "arn:aws:codedeploy:eu-west-1:1:application:",
        ] {
            assert_eq!(ResourceKind::from_arn(other), None, "{other}");
        }
    }

    #[test]
    fn every_parent_is_deleted_after_its_children() {
        for kind in ResourceKind::ALL {
            if let Some((parent, property)) = kind.info().parent {
                assert!(
                    parent.info().delete_rank > kind.info().delete_rank,
                    "{kind:?}"
                );
                assert!(kind.rules().create_only.contains(&property), "{kind:?}");
            }
        }
    }
}
