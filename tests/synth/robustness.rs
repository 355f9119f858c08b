//! Builders and name parsers never panic, whatever a user (or a config file) hands them: empty,
//! huge, non-ASCII and control-character strings are accepted or refused with the rule, and a
//! model that builds always validates or is refused with messages, never a panic.

use pipewright::model::*;
use proptest::prelude::*;

/// Strings a user might really pass, and the ones that break naive code.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z0-9-]{0,70}",
        "[A-Za-z0-9._@+=,/:-]{0,300}",
        "\\PC{0,80}",
        "[\\x00-\\x1f\\x7f]{1,20}",
        "[a-z]{1,10}[\u{0301}\u{200b}\u{fe0f}\u{1F600}]{1,4}",
        (1usize..20_000).prop_map(|n| "a".repeat(n)),
        (1usize..3_000).prop_map(|n| "é".repeat(n)),
    ]
}

macro_rules! parses_or_names_the_rule {
    ($value:expr, $($ty:ty),+ $(,)?) => {$(
        match <$ty>::new($value.clone()) {
            Ok(name) => {
                prop_assert_eq!(name.as_str(), $value.as_str());
                prop_assert_eq!(name.to_string(), $value.clone());
            }
            Err(e) => {
                prop_assert_eq!(&e.value, &$value);
                prop_assert_eq!(e.rule, <$ty>::RULE);
                prop_assert!(e.to_string().contains(e.rule));
            }
        }
    )+};
}

/// Mostly plausible names, so that whole models get built and reach validation and synthesis.
fn mostly_plausible() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-z][a-z0-9-]{2,20}", 1 => nasty()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn name_parsers_accept_or_state_the_rule(value in nasty()) {
        parses_or_names_the_rule!(
            value,
            AppName, RepositoryName, BucketName, ProjectName, ApplicationName,
            DeploymentGroupName, DeploymentConfigName, PipelineName, StageName, ActionName,
            ArtifactName, VariableName, Namespace, EnvVarName, RoleArn, TopicArn, KmsKeyArn,
            TagKey,
        );
    }

    #[test]
    fn builders_never_panic(
        app_name in prop_oneof![3 => Just("robust".to_owned()), 1 => nasty()],
        name in mostly_plausible(),
        other in mostly_plausible(),
        days in any::<u32>(),
    ) {
        // Whatever the input, every step answers with a value or an error.
        let Ok(mut app) = App::new(app_name) else { return Ok(()) };
        let repo = Repository::builder()
            .name(name.clone())
            .description(other.clone())
            .kms_key(other.clone())
            .tag(other.clone(), name.clone())
            .build();
        let bucket = ArtifactBucket::builder()
            .name(name.clone())
            .noncurrent_expiration_days(days)
            .expiration_days(days)
            .abort_incomplete_upload_days(days)
            .tag(name.clone(), other.clone())
            .build();
        let project = BuildProject::builder().name(name.clone()).build();
        let server = ServerApplication::builder().name(other.clone()).build();
        for error in [repo.as_ref().err(), bucket.as_ref().err(), project.as_ref().err(), server.as_ref().err()]
            .into_iter()
            .flatten()
        {
            prop_assert!(!error.to_string().is_empty());
        }

        if let (Ok(repo), Ok(bucket), Ok(project)) = (repo, bucket, project) {
            let repo = app.add(repo);
            let bucket = app.add(bucket);
            let project = app.add(project);
            let (source, built) = (Artifact::new(other.clone()), Artifact::new(name.clone()));
            let pipeline = Pipeline::builder()
                .name(name.clone())
                .artifact_store(&bucket)
                .variable(other.clone(), &name)
                .stage(Stage::new(other.clone()).action(
                    CodeCommitSource::new(name.clone(), &repo, other.clone()).output(&source),
                ))
                .stage(Stage::new(name.clone()).action(
                    CodeBuild::new(other.clone(), &project).input(&source).output(&built),
                ))
                .build();
            if let Ok(pipeline) = pipeline {
                app.add(pipeline);
                // Validation and synthesis of whatever was built: answers, never panics.
                match pipewright::validate::validate(&app) {
                    Ok(()) => {
                        prop_assert!(pipewright::synth::synthesize(&app).is_ok());
                    }
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }
        }
    }
}
