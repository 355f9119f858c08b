//! Every IAM role of every example, as synthesized: least privilege and one trusted service.
//!
//! - no action holds a wildcard;
//! - a resource is `"*"` only in a statement whose id the role's `Metadata` documents under
//!   `pipewright:wildcards` (with the reason); any other `*` ends a resource that names one of
//!   the app's own resources before it (the objects of one bucket, the streams of one log group);
//! - the trust policy is one statement allowing exactly `sts:AssumeRole` to exactly one service,
//!   the one the role exists for.

use serde_json::Value;

use pipewright::model::App;

/// Every role of every example, with its problems (empty when it is sound).
fn problems() -> Vec<(String, Vec<String>)> {
    let mut all = Vec::new();
    for (example, app) in crate::support::examples::apps() {
        let app = app.expect("examples build");
        let names = own_names(&app);
        for template in pipewright::synth::synthesize(&app).expect("examples synthesize") {
            let json: Value = serde_json::from_str(&template.to_json()).expect("JSON templates");
            let resources = json["Resources"].as_object().expect("a Resources map");
            for (id, resource) in resources {
                let kind = resource["Type"].as_str().unwrap_or_default();
                if kind == "AWS::IAM::Role" {
                    all.push((format!("{example}/{id}"), role_problems(resource, &names)));
                } else if kind.starts_with("AWS::IAM::") {
                    all.push((
                        format!("{example}/{id}"),
                        vec![format!("unexpected IAM resource type {kind}")],
                    ));
                }
            }
        }
    }
    all
}

/// The names a scoped wildcard may sit under: every resource name of the app, and the names its
/// deployment groups target.
fn own_names(app: &App) -> Vec<String> {
    let mut names = Vec::new();
    for node in app.nodes() {
        names.extend(node.display_name().split('/').map(str::to_owned));
        if let pipewright::model::Node::DeploymentGroup(g) = node {
            match &g.target {
                pipewright::model::Target::Lambda(l) => names.extend(l.functions.iter().cloned()),
                // The user's listeners: rules under one of them are scoped to it.
                pipewright::model::Target::Ecs(e) => names.extend(
                    std::iter::once(&e.prod_listener)
                        .chain(&e.test_listener)
                        .filter_map(|l| {
                            l.split_once(":listener/").map(|(_, path)| path.to_owned())
                        }),
                ),
                pipewright::model::Target::Server(_) => {}
            }
        }
    }
    names
}

fn role_problems(role: &Value, names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let props = &role["Properties"];
    let documented = role["Metadata"]["pipewright:wildcards"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (sid, reason) in &documented {
        if reason.as_str().is_none_or(|r| r.len() < 20) {
            out.push(format!("wildcard {sid} has no real reason: {reason}"));
        }
    }
    // Trust: one statement, one service, AssumeRole only.
    let trust = props["AssumeRolePolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if trust.len() != 1 {
        out.push(format!("{} trust statements", trust.len()));
    }
    let expected_service = service_for(props["Description"].as_str().unwrap_or_default());
    for s in &trust {
        if s["Effect"] != "Allow" {
            out.push(format!("trust effect {}", s["Effect"]));
        }
        if strings(&s["Action"]) != ["sts:AssumeRole"] {
            out.push(format!("trust actions {}", s["Action"]));
        }
        let principal = s["Principal"].as_object().cloned().unwrap_or_default();
        let services = strings(&principal.get("Service").cloned().unwrap_or_default());
        if principal.len() != 1 || services.len() != 1 {
            out.push(format!("trust principal {}", s["Principal"]));
        } else if Some(services[0].as_str()) != expected_service {
            out.push(format!(
                "trusts {} but the role is for {expected_service:?}",
                services[0]
            ));
        }
        for key in ["Condition", "NotPrincipal", "NotAction"] {
            if s.get(key).is_some() {
                out.push(format!("trust statement has {key}"));
            }
        }
    }
    // Permissions.
    let policies = props["Policies"].as_array().cloned().unwrap_or_default();
    if policies.is_empty() {
        out.push("no inline policy".into());
    }
    for policy in &policies {
        for s in policy["PolicyDocument"]["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let sid = s["Sid"].as_str().unwrap_or_default().to_owned();
            for key in ["NotAction", "NotResource"] {
                if s.get(key).is_some() {
                    out.push(format!("{sid}: {key}"));
                }
            }
            for action in strings(&s["Action"]) {
                if action.contains('*') {
                    out.push(format!("{sid}: wildcard action {action}"));
                }
            }
            for resource in resources(&s["Resource"]) {
                // A documented statement may use `*` or a name pattern; any other wildcard
                // must sit under one of the app's own resources.
                if resource.contains('*')
                    && !documented.contains_key(&sid)
                    && !scoped(&resource, names)
                {
                    out.push(format!("{sid}: undocumented wildcard resource {resource}"));
                }
            }
        }
    }
    out
}

/// Wildcards confined to the app's own resources: the resource part of the ARN names one of them,
/// and each `*` either ends the ARN under that name (the objects of one bucket, the streams of one
/// log group) or stands for a whole segment AWS generates (the id in an Auto Scaling group ARN).
fn scoped(resource: &str, names: &[String]) -> bool {
    let resource = resource
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::Region}", "region")
        .replace("${AWS::AccountId}", "account");
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let [_, _, _, _, _, rest] = parts[..] else {
        return false;
    };
    if parts[..5].iter().any(|p| p.contains('*')) {
        return false;
    }
    let names_one = names
        .iter()
        .any(|n| !n.is_empty() && rest.contains(n.as_str()));
    let separators = |c: Option<char>| c.is_none_or(|c| ":/".contains(c));
    let stars_ok = rest.match_indices('*').all(|(i, _)| {
        let before = rest[..i].chars().next_back();
        let after = rest[i + 1..].chars().next();
        let under_a_name = after.is_none()
            && names
                .iter()
                .any(|n| !n.is_empty() && rest[..i].contains(n.as_str()));
        let whole_segment = i > 0 && separators(before) && after.is_some() && separators(after);
        under_a_name || whole_segment
    });
    names_one && stars_ok
}

