//! CodeBuild projects (`AWS::CodeBuild::Project`).

use super::dispatch::{Ahead, kind_api, per_call};
use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{
    ArtifactsType, CacheMode, CacheType, CloudWatchLogsConfig, ComputeType, EnvironmentType,
    EnvironmentVariable, EnvironmentVariableType, LogsConfig, LogsConfigStatusType, Project,
    ProjectArtifacts, ProjectCache, ProjectEnvironment, ProjectSource, SourceType, Tag, VpcConfig,
};
use serde_json::{Map, Value, json};

use super::common::{build_error, gone, int_at, sdk_error, str_prop, tags_of, tags_value, touched};
use crate::model::{ArnScope, ResourceKind, render_arn};
use crate::provider::api::{FieldChange, Observed, ProviderError, Resource};

/// `UpdateProject` merges: a field it is not given keeps its value (a live probe in
/// go-to-k/cdkd#1546; CloudFormation's own handler leaves removed properties in place,
/// aws-cloudformation/cloudformation-coverage-roadmap#445). So each optional field has a
/// "remove" form, the value AWS gives a project that never had it, which an update sends when
/// the model drops the field; and reads show that value as no field, so that it compares equal
/// to a model without it.
const DEFAULT_TIMEOUT: i32 = 60;
/// See [`DEFAULT_TIMEOUT`]: AWS's queued timeout when none is given.
const DEFAULT_QUEUED_TIMEOUT: i32 = 480;

/// Whether `key` is CodeBuild's default key, the AWS managed `alias/aws/s3` (by alias or ARN).
fn is_default_key(key: &str) -> bool {
    key == "alias/aws/s3" || key.ends_with(":alias/aws/s3")
}

