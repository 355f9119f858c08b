//! One test per rule: a model breaking it, and the exact message.

use super::*;
use crate::model::*;

struct Fx {
    app: App,
    repo: Handle<Repository>,
    bucket: Handle<ArtifactBucket>,
    project: Handle<BuildProject>,
    group: Handle<DeploymentGroup<Server>>,
}

fn fx() -> Fx {
    let mut app = App::new("shop").unwrap();
    let repo = app.add(Repository::builder().name("shop-api").build().unwrap());
    let bucket = app.add(
        ArtifactBucket::builder()
            .name("shop-artifacts")
            .build()
            .unwrap(),
    );
    let project = app.add(BuildProject::builder().name("shop-build").build().unwrap());
    let deploy = app.add(ServerApplication::builder().name("shop").build().unwrap());
    let group = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("prod")
            .ec2_tag("Name", "web")
            .build()
            .unwrap(),
    );
    Fx {
        app,
        repo,
        bucket,
        project,
        group,
    }
}

fn source(fx: &Fx) -> Stage {
    Stage::new("Source")
        .action(CodeCommitSource::new("Checkout", &fx.repo, "main").output(&Artifact::new("Src")))
}

fn build(fx: &Fx) -> Stage {
    Stage::new("Build").action(
        CodeBuild::new("Build", &fx.project)
            .input(&Artifact::new("Src"))
            .output(&Artifact::new("Out")),
    )
}

/// Adds a pipeline "ship" made by `f` and returns every violation message.
fn with_pipeline(
    mut fx: Fx,
    f: impl FnOnce(&Fx, PipelineBuilder) -> PipelineBuilder,
) -> Vec<String> {
    let b = Pipeline::builder().name("ship").artifact_store(&fx.bucket);
    let p = f(&fx, b).build().unwrap();
    fx.app.add(p);
    msgs(&fx.app)
}

fn msgs(app: &App) -> Vec<String> {
    check(app).iter().map(ToString::to_string).collect()
}

#[test]
fn a_valid_pipeline_has_no_violations() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(source(fx)).stage(build(fx)).stage(
            Stage::new("Deploy")
                .action(CodeDeploy::new("Prod", &fx.group).input(&Artifact::new("Out"))),
        )
    });
    assert_eq!(v, Vec::<String>::new());
}

#[test]
fn a_pipeline_needs_two_stages() {
    let v = with_pipeline(fx(), |fx, b| b.stage(source(fx)));
    assert_eq!(
        v,
        ["pipeline[ship].stages \"1\": a pipeline needs at least 2 stages"]
    );
}

#[test]
fn a_stage_needs_an_action() {
    let v = with_pipeline(fx(), |fx, b| b.stage(source(fx)).stage(Stage::new("Empty")));
    assert_eq!(
        v,
        ["pipeline[ship].stages[Empty].actions \"0\": a stage needs at least one action"]
    );
}

#[test]
fn stage_and_action_names_are_unique() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(source(fx)).stage(build(fx)).stage(
            Stage::new("Build")
                .action(ManualApproval::new("Ok"))
                .action(ManualApproval::new("Ok")),
        )
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Build].name \"Build\": stage names must be unique in a pipeline",
            "pipeline[ship].stages[Build].actions[Ok].name \"Ok\": action names must be unique in a stage",
        ]
    );
}

#[test]
fn source_actions_are_only_and_all_in_the_first_stage() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(Stage::new("Source").action(ManualApproval::new("Wait")))
            .stage(Stage::new("Late").action(
                CodeCommitSource::new("Checkout", &fx.repo, "main").output(&Artifact::new("Src")),
            ))
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Source].actions[Wait] \"Manual\": the first stage holds only source actions",
            "pipeline[ship].stages[Late].actions[Checkout] \"CodeCommit\": source actions belong in the first stage only",
        ]
    );
}

