//! The app, the ownership scope of every resource, and the typed handles that reference them.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{
    Application, ArtifactBucket, ArtifactDomain, ArtifactRepository, BuildError, BuildProject,
    ImageRepository, IntoResource, NameError, Pipeline, Repository, ResourceKind,
    StoredDeploymentConfig, StoredDeploymentGroup,
    names::{AppName, TagKey},
};

/// The logical id of a resource within its app: the CloudFormation logical id and the value of
/// the `pipewright:id` tag. Derived from the resource's kind and name, alphanumeric only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogicalId(String);

impl LogicalId {
    /// Builds an id from a kind prefix and the parts of a name, dropping every character that is
    /// not alphanumeric and capitalising each word: (`Repo`, `shop-api`) gives `RepoShopApi`.
    #[must_use]
    pub fn derive(prefix: &str, parts: &[&str]) -> Self {
        let mut id =
            String::with_capacity(prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>());
        id.push_str(prefix);
        for part in parts {
            let mut upper = true;
            for c in part.chars() {
                if c.is_ascii_alphanumeric() {
                    if upper {
                        id.push(c.to_ascii_uppercase());
                    } else {
                        id.push(c);
                    }
                    upper = false;
                } else {
                    upper = true;
                }
            }
        }
        Self(id)
    }

    /// The id as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for LogicalId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// User tags of a resource. pipewright adds `pipewright:app` and `pipewright:id` itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub(crate) BTreeMap<TagKey, String>);

impl Tags {
    /// The tags in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&TagKey, &str)> {
        self.0.iter().map(|(k, v)| (k, v.as_str()))
    }

    /// How many user tags there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no user tags.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A resource as stored in an [`App`]: one variant per kind, platform types erased.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "an app holds one node per resource it was given; a project's size costs nothing there"
)]
pub enum Node {
    /// A CodeCommit repository.
    Repository(Repository),
    /// An S3 artifact bucket.
    Bucket(ArtifactBucket),
    /// A CodeBuild project.
    Project(BuildProject),
    /// A CodeDeploy application.
    Application(Application),
    /// A custom CodeDeploy deployment configuration.
    DeploymentConfig(StoredDeploymentConfig),
    /// A CodeDeploy deployment group.
    DeploymentGroup(StoredDeploymentGroup),
    /// A CodePipeline pipeline.
    Pipeline(Pipeline),
    /// An Amazon ECR repository.
    ImageRepository(ImageRepository),
    /// An AWS CodeArtifact domain.
    ArtifactDomain(ArtifactDomain),
    /// An AWS CodeArtifact repository.
    ArtifactRepository(ArtifactRepository),
}

impl Node {
    /// The kind of this resource.
    #[must_use]
    pub fn kind(&self) -> ResourceKind {
        match self {
            Self::Repository(_) => ResourceKind::Repository,
            Self::Bucket(_) => ResourceKind::Bucket,
            Self::Project(_) => ResourceKind::Project,
            Self::Application(_) => ResourceKind::Application,
            Self::DeploymentConfig(_) => ResourceKind::DeploymentConfig,
            Self::DeploymentGroup(_) => ResourceKind::DeploymentGroup,
            Self::Pipeline(_) => ResourceKind::Pipeline,
            Self::ImageRepository(_) => ResourceKind::ImageRepository,
            Self::ArtifactDomain(_) => ResourceKind::ArtifactDomain,
            Self::ArtifactRepository(_) => ResourceKind::ArtifactRepository,
        }
    }

    /// The resource's name as the user gave it (for a deployment group, `application/group`).
    #[must_use]
    pub fn display_name(&self) -> String {
        match self {
            Self::Repository(r) => r.name.to_string(),
            Self::Bucket(b) => b.name.to_string(),
            Self::Project(p) => p.name.to_string(),
            Self::Application(a) => a.name.to_string(),
            Self::DeploymentConfig(c) => c.name.to_string(),
            Self::DeploymentGroup(g) => format!("{}/{}", g.application_name, g.name),
            Self::Pipeline(p) => p.name.to_string(),
            Self::ImageRepository(r) => r.name.to_string(),
            Self::ArtifactDomain(d) => d.name.to_string(),
            Self::ArtifactRepository(r) => r.physical_name(),
        }
    }

