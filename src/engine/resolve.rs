//! The desired state in comparable form: each desired resource's CloudFormation properties (as
//! synthesis writes them) with `Ref`, `Fn::GetAtt` and `Fn::Sub` resolved to concrete values
//! for one account and region. Physical names are deterministic, so every reference resolves
//! before anything exists.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::{Definition, Desired, ResourceKind};
use crate::provider::api::{RECORD_HOST, Resource, TAG_APP, TAG_ID, group_address};

/// Where resources live: the values of `AWS::Partition`, `AWS::Region` and `AWS::AccountId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
    /// Such as `eu-west-1`.
    pub region: String,
    /// The twelve-digit account id.
    pub account: String,
}

impl Env {
    /// An environment.
    #[must_use]
    pub fn new(
        partition: impl Into<String>,
        region: impl Into<String>,
        account: impl Into<String>,
    ) -> Self {
        Self {
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
        }
    }

    fn url_suffix(&self) -> &'static str {
        if self.partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }
}

/// One desired resource ready to compare and apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedResource {
    /// The resource, properties resolved.
    pub resource: Resource,
    /// Logical ids of the resources that must exist first.
    pub depends_on: Vec<String>,
    /// Whether destroy leaves it in place (a retained artifact bucket).
    pub retain: bool,
}

/// An app's desired state ready to compare and apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedApp {
    /// The app's name (the `pipewright:app` tag).
    pub app: String,
    /// Every resource, in model order.
    pub resources: Vec<ResolvedResource>,
}

/// A reference in the synthesized properties that names nothing the engine can resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("resource {id}: cannot resolve {reference}")]
pub struct ResolveError {
    /// The resource whose properties hold the reference.
    pub id: String,
    /// The reference, such as `Fn::GetAtt Repo.Arn`.
    pub reference: String,
}

/// The longest IAM role name.
const ROLE_NAME_MAX: usize = 64;

/// A resource others may refer to: its kind and its AWS name.
type Names = BTreeMap<String, (ResourceKind, String)>;

/// Resolves the desired state of an app for `env`.
///
/// # Errors
/// [`ResolveError`] when a property refers to something outside the app or to an attribute the
/// engine does not know; neither happens for a desired state the model produced.
pub fn resolve(desired: &Desired<'_>, env: &Env) -> Result<ResolvedApp, ResolveError> {
    let app = desired.app.name();
    let region_name = |d: &crate::model::DesiredResource<'_>| {
        d.physical_name
            .replace(crate::model::REGION_VAR, &env.region)
    };
    let names: Names = desired
        .resources
        .iter()
        .map(|d| (d.id.to_string(), (d.kind, region_name(d))))
        .collect();
    let mut resources = Vec::with_capacity(desired.resources.len());
    for d in &desired.resources {
        let id = d.id.to_string();
        let raw = crate::synth::properties(app, d);
        let properties = Resolver {
            env,
            names: &names,
            id: &id,
            app: app.as_str(),
        }
        .value(raw)?;
        let physical_name = match &d.spec {
            Definition::DeploymentGroup { group, .. } => {
                group_address(&group.application_name, &d.physical_name)
            }
            Definition::Role(_) => {
                let name = region_name(d);
                if name.chars().count() > ROLE_NAME_MAX {
                    return Err(ResolveError {
                        id,
                        reference: format!(
                            "RoleName {name}: IAM role names are at most {ROLE_NAME_MAX} characters"
                        ),
                    });
                }
                name
            }
            _ => d.physical_name.clone(),
        };
        resources.push(ResolvedResource {
            resource: Resource {
                id,
                kind: d.kind,
                physical_name,
                properties,
            },
            depends_on: d.depends_on.iter().map(ToString::to_string).collect(),
            retain: matches!(&d.spec, Definition::Bucket(b) if b.retain_on_destroy),
        });
    }
    attach_records(app.as_ref(), &mut resources);
    Ok(ResolvedApp {
        app: app.to_string(),
        resources,
    })
}

