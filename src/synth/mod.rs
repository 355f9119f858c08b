//! Synthesis: the app as CloudFormation templates and as a pipeline graph. Pure and
//! byte-deterministic: the same model always gives the same bytes.
//!
//! # Templates and CloudFormation's limits
//!
//! A template holds at most 500 resources, 200 outputs and 1 MB (CloudFormation's limits for a
//! template uploaded through S3). pipewright groups the desired resources into independent
//! groups: two resources are in the same group when one depends on the other (a pipeline with
//! its roles, rules, bucket, projects, repository and deployment groups). Groups are packed into
//! templates in model order; an app that fits is one template. Because a group never spans two
//! templates, templates never reference each other (no exports, no imports) and deploy in any
//! order. A single group too large for one template is refused with
//! [`SynthError::GroupTooLarge`].

mod cfn;
pub mod graph;
mod policy;
mod template;

use std::collections::BTreeMap;

pub use cfn::Template;
pub use graph::GraphFormat;
pub use policy::{DeployerPolicy, PolicyStatement, deployer_policy};
pub use template::{TAG_APP, TAG_ID};

use crate::model::{App, LogicalId};
use crate::validate::{self, ValidationError};

/// At most this many resources per template.
pub const MAX_RESOURCES: usize = 500;
/// At most this many outputs per template.
pub const MAX_OUTPUTS: usize = 200;
/// At most this many bytes per template (uploaded through S3).
pub const MAX_BYTES: usize = 1_000_000;

/// Why synthesis failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The model breaks rules; nothing was synthesized.
    #[error("the app is invalid")]
    Invalid(#[from] ValidationError),
    /// One group of interdependent resources does not fit in a single template.
    #[error(
        "resource {first} and the {resources} resources it is connected to do not fit in one CloudFormation template (at most {MAX_RESOURCES} resources, {MAX_OUTPUTS} outputs and {MAX_BYTES} bytes); split the app into smaller independent parts"
    )]
    GroupTooLarge {
        /// The first resource of the group.
        first: LogicalId,
        /// How many resources the group has.
        resources: usize,
    },
}

impl Template {
    /// The file stem of the template, such as `shop` or `shop-2`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many resources it holds.
    #[must_use]
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// The logical ids of its resources, sorted.
    pub fn resource_ids(&self) -> impl Iterator<Item = &str> {
        self.resources.keys().map(String::as_str)
    }

