//! The deployer policy against what the engine really asks of AWS: every example's whole
//! lifecycle (plan, apply, the no-op plan `drift` makes, the destroy plan, destroy) runs through
//! the proxy with no faults, each request is mapped to the IAM action AWS authorizes it as, and
//! the policy `pipewright policy` prints for the app must allow every one.
//!
//! Resources: S3 requests name their bucket (and key) in the path and IAM requests their role,
//! so those are checked against the statement's resources too; the JSON protocols' resources
//! are not rebuilt here, so for CodeCommit, CodeBuild, CodeDeploy, CodePipeline, EventBridge,
//! CloudWatch Logs, STS and the tagging API the action alone is checked. CodeArtifact's REST
//! requests are named by method and path (`codeartifact_action`), and also checked by action.
//!
//! Not covered: the execution verbs (push, run, watch, approve, logs, executions, stop, retry),
//! whose actions the policy grants but whose requests do not go through this proxy.

use std::collections::BTreeSet;

use pipewright::engine::{self, ApplyOptions, Env};
use pipewright::model::{App, REGION_VAR, role_path};
use pipewright::synth::deployer_policy;

use crate::apply::{quick_retries, resolved};
use crate::harness::{endpoint, unique};
use crate::proxy::{FaultPlan, FaultProxy, Recorded};
use crate::support::aws::provider_at;
use crate::support::examples;

/// S3's IAM action for a REST operation, as the proxy names it, where the two differ (S3 User
/// Guide, "Actions, resources, and condition keys for Amazon S3": each API operation's row).
fn s3_action(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "HeadBucket" | "GetBucket" | "ListObjects" | "ListObjectsV2" => "s3:ListBucket",
        "ListObjectVersions" | "GetBucketVersions" => "s3:ListBucketVersions",
        "GetBucketEncryption" => "s3:GetEncryptionConfiguration",
        "PutBucketEncryption" | "DeleteBucketEncryption" => "s3:PutEncryptionConfiguration",
        "GetBucketLifecycle" | "GetBucketLifecycleConfiguration" => "s3:GetLifecycleConfiguration",
        "PutBucketLifecycle" | "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => {
            "s3:PutLifecycleConfiguration"
        }
        "DeleteBucketTagging" => "s3:PutBucketTagging",
        "DeleteBucketOwnershipControls" => "s3:PutBucketOwnershipControls",
        "DeleteBucketPublicAccessBlock" => "s3:PutBucketPublicAccessBlock",
        "DeleteObjects" => "s3:DeleteObject",
        _ => return None,
    })
}

/// CodeArtifact's operation for a REST request, from its method and path (the CodeArtifact API
/// Reference gives each operation's `METHOD /v1/...`; the proxy names REST requests by method).
fn codeartifact_action(method: &str, target: &str) -> Option<&'static str> {
    let path = target.split('?').next().unwrap_or("");
    Some(match (method, path) {
        ("POST", "/v1/domain") => "CreateDomain",
        ("GET", "/v1/domain") => "DescribeDomain",
        ("DELETE", "/v1/domain") => "DeleteDomain",
        ("POST", "/v1/domains") => "ListDomains",
        ("POST", "/v1/domain/repositories") => "ListRepositoriesInDomain",
        ("POST", "/v1/repository") => "CreateRepository",
        ("GET", "/v1/repository") => "DescribeRepository",
        ("PUT", "/v1/repository") => "UpdateRepository",
        ("DELETE", "/v1/repository") => "DeleteRepository",
        ("POST", "/v1/repositories") => "ListRepositories",
        ("POST", "/v1/repository/external-connection") => "AssociateExternalConnection",
        ("DELETE", "/v1/repository/external-connection") => "DisassociateExternalConnection",
        ("POST", "/v1/tag") => "TagResource",
        ("POST", "/v1/untag") => "UntagResource",
        ("POST", "/v1/tags") => "ListTagsForResource",
        _ => return None,
    })
}

/// IAM's service prefix for a SigV4 signing name.
fn prefix(service: &str) -> &str {
    match service {
        "tagging" => "tag",
        other => other,
    }
}

/// The IAM actions (with the resource, where the request names it) one request needs.
fn needs(r: &Recorded, env: &Env, roles: &str) -> Vec<(String, Option<String>)> {
    if r.service == "s3" {
        let path = r.target.split('?').next().unwrap_or("/").trim_matches('/');
        let resource = (!path.is_empty()).then(|| format!("arn:{}:s3:::{path}", env.partition));
        let mut out = vec![(
            s3_action(&r.operation).map_or_else(|| format!("s3:{}", r.operation), str::to_owned),
            resource.clone(),
        )];
        let bucket = resource
            .as_deref()
            .map(|b| b.split('/').next().unwrap_or(b).to_owned());
        match r.operation.as_str() {
            // Tags inside CreateBucket are authorized as s3:TagResource as well.
            "CreateBucket" if r.body.contains("<Tag>") => {
                out.push(("s3:TagResource".into(), resource));
            }
            // DeleteObjects is authorized per key, on the objects, and per version.
            "DeleteObjects" => {
                let objects = bucket.map(|b| format!("{b}/*"));
                out[0].1 = objects.clone();
                if r.body.contains("<VersionId>") {
                    out.push(("s3:DeleteObjectVersion".into(), objects));
                }
            }
            _ => {}
        }
        return out;
    }
    if r.service == "codeartifact" {
        let operation = codeartifact_action(&r.operation, &r.target)
            .map_or_else(|| format!("{} {}", r.operation, r.target), str::to_owned);
        return vec![(format!("codeartifact:{operation}"), None)];
    }
    let action = format!("{}:{}", prefix(&r.service), r.operation);
    let resource = (r.service == "iam")
        .then(|| {
            r.body
                .split('&')
                .find_map(|p| p.strip_prefix("RoleName="))
                .map(|name| format!("{roles}{name}"))
        })
        .flatten();
    vec![(action, resource)]
}

