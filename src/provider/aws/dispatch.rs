//! [`AwsProvider`]: the [`Provider`] trait on the AWS SDK, each kind handed to its service's
//! module, what an app owns found through the tagging API (and IAM for roles), and each kind
//! read in bulk ahead of a plan's reads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_resourcegroupstagging::types::TagFilter;
use tokio::task::JoinSet;

use super::Clients;
use super::common::{TagPairs, all_pages, sdk_error};
use super::{
    codeartifact, codebuild, codecommit, codedeploy, codepipeline, ecr, eventbridge, iam, logs,
    reports, s3,
};
use crate::model::{BulkRead, ResourceKind};
use crate::provider::api::{
    BoxFuture, FieldChange, Observed, Owned, Provider, ProviderError, Resource, TAG_APP, TAG_ID,
};

/// The most pages read from the tagging API's listing (up to 100 resources a page): beyond
/// that the listing fails rather than return part of what the app owns.
const MAX_PAGES: usize = 1000;

/// The AWS provider: every SDK client plus the partition and account ARNs are rendered in.
///
/// Listing what an app owns through the tagging API returns every tag of each resource it
/// lists, and listing its roles (`ListRoles` under the app's path) returns each role but its
/// tags and inline policies; reads of those resources in the same plan use them instead of a
/// call per resource. Before a plan reads one by one, [`Provider::prefetch`] reads each kind in
/// bulk as the kind table's `bulk` says (`BatchGetProjects`, `BatchGetRepositories`,
/// `BatchGetApplications`, `BatchGetDeploymentGroups`, `BatchGetReportGroups`, and listings of
/// pipelines, deployment configurations, rules and log groups), so an apply from nothing learns
/// that its resources are absent in one call per kind and a plan of many pipelines reads most
/// kinds a hundred at a time. A change to a resource through this provider forgets what was
/// read in bulk about it. (The tagging API can lag a tag
/// change made moments before, by another run or by hand: the plan then shows that tag change
/// one run late, or once more, and applying it puts the same tags again.)
#[derive(Debug, Clone)]
pub struct AwsProvider {
    pub(super) clients: Clients,
    partition: String,
    account: String,
    listed_tags: Arc<Mutex<HashMap<(ResourceKind, String), TagPairs>>>,
    records: Arc<Mutex<HashMap<(ResourceKind, String), Record>>>,
    /// What [`Provider::prefetch`] learned, each answer taken by the one read it is for.
    ahead: Arc<Mutex<AheadMap>>,
    /// The app's roles as the last listing found them (`ListRoles` under the app's path, tags
    /// from `ListRoleTags`): what a read would ask `GetRole` for.
    listed_roles: Arc<Mutex<HashMap<String, (aws_sdk_iam::types::Role, TagPairs)>>>,
    /// Creates this provider sent whose answer never came (a dropped connection, a timeout):
    /// the resource may exist, made by this very run.
    unanswered: Arc<Mutex<BTreeSet<(ResourceKind, String)>>>,
}

/// What reading ahead learned, by resource.
type AheadMap = HashMap<(ResourceKind, String), Option<Observed>>;

/// Answers of a kind's [`KindApi::read_ahead`]: a name with what AWS has under it (`None`:
/// nothing). A name left out is read on its own.
pub(super) type Ahead = Vec<(String, Option<Observed>)>;

/// The most resources of `kind` one batch call reads (the kind table's `bulk`); 1 for a kind
/// without a batch call.
pub(super) fn per_call(kind: ResourceKind) -> usize {
    match kind.info().bulk {
        BulkRead::Batch { per_call } => per_call.max(1),
        BulkRead::One | BulkRead::Listing => 1,
    }
}

