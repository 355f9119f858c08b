//! Staging then production: the build is deployed to the staging group while a security scan
//! runs in parallel, then integration tests run against staging, a person approves, and the same
//! build goes to production, keeping three quarters of the fleet healthy.

use pipewright::model::*;

/// Adds one staging-then-production pipeline to `app`, every name (and every name it refers to)
/// derived from `prefix`.
///
/// # Errors
/// When a name built from `prefix` breaks an AWS rule.
pub(crate) fn add_multi_env(app: &mut App, prefix: &str) -> Result<(), BuildError> {
    let repo = app.add(
        Repository::builder()
            .name(prefix)
            .tag("team", "payments")
            .build()?,
    );
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{prefix}-artifacts-0001"))
            .retain_on_destroy(true)
            .build()?,
    );
    let build = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-build"))
            .buildspec(InlineBuildSpec::new().build(["make release"]).artifacts([
                "appspec.yml",
                "scripts/**/*",
                "dist/**/*",
            ]))
            .build()?,
    );
    let scan = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-security-scan"))
            .buildspec(BuildSpec::File("ci/scan.yml".into()))
            .build()?,
    );
    let integration = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-integration-tests"))
            .buildspec(
                InlineBuildSpec::new()
                    .build(["make integration-test TARGET=staging"])
                    .report(
                        &ReportGroup::test("integration"),
                        "reports/*.xml",
                        ReportFormat::JunitXml,
                    ),
            )
            .env(
                "API_TOKEN",
                EnvValue::ParameterStore(format!("/{prefix}/staging/api-token")),
            )
            .build()?,
    );
    let deploy = app.add(ServerApplication::builder().name(prefix).build()?);
    let three_quarters = app.add(DeploymentConfig::minimum_healthy_hosts(
        format!("{prefix}-75-percent-healthy"),
        HealthyHosts::FleetPercent(75),
    )?);
    let staging = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("staging")
            .ec2_tag("Environment", format!("{prefix}-staging"))
            .config(DeployConfig::ALL_AT_ONCE)
            .build()?,
    );
    let production = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("production")
            .auto_scaling_group(format!("{prefix}-production"))
            .load_balancer_target_group(format!("{prefix}-production"))
            .config(&three_quarters)
            .build()?,
    );
    let source = Artifact::new("Source");
    let built = Artifact::new("Built");
    app.add(
        Pipeline::builder()
            .name(prefix)
            .artifact_store(&bucket)
            .execution_mode(ExecutionMode::Queued)
            .variable("ReleaseNote", "routine release")
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(
                Stage::new("Build").action(
                    CodeBuild::new("Build", &build)
                        .input(&source)
                        .output(&built),
                ),
            )
            .stage(
                Stage::new("Staging")
                    .action(CodeDeploy::new("DeployStaging", &staging).input(&built))
                    .action(CodeBuild::test("SecurityScan", &scan).input(&source))
                    .action(
                        CodeBuild::test("IntegrationTests", &integration)
                            .input(&source)
                            .run_order(2),
                    ),
            )
            .stage(
                Stage::new("Approve").action(
                    ManualApproval::new("PromoteToProduction")
                        .notify(format!(
                            "arn:aws:sns:eu-west-1:123456789012:{prefix}-approvals"
                        ))
                        .review_url(format!("https://{prefix}-staging.example.com")),
                ),
            )
            .stage(
                Stage::new("Production")
                    .action(CodeDeploy::new("DeployProduction", &production).input(&built)),
            )
            .build()?,
    );
    Ok(())
}

/// The multi-environment app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("billing")?;
    add_multi_env(&mut app, "billing")?;
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
