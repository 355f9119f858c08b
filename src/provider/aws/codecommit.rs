//! CodeCommit repositories with their description, encryption key and tags
//! (`AWS::CodeCommit::Repository`).

use super::AwsProvider;
use super::dispatch::{Ahead, kind_api, per_call};

use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::RepositoryMetadata;
use serde_json::{Map, Value, json};

use super::common::{
    MAX_TAG_PAGES, TagPairs, absent, all_pages, gone, sdk_error, send_tag_delta, str_prop,
    tag_delta, tags_of, tags_value, touched,
};
use crate::model::ResourceKind;
use crate::provider::api::{FieldChange, Observed, ProviderError, Resource};

/// The key ARN a repository's `kmsKeyId` stands for: CodeCommit answers with the key's id
/// whatever the request named it by (RepositoryMetadata `kmsKeyId`: "The ID of the Key
/// Management Service encryption key used to encrypt and decrypt the repository"), while the
/// model names a key by its ARN; `key_arns` is `arn:<partition>:kms:<region>:<account>:key/`
/// (a repository's key is in its region, and validation refuses aliases, which no id can be
/// compared with). An ARN stays as it is.
fn key_arn(kms_key_id: &str, key_arns: &str) -> String {
    if kms_key_id.starts_with("arn:") {
        kms_key_id.to_owned()
    } else {
        format!("{key_arns}{kms_key_id}")
    }
}

/// What CodeCommit answers in an account closed to new repositories.
const CLOSED: &str = "OperationNotAllowedException";

/// A create refused because CodeCommit takes no new repositories in this account, explained.
fn closed_to_new_repositories(e: ProviderError, name: &str) -> ProviderError {
    if e.code != CLOSED {
        return e;
    }
    ProviderError::new(
        e.class,
        CLOSED,
        format!(
            "CodeCommit refuses to create repository \"{name}\" in this account: since 25 July \
             2024 it takes no new customers, and an account that never had a repository cannot \
             create one; use a repository that already exists (in an account that has them) or \
             another source provider ({})",
            e.message
        ),
    )
}

/// What CodeCommit answers for a KMS key that does not exist.
const NO_KEY: &str = "EncryptionKeyNotFoundException";

/// A create or key change refused because the repository's key does not exist, naming the
/// repository, the field and the key.
fn key_not_found(e: ProviderError, name: &str, key: Option<&str>) -> ProviderError {
    match key {
        Some(key) if e.code == NO_KEY => ProviderError::new(
            e.class,
            NO_KEY,
            format!(
                "repository \"{name}\": kms_key \"{key}\" names no KMS key CodeCommit can use \
                 in this account and region; create the key or fix the ARN ({})",
                e.message
            ),
        ),
        _ => e,
    }
}