/// The properties of a project in the shape synthesis writes. Fields AWS fills in by itself
/// are left for the diff to ignore, except the defaults a removal sends back
/// ([`DEFAULT_TIMEOUT`]: the `aws/s3` key, the timeouts), which read as no field.
fn properties(p: &Project) -> Value {
    let mut m = Map::new();
    m.insert("Name".into(), json!(p.name()));
    if let Some(d) = p.description().filter(|d| !d.is_empty()) {
        m.insert("Description".into(), json!(d));
    }
    if let Some(r) = p.service_role() {
        m.insert("ServiceRole".into(), json!(r));
    }
    if let Some(s) = p.source() {
        let mut src = Map::new();
        src.insert("Type".into(), json!(s.r#type().as_str()));
        if let Some(l) = s.location().filter(|l| !l.is_empty()) {
            src.insert("Location".into(), json!(l));
        }
        if let Some(b) = s.buildspec().filter(|b| !b.is_empty()) {
            src.insert("BuildSpec".into(), json!(b));
        }
        m.insert("Source".into(), Value::Object(src));
    }
    if let Some(a) = p.artifacts() {
        m.insert("Artifacts".into(), json!({"Type": a.r#type().as_str()}));
    }
    if let Some(e) = p.environment() {
        let mut env = Map::new();
        env.insert("Type".into(), json!(e.r#type().as_str()));
        env.insert("Image".into(), json!(e.image()));
        env.insert("ComputeType".into(), json!(e.compute_type().as_str()));
        env.insert(
            "PrivilegedMode".into(),
            json!(e.privileged_mode().unwrap_or(false)),
        );
        let vars: Vec<Value> = e
            .environment_variables()
            .iter()
            .map(|v| {
                json!({
                    "Name": v.name(),
                    "Type": v.r#type().map_or("PLAINTEXT", EnvironmentVariableType::as_str),
                    "Value": v.value(),
                })
            })
            .collect();
        if !vars.is_empty() {
            env.insert("EnvironmentVariables".into(), Value::Array(vars));
        }
        m.insert("Environment".into(), Value::Object(env));
    }
    if let Some(t) = p.timeout_in_minutes().filter(|t| *t != DEFAULT_TIMEOUT) {
        m.insert("TimeoutInMinutes".into(), json!(t));
    }
    if let Some(t) = p
        .queued_timeout_in_minutes()
        .filter(|t| *t != DEFAULT_QUEUED_TIMEOUT)
    {
        m.insert("QueuedTimeoutInMinutes".into(), json!(t));
    }
    match p.cache() {
        Some(c) if *c.r#type() == CacheType::Local => {
            let modes: Vec<&str> = c.modes().iter().map(CacheMode::as_str).collect();
            m.insert("Cache".into(), json!({"Type": "LOCAL", "Modes": modes}));
        }
        Some(c) if *c.r#type() == CacheType::S3 => {
            m.insert(
                "Cache".into(),
                json!({"Type": "S3", "Location": c.location().unwrap_or_default()}),
            );
        }
        _ => {}
    }
    // CloudWatch logs enabled under the default group and stream is what a project without a
    // logs configuration has (and what removing one sends).
    let default_logs = |cw: &CloudWatchLogsConfig| {
        *cw.status() == LogsConfigStatusType::Enabled
            && cw.group_name().is_none_or(str::is_empty)
            && cw.stream_name().is_none_or(str::is_empty)
    };
    if let Some(cw) = p
        .logs_config()
        .and_then(LogsConfig::cloud_watch_logs)
        .filter(|cw| !default_logs(cw))
    {
        let mut logs = Map::new();
        logs.insert("Status".into(), json!(cw.status().as_str()));
        if let Some(g) = cw.group_name() {
            logs.insert("GroupName".into(), json!(g));
        }
        if let Some(s) = cw.stream_name() {
            logs.insert("StreamName".into(), json!(s));
        }
        m.insert("LogsConfig".into(), json!({"CloudWatchLogs": logs}));
    }
    if let Some(v) = p.vpc_config().filter(|v| v.vpc_id().is_some()) {
        m.insert(
            "VpcConfig".into(),
            json!({"VpcId": v.vpc_id(), "Subnets": v.subnets(), "SecurityGroupIds": v.security_group_ids()}),
        );
    }
    if let Some(k) = p.encryption_key().filter(|k| !is_default_key(k)) {
        m.insert("EncryptionKey".into(), json!(k));
    }
    m.insert(
        "Tags".into(),
        tags_value(
            p.tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
        ),
    );
    Value::Object(m)
}

/// Reads a project; `None` when it does not exist.
pub(crate) async fn read(cb: &Client, name: &str) -> Result<Option<Observed>, ProviderError> {
    let out = cb
        .batch_get_projects()
        .names(name)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .projects()
        .iter()
        .find(|p| p.name() == Some(name))
        .map(|p| Observed::new(properties(p))))
}

/// Reads many projects with `BatchGetProjects`, up to the kind table's batch size a call: each
/// name is answered, one the call does not return being absent ("projectsNotFound").
async fn read_ahead(cb: &Client, names: &[String]) -> Result<Ahead, ProviderError> {
    let mut out = Vec::with_capacity(names.len());
    for chunk in names.chunks(per_call(ResourceKind::Project)) {
        let got = cb
            .batch_get_projects()
            .set_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(sdk_error)?;
        for name in chunk {
            let found = got
                .projects()
                .iter()
                .find(|p| p.name() == Some(name.as_str()));
            out.push((name.clone(), found.map(|p| Observed::new(properties(p)))));
        }
    }
    Ok(out)
}

/// Everything a project is made of, as the SDK wants it.
struct Parts {
    source: ProjectSource,
    artifacts: ProjectArtifacts,
    environment: ProjectEnvironment,
    cache: ProjectCache,
    logs: Option<LogsConfig>,
    vpc: Option<VpcConfig>,
    tags: Vec<Tag>,
}

fn parts(p: &Value) -> Result<Parts, ProviderError> {
    let s = &p["Source"];
    let source = ProjectSource::builder()
        .r#type(SourceType::from(s["Type"].as_str().unwrap_or("NO_SOURCE")))
        .set_location(s["Location"].as_str().map(str::to_owned))
        .set_buildspec(s["BuildSpec"].as_str().map(str::to_owned))
        .build()
        .map_err(build_error)?;
    let artifacts = ProjectArtifacts::builder()
        .r#type(ArtifactsType::from(
            p.pointer("/Artifacts/Type")
                .and_then(Value::as_str)
                .unwrap_or("NO_ARTIFACTS"),
        ))
        .build()
        .map_err(build_error)?;
    let e = &p["Environment"];
    let vars = e["EnvironmentVariables"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    EnvironmentVariable::builder()
                        .name(v["Name"].as_str().unwrap_or_default())
                        .value(v["Value"].as_str().unwrap_or_default())
                        .set_type(v["Type"].as_str().map(EnvironmentVariableType::from))
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let environment = ProjectEnvironment::builder()
        .r#type(EnvironmentType::from(
            e["Type"].as_str().unwrap_or("LINUX_CONTAINER"),
        ))
        .image(e["Image"].as_str().unwrap_or_default())
        .compute_type(ComputeType::from(
            e["ComputeType"].as_str().unwrap_or("BUILD_GENERAL1_SMALL"),
        ))
        .set_privileged_mode(e["PrivilegedMode"].as_bool())
        .set_environment_variables(vars)
        .build()
        .map_err(build_error)?;
    let cache = match p.get("Cache") {
        Some(c) => ProjectCache::builder()
            .r#type(CacheType::from(c["Type"].as_str().unwrap_or("NO_CACHE")))
            .set_location(c["Location"].as_str().map(str::to_owned))
            .set_modes(c["Modes"].as_array().map(|ms| {
                ms.iter()
                    .filter_map(Value::as_str)
                    .map(CacheMode::from)
                    .collect()
            })),
        // Removing a cache is setting NO_CACHE.
        None => ProjectCache::builder().r#type(CacheType::NoCache),
    }
    .build()
    .map_err(build_error)?;
    let logs = p
        .pointer("/LogsConfig/CloudWatchLogs")
        .map(|cw| {
            CloudWatchLogsConfig::builder()
                .status(LogsConfigStatusType::from(
                    cw["Status"].as_str().unwrap_or("ENABLED"),
                ))
                .set_group_name(cw["GroupName"].as_str().map(str::to_owned))
                .set_stream_name(cw["StreamName"].as_str().map(str::to_owned))
                .build()
                .map(|c| LogsConfig::builder().cloud_watch_logs(c).build())
                .map_err(build_error)
        })
        .transpose()?;
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array().map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
    };
    let vpc = p.get("VpcConfig").map(|v| {
        VpcConfig::builder()
            .set_vpc_id(v["VpcId"].as_str().map(str::to_owned))
            .set_subnets(strings(&v["Subnets"]))
            .set_security_group_ids(strings(&v["SecurityGroupIds"]))
            .build()
    });
    let tags = tags_of(p)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    Ok(Parts {
        source,
        artifacts,
        environment,
        cache,
        logs,
        vpc,
        tags,
    })
}