/// The longest prefix every name shares (a listing's name prefix), cut back to a character
/// boundary.
pub(super) fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut len = first.len();
    for n in &names[1..] {
        len = len.min(
            first
                .bytes()
                .zip(n.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    first[..len].to_owned()
}

/// An ownership record found or written (see the kind table's `record`): where it is, whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    /// The physical name of the resource holding it (a CodeDeploy application).
    pub(super) host: String,
    /// The app it names (the host's `pipewright:app`).
    pub(super) app: String,
    /// The recorded resource's logical id.
    pub(super) id: String,
}

impl AwsProvider {
    /// A provider for the account the clients' credentials belong to (asked of STS once).
    ///
    /// # Errors
    /// When STS cannot say who the credentials belong to.
    pub async fn new(clients: Clients) -> Result<Self, ProviderError> {
        let me = clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(sdk_error)?;
        let (partition, account) = identity(me.arn(), me.account())?;
        Ok(Self {
            account,
            partition,
            clients,
            listed_tags: Arc::default(),
            records: Arc::default(),
            ahead: Arc::default(),
            listed_roles: Arc::default(),
            unanswered: Arc::default(),
        })
    }

    /// The partition, such as `aws`.
    #[must_use]
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The region the clients send to.
    #[must_use]
    pub fn region(&self) -> &str {
        self.clients.region()
    }

    /// The account id.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The ARN of the resource of `kind` named `physical_name` in this account and region (the
    /// kind table's format; empty for a kind without one, which no caller asks for).
    pub(super) fn arn(&self, kind: ResourceKind, physical_name: &str) -> String {
        kind.arn(&self.partition, self.region(), &self.account, physical_name)
            .unwrap_or_default()
    }

    fn tags(&self) -> std::sync::MutexGuard<'_, HashMap<(ResourceKind, String), TagPairs>> {
        // Plain data: a panic elsewhere cannot leave it inconsistent.
        self.listed_tags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tags the last listing found on a resource, if it listed it.
    pub(super) fn listed(&self, kind: ResourceKind, name: &str) -> Option<TagPairs> {
        self.tags().get(&(kind, name.to_owned())).cloned()
    }

    /// The ownership record of a resource of a recorded kind, as the last listing found it or
    /// this provider wrote it.
    pub(super) fn record(&self, kind: ResourceKind, name: &str) -> Option<Record> {
        self.records_map().get(&(kind, name.to_owned())).cloned()
    }

    /// Notes (or with `None` forgets) the record of a resource of a recorded kind.
    pub(super) fn set_record(&self, kind: ResourceKind, name: &str, record: Option<Record>) {
        let mut map = self.records_map();
        match record {
            Some(r) => map.insert((kind, name.to_owned()), r),
            None => map.remove(&(kind, name.to_owned())),
        };
    }

    fn records_map(&self) -> std::sync::MutexGuard<'_, HashMap<(ResourceKind, String), Record>> {
        // Plain data: a panic elsewhere cannot leave it inconsistent.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets what listing and reading ahead taught about a resource this provider is
    /// changing.
    fn forget(&self, kind: ResourceKind, name: &str) {
        let key = (kind, name.to_owned());
        self.tags().remove(&key);
        lock(&self.ahead).remove(&key);
        if kind == ResourceKind::Role {
            lock(&self.listed_roles).remove(name);
        }
    }

    /// The answer reading ahead found for a read of this resource, taken: a second read asks
    /// AWS.
    fn take_ahead(&self, kind: ResourceKind, name: &str) -> Option<Option<Observed>> {
        lock(&self.ahead).remove(&(kind, name.to_owned()))
    }

    /// Whether reading ahead found that nothing of `kind` is named `name` (without taking the
    /// answer): a child of it is then absent too.
    pub(super) fn known_absent(&self, kind: ResourceKind, name: &str) -> bool {
        matches!(lock(&self.ahead).get(&(kind, name.to_owned())), Some(None))
    }

    /// Notes that a create of this resource went unanswered (`Transient`): it may have
    /// happened.
    pub(super) fn note_unanswered(&self, kind: ResourceKind, name: &str) {
        lock(&self.unanswered).insert((kind, name.to_owned()));
    }

    /// Whether this provider sent a create of this resource that went unanswered.
    pub(super) fn was_unanswered(&self, kind: ResourceKind, name: &str) -> bool {
        lock(&self.unanswered).contains(&(kind, name.to_owned()))
    }

    /// The role as the last listing found it (with its tags), if it did.
    pub(super) fn listed_role(&self, name: &str) -> Option<(aws_sdk_iam::types::Role, TagPairs)> {
        lock(&self.listed_roles).get(name).cloned()
    }

    async fn owned_roles(&self, app: &str) -> Result<Vec<Owned>, ProviderError> {
        let roles = iam::owned_roles(&self.clients.iam, app, self.region()).await?;
        let mut owned = Vec::new();
        let mut listed = HashMap::new();
        for (id, role, tags) in roles {
            owned.push(Owned {
                kind: ResourceKind::Role,
                physical_name: role.role_name().to_owned(),
                id,
            });
            listed.insert(role.role_name().to_owned(), (role, tags));
        }
        *lock(&self.listed_roles) = listed;
        Ok(owned)
    }
}

/// The data behind `m`, even after a panic elsewhere: every map here is plain data, which a
/// panic cannot leave inconsistent.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The ownership records `host` (a resource of the app, with its tags `pairs`) holds: for each
/// kind recorded on `host`'s kind, every tag `<key_prefix><name>` = `<id>`.
fn records_on(host: &Owned, pairs: &TagPairs, app: &str) -> Vec<(ResourceKind, String, Record)> {
    ResourceKind::ALL
        .iter()
        .filter_map(|&k| Some((k, k.info().record?)))
        .filter(|(_, r)| r.host == host.kind)
        .flat_map(|(kind, r)| {
            pairs.iter().filter_map(move |(key, id)| {
                let name = key.strip_prefix(r.key_prefix).filter(|n| !n.is_empty())?;
                Some((
                    kind,
                    name.to_owned(),
                    Record {
                        host: host.physical_name.clone(),
                        app: app.to_owned(),
                        id: id.clone(),
                    },
                ))
            })
        })
        .collect()
}

/// The partition and account of the caller, from STS's answer. Every ARN the provider builds
/// (and every policy it compares) is made of them, so an answer without either is refused:
/// defaults would build malformed ARNs and compare them with AWS's.
fn identity(arn: Option<&str>, account: Option<&str>) -> Result<(String, String), ProviderError> {
    let refused = |what: &str| {
        ProviderError::other(
            "InvalidCallerIdentity",
            format!(
                "sts:GetCallerIdentity answered without {what}; cannot build the ARNs of this \
                 account (check the endpoint: is it AWS or an emulator that serves STS?)"
            ),
        )
    };
    let partition = arn
        .and_then(|a| a.strip_prefix("arn:"))
        .and_then(|a| a.split(':').next())
        .filter(|p| !p.is_empty())
        .ok_or_else(|| refused("a partition in the caller's ARN"))?;
    let account = account
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| refused("a 12-digit account id"))?;
    Ok((partition.to_owned(), account.to_owned()))
}

