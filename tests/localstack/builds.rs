//! Builds that really run in the emulator: a project's buildspec executed on the host, through the
//! Rust SDK. Phase rules (a failed `pre_build` skips `build`; a failed `build` still runs
//! `post_build` and uploads; `finally`; `on-failure: CONTINUE`), one shell for every command,
//! variables and their precedence, Parameter Store and Secrets Manager values, artifacts, reports,
//! logs while a build runs, stop without orphans, a malformed buildspec, and exported variables
//! reaching a later pipeline action.

use std::time::Duration;

use aws_sdk_codebuild::types::{
    ArtifactNamespace, ArtifactPackaging, ArtifactsType, Build, ComputeType, EnvironmentType,
    EnvironmentVariable, EnvironmentVariableType, ProjectArtifacts, ProjectEnvironment,
    ProjectSource, ReportExportConfig, ReportExportConfigType, ReportType, SourceType, StatusType,
    Tag,
};
use pipewright::provider::aws::Clients;

use crate::harness::{clients, code, delete_role, kms_key, role, sdk_config, unique};

struct Fixture {
    c: Clients,
    project: String,
    role_name: String,
    bucket: String,
}

fn variable(name: &str, value: &str, kind: EnvironmentVariableType) -> EnvironmentVariable {
    EnvironmentVariable::builder()
        .name(name)
        .value(value)
        .r#type(kind)
        .build()
        .expect("name and value set")
}

/// A project with no source (every buildspec given at StartBuild), uploading a ZIP to a bucket
/// when `uploads`, else with no artifacts.
async fn fixture(prefix: &str, variables: Vec<EnvironmentVariable>, uploads: bool) -> Fixture {
    let c = clients().await;
    let project = unique(prefix);
    let role_name = unique(&format!("{prefix}-role"));
    let role_arn = role(&c, &role_name, "codebuild.amazonaws.com").await;
    let bucket = unique(&format!("{prefix}-out"));
    c.s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    c.codebuild
        .create_project()
        .name(&project)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::NoSource)
                .buildspec("version: 0.2\nphases:\n  build:\n    commands:\n      - echo default\n")
                .build()
                .expect("type set"),
        )
        .artifacts(if uploads {
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::S3)
                .location(&bucket)
                .name("out.zip")
                .namespace_type(ArtifactNamespace::BuildId)
                .packaging(ArtifactPackaging::Zip)
                .build()
                .expect("type set")
        } else {
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::NoArtifacts)
                .build()
                .expect("type set")
        })
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .set_environment_variables(Some(variables))
                .build()
                .expect("type, image and compute set"),
        )
        .service_role(&role_arn)
        .send()
        .await
        .expect("create project");
    Fixture {
        c,
        project,
        role_name,
        bucket,
    }
}

impl Fixture {
    async fn start(&self, buildspec: &str, overrides: Vec<EnvironmentVariable>) -> String {
        self.c
            .codebuild
            .start_build()
            .project_name(&self.project)
            .buildspec_override(buildspec)
            .set_environment_variables_override(Some(overrides))
            .send()
            .await
            .expect("start build")
            .build_value
            .and_then(|b| b.id)
            .expect("a build id")
    }

    async fn get(&self, id: &str) -> Build {
        let got = self
            .c
            .codebuild
            .batch_get_builds()
            .ids(id)
            .send()
            .await
            .expect("batch get builds");
        got.builds().first().cloned().expect("the build is found")
    }

