//! Plans: every desired resource's change plus the deletes of what the app owns but no longer
//! wants, ordered into waves by dependency. Building a plan from what was read is pure
//! ([`build_plan`], [`build_destroy_plan`]); [`plan`] and [`plan_destroy`] read through a
//! provider first.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use super::EngineError;
use super::diff::{Change, ReplaceStrategy, diff};
use super::resolve::ResolvedApp;
use super::retry::{RetryPolicy, retry};
use crate::model::{ComputePlatform, ResourceKind};
use crate::provider::api::{
    Observed, Owned, Provider, ProviderError, Resource, carries_owner, kind_word, serialize_kind,
};

/// The version of the plan's JSON form. It changes only when a field changes meaning or goes
/// away; new fields may appear within a version.
pub const FORMAT_VERSION: u32 = 1;

/// What a plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Bring AWS to the model; deletes run only with `prune`.
    Apply,
    /// Delete everything the app owns.
    Destroy,
}

/// One resource's entry in a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedChange {
    /// Logical id.
    pub id: String,
    /// Kind, serialized as the CloudFormation type.
    #[serde(serialize_with = "serialize_kind")]
    pub kind: ResourceKind,
    /// Physical name (for a deployment group, `<application>/<group>`).
    pub physical_name: String,
    /// The wave it runs in: every dependency is in an earlier wave.
    pub wave: usize,
    /// Logical ids of the resources it depends on (for a delete: those known from the model).
    pub depends_on: Vec<String>,
    /// The change.
    #[serde(flatten)]
    pub change: Change,
    /// The desired properties of a resource to create or replace, for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    /// For a deployment configuration deleted then created again: the deployment groups that use
    /// it, which move to their platform's predefined configuration while it is gone, then back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moves: Vec<GroupMove>,
    /// The desired resource (`None` for a delete).
    #[serde(skip)]
    pub resource: Option<Resource>,
    /// Whether the resource is in the model (its dependencies are then known exactly).
    #[serde(skip)]
    pub in_model: bool,
}

/// A deployment group moved off a configuration while that one is replaced, then moved back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMove {
    /// The group's logical id.
    pub id: String,
    /// The group's physical name, `<application>/<group>`.
    pub physical_name: String,
    /// The predefined configuration it uses meanwhile.
    pub interim_config: String,
}

/// A resource destroy leaves in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retained {
    /// Logical id.
    pub id: String,
    /// Kind.
    #[serde(serialize_with = "serialize_kind")]
    pub kind: ResourceKind,
    /// Physical name.
    pub physical_name: String,
}

/// How many resources each kind of change touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Resources to create.
    pub create: usize,
    /// Resources to update in place.
    pub update: usize,
    /// Resources to replace.
    pub replace: usize,
    /// Resources to delete.
    pub delete: usize,
    /// Resources in conflict (left untouched).
    pub conflict: usize,
    /// Resources already as the model wants them.
    pub no_op: usize,
}

impl fmt::Display for Summary {
    /// `2 to create, 1 to update, 1 to replace, 0 to delete`, then the conflicts if any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to create, {} to update, {} to replace, {} to delete",
            self.create, self.update, self.replace, self.delete
        )?;
        match self.conflict {
            0 => Ok(()),
            1 => write!(f, ", 1 conflict"),
            n => write!(f, ", {n} conflicts"),
        }
    }
}

/// A plan: ordered changes and their summary. Serialize it for `plan --json`.
///
/// # JSON form (`format_version` 1)
///
/// ```json
/// {
///   "format_version": 1,
///   "mode": "apply",                      // or "destroy"
///   "app": "shop",
///   "summary": {"create": 2, "update": 1, "replace": 1, "delete": 0, "conflict": 0, "no_op": 8},
///   "changes": [
///     {
///       "id": "ProjectShopBuild",           // logical id, the pipewright:id tag
///       "kind": "AWS::CodeBuild::Project",  // CloudFormation type
///       "physical_name": "shop-build",      // deployment groups: "<application>/<group>"
///       "wave": 1,                          // runs after every earlier wave
///       "depends_on": ["BuildRoleShopBuild"],
///       "action": "update",                 // create | update | replace | delete | no_op | conflict
///       "fields": [{"path": "/TimeoutInMinutes", "old": 30, "new": 45}]
///     }
///   ],
///   "retained": []                        // destroy only: what is kept
/// }
/// ```
///
/// `replace` adds `forced_by` (the create-only property, a JSON pointer), `strategy`
/// (`{"order": "delete_then_create"}` or `{"order": "create_then_delete", "old_name": …}`) and
/// `fields` (and `parent`, the logical id of the resource it lives in, when it is replaced only
/// because that one is); a deployment configuration deleted then created again adds `moves`, the
/// groups that use it (`[{"id", "physical_name", "interim_config"}]`: each moves to
/// `interim_config` while it is gone, then back); `create` and `replace` add `properties` (what will be created); `conflict` adds
/// `message` (what is there and how to adopt it). Field paths are JSON pointers into the
/// resource's CloudFormation properties; `old`/`new` are absent when the field is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Apply or destroy.
    pub mode: Mode,
    /// The app.
    pub app: String,
    /// The counts of each change.
    pub summary: Summary,
    /// Every resource's change, by wave then model order; deletes last.
    pub changes: Vec<PlannedChange>,
    /// What destroy leaves in place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retained: Vec<Retained>,
}

