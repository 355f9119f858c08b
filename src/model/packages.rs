//! AWS CodeArtifact domains and repositories: where a build reads the packages it depends on
//! and publishes the packages it makes.

use super::app::{HandleOf, Node, NodeRef, Resource, Tags, private::Sealed};
use super::{ArtifactDomainName, ArtifactRepositoryName, BuildError, Built, KmsKeyArn, Problems};

/// An AWS CodeArtifact domain (`AWS::CodeArtifact::Domain`): the repositories of an
/// organization, sharing one store of package assets and one encryption key.
///
/// A domain cannot be deleted while it holds repositories (`DeleteDomain`: "You cannot delete a
/// domain that contains repositories"): destroying the app deletes its repositories first.
///
/// ```
/// use pipewright::model::{App, ArtifactDomain};
/// let mut app = App::new("shop")?;
/// let domain = app.add(ArtifactDomain::builder().name("shop"));
/// assert_eq!(domain.id().as_str(), "PackageDomainShop");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArtifactDomain {
    /// The domain name; a new name is a new domain.
    pub name: ArtifactDomainName,
    /// The KMS key that encrypts the domain's assets, named by its key ARN; AWS's managed key
    /// (`aws/codeartifact`) when `None`. Fixed when the domain is created.
    pub encryption_key: Option<KmsKeyArn>,
    /// User tags.
    pub tags: Tags,
}

impl ArtifactDomain {
    /// Starts a builder.
    pub fn builder() -> ArtifactDomainBuilder {
        ArtifactDomainBuilder::default()
    }
}

impl Sealed for ArtifactDomain {}
impl Resource for ArtifactDomain {
    fn into_node(self) -> Node {
        Node::ArtifactDomain(self)
    }
}

/// Builds an [`ArtifactDomain`].
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct ArtifactDomainBuilder {
    name: Option<String>,
    encryption_key: Option<String>,
    tags: Vec<(String, String)>,
}

impl ArtifactDomainBuilder {
    /// The domain name (required): see [`ArtifactDomainName::RULE`].
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Encrypts the domain's assets with a customer managed KMS key, named by its key ARN
    /// (`arn:aws:kms:<region>:<account>:key/<id>`). CodeArtifact answers with the key ARN
    /// whatever the request named it by, so an alias is refused (it would read as a change
    /// forever). The key cannot change once the domain exists: changing it replaces the domain.
    pub fn encryption_key(mut self, arn: impl Into<String>) -> Self {
        self.encryption_key = Some(arn.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Builds the domain.
    ///
    /// # Errors
    /// Every missing or invalid field.
    pub fn build(self) -> Result<ArtifactDomain, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<ArtifactDomain> {
        let mut p = Problems::default();
        let raw_name = self.name.clone();
        let name = p.name("name", self.name, ArtifactDomainName::new);
        let encryption_key = self
            .encryption_key
            .and_then(|k| p.parse("encryption_key", k, KmsKeyArn::new))
            .filter(|k| {
                let alias = k
                    .as_ref()
                    .split(':')
                    .nth(5)
                    .is_some_and(|r| r.starts_with("alias/"));
                if alias {
                    p.invalid(
                        "encryption_key",
                        k.as_ref(),
                        "a domain's key is named by its key ARN (arn:<partition>:kms:<region>:\
                         <account>:key/<id>), not an alias: CodeArtifact returns the key ARN, \
                         which an alias cannot be compared with",
                    );
                }
                !alias
            });
        let tags = p.tags(self.tags);
        let value = name.map(|name| ArtifactDomain {
            name,
            encryption_key,
            tags,
        });
        p.finish("artifact_domain", raw_name.as_deref(), value)
    }
}

/// A public repository a CodeArtifact repository can fetch packages from (an external
/// connection), by the name AWS gives it (CodeArtifact API Reference,
/// `AssociateExternalConnection`: `externalConnection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ExternalConnection {
    /// `public:npmjs`: the npm public registry.
    Npmjs,
    /// `public:nuget-org`: the NuGet Gallery.
    NugetOrg,
    /// `public:pypi`: the Python Package Index.
    Pypi,
    /// `public:maven-central`: Maven Central.
    MavenCentral,
    /// `public:maven-googleandroid`: the Google Android repository.
    MavenGoogleAndroid,
    /// `public:maven-gradleplugins`: the Gradle plugins repository.
    MavenGradlePlugins,
    /// `public:maven-commonsware`: the CommonsWare Android repository.
    MavenCommonsware,
    /// `public:maven-clojars`: the Clojars repository.
    MavenClojars,
    /// `public:ruby-gems-org`: RubyGems.org.
    RubyGemsOrg,
    /// `public:crates-io`: Crates.io.
    CratesIo,
}

impl ExternalConnection {
    /// Every external connection AWS names.
    pub const ALL: [Self; 10] = [
        Self::Npmjs,
        Self::NugetOrg,
        Self::Pypi,
        Self::MavenCentral,
        Self::MavenGoogleAndroid,
        Self::MavenGradlePlugins,
        Self::MavenCommonsware,
        Self::MavenClojars,
        Self::RubyGemsOrg,
        Self::CratesIo,
    ];