#[test]
fn run_order_is_1_to_999() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(source(fx)).stage(
            Stage::new("Wait")
                .action(ManualApproval::new("A").run_order(0))
                .action(ManualApproval::new("B").run_order(1000)),
        )
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Wait].actions[A].run_order \"0\": must be 1 to 999",
            "pipeline[ship].stages[Wait].actions[B].run_order \"1000\": must be 1 to 999",
        ]
    );
}

#[test]
fn inputs_must_be_produced_by_an_earlier_action() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(source(fx)).stage(
            Stage::new("Build")
                .action(
                    CodeBuild::new("Build", &fx.project)
                        .input(&Artifact::new("Src"))
                        .output(&Artifact::new("Out")),
                )
                // Same run order: runs in parallel with the producer, so it cannot take its output.
                .action(CodeDeploy::new("Deploy", &fx.group).input(&Artifact::new("Out")))
                .action(
                    CodeDeploy::new("Later", &fx.group)
                        .input(&Artifact::new("web"))
                        .run_order(2),
                ),
        )
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Build].actions[Deploy].inputs[Out] \"Out\": input artifact is produced by pipeline[ship].stages[Build].actions[Build], which runs at the same time (both have run order 1); give this action a later run order, such as run_order(2)",
            "pipeline[ship].stages[Build].actions[Later].inputs[web] \"web\": input artifact is not produced by any earlier action",
        ]
    );
}

#[test]
fn an_artifact_is_produced_once() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(source(fx)).stage(
            Stage::new("Build").action(
                CodeBuild::new("Build", &fx.project)
                    .input(&Artifact::new("Src"))
                    .output(&Artifact::new("Src")),
            ),
        )
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Build].actions[Build].outputs[Src] \"Src\": an artifact is produced once; pipeline[ship].stages[Source].actions[Checkout] already produces it"
        ]
    );
}

#[test]
fn artifact_counts_per_action_type() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(Stage::new("Source").action(CodeCommitSource::new("Checkout", &fx.repo, "main")))
            .stage(Stage::new("Build").action(CodeBuild::new("Build", &fx.project)))
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Source].actions[Checkout].outputs \"0\": a CodeCommit action produces exactly 1 output artifact; this one has none",
            "pipeline[ship].stages[Build].actions[Build].inputs \"0\": a CodeBuild action takes 1 to 5 input artifacts; this one has none",
        ]
    );
}

#[test]
fn v2_only_features_on_v1() {
    let v = with_pipeline(fx(), |fx, b| {
        b.pipeline_type(PipelineType::V1)
            .execution_mode(ExecutionMode::Queued)
            .variable("Env", "prod")
            .stage(source(fx))
            .stage(build(fx))
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].variables \"1\": pipeline variables need pipeline type V2",
            "pipeline[ship].execution_mode \"QUEUED\": execution modes QUEUED and PARALLEL need pipeline type V2",
        ]
    );
}

#[test]
fn variables_are_unique_with_bounded_defaults() {
    let v = with_pipeline(fx(), |fx, b| {
        b.variable("Env", "")
            .required_variable("Env")
            .stage(source(fx))
            .stage(build(fx))
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].variables[Env].default \"\": a default value has 1 to 1000 characters",
            "pipeline[ship].variables[Env].name \"Env\": variable names must be unique",
        ]
    );
}

#[test]
fn disabled_transitions_name_a_later_stage_with_a_valid_reason() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(source(fx))
            .stage(build(fx))
            .disable_transition("Source", "frozen")
            .disable_transition("Nope", "frozen")
            .disable_transition("Build", "release freeze; see #42")
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].disabled_transitions[Source].stage \"Source\": the first stage has no inbound transition",
            "pipeline[ship].disabled_transitions[Nope].stage \"Nope\": names no stage of this pipeline",
            "pipeline[ship].disabled_transitions[Build].reason \"release freeze; see #42\": 1 to 300 characters of A-Z, a-z, 0-9, space and '!@().*?-'",
        ]
    );
}

