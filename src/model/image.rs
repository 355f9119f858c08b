//! Amazon ECR repositories: where a build pushes the images it makes and a deployment pulls them.

use serde_json::{Value, json};

use super::app::{Node, Resource, Tags, private::Sealed};
use super::{BuildError, Built, ImageRepositoryName, KmsKeyArn, Problems};

/// An Amazon ECR private repository (`AWS::ECR::Repository`).
///
/// Secure by default: tags are immutable (a pushed tag always names the same image), every push
/// is scanned, and images are encrypted at rest (AES-256 unless a KMS key is given). Destroying
/// the app deletes the repository with its images (`DeleteRepository` with `force`, as
/// CloudFormation's `EmptyOnDelete: true`).
///
/// ```
/// use pipewright::model::{App, ImageRepository};
/// let mut app = App::new("shop")?;
/// let web = app.add(
///     ImageRepository::builder()
///         .name("shop/web")
///         .keep_last_images(20)
///         .expire_untagged_after_days(7),
/// );
/// assert_eq!(web.id().as_str(), "EcrShopWeb");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageRepository {
    /// The repository name; a new name is a new repository.
    pub name: ImageRepositoryName,
    /// Whether a tag, once pushed, may be moved to another image.
    pub tag_mutability: TagMutability,
    /// Whether each pushed image is scanned for vulnerabilities.
    pub scan_on_push: bool,
    /// How images are encrypted at rest; fixed when the repository is created.
    pub encryption: ImageEncryption,
    /// The lifecycle policy's rules.
    pub lifecycle: Lifecycle,
    /// The repository policy (a JSON policy document), if any.
    pub policy: Option<Value>,
    /// User tags.
    pub tags: Tags,
}

/// Whether image tags can be overwritten (ECR's `imageTagMutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TagMutability {
    /// A tag names one image for good (`IMMUTABLE`, the default here).
    #[default]
    Immutable,
    /// A push may move a tag to a new image (`MUTABLE`, ECR's own default).
    Mutable,
}

impl TagMutability {
    /// ECR's value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Immutable => "IMMUTABLE",
            Self::Mutable => "MUTABLE",
        }
    }
}

/// How a repository's images are encrypted at rest (ECR's `encryptionConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ImageEncryption {
    /// Amazon S3-managed keys (`AES256`, the default).
    #[default]
    Aes256,
    /// A KMS key (`KMS`), named by its key ARN.
    Kms(KmsKeyArn),
}

/// A repository's lifecycle policy, from typed rules; no rule means no policy.
///
/// Rendered as ECR's lifecycle policy JSON (Amazon ECR User Guide, "Lifecycle policy
/// properties"): expiring untagged images is rule 1, keeping the last images rule 2, since a
/// rule selecting `any` tag status must have the highest priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// Keep only this many images (of any tag status), expiring the oldest beyond it.
    pub keep_last: Option<u32>,
    /// Expire untagged images this many days after they were pushed.
    pub expire_untagged_after_days: Option<u32>,
}

impl Lifecycle {
    /// Whether the policy has no rule.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keep_last.is_none() && self.expire_untagged_after_days.is_none()
    }

    /// The lifecycle policy document ECR takes (`lifecyclePolicyText`), `None` without rules.
    ///
    /// ```
    /// use pipewright::model::Lifecycle;
    /// let l = Lifecycle { keep_last: Some(10), expire_untagged_after_days: None };
    /// assert_eq!(
    ///     l.render().unwrap(),
    ///     r#"{"rules":[{"action":{"type":"expire"},"description":"Keep the last 10 images","rulePriority":1,"selection":{"countNumber":10,"countType":"imageCountMoreThan","tagStatus":"any"}}]}"#
    /// );
    /// ```
    #[must_use]
    pub fn render(&self) -> Option<String> {
        let mut rules = Vec::new();
        if let Some(days) = self.expire_untagged_after_days {
            rules.push(json!({
                "rulePriority": rules.len() + 1,
                "description": format!("Expire untagged images after {days} days"),
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": days,
                },
                "action": {"type": "expire"},
            }));
        }
        if let Some(n) = self.keep_last {
            rules.push(json!({
                "rulePriority": rules.len() + 1,
                "description": format!("Keep the last {n} images"),
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": n,
                },
                "action": {"type": "expire"},
            }));
        }
        (!rules.is_empty()).then(|| json!({ "rules": rules }).to_string())
    }
}

impl ImageRepository {
    /// Starts a builder.
    pub fn builder() -> ImageRepositoryBuilder {
        ImageRepositoryBuilder::default()
    }
}

impl Sealed for ImageRepository {}
impl Resource for ImageRepository {
    fn into_node(self) -> Node {
        Node::ImageRepository(self)
    }
}

/// The longest repository policy ECR takes (`SetRepositoryPolicy`: `policyText`, 0 to 10240
/// characters).
pub const REPOSITORY_POLICY_MAX: usize = 10240;

/// The largest `countNumber` of a lifecycle rule (a positive integer, ECR's `Integer`).
const COUNT_MAX: u32 = i32::MAX as u32;

/// Builds an [`ImageRepository`].
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct ImageRepositoryBuilder {
    name: Option<String>,
    tag_mutability: TagMutability,
    scan_on_push: Option<bool>,
    kms_key: Option<String>,
    lifecycle: Lifecycle,
    policy: Option<String>,
    tags: Vec<(String, String)>,
}

impl ImageRepositoryBuilder {
    /// The repository name (required): see [`ImageRepositoryName::RULE`].
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Lets a push move an existing tag to a new image (`MUTABLE`); tags are immutable unless
    /// this is called.
    pub fn mutable_tags(mut self) -> Self {
        self.tag_mutability = TagMutability::Mutable;
        self
    }

