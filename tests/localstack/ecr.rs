//! Amazon ECR repositories as the provider uses them: `CreateRepository` (mutability, scanning,
//! encryption and tags, checked as AWS checks them), `DescribeRepositories`,
//! `PutImageTagMutability`, `PutImageScanningConfiguration`, the lifecycle and repository
//! policy calls, `TagResource` / `UntagResource` / `ListTagsForResource`, the tagging API's
//! listing, and `DeleteRepository` (refused on a repository with images unless forced), with
//! AWS's error codes.

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Tag,
};

use crate::harness::{clients, code, unique};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().expect("tag")
}

#[tokio::test]
async fn repositories_are_checked_as_aws_checks_them() {
    let c = clients().await;
    let ecr = &c.ecr;
    let name = format!("{}/web", unique("ecr-contract"));

    // Missing: each read, change and delete names the repository as not found.
    assert_eq!(
        code(
            ecr.describe_repositories()
                .repository_names(&name)
                .send()
                .await
        ),
        "RepositoryNotFoundException"
    );
    assert_eq!(
        code(
            ecr.delete_repository()
                .repository_name(&name)
                .force(true)
                .send()
                .await
        ),
        "RepositoryNotFoundException"
    );
    assert_eq!(
        code(
            ecr.put_image_tag_mutability()
                .repository_name(&name)
                .image_tag_mutability(ImageTagMutability::Mutable)
                .send()
                .await
        ),
        "RepositoryNotFoundException"
    );

    // Names outside the pattern, a key without the KMS type, bad and too many tags.
    for bad in ["Web", "a", "web//x", "-web"] {
        assert_eq!(
            code(ecr.create_repository().repository_name(bad).send().await),
            "InvalidParameterException",
            "{bad}"
        );
    }
    let aes_with_key = EncryptionConfiguration::builder()
        .encryption_type(EncryptionType::Aes256)
        .kms_key("arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        .build()
        .expect("config");
    assert_eq!(
        code(
            ecr.create_repository()
                .repository_name(&name)
                .encryption_configuration(aes_with_key)
                .send()
                .await
        ),
        "InvalidParameterException"
    );
    assert_eq!(
        code(
            ecr.create_repository()
                .repository_name(&name)
                .tags(tag("aws:reserved", "x"))
                .send()
                .await
        ),
        "InvalidTagParameterException"
    );
    let too_many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert_eq!(
        code(
            ecr.create_repository()
                .repository_name(&name)
                .set_tags(Some(too_many))
                .send()
                .await
        ),
        "TooManyTagsException"
    );

    // Created immutable, scanned, with tags: read back as made, listed by the tagging API.
    let made = ecr
        .create_repository()
        .repository_name(&name)
        .image_tag_mutability(ImageTagMutability::Immutable)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(true)
                .build(),
        )
        .tags(tag("pipewright:app", "contract"))
        .send()
        .await
        .expect("create");
    let arn = made
        .repository()
        .and_then(|r| r.repository_arn())
        .expect("an ARN")
        .to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:ecr:{}:000000000000:repository/{name}", c.region())
    );
    assert_eq!(
        code(ecr.create_repository().repository_name(&name).send().await),
        "RepositoryAlreadyExistsException"
    );
    let seen = ecr
        .describe_repositories()
        .repository_names(&name)
        .send()
        .await
        .expect("describe");
    let r = &seen.repositories()[0];
    assert_eq!(
        r.image_tag_mutability(),
        Some(&ImageTagMutability::Immutable)
    );
    assert_eq!(
        r.image_scanning_configuration().map(|s| s.scan_on_push()),
        Some(true)
    );
    assert_eq!(
        r.encryption_configuration().map(|e| e.encryption_type()),
        Some(&EncryptionType::Aes256)
    );
    assert_eq!(
        r.repository_uri(),
        Some(format!("000000000000.dkr.ecr.{}.amazonaws.com/{name}", c.region()).as_str())
    );
    let listed = c
        .tagging
        .get_resources()
        .tag_filters(
            aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                .key("pipewright:app")
                .values("contract")
                .build(),
        )
        .send()
        .await
        .expect("tagging API");
    assert!(
        listed
            .resource_tag_mapping_list()
            .iter()
            .any(|m| m.resource_arn() == Some(arn.as_str())),
        "the tagging API lists the repository"
    );

    // Settings change in place.
    ecr.put_image_tag_mutability()
        .repository_name(&name)
        .image_tag_mutability(ImageTagMutability::Mutable)
        .send()
        .await
        .expect("mutability");
    assert_eq!(
        code(
            ecr.put_image_scanning_configuration()
                .repository_name("ecr-contract-missing")
                .image_scanning_configuration(ImageScanningConfiguration::builder().build())
                .send()
                .await
        ),
        "RepositoryNotFoundException"
    );
    // The SDK leaves `scanOnPush: false` out: a configuration without it turns scanning off.
    ecr.put_image_scanning_configuration()
        .repository_name(&name)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(false)
                .build(),
        )
        .send()
        .await
        .expect("scanning");
    let seen = ecr
        .describe_repositories()
        .repository_names(&name)
        .send()
        .await
        .expect("describe");
    let r = &seen.repositories()[0];
    assert_eq!(r.image_tag_mutability(), Some(&ImageTagMutability::Mutable));
    assert_eq!(
        r.image_scanning_configuration().map(|s| s.scan_on_push()),
        Some(false)
    );

    // Policies: absent is its own error, then set, read and deleted.
    assert_eq!(
        code(
            ecr.get_lifecycle_policy()
                .repository_name(&name)
                .send()
                .await
        ),
        "LifecyclePolicyNotFoundException"
    );
    assert_eq!(
        code(
            ecr.get_repository_policy()
                .repository_name(&name)
                .send()
                .await
        ),
        "RepositoryPolicyNotFoundException"
    );
    let lifecycle = r#"{"rules":[{"rulePriority":1,"description":"keep 3","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;
    ecr.put_lifecycle_policy()
        .repository_name(&name)
        .lifecycle_policy_text(lifecycle)
        .send()
        .await
        .expect("lifecycle");
    let got = ecr
        .get_lifecycle_policy()
        .repository_name(&name)
        .send()
        .await
        .expect("get lifecycle");
    let got: serde_json::Value =
        serde_json::from_str(got.lifecycle_policy_text().expect("text")).expect("JSON");
    assert_eq!(got["rules"][0]["selection"]["countNumber"], 3);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":["ecr:BatchGetImage"]}]}"#;
    ecr.set_repository_policy()
        .repository_name(&name)
        .policy_text(policy)
        .send()
        .await
        .expect("policy");
    ecr.get_repository_policy()
        .repository_name(&name)
        .send()
        .await
        .expect("get policy");
    ecr.delete_lifecycle_policy()
        .repository_name(&name)
        .send()
        .await
        .expect("delete lifecycle");
    ecr.delete_repository_policy()
        .repository_name(&name)
        .send()
        .await
        .expect("delete policy");

    // Tags: added within the limit, removed by key.
    let too_many: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert_eq!(
        code(
            ecr.tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(too_many))
                .send()
                .await
        ),
        "TooManyTagsException",
        "50 more beside the one it has"
    );
    ecr.tag_resource()
        .resource_arn(&arn)
        .tags(tag("team", "web"))
        .send()
        .await
        .expect("tag");
    ecr.untag_resource()
        .resource_arn(&arn)
        .tag_keys("pipewright:app")
        .send()
        .await
        .expect("untag");
    let tags = ecr
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("tags");
    let keys: Vec<&str> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["team"]);

    // With an image: refused unless forced, then gone with it.
    ecr.put_image()
        .repository_name(&name)
        .image_tag("v1")
        .image_manifest(r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#)
        .send()
        .await
        .expect("put image");
    assert_eq!(
        code(ecr.delete_repository().repository_name(&name).send().await),
        "RepositoryNotEmptyException"
    );
    ecr.delete_repository()
        .repository_name(&name)
        .force(true)
        .send()
        .await
        .expect("forced delete");
    assert_eq!(
        code(
            ecr.describe_repositories()
                .repository_names(&name)
                .send()
                .await
        ),
        "RepositoryNotFoundException"
    );
}
