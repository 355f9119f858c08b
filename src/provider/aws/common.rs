//! What every AWS service module shares: turning SDK errors into [`ProviderError`]s, decoding
//! IAM documents, and reading tags and fields out of CloudFormation-shaped properties.

use std::error::Error as StdError;

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use serde_json::{Value, json};

use crate::provider::api::{ErrorClass, FieldChange, ProviderError};

/// Error codes that mean "no such resource", across the services pipewright uses.
const NOT_FOUND: &[&str] = &[
    "NoSuchEntity",
    "NoSuchBucket",
    "NotFound",
    "NoSuchBucketPolicy",
    "NoSuchLifecycleConfiguration",
    "NoSuchTagSet",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "OwnershipControlsNotFoundError",
    "RepositoryDoesNotExistException",
    "ResourceNotFoundException",
    "ApplicationDoesNotExistException",
    "DeploymentConfigDoesNotExistException",
    "DeploymentGroupDoesNotExistException",
    "PipelineNotFoundException",
    "RepositoryNotFoundException",
];

/// Error codes of throttling that outlasted the SDK's own retries. The tagging API names its
/// own `ThrottledException` ("the request was denied to limit the rate of calls", the Resource
/// Groups Tagging API Reference, `GetResources` errors), which the SDK does not retry.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];

/// Error codes of a create that found its resource already there. (`BucketAlreadyExists`, a
/// bucket of another account, is not among them: that one can never be ours.)
const ALREADY_EXISTS: &[&str] = &[
    "EntityAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "RepositoryNameExistsException",
    "ResourceAlreadyExistsException",
    "ApplicationAlreadyExistsException",
    "DeploymentGroupAlreadyExistsException",
    "DeploymentConfigAlreadyExistsException",
    "PipelineNameInUseException",
    "RepositoryAlreadyExistsException",
];

/// Error codes of server-side failures worth another attempt.
const TRANSIENT: &[&str] = &[
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceFailure",
    "RequestTimeout",
    "RequestTimeoutException",
    // The tagging API's token of a listing begun more than 15 minutes ago ("A PaginationToken
    // is valid for a maximum of 15 minutes", GetResources errors): the listing is retried as a
    // whole, from its first page.
    "PaginationTokenExpiredException",
];

/// Error codes under which services report that they cannot use a role yet.
const ROLE_NOT_READY: &[&str] = &[
    "InvalidStructureException",
    "InvalidInputException",
    "InvalidRoleException",
    "AccessDeniedException",
    "AccessDenied",
    "ValidationException",
];

/// How the engine should treat an AWS error. A service that cannot assume a role just created
/// or changed ("not authorized to perform: sts:AssumeRole", "cannot be assumed") is retryable:
/// IAM changes take seconds to reach every service. So is CodeBuild's check of what a new
/// project's role may do ("InvalidInputException: Not authorized to perform
/// DescribeSecurityGroups" for a project in a VPC, before the role's policy has spread); a caller
/// that lacks a permission gets `AccessDenied*` instead, which is reported at once.
#[must_use]
pub(crate) fn classify(code: &str, message: &str) -> ErrorClass {
    let m = message.to_ascii_lowercase();
    if NOT_FOUND.contains(&code) {
        ErrorClass::NotFound
    } else if THROTTLED.contains(&code) {
        ErrorClass::Throttled
    } else if ALREADY_EXISTS.contains(&code) {
        ErrorClass::AlreadyExists
    } else if TRANSIENT.contains(&code) {
        ErrorClass::Transient
    } else if (ROLE_NOT_READY.contains(&code)
        && ["assumerole", "assume role", "assume the role", "be assumed"]
            .iter()
            .any(|needle| m.contains(needle)))
        || (code == "InvalidInputException" && m.contains("not authorized to perform"))
    {
        ErrorClass::Retryable
    } else {
        ErrorClass::Other
    }
}

