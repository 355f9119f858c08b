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
