//! Renders the desired state as CloudFormation resources.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::cfn::*;
use crate::model::{
    ActionKind, AppName, Arn, BucketRef, BuildSource, BuildSpec, Cache, ConfigRule, Definition,
    DesiredResource, Encryption, HealthyHosts, ImageEncryption, LogicalId, ResourceKind, RoleRef,
    SourceFormat, TagFilter, Tags, Target, TrafficRouting, action_env_json,
};
use crate::model::{ChangeDetection, RolePurpose, Statement};

pub use crate::model::{TAG_APP, TAG_ID};

/// Tracks which logical ids a resource's properties refer to, so that only the remaining
/// dependencies become an explicit `DependsOn`.
#[derive(Default)]
pub(crate) struct Refs(BTreeSet<String>);

impl Refs {
    fn r(&mut self, id: &LogicalId) -> Expr {
        self.0.insert(id.to_string());
        Expr::Ref(id.to_string())
    }

    fn att(&mut self, id: &LogicalId, attr: &str) -> Expr {
        self.0.insert(id.to_string());
        Expr::GetAtt(id.to_string(), attr.to_owned())
    }

    fn role(&mut self, role: &RoleRef) -> Expr {
        match role {
            RoleRef::Derived(id) => self.att(id, "Arn"),
            RoleRef::Existing(arn) => Expr::Str(arn.to_string()),
        }
    }
}

fn arn_expr(a: &Arn) -> Expr {
    match a {
        Arn::Any | Arn::Literal(_) => Expr::Str(a.render("", "", "")),
        Arn::Scoped { .. } => {
            Expr::Sub(a.render("${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"))
        }
    }
}

