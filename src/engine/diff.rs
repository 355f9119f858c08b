//! The diff: a pure function from one desired resource and what AWS has to the change that
//! reconciles them.
//!
//! Both sides are first normalized per kind: lists AWS treats as sets (tags, IAM actions,
//! event pattern values, …) are sorted and deduplicated, and an IAM statement's single action
//! or resource becomes a one-element list. Then:
//!
//! - a field the model does not set is AWS's to fill in (a server-side default), not drift,
//!   except inside the properties listed as *exact* for the kind, where the model describes the
//!   whole value (a role's policies, a pipeline's stages, a bucket's lifecycle rules);
//! - a changed field under one of the kind's create-only properties (CloudFormation's
//!   `createOnlyProperties`) forces a replacement.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::model::ResourceKind;
use crate::provider::api::{
    FieldChange, Observed, RECORD_HOST, Resource, TAG_APP, TAG_ID, carries_owner, kind_word,
    pointer_token,
};

/// What reconciling one resource takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// Nothing: AWS matches the model.
    NoOp,
    /// The resource does not exist: create it.
    Create,
    /// Change these fields in place.
    Update {
        /// The fields that differ, old → new.
        fields: Vec<FieldChange>,
    },
    /// A create-only field changed: a new resource replaces the old one.
    Replace {
        /// The create-only property that forces it, as a JSON pointer such as `/ComputePlatform`.
        forced_by: String,
        /// In which order the old resource goes and the new one comes.
        strategy: ReplaceStrategy,
        /// Every field that differs.
        fields: Vec<FieldChange>,
        /// The logical id of the resource this one lives in, when it is replaced only because
        /// that one is (a deployment group of a replaced application).
        #[serde(skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
    },
    /// The app owns the resource but the model no longer has it: delete it (with `--prune`).
    Delete,
    /// A resource with the wanted name exists but is not the app's: it is never touched.
    Conflict {
        /// What is there and how to adopt it.
        message: String,
    },
}

impl Change {
    /// Whether applying it changes AWS (conflicts and no-ops do not).
    #[must_use]
    pub fn is_change(&self) -> bool {
        matches!(
            self,
            Self::Create | Self::Update { .. } | Self::Replace { .. } | Self::Delete
        )
    }

    /// Which kind of change it is, without its details.
    #[must_use]
    pub fn kind(&self) -> ChangeKind {
        match self {
            Self::NoOp => ChangeKind::NoOp,
            Self::Create => ChangeKind::Create,
            Self::Update { .. } => ChangeKind::Update,
            Self::Replace { .. } => ChangeKind::Replace,
            Self::Delete => ChangeKind::Delete,
            Self::Conflict { .. } => ChangeKind::Conflict,
        }
    }

    /// A short lower-case word: `create`, `update`, `replace`, `delete`, `no-op`, `conflict`.
    #[must_use]
    pub fn word(&self) -> &'static str {
        self.kind().word()
    }
}

/// The kinds of [`Change`], without their details: what an apply's
/// [`Outcome`](super::Outcome) says was planned. Serialized as its [word](Self::word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// [`Change::NoOp`].
    NoOp,
    /// [`Change::Create`].
    Create,
    /// [`Change::Update`].
    Update,
    /// [`Change::Replace`].
    Replace,
    /// [`Change::Delete`].
    Delete,
    /// [`Change::Conflict`].
    Conflict,
}