impl Plan {
    /// Whether applying it changes nothing (no create, update, replace or delete).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.changes.iter().any(|c| c.change.is_change())
    }

    /// The resources that exist but differ from the model (updates and replacements): what
    /// `drift` reports.
    pub fn drifted(&self) -> impl Iterator<Item = &PlannedChange> {
        self.changes
            .iter()
            .filter(|c| matches!(c.change, Change::Update { .. } | Change::Replace { .. }))
    }

    /// Whether some resource is in conflict.
    #[must_use]
    pub fn has_conflicts(&self) -> bool {
        self.summary.conflict > 0
    }

    /// The plan as pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Plain structs, strings and values: serializing to a String cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The deployment groups that use configuration `config` and exist now, when `config` is
/// replaced under its own name: CodeDeploy will not delete it under them, so they move off and
/// back (see [`PlannedChange::moves`]).
fn users_of_config<'c>(
    changes: &'c [PlannedChange],
    config: &PlannedChange,
) -> impl Iterator<Item = &'c PlannedChange> {
    let replaced_in_place = config.kind == ResourceKind::DeploymentConfig
        && matches!(
            config.change,
            Change::Replace {
                strategy: ReplaceStrategy::DeleteThenCreate,
                ..
            }
        );
    let id = config.id.clone();
    changes.iter().filter(move |g| {
        replaced_in_place
            && g.kind == ResourceKind::DeploymentGroup
            && g.depends_on.contains(&id)
            && matches!(g.change, Change::NoOp | Change::Update { .. })
    })
}

/// The predefined configuration of a custom one's compute platform, which its groups use while
/// it is replaced.
fn default_config(config: &Resource) -> &'static str {
    config.properties["ComputePlatform"]
        .as_str()
        .and_then(ComputePlatform::from_cfn)
        .unwrap_or(ComputePlatform::Server)
        .default_config()
}

impl fmt::Display for Plan {
    /// The plan for people: one line per change (no-ops left out), the changed fields of
    /// updates and replacements indented under it (each by its CloudFormation path, with the
    /// builder's setter beside it where there is one), then the summary line. Scalars show as
    /// `old → new`; structured values (policies, patterns, configuration) as a diff of their
    /// parts, whole: nothing that differs is cut.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() && self.summary.conflict == 0 {
            writeln!(f, "no changes: AWS matches the model")?;
        }
        for c in &self.changes {
            let what = format!("{} \"{}\" ({})", kind_word(c.kind), c.physical_name, c.id);
            let fields = match &c.change {
                Change::NoOp => continue,
                Change::Create => {
                    writeln!(f, "+ create {what}")?;
                    &[][..]
                }
                Change::Update { fields } => {
                    writeln!(f, "~ update {what}")?;
                    fields.as_slice()
                }
                Change::Replace {
                    forced_by,
                    strategy,
                    fields,
                    parent,
                } => {
                    let how = match strategy {
                        ReplaceStrategy::DeleteThenCreate => {
                            "deleted, then created again under the same name".to_owned()
                        }
                        ReplaceStrategy::CreateThenDelete { old_name } => {
                            format!("created, then the old \"{old_name}\" deleted")
                        }
                    };
                    match parent {
                        Some(p) => writeln!(
                            f,
                            "± replace {what}: it lives in {p}, which is replaced; {how}"
                        )?,
                        None => writeln!(
                            f,
                            "± replace {what}: {forced_by} cannot change in place; {how}"
                        )?,
                    }
                    if let Some(first) = c.moves.first() {
                        let names: Vec<String> = c
                            .moves
                            .iter()
                            .map(|g| format!("\"{}\"", g.physical_name))
                            .collect();
                        writeln!(
                            f,
                            "    deployment group(s) {} use it: they move to {} while it is replaced, then back",
                            names.join(", "),
                            first.interim_config
                        )?;
                    }
                    fields.as_slice()
                }
                Change::Delete => {
                    let why = match self.mode {
                        Mode::Apply => ": no longer in the model (deleted only with prune)",
                        Mode::Destroy => "",
                    };
                    writeln!(f, "- delete {what}{why}")?;
                    &[][..]
                }
                Change::Conflict { message } => {
                    writeln!(f, "! conflict: {message}")?;
                    &[][..]
                }
            };
            for field in fields {
                let label = match crate::model::setter_for(c.kind, &field.path) {
                    Some(setter) => format!("{} ({setter})", field.path),
                    None => field.path.clone(),
                };
                f.write_str(&super::show::field(
                    &label,
                    field.old.as_ref(),
                    field.new.as_ref(),
                    4,
                ))?;
            }
        }
        for r in &self.retained {
            writeln!(
                f,
                "= keep {} \"{}\" ({}): retained on destroy",
                kind_word(r.kind),
                r.physical_name,
                r.id
            )?;
        }
        write!(f, "{}", self.summary)
    }
}

