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