    /// The logical id this resource gets in its app.
    #[must_use]
    pub fn logical_id(&self) -> LogicalId {
        match self {
            Self::Repository(r) => LogicalId::derive("Repo", &[r.name.as_str()]),
            Self::Bucket(b) => LogicalId::derive("Bucket", &[b.name.as_str()]),
            Self::Project(p) => LogicalId::derive("Project", &[p.name.as_str()]),
            Self::Application(a) => LogicalId::derive("DeployApp", &[a.name.as_str()]),
            Self::DeploymentConfig(c) => LogicalId::derive("DeployConfig", &[c.name.as_str()]),
            Self::DeploymentGroup(g) => LogicalId::derive(
                "DeployGroup",
                &[g.application_name.as_str(), g.name.as_str()],
            ),
            Self::Pipeline(p) => LogicalId::derive("Pipeline", &[p.name.as_str()]),
            Self::ImageRepository(r) => LogicalId::derive("Ecr", &[r.name.as_str()]),
            Self::ArtifactDomain(d) => LogicalId::derive("PackageDomain", &[d.name.as_str()]),
            Self::ArtifactRepository(r) => {
                LogicalId::derive("PackageRepo", &[r.domain_name.as_str(), r.name.as_str()])
            }
        }
    }
}

/// Something that can be added to an [`App`]. Implemented by every resource type; sealed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be added to an app",
    note = "`app.add(...)` takes a resource, its builder (`Repository::builder().name(...)`), or the `Result` of `build()`"
)]
pub trait Resource: private::Sealed {
    #[doc(hidden)]
    fn into_node(self) -> Node;
}

pub(crate) mod private {
    pub trait Sealed {}
    pub trait SealedInto {}
    pub trait SealedHandle {}
}

/// A reference to a resource in an app, with its kind erased. Models store these; users hold
/// typed [`Handle`]s.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    /// The [`App`] that added the resource: indices and logical ids repeat across apps.
    pub(crate) app: AppKey,
    pub(crate) index: usize,
    pub(crate) id: LogicalId,
    pub(crate) name: String,
}

impl NodeRef {
    /// The logical id of the referenced resource.
    #[must_use]
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    /// The referenced resource's name, as [`Node::display_name`] gives it.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A typed reference to a resource added to an [`App`], returned by [`App::add`].
///
/// Handles are how resources refer to each other: a pipeline takes `&Handle<ArtifactBucket>` for
/// its artifact store, a deployment group takes `&Handle<DeployApplication<Server>>`, and so on.
pub struct Handle<T> {
    pub(crate) node: NodeRef,
    _kind: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// The logical id of the resource (its `pipewright:id`).
    #[must_use]
    pub fn id(&self) -> &LogicalId {
        &self.node.id
    }

    /// The resource's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.node.name
    }

    /// The untyped reference.
    #[must_use]
    pub fn node(&self) -> &NodeRef {
        &self.node
    }
}

/// What the setters that refer to another resource take: the [`Handle`] that [`App::add`]
/// returned for it, by reference. A resource itself is not enough: only a resource added to the
/// app is created, tagged and given a role, so the compiler points to `app.add(...)`.
///
/// ```compile_fail
/// use pipewright::model::*;
/// let project = BuildProject::builder().name("shop-build").build().unwrap();
/// // error: `&BuildProject` is not the handle of a `BuildProject` added to the app
/// let _ = CodeBuild::new("Build", &project);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the handle of a `{T}` added to the app",
    label = "expected `&Handle<{T}>`, the handle `app.add(...)` returns",
    note = "add the resource first, `let handle = app.add(resource);`, and pass `&handle`"
)]
pub trait HandleOf<T>: private::SealedHandle {
    /// The untyped reference.
    fn node_ref(&self) -> &NodeRef;
}

