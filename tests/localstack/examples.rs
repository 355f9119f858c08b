//! Every example through the CLI its program gets, against the emulator: apply from nothing, a
//! second plan that changes nothing, an in-place update of one field, a replacement forced by a
//! create-only field, drift made through the SDK (reported with exit 2, repaired by apply), a
//! resource removed from the model (planned as a delete, deleted by `apply --prune`), a same-named
//! resource that is not ours (a conflict, left untouched), destroy, and then nothing owned left,
//! by the tagging API and by each service's own listing. Right after the first apply, a commit on
//! each source branch runs every pipeline of the example, through its rule, to a waiting approval
//! or to its end.
//!
//! The example's resources come from its `add_…` function under a name prefix unique to the
//! test. Two resources the test adds beside them carry the model changes: a repository (its
//! description updates in place; removing it is the prune; a same-named stranger is the
//! conflict) and a deployment configuration (its healthy-host minimum is create-only, so
//! changing it replaces it). The drift is made on the example's own build project.

use pipewright::model::{
    App, BuildError, DeploymentConfig, HealthyHosts, Repository, ResourceKind,
};
use pipewright::provider::api::Provider;
use pipewright::provider::aws::{AwsProvider, Clients};
use serde_json::Value;

use crate::harness::{clients, code, endpoint, unique};
use crate::{container, ecs_blue_green, lambda_canary, library, multi_env, reference};

type AddExample = fn(&mut App, &str) -> Result<(), BuildError>;

/// The resources the test adds beside the example's, and how they are set.
#[derive(Clone, Copy)]
struct Extras {
    /// The extra repository's description; `None` leaves the repository out of the model.
    repository: Option<&'static str>,
    /// The extra deployment configuration's minimum of healthy hosts, in percent.
    healthy_percent: u8,
}

fn model(add: AddExample, prefix: &str, extras: Extras) -> App {
    let mut app = App::new(prefix).expect("a valid app name");
    add(&mut app, prefix).expect("the example builds under any valid prefix");
    if let Some(description) = extras.repository {
        app.add(
            Repository::builder()
                .name(extra_repository(prefix))
                .description(description)
                .build()
                .expect("a valid repository"),
        );
    }
    app.add(
        DeploymentConfig::minimum_healthy_hosts(
            format!("{prefix}-extra-healthy"),
            HealthyHosts::FleetPercent(extras.healthy_percent.into()),
        )
        .expect("a valid deployment config"),
    );
    app
}

fn extra_repository(prefix: &str) -> String {
    format!("{prefix}-extra")
}

/// What one CLI run returned.
struct Run {
    code: u8,
    out: String,
    err: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.out)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.out, self.err))
    }
}

/// Runs the CLI on `app` against the test emulator.
async fn cli(app: App, args: &[&str]) -> Run {
    let mut argv = vec!["example"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--local", "--endpoint-url", endpoint()]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = pipewright::cli::run(app, argv, &mut out, &mut err).await;
    Run {
        code,
        out: String::from_utf8_lossy(&out).into_owned(),
        err: String::from_utf8_lossy(&err).into_owned(),
    }
}

/// The `[n/total]` counters of the progress lines, in order.
fn progress(err: &str) -> Vec<(usize, usize)> {
    err.lines()
        .filter_map(|line| {
            let counter = line.split_once('[')?.1.split_once(']')?.0;
            let (n, total) = counter.split_once('/')?;
            Some((n.parse().ok()?, total.parse().ok()?))
        })
        .collect()
}

/// Asserts the exit code, showing what the command printed when it differs.
#[track_caller]
fn expect(run: &Run, code: u8, what: &str) {
    assert_eq!(
        run.code, code,
        "{what}: exit {}\n--- stdout\n{}\n--- stderr\n{}",
        run.code, run.out, run.err
    );
}

/// The plan's only change, checked against the summary.
#[track_caller]
fn only_change<'a>(plan: &'a Value, action: &str) -> &'a Value {
    let changes: Vec<&Value> = plan["changes"]
        .as_array()
        .expect("a change list")
        .iter()
        .filter(|c| c["action"] != "no_op")
        .collect();
    assert_eq!(changes.len(), 1, "{plan:#}");
    assert_eq!(changes[0]["action"], action, "{plan:#}");
    assert_eq!(plan["summary"][action], 1, "{plan:#}");
    changes[0]
}

