//! A container image from commit to ECS: CodeCommit → a CodeBuild project that tests, builds
//! the image and pushes it to an ECR repository of the app (its URI in `REPOSITORY_URI`, the
//! push actions on exactly that repository in its role), with the tests' JUnit report in a
//! report group → CodeDeploy's ECS blue/green deployment of the pushed image
//! (`imageDetail.json`).
//!
//! The repository keeps tags immutable and scans every push; its lifecycle keeps the last 20
//! images and expires untagged ones after a week. Destroying the app deletes it with its images.

use pipewright::model::*;

/// The image build: tests with a JUnit report, then the image, tagged with the commit and
/// pushed (where a Docker daemon answers; on the bundled emulator's host the image itself is
/// skipped, said in the log), then the files CodeDeploy's ECS action reads.
fn buildspec(unit: &ReportGroup) -> InlineBuildSpec {
    InlineBuildSpec::new()
        .pre_build([
            "TAG=$(echo \"${CODEBUILD_RESOLVED_SOURCE_VERSION:-latest}\" | cut -c1-7)",
            "export IMAGE_URI=\"$REPOSITORY_URI:$TAG\"",
            "if docker info >/dev/null 2>&1; then aws ecr get-login-password | docker login --username AWS --password-stdin \"${REPOSITORY_URI%%/*}\"; fi",
        ])
        .build([
            "mkdir -p reports",
            "printf '<testsuite name=\"web\" tests=\"1\"><testcase name=\"serves\"/></testsuite>\\n' > reports/web.xml",
            "if docker info >/dev/null 2>&1; then docker build -t \"$IMAGE_URI\" . && docker push \"$IMAGE_URI\"; else echo \"no Docker daemon here, the image is not built\"; fi",
            "printf '{\"ImageURI\":\"%s\"}\\n' \"$IMAGE_URI\" > imageDetail.json",
        ])
        .artifacts(["imageDetail.json", "taskdef.json", "appspec.yaml"])
        .report(unit, "reports/*.xml", ReportFormat::JunitXml)
}

/// Adds the container pipeline to `app`, every name (and every name it refers to) derived from
/// `prefix`.
///
/// # Errors
/// When a name built from `prefix` breaks an AWS rule.
pub(crate) fn add_container(app: &mut App, prefix: &str) -> Result<(), BuildError> {
    let repo = app.add(Repository::builder().name(prefix).build()?);
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{prefix}-artifacts-0001"))
            .expiration_days(90)
            .build()?,
    );
    let images = app.add(
        ImageRepository::builder()
            .name(format!("{prefix}/web"))
            .keep_last_images(20)
            .expire_untagged_after_days(7)
            .build()?,
    );
    let unit = ReportGroup::test("unit");
    let image = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-image"))
            .description("Tests, builds and pushes the container image")
            .image(Image::AMAZON_LINUX_5)
            .privileged(true)
            .pushes_to(&images)
            .buildspec(buildspec(&unit))
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
            .auto_rollback([RollbackEvent::DeploymentFailure])
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

/// The container app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("container")?;
    add_container(&mut app, "web-container")?;
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