fn tags(app: &AppName, id: &LogicalId, user: &Tags) -> Vec<Tag> {
    let mut out: Vec<Tag> = user
        .iter()
        .map(|(k, v)| Tag {
            key: k.to_string(),
            value: v.to_owned(),
        })
        .collect();
    out.push(Tag {
        key: TAG_APP.into(),
        value: app.to_string(),
    });
    out.push(Tag {
        key: TAG_ID.into(),
        value: id.to_string(),
    });
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn skip(ids: &[(&'static str, &'static str)]) -> Option<CheckovSkips> {
    (!ids.is_empty()).then(|| CheckovSkips {
        skip: ids
            .iter()
            .map(|(id, comment)| CheckovSkip { id, comment })
            .collect(),
    })
}

fn named(key: &'static str, v: impl Into<String>) -> BTreeMap<&'static str, String> {
    BTreeMap::from([(key, v.into())])
}

fn tag_filters(filters: &[TagFilter]) -> Option<Value> {
    (!filters.is_empty()).then(|| {
        Value::Array(
            filters
                .iter()
                .map(|f| match f {
                    TagFilter::KeyAndValue(k, v) => {
                        json!({"Key": k, "Value": v, "Type": "KEY_AND_VALUE"})
                    }
                    TagFilter::KeyOnly(k) => json!({"Key": k, "Type": "KEY_ONLY"}),
                    TagFilter::ValueOnly(v) => json!({"Value": v, "Type": "VALUE_ONLY"}),
                })
                .collect(),
        )
    })
}

fn policy(statements: &[Statement]) -> PolicyDocument {
    PolicyDocument {
        version: "2012-10-17",
        statement: statements
            .iter()
            .map(|s| PolicyStatement {
                sid: Some(s.sid),
                effect: "Allow",
                principal: None,
                action: s.actions.clone(),
                resource: s.resources.iter().map(arn_expr).collect(),
                condition: s.condition.as_ref().map(|(op, key, values)| {
                    BTreeMap::from([(
                        *op,
                        BTreeMap::from([(*key, values.iter().map(arn_expr).collect())]),
                    )])
                }),
            })
            .collect(),
    }
}

/// Renders one desired resource.
pub(crate) fn render(app: &AppName, d: &DesiredResource<'_>) -> CfnResource {
    let mut refs = Refs::default();
    let mut metadata = Metadata::default();
    let mut deletion = None;
    let properties = match &d.spec {
        Definition::Repository(r) => Properties::Repository(RepositoryProps {
            repository_name: r.name.to_string(),
            repository_description: r.description.clone(),
            kms_key_id: r.kms_key.as_ref().map(ToString::to_string),
            tags: tags(app, &d.id, &r.tags),
        }),
        Definition::ImageRepository(r) => {
            let encryption = match &r.encryption {
                ImageEncryption::Aes256 => json!({"EncryptionType": "AES256"}),
                ImageEncryption::Kms(k) => json!({"EncryptionType": "KMS", "KmsKey": k.as_str()}),
            };
            if matches!(r.encryption, ImageEncryption::Aes256) {
                metadata.checkov = skip(&[(
                    "CKV_AWS_136",
                    "images are encrypted at rest with AES-256 (ECR's default); a customer managed key is ImageRepositoryBuilder::kms_key",
                )]);
            }
            Properties::ImageRepository(ImageRepositoryProps {
                repository_name: r.name.to_string(),
                image_tag_mutability: r.tag_mutability.as_str(),
                image_scanning_configuration: json!({"ScanOnPush": r.scan_on_push}),
                encryption_configuration: encryption,
                lifecycle_policy: r
                    .lifecycle
                    .render()
                    .map(|text| json!({"LifecyclePolicyText": text})),
                repository_policy_text: r.policy.clone(),
                // Destroy deletes the images with the repository.
                empty_on_delete: true,
                tags: tags(app, &d.id, &r.tags),
            })
        }
        Definition::ArtifactDomain(domain) => Properties::ArtifactDomain(ArtifactDomainProps {
            domain_name: domain.name.to_string(),
            encryption_key: domain.encryption_key.as_ref().map(ToString::to_string),
            tags: tags(app, &d.id, &domain.tags),
        }),
        Definition::ArtifactRepository {
            repository,
            domain,
            upstreams,
        } => Properties::ArtifactRepository(ArtifactRepositoryProps {
            repository_name: repository.name.to_string(),
            domain_name: refs.att(domain, "Name"),
            description: repository.description.clone(),
            upstreams: upstreams
                .iter()
                .map(|(id, _)| refs.att(id, "Name"))
                .collect(),
            external_connections: repository
                .external_connection
                .iter()
                .map(|c| c.as_str())
                .collect(),
            tags: tags(app, &d.id, &repository.tags),
        }),
        Definition::Bucket(b) => {
            // Only the checkov checks that apply to CloudFormation buckets and can fail here are
            // skipped, each with why (checkov 3.3.30 has no CloudFormation check for SSE-KMS,
            // replication or CodePipeline/CodeBuild customer keys).
            let sse = match &b.encryption {
                Encryption::S3Managed => json!({"SSEAlgorithm": "AES256"}),
                Encryption::Kms(k) => {
                    json!({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": k.as_str()})
                }
            };
            let mut skips = Vec::new();
            if b.access_log.is_none() {
                skips.push(("CKV_AWS_18", "access logging needs a separate log bucket the app does not own; turn it on with ArtifactBucketBuilder::access_log"));
            }
            if !b.versioned {
                skips.push((
                    "CKV_AWS_21",
                    "versioning turned off explicitly in the model",
                ));
            }
            metadata.checkov = skip(&skips);
            if b.retain_on_destroy {
                deletion = Some("Retain");
            }
            let mut rules = Vec::new();
            if let Some(days) = b.noncurrent_expiration_days {
                rules.push(json!({"Id": "ExpireNoncurrentVersions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": days}}));
            }
            if let Some(days) = b.expiration_days {
                rules.push(json!({"Id": "ExpireOldArtifacts", "Status": "Enabled", "ExpirationInDays": days}));
            }
            if let Some(days) = b.abort_incomplete_upload_days {
                rules.push(json!({"Id": "AbortIncompleteUploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days}}));
            }
            Properties::Bucket(Box::new(BucketProps {
                bucket_name: b.name.to_string(),
                bucket_encryption: json!({"ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": sse,
                    "BucketKeyEnabled": matches!(b.encryption, Encryption::Kms(_)),
                }]}),
                public_access_block_configuration: json!({
                    "BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
                }),
                ownership_controls: json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}),
                versioning_configuration: b.versioned.then(|| json!({"Status": "Enabled"})),
                lifecycle_configuration: (!rules.is_empty()).then(|| json!({"Rules": rules})),
                logging_configuration: b.access_log.as_ref().map(|l| {
                    json!({"DestinationBucketName": l.bucket.as_str(), "LogFilePrefix": l.prefix})
                }),
                tags: tags(app, &d.id, &b.tags),
            }))
        }
        Definition::BucketPolicy { bucket } => {
            let arn = refs.att(bucket, "Arn");
            Properties::BucketPolicy(BucketPolicyProps {
                bucket: refs.r(bucket),
                policy_document: PolicyDocument {
                    version: "2012-10-17",
                    statement: vec![PolicyStatement {
                        sid: Some("DenyInsecureTransport"),
                        effect: "Deny",
                        principal: Some(json!("*")),
                        action: vec!["s3:*"],
                        resource: vec![arn, Expr::Sub(format!("${{{bucket}.Arn}}/*"))],
                        condition: Some(BTreeMap::from([(
                            "Bool",
                            BTreeMap::from([(
                                "aws:SecureTransport",
                                vec![Expr::Str("false".into())],
                            )]),
                        )])),
                    }],
                },
            })
        }
        Definition::Project {
            project: p,
            role,
            repository,
            cache_bucket,
            artifact_key,
            log_group,
            images,
            packages,
        } => {
            let mut source = BTreeMap::new();
            let mut artifacts = BTreeMap::new();
            match (&p.source, repository) {
                (BuildSource::CodeCommit { .. }, Some((rid, _))) => {
                    source.insert("Type", Expr::from("CODECOMMIT"));
                    source.insert("Location", refs.att(rid, "CloneUrlHttp"));
                    artifacts.insert("Type", Expr::from("NO_ARTIFACTS"));
                }
                (BuildSource::Pipeline, _) => {
                    source.insert("Type", Expr::from("CODEPIPELINE"));
                    artifacts.insert("Type", Expr::from("CODEPIPELINE"));
                }
                _ => {
                    source.insert("Type", Expr::from("NO_SOURCE"));
                    artifacts.insert("Type", Expr::from("NO_ARTIFACTS"));
                }
            }
            match &p.buildspec {
                BuildSpec::Inline(spec) => {
                    source.insert("BuildSpec", Expr::Str(spec.render()));
                }
                BuildSpec::File(path) if path != "buildspec.yml" => {
                    source.insert("BuildSpec", Expr::Str(path.clone()));
                }
                BuildSpec::File(_) => {}
            }
            let cache = match (&p.cache, cache_bucket) {
                (Cache::None, _) => None,
                (Cache::Local(modes), _) => Some(
                    json!({"Type": "LOCAL", "Modes": modes.iter().map(|m| m.as_str()).collect::<Vec<_>>()}),
                ),
                (Cache::S3 { prefix, .. }, Some((bid, _))) => {
                    refs.0.insert(bid.to_string());
                    Some(
                        json!({"Type": "S3", "Location": {"Fn::Sub": format!("${{{bid}}}/{}", prefix.trim_start_matches('/'))}}),
                    )
                }
                (Cache::S3 { .. }, None) => None,
            };
            let mut logs = serde_json::Map::new();
            logs.insert("Status".into(), json!("ENABLED"));
            let group = serde_json::to_value(refs.r(log_group)).unwrap_or_default();
            logs.insert("GroupName".into(), group);
            if let Some(s) = &p.logs.stream {
                logs.insert("StreamName".into(), json!(s));
            }
            let key = artifact_key.map(ToString::to_string);
            // The variables a build logs in to its CodeArtifact repository with.
            let package_vars: Vec<BTreeMap<&'static str, Expr>> = packages
                .iter()
                .flat_map(|id| {
                    let [domain, owner, repository, region] =
                        crate::model::BuildProject::CODEARTIFACT_VARIABLES;
                    [
                        (domain, refs.att(id, "DomainName")),
                        (owner, refs.att(id, "DomainOwner")),
                        (repository, refs.att(id, "Name")),
                        (region, Expr::Ref("AWS::Region".into())),
                    ]
                })
                .map(|(name, value)| {
                    BTreeMap::from([
                        ("Name", Expr::Str(name.to_owned())),
                        ("Type", Expr::from("PLAINTEXT")),
                        ("Value", value),
                    ])
                })
                .collect();
            Properties::Project(Box::new(ProjectProps {
                name: p.name.to_string(),
                description: p.description.clone(),
                service_role: refs.role(role),
                source,
                artifacts,
                environment: ProjectEnvironment {
                    kind: p.environment.kind.as_str(),
                    image: p.environment.image.as_str().to_owned(),
                    compute_type: p.environment.compute.as_str(),
                    privileged_mode: p.environment.privileged,
                    environment_variables: p
                        .environment
                        .variables
                        .iter()
                        .map(|v| {
                            BTreeMap::from([
                                ("Name", Expr::Str(v.name.to_string())),
                                ("Type", Expr::from(v.value.type_name())),
                                ("Value", Expr::Str(v.value.value().to_owned())),
                            ])
                        })
                        .chain(images.iter().map(|(id, _, var)| {
                            BTreeMap::from([
                                ("Name", Expr::Str(var.to_string())),
                                ("Type", Expr::from("PLAINTEXT")),
                                ("Value", refs.att(id, "RepositoryUri")),
                            ])
                        }))
                        .chain(package_vars)
                        .collect(),
                },
                timeout_in_minutes: p.timeout_minutes,
                queued_timeout_in_minutes: p.queued_timeout_minutes,
                cache,
                logs_config: json!({"CloudWatchLogs": Value::Object(logs)}),
                vpc_config: p.vpc.as_ref().map(|v| json!({"VpcId": v.vpc_id, "Subnets": v.subnets, "SecurityGroupIds": v.security_groups})),
                encryption_key: key,
                tags: tags(app, &d.id, &p.tags),
            }))
        }
        Definition::Application(a) => Properties::Application(ApplicationProps {
            application_name: a.name.to_string(),
            compute_platform: a.platform.as_str(),
            tags: tags(app, &d.id, &a.tags),
        }),
        Definition::DeploymentConfig(c) => {
            let (hosts, traffic) = match c.rule {
                ConfigRule::MinimumHealthyHosts(HealthyHosts::Count(n)) => {
                    (Some(json!({"Type": "HOST_COUNT", "Value": n})), None)
                }
                ConfigRule::MinimumHealthyHosts(HealthyHosts::FleetPercent(n)) => {
                    (Some(json!({"Type": "FLEET_PERCENT", "Value": n})), None)
                }
                ConfigRule::Traffic(TrafficRouting::AllAtOnce) => {
                    (None, Some(json!({"Type": "AllAtOnce"})))
                }
                ConfigRule::Traffic(TrafficRouting::Canary {
                    percent,
                    interval_minutes,
                }) => (
                    None,
                    Some(
                        json!({"Type": "TimeBasedCanary", "TimeBasedCanary": {"CanaryPercentage": percent, "CanaryInterval": interval_minutes}}),
                    ),
                ),
                ConfigRule::Traffic(TrafficRouting::Linear {
                    percent,
                    interval_minutes,
                }) => (
                    None,
                    Some(
                        json!({"Type": "TimeBasedLinear", "TimeBasedLinear": {"LinearPercentage": percent, "LinearInterval": interval_minutes}}),
                    ),
                ),
            };
            Properties::DeploymentConfig(DeploymentConfigProps {
                deployment_config_name: c.name.to_string(),
                compute_platform: c.platform.as_str(),
                minimum_healthy_hosts: hosts,
                traffic_routing_config: traffic,
            })
        }
        Definition::DeploymentGroup {
            group: g,
            application,
            config,
            role,
        } => {
            let config_expr = match config {
                crate::model::ResolvedConfig::Predefined(n) => Expr::Str((*n).to_owned()),
                crate::model::ResolvedConfig::Custom(id, _) => refs.r(id),
            };
            let mut props = DeploymentGroupProps {
                application_name: refs.r(application),
                deployment_group_name: g.name.to_string(),
                service_role_arn: refs.role(role),
                deployment_config_name: config_expr,
                deployment_style: json!({}),
                ec2_tag_filters: None,
                on_premises_instance_tag_filters: None,
                auto_scaling_groups: None,
                ecs_services: None,
                load_balancer_info: None,
                blue_green_deployment_configuration: None,
                auto_rollback_configuration: match &g.auto_rollback {
                    Some(rb) => json!({"Enabled": true, "Events": rb.events.iter().map(|e| e.as_str()).collect::<Vec<_>>()}),
                    None => json!({"Enabled": false}),
                },
                alarm_configuration: (!g.alarms.is_empty()).then(|| {
                    json!({"Enabled": true, "Alarms": g.alarms.iter().map(|a| json!({"Name": a})).collect::<Vec<_>>()})
                }),
                tags: tags(app, &d.id, &g.tags),
            };
            match &g.target {
                Target::Server(s) => {
                    let traffic = if s.load_balancer_target_groups.is_empty() {
                        "WITHOUT_TRAFFIC_CONTROL"
                    } else {
                        "WITH_TRAFFIC_CONTROL"
                    };
                    props.deployment_style =
                        json!({"DeploymentType": "IN_PLACE", "DeploymentOption": traffic});
                    props.ec2_tag_filters = tag_filters(&s.ec2_tags);
                    props.on_premises_instance_tag_filters = tag_filters(&s.on_premises_tags);
                    props.auto_scaling_groups =
                        (!s.auto_scaling_groups.is_empty()).then(|| s.auto_scaling_groups.clone());
                    props.load_balancer_info = (!s.load_balancer_target_groups.is_empty()).then(|| {
                        json!({"TargetGroupInfoList": s.load_balancer_target_groups.iter().map(|n| json!({"Name": n})).collect::<Vec<_>>()})
                    });
                }
                Target::Lambda(_) => {
                    props.deployment_style = json!({"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"});
                }
                Target::Ecs(e) => {
                    props.deployment_style = json!({"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"});
                    props.ecs_services =
                        Some(json!([{"ClusterName": e.cluster, "ServiceName": e.service}]));
                    let mut pair = json!({
                        "TargetGroups": [{"Name": e.target_groups[0]}, {"Name": e.target_groups[1]}],
                        "ProdTrafficRoute": {"ListenerArns": [e.prod_listener]},
                    });
                    if let (Some(t), Some(obj)) = (&e.test_listener, pair.as_object_mut()) {
                        obj.insert("TestTrafficRoute".into(), json!({"ListenerArns": [t]}));
                    }
                    props.load_balancer_info = Some(json!({"TargetGroupPairInfoList": [pair]}));
                    props.blue_green_deployment_configuration = Some(json!({
                        "DeploymentReadyOption": {"ActionOnTimeout": "CONTINUE_DEPLOYMENT", "WaitTimeInMinutes": 0},
                        "TerminateBlueInstancesOnDeploymentSuccess": {"Action": "TERMINATE", "TerminationWaitTimeInMinutes": e.termination_wait_minutes},
                    }));
                }
            }
            Properties::DeploymentGroup(Box::new(props))
        }
        Definition::Pipeline {
            pipeline: p,
            role,
            store,
            uses,
        } => {
            let (store_id, _, encryption) = store;
            let mut stages = Vec::with_capacity(p.stages.len());
            for (si, stage) in p.stages.iter().enumerate() {
                let mut actions = Vec::with_capacity(stage.actions.len());
                for (ai, a) in stage.actions.iter().enumerate() {
                    let used = uses.get(&(si, ai)).map(Vec::as_slice).unwrap_or_default();
                    let used_id = |k: ResourceKind| used.iter().find(|u| u.kind == k);
                    let mut cfg: BTreeMap<&'static str, Expr> = BTreeMap::new();
                    match &a.kind {
                        ActionKind::CodeCommitSource {
                            branch,
                            detection,
                            format,
                            ..
                        } => {
                            if let Some(u) =
                                used_id(ResourceKind::Repository).and_then(|u| u.id.as_ref())
                            {
                                cfg.insert("RepositoryName", refs.att(u, "Name"));
                            }
                            cfg.insert("BranchName", branch.as_str().into());
                            cfg.insert(
                                "PollForSourceChanges",
                                Expr::Bool(*detection == ChangeDetection::Polling),
                            );
                            if *format == SourceFormat::FullClone {
                                cfg.insert("OutputArtifactFormat", "CODEBUILD_CLONE_REF".into());
                            }
                        }
                        ActionKind::S3Source { bucket, key, poll } => {
                            cfg.insert("S3Bucket", bucket_expr(&mut refs, bucket));
                            cfg.insert("S3ObjectKey", key.as_str().into());
                            cfg.insert("PollForSourceChanges", Expr::Bool(*poll));
                        }
                        ActionKind::CodeBuild {
                            env,
                            primary_source,
                            ..
                        } => {
                            if let Some(u) =
                                used_id(ResourceKind::Project).and_then(|u| u.id.as_ref())
                            {
                                cfg.insert("ProjectName", refs.r(u));
                            }
                            if !env.is_empty() {
                                cfg.insert("EnvironmentVariables", Expr::Str(action_env_json(env)));
                            }
                            if let Some(i) = primary_source.and_then(|i| a.inputs.get(i)) {
                                cfg.insert("PrimarySource", i.as_str().into());
                            }
                        }
                        ActionKind::ManualApproval {
                            topic,
                            url,
                            comments,
                        } => {
                            if let Some(t) = topic {
                                cfg.insert("NotificationArn", t.as_str().into());
                            }
                            if let Some(u) = url {
                                cfg.insert("ExternalEntityLink", u.as_str().into());
                            }
                            if let Some(c) = comments {
                                cfg.insert("CustomData", c.as_str().into());
                            }
                        }
                        ActionKind::S3Deploy {
                            bucket,
                            extract,
                            key,
                        } => {
                            cfg.insert("BucketName", bucket_expr(&mut refs, bucket));
                            cfg.insert("Extract", Expr::Bool(*extract));
                            if let Some(k) = key {
                                cfg.insert("ObjectKey", k.as_str().into());
                            }
                        }
                        ActionKind::CodeDeploy { .. } | ActionKind::EcsBlueGreen { .. } => {
                            if let Some(u) = used_id(ResourceKind::DeploymentGroup) {
                                if let Some((app_id, _)) = &u.application {
                                    cfg.insert("ApplicationName", refs.r(app_id));
                                }
                                if let Some(gid) = &u.id {
                                    cfg.insert("DeploymentGroupName", refs.r(gid));
                                }
                            }
                            if let ActionKind::EcsBlueGreen {
                                task_definition,
                                appspec,
                                image,
                                ..
                            } = &a.kind
                            {
                                let input = |i: usize| {
                                    a.inputs
                                        .get(i)
                                        .map(|n| Expr::Str(n.to_string()))
                                        .unwrap_or(Expr::Str(String::new()))
                                };
                                if let Some((i, path)) = task_definition {
                                    cfg.insert("TaskDefinitionTemplateArtifact", input(*i));
                                    cfg.insert("TaskDefinitionTemplatePath", path.as_str().into());
                                }
                                if let Some((i, path)) = appspec {
                                    cfg.insert("AppSpecTemplateArtifact", input(*i));
                                    cfg.insert("AppSpecTemplatePath", path.as_str().into());
                                }
                                if let Some((i, placeholder)) = image {
                                    cfg.insert("Image1ArtifactName", input(*i));
                                    cfg.insert("Image1ContainerName", placeholder.as_str().into());
                                }
                            }
                        }
                    }
                    actions.push(ActionProps {
                        name: a.name.to_string(),
                        action_type_id: ActionTypeId {
                            category: a.category().as_str(),
                            owner: "AWS",
                            provider: a.provider(),
                            version: "1",
                        },
                        run_order: a.run_order,
                        configuration: cfg,
                        input_artifacts: a
                            .inputs
                            .iter()
                            .map(|n| named("Name", n.as_str()))
                            .collect(),
                        output_artifacts: a
                            .outputs
                            .iter()
                            .map(|n| named("Name", n.as_str()))
                            .collect(),
                        namespace: a.namespace.as_ref().map(ToString::to_string),
                    });
                }
                stages.push(StageProps {
                    name: stage.name.to_string(),
                    actions,
                });
            }
            Properties::Pipeline(Box::new(PipelineProps {
                name: p.name.to_string(),
                role_arn: refs.role(role),
                pipeline_type: match p.pipeline_type {
                    crate::model::PipelineType::V1 => "V1",
                    crate::model::PipelineType::V2 => "V2",
                },
                execution_mode: Some(p.execution_mode.as_str()),
                artifact_store: ArtifactStore {
                    kind: "S3",
                    location: refs.r(store_id),
                    encryption_key: match encryption {
                        Encryption::Kms(k) => Some(BTreeMap::from([
                            ("Id", k.to_string()),
                            ("Type", "KMS".to_owned()),
                        ])),
                        Encryption::S3Managed => None,
                    },
                },
                stages,
                variables: p
                    .variables
                    .iter()
                    .map(|v| {
                        let mut m = named("Name", v.name.as_str());
                        if let Some(d) = &v.default {
                            m.insert("DefaultValue", d.clone());
                        }
                        if let Some(d) = &v.description {
                            m.insert("Description", d.clone());
                        }
                        m
                    })
                    .collect(),
                disable_inbound_stage_transitions: p
                    .disabled_transitions
                    .iter()
                    .map(|t| {
                        BTreeMap::from([
                            ("StageName", t.stage.to_string()),
                            ("Reason", t.reason.clone()),
                        ])
                    })
                    .collect(),
                tags: tags(app, &d.id, &p.tags),
            }))
        }
        Definition::LogGroup { project: p } => {
            let mut skips = Vec::new();
            if p.logs.kms_key.is_none() {
                skips.push((
                    "CKV_AWS_158",
                    "CloudWatch Logs encrypts log data at rest with its own keys; a customer managed key is opt-in (BuildProjectBuilder::log_kms_key) because its key policy must admit the logs service",
                ));
            }
            if p.logs.retention_days.is_some_and(|d| d < 365) {
                skips.push((
                    "CKV_AWS_338",
                    "a retention shorter than a year is chosen explicitly in the model (BuildProjectBuilder::log_retention_days)",
                ));
            }
            metadata.checkov = skip(&skips);
            Properties::LogGroup(LogGroupProps {
                log_group_name: d.physical_name.clone(),
                retention_in_days: p.logs.retention_days,
                kms_key_id: p.logs.kms_key.as_ref().map(ToString::to_string),
                tags: tags(app, &d.id, &p.tags),
            })
        }
        Definition::ReportGroup {
            project,
            group,
            bucket,
        } => {
            let export = match (&group.export, bucket) {
                (crate::model::ReportExport::Bucket { path, zip, .. }, Some((id, _, key))) => {
                    let mut s3 = serde_json::Map::new();
                    s3.insert(
                        "Bucket".into(),
                        serde_json::to_value(refs.r(id)).unwrap_or_default(),
                    );
                    if let Some(path) = path {
                        s3.insert("Path".into(), json!(path));
                    }
                    s3.insert("Packaging".into(), json!(if *zip { "ZIP" } else { "NONE" }));
                    if let Some(key) = key {
                        s3.insert("EncryptionKey".into(), json!(key.as_str()));
                    }
                    json!({"ExportConfigType": "S3", "S3Destination": s3})
                }
                _ => json!({"ExportConfigType": "NO_EXPORT"}),
            };
            Properties::ReportGroup(ReportGroupProps {
                name: d.physical_name.clone(),
                kind: group.kind.as_str(),
                export_config: export,
                // The group goes with its reports (CloudFormation's default keeps a group that
                // has reports from being deleted).
                delete_reports: true,
                tags: tags(app, &d.id, &project.tags),
            })
        }
        Definition::Role(role) => {
            for s in &role.statements {
                if let Some(reason) = s.wildcard_reason {
                    metadata.wildcards.insert(s.sid, reason);
                }
            }
            let purpose = match role.purpose {
                RolePurpose::Pipeline => "pipeline service role",
                RolePurpose::Build => "CodeBuild service role",
                RolePurpose::Deploy => "CodeDeploy service role",
                RolePurpose::Events => "role of the change-detection rules",
            };
            let service = role.principal.service();
            Properties::Role(RoleProps {
                role_name: Expr::Sub(d.physical_name.clone()),
                path: Expr::Sub(crate::model::role_path(app.as_str())),
                description: format!(
                    "pipewright {purpose}, least privilege derived from the app {app}"
                ),
                assume_role_policy_document: PolicyDocument {
                    version: "2012-10-17",
                    statement: vec![PolicyStatement {
                        sid: None,
                        effect: "Allow",
                        principal: Some(json!({"Service": service})),
                        action: vec!["sts:AssumeRole"],
                        resource: Vec::new(),
                        condition: None,
                    }],
                },
                policies: if role.statements.is_empty() {
                    Vec::new()
                } else {
                    vec![InlinePolicy {
                        policy_name: "least-privilege",
                        policy_document: policy(&role.statements),
                    }]
                },
                tags: tags(app, &d.id, &crate::model::Tags::default()),
            })
        }
        Definition::EventRule(rule) => {
            let repo_arn = refs.att(&rule.repository, "Arn");
            refs.0.insert(rule.pipeline.to_string());
            Properties::EventRule(EventRuleProps {
                name: d.physical_name.clone(),
                description: format!(
                    "pipewright: start pipeline {} on pushes to {} of {}",
                    rule.pipeline_name, rule.branch, rule.repository_name
                ),
                state: "ENABLED",
                event_pattern: json!({
                    "source": ["aws.codecommit"],
                    "detail-type": ["CodeCommit Repository State Change"],
                    "resources": [repo_arn],
                    "detail": {
                        "event": ["referenceCreated", "referenceUpdated"],
                        "referenceType": ["branch"],
                        "referenceName": [rule.branch],
                    },
                }),
                targets: vec![EventTarget {
                    arn: Expr::Sub(format!(
                        "arn:${{AWS::Partition}}:codepipeline:${{AWS::Region}}:${{AWS::AccountId}}:${{{}}}",
                        rule.pipeline
                    )),
                    id: "Pipeline",
                    role_arn: refs.role(&rule.role),
                }],
                tags: tags(app, &d.id, &crate::model::Tags::default()),
            })
        }
    };
    CfnResource {
        kind: d.kind.cfn_type(),
        depends_on: d
            .depends_on
            .iter()
            .filter(|id| !refs.0.contains(id.as_str()))
            .map(ToString::to_string)
            .collect(),
        deletion_policy: deletion,
        update_replace_policy: deletion,
        metadata,
        properties,
    }
}

fn bucket_expr(refs: &mut Refs, b: &BucketRef) -> Expr {
    match b {
        BucketRef::App(n) => refs.r(n.id()),
        BucketRef::External(name) => Expr::Str(name.to_string()),
    }
}
