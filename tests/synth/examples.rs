//! Snapshots of the examples' templates and graphs.

use pipewright::model::App;
use pipewright::synth::{self, GraphFormat};

use crate::support::examples::{
    container, ecs_blue_green, lambda_canary, library, multi_env, reference,
};

fn check(name: &str, app: &App) {
    let templates = synth::synthesize(app).expect("examples synthesize");
    assert_eq!(templates.len(), 1);
    let json = templates[0].to_json();
    let value: serde_json::Value = serde_json::from_str(&json).expect("examples synthesize");
    assert_eq!(crate::dangling(&value), Vec::<String>::new());
    insta::assert_snapshot!(format!("{name}.template.json"), json);
    insta::assert_snapshot!(
        format!("{name}.graph.mmd"),
        synth::graph(app, GraphFormat::Mermaid).expect("examples synthesize")
    );
    insta::assert_snapshot!(
        format!("{name}.graph.dot"),
        synth::graph(app, GraphFormat::Dot).expect("examples synthesize")
    );
}

#[test]
fn reference() {
    let app = reference::app().unwrap();
    check("reference", &app);
    // The CDK's template of the same pipeline has 8 roles; ours has one per need.
    let roles = app
        .desired()
        .resources
        .iter()
        .filter(|r| r.kind == pipewright::model::ResourceKind::Role)
        .count();
    assert_eq!(roles, 4);
}

#[test]
fn ecs_blue_green() {
    check("ecs_blue_green", &ecs_blue_green::app().unwrap());
}

#[test]
fn container() {
    check("container", &container::app().unwrap());
}

#[test]
fn library() {
    check("library", &library::app().unwrap());
}

#[test]
fn lambda_canary() {
    check("lambda_canary", &lambda_canary::app().unwrap());
}

#[test]
fn multi_env() {
    check("multi_env", &multi_env::app().unwrap());
}

#[tokio::test]
async fn cli_synth_writes_templates_and_graphs() {
    let dir = std::env::temp_dir().join(format!("pipewright-synth-{}", std::process::id()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = pipewright::cli::run(
        reference::app(),
        ["reference", "synth", "--out", dir.to_str().unwrap()],
        &mut out,
        &mut err,
    )
    .await;
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let printed = String::from_utf8(out).unwrap();
    for file in ["shop.template.json", "shop.graph.mmd", "shop.graph.dot"] {
        assert!(dir.join(file).is_file(), "{file} missing");
        assert!(printed.contains(file), "{printed}");
    }
    let template = std::fs::read_to_string(dir.join("shop.template.json")).unwrap();
    assert_eq!(
        template,
        synth::synthesize(&reference::app().unwrap()).unwrap()[0].to_json()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn cli_graph_prints_dot() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = pipewright::cli::run(
        reference::app(),
        ["reference", "graph", "--format", "dot"],
        &mut out,
        &mut err,
    )
    .await;
    assert_eq!(code, 0);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("digraph \"shop\" {")
    );
}
