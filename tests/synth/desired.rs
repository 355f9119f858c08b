//! The desired-state expansion shared by the template writer and the future engine.

use pipewright::model::*;

use crate::support::examples::reference;

fn roles<'a>(d: &'a Desired<'a>) -> Vec<(&'a str, &'a Role)> {
    d.resources
        .iter()
        .filter_map(|r| match &r.spec {
            Definition::Role(role) => Some((r.id.as_str(), role)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_reference_app_expands_to_fourteen_resources_in_dependency_order() {
    let app = reference::app().unwrap();
    let d = app.desired();
    let ids: Vec<&str> = d.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "RepoShopApi",
            "BucketShopArtifacts0001",
            "BucketPolicyShopArtifacts0001",
            "LogGroupShopBuild",
            "ReportGroupShopBuildUnitTests",
            "BuildRoleShopBuild",
            "ProjectShopBuild",
            "DeployAppShop",
            "DeployRoleShop",
            "DeployGroupShopProduction",
            "PipelineRoleShop",
            "PipelineShop",
            "EventsRoleShop",
            "ChangeRuleShopCheckout",
        ]
    );
    let pipeline = d
        .resources
        .iter()
        .find(|r| r.id.as_str() == "PipelineShop")
        .unwrap();
    assert_eq!(pipeline.physical_name, "shop");
    let deps: Vec<&str> = pipeline.depends_on.iter().map(LogicalId::as_str).collect();
    assert_eq!(
        deps,
        [
            "BucketShopArtifacts0001",
            "DeployGroupShopProduction",
            "PipelineRoleShop",
            "ProjectShopBuild",
            "RepoShopApi"
        ]
    );
}

#[test]
fn only_the_deploy_role_uses_a_wildcard_and_says_why() {
    let app = reference::app().unwrap();
    let d = app.desired();
    for (id, role) in roles(&d) {
        for s in &role.statements {
            let wildcard = s.resources.contains(&Arn::Any);
            assert_eq!(wildcard, s.wildcard_reason.is_some(), "{id}.{}", s.sid);
            if wildcard {
                assert_eq!((id, s.sid), ("DeployRoleShop", "DiscoverInstances"));
            }
        }
    }
    let events = roles(&d)
        .into_iter()
        .find(|(id, _)| *id == "EventsRoleShop")
        .unwrap()
        .1;
    assert_eq!(events.statements.len(), 1);
    assert_eq!(
        events.statements[0].actions,
        ["codepipeline:StartPipelineExecution"]
    );
    assert_eq!(
        events.statements[0].resources[0].render("aws", "eu-west-1", "123456789012"),
        "arn:aws:codepipeline:eu-west-1:123456789012:shop"
    );
}

#[test]
fn existing_roles_and_polling_replace_derived_resources() {
    let mut app = App::new("shop").unwrap();
    let repo = app.add(Repository::builder().name("r").build().unwrap());
    let bucket = app.add(ArtifactBucket::builder().name("shop-b").build().unwrap());
    let project = app.add(
        BuildProject::builder()
            .name("p1")
            .service_role("arn:aws:iam::123456789012:role/build")
            .build()
            .unwrap(),
    );
    let src = Artifact::new("Src");
    app.add(
        Pipeline::builder()
            .name("ship")
            .artifact_store(&bucket)
            .role("arn:aws:iam::123456789012:role/pipeline")
            .stage(
                Stage::new("Source").action(
                    CodeCommitSource::new("Checkout", &repo, "main")
                        .output(&src)
                        .change_detection(ChangeDetection::Polling),
                ),
            )
            .stage(Stage::new("Build").action(CodeBuild::new("Build", &project).input(&src)))
            .build()
            .unwrap(),
    );
    let d = app.desired();
    assert!(roles(&d).is_empty());
    assert!(
        !d.resources
            .iter()
            .any(|r| r.kind == ResourceKind::EventRule)
    );
}