/// Gives each resource of a kind that keeps its ownership in a record (a deployment
/// configuration: the kind table's `record`) the resource that holds it, [`RECORD_HOST`], and
/// the owner tags the record stands for; it then depends on that host, so that the host exists
/// before the record is written and goes after it.
///
/// The host is the one of the record's kind (a CodeDeploy application) that a resource using
/// this one lives in (a deployment group of that application running this configuration), or
/// failing that the first of its kind in the model. A model with none leaves the resource
/// without a record, owned by its name as before.
fn attach_records(app: &str, resources: &mut [ResolvedResource]) {
    for i in 0..resources.len() {
        let r = &resources[i].resource;
        let Some(record) = r.kind.info().record else {
            continue;
        };
        let hosts = |name: &str| {
            resources
                .iter()
                .find(|h| h.resource.kind == record.host && h.resource.physical_name == name)
        };
        let via_user = resources
            .iter()
            .filter(|u| u.depends_on.contains(&r.id))
            .filter_map(|u| {
                let (kind, pointer) = u.resource.kind.info().parent?;
                (kind == record.host).then_some(())?;
                hosts(u.resource.properties.pointer(pointer)?.as_str()?)
            })
            .next();
        let Some(host) =
            via_user.or_else(|| resources.iter().find(|h| h.resource.kind == record.host))
        else {
            continue;
        };
        let (host_id, host_name) = (
            host.resource.id.clone(),
            host.resource.physical_name.clone(),
        );
        let id = r.id.clone();
        let resolved = &mut resources[i];
        if let Some(p) = resolved.resource.properties.as_object_mut() {
            p.insert(RECORD_HOST.into(), Value::String(host_name));
            p.insert(
                "Tags".into(),
                serde_json::json!([{"Key": TAG_APP, "Value": app}, {"Key": TAG_ID, "Value": id}]),
            );
        }
        if !resolved.depends_on.contains(&host_id) {
            resolved.depends_on.push(host_id);
        }
    }
}

struct Resolver<'a> {
    env: &'a Env,
    names: &'a Names,
    id: &'a str,
    /// The app's name (derived roles' paths name it).
    app: &'a str,
}

