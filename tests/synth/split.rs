//! Apps beyond CloudFormation's limits split into independent templates.

use std::collections::BTreeSet;

use pipewright::model::App;
use pipewright::synth;

use crate::support::examples::reference::add_reference;

#[test]
fn a_thousand_pipelines_split_into_independent_templates() {
    let mut app = App::new("fleet").unwrap();
    for i in 0..1000 {
        add_reference(&mut app, &format!("svc{i:04}")).unwrap();
    }
    let templates = synth::synthesize(&app).unwrap();
    assert!(templates.len() > 1);
    let mut seen = BTreeSet::new();
    for t in &templates {
        assert!(t.resource_count() <= synth::MAX_RESOURCES);
        let json = t.to_json();
        assert!(json.len() <= synth::MAX_BYTES);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(value["Outputs"].as_object().unwrap().len() <= synth::MAX_OUTPUTS);
        assert_eq!(
            crate::dangling(&value),
            Vec::<String>::new(),
            "{}",
            t.name()
        );
        for id in t.resource_ids() {
            assert!(seen.insert(id.to_owned()), "{id} in two templates");
        }
    }
    assert_eq!(seen.len(), 14_000);
    assert_eq!(templates[0].name(), "fleet-1");
}

#[test]
fn a_group_too_large_for_one_template_is_refused() {
    use pipewright::model::*;
    // 300 projects run by one pipeline are one group: 300 projects, their 300 roles and 300 log
    // groups > 500.
    let mut app = App::new("big").unwrap();
    let repo = app.add(Repository::builder().name("big").build().unwrap());
    let bucket = app.add(
        ArtifactBucket::builder()
            .name("big-artifacts")
            .build()
            .unwrap(),
    );
    let src = Artifact::new("Src");
    let mut p = Pipeline::builder()
        .name("big")
        .artifact_store(&bucket)
        .stage(
            Stage::new("Source")
                .action(CodeCommitSource::new("Checkout", &repo, "main").output(&src)),
        );
    for s in 0..6 {
        let mut stage = Stage::new(format!("Build{s}"));
        for a in 0..50 {
            let project = app.add(
                BuildProject::builder()
                    .name(format!("big-{s}-{a}"))
                    .build()
                    .unwrap(),
            );
            stage = stage.action(CodeBuild::new(format!("B{a}"), &project).input(&src));
        }
        p = p.stage(stage);
    }
    app.add(p.build().unwrap());
    let err = synth::synthesize(&app).unwrap_err();
    assert!(
        matches!(err, synth::SynthError::GroupTooLarge { resources: 907, .. }),
        "{err}"
    );
}
