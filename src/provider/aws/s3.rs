//! S3 artifact buckets with their encryption, public access block, ownership controls,
//! versioning, lifecycle, access logging and tags (`AWS::S3::Bucket`), and their TLS-only
//! policy (`AWS::S3::BucketPolicy`).
//!
//! S3 is eventually consistent about buckets and their configuration: calls right after
//! `CreateBucket` can answer `NoSuchBucket`, and a read right after a write of a bucket's
//! configuration (lifecycle, encryption, versioning, public access block, policy, tags ...) can
//! still answer the old state ("Bucket configurations have an eventual consistency model ... if
//! you delete a bucket and immediately list all buckets, the deleted bucket might still appear",
//! the Amazon S3 User Guide, "Amazon S3 data consistency model"; "when you enable versioning on
//! a bucket for the first time, it might take a short amount of time for the change to be fully
//! propagated", the S3 API Reference, PutBucketVersioning). Terraform's AWS provider meets
//! both: it retries a call on a new bucket while it answers `NoSuchBucket` (`bucketCreatedTimeout`,
//! `retryWhenBucketNotFound` in `internal/service/s3`), and after a write it waits until
//! consecutive reads agree with what was written (`waitLifecycleRulesEquals`, its read's
//! "has not stabilized; retrying" until two reads agree; hashicorp/terraform-provider-aws#41764,
//! #41363). So does this module, each wait bounded ([`SETTLE`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use super::dispatch::kind_api;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketLoggingStatus, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, LoggingEnabled,
    NoncurrentVersionExpiration, ObjectIdentifier, ObjectOwnership, OwnershipControls,
    OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, VersioningConfiguration,
};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::common::{
    TagPairs, absent, all_pages, build_error, classify, gone, int_at, json_document, sdk_error,
    tag_delta, tags_of, tags_value, touched,
};
use crate::model::ResourceKind;
use crate::provider::api::{ErrorClass, FieldChange, Observed, ProviderError, Resource};

/// The most pages of object versions emptied from one bucket (1000 versions a page).
const MAX_PAGES: usize = 100_000;

/// How long, and how often, to wait for S3 to show a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settle {
    /// How long after `CreateBucket` a bucket counts as new, so that `NoSuchBucket` on it is
    /// taken for S3 catching up rather than for the bucket's absence (Terraform's
    /// `bucketCreatedTimeout`: two minutes).
    pub(crate) new_for: Duration,
    /// The most time one call on a new bucket is tried again while it answers `NoSuchBucket`
    /// (Terraform's `propagationTimeout`: one minute).
    pub(crate) retry_for: Duration,
    /// The most time spent after one write waiting for two consecutive reads to agree with it
    /// (Terraform's `lifecycleConfigurationRulesSteadyTimeout`: two minutes).
    pub(crate) agree_within: Duration,
    /// The first delay between two reads (or attempts), doubled after each.
    pub(crate) first_delay: Duration,
    /// The longest delay between two reads (Terraform's extra delay of 5 s between reads of a
    /// lifecycle configuration).
    pub(crate) max_delay: Duration,
}

/// The waits of every bucket call.
pub(crate) const SETTLE: Settle = Settle {
    new_for: Duration::from_secs(120),
    retry_for: Duration::from_secs(60),
    agree_within: Duration::from_secs(120),
    first_delay: Duration::from_millis(100),
    max_delay: Duration::from_secs(5),
};

/// When this process created each bucket it created lately. Bucket names are global across
/// AWS accounts and regions, so the name alone says which bucket; entries older than
/// [`Settle::new_for`] are dropped as new ones come.
static CREATED: LazyLock<Mutex<HashMap<String, Instant>>> = LazyLock::new(Mutex::default);

fn created() -> std::sync::MutexGuard<'static, HashMap<String, Instant>> {
    // Plain data: a panic elsewhere cannot leave it inconsistent.
    CREATED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Notes that this process has just created `bucket`.
fn note_created(bucket: &str) {
    let mut map = created();
    map.retain(|_, at| at.elapsed() < SETTLE.new_for);
    map.insert(bucket.to_owned(), Instant::now());
}

/// Whether this process created `bucket` within [`Settle::new_for`].
fn is_new(bucket: &str) -> bool {
    created()
        .get(bucket)
        .is_some_and(|at| at.elapsed() < SETTLE.new_for)
}

/// Whether an error is S3 saying the bucket itself does not exist.
fn no_bucket(e: &ProviderError) -> bool {
    e.code == "NoSuchBucket"
}

/// Delays doubling from [`Settle::first_delay`] up to [`Settle::max_delay`], within a budget.
struct Backoff {
    start: Instant,
    budget: Duration,
    delay: Duration,
}

impl Backoff {
    fn new(budget: Duration) -> Self {
        Self {
            start: Instant::now(),
            budget,
            delay: SETTLE.first_delay,
        }
    }

