//! [`AwsProvider`]: the [`Provider`] trait on the AWS SDK, each kind handed to its service's
//! module, and what an app owns found through the tagging API (and IAM for roles).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::Clients;
use super::common::sdk_error;
use super::{codebuild, codecommit, codedeploy, codepipeline, eventbridge, iam, s3};
use crate::model::ResourceKind;
use crate::provider::api::{
    BoxFuture, FieldChange, Observed, Owned, Provider, ProviderError, Resource, TAG_APP, TAG_ID,
};

/// The most pages read from a listing API (100 resources a page or more).
const MAX_PAGES: usize = 1000;

/// The AWS provider: every SDK client plus the partition and account ARNs are rendered in.
///
/// Listing what an app owns also reads its roles' inline policies in bulk; reads of those
/// roles in the same plan use them instead of one call per policy. A change to a role through
/// this provider forgets what was read in bulk about it.
#[derive(Debug, Clone)]
pub struct AwsProvider {
    clients: Clients,
    partition: String,
    account: String,
    role_policies: Arc<Mutex<HashMap<String, iam::InlinePolicies>>>,
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

    fn application_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:codedeploy:{}:{}:application:{name}",
            self.partition,
            self.region(),
            self.account
        )
    }

    fn group_arn(&self, address: &str) -> String {
        format!(
            "arn:{}:codedeploy:{}:{}:deploymentgroup:{address}",
            self.partition,
            self.region(),
            self.account
        )
    }

    fn pipeline_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:codepipeline:{}:{}:{name}",
            self.partition,
            self.region(),
            self.account
        )
    }

    fn policies(&self) -> std::sync::MutexGuard<'_, HashMap<String, iam::InlinePolicies>> {
        // The map holds plain data: a panic elsewhere cannot leave it inconsistent.
        self.role_policies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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

