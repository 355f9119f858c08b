//! S3: the artifact bucket and everything pipewright sets on it.

use aws_sdk_s3::{
    primitives::ByteStream,
    types::{
        BucketLifecycleConfiguration, BucketVersioningStatus, Delete, ExpirationStatus,
        LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectIdentifier,
        PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
        VersioningConfiguration,
    },
};

use crate::harness::{clients, code, unique};

#[tokio::test]
async fn bucket_settings_round_trip() {
    let c = clients().await;
    let s3 = &c.s3;
    let name = unique("bucket");

    assert_eq!(
        code(s3.get_bucket_versioning().bucket(&name).send().await),
        "NoSuchBucket"
    );
    s3.create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("create");

    // Versioning.
    s3.put_bucket_versioning()
        .bucket(&name)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("put versioning");
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&name)
        .send()
        .await
        .expect("get versioning");
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));

    // Encryption: a fresh bucket already reports SSE-S3 (as AWS does); set it explicitly anyway.
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .expect("algorithm set");
    s3.put_bucket_encryption()
        .bucket(&name)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .expect("rules set"),
        )
        .send()
        .await
        .expect("put encryption");
    let encryption = s3
        .get_bucket_encryption()
        .bucket(&name)
        .send()
        .await
        .expect("get encryption");
    let algorithm = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().clone());
    assert_eq!(algorithm, Some(ServerSideEncryption::Aes256));

    // Public access block.
    s3.put_public_access_block()
        .bucket(&name)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .expect("put public access block");
    let block = s3
        .get_public_access_block()
        .bucket(&name)
        .send()
        .await
        .expect("get pab");
    let block = block
        .public_access_block_configuration()
        .expect("configuration");
    assert_eq!(
        (
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );

    // TLS-only bucket policy.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{name}"), format!("arn:aws:s3:::{name}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    });
    s3.put_bucket_policy()
        .bucket(&name)
        .policy(policy.to_string())
        .send()
        .await
        .expect("put policy");
    let stored = s3
        .get_bucket_policy()
        .bucket(&name)
        .send()
        .await
        .expect("get policy");
    let stored: serde_json::Value =
        serde_json::from_str(stored.policy().expect("a policy")).expect("policy JSON");
    assert_eq!(stored, policy);

    // Lifecycle: old artifact versions expire.
    s3.put_bucket_lifecycle_configuration()
        .bucket(&name)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("expire-old-artifacts")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .noncurrent_version_expiration(
                            NoncurrentVersionExpiration::builder()
                                .noncurrent_days(30)
                                .build(),
                        )
                        .build()
                        .expect("status set"),
                )
                .build()
                .expect("rules set"),
        )
        .send()
        .await
        .expect("put lifecycle");
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(&name)
        .send()
        .await
        .expect("get lifecycle");
    let rule = lifecycle.rules().first().expect("one rule");
    assert_eq!(rule.id(), Some("expire-old-artifacts"));
    assert_eq!(
        rule.noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
        Some(30)
    );

    // Tags.
    let tags = Tagging::builder()
        .tag_set(
            Tag::builder()
                .key("pipewright:app")
                .value("contract")
                .build()
                .expect("tag"),
        )
        .tag_set(
            Tag::builder()
                .key("pipewright:id")
                .value("bucket")
                .build()
                .expect("tag"),
        )
        .build()
        .expect("tag set");
    s3.put_bucket_tagging()
        .bucket(&name)
        .tagging(tags)
        .send()
        .await
        .expect("put tagging");
    let tagged = s3
        .get_bucket_tagging()
        .bucket(&name)
        .send()
        .await
        .expect("get tagging");
    let mut pairs: Vec<(&str, &str)> = tagged
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    pairs.sort_unstable();
    assert_eq!(
        pairs,
        [("pipewright:app", "contract"), ("pipewright:id", "bucket")]
    );

    // Listing.
    let listed = s3.list_buckets().send().await.expect("list");
    assert!(
        listed
            .buckets()
            .iter()
            .any(|b| b.name() == Some(name.as_str()))
    );

    // Emptying a versioned bucket means deleting every object version.
    for body in ["one", "two"] {
        s3.put_object()
            .bucket(&name)
            .key("artifact.zip")
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await
            .expect("put object");
    }
    let versions = s3
        .list_object_versions()
        .bucket(&name)
        .send()
        .await
        .expect("versions");
    assert_eq!(
        versions.versions().len(),
        2,
        "both versions of the object are kept"
    );
    let ids: Vec<ObjectIdentifier> = versions
        .versions()
        .iter()
        .map(|v| {
            ObjectIdentifier::builder()
                .key(v.key().expect("a key"))
                .set_version_id(v.version_id().map(str::to_owned))
                .build()
                .expect("key set")
        })
        .collect();
    let deleted = s3
        .delete_objects()
        .bucket(&name)
        .delete(
            Delete::builder()
                .set_objects(Some(ids))
                .build()
                .expect("objects set"),
        )
        .send()
        .await
        .expect("delete versions");
    assert_eq!(deleted.deleted().len(), 2);
    assert!(deleted.errors().is_empty(), "{:?}", deleted.errors());
    let after = s3
        .list_object_versions()
        .bucket(&name)
        .send()
        .await
        .expect("versions");
    assert!(after.versions().is_empty() && after.delete_markers().is_empty());

    // Removing settings, then the bucket.
    s3.delete_bucket_tagging()
        .bucket(&name)
        .send()
        .await
        .expect("delete tagging");
    s3.delete_bucket_policy()
        .bucket(&name)
        .send()
        .await
        .expect("delete policy");
    assert_eq!(
        code(s3.get_bucket_policy().bucket(&name).send().await),
        "NoSuchBucketPolicy"
    );
    s3.delete_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("delete bucket");
    assert_eq!(
        code(s3.get_bucket_versioning().bucket(&name).send().await),
        "NoSuchBucket"
    );
    assert_eq!(
        code(s3.delete_bucket().bucket(&name).send().await),
        "NoSuchBucket"
    );
}