    /// Sleeps the next delay and returns true, or returns false when it would pass the budget.
    async fn wait(&mut self) -> bool {
        if self.start.elapsed() + self.delay > self.budget {
            return false;
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(SETTLE.max_delay);
        true
    }
}

/// Runs a call on `bucket`, again while it answers `NoSuchBucket` on a bucket this process has
/// just created (bounded by [`Settle::retry_for`]); on any other bucket, `NoSuchBucket` is the
/// answer. A `NoSuchBucket` that outlasts the bound is retryable: the engine may try the whole
/// step again.
async fn on_bucket<T, F, Fut>(bucket: &str, mut call: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut backoff = Backoff::new(SETTLE.retry_for);
    loop {
        match call().await {
            Err(e) if no_bucket(&e) && is_new(bucket) => {
                if !backoff.wait().await {
                    return Err(ProviderError::new(
                        ErrorClass::Retryable,
                        e.code,
                        format!(
                            "bucket \"{bucket}\" was created {} s ago and still answers: {}",
                            SETTLE.retry_for.as_secs(),
                            e.message
                        ),
                    ));
                }
            }
            other => return other,
        }
    }
}

/// Waits until two consecutive reads of one part of `bucket`'s configuration (`what`) agree
/// with what was written (`wanted`, in the form `read` gives), bounded by
/// [`Settle::agree_within`]. A read answering `NoSuchBucket` on a bucket this process has just
/// created does not agree; on another bucket it is the answer. Returns how many reads it took.
async fn settle<F, Fut>(
    bucket: &str,
    what: &str,
    wanted: &Option<Value>,
    mut read: F,
) -> Result<u32, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Value>, ProviderError>>,
{
    let mut backoff = Backoff::new(SETTLE.agree_within);
    let (mut reads, mut agreeing) = (0, 0);
    loop {
        reads += 1;
        match read().await {
            Ok(seen) if seen == *wanted => agreeing += 1,
            Ok(_) => agreeing = 0,
            Err(e) if no_bucket(&e) && is_new(bucket) => agreeing = 0,
            Err(e) => return Err(e),
        }
        if agreeing >= 2 {
            return Ok(reads);
        }
        if !backoff.wait().await {
            return Err(ProviderError::new(
                ErrorClass::Transient,
                "NotYetConsistent",
                format!(
                    "bucket \"{bucket}\": its {what} was written, but reads did not show it \
                     twice in a row within {} s",
                    SETTLE.agree_within.as_secs()
                ),
            ));
        }
    }
}

/// A part of the configuration that is not set: `None`; a bucket that does not exist: the
/// error (so that a wait can tell one from the other).
fn part<T>(e: ProviderError) -> Result<Option<T>, ProviderError> {
    if no_bucket(&e) { Err(e) } else { absent(e) }
}

fn encryption_value(rules: &[ServerSideEncryptionRule]) -> Option<Value> {
    if rules.is_empty() {
        return None;
    }
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut by_default = Map::new();
            if let Some(d) = r.apply_server_side_encryption_by_default() {
                by_default.insert("SSEAlgorithm".into(), json!(d.sse_algorithm().as_str()));
                if let Some(k) = d.kms_master_key_id() {
                    by_default.insert("KMSMasterKeyID".into(), json!(k));
                }
            }
            json!({
                "ServerSideEncryptionByDefault": by_default,
                "BucketKeyEnabled": r.bucket_key_enabled().unwrap_or(false),
            })
        })
        .collect();
    Some(json!({"ServerSideEncryptionConfiguration": rules}))
}

async fn read_encryption(s3: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    match s3.get_bucket_encryption().bucket(name).send().await {
        Ok(out) => Ok(out
            .server_side_encryption_configuration()
            .and_then(|c| encryption_value(c.rules()))),
        Err(e) => part(sdk_error(e)),
    }
}

fn public_access_value(c: &PublicAccessBlockConfiguration) -> Value {
    json!({
        "BlockPublicAcls": c.block_public_acls().unwrap_or(false),
        "BlockPublicPolicy": c.block_public_policy().unwrap_or(false),
        "IgnorePublicAcls": c.ignore_public_acls().unwrap_or(false),
        "RestrictPublicBuckets": c.restrict_public_buckets().unwrap_or(false),
    })
}

async fn read_public_access(s3: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    match s3.get_public_access_block().bucket(name).send().await {
        Ok(out) => Ok(out
            .public_access_block_configuration()
            .map(public_access_value)),
        Err(e) => part(sdk_error(e)),
    }
}

fn ownership_value(c: &OwnershipControls) -> Value {
    let rules: Vec<Value> = c
        .rules()
        .iter()
        .map(|r| json!({"ObjectOwnership": r.object_ownership().as_str()}))
        .collect();
    json!({"Rules": rules})
}

async fn read_ownership(s3: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    match s3.get_bucket_ownership_controls().bucket(name).send().await {
        Ok(out) => Ok(out.ownership_controls().map(ownership_value)),
        Err(e) => part(sdk_error(e)),
    }
}