impl Resolver<'_> {
    fn fail(&self, reference: String) -> ResolveError {
        ResolveError {
            id: self.id.to_owned(),
            reference,
        }
    }

    fn value(&self, v: Value) -> Result<Value, ResolveError> {
        match v {
            Value::Array(a) => a
                .into_iter()
                .map(|v| self.value(v))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            Value::Object(m) if m.len() == 1 => {
                let (k, inner) = m.into_iter().next().unwrap_or_default();
                match (k.as_str(), inner) {
                    ("Ref", Value::String(id)) => self.reference(&id).map(Value::String),
                    ("Fn::GetAtt", Value::Array(a)) => match a.as_slice() {
                        [Value::String(id), Value::String(attr)] => {
                            self.attribute(id, attr).map(Value::String)
                        }
                        _ => Err(self.fail(format!("Fn::GetAtt {}", Value::Array(a)))),
                    },
                    ("Fn::Sub", Value::String(text)) => self.sub(&text).map(Value::String),
                    (_, inner) => {
                        let mut out = Map::new();
                        out.insert(k, self.value(inner)?);
                        Ok(Value::Object(out))
                    }
                }
            }
            Value::Object(m) => m
                .into_iter()
                .map(|(k, v)| Ok((k, self.value(v)?)))
                .collect::<Result<Map<_, _>, _>>()
                .map(Value::Object),
            other => Ok(other),
        }
    }

    fn reference(&self, id: &str) -> Result<String, ResolveError> {
        match id {
            "AWS::Partition" => return Ok(self.env.partition.clone()),
            "AWS::Region" => return Ok(self.env.region.clone()),
            "AWS::AccountId" => return Ok(self.env.account.clone()),
            "AWS::URLSuffix" => return Ok(self.env.url_suffix().to_owned()),
            _ => {}
        }
        match self.names.get(id) {
            // CloudFormation's Ref of a repository is its id, which is not known in advance.
            Some((ResourceKind::Repository, _)) | None => Err(self.fail(format!("Ref {id}"))),
            // CloudFormation's Ref of a CodeArtifact domain or repository is its ARN.
            Some((kind @ (ResourceKind::ArtifactDomain | ResourceKind::ArtifactRepository), n)) => {
                let Env {
                    partition: p,
                    region: r,
                    account: a,
                } = self.env;
                kind.arn(p, r, a, n)
                    .ok_or_else(|| self.fail(format!("Ref {id}")))
            }
            Some((_, name)) => Ok(name.clone()),
        }
    }

    fn attribute(&self, id: &str, attr: &str) -> Result<String, ResolveError> {
        let Env {
            partition: p,
            region: r,
            account: a,
        } = self.env;
        let found = self.names.get(id).and_then(|(kind, n)| match (kind, attr) {
            // A derived role's ARN names its path, as IAM's does.
            (ResourceKind::Role, "Arn") => {
                let path = crate::model::role_path(self.app).replace(crate::model::REGION_VAR, r);
                kind.arn(p, r, a, &format!("{}{n}", &path[1..]))
            }
            (_, "Arn") => kind.arn(p, r, a, n),
            (ResourceKind::Repository | ResourceKind::ArtifactDomain, "Name") => Some(n.clone()),
            // A CodeArtifact repository's physical name is `<domain>/<repository>`.
            (ResourceKind::ArtifactRepository, "Name") => {
                n.split_once('/').map(|(_, name)| name.to_owned())
            }
            (ResourceKind::ArtifactRepository, "DomainName") => {
                n.split_once('/').map(|(domain, _)| domain.to_owned())
            }
            (ResourceKind::ArtifactDomain, "Owner")
            | (ResourceKind::ArtifactRepository, "DomainOwner") => Some(a.clone()),
            (ResourceKind::ImageRepository, "RepositoryUri") => {
                Some(format!("{a}.dkr.ecr.{r}.{}/{n}", self.env.url_suffix()))
            }
            (ResourceKind::Repository, "CloneUrlHttp") => Some(format!(
                "https://git-codecommit.{r}.{}/v1/repos/{n}",
                self.env.url_suffix()
            )),
            _ => None,
        });
        found.ok_or_else(|| self.fail(format!("Fn::GetAtt {id}.{attr}")))
    }

    fn sub(&self, text: &str) -> Result<String, ResolveError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(self.fail(format!("Fn::Sub {text}")));
            };
            let var = &after[..end];
            if let Some(literal) = var.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if var.starts_with("AWS::") {
                out.push_str(&self.reference(var)?);
            } else if let Some((id, attr)) = var.split_once('.') {
                out.push_str(&self.attribute(id, attr)?);
            } else {
                out.push_str(&self.reference(var)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> Env {
        Env::new("aws", "eu-west-1", "123456789012")
    }

    fn resolver<'a>(names: &'a Names, env: &'a Env) -> Resolver<'a> {
        Resolver {
            env,
            names,
            id: "Test",
            app: "shop",
        }
    }

    #[test]
    fn intrinsics_resolve_to_concrete_values() {
        let names = Names::from([
            ("Repo".into(), (ResourceKind::Repository, "api".into())),
            ("Role".into(), (ResourceKind::Role, "shop-build".into())),
            ("Bucket".into(), (ResourceKind::Bucket, "art".into())),
            ("Pipe".into(), (ResourceKind::Pipeline, "ship".into())),
        ]);
        let env = env();
        let r = resolver(&names, &env);
        let v = r
            .value(json!({
                "Location": {"Fn::GetAtt": ["Repo", "CloneUrlHttp"]},
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Store": {"Ref": "Bucket"},
                "Objects": {"Fn::Sub": "${Bucket.Arn}/*"},
                "Target": {"Fn::Sub": "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipe}"},
                "Literal": {"Fn::Sub": "${!Keep}"},
                "Nested": [{"Plain": "x"}],
            }))
            .unwrap();
        assert_eq!(
            v,
            json!({
                "Location": "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/api",
                "Role": "arn:aws:iam::123456789012:role/pipewright/shop/eu-west-1/shop-build",
                "Store": "art",
                "Objects": "arn:aws:s3:::art/*",
                "Target": "arn:aws:codepipeline:eu-west-1:123456789012:ship",
                "Literal": "${Keep}",
                "Nested": [{"Plain": "x"}],
            })
        );
    }

    #[test]
    fn unknown_references_are_errors_naming_them() {
        let names = Names::new();
        let env = env();
        let r = resolver(&names, &env);
        let e = r.value(json!({"Ref": "Missing"})).unwrap_err();
        assert_eq!(e.to_string(), "resource Test: cannot resolve Ref Missing");
        assert!(r.value(json!({"Fn::Sub": "${Open"})).is_err());
    }
}