impl<T> private::SealedHandle for &Handle<T> {}
impl<T> HandleOf<T> for &Handle<T> {
    fn node_ref(&self) -> &NodeRef {
        &self.node
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Self {
            node: self.node.clone(),
            _kind: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({})", self.node.id)
    }
}

impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T> Eq for Handle<T> {}

/// Which [`App`] a reference belongs to: unique per `App::new` in the process, shared by an
/// app's clones (a clone holds the same resources at the same indices, so its handles mean the
/// same things there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct AppKey(u64);

impl AppKey {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // Only uniqueness matters, not any ordering with other memory.
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// An app: the unit of ownership. Every resource it holds is tagged `pipewright:app = <name>`.
///
/// # Examples
/// ```
/// use pipewright::model::{App, Repository};
/// let mut app = App::new("shop")?;
/// let repo = app.add(Repository::builder().name("shop-api").build()?);
/// assert_eq!(repo.id().as_str(), "RepoShopApi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct App {
    key: AppKey,
    name: AppName,
    nodes: Vec<Node>,
    ids: Vec<LogicalId>,
    failures: Vec<Failure>,
}

/// A resource added with something wrong, kept for [`crate::validate`] to report.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// How many resources the app held before it: the report keeps the order of `add`.
    pub(crate) position: usize,
    /// Whether the builder still made a (partial) resource, the one at `position`.
    pub(crate) partial: bool,
    /// What was wrong.
    pub(crate) error: BuildError,
}

/// The index of the handles of resources that could not be built at all: they resolve nowhere,
/// and what refers to them is not reported again.
const UNBUILT: usize = usize::MAX;