    /// AWS's name, such as `public:npmjs`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Npmjs => "public:npmjs",
            Self::NugetOrg => "public:nuget-org",
            Self::Pypi => "public:pypi",
            Self::MavenCentral => "public:maven-central",
            Self::MavenGoogleAndroid => "public:maven-googleandroid",
            Self::MavenGradlePlugins => "public:maven-gradleplugins",
            Self::MavenCommonsware => "public:maven-commonsware",
            Self::MavenClojars => "public:maven-clojars",
            Self::RubyGemsOrg => "public:ruby-gems-org",
            Self::CratesIo => "public:crates-io",
        }
    }

    /// The package format of the packages it serves (`npm`, `pypi`, `maven`, ...), as
    /// `RepositoryExternalConnectionInfo.packageFormat` names it.
    #[must_use]
    pub const fn package_format(self) -> &'static str {
        match self {
            Self::Npmjs => "npm",
            Self::NugetOrg => "nuget",
            Self::Pypi => "pypi",
            Self::MavenCentral
            | Self::MavenGoogleAndroid
            | Self::MavenGradlePlugins
            | Self::MavenCommonsware
            | Self::MavenClojars => "maven",
            Self::RubyGemsOrg => "ruby",
            Self::CratesIo => "cargo",
        }
    }

    /// The connection AWS names `name`, if any.
    ///
    /// ```
    /// use pipewright::model::ExternalConnection;
    /// assert_eq!(ExternalConnection::from_name("public:pypi"), Some(ExternalConnection::Pypi));
    /// assert_eq!(ExternalConnection::from_name("public:cpan"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for ExternalConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AWS CodeArtifact repository (`AWS::CodeArtifact::Repository`) of a domain of the app.
///
/// Its upstreams are other repositories of the same domain, searched in the order given when a
/// package is not in this one; an external connection lets it fetch from a public repository.
/// AWS allows one external connection per repository, and a repository with upstreams or an
/// external connection (`AssociateExternalConnection`: "A repository can have one or more
/// upstream repositories, or an external connection"): the usual shape is a repository the
/// builds use, whose upstream holds the connection.
///
/// ```
/// use pipewright::model::{App, ArtifactDomain, ArtifactRepository, ExternalConnection};
/// let mut app = App::new("shop")?;
/// let domain = app.add(ArtifactDomain::builder().name("shop"));
/// let pypi = app.add(
///     ArtifactRepository::builder()
///         .domain(&domain)
///         .name("pypi-store")
///         .external_connection(ExternalConnection::Pypi),
/// );
/// let libs = app.add(ArtifactRepository::builder().domain(&domain).name("libs").upstream(&pypi));
/// assert_eq!(libs.id().as_str(), "PackageRepoShopLibs");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArtifactRepository {
    /// The domain it belongs to.
    pub domain: NodeRef,
    /// The domain's name (copied for naming and ARNs).
    pub domain_name: String,
    /// The repository name; a new name (or domain) is a new repository.
    pub name: ArtifactRepositoryName,
    /// A description, at most 1000 characters.
    pub description: Option<String>,
    /// The upstream repositories, in the order CodeArtifact searches them.
    pub upstreams: Vec<NodeRef>,
    /// The public repository it fetches from, if any.
    pub external_connection: Option<ExternalConnection>,
    /// User tags.
    pub tags: Tags,
}

