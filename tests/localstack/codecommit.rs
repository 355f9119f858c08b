//! CodeCommit: the source repository.

use crate::harness::{clients, code, unique};

#[tokio::test]
async fn repository_round_trip() {
    let c = clients().await;
    let cc = &c.codecommit;
    let name = unique("repo");

    assert_eq!(
        code(cc.get_repository().repository_name(&name).send().await),
        "RepositoryDoesNotExistException"
    );

    let created = cc
        .create_repository()
        .repository_name(&name)
        .repository_description("the shop's code")
        .tags("pipewright:app", "contract")
        .send()
        .await
        .expect("create repository");
    let meta = created.repository_metadata().expect("metadata");
    let arn = meta.arn().expect("an ARN").to_owned();
    assert!(arn.ends_with(&format!(":{name}")), "{arn}");
    assert!(meta.clone_url_http().is_some());
    assert_eq!(
        code(cc.create_repository().repository_name(&name).send().await),
        "RepositoryNameExistsException"
    );

    // Tags given at creation are kept.
    let tags = cc
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list tags");
    assert_eq!(
        tags.tags()
            .and_then(|t| t.get("pipewright:app"))
            .map(String::as_str),
        Some("contract")
    );

    // Update in place.
    cc.update_repository_description()
        .repository_name(&name)
        .repository_description("the shop's API")
        .send()
        .await
        .expect("update description");
    let got = cc
        .get_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("get");
    let meta = got.repository_metadata().expect("metadata");
    assert_eq!(meta.repository_description(), Some("the shop's API"));
    assert_eq!(meta.arn(), Some(arn.as_str()));

    // Tag, untag.
    cc.tag_resource()
        .resource_arn(&arn)
        .tags("pipewright:id", "repo")
        .send()
        .await
        .expect("tag");
    cc.untag_resource()
        .resource_arn(&arn)
        .tag_keys("pipewright:app")
        .send()
        .await
        .expect("untag");
    let tags = cc
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list tags");
    let tags = tags.tags().expect("tags");
    assert_eq!(tags.len(), 1, "{tags:?}");
    assert_eq!(tags.get("pipewright:id").map(String::as_str), Some("repo"));

    // Listing.
    let listed = cc.list_repositories().send().await.expect("list");
    assert!(
        listed
            .repositories()
            .iter()
            .any(|r| r.repository_name() == Some(name.as_str())),
        "{listed:?}"
    );

    // Delete, and deleting again is not an error (AWS returns no id).
    let deleted = cc
        .delete_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("delete");
    assert!(deleted.repository_id().is_some());
    let again = cc
        .delete_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("delete again");
    assert_eq!(again.repository_id(), None);
    assert_eq!(
        code(cc.get_repository().repository_name(&name).send().await),
        "RepositoryDoesNotExistException"
    );
}

/// Regression: CreateRepository checked for the name and then created the repository without a
/// lock, so concurrent calls with one name could all pass the check and all succeed, the last one
/// replacing the others' repository. AWS lets exactly one of them create it; every other call gets
/// `RepositoryNameExistsException`.
#[tokio::test]
async fn concurrent_create_repository_with_one_name_succeeds_once() {
    const CALLS: usize = 16;
    // A thread switch has to land inside a short window for the race to show, so give it several
    // chances, each with a name of its own.
    const ROUNDS: usize = 4;
    let c = clients().await;
    for _ in 0..ROUNDS {
        let name = unique("repo-race");
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..CALLS {
            let cc = c.codecommit.clone();
            let name = name.clone();
            calls.spawn(async move { cc.create_repository().repository_name(name).send().await });
        }
        let mut created = Vec::new();
        let mut refused = Vec::new();
        while let Some(joined) = calls.join_next().await {
            match joined.expect("the call's task does not panic") {
                Ok(out) => created.push(
                    out.repository_metadata()
                        .and_then(|m| m.repository_id())
                        .expect("a created repository has an id")
                        .to_owned(),
                ),
                Err(e) => refused.push(code::<(), _>(Err(e))),
            }
        }
        assert_eq!(
            created.len(),
            1,
            "{name}: created {created:?}, refused {refused:?}"
        );
        assert!(
            refused.iter().all(|c| c == "RepositoryNameExistsException"),
            "{name}: {refused:?}"
        );

        // The one that succeeded made the repository that is there.
        let got = c
            .codecommit
            .get_repository()
            .repository_name(&name)
            .send()
            .await
            .expect("get");
        assert_eq!(
            got.repository_metadata().and_then(|m| m.repository_id()),
            Some(created[0].as_str())
        );
        let listed = c.codecommit.list_repositories().send().await.expect("list");
        let same_name = listed
            .repositories()
            .iter()
            .filter(|r| r.repository_name() == Some(name.as_str()))
            .count();
        assert_eq!(same_name, 1, "{listed:?}");

        c.codecommit
            .delete_repository()
            .repository_name(&name)
            .send()
            .await
            .expect("delete");
    }
}