/// Names of everything left in the emulator whose name starts with `prefix`, service by
/// service (the tagging API is checked separately). Every listing is read to its last page: a
/// leftover on a later page is still a leftover.
async fn leftovers(c: &Clients, prefix: &str) -> Vec<String> {
    let mut left = Vec::new();
    let mut keep = |what: &str, names: Vec<String>| {
        left.extend(
            names
                .into_iter()
                .filter(|n| n.starts_with(prefix))
                .map(|n| format!("{what} {n}")),
        );
    };
    let buckets = c.s3.list_buckets().into_paginator().items().send();
    let buckets = buckets.try_collect().await.expect("list buckets");
    keep(
        "bucket",
        buckets
            .iter()
            .filter_map(|b| b.name())
            .map(str::to_owned)
            .collect(),
    );
    let roles = c.iam.list_roles().into_paginator().items().send();
    let roles = roles.try_collect().await.expect("list roles");
    keep(
        "role",
        roles.iter().map(|r| r.role_name().to_owned()).collect(),
    );
    let repos = c
        .codecommit
        .list_repositories()
        .into_paginator()
        .items()
        .send();
    let repos = repos.try_collect().await.expect("list repositories");
    keep(
        "repository",
        repos
            .iter()
            .filter_map(|r| r.repository_name())
            .map(str::to_owned)
            .collect(),
    );
    let images = c
        .ecr
        .describe_repositories()
        .into_paginator()
        .items()
        .send();
    let images = images.try_collect().await.expect("list image repositories");
    keep(
        "image repository",
        images
            .iter()
            .filter_map(|r| r.repository_name())
            .map(str::to_owned)
            .collect(),
    );
    let domains = c
        .codeartifact
        .list_domains()
        .into_paginator()
        .items()
        .send();
    let domains = domains.try_collect().await.expect("list artifact domains");
    keep(
        "artifact domain",
        domains
            .iter()
            .filter_map(|d| d.name())
            .map(str::to_owned)
            .collect(),
    );
    let packages = c
        .codeartifact
        .list_repositories()
        .into_paginator()
        .items()
        .send();
    let packages = packages
        .try_collect()
        .await
        .expect("list artifact repositories");
    keep(
        "artifact repository",
        packages
            .iter()
            .filter_map(|r| Some(format!("{}/{}", r.domain_name()?, r.name()?)))
            .collect(),
    );
    let projects = c.codebuild.list_projects().into_paginator().items().send();
    keep(
        "project",
        projects.try_collect().await.expect("list projects"),
    );
    let groups = c
        .codebuild
        .list_report_groups()
        .into_paginator()
        .items()
        .send();
    let groups: Vec<String> = groups.try_collect().await.expect("list report groups");
    keep(
        "report group",
        groups
            .iter()
            .filter_map(|arn| arn.rsplit_once("report-group/").map(|(_, n)| n.to_owned()))
            .collect(),
    );
    let apps = c
        .codedeploy
        .list_applications()
        .into_paginator()
        .items()
        .send();
    keep(
        "application",
        apps.try_collect().await.expect("list applications"),
    );
    let configs = c
        .codedeploy
        .list_deployment_configs()
        .into_paginator()
        .items()
        .send();
    keep(
        "deployment config",
        configs
            .try_collect()
            .await
            .expect("list deployment configs"),
    );
    let pipelines = c
        .codepipeline
        .list_pipelines()
        .into_paginator()
        .items()
        .send();
    let pipelines = pipelines.try_collect().await.expect("list pipelines");
    keep(
        "pipeline",
        pipelines
            .iter()
            .filter_map(|p| p.name())
            .map(str::to_owned)
            .collect(),
    );
    // The EventBridge SDK has no paginator for ListRules: follow the token, a bounded number of
    // times, and fail rather than report a partial list.
    let mut rules = Vec::new();
    let mut token = None;
    for _ in 0..MAX_RULE_PAGES {
        let page = c
            .eventbridge
            .list_rules()
            .name_prefix(prefix)
            .set_next_token(token)
            .send()
            .await
            .expect("list rules");
        rules.extend(
            page.rules()
                .iter()
                .filter_map(|r| r.name())
                .map(str::to_owned),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert!(
        token.is_none(),
        "more than {MAX_RULE_PAGES} pages of event rules under {prefix}"
    );
    keep("event rule", rules);
    left
}

/// More pages of one prefix's event rules than any test makes (100 rules a page).
const MAX_RULE_PAGES: usize = 100;

/// The files of `examples/<sample>` (path, content, executable), build output left out.
fn sample_files(sample: &str) -> Vec<(String, Vec<u8>, bool)> {
    use std::os::unix::fs::PermissionsExt;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(sample);
    let mut found = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("the sample application's folder") {
            let path = entry.expect("an entry").path();
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            let relative = path.strip_prefix(&root).expect("under the root");
            found.push((
                relative.to_string_lossy().into_owned(),
                std::fs::read(&path).expect("read"),
                mode & 0o111 != 0,
            ));
        }
    }
    found.sort();
    found
}

/// Creates the Parameter Store parameters and Secrets Manager secrets the example's build projects
/// read, as their user would before a first run (a missing one fails the build, as on AWS).
async fn provide_values(c: &Clients, prefix: &str) {
    let config = crate::harness::sdk_config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let listed = c
        .codebuild
        .list_projects()
        .send()
        .await
        .expect("list projects");
    let mine: Vec<String> = listed
        .projects()
        .iter()
        .filter(|p| p.starts_with(prefix))
        .cloned()
        .collect();
    if mine.is_empty() {
        return;
    }
    let projects = c
        .codebuild
        .batch_get_projects()
        .set_names(Some(mine))
        .send()
        .await
        .expect("projects");
    for project in projects.projects() {
        let variables = project
            .environment()
            .map(|e| e.environment_variables().to_vec())
            .unwrap_or_default();
        for variable in variables {
            let value = variable.value().to_owned();
            match variable.r#type().map(|t| t.as_str()) {
                Some("PARAMETER_STORE") => {
                    ssm.put_parameter()
                        .name(&value)
                        .value("example value")
                        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                        .overwrite(true)
                        .send()
                        .await
                        .expect("put parameter");
                }
                Some("SECRETS_MANAGER") => {
                    let id = value.split(':').next().unwrap_or_default();
                    // Shared by every run against this emulator: made once.
                    let _ = secrets
                        .create_secret()
                        .name(id)
                        .secret_string("example value")
                        .send()
                        .await;
                }
                _ => {}
            }
        }
    }
}