/// The versioning status as S3 reports it (`None` for a bucket never versioned).
async fn read_versioning(s3: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    let out = s3
        .get_bucket_versioning()
        .bucket(name)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out.status().map(|s| json!(s.as_str())))
}

fn lifecycle_value(rules: &[LifecycleRule]) -> Option<Value> {
    if rules.is_empty() {
        return None;
    }
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut m = Map::new();
            if let Some(id) = r.id() {
                m.insert("Id".into(), json!(id));
            }
            m.insert("Status".into(), json!(r.status().as_str()));
            if let Some(days) = r.expiration().and_then(LifecycleExpiration::days) {
                m.insert("ExpirationInDays".into(), json!(days));
            }
            if let Some(days) = r
                .noncurrent_version_expiration()
                .and_then(NoncurrentVersionExpiration::noncurrent_days)
            {
                m.insert(
                    "NoncurrentVersionExpiration".into(),
                    json!({"NoncurrentDays": days}),
                );
            }
            if let Some(days) = r
                .abort_incomplete_multipart_upload()
                .and_then(AbortIncompleteMultipartUpload::days_after_initiation)
            {
                m.insert(
                    "AbortIncompleteMultipartUpload".into(),
                    json!({"DaysAfterInitiation": days}),
                );
            }
            Value::Object(m)
        })
        .collect();
    Some(json!({"Rules": rules}))
}

async fn read_lifecycle(s3: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    match s3
        .get_bucket_lifecycle_configuration()
        .bucket(name)
        .send()
        .await
    {
        Ok(out) => Ok(lifecycle_value(out.rules())),
        Err(e) => part(sdk_error(e)),
    }
}

fn logging_value(l: Option<&LoggingEnabled>) -> Option<Value> {
    l.map(
        |l| json!({"DestinationBucketName": l.target_bucket(), "LogFilePrefix": l.target_prefix()}),
    )
}

async fn read_logging(s3: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    let out = s3
        .get_bucket_logging()
        .bucket(name)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(logging_value(out.logging_enabled()))
}

async fn read_tags(s3: &Client, name: &str) -> Result<Option<Value>, ProviderError> {
    match s3.get_bucket_tagging().bucket(name).send().await {
        Ok(out) => Ok(Some(tags_value(
            out.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        ))),
        Err(e) => {
            // NoSuchTagSet: a bucket without tags.
            part::<()>(sdk_error(e))?;
            Ok(Some(tags_value(TagPairs::new())))
        }
    }
}

/// Reads a bucket and its configuration (its tags too, unless `known_tags` has them); `None`
/// when it does not exist.
pub(crate) async fn read(
    s3: &Client,
    name: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    // Versioning doubles as the existence check: NoSuchBucket means there is none. AccessDenied
    // means the bucket exists and these credentials may not read it: bucket names are global
    // across accounts, and a bucket is private to the account that owns it (HeadBucket API
    // reference, "403 Forbidden"). That is a conflict naming the bucket, not the end of the plan.
    let versioning = match read_versioning(s3, name).await {
        Ok(v) => v,
        Err(e) if e.code == "AccessDenied" => {
            return Ok(Some(Observed::foreign(
                json!({"BucketName": name}),
                "exists, but these credentials may not read it: bucket names are global \
                 across AWS accounts, so another account may own it (choose another name), \
                 or this principal lacks s3:GetBucketVersioning on it",
            )));
        }
        Err(e) => return absent(e),
    };
    match read_parts(s3, name, versioning, known_tags).await {
        // Deleted while it was being read: it is gone.
        Err(e) if no_bucket(&e) => Ok(None),
        other => other.map(|p| Some(Observed::new(Value::Object(p)))),
    }
}

async fn read_parts(
    s3: &Client,
    name: &str,
    versioning: Option<Value>,
    known_tags: Option<TagPairs>,
) -> Result<Map<String, Value>, ProviderError> {
    let mut p = Map::new();
    p.insert("BucketName".into(), json!(name));
    let mut put = |key: &str, v: Option<Value>| {
        if let Some(v) = v {
            p.insert(key.into(), v);
        }
    };
    put("BucketEncryption", read_encryption(s3, name).await?);
    put(
        "PublicAccessBlockConfiguration",
        read_public_access(s3, name).await?,
    );
    put("OwnershipControls", read_ownership(s3, name).await?);
    // Once on, versioning can only be suspended: the model's "off" reads as suspended.
    put(
        "VersioningConfiguration",
        (versioning == Some(json!("Enabled"))).then(|| json!({"Status": "Enabled"})),
    );
    put("LifecycleConfiguration", read_lifecycle(s3, name).await?);
    put("LoggingConfiguration", read_logging(s3, name).await?);
    let tags = match known_tags {
        Some(tags) => tags_value(tags),
        None => read_tags(s3, name).await?.unwrap_or_else(|| json!([])),
    };
    p.insert("Tags".into(), tags);
    Ok(p)
}