    /// The build once complete (60 s at most).
    async fn finished(&self, id: &str) -> Build {
        for _ in 0..600 {
            let build = self.get(id).await;
            if build.build_complete() {
                return build;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("build {id} still running after 60 s");
    }

    async fn run(&self, buildspec: &str) -> Build {
        let id = self.start(buildspec, vec![]).await;
        self.finished(&id).await
    }

    async fn log(&self, build: &Build) -> Vec<String> {
        let logs = build.logs().expect("the build names its logs");
        let events = self
            .c
            .logs
            .get_log_events()
            .log_group_name(logs.group_name().expect("a group"))
            .log_stream_name(logs.stream_name().expect("a stream"))
            .start_from_head(true)
            .send()
            .await;
        // The stream appears with the build's first lines: none yet is an empty log.
        let Ok(events) = events else {
            return Vec::new();
        };
        events
            .events()
            .iter()
            .filter_map(|e| e.message().map(str::to_owned))
            .collect()
    }

    async fn artifact(&self, build: &Build) -> Vec<u8> {
        let location = build
            .artifacts()
            .and_then(|a| a.location())
            .expect("an artifact location");
        let key = location
            .strip_prefix(&format!("arn:aws:s3:::{}/", self.bucket))
            .expect("in the project's bucket");
        self.c
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .expect("get artifact")
            .body
            .collect()
            .await
            .expect("read")
            .into_bytes()
            .to_vec()
    }

    async fn cleanup(&self) {
        self.c
            .codebuild
            .delete_project()
            .name(&self.project)
            .send()
            .await
            .expect("delete project");
        delete_role(&self.c, &self.role_name).await;
    }
}

/// (phase, status) in order; a phase still running has no status.
fn phases(build: &Build) -> Vec<(String, String)> {
    build
        .phases()
        .iter()
        .map(|p| {
            (
                p.phase_type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                p.phase_status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn phase<'a>(build: &'a Build, name: &str) -> &'a aws_sdk_codebuild::types::BuildPhase {
    build
        .phases()
        .iter()
        .find(|p| p.phase_type().map(|t| t.as_str()) == Some(name))
        .unwrap_or_else(|| panic!("no phase {name}: {:?}", phases(build)))
}

fn context(build: &Build, name: &str) -> (String, String) {
    let found = phase(build, name)
        .contexts()
        .first()
        .cloned()
        .expect("a context");
    (
        found.status_code().unwrap_or_default().to_owned(),
        found.message().unwrap_or_default().to_owned(),
    )
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The names inside a ZIP, read with the host's python (the test tier has no ZIP crate).
fn zip_names(body: &[u8]) -> Vec<String> {
    let path = std::env::temp_dir().join(format!("{}.zip", unique("artifact")));
    std::fs::write(&path, body).expect("write zip");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print('\\n'.join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))",
        ])
        .arg(&path)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_file(&path);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn one_shell_variables_with_precedence_artifacts_exports_and_logs() {
    let f = fixture(
        "bld-env",
        vec![
            variable(
                "FROM_PROJECT",
                "project",
                EnvironmentVariableType::Plaintext,
            ),
            variable("BOTH", "project", EnvironmentVariableType::Plaintext),
        ],
        true,
    )
    .await;
    let id = f
        .start(
            r#"version: 0.2
env:
  variables:
    FROM_SPEC: spec
    FROM_PROJECT: spec
    BOTH: spec
  exported-variables: [VERSION, WHERE]
phases:
  install:
    commands:
      - mkdir -p out/lib out/tmp && cd out
      - export VERSION=1.2.3
  build:
    commands:
      - WHERE=$(basename "$(pwd)")
      - echo "vars $FROM_SPEC $FROM_PROJECT $BOTH"
      - echo "aws $AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY $AWS_REGION ${AWS_ENDPOINT_URL:+endpoint}"
      - echo "id $CODEBUILD_BUILD_ID number $CODEBUILD_BUILD_NUMBER succeeding $CODEBUILD_BUILD_SUCCEEDING"
      - echo app > app && echo lib > lib/x.so && echo tmp > tmp/y.tmp
      - echo oops >&2
artifacts:
  base-directory: out
  files: ['**/*']
  exclude-paths: ['tmp/**/*']
"#,
            vec![variable("BOTH", "start", EnvironmentVariableType::Plaintext)],
        )
        .await;
    assert!(id.starts_with(&format!("{}:", f.project)), "{id}");
    let build = f.finished(&id).await;
    assert_eq!(
        build.build_status(),
        Some(&StatusType::Succeeded),
        "{build:?}"
    );
    assert_eq!(
        build.arn(),
        Some(format!("arn:aws:codebuild:us-east-1:000000000000:build/{id}").as_str())
    );
    assert_eq!(
        phases(&build)
            .into_iter()
            .map(|(p, _)| p)
            .collect::<Vec<_>>(),
        names(&[
            "SUBMITTED",
            "QUEUED",
            "PROVISIONING",
            "DOWNLOAD_SOURCE",
            "INSTALL",
            "PRE_BUILD",
            "BUILD",
            "POST_BUILD",
            "UPLOAD_ARTIFACTS",
            "FINALIZING",
            "COMPLETED",
        ])
    );
    let exported: Vec<(String, String)> = build
        .exported_environment_variables()
        .iter()
        .map(|v| {
            (
                v.name().unwrap_or_default().to_owned(),
                v.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        exported,
        vec![
            ("VERSION".to_owned(), "1.2.3".to_owned()),
            ("WHERE".to_owned(), "out".to_owned())
        ]
    );
    let logs = build.logs().expect("logs");
    assert_eq!(
        logs.group_name(),
        Some(format!("/aws/codebuild/{}", f.project).as_str())
    );
    assert_eq!(logs.stream_name(), id.split_once(':').map(|(_, u)| u));
    assert!(logs.deep_link().is_some_and(|l| l.contains("logEvent")));
    let lines = f.log(&build).await;
    for wanted in [
        "vars spec project start",
        "aws 000000000000 test us-east-1 endpoint",
        &format!("id {id} number 1 succeeding 1"),
        "oops",
    ] {
        assert!(
            lines.iter().any(|l| l == wanted),
            "{wanted:?} in {lines:#?}"
        );
    }
    assert_eq!(
        zip_names(&f.artifact(&build).await),
        names(&["app", "lib/x.so"])
    );
    // A second build numbers on.
    let second = f
        .run("version: 0.2\nphases:\n  build:\n    commands: [echo two]\n")
        .await;
    assert_eq!(second.build_number(), Some(2));
    let listed =
        f.c.codebuild
            .list_builds_for_project()
            .project_name(&f.project)
            .send()
            .await
            .expect("list builds");
    assert_eq!(
        listed.ids(),
        [second.id().unwrap_or_default(), id.as_str()],
        "newest first"
    );
    f.cleanup().await;
}

#[tokio::test]
async fn phase_rules_after_a_failure() {
    let f = fixture("bld-phase", vec![], true).await;
    // Started at once: they run side by side.
    let pre = f
        .start(
            r#"version: 0.2
phases:
  pre_build:
    commands: [echo pre, "false", echo never]
    finally: [echo cleanup]
  build:
    commands: [echo built]
artifacts:
  files: ['*']
"#,
            vec![],
        )
        .await;
    let build = f
        .start(
            r#"version: 0.2
phases:
  build:
    commands: [echo out > out.txt, exit 3]
  post_build:
    commands: ['echo "post $CODEBUILD_BUILD_SUCCEEDING"']
artifacts:
  files: [out.txt]
"#,
            vec![],
        )
        .await;
    let cont = f
        .start(
            r#"version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands: ["false"]
  build:
    commands: ['echo "build $CODEBUILD_BUILD_SUCCEEDING"']
artifacts:
  files: [nothing-matches]
"#,
            vec![],
        )
        .await;

    let pre = f.finished(&pre).await;
    assert_eq!(pre.build_status(), Some(&StatusType::Failed));
    assert_eq!(
        phases(&pre).into_iter().map(|(p, _)| p).collect::<Vec<_>>(),
        names(&[
            "SUBMITTED",
            "QUEUED",
            "PROVISIONING",
            "DOWNLOAD_SOURCE",
            "INSTALL",
            "PRE_BUILD",
            "FINALIZING",
            "COMPLETED"
        ]),
        "a failed pre_build skips build, post_build and the upload"
    );
    assert_eq!(
        context(&pre, "PRE_BUILD"),
        (
            "COMMAND_EXECUTION_ERROR".to_owned(),
            "Error while executing command: false. Reason: exit status 1".to_owned()
        )
    );
    let lines = f.log(&pre).await;
    assert!(
        lines.iter().any(|l| l == "cleanup"),
        "finally ran: {lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l == "never" || l == "built"),
        "{lines:#?}"
    );

    let build = f.finished(&build).await;
    assert_eq!(build.build_status(), Some(&StatusType::Failed));
    let statuses = phases(&build);
    assert!(
        statuses.contains(&("BUILD".into(), "FAILED".into())),
        "{statuses:?}"
    );
    assert!(statuses.contains(&("POST_BUILD".into(), "SUCCEEDED".into())));
    assert!(statuses.contains(&("UPLOAD_ARTIFACTS".into(), "SUCCEEDED".into())));
    assert!(f.log(&build).await.iter().any(|l| l == "post 0"));
    assert_eq!(zip_names(&f.artifact(&build).await), names(&["out.txt"]));

    let cont = f.finished(&cont).await;
    assert_eq!(cont.build_status(), Some(&StatusType::Failed));
    assert!(f.log(&cont).await.iter().any(|l| l == "build 0"));
    assert_eq!(
        context(&cont, "UPLOAD_ARTIFACTS"),
        (
            "CLIENT_ERROR".to_owned(),
            "no matching artifact paths found".to_owned()
        )
    );
    f.cleanup().await;
}

#[tokio::test]
async fn a_malformed_buildspec_fails_download_source() {
    let f = fixture("bld-yaml", vec![], false).await;
    let build = f
        .run("version: 0.2\nphases:\n  build:\n    commands:\n  - [unclosed\n")
        .await;
    assert_eq!(build.build_status(), Some(&StatusType::Failed));
    let (code_, message) = context(&build, "DOWNLOAD_SOURCE");
    assert_eq!(code_, "YAML_FILE_ERROR");
    assert!(message.contains("line"), "{message}");
    assert!(!phases(&build).iter().any(|(p, _)| p == "INSTALL"));
    let unknown = f
        .run("version: 0.2\nphases:\n  compile:\n    commands: [make]\n")
        .await;
    assert!(context(&unknown, "DOWNLOAD_SOURCE").1.contains("compile"));
    f.cleanup().await;
}

#[tokio::test]
async fn parameter_store_and_secrets_manager_values_and_a_missing_one() {
    let config = sdk_config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let parameter = format!("/{}/token", unique("bld-param"));
    let secret = unique("bld-secret");
    ssm.put_parameter()
        .name(&parameter)
        .value("from-ssm")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("put parameter");
    secrets
        .create_secret()
        .name(&secret)
        .secret_string(r#"{"password":"from-secrets"}"#)
        .send()
        .await
        .expect("create secret");
    let f = fixture(
        "bld-vars",
        vec![variable(
            "PROJECT_TOKEN",
            &parameter,
            EnvironmentVariableType::ParameterStore,
        )],
        false,
    )
    .await;
    let build = f
        .run(&format!(
            "version: 0.2\nenv:\n  secrets-manager:\n    PASSWORD: {secret}:password\n\
             phases:\n  build:\n    commands:\n      - echo \"got $PROJECT_TOKEN $PASSWORD\"\n\
             \x20     - test \"$PROJECT_TOKEN $PASSWORD\" = \"from-ssm from-secrets\" && echo arrived\n"
        ))
        .await;
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded));
    // The values reach the build; its log masks them, as CodeBuild's does.
    let log = f.log(&build).await;
    assert!(log.iter().any(|l| l == "arrived"), "{log:?}");
    assert!(log.iter().any(|l| l == "got *** ***"), "{log:?}");

    let missing = f
        .run("version: 0.2\nenv:\n  parameter-store:\n    GONE: /pipewright/no/such/parameter\nphases:\n  build:\n    commands: [echo never]\n")
        .await;
    assert_eq!(missing.build_status(), Some(&StatusType::Failed));
    assert_eq!(
        context(&missing, "DOWNLOAD_SOURCE").1,
        "parameter does not exist: /pipewright/no/such/parameter"
    );
    secrets
        .delete_secret()
        .secret_id(&secret)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("delete secret");
    ssm.delete_parameter()
        .name(&parameter)
        .send()
        .await
        .expect("delete parameter");
    f.cleanup().await;
}

/// Whether a process whose command line holds `marker` runs on this host (the emulator's builds
/// run here).
fn running(marker: &str) -> bool {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(marker))
                .unwrap_or(false)
        })
}

#[tokio::test]
async fn logs_follow_a_running_build_and_stop_leaves_no_process() {
    let f = fixture("bld-stop", vec![], false).await;
    let marker = unique("sleeper");
    let id = f
        .start(
            &format!(
                "version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands:\n      \
                 - echo started\n      - (exec -a {marker} sleep 300) &\n      \
                 - exec -a {marker} sleep 300\n"
            ),
            vec![],
        )
        .await;
    // The log is readable while the build runs.
    let mut seen = false;
    for _ in 0..200 {
        let build = f.get(&id).await;
        if build.logs().is_some_and(|l| l.group_name().is_some())
            && f.log(&build).await.iter().any(|l| l == "started")
            && running(&marker)
        {
            assert_eq!(build.build_status(), Some(&StatusType::InProgress));
            assert_eq!(build.current_phase(), Some("BUILD"));
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the running build's log line and its processes");
    f.c.codebuild
        .stop_build()
        .id(&id)
        .send()
        .await
        .expect("stop build");
    let build = f.finished(&id).await;
    assert_eq!(build.build_status(), Some(&StatusType::Stopped));
    assert_eq!(
        phase(&build, "BUILD").phase_status().map(|s| s.as_str()),
        Some("STOPPED")
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!running(&marker), "every process of the build ended");
    assert_eq!(
        code(f.c.codebuild.stop_build().id("nope:123").send().await),
        "ResourceNotFoundException"
    );
    f.cleanup().await;
}

#[tokio::test]
async fn junit_and_cobertura_reports_reach_their_report_groups() {
    let f = fixture("bld-report", vec![], false).await;
    let junit = r#"<testsuites><testsuite name="shop"><testcase classname="shop" name="ok" time="0.5"/><testcase classname="shop" name="bad" time="0.25"><failure message="boom"/></testcase></testsuite></testsuites>"#;
    let cobertura = r#"<coverage><packages><package name="p"><classes><class name="a" filename="src/a.rs"><lines><line number="1" hits="1"/><line number="2" hits="0"/><line number="3" hits="2"/><line number="4" hits="0"/></lines></class></classes></package></packages></coverage>"#;
    let build = f
        .run(&format!(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p reports\n      \
             - echo '{junit}' > reports/unit.xml\n      - echo '{cobertura}' > coverage.xml\n\
             reports:\n  unit:\n    files: ['**/*']\n    base-directory: reports\n  \
             coverage:\n    files: [coverage.xml]\n    file-format: COBERTURAXML\n"
        ))
        .await;
    // A failed test case does not fail the build.
    assert_eq!(
        build.build_status(),
        Some(&StatusType::Succeeded),
        "{build:?}"
    );
    assert_eq!(build.report_arns().len(), 2, "{build:?}");
    let cb = &f.c.codebuild;
    let group = format!(
        "arn:aws:codebuild:us-east-1:000000000000:report-group/{}-unit",
        f.project
    );
    let groups = cb
        .batch_get_report_groups()
        .report_group_arns(&group)
        .send()
        .await
        .expect("report groups");
    assert_eq!(
        groups.report_groups()[0].r#type(),
        Some(&ReportType::Test),
        "created on first use"
    );
    let reports = cb
        .list_reports_for_report_group()
        .report_group_arn(&group)
        .send()
        .await
        .expect("reports");
    assert_eq!(reports.reports().len(), 1);
    let got = cb
        .batch_get_reports()
        .set_report_arns(Some(build.report_arns().to_vec()))
        .send()
        .await
        .expect("batch get reports");
    let test = got
        .reports()
        .iter()
        .find(|r| r.r#type() == Some(&ReportType::Test))
        .expect("the test report");
    let summary = test.test_summary().expect("a test summary");
    assert_eq!(summary.total(), 2);
    assert_eq!(summary.status_counts().get("FAILED"), Some(&1));
    assert_eq!(summary.duration_in_nano_seconds(), 750_000_000);
    assert_eq!(test.status().map(|s| s.as_str()), Some("FAILED"));
    assert_eq!(test.execution_id(), build.arn());
    let cases = cb
        .describe_test_cases()
        .report_arn(test.arn().unwrap_or_default())
        .send()
        .await
        .expect("test cases");
    let mut case_names: Vec<_> = cases
        .test_cases()
        .iter()
        .map(|c| (c.name().unwrap_or_default(), c.status().unwrap_or_default()))
        .collect();
    case_names.sort();
    assert_eq!(case_names, [("bad", "FAILED"), ("ok", "SUCCEEDED")]);
    let coverage = got
        .reports()
        .iter()
        .find(|r| r.r#type() == Some(&ReportType::CodeCoverage))
        .expect("the coverage report");
    let covered = coverage
        .code_coverage_summary()
        .expect("a coverage summary");
    assert_eq!(
        (covered.lines_covered(), covered.lines_missed()),
        (Some(2), Some(2))
    );
    let files = cb
        .describe_code_coverages()
        .report_arn(coverage.arn().unwrap_or_default())
        .send()
        .await
        .expect("coverages");
    assert_eq!(files.code_coverages()[0].file_path(), Some("src/a.rs"));
    assert_eq!(
        files.code_coverages()[0].line_coverage_percentage(),
        Some(50.0)
    );

    // The report group API on its own: create, tag, list, update, delete.
    let name = unique("bld-group");
    let created = cb
        .create_report_group()
        .name(&name)
        .r#type(ReportType::Test)
        .export_config(
            ReportExportConfig::builder()
                .export_config_type(ReportExportConfigType::NoExport)
                .build(),
        )
        .tags(Tag::builder().key("team").value("shop").build())
        .send()
        .await
        .expect("create report group");
    let arn = created
        .report_group()
        .and_then(|g| g.arn())
        .expect("an arn")
        .to_owned();
    assert_eq!(
        code(
            cb.create_report_group()
                .name(&name)
                .r#type(ReportType::Test)
                .export_config(
                    ReportExportConfig::builder()
                        .export_config_type(ReportExportConfigType::NoExport)
                        .build(),
                )
                .send()
                .await
        ),
        "ResourceAlreadyExistsException"
    );
    let listed = cb.list_report_groups().send().await.expect("list");
    assert!(listed.report_groups().contains(&arn));
    assert!(listed.report_groups().contains(&group));
    let tagged =
        f.c.tagging
            .get_resources()
            .resource_type_filters("codebuild:report-group")
            .send()
            .await
            .expect("tagged resources");
    assert!(
        tagged
            .resource_tag_mapping_list()
            .iter()
            .any(|r| r.resource_arn() == Some(arn.as_str())),
        "{tagged:?}"
    );
    let updated = cb
        .update_report_group()
        .arn(&arn)
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .expect("update");
    assert_eq!(
        updated.report_group().map(|g| g.tags()[0].value()),
        Some(Some("web"))
    );
    assert_eq!(
        code(cb.delete_report_group().arn(&group).send().await),
        "InvalidInputException",
        "a group with reports needs deleteReports"
    );
    for target in [&arn, &group] {
        cb.delete_report_group()
            .arn(target)
            .delete_reports(true)
            .send()
            .await
            .expect("delete report group");
    }
    let gone = cb
        .batch_get_report_groups()
        .report_group_arns(&arn)
        .send()
        .await
        .expect("batch get");
    assert_eq!(gone.report_groups_not_found(), [arn.as_str()]);
    f.cleanup().await;
}

/// A ZIP of `files` (name, content), made with the host's python.
fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("{}.zip", unique("source")));
    let mut args = vec![
        "-c".to_owned(),
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\nfor i in range(2, len(sys.argv), 2): z.writestr(sys.argv[i], sys.argv[i + 1])\nz.close()".to_owned(),
        path.to_string_lossy().into_owned(),
    ];
    for (name, content) in files {
        args.push((*name).to_owned());
        args.push((*content).to_owned());
    }
    let status = std::process::Command::new("python3")
        .args(&args)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    let body = std::fs::read(&path).expect("read zip");
    let _ = std::fs::remove_file(&path);
    body
}

async fn pipeline_project(c: &Clients, name: &str, role_arn: &str, buildspec: &str) {
    c.codebuild
        .create_project()
        .name(name)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::Codepipeline)
                .buildspec(buildspec)
                .build()
                .expect("type set"),
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::Codepipeline)
                .build()
                .expect("type set"),
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .expect("set"),
        )
        .service_role(role_arn)
        .send()
        .await
        .expect("create project");
}

