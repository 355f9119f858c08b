//! IAM: service roles with their trust policy, inline policy and tags; STS for the account id.

use aws_sdk_iam::types::Tag;

use crate::harness::{clients, code, iam_document, trust_policy, unique};

#[tokio::test]
async fn caller_identity_names_the_account() {
    let c = clients().await;
    let me = c.sts.get_caller_identity().send().await.expect("sts");
    let account = me.account().expect("an account");
    assert_eq!(account.len(), 12, "{account}");
    assert!(me.arn().is_some_and(|a| a.starts_with("arn:aws:")));
}

#[tokio::test]
async fn role_with_inline_policy_and_tags() {
    let c = clients().await;
    let iam = &c.iam;
    let name = unique("role");

    assert_eq!(
        code(iam.get_role().role_name(&name).send().await),
        "NoSuchEntity"
    );

    let created = iam
        .create_role()
        .role_name(&name)
        .description("build role")
        .assume_role_policy_document(trust_policy("codebuild.amazonaws.com"))
        .tags(
            Tag::builder()
                .key("pipewright:app")
                .value("contract")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create role");
    let arn = created.role().expect("role").arn().to_owned();
    assert!(arn.ends_with(&format!(":role/{name}")), "{arn}");
    assert_eq!(
        code(
            iam.create_role()
                .role_name(&name)
                .assume_role_policy_document(trust_policy("codebuild.amazonaws.com"))
                .send()
                .await
        ),
        "EntityAlreadyExists"
    );

    // Read: the trust policy comes back URL-encoded, as from AWS.
    let got = iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .expect("get role");
    let role = got.role().expect("role");
    assert_eq!(role.description(), Some("build role"));
    let trust = iam_document(role.assume_role_policy_document().expect("trust policy"));
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "codebuild.amazonaws.com"
    );

    // Update: trust policy and description.
    iam.update_assume_role_policy()
        .role_name(&name)
        .policy_document(trust_policy("codedeploy.amazonaws.com"))
        .send()
        .await
        .expect("update trust");
    iam.update_role()
        .role_name(&name)
        .description("deploy role")
        .send()
        .await
        .expect("update role");
    let got = iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .expect("get role");
    let role = got.role().expect("role");
    assert_eq!(role.description(), Some("deploy role"));
    let trust = iam_document(role.assume_role_policy_document().expect("trust policy"));
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "codedeploy.amazonaws.com"
    );

    // Inline policy.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::contract-artifacts/*"
        }]
    });
    iam.put_role_policy()
        .role_name(&name)
        .policy_name("artifacts")
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("put role policy");
    let inline = iam
        .get_role_policy()
        .role_name(&name)
        .policy_name("artifacts")
        .send()
        .await
        .expect("get role policy");
    assert_eq!(iam_document(inline.policy_document()), policy);
    let names = iam
        .list_role_policies()
        .role_name(&name)
        .send()
        .await
        .expect("list policies");
    assert_eq!(names.policy_names(), ["artifacts"]);
    assert_eq!(
        code(
            iam.get_role_policy()
                .role_name(&name)
                .policy_name("absent")
                .send()
                .await
        ),
        "NoSuchEntity"
    );

    // Tags.
    iam.tag_role()
        .role_name(&name)
        .tags(
            Tag::builder()
                .key("pipewright:id")
                .value("build-role")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("tag role");
    iam.untag_role()
        .role_name(&name)
        .tag_keys("pipewright:app")
        .send()
        .await
        .expect("untag role");
    let tags = iam
        .list_role_tags()
        .role_name(&name)
        .send()
        .await
        .expect("list tags");
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("pipewright:id", "build-role")]);

    // Listing.
    let mut found = false;
    let mut pages = iam.list_roles().into_paginator().send();
    while let Some(page) = pages.next().await {
        found |= page
            .expect("list roles")
            .roles()
            .iter()
            .any(|r| r.role_name() == name);
    }
    assert!(found, "the role is listed");

    // Delete: inline policies first, as IAM requires.
    assert_eq!(
        code(iam.delete_role().role_name(&name).send().await),
        "DeleteConflict"
    );
    iam.delete_role_policy()
        .role_name(&name)
        .policy_name("artifacts")
        .send()
        .await
        .expect("delete role policy");
    iam.delete_role()
        .role_name(&name)
        .send()
        .await
        .expect("delete role");
    assert_eq!(
        code(iam.get_role().role_name(&name).send().await),
        "NoSuchEntity"
    );
    assert_eq!(
        code(iam.delete_role().role_name(&name).send().await),
        "NoSuchEntity"
    );
}