/// The whole lifecycle of one example; `retained` names the buckets its destroy must keep.
/// Every pipeline of the example runs: a commit of the example's sample application
/// (`examples/<sample>`) on each CodeCommit source branch starts it through the rule apply created,
/// its builds really run, and it reaches a waiting approval or succeeds.
async fn pipelines_run(c: &Clients, prefix: &str, sample: &str) {
    let cp = &c.codepipeline;
    let listed = cp.list_pipelines().send().await.expect("list pipelines");
    let names: Vec<String> = listed
        .pipelines()
        .iter()
        .filter_map(|p| p.name())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect();
    assert!(!names.is_empty(), "the example has pipelines");
    let mut branches = std::collections::BTreeSet::new();
    for name in &names {
        let got = cp
            .get_pipeline()
            .name(name)
            .send()
            .await
            .expect("get pipeline");
        for stage in got.pipeline().map(|p| p.stages()).unwrap_or_default() {
            for action in stage.actions() {
                let kind = action
                    .action_type_id()
                    .map(|k| k.provider())
                    .unwrap_or_default();
                let config = action.configuration();
                if let ("CodeCommit", Some(repo), Some(branch)) = (
                    kind,
                    config.and_then(|c| c.get("RepositoryName")),
                    config.and_then(|c| c.get("BranchName")),
                ) {
                    branches.insert((repo.clone(), branch.clone()));
                }
            }
        }
    }
    provide_values(c, prefix).await;
    let files = sample_files(sample);
    for (repo, branch) in &branches {
        let parent = c
            .codecommit
            .get_branch()
            .repository_name(repo)
            .branch_name(branch)
            .send()
            .await
            .ok()
            .and_then(|b| b.branch().and_then(|b| b.commit_id()).map(str::to_owned));
        let mut commit = c
            .codecommit
            .create_commit()
            .repository_name(repo)
            .branch_name(branch)
            .commit_message("Run the pipeline")
            .set_parent_commit_id(parent);
        for (path, body, executable) in &files {
            commit = commit.put_files(
                aws_sdk_codecommit::types::PutFileEntry::builder()
                    .file_path(path)
                    .file_content(aws_sdk_codecommit::primitives::Blob::new(body.clone()))
                    .file_mode(if *executable {
                        aws_sdk_codecommit::types::FileModeTypeEnum::Executable
                    } else {
                        aws_sdk_codecommit::types::FileModeTypeEnum::Normal
                    })
                    .build()
                    .expect("path set"),
            );
        }
        commit.send().await.expect("commit the sample application");
    }
    for name in &names {
        let mut reached = None;
        for _ in 0..300 {
            let executions = cp
                .list_pipeline_executions()
                .pipeline_name(name)
                .send()
                .await
                .expect("executions");
            let pushed = executions.pipeline_execution_summaries().iter().find(|e| {
                e.trigger()
                    .and_then(|t| t.trigger_type())
                    .map(|t| t.as_str())
                    == Some("CloudWatchEvent")
            });
            if let Some(execution) = pushed {
                let id = execution.pipeline_execution_id().unwrap_or_default();
                let status = execution.status().map(|s| s.as_str()).unwrap_or_default();
                let details = cp
                    .list_action_executions()
                    .pipeline_name(name)
                    .filter(
                        aws_sdk_codepipeline::types::ActionExecutionFilter::builder()
                            .pipeline_execution_id(id)
                            .build(),
                    )
                    .send()
                    .await
                    .expect("action executions");
                let details = details.action_execution_details();
                let waiting = details.iter().any(|d| {
                    d.status().map(|s| s.as_str()) == Some("InProgress")
                        && d.input()
                            .and_then(|i| i.action_type_id())
                            .map(|k| k.category().as_str())
                            == Some("Approval")
                });
                // A deployment really runs in the emulator and fails as CodeDeploy would when
                // there is nothing to deploy to (no tagged instance, no ECS, a Lambda that cannot
                // run): the execution then got as far as the emulator can take it.
                let deployed = status == "Failed"
                    && details.iter().all(|d| {
                        d.status().map(|s| s.as_str()) != Some("Failed")
                            || d.input()
                                .and_then(|i| i.action_type_id())
                                .map(|k| k.category().as_str())
                                == Some("Deploy")
                    });
                match status {
                    "Succeeded" => reached = Some("its end"),
                    _ if waiting => reached = Some("an approval"),
                    _ if deployed => reached = Some("a deployment"),
                    "Failed" | "Stopped" | "Superseded" => panic!(
                        "pipeline {name}: the pushed execution ended {status}: {:?}",
                        details
                            .iter()
                            .filter_map(|d| d.output().and_then(|o| o.execution_result()))
                            .filter_map(|r| r.error_details())
                            .collect::<Vec<_>>()
                    ),
                    _ => {}
                }
            }
            if reached.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            reached.is_some(),
            "pipeline {name} ran to neither an approval nor its end"
        );
    }
}