/// The kind and physical name of a resource pipewright manages, from its ARN (the kind table's
/// formats).
#[must_use]
pub(crate) fn owned_from_arn(arn: &str, id: String) -> Option<Owned> {
    let (kind, physical_name) = ResourceKind::from_arn(arn)?;
    Some(Owned {
        kind,
        physical_name,
        id,
    })
}

/// What a service file provides for one resource kind. Adding a kind is its entry in the kind
/// table (`model::kind`), an implementation of this trait in its service's file, and one line
/// in [`api`].
pub(super) trait KindApi: Sync {
    /// Reads the resource; `Ok(None)` when it does not exist.
    fn read<'a>(
        &'a self,
        p: &'a AwsProvider,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Observed>, ProviderError>>;

    /// Creates the resource with all its properties and tags.
    fn create<'a>(
        &'a self,
        p: &'a AwsProvider,
        r: &'a Resource,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Changes the given fields of an existing resource.
    fn update<'a>(
        &'a self,
        p: &'a AwsProvider,
        r: &'a Resource,
        fields: &'a [FieldChange],
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Deletes the resource; one that does not exist is success.
    fn delete<'a>(
        &'a self,
        p: &'a AwsProvider,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Reads many resources at once as the kind table's `bulk` says; answers only for the names
    /// it is sure of (a name left out is read on its own). The default answers none.
    fn read_ahead<'a>(
        &'a self,
        p: &'a AwsProvider,
        names: &'a [String],
    ) -> BoxFuture<'a, Result<Ahead, ProviderError>> {
        let _ = (p, names);
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Implements [`KindApi`] for a unit struct from four bodies, each giving the method's boxed
/// future, so a service file writes what each call does and not the signatures:
///
/// ```text
/// kind_api!(
///     /// The [`KindApi`] of `ResourceKind::Project`.
///     Projects {
///         read(p, name) { Box::pin(read(&p.clients.codebuild, name)) }
///         create(p, r) { Box::pin(create(&p.clients.codebuild, r)) }
///         update(p, r, fields) { Box::pin(update(&p.clients.codebuild, r, fields)) }
///         delete(p, name) { Box::pin(delete(&p.clients.codebuild, name)) }
///     }
/// );
/// ```
macro_rules! kind_api {
    (
        $(#[$meta:meta])*
        $ty:ident {
            read($rp:ident, $rn:ident) $read:block
            create($cp:ident, $cr:ident) $create:block
            update($up:ident, $ur:ident, $uf:ident) $update:block
            delete($dp:ident, $dn:ident) $delete:block
            $(read_ahead($ap:ident, $an:ident) $ahead:block)?
        }
    ) => {
        $(#[$meta])*
        pub(super) struct $ty;

        impl $crate::provider::aws::dispatch::KindApi for $ty {
            fn read<'a>(
                &'a self,
                $rp: &'a $crate::provider::aws::AwsProvider,
                $rn: &'a str,
            ) -> $crate::provider::api::BoxFuture<
                'a,
                Result<Option<$crate::provider::api::Observed>, $crate::provider::api::ProviderError>,
            > $read

            fn create<'a>(
                &'a self,
                $cp: &'a $crate::provider::aws::AwsProvider,
                $cr: &'a $crate::provider::api::Resource,
            ) -> $crate::provider::api::BoxFuture<'a, Result<(), $crate::provider::api::ProviderError>>
            $create

            fn update<'a>(
                &'a self,
                $up: &'a $crate::provider::aws::AwsProvider,
                $ur: &'a $crate::provider::api::Resource,
                $uf: &'a [$crate::provider::api::FieldChange],
            ) -> $crate::provider::api::BoxFuture<'a, Result<(), $crate::provider::api::ProviderError>>
            $update

            fn delete<'a>(
                &'a self,
                $dp: &'a $crate::provider::aws::AwsProvider,
                $dn: &'a str,
            ) -> $crate::provider::api::BoxFuture<'a, Result<(), $crate::provider::api::ProviderError>>
            $delete

            $(
            fn read_ahead<'a>(
                &'a self,
                $ap: &'a $crate::provider::aws::AwsProvider,
                $an: &'a [String],
            ) -> $crate::provider::api::BoxFuture<
                'a,
                Result<$crate::provider::aws::dispatch::Ahead, $crate::provider::api::ProviderError>,
            > $ahead
            )?
        }
    };
}
pub(super) use kind_api;

