//! How a plan shows one changed field to a reviewer: scalars as `old → new` on one line, and
//! structured values (IAM policies, event patterns, action configuration, which AWS often keeps
//! as JSON text) as a diff of their parts: the keys added, removed and changed, the elements a
//! list gained and lost, and a statement whose actions or resources changed shown as that
//! statement with its own added and removed entries. Nothing that differs is cut short; what is
//! equal is left out. Pure, for [`Plan`](super::Plan)'s `Display`.

use std::fmt::Write as _;

use serde_json::Value;

/// Values longer than this go on lines of their own rather than after a key.
const INLINE: usize = 100;

/// The lines showing `path` going from `old` to `new`, each indented by `indent` spaces.
/// `label` is what the line names the field by (its path, maybe with the builder's name).
pub(crate) fn field(
    label: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    indent: usize,
) -> String {
    let mut out = String::new();
    let pad = " ".repeat(indent);
    match (old.map(structured), new.map(structured)) {
        (Some(Some(o)), Some(Some(n))) if same_shape(&o, &n) => {
            let _ = writeln!(out, "{pad}{label}:");
            nested(&mut out, &o, &n, indent + 4);
        }
        _ => {
            let _ = writeln!(out, "{pad}{label}: {} → {}", one(old), one(new));
        }
    }
    out
}

/// A value as a structure to diff: objects and arrays, and text that holds a JSON object or
/// array (action configuration values, policy documents kept as text).
fn structured(v: &Value) -> Option<Value> {
    match v {
        Value::Object(_) | Value::Array(_) => Some(v.clone()),
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => serde_json::from_str(s)
            .ok()
            .filter(|p: &Value| p.is_object() || p.is_array()),
        _ => None,
    }
}

fn same_shape(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
    )
}

/// A value on one line, whole.
fn one(v: Option<&Value>) -> String {
    v.map_or_else(|| "(none)".to_owned(), Value::to_string)
}