/// An SDK error as a classified [`ProviderError`]: the service's code and message, or for a
/// failure without a response (network, timeout) the whole error chain.
pub(crate) fn sdk_error<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match err.code() {
        Some(code) => {
            let message = err.message().unwrap_or_default().to_owned();
            ProviderError::new(classify(code, &message), code, message)
        }
        None => {
            // A 404 without a body (S3's HeadBucket) is the only code-less "not found".
            let status = err.raw_response().map(|r| r.status().as_u16());
            let message = error_chain(&err);
            if status == Some(404) {
                ProviderError::new(ErrorClass::NotFound, "NotFound", message)
            } else if matches!(
                err,
                SdkError::DispatchFailure(_)
                    | SdkError::TimeoutError(_)
                    | SdkError::ResponseError(_)
            ) || status.is_some_and(|s| s >= 500)
            {
                // No answer, a cut answer, or a 5xx without a body: the network or the service
                // failing for a moment, after the SDK's own attempts.
                ProviderError::new(ErrorClass::Transient, "RequestFailed", message)
            } else {
                ProviderError::other("RequestFailed", message)
            }
        }
    }
}

/// Every message of an error's chain, joined by `: ` (what the SDK's `DisplayErrorContext`
/// prints, without the `Debug` dump it appends, which users cannot act on).
fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// `Ok(None)` for a "not found" error, the error otherwise.
pub(crate) fn absent<T>(e: ProviderError) -> Result<Option<T>, ProviderError> {
    if e.class == ErrorClass::NotFound {
        Ok(None)
    } else {
        Err(e)
    }
}

/// `Ok(())` for a "not found" error (what a delete wants), the error otherwise.
pub(crate) fn gone(e: ProviderError) -> Result<(), ProviderError> {
    absent::<()>(e).map(|_| ())
}