/// Bucket names are global and a bucket is private to its account: another account's bucket
/// answers AccessDenied (the emulator served it to every account), and the provider reads that as
/// a resource it can never own, which the plan reports as a conflict naming the bucket instead of
/// aborting with AccessDenied.
#[tokio::test]
async fn another_accounts_bucket_is_denied_and_read_as_foreign() {
    use pipewright::model::ResourceKind;

    let c = clients().await;
    let name = unique("foreign");
    let config = crate::harness::sdk_config().await;
    let stranger = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "222233334444",
                "test",
                None,
                None,
                "another account",
            ))
            .force_path_style(true)
            .build(),
    );
    stranger
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("the other account creates its bucket");

    assert_eq!(
        code(c.s3.get_bucket_versioning().bucket(&name).send().await),
        "AccessDenied"
    );
    let (provider, _) = crate::support::aws::provider_with(c.clone()).await;
    let seen = provider
        .read(ResourceKind::Bucket, &name)
        .await
        .expect("a denied bucket is not an error of the plan")
        .expect("it exists");
    let why = seen.foreign.expect("read as another account's");
    assert!(why.contains("another account"), "{why}");

    stranger
        .delete_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("the other account deletes its bucket");
}

/// In us-east-1 `CreateBucket` on a bucket the caller already owns answers 200 (S3 API reference,
/// CreateBucket, BucketAlreadyOwnedByYou); with tags in the request it refuses. The provider puts
/// the tags in the create, so a same-named bucket of ours that is not the app's is never tagged as
/// the app's: the create fails as already existing and the engine then reads it as a conflict.
#[tokio::test]
async fn creating_over_our_own_untagged_bucket_in_us_east_1_changes_nothing() {
    use pipewright::model::ResourceKind;
    use pipewright::provider::api::{ErrorClass, Resource};

    let c = clients().await;
    assert_eq!(c.region(), "us-east-1");
    let name = unique("owned");
    c.s3.create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("an untagged bucket of ours");
    let (provider, _) = crate::support::aws::provider_with(c.clone()).await;
    let resource = Resource {
        id: "Bucket".into(),
        kind: ResourceKind::Bucket,
        physical_name: name.clone(),
        properties: serde_json::json!({
            "BucketName": name,
            "Tags": [{"Key": "pipewright:app", "Value": "shop"}, {"Key": "pipewright:id", "Value": "Bucket"}],
        }),
    };
    let err = provider
        .create(&resource)
        .await
        .expect_err("the bucket is there already");
    assert_eq!(err.class, ErrorClass::AlreadyExists, "{err}");
    assert_eq!(
        code(c.s3.get_bucket_tagging().bucket(&name).send().await),
        "NoSuchTagSet",
        "the bucket was not tagged as the app's"
    );
    c.s3.delete_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("clean up");
}
