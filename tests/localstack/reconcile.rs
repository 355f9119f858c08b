//! The reconcile engine against the emulator, through the AWS provider: apply from nothing,
//! converge, update in place, repair drift, replace, leave an unowned resource alone, prune,
//! destroy, and find nothing owned afterwards.

use std::sync::Arc;

use serde_json::json;

use pipewright::engine::{self, ApplyOptions, Change, Env, ReplaceStrategy, ResolvedApp};
use pipewright::model::{App, ResourceKind};
use pipewright::provider::api::Provider;
use pipewright::provider::aws::AwsProvider;

use crate::harness::{clients, unique};
use crate::lambda_canary;
use crate::support::aws::provider_with;
use crate::support::examples::reference_app;

async fn provider() -> (Arc<dyn Provider>, Env, pipewright::provider::aws::Clients) {
    let c = clients().await;
    let (provider, env) = provider_with(c.clone()).await;
    (provider, env, c)
}

fn index(desired: &ResolvedApp, kind: ResourceKind) -> usize {
    desired
        .resources
        .iter()
        .position(|r| r.resource.kind == kind)
        .expect("the reference has one")
}

async fn plan(desired: &ResolvedApp, provider: &Arc<dyn Provider>) -> engine::Plan {
    engine::plan(desired, provider, 8)
        .await
        .expect("reads succeed")
}

async fn apply(plan: &engine::Plan, provider: &Arc<dyn Provider>, prune: bool) {
    let report = engine::apply(plan, provider, &ApplyOptions::default().prune(prune)).await;
    assert!(report.succeeded(), "{report}: {:#?}", report.outcomes);
}

/// Destroys everything the app owns and asserts every delete succeeded.
async fn destroy(desired: &ResolvedApp, provider: &Arc<dyn Provider>) {
    let report = engine::destroy(
        &desired.app,
        Some(desired),
        provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
}

#[tokio::test]
async fn reference_lifecycle_converges_and_leaves_nothing_behind() {
    let (provider, env, c) = provider().await;
    let prefix = unique("rc");
    let mut desired = engine::resolve(&reference_app(&prefix).desired(), &env).expect("resolves");

    // From nothing, then nothing left to do.
    let first = plan(&desired, &provider).await;
    assert_eq!(first.summary.create, desired.resources.len());
    apply(&first, &provider, false).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // A field that updates in place: only that field changes.
    let p = index(&desired, ResourceKind::Project);
    desired.resources[p].resource.properties["TimeoutInMinutes"] = json!(45);
    let update = plan(&desired, &provider).await;
    assert_eq!(update.summary.update, 1, "{:#?}", update.changes);
    let changed: Vec<_> = update.drifted().collect();
    let Change::Update { fields } = &changed[0].change else {
        panic!("an update");
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].path, "/TimeoutInMinutes");
    apply(&update, &provider, false).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // Changed out of band: drift names the field, apply repairs it.
    let project = desired.resources[p].resource.physical_name.clone();
    c.codebuild
        .update_project()
        .name(&project)
        .timeout_in_minutes(90)
        .send()
        .await
        .expect("out-of-band change");
    let drift = plan(&desired, &provider).await;
    let drifted: Vec<_> = drift.drifted().collect();
    assert_eq!(drifted.len(), 1);
    assert_eq!(
        drifted[0].change,
        Change::Update {
            fields: vec![pipewright::provider::api::FieldChange {
                path: "/TimeoutInMinutes".into(),
                old: Some(json!(90)),
                new: Some(json!(45)),
            }]
        }
    );
    apply(&drift, &provider, false).await;
    assert!(plan(&desired, &provider).await.is_empty());

    // A create-only field: the rule's name. The new rule comes before the old one goes.
    let r = index(&desired, ResourceKind::EventRule);
    let old_rule = desired.resources[r].resource.physical_name.clone();
    let new_rule = format!("{old_rule}-2");
    desired.resources[r].resource.physical_name = new_rule.clone();
    desired.resources[r].resource.properties["Name"] = json!(new_rule);
    let replace = plan(&desired, &provider).await;
    assert_eq!(replace.summary.replace, 1, "{:#?}", replace.changes);
    assert!(replace.changes.iter().any(|c| matches!(
        &c.change,
        Change::Replace { strategy: ReplaceStrategy::CreateThenDelete { old_name }, .. } if *old_name == old_rule
    )));
    apply(&replace, &provider, false).await;
    let kind = ResourceKind::EventRule;
    assert!(
        provider
            .read(kind, &old_rule)
            .await
            .expect("reads")
            .is_none()
    );
    assert!(
        provider
            .read(kind, &new_rule)
            .await
            .expect("reads")
            .is_some()
    );
    assert!(plan(&desired, &provider).await.is_empty());

    // Removed from the model: planned as a delete, deleted only with prune.
    let removed = desired.resources.remove(r).resource;
    let prune = plan(&desired, &provider).await;
    assert_eq!(prune.summary.delete, 1);
    apply(&prune, &provider, false).await;
    assert!(
        provider
            .read(kind, &removed.physical_name)
            .await
            .expect("reads")
            .is_some()
    );
    apply(&prune, &provider, true).await;
    assert!(
        provider
            .read(kind, &removed.physical_name)
            .await
            .expect("reads")
            .is_none()
    );
    assert!(plan(&desired, &provider).await.is_empty());

    // Destroy: nothing the app owns remains, by tags or by name.
    destroy(&desired, &provider).await;
    assert!(
        provider
            .list_owned(&desired.app)
            .await
            .expect("lists")
            .is_empty()
    );
    for r in &desired.resources {
        let seen = provider
            .read(r.resource.kind, &r.resource.physical_name)
            .await
            .expect("reads");
        assert!(
            seen.is_none(),
            "{} {} remains",
            r.resource.id,
            r.resource.physical_name
        );
    }
}

