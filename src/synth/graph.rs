//! The pipeline graph: stages, actions, the artifacts flowing between them, and the resources
//! each action uses, as Mermaid or Graphviz DOT.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{Definition, Desired, Pipeline, Used};

/// A graph output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders on GitHub and in many editors).
    #[default]
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

struct Flow<'a> {
    index: usize,
    pipeline: &'a Pipeline,
    uses: &'a BTreeMap<(usize, usize), Vec<Used>>,
}

fn flows<'a>(d: &'a Desired<'a>) -> Vec<Flow<'a>> {
    d.resources
        .iter()
        .filter_map(|r| match &r.spec {
            Definition::Pipeline { pipeline, uses, .. } => Some((pipeline, uses)),
            _ => None,
        })
        .enumerate()
        .map(|(index, (pipeline, uses))| Flow {
            index,
            pipeline,
            uses,
        })
        .collect()
}

fn resource_key(u: &Used) -> String {
    match &u.id {
        Some(id) => id.to_string(),
        None => format!(
            "External{}",
            u.name.replace(|c: char| !c.is_ascii_alphanumeric(), "")
        ),
    }
}

fn resource_label(u: &Used) -> String {
    match &u.application {
        Some((_, app)) => format!("{} {app}/{}", u.kind.word(), u.name),
        None => format!("{} {}", u.kind.word(), u.name),
    }
}

/// Renders every pipeline of the desired state in `format`.
#[must_use]
pub fn render(d: &Desired<'_>, format: GraphFormat) -> String {
    match format {
        GraphFormat::Mermaid => mermaid(d),
        GraphFormat::Dot => dot(d),
    }
}

// `write!` into a String cannot fail; results are ignored on purpose below.

fn mermaid(d: &Desired<'_>) -> String {
    let mut out = String::from("flowchart LR\n");
    let mut resources: BTreeMap<String, String> = BTreeMap::new();
    let mut edges = String::new();
    for f in flows(d) {
        let p = f.index;
        let _ = writeln!(out, "  subgraph p{p}[\"pipeline {}\"]", f.pipeline.name);
        let _ = writeln!(out, "    direction LR");
        for (si, stage) in f.pipeline.stages.iter().enumerate() {
            let _ = writeln!(out, "    subgraph p{p}s{si}[\"{}\"]", stage.name);
            for (ai, a) in stage.actions.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "      p{p}s{si}a{ai}[\"{}<br/><small>{} · run order {}</small>\"]",
                    a.name,
                    kind_label(a),
                    a.run_order
                );
            }
            let _ = writeln!(out, "    end");
        }
        // Artifact node ids are numbered: names may hold '-', which Mermaid reads as an edge.
        let mut artifact_ids: BTreeMap<&str, String> = BTreeMap::new();
        for (_, _, a) in f.pipeline.actions() {
            for name in a.outputs.iter().chain(&a.inputs) {
                let next = artifact_ids.len();
                artifact_ids
                    .entry(name.as_str())
                    .or_insert_with(|| format!("p{p}art{next}"));
            }
        }
        for (name, id) in &artifact_ids {
            let _ = writeln!(out, "    {id}([\"{name}\"])");
        }
        for (si, ai, a) in f.pipeline.actions() {
            let node = format!("p{p}s{si}a{ai}");
            for o in &a.outputs {
                if let Some(art) = artifact_ids.get(o.as_str()) {
                    let _ = writeln!(edges, "  {node} --> {art}");
                }
            }
            for i in &a.inputs {
                if let Some(art) = artifact_ids.get(i.as_str()) {
                    let _ = writeln!(edges, "  {art} --> {node}");
                }
            }
            for u in f.uses.get(&(si, ai)).into_iter().flatten() {
                let key = resource_key(u);
                let _ = writeln!(edges, "  {node} -.- {key}");
                resources.entry(key).or_insert_with(|| resource_label(u));
            }
        }
        let _ = writeln!(out, "  end");
        for si in 1..f.pipeline.stages.len() {
            let _ = writeln!(edges, "  p{p}s{} ~~~ p{p}s{si}", si - 1);
        }
    }
    for (key, label) in &resources {
        let _ = writeln!(out, "  {key}[(\"{label}\")]");
    }
    out.push_str(&edges);
    out
}

fn dot(d: &Desired<'_>) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  compound=true;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n",
        d.app.name()
    );
    let mut resources: BTreeMap<String, String> = BTreeMap::new();
    let mut edges = String::new();
    for f in flows(d) {
        let p = f.index;
        let _ = writeln!(
            out,
            "  subgraph \"cluster_p{p}\" {{\n    label=\"pipeline {}\";",
            f.pipeline.name
        );
        for (si, stage) in f.pipeline.stages.iter().enumerate() {
            let _ = writeln!(
                out,
                "    subgraph \"cluster_p{p}s{si}\" {{\n      label=\"{}\";",
                stage.name
            );
            for (ai, a) in stage.actions.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "      \"p{p}s{si}a{ai}\" [label=\"{}\\n{} · run order {}\"];",
                    a.name,
                    kind_label(a),
                    a.run_order
                );
            }
            let _ = writeln!(out, "    }}");
        }
        for (si, ai, a) in f.pipeline.actions() {
            let node = format!("p{p}s{si}a{ai}");
            for o in &a.outputs {
                let _ = writeln!(
                    out,
                    "    \"p{p}art_{o}\" [shape=note, style=\"\", label=\"{o}\"];"
                );
                let _ = writeln!(edges, "  \"{node}\" -> \"p{p}art_{o}\";");
            }
            for i in &a.inputs {
                let _ = writeln!(edges, "  \"p{p}art_{i}\" -> \"{node}\";");
            }
            for u in f.uses.get(&(si, ai)).into_iter().flatten() {
                let key = resource_key(u);
                let _ = writeln!(
                    edges,
                    "  \"{node}\" -> \"{key}\" [style=dashed, arrowhead=none];"
                );
                resources.entry(key).or_insert_with(|| resource_label(u));
            }
        }
        let _ = writeln!(out, "  }}");
        for si in 1..f.pipeline.stages.len() {
            let _ = writeln!(
                edges,
                "  \"p{p}s{}a0\" -> \"p{p}s{si}a0\" [style=invis, weight=10];",
                si - 1
            );
        }
    }
    for (key, label) in &resources {
        let _ = writeln!(
            out,
            "  \"{key}\" [shape=cylinder, style=\"\", label=\"{label}\"];"
        );
    }
    out.push_str(&edges);
    out.push_str("}\n");
    out
}

/// What an action is, as the graph shows it: its provider, and for a CodeBuild test action that
/// it is a test (category Test), not another build.
fn kind_label(a: &crate::model::Action) -> String {
    match a.category() {
        crate::model::ActionCategory::Test => format!("Test ({})", a.provider()),
        _ => a.provider().to_owned(),
    }
}
