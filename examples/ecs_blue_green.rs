//! A container service released blue/green on ECS: the build produces an image, a task
//! definition template and an AppSpec; CodeDeploy shifts traffic from the blue to the green
//! target group, 10% first, the rest after five minutes.

use pipewright::model::*;

/// The ECS blue/green app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("web")?;
    let repo = app.add(Repository::builder().name("web-frontend").build()?);
    let bucket = app.add(
        ArtifactBucket::builder()
            .name("web-frontend-artifacts-0001")
            .expiration_days(90)
            .build()?,
    );
    let image = app.add(
        BuildProject::builder()
            .name("web-frontend-image")
            .description("Builds and pushes the container image")
            .image(Image::AMAZON_LINUX_5)
            .privileged(true)
            .env(
                "IMAGE_REPO",
                EnvValue::Plaintext(
                    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web-frontend".into(),
                ),
            )
            .env(
                "REGISTRY_TOKEN",
                EnvValue::SecretsManager("ci/registry-token".into()),
            )
            .buildspec(BuildSpec::File("ci/buildspec-image.yml".into()))
            .local_cache([LocalCacheMode::DockerLayer])
            .build()?,
    );
    let deploy = app.add(EcsApplication::builder().name("web-frontend").build()?);
    let group = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("production")
            .service("web-prod", "web-frontend")
            .target_groups("web-frontend-blue", "web-frontend-green")
            .prod_listener("arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web-prod/0123456789abcdef/0123456789abcdef")
            .test_listener("arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web-prod/0123456789abcdef/fedcba9876543210")
            .pass_role("arn:aws:iam::123456789012:role/web-frontend-task")
            .pass_role("arn:aws:iam::123456789012:role/web-frontend-execution")
            .termination_wait_minutes(15)
            .config(DeployConfig::ECS_CANARY_10_PERCENT_5_MINUTES)
            .alarm("web-frontend-5xx")
            .auto_rollback([RollbackEvent::DeploymentFailure, RollbackEvent::StopOnAlarm])
            .build()?,
    );
    let source = Artifact::new("Source");
    let built = Artifact::new("ImageAndSpecs");
    app.add(
        Pipeline::builder()
            .name("web-frontend")
            .artifact_store(&bucket)
            .execution_mode(ExecutionMode::Queued)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(
                Stage::new("Build").action(
                    CodeBuild::new("Image", &image)
                        .input(&source)
                        .output(&built)
                        .namespace("Image"),
                ),
            )
            .stage(
                Stage::new("Deploy").action(
                    EcsBlueGreenDeploy::new("BlueGreen", &group)
                        .task_definition(&built, "taskdef.json")
                        .appspec(&built, "appspec.yaml")
                        .image(&built, "IMAGE1_NAME"),
                ),
            )
            .build()?,
    );
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