impl ChangeKind {
    /// A short lower-case word: `create`, `update`, `replace`, `delete`, `no-op`, `conflict`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::NoOp => "no-op",
            Self::Create => "create",
            Self::Update => "update",
            Self::Replace => "replace",
            Self::Delete => "delete",
            Self::Conflict => "conflict",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// How a replacement runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "order", rename_all = "snake_case")]
pub enum ReplaceStrategy {
    /// The new resource has the old one's name, so the old one is deleted first: the resource
    /// is briefly missing.
    DeleteThenCreate,
    /// The new resource has another name: it is created first and the old one deleted once
    /// everything that used it has moved over.
    CreateThenDelete {
        /// The old resource's physical name.
        old_name: String,
    },
}

pub use crate::model::KindRules;

/// The rules of a kind (from the CloudFormation registry schemas): the kind table's.
#[must_use]
pub fn rules(kind: ResourceKind) -> KindRules {
    kind.rules()
}

fn tokens(pattern: &str) -> Vec<&str> {
    pattern.split('/').skip(1).collect()
}

/// Sorts (and deduplicates) every list at a set path. With `wrap`, a single string, number or
/// boolean there becomes a one-element list (IAM allows `"Action": "s3:*"` for `["s3:*"]`).
fn sort_sets(v: &mut Value, pattern: &[&str], wrap: bool) {
    match pattern.split_first() {
        None => match v {
            Value::Array(a) => {
                // serde_json's maps are ordered, so the serialized form is canonical.
                a.sort_by_cached_key(|x| x.to_string());
                a.dedup();
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) if wrap => {
                *v = Value::Array(vec![v.take()]);
            }
            _ => {}
        },
        Some((&"**", rest)) => {
            sort_sets(v, rest, wrap);
            match v {
                Value::Object(m) => m.values_mut().for_each(|c| sort_sets(c, pattern, wrap)),
                Value::Array(a) => a.iter_mut().for_each(|c| sort_sets(c, pattern, wrap)),
                _ => {}
            }
        }
        Some((&"*", rest)) => match v {
            Value::Object(m) => m.values_mut().for_each(|c| sort_sets(c, rest, wrap)),
            Value::Array(a) => a.iter_mut().for_each(|c| sort_sets(c, rest, wrap)),
            _ => {}
        },
        Some((key, rest)) => {
            if let Some(c) = v.get_mut(*key) {
                sort_sets(c, rest, wrap);
            }
        }
    }
}

/// Turns booleans and numbers at a path into strings.
fn stringify(v: &mut Value, pattern: &[&str]) {
    match pattern.split_first() {
        None => {
            if v.is_boolean() || v.is_number() {
                *v = Value::String(v.to_string());
            }
        }
        Some((&"*", rest)) => match v {
            Value::Object(m) => m.values_mut().for_each(|c| stringify(c, rest)),
            Value::Array(a) => a.iter_mut().for_each(|c| stringify(c, rest)),
            _ => {}
        },
        Some((key, rest)) => {
            if let Some(c) = v.get_mut(*key) {
                stringify(c, rest);
            }
        }
    }
}

/// Normalizes properties of `kind` in place: values AWS keeps as text turned into text, sets
/// sorted (innermost first).
pub fn normalize(kind: ResourceKind, properties: &mut Value) {
    for p in rules(kind).strings {
        stringify(properties, &tokens(p));
    }
    let mut sets: Vec<Vec<&str>> = rules(kind).sets.iter().map(|p| tokens(p)).collect();
    // Inner lists first, so that sorting an outer list sees its elements in canonical form.
    sets.sort_by_key(|t| std::cmp::Reverse(t.len()));
    for t in &sets {
        // Under `**` every list is a set but scalars are values, not one-element sets.
        let wrap = !t.contains(&"**");
        sort_sets(properties, t, wrap);
    }
}

/// The create-only property of `kind` that one of `fields` lies under: the change then needs a
/// replacement.
pub(crate) fn forced_by(kind: ResourceKind, fields: &[FieldChange]) -> Option<&'static str> {
    rules(kind)
        .create_only
        .iter()
        .copied()
        .find(|c| fields.iter().any(|f| is_under(&f.path, c)))
}

pub(crate) fn is_under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn matches_pattern(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), _) => {
            matches_pattern(rest, path)
                || path
                    .split_first()
                    .is_some_and(|(_, p)| matches_pattern(pattern, p))
        }
        (Some((p, prest)), Some((x, xrest))) => {
            (*p == "*" || p == x) && matches_pattern(prest, xrest)
        }
        _ => false,
    }
}

struct Comparer {
    rules: KindRules,
    out: Vec<FieldChange>,
}

impl Comparer {
    fn is_set(&self, path: &str) -> bool {
        let p = tokens(path);
        self.rules
            .sets
            .iter()
            .any(|s| matches_pattern(&tokens(s), &p))
    }

    fn is_exact(&self, path: &str) -> bool {
        self.rules.exact.iter().any(|e| is_under(path, e))
    }

    fn change(&mut self, path: &str, old: Option<&Value>, new: Option<&Value>) {
        self.out.push(FieldChange {
            path: path.to_owned(),
            old: old.cloned(),
            new: new.cloned(),
        });
    }

