//! The deployer policy against what the engine really asks of AWS: every example's whole
//! lifecycle (plan, apply, the no-op plan `drift` makes, the destroy plan, destroy) runs through
//! the proxy with no faults, each request is mapped to the IAM action AWS authorizes it as, and
//! the policy `pipewright policy` prints for the app must allow every one.
//!
//! The execution verbs (push, approve, watch, logs, executions, run, retry, stop) run on the
//! reference app through the proxy the same way, git's requests included: the proxy answers
//! `GetRepository` with its own address in `cloneUrlHttp`, and maps git's smart HTTP requests to
//! `codecommit:GitPull` and `codecommit:GitPush`.
//!
//! Resources: S3 requests name their bucket (and key) in the path, IAM requests their role and
//! git's requests their repository; the JSON protocols' bodies name CodeCommit repositories,
//! CodeBuild projects, builds, report groups and reports, CodePipeline pipelines, stages and
//! actions, CloudWatch Logs groups and streams, CodeDeploy applications, groups and
//! configurations, and the resources tagging APIs take by ARN. Each is rebuilt as the ARN IAM
//! authorizes the request on and checked against the statements' resources; a request that
//! names none of these (STS, the tagging API's search, EventBridge, ECR's own names, a
//! CodeDeploy deployment by id, CodeArtifact's REST requests, named by method and path in
//! `codeartifact_action`) is checked by its action alone.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use pipewright::engine::{self, ApplyOptions, Env};
use pipewright::local::LocalOptions;
use pipewright::model::{App, REGION_VAR, role_path};
use pipewright::synth::deployer_policy;

use crate::apply::{quick_retries, resolved};
use crate::harness::{endpoint, unique};
use crate::proxy::{FaultPlan, FaultProxy, Recorded};
use crate::support::aws::provider_at;
use crate::support::examples::{self, reference_app};
use crate::watch::{Run, cli_at, expect};

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

