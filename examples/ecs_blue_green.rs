//! A container service released blue/green on ECS: the build produces an image, a task
//! definition template and an AppSpec; CodeDeploy shifts traffic from the blue to the green
//! target group, 10% first, the rest after five minutes.

use pipewright::model::*;

/// Adds one blue/green pipeline to `app`, every name (and every name it refers to) derived from
/// `prefix`.
///
/// # Errors
/// When a name built from `prefix` breaks an AWS rule.
pub(crate) fn add_ecs_blue_green(app: &mut App, prefix: &str) -> Result<(), BuildError> {
    let repo = app.add(Repository::builder().name(prefix).build()?);
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{prefix}-artifacts-0001"))
            .expiration_days(90)
            .build()?,
    );
    let image = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-image"))
            .description("Builds and pushes the container image")
            .image(Image::AMAZON_LINUX_5)
            .privileged(true)
            .env(
                "IMAGE_REPO",
                EnvValue::Plaintext(format!(
                    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{prefix}"
                )),
            )
            .env(
                "REGISTRY_TOKEN",
                EnvValue::SecretsManager("ci/registry-token".into()),
            )
            .buildspec(BuildSpec::File("ci/buildspec-image.yml".into()))
            .local_cache([LocalCacheMode::DockerLayer])
            .build()?,
    );
    let deploy = app.add(EcsApplication::builder().name(prefix).build()?);
    let group = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("production")
            .service("web-prod", prefix)
            .target_groups(format!("{prefix}-blue"), format!("{prefix}-green"))
            .prod_listener("arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web-prod/0123456789abcdef/0123456789abcdef")
            .test_listener("arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web-prod/0123456789abcdef/fedcba9876543210")
            .pass_role(format!("arn:aws:iam::123456789012:role/{prefix}-task"))
            .pass_role(format!(
                "arn:aws:iam::123456789012:role/{prefix}-execution"
            ))
            .termination_wait_minutes(15)
            .config(DeployConfig::ECS_CANARY_10_PERCENT_5_MINUTES)
            .alarm(format!("{prefix}-5xx"))
            .auto_rollback([RollbackEvent::DeploymentFailure, RollbackEvent::StopOnAlarm])
            .build()?,
    );
    let source = Artifact::new("Source");
    let built = Artifact::new("ImageAndSpecs");
    app.add(
        Pipeline::builder()
            .name(prefix)
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
    Ok(())
}

/// The ECS blue/green app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("web")?;
    add_ecs_blue_green(&mut app, "web-frontend")?;
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