    /// Sets whether each pushed image is scanned (on unless turned off).
    pub fn scan_on_push(mut self, on: bool) -> Self {
        self.scan_on_push = Some(on);
        self
    }

    /// Encrypts images with a customer managed KMS key, named by its key ARN
    /// (`arn:aws:kms:<region>:<account>:key/<id>`). The encryption cannot change once the
    /// repository exists: changing it replaces the repository.
    pub fn kms_key(mut self, arn: impl Into<String>) -> Self {
        self.kms_key = Some(arn.into());
        self
    }

    /// Keeps only the last `n` images (1 or more), expiring older ones.
    pub fn keep_last_images(mut self, n: u32) -> Self {
        self.lifecycle.keep_last = Some(n);
        self
    }

    /// Expires untagged images `days` (1 or more) after they were pushed.
    pub fn expire_untagged_after_days(mut self, days: u32) -> Self {
        self.lifecycle.expire_untagged_after_days = Some(days);
        self
    }

    /// The repository policy: a JSON policy document with a `Statement` list (who else may
    /// pull or push). Checked when built: JSON, an object with statements, at most
    /// [`REPOSITORY_POLICY_MAX`] characters.
    pub fn policy(mut self, document: impl Into<String>) -> Self {
        self.policy = Some(document.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Builds the repository.
    ///
    /// # Errors
    /// Every missing or invalid field.
    pub fn build(self) -> Result<ImageRepository, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<ImageRepository> {
        let mut p = Problems::default();
        let raw_name = self.name.clone();
        let name = p.name("name", self.name, ImageRepositoryName::new);
        let encryption = match self.kms_key {
            None => Some(ImageEncryption::Aes256),
            Some(k) => p
                .parse("kms_key", k, KmsKeyArn::new)
                .filter(|k| {
                    // DescribeRepositories answers with the key's ARN whatever the request named
                    // it by, so an alias would read as drift forever.
                    let alias = k
                        .as_ref()
                        .split(':')
                        .nth(5)
                        .is_some_and(|r| r.starts_with("alias/"));
                    if alias {
                        p.invalid(
                            "kms_key",
                            k.as_ref(),
                            "an image repository's key is named by its key ARN (arn:<partition>:kms:\
                             <region>:<account>:key/<id>), not an alias: ECR returns the key ARN",
                        );
                    }
                    !alias
                })
                .map(ImageEncryption::Kms),
        }
        .unwrap_or_default();
        let mut lifecycle = self.lifecycle;
        for (field, n) in [
            ("lifecycle.keep_last_images", &mut lifecycle.keep_last),
            (
                "lifecycle.expire_untagged_after_days",
                &mut lifecycle.expire_untagged_after_days,
            ),
        ] {
            if let Some(v) = *n
                && !(1..=COUNT_MAX).contains(&v)
            {
                p.invalid(
                    field,
                    &v.to_string(),
                    "a lifecycle rule's count is a positive integer (ECR: countNumber)",
                );
                *n = None;
            }
        }
        let policy = self.policy.and_then(|text| match policy_document(&text) {
            Ok(v) => Some(v),
            Err(rule) => {
                p.invalid("policy", &text, rule);
                None
            }
        });
        let tags = p.tags(self.tags);
        let value = name.map(|name| ImageRepository {
            name,
            tag_mutability: self.tag_mutability,
            scan_on_push: self.scan_on_push.unwrap_or(true),
            encryption,
            lifecycle,
            policy,
            tags,
        });
        p.finish("image repository", raw_name.as_deref(), value)
    }
}

/// The policy document of `text`, or the rule it breaks.
fn policy_document(text: &str) -> Result<Value, &'static str> {
    const RULE: &str = "a repository policy is a JSON object with a non-empty \"Statement\" list, \
                        at most 10240 characters (ECR: SetRepositoryPolicy)";
    if text.chars().count() > REPOSITORY_POLICY_MAX {
        return Err(RULE);
    }
    let v: Value = serde_json::from_str(text).map_err(|_| RULE)?;
    match v.get("Statement") {
        Some(Value::Array(s)) if !s.is_empty() && s.iter().all(Value::is_object) => Ok(v),
        Some(Value::Object(_)) => Ok(v),
        _ => Err(RULE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_immutable_scanned_aes256_without_policy() {
        let r = ImageRepository::builder().name("shop/web").build().unwrap();
        assert_eq!(r.tag_mutability, TagMutability::Immutable);
        assert!(r.scan_on_push);
        assert_eq!(r.encryption, ImageEncryption::Aes256);
        assert!(r.lifecycle.is_empty());
        assert_eq!(r.lifecycle.render(), None);
        assert_eq!(r.policy, None);
    }

    #[test]
    fn lifecycle_puts_the_any_rule_last() {
        let l = Lifecycle {
            keep_last: Some(5),
            expire_untagged_after_days: Some(3),
        };
        let v: Value = serde_json::from_str(&l.render().unwrap()).unwrap();
        let rules = v["rules"].as_array().unwrap();
        assert_eq!(rules[0]["rulePriority"], 1);
        assert_eq!(rules[0]["selection"]["tagStatus"], "untagged");
        assert_eq!(rules[0]["selection"]["countUnit"], "days");
        assert_eq!(rules[1]["rulePriority"], 2);
        assert_eq!(rules[1]["selection"]["tagStatus"], "any");
        assert_eq!(rules[1]["selection"]["countNumber"], 5);
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let err = ImageRepository::builder()
            .name("Shop")
            .kms_key("nope")
            .keep_last_images(0)
            .policy("{\"Version\":\"2012-10-17\"}")
            .build()
            .unwrap_err();
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "kms_key", "lifecycle.keep_last_images", "policy"]
        );
    }
}