/// The resources a JSON-protocol request names in its body, as the ARNs IAM authorizes it on
/// (Service Authorization Reference, each service's "Resource types" table; CloudWatch Logs
/// User Guide, "CloudWatch Logs resources and operations"). Empty when the body names none
/// the policy could scope: the action alone is checked then.
fn json_resources(service: &str, operation: &str, body: &str, env: &Env) -> Vec<String> {
    let Ok(body) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let arn = |rest: &str| {
        format!(
            "arn:{}:{service}:{}:{}:{rest}",
            env.partition, env.region, env.account
        )
    };
    let text = |key: &str| body[key].as_str().map(str::to_owned);
    let texts = |key: &str| -> Vec<String> {
        body[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    // A name, or an ARN where the API takes either.
    let named = |name: String, rest: &dyn Fn(&str) -> String| {
        if name.starts_with("arn:") {
            name
        } else {
            arn(&rest(&name))
        }
    };
    // Tagging APIs name the resource by ARN.
    if let Some(resource) = text("resourceArn").or_else(|| text("ResourceArn")) {
        return vec![resource];
    }
    match service {
        // `arn:…:codecommit:REGION:ACCOUNT:NAME`.
        "codecommit" => text("repositoryName")
            .into_iter()
            .chain(texts("repositoryNames"))
            .map(|n| arn(&n))
            .collect(),
        // `project/NAME` (builds are authorized on their project: an id is `NAME:UUID`),
        // `report-group/NAME` (reports on their group: `report/GROUP:UUID`).
        "codebuild" => {
            let project = |n: &str| format!("project/{n}");
            let group = |n: &str| format!("report-group/{n}");
            let mut out: Vec<String> = text("projectName")
                .into_iter()
                .chain(texts("names"))
                .map(|n| named(n, &project))
                .collect();
            if let Some(name) = text("name") {
                if operation.contains("ReportGroup") {
                    out.push(named(name, &group));
                } else {
                    out.push(named(name, &project));
                }
            }
            out.extend(text("arn"));
            out.extend(texts("reportGroupArns"));
            out.extend(texts("ids").into_iter().map(|id| {
                let project_name = id.split(':').next().unwrap_or(&id).to_owned();
                arn(&project(&project_name))
            }));
            out.extend(texts("reportArns").into_iter().map(|report| {
                let (head, rest) = report.split_once(":report/").unwrap_or((&report, ""));
                let name = rest.split(':').next().unwrap_or(rest);
                format!("{head}:report-group/{name}")
            }));
            out
        }
        // `NAME`; a stage `NAME/STAGE` (transitions, retries), an action
        // `NAME/STAGE/ACTION` (approvals) (CodePipeline User Guide, "CodePipeline
        // permissions reference").
        "codepipeline" => {
            let name = text("pipelineName")
                .or_else(|| text("name"))
                .or_else(|| body["pipeline"]["name"].as_str().map(str::to_owned));
            name.map(|pipeline| match (text("stageName"), text("actionName")) {
                (Some(stage), Some(action)) => arn(&format!("{pipeline}/{stage}/{action}")),
                (Some(stage), None) => arn(&format!("{pipeline}/{stage}")),
                _ => arn(&pipeline),
            })
            .into_iter()
            .collect()
        }
        // IAM names a log group `log-group:NAME:log-stream:` and a stream
        // `log-group:NAME:log-stream:STREAM`; an account-wide listing `log-group::log-stream:`
        // (what AccessDenied names for DescribeLogGroups: hashicorp/terraform-provider-aws
        // #8804).
        "logs" => {
            if operation == "DescribeLogGroups" {
                return vec![arn("log-group::log-stream:")];
            }
            let group = text("logGroupName").or_else(|| text("logGroupIdentifier"));
            group
                .map(|g| {
                    if g.starts_with("arn:") {
                        g
                    } else {
                        let stream = text("logStreamName").unwrap_or_default();
                        arn(&format!("log-group:{g}:log-stream:{stream}"))
                    }
                })
                .into_iter()
                .collect()
        }
        // `application:APP`, `deploymentgroup:APP/GROUP`, `deploymentconfig:NAME`.
        "codedeploy" => {
            let application = text("applicationName");
            let mut groups: Vec<String> = text("deploymentGroupName")
                .or_else(|| text("currentDeploymentGroupName"))
                .into_iter()
                .chain(texts("deploymentGroupNames"))
                .collect();
            if let Some(app) = &application
                && !groups.is_empty()
            {
                return groups
                    .drain(..)
                    .map(|g| arn(&format!("deploymentgroup:{app}/{g}")))
                    .collect();
            }
            if let Some(config) = text("deploymentConfigName") {
                return vec![arn(&format!("deploymentconfig:{config}"))];
            }
            application
                .into_iter()
                .chain(texts("applicationNames"))
                .map(|a| arn(&format!("application:{a}")))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The resource a request of git's smart HTTP protocol is authorized on: its repository, from
/// the path (`/git/ACCOUNT/REGION/v1/repos/NAME/...` on the emulator).
fn git_resource(target: &str, env: &Env) -> Option<String> {
    let path = target.split('?').next().unwrap_or(target);
    let name = path.split("/v1/repos/").nth(1)?.split('/').next()?;
    Some(format!(
        "arn:{}:codecommit:{}:{}:{name}",
        env.partition, env.region, env.account
    ))
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
    if r.service == "iam" {
        let resource = r
            .body
            .split('&')
            .find_map(|p| p.strip_prefix("RoleName="))
            .map(|name| format!("{roles}{name}"));
        return vec![(action, resource)];
    }
    if r.operation == "GitPull" || r.operation == "GitPush" {
        return vec![(action, git_resource(&r.target, env))];
    }
    let resources = json_resources(&r.service, &r.operation, &r.body, env);
    if resources.is_empty() {
        return vec![(action, None)];
    }
    resources
        .into_iter()
        .map(|resource| (action.clone(), Some(resource)))
        .collect()
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

    let recorded = proxy.recorded();
    (denied(app, &env, &recorded), recorded.len())
}

/// What the policy `pipewright policy` prints for `app` does not allow of `recorded`.
fn denied(app: &App, env: &Env, recorded: &[Recorded]) -> Vec<String> {
    let policy: serde_json::Value = serde_json::from_str(
        &deployer_policy(&app.desired(), &env.partition, &env.region, &env.account).to_json(),
    )
    .expect("the policy is JSON");
    let roles = format!(
        "arn:{}:iam::{}:role{}",
        env.partition,
        env.account,
        role_path(app.name().as_str()).replace(REGION_VAR, &env.region)
    );
    let mut denied = BTreeSet::new();
    for r in recorded {
        for (action, resource) in needs(r, env, &roles) {
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
    denied.into_iter().collect()
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

/// The CLI on the reference app through `url`, at most four minutes.
async fn verb(prefix: &str, url: &str, args: &[&str]) -> Run {
    cli_at(reference_app(prefix), url, args, Duration::from_secs(240)).await
}

/// Runs `args` until it succeeds (an approval to answer, an execution to stop, not there yet),
/// at most three minutes.
async fn once_it_can(prefix: &str, url: &str, args: &[&str]) -> Run {
    let until = Instant::now() + Duration::from_secs(180);
    loop {
        let run = verb(prefix, url, args).await;
        if run.code == 0 {
            return run;
        }
        assert!(
            Instant::now() < until,
            "{args:?} never succeeded: {}",
            run.err
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `local instances ARGS` against the test emulator (the harness started it as `test-<pid>`).
async fn instances(args: Vec<String>) {
    tokio::task::spawn_blocking(move || {
        LocalOptions::default()
            .state_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"))
            .instance(format!("test-{}", std::process::id()))
            .instances(args)
    })
    .await
    .expect("the launcher thread")
    .expect("local instances");
}

/// Copies a folder's files (its build output left out).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a file name");
        if name == "target" {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).expect("copy a file");
        }
    }
}

/// The execution verbs of the reference app through the proxy, git's own requests included:
/// `push` of the sample application (its git fetch and push), `approve` of the approval the
/// push's execution reaches, `watch` of it to its deployment's end, `logs` of its build,
/// `executions`, `run --no-wait`, `approve --reject`, `retry` of the rejected stage and `stop
/// --abandon` of the retried execution. Each request must be allowed by the printed policy,
/// on the resource it names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployer_policy_allows_every_request_of_the_execution_verbs() {
    let prefix = unique("pox");
    let direct = endpoint();
    expect(
        &verb(&prefix, direct, &["apply", "--yes"]).await,
        0,
        "apply",
    );
    let tag = format!("Name={prefix}-web");
    instances(vec!["add".into(), "--tag".into(), tag.clone()]).await;
    let dir = std::env::temp_dir().join(format!("{prefix}-src"));
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop-api"),
        &dir,
    );

    let proxy = FaultProxy::start(direct, FaultPlan::none().with_git()).await;
    let url = proxy.endpoint();
    let pushed = verb(&prefix, url, &["push", dir.to_str().expect("utf-8")]).await;
    expect(&pushed, 0, "push");
    once_it_can(&prefix, url, &["approve"]).await;
    expect(&verb(&prefix, url, &["watch"]).await, 0, "watch");
    let logs = verb(&prefix, url, &["logs"]).await;
    expect(&logs, 0, "logs");
    assert!(logs.out.contains("cargo"), "the build's log: {}", logs.out);
    expect(
        &verb(&prefix, url, &["executions", "--json"]).await,
        0,
        "executions",
    );
    let started = verb(&prefix, url, &["run", "--no-wait"]).await;
    expect(&started, 0, "run --no-wait");
    let id = started.out.trim().to_owned();
    once_it_can(&prefix, url, &["approve", "--reject"]).await;
    // The rejected stage runs again, and its execution is stopped as it waits once more.
    let stop = ["stop", "--abandon", "--execution", &id];
    let (retried, stopped) = tokio::join!(
        verb(&prefix, url, &["retry"]),
        once_it_can(&prefix, url, &stop),
    );
    expect(&retried, 1, "retry of a stage then stopped");
    expect(&stopped, 0, "stop --abandon");

    let (_, env) = provider_at(direct).await;
    let recorded = proxy.recorded();
    drop(proxy);
    expect(
        &verb(&prefix, direct, &["destroy", "--yes"]).await,
        0,
        "destroy",
    );
    instances(vec!["remove".into(), "--tag".into(), tag]).await;
    let _ = std::fs::remove_dir_all(&dir);

    let seen: BTreeSet<&str> = recorded.iter().map(|r| r.operation.as_str()).collect();
    for operation in [
        "GitPull",
        "GitPush",
        "GetRepository",
        "StartPipelineExecution",
        "GetPipelineState",
        "GetPipelineExecution",
        "ListPipelineExecutions",
        "PutApprovalResult",
        "RetryStageExecution",
        "StopPipelineExecution",
        "BatchGetBuilds",
        "GetLogEvents",
        "GetDeployment",
    ] {
        assert!(
            seen.contains(operation),
            "{operation} went through the proxy: {seen:?}"
        );
    }
    let app = reference_app(&prefix);
    let denied = denied(&app, &env, &recorded);
    assert!(
        denied.is_empty(),
        "the deployer policy does not allow, of the execution verbs' {} requests:\n{denied:#?}",
        recorded.len()
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

#[test]
fn json_bodies_name_the_resources_iam_authorizes() {
    let env = Env {
        partition: "aws".into(),
        region: "eu-west-1".into(),
        account: "123456789012".into(),
    };
    let of = |service: &str, operation: &str, body: serde_json::Value| {
        json_resources(service, operation, &body.to_string(), &env)
    };
    assert_eq!(
        of(
            "codepipeline",
            "PutApprovalResult",
            serde_json::json!({"pipelineName": "p", "stageName": "S", "actionName": "A"})
        ),
        ["arn:aws:codepipeline:eu-west-1:123456789012:p/S/A"]
    );
    assert_eq!(
        of(
            "codebuild",
            "BatchGetBuilds",
            serde_json::json!({"ids": ["b:1f2e"]})
        ),
        ["arn:aws:codebuild:eu-west-1:123456789012:project/b"]
    );
    assert_eq!(
        of(
            "codebuild",
            "BatchGetReports",
            serde_json::json!({"reportArns": ["arn:aws:codebuild:eu-west-1:123456789012:report/g:9"]})
        ),
        ["arn:aws:codebuild:eu-west-1:123456789012:report-group/g"]
    );
    assert_eq!(
        of(
            "logs",
            "PutRetentionPolicy",
            serde_json::json!({"logGroupName": "/aws/codebuild/b", "retentionInDays": 7})
        ),
        ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/b:log-stream:"]
    );
    assert_eq!(
        of(
            "codedeploy",
            "UpdateDeploymentGroup",
            serde_json::json!({"applicationName": "a", "currentDeploymentGroupName": "g", "deploymentConfigName": "c"})
        ),
        ["arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:a/g"]
    );
    assert_eq!(
        of(
            "codecommit",
            "BatchGetRepositories",
            serde_json::json!({"repositoryNames": ["r1", "r2"]})
        ),
        [
            "arn:aws:codecommit:eu-west-1:123456789012:r1",
            "arn:aws:codecommit:eu-west-1:123456789012:r2"
        ]
    );
    // A policy scoped to the log group's streams allows the group's own actions; one that
    // names the bare group ARN does not (CloudWatch Logs User Guide: `:*` for every action
    // but tagging).
    let policy = |resource: &str| {
        serde_json::json!({"Statement": [
            {"Effect": "Allow", "Action": ["logs:PutRetentionPolicy"], "Resource": [resource]}
        ]})
    };
    let wanted = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/b:log-stream:";
    assert!(allowed(
        &policy("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/b:*"),
        "logs:PutRetentionPolicy",
        Some(wanted)
    ));
    assert!(!allowed(
        &policy("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/b"),
        "logs:PutRetentionPolicy",
        Some(wanted)
    ));
}