/// The service code of each kind.
fn api(kind: ResourceKind) -> &'static dyn KindApi {
    match kind {
        ResourceKind::Repository => &codecommit::Repositories,
        ResourceKind::Bucket => &s3::Buckets,
        ResourceKind::BucketPolicy => &s3::BucketPolicies,
        ResourceKind::Project => &codebuild::Projects,
        ResourceKind::Application => &codedeploy::Applications,
        ResourceKind::DeploymentConfig => &codedeploy::DeploymentConfigs,
        ResourceKind::DeploymentGroup => &codedeploy::DeploymentGroups,
        ResourceKind::Pipeline => &codepipeline::Pipelines,
        ResourceKind::Role => &iam::Roles,
        ResourceKind::EventRule => &eventbridge::EventRules,
        ResourceKind::LogGroup => &logs::LogGroups,
        ResourceKind::ReportGroup => &reports::ReportGroups,
        ResourceKind::ImageRepository => &ecr::ImageRepositories,
        ResourceKind::ArtifactDomain => &codeartifact::ArtifactDomains,
        ResourceKind::ArtifactRepository => &codeartifact::ArtifactRepositories,
    }
}

impl Provider for AwsProvider {
    fn read<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Observed>, ProviderError>> {
        if let Some(answer) = self.take_ahead(kind, physical_name) {
            return Box::pin(async move { Ok(answer) });
        }
        api(kind).read(self, physical_name)
    }