#[tokio::test]
async fn exported_variables_and_secondary_artifacts_reach_later_pipeline_actions() {
    use aws_sdk_codepipeline::types::{
        ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore,
        ArtifactStoreType, InputArtifact, OutputArtifact, PipelineDeclaration, PipelineType,
        StageDeclaration,
    };
    let c = clients().await;
    let name = unique("bld-pipe");
    let (pipe_role, build_role) = (unique("bld-pipe-role"), unique("bld-pipe-build"));
    let pipe_role_arn = role(&c, &pipe_role, "codepipeline.amazonaws.com").await;
    let build_role_arn = role(&c, &build_role, "codebuild.amazonaws.com").await;
    let (store, source) = (unique("bld-pipe-art"), unique("bld-pipe-src"));
    for bucket in [&store, &source] {
        c.s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("bucket");
    }
    c.s3.put_bucket_versioning()
        .bucket(&source)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    c.s3.put_object()
        .bucket(&source)
        .key("app.zip")
        .body(zip_of(&[("hello.txt", "hello from the source")]).into())
        .send()
        .await
        .expect("put source");
    let (make, usage) = (unique("bld-make"), unique("bld-use"));
    pipeline_project(
        &c,
        &make,
        &build_role_arn,
        "version: 0.2\nenv:\n  exported-variables: [VERSION]\nphases:\n  build:\n    commands:\n\
         \x20     - export VERSION=\"$(cat hello.txt | wc -w | tr -d ' ').0\"\n\
         \x20     - mkdir -p bin docs && echo app > bin/app && echo guide > docs/guide.md\n\
         artifacts:\n  files: ['bin/*']\n  secondary-artifacts:\n    Docs:\n      files: ['docs/**/*']\n",
    )
    .await;
    pipeline_project(
        &c,
        &usage,
        &build_role_arn,
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"got $GOT\"\n\
         \x20     - cat bin/app \"$CODEBUILD_SRC_DIR_Docs/docs/guide.md\"\n",
    )
    .await;
    let kind = |category: ActionCategory, provider: &str| {
        ActionTypeId::builder()
            .category(category)
            .owner(ActionOwner::Aws)
            .provider(provider)
            .version("1")
            .build()
            .expect("set")
    };
    let output = |n: &str| OutputArtifact::builder().name(n).build().expect("name");
    let input = |n: &str| InputArtifact::builder().name(n).build().expect("name");
    let stage = |n: &str, action: ActionDeclaration| {
        StageDeclaration::builder()
            .name(n)
            .actions(action)
            .build()
            .expect("set")
    };
    let declaration = PipelineDeclaration::builder()
        .name(&name)
        .role_arn(&pipe_role_arn)
        .pipeline_type(PipelineType::V2)
        .artifact_store(
            ArtifactStore::builder()
                .r#type(ArtifactStoreType::S3)
                .location(&store)
                .build()
                .expect("set"),
        )
        .stages(stage(
            "Source",
            ActionDeclaration::builder()
                .name("Fetch")
                .action_type_id(kind(ActionCategory::Source, "S3"))
                .configuration("S3Bucket", &source)
                .configuration("S3ObjectKey", "app.zip")
                .configuration("PollForSourceChanges", "false")
                .output_artifacts(output("Src"))
                .build()
                .expect("set"),
        ))
        .stages(stage(
            "Make",
            ActionDeclaration::builder()
                .name("Make")
                .namespace("Made")
                .action_type_id(kind(ActionCategory::Build, "CodeBuild"))
                .configuration("ProjectName", &make)
                .input_artifacts(input("Src"))
                .output_artifacts(output("Main"))
                .output_artifacts(output("Docs"))
                .build()
                .expect("set"),
        ))
        .stages(stage(
            "Use",
            ActionDeclaration::builder()
                .name("Use")
                .action_type_id(kind(ActionCategory::Build, "CodeBuild"))
                .configuration("ProjectName", &usage)
                .configuration(
                    "EnvironmentVariables",
                    r##"[{"name":"GOT","value":"version #{Made.VERSION}","type":"PLAINTEXT"}]"##,
                )
                .input_artifacts(input("Main"))
                .input_artifacts(input("Docs"))
                .build()
                .expect("set"),
        ))
        .build()
        .expect("set");
    let cp = &c.codepipeline;
    cp.create_pipeline()
        .pipeline(declaration)
        .send()
        .await
        .expect("create pipeline");
    let mut execution = None;
    for _ in 0..600 {
        let listed = cp
            .list_pipeline_executions()
            .pipeline_name(&name)
            .send()
            .await
            .expect("executions");
        let first = listed.pipeline_execution_summaries().first().cloned();
        if let Some(e) =
            first.filter(|e| !matches!(e.status().map(|s| s.as_str()), Some("InProgress") | None))
        {
            execution = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let execution = execution.expect("the execution ends within 60 s");
    let details = cp
        .list_action_executions()
        .pipeline_name(&name)
        .send()
        .await
        .expect("action executions");
    assert_eq!(
        execution.status().map(|s| s.as_str()),
        Some("Succeeded"),
        "{details:#?}"
    );
    let made = details
        .action_execution_details()
        .iter()
        .find(|d| d.action_name() == Some("Make"))
        .expect("the Make action");
    let out = made.output().expect("output");
    assert_eq!(
        out.output_variables()
            .and_then(|v| v.get("VERSION"))
            .map(String::as_str),
        Some("4.0"),
        "the exported variable is the action's output variable"
    );
    let docs = out
        .output_artifacts()
        .iter()
        .find(|a| a.name() == Some("Docs"))
        .and_then(|a| a.s3_location())
        .expect("the Docs artifact");
    let body =
        c.s3.get_object()
            .bucket(docs.bucket().unwrap_or_default())
            .key(docs.key().unwrap_or_default())
            .send()
            .await
            .expect("get Docs")
            .body
            .collect()
            .await
            .expect("read")
            .into_bytes();
    assert_eq!(zip_names(&body), names(&["docs/guide.md"]));
    let used = details
        .action_execution_details()
        .iter()
        .find(|d| d.action_name() == Some("Use"))
        .and_then(|d| d.output())
        .and_then(|o| o.execution_result())
        .and_then(|r| r.external_execution_id())
        .expect("the Use build")
        .to_owned();
    let got = c
        .codebuild
        .batch_get_builds()
        .ids(&used)
        .send()
        .await
        .expect("builds");
    let build = &got.builds()[0];
    let logs = build.logs().expect("logs");
    let events = c
        .logs
        .get_log_events()
        .log_group_name(logs.group_name().unwrap_or_default())
        .log_stream_name(logs.stream_name().unwrap_or_default())
        .start_from_head(true)
        .send()
        .await
        .expect("events");
    let lines: Vec<&str> = events.events().iter().filter_map(|e| e.message()).collect();
    for wanted in ["got version 4.0", "app", "guide"] {
        assert!(lines.contains(&wanted), "{wanted:?} in {lines:#?}");
    }
    cp.delete_pipeline()
        .name(&name)
        .send()
        .await
        .expect("delete pipeline");
    for project in [&make, &usage] {
        c.codebuild
            .delete_project()
            .name(project)
            .send()
            .await
            .expect("delete project");
    }
    delete_role(&c, &pipe_role).await;
    delete_role(&c, &build_role).await;
}

/// A project's `encryptionKey` is not checked when it is set (CreateProject and UpdateProject
/// take any key, as on AWS): the build that uploads its artifacts under a key that does not exist
/// fails in `UPLOAD_ARTIFACTS` with KMS's `NotFoundException`, and under a key that exists
/// uploads them.
#[tokio::test]
async fn artifacts_under_a_key_that_does_not_exist_fail_upload_artifacts() {
    let f = fixture("bld-key", vec![], true).await;
    let missing = "arn:aws:kms:us-east-1:000000000000:key/0000aaaa-00aa-00aa-00aa-000000000000";
    let spec = "version: 0.2\nphases:\n  build:\n    commands: [echo out > out.txt]\nartifacts:\n  files: [out.txt]\n";
    for (key, uploads) in [(missing.to_owned(), false), (kms_key().await, true)] {
        f.c.codebuild
            .update_project()
            .name(&f.project)
            .encryption_key(&key)
            .send()
            .await
            .expect("UpdateProject takes a key it does not check");
        let build = f.run(spec).await;
        if uploads {
            assert_eq!(build.build_status(), Some(&StatusType::Succeeded), "{key}");
        } else {
            assert_eq!(build.build_status(), Some(&StatusType::Failed));
            assert_eq!(
                context(&build, "UPLOAD_ARTIFACTS"),
                (
                    "CLIENT_ERROR".to_owned(),
                    format!("KMS.NotFoundException: Key '{missing}' does not exist")
                )
            );
        }
    }
    f.cleanup().await;
}
