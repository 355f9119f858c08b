//! A Lambda function released as a canary: 20% of the traffic moves to the new version, the rest
//! after ten minutes unless the error alarm fires, which rolls back.

use pipewright::model::*;

/// Adds one canary pipeline to `app`, every name (and every name it refers to) derived from
/// `prefix`.
///
/// # Errors
/// When a name built from `prefix` breaks an AWS rule.
pub(crate) fn add_lambda_canary(app: &mut App, prefix: &str) -> Result<(), BuildError> {
    let repo = app.add(
        Repository::builder()
            .name(format!("{prefix}-service"))
            .build()?,
    );
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{prefix}-service-artifacts-0001"))
            .build()?,
    );
    let package = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-package"))
            .description("Builds the function, publishes a version and writes the AppSpec")
            .environment_type(EnvironmentType::ArmContainer)
            .image(Image::AMAZON_LINUX_ARM_3)
            .env(
                "FUNCTION_NAME",
                EnvValue::Plaintext(format!("{prefix}-handler")),
            )
            .env(
                "SIGNING_PROFILE",
                EnvValue::ParameterStore(format!("/ci/{prefix}/signing-profile")),
            )
            .buildspec(
                InlineBuildSpec::new()
                    .build(["make package", "make test"])
                    .post_build(["./ci/publish-version.sh > appspec.yml"])
                    .artifacts(["appspec.yml"]),
            )
            .build()?,
    );
    let deploy = app.add(LambdaApplication::builder().name(prefix).build()?);
    let canary = app.add(DeploymentConfig::<Lambda>::traffic(
        format!("{prefix}-canary-20-percent-10-minutes"),
        TrafficRouting::Canary {
            percent: 20,
            interval_minutes: 10,
        },
    )?);
    let live = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("live")
            .function(format!("{prefix}-handler"))
            .config(&canary)
            .alarm(format!("{prefix}-handler-errors"))
            .auto_rollback([RollbackEvent::DeploymentFailure, RollbackEvent::StopOnAlarm])
            .build()?,
    );
    let source = Artifact::new("Source");
    let revision = Artifact::new("Revision");
    app.add(
        Pipeline::builder()
            .name(prefix)
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(
                Stage::new("Package").action(
                    CodeBuild::new("Package", &package)
                        .input(&source)
                        .output(&revision),
                ),
            )
            .stage(Stage::new("Release").action(CodeDeploy::new("Canary", &live).input(&revision)))
            .build()?,
    );
    Ok(())
}

/// The Lambda canary app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("orders")?;
    add_lambda_canary(&mut app, "orders")?;
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