#[test]
fn namespaces_are_unique() {
    let v = with_pipeline(fx(), |fx, b| {
        b.stage(
            Stage::new("Source").action(
                CodeCommitSource::new("Checkout", &fx.repo, "main")
                    .output(&Artifact::new("Src"))
                    .namespace("Vars"),
            ),
        )
        .stage(
            Stage::new("Build").action(
                CodeBuild::new("Build", &fx.project)
                    .input(&Artifact::new("Src"))
                    .namespace("Vars"),
            ),
        )
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Build].actions[Build].namespace \"Vars\": action namespaces must be unique in a pipeline"
        ]
    );
}

#[test]
fn a_project_run_by_a_pipeline_takes_the_pipeline_source() {
    let mut f = fx();
    let own = f.app.add(
        BuildProject::builder()
            .name("own-source")
            .codecommit_source(&f.repo)
            .build()
            .unwrap(),
    );
    let v = with_pipeline(f, |fx, b| {
        b.stage(source(fx)).stage(
            Stage::new("Build").action(CodeBuild::new("Build", &own).input(&Artifact::new("Src"))),
        )
    });
    assert_eq!(
        v,
        [
            "project[own-source].source \"CODECOMMIT\": a project run by a pipeline (pipeline[ship].stages[Build].actions[Build]) takes its source and artifacts from the pipeline (CODEPIPELINE)"
        ]
    );
}

#[test]
fn project_ranges_and_lambda_compute() {
    let mut app = App::new("shop").unwrap();
    app.add(
        BuildProject::builder()
            .name("p1")
            .description("d".repeat(256))
            .timeout_minutes(4)
            .queued_timeout_minutes(481)
            .build()
            .unwrap(),
    );
    app.add(
        BuildProject::builder()
            .name("p2")
            .environment_type(EnvironmentType::LinuxLambdaContainer)
            .privileged(true)
            .local_cache([LocalCacheMode::Source])
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            format!("project[p1].description {:?}: at most 255 characters", "d".repeat(256)),
            "project[p1].timeout_minutes \"4\": must be 5 to 2160".into(),
            "project[p1].queued_timeout_minutes \"481\": must be 5 to 480".into(),
            "project[p2].environment.compute \"BUILD_GENERAL1_SMALL\": environment type LINUX_LAMBDA_CONTAINER needs a BUILD_LAMBDA_* compute".into(),
            "project[p2].environment.privileged \"true\": Lambda compute does not support privileged mode".into(),
            "project[p2].cache \"set\": Lambda compute does not support caching".into(),
        ]
    );
}

#[test]
fn env_var_names_are_unique_and_vpc_sizes_bounded() {
    let mut app = App::new("shop").unwrap();
    app.add(
        BuildProject::builder()
            .name("p1")
            .env("A", EnvValue::Plaintext("1".into()))
            .env("A", EnvValue::ParameterStore("/x".into()))
            .vpc("vpc-1", Vec::<String>::new(), ["sg-1"])
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "project[p1].environment.variables[A].name \"A\": environment variable names must be unique",
            "project[p1].vpc.subnets \"0\": 1 to 16 subnets",
        ]
    );
}

#[test]
fn bucket_lifecycle_rules() {
    let mut app = App::new("shop").unwrap();
    app.add(
        ArtifactBucket::builder()
            .name("b-unversioned")
            .versioned(false)
            .noncurrent_expiration_days(10)
            .expiration_days(0)
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "bucket[b-unversioned].noncurrent_expiration_days \"10\": noncurrent-version expiration needs versioning",
            "bucket[b-unversioned].expiration_days \"0\": must be 1 to 4294967295",
        ]
    );
}

#[test]
fn an_s3_source_bucket_is_versioned() {
    let mut f = fx();
    let drop = f.app.add(
        ArtifactBucket::builder()
            .name("shop-drop")
            .versioned(false)
            .build()
            .unwrap(),
    );
    let v = with_pipeline(f, |fx, b| {
        b.stage(
            Stage::new("Source")
                .action(S3Source::new("Drop", &drop, "src.zip").output(&Artifact::new("Src"))),
        )
        .stage(build(fx))
    });
    assert_eq!(
        v,
        [
            "pipeline[ship].stages[Source].actions[Drop].bucket \"shop-drop\": an S3 source bucket must be versioned"
        ]
    );
}

