//! Every invalid model is refused by `plan` before any request: the exact message (resource,
//! field path, value, rule), exit code 1, nothing on stdout, and no connection to the endpoint.

use std::collections::BTreeSet;

use crate::child::Child;
use crate::corpus::{BY_TYPES, CASES, Expect, markdown_table, pairs};
use crate::listener::{Answer, Listener};

/// `plan` aimed at `endpoint`, with credentials and a region, so that only validation can stop
/// it from sending requests.
fn plan(app: &str, endpoint: &str) -> crate::child::Run {
    Child::new(
        app,
        &["plan", "--endpoint-url", endpoint, "--region", "eu-west-1"],
    )
    .credentials()
    .run()
}

#[test]
fn every_invalid_model_is_refused_with_its_message_and_no_request() {
    let endpoint = Listener::start(Answer::Close);
    let mut failures = Vec::new();
    for case in CASES {
        let before = endpoint.connections();
        let run = plan(&format!("case:{}", case.name), &endpoint.url());
        let requests = endpoint.connections() - before;
        let expected = case.stderr();
        if run.code != Some(1) || !run.stdout.is_empty() || run.stderr != expected || requests != 0
        {
            failures.push(format!(
                "{} / {}: exit {:?}, {requests} request(s)\n  stdout: {:?}\n  stderr:   {:?}\n  expected: {expected:?}",
                case.rule, case.name, run.code, run.stdout, run.stderr
            ));
        }
    }
    assert_eq!(endpoint.connections(), 0);
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    crate::report::record_corpus();
}

/// The control: the same command on a valid app does reach the counting endpoint, so the zero
/// above is the validation's doing and not a blind counter.
#[test]
fn a_valid_model_reaches_the_counting_endpoint() {
    let endpoint = Listener::start(Answer::Close);
    let run = plan("valid", &endpoint.url());
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(endpoint.connections() >= 1, "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: cannot find out which AWS account to work in"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_corpus_is_large_and_its_names_unique() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let mut seen = BTreeSet::new();
    for (_, name) in pairs() {
        assert!(seen.insert(name), "case {name:?} appears twice");
    }
}

/// Every name newtype has at least one case whose message carries its rule.
#[test]
fn every_name_newtype_has_a_case() {
    use pipewright::model::*;
    let rules = [
        AppName::RULE,
        RepositoryName::RULE,
        ImageRepositoryName::RULE,
        ArtifactDomainName::RULE,
        ArtifactRepositoryName::RULE,
        BucketName::RULE,
        ProjectName::RULE,
        ApplicationName::RULE,
        DeploymentGroupName::RULE,
        DeploymentConfigName::RULE,
        PipelineName::RULE,
        StageName::RULE,
        ActionName::RULE,
        ArtifactName::RULE,
        VariableName::RULE,
        Namespace::RULE,
        EnvVarName::RULE,
        RoleArn::RULE,
        TopicArn::RULE,
        KmsKeyArn::RULE,
        TagKey::RULE,
    ];
    // A newtype added to names.rs must be added above (and get a case).
    let declared = include_str!("../../src/model/names.rs")
        .matches("name_type!(\n")
        .count();
    assert_eq!(
        declared,
        rules.len(),
        "names.rs declares {declared} newtypes"
    );
    let refused: BTreeSet<(&str, &str)> = CASES
        .iter()
        .filter_map(|c| match c.expect {
            Expect::Refused { field, rule, .. } => Some((field, rule)),
            Expect::Invalid { .. } | Expect::All(_) => None,
        })
        .collect();
    for rule in rules {
        // Several newtypes share a rule text (stage, action and pipeline names); each distinct
        // rule must be exercised, and the shared ones through each of their fields below.
        assert!(
            refused.iter().any(|(_, r)| *r == rule),
            "no case for the rule {rule:?}"
        );
    }
    // Paths name artifacts as the user wrote them: `inputs[Src]`, `outputs[src.zip]`.
    for field_part in [".name", ".outputs[", ".inputs[", "namespace", "notify"] {
        assert!(
            refused.iter().any(|(f, _)| f.contains(field_part)),
            "no case refusing a field with {field_part:?}"
        );
    }
}

/// Every rule text in `src/validate/mod.rs` is the rule of some case (or of a rule the types
/// make impossible to break): a rule added there without a case fails here.
#[test]
fn every_validation_rule_has_a_case() {
    let source = include_str!("../../src/validate/mod.rs");
    let body = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
    let expected: Vec<&str> = CASES
        .iter()
        .filter_map(|c| match c.expect {
            Expect::Invalid { rule, .. } => Some(rule),
            Expect::Refused { .. } | Expect::All(_) => None,
        })
        .chain(BY_TYPES.iter().map(|(_, rule, _)| *rule))
        .collect();
    let mut uncovered = Vec::new();
    let mut rules = 0;
    for literal in string_literals(body) {
        let fragments: Vec<&str> = split_placeholders(&literal);
        let is_rule = fragments
            .iter()
            .any(|f| f.split(' ').filter(|w| w.len() >= 3).count() >= 2);
        if !is_rule || NOT_RULES.contains(&literal.as_str()) {
            continue;
        }
        rules += 1;
        let covered = expected
            .iter()
            .any(|rule| contains_in_order(rule, &fragments));
        if !covered {
            uncovered.push(literal);
        }
    }
    // The scan reads the rules themselves (about sixty texts), not an empty file.
    assert!(rules >= 50, "only {rules} rule texts found");
    assert!(uncovered.is_empty(), "rules without a case: {uncovered:#?}");
}

/// String literals of validate/mod.rs that are not rule texts.
const NOT_RULES: &[&str] = &["{} violation{}:\n{}"];

#[test]
fn the_report_table_lists_every_rule_and_case() {
    let table = markdown_table();
    let rules: BTreeSet<&str> = CASES.iter().map(|c| c.rule).collect();
    for rule in &rules {
        assert!(table.contains(&format!("| {rule} |")), "{rule} missing");
    }
    for case in CASES {
        assert!(table.contains(case.name), "{} missing", case.name);
    }
    // One header, one separator, a row per rule and per type-enforced rule, and the total.
    assert_eq!(table.lines().count(), 2 + rules.len() + BY_TYPES.len() + 1);
    assert!(table.contains(&format!("| **total** | **{}** |", CASES.len())));
}

/// The contents of every `"…"` literal outside comments (escapes kept as written, except `\n`).
fn string_literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut chars = code.chars().peekable();
        let mut current: Option<String> = None;
        let mut prev_quote_char = false;
        while let Some(c) = chars.next() {
            match (&mut current, c) {
                (None, '\'') => {
                    // A char literal such as '"' must not open a string.
                    prev_quote_char = true;
                }
                (None, '"') if !prev_quote_char => current = Some(String::new()),
                (None, _) => prev_quote_char = false,
                (Some(s), '\\') => {
                    if let Some(next) = chars.next() {
                        if next == 'n' {
                            s.push('\n');
                        } else {
                            s.push(next);
                        }
                    }
                }
                (Some(s), '"') => {
                    out.push(std::mem::take(s));
                    current = None;
                }
                (Some(s), c) => s.push(c),
            }
        }
    }
    out
}

/// The fixed parts of a format string, around its `{…}` placeholders.
fn split_placeholders(literal: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = literal;
    while let Some(open) = rest.find('{') {
        parts.push(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    parts.push(rest);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

fn contains_in_order(haystack: &str, fragments: &[&str]) -> bool {
    let mut at = 0;
    for f in fragments {
        match haystack[at..].find(f) {
            Some(i) => at += i + f.len(),
            None => return false,
        }
    }
    true
}
