//! CodeCommit repositories.

use super::app::{Node, Resource, Tags, private::Sealed};
use super::{BuildError, Built, KmsKeyArn, Problems, RepositoryName};

/// A CodeCommit repository.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Repository {
    /// The repository name (renaming is an in-place update in AWS).
    pub name: RepositoryName,
    /// Description, at most 1000 characters.
    pub description: Option<String>,
    /// The KMS key that encrypts the repository; AWS's managed key when `None`.
    pub kms_key: Option<KmsKeyArn>,
    /// User tags.
    pub tags: Tags,
}

impl Repository {
    /// Starts a builder.
    pub fn builder() -> RepositoryBuilder {
        RepositoryBuilder::default()
    }
}

impl Sealed for Repository {}
impl Resource for Repository {
    fn into_node(self) -> Node {
        Node::Repository(self)
    }
}

/// Builds a [`Repository`].
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct RepositoryBuilder {
    name: Option<String>,
    description: Option<String>,
    kms_key: Option<String>,
    tags: Vec<(String, String)>,
}

impl RepositoryBuilder {
    /// The repository name (required).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Encrypts the repository with a customer managed KMS key.
    pub fn kms_key(mut self, arn: impl Into<String>) -> Self {
        self.kms_key = Some(arn.into());
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
    pub fn build(self) -> Result<Repository, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<Repository> {
        let mut p = Problems::default();
        let raw_name = self.name.clone();
        let name = p.name("name", self.name, RepositoryName::new);
        let kms_key = self
            .kms_key
            .and_then(|k| p.parse("kms_key", k, KmsKeyArn::new));
        let tags = p.tags(self.tags);
        let value = name.map(|name| Repository {
            name,
            description: self.description,
            kms_key,
            tags,
        });
        p.finish("repository", raw_name.as_deref(), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_invalid_fields_are_all_reported() {
        let err = Repository::builder()
            .kms_key("nope")
            .tag("aws:x", "y")
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "repository \"\": name: is required; kms_key \"nope\": a KMS key or alias ARN, \
             arn:<partition>:kms:<region>:<12-digit account>:key/<id> or :alias/<name>; \
             tags[aws:x] \"aws:x\": 1 to 128 characters, not starting with 'aws:' or 'pipewright:' (reserved)"
        );
    }

    /// Bug 4: tag values were counted in bytes; AWS counts Unicode characters.
    #[test]
    fn bug4_tag_values_count_characters() {
        let with_value = |n: usize| {
            Repository::builder()
                .name("r")
                .tag("team", "é".repeat(n))
                .build()
        };
        assert!(with_value(256).is_ok());
        let err = with_value(257).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "repository \"r\": tags[team] {:?}: a tag value has at most 256 characters",
                "é".repeat(257)
            )
        );
    }
}