fn encryption(p: &Value) -> Result<Option<ServerSideEncryptionConfiguration>, ProviderError> {
    let Some(rules) = p
        .pointer("/BucketEncryption/ServerSideEncryptionConfiguration")
        .and_then(Value::as_array)
    else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for r in rules {
        let d = &r["ServerSideEncryptionByDefault"];
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(
                d["SSEAlgorithm"].as_str().unwrap_or("AES256"),
            ))
            .set_kms_master_key_id(d["KMSMasterKeyID"].as_str().map(str::to_owned))
            .build()
            .map_err(build_error)?;
        out.push(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(by_default)
                .set_bucket_key_enabled(r["BucketKeyEnabled"].as_bool())
                .build(),
        );
    }
    ServerSideEncryptionConfiguration::builder()
        .set_rules(Some(out))
        .build()
        .map(Some)
        .map_err(build_error)
}

fn lifecycle(p: &Value) -> Result<Option<BucketLifecycleConfiguration>, ProviderError> {
    let Some(rules) = p
        .pointer("/LifecycleConfiguration/Rules")
        .and_then(Value::as_array)
    else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for r in rules {
        let mut b = LifecycleRule::builder()
            .set_id(r["Id"].as_str().map(str::to_owned))
            .status(ExpirationStatus::from(
                r["Status"].as_str().unwrap_or("Enabled"),
            ))
            // Every rule applies to the whole bucket.
            .filter(LifecycleRuleFilter::builder().prefix("").build());
        if let Some(days) = int_at(r, "/ExpirationInDays") {
            b = b.expiration(LifecycleExpiration::builder().days(days).build());
        }
        if let Some(days) = int_at(r, "/NoncurrentVersionExpiration/NoncurrentDays") {
            b = b.noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(days)
                    .build(),
            );
        }
        if let Some(days) = int_at(r, "/AbortIncompleteMultipartUpload/DaysAfterInitiation") {
            b = b.abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(days)
                    .build(),
            );
        }
        out.push(b.build().map_err(build_error)?);
    }
    BucketLifecycleConfiguration::builder()
        .set_rules(Some(out))
        .build()
        .map(Some)
        .map_err(build_error)
}

fn public_access(p: &Value) -> PublicAccessBlockConfiguration {
    let c = &p["PublicAccessBlockConfiguration"];
    let flag = |k: &str| c[k].as_bool().unwrap_or(true);
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(flag("BlockPublicAcls"))
        .block_public_policy(flag("BlockPublicPolicy"))
        .ignore_public_acls(flag("IgnorePublicAcls"))
        .restrict_public_buckets(flag("RestrictPublicBuckets"))
        .build()
}

fn ownership(p: &Value) -> Result<Option<OwnershipControls>, ProviderError> {
    let Some(o) = p
        .pointer("/OwnershipControls/Rules/0/ObjectOwnership")
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ObjectOwnership::from(o))
        .build()
        .map_err(build_error)?;
    OwnershipControls::builder()
        .rules(rule)
        .build()
        .map(Some)
        .map_err(build_error)
}

/// The parts of a new bucket's configuration that S3 gives every new bucket, and that may
/// already be as `r` wants them: default encryption with SSE-S3 ("Amazon S3 now applies
/// server-side encryption with Amazon S3 managed keys (SSE-S3) as the base level of encryption
/// for every bucket", since January 2023), Block Public Access on and ACLs off, i.e. object
/// ownership `BucketOwnerEnforced` ("all newly created buckets ... have S3 Block Public Access
/// enabled and ACLs disabled", since April 2023; the Amazon S3 User Guide, "Default encryption"
/// and "Controlling ownership of objects"), and the tags `CreateBucket` was given. Each is read
/// once (side by side) and left out of the writes when it already shows what is wanted: a
/// bucket this process has just created has no older state a read could show instead, and on
/// any other bucket a read that shows exactly what is wanted leaves nothing to write. Returns
/// the properties found as wanted.
async fn shown_already(s3: &Client, r: &Resource) -> Result<Vec<&'static str>, ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    let wanted_encryption = encryption(p)?.and_then(|c| encryption_value(c.rules()));
    let wanted_access = p
        .get("PublicAccessBlockConfiguration")
        .map(|_| public_access_value(&public_access(p)));
    let wanted_ownership = ownership(p)?.map(|c| ownership_value(&c));
    let wanted_tags = Some(tags_value(tags_of(p)));
    let shows = |wanted: Option<Value>, seen: Result<Option<Value>, ProviderError>| {
        seen.map(|seen| wanted.is_some() && seen == wanted)
    };
    let (encryption, access, owner, tags) = tokio::join!(
        on_bucket(name, || read_encryption(s3, name)),
        on_bucket(name, || read_public_access(s3, name)),
        on_bucket(name, || read_ownership(s3, name)),
        on_bucket(name, || read_tags(s3, name)),
    );
    let found = [
        ("BucketEncryption", shows(wanted_encryption, encryption)?),
        (
            "PublicAccessBlockConfiguration",
            shows(wanted_access, access)?,
        ),
        ("OwnershipControls", shows(wanted_ownership, owner)?),
        ("Tags", shows(wanted_tags, tags)?),
    ];
    Ok(found
        .into_iter()
        .filter_map(|(part, shown)| shown.then_some(part))
        .collect())
}

