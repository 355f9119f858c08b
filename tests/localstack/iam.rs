//! IAM: service roles with their trust policy, inline policy and tags; STS for the account id.

use aws_sdk_iam::types::Tag;

use crate::harness::{clients, code, iam_document, trust_policy, unique};
use crate::support::aws::provider_with;

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

/// IAM paths as AWS has them: `ListRoles` with a `PathPrefix` lists only the roles under it,
/// pages (`MaxItems`, `Marker`), returns no tags, and a path that does not start and end with
/// `/` is refused.
#[tokio::test]
async fn roles_list_by_path_prefix_page_by_page() {
    let c = clients().await;
    let iam = &c.iam;
    let base = unique("path");
    let prefix = format!("/pipewright/{base}/eu-west-1/");
    let mut names = Vec::new();
    for (i, path) in [
        prefix.clone(),
        prefix.clone(),
        prefix.clone(),
        // Further down the path, and beside it: under the prefix and not, as in IAM.
        format!("{prefix}deeper/"),
        format!("/pipewright/{base}/us-east-1/"),
    ]
    .iter()
    .enumerate()
    {
        let name = format!("{base}-{i}");
        iam.create_role()
            .role_name(&name)
            .path(path)
            .description("listed with its description")
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("team")
                    .value("ci")
                    .build()
                    .expect("a tag"),
            )
            .assume_role_policy_document(trust_policy("codebuild.amazonaws.com"))
            .send()
            .await
            .expect("create role under a path");
        names.push(name);
    }

    let mut listed = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = iam
            .list_roles()
            .path_prefix(&prefix)
            .max_items(2)
            .set_marker(marker)
            .send()
            .await
            .expect("list roles");
        pages += 1;
        assert!(page.roles().len() <= 2, "MaxItems is honoured");
        for role in page.roles() {
            // "This operation does not return the following attributes ...
            // PermissionsBoundary, RoleLastUsed, Tags" (IAM API Reference, ListRoles).
            assert!(
                role.tags().is_empty(),
                "ListRoles returns no tags: {role:?}"
            );
            assert_eq!(role.description(), Some("listed with its description"));
            // URL-encoded once, as GetRole has it (IAM API Reference, Role).
            let got = iam
                .get_role()
                .role_name(role.role_name())
                .send()
                .await
                .expect("get role");
            assert_eq!(
                role.assume_role_policy_document(),
                got.role().and_then(|r| r.assume_role_policy_document()),
                "ListRoles and GetRole show one trust policy alike"
            );
        }
        listed.extend(page.roles().iter().map(|r| r.role_name().to_owned()));
        marker = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    listed.sort();
    assert_eq!(listed, names[..4], "every role under the prefix, no other");
    assert_eq!(pages, 2, "four roles in pages of two");
    let arn = iam
        .get_role()
        .role_name(&names[0])
        .send()
        .await
        .expect("get role")
        .role()
        .expect("role")
        .arn()
        .to_owned();
    assert!(
        arn.ends_with(&format!(":role{prefix}{}", names[0])),
        "{arn}"
    );

    for bad in ["no-slash", "/no-end", "//"] {
        assert_eq!(
            code(
                iam.create_role()
                    .role_name(format!("{base}-bad"))
                    .path(bad)
                    .assume_role_policy_document(trust_policy("codebuild.amazonaws.com"))
                    .send()
                    .await
            ),
            "ValidationError",
            "path {bad:?}"
        );
    }
    assert_eq!(
        code(iam.list_roles().path_prefix("pipewright/").send().await),
        "ValidationError"
    );
    for name in &names {
        iam.delete_role()
            .role_name(name)
            .send()
            .await
            .expect("delete role");
    }
}

/// IAM is global: the same app applied in two regions has a set of roles per region (named
/// for it, under `/pipewright/<app>/<region>/`), and destroying it in one region leaves the
/// other's roles in place and its plan empty.
#[tokio::test]
async fn one_app_in_two_regions_keeps_a_set_of_roles_per_region() {
    use pipewright::engine::{self, ApplyOptions};
    use pipewright::model::{App, BuildProject, InlineBuildSpec, ResourceKind};
    use pipewright::provider::aws::{ClientOptions, Clients};

    let prefix = unique("rg");
    let mut app = App::new(&prefix).expect("a valid app name");
    app.add(
        BuildProject::builder()
            .name(format!("{prefix}-check"))
            .no_source()
            .buildspec(InlineBuildSpec::new().build(["echo ok"]))
            .build()
            .expect("a project"),
    );
    let mut regions = Vec::new();
    for region in ["us-east-1", "eu-west-1"] {
        let clients =
            Clients::load(&ClientOptions::local(crate::harness::endpoint()).region(region))
                .await
                .expect("emulator options");
        let (provider, env) = provider_with(clients.clone()).await;
        let desired = engine::resolve(&app.desired(), &env).expect("resolves");
        let plan = engine::plan(&desired, &provider, 8).await.expect("plans");
        let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
        assert!(report.succeeded(), "{region}: {report}");
        regions.push((clients, provider, desired));
    }
    let role_of = |desired: &engine::ResolvedApp| {
        desired
            .resources
            .iter()
            .find(|r| r.resource.kind == ResourceKind::Role)
            .expect("a derived build role")
            .resource
            .physical_name
            .clone()
    };
    let (east, west) = (role_of(&regions[0].2), role_of(&regions[1].2));
    assert_ne!(east, west, "one role per region");
    assert!(west.ends_with("-eu-west-1"), "{west}");
    for (clients, provider, desired) in &regions {
        let again = engine::plan(desired, provider, 8).await.expect("plans");
        assert!(again.is_empty(), "{}: {again}", clients.region());
    }

    let (_, west_provider, west_desired) = &regions[1];
    let report = engine::destroy(
        &west_desired.app,
        Some(west_desired),
        west_provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
    let iam = &regions[0].0.iam;
    assert_eq!(
        code(iam.get_role().role_name(&west).send().await),
        "NoSuchEntity",
        "eu-west-1's role is gone"
    );
    let got = iam
        .get_role()
        .role_name(&east)
        .send()
        .await
        .expect("us-east-1's role stays");
    assert_eq!(
        got.role().map(aws_sdk_iam::types::Role::path),
        Some(format!("/pipewright/{prefix}/us-east-1/").as_str())
    );
    let (_, east_provider, east_desired) = &regions[0];
    let after = engine::plan(east_desired, east_provider, 8)
        .await
        .expect("plans");
    assert!(
        after.is_empty(),
        "us-east-1 after eu-west-1's destroy: {after}"
    );
    let report = engine::destroy(
        &east_desired.app,
        Some(east_desired),
        east_provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
}
