//! KMS keys that do not exist, refused where AWS refuses them and accepted where AWS accepts
//! them (the extension's `kms_keys` cites each service's rule): a build project's log group
//! (`CreateLogGroup`, `AssociateKmsKey`: `InvalidParameterException`) and an image repository
//! (`CreateRepository`: `KmsException`) fail `apply`, naming the resource, the field and the
//! key; a bucket's default encryption takes any key id (`PutBucketEncryption` does not check
//! it) and the object written under it fails with `KMS.NotFoundException`.

use pipewright::engine::{self, ApplyOptions, Status};
use pipewright::model::{App, BuildProject, ImageRepository, InlineBuildSpec};

use crate::harness::{clients, code, kms_key, unique};
use crate::support::aws::provider_with;

/// A key ARN of the emulator's account and region that names no key.
fn made_up(region: &str, account: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/0000aaaa-00aa-00aa-00aa-000000000000")
}

/// What a failed apply of `app` said, one line per failed resource.
async fn failures(app: &App) -> String {
    let (provider, env) = provider_with(clients().await).await;
    let desired = engine::resolve(&app.desired(), &env).expect("resolves");
    let plan = engine::plan(&desired, &provider, 4).await.expect("plans");
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    let said: Vec<String> = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.status {
            Status::Failed { error, .. } => {
                Some(format!("{}: {} {error}", o.physical_name, error.code))
            }
            _ => None,
        })
        .collect();
    let report = engine::destroy(
        &desired.app,
        Some(&desired),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
    said.join("\n")
}

#[tokio::test]
async fn a_log_group_or_image_repository_key_that_does_not_exist_fails_apply_naming_it() {
    let c = clients().await;
    let (_, env) = provider_with(c.clone()).await;
    let key = made_up(&env.region, &env.account);

    let project = unique("nokeylogs");
    let mut app = App::new(unique("nkl")).expect("app name");
    app.add(
        BuildProject::builder()
            .name(&project)
            .buildspec(InlineBuildSpec::new().build(["true"]))
            .log_kms_key(&key)
            .build()
            .expect("project"),
    );
    let said = failures(&app).await;
    let group = format!("/aws/codebuild/{project}");
    for part in [
        group.as_str(),
        "log_kms_key",
        key.as_str(),
        "InvalidParameterException",
    ] {
        assert!(said.contains(part), "the failure names {part}: {said}");
    }

    let repo = unique("nokeyecr");
    let mut app = App::new(unique("nke")).expect("app name");
    app.add(
        ImageRepository::builder()
            .name(&repo)
            .kms_key(&key)
            .build()
            .expect("repository"),
    );
    let said = failures(&app).await;
    for part in [repo.as_str(), "kms_key", key.as_str(), "KmsException"] {
        assert!(said.contains(part), "the failure names {part}: {said}");
    }
    assert_eq!(
        code(
            c.ecr
                .describe_repositories()
                .repository_names(&repo)
                .send()
                .await
        ),
        "RepositoryNotFoundException",
        "nothing was created"
    );
}

/// The emulator's contract for the keys: CloudWatch Logs and ECR check them at the call that
/// names them, by ARN, id or alias as each takes them; an AWS managed alias always names a key.
#[tokio::test]
async fn logs_and_ecr_check_the_key_a_call_names() {
    let c = clients().await;
    let (_, env) = provider_with(c.clone()).await;
    let missing = made_up(&env.region, &env.account);
    let real = kms_key().await;

    let group = format!("/aws/codebuild/{}", unique("keys"));
    assert_eq!(
        code(
            c.logs
                .create_log_group()
                .log_group_name(&group)
                .kms_key_id(&missing)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    c.logs
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("a group without a key");
    assert_eq!(
        code(
            c.logs
                .associate_kms_key()
                .log_group_name(&group)
                .kms_key_id(&missing)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    c.logs
        .associate_kms_key()
        .log_group_name(&group)
        .kms_key_id(&real)
        .send()
        .await
        .expect("a key that exists");
    c.logs
        .delete_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("delete the group");

    use aws_sdk_ecr::types::{EncryptionConfiguration, EncryptionType};
    let kms = |key: &str| {
        EncryptionConfiguration::builder()
            .encryption_type(EncryptionType::Kms)
            .kms_key(key)
            .build()
            .expect("config")
    };
    for bad in [
        missing.as_str(),
        "0000aaaa-00aa-00aa-00aa-000000000000",
        "alias/no-such-key",
    ] {
        assert_eq!(
            code(
                c.ecr
                    .create_repository()
                    .repository_name(unique("keys"))
                    .encryption_configuration(kms(bad))
                    .send()
                    .await
            ),
            "KmsException",
            "{bad}"
        );
    }
    for good in [real.as_str(), "alias/aws/ecr"] {
        let name = unique("keys");
        c.ecr
            .create_repository()
            .repository_name(&name)
            .encryption_configuration(kms(good))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{good}: {e:?}"));
        c.ecr
            .delete_repository()
            .repository_name(&name)
            .send()
            .await
            .expect("delete the repository");
    }
}

/// S3 takes any key at `PutBucketEncryption` ("Amazon S3 doesn't validate the KMS key ID
/// provided in PutBucketEncryption requests", the S3 API Reference); an object written under
/// the default encryption of a key that does not exist fails with `KMS.NotFoundException`.
#[tokio::test]
async fn s3_takes_any_default_key_and_refuses_the_object_written_under_a_missing_one() {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let c = clients().await;
    let (_, env) = provider_with(c.clone()).await;
    let missing = made_up(&env.region, &env.account);
    let bucket = unique("keys-bucket");
    c.s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("a bucket");
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(&missing)
                .build()
                .expect("default"),
        )
        .build();
    c.s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("PutBucketEncryption takes a key it does not check");
    let put =
        c.s3.put_object()
            .bucket(&bucket)
            .key("artifact.zip")
            .body(b"zip".to_vec().into())
            .send()
            .await;
    assert_eq!(code(put), "KMS.NotFoundException");
    c.s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete the bucket");
}