/// Clients signing as the emulator's account closed to CodeCommit (its access key id is the
/// account id), for CodeCommit and STS; the rest as [`clients`].
async fn closed_account_clients() -> pipewright::provider::aws::Clients {
    use aws_config::{BehaviorVersion, Region};
    let credentials =
        aws_sdk_s3::config::Credentials::new("072524000000", "test", None, None, "tests");
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(crate::harness::endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await;
    let mut c = clients().await;
    c.codecommit = aws_sdk_codecommit::Client::new(&config);
    c.sts = aws_sdk_sts::Client::new(&config);
    c
}

/// An account CodeCommit is closed to (no new customers since 25 July 2024) refuses every
/// `CreateRepository` with `OperationNotAllowedException`; apply says so, naming the repository
/// and what to do instead.
#[tokio::test]
async fn an_account_closed_to_codecommit_is_explained_naming_the_repository() {
    use pipewright::engine::{self, ApplyOptions, Status};
    use pipewright::model::{App, Repository};

    let c = closed_account_clients().await;
    let name = unique("closed");
    assert_eq!(
        code(
            c.codecommit
                .create_repository()
                .repository_name(&name)
                .send()
                .await
        ),
        "OperationNotAllowedException"
    );
    let (provider, env) = crate::support::aws::provider_with(c).await;
    assert_eq!(env.account, "072524000000");
    let mut app = App::new(unique("cc")).expect("app name");
    app.add(
        Repository::builder()
            .name(&name)
            .build()
            .expect("repository"),
    );
    let desired = engine::resolve(&app.desired(), &env).expect("resolves");
    let plan = engine::plan(&desired, &provider, 4).await.expect("plans");
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(!report.succeeded(), "{report}");
    let failures: Vec<String> = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.status {
            Status::Failed { error, .. } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    let message = &failures[0];
    assert!(
        message.contains("OperationNotAllowedException"),
        "{message}"
    );
    assert!(
        message.contains(&format!("repository \"{name}\"")),
        "{message}"
    );
    assert!(message.contains("another source provider"), "{message}");
}

/// CodeCommit answers a repository's key by its id whatever the request named it by; the
/// provider reads it back as the key ARN the model names, so a keyed repository shows no drift.
#[tokio::test]
async fn a_repository_key_named_by_arn_reads_back_without_drift() {
    use pipewright::engine::{self, ApplyOptions};
    use pipewright::model::{App, Repository};

    let c = clients().await;
    let (provider, env) = crate::support::aws::provider_with(c.clone()).await;
    // The key must exist: CodeCommit refuses one that does not (see the test below).
    let kms = aws_sdk_kms::Client::new(&crate::harness::sdk_config().await);
    let created = kms.create_key().send().await.expect("create key");
    let id = created
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .expect("a key id");
    let id = id.as_str();
    let key = format!("arn:aws:kms:{}:{}:key/{id}", env.region, env.account);
    let name = unique("keyed");
    let mut app = App::new(unique("kk")).expect("app name");
    app.add(
        Repository::builder()
            .name(&name)
            .kms_key(&key)
            .build()
            .expect("repository"),
    );
    let desired = engine::resolve(&app.desired(), &env).expect("resolves");
    let plan = engine::plan(&desired, &provider, 4).await.expect("plans");
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{report}");
    let got = c
        .codecommit
        .get_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("get repository");
    assert_eq!(
        got.repository_metadata().and_then(|m| m.kms_key_id()),
        Some(id),
        "AWS answers with the key id"
    );
    let again = engine::plan(&desired, &provider, 4).await.expect("plans");
    assert!(again.is_empty(), "a key named by ARN is no drift: {again}");
    assert_eq!(
        code(
            c.codecommit
                .create_repository()
                .repository_name(unique("nokey"))
                .kms_key_id("alias/no-such-key")
                .send()
                .await
        ),
        "EncryptionKeyNotFoundException"
    );
    let report = engine::destroy(
        &desired.app,
        Some(&desired),
        &provider,
        &ApplyOptions::default(),
    )
    .await
    .expect("listing succeeds");
    assert!(report.succeeded(), "{report}");
}

/// A repository whose KMS key does not exist is refused at create, as on AWS
/// (`EncryptionKeyNotFoundException`, CreateRepository in the CodeCommit API Reference), and the
/// apply says which repository and which field.
#[tokio::test]
async fn a_repository_key_that_does_not_exist_is_refused_naming_the_repository_and_field() {
    use pipewright::engine::{self, ApplyOptions};
    use pipewright::model::{App, Repository};

    let c = clients().await;
    let (provider, env) = crate::support::aws::provider_with(c.clone()).await;
    let key = format!(
        "arn:aws:kms:{}:{}:key/0000aaaa-00aa-00aa-00aa-000000000000",
        env.region, env.account
    );
    let name = unique("nokeyrepo");
    let mut app = App::new(unique("nk")).expect("app name");
    app.add(
        Repository::builder()
            .name(&name)
            .kms_key(&key)
            .build()
            .expect("repository"),
    );
    let desired = engine::resolve(&app.desired(), &env).expect("resolves");
    let plan = engine::plan(&desired, &provider, 4).await.expect("plans");
    let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
    assert!(!report.succeeded(), "a made-up key is refused: {report}");
    use pipewright::engine::Status;
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
    let said = said.join("\n");
    for part in [
        name.as_str(),
        "kms_key",
        key.as_str(),
        "EncryptionKeyNotFoundException",
    ] {
        assert!(said.contains(part), "the failure names {part}: {said}");
    }
    assert_eq!(
        code(
            c.codecommit
                .get_repository()
                .repository_name(&name)
                .send()
                .await
        ),
        "RepositoryDoesNotExistException",
        "nothing was created"
    );
    assert_eq!(
        code(
            c.codecommit
                .create_repository()
                .repository_name(unique("nokeyid"))
                .kms_key_id("0000aaaa-00aa-00aa-00aa-000000000000")
                .send()
                .await
        ),
        "EncryptionKeyNotFoundException",
        "a bare key id is checked as well"
    );
}
