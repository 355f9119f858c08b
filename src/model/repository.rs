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

    /// Encrypts the repository with a customer managed KMS key, named by its key ARN
    /// (`arn:aws:kms:<region>:<account>:key/<id>`, in the repository's region). An alias ARN is
    /// refused: CodeCommit returns the key id, which an alias cannot be compared with.
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
        // CodeCommit answers with the key's id whatever the request named it by: a key ARN
        // compares with that id, an alias could only through KMS, so it would read as drift
        // forever.
        let kms_key = kms_key.filter(|k| {
            let alias = k
                .as_ref()
                .split(':')
                .nth(5)
                .is_some_and(|r| r.starts_with("alias/"));
            if alias {
                p.invalid(
                    "kms_key",
                    k.as_ref(),
                    "a repository's key is named by its key ARN (arn:<partition>:kms:<region>:\
                     <account>:key/<id>), not an alias: CodeCommit returns the key id, which an \
                     alias cannot be compared with",
                );
            }
            !alias
        });
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

    #[test]
    fn a_key_alias_is_refused_a_key_arn_taken() {
        let alias = "arn:aws:kms:eu-west-1:123456789012:alias/repos";
        let err = Repository::builder()
            .name("r")
            .kms_key(alias)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("not an alias"), "{err}");
        let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let r = Repository::builder()
            .name("r")
            .kms_key(key)
            .build()
            .unwrap();
        assert_eq!(r.kms_key.map(|k| k.to_string()).as_deref(), Some(key));
    }
}