impl App {
    /// Creates an empty app.
    ///
    /// # Errors
    /// When `name` breaks [`AppName::RULE`].
    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        Ok(Self {
            key: AppKey::next(),
            name: AppName::new(name)?,
            nodes: Vec::new(),
            ids: Vec::new(),
            failures: Vec::new(),
        })
    }

    /// The app's name.
    #[must_use]
    pub fn name(&self) -> &AppName {
        &self.name
    }

    /// Adds a resource and returns the handle other resources use to reference it.
    ///
    /// Takes a built resource, the `Result` of building one, or the builder itself. Whatever was
    /// wrong with a builder (or an `Err`) is kept, and [`crate::validate`] reports it together
    /// with every other mistake of the app, in the order of `add`; the handle still works, so the
    /// rest of the app is written (and checked) as usual. A builder that made a partial resource
    /// (say, a project with an invalid environment variable left out) adds it, so the rest of it
    /// is checked too.
    ///
    /// Duplicate names are not refused here; [`crate::validate`] reports them.
    pub fn add<I: IntoResource>(&mut self, resource: I) -> Handle<I::Resource> {
        let (value, error) = resource.into_parts();
        let Some(value) = value else {
            let error = error.unwrap_or_else(|| unreachable!("a resource or why there is none"));
            let name = error.name.clone();
            let id = LogicalId::derive(error.resource, &[&name]);
            self.failures.push(Failure {
                position: self.nodes.len(),
                partial: false,
                error,
            });
            return Handle {
                node: NodeRef {
                    app: self.key,
                    index: UNBUILT,
                    id,
                    name,
                },
                _kind: PhantomData,
            };
        };
        if let Some(error) = error {
            self.failures.push(Failure {
                position: self.nodes.len(),
                partial: true,
                error,
            });
        }
        let node = value.into_node();
        let id = node.logical_id();
        let name = node.display_name();
        let index = self.nodes.len();
        self.nodes.push(node);
        self.ids.push(id.clone());
        Handle {
            node: NodeRef {
                app: self.key,
                index,
                id,
                name,
            },
            _kind: PhantomData,
        }
    }

    /// What was wrong with the builders given to [`App::add`], in the order added.
    pub fn build_errors(&self) -> impl Iterator<Item = &BuildError> {
        self.failures.iter().map(|f| &f.error)
    }

    pub(crate) fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Whether `r` is the handle of a resource of this app that could not be built (already
    /// reported with what was wrong with it).
    #[must_use]
    pub fn is_unbuilt(&self, r: &NodeRef) -> bool {
        r.app == self.key && r.index == UNBUILT
    }

    /// Every resource, in the order added.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every resource with its logical id, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = (&LogicalId, &Node)> {
        self.ids.iter().zip(&self.nodes)
    }

    /// The resource a reference points to, if it belongs to this app. A handle returned by
    /// another app's [`App::add`] never resolves, whatever this app holds at its index.
    #[must_use]
    pub fn resolve(&self, r: &NodeRef) -> Option<&Node> {
        if r.app != self.key {
            return None;
        }
        match self.ids.get(r.index) {
            Some(id) if *id == r.id => self.nodes.get(r.index),
            _ => None,
        }
    }

    /// Whether a reference points into this app.
    #[must_use]
    pub fn owns(&self, r: &NodeRef) -> bool {
        self.resolve(r).is_some()
    }

    pub(crate) fn repository(&self, r: &NodeRef) -> Option<&Repository> {
        match self.resolve(r) {
            Some(Node::Repository(x)) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn image_repository(&self, r: &NodeRef) -> Option<&ImageRepository> {
        match self.resolve(r) {
            Some(Node::ImageRepository(x)) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn artifact_repository(&self, r: &NodeRef) -> Option<&ArtifactRepository> {
        match self.resolve(r) {
            Some(Node::ArtifactRepository(x)) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn bucket(&self, r: &NodeRef) -> Option<&ArtifactBucket> {
        match self.resolve(r) {
            Some(Node::Bucket(x)) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn project(&self, r: &NodeRef) -> Option<&BuildProject> {
        match self.resolve(r) {
            Some(Node::Project(x)) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn group(&self, r: &NodeRef) -> Option<&StoredDeploymentGroup> {
        match self.resolve(r) {
            Some(Node::DeploymentGroup(x)) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn config(&self, r: &NodeRef) -> Option<&StoredDeploymentConfig> {
        match self.resolve(r) {
            Some(Node::DeploymentConfig(x)) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn application(&self, r: &NodeRef) -> Option<&Application> {
        match self.resolve(r) {
            Some(Node::Application(x)) => Some(x),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_pascal_case_alphanumeric() {
        assert_eq!(
            LogicalId::derive("Repo", &["shop-api"]).as_str(),
            "RepoShopApi"
        );
        assert_eq!(
            LogicalId::derive("DeployGroup", &["shop", "prod.eu_1"]).as_str(),
            "DeployGroupShopProdEu1"
        );
    }

    #[test]
    fn foreign_handles_do_not_resolve() {
        let mut a = App::new("a").unwrap();
        let b = App::new("b").unwrap();
        let h = a.add(Repository::builder().name("r").build().unwrap());
        assert!(a.owns(h.node()));
        assert!(!b.owns(h.node()));
    }

    /// Bug 8: a handle from another app resolved when that app had a resource with the same
    /// logical id at the same index.
    #[test]
    fn bug8_foreign_handles_at_the_same_index_do_not_resolve() {
        let mut a = App::new("a").unwrap();
        let mut b = App::new("b").unwrap();
        let h = a.add(Repository::builder().name("r").build().unwrap());
        b.add(Repository::builder().name("r").build().unwrap());
        assert!(a.owns(h.node()));
        assert!(!b.owns(h.node()));
        assert!(b.resolve(h.node()).is_none());
    }
}
