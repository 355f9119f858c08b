//! Amazon ECR repositories (`AWS::ECR::Repository`): tag mutability, scan on push, encryption,
//! the lifecycle and repository policies, and tags.
//!
//! Amazon ECR API Reference: `CreateRepository` (name, mutability, scanning, encryption and
//! tags in one call), `DescribeRepositories`, `PutImageTagMutability`,
//! `PutImageScanningConfiguration`, `PutLifecyclePolicy` / `GetLifecyclePolicy` /
//! `DeleteLifecyclePolicy`, `SetRepositoryPolicy` / `GetRepositoryPolicy` /
//! `DeleteRepositoryPolicy`, `TagResource` / `UntagResource` / `ListTagsForResource`, and
//! `DeleteRepository` with `force` (the images go with it, CloudFormation's
//! `EmptyOnDelete: true`).

use super::dispatch::kind_api;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Tag,
};
use serde_json::{Map, Value, json};

use super::common::{
    TagPairs, absent, gone, json_document, sdk_error, str_prop, tag_delta, tags_of, tags_value,
    touched,
};
use crate::model::ResourceKind;
use crate::provider::api::{FieldChange, Observed, ProviderError, Resource};

/// The error codes of a repository without a lifecycle or repository policy: the policy is
/// absent, the repository is there.
const NO_POLICY: &[&str] = &[
    "LifecyclePolicyNotFoundException",
    "RepositoryPolicyNotFoundException",
];

/// The text of a policy, `None` when the repository has none.
fn policy_text<T>(
    r: Result<T, ProviderError>,
    text: impl FnOnce(&T) -> Option<&str>,
) -> Result<Option<String>, ProviderError> {
    match r {
        Ok(out) => Ok(text(&out).map(str::to_owned)),
        Err(e) if NO_POLICY.contains(&e.code.as_str()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the repository named `name`, its policies and tags (unless `known_tags` has them);
/// `None` when it does not exist.
pub(crate) async fn read(
    ecr: &Client,
    name: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    let out = match ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(repo) = out
        .repositories()
        .iter()
        .find(|r| r.repository_name() == Some(name))
    else {
        return Ok(None);
    };
    let mut p = Map::new();
    p.insert("RepositoryName".into(), json!(name));
    // MUTABLE is what a repository created without a setting has.
    let mutability = repo
        .image_tag_mutability()
        .map_or("MUTABLE", ImageTagMutability::as_str);
    p.insert("ImageTagMutability".into(), json!(mutability));
    let scan = repo
        .image_scanning_configuration()
        .is_some_and(ImageScanningConfiguration::scan_on_push);
    p.insert(
        "ImageScanningConfiguration".into(),
        json!({ "ScanOnPush": scan }),
    );
    let mut enc = Map::new();
    let kind = repo
        .encryption_configuration()
        .map_or("AES256", |e| e.encryption_type().as_str());
    enc.insert("EncryptionType".into(), json!(kind));
    if let Some(k) = repo
        .encryption_configuration()
        .and_then(EncryptionConfiguration::kms_key)
        .filter(|k| !k.is_empty())
    {
        enc.insert("KmsKey".into(), json!(k));
    }
    p.insert("EncryptionConfiguration".into(), Value::Object(enc));
    let lifecycle = policy_text(
        ecr.get_lifecycle_policy()
            .repository_name(name)
            .send()
            .await
            .map_err(sdk_error),
        |o| o.lifecycle_policy_text(),
    );
    let lifecycle = match lifecycle {
        Ok(t) => t,
        Err(e) => return absent(e),
    };
    if let Some(text) = lifecycle {
        // Compared as the model renders it: the same document, keys sorted, no spaces.
        let doc = json_document(&text)?;
        p.insert(
            "LifecyclePolicy".into(),
            json!({ "LifecyclePolicyText": doc.to_string() }),
        );
    }
    let policy = policy_text(
        ecr.get_repository_policy()
            .repository_name(name)
            .send()
            .await
            .map_err(sdk_error),
        |o| o.policy_text(),
    );
    let policy = match policy {
        Ok(t) => t,
        Err(e) => return absent(e),
    };
    if let Some(text) = policy {
        p.insert("RepositoryPolicyText".into(), json_document(&text)?);
    }
    // How this provider deletes a repository (with its images), not something ECR keeps.
    p.insert("EmptyOnDelete".into(), json!(true));
    let tags = match known_tags {
        Some(t) => t,
        None => {
            let arn = repo.repository_arn().unwrap_or_default();
            match ecr.list_tags_for_resource().resource_arn(arn).send().await {
                Ok(out) => out
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
                Err(e) => return absent(sdk_error(e)),
            }
        }
    };
    p.insert("Tags".into(), tags_value(tags));
    Ok(Some(Observed::new(Value::Object(p))))
}

fn tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(super::common::build_error)
        })
        .collect()
}

