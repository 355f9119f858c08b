//! Synthesis tier: snapshots of every example's template and graph, the laws of synthesis as
//! property tests, splitting under CloudFormation's limits, and the CLI's `synth`.

#[path = "../support/mod.rs"]
mod support;

mod desired;
mod examples;
mod getting_started;
mod laws;
mod policy;
mod robustness;
mod roles;
mod split;

/// Every logical id a template refers to: `Ref`, `Fn::GetAtt`, `${Id}`/`${Id.Attr}` in `Fn::Sub`,
/// and `DependsOn`; pseudo parameters (`AWS::…`) excluded.
pub(crate) fn references(template: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("Ref", serde_json::Value::String(id)) => out.push(id.clone()),
                        ("Fn::GetAtt", serde_json::Value::Array(a)) => {
                            if let Some(serde_json::Value::String(id)) = a.first() {
                                out.push(id.clone());
                            }
                        }
                        ("Fn::Sub", serde_json::Value::String(s)) => {
                            let mut rest = s.as_str();
                            while let Some(i) = rest.find("${") {
                                let after = &rest[i + 2..];
                                let end = after.find('}').unwrap_or(after.len());
                                let var = &after[..end];
                                let id = var.split('.').next().unwrap_or(var);
                                out.push(id.to_owned());
                                rest = &after[end..];
                            }
                        }
                        ("DependsOn", serde_json::Value::Array(a)) => {
                            out.extend(a.iter().filter_map(|d| d.as_str().map(str::to_owned)));
                        }
                        _ => walk(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(template, &mut out);
    out.retain(|id| !id.starts_with("AWS::"));
    out
}

/// References that name no resource of the template.
pub(crate) fn dangling(template: &serde_json::Value) -> Vec<String> {
    let resources = template["Resources"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    references(template)
        .into_iter()
        .filter(|id| !resources.contains_key(id))
        .collect()
}