impl ArtifactRepository {
    /// Starts a builder.
    pub fn builder() -> ArtifactRepositoryBuilder {
        ArtifactRepositoryBuilder::default()
    }

    /// The physical name pipewright reads it by: `<domain>/<repository>`.
    #[must_use]
    pub fn physical_name(&self) -> String {
        format!("{}/{}", self.domain_name, self.name)
    }
}

impl Sealed for ArtifactRepository {}
impl Resource for ArtifactRepository {
    fn into_node(self) -> Node {
        Node::ArtifactRepository(self)
    }
}

/// The longest repository description (`CreateRepository`: `description`, 0 to 1000).
pub const ARTIFACT_DESCRIPTION_MAX: usize = 1000;

/// Builds an [`ArtifactRepository`].
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct ArtifactRepositoryBuilder {
    domain: Option<NodeRef>,
    name: Option<String>,
    description: Option<String>,
    upstreams: Vec<NodeRef>,
    external: Vec<ExternalConnection>,
    tags: Vec<(String, String)>,
}

impl ArtifactRepositoryBuilder {
    /// The domain (required).
    pub fn domain(mut self, domain: impl HandleOf<ArtifactDomain>) -> Self {
        self.domain = Some(domain.node_ref().clone());
        self
    }

    /// The repository name (required): see [`ArtifactRepositoryName::RULE`].
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds an upstream repository (of the same domain), searched after those added before it.
    pub fn upstream(mut self, repository: impl HandleOf<ArtifactRepository>) -> Self {
        self.upstreams.push(repository.node_ref().clone());
        self
    }

    /// Connects the repository to a public repository. AWS takes one per repository: a second
    /// call is reported by `build`.
    pub fn external_connection(mut self, connection: ExternalConnection) -> Self {
        self.external.push(connection);
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
    pub fn build(self) -> Result<ArtifactRepository, BuildError> {
        self.built().into_result()
    }

    /// What `build` makes, kept even when partial, and what was wrong.
    pub(crate) fn built(self) -> Built<ArtifactRepository> {
        let mut p = Problems::default();
        let raw_name = self.name.clone();
        if self.domain.is_none() {
            p.missing("domain");
        }
        let name = p.name("name", self.name, ArtifactRepositoryName::new);
        if self.external.len() > 1 {
            let names: Vec<&str> = self.external.iter().map(|c| c.as_str()).collect();
            p.invalid(
                "external_connection",
                &names.join(", "),
                "one external connection per repository (AssociateExternalConnection: \"One \
                 external connection is allowed per repository\")",
            );
        }
        let tags = p.tags(self.tags);
        let value = match (self.domain, name) {
            (Some(domain), Some(name)) => Some(ArtifactRepository {
                domain_name: domain.name.clone(),
                domain,
                name,
                description: self.description,
                upstreams: self.upstreams,
                external_connection: self.external.first().copied(),
                tags,
            }),
            _ => None,
        };
        p.finish("artifact_repository", raw_name.as_deref(), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_external_connection_round_trips_its_aws_name() {
        for c in ExternalConnection::ALL {
            assert_eq!(ExternalConnection::from_name(c.as_str()), Some(c));
            assert!(c.as_str().starts_with("public:"), "{c}");
        }
        assert_eq!(ExternalConnection::CratesIo.package_format(), "cargo");
    }

    #[test]
    fn a_domain_key_alias_is_refused() {
        let err = ArtifactDomain::builder()
            .name("shop")
            .encryption_key("arn:aws:kms:eu-west-1:123456789012:alias/packages")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("not an alias"), "{err}");
    }

    #[test]
    fn a_repository_needs_a_domain_and_takes_one_external_connection() {
        let err = ArtifactRepository::builder()
            .name("libs")
            .external_connection(ExternalConnection::Npmjs)
            .external_connection(ExternalConnection::Pypi)
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "artifact_repository \"libs\": domain: is required; external_connection \
             \"public:npmjs, public:pypi\": one external connection per repository \
             (AssociateExternalConnection: \"One external connection is allowed per \
             repository\")"
        );
    }
}