async fn lifecycle(short: &str, add: AddExample, retained: &[&str], sample: &str) {
    let c = clients().await;
    let prefix = unique(short);
    let start = Extras {
        repository: Some("first description"),
        healthy_percent: 50,
    };
    let app = |extras: Extras| model(add, &prefix, extras);

    // From nothing; then a plan with nothing to do.
    let created = cli(app(start), &["apply", "--yes"]).await;
    expect(&created, 0, "apply from nothing");
    // One step per resource, counted up to exactly the total.
    let total = app(start).desired().resources.len();
    let counted = progress(&created.err);
    assert_eq!(
        counted,
        (1..=total).map(|n| (n, total)).collect::<Vec<_>>(),
        "{}",
        created.err
    );
    assert!(
        created
            .out
            .contains("0 to update, 0 to replace, 0 to delete"),
        "{}",
        created.out
    );
    pipelines_run(&c, &prefix, sample).await;
    let again = cli(app(start), &["plan", "--json", "--detailed-exitcode"]).await;
    expect(&again, 0, "plan after apply");
    let summary = &again.json()["summary"];
    assert_eq!(
        (summary["create"].as_u64(), summary["no_op"].as_u64()),
        (Some(0), Some(app(start).desired().resources.len() as u64)),
        "{summary}"
    );

    // In place: one field of one resource.
    let described = Extras {
        repository: Some("second description"),
        ..start
    };
    let update = cli(app(described), &["plan", "--json", "--detailed-exitcode"]).await;
    expect(&update, 2, "plan of an in-place change");
    let plan = update.json();
    let change = only_change(&plan, "update");
    assert_eq!(change["physical_name"], extra_repository(&prefix));
    assert_eq!(
        change["fields"],
        serde_json::json!([{
            "path": "/RepositoryDescription",
            "old": "first description",
            "new": "second description"
        }])
    );
    expect(
        &cli(app(described), &["apply", "--yes"]).await,
        0,
        "apply the update",
    );
    let seen = c
        .codecommit
        .get_repository()
        .repository_name(extra_repository(&prefix))
        .send()
        .await
        .expect("the repository is there");
    assert_eq!(
        seen.repository_metadata()
            .and_then(|m| m.repository_description()),
        Some("second description")
    );

    // Create-only: a deployment configuration cannot change; it is replaced under its name.
    let stricter = Extras {
        healthy_percent: 75,
        ..described
    };
    let replace = cli(app(stricter), &["plan", "--json", "--detailed-exitcode"]).await;
    expect(&replace, 2, "plan of a replacement");
    let plan = replace.json();
    let change = only_change(&plan, "replace");
    assert_eq!(change["physical_name"], format!("{prefix}-extra-healthy"));
    assert!(
        change["forced_by"]
            .as_str()
            .is_some_and(|f| f.starts_with("/MinimumHealthyHosts")),
        "{change:#}"
    );
    assert_eq!(
        change["strategy"]["order"], "delete_then_create",
        "{change:#}"
    );
    let replaced = cli(app(stricter), &["apply", "--yes"]).await;
    expect(&replaced, 0, "apply the replacement");
    // Two steps (delete, then create under the same name), counted as such.
    assert_eq!(
        progress(&replaced.err),
        vec![(1, 2), (2, 2)],
        "{}",
        replaced.err
    );
    let config = c
        .codedeploy
        .get_deployment_config()
        .deployment_config_name(format!("{prefix}-extra-healthy"))
        .send()
        .await
        .expect("the new config is there");
    let healthy = config
        .deployment_config_info()
        .and_then(|i| i.minimum_healthy_hosts())
        .map(|h| h.value());
    assert_eq!(healthy, Some(75));
    expect(
        &cli(app(stricter), &["plan", "--detailed-exitcode"]).await,
        0,
        "plan after the replacement",
    );

    // Drift made through the SDK on the example's own build project.
    let desired = app(stricter);
    let project = desired
        .desired()
        .resources
        .iter()
        .find(|r| r.kind == ResourceKind::Project)
        .map(|r| r.physical_name.clone())
        .expect("every example has a build project");
    c.codebuild
        .update_project()
        .name(&project)
        .description("changed by hand")
        .send()
        .await
        .expect("an out-of-band change");
    let drift = cli(app(stricter), &["drift"]).await;
    expect(&drift, 2, "drift after an out-of-band change");
    assert!(
        drift.out.contains(&format!("\"{project}\"")),
        "{}",
        drift.out
    );
    // The description is one the model describes entirely: set or not, another one is drift.
    assert!(drift.out.contains("/Description"), "{}", drift.out);
    assert!(
        drift.out.contains("AWS \"changed by hand\""),
        "{}",
        drift.out
    );
    let drift = cli(app(stricter), &["drift", "--json"]).await;
    expect(&drift, 2, "drift --json");
    let drifted = drift.json();
    assert_eq!(
        drifted["drifted"].as_array().map(Vec::len),
        Some(1),
        "{drifted:#}"
    );
    assert_eq!(drifted["drifted"][0]["physical_name"], project.as_str());
    expect(
        &cli(app(stricter), &["apply", "--yes"]).await,
        0,
        "apply repairs drift",
    );
    expect(
        &cli(app(stricter), &["drift"]).await,
        0,
        "no drift after the repair",
    );

    // Removed from the model: a delete in the plan, done only with --prune.
    let without = Extras {
        repository: None,
        ..stricter
    };
    let prune = cli(app(without), &["plan", "--json", "--detailed-exitcode"]).await;
    expect(&prune, 2, "plan of a removal");
    let plan = prune.json();
    let change = only_change(&plan, "delete");
    assert_eq!(change["physical_name"], extra_repository(&prefix));
    let kept = cli(app(without), &["apply", "--yes"]).await;
    expect(&kept, 0, "apply without --prune");
    assert!(kept.out.contains("until `apply --prune`"), "{}", kept.out);
    c.codecommit
        .get_repository()
        .repository_name(extra_repository(&prefix))
        .send()
        .await
        .expect("kept without --prune");
    expect(
        &cli(app(without), &["apply", "--yes", "--prune"]).await,
        0,
        "apply --prune",
    );
    assert_eq!(
        code(
            c.codecommit
                .get_repository()
                .repository_name(extra_repository(&prefix))
                .send()
                .await
        ),
        "RepositoryDoesNotExistException"
    );
    expect(
        &cli(app(without), &["plan", "--detailed-exitcode"]).await,
        0,
        "plan after the prune",
    );

    // Someone else's repository under the name the model wants: reported, never touched.
    c.codecommit
        .create_repository()
        .repository_name(extra_repository(&prefix))
        .repository_description("not ours")
        .send()
        .await
        .expect("a stranger's repository");
    let back = Extras {
        repository: Some("second description"),
        ..stricter
    };
    let conflict = cli(app(back), &["plan", "--json", "--detailed-exitcode"]).await;
    let plan = conflict.json();
    assert_eq!(plan["summary"]["conflict"], 1, "{plan:#}");
    let refused = cli(app(back), &["apply", "--yes"]).await;
    expect(&refused, 1, "apply with a conflict");
    assert!(
        refused.err.contains(&extra_repository(&prefix)),
        "{}",
        refused.err
    );
    let stranger = c
        .codecommit
        .get_repository()
        .repository_name(extra_repository(&prefix))
        .send()
        .await
        .expect("still there");
    let meta = stranger.repository_metadata().expect("metadata");
    assert_eq!(meta.repository_description(), Some("not ours"));
    let tags = c
        .codecommit
        .list_tags_for_resource()
        .resource_arn(meta.arn().expect("an ARN"))
        .send()
        .await
        .expect("tags");
    assert!(tags.tags().is_none_or(|t| t.is_empty()), "{tags:?}");

    // `plan --destroy` says what destroy would delete and keep, and changes nothing.
    let preview = cli(
        app(back),
        &["plan", "--destroy", "--json", "--detailed-exitcode"],
    )
    .await;
    expect(&preview, 2, "plan --destroy");
    let preview = preview.json();
    assert_eq!(preview["mode"], "destroy", "{preview:#}");
    let deletes = preview["summary"]["delete"].as_u64().expect("a count");
    assert!(deletes > 0, "{preview:#}");
    let again = cli(app(back), &["plan", "--destroy", "--json"])
        .await
        .json();
    assert_eq!(
        again["summary"], preview["summary"],
        "plan --destroy changed nothing"
    );

    // Destroy: everything owned goes (retained buckets stay); the stranger stays too.
    let destroyed = cli(app(back), &["destroy", "--yes"]).await;
    expect(&destroyed, 0, "destroy");
    c.codecommit
        .get_repository()
        .repository_name(extra_repository(&prefix))
        .send()
        .await
        .expect("destroy leaves what is not ours");
    c.codecommit
        .delete_repository()
        .repository_name(extra_repository(&prefix))
        .send()
        .await
        .expect("clean up the stranger");
    let provider = AwsProvider::new(c.clone()).await.expect("sts answers");
    let owned = provider
        .list_owned(&prefix)
        .await
        .expect("the tagging API answers");
    let mut still: Vec<String> = owned.iter().map(|o| o.physical_name.clone()).collect();
    still.sort();
    let mut expected: Vec<String> = retained.iter().map(|b| format!("{prefix}{b}")).collect();
    expected.sort();
    assert_eq!(still, expected, "owned after destroy");
    for bucket in &expected {
        assert!(destroyed.out.contains(bucket.as_str()), "{}", destroyed.out);
        // Retained with the artifacts its pipeline's runs wrote; the test empties it itself.
        let versions =
            c.s3.list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .expect("the retained bucket lists");
        for version in versions.versions() {
            c.s3.delete_object()
                .bucket(bucket)
                .key(version.key().expect("a listed version has a key"))
                .set_version_id(version.version_id().map(str::to_owned))
                .send()
                .await
                .expect("delete an artifact");
        }
        for marker in versions.delete_markers() {
            c.s3.delete_object()
                .bucket(bucket)
                .key(marker.key().expect("a listed marker has a key"))
                .set_version_id(marker.version_id().map(str::to_owned))
                .send()
                .await
                .expect("delete a marker");
        }
        c.s3.delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("the emptied retained bucket can go");
    }
    assert!(
        provider
            .list_owned(&prefix)
            .await
            .expect("lists")
            .is_empty(),
        "owned after removing the retained buckets"
    );
    assert_eq!(leftovers(&c, &prefix).await, Vec::<String>::new());
}

#[tokio::test]
async fn reference_example_lifecycle_through_the_cli() {
    lifecycle("xr", reference::add_reference, &[], "shop-api").await;
}

#[tokio::test]
async fn ecs_blue_green_example_lifecycle_through_the_cli() {
    lifecycle("xe", ecs_blue_green::add_ecs_blue_green, &[], "web-image").await;
}

#[tokio::test]
async fn container_example_lifecycle_through_the_cli() {
    lifecycle("xc", container::add_container, &[], "web-image").await;
}

#[tokio::test]
async fn library_example_lifecycle_through_the_cli() {
    lifecycle("xk", library::add_library, &[], "shop-lib").await;
}

#[tokio::test]
async fn lambda_canary_example_lifecycle_through_the_cli() {
    lifecycle(
        "xl",
        lambda_canary::add_lambda_canary,
        &[],
        "lambda-service",
    )
    .await;
}

#[tokio::test]
async fn multi_env_example_lifecycle_through_the_cli() {
    lifecycle(
        "xm",
        multi_env::add_multi_env,
        &["-artifacts-0001"],
        "web-app",
    )
    .await;
}