fn nested(out: &mut String, old: &Value, new: &Value, indent: usize) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let pad = " ".repeat(indent);
            let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (o.get(k), n.get(k)) {
                    (Some(a), Some(b)) if a == b => {}
                    (None, Some(b)) => line(out, &pad, '+', k, b),
                    (Some(a), None) => line(out, &pad, '-', k, a),
                    (Some(a), Some(b)) => {
                        let (sa, sb) = (structured(a), structured(b));
                        match (sa, sb) {
                            (Some(sa), Some(sb)) if same_shape(&sa, &sb) => {
                                let _ = writeln!(out, "{pad}~ {k}:");
                                nested(out, &sa, &sb, indent + 4);
                            }
                            // A single value that became a list (IAM accepts both) or the
                            // reverse: shown as the list's entries.
                            _ if a.is_array() != b.is_array() => {
                                let _ = writeln!(out, "{pad}~ {k}:");
                                nested(out, &as_list(a), &as_list(b), indent + 4);
                            }
                            _ => {
                                let _ = writeln!(out, "{pad}~ {k}: {a} → {b}");
                            }
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        (Value::Array(o), Value::Array(n)) => list(out, o, n, indent),
        _ => {
            let _ = writeln!(out, "{}{old} → {new}", " ".repeat(indent));
        }
    }
}

fn as_list(v: &Value) -> Value {
    match v {
        Value::Array(_) => v.clone(),
        other => Value::Array(vec![other.clone()]),
    }
}

/// `+ key: value` (or `- key: value`), the value on the next lines when it is long.
fn line(out: &mut String, pad: &str, sign: char, key: &str, v: &Value) {
    let text = v.to_string();
    if text.chars().count() <= INLINE {
        let _ = writeln!(out, "{pad}{sign} {key}: {text}");
    } else {
        let _ = writeln!(out, "{pad}{sign} {key}:");
        element(out, &format!("{pad}    "), ' ', v);
    }
}

/// One element of a list, whole: a long object one key per line.
fn element(out: &mut String, pad: &str, sign: char, v: &Value) {
    let text = v.to_string();
    match v {
        Value::Object(m) if text.chars().count() > INLINE => {
            let _ = writeln!(out, "{pad}{sign} {{");
            for (k, x) in m {
                let _ = writeln!(out, "{pad}      {k}: {x}");
            }
            let _ = writeln!(out, "{pad}  }}");
        }
        _ => {
            let _ = writeln!(out, "{pad}{sign} {text}");
        }
    }
}

/// What names an element of a list across versions: a statement's `Sid`, an inline policy's
/// `PolicyName`, a stage's or an action's `Name`, an environment variable's `name`, a tag's `Key`.
fn identity(v: &Value) -> Option<(&'static str, &str)> {
    ["Sid", "PolicyName", "Name", "name", "Key", "key"]
        .into_iter()
        .find_map(|k| v.get(k).and_then(Value::as_str).map(|s| (k, s)))
}

/// A list's changes: elements present on one side only, with an element that changed in part
/// (same identity, or the only one lost beside the only one gained, or the same except in one
/// key) shown as that element's own diff.
fn list(out: &mut String, old: &[Value], new: &[Value], indent: usize) {
    let pad = " ".repeat(indent);
    let mut removed: Vec<&Value> = old.iter().filter(|v| !new.contains(v)).collect();
    let mut added: Vec<&Value> = new.iter().filter(|v| !old.contains(v)).collect();
    let mut pairs: Vec<(&Value, &Value)> = Vec::new();
    // By identity first, then objects that differ in a single key.
    let mut i = 0;
    while i < removed.len() {
        let r = removed[i];
        let partner = added.iter().position(|a| match (identity(r), identity(a)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        });
        let partner = partner.or_else(|| {
            added
                .iter()
                .position(|a| differing_keys(r, a).is_some_and(|n| n == 1))
        });
        if let Some(j) = partner {
            pairs.push((r, added.remove(j)));
            removed.remove(i);
        } else {
            i += 1;
        }
    }
    // The only element lost beside the only one gained: the same element changed, when neither
    // is named and they still share a key's value.
    if removed.len() == 1
        && added.len() == 1
        && identity(removed[0]).is_none()
        && identity(added[0]).is_none()
        && shares_a_value(removed[0], added[0])
    {
        pairs.push((removed.remove(0), added.remove(0)));
    }
    for (r, a) in pairs {
        let name = match identity(a) {
            Some(("Sid", s)) => format!("statement \"{s}\""),
            Some(("PolicyName", s)) => format!("policy \"{s}\""),
            Some((_, s)) => format!("\"{s}\""),
            None => summary(a),
        };
        let _ = writeln!(out, "{pad}~ {name}:");
        nested(out, r, a, indent + 4);
    }
    for r in removed {
        element(out, &pad, '-', r);
    }
    for a in added {
        element(out, &pad, '+', a);
    }
}

/// Whether two objects have a key with the same value.
fn shares_a_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.iter().any(|(k, v)| y.get(k) == Some(v)),
        _ => false,
    }
}

/// How many keys two objects differ in (`None` unless both are objects with the same keys).
fn differing_keys(a: &Value, b: &Value) -> Option<usize> {
    let (Value::Object(x), Value::Object(y)) = (a, b) else {
        return None;
    };
    if x.len() != y.len() || x.keys().any(|k| !y.contains_key(k)) {
        return None;
    }
    Some(x.iter().filter(|(k, v)| y.get(*k) != Some(*v)).count())
}