/// A request the SDK refused to build (a required field missing): a bug on our side.
pub(crate) fn build_error(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::other("InvalidRequest", e.to_string())
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded); `+` stays as is, since
/// IAM encodes spaces as `%20`.
#[must_use]
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                // Two hex digits always fit in a byte.
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON document as AWS returns it (IAM's URL-encoded, or plain), parsed.
///
/// # Errors
/// When the document is not JSON.
pub(crate) fn json_document(raw: &str) -> Result<Value, ProviderError> {
    let text = if raw.trim_start().starts_with('{') {
        raw.to_owned()
    } else {
        percent_decode(raw)
    };
    serde_json::from_str(&text)
        .map_err(|e| ProviderError::other("InvalidPolicyDocument", format!("{e}: {text}")))
}

/// The `Tags` of CloudFormation-shaped properties as (key, value) pairs.
#[must_use]
pub(crate) fn tags_of(properties: &Value) -> Vec<(String, String)> {
    properties
        .get("Tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t.get("Key")?.as_str()?.to_owned(),
                        t.get("Value")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A resource's tags as (key, value) pairs, as the tagging API listed them.
pub(crate) type TagPairs = Vec<(String, String)>;

/// Whether a tag key is an ownership record (the kind table's `record`: a deployment
/// configuration's, on the app's CodeDeploy application), which the provider alone writes.
#[must_use]
pub(crate) fn is_record_key(key: &str) -> bool {
    crate::model::ResourceKind::ALL
        .iter()
        .filter_map(|k| k.info().record)
        .any(|r| key.starts_with(r.key_prefix))
}

/// (key, value) pairs as a CloudFormation `Tags` list, sorted by key, AWS's own `aws:` tags
/// left out (nobody can set or remove them), and so are ownership records ([`is_record_key`]):
/// the model never has them, so the diff must not plan their removal.
#[must_use]
pub(crate) fn tags_value<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> Value {
    let mut tags: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .filter(|(k, _)| !k.starts_with("aws:") && !is_record_key(k))
        .collect();
    tags.sort();
    Value::Array(
        tags.into_iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// Tags to set (key, value) and tag keys to remove.
pub(crate) type TagDelta = (Vec<(String, String)>, Vec<String>);

/// What a change of `/Tags` takes: the tags to set and the keys to remove.
#[must_use]
pub(crate) fn tag_delta(fields: &[FieldChange]) -> Option<TagDelta> {
    let f = fields.iter().find(|f| f.path == "/Tags")?;
    let as_props = |v: &Option<Value>| json!({"Tags": v.clone().unwrap_or(Value::Null)});
    let old = tags_of(&as_props(&f.old));
    let new = tags_of(&as_props(&f.new));
    let set: Vec<(String, String)> = new.iter().filter(|t| !old.contains(t)).cloned().collect();
    let remove: Vec<String> = old
        .iter()
        .filter(|(k, _)| !new.iter().any(|(n, _)| n == k))
        .map(|(k, _)| k.clone())
        .collect();
    Some((set, remove))
}

/// Sends a tag delta through a service's `TagResource` and `UntagResource`, which CodeCommit,
/// CodeDeploy, CodePipeline and EventBridge shape alike on different client types: `set` is the
/// tags in the service's own form, `remove` the keys; an empty side sends nothing. Returns early
/// with the [`ProviderError`] of a failed call.
macro_rules! send_tag_delta {
    ($client:expr, $arn:expr, $set:expr, $remove:expr) => {{
        let (set, remove) = ($set, $remove);
        if !set.is_empty() {
            $client
                .tag_resource()
                .resource_arn($arn)
                .set_tags(Some(set))
                .send()
                .await
                .map_err($crate::provider::aws::common::sdk_error)?;
        }
        if !remove.is_empty() {
            $client
                .untag_resource()
                .resource_arn($arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err($crate::provider::aws::common::sdk_error)?;
        }
    }};
}
pub(crate) use send_tag_delta;

/// Whether any changed field lies under the top-level property `name`.
#[must_use]
pub(crate) fn touched(fields: &[FieldChange], name: &str) -> bool {
    fields.iter().any(|f| under(&f.path, name))
}

/// Whether the JSON pointer `path` lies under the top-level property `name`.
#[must_use]
pub(crate) fn under(path: &str, name: &str) -> bool {
    path.strip_prefix('/')
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The `i32` at JSON pointer `pointer` of `v`, if there is one in range.
#[must_use]
pub(crate) fn int_at(v: &Value, pointer: &str) -> Option<i32> {
    v.pointer(pointer)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

/// A string property.
#[must_use]
pub(crate) fn str_prop<'a>(properties: &'a Value, name: &str) -> Option<&'a str> {
    properties.get(name).and_then(Value::as_str)
}

/// The most pages of one resource's tags read (a resource has at most 50 tags; services page
/// them anyway, `ListTagsForResource`'s `nextToken`).
pub(crate) const MAX_TAG_PAGES: usize = 60;

/// Follows a listing from its first page to its last, each page asked for with the token the
/// one before handed back. AWS says nothing of how many pages there are, so the walk is bounded
/// by `max_pages`; a listing still unfinished then, or one that hands back the token it was
/// given, fails loudly instead of returning part of the list: prune and destroy would silently
/// miss what the unread pages hold.
///
/// # Errors
/// The first failed page's error, or `TooManyPages` / `PaginationLoop` naming `what`.
pub(crate) async fn all_pages<T, Tok, F, Fut>(
    what: &str,
    max_pages: usize,
    mut fetch: F,
) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Option<Tok>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<Tok>), ProviderError>>,
    Tok: Clone + PartialEq,
{
    let mut out = Vec::new();
    let mut token: Option<Tok> = None;
    for _ in 0..max_pages {
        let (items, next) = fetch(token.clone()).await?;
        out.extend(items);
        match next {
            None => return Ok(out),
            Some(t) if token.as_ref() == Some(&t) => {
                return Err(ProviderError::other(
                    "PaginationLoop",
                    format!("listing {what}: a page handed back the token it was asked with"),
                ));
            }
            Some(t) => token = Some(t),
        }
    }
    Err(ProviderError::other(
        "TooManyPages",
        format!(
            "listing {what}: more pages remain after {max_pages}; stopped rather than act on \
             part of the list"
        ),
    ))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_listing_longer_than_the_bound_fails_instead_of_returning_part_of_it() {
        // Bug: the tagging listing stopped after its page bound with a token still pending and
        // returned what it had, so prune and destroy missed what the other pages held.
        let endless = |token: Option<u32>| async move {
            let n = token.unwrap_or(0);
            Ok::<_, ProviderError>((vec![n], Some(n + 1)))
        };
        let err = all_pages("owned resources", 3, endless).await.unwrap_err();
        assert_eq!(err.code, "TooManyPages");
        assert!(err.message.contains("owned resources"), "{err}");

        let three = |token: Option<u32>| async move {
            let n = token.unwrap_or(0);
            Ok::<_, ProviderError>((vec![n], (n < 2).then_some(n + 1)))
        };
        assert_eq!(all_pages("x", 3, three).await.unwrap(), vec![0, 1, 2]);

        let stuck = |_: Option<u32>| async { Ok::<_, ProviderError>((vec![()], Some(7))) };
        let err = all_pages("x", 100, stuck).await.unwrap_err();
        assert_eq!(err.code, "PaginationLoop");
    }

    use super::*;

    #[test]
    fn classifies_role_propagation_as_retryable_only() {
        assert_eq!(
            classify(
                "InvalidStructureException",
                "CodePipeline is not authorized to perform AssumeRole on role arn:aws:iam::1:role/x"
            ),
            ErrorClass::Retryable
        );
        assert_eq!(
            classify(
                "InvalidInputException",
                "CodeBuild is not authorized to perform: sts:AssumeRole on arn:aws:iam::1:role/x"
            ),
            ErrorClass::Retryable
        );
        assert_eq!(
            classify(
                "InvalidRoleException",
                "AWS CodeDeploy does not have the permissions required to assume the role arn:aws:iam::1:role/x"
            ),
            ErrorClass::Retryable
        );
        assert_eq!(
            classify("AccessDenied", "user is not allowed to s3:CreateBucket"),
            ErrorClass::Other
        );
        // The wordings AWS uses while a new role spreads (as reported against real AWS).
        for (code, message) in [
            (
                "InvalidStructureException",
                "arn:aws:iam::1:role/a is not authorized to perform AssumeRole on role arn:aws:iam::1:role/a",
            ),
            ("InvalidRoleException", "Cannot assume role provided."),
            (
                "InvalidInputException",
                "Not authorized to perform DescribeSecurityGroups",
            ),
        ] {
            assert_eq!(classify(code, message), ErrorClass::Retryable, "{message}");
        }
        // A caller without a permission is told at once.
        assert_eq!(
            classify(
                "AccessDeniedException",
                "User: arn:aws:iam::1:user/u is not authorized to perform: codebuild:CreateProject"
            ),
            ErrorClass::Other
        );
        assert_eq!(classify("NoSuchEntity", "role x"), ErrorClass::NotFound);
        assert_eq!(
            classify("ThrottlingException", "rate"),
            ErrorClass::Throttled
        );
    }

    #[test]
    fn the_tagging_apis_own_throttling_and_expired_tokens_are_tried_again() {
        // Bug: both were `Other`, so a throttled or long listing aborted plan and destroy.
        assert_eq!(
            classify("ThrottledException", "Rate exceeded"),
            ErrorClass::Throttled
        );
        assert_eq!(
            classify(
                "PaginationTokenExpiredException",
                "the pagination token has expired"
            ),
            ErrorClass::Transient
        );
        // CodeDeploy's refusal of a role it cannot assume yet (after a role change) waits for
        // IAM like every other service's; a malformed ARN does not.
        assert_eq!(
            classify(
                "InvalidRoleException",
                "AWS CodeDeploy does not have the permissions required to assume the role arn:aws:iam::1:role/x"
            ),
            ErrorClass::Retryable
        );
        assert_eq!(
            classify(
                "InvalidRoleException",
                "The service role ARN was specified in an invalid format"
            ),
            ErrorClass::Other
        );
    }

    #[test]
    fn paths_under_a_property_stop_at_its_name() {
        assert!(under("/Tags", "Tags"));
        assert!(under("/Tags/0/Value", "Tags"));
        assert!(!under("/TagsExtra", "Tags"));
        assert!(!under("/Description", "Tags"));
        assert!(!under("Tags", "Tags"));
    }

    #[test]
    fn decodes_url_encoded_policy_documents() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            json_document(raw).unwrap(),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(json_document("{\"A\": 1}").unwrap(), json!({"A": 1}));
        assert_eq!(percent_decode("a%2Fb%zz+c"), "a/b%zz+c");
    }

    #[test]
    fn tags_round_trip_and_deltas_name_what_to_set_and_remove() {
        let v = tags_value([("b", "2"), ("a", "1"), ("aws:cloudformation:stack-id", "x")]);
        assert_eq!(
            v,
            json!([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        );
        assert_eq!(tags_of(&json!({"Tags": v.clone()})).len(), 2);
        let change = FieldChange {
            path: "/Tags".into(),
            old: Some(v),
            new: Some(json!([{"Key": "a", "Value": "9"}, {"Key": "c", "Value": "3"}])),
        };
        let (set, remove) = tag_delta(&[change]).unwrap();
        assert_eq!(set, [("a".into(), "9".into()), ("c".into(), "3".into())]);
        assert_eq!(remove, ["b"]);
    }
}