#[test]
fn group_alarm_rules() {
    let mut app = App::new("shop").unwrap();
    let a = app.add(ServerApplication::builder().name("shop").build().unwrap());
    let mut b = DeploymentGroup::builder().application(&a).name("many");
    for i in 0..11 {
        b = b.alarm(format!("alarm-{i}"));
    }
    app.add(b.build().unwrap());
    app.add(
        DeploymentGroup::builder()
            .application(&a)
            .name("none")
            .auto_rollback([RollbackEvent::StopOnAlarm])
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "deployment_group[shop/many].alarms \"11\": at most 10 alarms",
            "deployment_group[shop/none].auto_rollback \"DEPLOYMENT_STOP_ON_ALARM\": rolling back on alarms needs at least one alarm",
        ]
    );
}

#[test]
fn ecs_group_rules() {
    let mut app = App::new("shop").unwrap();
    let a = app.add(EcsApplication::builder().name("web").build().unwrap());
    app.add(
        DeploymentGroup::builder()
            .application(&a)
            .name("prod")
            .service("c", "s")
            .target_groups("tg", "tg")
            .prod_listener(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
            )
            .termination_wait_minutes(3000)
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "deployment_group[web/prod].ecs.termination_wait_minutes \"3000\": must be 0 to 2880",
            "deployment_group[web/prod].ecs.target_groups \"tg\": blue and green target groups must differ",
            "deployment_group[web/prod].ecs.prod_listener \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1\": an Elastic Load Balancing listener ARN",
        ]
    );
}

#[test]
fn a_lambda_group_with_a_derived_role_names_its_functions() {
    let mut app = App::new("shop").unwrap();
    let a = app.add(LambdaApplication::builder().name("fn").build().unwrap());
    app.add(
        DeploymentGroup::builder()
            .application(&a)
            .name("live")
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "deployment_group[fn/live].functions \"0\": a Lambda group needs at least one function to scope its derived role (or give the application an existing service role)"
        ]
    );
}

#[test]
fn deployment_config_ranges() {
    let mut app = App::new("shop").unwrap();
    app.add(
        DeploymentConfig::<Lambda>::traffic(
            "c1",
            TrafficRouting::Canary {
                percent: 100,
                interval_minutes: 0,
            },
        )
        .unwrap(),
    );
    app.add(
        DeploymentConfig::minimum_healthy_hosts("c2", HealthyHosts::FleetPercent(100)).unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "deployment_config[c1].traffic_routing.percent \"100\": must be 1 to 99",
            "deployment_config[c1].traffic_routing.interval_minutes \"0\": must be 1 to 4294967295",
            "deployment_config[c2].minimum_healthy_hosts.fleet_percent \"100\": must be 0 to 99",
        ]
    );
}

#[test]
fn logical_ids_are_unique() {
    let mut app = App::new("shop").unwrap();
    app.add(Repository::builder().name("shop-api").build().unwrap());
    app.add(Repository::builder().name("shop_api").build().unwrap());
    assert_eq!(
        msgs(&app),
        [
            "repository[shop_api] \"RepoShopApi\": logical id must be unique in the app; repository[shop-api] has the same one (names differ only in case or punctuation, or are equal)"
        ]
    );
}

#[test]
fn handles_from_another_app_are_refused() {
    let mut other = App::new("other").unwrap();
    let foreign = other.add(
        ArtifactBucket::builder()
            .name("other-bucket")
            .build()
            .unwrap(),
    );
    let mut f = fx();
    let p = Pipeline::builder()
        .name("ship")
        .artifact_store(&foreign)
        .stage(source(&f))
        .stage(build(&f))
        .build()
        .unwrap();
    f.app.add(p);
    assert_eq!(
        msgs(&f.app),
        ["pipeline[ship].artifact_store \"other-bucket\": must be a bucket added to this app"]
    );
}

