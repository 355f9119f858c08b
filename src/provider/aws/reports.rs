//! CodeBuild report groups (`AWS::CodeBuild::ReportGroup`): the groups a project's test and
//! coverage reports go to, with their export configuration and tags.
//!
//! CodeBuild API Reference: `CreateReportGroup`, `BatchGetReportGroups`, `UpdateReportGroup`
//! (whose `tags` replace the group's whole list) and `DeleteReportGroup` (with `deleteReports`,
//! the provider's equivalent of CloudFormation's `DeleteReports: true`).

use super::AwsProvider;
use super::dispatch::{Ahead, kind_api, per_call};
use crate::model::ResourceKind;

use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{
    ReportExportConfig, ReportExportConfigType, ReportGroup, ReportPackagingType, ReportType,
    S3ReportExportConfig, Tag,
};
use serde_json::{Map, Value, json};

use super::common::{build_error, gone, sdk_error, str_prop, tags_of, tags_value, touched};
use crate::provider::api::{FieldChange, Observed, ProviderError, Resource};

/// Reads the group of this ARN; `None` when it does not exist. `DeleteReports` is not kept by
/// CodeBuild: it says how this provider deletes a group, always with its reports, and is read
/// as that.
pub(crate) async fn read(cb: &Client, arn: &str) -> Result<Option<Observed>, ProviderError> {
    let out = cb
        .batch_get_report_groups()
        .report_group_arns(arn)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .report_groups()
        .iter()
        .find(|g| g.arn() == Some(arn))
        .and_then(observed))
}

/// Reads many groups with `BatchGetReportGroups`, up to the kind table's batch size a call:
/// each name is answered, one the call does not return being absent ("reportGroupsNotFound").
async fn read_ahead(p: &AwsProvider, names: &[String]) -> Result<Ahead, ProviderError> {
    let mut out = Vec::with_capacity(names.len());
    for chunk in names.chunks(per_call(ResourceKind::ReportGroup)) {
        let arns: Vec<String> = chunk
            .iter()
            .map(|n| p.arn(ResourceKind::ReportGroup, n))
            .collect();
        let got = p
            .clients
            .codebuild
            .batch_get_report_groups()
            .set_report_group_arns(Some(arns.clone()))
            .send()
            .await
            .map_err(sdk_error)?;
        for (name, arn) in chunk.iter().zip(&arns) {
            let found = got
                .report_groups()
                .iter()
                .find(|g| g.arn() == Some(arn.as_str()));
            out.push((name.clone(), found.and_then(observed)));
        }
    }
    Ok(out)
}

/// A group as the engine compares it; `None` for one being deleted.
fn observed(g: &ReportGroup) -> Option<Observed> {
    if g.status().is_some_and(|s| s.as_str() == "DELETING") {
        return None;
    }
    let mut p = Map::new();
    p.insert("Name".into(), json!(g.name()));
    if let Some(t) = g.r#type() {
        p.insert("Type".into(), json!(t.as_str()));
    }
    p.insert("ExportConfig".into(), export_value(g.export_config()));
    p.insert("DeleteReports".into(), json!(true));
    p.insert(
        "Tags".into(),
        tags_value(
            g.tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())),
        ),
    );
    Some(Observed::new(Value::Object(p)))
}

/// The export configuration in the template's shape; what AWS reports for a setting the model
/// does not make (no bucket owner, encryption not disabled) is left out.
fn export_value(e: Option<&ReportExportConfig>) -> Value {
    let kind = e
        .and_then(ReportExportConfig::export_config_type)
        .map_or("NO_EXPORT", ReportExportConfigType::as_str);
    let mut out = Map::new();
    out.insert("ExportConfigType".into(), json!(kind));
    if let Some(s3) = e.and_then(ReportExportConfig::s3_destination) {
        let mut d = Map::new();
        if let Some(b) = s3.bucket() {
            d.insert("Bucket".into(), json!(b));
        }
        if let Some(o) = s3.bucket_owner().filter(|o| !o.is_empty()) {
            d.insert("BucketOwner".into(), json!(o));
        }
        if let Some(path) = s3.path().filter(|p| !p.is_empty()) {
            d.insert("Path".into(), json!(path));
        }
        // NONE is what a destination without packaging has.
        let packaging = s3.packaging().map_or("NONE", ReportPackagingType::as_str);
        d.insert("Packaging".into(), json!(packaging));
        if let Some(k) = s3.encryption_key().filter(|k| !k.is_empty()) {
            d.insert("EncryptionKey".into(), json!(k));
        }
        if s3.encryption_disabled() == Some(true) {
            d.insert("EncryptionDisabled".into(), json!(true));
        }
        if kind == "S3" {
            out.insert("S3Destination".into(), Value::Object(d));
        }
    }
    Value::Object(out)
}

