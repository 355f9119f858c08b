//! [`AwsProvider`]: the [`Provider`] trait on the AWS SDK, each kind handed to its service's
//! module, and what an app owns found through the tagging API (and IAM for roles).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::Clients;
use super::common::{TagPairs, sdk_error};
use super::{codebuild, codecommit, codedeploy, codepipeline, eventbridge, iam, s3};
use crate::model::ResourceKind;
use crate::provider::api::{
    BoxFuture, FieldChange, Observed, Owned, Provider, ProviderError, Resource, TAG_APP, TAG_ID,
};

/// The most pages read from a listing API (100 resources a page or more).
const MAX_PAGES: usize = 1000;

/// The AWS provider: every SDK client plus the partition and account ARNs are rendered in.
///
/// Listing what an app owns also reads its roles' inline policies in bulk, and the tagging API
/// returns every tag of each resource it lists; reads of those resources in the same plan use
/// them instead of one call per policy or a tagging call per resource. A change to a resource
/// through this provider forgets what was read in bulk about it. (The tagging API can lag a tag
/// change made moments before, by another run or by hand: the plan then shows that tag change
/// one run late, or once more, and applying it puts the same tags again.)
#[derive(Debug, Clone)]
pub struct AwsProvider {
    clients: Clients,
    partition: String,
    account: String,
    role_policies: Arc<Mutex<HashMap<String, iam::InlinePolicies>>>,
    listed_tags: Arc<Mutex<HashMap<(ResourceKind, String), TagPairs>>>,
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
        let arn = me.arn().unwrap_or("arn:aws:");
        let partition = arn.split(':').nth(1).unwrap_or("aws").to_owned();
        Ok(Self {
            account: me.account().unwrap_or_default().to_owned(),
            partition,
            clients,
            role_policies: Arc::default(),
            listed_tags: Arc::default(),
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
    fn arn(&self, kind: ResourceKind, physical_name: &str) -> String {
        kind.arn(&self.partition, self.region(), &self.account, physical_name)
            .unwrap_or_default()
    }

    fn policies(&self) -> std::sync::MutexGuard<'_, HashMap<String, iam::InlinePolicies>> {
        // The map holds plain data: a panic elsewhere cannot leave it inconsistent.
        self.role_policies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn tags(&self) -> std::sync::MutexGuard<'_, HashMap<(ResourceKind, String), TagPairs>> {
        // Plain data, as for the policies.
        self.listed_tags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tags the last listing found on a resource, if it listed it.
    fn listed(&self, kind: ResourceKind, name: &str) -> Option<TagPairs> {
        self.tags().get(&(kind, name.to_owned())).cloned()
    }

    /// Forgets what listing taught about a resource this provider is changing.
    fn forget(&self, kind: ResourceKind, name: &str) {
        self.tags().remove(&(kind, name.to_owned()));
        if kind == ResourceKind::Role {
            self.policies().remove(name);
        }
    }

    async fn owned_roles(&self, app: &str) -> Result<Vec<Owned>, ProviderError> {
        let roles = iam::owned_roles(&self.clients.iam, app).await?;
        let mut known = self.policies();
        known.clear();
        Ok(roles
            .into_iter()
            .map(|(name, id, policies)| {
                known.insert(name.clone(), policies);
                Owned {
                    kind: ResourceKind::Role,
                    physical_name: name,
                    id,
                }
            })
            .collect())
    }
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

impl Provider for AwsProvider {
    fn read<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Observed>, ProviderError>> {
        let c = &self.clients;
        Box::pin(async move {
            match kind {
                ResourceKind::Repository => {
                    let tags = self.listed(kind, physical_name);
                    codecommit::read(&c.codecommit, physical_name, tags).await
                }
                ResourceKind::Bucket => {
                    let tags = self.listed(kind, physical_name);
                    s3::read(&c.s3, physical_name, tags).await
                }
                ResourceKind::BucketPolicy => s3::read_policy(&c.s3, physical_name).await,
                ResourceKind::Role => {
                    let known = self.policies().get(physical_name).cloned();
                    iam::read(&c.iam, physical_name, known).await
                }
                ResourceKind::EventRule => {
                    let tags = self.listed(kind, physical_name);
                    eventbridge::read(&c.eventbridge, physical_name, tags).await
                }
                ResourceKind::Application => {
                    let arn = self.arn(kind, physical_name);
                    let tags = self.listed(kind, physical_name);
                    codedeploy::read_application(&c.codedeploy, physical_name, &arn, tags).await
                }
                ResourceKind::DeploymentConfig => {
                    codedeploy::read_config(&c.codedeploy, physical_name).await
                }
                ResourceKind::Project => codebuild::read(&c.codebuild, physical_name).await,
                ResourceKind::DeploymentGroup => {
                    let arn = self.arn(kind, physical_name);
                    let tags = self.listed(kind, physical_name);
                    codedeploy::read_group(&c.codedeploy, physical_name, &arn, tags).await
                }
                ResourceKind::Pipeline => {
                    let arn = self.arn(kind, physical_name);
                    let tags = self.listed(kind, physical_name);
                    codepipeline::read(&c.codepipeline, physical_name, &arn, tags).await
                }
            }
        })
    }

    fn create<'a>(&'a self, r: &'a Resource) -> BoxFuture<'a, Result<(), ProviderError>> {
        let c = &self.clients;
        Box::pin(async move {
            self.forget(r.kind, &r.physical_name);
            match r.kind {
                ResourceKind::Repository => codecommit::create(&c.codecommit, r).await,
                ResourceKind::Project => codebuild::create(&c.codebuild, r).await,
                ResourceKind::Bucket => s3::create(&c.s3, self.region(), r).await,
                ResourceKind::BucketPolicy => s3::put_policy(&c.s3, r).await,
                ResourceKind::Role => iam::create(&c.iam, r).await,
                ResourceKind::EventRule => eventbridge::create(&c.eventbridge, r).await,
                ResourceKind::Application => codedeploy::create_application(&c.codedeploy, r).await,
                ResourceKind::DeploymentConfig => codedeploy::create_config(&c.codedeploy, r).await,
                ResourceKind::DeploymentGroup => codedeploy::create_group(&c.codedeploy, r).await,
                ResourceKind::Pipeline => codepipeline::create(&c.codepipeline, r).await,
            }
        })
    }

    fn update<'a>(
        &'a self,
        r: &'a Resource,
        fields: &'a [FieldChange],
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        let c = &self.clients;
        Box::pin(async move {
            self.forget(r.kind, &r.physical_name);
            match r.kind {
                ResourceKind::Repository => {
                    let arn = self.arn(r.kind, &r.physical_name);
                    codecommit::update(&c.codecommit, r, &arn, fields).await
                }
                ResourceKind::Project => codebuild::update(&c.codebuild, r, fields).await,
                ResourceKind::Bucket => s3::update(&c.s3, r, fields).await,
                ResourceKind::BucketPolicy => s3::put_policy(&c.s3, r).await,
                ResourceKind::Role => iam::update(&c.iam, r, fields).await,
                ResourceKind::EventRule => {
                    let arn = self.arn(r.kind, &r.physical_name);
                    eventbridge::update(&c.eventbridge, r, &arn, fields).await
                }
                ResourceKind::Application => {
                    let arn = self.arn(r.kind, &r.physical_name);
                    codedeploy::update_application(&c.codedeploy, &arn, fields).await
                }
                ResourceKind::DeploymentGroup => {
                    let arn = self.arn(r.kind, &r.physical_name);
                    codedeploy::update_group(&c.codedeploy, r, &arn, fields).await
                }
                ResourceKind::Pipeline => {
                    let arn = self.arn(r.kind, &r.physical_name);
                    codepipeline::update(&c.codepipeline, r, &arn, fields).await
                }
                // Every field of a deployment configuration is create-only: the engine replaces
                // it rather than updating it.
                ResourceKind::DeploymentConfig => Err(ProviderError::other(
                    "Immutable",
                    format!(
                        "deployment config \"{}\" cannot change in place; it is replaced",
                        r.physical_name
                    ),
                )),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        let c = &self.clients;
        Box::pin(async move {
            self.forget(kind, physical_name);
            match kind {
                ResourceKind::Repository => codecommit::delete(&c.codecommit, physical_name).await,
                ResourceKind::Project => codebuild::delete(&c.codebuild, physical_name).await,
                ResourceKind::Bucket => s3::delete(&c.s3, physical_name).await,
                ResourceKind::BucketPolicy => s3::delete_policy(&c.s3, physical_name).await,
                ResourceKind::Role => iam::delete(&c.iam, physical_name).await,
                ResourceKind::EventRule => eventbridge::delete(&c.eventbridge, physical_name).await,
                ResourceKind::Application => {
                    codedeploy::delete_application(&c.codedeploy, physical_name).await
                }
                ResourceKind::DeploymentConfig => {
                    codedeploy::delete_config(&c.codedeploy, physical_name).await
                }
                ResourceKind::DeploymentGroup => {
                    codedeploy::delete_group(&c.codedeploy, physical_name).await
                }
                ResourceKind::Pipeline => {
                    codepipeline::delete(&c.codepipeline, physical_name).await
                }
            }
        })
    }

    fn list_owned<'a>(&'a self, app: &'a str) -> BoxFuture<'a, Result<Vec<Owned>, ProviderError>> {
        Box::pin(async move {
            let mut found: BTreeSet<Owned> = BTreeSet::new();
            let mut tags: HashMap<(ResourceKind, String), TagPairs> = HashMap::new();
            let mut token: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let page = self
                    .clients
                    .tagging
                    .get_resources()
                    .tag_filters(TagFilter::builder().key(TAG_APP).values(app).build())
                    .set_pagination_token(token.clone())
                    .send()
                    .await
                    .map_err(sdk_error)?;
                for m in page.resource_tag_mapping_list() {
                    let id = m.tags().iter().find(|t| t.key() == TAG_ID);
                    let Some(owned) = m
                        .resource_arn()
                        .zip(id)
                        .and_then(|(arn, id)| owned_from_arn(arn, id.value().to_owned()))
                    else {
                        continue;
                    };
                    let pairs = m
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect();
                    tags.insert((owned.kind, owned.physical_name.clone()), pairs);
                    found.insert(owned);
                }
                token = page
                    .pagination_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            *self.tags() = tags;
            found.extend(self.owned_roles(app).await?);
            Ok(found.into_iter().collect())
        })
    }
}