#[test]
fn user_tags_leave_room_for_ours() {
    let mut b = Repository::builder().name("r1");
    for i in 0..49 {
        b = b.tag(format!("k{i}"), "v");
    }
    let mut app = App::new("shop").unwrap();
    app.add(b.build().unwrap());
    app.add(
        Repository::builder()
            .name("r2")
            .description("x".repeat(1001))
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "repository[r1].tags \"49\": at most 48 user tags (AWS allows 50 per resource; pipewright adds pipewright:app and pipewright:id)".to_string(),
            format!("repository[r2].description {:?}: at most 1000 characters", "x".repeat(1001)),
        ]
    );
}

#[test]
fn ecs_actions_need_their_templates_and_approvals_bounded_comments() {
    let mut f = fx();
    let a = f
        .app
        .add(EcsApplication::builder().name("web").build().unwrap());
    let g = f.app.add(
        DeploymentGroup::builder()
            .application(&a)
            .name("prod")
            .service("c", "s")
            .target_groups("blue", "green")
            .prod_listener("arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2")
            .build()
            .unwrap(),
    );
    let v = with_pipeline(f, |fx, b| {
        b.stage(source(fx))
            .stage(
                Stage::new("Approve").action(ManualApproval::new("Ok").comments("c".repeat(501))),
            )
            .stage(Stage::new("Deploy").action(
                EcsBlueGreenDeploy::new("BlueGreen", &g).image(&Artifact::new("Src"), "IMAGE"),
            ))
    });
    assert_eq!(
        v,
        [
            format!("pipeline[ship].stages[Approve].actions[Ok].comments {:?}: at most 500 characters", "c".repeat(501)),
            "pipeline[ship].stages[Deploy].actions[BlueGreen].task_definition \"\": a CodeDeployToECS action needs a task definition template".into(),
            "pipeline[ship].stages[Deploy].actions[BlueGreen].appspec \"\": a CodeDeployToECS action needs an AppSpec template".into(),
        ]
    );
}

#[test]
fn every_violation_is_reported_at_once() {
    let v = with_pipeline(fx(), |fx, b| {
        b.pipeline_type(PipelineType::V1)
            .execution_mode(ExecutionMode::Parallel)
            .stage(Stage::new("Source").action(CodeCommitSource::new("Checkout", &fx.repo, "main")))
    });
    assert_eq!(v.len(), 3, "{v:#?}");
    let err = validate(&fx().app).map(|()| "ok");
    assert_eq!(err, Ok("ok"));
}

#[test]
fn a_project_without_source_needs_an_inline_buildspec() {
    let mut app = App::new("shop").unwrap();
    app.add(
        BuildProject::builder()
            .name("p1")
            .no_source()
            .build()
            .unwrap(),
    );
    app.add(
        BuildProject::builder()
            .name("p2")
            .no_source()
            .buildspec(InlineBuildSpec::new().build(["make"]))
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [
            "project[p1].buildspec \"buildspec.yml\": a project without source needs an inline buildspec"
        ]
    );
}

/// A pipeline whose one build action passes `vars` as its environment variables.
fn with_action_env(vars: Vec<(String, EnvValue)>) -> Vec<String> {
    with_pipeline(fx(), |fx, b| {
        let mut action = CodeBuild::new("Build", &fx.project).input(&Artifact::new("Src"));
        for (name, value) in vars {
            action = action.env(name, value);
        }
        b.stage(source(fx))
            .stage(Stage::new("Build").action(action))
    })
}