/// Reads a repository and its tags (unless `known_tags` has them); `None` when it does not
/// exist. Its key id reads back as an ARN under `key_arns` (see [`key_arn`]).
pub(crate) async fn read(
    cc: &Client,
    name: &str,
    known_tags: Option<TagPairs>,
    key_arns: &str,
) -> Result<Option<Observed>, ProviderError> {
    let out = match cc.get_repository().repository_name(name).send().await {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(m) = out.repository_metadata() else {
        return Ok(None);
    };
    let mut p = properties(m, name, key_arns);
    if let Some(tags) = known_tags {
        p.insert("Tags".into(), tags_value(tags));
        return Ok(Some(Observed::new(Value::Object(p))));
    }
    // The answer comes in pages (`nextToken`), each followed.
    let tags = match m.arn() {
        Some(arn) => {
            all_pages("tags", MAX_TAG_PAGES, |token| async move {
                let page = cc
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                let tags: TagPairs = page
                    .tags()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                Ok((tags, page.next_token().map(str::to_owned)))
            })
            .await?
        }
        None => Vec::new(),
    };
    p.insert("Tags".into(), tags_value(tags));
    Ok(Some(Observed::new(Value::Object(p))))
}

/// A repository's properties but its tags.
fn properties(m: &RepositoryMetadata, name: &str, key_arns: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert(
        "RepositoryName".into(),
        json!(m.repository_name().unwrap_or(name)),
    );
    if let Some(d) = m.repository_description().filter(|d| !d.is_empty()) {
        p.insert("RepositoryDescription".into(), json!(d));
    }
    if let Some(k) = m.kms_key_id() {
        p.insert("KmsKeyId".into(), json!(key_arn(k, key_arns)));
    }
    p
}

/// Reads many repositories with `BatchGetRepositories`, up to the kind table's batch size a
/// call: a name it does not return is absent ("repositoriesNotFound"), one it returns is
/// answered when the app's listing gave its tags (else its read lists them).
async fn read_ahead(p: &AwsProvider, names: &[String]) -> Result<Ahead, ProviderError> {
    let key_arns = format!(
        "arn:{}:kms:{}:{}:key/",
        p.partition(),
        p.region(),
        p.account()
    );
    let mut out = Vec::with_capacity(names.len());
    for chunk in names.chunks(per_call(ResourceKind::Repository)) {
        let got = p
            .clients
            .codecommit
            .batch_get_repositories()
            .set_repository_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(sdk_error)?;
        for name in chunk {
            let found = got
                .repositories()
                .iter()
                .find(|m| m.repository_name() == Some(name.as_str()));
            match found {
                None => out.push((name.clone(), None)),
                Some(m) => {
                    if let Some(tags) = p.listed(ResourceKind::Repository, name) {
                        let mut props = properties(m, name, &key_arns);
                        props.insert("Tags".into(), tags_value(tags));
                        out.push((name.clone(), Some(Observed::new(Value::Object(props)))));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Creates a repository with its description, key and tags.
pub(crate) async fn create(cc: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    cc.create_repository()
        .repository_name(&r.physical_name)
        .set_repository_description(str_prop(p, "RepositoryDescription").map(str::to_owned))
        .set_kms_key_id(str_prop(p, "KmsKeyId").map(str::to_owned))
        .set_tags(Some(tags_of(p).into_iter().collect()))
        .send()
        .await
        .map_err(|e| {
            let e = closed_to_new_repositories(sdk_error(e), &r.physical_name);
            key_not_found(e, &r.physical_name, str_prop(p, "KmsKeyId"))
        })
        .map(|_| ())
}

/// Changes the description, key and tags that differ (tags by the repository's ARN, `arn`).
pub(crate) async fn update(
    cc: &Client,
    r: &Resource,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    if touched(fields, "RepositoryDescription") {
        cc.update_repository_description()
            .repository_name(name)
            .repository_description(str_prop(p, "RepositoryDescription").unwrap_or_default())
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if let Some(key) = str_prop(p, "KmsKeyId").filter(|_| touched(fields, "KmsKeyId")) {
        cc.update_repository_encryption_key()
            .repository_name(name)
            .kms_key_id(key)
            .send()
            .await
            .map_err(|e| key_not_found(sdk_error(e), name, Some(key)))?;
    }
    if let Some((set, remove)) = tag_delta(fields) {
        let set: std::collections::HashMap<_, _> = set.into_iter().collect();
        send_tag_delta!(cc, arn, set, remove);
    }
    Ok(())
}

/// Deletes a repository; gone already is success.
pub(crate) async fn delete(cc: &Client, name: &str) -> Result<(), ProviderError> {
    match cc.delete_repository().repository_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::Repository`.
    Repositories {
        read(p, name) {
            let tags = p.listed(ResourceKind::Repository, name);
            Box::pin(async move {
                let key_arns = format!("arn:{}:kms:{}:{}:key/", p.partition(), p.region(), p.account());
                read(&p.clients.codecommit, name, tags, &key_arns).await
            })
        }
        create(p, r) {
            Box::pin(create(&p.clients.codecommit, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update(&p.clients.codecommit, r, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(delete(&p.clients.codecommit, name))
        }
        read_ahead(p, names) {
            Box::pin(read_ahead(p, names))
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::api::ErrorClass;

    #[test]
    fn a_key_id_reads_back_as_the_arn_the_model_names() {
        let arns = "arn:aws:kms:eu-west-1:123456789012:key/";
        assert_eq!(
            key_arn("1234abcd-12ab-34cd-56ef-1234567890ab", arns),
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        let arn = "arn:aws:kms:eu-west-1:123456789012:key/k";
        assert_eq!(key_arn(arn, arns), arn);
    }

    #[test]
    fn a_closed_account_is_explained_naming_the_repository() {
        let e = ProviderError::new(ErrorClass::Other, CLOSED, "not allowed");
        let e = closed_to_new_repositories(e, "shop-api");
        assert!(e.message.contains("\"shop-api\""), "{e}");
        assert!(e.message.contains("another source provider"), "{e}");
        let other = ProviderError::new(ErrorClass::Other, "Other", "x");
        assert_eq!(closed_to_new_repositories(other.clone(), "r"), other);
    }
}