    fn compare(&mut self, path: &str, want: &Value, have: &Value) {
        match (want, have) {
            (Value::Object(w), Value::Object(h)) => {
                for (k, wv) in w {
                    let sub = format!("{path}/{}", pointer_token(k));
                    match h.get(k) {
                        Some(hv) => self.compare(&sub, wv, hv),
                        None => self.change(&sub, None, Some(wv)),
                    }
                }
                for (k, hv) in h {
                    let sub = format!("{path}/{}", pointer_token(k));
                    if !w.contains_key(k) && self.is_exact(&sub) {
                        self.change(&sub, Some(hv), None);
                    }
                }
            }
            (Value::Array(w), Value::Array(h)) if w.len() == h.len() && !self.is_set(path) => {
                for (i, (wv, hv)) in w.iter().zip(h).enumerate() {
                    self.compare(&format!("{path}/{i}"), wv, hv);
                }
            }
            _ if want != have => self.change(path, Some(have), Some(want)),
            _ => {}
        }
    }
}

/// The fields that differ between normalized desired and observed properties.
#[must_use]
pub fn changed_fields(kind: ResourceKind, desired: &Value, observed: &Value) -> Vec<FieldChange> {
    let (mut want, mut have) = (desired.clone(), observed.clone());
    normalize(kind, &mut want);
    normalize(kind, &mut have);
    let mut c = Comparer {
        rules: rules(kind),
        out: Vec::new(),
    };
    c.compare("", &want, &have);
    c.out
}

