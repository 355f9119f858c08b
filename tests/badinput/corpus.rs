//! The corpus of invalid models: every validation rule and every name newtype, each case a small
//! app (or a builder that refuses) and the exact message the CLI must print for it.
//!
//! [`CASES`] is data on purpose: the tests iterate it, and [`markdown_table`] renders it for the
//! reliability report, so the report lists exactly what the tests ran.

use std::collections::BTreeMap;

use pipewright::model::*;

/// What the CLI must say about a case.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// The model builds but validation finds exactly one violation.
    Invalid {
        /// The resource and the field path, such as `pipeline[ship].stages`.
        path: &'static str,
        value: Val,
        rule: &'static str,
    },
    /// Several independent mistakes in one app (builders handed to `App::add` as they are),
    /// every one reported in one run: each line is `path "value": rule`, in model order.
    All(&'static [&'static str]),
    /// A builder (or `App::new`) refuses with exactly one problem.
    Refused {
        /// The resource kind and its name, as the builder reports them.
        resource: &'static str,
        name: &'static str,
        /// The field path inside the resource.
        field: &'static str,
        value: Val,
        rule: &'static str,
    },
}

/// A value in a message: literal, repeated (for length limits), or absent (a missing field).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val {
    S(&'static str),
    Rep(&'static str, usize),
    Missing,
}

impl Val {
    fn text(self) -> Option<String> {
        match self {
            Val::S(s) => Some(s.to_owned()),
            Val::Rep(s, n) => Some(s.repeat(n)),
            Val::Missing => None,
        }
    }
}

/// One invalid model.
pub(crate) struct Case {
    /// The rule it breaks, as grouped in the report.
    pub(crate) rule: &'static str,
    /// Its name (unique in the corpus).
    pub(crate) name: &'static str,
    pub(crate) app: fn() -> Result<App, BuildError>,
    pub(crate) expect: Expect,
}

impl Case {
    /// The whole of what the CLI must print on stderr for this case.
    pub(crate) fn stderr(&self) -> String {
        let quoted = |v: Val| match v.text() {
            Some(t) => format!(" {t:?}"),
            None => String::new(),
        };
        match self.expect {
            Expect::Invalid { path, value, rule } => format!(
                "error: the app is invalid; nothing was sent to AWS: 1 violation:\n  {path}{}: {rule}\n",
                quoted(value)
            ),
            Expect::All(lines) => format!(
                "error: the app is invalid; nothing was sent to AWS: {} violations:\n{}",
                lines.len(),
                lines.iter().map(|l| format!("  {l}\n")).collect::<String>()
            ),
            Expect::Refused {
                resource,
                name,
                field,
                value,
                rule,
            } => format!(
                "error: the app could not be built: {resource} {name:?}: {field}{}: {rule}{}\n",
                quoted(value),
                breach(self.name)
                    .map(|b| format!("; {b}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// Which part of its rule a refused name breaks, as the message says after the rule, by case.
fn breach(case: &str) -> Option<&'static str> {
    BREACHES.iter().find(|(c, _)| *c == case).map(|(_, b)| *b)
}

/// The part of the rule each refused name breaks (cases not listed break a rule that is not
/// about a name's characters, length or ends, such as an ARN's shape).
const BREACHES: &[(&str, &str)] = &[
    (
        "app name with capitals",
        "capital letters are not allowed ('S' is character 1)",
    ),
    ("app name of 33 characters", "it has 33 characters"),
    ("repository name ending in .git", "it ends in '.git'"),
    (
        "image repository name with capitals",
        "capital letters are not allowed ('S' is character 1)",
    ),
    (
        "image repository name with an empty part",
        "a '.', '_', '-' or '/' starts or ends it or a part, or two of them meet",
    ),
    ("image repository name of 1 character", "it has 1 character"),
    (
        "artifact domain name with capitals",
        "capital letters are not allowed ('S' is character 1)",
    ),
    (
        "artifact domain name ending with a hyphen",
        "it ends with '-'",
    ),
    (
        "artifact repository name starting with a dot",
        "it starts with '.'",
    ),
    (
        "artifact repository name of 101 characters",
        "it has 101 characters",
    ),
    (
        "bucket name with capitals",
        "capital letters are not allowed ('S' is character 1)",
    ),
    (
        "bucket name shaped like an IP address",
        "it is shaped like an IP address",
    ),
    ("access-log bucket name too short", "it has 2 characters"),
    ("project name starting with '_'", "it starts with '_'"),
    (
        "application name with a space",
        "spaces are not allowed (character 5)",
    ),
    ("empty deployment group name", "it is empty"),
    (
        "config name in the reserved CodeDeployDefault. namespace",
        "it starts with 'CodeDeployDefault.'",
    ),
    (
        "pipeline name with a space",
        "spaces are not allowed (character 5)",
    ),
    (
        "stage name with a space",
        "spaces are not allowed (character 6)",
    ),
    (
        "disabled transition naming an invalid stage name",
        "spaces are not allowed (character 6)",
    ),
    ("action name of 101 characters", "it has 101 characters"),
    (
        "output artifact named like a file",
        "'.' (character 4) is not allowed",
    ),
    ("empty input artifact name", "it is empty"),
    (
        "variable name with a dot",
        "'.' (character 2) is not allowed",
    ),
    ("namespace with a dot", "'.' (character 6) is not allowed"),
    (
        "project variable in the reserved CODEBUILD_ namespace",
        "it starts with 'CODEBUILD_'",
    ),
    (
        "action variable starting with a digit",
        "it starts with '1'",
    ),
];

// ---------------------------------------------------------------------------------------------
// Fixtures: a small valid app, and ways to break one thing in it.

struct Fx {
    app: App,
    repo: Handle<Repository>,
    bucket: Handle<ArtifactBucket>,
    project: Handle<BuildProject>,
    group: Handle<DeploymentGroup<Server>>,
}

fn fx() -> Result<Fx, BuildError> {
    let mut app = App::new("shop")?;
    let repo = app.add(Repository::builder().name("shop-api").build()?);
    let bucket = app.add(ArtifactBucket::builder().name("shop-artifacts").build()?);
    let project = app.add(BuildProject::builder().name("shop-build").build()?);
    let deploy = app.add(ServerApplication::builder().name("shop").build()?);
    let group = app.add(
        DeploymentGroup::builder()
            .application(&deploy)
            .name("prod")
            .ec2_tag("Name", "web")
            .build()?,
    );
    Ok(Fx {
        app,
        repo,
        bucket,
        project,
        group,
    })
}

fn src(fx: &Fx) -> Stage {
    Stage::new("Source")
        .action(CodeCommitSource::new("Checkout", &fx.repo, "main").output(&Artifact::new("Src")))
}

fn bld(fx: &Fx) -> Stage {
    Stage::new("Build").action(
        CodeBuild::new("Build", &fx.project)
            .input(&Artifact::new("Src"))
            .output(&Artifact::new("Out")),
    )
}

fn dep(fx: &Fx) -> Stage {
    Stage::new("Deploy").action(CodeDeploy::new("Prod", &fx.group).input(&Artifact::new("Out")))
}

/// The fixture plus a pipeline `ship` made by `f`.
fn ship(f: impl FnOnce(&Fx, PipelineBuilder) -> PipelineBuilder) -> Result<App, BuildError> {
    let mut fx = fx()?;
    let b = Pipeline::builder().name("ship").artifact_store(&fx.bucket);
    let p = f(&fx, b).build()?;
    fx.app.add(p);
    Ok(fx.app)
}

/// The valid pipeline `ship` with `stage` appended.
fn ship_with(stage: fn(&Fx) -> Stage) -> Result<App, BuildError> {
    ship(|fx, b| b.stage(src(fx)).stage(bld(fx)).stage(stage(fx)))
}

/// A valid app: the fixture and a three-stage pipeline.
pub(crate) fn valid() -> Result<App, BuildError> {
    ship(|fx, b| b.stage(src(fx)).stage(bld(fx)).stage(dep(fx)))
}

/// The pipeline `ship` running `n` build projects in parallel stages of 50: its derived service
/// role lists each project, so its policy grows with `n`.
fn many_projects(n: usize) -> Result<App, BuildError> {
    let mut fx = fx()?;
    let mut projects = Vec::new();
    for i in 0..n {
        let name = format!("shop-check-{i:03}");
        projects.push(fx.app.add(BuildProject::builder().name(name).build()?));
    }
    let mut b = Pipeline::builder()
        .name("ship")
        .artifact_store(&fx.bucket)
        .stage(src(&fx));
    for (s, chunk) in projects.chunks(50).enumerate() {
        let mut stage = Stage::new(format!("Check{s}"));
        for (i, p) in chunk.iter().enumerate() {
            stage =
                stage.action(CodeBuild::new(format!("Check{i}"), p).input(&Artifact::new("Src")));
        }
        b = b.stage(stage);
    }
    fx.app.add(b.build()?);
    Ok(fx.app)
}

/// The fixture plus whatever `f` adds.
fn plus(f: impl FnOnce(&mut Fx) -> Result<(), BuildError>) -> Result<App, BuildError> {
    let mut fx = fx()?;
    f(&mut fx)?;
    Ok(fx.app)
}

/// An app of its own, for handles that do not belong to the app under test.
fn other() -> Result<App, BuildError> {
    Ok(App::new("other")?)
}

fn project(f: fn(BuildProjectBuilder) -> BuildProjectBuilder) -> Result<App, BuildError> {
    plus(|fx| {
        fx.app.add(f(BuildProject::builder().name("p1")).build()?);
        Ok(())
    })
}

fn image_repo(f: fn(ImageRepositoryBuilder) -> ImageRepositoryBuilder) -> Result<App, BuildError> {
    plus(|fx| {
        fx.app.add(f(ImageRepository::builder()).build()?);
        Ok(())
    })
}

/// The fixture plus the CodeArtifact domain `shop`, its repository `store`, and what `f` adds.
fn packages(
    f: impl FnOnce(
        &mut Fx,
        &Handle<ArtifactDomain>,
        &Handle<ArtifactRepository>,
    ) -> Result<(), BuildError>,
) -> Result<App, BuildError> {
    plus(|fx| {
        let domain = fx.app.add(ArtifactDomain::builder().name("shop").build()?);
        let store = fx.app.add(
            ArtifactRepository::builder()
                .domain(&domain)
                .name("store")
                .build()?,
        );
        f(fx, &domain, &store)
    })
}

fn bucket(f: fn(ArtifactBucketBuilder) -> ArtifactBucketBuilder) -> Result<App, BuildError> {
    plus(|fx| {
        fx.app
            .add(f(ArtifactBucket::builder().name("shop-b1")).build()?);
        Ok(())
    })
}

fn group(
    f: fn(DeploymentGroupBuilder<Server>) -> DeploymentGroupBuilder<Server>,
) -> Result<App, BuildError> {
    plus(|fx| {
        let a = fx
            .app
            .add(ServerApplication::builder().name("web").build()?);
        fx.app
            .add(f(DeploymentGroup::builder().application(&a).name("g1")).build()?);
        Ok(())
    })
}

fn ecs_group(
    f: fn(DeploymentGroupBuilder<Ecs>) -> DeploymentGroupBuilder<Ecs>,
) -> Result<App, BuildError> {
    plus(|fx| {
        let a = fx.app.add(EcsApplication::builder().name("web").build()?);
        let b = DeploymentGroup::builder()
            .application(&a)
            .name("g1")
            .service("c", "s")
            .target_groups("blue", "green")
            .prod_listener(LISTENER);
        fx.app.add(f(b).build()?);
        Ok(())
    })
}

const LISTENER: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2";

fn ecs_action(
    f: fn(EcsBlueGreenDeploy, &Artifact) -> EcsBlueGreenDeploy,
) -> Result<App, BuildError> {
    let mut fx = fx()?;
    let a = fx.app.add(EcsApplication::builder().name("web").build()?);
    let g = fx.app.add(
        DeploymentGroup::builder()
            .application(&a)
            .name("prod")
            .service("c", "s")
            .target_groups("blue", "green")
            .prod_listener(LISTENER)
            .build()?,
    );
    let s = Artifact::new("Src");
    let p = Pipeline::builder()
        .name("ship")
        .artifact_store(&fx.bucket)
        .stage(src(&fx))
        .stage(Stage::new("Deploy").action(f(EcsBlueGreenDeploy::new("BlueGreen", &g), &s)))
        .build()?;
    fx.app.add(p);
    Ok(fx.app)
}

fn approval(f: fn(ManualApproval) -> ManualApproval) -> Result<App, BuildError> {
    ship(|fx, b| {
        b.stage(src(fx))
            .stage(Stage::new("Approve").action(f(ManualApproval::new("Ok"))))
    })
}

fn action_env(f: fn(CodeBuild) -> CodeBuild) -> Result<App, BuildError> {
    ship(|fx, b| {
        b.stage(src(fx)).stage(Stage::new("Build").action(f(
            CodeBuild::new("Build", &fx.project).input(&Artifact::new("Src")),
        )))
    })
}

fn variables(f: fn(PipelineBuilder) -> PipelineBuilder) -> Result<App, BuildError> {
    ship(|fx, b| f(b).stage(src(fx)).stage(bld(fx)))
}

fn config<P: Platform>(c: Result<DeploymentConfig<P>, BuildError>) -> Result<App, BuildError>
where
    DeploymentConfig<P>: Resource,
{
    let c = c?;
    plus(move |fx| {
        fx.app.add(c);
        Ok(())
    })
}

/// A bad bucket name and a bad project name: the first used to hide the second.
fn two_bad_names() -> Result<App, BuildError> {
    let mut app = App::new("ledger")?;
    app.add(ArtifactBucket::builder().name("Ledger-Artifacts"));
    app.add(BuildProject::builder().name("ledger.unit"));
    Ok(app)
}

/// The issue 17 app: an invalid environment variable (which used to hide the rest), a test
/// action without input, a duplicate stage and an out-of-range timeout.
fn four_mistakes() -> Result<App, BuildError> {
    let mut app = App::new("ledger")?;
    let repo = app.add(Repository::builder().name("ledger"));
    let bucket = app.add(ArtifactBucket::builder().name("ledger-artifacts"));
    let unit = app.add(
        BuildProject::builder()
            .name("ledger-unit")
            .env("unit-token", EnvValue::parameter_store("/ledger/token"))
            .timeout_minutes(4000),
    );
    let source = Artifact::new("Source");
    app.add(
        Pipeline::builder()
            .name("ledger")
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(Stage::new("Build").action(CodeBuild::test("UnitTests", &unit)))
            .stage(Stage::new("Build").action(CodeBuild::new("Package", &unit).input(&source))),
    );
    Ok(app)
}

/// A project that could not be built at all, used by a pipeline, and a bad stage name in it:
/// each said once (no "must be a project added to this app", no "not produced").
fn unbuilt_reference() -> Result<App, BuildError> {
    let mut fx = fx()?;
    let lint = fx.app.add(BuildProject::builder().name("l"));
    let code = Artifact::new("Src");
    let source = src(&fx);
    fx.app.add(
        Pipeline::builder()
            .name("ship")
            .artifact_store(&fx.bucket)
            .stage(source)
            .stage(Stage::new("Lint it").action(CodeBuild::new("Lint", &lint).input(&code)))
            .stage(Stage::new("Check").action(CodeBuild::new("Check", &lint).input(&code))),
    );
    Ok(fx.app)
}

fn stage_names(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

// ---------------------------------------------------------------------------------------------
// The corpus.

use Expect::{All, Invalid, Refused};
use Val::{Missing, Rep, S};

const ROLE_RULE: &str = RoleArn::RULE;

/// Every case, grouped by rule.
pub(crate) const CASES: &[Case] = &[
    // ---- several mistakes in one app, every one reported in one run ------------------------
    Case {
        rule: "every mistake at once",
        name: "a bad bucket name and a bad project name",
        app: two_bad_names,
        expect: All(&[
            "bucket[Ledger-Artifacts].name \"Ledger-Artifacts\": 3 to 63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, not starting with 'xn--' or 'sthree-', not ending with '-s3alias' or '--ol-s3'; capital letters are not allowed ('L' is character 1)",
            "project[ledger.unit].name \"ledger.unit\": 2 to 150 characters of A-Z, a-z, 0-9, '-' and '_', starting with a letter or digit; '.' (character 7) is not allowed",
        ]),
    },
    Case {
        rule: "every mistake at once",
        name: "a bad variable name, a missing input, a duplicate stage and a long timeout",
        app: four_mistakes,
        expect: All(&[
            "project[ledger-unit].environment.variables[unit-token].name \"unit-token\": 1 to 255 characters of A-Z, a-z, 0-9 and '_', not starting with a digit or with 'CODEBUILD_' (reserved); '-' (character 5) is not allowed",
            "project[ledger-unit].timeout_minutes \"4000\": must be 5 to 2160",
            "pipeline[ledger].stages[Build].actions[UnitTests].inputs \"0\": a CodeBuild action takes 1 to 5 input artifacts; this one has none",
            "pipeline[ledger].stages[Build].name \"Build\": stage names must be unique in a pipeline",
        ]),
    },
    Case {
        rule: "every mistake at once",
        name: "a pipeline using a project that could not be built",
        app: unbuilt_reference,
        expect: All(&[
            "project[l].name \"l\": 2 to 150 characters of A-Z, a-z, 0-9, '-' and '_', starting with a letter or digit; it has 1 character",
            "pipeline[ship].stages[Lint it].name \"Lint it\": 1 to 100 characters of A-Z, a-z, 0-9 and '.@_-'; spaces are not allowed (character 5)",
        ]),
    },
    // ---- names (builders and `App::new`) ---------------------------------------------------
    Case {
        rule: "name: app",
        name: "app name with capitals",
        app: || Ok(App::new("Shop")?),
        expect: Refused {
            resource: "app",
            name: "Shop",
            field: "name",
            value: S("Shop"),
            rule: AppName::RULE,
        },
    },
    Case {
        rule: "name: app",
        name: "app name of 33 characters",
        app: || Ok(App::new("a".repeat(33))?),
        expect: Refused {
            resource: "app",
            name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            field: "name",
            value: Rep("a", 33),
            rule: AppName::RULE,
        },
    },
    Case {
        rule: "name: repository",
        name: "repository name ending in .git",
        app: || {
            plus(|fx| {
                fx.app.add(Repository::builder().name("shop.git").build()?);
                Ok(())
            })
        },
        expect: Refused {
            resource: "repository",
            name: "shop.git",
            field: "name",
            value: S("shop.git"),
            rule: RepositoryName::RULE,
        },
    },
    Case {
        rule: "name: image repository",
        name: "image repository name with capitals",
        app: || image_repo(|r| r.name("Shop/web")),
        expect: Refused {
            resource: "image repository",
            name: "Shop/web",
            field: "name",
            value: S("Shop/web"),
            rule: ImageRepositoryName::RULE,
        },
    },
    Case {
        rule: "name: image repository",
        name: "image repository name with an empty part",
        app: || image_repo(|r| r.name("shop//web")),
        expect: Refused {
            resource: "image repository",
            name: "shop//web",
            field: "name",
            value: S("shop//web"),
            rule: ImageRepositoryName::RULE,
        },
    },
    Case {
        rule: "name: image repository",
        name: "image repository name of 1 character",
        app: || image_repo(|r| r.name("s")),
        expect: Refused {
            resource: "image repository",
            name: "s",
            field: "name",
            value: S("s"),
            rule: ImageRepositoryName::RULE,
        },
    },
    Case {
        rule: "image repository: a KMS key is named by its key ARN",
        name: "image repository key named by an alias",
        app: || {
            image_repo(|r| {
                r.name("shop/web")
                    .kms_key("arn:aws:kms:eu-west-1:123456789012:alias/images")
            })
        },
        expect: Refused {
            resource: "image repository",
            name: "shop/web",
            field: "kms_key",
            value: S("arn:aws:kms:eu-west-1:123456789012:alias/images"),
            rule: "an image repository's key is named by its key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias: ECR returns the key ARN",
        },
    },
    Case {
        rule: "image repository: a lifecycle rule's count is positive",
        name: "image repository keeping the last 0 images",
        app: || image_repo(|r| r.name("shop/web").keep_last_images(0)),
        expect: Refused {
            resource: "image repository",
            name: "shop/web",
            field: "lifecycle.keep_last_images",
            value: S("0"),
            rule: "a lifecycle rule's count is a positive integer (ECR: countNumber)",
        },
    },
    Case {
        rule: "image repository: a lifecycle rule's count is positive",
        name: "image repository expiring untagged images after 0 days",
        app: || image_repo(|r| r.name("shop/web").expire_untagged_after_days(0)),
        expect: Refused {
            resource: "image repository",
            name: "shop/web",
            field: "lifecycle.expire_untagged_after_days",
            value: S("0"),
            rule: "a lifecycle rule's count is a positive integer (ECR: countNumber)",
        },
    },
    Case {
        rule: "image repository: the policy is a JSON policy document",
        name: "image repository policy without statements",
        app: || image_repo(|r| r.name("shop/web").policy(r#"{"Version":"2012-10-17"}"#)),
        expect: Refused {
            resource: "image repository",
            name: "shop/web",
            field: "policy",
            value: S(r#"{"Version":"2012-10-17"}"#),
            rule: "a repository policy is a JSON object with a non-empty \"Statement\" list, at most 10240 characters (ECR: SetRepositoryPolicy)",
        },
    },
    Case {
        rule: "image repository: the policy is a JSON policy document",
        name: "image repository policy that is not JSON",
        app: || image_repo(|r| r.name("shop/web").policy("allow all")),
        expect: Refused {
            resource: "image repository",
            name: "shop/web",
            field: "policy",
            value: S("allow all"),
            rule: "a repository policy is a JSON object with a non-empty \"Statement\" list, at most 10240 characters (ECR: SetRepositoryPolicy)",
        },
    },
    Case {
        rule: "project: pushes to an image repository of the app",
        name: "project pushing to another app's image repository",
        app: || {
            let mut o = other()?;
            let foreign = o.add(ImageRepository::builder().name("other/web").build()?);
            plus(|fx| {
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .pushes_to(&foreign)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].image_pushes[other/web].repository",
            value: S("other/web"),
            rule: "must be a image_repository added to this app",
        },
    },
    Case {
        rule: "project: the repository URI has a variable of its own",
        name: "project whose REPOSITORY_URI is also an environment variable",
        app: || {
            plus(|fx| {
                let web = fx
                    .app
                    .add(ImageRepository::builder().name("shop/web").build()?);
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .env("REPOSITORY_URI", EnvValue::Plaintext("x".into()))
                        .pushes_to(&web)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].image_pushes[shop/web].variable",
            value: S("REPOSITORY_URI"),
            rule: "another environment variable of the project has this name: give the repository URI its own (BuildProjectBuilder::pushes_to_as)",
        },
    },
    Case {
        rule: "project: the repository URI has a variable of its own",
        name: "project pushing to one repository twice",
        app: || {
            plus(|fx| {
                let web = fx
                    .app
                    .add(ImageRepository::builder().name("shop/web").build()?);
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .pushes_to(&web)
                        .pushes_to_as(&web, "WEB_URI")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].image_pushes[shop/web]",
            value: S("shop/web"),
            rule: "the project pushes to this repository twice",
        },
    },
    Case {
        rule: "name: artifact domain",
        name: "artifact domain name with capitals",
        app: || {
            plus(|fx| {
                fx.app.add(ArtifactDomain::builder().name("Shop").build()?);
                Ok(())
            })
        },
        expect: Refused {
            resource: "artifact_domain",
            name: "Shop",
            field: "name",
            value: S("Shop"),
            rule: ArtifactDomainName::RULE,
        },
    },
    Case {
        rule: "name: artifact domain",
        name: "artifact domain name ending with a hyphen",
        app: || {
            plus(|fx| {
                fx.app.add(ArtifactDomain::builder().name("shop-").build()?);
                Ok(())
            })
        },
        expect: Refused {
            resource: "artifact_domain",
            name: "shop-",
            field: "name",
            value: S("shop-"),
            rule: ArtifactDomainName::RULE,
        },
    },
    Case {
        rule: "name: artifact repository",
        name: "artifact repository name starting with a dot",
        app: || {
            packages(|fx, d, _| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name(".libs")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Refused {
            resource: "artifact_repository",
            name: ".libs",
            field: "name",
            value: S(".libs"),
            rule: ArtifactRepositoryName::RULE,
        },
    },
    Case {
        rule: "name: artifact repository",
        name: "artifact repository name of 101 characters",
        app: || {
            packages(|fx, d, _| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("l".repeat(101))
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Refused {
            resource: "artifact_repository",
            name: "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll",
            field: "name",
            value: Rep("l", 101),
            rule: ArtifactRepositoryName::RULE,
        },
    },
    Case {
        rule: "artifact domain: a KMS key is named by its key ARN",
        name: "artifact domain key named by an alias",
        app: || {
            plus(|fx| {
                fx.app.add(
                    ArtifactDomain::builder()
                        .name("shop")
                        .encryption_key("arn:aws:kms:eu-west-1:123456789012:alias/packages")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Refused {
            resource: "artifact_domain",
            name: "shop",
            field: "encryption_key",
            value: S("arn:aws:kms:eu-west-1:123456789012:alias/packages"),
            rule: "a domain's key is named by its key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias: CodeArtifact returns the key ARN, which an alias cannot be compared with",
        },
    },
    Case {
        rule: "artifact repository: in a domain of the app",
        name: "artifact repository without a domain",
        app: || {
            plus(|fx| {
                fx.app
                    .add(ArtifactRepository::builder().name("libs").build()?);
                Ok(())
            })
        },
        expect: Refused {
            resource: "artifact_repository",
            name: "libs",
            field: "domain",
            value: Missing,
            rule: "is required",
        },
    },
    Case {
        rule: "artifact repository: in a domain of the app",
        name: "artifact repository in another app's domain",
        app: || {
            let mut o = other()?;
            let foreign = o.add(ArtifactDomain::builder().name("other").build()?);
            plus(|fx| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(&foreign)
                        .name("libs")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "artifact_repository[other/libs].domain",
            value: S("other"),
            rule: "must be a artifact_domain added to this app",
        },
    },
    Case {
        rule: "artifact repository: one external connection",
        name: "artifact repository with two external connections",
        app: || {
            packages(|fx, d, _| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("libs")
                        .external_connection(ExternalConnection::Npmjs)
                        .external_connection(ExternalConnection::Pypi)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Refused {
            resource: "artifact_repository",
            name: "libs",
            field: "external_connection",
            value: S("public:npmjs, public:pypi"),
            rule: "one external connection per repository (AssociateExternalConnection: \"One external connection is allowed per repository\")",
        },
    },
    Case {
        rule: "artifact repository: upstreams or an external connection",
        name: "artifact repository with upstreams and an external connection",
        app: || {
            packages(|fx, d, store| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("libs")
                        .upstream(store)
                        .external_connection(ExternalConnection::Pypi)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "artifact_repository[shop/libs].external_connection",
            value: S("public:pypi"),
            rule: "a repository has upstream repositories or an external connection, not both (AssociateExternalConnection): put the connection on an upstream",
        },
    },
    Case {
        rule: "artifact repository: upstreams in the same domain, once, without a cycle",
        name: "artifact repository with an upstream in another domain",
        app: || {
            packages(|fx, _, store| {
                let other = fx.app.add(ArtifactDomain::builder().name("tools").build()?);
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(&other)
                        .name("libs")
                        .upstream(store)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "artifact_repository[tools/libs].upstreams[0]",
            value: S("shop/store"),
            rule: "an upstream must be a repository of the same domain (tools)",
        },
    },
    Case {
        rule: "artifact repository: upstreams in the same domain, once, without a cycle",
        name: "artifact repository with one upstream twice",
        app: || {
            packages(|fx, d, store| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("libs")
                        .upstream(store)
                        .upstream(store)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "artifact_repository[shop/libs].upstreams[1]",
            value: S("shop/store"),
            rule: "this upstream is given twice",
        },
    },
    Case {
        rule: "artifact repository: upstreams in the same domain, once, without a cycle",
        name: "artifact repository that is its own upstream",
        app: || {
            packages(|fx, d, store| {
                // A second repository of the same name, naming the first: the same repository
                // twice (and so the same logical id twice).
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("store")
                        .upstream(store)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: All(&[
            "artifact_repository[shop/store] \"PackageRepoShopStore\": logical id must be unique in the app; artifact_repository[shop/store] has the same one (names differ only in case or punctuation, or are equal)",
            "artifact_repository[shop/store].upstreams[0] \"shop/store\": the upstreams form a cycle: shop/store is upstream of shop/store through this one",
        ]),
    },
    Case {
        rule: "artifact repository: a description CodeArtifact takes",
        name: "artifact repository description of 1001 characters",
        app: || {
            packages(|fx, d, _| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("libs")
                        .description("d".repeat(1001))
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "artifact_repository[shop/libs].description",
            value: Rep("d", 1001),
            rule: "at most 1000 characters",
        },
    },
    Case {
        rule: "artifact repository: a description CodeArtifact takes",
        name: "artifact repository description with a control character",
        app: || {
            packages(|fx, d, _| {
                fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("libs")
                        .description("line\u{7}bell")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "artifact_repository[shop/libs].description",
            value: S("line\u{7}bell"),
            rule: "no control characters (CreateRepository: description matches \\P{C}*)",
        },
    },
    Case {
        rule: "project: uses one CodeArtifact repository of the app",
        name: "project reading from another app's artifact repository",
        app: || {
            let mut o = other()?;
            let d = o.add(ArtifactDomain::builder().name("other").build()?);
            let foreign = o.add(
                ArtifactRepository::builder()
                    .domain(&d)
                    .name("libs")
                    .build()?,
            );
            plus(|fx| {
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .reads_packages_from(&foreign)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].packages[0].repository",
            value: S("other/libs"),
            rule: "must be a artifact_repository added to this app",
        },
    },
    Case {
        rule: "project: uses one CodeArtifact repository of the app",
        name: "project using two artifact repositories",
        app: || {
            packages(|fx, d, store| {
                let libs = fx.app.add(
                    ArtifactRepository::builder()
                        .domain(d)
                        .name("libs")
                        .build()?,
                );
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .reads_packages_from(store)
                        .publishes_to(&libs)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].packages[1]",
            value: S("shop/libs"),
            rule: "a project logs in to one CodeArtifact repository (its CODEARTIFACT_* variables name one): read through that repository's upstreams",
        },
    },
    Case {
        rule: "project: uses one CodeArtifact repository of the app",
        name: "project using one artifact repository twice",
        app: || {
            packages(|fx, _, store| {
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .reads_packages_from(store)
                        .publishes_to(store)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].packages[1]",
            value: S("shop/store"),
            rule: "the project uses this repository twice: publishes_to also reads",
        },
    },
    Case {
        rule: "project: uses one CodeArtifact repository of the app",
        name: "project whose CODEARTIFACT_DOMAIN is also an environment variable",
        app: || {
            packages(|fx, _, store| {
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .env("CODEARTIFACT_DOMAIN", EnvValue::Plaintext("x".into()))
                        .reads_packages_from(store)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].environment.variables[CODEARTIFACT_DOMAIN]",
            value: S("CODEARTIFACT_DOMAIN"),
            rule: "pipewright sets this variable for the project's CodeArtifact repository",
        },
    },
    Case {
        rule: "name: bucket",
        name: "bucket name with capitals",
        app: || bucket(|b| b.name("Shop-Artifacts")),
        expect: Refused {
            resource: "bucket",
            name: "Shop-Artifacts",
            field: "name",
            value: S("Shop-Artifacts"),
            rule: BucketName::RULE,
        },
    },
    Case {
        rule: "name: bucket",
        name: "bucket name shaped like an IP address",
        app: || bucket(|b| b.name("192.168.1.10")),
        expect: Refused {
            resource: "bucket",
            name: "192.168.1.10",
            field: "name",
            value: S("192.168.1.10"),
            rule: BucketName::RULE,
        },
    },
    Case {
        rule: "name: bucket",
        name: "access-log bucket name too short",
        app: || bucket(|b| b.access_log("ab", "logs/")),
        expect: Refused {
            resource: "bucket",
            name: "shop-b1",
            field: "access_log.bucket",
            value: S("ab"),
            rule: BucketName::RULE,
        },
    },
    Case {
        rule: "name: project",
        name: "project name starting with '_'",
        app: || project(|b| b.name("_build")),
        expect: Refused {
            resource: "project",
            name: "_build",
            field: "name",
            value: S("_build"),
            rule: ProjectName::RULE,
        },
    },
    Case {
        rule: "name: deploy application",
        name: "application name with a space",
        app: || {
            plus(|fx| {
                fx.app
                    .add(ServerApplication::builder().name("shop web").build()?);
                Ok(())
            })
        },
        expect: Refused {
            resource: "application",
            name: "shop web",
            field: "name",
            value: S("shop web"),
            rule: ApplicationName::RULE,
        },
    },
    Case {
        rule: "name: deployment group",
        name: "empty deployment group name",
        app: || group(|b| b.name("")),
        expect: Refused {
            resource: "deployment_group",
            name: "",
            field: "name",
            value: S(""),
            rule: DeploymentGroupName::RULE,
        },
    },
    Case {
        rule: "name: deployment config",
        name: "config name in the reserved CodeDeployDefault. namespace",
        app: || {
            config(DeploymentConfig::<Lambda>::traffic(
                "CodeDeployDefault.Mine",
                TrafficRouting::AllAtOnce,
            ))
        },
        expect: Refused {
            resource: "deployment_config",
            name: "CodeDeployDefault.Mine",
            field: "name",
            value: S("CodeDeployDefault.Mine"),
            rule: DeploymentConfigName::RULE,
        },
    },
    Case {
        rule: "name: pipeline",
        name: "pipeline name with a space",
        app: || ship(|fx, b| b.name("ship it").stage(src(fx)).stage(bld(fx))),
        expect: Refused {
            resource: "pipeline",
            name: "ship it",
            field: "name",
            value: S("ship it"),
            rule: PipelineName::RULE,
        },
    },
    Case {
        rule: "name: stage",
        name: "stage name with a space",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(Stage::new("Build stage").action(ManualApproval::new("Ok")))
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "stages[Build stage].name",
            value: S("Build stage"),
            rule: StageName::RULE,
        },
    },
    Case {
        rule: "name: stage",
        name: "disabled transition naming an invalid stage name",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(bld(fx))
                    .disable_transition("Build stage", "frozen")
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "disabled_transitions[Build stage].stage",
            value: S("Build stage"),
            rule: StageName::RULE,
        },
    },
    Case {
        rule: "name: action",
        name: "action name of 101 characters",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(Stage::new("Wait").action(ManualApproval::new("a".repeat(101))))
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "stages[Wait].actions[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa].name",
            value: Rep("a", 101),
            rule: ActionName::RULE,
        },
    },
    Case {
        rule: "name: artifact",
        name: "output artifact named like a file",
        app: || {
            ship(|fx, b| {
                b.stage(
                    Stage::new("Source").action(
                        CodeCommitSource::new("Checkout", &fx.repo, "main")
                            .output(&Artifact::new("src.zip")),
                    ),
                )
                .stage(bld(fx))
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "stages[Source].actions[Checkout].outputs[src.zip]",
            value: S("src.zip"),
            rule: ArtifactName::RULE,
        },
    },
    Case {
        rule: "name: artifact",
        name: "empty input artifact name",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx)).stage(
                    Stage::new("Build")
                        .action(CodeBuild::new("Build", &fx.project).input(&Artifact::new(""))),
                )
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "stages[Build].actions[Build].inputs[]",
            value: S(""),
            rule: ArtifactName::RULE,
        },
    },
    Case {
        rule: "name: pipeline variable",
        name: "variable name with a dot",
        app: || variables(|b| b.required_variable("a.b")),
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "variables[a.b].name",
            value: S("a.b"),
            rule: VariableName::RULE,
        },
    },
    Case {
        rule: "name: action namespace",
        name: "namespace with a dot",
        app: || action_env(|a| a.namespace("Build.1")),
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "stages[Build].actions[Build].namespace",
            value: S("Build.1"),
            rule: Namespace::RULE,
        },
    },
    Case {
        rule: "name: environment variable",
        name: "project variable in the reserved CODEBUILD_ namespace",
        app: || project(|b| b.env("CODEBUILD_X", EnvValue::Plaintext("1".into()))),
        expect: Refused {
            resource: "project",
            name: "p1",
            field: "environment.variables[CODEBUILD_X].name",
            value: S("CODEBUILD_X"),
            rule: EnvVarName::RULE,
        },
    },
    Case {
        rule: "name: environment variable",
        name: "action variable starting with a digit",
        app: || action_env(|a| a.env("1X", EnvValue::Plaintext("1".into()))),
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "stages[Build].actions[Build].env[1X].name",
            value: S("1X"),
            rule: EnvVarName::RULE,
        },
    },
    Case {
        rule: "name: role ARN",
        name: "pipeline role with a 5-digit account",
        app: || {
            ship(|fx, b| {
                b.role("arn:aws:iam::12345:role/x")
                    .stage(src(fx))
                    .stage(bld(fx))
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "role",
            value: S("arn:aws:iam::12345:role/x"),
            rule: ROLE_RULE,
        },
    },
    Case {
        rule: "name: role ARN",
        name: "events role that is a user",
        app: || {
            ship(|fx, b| {
                b.events_role("arn:aws:iam::123456789012:user/x")
                    .stage(src(fx))
                    .stage(bld(fx))
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "events_role",
            value: S("arn:aws:iam::123456789012:user/x"),
            rule: ROLE_RULE,
        },
    },
    Case {
        rule: "name: role ARN",
        name: "project service role that is a role name",
        app: || project(|b| b.service_role("codebuild-role")),
        expect: Refused {
            resource: "project",
            name: "p1",
            field: "service_role",
            value: S("codebuild-role"),
            rule: ROLE_RULE,
        },
    },
    Case {
        rule: "name: role ARN",
        name: "ECS pass role without an account",
        app: || ecs_group(|b| b.pass_role("arn:aws:iam:::role/task")),
        expect: Refused {
            resource: "deployment_group",
            name: "g1",
            field: "ecs.pass_roles[0]",
            value: S("arn:aws:iam:::role/task"),
            rule: ROLE_RULE,
        },
    },
    Case {
        rule: "name: SNS topic ARN",
        name: "approval notifying an SQS queue",
        app: || approval(|a| a.notify("arn:aws:sqs:eu-west-1:123456789012:approvals")),
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "stages[Approve].actions[Ok].notify",
            value: S("arn:aws:sqs:eu-west-1:123456789012:approvals"),
            rule: TopicArn::RULE,
        },
    },
    Case {
        rule: "name: KMS key ARN",
        name: "bucket key given as an alias name",
        app: || bucket(|b| b.kms_key("alias/artifacts")),
        expect: Refused {
            resource: "bucket",
            name: "shop-b1",
            field: "kms_key",
            value: S("alias/artifacts"),
            rule: KmsKeyArn::RULE,
        },
    },
    Case {
        rule: "name: KMS key ARN",
        name: "project key without key/ or alias/",
        app: || project(|b| b.encryption_key("arn:aws:kms:eu-west-1:123456789012:abcd")),
        expect: Refused {
            resource: "project",
            name: "p1",
            field: "encryption_key",
            value: S("arn:aws:kms:eu-west-1:123456789012:abcd"),
            rule: KmsKeyArn::RULE,
        },
    },
    Case {
        rule: "name: tag key",
        name: "tag key in the reserved aws: namespace",
        app: || bucket(|b| b.tag("aws:owner", "me")),
        expect: Refused {
            resource: "bucket",
            name: "shop-b1",
            field: "tags[aws:owner]",
            value: S("aws:owner"),
            rule: TagKey::RULE,
        },
    },
    Case {
        rule: "name: tag key",
        name: "tag key in pipewright's own namespace",
        app: || project(|b| b.tag("pipewright:id", "x")),
        expect: Refused {
            resource: "project",
            name: "p1",
            field: "tags[pipewright:id]",
            value: S("pipewright:id"),
            rule: TagKey::RULE,
        },
    },
    Case {
        rule: "name: tag key",
        name: "empty tag key",
        app: || group(|b| b.tag("", "x")),
        expect: Refused {
            resource: "deployment_group",
            name: "g1",
            field: "tags[]",
            value: S(""),
            rule: TagKey::RULE,
        },
    },
    Case {
        rule: "builder: tag value length",
        name: "tag value of 257 characters",
        app: || bucket(|b| b.tag("team", "v".repeat(257))),
        expect: Refused {
            resource: "bucket",
            name: "shop-b1",
            field: "tags[team]",
            value: Rep("v", 257),
            rule: "a tag value has at most 256 characters",
        },
    },
    Case {
        rule: "builder: required field",
        name: "pipeline without an artifact store",
        app: || {
            plus(|fx| {
                let p = Pipeline::builder()
                    .name("ship")
                    .stage(src(fx))
                    .stage(bld(fx))
                    .build()?;
                fx.app.add(p);
                Ok(())
            })
        },
        expect: Refused {
            resource: "pipeline",
            name: "ship",
            field: "artifact_store",
            value: Missing,
            rule: "is required",
        },
    },
    Case {
        rule: "builder: required field",
        name: "repository without a name",
        app: || {
            plus(|fx| {
                fx.app.add(Repository::builder().description("x").build()?);
                Ok(())
            })
        },
        expect: Refused {
            resource: "repository",
            name: "",
            field: "name",
            value: Missing,
            rule: "is required",
        },
    },
    Case {
        rule: "builder: required field",
        name: "ECS group without a production listener",
        app: || {
            plus(|fx| {
                let a = fx.app.add(EcsApplication::builder().name("web").build()?);
                fx.app.add(
                    DeploymentGroup::builder()
                        .application(&a)
                        .name("g1")
                        .service("c", "s")
                        .target_groups("blue", "green")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Refused {
            resource: "deployment_group",
            name: "g1",
            field: "ecs.prod_listener",
            value: Missing,
            rule: "is required",
        },
    },
    // ---- whole-app rules ------------------------------------------------------------------
    Case {
        rule: "app: unique logical ids",
        name: "two repositories differing only in punctuation",
        app: || {
            plus(|fx| {
                fx.app.add(Repository::builder().name("shop_api").build()?);
                Ok(())
            })
        },
        expect: Invalid {
            path: "repository[shop_api]",
            value: S("RepoShopApi"),
            rule: "logical id must be unique in the app; repository[shop-api] has the same one (names differ only in case or punctuation, or are equal)",
        },
    },
    Case {
        rule: "app: unique logical ids, derived included",
        name: "bucket named like another bucket's policy",
        app: || {
            plus(|fx| {
                fx.app.add(
                    ArtifactBucket::builder()
                        .name("policy-shop-artifacts")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "AWS::S3::Bucket[policy-shop-artifacts]",
            value: S("BucketPolicyShopArtifacts"),
            rule: "logical id must be unique in the app, derived resources included; AWS::S3::BucketPolicy[shop-artifacts] has the same one (rename one of the resources they belong to)",
        },
    },
    Case {
        rule: "app: unique derived names",
        name: "projects x and <app>-x derive the same role name",
        app: || {
            plus(|fx| {
                fx.app.add(BuildProject::builder().name("build").build()?);
                Ok(())
            })
        },
        expect: Invalid {
            path: "AWS::IAM::Role[BuildRoleBuild]",
            value: S("shop-build-build-<region>"),
            rule: "derived name must be unique in the app; AWS::IAM::Role[BuildRoleShopBuild] has the same one, regardless of case (rename one of the resources they belong to)",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "artifact store from another app",
        app: || {
            let mut o = other()?;
            let foreign = o.add(ArtifactBucket::builder().name("other-bucket").build()?);
            let mut fx = fx()?;
            let p = Pipeline::builder()
                .name("ship")
                .artifact_store(&foreign)
                .stage(src(&fx))
                .stage(bld(&fx))
                .build()?;
            fx.app.add(p);
            Ok(fx.app)
        },
        expect: Invalid {
            path: "pipeline[ship].artifact_store",
            value: S("other-bucket"),
            rule: "must be a bucket added to this app",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "source action on another app's repository",
        app: || {
            let mut o = other()?;
            let r = o.add(Repository::builder().name("other-repo").build()?);
            ship(move |fx, b| {
                b.stage(Stage::new("Source").action(
                    CodeCommitSource::new("Checkout", &r, "main").output(&Artifact::new("Src")),
                ))
                .stage(bld(fx))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Source].actions[Checkout].repository",
            value: S("other-repo"),
            rule: "must be a repository added to this app",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "build action on another app's project",
        app: || {
            let mut o = other()?;
            let p = o.add(BuildProject::builder().name("other-build").build()?);
            ship(move |fx, b| {
                b.stage(src(fx)).stage(
                    Stage::new("Build")
                        .action(CodeBuild::new("Build", &p).input(&Artifact::new("Src"))),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].project",
            value: S("other-build"),
            rule: "must be a project added to this app",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "deploy action to another app's group",
        app: || {
            let mut o = other()?;
            let a = o.add(ServerApplication::builder().name("x").build()?);
            let g = o.add(
                DeploymentGroup::builder()
                    .application(&a)
                    .name("other-group")
                    .ec2_tag("Name", "w")
                    .build()?,
            );
            ship(move |fx, b| {
                b.stage(src(fx)).stage(bld(fx)).stage(
                    Stage::new("Deploy")
                        .action(CodeDeploy::new("Prod", &g).input(&Artifact::new("Out"))),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Deploy].actions[Prod].group",
            value: S("x/other-group"),
            rule: "must be a deployment_group added to this app",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "project source from another app's repository",
        app: || {
            let mut o = other()?;
            let r = o.add(Repository::builder().name("other-repo").build()?);
            plus(move |fx| {
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .codecommit_source(&r)
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].source.repository",
            value: S("other-repo"),
            rule: "must be a repository added to this app",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "S3 cache in another app's bucket",
        app: || {
            let mut o = other()?;
            let c = o.add(ArtifactBucket::builder().name("other-cache").build()?);
            plus(move |fx| {
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .s3_cache(&c, "cache/")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].cache.bucket",
            value: S("other-cache"),
            rule: "must be a bucket added to this app",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "group of another app's application",
        app: || {
            let mut o = other()?;
            let a = o.add(ServerApplication::builder().name("other-app").build()?);
            plus(move |fx| {
                fx.app.add(
                    DeploymentGroup::builder()
                        .application(&a)
                        .name("g1")
                        .ec2_tag("Name", "w")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "deployment_group[other-app/g1].application",
            value: S("other-app"),
            rule: "must be a application added to this app",
        },
    },
    Case {
        rule: "app: references stay in the app",
        name: "S3 deploy to another app's bucket",
        app: || {
            let mut o = other()?;
            let t = o.add(ArtifactBucket::builder().name("other-site").build()?);
            ship(move |fx, b| {
                b.stage(src(fx)).stage(bld(fx)).stage(
                    Stage::new("Deploy")
                        .action(S3Deploy::new("Site", &t).input(&Artifact::new("Out"))),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Deploy].actions[Site].bucket",
            value: S("other-site"),
            rule: "must be a bucket added to this app",
        },
    },
    Case {
        rule: "app: at most 48 user tags",
        name: "repository with 49 tags",
        app: || {
            plus(|fx| {
                let mut b = Repository::builder().name("r1");
                for i in 0..49 {
                    b = b.tag(format!("k{i}"), "v");
                }
                fx.app.add(b.build()?);
                Ok(())
            })
        },
        expect: Invalid {
            path: "repository[r1].tags",
            value: S("49"),
            rule: "at most 48 user tags (AWS allows 50 per resource; pipewright adds pipewright:app and pipewright:id)",
        },
    },
    // ---- repository, bucket ---------------------------------------------------------------
    Case {
        rule: "repository: description length",
        name: "description of 1001 characters",
        app: || {
            plus(|fx| {
                fx.app.add(
                    Repository::builder()
                        .name("r1")
                        .description("x".repeat(1001))
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "repository[r1].description",
            value: Rep("x", 1001),
            rule: "at most 1000 characters",
        },
    },
    Case {
        rule: "bucket: noncurrent expiration needs versioning",
        name: "unversioned bucket expiring old versions",
        app: || bucket(|b| b.versioned(false).noncurrent_expiration_days(10)),
        expect: Invalid {
            path: "bucket[shop-b1].noncurrent_expiration_days",
            value: S("10"),
            rule: "noncurrent-version expiration needs versioning",
        },
    },
    Case {
        rule: "bucket: lifecycle days at least 1",
        name: "expiration after 0 days",
        app: || bucket(|b| b.expiration_days(0)),
        expect: Invalid {
            path: "bucket[shop-b1].expiration_days",
            value: S("0"),
            rule: "must be 1 to 4294967295",
        },
    },
    Case {
        rule: "bucket: lifecycle days at least 1",
        name: "noncurrent expiration after 0 days",
        app: || bucket(|b| b.noncurrent_expiration_days(0)),
        expect: Invalid {
            path: "bucket[shop-b1].noncurrent_expiration_days",
            value: S("0"),
            rule: "must be 1 to 4294967295",
        },
    },
    Case {
        rule: "bucket: lifecycle days at least 1",
        name: "incomplete uploads aborted after 0 days",
        app: || bucket(|b| b.abort_incomplete_upload_days(0)),
        expect: Invalid {
            path: "bucket[shop-b1].abort_incomplete_upload_days",
            value: S("0"),
            rule: "must be 1 to 4294967295",
        },
    },
    Case {
        rule: "bucket: no self-logging",
        name: "bucket logging to itself",
        app: || bucket(|b| b.name("shop-logs").access_log("shop-logs", "logs/")),
        expect: Invalid {
            path: "bucket[shop-logs].access_log.bucket",
            value: S("shop-logs"),
            rule: "a bucket cannot log its own accesses",
        },
    },
    // ---- build projects -------------------------------------------------------------------
    Case {
        rule: "project: description length",
        name: "description of 256 characters",
        app: || project(|b| b.description("d".repeat(256))),
        expect: Invalid {
            path: "project[p1].description",
            value: Rep("d", 256),
            rule: "at most 255 characters",
        },
    },
    Case {
        rule: "project: timeouts in range",
        name: "build timeout of 4 minutes",
        app: || project(|b| b.timeout_minutes(4)),
        expect: Invalid {
            path: "project[p1].timeout_minutes",
            value: S("4"),
            rule: "must be 5 to 2160",
        },
    },
    Case {
        rule: "project: timeouts in range",
        name: "build timeout of 2161 minutes",
        app: || project(|b| b.timeout_minutes(2161)),
        expect: Invalid {
            path: "project[p1].timeout_minutes",
            value: S("2161"),
            rule: "must be 5 to 2160",
        },
    },
    Case {
        rule: "project: timeouts in range",
        name: "queued timeout of 481 minutes",
        app: || project(|b| b.queued_timeout_minutes(481)),
        expect: Invalid {
            path: "project[p1].queued_timeout_minutes",
            value: S("481"),
            rule: "must be 5 to 480",
        },
    },
    Case {
        rule: "project: log retention is one CloudWatch Logs accepts",
        name: "log retention of 10 days",
        app: || project(|b| b.log_retention_days(10)),
        expect: Invalid {
            path: "project[p1].logs.retention_days",
            value: S("10"),
            rule: "CloudWatch Logs keeps events for 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days",
        },
    },
    Case {
        rule: "project: log group name",
        name: "log group name with a space",
        app: || project(|b| b.log_group("/builds/p 1", None)),
        expect: Invalid {
            path: "project[p1].logs.group",
            value: S("/builds/p 1"),
            rule: "a log group name has 1 to 512 characters of A-Z, a-z, 0-9, '.', '_', '-', '/' and '#'",
        },
    },
    Case {
        rule: "project: log stream name",
        name: "log stream prefix with a colon",
        app: || project(|b| b.log_group("/builds/p1", Some("run:1".into()))),
        expect: Invalid {
            path: "project[p1].logs.stream",
            value: S("run:1"),
            rule: "a log stream name has 1 to 512 characters, none of them ':' or '*'",
        },
    },
    Case {
        rule: "project: log group key is a key ARN",
        name: "log group encrypted under an alias",
        app: || project(|b| b.log_kms_key("arn:aws:kms:eu-west-1:123456789012:alias/logs")),
        expect: Invalid {
            path: "project[p1].logs.kms_key",
            value: S("arn:aws:kms:eu-west-1:123456789012:alias/logs"),
            rule: "CloudWatch Logs takes the ARN of a KMS key, not of an alias",
        },
    },
    Case {
        rule: "KMS key: in the app's partition and region",
        name: "project key of another region",
        app: || project(|b| b.encryption_key("arn:aws:kms:us-east-1:123456789012:key/abcd")),
        expect: Invalid {
            path: "project[p1].encryption_key",
            value: S("arn:aws:kms:us-east-1:123456789012:key/abcd"),
            rule: "a KMS key must be in the app's partition and region (aws, eu-west-1): AWS takes no key of another region",
        },
    },
    Case {
        rule: "KMS key: in the app's partition and region",
        name: "log group key of another region",
        app: || project(|b| b.log_kms_key("arn:aws:kms:eu-central-1:123456789012:key/abcd")),
        expect: Invalid {
            path: "project[p1].logs.kms_key",
            value: S("arn:aws:kms:eu-central-1:123456789012:key/abcd"),
            rule: "a KMS key must be in the app's partition and region (aws, eu-west-1): AWS takes no key of another region",
        },
    },
    Case {
        rule: "KMS key: in the app's partition and region",
        name: "bucket key of another partition",
        app: || bucket(|b| b.kms_key("arn:aws-cn:kms:eu-west-1:123456789012:key/abcd")),
        expect: Invalid {
            path: "bucket[shop-b1].kms_key",
            value: S("arn:aws-cn:kms:eu-west-1:123456789012:key/abcd"),
            rule: "a KMS key must be in the app's partition and region (aws, eu-west-1): AWS takes no key of another region",
        },
    },
    Case {
        rule: "KMS key: in the app's partition and region",
        name: "image repository key of another region",
        app: || {
            image_repo(|r| {
                r.name("shop/web")
                    .kms_key("arn:aws:kms:us-west-2:123456789012:key/abcd")
            })
        },
        expect: Invalid {
            path: "image_repository[shop/web].kms_key",
            value: S("arn:aws:kms:us-west-2:123456789012:key/abcd"),
            rule: "a KMS key must be in the app's partition and region (aws, eu-west-1): AWS takes no key of another region",
        },
    },
    Case {
        rule: "KMS key: in the app's partition and region",
        name: "repository key of another region",
        app: || {
            plus(|fx| {
                fx.app.add(
                    Repository::builder()
                        .name("r1")
                        .kms_key("arn:aws:kms:ap-south-1:123456789012:key/abcd")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "repository[r1].kms_key",
            value: S("arn:aws:kms:ap-south-1:123456789012:key/abcd"),
            rule: "a KMS key must be in the app's partition and region (aws, eu-west-1): AWS takes no key of another region",
        },
    },
    Case {
        rule: "project: log key is a KMS key ARN",
        name: "log group key that is not an ARN",
        app: || project(|b| b.log_kms_key("logs-key")),
        expect: Refused {
            resource: "project",
            name: "p1",
            field: "logs.kms_key",
            value: S("logs-key"),
            rule: "a KMS key or alias ARN, arn:<partition>:kms:<region>:<12-digit account>:key/<id> or :alias/<name>",
        },
    },
    Case {
        rule: "project: one log group per project",
        name: "two projects writing to one log group",
        app: || project(|b| b.log_group("/aws/codebuild/shop-build", None)),
        expect: Invalid {
            path: "project[p1].logs.group",
            value: S("/aws/codebuild/shop-build"),
            rule: "each project has its own log group; project[shop-build] writes to the same one",
        },
    },
    Case {
        rule: "project: a buildspec report goes to a declared report group",
        name: "report to an undeclared report group",
        app: || {
            project(|b| {
                let mut spec = InlineBuildSpec::new().build(["make test"]);
                spec.reports.insert(
                    "unit".into(),
                    ("reports/*.xml".into(), ReportFormat::JunitXml),
                );
                b.buildspec(spec)
            })
        },
        expect: Invalid {
            path: "project[p1].buildspec.reports[unit]",
            value: S("unit"),
            rule: "the buildspec reports to a report group the project does not declare (InlineBuildSpec::report, BuildProjectBuilder::report_group)",
        },
    },
    Case {
        rule: "project: a report goes to a group of its kind",
        name: "coverage report to a test report group",
        app: || {
            project(|b| {
                let unit = ReportGroup::test("unit");
                let mut spec =
                    InlineBuildSpec::new().report(&unit, "unit.xml", ReportFormat::JunitXml);
                spec.reports.insert(
                    "unit".into(),
                    ("coverage.xml".into(), ReportFormat::CoberturaXml),
                );
                b.buildspec(spec)
            })
        },
        expect: Invalid {
            path: "project[p1].buildspec.reports[unit]",
            value: S("COBERTURAXML"),
            rule: "a CODE_COVERAGE report goes to a CODE_COVERAGE report group, not to a TEST one",
        },
    },
    Case {
        rule: "project: report group name",
        name: "report group name with a dot",
        app: || project(|b| b.report_group(ReportGroup::test("unit.tests"))),
        expect: Invalid {
            path: "project[p1].report_groups[unit.tests].name",
            value: S("unit.tests"),
            rule: "a report group name is <project>-<name>, at most 128 characters of A-Z, a-z, 0-9, '-' and '_'",
        },
    },
    Case {
        rule: "project: report group name",
        name: "report group name over 128 characters with the project's",
        app: || project(|b| b.report_group(ReportGroup::test("u".repeat(126)))),
        expect: Invalid {
            path: "project[p1].report_groups[uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu].name",
            value: Rep("u", 126),
            rule: "a report group name is <project>-<name>, at most 128 characters of A-Z, a-z, 0-9, '-' and '_'",
        },
    },
    Case {
        rule: "project: report group names are unique",
        name: "two report groups of one name, test and coverage",
        app: || {
            project(|b| {
                b.report_group(ReportGroup::test("unit"))
                    .report_group(ReportGroup::coverage("unit"))
            })
        },
        expect: Invalid {
            path: "project[p1].report_groups[unit]",
            value: S("unit"),
            rule: "two report groups of a project have this name with different settings",
        },
    },
    Case {
        rule: "project: a report group exports to a bucket of the app",
        name: "report group exporting to another app's bucket",
        app: || {
            let mut o = other()?;
            let foreign = o.add(ArtifactBucket::builder().name("other-bucket").build()?);
            plus(|fx| {
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .report_group(ReportGroup::test("unit").export_to(&foreign, None))
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].report_groups[unit].export.bucket",
            value: S("other-bucket"),
            rule: "must be a bucket added to this app",
        },
    },
    Case {
        rule: "project: a report export path is a key prefix",
        name: "report export path starting with a slash",
        app: || {
            plus(|fx| {
                let b = fx.bucket.clone();
                fx.app.add(
                    BuildProject::builder()
                        .name("p1")
                        .report_group(ReportGroup::test("unit").export_to(&b, Some("/reports")))
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "project[p1].report_groups[unit].export.path",
            value: S("/reports"),
            rule: "an export path is a key prefix: not empty, not starting with '/'",
        },
    },
    Case {
        rule: "project: environment type matches compute",
        name: "Lambda environment on general compute",
        app: || project(|b| b.environment_type(EnvironmentType::LinuxLambdaContainer)),
        expect: Invalid {
            path: "project[p1].environment.compute",
            value: S("BUILD_GENERAL1_SMALL"),
            rule: "environment type LINUX_LAMBDA_CONTAINER needs a BUILD_LAMBDA_* compute",
        },
    },
    Case {
        rule: "project: environment type matches compute",
        name: "container environment on Lambda compute",
        app: || project(|b| b.compute(ComputeType::Lambda1Gb)),
        expect: Invalid {
            path: "project[p1].environment.compute",
            value: S("BUILD_LAMBDA_1GB"),
            rule: "environment type LINUX_CONTAINER needs a BUILD_GENERAL1_* compute",
        },
    },
    Case {
        rule: "project: Lambda compute limits",
        name: "privileged Lambda build",
        app: || {
            project(|b| {
                b.environment_type(EnvironmentType::LinuxLambdaContainer)
                    .compute(ComputeType::Lambda1Gb)
                    .privileged(true)
            })
        },
        expect: Invalid {
            path: "project[p1].environment.privileged",
            value: S("true"),
            rule: "Lambda compute does not support privileged mode",
        },
    },
    Case {
        rule: "project: Lambda compute limits",
        name: "Lambda build with a timeout",
        app: || {
            project(|b| {
                b.environment_type(EnvironmentType::LinuxLambdaContainer)
                    .compute(ComputeType::Lambda1Gb)
                    .timeout_minutes(30)
            })
        },
        expect: Invalid {
            path: "project[p1].timeout_minutes",
            value: S("30"),
            rule: "Lambda compute does not support a build timeout",
        },
    },
    Case {
        rule: "project: Lambda compute limits",
        name: "Lambda build with a cache",
        app: || {
            project(|b| {
                b.environment_type(EnvironmentType::LinuxLambdaContainer)
                    .compute(ComputeType::Lambda1Gb)
                    .local_cache([LocalCacheMode::Source])
            })
        },
        expect: Invalid {
            path: "project[p1].cache",
            value: S("set"),
            rule: "Lambda compute does not support caching",
        },
    },
    Case {
        rule: "project: image required",
        name: "empty custom image",
        app: || project(|b| b.image(Image::custom(""))),
        expect: Invalid {
            path: "project[p1].environment.image",
            value: S(""),
            rule: "an image is required",
        },
    },
    Case {
        rule: "build: environment variables unique",
        name: "project variable declared twice",
        app: || {
            project(|b| {
                b.env("A", EnvValue::Plaintext("1".into()))
                    .env("A", EnvValue::ParameterStore("/x".into()))
            })
        },
        expect: Invalid {
            path: "project[p1].environment.variables[A].name",
            value: S("A"),
            rule: "environment variable names must be unique",
        },
    },
    Case {
        rule: "build: environment variables have values",
        name: "project variable with an empty value",
        app: || project(|b| b.env("A", EnvValue::SecretsManager(String::new()))),
        expect: Invalid {
            path: "project[p1].environment.variables[A].value",
            value: S(""),
            rule: "an environment variable needs a value",
        },
    },
    Case {
        rule: "project: buildspec",
        name: "empty buildspec path",
        app: || project(|b| b.buildspec(BuildSpec::File(String::new()))),
        expect: Invalid {
            path: "project[p1].buildspec",
            value: S(""),
            rule: "a buildspec path cannot be empty",
        },
    },
    Case {
        rule: "project: buildspec",
        name: "project without source reading buildspec.yml",
        app: || project(|b| b.no_source()),
        expect: Invalid {
            path: "project[p1].buildspec",
            value: S("buildspec.yml"),
            rule: "a project without source needs an inline buildspec",
        },
    },
    Case {
        rule: "project: VPC",
        name: "empty VPC id",
        app: || project(|b| b.vpc("", ["subnet-1"], ["sg-1"])),
        expect: Invalid {
            path: "project[p1].vpc.vpc_id",
            value: S(""),
            rule: "a VPC id is required",
        },
    },
    Case {
        rule: "project: VPC",
        name: "no subnet",
        app: || project(|b| b.vpc("vpc-1", Vec::<String>::new(), ["sg-1"])),
        expect: Invalid {
            path: "project[p1].vpc.subnets",
            value: S("0"),
            rule: "1 to 16 subnets",
        },
    },
    Case {
        rule: "project: VPC",
        name: "17 subnets",
        app: || project(|b| b.vpc("vpc-1", stage_names(17, "subnet-"), ["sg-1"])),
        expect: Invalid {
            path: "project[p1].vpc.subnets",
            value: S("17"),
            rule: "1 to 16 subnets",
        },
    },
    Case {
        rule: "project: VPC",
        name: "no security group",
        app: || project(|b| b.vpc("vpc-1", ["subnet-1"], Vec::<String>::new())),
        expect: Invalid {
            path: "project[p1].vpc.security_groups",
            value: S("0"),
            rule: "1 to 5 security groups",
        },
    },
    Case {
        rule: "project: VPC",
        name: "6 security groups",
        app: || project(|b| b.vpc("vpc-1", ["subnet-1"], stage_names(6, "sg-"))),
        expect: Invalid {
            path: "project[p1].vpc.security_groups",
            value: S("6"),
            rule: "1 to 5 security groups",
        },
    },
    // ---- CodeDeploy -----------------------------------------------------------------------
    Case {
        rule: "deployment config: ranges",
        name: "minimum healthy 100% of the fleet",
        app: || {
            config(DeploymentConfig::minimum_healthy_hosts(
                "c1",
                HealthyHosts::FleetPercent(100),
            ))
        },
        expect: Invalid {
            path: "deployment_config[c1].minimum_healthy_hosts.fleet_percent",
            value: S("100"),
            rule: "must be 0 to 99",
        },
    },
    Case {
        rule: "deployment config: ranges",
        name: "canary of 100%",
        app: || {
            config(DeploymentConfig::<Lambda>::traffic(
                "c1",
                TrafficRouting::Canary {
                    percent: 100,
                    interval_minutes: 5,
                },
            ))
        },
        expect: Invalid {
            path: "deployment_config[c1].traffic_routing.percent",
            value: S("100"),
            rule: "must be 1 to 99",
        },
    },
    Case {
        rule: "deployment config: ranges",
        name: "linear steps every 0 minutes",
        app: || {
            config(DeploymentConfig::<Ecs>::traffic(
                "c1",
                TrafficRouting::Linear {
                    percent: 10,
                    interval_minutes: 0,
                },
            ))
        },
        expect: Invalid {
            path: "deployment_config[c1].traffic_routing.interval_minutes",
            value: S("0"),
            rule: "must be 1 to 4294967295",
        },
    },
    Case {
        rule: "deployment group: Lambda group scopes its role",
        name: "Lambda group without functions",
        app: || {
            plus(|fx| {
                let a = fx.app.add(LambdaApplication::builder().name("fn").build()?);
                fx.app.add(
                    DeploymentGroup::builder()
                        .application(&a)
                        .name("live")
                        .build()?,
                );
                Ok(())
            })
        },
        expect: Invalid {
            path: "deployment_group[fn/live].functions",
            value: S("0"),
            rule: "a Lambda group needs at least one function to scope its derived role (or give the application an existing service role)",
        },
    },
    Case {
        rule: "deployment group: alarms",
        name: "11 alarms",
        app: || {
            group(|mut b| {
                for i in 0..11 {
                    b = b.alarm(format!("alarm-{i}"));
                }
                b
            })
        },
        expect: Invalid {
            path: "deployment_group[web/g1].alarms",
            value: S("11"),
            rule: "at most 10 alarms",
        },
    },
    Case {
        rule: "deployment group: alarms",
        name: "empty alarm name",
        app: || group(|b| b.alarm("")),
        expect: Invalid {
            path: "deployment_group[web/g1].alarms[0]",
            value: S(""),
            rule: "an alarm name has 1 to 255 characters",
        },
    },
    Case {
        rule: "deployment group: alarms",
        name: "alarm name of 256 characters",
        app: || group(|b| b.alarm("a".repeat(256))),
        expect: Invalid {
            path: "deployment_group[web/g1].alarms[0]",
            value: Rep("a", 256),
            rule: "an alarm name has 1 to 255 characters",
        },
    },
    Case {
        rule: "deployment group: alarms",
        name: "roll back on alarm without alarms",
        app: || group(|b| b.auto_rollback([RollbackEvent::StopOnAlarm])),
        expect: Invalid {
            path: "deployment_group[web/g1].auto_rollback",
            value: S("DEPLOYMENT_STOP_ON_ALARM"),
            rule: "rolling back on alarms needs at least one alarm",
        },
    },
    Case {
        rule: "deployment group: tag filters",
        name: "EC2 tag filter with an empty key",
        app: || group(|b| b.ec2_tag("", "web")),
        expect: Invalid {
            path: "deployment_group[web/g1].tag_filters[0]",
            value: S(""),
            rule: "a tag filter needs a key (or, for VALUE_ONLY, a value)",
        },
    },
    Case {
        rule: "deployment group: ECS",
        name: "termination wait of 2881 minutes",
        app: || ecs_group(|b| b.termination_wait_minutes(2881)),
        expect: Invalid {
            path: "deployment_group[web/g1].ecs.termination_wait_minutes",
            value: S("2881"),
            rule: "must be 0 to 2880",
        },
    },
    Case {
        rule: "deployment group: ECS",
        name: "blue and green the same target group",
        app: || ecs_group(|b| b.target_groups("tg", "tg")),
        expect: Invalid {
            path: "deployment_group[web/g1].ecs.target_groups",
            value: S("tg"),
            rule: "blue and green target groups must differ",
        },
    },
    Case {
        rule: "deployment group: ECS",
        name: "production listener that is a load balancer",
        app: || {
            ecs_group(|b| {
                b.prod_listener(
                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
                )
            })
        },
        expect: Invalid {
            path: "deployment_group[web/g1].ecs.prod_listener",
            value: S("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1"),
            rule: "an Elastic Load Balancing listener ARN",
        },
    },
    Case {
        rule: "deployment group: ECS",
        name: "test listener that is not an ARN",
        app: || ecs_group(|b| b.test_listener("listener-1")),
        expect: Invalid {
            path: "deployment_group[web/g1].ecs.test_listener",
            value: S("listener-1"),
            rule: "an Elastic Load Balancing listener ARN",
        },
    },
    // ---- pipelines ------------------------------------------------------------------------
    Case {
        rule: "pipeline: 2 to 50 stages",
        name: "one stage",
        app: || ship(|fx, b| b.stage(src(fx))),
        expect: Invalid {
            path: "pipeline[ship].stages",
            value: S("1"),
            rule: "a pipeline needs at least 2 stages",
        },
    },
    Case {
        rule: "pipeline: 2 to 50 stages",
        name: "51 stages",
        app: || {
            ship(|fx, mut b| {
                b = b.stage(src(fx));
                for n in stage_names(50, "Wait") {
                    b = b.stage(Stage::new(n).action(ManualApproval::new("Ok")));
                }
                b
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages",
            value: S("51"),
            rule: "a pipeline has at most 50 stages",
        },
    },
    Case {
        rule: "pipeline: V2-only features",
        name: "variables on a V1 pipeline",
        app: || variables(|b| b.pipeline_type(PipelineType::V1).variable("Env", "prod")),
        expect: Invalid {
            path: "pipeline[ship].variables",
            value: S("1"),
            rule: "pipeline variables need pipeline type V2",
        },
    },
    Case {
        rule: "pipeline: V2-only features",
        name: "queued execution on a V1 pipeline",
        app: || {
            variables(|b| {
                b.pipeline_type(PipelineType::V1)
                    .execution_mode(ExecutionMode::Queued)
            })
        },
        expect: Invalid {
            path: "pipeline[ship].execution_mode",
            value: S("QUEUED"),
            rule: "execution modes QUEUED and PARALLEL need pipeline type V2",
        },
    },
    Case {
        rule: "pipeline: variables",
        name: "51 variables",
        app: || {
            variables(|mut b| {
                for n in stage_names(51, "V") {
                    b = b.required_variable(n);
                }
                b
            })
        },
        expect: Invalid {
            path: "pipeline[ship].variables",
            value: S("51"),
            rule: "at most 50 variables",
        },
    },
    Case {
        rule: "pipeline: variables",
        name: "variable declared twice",
        app: || variables(|b| b.required_variable("Env").required_variable("Env")),
        expect: Invalid {
            path: "pipeline[ship].variables[Env].name",
            value: S("Env"),
            rule: "variable names must be unique",
        },
    },
    Case {
        rule: "pipeline: variables",
        name: "empty default value",
        app: || variables(|b| b.variable("Env", "")),
        expect: Invalid {
            path: "pipeline[ship].variables[Env].default",
            value: S(""),
            rule: "a default value has 1 to 1000 characters",
        },
    },
    Case {
        rule: "pipeline: variables",
        name: "default value of 1001 characters",
        app: || variables(|b| b.variable("Env", &"v".repeat(1001))),
        expect: Invalid {
            path: "pipeline[ship].variables[Env].default",
            value: Rep("v", 1001),
            rule: "a default value has 1 to 1000 characters",
        },
    },
    Case {
        rule: "pipeline: stages",
        name: "stage name used twice",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(bld(fx))
                    .stage(Stage::new("Build").action(ManualApproval::new("Ok")))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].name",
            value: S("Build"),
            rule: "stage names must be unique in a pipeline",
        },
    },
    Case {
        rule: "pipeline: stages",
        name: "stage without actions",
        app: || ship(|fx, b| b.stage(src(fx)).stage(Stage::new("Empty"))),
        expect: Invalid {
            path: "pipeline[ship].stages[Empty].actions",
            value: S("0"),
            rule: "a stage needs at least one action",
        },
    },
    Case {
        rule: "pipeline: stages",
        name: "stage of 51 actions",
        app: || {
            ship(|fx, b| {
                let mut s = Stage::new("Wait");
                for n in stage_names(51, "Ok") {
                    s = s.action(ManualApproval::new(n));
                }
                b.stage(src(fx)).stage(s)
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Wait].actions",
            value: S("51"),
            rule: "a stage has at most 50 actions",
        },
    },
    Case {
        rule: "pipeline: actions",
        name: "action name used twice in a stage",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx)).stage(
                    Stage::new("Wait")
                        .action(ManualApproval::new("Ok"))
                        .action(ManualApproval::new("Ok")),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Wait].actions[Ok].name",
            value: S("Ok"),
            rule: "action names must be unique in a stage",
        },
    },
    Case {
        rule: "pipeline: source actions first",
        name: "approval in the first stage",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx).action(ManualApproval::new("Wait")))
                    .stage(bld(fx))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Source].actions[Wait]",
            value: S("Manual"),
            rule: "the first stage holds only source actions",
        },
    },
    Case {
        rule: "pipeline: source actions first",
        name: "source action in a later stage",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(bld(fx))
                    .stage(
                        Stage::new("Late").action(
                            CodeCommitSource::new("Again", &fx.repo, "dev")
                                .output(&Artifact::new("Dev")),
                        ),
                    )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Late].actions[Again]",
            value: S("CodeCommit"),
            rule: "source actions belong in the first stage only",
        },
    },
    Case {
        rule: "pipeline: run order 1 to 999",
        name: "run order 0",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(Stage::new("Wait").action(ManualApproval::new("Ok").run_order(0)))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Wait].actions[Ok].run_order",
            value: S("0"),
            rule: "must be 1 to 999",
        },
    },
    Case {
        rule: "pipeline: run order 1 to 999",
        name: "run order 1000",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(Stage::new("Wait").action(ManualApproval::new("Ok").run_order(1000)))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Wait].actions[Ok].run_order",
            value: S("1000"),
            rule: "must be 1 to 999",
        },
    },
    Case {
        rule: "pipeline: namespaces unique",
        name: "two actions in namespace Vars",
        app: || {
            ship(|fx, b| {
                b.stage(
                    Stage::new("Source").action(
                        CodeCommitSource::new("Checkout", &fx.repo, "main")
                            .output(&Artifact::new("Src"))
                            .namespace("Vars"),
                    ),
                )
                .stage(
                    Stage::new("Build").action(
                        CodeBuild::new("Build", &fx.project)
                            .input(&Artifact::new("Src"))
                            .namespace("Vars"),
                    ),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].namespace",
            value: S("Vars"),
            rule: "action namespaces must be unique in a pipeline",
        },
    },
    Case {
        rule: "pipeline: disabled transitions",
        name: "disabling a stage that does not exist",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(bld(fx))
                    .disable_transition("Nope", "frozen")
            })
        },
        expect: Invalid {
            path: "pipeline[ship].disabled_transitions[Nope].stage",
            value: S("Nope"),
            rule: "names no stage of this pipeline",
        },
    },
    Case {
        rule: "pipeline: disabled transitions",
        name: "disabling the way into the first stage",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(bld(fx))
                    .disable_transition("Source", "frozen")
            })
        },
        expect: Invalid {
            path: "pipeline[ship].disabled_transitions[Source].stage",
            value: S("Source"),
            rule: "the first stage has no inbound transition",
        },
    },
    Case {
        rule: "pipeline: disabled transitions",
        name: "reason with ';' and '#'",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(bld(fx))
                    .disable_transition("Build", "release freeze; see #42")
            })
        },
        expect: Invalid {
            path: "pipeline[ship].disabled_transitions[Build].reason",
            value: S("release freeze; see #42"),
            rule: "1 to 300 characters of A-Z, a-z, 0-9, space and '!@().*?-'",
        },
    },
    Case {
        rule: "pipeline: disabled transitions",
        name: "empty reason",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(bld(fx))
                    .disable_transition("Build", "")
            })
        },
        expect: Invalid {
            path: "pipeline[ship].disabled_transitions[Build].reason",
            value: S(""),
            rule: "1 to 300 characters of A-Z, a-z, 0-9, space and '!@().*?-'",
        },
    },
    // ---- actions --------------------------------------------------------------------------
    Case {
        rule: "action: artifact counts",
        name: "build without input",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx))
                    .stage(Stage::new("Build").action(CodeBuild::new("Build", &fx.project)))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].inputs",
            value: S("0"),
            rule: "a CodeBuild action takes 1 to 5 input artifacts; this one has none",
        },
    },
    Case {
        rule: "action: artifact counts",
        name: "source without output",
        app: || {
            ship(|fx, b| {
                b.stage(
                    Stage::new("Source")
                        .action(CodeCommitSource::new("Checkout", &fx.repo, "main")),
                )
                .stage(Stage::new("Wait").action(ManualApproval::new("Ok")))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Source].actions[Checkout].outputs",
            value: S("0"),
            rule: "a CodeCommit action produces exactly 1 output artifact; this one has none",
        },
    },
    Case {
        rule: "action: CodeCommit branch",
        name: "empty branch",
        app: || {
            ship(|fx, b| {
                b.stage(Stage::new("Source").action(
                    CodeCommitSource::new("Checkout", &fx.repo, "").output(&Artifact::new("Src")),
                ))
                .stage(bld(fx))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Source].actions[Checkout].branch",
            value: S(""),
            rule: "a branch name has 1 to 256 characters",
        },
    },
    Case {
        rule: "action: CodeCommit branch",
        name: "branch of 257 characters",
        app: || {
            ship(|fx, b| {
                b.stage(
                    Stage::new("Source").action(
                        CodeCommitSource::new("Checkout", &fx.repo, "b".repeat(257))
                            .output(&Artifact::new("Src")),
                    ),
                )
                .stage(bld(fx))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Source].actions[Checkout].branch",
            value: Rep("b", 257),
            rule: "a branch name has 1 to 256 characters",
        },
    },
    Case {
        rule: "action: S3 source",
        name: "source bucket without versioning",
        app: || {
            let mut fx = fx()?;
            let drop = fx.app.add(
                ArtifactBucket::builder()
                    .name("shop-drop")
                    .versioned(false)
                    .build()?,
            );
            let p =
                Pipeline::builder()
                    .name("ship")
                    .artifact_store(&fx.bucket)
                    .stage(Stage::new("Source").action(
                        S3Source::new("Drop", &drop, "src.zip").output(&Artifact::new("Src")),
                    ))
                    .stage(bld(&fx))
                    .build()?;
            fx.app.add(p);
            Ok(fx.app)
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Source].actions[Drop].bucket",
            value: S("shop-drop"),
            rule: "an S3 source bucket must be versioned",
        },
    },
    Case {
        rule: "action: S3 source",
        name: "empty S3 source object key",
        app: || {
            ship(|fx, b| {
                b.stage(
                    Stage::new("Source").action(
                        S3Source::new("Drop", &fx.bucket, "").output(&Artifact::new("Src")),
                    ),
                )
                .stage(bld(fx))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Source].actions[Drop].key",
            value: S(""),
            rule: "an object key is required",
        },
    },
    Case {
        rule: "action: project takes the pipeline's source",
        name: "project with its own CodeCommit source",
        app: || {
            let mut fx = fx()?;
            let own = fx.app.add(
                BuildProject::builder()
                    .name("own-source")
                    .codecommit_source(&fx.repo)
                    .build()?,
            );
            let p = Pipeline::builder()
                .name("ship")
                .artifact_store(&fx.bucket)
                .stage(src(&fx))
                .stage(
                    Stage::new("Build")
                        .action(CodeBuild::new("Build", &own).input(&Artifact::new("Src"))),
                )
                .build()?;
            fx.app.add(p);
            Ok(fx.app)
        },
        expect: Invalid {
            path: "project[own-source].source",
            value: S("CODECOMMIT"),
            rule: "a project run by a pipeline (pipeline[ship].stages[Build].actions[Build]) takes its source and artifacts from the pipeline (CODEPIPELINE)",
        },
    },
    Case {
        rule: "build: environment variables unique",
        name: "action variable declared twice",
        app: || {
            action_env(|a| {
                a.env("A", EnvValue::Plaintext("1".into()))
                    .env("A", EnvValue::Plaintext("2".into()))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].env[A].name",
            value: S("A"),
            rule: "environment variable names must be unique",
        },
    },
    Case {
        rule: "build: environment variables have values",
        name: "action variable with an empty value",
        app: || action_env(|a| a.env("A", EnvValue::ParameterStore(String::new()))),
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].env[A].value",
            value: S(""),
            rule: "an environment variable needs a value",
        },
    },
    Case {
        rule: "action: configuration length",
        name: "action variables longer than 1000 characters of JSON",
        app: || action_env(|a| a.env("A", EnvValue::Plaintext("x".repeat(1000)))),
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].env",
            value: S("1"),
            rule: "action configuration values have at most 1000 characters (the variables' JSON is longer)",
        },
    },
    Case {
        rule: "action: configuration length",
        name: "Parameter Store variables whose JSON, not their estimate, passes 1000 characters",
        app: || {
            action_env(|mut a| {
                for i in 0..20 {
                    a = a.env(
                        format!("V{i:02}"),
                        EnvValue::ParameterStore(format!("/p/{i:04}")),
                    );
                }
                a
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].env",
            value: S("20"),
            rule: "action configuration values have at most 1000 characters (the variables' JSON is longer)",
        },
    },
    Case {
        rule: "action: configuration length",
        name: "action variable of quotes, doubled by JSON escapes",
        app: || action_env(|a| a.env("A", EnvValue::Plaintext("\"".repeat(480)))),
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].env",
            value: S("1"),
            rule: "action configuration values have at most 1000 characters (the variables' JSON is longer)",
        },
    },
    Case {
        rule: "action: approval",
        name: "comments of 501 characters",
        app: || approval(|a| a.comments("c".repeat(501))),
        expect: Invalid {
            path: "pipeline[ship].stages[Approve].actions[Ok].comments",
            value: Rep("c", 501),
            rule: "at most 500 characters",
        },
    },
    Case {
        rule: "action: approval",
        name: "review URL of 1001 characters",
        app: || approval(|a| a.review_url("u".repeat(1001))),
        expect: Invalid {
            path: "pipeline[ship].stages[Approve].actions[Ok].review_url",
            value: Rep("u", 1001),
            rule: "at most 1000 characters",
        },
    },
    Case {
        rule: "action: S3 deploy",
        name: "empty S3 deploy object key",
        app: || {
            ship_with(|fx| {
                Stage::new("Deploy").action(
                    S3Deploy::new("Site", &fx.bucket)
                        .input(&Artifact::new("Out"))
                        .object_key(""),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Deploy].actions[Site].object_key",
            value: S(""),
            rule: "an object key cannot be empty",
        },
    },
    Case {
        rule: "action: ECS blue/green templates",
        name: "without a task definition",
        app: || ecs_action(|a, s| a.appspec(s, "appspec.yaml")),
        expect: Invalid {
            path: "pipeline[ship].stages[Deploy].actions[BlueGreen].task_definition",
            value: S(""),
            rule: "a CodeDeployToECS action needs a task definition template",
        },
    },
    Case {
        rule: "action: ECS blue/green templates",
        name: "without an AppSpec",
        app: || ecs_action(|a, s| a.task_definition(s, "taskdef.json")),
        expect: Invalid {
            path: "pipeline[ship].stages[Deploy].actions[BlueGreen].appspec",
            value: S(""),
            rule: "a CodeDeployToECS action needs an AppSpec template",
        },
    },
    Case {
        rule: "pipeline: artifact flow",
        name: "artifact produced twice",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx)).stage(
                    Stage::new("Build").action(
                        CodeBuild::new("Build", &fx.project)
                            .input(&Artifact::new("Src"))
                            .output(&Artifact::new("Src")),
                    ),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Build].outputs[Src]",
            value: S("Src"),
            rule: "an artifact is produced once; pipeline[ship].stages[Source].actions[Checkout] already produces it",
        },
    },
    Case {
        rule: "pipeline: artifact flow",
        name: "input nobody produces",
        app: || {
            ship_with(|fx| {
                Stage::new("Deploy")
                    .action(CodeDeploy::new("Prod", &fx.group).input(&Artifact::new("web")))
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Deploy].actions[Prod].inputs[web]",
            value: S("web"),
            rule: "input artifact is not produced by any earlier action",
        },
    },
    Case {
        rule: "pipeline: artifact flow",
        name: "input produced at the same run order",
        app: || {
            ship(|fx, b| {
                b.stage(src(fx)).stage(
                    bld(fx).action(CodeDeploy::new("Prod", &fx.group).input(&Artifact::new("Out"))),
                )
            })
        },
        expect: Invalid {
            path: "pipeline[ship].stages[Build].actions[Prod].inputs[Out]",
            value: S("Out"),
            rule: "input artifact is produced by pipeline[ship].stages[Build].actions[Build], which runs at the same time (both have run order 1); give this action a later run order, such as run_order(2)",
        },
    },
    // ---- limits that depend on the region, checked before any call -------------------------
    Case {
        rule: "limit: role policy size",
        name: "pipeline running 200 build projects",
        app: || many_projects(200),
        expect: Invalid {
            path: "role[shop-pipeline-ship-eu-west-1].Policies",
            value: S("13986 characters"),
            rule: "a role's inline policies total at most 10240 characters in IAM (white space not counted); this derived policy lists every resource pipeline \"ship\" uses: split it so that fewer resources share one role",
        },
    },
];

/// Rules the type system enforces, so no model breaking them can be written (each is a
/// `compile_fail` example in the library's docs).
pub(crate) const BY_TYPES: &[(&str, &str, &str)] = &[
    (
        "artifact repository: upstreams in the same domain, once, without a cycle",
        "the upstreams form a cycle: {} is upstream of {} through this one",
        "an upstream is a `Handle<ArtifactRepository>`, which exists only once that repository is added, so distinct repositories never form a cycle (one added twice under one name, refused as a duplicate, is the case above)",
    ),
    (
        "deployment config: rule fits the platform",
        "server configurations set minimum healthy hosts; Lambda and ECS configurations set traffic routing",
        "`DeploymentConfig::minimum_healthy_hosts` exists only for Server, `traffic` only for Lambda and ECS",
    ),
    (
        "deployment group: platform matches the application",
        "application is {} but the group is {}",
        "`DeploymentGroup<P>` takes only a `Handle<DeployApplication<P>>`",
    ),
    (
        "deployment group: config platform",
        "deployment config is for {} but the group is {}",
        "`DeploymentGroupBuilder<P>::config` takes only a `DeployConfig<P>`",
    ),
    (
        "action: CodeDeploy to an ECS group",
        "ECS groups deploy through the CodeDeployToECS action",
        "`CodeDeploy::new` takes only Server and Lambda groups",
    ),
];

/// `(rule, case)` pairs, in corpus order.
pub(crate) fn pairs() -> Vec<(&'static str, &'static str)> {
    CASES.iter().map(|c| (c.rule, c.name)).collect()
}

/// The corpus as a markdown table: one row per rule, with its number of cases and their names.
pub(crate) fn markdown_table() -> String {
    let mut by_rule: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (rule, case) in pairs() {
        by_rule.entry(rule).or_default().push(case);
    }
    let mut out = String::from(
        "| rule | cases | invalid models (each refused by `plan`, exit 1, 0 requests) |\n|---|---:|---|\n",
    );
    for (rule, cases) in &by_rule {
        out.push_str(&format!(
            "| {rule} | {} | {} |\n",
            cases.len(),
            cases.join("; ")
        ));
    }
    for (rule, _, how) in BY_TYPES {
        out.push_str(&format!("| {rule} | 0 | cannot be written: {how} |\n"));
    }
    out.push_str(&format!(
        "| **total** | **{}** | {} rules |\n",
        CASES.len(),
        by_rule.len()
    ));
    out
}
