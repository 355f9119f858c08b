//! CodeBuild report groups as the provider makes them: `CreateReportGroup` (name, type, export
//! and tags checked as AWS checks them), `BatchGetReportGroups`, `UpdateReportGroup` (export and
//! the whole tag list) and `DeleteReportGroup` with `deleteReports`, with AWS's error codes.

use aws_sdk_codebuild::types::{
    ReportExportConfig, ReportExportConfigType, ReportPackagingType, ReportType,
    S3ReportExportConfig, Tag,
};

use crate::harness::{clients, code, unique};

fn no_export() -> ReportExportConfig {
    ReportExportConfig::builder()
        .export_config_type(ReportExportConfigType::NoExport)
        .build()
}

#[tokio::test]
async fn report_groups_are_checked_as_aws_checks_them() {
    let c = clients().await;
    let cb = &c.codebuild;
    let name = unique("rg-contract");
    let arn = format!(
        "arn:aws:codebuild:{}:000000000000:report-group/{name}",
        c.region()
    );
    let create = || {
        cb.create_report_group()
            .r#type(ReportType::CodeCoverage)
            .export_config(no_export())
    };

    // Names, packaging and tags outside the service model's limits.
    for bad in ["x", "has space", &"n".repeat(129)] {
        assert_eq!(
            code(create().name(bad).send().await),
            "InvalidInputException",
            "{bad}"
        );
    }
    let zip_to = |packaging: &str| {
        ReportExportConfig::builder()
            .export_config_type(ReportExportConfigType::S3)
            .s3_destination(
                S3ReportExportConfig::builder()
                    .bucket("some-bucket")
                    .packaging(ReportPackagingType::from(packaging))
                    .build(),
            )
            .build()
    };
    assert_eq!(
        code(
            create()
                .name(&name)
                .export_config(zip_to("TAR"))
                .send()
                .await
        ),
        "InvalidInputException"
    );
    let too_many: Vec<Tag> = (0..51)
        .map(|i| Tag::builder().key(format!("k{i}")).value("v").build())
        .collect();
    assert_eq!(
        code(create().name(&name).set_tags(Some(too_many)).send().await),
        "InvalidInputException"
    );
    assert_eq!(
        code(
            create()
                .name(&name)
                .tags(Tag::builder().key("k".repeat(128)).value("v").build())
                .send()
                .await
        ),
        "InvalidInputException"
    );
    assert_eq!(
        code(cb.update_report_group().arn(&arn).send().await),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(cb.delete_report_group().arn(&arn).send().await),
        "InvalidInputException",
        "DeleteReportGroup has no not-found error"
    );

    // Created with an export to S3, zipped: read back as made.
    create()
        .name(&name)
        .export_config(zip_to("ZIP"))
        .tags(Tag::builder().key("pipewright:app").value("x").build())
        .send()
        .await
        .expect("create");
    let read = cb
        .batch_get_report_groups()
        .report_group_arns(&arn)
        .send()
        .await
        .expect("batch get");
    let g = &read.report_groups()[0];
    assert_eq!(g.name(), Some(name.as_str()));
    assert_eq!(g.r#type(), Some(&ReportType::CodeCoverage));
    let s3 = g
        .export_config()
        .and_then(|e| e.s3_destination())
        .expect("an S3 destination");
    assert_eq!(
        (s3.bucket(), s3.packaging()),
        (Some("some-bucket"), Some(&ReportPackagingType::Zip))
    );

    // UpdateReportGroup: the export changes, and the tags sent replace the whole list.
    let updated = cb
        .update_report_group()
        .arn(&arn)
        .export_config(no_export())
        .tags(Tag::builder().key("pipewright:id").value("G").build())
        .send()
        .await
        .expect("update");
    let g = updated.report_group().expect("the group");
    assert_eq!(
        g.export_config().and_then(|e| e.export_config_type()),
        Some(&ReportExportConfigType::NoExport)
    );
    let keys: Vec<_> = g.tags().iter().filter_map(|t| t.key()).collect();
    assert_eq!(keys, ["pipewright:id"]);

    // Deleted with its reports (none here): gone, and reported as not found.
    cb.delete_report_group()
        .arn(&arn)
        .delete_reports(true)
        .send()
        .await
        .expect("delete");
    let gone = cb
        .batch_get_report_groups()
        .report_group_arns(&arn)
        .send()
        .await
        .expect("batch get");
    assert!(gone.report_groups().is_empty());
    assert_eq!(gone.report_groups_not_found(), [arn.as_str()]);
}
