//! The classic pipeline from the AWS documentation: a CodeCommit repository, a CodeBuild project
//! that builds and runs the unit tests, a manual approval, and CodeDeploy to EC2 instances
//! selected by tag, with an S3 artifact bucket.
//!
//! `cargo run --example reference -- synth` writes the template and graph to `pipewright.out/`.

use pipewright::model::*;

/// Adds one reference pipeline to `app`, every name prefixed with `prefix`.
///
/// # Errors
/// When a name built from `prefix` breaks an AWS rule.
pub(crate) fn add_reference(app: &mut App, prefix: &str) -> Result<(), BuildError> {
    let repo = app.add(
        Repository::builder()
            .name(format!("{prefix}-api"))
            .description("Source of the shop API")
            .build()?,
    );
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{prefix}-artifacts-0001"))
            .build()?,
    );
    // The standard image has no Rust: install it there; a host that has cargo (the bundled
    // emulator's builds run on it, offline) skips the download. libtest's JUnit output is
    // unstable, hence RUSTC_BOOTSTRAP for that one command.
    // The unit test results are kept in a report group of the build, their raw files exported
    // to the artifact bucket.
    let unit_tests = ReportGroup::test("unit-tests").export_to(&bucket, Some("reports"));
    let spec = InlineBuildSpec::new()
        .install([
            "command -v cargo >/dev/null || curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal",
            "export PATH=\"$HOME/.cargo/bin:$PATH\"",
            "cargo --version",
        ])
        .build([
            "cargo build --release --locked",
            "RUSTC_BOOTSTRAP=1 cargo test --release --locked -- -Z unstable-options --format junit > unit.xml",
        ])
        .report(&unit_tests, "unit.xml", ReportFormat::JunitXml)
        .artifacts(["appspec.yml", "scripts/**/*", "target/release/shop-api"]);
    let build = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-build"))
            .description("Builds the shop API and runs its unit tests")
            .image(Image::STANDARD_7)
            .compute(ComputeType::Medium)
            .timeout_minutes(30)
            .buildspec(spec)
            .build()?,
    );
    let deploy = app.add(ServerApplication::builder().name(prefix).build()?);
    let production = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("production")
            .ec2_tag("Name", format!("{prefix}-web"))
            .config(DeployConfig::ONE_AT_A_TIME)
            .build()?,
    );
    let source = Artifact::new("Source");
    let built = Artifact::new("Built");
    app.add(
        Pipeline::builder()
            .name(prefix)
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(
                Stage::new("Build").action(
                    CodeBuild::new("BuildAndTest", &build)
                        .input(&source)
                        .output(&built),
                ),
            )
            .stage(
                Stage::new("Approve").action(
                    ManualApproval::new("Approve")
                        .comments("Check the build before it reaches production"),
                ),
            )
            .stage(
                Stage::new("Deploy")
                    .action(CodeDeploy::new("ToProduction", &production).input(&built)),
            )
            .build()?,
    );
    Ok(())
}

/// The reference app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("shop")?;
    add_reference(&mut app, "shop")?;
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
