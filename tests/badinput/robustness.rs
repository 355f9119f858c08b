//! Builders the synth tier's property tests do not reach (deployment groups of every platform,
//! deployment configs, every pipeline action, build environment variables) answer any string
//! with a value or an error naming the rule, never a panic.

use pipewright::model::*;
use proptest::prelude::*;

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z0-9-]{0,40}",
        "[A-Za-z0-9._@+=,/:*-]{0,200}",
        "\\PC{0,60}",
        "[\\x00-\\x1f\\x7f]{1,20}",
        "[a-z]{1,8}[\u{0301}\u{200b}\u{fe0f}\u{1F600}]{1,4}",
        (1usize..10_000).prop_map(|n| "x".repeat(n)),
        (1usize..2_000).prop_map(|n| "ü".repeat(n)),
    ]
}

fn refusal_names_a_field(e: &BuildError) -> Result<(), TestCaseError> {
    prop_assert!(!e.problems.is_empty());
    for p in &e.problems {
        prop_assert!(!p.field.is_empty() && !p.rule.is_empty(), "{e}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn deploy_builders_never_panic(a in nasty(), b in nasty(), n in any::<u32>()) {
        let mut app = App::new("robust").expect("a valid app name");
        let server = ServerApplication::builder().name(a.clone()).service_role(b.clone()).tag(a.clone(), b.clone()).build();
        let lambda = LambdaApplication::builder().name(b.clone()).build();
        let ecs = EcsApplication::builder().name(a.clone()).build();
        for e in [server.as_ref().err(), lambda.as_ref().err(), ecs.as_ref().err()].into_iter().flatten() {
            refusal_names_a_field(e)?;
        }
        let fallback = || ServerApplication::builder().name("fallback").build().expect("valid");
        let server = app.add(server.unwrap_or_else(|_| fallback()));
        let group = DeploymentGroup::builder()
            .application(&server)
            .name(b.clone())
            .ec2_tag(a.clone(), b.clone())
            .ec2_tag_filter(TagFilter::ValueOnly(a.clone()))
            .on_premises_tag_filter(TagFilter::KeyOnly(b.clone()))
            .auto_scaling_group(a.clone())
            .load_balancer_target_group(b.clone())
            .alarm(a.clone())
            .tag(b.clone(), a.clone())
            .build();
        if let Err(e) = &group { refusal_names_a_field(e)?; } else if let Ok(g) = group { app.add(g); }
        if let Ok(ecs) = ecs {
            let ecs = app.add(ecs);
            let group = DeploymentGroup::builder()
                .application(&ecs)
                .name(a.clone())
                .service(a.clone(), b.clone())
                .target_groups(a.clone(), b.clone())
                .prod_listener(b.clone())
                .test_listener(a.clone())
                .termination_wait_minutes(n)
                .pass_role(a.clone())
                .build();
            if let Err(e) = &group { refusal_names_a_field(e)?; } else if let Ok(g) = group { app.add(g); }
        }
        for config in [
            DeploymentConfig::minimum_healthy_hosts(a.clone(), HealthyHosts::FleetPercent(n)).map(|c| { app.add(c); }),
            DeploymentConfig::<Lambda>::traffic(b.clone(), TrafficRouting::Canary { percent: n, interval_minutes: n }).map(|c| { app.add(c); }),
            DeploymentConfig::<Ecs>::traffic(a.clone(), TrafficRouting::Linear { percent: n, interval_minutes: n }).map(|c| { app.add(c); }),
        ] {
            if let Err(e) = &config { refusal_names_a_field(e)?; }
        }
        // Whatever was built validates or is refused with messages.
        if let Err(e) = pipewright::validate::validate(&app) {
            prop_assert!(!e.violations.is_empty());
        }
    }

    #[test]
    fn pipeline_actions_and_variables_never_panic(a in nasty(), b in nasty(), n in any::<u32>()) {
        let mut app = App::new("robust").expect("a valid app name");
        let repo = app.add(Repository::builder().name("r").build().expect("valid"));
        let bucket = app.add(ArtifactBucket::builder().name("robust-bucket").build().expect("valid"));
        let project = BuildProject::builder()
            .name("p1")
            .description(a.clone())
            .env(a.clone(), EnvValue::Plaintext(b.clone()))
            .env(b.clone(), EnvValue::ParameterStore(a.clone()))
            .encryption_key(a.clone())
            .log_group(b.clone(), Some(a.clone()))
            .vpc(a.clone(), [b.clone()], [a.clone()])
            .image(Image::custom(b.clone()))
            .build();
        if let Err(e) = &project { refusal_names_a_field(e)?; }
        let project = app.add(project.unwrap_or_else(|_| BuildProject::builder().name("p2").build().expect("valid")));
        let (x, y) = (Artifact::new(a.clone()), Artifact::new(b.clone()));
        let pipeline = Pipeline::builder()
            .name(a.clone())
            .artifact_store(&bucket)
            .variable(b.clone(), &a)
            .role(a.clone())
            .events_role(b.clone())
            .stage(Stage::new(a.clone())
                .action(CodeCommitSource::new(b.clone(), &repo, a.clone()).output(&x).namespace(a.clone()).run_order(n))
                .action(S3Source::new(a.clone(), &bucket, b.clone()).output(&y)))
            .stage(Stage::new(b.clone())
                .action(CodeBuild::new(a.clone(), &project).input(&x).output(&y).env(b.clone(), EnvValue::SecretsManager(a.clone())))
                .action(ManualApproval::new(b.clone()).notify(a.clone()).review_url(b.clone()).comments(a.clone()))
                .action(S3Deploy::new(a.clone(), &bucket).input(&y).object_key(b.clone())))
            .disable_transition(b.clone(), a.clone())
            .tag(a.clone(), b.clone())
            .build();
        match pipeline {
            Ok(p) => {
                app.add(p);
                match pipewright::validate::validate(&app) {
                    Ok(()) => prop_assert!(pipewright::synth::synthesize(&app).is_ok()),
                    Err(e) => prop_assert!(!e.violations.is_empty()),
                }
            }
            Err(e) => refusal_names_a_field(&e)?,
        }
    }
}
