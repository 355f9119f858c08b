//! The derived service roles against their table in `docs/roles.md`: every action a derived
//! role holds is documented there under its role and statement, and every documented action is
//! granted by some app, so an action added or dropped without the table fails here.

use std::collections::BTreeSet;

use pipewright::model::*;

use crate::support::examples;

/// (role, statement id, action), as `docs/roles.md` lists them.
type Row = (String, String, String);

fn documented() -> BTreeSet<Row> {
    let text = include_str!("../../docs/roles.md");
    let mut role = None;
    let mut rows = BTreeSet::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            role = heading.strip_suffix(" role").map(str::to_owned);
            continue;
        }
        let Some(role) = &role else { continue };
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `Sid` | `action` | resource | why | document |
        if cells.len() < 4 || !cells[1].starts_with('`') {
            continue;
        }
        rows.insert((
            role.clone(),
            cells[1].trim_matches('`').to_owned(),
            cells[2].trim_matches('`').to_owned(),
        ));
    }
    rows
}

fn role_name(purpose: RolePurpose, principal: Principal, platform: Option<&str>) -> String {
    match (purpose, platform) {
        (RolePurpose::Pipeline, _) => "CodePipeline service".into(),
        (RolePurpose::Build, _) => "CodeBuild service".into(),
        (RolePurpose::Events, _) => "EventBridge".into(),
        (RolePurpose::Deploy, Some(p)) => format!("CodeDeploy {p} service"),
        (RolePurpose::Deploy, None) => format!("{principal:?}"),
    }
}

/// Every (role, statement, action) the app's derived roles hold.
fn derived(app: &App) -> BTreeSet<Row> {
    let desired = app.desired();
    let platforms: Vec<(String, &'static str)> = app
        .nodes()
        .iter()
        .filter_map(|n| match n {
            Node::Application(a) => Some((
                a.name.to_string(),
                match a.platform {
                    ComputePlatform::Server => "Server",
                    ComputePlatform::Lambda => "Lambda",
                    ComputePlatform::Ecs => "ECS",
                },
            )),
            _ => None,
        })
        .collect();
    let mut rows = BTreeSet::new();
    for r in &desired.resources {
        let Definition::Role(role) = &r.spec else {
            continue;
        };
        let platform = platforms
            .iter()
            .find(|(name, _)| r.id == LogicalId::derive("DeployRole", &[name.as_str()]))
            .map(|(_, p)| *p);
        let name = role_name(role.purpose, role.principal, platform);
        for s in &role.statements {
            for a in &s.actions {
                rows.insert((name.clone(), s.sid.to_owned(), (*a).to_owned()));
            }
        }
    }
    rows
}

/// What no example uses: a build of a CodeCommit repository in a VPC with an S3 cache and its own key, a KMS-encrypted
/// artifact bucket a Lambda deployment reads, an S3 source, an S3 deploy and an approval that
/// notifies a topic.
fn features_app() -> App {
    let mut app = App::new("roles").expect("a valid app name");
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let bucket = app.add(
        ArtifactBucket::builder()
            .name("roles-artifacts-0001")
            .kms_key(key)
            .build()
            .expect("a valid bucket"),
    );
    let site = app.add(
        ArtifactBucket::builder()
            .name("roles-site-0001")
            .build()
            .expect("a valid bucket"),
    );
    let repo = app.add(
        Repository::builder()
            .name("roles")
            .build()
            .expect("a valid repository"),
    );
    let domain = app.add(
        ArtifactDomain::builder()
            .name("roles")
            .build()
            .expect("a valid domain"),
    );
    let libs = app.add(
        ArtifactRepository::builder()
            .domain(&domain)
            .name("libs")
            .build()
            .expect("a valid repository"),
    );
    let build = app.add(
        BuildProject::builder()
            .name("roles-build")
            .codecommit_source(&repo)
            .publishes_to(&libs)
            .buildspec(
                InlineBuildSpec::new()
                    .build(["make"])
                    .artifacts(["dist/**/*"]),
            )
            .vpc("vpc-0a1b2c3d", ["subnet-0a1b2c3d"], ["sg-0a1b2c3d"])
            .s3_cache(&bucket, "cache")
            .encryption_key(key)
            .build()
            .expect("a valid project"),
    );
    let lambda = app.add(
        LambdaApplication::builder()
            .name("roles-handler")
            .build()
            .expect("a valid application"),
    );
    let live = app.add(
        DeploymentGroup::builder()
            .application(&lambda)
            .name("live")
            .function("roles-handler")
            .build()
            .expect("a valid group"),
    );
    let source = Artifact::new("Source");
    let built = Artifact::new("Built");
    app.add(
        Pipeline::builder()
            .name("roles")
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(S3Source::new("Fetch", &bucket, "source.zip").output(&source)),
            )
            .stage(
                Stage::new("Build").action(
                    CodeBuild::new("Build", &build)
                        .input(&source)
                        .output(&built),
                ),
            )
            .stage(
                Stage::new("Approve").action(
                    ManualApproval::new("Approve")
                        .notify("arn:aws:sns:eu-west-1:123456789012:roles-approvals"),
                ),
            )
            .stage(
                Stage::new("Publish")
                    .action(S3Deploy::new("Site", &site).input(&built))
                    .action(CodeDeploy::new("Handler", &live).input(&built)),
            )
            .build()
            .expect("a valid pipeline"),
    );
    app
}

#[test]
fn derived_roles_hold_exactly_the_documented_actions() {
    let table = documented();
    assert!(!table.is_empty(), "docs/roles.md has tables");
    let mut granted = BTreeSet::new();
    let mut apps: Vec<(&str, App)> = examples::built();
    apps.push(("features", features_app()));
    for (name, app) in &apps {
        let rows = derived(app);
        let undocumented: Vec<&Row> = rows.difference(&table).collect();
        assert!(
            undocumented.is_empty(),
            "{name}: actions missing from docs/roles.md (role, sid, action): {undocumented:#?}"
        );
        granted.extend(rows);
    }
    let unused: Vec<&Row> = table.difference(&granted).collect();
    assert!(
        unused.is_empty(),
        "docs/roles.md lists actions no derived role holds: {unused:#?}"
    );
}