/// The kind and physical name of a resource pipewright manages, from its ARN.
#[must_use]
pub(crate) fn owned_from_arn(arn: &str, id: String) -> Option<Owned> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = parts.as_slice() else {
        return None;
    };
    let (kind, name) = match *service {
        "s3" => (ResourceKind::Bucket, (*resource).to_owned()),
        "iam" => (
            ResourceKind::Role,
            resource
                .strip_prefix("role/")?
                .rsplit('/')
                .next()?
                .to_owned(),
        ),
        "codecommit" => (ResourceKind::Repository, (*resource).to_owned()),
        "codebuild" => (
            ResourceKind::Project,
            resource.strip_prefix("project/")?.to_owned(),
        ),
        "codedeploy" => match resource.split_once(':')? {
            ("application", name) => (ResourceKind::Application, name.to_owned()),
            // `<application>/<group>` is also the group's address.
            ("deploymentgroup", address) => (ResourceKind::DeploymentGroup, address.to_owned()),
            _ => return None,
        },
        "codepipeline" => (ResourceKind::Pipeline, (*resource).to_owned()),
        "events" => (
            ResourceKind::EventRule,
            resource.strip_prefix("rule/")?.to_owned(),
        ),
        _ => return None,
    };
    Some(Owned {
        kind,
        physical_name: name,
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
                ResourceKind::Repository => codecommit::read(&c.codecommit, physical_name).await,
                ResourceKind::Bucket => s3::read(&c.s3, physical_name).await,
                ResourceKind::BucketPolicy => s3::read_policy(&c.s3, physical_name).await,
                ResourceKind::Role => {
                    let known = self.policies().get(physical_name).cloned();
                    iam::read(&c.iam, physical_name, known).await
                }
                ResourceKind::EventRule => eventbridge::read(&c.eventbridge, physical_name).await,
                ResourceKind::Application => {
                    let arn = self.application_arn(physical_name);
                    codedeploy::read_application(&c.codedeploy, physical_name, &arn).await
                }
                ResourceKind::DeploymentConfig => {
                    codedeploy::read_config(&c.codedeploy, physical_name).await
                }
                ResourceKind::Project => codebuild::read(&c.codebuild, physical_name).await,
                ResourceKind::DeploymentGroup => {
                    let arn = self.group_arn(physical_name);
                    codedeploy::read_group(&c.codedeploy, physical_name, &arn).await
                }
                ResourceKind::Pipeline => {
                    let arn = self.pipeline_arn(physical_name);
                    codepipeline::read(&c.codepipeline, physical_name, &arn).await
                }
            }
        })
    }

    fn create<'a>(&'a self, r: &'a Resource) -> BoxFuture<'a, Result<(), ProviderError>> {
        let c = &self.clients;
        Box::pin(async move {
            match r.kind {
                ResourceKind::Repository => codecommit::create(&c.codecommit, r).await,
                ResourceKind::Project => codebuild::create(&c.codebuild, r).await,
                ResourceKind::Bucket => s3::create(&c.s3, self.region(), r).await,
                ResourceKind::BucketPolicy => s3::put_policy(&c.s3, r).await,
                ResourceKind::Role => {
                    self.policies().remove(&r.physical_name);
                    iam::create(&c.iam, r).await
                }
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
            match r.kind {
                ResourceKind::Repository => codecommit::update(&c.codecommit, r, fields).await,
                ResourceKind::Project => codebuild::update(&c.codebuild, r, fields).await,
                ResourceKind::Bucket => s3::update(&c.s3, r, fields).await,
                ResourceKind::BucketPolicy => s3::put_policy(&c.s3, r).await,
                ResourceKind::Role => {
                    self.policies().remove(&r.physical_name);
                    iam::update(&c.iam, r, fields).await
                }
                ResourceKind::EventRule => eventbridge::update(&c.eventbridge, r, fields).await,
                ResourceKind::Application => {
                    let arn = self.application_arn(&r.physical_name);
                    codedeploy::update_application(&c.codedeploy, &arn, fields).await
                }
                ResourceKind::DeploymentGroup => {
                    let arn = self.group_arn(&r.physical_name);
                    codedeploy::update_group(&c.codedeploy, r, &arn, fields).await
                }
                ResourceKind::Pipeline => {
                    let arn = self.pipeline_arn(&r.physical_name);
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
            match kind {
                ResourceKind::Repository => codecommit::delete(&c.codecommit, physical_name).await,
                ResourceKind::Project => codebuild::delete(&c.codebuild, physical_name).await,
                ResourceKind::Bucket => s3::delete(&c.s3, physical_name).await,
                ResourceKind::BucketPolicy => s3::delete_policy(&c.s3, physical_name).await,
                ResourceKind::Role => {
                    self.policies().remove(physical_name);
                    iam::delete(&c.iam, physical_name).await
                }
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
                    if let (Some(arn), Some(id)) = (m.resource_arn(), id) {
                        found.extend(owned_from_arn(arn, id.value().to_owned()));
                    }
                }
                token = page
                    .pagination_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            found.extend(self.owned_roles(app).await?);
            Ok(found.into_iter().collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_the_kind_and_physical_name() {
        let cases = [
            (
                "arn:aws:s3:::shop-artifacts-0001",
                ResourceKind::Bucket,
                "shop-artifacts-0001",
            ),
            (
                "arn:aws:iam::123456789012:role/shop-pipeline-shop",
                ResourceKind::Role,
                "shop-pipeline-shop",
            ),
            (
                "arn:aws:codecommit:eu-west-1:123456789012:shop-api",
                ResourceKind::Repository,
                "shop-api",
            ),
            (
                "arn:aws:codebuild:eu-west-1:123456789012:project/shop-build",
                ResourceKind::Project,
                "shop-build",
            ),
            (
                "arn:aws:codedeploy:eu-west-1:123456789012:application:shop",
                ResourceKind::Application,
                "shop",
            ),
            (
                "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop/production",
                ResourceKind::DeploymentGroup,
                "shop/production",
            ),
            (
                "arn:aws:codepipeline:eu-west-1:123456789012:shop",
                ResourceKind::Pipeline,
                "shop",
            ),
            (
                "arn:aws:events:eu-west-1:123456789012:rule/shop-shop-Checkout",
                ResourceKind::EventRule,
                "shop-shop-Checkout",
            ),
        ];
        for (arn, kind, name) in cases {
            let o = owned_from_arn(arn, "Id".into()).unwrap();
            assert_eq!((o.kind, o.physical_name.as_str()), (kind, name), "{arn}");
        }
        assert!(owned_from_arn("arn:aws:sns:eu-west-1:1:topic", "Id".into()).is_none());
        assert!(owned_from_arn("not an arn", "Id".into()).is_none());
    }
}
