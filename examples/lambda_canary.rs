//! A Lambda function released as a canary: 20% of the traffic moves to the new version, the rest
//! after ten minutes unless the error alarm fires, which rolls back.

use pipewright::model::*;

/// The Lambda canary app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("orders")?;
    let repo = app.add(Repository::builder().name("orders-service").build()?);
    let bucket = app.add(
        ArtifactBucket::builder()
            .name("orders-service-artifacts-0001")
            .build()?,
    );
    let package = app.add(
        BuildProject::builder()
            .name("orders-package")
            .description("Builds the function, publishes a version and writes the AppSpec")
            .environment_type(EnvironmentType::ArmContainer)
            .image(Image::AMAZON_LINUX_ARM_3)
            .env(
                "FUNCTION_NAME",
                EnvValue::Plaintext("orders-handler".into()),
            )
            .env(
                "SIGNING_PROFILE",
                EnvValue::ParameterStore("/ci/orders/signing-profile".into()),
            )
            .buildspec(
                Spec::new()
                    .build(["make package", "make test"])
                    .post_build(["./ci/publish-version.sh > appspec.yml"])
                    .artifacts(["appspec.yml"]),
            )
            .build()?,
    );
    let deploy = app.add(LambdaApplication::builder().name("orders").build()?);
    let canary = app.add(DeploymentConfig::<Lambda>::traffic(
        "orders-canary-20-percent-10-minutes",
        TrafficRouting::Canary {
            percent: 20,
            interval_minutes: 10,
        },
    )?);
    let live = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("live")
            .function("orders-handler")
            .config(&canary)
            .alarm("orders-handler-errors")
            .auto_rollback([RollbackEvent::DeploymentFailure, RollbackEvent::StopOnAlarm])
            .build()?,
    );
    let source = Artifact::new("Source");
    let revision = Artifact::new("Revision");
    app.add(
        Pipeline::builder()
            .name("orders")
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
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