/// The export configuration of the properties, for `CreateReportGroup` and `UpdateReportGroup`.
fn export_config(p: &Value) -> ReportExportConfig {
    let e = &p["ExportConfig"];
    let kind = e["ExportConfigType"].as_str().unwrap_or("NO_EXPORT");
    let s3 = e.get("S3Destination").filter(|_| kind == "S3").map(|d| {
        S3ReportExportConfig::builder()
            .set_bucket(d["Bucket"].as_str().map(str::to_owned))
            .set_path(d["Path"].as_str().map(str::to_owned))
            .set_packaging(d["Packaging"].as_str().map(ReportPackagingType::from))
            .set_encryption_key(d["EncryptionKey"].as_str().map(str::to_owned))
            .set_encryption_disabled(d["EncryptionDisabled"].as_bool())
            .build()
    });
    ReportExportConfig::builder()
        .export_config_type(ReportExportConfigType::from(kind))
        .set_s3_destination(s3)
        .build()
}

fn tags(p: &Value) -> Vec<Tag> {
    tags_of(p)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Creates the group with its type, export and tags.
pub(crate) async fn create(cb: &Client, r: &Resource) -> Result<(), ProviderError> {
    let p = &r.properties;
    let kind = str_prop(p, "Type").ok_or_else(|| build_error("a report group has a Type"))?;
    cb.create_report_group()
        .name(&r.physical_name)
        .r#type(ReportType::from(kind))
        .export_config(export_config(p))
        .set_tags(Some(tags(p)))
        .send()
        .await
        .map_err(sdk_error)
        .map(|_| ())
}

/// Changes the export and the tags (`UpdateReportGroup` replaces the whole tag list, so the
/// model's list is sent whole).
pub(crate) async fn update(
    cb: &Client,
    r: &Resource,
    arn: &str,
    fields: &[FieldChange],
) -> Result<(), ProviderError> {
    let p = &r.properties;
    let mut call = cb.update_report_group().arn(arn);
    if touched(fields, "ExportConfig") {
        call = call.export_config(export_config(p));
    }
    if touched(fields, "Tags") {
        call = call.set_tags(Some(tags(p)));
    }
    call.send().await.map_err(sdk_error).map(|_| ())
}

/// Deletes the group and its reports; gone already is success. `DeleteReportGroup` has no
/// not-found error: for a group that does not exist it answers `InvalidInputException`, so
/// the group is read first.
pub(crate) async fn delete(cb: &Client, arn: &str) -> Result<(), ProviderError> {
    if read(cb, arn).await?.is_none() {
        return Ok(());
    }
    match cb
        .delete_report_group()
        .arn(arn)
        .delete_reports(true)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = sdk_error(e);
            // DeleteReportGroup has no not-found error: a missing group is InvalidInputException.
            // A retry after a lost answer meets the group its first attempt deleted, so that
            // error is success when the group is gone.
            if e.code == "InvalidInputException" && read(cb, arn).await?.is_none() {
                return Ok(());
            }
            gone(e)
        }
    }
}

kind_api!(
    /// The [`KindApi`] of `ResourceKind::ReportGroup`.
    ReportGroups {
        read(p, name) {
            Box::pin(async move {
                let arn = p.arn(crate::model::ResourceKind::ReportGroup, name);
                read(&p.clients.codebuild, &arn).await
            })
        }
        create(p, r) {
            Box::pin(create(&p.clients.codebuild, r))
        }
        update(p, r, fields) {
            Box::pin(async move {
                let arn = p.arn(r.kind, &r.physical_name);
                update(&p.clients.codebuild, r, &arn, fields).await
            })
        }
        delete(p, name) {
            Box::pin(async move {
                let arn = p.arn(crate::model::ResourceKind::ReportGroup, name);
                delete(&p.clients.codebuild, &arn).await
            })
        }
        read_ahead(p, names) {
            Box::pin(read_ahead(p, names))
        }
    }
);