    fn prefetch<'a>(&'a self, keys: &'a [(ResourceKind, String)]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut by_kind: BTreeMap<ResourceKind, Vec<String>> = BTreeMap::new();
            for (kind, name) in keys {
                if kind.info().bulk != BulkRead::One {
                    by_kind.entry(*kind).or_default().push(name.clone());
                }
            }
            // Parents first (the kind table's `parent`), so that a child of one known to be
            // absent needs no call; within a round one task per kind, the kinds side by side.
            let (children, parents): (Vec<_>, Vec<_>) = by_kind
                .into_iter()
                .partition(|(kind, _)| kind.info().parent.is_some());
            for round in [parents, children] {
                let mut set = JoinSet::new();
                for (kind, names) in round {
                    let p = self.clone();
                    set.spawn(async move {
                        let answers = api(kind).read_ahead(&p, &names).await;
                        (kind, answers)
                    });
                }
                while let Some(joined) = set.join_next().await {
                    match joined {
                        Ok((kind, Ok(answers))) => {
                            let mut ahead = lock(&self.ahead);
                            for (name, answer) in answers {
                                ahead.insert((kind, name), answer);
                            }
                        }
                        // No error: each of these resources is then read on its own, and that
                        // read reports what goes wrong.
                        Ok((kind, Err(e))) => tracing::debug!(
                            kind = kind.word(),
                            error = %e,
                            "reading ahead failed; reading one by one"
                        ),
                        Err(e) => tracing::debug!(error = %e, "reading ahead failed"),
                    }
                }
            }
        })
    }

    fn create<'a>(&'a self, r: &'a Resource) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.forget(r.kind, &r.physical_name);
        api(r.kind).create(self, r)
    }

    fn update<'a>(
        &'a self,
        r: &'a Resource,
        fields: &'a [FieldChange],
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.forget(r.kind, &r.physical_name);
        api(r.kind).update(self, r, fields)
    }

    fn delete<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.forget(kind, physical_name);
        api(kind).delete(self, physical_name)
    }

    fn list_owned<'a>(&'a self, app: &'a str) -> BoxFuture<'a, Result<Vec<Owned>, ProviderError>> {
        Box::pin(async move {
            let tagging = &self.clients.tagging;
            // The app's roles are not in the tagging API: listed by IAM at the same time.
            let roles = self.owned_roles(app);
            let pages = all_pages(
                "resources tagged with the app",
                MAX_PAGES,
                |token| async move {
                    let page = tagging
                        .get_resources()
                        .tag_filters(TagFilter::builder().key(TAG_APP).values(app).build())
                        .set_pagination_token(token)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                    let items: Vec<(Owned, TagPairs)> = page
                        .resource_tag_mapping_list()
                        .iter()
                        .filter_map(|m| {
                            let id = m.tags().iter().find(|t| t.key() == TAG_ID)?;
                            let owned = owned_from_arn(m.resource_arn()?, id.value().to_owned())?;
                            let pairs = m
                                .tags()
                                .iter()
                                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                                .collect();
                            Some((owned, pairs))
                        })
                        .collect();
                    let next = page
                        .pagination_token()
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned);
                    Ok((items, next))
                },
            );
            let (pages, roles) = tokio::join!(pages, roles);
            let (pages, roles) = (pages?, roles?);
            let mut found: BTreeSet<Owned> = BTreeSet::new();
            let mut tags: HashMap<(ResourceKind, String), TagPairs> = HashMap::new();
            let mut records = HashMap::new();
            for (owned, pairs) in pages {
                for (kind, name, record) in records_on(&owned, &pairs, app) {
                    found.insert(Owned {
                        kind,
                        physical_name: name.clone(),
                        id: record.id.clone(),
                    });
                    records.insert((kind, name), record);
                }
                tags.insert((owned.kind, owned.physical_name.clone()), pairs);
                found.insert(owned);
            }
            *self.tags() = tags;
            *self.records_map() = records;
            found.extend(roles);
            Ok(found.into_iter().collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applications_record_tags_name_the_apps_deployment_configs() {
        let host = Owned {
            kind: ResourceKind::Application,
            physical_name: "shop".into(),
            id: "DeployAppShop".into(),
        };
        let pairs: TagPairs = [
            ("pipewright:app", "shop"),
            ("pipewright:id", "DeployAppShop"),
            (
                "pipewright:deploymentconfig:shop-canary",
                "ConfigShopCanary",
            ),
            ("pipewright:deploymentconfig:", "nameless"),
            ("team", "payments"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            records_on(&host, &pairs, "shop"),
            [(
                ResourceKind::DeploymentConfig,
                "shop-canary".to_owned(),
                Record {
                    host: "shop".into(),
                    app: "shop".into(),
                    id: "ConfigShopCanary".into(),
                }
            )]
        );
        // Only the kind the table names as host holds records.
        let project = Owned {
            kind: ResourceKind::Project,
            ..host
        };
        assert!(records_on(&project, &pairs, "shop").is_empty());
        // And reads never show them as the host's tags, which the diff would remove.
        assert_eq!(
            super::super::common::tags_value(pairs.clone())
                .as_array()
                .map(Vec::len),
            Some(3)
        );
    }

    #[test]
    fn a_listing_prefix_is_what_every_name_shares() {
        let names = |ns: &[&str]| ns.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            common_prefix(&names(&["shop-00-push", "shop-01-push", "shop-10-push"])),
            "shop-"
        );
        assert_eq!(
            common_prefix(&names(&["/aws/codebuild/a"])),
            "/aws/codebuild/a"
        );
        assert_eq!(common_prefix(&names(&["a", "b"])), "");
        assert_eq!(common_prefix(&[]), "");
        // Never inside a character: `é` is two bytes sharing the first.
        assert_eq!(common_prefix(&names(&["xé", "xè"])), "x");
        // The batch sizes of the kind table, as the API references give them.
        assert_eq!(per_call(ResourceKind::Project), 100);
        assert_eq!(per_call(ResourceKind::Repository), 25);
        assert_eq!(per_call(ResourceKind::Bucket), 1);
    }

    #[test]
    fn a_caller_identity_without_account_or_partition_is_refused() {
        // Bug: a missing account became "" and a missing partition "aws", and every ARN built
        // after it was malformed.
        assert_eq!(
            identity(
                Some("arn:aws-cn:iam::123456789012:user/me"),
                Some("123456789012")
            ),
            Ok(("aws-cn".to_owned(), "123456789012".to_owned()))
        );
        for (arn, account) in [
            (Some("arn:aws:iam::123456789012:user/me"), None),
            (Some("arn:aws:iam::123456789012:user/me"), Some("")),
            (Some("arn:aws:iam::123456789012:user/me"), Some("12345")),
            (None, Some("123456789012")),
            (Some("not an arn"), Some("123456789012")),
            (Some("arn::iam::123456789012:user/me"), Some("123456789012")),
        ] {
            let err = identity(arn, account).unwrap_err();
            assert_eq!(err.code, "InvalidCallerIdentity", "{arn:?} {account:?}");
            assert!(err.message.contains("GetCallerIdentity"), "{err}");
        }
    }
}
