//! AWS CodeArtifact domains (`AWS::CodeArtifact::Domain`) and repositories
//! (`AWS::CodeArtifact::Repository`): a domain's encryption key, a repository's description,
//! upstreams and external connection, and the tags of both.
//!
//! CodeArtifact API Reference: `CreateDomain` (name, key and tags in one call),
//! `DescribeDomain`, `DeleteDomain` (refused while the domain holds repositories: the engine
//! deletes them first), `ListDomains`; `CreateRepository` (description, upstreams and tags),
//! `DescribeRepository`, `UpdateRepository` (description and upstreams, the list replaced
//! whole), `AssociateExternalConnection` / `DisassociateExternalConnection`,
//! `DeleteRepository`, `ListRepositories`; `TagResource` / `UntagResource` /
//! `ListTagsForResource` on either. A repository's physical name is `<domain>/<repository>`.

use std::collections::BTreeSet;

use aws_sdk_codeartifact::Client;
use aws_sdk_codeartifact::types::{Tag, UpstreamRepository};
use serde_json::{Map, Value, json};

use super::AwsProvider;
use super::common::{
    TagPairs, absent, all_pages, build_error, gone, sdk_error, str_prop, tag_delta, tags_of,
    tags_value, touched,
};
use super::dispatch::{Ahead, common_prefix, kind_api};
use crate::model::ResourceKind;
use crate::provider::api::{ErrorClass, FieldChange, Observed, ProviderError, Resource, TAG_APP};

/// The most pages of a listing read ahead of a plan.
const MAX_LIST_PAGES: usize = 1000;

/// `<domain>/<repository>` split; a name without `/` is no repository of ours.
fn split(name: &str) -> Result<(&str, &str), ProviderError> {
    name.split_once('/').ok_or_else(|| {
        ProviderError::other(
            "InvalidName",
            format!("{name:?} is not <domain>/<repository>"),
        )
    })
}

/// CodeArtifact answers a create of a domain or repository that exists with
/// `ConflictException` (CreateDomain, CreateRepository errors): that is the engine's
/// "already exists".
fn created(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    r.map_err(|mut e| {
        if e.code == "ConflictException" {
            e.class = ErrorClass::AlreadyExists;
        }
        e
    })
}

fn tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
        .collect()
}

async fn tags_at(ca: &Client, arn: &str) -> Result<TagPairs, ProviderError> {
    let out = ca
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

/// Sends the tag changes of `fields` to the resource `arn`.
async fn retag(ca: &Client, arn: &str, fields: &[FieldChange]) -> Result<(), ProviderError> {
    if let Some((set, remove)) = tag_delta(fields) {
        if !set.is_empty() {
            ca.tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags(set)?))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if !remove.is_empty() {
            ca.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(sdk_error)?;
        }
    }
    Ok(())
}

/// Reads the domain named `name` and its tags (unless `known_tags` has them); `None` when it
/// does not exist or is being deleted.
pub(crate) async fn read_domain(
    ca: &Client,
    name: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    let out = match ca.describe_domain().domain(name).send().await {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(d) = out.domain() else {
        return Ok(None);
    };
    if d.status().is_some_and(|s| s.as_str() == "Deleted") {
        return Ok(None);
    }
    let mut p = Map::new();
    p.insert("DomainName".into(), json!(name));
    if let Some(k) = d.encryption_key().filter(|k| !k.is_empty()) {
        p.insert("EncryptionKey".into(), json!(k));
    }
    let tags = match known_tags {
        Some(t) => t,
        None => match tags_at(ca, d.arn().unwrap_or_default()).await {
            Ok(t) => t,
            Err(e) => return absent(e),
        },
    };
    p.insert("Tags".into(), tags_value(tags));
    Ok(Some(Observed::new(Value::Object(p))))
}

/// Creates the domain with its key and tags.
pub(crate) async fn create_domain(ca: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    created(
        ca.create_domain()
            .domain(&r.physical_name)
            .set_encryption_key(str_prop(p, "EncryptionKey").map(str::to_owned))
            .set_tags(Some(tags(tags_of(p))?))
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error),
    )
}