/// The service a role is for, from its description.
fn service_for(description: &str) -> Option<&'static str> {
    [
        ("pipeline service role", "codepipeline.amazonaws.com"),
        ("CodeBuild service role", "codebuild.amazonaws.com"),
        ("CodeDeploy service role", "codedeploy.amazonaws.com"),
        ("change-detection rules", "events.amazonaws.com"),
    ]
    .into_iter()
    .find(|(words, _)| description.contains(words))
    .map(|(_, service)| service)
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// Resource ARNs as text: literals, and the template of each `Fn::Sub`.
fn resources(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(resources).collect(),
        Value::Object(o) => match o.get("Fn::Sub") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.first().map(resources).unwrap_or_default(),
            _ => vec![format!("unreadable resource {v}")],
        },
        _ => vec![format!("unreadable resource {v}")],
    }
}

#[test]
fn every_role_of_every_example_is_least_privilege_and_trusts_one_service() {
    let all = problems();
    // Each example has its pipeline, build, deploy and events roles.
    assert!(all.len() >= 4 * 4, "only {} roles", all.len());
    let bad: Vec<_> = all.iter().filter(|(_, p)| !p.is_empty()).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    crate::report::record_policies(&statement_counts());
}

/// Every role checked, with its number of permission statements.
fn statement_counts() -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (example, app) in crate::support::examples::apps() {
        let app = app.expect("examples build");
        for template in pipewright::synth::synthesize(&app).expect("examples synthesize") {
            let json: Value = serde_json::from_str(&template.to_json()).expect("JSON templates");
            for (id, r) in json["Resources"].as_object().into_iter().flatten() {
                if r["Type"] == "AWS::IAM::Role" {
                    let n = r["Properties"]["Policies"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            p["PolicyDocument"]["Statement"]
                                .as_array()
                                .map_or(0, Vec::len)
                        })
                        .sum();
                    out.push((format!("{example}/{id}"), n));
                }
            }
        }
    }
    out
}

/// The checks find what they look for: a role with each fault is reported.
#[test]
fn the_policy_checks_catch_each_fault() {
    let names = vec!["shop-artifacts".to_owned()];
    let good = serde_json::json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": "pipewright pipeline service role",
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": ["sts:AssumeRole"]}]},
            "Policies": [{"PolicyDocument": {"Statement": [{"Sid": "Objects", "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::shop-artifacts/*"}]}]}}]
        }
    });
    assert_eq!(role_problems(&good, &names), Vec::<String>::new());
    let mutations: [(&str, Value); 8] = [
        (
            "/Properties/Policies/0/PolicyDocument/Statement/0/Action/0",
            "s3:*".into(),
        ),
        (
            "/Properties/Policies/0/PolicyDocument/Statement/0/Resource/0",
            "*".into(),
        ),
        (
            "/Properties/Policies/0/PolicyDocument/Statement/0/Resource/0",
            "arn:aws:s3:::*".into(),
        ),
        (
            "/Properties/Policies/0/PolicyDocument/Statement/0/Resource/0",
            "arn:aws:lambda:eu-west-1:123456789012:function:Hook_*".into(),
        ),
        (
            "/Properties/Policies/0/PolicyDocument/Statement/0/Resource/0",
            "arn:aws:s3:::shop-*".into(),
        ),
        (
            "/Properties/AssumeRolePolicyDocument/Statement/0/Principal/Service",
            serde_json::json!(["codepipeline.amazonaws.com", "codebuild.amazonaws.com"]),
        ),
        (
            "/Properties/AssumeRolePolicyDocument/Statement/0/Principal/Service",
            "codebuild.amazonaws.com".into(),
        ),
        (
            "/Properties/AssumeRolePolicyDocument/Statement/0/Action",
            serde_json::json!(["sts:AssumeRole", "sts:TagSession"]),
        ),
    ];
    for (pointer, value) in mutations {
        let mut bad = good.clone();
        *bad.pointer_mut(pointer).expect("the pointer exists") = value.clone();
        assert!(
            !role_problems(&bad, &names).is_empty(),
            "{pointer} = {value} passed"
        );
    }
}
