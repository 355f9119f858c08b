//! The laws of synthesis, over generated models: a model that validates synthesizes without
//! dangling references, is tagged throughout, and synthesizes to the same bytes every time.

use pipewright::model::*;
use pipewright::synth::{self, GraphFormat};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Kind {
    Build,
    Test,
    Approval,
    DeployServer,
    DeployLambda,
    S3Deploy,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Build),
        Just(Kind::Test),
        Just(Kind::Approval),
        Just(Kind::DeployServer),
        Just(Kind::DeployLambda),
        Just(Kind::S3Deploy),
    ]
}

/// One generated pipeline: polling source, KMS bucket, existing role, stages of (kind, run order).
type PipelineShape = (bool, bool, bool, Vec<Vec<(Kind, u32)>>);

#[derive(Debug, Clone)]
struct Shape {
    pipelines: Vec<PipelineShape>,
}

fn shape() -> impl Strategy<Value = Shape> {
    let stage = prop::collection::vec((kind(), 1u32..3), 1..4);
    let pipeline = (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(stage, 1..4),
    );
    prop::collection::vec(pipeline, 1..4).prop_map(|pipelines| Shape { pipelines })
}

fn build(shape: &Shape) -> App {
    let mut app = App::new("gen").expect("valid by construction");
    let server = app.add(
        ServerApplication::builder()
            .name("gen-server")
            .build()
            .expect("valid by construction"),
    );
    let lambda = app.add(
        LambdaApplication::builder()
            .name("gen-lambda")
            .build()
            .expect("valid by construction"),
    );
    let sg = app.add(
        DeploymentGroup::builder()
            .application(&server)
            .name("g")
            .ec2_tag("Name", "web")
            .build()
            .expect("valid by construction"),
    );
    let lg = app.add(
        DeploymentGroup::builder()
            .application(&lambda)
            .name("g")
            .function("f")
            .config(DeployConfig::LAMBDA_CANARY_10_PERCENT_5_MINUTES)
            .build()
            .expect("valid by construction"),
    );
    let site = app.add(
        ArtifactBucket::builder()
            .name("gen-site")
            .build()
            .expect("valid by construction"),
    );
    for (pi, (poll, kms, existing_role, stages)) in shape.pipelines.iter().enumerate() {
        let repo = app.add(
            Repository::builder()
                .name(format!("repo{pi}"))
                .build()
                .expect("valid by construction"),
        );
        let mut bucket = ArtifactBucket::builder().name(format!("gen-artifacts-{pi}"));
        if *kms {
            bucket = bucket.kms_key("arn:aws:kms:eu-west-1:123456789012:key/k");
        }
        let bucket = app.add(bucket.build().expect("valid by construction"));
        let src = Artifact::new("Src");
        let mut checkout = CodeCommitSource::new("Checkout", &repo, "main").output(&src);
        if *poll {
            checkout = checkout.change_detection(ChangeDetection::Polling);
        }
        let mut p = Pipeline::builder()
            .name(format!("p{pi}"))
            .artifact_store(&bucket)
            .stage(Stage::new("Source").action(checkout));
        if *existing_role {
            p = p.role("arn:aws:iam::123456789012:role/existing");
        }
        for (si, actions) in stages.iter().enumerate() {
            let mut stage = Stage::new(format!("S{si}"));
            for (ai, (k, run_order)) in actions.iter().enumerate() {
                let name = format!("A{ai}");
                stage = match k {
                    Kind::Build | Kind::Test => {
                        let project = app.add(
                            BuildProject::builder()
                                .name(format!("gen-{pi}-{si}-{ai}"))
                                .build()
                                .expect("valid by construction"),
                        );
                        let a = if matches!(k, Kind::Test) {
                            CodeBuild::test(name, &project)
                        } else {
                            CodeBuild::new(name, &project)
                        };
                        stage.action(
                            a.input(&src)
                                .output(&Artifact::new(format!("O{si}x{ai}")))
                                .run_order(*run_order),
                        )
                    }
                    Kind::Approval => stage.action(ManualApproval::new(name).run_order(*run_order)),
                    Kind::DeployServer => {
                        stage.action(CodeDeploy::new(name, &sg).input(&src).run_order(*run_order))
                    }
                    Kind::DeployLambda => {
                        stage.action(CodeDeploy::new(name, &lg).input(&src).run_order(*run_order))
                    }
                    Kind::S3Deploy => {
                        stage.action(S3Deploy::new(name, &site).input(&src).run_order(*run_order))
                    }
                };
            }
            p = p.stage(stage);
        }
        app.add(p.build().expect("valid by construction"));
    }
    app
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn valid_models_synthesize_without_dangling_references(shape in shape()) {
        let app = build(&shape);
        prop_assume!(pipewright::validate::validate(&app).is_ok());
        let templates = synth::synthesize(&app).expect("valid by construction");
        for t in &templates {
            let value: serde_json::Value = serde_json::from_str(&t.to_json()).expect("valid by construction");
            prop_assert_eq!(crate::dangling(&value), Vec::<String>::new());
            for (id, r) in value["Resources"].as_object().expect("valid by construction") {
                let kind = r["Type"].as_str().expect("valid by construction");
                if matches!(kind, "AWS::S3::BucketPolicy" | "AWS::CodeDeploy::DeploymentConfig") {
                    continue;
                }
                let tags = r["Properties"]["Tags"].as_array().expect("valid by construction");
                let tag = |k: &str| tags.iter().find(|t| t["Key"] == k).map(|t| t["Value"].clone());
                prop_assert_eq!(tag("pipewright:app"), Some(serde_json::json!("gen")));
                prop_assert_eq!(tag("pipewright:id"), Some(serde_json::json!(id)));
            }
        }
        // The desired state the engine will use is closed under its dependencies.
        let desired = app.desired();
        let ids: std::collections::BTreeSet<_> = desired.resources.iter().map(|r| r.id.clone()).collect();
        for r in &desired.resources {
            for d in &r.depends_on {
                prop_assert!(ids.contains(d), "{} depends on missing {}", r.id, d);
            }
        }
    }

    #[test]
    fn synthesis_is_byte_deterministic(shape in shape()) {
        let app = build(&shape);
        prop_assume!(pipewright::validate::validate(&app).is_ok());
        let once: Vec<String> = synth::synthesize(&app).expect("valid by construction").iter().map(|t| t.to_json()).collect();
        let twice: Vec<String> = synth::synthesize(&app.clone()).expect("valid by construction").iter().map(|t| t.to_json()).collect();
        prop_assert_eq!(once, twice);
        prop_assert_eq!(synth::graph(&app, GraphFormat::Dot).expect("valid by construction"), synth::graph(&app, GraphFormat::Dot).expect("valid by construction"));
        prop_assert_eq!(synth::graph(&app, GraphFormat::Mermaid).expect("valid by construction"), synth::graph(&app, GraphFormat::Mermaid).expect("valid by construction"));
    }
}