/// Deletes the domain; gone already is success.
///
/// CodeArtifact refuses to delete a domain that holds repositories (`DeleteDomain`), while the
/// kind table says a domain's deletion takes its repositories with it (a replaced domain's
/// repositories are replaced with it, after it). So the repositories of the domain that carry
/// the domain's own `pipewright:app` tag are deleted first, each once, downstream before
/// upstream where CodeArtifact insists (a bounded number of passes); any other repository is
/// left, and the domain's deletion then fails with CodeArtifact's `ConflictException`.
pub(crate) async fn delete_domain(ca: &Client, name: &str, arn: &str) -> Result<(), ProviderError> {
    let app = match tags_at(ca, arn).await {
        Ok(tags) => tags.into_iter().find(|(k, _)| k == TAG_APP).map(|(_, v)| v),
        Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let listed = all_pages(
        "repositories of the domain",
        MAX_LIST_PAGES,
        |token| async move {
            let page = ca
                .list_repositories_in_domain()
                .domain(name)
                .set_next_token(token)
                .send()
                .await
                .map_err(sdk_error)?;
            let repos: Vec<(String, String)> = page
                .repositories()
                .iter()
                .filter_map(|r| Some((r.name()?.to_owned(), r.arn()?.to_owned())))
                .collect();
            Ok((repos, page.next_token().map(str::to_owned)))
        },
    );
    let listed = match listed.await {
        Ok(l) => l,
        Err(e) if e.class == ErrorClass::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut ours = Vec::new();
    for (repo, repo_arn) in listed {
        let tags = tags_at(ca, &repo_arn).await?;
        let same_app = app.is_some()
            && tags
                .iter()
                .any(|(k, v)| k == TAG_APP && Some(v) == app.as_ref());
        if same_app {
            ours.push(repo);
        }
    }
    for _ in 0..=ours.len() {
        let mut left = Vec::new();
        for repo in ours {
            match ca
                .delete_repository()
                .domain(name)
                .repository(&repo)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    let e = sdk_error(e);
                    match e.class {
                        ErrorClass::NotFound => {}
                        _ if e.code == "ConflictException" => left.push(repo),
                        _ => return Err(e),
                    }
                }
            }
        }
        ours = left;
        if ours.is_empty() {
            break;
        }
    }
    match ca.delete_domain().domain(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

/// The domain names of the account and region that a listing shows: those asked for and not
/// listed are absent.
async fn read_ahead_domains(ca: &Client, names: &[String]) -> Result<Ahead, ProviderError> {
    let listed = all_pages("domains", MAX_LIST_PAGES, |token| async move {
        let page = ca
            .list_domains()
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        let names: Vec<String> = page
            .domains()
            .iter()
            .filter(|d| d.status().is_none_or(|s| s.as_str() != "Deleted"))
            .filter_map(|d| d.name().map(str::to_owned))
            .collect();
        Ok((names, page.next_token().map(str::to_owned)))
    })
    .await?;
    let listed: BTreeSet<String> = listed.into_iter().collect();
    Ok(names
        .iter()
        .filter(|n| !listed.contains(*n))
        .map(|n| (n.clone(), None))
        .collect())
}

/// Reads the repository `<domain>/<repository>` and its tags (unless `known_tags` has them);
/// `None` when it (or its domain) does not exist.
pub(crate) async fn read_repository(
    ca: &Client,
    name: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    let (domain, repo) = split(name)?;
    let out = match ca
        .describe_repository()
        .domain(domain)
        .repository(repo)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(r) = out.repository() else {
        return Ok(None);
    };
    let mut p = Map::new();
    p.insert("RepositoryName".into(), json!(repo));
    p.insert("DomainName".into(), json!(domain));
    if let Some(d) = r.description().filter(|d| !d.is_empty()) {
        p.insert("Description".into(), json!(d));
    }
    let upstreams: Vec<&str> = r
        .upstreams()
        .iter()
        .filter_map(|u| u.repository_name())
        .collect();
    if !upstreams.is_empty() {
        p.insert("Upstreams".into(), json!(upstreams));
    }
    let connections: Vec<&str> = r
        .external_connections()
        .iter()
        .filter_map(|c| c.external_connection_name())
        .collect();
    if !connections.is_empty() {
        p.insert("ExternalConnections".into(), json!(connections));
    }
    let tags = match known_tags {
        Some(t) => t,
        None => match tags_at(ca, r.arn().unwrap_or_default()).await {
            Ok(t) => t,
            Err(e) => return absent(e),
        },
    };
    p.insert("Tags".into(), tags_value(tags));
    Ok(Some(Observed::new(Value::Object(p))))
}

fn upstreams(p: &Value) -> Result<Vec<UpstreamRepository>, ProviderError> {
    p["Upstreams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|n| {
            UpstreamRepository::builder()
                .repository_name(n)
                .build()
                .map_err(build_error)
        })
        .collect()
}

fn connections(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Creates the repository with its description, upstreams and tags, then connects it (which
/// `CreateRepository` does not take).
pub(crate) async fn create_repository(ca: &Client, r: &Resource) -> Result<(), ProviderError> {
    let (domain, repo) = split(&r.physical_name)?;
    let p = &r.properties;
    let ups = upstreams(p)?;
    created(
        ca.create_repository()
            .domain(domain)
            .repository(repo)
            .set_description(str_prop(p, "Description").map(str::to_owned))
            .set_upstreams((!ups.is_empty()).then_some(ups))
            .set_tags(Some(tags(tags_of(p))?))
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error),
    )?;
    for c in connections(p.get("ExternalConnections")) {
        associate(ca, domain, repo, &c).await?;
    }
    Ok(())
}

async fn associate(ca: &Client, domain: &str, repo: &str, c: &str) -> Result<(), ProviderError> {
    ca.associate_external_connection()
        .domain(domain)
        .repository(repo)
        .external_connection(c)
        .send()
        .await
        .map(|_| ())
        .map_err(sdk_error)
}

/// Changes what differs. A repository has upstreams or an external connection, so a
/// connection going away is disassociated before the upstreams change, and one coming is
/// associated after.
pub(crate) async fn update_repository(
    ca: &Client,
    r: &Resource,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let (domain, repo) = split(&r.physical_name)?;
    let p = &r.properties;
    // The diff may name single elements (`/ExternalConnections/0`): what the repository has
    // now is read, and what differs from the model sent.
    let (old, new) = if touched(fields, "ExternalConnections") {
        let out = ca
            .describe_repository()
            .domain(domain)
            .repository(repo)
            .send()
            .await
            .map_err(sdk_error)?;
        let old: Vec<String> = out
            .repository()
            .map(|r| {
                r.external_connections()
                    .iter()
                    .filter_map(|c| c.external_connection_name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (old, connections(p.get("ExternalConnections")))
    } else {
        (Vec::new(), Vec::new())
    };
    for c in old.iter().filter(|c| !new.contains(c)) {
        if let Err(e) = ca
            .disassociate_external_connection()
            .domain(domain)
            .repository(repo)
            .external_connection(c)
            .send()
            .await
        {
            gone(sdk_error(e))?;
        }
    }
    if touched(fields, "Description") || touched(fields, "Upstreams") {
        // UpdateRepository replaces the upstream list whole; an empty description removes it.
        ca.update_repository()
            .domain(domain)
            .repository(repo)
            .description(str_prop(p, "Description").unwrap_or_default())
            .set_upstreams(Some(upstreams(p)?))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    for c in new.iter().filter(|c| !old.contains(c)) {
        associate(ca, domain, repo, c).await?;
    }
    retag(ca, arn, fields).await
}

/// Deletes the repository; gone already (or its domain gone) is success.
pub(crate) async fn delete_repository(ca: &Client, name: &str) -> Result<(), ProviderError> {
    let (domain, repo) = split(name)?;
    match ca
        .delete_repository()
        .domain(domain)
        .repository(repo)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

/// The repositories a listing (`ListRepositories`, by the names' common prefix) shows: those
/// asked for and not listed are absent, and so is every repository of a domain known absent.
async fn read_ahead_repositories(
    p: &AwsProvider,
    names: &[String],
) -> Result<Ahead, ProviderError> {
    let ca = &p.clients.codeartifact;
    let repos: Vec<String> = names
        .iter()
        .filter_map(|n| n.split_once('/').map(|(_, r)| r.to_owned()))
        .collect();
    let prefix = common_prefix(&repos);
    let prefix = &prefix;
    let listed = all_pages("repositories", MAX_LIST_PAGES, |token| async move {
        let page = ca
            .list_repositories()
            .set_repository_prefix((!prefix.is_empty()).then(|| prefix.clone()))
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        let names: Vec<String> = page
            .repositories()
            .iter()
            .filter_map(|r| Some(format!("{}/{}", r.domain_name()?, r.name()?)))
            .collect();
        Ok((names, page.next_token().map(str::to_owned)))
    })
    .await?;
    let listed: BTreeSet<String> = listed.into_iter().collect();
    Ok(names
        .iter()
        .filter(|n| {
            let domain_absent = n
                .split_once('/')
                .is_some_and(|(d, _)| p.known_absent(ResourceKind::ArtifactDomain, d));
            domain_absent || !listed.contains(*n)
        })
        .map(|n| (n.clone(), None))
        .collect())
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::ArtifactDomain`.
    ArtifactDomains {
        read(p, name) {
            Box::pin(async move {
                let tags = p.listed(ResourceKind::ArtifactDomain, name);
                read_domain(&p.clients.codeartifact, name, tags).await
            })
        }
        create(p, r) {
            Box::pin(create_domain(&p.clients.codeartifact, r))
        }
        update(p, r, fields) {
            // Only the tags of a domain change in place (the name and key are create-only).
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                retag(&p.clients.codeartifact, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(async move {
                let arn = p.arn(ResourceKind::ArtifactDomain, name);
                delete_domain(&p.clients.codeartifact, name, &arn).await
            })
        }
        read_ahead(p, names) {
            Box::pin(read_ahead_domains(&p.clients.codeartifact, names))
        }
    }
);

kind_api!(
    /// The [`KindApi`] of `ResourceKind::ArtifactRepository`.
    ArtifactRepositories {
        read(p, name) {
            Box::pin(async move {
                let tags = p.listed(ResourceKind::ArtifactRepository, name);
                read_repository(&p.clients.codeartifact, name, tags).await
            })
        }
        create(p, r) {
            Box::pin(create_repository(&p.clients.codeartifact, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update_repository(&p.clients.codeartifact, r, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(delete_repository(&p.clients.codeartifact, name))
        }
        read_ahead(p, names) {
            Box::pin(read_ahead_repositories(p, names))
        }
    }
);
