//! [`AwsProvider`]: the [`Provider`] trait on the AWS SDK, each kind handed to its service's
//! module, and what an app owns found through the tagging API (and IAM for roles).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::Clients;
use super::common::{TagPairs, all_pages, sdk_error};
use super::{
    codebuild, codecommit, codedeploy, codepipeline, ecr, eventbridge, iam, logs, reports, s3,
};
use crate::model::ResourceKind;
use crate::provider::api::{
    BoxFuture, FieldChange, Observed, Owned, Provider, ProviderError, Resource, TAG_APP, TAG_ID,
};

/// The most pages read from the tagging API's listing (up to 100 resources a page): beyond
/// that the listing fails rather than return part of what the app owns.
const MAX_PAGES: usize = 1000;

/// The AWS provider: every SDK client plus the partition and account ARNs are rendered in.
///
/// Listing what an app owns through the tagging API returns every tag of each resource it
/// lists; reads of those resources in the same plan use them instead of a tagging call per
/// resource. A change to a resource
/// through this provider forgets what was read in bulk about it. (The tagging API can lag a tag
/// change made moments before, by another run or by hand: the plan then shows that tag change
/// one run late, or once more, and applying it puts the same tags again.)
#[derive(Debug, Clone)]
pub struct AwsProvider {
    pub(super) clients: Clients,
    partition: String,
    account: String,
    listed_tags: Arc<Mutex<HashMap<(ResourceKind, String), TagPairs>>>,
    records: Arc<Mutex<HashMap<(ResourceKind, String), Record>>>,
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

    /// Forgets what listing taught about a resource this provider is changing.
    fn forget(&self, kind: ResourceKind, name: &str) {
        self.tags().remove(&(kind, name.to_owned()));
    }

    async fn owned_roles(&self, app: &str) -> Result<Vec<Owned>, ProviderError> {
        let roles = iam::owned_roles(&self.clients.iam, app, self.region()).await?;
        Ok(roles
            .into_iter()
            .map(|(name, id)| Owned {
                kind: ResourceKind::Role,
                physical_name: name,
                id,
            })
            .collect())
    }
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
    }
}

impl Provider for AwsProvider {
    fn read<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Observed>, ProviderError>> {
        api(kind).read(self, physical_name)
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
            )
            .await?;
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
            found.extend(self.owned_roles(app).await?);
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
