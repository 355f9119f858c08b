//! IAM roles with their trust policy, inline policies and tags (`AWS::IAM::Role`).

use super::dispatch::kind_api;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::{Role, Tag};
use serde_json::{Map, Value, json};

use super::common::{
    TagPairs, absent, all_pages, build_error, gone, json_document, sdk_error, str_prop, tag_delta,
    tags_of, tags_value, touched,
};
use crate::model::{REGION_VAR, role_path};
use crate::provider::api::{
    ErrorClass, FieldChange, Observed, ProviderError, Resource, TAG_APP, TAG_ID,
};

/// The most pages of inline policies read (IAM allows far fewer policies than this covers).
const MAX_PAGES: usize = 100;

/// The properties of a role as the engine compares them; its tags are `tags` when given (a
/// listed role: `ListRoles` returns none), else those `GetRole` returned with it.
fn properties(
    role: &Role,
    tags: Option<&TagPairs>,
    policies: Vec<(String, Value)>,
) -> Result<Value, ProviderError> {
    let mut p = Map::new();
    p.insert("RoleName".into(), json!(role.role_name()));
    p.insert("Path".into(), json!(role.path()));
    if let Some(d) = role.description().filter(|d| !d.is_empty()) {
        p.insert("Description".into(), json!(d));
    }
    if let Some(doc) = role.assume_role_policy_document() {
        p.insert("AssumeRolePolicyDocument".into(), json_document(doc)?);
    }
    if let Some(s) = role.max_session_duration() {
        p.insert("MaxSessionDuration".into(), json!(s));
    }
    if !policies.is_empty() {
        p.insert(
            "Policies".into(),
            Value::Array(
                policies
                    .into_iter()
                    .map(|(name, doc)| json!({"PolicyName": name, "PolicyDocument": doc}))
                    .collect(),
            ),
        );
    }
    let tags = match tags {
        Some(pairs) => tags_value(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        None => tags_value(role.tags().iter().map(|t| (t.key(), t.value()))),
    };
    p.insert("Tags".into(), tags);
    Ok(Value::Object(p))
}

/// The inline policies of desired properties: (name, document as JSON text).
fn inline_policies(properties: &Value) -> Vec<(String, String)> {
    properties
        .get("Policies")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    Some((
                        p.get("PolicyName")?.as_str()?.to_owned(),
                        p.get("PolicyDocument")?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn tags(pairs: &[(String, String)]) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
        .collect()
}

async fn policy_names(iam: &Client, name: &str) -> Result<Vec<String>, ProviderError> {
    all_pages("a role's inline policies", MAX_PAGES, |marker| async move {
        let page = iam
            .list_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk_error)?;
        let next = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        Ok((page.policy_names().to_vec(), next))
    })
    .await
}

/// Reads a role, its inline policies and its tags; `None` when it does not exist. `listed` is
/// the role and its tags as the app's listing found it, which spares the `GetRole` call.
pub(crate) async fn read(
    iam: &Client,
    name: &str,
    listed: Option<(Role, TagPairs)>,
) -> Result<Option<Observed>, ProviderError> {
    let (role, tags) = match listed {
        Some((role, tags)) => (role, Some(tags)),
        None => match iam.get_role().role_name(name).send().await {
            Ok(out) => match out.role() {
                Some(r) => (r.clone(), None),
                None => return Ok(None),
            },
            Err(e) => return absent(sdk_error(e)),
        },
    };
    let policy_names = match policy_names(iam, name).await {
        Ok(names) => names,
        // Deleted since it was listed.
        Err(e) => return absent(e),
    };
    let mut policies = Vec::new();
    for policy in policy_names {
        let out = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .map_err(sdk_error)?;
        policies.push((policy, json_document(out.policy_document())?));
    }
    Ok(Some(Observed::new(properties(
        &role,
        tags.as_ref(),
        policies,
    )?)))
}

async fn put_policies(iam: &Client, name: &str, properties: &Value) -> Result<(), ProviderError> {
    for (policy, document) in inline_policies(properties) {
        iam.put_role_policy()
            .role_name(name)
            .policy_name(policy)
            .policy_document(document)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// The most `ListRoleTags` calls in flight while listing the app's roles: IAM's control plane
/// throttles early, and the SDK's own retries absorb the rest.
const TAG_READS_IN_FLIGHT: usize = 16;

/// The app's roles in `region`, as (`pipewright:id`, the role as listed, its tags): the roles
/// under the app's path for that region (`ListRoles` with a path prefix, every page) that carry
/// its `pipewright:app` tag.
///
/// IAM is global, so the path is what keeps one region's roles apart from another's; the
/// tagging API lists no IAM roles, and `ListRoles` returns no tags ("This operation does not
/// return the following attributes ... PermissionsBoundary, RoleLastUsed, Tags", IAM API
/// Reference, ListRoles), so each role's tags are read with `ListRoleTags`, several at once.
pub(crate) async fn owned_roles(
    iam: &Client,
    app: &str,
    region: &str,
) -> Result<Vec<(String, Role, TagPairs)>, ProviderError> {
    let prefix = role_path(app).replace(REGION_VAR, region);
    let prefix = prefix.as_str();
    let mut roles = all_pages("the app's roles", MAX_PAGES, |marker| async move {
        let page = iam
            .list_roles()
            .path_prefix(prefix)
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk_error)?;
        // The prefix is a prefix: `/pipewright/shop/` would match `/pipewright/shop-2/`, but
        // the trailing `/` rules that out, and a role further down the path is not ours.
        let roles = page
            .roles()
            .iter()
            .filter(|r| r.path() == prefix)
            .cloned()
            .collect::<Vec<_>>();
        let next = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        Ok((roles, next))
    })
    .await?;
    roles.reverse();
    let mut out = Vec::new();
    let mut set = tokio::task::JoinSet::new();
    loop {
        while set.len() < TAG_READS_IN_FLIGHT {
            let Some(role) = roles.pop() else { break };
            let iam = iam.clone();
            set.spawn(async move {
                let tags = role_tags(&iam, role.role_name()).await;
                (role, tags)
            });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        let (role, tags) = joined.map_err(|e| ProviderError::other("TaskFailed", e.to_string()))?;
        let tags = match tags {
            Ok(t) => t,
            // Deleted between the listing and now: not owned any more.
            Err(e) if e.class == ErrorClass::NotFound => continue,
            Err(e) => return Err(e),
        };
        let tag = |k: &str| {
            tags.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        if let (Some(owner), Some(id)) = (tag(TAG_APP), tag(TAG_ID))
            && owner == app
        {
            out.push((id, role, tags));
        }
    }
    // The same order whatever the answers' timing.
    out.sort_by(|a, b| a.1.role_name().cmp(b.1.role_name()));
    Ok(out)
}

/// Every tag of a role (`ListRoleTags`, every page).
async fn role_tags(iam: &Client, name: &str) -> Result<Vec<(String, String)>, ProviderError> {
    all_pages("a role's tags", MAX_PAGES, |marker| async move {
        let page = iam
            .list_role_tags()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk_error)?;
        let tags = page
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        let next = page
            .marker()
            .filter(|_| page.is_truncated())
            .map(str::to_owned);
        Ok((tags, next))
    })
    .await
}

/// Creates a role with its trust policy, description and tags, then its inline policies.
pub(crate) async fn create(iam: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    let trust = p
        .get("AssumeRolePolicyDocument")
        .map(Value::to_string)
        .unwrap_or_default();
    iam.create_role()
        .role_name(&r.physical_name)
        .set_path(str_prop(p, "Path").map(str::to_owned))
        .set_description(str_prop(p, "Description").map(str::to_owned))
        .assume_role_policy_document(trust)
        .set_tags(Some(tags(&tags_of(p))?))
        .send()
        .await
        .map_err(sdk_error)?;
    put_policies(iam, &r.physical_name, p).await
}

/// Changes the trust policy, description, inline policies and tags that differ.
pub(crate) async fn update(
    iam: &Client,
    r: &Resource,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    if touched(fields, "AssumeRolePolicyDocument") {
        let trust = p
            .get("AssumeRolePolicyDocument")
            .map(Value::to_string)
            .unwrap_or_default();
        iam.update_assume_role_policy()
            .role_name(name)
            .policy_document(trust)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if touched(fields, "Description") {
        iam.update_role()
            .role_name(name)
            .description(str_prop(p, "Description").unwrap_or_default())
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if touched(fields, "Policies") {
        put_policies(iam, name, p).await?;
        let wanted: Vec<String> = inline_policies(p).into_iter().map(|(n, _)| n).collect();
        for old in policy_names(iam, name).await? {
            if !wanted.contains(&old) {
                iam.delete_role_policy()
                    .role_name(name)
                    .policy_name(old)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
    }
    if let Some((set, remove)) = tag_delta(fields) {
        if !set.is_empty() {
            iam.tag_role()
                .role_name(name)
                .set_tags(Some(tags(&set)?))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if !remove.is_empty() {
            iam.untag_role()
                .role_name(name)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(sdk_error)?;
        }
    }
    Ok(())
}

/// Deletes a role: its inline policies first, managed policies detached; gone already is
/// success.
pub(crate) async fn delete(iam: &Client, name: &str) -> Result<(), ProviderError> {
    let policies = match policy_names(iam, name).await {
        Ok(p) => p,
        Err(e) => return gone(e),
    };
    for policy in policies {
        if let Err(e) = iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
        {
            gone(sdk_error(e))?;
        }
    }
    // A failed listing is reported as such (a role gone already is success), not later as
    // DeleteRole's "must detach all policies first".
    let attached = match iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => return gone(sdk_error(e)),
    };
    for arn in attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
    {
        iam.detach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::Role`.
    Roles {
        read(p, name) {
            let listed = p.listed_role(name);
            Box::pin(read(&p.clients.iam, name, listed))
        }
        create(p, r) {
            Box::pin(create(&p.clients.iam, r))
        }
        update(p, r, fields) {
            Box::pin(update(&p.clients.iam, r, fields))
        }
        delete(p, name) {
            Box::pin(delete(&p.clients.iam, name))
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_reads_back_in_the_shape_synthesis_writes() {
        let role = Role::builder()
            .path("/")
            .role_name("shop-pipeline-shop")
            .role_id("AROA")
            .arn("arn:aws:iam::123456789012:role/shop-pipeline-shop")
            .create_date(aws_sdk_iam::primitives::DateTime::from_secs(0))
            .assume_role_policy_document(
                "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
            )
            .description("pipewright pipeline role")
            .tags(
                Tag::builder()
                    .key("pipewright:app")
                    .value("shop")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]});
        let p = properties(&role, None, vec![("least-privilege".into(), doc.clone())]).unwrap();
        assert_eq!(p["RoleName"], "shop-pipeline-shop");
        assert_eq!(p["AssumeRolePolicyDocument"]["Version"], "2012-10-17");
        assert_eq!(
            p["Policies"][0],
            json!({"PolicyName": "least-privilege", "PolicyDocument": doc})
        );
        assert_eq!(
            p["Tags"],
            json!([{"Key": "pipewright:app", "Value": "shop"}])
        );
        assert_eq!(
            inline_policies(&p),
            [("least-privilege".to_owned(), doc.to_string())]
        );
    }
}
