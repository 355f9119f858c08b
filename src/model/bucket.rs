//! S3 artifact buckets.

use super::app::{Node, Resource, Tags, private::Sealed};
use super::{BucketName, BuildError, Built, KmsKeyArn, Problems};

/// How an artifact bucket encrypts objects at rest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Encryption {
    /// SSE-S3 (AES256), the default.
    #[default]
    S3Managed,
    /// SSE-KMS with the given customer managed key; the pipeline also encrypts artifacts with it.
    Kms(KmsKeyArn),
}

/// Server access logging of a bucket into another, existing bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    /// The bucket that receives the logs (must already exist and accept log delivery).
    pub bucket: BucketName,
    /// The key prefix for the log objects.
    pub prefix: String,
}

/// An S3 bucket holding pipeline artifacts.
///
/// Safe by default: encrypted, all public access blocked, a TLS-only bucket policy, versioned,
/// noncurrent versions expire after 30 days, incomplete uploads are aborted after 7 days.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArtifactBucket {
    /// The bucket name (changing it replaces the bucket).
    pub name: BucketName,
    /// Encryption at rest.
    pub encryption: Encryption,
    /// Whether versioning is enabled.
    pub versioned: bool,
    /// Days after which noncurrent object versions expire (requires versioning).
    pub noncurrent_expiration_days: Option<u32>,
    /// Days after which current objects expire.
    pub expiration_days: Option<u32>,
    /// Days after which incomplete multipart uploads are aborted.
    pub abort_incomplete_upload_days: Option<u32>,
    /// Keep the bucket when the app is destroyed.
    pub retain_on_destroy: bool,
    /// Server access logging, off unless given.
    pub access_log: Option<AccessLog>,
    /// User tags.
    pub tags: Tags,
}

impl ArtifactBucket {
    /// Starts a builder.
    pub fn builder() -> ArtifactBucketBuilder {
        ArtifactBucketBuilder {
            versioned: true,
            noncurrent_expiration_days: Some(30),
            abort_incomplete_upload_days: Some(7),
            ..ArtifactBucketBuilder::default()
        }
    }
}

impl Sealed for ArtifactBucket {}
impl Resource for ArtifactBucket {
    fn into_node(self) -> Node {
        Node::Bucket(self)
    }
}

/// Builds an [`ArtifactBucket`].
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct ArtifactBucketBuilder {
    name: Option<String>,
    kms_key: Option<String>,
    versioned: bool,
    noncurrent_expiration_days: Option<u32>,
    expiration_days: Option<u32>,
    abort_incomplete_upload_days: Option<u32>,
    retain_on_destroy: bool,
    access_log: Option<(String, String)>,
    tags: Vec<(String, String)>,
}

impl ArtifactBucketBuilder {
    /// The bucket name (required).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Encrypts with SSE-KMS under this key instead of SSE-S3.
    pub fn kms_key(mut self, arn: impl Into<String>) -> Self {
        self.kms_key = Some(arn.into());
        self
    }

    /// Turns versioning on or off (on by default). Off also drops the noncurrent-version rule.
    pub fn versioned(mut self, on: bool) -> Self {
        self.versioned = on;
        if !on {
            self.noncurrent_expiration_days = None;
        }
        self
    }

    /// Days after which noncurrent versions expire (30 by default).
    pub fn noncurrent_expiration_days(mut self, days: u32) -> Self {
        self.noncurrent_expiration_days = Some(days);
        self
    }

    /// Days after which current objects (old artifacts) expire; never by default.
    pub fn expiration_days(mut self, days: u32) -> Self {
        self.expiration_days = Some(days);
        self
    }

    /// Days after which incomplete multipart uploads are aborted (7 by default).
    pub fn abort_incomplete_upload_days(mut self, days: u32) -> Self {
        self.abort_incomplete_upload_days = Some(days);
        self
    }

    /// Keeps the bucket (and its objects) when the app is destroyed.
    pub fn retain_on_destroy(mut self, retain: bool) -> Self {
        self.retain_on_destroy = retain;
        self
    }

    /// Sends server access logs to an existing bucket under `prefix`.
    pub fn access_log(mut self, bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        self.access_log = Some((bucket.into(), prefix.into()));
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Builds the bucket.
    ///
    /// # Errors
    /// Every missing or invalid field.
    pub fn build(self) -> Result<ArtifactBucket, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<ArtifactBucket> {
        let mut p = Problems::default();
        let raw_name = self.name.clone();
        let name = p.name("name", self.name, BucketName::new);
        let encryption = match self.kms_key {
            Some(k) => p.parse("kms_key", k, KmsKeyArn::new).map(Encryption::Kms),
            None => Some(Encryption::S3Managed),
        };
        let access_log = match self.access_log {
            Some((b, prefix)) => p
                .parse("access_log.bucket", b, BucketName::new)
                .map(|bucket| Some(AccessLog { bucket, prefix })),
            None => Some(None),
        };
        let tags = p.tags(self.tags);
        let value = match (name, encryption, access_log) {
            (Some(name), Some(encryption), Some(access_log)) => Some(ArtifactBucket {
                name,
                encryption,
                versioned: self.versioned,
                noncurrent_expiration_days: self.noncurrent_expiration_days,
                expiration_days: self.expiration_days,
                abort_incomplete_upload_days: self.abort_incomplete_upload_days,
                retain_on_destroy: self.retain_on_destroy,
                access_log,
                tags,
            }),
            _ => None,
        };
        p.finish("bucket", raw_name.as_deref(), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_safe() {
        let b = ArtifactBucket::builder()
            .name("shop-artifacts")
            .build()
            .unwrap();
        assert_eq!(b.encryption, Encryption::S3Managed);
        assert!(b.versioned);
        assert_eq!(b.noncurrent_expiration_days, Some(30));
        assert!(!b.retain_on_destroy);
    }

    #[test]
    fn bad_name_names_the_rule() {
        let err = ArtifactBucket::builder().name("Shop").build().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("bucket \"Shop\": name \"Shop\": 3 to 63 characters")
        );
    }
}
