//! The provider contract: one object-safe trait the engine drives for every resource kind.
//!
//! A provider speaks in the engine's terms, never in SDK types: a resource is its kind, physical
//! name, logical id and CloudFormation-shaped properties (the names synthesis writes, intrinsics
//! already resolved), so that what a provider reads compares directly with what the model wants.
//!
//! # Physical names
//!
//! A resource is addressed by `(kind, physical_name)`. The name is the one AWS knows it by,
//! except for a deployment group, whose name is only unique within its application: there it is
//! `<application>/<group>` (CodeDeploy names cannot contain `/`), see [`group_address`]. A bucket
//! policy's name is its bucket's name.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::ResourceKind;
pub use crate::model::{TAG_APP, TAG_ID};

/// A boxed, sendable future: what the [`Provider`] methods return, which keeps the trait
/// object-safe without extra dependencies.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The address of a deployment group: `<application>/<group>`.
#[must_use]
pub fn group_address(application: &str, group: &str) -> String {
    format!("{application}/{group}")
}

/// A short lower-case word for a kind, used in messages: `bucket`, `deployment group`, …
/// (the kind table's [`KindInfo::word`](crate::model::KindInfo::word)).
#[must_use]
pub fn kind_word(kind: ResourceKind) -> &'static str {
    kind.word()
}

/// The property of a resource whose kind keeps its ownership in a record (the kind table's
/// `KindInfo::record`) that names the resource holding the record: the physical name of the
/// app's CodeDeploy application, for a deployment configuration. Such a resource's `Tags` are
/// then its owner as the record says, not tags AWS keeps on it.
pub const RECORD_HOST: &str = "pipewright:recordedOn";

/// Whether `r` names its owner in `Tags`: those of a kind that carries tags, or those of a
/// recorded kind (a deployment configuration) given a record. Any other resource of the app is
/// found by its name alone.
#[must_use]
pub fn carries_owner(r: &Resource) -> bool {
    r.kind.taggable() || (r.kind.has_owner_tags() && r.properties.get(RECORD_HOST).is_some())
}

/// A resource as the engine wants it to be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// Its logical id (the `pipewright:id` tag).
    pub id: String,
    /// Its kind.
    #[serde(serialize_with = "serialize_kind")]
    pub kind: ResourceKind,
    /// Its physical name (see the module documentation for deployment groups).
    pub physical_name: String,
    /// Its CloudFormation properties with every intrinsic resolved, tags included.
    pub properties: Value,
}

/// Serializes a kind as its CloudFormation type, such as `AWS::S3::Bucket`.
pub(crate) fn serialize_kind<S: serde::Serializer>(
    kind: &ResourceKind,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.cfn_type())
}

/// Who owns a resource, from its `pipewright:app` and `pipewright:id` tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// The `pipewright:app` tag.
    pub app: String,
    /// The `pipewright:id` tag.
    pub id: String,
}

impl Owner {
    /// The owner named by a CloudFormation-shaped `Tags` list (`[{"Key": …, "Value": …}]`) in
    /// `properties`; `None` unless both tags are there.
    #[must_use]
    pub fn from_properties(properties: &Value) -> Option<Self> {
        let tags = properties.get("Tags")?.as_array()?;
        let find = |key: &str| {
            tags.iter()
                .find(|t| t.get("Key").and_then(Value::as_str) == Some(key))
                .and_then(|t| t.get("Value")?.as_str())
                .map(str::to_owned)
        };
        Some(Self {
            app: find(TAG_APP)?,
            id: find(TAG_ID)?,
        })
    }
}

/// A resource as a provider found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// Its properties, normalized into the shape of [`Resource::properties`]: IAM documents
    /// decoded to JSON, tags as a `Tags` list. Fields AWS fills in by itself may be present; the
    /// engine ignores those the model does not set.
    pub properties: Value,
    /// Its owner, `None` when the ownership tags are missing (or the kind cannot carry tags).
    pub owner: Option<Owner>,
    /// Why the resource can never be the app's, when the provider knows (another AWS account
    /// owns the name): the plan's conflict says this instead of how to adopt it.
    pub foreign: Option<String>,
}

impl Observed {
    /// An observed resource whose owner is read from the `Tags` in its properties.
    #[must_use]
    pub fn new(properties: Value) -> Self {
        let owner = Owner::from_properties(&properties);
        Self {
            properties,
            owner,
            foreign: None,
        }
    }

    /// A resource that exists under the name but that these credentials cannot read (for a
    /// bucket: S3 names are global, and another account may own it); `why` completes
    /// "bucket \"NAME\" ..." in the plan's conflict.
    #[must_use]
    pub fn foreign(properties: Value, why: impl Into<String>) -> Self {
        Self {
            properties,
            owner: None,
            foreign: Some(why.into()),
        }
    }
}

/// A resource an app owns, found by its tags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owned {
    /// Its kind.
    pub kind: ResourceKind,
    /// Its physical name.
    pub physical_name: String,
    /// Its `pipewright:id` tag.
    pub id: String,
}

/// One changed field of a resource, addressed by a JSON pointer into its properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// A JSON pointer such as `/Environment/ComputeType`.
    pub path: String,
    /// The value AWS has, `None` when the field is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The value the model wants, `None` when the field must be removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// One JSON-pointer token for `key` (`~` and `/` escaped), as in [`FieldChange::path`].
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The tokens of a JSON pointer, unescaped; the empty pointer has none.
pub fn pointer_tokens(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// A provider operation, for call counts and failure injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// [`Provider::read`].
    Read,
    /// [`Provider::create`].
    Create,
    /// [`Provider::update`].
    Update,
    /// [`Provider::delete`].
    Delete,
    /// [`Provider::list_owned`].
    ListOwned,
}

