//! A library from commit to a release repository: CodeCommit → a CodeBuild project that tests
//! (a JUnit report group and a Cobertura coverage report group), packages the library and
//! publishes it to the CodeArtifact repository `libs`, whose upstream `pypi-store` holds the
//! external connection to PyPI (the build's dependencies come through it) → a manual approval →
//! a second build that promotes the tested package, publishing the very archive the first build
//! made to the `release` repository.
//!
//! Each build gets the `CODEARTIFACT_*` variables to log in with and exactly CodeArtifact's
//! actions on its own repository (`docs/roles.md`). Destroying the app deletes the repositories,
//! then their domain.

use pipewright::model::*;

/// `aws codeartifact login` for twine and pip, where the AWS CLI is installed (on the bundled
/// emulator's host it is not, said in the log).
const LOGIN: &str = "if command -v aws >/dev/null 2>&1; then \
     aws codeartifact login --tool twine --domain \"$CODEARTIFACT_DOMAIN\" \
     --domain-owner \"$CODEARTIFACT_DOMAIN_OWNER\" --repository \"$CODEARTIFACT_REPOSITORY\" \
     --region \"$CODEARTIFACT_REGION\"; \
     else echo \"no AWS CLI here, not logged in to $CODEARTIFACT_REPOSITORY\"; fi";

/// Uploads `dist/*` with twine, where twine is installed.
const PUBLISH: &str = "if command -v twine >/dev/null 2>&1; then twine upload --repository codeartifact dist/*; \
     else echo \"no twine here, dist/ is not published to $CODEARTIFACT_REPOSITORY\"; fi";

/// The test build: unit tests and coverage as reports, the library packaged into `dist/`, and
/// published to `libs`.
fn test_and_publish(unit: &ReportGroup, coverage: &ReportGroup) -> InlineBuildSpec {
    InlineBuildSpec::new()
        .pre_build([LOGIN])
        .build([
            "mkdir -p reports dist",
            "printf '<testsuite name=\"lib\" tests=\"1\"><testcase name=\"adds\"/></testsuite>\\n' > reports/unit.xml",
            "printf '<coverage line-rate=\"1\"><packages><package name=\"lib\"><classes><class name=\"lib\" filename=\"src/lib.py\"><lines><line number=\"1\" hits=\"1\"/></lines></class></classes></package></packages></coverage>\\n' > reports/coverage.xml",
            "tar -czf dist/shop_lib-1.0.0.tar.gz src",
            PUBLISH,
        ])
        .artifacts(["dist/*"])
        .report(unit, "reports/unit.xml", ReportFormat::JunitXml)
        .report(coverage, "reports/coverage.xml", ReportFormat::CoberturaXml)
}

/// The promotion: the archive the test build made, published again to `release`.
fn promote() -> InlineBuildSpec {
    InlineBuildSpec::new()
        .pre_build([LOGIN])
        .build(["ls dist/", PUBLISH])
}

/// Adds the library pipeline to `app`, every name (and every name it refers to) derived from
/// `prefix`.
///
/// # Errors
/// When a name built from `prefix` breaks an AWS rule.
pub(crate) fn add_library(app: &mut App, prefix: &str) -> Result<(), BuildError> {
    let repo = app.add(Repository::builder().name(prefix).build()?);
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{prefix}-artifacts-0001"))
            .expiration_days(90)
            .build()?,
    );
    let domain = app.add(ArtifactDomain::builder().name(prefix).build()?);
    let pypi = app.add(
        ArtifactRepository::builder()
            .domain(&domain)
            .name("pypi-store")
            .description("PyPI, through CodeArtifact")
            .external_connection(ExternalConnection::Pypi)
            .build()?,
    );
    let libs = app.add(
        ArtifactRepository::builder()
            .domain(&domain)
            .name("libs")
            .description("Tested builds of the shop's libraries")
            .upstream(&pypi)
            .build()?,
    );
    let release = app.add(
        ArtifactRepository::builder()
            .domain(&domain)
            .name("release")
            .description("Approved releases")
            .upstream(&libs)
            .build()?,
    );
    let unit = ReportGroup::test("unit");
    let coverage = ReportGroup::coverage("coverage");
    let test = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-test"))
            .description("Tests, packages and publishes the library")
            .image(Image::STANDARD_7)
            .publishes_to(&libs)
            .buildspec(test_and_publish(&unit, &coverage))
            .build()?,
    );
    let promoter = app.add(
        BuildProject::builder()
            .name(format!("{prefix}-promote"))
            .description("Publishes the approved package to the release repository")
            .image(Image::STANDARD_7)
            .publishes_to(&release)
            .buildspec(promote())
            .build()?,
    );
    let source = Artifact::new("Source");
    let package = Artifact::new("Package");
    app.add(
        Pipeline::builder()
            .name(prefix)
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(
                Stage::new("Test").action(
                    CodeBuild::new("TestAndPublish", &test)
                        .input(&source)
                        .output(&package),
                ),
            )
            .stage(Stage::new("Approve").action(ManualApproval::new("Release")))
            .stage(
                Stage::new("Release").action(CodeBuild::new("Promote", &promoter).input(&package)),
            )
            .build()?,
    );
    Ok(())
}

/// The library app.
///
/// # Errors
/// Never for these names; the signature lets `?` carry builder errors.
pub(crate) fn app() -> Result<App, BuildError> {
    let mut app = App::new("library")?;
    add_library(&mut app, "shop-lib")?;
    Ok(app)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pipewright::cli::main(app()).await
}
