//! What the SDK's standard retry policy absorbs on its own, as configured by `Clients`.

use pipewright::provider::aws::{ClientOptions, Clients};

use crate::{
    harness::{code, endpoint, trust_policy, unique},
    proxy::{Fault, FaultPlan, FaultProxy},
};

async fn through(proxy: &FaultProxy) -> Clients {
    Clients::load(&ClientOptions::local(proxy.endpoint()))
        .await
        .expect("emulator options name a region")
}

/// A short life of a role, a repository and a bucket: 13 calls over IAM, CodeCommit and S3.
async fn round_trip(c: &Clients) -> Result<(), String> {
    let role = unique("fault-role");
    let repo = unique("fault-repo");
    let bucket = unique("fault-bucket");
    let e = |what: &str, err: &dyn std::fmt::Debug| format!("{what}: {err:?}");
    c.iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust_policy("codebuild.amazonaws.com"))
        .send()
        .await
        .map_err(|x| e("create role", &x))?;
    c.iam
        .get_role()
        .role_name(&role)
        .send()
        .await
        .map_err(|x| e("get role", &x))?;
    c.codecommit
        .create_repository()
        .repository_name(&repo)
        .send()
        .await
        .map_err(|x| e("create repository", &x))?;
    c.codecommit
        .get_repository()
        .repository_name(&repo)
        .send()
        .await
        .map_err(|x| e("get repository", &x))?;
    c.s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|x| e("create bucket", &x))?;
    c.s3.get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|x| e("get versioning", &x))?;
    c.s3.list_buckets()
        .send()
        .await
        .map_err(|x| e("list buckets", &x))?;
    c.codecommit
        .list_repositories()
        .send()
        .await
        .map_err(|x| e("list repositories", &x))?;
    c.iam
        .list_roles()
        .send()
        .await
        .map_err(|x| e("list roles", &x))?;
    c.s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|x| e("delete bucket", &x))?;
    c.codecommit
        .delete_repository()
        .repository_name(&repo)
        .send()
        .await
        .map_err(|x| e("delete repository", &x))?;
    c.iam
        .delete_role()
        .role_name(&role)
        .send()
        .await
        .map_err(|x| e("delete role", &x))?;
    c.sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|x| e("caller identity", &x))?;
    Ok(())
}

#[tokio::test]
async fn without_faults_every_request_passes_through() {
    let proxy = FaultProxy::start(endpoint(), FaultPlan::none()).await;
    let c = through(&proxy).await;
    round_trip(&c).await.expect("no faults, no errors");
    let stats = proxy.stats();
    assert_eq!(stats.total_faults(), 0);
    assert_eq!(stats.total_requests(), 13, "{stats:?}");
    assert_eq!(stats.requests.get("iam:CreateRole"), Some(&1), "{stats:?}");
    assert_eq!(
        stats.requests.get("codecommit:GetRepository"),
        Some(&1),
        "{stats:?}"
    );
}

#[tokio::test]
async fn throttling_server_errors_and_drops_are_retried() {
    let faults = [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::DropBefore,
        Fault::Latency(std::time::Duration::from_millis(50)),
    ];
    for (rate, seed) in [(0.1, 11), (0.3, 12)] {
        let proxy = FaultProxy::start(endpoint(), FaultPlan::new(rate, &faults, seed)).await;
        let c = through(&proxy).await;
        round_trip(&c)
            .await
            .unwrap_or_else(|e| panic!("{rate} of requests failing, seed {seed}: {e}"));
        let stats = proxy.stats();
        assert!(stats.total_faults() > 0, "faults were injected: {stats:?}");
        assert!(
            stats.total_requests() > 13,
            "failed attempts were retried: {stats:?}"
        );
    }
}

#[tokio::test]
async fn every_request_failing_spends_the_bounded_retry_budget() {
    let plan = FaultPlan::new(1.0, &[Fault::Throttle], 3).service("codepipeline");
    let proxy = FaultProxy::start(endpoint(), plan).await;
    let c = through(&proxy).await;
    let answer = c
        .codepipeline
        .get_pipeline()
        .name(unique("throttled"))
        .send()
        .await;
    assert_eq!(code(answer), "ThrottlingException");
    // `Clients` allows 5 attempts per call, then gives the error to the caller.
    assert_eq!(
        proxy.stats().requests.get("codepipeline:GetPipeline"),
        Some(&5)
    );

    // Other services are untouched, and once the faults stop the same call goes through.
    c.sts
        .get_caller_identity()
        .send()
        .await
        .expect("sts is not faulted");
    proxy.set_plan(FaultPlan::none());
    assert_eq!(
        code(
            c.codepipeline
                .get_pipeline()
                .name(unique("absent"))
                .send()
                .await
        ),
        "PipelineNotFoundException"
    );
}

#[tokio::test]
async fn a_dropped_answer_hides_a_change_that_happened() {
    // The emulator creates the repository, but the answer never arrives: the SDK retries, and the
    // retry meets the repository it created. The engine must read before it concludes anything.
    let plan = FaultPlan::new(1.0, &[Fault::DropAfter], 5).operation("CreateRepository");
    let proxy = FaultProxy::start(endpoint(), plan).await;
    let c = through(&proxy).await;
    let repo = unique("dropped");
    let created = c
        .codecommit
        .create_repository()
        .repository_name(&repo)
        .send()
        .await;
    assert!(created.is_err(), "no answer ever reached the client");
    let got = c
        .codecommit
        .get_repository()
        .repository_name(&repo)
        .send()
        .await
        .expect("the repository exists all the same");
    assert!(got.repository_metadata().is_some());
    c.codecommit
        .delete_repository()
        .repository_name(&repo)
        .send()
        .await
        .expect("clean up");
}