/// The change that brings `observed` (what AWS has under the resource's name, if anything) to
/// `desired`, for the app named `app`. Pure: no I/O.
///
/// A resource of a kind that carries tags is the app's only when its `pipewright:app` tag
/// names the app; otherwise the result is [`Change::Conflict`]. So is a deployment
/// configuration, by the tags of its ownership record ([`carries_owner`]). A bucket policy,
/// which cannot carry tags, is taken to be the app's.
#[must_use]
pub fn diff(desired: &Resource, observed: Option<&Observed>, app: &str) -> Change {
    let Some(observed) = observed else {
        return Change::Create;
    };
    if let Some(why) = &observed.foreign {
        return Change::Conflict {
            message: format!(
                "{} \"{}\" {why}",
                kind_word(desired.kind),
                desired.physical_name
            ),
        };
    }
    if carries_owner(desired) {
        // A kind without tags is adopted by writing its record on the host the model names.
        let record = desired.kind.info().record;
        let host = desired.properties.get(RECORD_HOST).and_then(Value::as_str);
        let adopt = match (record, host) {
            (Some(r), Some(host)) => format!(
                "to adopt it, tag {} \"{host}\" {}{}={}",
                kind_word(r.host),
                r.key_prefix,
                desired.physical_name,
                desired.id
            ),
            _ => format!(
                "to adopt it, tag it {TAG_APP}={app} and {TAG_ID}={}",
                desired.id
            ),
        };
        let what = format!("{} \"{}\"", kind_word(desired.kind), desired.physical_name);
        match &observed.owner {
            None => {
                return Change::Conflict {
                    message: format!(
                        "{what} exists but does not carry the tags of pipewright app \"{app}\", so it is left untouched; {adopt}"
                    ),
                };
            }
            Some(owner) if owner.app != app => {
                return Change::Conflict {
                    message: format!(
                        "{what} belongs to pipewright app \"{}\", so it is left untouched; {adopt}",
                        owner.app
                    ),
                };
            }
            Some(_) => {}
        }
    }
    let fields = changed_fields(desired.kind, &desired.properties, &observed.properties);
    if fields.is_empty() {
        return Change::NoOp;
    }
    match forced_by(desired.kind, &fields) {
        Some(forced_by) => Change::Replace {
            forced_by: forced_by.to_owned(),
            strategy: ReplaceStrategy::DeleteThenCreate,
            fields,
            parent: None,
        },
        None => Change::Update { fields },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tags(app: &str, id: &str) -> Value {
        json!([{"Key": TAG_ID, "Value": id}, {"Key": TAG_APP, "Value": app}])
    }

    fn resource(kind: ResourceKind, props: Value) -> Resource {
        Resource {
            id: "Thing".into(),
            kind,
            physical_name: "thing".into(),
            properties: props,
        }
    }

    fn project(timeout: u32) -> Resource {
        resource(
            ResourceKind::Project,
            json!({
                "Name": "thing",
                "TimeoutInMinutes": timeout,
                "Environment": {"ComputeType": "BUILD_GENERAL1_SMALL"},
                "Tags": tags("shop", "Thing"),
            }),
        )
    }

    #[test]
    fn missing_resources_are_created_and_equal_ones_left_alone() {
        let p = project(30);
        assert_eq!(diff(&p, None, "shop"), Change::Create);
        let seen = Observed::new(p.properties.clone());
        assert_eq!(diff(&p, Some(&seen), "shop"), Change::NoOp);
    }

    #[test]
    fn changed_fields_are_updates_with_old_and_new() {
        let seen = Observed::new(project(30).properties);
        let Change::Update { fields } = diff(&project(45), Some(&seen), "shop") else {
            panic!("an update");
        };
        assert_eq!(
            fields,
            vec![FieldChange {
                path: "/TimeoutInMinutes".into(),
                old: Some(json!(30)),
                new: Some(json!(45)),
            }]
        );
    }

    #[test]
    fn server_defaults_are_not_drift_but_exact_properties_are() {
        let mut seen = project(30).properties;
        // (A queued timeout of 480 was one too; the provider now reads it as none, so that
        // removing a queued timeout is a change: the kind table marks it exact.)
        seen["Artifacts"]["EncryptionDisabled"] = json!(false);
        seen["Environment"]["ImagePullCredentialsType"] = json!("CODEBUILD");
        assert_eq!(
            diff(&project(30), Some(&Observed::new(seen.clone())), "shop"),
            Change::NoOp
        );
        seen["Description"] = json!("changed in the console");
        let Change::Update { fields } = diff(&project(30), Some(&Observed::new(seen)), "shop")
        else {
            panic!("an update");
        };
        assert_eq!(fields[0].path, "/Description");
        assert_eq!(fields[0].new, None);
    }

    #[test]
    fn sets_compare_in_any_order_and_single_actions_as_lists() {
        let want = resource(
            ResourceKind::Role,
            json!({
                "RoleName": "thing",
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                    {"Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["a", "b"]},
                    {"Action": ["codebuild:StartBuild"], "Resource": ["c"]},
                ]}}],
                "Tags": tags("shop", "Thing"),
            }),
        );
        let seen = Observed::new(json!({
            "RoleName": "thing",
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Action": "codebuild:StartBuild", "Resource": "c"},
                {"Action": ["s3:PutObject", "s3:GetObject"], "Resource": ["b", "a", "a"]},
            ]}}],
            "Tags": tags("shop", "Thing").as_array().unwrap().iter().rev().cloned().collect::<Vec<_>>(),
        }));
        assert_eq!(diff(&want, Some(&seen), "shop"), Change::NoOp);
    }

    #[test]
    fn ordered_lists_report_the_element_that_changed() {
        let want = resource(
            ResourceKind::Pipeline,
            json!({"Name": "thing", "Stages": [{"Name": "A"}, {"Name": "B"}], "Tags": tags("shop", "Thing")}),
        );
        let seen = Observed::new(
            json!({"Name": "thing", "Stages": [{"Name": "A"}, {"Name": "C", "Extra": 1}], "Tags": tags("shop", "Thing")}),
        );
        let Change::Update { fields } = diff(&want, Some(&seen), "shop") else {
            panic!("an update");
        };
        let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["/Stages/1/Name", "/Stages/1/Extra"]);
    }

    #[test]
    fn create_only_fields_force_a_replacement_naming_them() {
        let want = resource(
            ResourceKind::Application,
            json!({"ApplicationName": "thing", "ComputePlatform": "Lambda", "Tags": tags("shop", "Thing")}),
        );
        let seen = Observed::new(
            json!({"ApplicationName": "thing", "ComputePlatform": "Server", "Tags": tags("shop", "Thing")}),
        );
        match diff(&want, Some(&seen), "shop") {
            Change::Replace {
                forced_by,
                strategy,
                ..
            } => {
                assert_eq!(forced_by, "/ComputePlatform");
                assert_eq!(strategy, ReplaceStrategy::DeleteThenCreate);
            }
            other => panic!("a replacement, got {other:?}"),
        }
    }

    #[test]
    fn a_resource_another_account_owns_is_a_conflict_that_says_why_not_how_to_adopt() {
        let want = project(30);
        let seen = Observed::foreign(json!({}), "is another account's");
        let Change::Conflict { message } = diff(&want, Some(&seen), "shop") else {
            panic!("a conflict");
        };
        assert_eq!(message, "project \"thing\" is another account's");
    }

    #[test]
    fn resources_without_our_tags_are_conflicts_that_say_how_to_adopt() {
        let want = project(30);
        let mut theirs = want.properties.clone();
        theirs["Tags"] = json!([]);
        let Change::Conflict { message } = diff(&want, Some(&Observed::new(theirs)), "shop") else {
            panic!("a conflict");
        };
        assert_eq!(
            message,
            "project \"thing\" exists but does not carry the tags of pipewright app \"shop\", so it is left untouched; to adopt it, tag it pipewright:app=shop and pipewright:id=Thing"
        );
        let other = Observed::new(json!({"Tags": tags("blog", "Thing")}));
        let Change::Conflict { message } = diff(&want, Some(&other), "shop") else {
            panic!("a conflict");
        };
        assert!(message.starts_with("project \"thing\" belongs to pipewright app \"blog\""));
    }

    #[test]
    fn a_recorded_kind_is_ours_only_by_its_record() {
        // Bug: a deployment config someone else made under a name the model wants was taken
        // for the app's, since configs carry no tags.
        let config = resource(
            ResourceKind::DeploymentConfig,
            json!({
                "DeploymentConfigName": "shop-canary",
                RECORD_HOST: "shop",
                "Tags": tags("shop", "Thing"),
            }),
        );
        let theirs = Observed::new(json!({"DeploymentConfigName": "shop-canary"}));
        let Change::Conflict { message } = diff(&config, Some(&theirs), "shop") else {
            panic!("a conflict");
        };
        assert!(
            message.contains("tag application \"shop\" pipewright:deploymentconfig:thing=Thing"),
            "{message}"
        );
        let ours = Observed::new(config.properties.clone());
        assert_eq!(diff(&config, Some(&ours), "shop"), Change::NoOp);
    }

    #[test]
    fn untaggable_kinds_are_ours_by_name() {
        let want = resource(
            ResourceKind::BucketPolicy,
            json!({"Bucket": "thing", "PolicyDocument": {"Statement": [{"Action": "s3:*"}]}}),
        );
        let seen = Observed::new(
            json!({"Bucket": "thing", "PolicyDocument": {"Statement": [{"Action": ["s3:*"]}]}}),
        );
        assert_eq!(diff(&want, Some(&seen), "shop"), Change::NoOp);
    }

    #[test]
    fn action_configuration_compares_as_text() {
        let want = resource(
            ResourceKind::Pipeline,
            json!({"Name": "thing", "Stages": [{"Actions": [{"Configuration": {"PollForSourceChanges": false, "N": 1}}]}], "Tags": tags("shop", "Thing")}),
        );
        let seen = Observed::new(
            json!({"Name": "thing", "Stages": [{"Actions": [{"Configuration": {"PollForSourceChanges": "false", "N": "1"}}]}], "Tags": tags("shop", "Thing")}),
        );
        assert_eq!(diff(&want, Some(&seen), "shop"), Change::NoOp);
    }

    #[test]
    fn disabled_transitions_change_as_a_whole_list() {
        // The provider re-enables what the old list has and the new one lacks: a changed stage
        // name must reach it as the whole old list, not as `/0/StageName`.
        let want = resource(
            ResourceKind::Pipeline,
            json!({"Name": "thing", "DisableInboundStageTransitions": [{"StageName": "Prod", "Reason": "r"}], "Tags": tags("shop", "Thing")}),
        );
        let seen = Observed::new(
            json!({"Name": "thing", "DisableInboundStageTransitions": [{"StageName": "Deploy", "Reason": "r"}], "Tags": tags("shop", "Thing")}),
        );
        assert_eq!(
            diff(&want, Some(&seen), "shop"),
            Change::Update {
                fields: vec![FieldChange {
                    path: "/DisableInboundStageTransitions".into(),
                    old: Some(json!([{"StageName": "Deploy", "Reason": "r"}])),
                    new: Some(json!([{"StageName": "Prod", "Reason": "r"}])),
                }]
            }
        );
    }

    #[test]
    fn event_patterns_are_sets_at_every_depth() {
        let want = resource(
            ResourceKind::EventRule,
            json!({"Name": "thing", "EventPattern": {"detail": {"event": ["a", "b"]}}, "Tags": tags("shop", "Thing")}),
        );
        let seen = Observed::new(
            json!({"Name": "thing", "EventPattern": {"detail": {"event": ["b", "a"]}}, "Tags": tags("shop", "Thing")}),
        );
        assert_eq!(diff(&want, Some(&seen), "shop"), Change::NoOp);
        assert!(matches_pattern(&["a", "**"], &["a", "b", "c"]));
        assert!(matches_pattern(&["a", "**"], &["a"]));
        assert!(!matches_pattern(&["a", "*"], &["a", "b", "c"]));
    }
}