impl Operation {
    /// Whether the operation changes AWS.
    #[must_use]
    pub fn mutates(self) -> bool {
        matches!(self, Self::Create | Self::Update | Self::Delete)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::ListOwned => "list",
        })
    }
}

/// What the engine does about a provider error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// The resource does not exist.
    NotFound,
    /// A failure expected to clear by itself shortly, above all "not authorized" just after a
    /// role was created or changed (IAM is eventually consistent). The engine retries these for
    /// a bounded time.
    Retryable,
    /// AWS throttled the call even after the SDK's own retries. The engine retries it too.
    Throttled,
    /// A server error (5xx) or a network failure (connection refused or dropped, timeout) that
    /// outlasted the SDK's own retries. The engine retries it too: every provider call is
    /// idempotent in effect, and a create that happened unseen surfaces as
    /// [`ErrorClass::AlreadyExists`].
    Transient,
    /// A create found the resource already there: often its own earlier attempt whose answer was
    /// lost. The engine reads it and takes it over only when it carries this app's tags for this
    /// resource.
    AlreadyExists,
    /// Anything else: reported as is.
    Other,
}

/// An error from a provider: the AWS error code and message, and how the engine should treat it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{code}: {message}")]
pub struct ProviderError {
    /// How the engine treats it.
    pub class: ErrorClass,
    /// The AWS error code, such as `AccessDeniedException`.
    pub code: String,
    /// The AWS error message.
    pub message: String,
}

impl ProviderError {
    /// An error of the given class.
    #[must_use]
    pub fn new(class: ErrorClass, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            class,
            code: code.into(),
            message: message.into(),
        }
    }

    /// An error the engine reports as is.
    #[must_use]
    pub fn other(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Other, code, message)
    }

    /// Whether the engine retries it: [`ErrorClass::Retryable`], [`ErrorClass::Throttled`] and
    /// [`ErrorClass::Transient`], each within a bounded budget.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.class,
            ErrorClass::Retryable | ErrorClass::Throttled | ErrorClass::Transient
        )
    }
}

/// Reads and changes AWS resources of every kind. Implementations must be cheap to share
/// (`Send + Sync`); the engine calls them concurrently from several tasks.
///
/// Every method is idempotent in effect: the engine may call it again after a failure, and a
/// rerun of `apply` converges.
pub trait Provider: Send + Sync {
    /// Reads a resource by physical name; `Ok(None)` when it does not exist.
    ///
    /// # Errors
    /// The AWS error, classified.
    fn read<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Observed>, ProviderError>>;

    /// Creates a resource with all its properties and tags (for a bucket: encryption,
    /// versioning, public access block, lifecycle; for a role: its inline policies).
    ///
    /// # Errors
    /// The AWS error, classified.
    fn create<'a>(&'a self, resource: &'a Resource) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Brings an existing resource to `resource`, changing the given fields (tags included).
    ///
    /// # Errors
    /// The AWS error, classified.
    fn update<'a>(
        &'a self,
        resource: &'a Resource,
        fields: &'a [FieldChange],
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Deletes a resource; a resource that does not exist is success. A bucket is emptied of
    /// every object version first; a role loses its inline policies first.
    ///
    /// # Errors
    /// The AWS error, classified.
    fn delete<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Every resource tagged `pipewright:app=<app>`, with its `pipewright:id`. A plan lists
    /// before it reads, so a provider may answer the reads that follow from what listing
    /// taught it (as long as a change it makes itself invalidates that).
    ///
    /// # Errors
    /// The AWS error, classified.
    fn list_owned<'a>(&'a self, app: &'a str) -> BoxFuture<'a, Result<Vec<Owned>, ProviderError>>;

    /// Reads ahead, in as few calls as AWS allows (the kind table's
    /// [`BulkRead`](crate::model::BulkRead)), the resources a plan is about to [`read`](Self::read)
    /// one by one: a batch call for many at once, or a listing that shows which exist, so that
    /// one absent from it needs no read at all. A plan calls it after
    /// [`list_owned`](Self::list_owned), with every key it will read; the reads that follow may be
    /// answered from what it learned, each answer once (a later read of the same resource asks
    /// AWS again), and a change this provider makes to a resource forgets what it learned of it.
    ///
    /// Reading ahead is no promise: where it fails (a batch call refused, throttled for too
    /// long), the reads ask AWS themselves and report what goes wrong. The default reads nothing
    /// ahead.
    fn prefetch<'a>(&'a self, keys: &'a [(ResourceKind, String)]) -> BoxFuture<'a, ()> {
        let _ = keys;
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn owner_comes_from_both_tags() {
        let p = json!({"Tags": [{"Key": TAG_APP, "Value": "shop"}, {"Key": TAG_ID, "Value": "Bucket"}]});
        assert_eq!(
            Observed::new(p).owner,
            Some(Owner {
                app: "shop".into(),
                id: "Bucket".into()
            })
        );
        let half = json!({"Tags": [{"Key": TAG_APP, "Value": "shop"}]});
        assert_eq!(Observed::new(half).owner, None);
        assert_eq!(Observed::new(json!({})).owner, None);
    }

    #[test]
    fn errors_show_code_and_message() {
        let e = ProviderError::other(
            "BucketNotEmpty",
            "the bucket you tried to delete is not empty",
        );
        assert_eq!(
            e.to_string(),
            "BucketNotEmpty: the bucket you tried to delete is not empty"
        );
        assert!(!e.is_retryable());
        assert_eq!(group_address("shop", "production"), "shop/production");
    }
}
