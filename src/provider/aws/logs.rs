//! CloudWatch Logs groups with their retention, encryption key and tags (`AWS::Logs::LogGroup`):
//! the groups CodeBuild projects write their build logs to.

use super::AwsProvider;
use super::dispatch::{Ahead, common_prefix, kind_api};
use aws_sdk_cloudwatchlogs::types::LogGroup;

use aws_sdk_cloudwatchlogs::Client;
use serde_json::{Map, Value, json};

use super::common::{
    TagPairs, absent, all_pages, gone, int_at, sdk_error, send_tag_delta, str_prop, tag_delta,
    tags_of, tags_value, touched,
};
use crate::model::ResourceKind;
use crate::provider::api::{FieldChange, Observed, ProviderError, Resource};

/// The most pages of `DescribeLogGroups` read while looking for one group by name: other
/// groups can share its name as a prefix (`/aws/codebuild/x` and `/aws/codebuild/x-2`).
const MAX_GROUP_PAGES: usize = 100;

/// Reads a log group and its tags (unless `known_tags` has them); `None` when it does not exist.
/// `arn` is the group's ARN without the `:*` that `DescribeLogGroups` appends, the form
/// `ListTagsForResource` takes (CloudWatch Logs API Reference, `ListTagsForResource`).
pub(crate) async fn read(
    logs: &Client,
    name: &str,
    arn: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    // `DescribeLogGroups` has no exact-name filter: the prefix lists this group and every
    // group whose name begins with it, in pages.
    let groups = all_pages("log groups", MAX_GROUP_PAGES, |token| async move {
        let page = logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        let found: Vec<_> = page
            .log_groups()
            .iter()
            .filter(|g| g.log_group_name() == Some(name))
            .cloned()
            .collect();
        Ok((found, page.next_token().map(str::to_owned)))
    })
    .await?;
    let Some(g) = groups.into_iter().next() else {
        return Ok(None);
    };
    let mut p = properties(&g, name);
    let tags = match known_tags {
        Some(tags) => tags,
        None => match logs.list_tags_for_resource().resource_arn(arn).send().await {
            Ok(out) => out
                .tags()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            // Deleted between the two calls.
            Err(e) => return absent(sdk_error(e)),
        },
    };
    p.insert("Tags".into(), tags_value(tags));
    Ok(Some(Observed::new(Value::Object(p))))
}

/// A group's properties but its tags.
fn properties(g: &LogGroup, name: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("LogGroupName".into(), json!(name));
    if let Some(days) = g.retention_in_days() {
        p.insert("RetentionInDays".into(), json!(days));
    }
    if let Some(k) = g.kms_key_id().filter(|k| !k.is_empty()) {
        p.insert("KmsKeyId".into(), json!(k));
    }
    if let Some(class) = g.log_group_class() {
        // STANDARD is what a group created without a class has: not a difference.
        if class.as_str() != "STANDARD" {
            p.insert("LogGroupClass".into(), json!(class.as_str()));
        }
    }
    p
}

/// Reads many groups with `DescribeLogGroups` by the names' common prefix (every page): one it
/// does not list is absent, one it lists is answered when the app's listing gave its tags (else
/// its read asks for them).
async fn read_ahead(p: &AwsProvider, names: &[String]) -> Result<Ahead, ProviderError> {
    let logs = &p.clients.logs;
    let prefix = common_prefix(names);
    let prefix = Some(prefix).filter(|p| !p.is_empty());
    let prefix = prefix.as_deref();
    let groups = all_pages("log groups", MAX_GROUP_PAGES, |token| async move {
        let page = logs
            .describe_log_groups()
            .set_log_group_name_prefix(prefix.map(str::to_owned))
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok((
            page.log_groups().to_vec(),
            page.next_token().map(str::to_owned),
        ))
    })
    .await?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        match groups
            .iter()
            .find(|g| g.log_group_name() == Some(name.as_str()))
        {
            None => out.push((name.clone(), None)),
            Some(g) => {
                if let Some(tags) = p.listed(ResourceKind::LogGroup, name) {
                    let mut props = properties(g, name);
                    props.insert("Tags".into(), tags_value(tags));
                    out.push((name.clone(), Some(Observed::new(Value::Object(props)))));
                }
            }
        }
    }
    Ok(out)
}

/// A create or key change refused because the group's key does not exist or may not be used
/// (CreateLogGroup and AssociateKmsKey answer `InvalidParameterException`, the CloudWatch Logs
/// API Reference), naming the group, the field and the key.
fn key_refused(e: ProviderError, name: &str, key: Option<&str>) -> ProviderError {
    match key {
        Some(key) if e.code == "InvalidParameterException" && e.message.contains("KMS key") => {
            ProviderError::new(
                e.class,
                e.code.clone(),
                format!(
                    "log group \"{name}\": log_kms_key \"{key}\" names no KMS key CloudWatch Logs \
                     can use in this account and region; create the key (its policy must let \
                     logs.<region>.amazonaws.com use it) or fix the ARN ({})",
                    e.message
                ),
            )
        }
        _ => e,
    }
}

/// Creates a log group with its key and tags, then its retention policy (which
/// `CreateLogGroup` does not take).
pub(crate) async fn create(logs: &Client, r: &Resource) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    let key = str_prop(p, "KmsKeyId");
    logs.create_log_group()
        .log_group_name(name)
        .set_kms_key_id(key.map(str::to_owned))
        .set_tags(Some(tags_of(p).into_iter().collect()))
        .send()
        .await
        .map_err(|e| key_refused(sdk_error(e), name, key))?;
    if let Some(days) = int_at(p, "/RetentionInDays") {
        put_retention(logs, name, days).await?;
    }
    Ok(())
}

async fn put_retention(logs: &Client, name: &str, days: i32) -> Result<(), ProviderError> {
    logs.put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Changes the retention, key and tags that differ; a retention or key taken out of the model
/// is removed (the group then keeps its events forever, encrypted by CloudWatch Logs' own keys).
pub(crate) async fn update(
    logs: &Client,
    r: &Resource,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    if touched(fields, "RetentionInDays") {
        match int_at(p, "/RetentionInDays") {
            Some(days) => put_retention(logs, name, days).await?,
            None => {
                logs.delete_retention_policy()
                    .log_group_name(name)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
    }
    if touched(fields, "KmsKeyId") {
        match str_prop(p, "KmsKeyId") {
            Some(key) => {
                logs.associate_kms_key()
                    .log_group_name(name)
                    .kms_key_id(key)
                    .send()
                    .await
                    .map_err(|e| key_refused(sdk_error(e), name, Some(key)))?;
            }
            None => {
                logs.disassociate_kms_key()
                    .log_group_name(name)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
    }
    if let Some((set, remove)) = tag_delta(fields) {
        let set: std::collections::HashMap<_, _> = set.into_iter().collect();
        send_tag_delta!(logs, arn, set, remove);
    }
    Ok(())
}

/// Deletes a log group and its events; gone already is success.
pub(crate) async fn delete(logs: &Client, name: &str) -> Result<(), ProviderError> {
    match logs.delete_log_group().log_group_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::LogGroup`.
    LogGroups {
        read(p, name) {
            Box::pin(async move {
                let tags = p.listed(ResourceKind::LogGroup, name);
                let arn = p.arn(ResourceKind::LogGroup, name);
                read(&p.clients.logs, name, &arn, tags).await
            })
        }
        create(p, r) {
            Box::pin(create(&p.clients.logs, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update(&p.clients.logs, r, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(delete(&p.clients.logs, name))
        }
        read_ahead(p, names) {
            Box::pin(read_ahead(p, names))
        }
    }
);