    /// The template as pretty JSON with a trailing newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing plain structs, strings and maps to a String cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A rendered resource with its logical id and outputs.
type Rendered = (LogicalId, cfn::CfnResource, Vec<(String, cfn::Output)>);

/// Validates the app and synthesizes its CloudFormation templates.
///
/// # Errors
/// [`SynthError::Invalid`] with every violation, or [`SynthError::GroupTooLarge`].
pub fn synthesize(app: &App) -> Result<Vec<Template>, SynthError> {
    validate::validate(app)?;
    let desired = app.desired();
    let rendered: Vec<Rendered> = desired
        .resources
        .iter()
        .map(|d| (d.id.clone(), template::render(app.name(), d), outputs(d)))
        .collect();

    // Union-find over dependencies: connected resources share a template.
    let index: BTreeMap<&LogicalId, usize> = desired
        .resources
        .iter()
        .enumerate()
        .map(|(i, d)| (&d.id, i))
        .collect();
    let mut parent: Vec<usize> = (0..desired.resources.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, d) in desired.resources.iter().enumerate() {
        for dep in &d.depends_on {
            if let Some(&j) = index.get(dep) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..desired.resources.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }

    // Pack groups, in model order, into templates under the resource and output limits.
    let mut packs: Vec<Vec<usize>> = vec![Vec::new()];
    let (mut count, mut outs) = (0usize, 0usize);
    for members in groups.values() {
        let n = members.len();
        let o: usize = members.iter().map(|&i| rendered[i].2.len()).sum();
        if n > MAX_RESOURCES || o > MAX_OUTPUTS {
            return Err(SynthError::GroupTooLarge {
                first: rendered[members[0]].0.clone(),
                resources: n,
            });
        }
        if count + n > MAX_RESOURCES || outs + o > MAX_OUTPUTS {
            packs.push(Vec::new());
            count = 0;
            outs = 0;
        }
        if let Some(last) = packs.last_mut() {
            last.extend(members);
        }
        count += n;
        outs += o;
    }
    // Then split any template over the byte limit, by whole groups. Resources move into their
    // template (no copies: a thousand pipelines are twelve thousand resources).
    let group_of: Vec<usize> = (0..desired.resources.len())
        .map(|i| find(&mut parent, i))
        .collect();
    let mut slots: Vec<Option<Rendered>> = rendered.into_iter().map(Some).collect();
    let mut templates: Vec<cfn::Template> = Vec::new();
    let mut queue: Vec<Vec<usize>> = packs.into_iter().rev().collect();
    while let Some(pack) = queue.pop() {
        let mut t = assemble(app, &mut slots, &pack);
        if t.to_json().len() <= MAX_BYTES {
            templates.push(t);
            continue;
        }
        let mut roots: Vec<usize> = pack.iter().map(|&i| group_of[i]).collect();
        roots.dedup();
        if roots.len() < 2 {
            return Err(SynthError::GroupTooLarge {
                first: desired.resources[pack[0]].id.clone(),
                resources: pack.len(),
            });
        }
        for &i in &pack {
            let id = &desired.resources[i].id;
            if let Some(r) = t.resources.remove(id.as_str()) {
                let outputs = outputs(&desired.resources[i]);
                slots[i] = Some((id.clone(), r, outputs));
            }
        }
        let half = roots[roots.len() / 2];
        let (a, b): (Vec<usize>, Vec<usize>) = pack.iter().partition(|&&i| group_of[i] < half);
        queue.push(b);
        queue.push(a);
    }
    let total = templates.len();
    for (n, t) in templates.iter_mut().enumerate() {
        if total > 1 {
            t.name = format!("{}-{}", app.name(), n + 1);
            t.description = format!(
                "pipewright app {} (template {} of {total}; independent of the others)",
                app.name(),
                n + 1
            );
        }
    }
    Ok(templates)
}

fn assemble(app: &App, slots: &mut [Option<Rendered>], members: &[usize]) -> cfn::Template {
    let mut resources = BTreeMap::new();
    let mut outputs = BTreeMap::new();
    for &i in members {
        if let Some((id, r, o)) = slots[i].take() {
            resources.insert(id.to_string(), r);
            outputs.extend(o);
        }
    }
    cfn::Template {
        name: app.name().to_string(),
        format_version: "2010-09-09",
        description: format!("pipewright app {}", app.name()),
        resources,
        outputs,
    }
}

fn outputs(d: &crate::model::DesiredResource<'_>) -> Vec<(String, cfn::Output)> {
    use crate::model::ResourceKind;
    use cfn::{Expr, Output};
    match d.kind {
        ResourceKind::Pipeline => vec![(
            format!("{}ConsoleUrl", d.id),
            Output {
                description: format!("Console page of pipeline {}", d.physical_name),
                value: Expr::Sub(format!(
                    "https://${{AWS::Region}}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${{{}}}/view?region=${{AWS::Region}}",
                    d.id
                )),
            },
        )],
        ResourceKind::Repository => vec![(
            format!("{}CloneUrl", d.id),
            Output {
                description: format!("HTTPS clone URL of repository {}", d.physical_name),
                value: Expr::GetAtt(d.id.to_string(), "CloneUrlHttp".into()),
            },
        )],
        _ => Vec::new(),
    }
}

/// The CloudFormation `Properties` of one desired resource, exactly as a template holds them:
/// intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Sub`) are left in place for the reconcile engine to
/// resolve against a concrete account, so that plans use CloudFormation's property names.
#[must_use]
pub fn properties(
    app: &crate::model::AppName,
    d: &crate::model::DesiredResource<'_>,
) -> serde_json::Value {
    // Serializing plain structs, strings and string-keyed maps cannot fail.
    serde_json::to_value(template::render(app, d).properties).unwrap_or_default()
}

/// Renders the pipeline graph of a valid app.
///
/// # Errors
/// [`SynthError::Invalid`] when the app breaks rules.
pub fn graph(app: &App, format: GraphFormat) -> Result<String, SynthError> {
    validate::validate(app)?;
    Ok(graph::render(&app.desired(), format))
}