fn mutability(p: &Value) -> ImageTagMutability {
    ImageTagMutability::from(str_prop(p, "ImageTagMutability").unwrap_or("MUTABLE"))
}

fn scanning(p: &Value) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder()
        .scan_on_push(
            p.pointer("/ImageScanningConfiguration/ScanOnPush")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        )
        .build()
}

fn encryption(p: &Value) -> Result<EncryptionConfiguration, ProviderError> {
    let e = &p["EncryptionConfiguration"];
    EncryptionConfiguration::builder()
        .encryption_type(EncryptionType::from(
            e["EncryptionType"].as_str().unwrap_or("AES256"),
        ))
        .set_kms_key(e["KmsKey"].as_str().map(str::to_owned))
        .build()
        .map_err(super::common::build_error)
}

/// A create refused because the repository's key does not exist (ECR answers `KmsException`,
/// EncryptionConfiguration `kmsKey`: "The key must exist in the same Region as the
/// repository"), naming the repository, the field and the key.
fn key_refused(e: ProviderError, name: &str, p: &serde_json::Value) -> ProviderError {
    match p
        .pointer("/EncryptionConfiguration/KmsKey")
        .and_then(|k| k.as_str())
    {
        Some(key) if e.code == "KmsException" => ProviderError::new(
            e.class,
            e.code.clone(),
            format!(
                "image repository \"{name}\": kms_key \"{key}\" names no KMS key ECR can use in \
                 this account and region; create the key or fix the ARN ({})",
                e.message
            ),
        ),
        _ => e,
    }
}

/// Creates the repository with its settings and tags, then its policies (which
/// `CreateRepository` does not take).
pub(crate) async fn create(ecr: &Client, r: &Resource) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    ecr.create_repository()
        .repository_name(name)
        .image_tag_mutability(mutability(p))
        .image_scanning_configuration(scanning(p))
        .encryption_configuration(encryption(p)?)
        .set_tags(Some(tags(tags_of(p))?))
        .send()
        .await
        .map_err(|e| key_refused(sdk_error(e), name, p))?;
    put_lifecycle(ecr, name, p).await?;
    put_policy(ecr, name, p).await
}

/// Sends the lifecycle policy, or deletes it when the model has none.
async fn put_lifecycle(ecr: &Client, name: &str, p: &Value) -> Result<(), ProviderError> {
    match p
        .pointer("/LifecyclePolicy/LifecyclePolicyText")
        .and_then(Value::as_str)
    {
        Some(text) => ecr
            .put_lifecycle_policy()
            .repository_name(name)
            .lifecycle_policy_text(text)
            .send()
            .await
            .map_err(sdk_error)
            .map(|_| ()),
        None => policy_text(
            ecr.delete_lifecycle_policy()
                .repository_name(name)
                .send()
                .await
                .map_err(sdk_error),
            |_| None,
        )
        .map(|_| ()),
    }
}

/// Sends the repository policy, or deletes it when the model has none.
async fn put_policy(ecr: &Client, name: &str, p: &Value) -> Result<(), ProviderError> {
    match p.get("RepositoryPolicyText") {
        Some(doc) => ecr
            .set_repository_policy()
            .repository_name(name)
            .policy_text(doc.to_string())
            .send()
            .await
            .map_err(sdk_error)
            .map(|_| ()),
        None => policy_text(
            ecr.delete_repository_policy()
                .repository_name(name)
                .send()
                .await
                .map_err(sdk_error),
            |_| None,
        )
        .map(|_| ()),
    }
}

/// Changes what differs: each setting has its own call.
pub(crate) async fn update(
    ecr: &Client,
    r: &Resource,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    if touched(fields, "ImageTagMutability") {
        ecr.put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(mutability(p))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if touched(fields, "ImageScanningConfiguration") {
        ecr.put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(scanning(p))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if touched(fields, "LifecyclePolicy") {
        put_lifecycle(ecr, name, p).await?;
    }
    if touched(fields, "RepositoryPolicyText") {
        put_policy(ecr, name, p).await?;
    }
    if let Some((set, remove)) = tag_delta(fields) {
        if !set.is_empty() {
            ecr.tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags(set)?))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if !remove.is_empty() {
            ecr.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(sdk_error)?;
        }
    }
    Ok(())
}

/// Deletes the repository with its images; gone already is success.
pub(crate) async fn delete(ecr: &Client, name: &str) -> Result<(), ProviderError> {
    match ecr
        .delete_repository()
        .repository_name(name)
        .force(true)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::ImageRepository`.
    ImageRepositories {
        read(p, name) {
            Box::pin(async move {
                let tags = p.listed(ResourceKind::ImageRepository, name);
                read(&p.clients.ecr, name, tags).await
            })
        }
        create(p, r) {
            Box::pin(create(&p.clients.ecr, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update(&p.clients.ecr, r, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(delete(&p.clients.ecr, name))
        }
    }
);