/// The order in which kinds are deleted when the model does not say (resources it no longer
/// has): users before what they use (the kind table's
/// [`KindInfo::delete_rank`](crate::model::KindInfo::delete_rank)).
#[must_use]
pub fn delete_rank(kind: ResourceKind) -> usize {
    usize::from(kind.info().delete_rank)
}

/// Waves of the desired resources: 0 for those with no dependency in the app, else one more
/// than their latest dependency.
///
/// # Errors
/// [`EngineError::Cycle`] naming the resources on a cycle.
pub fn waves(desired: &ResolvedApp) -> Result<Vec<usize>, EngineError> {
    let index: BTreeMap<&str, usize> = desired
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.resource.id.as_str(), i))
        .collect();
    let deps: Vec<Vec<usize>> = desired
        .resources
        .iter()
        .map(|r| {
            r.depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    let mut wave: Vec<Option<usize>> = vec![None; deps.len()];
    // Each pass settles at least one resource unless there is a cycle, so this is bounded.
    for _ in 0..=deps.len() {
        let mut progress = false;
        for i in 0..deps.len() {
            if wave[i].is_some() {
                continue;
            }
            let settled: Option<Vec<usize>> = deps[i].iter().map(|&d| wave[d]).collect();
            if let Some(ws) = settled {
                wave[i] = Some(ws.into_iter().max().map_or(0, |w| w + 1));
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    let unsettled: Vec<String> = wave
        .iter()
        .zip(&desired.resources)
        .filter(|(w, _)| w.is_none())
        .map(|(_, r)| r.resource.id.clone())
        .collect();
    if !unsettled.is_empty() {
        return Err(EngineError::Cycle { ids: unsettled });
    }
    Ok(wave.into_iter().map(Option::unwrap_or_default).collect())
}

/// What a provider reported about an app: each desired resource's observed state (absent when
/// it does not exist) and what the app owns.
pub type ObservedMap = BTreeMap<(ResourceKind, String), Observed>;

fn summarize(changes: &[PlannedChange]) -> Summary {
    let mut s = Summary::default();
    for c in changes {
        match c.change {
            Change::NoOp => s.no_op += 1,
            Change::Create => s.create += 1,
            Change::Update { .. } => s.update += 1,
            Change::Replace { .. } => s.replace += 1,
            Change::Delete => s.delete += 1,
            Change::Conflict { .. } => s.conflict += 1,
        }
    }
    s
}

/// Builds the plan that brings what was observed to `desired`. Pure.
///
/// Beyond [`diff`] per resource it: leaves a bucket policy alone when its bucket is in
/// conflict; replaces the deployment groups of a replaced application (deleting an application
/// deletes its groups); turns a create plus an owned resource of the same logical id under
/// another name into one create-then-delete replacement; and deletes what the app owns but the
/// model no longer has.
///
/// # Errors
/// [`EngineError::Cycle`] when dependencies form a cycle.
pub fn build_plan(
    desired: &ResolvedApp,
    observed: &ObservedMap,
    owned: &[Owned],
) -> Result<Plan, EngineError> {
    let waves = waves(desired)?;
    let app = desired.app.as_str();
    let mut changes: Vec<PlannedChange> = desired
        .resources
        .iter()
        .zip(&waves)
        .map(|(r, &wave)| {
            let res = &r.resource;
            let seen = observed.get(&(res.kind, res.physical_name.clone()));
            PlannedChange {
                id: res.id.clone(),
                kind: res.kind,
                physical_name: res.physical_name.clone(),
                wave,
                depends_on: r.depends_on.clone(),
                change: diff(res, seen, app),
                properties: None,
                moves: Vec::new(),
                resource: Some(res.clone()),
                in_model: true,
            }
        })
        .collect();

    // Resources that belong to another one follow it (model order puts parents first).
    let by_id: BTreeMap<String, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), i))
        .collect();
    for i in 0..changes.len() {
        let parent = changes[i]
            .depends_on
            .iter()
            .filter_map(|d| by_id.get(d).copied())
            .find(|&p| {
                changes[i]
                    .kind
                    .info()
                    .parent
                    .is_some_and(|(kind, _)| kind == changes[p].kind)
            });
        let (Some(p), Some((_, forced_by))) = (parent, changes[i].kind.info().parent) else {
            continue;
        };
        let (kind, name) = (changes[p].kind, changes[p].physical_name.clone());
        // Deleting the parent deletes the child, so a parent recreated under the same name
        // needs its children recreated too.
        match (&changes[p].change, &changes[i].change) {
            (Change::Conflict { .. }, _) if !changes[i].kind.taggable() => {
                changes[i].change = Change::Conflict {
                    message: format!(
                        "{} \"{}\" is left untouched because its {} \"{name}\" is in conflict",
                        kind_word(changes[i].kind),
                        changes[i].physical_name,
                        kind_word(kind)
                    ),
                };
            }
            (
                Change::Replace {
                    strategy: ReplaceStrategy::DeleteThenCreate,
                    ..
                },
                Change::NoOp | Change::Update { .. },
            ) => {
                let fields = match &changes[i].change {
                    Change::Update { fields } => fields.clone(),
                    _ => Vec::new(),
                };
                changes[i].change = Change::Replace {
                    forced_by: forced_by.into(),
                    strategy: ReplaceStrategy::DeleteThenCreate,
                    fields,
                    parent: Some(changes[p].id.clone()),
                };
            }
            _ => {}
        }
    }

    let wanted: BTreeSet<(ResourceKind, &str)> = changes
        .iter()
        .map(|c| (c.kind, c.physical_name.as_str()))
        .collect();
    let mut stale: Vec<&Owned> = owned
        .iter()
        .filter(|o| !wanted.contains(&(o.kind, o.physical_name.as_str())))
        .collect();
    // A renamed resource: same logical id and kind, new name.
    for c in &mut changes {
        if c.change != Change::Create {
            continue;
        }
        let Some(forced_by) = c.kind.name_property() else {
            continue;
        };
        if let Some(pos) = stale.iter().position(|o| o.kind == c.kind && o.id == c.id) {
            let old = stale.remove(pos);
            c.change = Change::Replace {
                forced_by: forced_by.to_owned(),
                strategy: ReplaceStrategy::CreateThenDelete {
                    old_name: old.physical_name.clone(),
                },
                fields: Vec::new(),
                parent: None,
            };
        }
    }
    let last = waves.iter().max().map_or(0, |w| w + 1);
    let mut deletes: Vec<PlannedChange> = stale
        .into_iter()
        .map(|o| PlannedChange {
            id: o.id.clone(),
            kind: o.kind,
            physical_name: o.physical_name.clone(),
            wave: last + delete_rank(o.kind),
            depends_on: Vec::new(),
            change: Change::Delete,
            properties: None,
            moves: Vec::new(),
            resource: None,
            in_model: false,
        })
        .collect();
    deletes.sort_by(|a, b| (a.wave, &a.id).cmp(&(b.wave, &b.id)));
    for c in &mut changes {
        if matches!(c.change, Change::Create | Change::Replace { .. }) {
            c.properties = c.resource.as_ref().map(|r| r.properties.clone());
        }
    }
    for i in 0..changes.len() {
        let Some(config) = changes[i].resource.as_ref() else {
            continue;
        };
        let interim = default_config(config);
        let moves = users_of_config(&changes, &changes[i])
            .map(|g| GroupMove {
                id: g.id.clone(),
                physical_name: g.physical_name.clone(),
                interim_config: interim.to_owned(),
            })
            .collect();
        changes[i].moves = moves;
    }
    changes.sort_by_key(|c| c.wave);
    changes.extend(deletes);
    Ok(Plan {
        format_version: FORMAT_VERSION,
        mode: Mode::Apply,
        app: app.to_owned(),
        summary: summarize(&changes),
        changes,
        retained: Vec::new(),
    })
}

/// Builds the plan that deletes everything the app owns (`owned`, plus the resources of kinds
/// that carry no tags found under their desired names in `observed`), in reverse dependency
/// order, leaving retained buckets and their policies in place. Pure.
#[must_use]
pub fn build_destroy_plan(
    app: &str,
    desired: Option<&ResolvedApp>,
    observed: &ObservedMap,
    owned: &[Owned],
) -> Plan {
    let empty = Vec::new();
    let model = desired.map_or(&empty, |d| &d.resources);
    let mut targets: BTreeMap<(ResourceKind, String), String> = owned
        .iter()
        .map(|o| ((o.kind, o.physical_name.clone()), o.id.clone()))
        .collect();
    for r in model {
        let key = (r.resource.kind, r.resource.physical_name.clone());
        if !carries_owner(&r.resource) && observed.contains_key(&key) {
            targets.insert(key, r.resource.id.clone());
        }
    }
    let by_key: BTreeMap<(ResourceKind, &str), &super::resolve::ResolvedResource> = model
        .iter()
        .map(|r| ((r.resource.kind, r.resource.physical_name.as_str()), r))
        .collect();
    let retained_ids: BTreeSet<&str> = model
        .iter()
        .filter(|r| r.retain)
        .map(|r| r.resource.id.as_str())
        .collect();
    let mut changes = Vec::new();
    let mut retained = Vec::new();
    for ((kind, name), id) in targets {
        let known = by_key.get(&(kind, name.as_str())).copied();
        let kept = known.is_some_and(|r| {
            r.retain
                || (kind == ResourceKind::BucketPolicy
                    && r.depends_on
                        .iter()
                        .any(|d| retained_ids.contains(d.as_str())))
        });
        if kept {
            retained.push(Retained {
                id,
                kind,
                physical_name: name,
            });
            continue;
        }
        changes.push(PlannedChange {
            id,
            kind,
            physical_name: name,
            wave: delete_rank(kind),
            depends_on: known.map(|r| r.depends_on.clone()).unwrap_or_default(),
            change: Change::Delete,
            properties: None,
            moves: Vec::new(),
            resource: None,
            in_model: known.is_some(),
        });
    }
    changes.sort_by(|a, b| (a.wave, &a.id).cmp(&(b.wave, &b.id)));
    Plan {
        format_version: FORMAT_VERSION,
        mode: Mode::Destroy,
        app: app.to_owned(),
        summary: summarize(&changes),
        changes,
        retained,
    }
}

/// What the app owns, as the provider lists it (retried like a read).
async fn list_owned(provider: &Arc<dyn Provider>, app: &str) -> Result<Vec<Owned>, EngineError> {
    with_read_retries(|| provider.list_owned(app))
        .await
        .map_err(|source| EngineError::List {
            app: app.to_owned(),
            source,
        })
}

/// A read's result with the resource it is about.
type Read = (
    (ResourceKind, String),
    Result<Option<Observed>, ProviderError>,
);

/// Lists what the app owns, lets the provider read ahead in bulk, then reads every desired
/// resource (at most `concurrency` reads at once).
async fn observe(
    desired: &ResolvedApp,
    provider: &Arc<dyn Provider>,
    concurrency: usize,
    only_untaggable: bool,
) -> Result<(ObservedMap, Vec<Owned>), EngineError> {
    // Listing first lets a provider answer the reads from what it learned listing.
    let owned = list_owned(provider, &desired.app).await?;
    let mut keys: Vec<(ResourceKind, String)> = desired
        .resources
        .iter()
        .filter(|r| !only_untaggable || !carries_owner(&r.resource))
        .map(|r| (r.resource.kind, r.resource.physical_name.clone()))
        .collect();
    provider.prefetch(&keys).await;
    keys.reverse();
    let mut observed = ObservedMap::new();
    let mut set: JoinSet<Read> = JoinSet::new();
    let read_error =
        |(kind, name): (ResourceKind, String), source| EngineError::Read { kind, name, source };
    loop {
        while set.len() < concurrency.max(1) {
            let Some(key) = keys.pop() else { break };
            let p = Arc::clone(provider);
            set.spawn(async move {
                let r = with_read_retries(|| p.read(key.0, &key.1)).await;
                (key, r)
            });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        let (key, result) = joined.map_err(|e| EngineError::Task(e.to_string()))?;
        match result {
            Ok(Some(o)) => {
                observed.insert(key, o);
            }
            Ok(None) => {}
            Err(e) => return Err(read_error(key, e)),
        }
    }
    Ok((observed, owned))
}

/// What the listing found that is still there, read directly (at most `concurrency` reads at
/// once). Only the entries `to_confirm` selects are read; the others are kept as listed.
///
/// The tagging API's index follows changes with a delay: `GetResources` "returns all the tagged
/// or previously tagged resources" (the Resource Groups Tagging API Reference), and lists
/// resources deleted moments before (re:Post, "Only get existing resources with
/// ResourceGroupTaggingAPI get-resources": deleted RDS clusters still listed). A delete planned
/// from the listing alone can name a resource that is gone, and such a plan would never come
/// out empty after a destroy or a prune: a direct read decides.
async fn confirmed(
    provider: &Arc<dyn Provider>,
    owned: Vec<Owned>,
    concurrency: usize,
    to_confirm: impl Fn(&Owned) -> bool,
) -> Result<Vec<Owned>, EngineError> {
    let (mut kept, mut pending): (Vec<Owned>, Vec<Owned>) =
        owned.into_iter().partition(|o| !to_confirm(o));
    // In bulk where the provider can: the reads below are then answered from what it read.
    let keys: Vec<(ResourceKind, String)> = pending
        .iter()
        .map(|o| (o.kind, o.physical_name.clone()))
        .collect();
    provider.prefetch(&keys).await;
    pending.reverse();
    let mut set: JoinSet<(Owned, Result<Option<Observed>, ProviderError>)> = JoinSet::new();
    loop {
        while set.len() < concurrency.max(1) {
            let Some(o) = pending.pop() else { break };
            let p = Arc::clone(provider);
            set.spawn(async move {
                let r = with_read_retries(|| p.read(o.kind, &o.physical_name)).await;
                (o, r)
            });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        let (o, result) = joined.map_err(|e| EngineError::Task(e.to_string()))?;
        match result {
            Ok(Some(_)) => kept.push(o),
            Ok(None) => {}
            Err(source) => {
                return Err(EngineError::Read {
                    kind: o.kind,
                    name: o.physical_name,
                    source,
                });
            }
        }
    }
    kept.sort();
    Ok(kept)
}

/// A read or listing, retried by [`RetryPolicy::READS`].
async fn with_read_retries<T, F, Fut>(read: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    retry(&RetryPolicy::READS, read, |_| {}).await
}

/// Reads what AWS has and plans the changes that bring it to `desired`.
///
/// # Errors
/// [`EngineError::Read`] / [`EngineError::List`] when the provider fails, or
/// [`EngineError::Cycle`].
pub async fn plan(
    desired: &ResolvedApp,
    provider: &Arc<dyn Provider>,
    concurrency: usize,
) -> Result<Plan, EngineError> {
    let (observed, owned) = observe(desired, provider, concurrency, false).await?;
    // What the model has was read already; what it does not have would be deleted.
    let modelled: BTreeSet<(ResourceKind, &str)> = desired
        .resources
        .iter()
        .map(|r| (r.resource.kind, r.resource.physical_name.as_str()))
        .collect();
    let owned = confirmed(provider, owned, concurrency, |o| {
        !modelled.contains(&(o.kind, o.physical_name.as_str()))
    })
    .await?;
    build_plan(desired, &observed, &owned)
}

/// Reads what the app owns and plans deleting it; `desired` (when the model is at hand) adds
/// the exact dependency order, the untagged resources under their desired names and what is
/// retained.
///
/// # Errors
/// [`EngineError::Read`] / [`EngineError::List`] when the provider fails.
pub async fn plan_destroy(
    app: &str,
    desired: Option<&ResolvedApp>,
    provider: &Arc<dyn Provider>,
    concurrency: usize,
) -> Result<Plan, EngineError> {
    let (observed, owned) = match desired {
        Some(d) => observe(d, provider, concurrency, true).await?,
        None => {
            let owned = list_owned(provider, app).await?;
            (ObservedMap::new(), owned)
        }
    };
    // Every delete comes from the listing here: each is confirmed.
    let owned = confirmed(provider, owned, concurrency, |_| true).await?;
    Ok(build_destroy_plan(app, desired, &observed, &owned))
}