#[tokio::test]
async fn a_same_named_bucket_that_is_not_ours_is_left_untouched() {
    let (provider, env, c) = provider().await;
    let prefix = unique("cf");
    let desired = engine::resolve(&reference_app(&prefix).desired(), &env).expect("resolves");
    let bucket = desired.resources[index(&desired, ResourceKind::Bucket)]
        .resource
        .physical_name
        .clone();
    c.s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("someone else's bucket");

    let plan = plan(&desired, &provider).await;
    assert_eq!(plan.summary.conflict, 2, "the bucket and its policy");
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(!report.succeeded());
    let tags = c.s3.get_bucket_tagging().bucket(&bucket).send().await;
    assert!(tags.is_err(), "still untagged");
    let policy = c.s3.get_bucket_policy().bucket(&bucket).send().await;
    assert!(policy.is_err(), "still without a policy");

    destroy(&desired, &provider).await;
    c.s3.head_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("destroy leaves it too");
    c.s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("clean up");
    assert!(
        provider
            .list_owned(&desired.app)
            .await
            .expect("lists")
            .is_empty()
    );
}

#[tokio::test]
async fn every_kind_updates_in_place_and_converges() {
    let (provider, env, _) = provider().await;
    let prefix = unique("up");
    let mut desired = engine::resolve(&reference_app(&prefix).desired(), &env).expect("resolves");
    apply(&plan(&desired, &provider).await, &provider, false).await;

    let tagged = |desired: &mut ResolvedApp, add: bool| {
        for r in &mut desired.resources {
            if let Some(tags) = r
                .resource
                .properties
                .get_mut("Tags")
                .and_then(|t| t.as_array_mut())
            {
                if add {
                    tags.push(json!({"Key": "team", "Value": "payments"}));
                } else {
                    tags.retain(|t| t["Key"] != "team");
                }
            }
        }
    };
    let taggable = desired
        .resources
        .iter()
        .filter(|r| r.resource.kind.taggable())
        .count();
    for add in [true, false] {
        tagged(&mut desired, add);
        let tags = plan(&desired, &provider).await;
        assert_eq!(tags.summary.update, taggable, "{tags}");
        apply(&tags, &provider, false).await;
        assert!(plan(&desired, &provider).await.is_empty());
    }

    for r in &mut desired.resources {
        let p = &mut r.resource.properties;
        match r.resource.kind {
            ResourceKind::Repository | ResourceKind::Project | ResourceKind::EventRule => {
                let key = if r.resource.kind == ResourceKind::Repository {
                    "RepositoryDescription"
                } else {
                    "Description"
                };
                p[key] = json!("changed");
            }
            ResourceKind::Role => {
                if let Some(st) = p
                    .pointer_mut("/Policies/0/PolicyDocument/Statement")
                    .and_then(|s| s.as_array_mut())
                {
                    st.push(json!({"Sid": "Extra", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": ["*"]}));
                }
            }
            ResourceKind::Bucket => {
                if let Some(m) = p.as_object_mut() {
                    m.remove("LifecycleConfiguration");
                }
            }
            ResourceKind::Pipeline => {
                p["Stages"][2]["Actions"][0]["Configuration"]["CustomData"] = json!("changed");
            }
            _ => {}
        }
    }
    // A rule's target under a new id: put, and the old one removed (else the plan after shows it).
    let rule = index(&desired, ResourceKind::EventRule);
    desired.resources[rule].resource.properties["Targets"][0]["Id"] = json!("Moved");
    let fields = plan(&desired, &provider).await;
    assert!(fields.summary.update >= 8, "{fields}");
    assert!(
        fields.to_string().contains("/Targets"),
        "the rule's targets change: {fields}"
    );
    apply(&fields, &provider, false).await;
    assert!(plan(&desired, &provider).await.is_empty());

    destroy(&desired, &provider).await;
    assert!(
        provider
            .list_owned(&desired.app)
            .await
            .expect("lists")
            .is_empty()
    );
}

#[tokio::test]
async fn a_deployment_config_in_use_is_replaced_with_its_group_moved_off_and_back() {
    let (provider, env, c) = provider().await;
    let prefix = unique("dc");
    let mut app = App::new(&prefix).expect("a valid app name");
    lambda_canary::add_lambda_canary(&mut app, &prefix).expect("valid names");
    let mut desired = engine::resolve(&app.desired(), &env).expect("resolves");
    apply(&plan(&desired, &provider).await, &provider, false).await;

    // Every field of a configuration is create-only, and CodeDeploy refuses to delete one a
    // group uses: the plan says the group moves off meanwhile.
    let k = index(&desired, ResourceKind::DeploymentConfig);
    let config = desired.resources[k].resource.physical_name.clone();
    desired.resources[k].resource.properties["TrafficRoutingConfig"]["TimeBasedCanary"]["CanaryPercentage"] =
        json!(30);
    let replace = plan(&desired, &provider).await;
    assert_eq!(replace.summary.replace, 1, "{replace}");
    assert_eq!(replace.summary.update, 0, "{replace}");
    let text = replace.to_string();
    assert!(
        text.contains(
            "they move to CodeDeployDefault.LambdaAllAtOnce while it is replaced, then back"
        ),
        "{text}"
    );
    apply(&replace, &provider, false).await;
    assert!(plan(&desired, &provider).await.is_empty());

    let got = c
        .codedeploy
        .get_deployment_config()
        .deployment_config_name(&config)
        .send()
        .await
        .expect("the new config");
    let canary = got
        .deployment_config_info()
        .and_then(|i| i.traffic_routing_config())
        .and_then(|t| t.time_based_canary())
        .map(|t| t.canary_percentage());
    assert_eq!(canary, Some(30));
    let group = c
        .codedeploy
        .get_deployment_group()
        .application_name(&prefix)
        .deployment_group_name("live")
        .send()
        .await
        .expect("the group");
    assert_eq!(
        group
            .deployment_group_info()
            .and_then(|g| g.deployment_config_name()),
        Some(config.as_str()),
        "the group is back on its config"
    );

    destroy(&desired, &provider).await;
}

/// Counts every SDK call by operation name, once per operation (not per retry).
#[derive(Debug, Default, Clone)]
struct Calls(Arc<std::sync::Mutex<std::collections::BTreeMap<String, usize>>>);

impl Calls {
    fn take(&self) -> std::collections::BTreeMap<String, usize> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl aws_sdk_s3::config::Intercept for Calls {
    fn name(&self) -> &'static str {
        "Calls"
    }

    fn read_before_serialization(
        &self,
        _: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        _: &aws_sdk_s3::config::RuntimeComponents,
        cfg: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let name = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map_or_else(|| "unknown".to_owned(), |m| m.name().to_owned());
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(name)
            .or_default() += 1;
        Ok(())
    }
}

/// A provider on fresh clients that count their calls, as each CLI command makes one; its STS
/// call is not counted.
async fn counted() -> (Arc<dyn Provider>, Calls) {
    let calls = Calls::default();
    let options = pipewright::provider::aws::ClientOptions::local(crate::harness::endpoint())
        .interceptor(calls.clone());
    let clients = pipewright::provider::aws::Clients::load(&options)
        .await
        .expect("emulator options name a region");
    let provider: Arc<dyn Provider> =
        Arc::new(AwsProvider::new(clients).await.expect("sts answers"));
    calls.take();
    (provider, calls)
}

/// The calls of `ops` that read (Get, List, Describe, Head, BatchGet).
fn reads(ops: &std::collections::BTreeMap<String, usize>) -> usize {
    ops.iter()
        .filter(|(op, _)| {
            ["Get", "List", "Describe", "Head", "BatchGet"]
                .iter()
                .any(|p| op.starts_with(p))
        })
        .map(|(_, n)| n)
        .sum()
}

/// Reads in bulk (the kind table's `bulk`): an apply from nothing learns that each resource is
/// absent from one batch call or listing per kind, not a read each, and a no-op plan reads
/// projects, repositories, applications, groups, report groups, log groups and rules in batches
/// and takes the roles from their listing. Two roles and a bucket are still read by themselves
/// in an apply from nothing (a role's name is the account's, whatever its path; S3 has no batch
/// read), and each role's inline policies and each bucket's settings in a plan.
#[tokio::test]
async fn an_apply_from_nothing_and_a_no_op_plan_read_in_bulk() {
    let prefix = unique("np");
    let (_, env, _) = provider().await;
    let desired = engine::resolve(&reference_app(&prefix).desired(), &env).expect("resolves");
    let resources = desired.resources.len() as f64;

    let (provider, calls) = counted().await;
    apply(&plan(&desired, &provider).await, &provider, false).await;
    let ops = calls.take();
    let one_by_one = [
        "GetRepository",
        "GetApplication",
        "GetDeploymentGroup",
        "GetDeploymentConfig",
        "GetPipeline",
        "GetPipelineState",
        "DescribeRule",
        "ListTargetsByRule",
    ];
    for op in one_by_one {
        assert_eq!(
            ops.get(op),
            None,
            "an apply from nothing calls {op}: {ops:#?}"
        );
    }
    for op in [
        "BatchGetProjects",
        "BatchGetReportGroups",
        "DescribeLogGroups",
    ] {
        assert_eq!(ops.get(op), Some(&1), "one {op} for the app: {ops:#?}");
    }
    // The rest: one listing of the app, one of its roles, one call per kind and a `GetRole`
    // per role; and the bucket's, which S3 reads one by one (its absence, then each setting
    // until two reads in a row show what was written: S3 is eventually consistent).
    let per_kind = ops.get("GetResources").copied().unwrap_or_default()
        + ops.get("ListRoles").copied().unwrap_or_default();
    assert_eq!(per_kind, 2, "{ops:#?}");
    assert_eq!(ops.get("GetRole"), ops.get("CreateRole"), "{ops:#?}");
    let bucket_reads: usize = ops
        .iter()
        .filter(|(op, _)| op.starts_with("GetBucket") || *op == "GetPublicAccessBlock")
        .map(|(_, n)| n)
        .sum();
    assert!(
        reads(&ops) - bucket_reads <= 14,
        "{} reads besides the bucket's: {ops:#?}",
        reads(&ops) - bucket_reads
    );
    // What every new bucket has already (SSE-S3, Block Public Access, ACLs off) and the tags
    // `CreateBucket` carried are read once, and not written again; the rest is written once.
    for op in [
        "PutBucketEncryption",
        "PutPublicAccessBlock",
        "PutBucketOwnershipControls",
        "PutBucketTagging",
    ] {
        assert_eq!(ops.get(op), None, "{op} on a new bucket: {ops:#?}");
    }
    for op in [
        "GetBucketEncryption",
        "GetPublicAccessBlock",
        "GetBucketOwnershipControls",
        "GetBucketTagging",
    ] {
        assert_eq!(ops.get(op), Some(&1), "{op} on a new bucket: {ops:#?}");
    }
    for op in ["PutBucketVersioning", "PutBucketLifecycleConfiguration"] {
        assert_eq!(ops.get(op), Some(&1), "{op} on a new bucket: {ops:#?}");
    }

    let (fresh, calls) = counted().await;
    assert!(plan(&desired, &fresh).await.is_empty());
    let ops = calls.take();
    for op in [
        "GetRole",
        "GetRepository",
        "GetApplication",
        "GetDeploymentGroup",
        "DescribeRule",
        "DescribeLogGroups",
    ] {
        assert!(
            ops.get(op).copied().unwrap_or_default() <= 1,
            "a no-op plan calls {op} per resource: {ops:#?}"
        );
    }
    let made: usize = ops.values().sum();
    // 32 calls for the reference app's 14 resources (35 when each was read by itself): the
    // four roles' tags and inline policies (3 each) and the bucket's seven settings are most of
    // them, and a dozen listings and batches that serve any number of pipelines (the reconcile
    // benchmark shows 1.8 calls per resource for ten).
    assert!(
        made as f64 / resources <= 2.3,
        "{made} calls for {resources} resources: {ops:#?}"
    );

    destroy(&desired, &provider).await;
}

/// A new bucket's settings that S3 gives every bucket are read rather than written: where the
/// model wants something else (SSE-KMS under its key, versioning off), the apply from nothing
/// still writes it, S3 shows it, and the next plan is empty.
#[tokio::test]
async fn a_new_bucket_gets_what_differs_from_s3s_defaults() {
    let (provider, env, c) = provider().await;
    let kms = aws_sdk_kms::Client::new(&crate::harness::sdk_config().await);
    let id = kms
        .create_key()
        .send()
        .await
        .expect("create key")
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .expect("a key id");
    let key = format!("arn:aws:kms:{}:{}:key/{id}", env.region, env.account);
    let name = unique("kmsb");
    let mut app = App::new(unique("kb")).expect("app name");
    app.add(
        pipewright::model::ArtifactBucket::builder()
            .name(&name)
            .kms_key(&key)
            .versioned(false)
            .build()
            .expect("bucket"),
    );
    let desired = engine::resolve(&app.desired(), &env).expect("resolves");
    apply(&plan(&desired, &provider).await, &provider, false).await;
    let rules =
        c.s3.get_bucket_encryption()
            .bucket(&name)
            .send()
            .await
            .expect("encryption")
            .server_side_encryption_configuration()
            .map(|c| c.rules().to_vec())
            .unwrap_or_default();
    let by_default = rules
        .first()
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .expect("a default rule");
    assert_eq!(by_default.sse_algorithm().as_str(), "aws:kms");
    assert_eq!(by_default.kms_master_key_id(), Some(key.as_str()));
    assert!(plan(&desired, &provider).await.is_empty());
    destroy(&desired, &provider).await;
}