/// Bug 3: the variables' size was estimated (name + value + 40 per variable, in bytes), not
/// measured on the JSON string synthesis puts in the action's configuration.
#[test]
fn bug3_action_env_size_is_the_rendered_json() {
    const OVER: &str = "pipeline[ship].stages[Build].actions[Build].env \"20\": action configuration values have at most 1000 characters (the variables' JSON is longer)";
    // 20 Parameter Store references: estimated at exactly 1000, rendered as 1161 characters
    // (a PARAMETER_STORE entry carries 47 characters of JSON around its name and value).
    let params = (0..20)
        .map(|i| {
            (
                format!("V{i:02}"),
                EnvValue::ParameterStore(format!("/p/{i:04}")),
            )
        })
        .collect();
    assert_eq!(with_action_env(params), [OVER]);
    // Quotes double when escaped: 480 of them are 960 characters of JSON, estimated at 521.
    let quotes = vec![("A".to_owned(), EnvValue::Plaintext("\"".repeat(480)))];
    assert_eq!(
        with_action_env(quotes),
        [
            "pipeline[ship].stages[Build].actions[Build].env \"1\": action configuration values have at most 1000 characters (the variables' JSON is longer)"
        ]
    );
    // 900 'é' are 1800 bytes but 944 characters of JSON: the estimate refused what AWS accepts.
    let accents = vec![("A".to_owned(), EnvValue::Plaintext("é".repeat(900)))];
    assert_eq!(with_action_env(accents), Vec::<String>::new());
}

/// Bug 4: alarm and branch names were counted in bytes; AWS counts characters.
#[test]
fn bug4_alarm_and_branch_names_count_characters() {
    let mut app = App::new("shop").unwrap();
    let a = app.add(ServerApplication::builder().name("shop").build().unwrap());
    app.add(
        DeploymentGroup::builder()
            .application(&a)
            .name("g")
            .alarm("é".repeat(255))
            .alarm("é".repeat(256))
            .build()
            .unwrap(),
    );
    assert_eq!(
        msgs(&app),
        [format!(
            "deployment_group[shop/g].alarms[1] {:?}: an alarm name has 1 to 255 characters",
            "é".repeat(256)
        )]
    );
    let branch = |b: String| {
        with_pipeline(fx(), move |fx, p| {
            p.stage(Stage::new("Source").action(
                CodeCommitSource::new("Checkout", &fx.repo, b).output(&Artifact::new("Src")),
            ))
            .stage(build(fx))
        })
    };
    assert_eq!(branch("é".repeat(256)), Vec::<String>::new());
    assert_eq!(
        branch("é".repeat(257)),
        [format!(
            "pipeline[ship].stages[Source].actions[Checkout].branch {:?}: a branch name has 1 to 256 characters",
            "é".repeat(257)
        )]
    );
}

/// Bug 8: a handle from another app resolved when that app had a resource of the same kind and
/// name at the same index.
#[test]
fn bug8_a_foreign_handle_at_the_same_index_is_refused() {
    let mut other = App::new("other").unwrap();
    let foreign = other.add(
        ArtifactBucket::builder()
            .name("shop-artifacts")
            .build()
            .unwrap(),
    );
    let mut app = App::new("shop").unwrap();
    app.add(
        ArtifactBucket::builder()
            .name("shop-artifacts")
            .build()
            .unwrap(),
    );
    let repo = app.add(Repository::builder().name("shop-api").build().unwrap());
    let project = app.add(BuildProject::builder().name("shop-build").build().unwrap());
    let p =
        Pipeline::builder()
            .name("ship")
            .artifact_store(&foreign)
            .stage(Stage::new("Source").action(
                CodeCommitSource::new("Checkout", &repo, "main").output(&Artifact::new("Src")),
            ))
            .stage(
                Stage::new("Build")
                    .action(CodeBuild::new("Build", &project).input(&Artifact::new("Src"))),
            )
            .build()
            .unwrap();
    app.add(p);
    assert_eq!(
        msgs(&app),
        ["pipeline[ship].artifact_store \"shop-artifacts\": must be a bucket added to this app"]
    );
}