/// A short name for an element that has no identity: a statement by its effect, or the
/// element's first key.
fn summary(v: &Value) -> String {
    if let Some(effect) = v.get("Effect").and_then(Value::as_str) {
        return format!("statement ({effect})");
    }
    match v.as_object().and_then(|m| m.iter().next()) {
        Some((k, x)) => format!("the one with {k} {x}"),
        None => "element".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn show(old: Value, new: Value) -> String {
        field("/Policies", Some(&old), Some(&new), 4)
    }

    #[test]
    fn scalars_stay_on_one_line_and_are_never_cut() {
        let long = "x".repeat(300);
        let out = field("/Description", Some(&json!("a")), Some(&json!(long)), 4);
        assert_eq!(out, format!("    /Description: \"a\" → \"{long}\"\n"));
        let out = field("/TimeoutInMinutes", None, Some(&json!(30)), 4);
        assert_eq!(out, "    /TimeoutInMinutes: (none) → 30\n");
    }

    #[test]
    fn a_statement_that_gained_an_action_shows_only_that_action() {
        let old = json!([{"PolicyName": "build", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [
            {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream"], "Resource": ["arn:aws:logs:*"]},
            {"Sid": "Artifacts", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
        ]}}]);
        let mut new = old.clone();
        new[0]["PolicyDocument"]["Statement"][0]["Action"] =
            json!(["logs:CreateLogStream", "logs:PutLogEvents"]);
        insta::assert_snapshot!(show(old, new), @r#"
            /Policies:
                ~ policy "build":
                    ~ PolicyDocument:
                        ~ Statement:
                            ~ statement "Logs":
                                ~ Action:
                                    + "logs:PutLogEvents"
        "#);
    }

    #[test]
    fn statements_without_a_sid_pair_by_the_one_key_that_changed() {
        let old = json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::a/*"]},
            {"Effect": "Allow", "Action": ["codebuild:StartBuild"], "Resource": ["arn:p"]}
        ]});
        let new = json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]},
            {"Effect": "Allow", "Action": ["codebuild:StartBuild"], "Resource": ["arn:p"]},
            {"Effect": "Deny", "Action": ["iam:*"], "Resource": ["*"]}
        ]});
        insta::assert_snapshot!(field("/PolicyDocument", Some(&old), Some(&new), 4), @r#"
            /PolicyDocument:
                ~ Statement:
                    ~ statement (Allow):
                        ~ Resource:
                            + "arn:aws:s3:::b/*"
                    + {"Action":["iam:*"],"Effect":"Deny","Resource":["*"]}
        "#);
    }

    #[test]
    fn json_kept_as_text_is_diffed_as_json() {
        let old = json!({"ProjectName": "p", "EnvironmentVariables": "[{\"name\":\"A\",\"value\":\"1\"}]"});
        let new = json!({"ProjectName": "p", "EnvironmentVariables": "[{\"name\":\"A\",\"value\":\"2\"},{\"name\":\"B\",\"value\":\"3\"}]"});
        insta::assert_snapshot!(field("/Stages/1/Actions/0/Configuration", Some(&old), Some(&new), 4), @r#"
            /Stages/1/Actions/0/Configuration:
                ~ EnvironmentVariables:
                    ~ "A":
                        ~ value: "1" → "2"
                    + {"name":"B","value":"3"}
        "#);
    }

    #[test]
    fn keys_added_and_removed_are_named_and_long_values_go_on_their_own_lines() {
        let old = json!({"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"]});
        let long: Vec<String> = (0..8)
            .map(|i| format!("refs/heads/branch-number-{i}"))
            .collect();
        let new = json!({"source": ["aws.codecommit"], "detail": {"referenceName": long}});
        let out = field("/EventPattern", Some(&old), Some(&new), 4);
        assert!(
            out.contains("    - detail-type: [\"CodeCommit Repository State Change\"]\n"),
            "{out}"
        );
        assert!(out.contains("    + detail:\n"), "{out}");
        for b in &long {
            assert!(out.contains(b.as_str()), "{b} is shown whole: {out}");
        }
        assert!(!out.contains("source"), "what is equal is left out: {out}");
    }

    #[test]
    fn a_single_action_that_became_a_list_shows_the_action_added() {
        let old = json!({"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        let new = json!({"Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]});
        insta::assert_snapshot!(field("/PolicyDocument", Some(&old), Some(&new), 0), @r#"
        /PolicyDocument:
            ~ Statement:
                ~ statement "A":
                    ~ Action:
                        + "s3:PutObject"
        "#);
    }

    #[test]
    fn a_value_that_changes_shape_is_shown_whole_on_both_sides() {
        let out = field("/X", Some(&json!({"a": 1})), Some(&json!("text")), 0);
        assert_eq!(out, "/X: {\"a\":1} → \"text\"\n");
    }
}
