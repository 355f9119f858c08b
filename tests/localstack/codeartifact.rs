//! AWS CodeArtifact as the provider (and a build logging in) uses it: `CreateDomain`,
//! `DescribeDomain`, `ListDomains`, `DeleteDomain` (refused while it has repositories),
//! `CreateRepository` (upstreams that exist), `DescribeRepository`, `UpdateRepository`,
//! `ListRepositories` / `ListRepositoriesInDomain`, `AssociateExternalConnection` /
//! `DisassociateExternalConnection` (one per repository, not with upstreams), `DeleteRepository`,
//! `TagResource` / `UntagResource` / `ListTagsForResource`, the tagging API's listing,
//! `GetAuthorizationToken` and `GetRepositoryEndpoint`, with AWS's error codes.

use aws_sdk_codeartifact::types::{PackageFormat, Tag, UpstreamRepository};
use aws_sdk_resourcegroupstagging::types::TagFilter;

use crate::harness::{clients, code, unique};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().expect("tag")
}

fn upstream(name: &str) -> UpstreamRepository {
    UpstreamRepository::builder()
        .repository_name(name)
        .build()
        .expect("upstream")
}

#[tokio::test]
async fn domains_and_repositories_are_checked_as_aws_checks_them() {
    let c = clients().await;
    let ca = &c.codeartifact;
    let domain = unique("ca-contract");

    // Missing: reads, changes and deletes name the domain or repository as not found.
    assert_eq!(
        code(ca.describe_domain().domain(&domain).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            ca.create_repository()
                .domain(&domain)
                .repository("libs")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(ca.get_authorization_token().domain(&domain).send().await),
        "ResourceNotFoundException"
    );

    // Names outside the patterns.
    for bad in ["A-domain", "x", "ends-", "1st"] {
        assert_eq!(
            code(ca.create_domain().domain(bad).send().await),
            "ValidationException",
            "{bad}"
        );
    }
    ca.create_domain()
        .domain(&domain)
        .tags(tag("pipewright:app", "contract"))
        .send()
        .await
        .expect("create domain");
    assert_eq!(
        code(ca.create_domain().domain(&domain).send().await),
        "ConflictException"
    );
    let d = ca
        .describe_domain()
        .domain(&domain)
        .send()
        .await
        .expect("describe domain");
    let d = d.domain().expect("a domain");
    assert!(
        d.encryption_key().is_some_and(|k| k.contains(":key/")),
        "AWS's managed key when none is given: {d:?}"
    );
    let listed = ca.list_domains().send().await.expect("list domains");
    assert!(listed.domains().iter().any(|x| x.name() == Some(&domain)));

    for bad in [".libs", "l", "has space"] {
        assert_eq!(
            code(
                ca.create_repository()
                    .domain(&domain)
                    .repository(bad)
                    .send()
                    .await
            ),
            "ValidationException",
            "{bad}"
        );
    }
    // An upstream that does not exist.
    assert_eq!(
        code(
            ca.create_repository()
                .domain(&domain)
                .repository("libs")
                .upstreams(upstream("nowhere"))
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    ca.create_repository()
        .domain(&domain)
        .repository("store")
        .send()
        .await
        .expect("create store");
    ca.associate_external_connection()
        .domain(&domain)
        .repository("store")
        .external_connection("public:npmjs")
        .send()
        .await
        .expect("connect");
    // One connection per repository; only AWS's names.
    assert_eq!(
        code(
            ca.associate_external_connection()
                .domain(&domain)
                .repository("store")
                .external_connection("public:pypi")
                .send()
                .await
        ),
        "ConflictException"
    );
    assert_eq!(
        code(
            ca.associate_external_connection()
                .domain(&domain)
                .repository("store")
                .external_connection("public:cpan")
                .send()
                .await
        ),
        "ValidationException"
    );
    let libs = ca
        .create_repository()
        .domain(&domain)
        .repository("libs")
        .description("libraries")
        .upstreams(upstream("store"))
        .tags(tag("pipewright:app", "contract"))
        .send()
        .await
        .expect("create libs");
    let libs_arn = libs
        .repository()
        .and_then(|r| r.arn())
        .expect("an ARN")
        .to_owned();
    assert!(
        libs_arn.ends_with(&format!(":repository/{domain}/libs")),
        "{libs_arn}"
    );
    // A repository with upstreams takes no connection, and a cycle is refused.
    assert_eq!(
        code(
            ca.associate_external_connection()
                .domain(&domain)
                .repository("libs")
                .external_connection("public:pypi")
                .send()
                .await
        ),
        "ConflictException"
    );
    ca.disassociate_external_connection()
        .domain(&domain)
        .repository("store")
        .external_connection("public:npmjs")
        .send()
        .await
        .expect("disconnect");
    assert_eq!(
        code(
            ca.disassociate_external_connection()
                .domain(&domain)
                .repository("store")
                .external_connection("public:npmjs")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            ca.update_repository()
                .domain(&domain)
                .repository("store")
                .upstreams(upstream("libs"))
                .send()
                .await
        ),
        "ValidationException"
    );
    // UpdateRepository: the description and the whole upstream list.
    let updated = ca
        .update_repository()
        .domain(&domain)
        .repository("libs")
        .description("")
        .set_upstreams(Some(Vec::new()))
        .send()
        .await
        .expect("update");
    let r = updated.repository().expect("a repository");
    assert!(r.upstreams().is_empty(), "{r:?}");
    assert_eq!(r.description().unwrap_or_default(), "");

    let in_domain = ca
        .list_repositories_in_domain()
        .domain(&domain)
        .send()
        .await
        .expect("list in domain");
    assert_eq!(in_domain.repositories().len(), 2);
    let by_prefix = ca
        .list_repositories()
        .repository_prefix("lib")
        .send()
        .await
        .expect("list");
    assert!(
        by_prefix
            .repositories()
            .iter()
            .any(|r| r.domain_name() == Some(&domain) && r.name() == Some("libs"))
    );

    // Tags: read, changed, in the tagging API, and the reserved prefix refused.
    ca.tag_resource()
        .resource_arn(&libs_arn)
        .tags(tag("team", "shop"))
        .send()
        .await
        .expect("tag");
    ca.untag_resource()
        .resource_arn(&libs_arn)
        .tag_keys("team")
        .send()
        .await
        .expect("untag");
    let tags = ca
        .list_tags_for_resource()
        .resource_arn(&libs_arn)
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tags().len(), 1, "{tags:?}");
    assert_eq!(
        code(
            ca.tag_resource()
                .resource_arn(&libs_arn)
                .tags(tag("aws:x", "y"))
                .send()
                .await
        ),
        "ValidationException"
    );
    let tagged = c
        .tagging
        .get_resources()
        .tag_filters(
            TagFilter::builder()
                .key("pipewright:app")
                .values("contract")
                .build(),
        )
        .send()
        .await
        .expect("tagged");
    let arns: Vec<&str> = tagged
        .resource_tag_mapping_list()
        .iter()
        .filter_map(|m| m.resource_arn())
        .collect();
    assert!(arns.contains(&libs_arn.as_str()), "{arns:?}");
    assert!(
        arns.iter()
            .any(|a| a.ends_with(&format!(":domain/{domain}"))),
        "{arns:?}"
    );

    // Logging in: a token for the domain and an endpoint per format.
    let token = ca
        .get_authorization_token()
        .domain(&domain)
        .duration_seconds(900)
        .send()
        .await
        .expect("token");
    assert!(token.authorization_token().is_some_and(|t| !t.is_empty()));
    let endpoint = ca
        .get_repository_endpoint()
        .domain(&domain)
        .repository("libs")
        .format(PackageFormat::Pypi)
        .send()
        .await
        .expect("endpoint");
    assert!(
        endpoint
            .repository_endpoint()
            .is_some_and(|e| e.starts_with("https://") && e.contains("/pypi/libs/")),
        "{endpoint:?}"
    );

    // The domain goes only once its repositories are gone.
    assert_eq!(
        code(ca.delete_domain().domain(&domain).send().await),
        "ConflictException"
    );
    for repo in ["libs", "store"] {
        ca.delete_repository()
            .domain(&domain)
            .repository(repo)
            .send()
            .await
            .expect("delete repository");
    }
    assert_eq!(
        code(
            ca.delete_repository()
                .domain(&domain)
                .repository("libs")
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
    ca.delete_domain()
        .domain(&domain)
        .send()
        .await
        .expect("delete domain");
    assert_eq!(
        code(ca.describe_domain().domain(&domain).send().await),
        "ResourceNotFoundException"
    );
}