/// Sets every setting of a project but its name and description, from its properties `$p` and
/// their SDK parts `$x` ([`parts`]), on a `CreateProject` or `UpdateProject` builder, whose
/// setters share their names (`UpdateProject` takes the whole project, tags included).
macro_rules! project_settings {
    ($builder:expr, $p:expr, $x:expr) => {
        $builder
            .service_role(str_prop($p, "ServiceRole").unwrap_or_default())
            .source($x.source)
            .artifacts($x.artifacts)
            .environment($x.environment)
            .cache($x.cache)
            .set_logs_config($x.logs)
            .set_vpc_config($x.vpc)
            .set_timeout_in_minutes(int_at($p, "/TimeoutInMinutes"))
            .set_queued_timeout_in_minutes(int_at($p, "/QueuedTimeoutInMinutes"))
            .set_encryption_key(str_prop($p, "EncryptionKey").map(str::to_owned))
            .set_tags(Some($x.tags))
    };
}

/// Creates a project.
pub(crate) async fn create(cb: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    let x = parts(p)?;
    let create = cb
        .create_project()
        .name(&r.physical_name)
        .set_description(str_prop(p, "Description").map(str::to_owned));
    project_settings!(create, p, x)
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Brings a project to `r`: every setting the model has, and for each optional one it no
/// longer has, AWS's "remove" form ([`DEFAULT_TIMEOUT`]): an empty description, an empty
/// `VpcConfig` (aws-cloudformation/cloudformation-coverage-roadmap#445), the default key
/// `default_key` (the ARN of `alias/aws/s3` in this account and region), the default timeouts,
/// `NO_CACHE` and CloudWatch logs enabled with no group or stream.
pub(crate) async fn update(
    cb: &Client,
    r: &Resource,
    fields: &[FieldChange],
    default_key: &str,
) -> Result<(), ProviderError> {
    if fields.is_empty() {
        return Ok(());
    }
    let p = &r.properties;
    let mut x = parts(p)?;
    let removed = |name: &str| p.get(name).is_none() && touched(fields, name);
    if removed("VpcConfig") {
        x.vpc = Some(VpcConfig::builder().build());
    }
    if removed("LogsConfig") {
        x.logs = Some(
            LogsConfig::builder()
                .cloud_watch_logs(
                    CloudWatchLogsConfig::builder()
                        .status(LogsConfigStatusType::Enabled)
                        .build()
                        .map_err(build_error)?,
                )
                .build(),
        );
    }
    let update = cb
        .update_project()
        .name(&r.physical_name)
        .description(str_prop(p, "Description").unwrap_or_default());
    project_settings!(update, p, x)
        .set_encryption_key(
            removed("EncryptionKey")
                .then(|| default_key.to_owned())
                .or_else(|| str_prop(p, "EncryptionKey").map(str::to_owned)),
        )
        .set_timeout_in_minutes(
            int_at(p, "/TimeoutInMinutes")
                .or_else(|| removed("TimeoutInMinutes").then_some(DEFAULT_TIMEOUT)),
        )
        .set_queued_timeout_in_minutes(
            int_at(p, "/QueuedTimeoutInMinutes")
                .or_else(|| removed("QueuedTimeoutInMinutes").then_some(DEFAULT_QUEUED_TIMEOUT)),
        )
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Deletes a project; gone already is success.
pub(crate) async fn delete(cb: &Client, name: &str) -> Result<(), ProviderError> {
    match cb.delete_project().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::Project`.
    Projects {
        read(p, name) {
            Box::pin(read(&p.clients.codebuild, name))
        }
        create(p, r) {
            Box::pin(create(&p.clients.codebuild, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let key = render_arn(
                    p.partition(),
                    "kms",
                    ArnScope::Regional,
                    p.region(),
                    p.account(),
                    "alias/aws/s3",
                );
                update(&p.clients.codebuild, r, fields, &key).await
            })
        }
        delete(p, name) {
            Box::pin(delete(&p.clients.codebuild, name))
        }
        read_ahead(p, names) {
            Box::pin(read_ahead(&p.clients.codebuild, names))
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_round_trips_through_the_sdk_types() {
        let want = json!({
            "Name": "shop-build",
            "Description": "Builds the shop",
            "ServiceRole": "arn:aws:iam::123456789012:role/shop-build-shop-build",
            "Source": {"Type": "CODEPIPELINE", "BuildSpec": "version: 0.2\n"},
            "Artifacts": {"Type": "CODEPIPELINE"},
            "Environment": {
                "Type": "LINUX_CONTAINER", "Image": "aws/codebuild/standard:7.0",
                "ComputeType": "BUILD_GENERAL1_MEDIUM", "PrivilegedMode": false,
                "EnvironmentVariables": [{"Name": "A", "Type": "PLAINTEXT", "Value": "1"}],
            },
            "TimeoutInMinutes": 30,
            "Cache": {"Type": "LOCAL", "Modes": ["LOCAL_SOURCE_CACHE"]},
            "LogsConfig": {"CloudWatchLogs": {"Status": "ENABLED", "GroupName": "/aws/codebuild/shop-build"}},
            "Tags": [{"Key": "pipewright:app", "Value": "shop"}],
        });
        let x = parts(&want).unwrap();
        let project = Project::builder()
            .name("shop-build")
            .description("Builds the shop")
            .service_role("arn:aws:iam::123456789012:role/shop-build-shop-build")
            .source(x.source)
            .artifacts(x.artifacts)
            .environment(x.environment)
            .cache(x.cache)
            .set_logs_config(x.logs)
            .timeout_in_minutes(30)
            .queued_timeout_in_minutes(480)
            .encryption_key("arn:aws:kms:eu-west-1:123456789012:alias/aws/s3")
            .set_tags(Some(x.tags))
            .build();
        // AWS's default queued timeout and key read as none: what removing them sends back.
        assert_eq!(properties(&project), want);
    }
}