/// IAM's wildcard match: `*` any run of characters, `?` one; actions ignore case.
fn matches(pattern: &str, value: &str) -> bool {
    fn go(p: &[u8], v: &[u8]) -> bool {
        match (p.first(), v.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], v) || (!v.is_empty() && go(p, &v[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &v[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &v[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), value.as_bytes())
}

/// Whether an `Allow` statement of `policy` covers `action` on `resource` (any resource when
/// the request names none).
fn allowed(policy: &serde_json::Value, action: &str, resource: Option<&str>) -> bool {
    let list = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Effect"] == "Allow")
        .any(|s| {
            list(&s["Action"])
                .iter()
                .any(|a| matches(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
                && resource.is_none_or(|r| list(&s["Resource"]).iter().any(|p| matches(p, r)))
        })
}

/// What the policy of `app` does not allow of what its lifecycle asked.
async fn denied_requests(app: &App) -> (Vec<String>, usize) {
    let (_, env) = provider_at(endpoint()).await;
    let desired = resolved(app, &env);
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let (provider, _) = provider_at(proxy.endpoint()).await;
    let options = ApplyOptions::default().retry(quick_retries());
    let name = app.name().as_str();

    let plan = engine::plan(&desired, &provider, 8).await.expect("plan");
    let report = engine::apply(&plan, &provider, &options).await;
    assert!(report.succeeded(), "apply of {name}: {report}");
    let drift = engine::plan(&desired, &provider, 8).await.expect("drift");
    assert!(drift.is_empty(), "{name} converged: {drift}");
    engine::plan_destroy(name, Some(&desired), &provider, 8)
        .await
        .expect("destroy plan");
    let report = engine::destroy(name, Some(&desired), &provider, &options)
        .await
        .expect("destroy");
    assert!(report.succeeded(), "destroy of {name}: {report}");

    let policy: serde_json::Value = serde_json::from_str(
        &deployer_policy(&app.desired(), &env.partition, &env.region, &env.account).to_json(),
    )
    .expect("the policy is JSON");
    let roles = format!(
        "arn:{}:iam::{}:role{}",
        env.partition,
        env.account,
        role_path(name).replace(REGION_VAR, &env.region)
    );
    let recorded = proxy.recorded();
    let mut denied = BTreeSet::new();
    for r in &recorded {
        for (action, resource) in needs(r, &env, &roles) {
            if !allowed(&policy, &action, resource.as_deref()) {
                denied.insert(format!(
                    "{action} on {} ({} {})",
                    resource.as_deref().unwrap_or("(action only)"),
                    r.service,
                    r.operation
                ));
            }
        }
    }
    (denied.into_iter().collect(), recorded.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_deployer_policy_allows_every_request_of_every_examples_lifecycle() {
    let mut failures = Vec::new();
    for example in examples::ALL {
        let prefix = unique("pol");
        let mut app = App::new(prefix.as_str()).expect("a valid app name");
        (example.add)(&mut app, &prefix).expect("valid names");
        let (denied, requests) = denied_requests(&app).await;
        assert!(
            requests > 0,
            "{}: requests went through the proxy",
            example.name
        );
        if !denied.is_empty() {
            failures.push(format!("{}: {denied:#?}", example.name));
        }
    }
    assert!(
        failures.is_empty(),
        "the deployer policy does not allow:\n{}",
        failures.join("\n")
    );
}

#[test]
fn wildcards_match_as_iam_does() {
    assert!(matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x"));
    assert!(matches(
        "kms:GenerateDataKey*",
        "kms:GenerateDataKeyWithoutPlaintext"
    ));
    assert!(matches("secret:db-??????", "secret:db-AbCdEf"));
    assert!(!matches("secret:db-??????", "secret:db-AbCdE"));
    assert!(!matches("arn:aws:s3:::b", "arn:aws:s3:::b2"));
    let policy = serde_json::json!({"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
    ]});
    assert!(allowed(&policy, "s3:getobject", Some("arn:aws:s3:::b/k")));
    assert!(!allowed(&policy, "s3:GetObject", Some("arn:aws:s3:::c/k")));
    assert!(!allowed(&policy, "s3:PutObject", None));
}