/// Issue 17: a builder stopped at the first `?`, so one bad name hid every other mistake. Given
/// to `App::add` as builders, N independent mistakes are N violations, in the order of the model.
#[test]
fn every_mistake_of_an_app_is_reported_at_once_by_name() {
    let mut app = App::new("ledger").unwrap();
    let repo = app.add(Repository::builder().name("ledger"));
    let bucket = app.add(ArtifactBucket::builder().name("Ledger_Artifacts"));
    let unit = app.add(
        BuildProject::builder()
            .name("ledger-unit")
            .env("1_TOKEN", EnvValue::plaintext("x"))
            .timeout_minutes(3),
    );
    let bad = app.add(BuildProject::builder().name("_ledger"));
    let source = Artifact::new("Source");
    app.add(
        Pipeline::builder()
            .name("ledger")
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(Stage::new("Build").action(CodeBuild::test("UnitTests", &unit)))
            .stage(Stage::new("Build").action(CodeBuild::new("Lint", &bad).input(&source))),
    );
    let got: Vec<String> = check(&app).iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            format!("bucket[Ledger_Artifacts].name \"Ledger_Artifacts\": {}; capital letters are not allowed ('L' is character 1)", BucketName::RULE),
            format!(
                "project[ledger-unit].environment.variables[1_TOKEN].name \"1_TOKEN\": {}; it starts with '1'",
                EnvVarName::RULE
            ),
            "project[ledger-unit].timeout_minutes \"3\": must be 5 to 2160".into(),
            format!("project[_ledger].name \"_ledger\": {}; it starts with '_'", ProjectName::RULE),
            "pipeline[ledger].stages[Build].actions[UnitTests].inputs \"0\": a CodeBuild action \
             takes 1 to 5 input artifacts; this one has none"
                .into(),
            "pipeline[ledger].stages[Build].name \"Build\": stage names must be unique in a pipeline"
                .into(),
        ]
    );
}

/// What refers to a resource whose builder failed is not reported again: the failure says it.
#[test]
fn a_reference_to_an_unbuilt_resource_is_not_a_second_violation() {
    let mut fx = fx();
    let project = fx.app.add(BuildProject::builder().name("x"));
    let src = Artifact::new("Src");
    fx.app.add(
        Pipeline::builder()
            .name("ship")
            .artifact_store(&fx.bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &fx.repo, "main").output(&src)),
            )
            .stage(Stage::new("Build").action(CodeBuild::new("Build", &project).input(&src))),
    );
    let got: Vec<String> = check(&fx.app).iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [format!(
            "project[x].name \"x\": {}; it has 1 character",
            ProjectName::RULE
        )]
    );
    assert_eq!(fx.app.build_errors().count(), 1);
    assert!(fx.app.is_unbuilt(project.node()));
}

/// A pipeline whose builder left a stage out (its name was invalid) is not also told that it
/// lacks stages or that the artifacts that stage made are missing.
#[test]
fn a_partial_pipeline_is_checked_without_repeating_what_was_left_out() {
    let fx = fx();
    let mut app = fx.app;
    let src = Artifact::new("Src");
    app.add(
        Pipeline::builder()
            .name("ship")
            .artifact_store(&fx.bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &fx.repo, "main").output(&src)),
            )
            .stage(Stage::new("Build it").action(CodeBuild::new("Build", &fx.project).input(&src)))
            .tag("aws:x", "y"),
    );
    let got: Vec<String> = check(&app).iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            format!(
                "pipeline[ship].stages[Build it].name \"Build it\": {}; spaces are not allowed (character 6)",
                StageName::RULE
            ),
            format!("pipeline[ship].tags[aws:x] \"aws:x\": {}", TagKey::RULE),
        ]
    );
}

/// Issue 17: a Server group with no target at all went to AWS unremarked.
#[test]
fn a_server_group_without_target_is_a_warning_not_a_violation() {
    let mut app = App::new("shop").unwrap();
    let a = app.add(ServerApplication::builder().name("web"));
    app.add(DeploymentGroup::builder().application(&a).name("nowhere"));
    app.add(
        DeploymentGroup::builder()
            .application(&a)
            .name("fleet")
            .auto_scaling_group("web-asg"),
    );
    assert_eq!(check(&app), []);
    let got: Vec<String> = warnings(&app).iter().map(|w| w.path.clone()).collect();
    assert_eq!(got, ["deployment_group[web/nowhere].target"]);
}
