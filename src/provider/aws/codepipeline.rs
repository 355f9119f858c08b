//! CodePipeline pipelines with their stages, variables, disabled transitions and tags
//! (`AWS::CodePipeline::Pipeline`).

use super::dispatch::{Ahead, kind_api};
use std::collections::HashMap;

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    EncryptionKey, EncryptionKeyType, ExecutionMode, InputArtifact, OutputArtifact,
    PipelineDeclaration, PipelineType, PipelineVariableDeclaration, StageDeclaration,
    StageTransitionType, Tag,
};
use serde_json::{Map, Value, json};

use super::common::{
    MAX_TAG_PAGES, TagPairs, absent, all_pages, build_error, gone, sdk_error, send_tag_delta,
    str_prop, tag_delta, tags_of, tags_value,
};
use crate::model::ResourceKind;
use crate::provider::api::{FieldChange, Observed, ProviderError, Resource};

fn artifacts<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Value> {
    names.map(|n| json!({"Name": n})).collect()
}

/// The declaration of a pipeline in the shape synthesis writes (configuration values as AWS
/// keeps them, text; the engine compares them as text).
fn properties(d: &PipelineDeclaration) -> Value {
    let mut p = Map::new();
    p.insert("Name".into(), json!(d.name()));
    p.insert("RoleArn".into(), json!(d.role_arn()));
    if let Some(t) = d.pipeline_type() {
        p.insert("PipelineType".into(), json!(t.as_str()));
    }
    if let Some(m) = d.execution_mode() {
        p.insert("ExecutionMode".into(), json!(m.as_str()));
    }
    if let Some(s) = d.artifact_store() {
        let mut store = Map::new();
        store.insert("Type".into(), json!(s.r#type().as_str()));
        store.insert("Location".into(), json!(s.location()));
        if let Some(k) = s.encryption_key() {
            store.insert(
                "EncryptionKey".into(),
                json!({"Id": k.id(), "Type": k.r#type().as_str()}),
            );
        }
        p.insert("ArtifactStore".into(), Value::Object(store));
    }
    let stages: Vec<Value> = d
        .stages()
        .iter()
        .map(|s| {
            let actions: Vec<Value> = s
                .actions()
                .iter()
                .map(|a| {
                    let mut m = Map::new();
                    m.insert("Name".into(), json!(a.name()));
                    if let Some(t) = a.action_type_id() {
                        m.insert(
                            "ActionTypeId".into(),
                            json!({
                                "Category": t.category().as_str(),
                                "Owner": t.owner().as_str(),
                                "Provider": t.provider(),
                                "Version": t.version(),
                            }),
                        );
                    }
                    m.insert("RunOrder".into(), json!(a.run_order().unwrap_or(1)));
                    let config: Map<String, Value> = a
                        .configuration()
                        .map(|c| c.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
                        .unwrap_or_default();
                    m.insert("Configuration".into(), Value::Object(config));
                    let inputs = artifacts(a.input_artifacts().iter().map(InputArtifact::name));
                    if !inputs.is_empty() {
                        m.insert("InputArtifacts".into(), Value::Array(inputs));
                    }
                    let outputs = artifacts(a.output_artifacts().iter().map(OutputArtifact::name));
                    if !outputs.is_empty() {
                        m.insert("OutputArtifacts".into(), Value::Array(outputs));
                    }
                    if let Some(n) = a.namespace() {
                        m.insert("Namespace".into(), json!(n));
                    }
                    Value::Object(m)
                })
                .collect();
            json!({"Name": s.name(), "Actions": actions})
        })
        .collect();
    p.insert("Stages".into(), Value::Array(stages));
    let variables: Vec<Value> = d
        .variables()
        .iter()
        .map(|v| {
            let mut m = Map::new();
            m.insert("Name".into(), json!(v.name()));
            if let Some(x) = v.default_value() {
                m.insert("DefaultValue".into(), json!(x));
            }
            if let Some(x) = v.description() {
                m.insert("Description".into(), json!(x));
            }
            Value::Object(m)
        })
        .collect();
    if !variables.is_empty() {
        p.insert("Variables".into(), Value::Array(variables));
    }
    Value::Object(p)
}

/// The most pages of `ListPipelines` read to learn which pipelines exist.
const MAX_LIST_PAGES: usize = 1000;

/// Which of these pipelines exist (`ListPipelines`, every page of up to 1000): an absent one is
/// answered, one that exists is read on its own (its declaration and state have no batch call).
async fn read_ahead(cp: &Client, names: &[String]) -> Result<Ahead, ProviderError> {
    let listed = all_pages("pipelines", MAX_LIST_PAGES, |token| async move {
        let page = cp
            .list_pipelines()
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        let names: Vec<String> = page
            .pipelines()
            .iter()
            .filter_map(|p| p.name().map(str::to_owned))
            .collect();
        Ok((names, page.next_token().map(str::to_owned)))
    })
    .await?;
    let listed: std::collections::BTreeSet<String> = listed.into_iter().collect();
    Ok(names
        .iter()
        .filter(|n| !listed.contains(*n))
        .map(|n| (n.clone(), None))
        .collect())
}

/// Reads a pipeline, its disabled transitions and its tags; `None` when it does not exist.
/// `arn` is the pipeline's ARN, which the tagging call needs.
pub(crate) async fn read(
    cp: &Client,
    name: &str,
    arn: &str,
    known_tags: Option<TagPairs>,
) -> Result<Option<Observed>, ProviderError> {
    let out = match cp.get_pipeline().name(name).send().await {
        Ok(out) => out,
        Err(e) => return absent(sdk_error(e)),
    };
    let Some(decl) = out.pipeline() else {
        return Ok(None);
    };
    let mut p = properties(decl);
    let state = cp
        .get_pipeline_state()
        .name(name)
        .send()
        .await
        .map_err(sdk_error)?;
    let disabled: Vec<Value> = state
        .stage_states()
        .iter()
        .filter_map(|s| {
            let t = s.inbound_transition_state()?;
            (!t.enabled()).then(|| {
                json!({"StageName": s.stage_name(), "Reason": t.disabled_reason().unwrap_or_default()})
            })
        })
        .collect();
    if !disabled.is_empty() {
        p["DisableInboundStageTransitions"] = Value::Array(disabled);
    }
    if let Some(tags) = known_tags {
        p["Tags"] = tags_value(tags);
        return Ok(Some(Observed::new(p)));
    }
    // The answer comes in pages (`nextToken`), each followed.
    let tags = all_pages("tags", MAX_TAG_PAGES, |token| async move {
        let page = cp
            .list_tags_for_resource()
            .resource_arn(arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)?;
        let tags: TagPairs = page
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        Ok((tags, page.next_token().map(str::to_owned)))
    })
    .await?;
    p["Tags"] = tags_value(tags);
    Ok(Some(Observed::new(p)))
}

/// Text of a configuration value: CodePipeline keeps every value as a string.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x["Name"].as_str()).collect())
        .unwrap_or_default()
}

/// The pipeline's declaration as the SDK wants it.
fn declaration(name: &str, p: &Value) -> Result<PipelineDeclaration, ProviderError> {
    let store = &p["ArtifactStore"];
    let key = store
        .get("EncryptionKey")
        .map(|k| {
            EncryptionKey::builder()
                .id(k["Id"].as_str().unwrap_or_default())
                .r#type(EncryptionKeyType::from(k["Type"].as_str().unwrap_or("KMS")))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let artifact_store = ArtifactStore::builder()
        .r#type(ArtifactStoreType::from(
            store["Type"].as_str().unwrap_or("S3"),
        ))
        .location(store["Location"].as_str().unwrap_or_default())
        .set_encryption_key(key)
        .build()
        .map_err(build_error)?;
    let mut stages = Vec::new();
    for s in p["Stages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let mut actions = Vec::new();
        for a in s["Actions"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let t = &a["ActionTypeId"];
            let type_id = ActionTypeId::builder()
                .category(ActionCategory::from(
                    t["Category"].as_str().unwrap_or_default(),
                ))
                .owner(ActionOwner::from(t["Owner"].as_str().unwrap_or_default()))
                .provider(t["Provider"].as_str().unwrap_or_default())
                .version(t["Version"].as_str().unwrap_or_default())
                .build()
                .map_err(build_error)?;
            let config: HashMap<String, String> = a["Configuration"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                .unwrap_or_default();
            let inputs = names(&a["InputArtifacts"])
                .into_iter()
                .map(|n| {
                    InputArtifact::builder()
                        .name(n)
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let outputs = names(&a["OutputArtifacts"])
                .into_iter()
                .map(|n| {
                    OutputArtifact::builder()
                        .name(n)
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            actions.push(
                ActionDeclaration::builder()
                    .name(a["Name"].as_str().unwrap_or_default())
                    .action_type_id(type_id)
                    .set_run_order(a["RunOrder"].as_i64().and_then(|n| i32::try_from(n).ok()))
                    .set_configuration((!config.is_empty()).then_some(config))
                    .set_input_artifacts(Some(inputs))
                    .set_output_artifacts(Some(outputs))
                    .set_namespace(a["Namespace"].as_str().map(str::to_owned))
                    .build()
                    .map_err(build_error)?,
            );
        }
        stages.push(
            StageDeclaration::builder()
                .name(s["Name"].as_str().unwrap_or_default())
                .set_actions(Some(actions))
                .build()
                .map_err(build_error)?,
        );
    }
    let variables = p
        .get("Variables")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .map(|v| {
                    PipelineVariableDeclaration::builder()
                        .name(v["Name"].as_str().unwrap_or_default())
                        .set_default_value(v["DefaultValue"].as_str().map(str::to_owned))
                        .set_description(v["Description"].as_str().map(str::to_owned))
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(str_prop(p, "RoleArn").unwrap_or_default())
        .artifact_store(artifact_store)
        .set_stages(Some(stages))
        .set_pipeline_type(str_prop(p, "PipelineType").map(PipelineType::from))
        .set_execution_mode(str_prop(p, "ExecutionMode").map(ExecutionMode::from))
        .set_variables(variables)
        .build()
        .map_err(build_error)
}

fn tags(pairs: Vec<(String, String)>) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
        .collect()
}

/// (stage, reason) of every inbound transition the model disables.
fn disabled(p: &Value) -> Vec<(String, String)> {
    p.get("DisableInboundStageTransitions")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t["StageName"].as_str().unwrap_or_default().to_owned(),
                        t["Reason"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn disable(cp: &Client, name: &str, stage: &str, reason: &str) -> Result<(), ProviderError> {
    cp.disable_stage_transition()
        .pipeline_name(name)
        .stage_name(stage)
        .transition_type(StageTransitionType::Inbound)
        .reason(reason)
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Creates a pipeline with its tags, then disables the transitions the model disables.
pub(crate) async fn create(cp: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    cp.create_pipeline()
        .pipeline(declaration(&r.physical_name, p)?)
        .set_tags(Some(tags(tags_of(p))?))
        .send()
        .await
        .map_err(sdk_error)?;
    for (stage, reason) in disabled(p) {
        disable(cp, &r.physical_name, &stage, &reason).await?;
    }
    Ok(())
}

/// Replaces the declaration when any of it changed, syncs disabled transitions and tags.
pub(crate) async fn update(
    cp: &Client,
    r: &Resource,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let (name, p) = (r.physical_name.as_str(), &r.properties);
    let transitions = "/DisableInboundStageTransitions";
    let declared = fields
        .iter()
        .any(|f| f.path != "/Tags" && !f.path.starts_with(transitions));
    if declared {
        cp.update_pipeline()
            .pipeline(declaration(name, p)?)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if let Some(f) = fields.iter().find(|f| f.path.starts_with(transitions)) {
        let old = disabled(
            &json!({"DisableInboundStageTransitions": f.old.clone().unwrap_or(Value::Null)}),
        );
        let new = disabled(p);
        for (stage, _) in old.iter().filter(|(s, _)| !new.iter().any(|(n, _)| n == s)) {
            cp.enable_stage_transition()
                .pipeline_name(name)
                .stage_name(stage)
                .transition_type(StageTransitionType::Inbound)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        for (stage, reason) in &new {
            disable(cp, name, stage, reason).await?;
        }
    }
    if let Some((set, remove)) = tag_delta(fields) {
        send_tag_delta!(cp, arn, tags(set)?, remove);
    }
    Ok(())
}

/// Deletes a pipeline; gone already is success.
pub(crate) async fn delete(cp: &Client, name: &str) -> Result<(), ProviderError> {
    match cp.delete_pipeline().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) => gone(sdk_error(e)),
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::Pipeline`.
    Pipelines {
        read(p, name) {
            Box::pin(async move {
                let arn = p.arn(ResourceKind::Pipeline, name);
                let tags = p.listed(ResourceKind::Pipeline, name);
                read(&p.clients.codepipeline, name, &arn, tags).await
            })
        }
        create(p, r) {
            Box::pin(create(&p.clients.codepipeline, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update(&p.clients.codepipeline, r, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(delete(&p.clients.codepipeline, name))
        }
        read_ahead(p, names) {
            Box::pin(read_ahead(&p.clients.codepipeline, names))
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declaration_round_trips_through_the_sdk_types() {
        let want = json!({
            "Name": "shop",
            "RoleArn": "arn:aws:iam::123456789012:role/shop-pipeline-shop",
            "PipelineType": "V2",
            "ExecutionMode": "QUEUED",
            "ArtifactStore": {"Type": "S3", "Location": "shop-artifacts-0001"},
            "Stages": [
                {"Name": "Source", "Actions": [{
                    "Name": "Checkout",
                    "ActionTypeId": {"Category": "Source", "Owner": "AWS", "Provider": "CodeCommit", "Version": "1"},
                    "RunOrder": 1,
                    "Configuration": {"BranchName": "main", "PollForSourceChanges": "false", "RepositoryName": "shop-api"},
                    "OutputArtifacts": [{"Name": "Source"}],
                }]},
                {"Name": "Build", "Actions": [{
                    "Name": "Build",
                    "ActionTypeId": {"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
                    "RunOrder": 1,
                    "Configuration": {"ProjectName": "shop-build"},
                    "InputArtifacts": [{"Name": "Source"}],
                    "Namespace": "BuildVariables",
                }]},
            ],
            "Variables": [{"Name": "Env", "DefaultValue": "prod"}],
        });
        let mut desired = want.clone();
        desired["Stages"][0]["Actions"][0]["Configuration"]["PollForSourceChanges"] = json!(false);
        let d = declaration("shop", &desired).unwrap();
        assert_eq!(properties(&d), want);
        assert_eq!(
            disabled(
                &json!({"DisableInboundStageTransitions": [{"StageName": "Deploy", "Reason": "freeze"}]})
            ),
            [("Deploy".to_owned(), "freeze".to_owned())]
        );
    }
}