fn tagging(pairs: &[(String, String)]) -> Result<Tagging, ProviderError> {
    let tags = pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
        .collect::<Result<Vec<_>, _>>()?;
    Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(build_error)
}

/// Writes one part of `bucket`'s configuration (`what`), tried again while a new bucket still
/// answers `NoSuchBucket`, then waits until two reads in a row show `wanted`.
async fn put_settled<T, E, W, WF, R, RF>(
    bucket: &str,
    what: &str,
    wanted: Option<Value>,
    mut write: W,
    read: R,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    W: FnMut() -> WF,
    WF: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    R: FnMut() -> RF,
    RF: Future<Output = Result<Option<Value>, ProviderError>>,
{
    on_bucket(bucket, || {
        let sent = write();
        async move { sent.await.map(drop).map_err(sdk_error) }
    })
    .await?;
    settle(bucket, what, &wanted, read).await.map(drop)
}

/// Puts every part of the configuration that `touched` selects, each followed by a wait until
/// S3 shows it.
async fn configure(
    s3: &Client,
    r: &Resource,
    touched: impl Fn(&str) -> bool,
) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    if touched("BucketEncryption")
        && let Some(c) = encryption(p)?
    {
        let wanted = encryption_value(c.rules());
        let put = || {
            s3.put_bucket_encryption()
                .bucket(name)
                .server_side_encryption_configuration(c.clone())
                .send()
        };
        put_settled(name, "encryption", wanted, put, || {
            read_encryption(s3, name)
        })
        .await?;
    }
    if touched("PublicAccessBlockConfiguration") {
        let c = public_access(p);
        let wanted = Some(public_access_value(&c));
        let put = || {
            s3.put_public_access_block()
                .bucket(name)
                .public_access_block_configuration(c.clone())
                .send()
        };
        let read = || read_public_access(s3, name);
        put_settled(name, "public access block", wanted, put, read).await?;
    }
    if touched("OwnershipControls")
        && let Some(c) = ownership(p)?
    {
        let wanted = Some(ownership_value(&c));
        let put = || {
            s3.put_bucket_ownership_controls()
                .bucket(name)
                .ownership_controls(c.clone())
                .send()
        };
        let read = || read_ownership(s3, name);
        put_settled(name, "ownership controls", wanted, put, read).await?;
    }
    if touched("VersioningConfiguration") {
        let enabled = p.pointer("/VersioningConfiguration/Status") == Some(&json!("Enabled"));
        let status = if enabled {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        let wanted = Some(json!(status.as_str()));
        let c = VersioningConfiguration::builder().status(status).build();
        let put = || {
            s3.put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(c.clone())
                .send()
        };
        put_settled(name, "versioning", wanted, put, || {
            read_versioning(s3, name)
        })
        .await?;
    }
    if touched("LifecycleConfiguration") {
        let what = "lifecycle configuration";
        let read = || read_lifecycle(s3, name);
        match lifecycle(p)? {
            Some(c) => {
                let wanted = lifecycle_value(c.rules());
                let put = || {
                    s3.put_bucket_lifecycle_configuration()
                        .bucket(name)
                        .lifecycle_configuration(c.clone())
                        .send()
                };
                put_settled(name, what, wanted, put, read).await?;
            }
            None => {
                let delete = || s3.delete_bucket_lifecycle().bucket(name).send();
                put_settled(name, what, None, delete, read).await?;
            }
        }
    }
    if touched("LoggingConfiguration") {
        let enabled = match p.get("LoggingConfiguration") {
            Some(l) => Some(
                LoggingEnabled::builder()
                    .target_bucket(l["DestinationBucketName"].as_str().unwrap_or_default())
                    .target_prefix(l["LogFilePrefix"].as_str().unwrap_or_default())
                    .build()
                    .map_err(build_error)?,
            ),
            None => None,
        };
        let wanted = logging_value(enabled.as_ref());
        let c = BucketLoggingStatus::builder()
            .set_logging_enabled(enabled)
            .build();
        let put = || {
            s3.put_bucket_logging()
                .bucket(name)
                .bucket_logging_status(c.clone())
                .send()
        };
        put_settled(name, "access logging", wanted, put, || {
            read_logging(s3, name)
        })
        .await?;
    }
    Ok(())
}

/// Puts the whole tag set (S3 replaces it at once), then waits until S3 shows it.
async fn put_tags(s3: &Client, r: &Resource) -> Result<(), ProviderError> {
    let name = r.physical_name.as_str();
    let pairs = tags_of(&r.properties);
    let tags = tagging(&pairs)?;
    let wanted = Some(tags_value(pairs));
    let put = || {
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(tags.clone())
            .send()
    };
    put_settled(name, "tags", wanted, put, || read_tags(s3, name)).await
}

/// Creates a bucket in the client's region, then puts its whole configuration and tags.
pub(crate) async fn create(s3: &Client, region: &str, r: &Resource) -> Result<(), ProviderError> {
    // The tags go with the create itself, so that a bucket never exists without the tags that
    // make it the app's, even when the process dies right after (the tag set is put again
    // below for endpoints that ignore tags at creation).
    let tags = tagging(&tags_of(&r.properties))?;
    let configuration = CreateBucketConfiguration::builder()
        .set_tags(Some(tags.tag_set().to_vec()))
        // us-east-1 is the one region that refuses an explicit location constraint.
        .set_location_constraint(
            (region != "us-east-1").then(|| BucketLocationConstraint::from(region)),
        )
        .build();
    let created = s3
        .create_bucket()
        .bucket(&r.physical_name)
        .create_bucket_configuration(configuration)
        .send()
        .await
        .map_err(sdk_error);
    match &created {
        // Ours already (most often this run's own earlier attempt, whose answer was lost): as
        // new as one just created.
        Ok(_) => note_created(&r.physical_name),
        Err(e) if e.code == "BucketAlreadyOwnedByYou" => note_created(&r.physical_name),
        Err(_) => {}
    }
    created?;
    let shown = shown_already(s3, r).await?;
    if !shown.contains(&"Tags") {
        put_tags(s3, r).await?;
    }
    let wanted = |k: &str| r.properties.get(k).is_some() && !shown.contains(&k);
    configure(s3, r, wanted).await
}

/// Puts the parts of the configuration that changed, and the tags.
pub(crate) async fn update(
    s3: &Client,
    r: &Resource,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    configure(s3, r, |k| touched(fields, k)).await?;
    if tag_delta(fields).is_some() {
        put_tags(s3, r).await?;
    }
    Ok(())
}

/// Empties a bucket of every object version and delete marker, then deletes it; gone already
/// is success.
pub(crate) async fn delete(s3: &Client, name: &str) -> Result<(), ProviderError> {
    let emptied = all_pages(
        "a bucket's object versions",
        MAX_PAGES,
        |markers| async move {
            let (key_marker, version_marker) = markers.unwrap_or((None, None));
            let page = match on_bucket(name, || async {
                s3.list_object_versions()
                    .bucket(name)
                    .set_key_marker(key_marker.clone())
                    .set_version_id_marker(version_marker.clone())
                    .send()
                    .await
                    .map_err(sdk_error)
            })
            .await
            {
                Ok(p) => p,
                // Gone already: nothing to empty, and the delete below says so.
                Err(e) => return gone(e).map(|()| (Vec::<()>::new(), None)),
            };
            let versions = page
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    page.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                );
            let ids = versions
                .filter_map(|(k, v)| {
                    ObjectIdentifier::builder()
                        .set_key(k.map(str::to_owned))
                        .set_version_id(v.map(str::to_owned))
                        .build()
                        .ok()
                })
                .collect::<Vec<_>>();
            if !ids.is_empty() {
                let out = s3
                    .delete_objects()
                    .bucket(name)
                    .delete(
                        Delete::builder()
                            .set_objects(Some(ids))
                            .quiet(true)
                            .build()
                            .map_err(build_error)?,
                    )
                    .send()
                    .await
                    .map_err(sdk_error)?;
                not_deleted(name, out.errors())?;
            }
            let next = (page.is_truncated() == Some(true)).then(|| {
                (
                    page.next_key_marker().map(str::to_owned),
                    page.next_version_id_marker().map(str::to_owned),
                )
            });
            Ok((Vec::new(), next))
        },
    )
    .await;
    emptied?;
    let deleted = on_bucket(name, || async {
        s3.delete_bucket()
            .bucket(name)
            .send()
            .await
            .map_err(sdk_error)
    })
    .await;
    if let Err(e) = deleted {
        return gone(e);
    }
    // Gone only once reads say so twice in a row (Terraform waits the same way after deleting
    // a bucket, `tfresource.RetryUntilNotFound`): a plan or destroy right after must not find
    // it again.
    settle(name, "deletion", &None, || async {
        match read_versioning(s3, name).await {
            Ok(_) => Ok(Some(json!("exists"))),
            Err(e) if no_bucket(&e) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await?;
    created().remove(name);
    Ok(())
}

/// The keys `DeleteObjects` answered 200 for but did not delete: it reports each in `Errors`
/// (in quiet mode only those; "the response includes ... an Error element for each key it
/// could not delete", the S3 API Reference, DeleteObjects). The first one fails the emptying,
/// classified by its code (a `SlowDown` or `InternalError` is tried again), with how many more
/// failed, rather than the bucket's delete failing later with `BucketNotEmpty`.
fn not_deleted(bucket: &str, errors: &[aws_sdk_s3::types::Error]) -> Result<(), ProviderError> {
    let Some(first) = errors.first() else {
        return Ok(());
    };
    let code = first.code().unwrap_or("DeleteObjectsFailed");
    let message = first.message().unwrap_or_default();
    let more = match errors.len() - 1 {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    Err(ProviderError::new(
        classify(code, message),
        code,
        format!(
            "emptying bucket \"{bucket}\": object \"{}\" (version {}) was not deleted: {message}{more}",
            first.key().unwrap_or_default(),
            first.version_id().unwrap_or("none"),
        ),
    ))
}

/// A bucket's policy document; `None` when the policy does not exist, the error when the
/// bucket does not.
async fn read_policy_document(s3: &Client, bucket: &str) -> Result<Option<Value>, ProviderError> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => out.policy().map(json_document).transpose(),
        Err(e) => part(sdk_error(e)),
    }
}

/// Reads a bucket's policy; `None` when the bucket or its policy does not exist.
pub(crate) async fn read_policy(
    s3: &Client,
    bucket: &str,
) -> Result<Option<Observed>, ProviderError> {
    let doc = match read_policy_document(s3, bucket).await {
        Ok(doc) => doc,
        Err(e) => return absent(e),
    };
    Ok(doc.map(|doc| {
        Observed::new(json!({
            "Bucket": bucket,
            "PolicyDocument": doc,
        }))
    }))
}

/// Puts a bucket's policy (create and update alike), then waits until S3 shows it.
pub(crate) async fn put_policy(s3: &Client, r: &Resource) -> Result<(), ProviderError> {
    let bucket = r.physical_name.as_str();
    let wanted = r.properties.get("PolicyDocument").cloned();
    let doc = wanted.as_ref().map(Value::to_string).unwrap_or_default();
    let put = || {
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(doc.clone())
            .send()
    };
    put_settled(bucket, "policy", wanted.clone(), put, || {
        read_policy_document(s3, bucket)
    })
    .await
}

/// Deletes a bucket's policy, then waits until S3 shows it gone; a missing bucket or policy is
/// success.
pub(crate) async fn delete_policy(s3: &Client, bucket: &str) -> Result<(), ProviderError> {
    let deleted = on_bucket(bucket, || async {
        s3.delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)
    })
    .await;
    if let Err(e) = deleted {
        return gone(e);
    }
    settle(bucket, "policy's deletion", &None, || async {
        match read_policy_document(s3, bucket).await {
            Err(e) if no_bucket(&e) => Ok(None),
            other => other,
        }
    })
    .await?;
    Ok(())
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::Bucket`.
    Buckets {
        read(p, name) {
            let tags = p.listed(ResourceKind::Bucket, name);
            Box::pin(read(&p.clients.s3, name, tags))
        }
        create(p, r) {
            Box::pin(create(&p.clients.s3, p.region(), r))
        }
        update(p, r, fields) {
            Box::pin(update(&p.clients.s3, r, fields))
        }
        delete(p, name) {
            Box::pin(delete(&p.clients.s3, name))
        }
    }
);

kind_api!(
    /// The [`KindApi`] of `ResourceKind::BucketPolicy`.
    BucketPolicies {
        read(p, name) {
            Box::pin(read_policy(&p.clients.s3, name))
        }
        create(p, r) {
            Box::pin(put_policy(&p.clients.s3, r))
        }
        update(p, r, fields) {
            let _ = fields; // a policy is put whole
            Box::pin(put_policy(&p.clients.s3, r))
        }
        delete(p, name) {
            Box::pin(delete_policy(&p.clients.s3, name))
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn no_such_bucket() -> ProviderError {
        ProviderError::new(ErrorClass::NotFound, "NoSuchBucket", "gone")
    }

    type Answer = Result<Option<Value>, ProviderError>;
    type Reads = std::sync::Arc<std::sync::atomic::AtomicUsize>;

    /// A reader answering `answers` in turn, then the last one for ever; counts its reads.
    fn scripted(answers: Vec<Answer>) -> (Reads, impl FnMut() -> std::future::Ready<Answer>) {
        let reads = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&reads);
        let read = move || {
            let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::future::ready(answers[i.min(answers.len() - 1)].clone())
        };
        (reads, read)
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_is_done_once_two_reads_in_a_row_show_it() {
        // Bug: a read right after PutBucketLifecycleConfiguration could still answer the old
        // rules, and the plan after apply showed the change again.
        let (old, new) = (Some(json!({"Rules": []})), Some(json!({"Rules": [1]})));
        let (_, read) = scripted(vec![Ok(old.clone()), Ok(old.clone()), Ok(new.clone())]);
        assert_eq!(settle("b", "lifecycle", &new, read).await, Ok(4));
        // One fresh read between stale ones does not count: two in a row do.
        let (_, read) = scripted(vec![
            Ok(new.clone()),
            Ok(old.clone()),
            Ok(new.clone()),
            Ok(new.clone()),
        ]);
        assert_eq!(settle("b", "lifecycle", &new, read).await, Ok(4));
        // A deletion waits for absence the same way.
        let (_, read) = scripted(vec![Ok(old.clone()), Ok(None)]);
        assert_eq!(settle("b", "lifecycle", &None, read).await, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_a_write_to_show_is_bounded() {
        let started = Instant::now();
        let (reads, read) = scripted(vec![Ok(None)]);
        let err = settle("b", "policy", &Some(json!({})), read)
            .await
            .unwrap_err();
        assert_eq!(err.code, "NotYetConsistent");
        assert!(err.message.contains("\"b\": its policy"), "{err}");
        assert!(
            started.elapsed() <= SETTLE.agree_within,
            "{:?}",
            started.elapsed()
        );
        assert!(started.elapsed() >= SETTLE.agree_within - SETTLE.max_delay);
        let reads = reads.load(std::sync::atomic::Ordering::Relaxed);
        assert!((20..=40).contains(&reads), "{reads} reads");
    }

    #[tokio::test(start_paused = true)]
    async fn no_such_bucket_is_waited_out_only_on_a_bucket_just_created() {
        // Bug: a call right after CreateBucket answered NoSuchBucket and failed the create.
        let wanted = Some(json!("Enabled"));
        let (reads, read) = scripted(vec![Err(no_such_bucket())]);
        assert_eq!(
            settle("evc-not-created", "versioning", &wanted, read).await,
            Err(no_such_bucket())
        );
        assert_eq!(reads.load(std::sync::atomic::Ordering::Relaxed), 1);

        note_created("evc-created");
        let (_, read) = scripted(vec![
            Err(no_such_bucket()),
            Err(no_such_bucket()),
            Ok(wanted.clone()),
        ]);
        assert_eq!(
            settle("evc-created", "versioning", &wanted, read).await,
            Ok(4)
        );

        let mut calls = 0;
        let put = on_bucket("evc-created", || {
            calls += 1;
            std::future::ready(if calls < 3 {
                Err(no_such_bucket())
            } else {
                Ok(())
            })
        })
        .await;
        assert_eq!((put, calls), (Ok(()), 3));
        let mut calls = 0;
        let put: Result<(), _> = on_bucket("evc-not-created", || {
            calls += 1;
            std::future::ready(Err(no_such_bucket()))
        })
        .await;
        assert_eq!((put, calls), (Err(no_such_bucket()), 1));

        // Still NoSuchBucket when the bound is spent: retryable, saying how long it waited.
        let started = Instant::now();
        let put: Result<(), _> =
            on_bucket("evc-created", || std::future::ready(Err(no_such_bucket()))).await;
        let err = put.unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert!(started.elapsed() <= SETTLE.retry_for);
        // And a bucket created long ago is not new any more.
        tokio::time::advance(SETTLE.new_for).await;
        assert!(!is_new("evc-created"));
    }

    #[test]
    fn keys_delete_objects_could_not_delete_fail_the_emptying() {
        // Bug: the answer's `Errors` were ignored; the bucket's delete then failed with
        // BucketNotEmpty, naming nothing that was left.
        assert!(not_deleted("b", &[]).is_ok());
        let failed = |code: &str, key: &str| {
            aws_sdk_s3::types::Error::builder()
                .code(code)
                .key(key)
                .version_id("v1")
                .message("denied")
                .build()
        };
        let err = not_deleted(
            "shop-artifacts",
            &[
                failed("AccessDenied", "a.zip"),
                failed("AccessDenied", "b.zip"),
            ],
        )
        .unwrap_err();
        assert_eq!(err.code, "AccessDenied");
        assert_eq!(err.class, crate::provider::api::ErrorClass::Other);
        assert!(
            err.message.contains("\"shop-artifacts\"")
                && err.message.contains("\"a.zip\" (version v1)")
                && err.message.contains("(and 1 more)"),
            "{err}"
        );
        let slow = not_deleted("b", &[failed("SlowDown", "a.zip")]).unwrap_err();
        assert!(slow.is_retryable(), "{slow}");
    }

    #[test]
    fn desired_configuration_maps_to_sdk_types() {
        let p = json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:eu-west-1:1:key/k"},
                "BucketKeyEnabled": true,
            }]},
            "LifecycleConfiguration": {"Rules": [
                {"Id": "ExpireNoncurrentVersions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
                {"Id": "AbortIncompleteUploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
            ]},
        });
        let e = encryption(&p).unwrap().unwrap();
        let rule = &e.rules()[0];
        assert_eq!(rule.bucket_key_enabled(), Some(true));
        let d = rule.apply_server_side_encryption_by_default().unwrap();
        assert_eq!(d.sse_algorithm(), &ServerSideEncryption::AwsKms);
        let l = lifecycle(&p).unwrap().unwrap();
        assert_eq!(l.rules().len(), 2);
        assert_eq!(
            l.rules()[0]
                .noncurrent_version_expiration()
                .and_then(NoncurrentVersionExpiration::noncurrent_days),
            Some(30)
        );
        assert!(lifecycle(&json!({})).unwrap().is_none());
    }
}
