//! Whole-model validation: every rule AWS would reject at apply time, checked before any API
//! call and reported all at once, each violation naming the resource, the field path, the bad
//! value and the rule.
//!
//! Builders find invalid names and missing fields, and the types refuse what they can (a Lambda
//! configuration on a server group does not compile). A builder handed to
//! [`App::add`](crate::model::App::add) as it is (or the `Err` of its `build()`) leaves what it
//! found in the app, and this module reports it first, in the order of `add`, then checks what
//! is left: structure, references, ranges and cross-field rules. Paths name stages, actions,
//! artifacts and variables as the user wrote them (`pipeline[ship].stages[Build].actions[Unit]`).
//!
//! ```compile_fail
//! use pipewright::model::*;
//! let mut app = App::new("shop").unwrap();
//! let server = app.add(ServerApplication::builder().name("web").build().unwrap());
//! // A Lambda traffic-shifting configuration cannot be given to a server group.
//! DeploymentGroup::builder().application(&server).name("prod").config(DeployConfig::LAMBDA_ALL_AT_ONCE);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::{
    Action, ActionKind, App, ArtifactBucket, ArtifactRepository, BucketRef, BuildProject,
    BuildSource, BuildSpec, Cache, ComputePlatform, ConfigRef, ConfigRule, EnvVar, ExecutionMode,
    HealthyHosts, LogicalId, Node, NodeRef, Pipeline, PipelineType, ReportExport, ReportGroup,
    ResourceKind, RollbackEvent, StoredDeploymentConfig, StoredDeploymentGroup, Tags, Target,
    TrafficRouting, action_env_json,
};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: the resource and the field path, such as
    /// `pipeline[ship].stages[1].actions[0].inputs[0]`.
    pub path: String,
    /// The offending value, as text.
    pub value: String,
    /// The rule, as AWS (or pipewright) states it.
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.path, self.value, self.rule)
    }
}

/// A model that breaks one or more rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} violation{}:\n{}", violations.len(), if violations.len() == 1 { "" } else { "s" }, violations.iter().map(|v| format!("  {v}")).collect::<Vec<_>>().join("\n"))]
pub struct ValidationError {
    /// Every violation, in model order.
    pub violations: Vec<Violation>,
}

/// Checks the whole app.
///
/// # Errors
/// A [`ValidationError`] listing every violation.
pub fn validate(app: &App) -> Result<(), ValidationError> {
    let violations = check(app);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { violations })
    }
}

/// Every violation in the app (empty when it is valid).
#[must_use]
pub fn check(app: &App) -> Vec<Violation> {
    let mut v = Checker {
        app,
        out: Vec::new(),
    };
    v.unique_ids();
    let mut failures = app.failures().iter().peekable();
    for (index, node) in app.nodes().iter().enumerate() {
        let mut complete = true;
        while let Some(f) = failures.next_if(|f| f.position <= index) {
            complete &= !(f.partial && f.position == index);
            v.build_error(&f.error);
        }
        let at = format!("{}[{}]", node.kind().info().path_word, node.display_name());
        match node {
            Node::Repository(r) => {
                v.max_len(&at, "description", r.description.as_deref(), 1000);
                v.tags(&at, &r.tags);
            }
            Node::Bucket(b) => v.bucket(&at, b),
            Node::Project(p) => v.project(&at, p),
            Node::Application(a) => v.tags(&at, &a.tags),
            Node::DeploymentConfig(c) => v.config(&at, c),
            Node::DeploymentGroup(g) => v.group(&at, g),
            Node::Pipeline(p) => v.pipeline(&at, p, complete),
            Node::ImageRepository(r) => v.tags(&at, &r.tags),
            Node::ArtifactDomain(d) => v.tags(&at, &d.tags),
            Node::ArtifactRepository(r) => v.artifact_repository(&at, r),
        }
    }
    for f in failures {
        v.build_error(&f.error);
    }
    v.unique_log_groups();
    // The resources pipewright derives (roles, bucket policies, rules) take ids made from the
    // names of what they serve; only a model that passed can be expanded to check them.
    if v.out.is_empty() {
        v.unique_derived_ids();
    }
    v.out
}

/// What AWS accepts but is probably a mistake: reported by `plan`, never a reason to refuse.
///
/// A Server deployment group with no EC2 tag filter, no on-premises tag filter and no Auto
/// Scaling group is accepted by CodeDeploy (CreateDeploymentGroup makes all three optional), but
/// a deployment to it has no instance to deploy to and fails ("The deployment failed because no
/// instances were found for your deployment group", CodeDeploy's troubleshooting guide).
#[must_use]
pub fn warnings(app: &App) -> Vec<Violation> {
    let mut out = Vec::new();
    for node in app.nodes() {
        if let Node::DeploymentGroup(g) = node
            && let Target::Server(t) = &g.target
            && t.ec2_tags.is_empty()
            && t.on_premises_tags.is_empty()
            && t.auto_scaling_groups.is_empty()
        {
            out.push(Violation {
                path: format!("deployment_group[{}].target", node.display_name()),
                value: String::new(),
                rule: "a Server group with no EC2 tag, no on-premises tag and no Auto Scaling \
                       group has no instance to deploy to: add .ec2_tag(...) or \
                       .auto_scaling_group(...)"
                    .into(),
            });
        }
    }
    out
}

/// AWS allows 50 tags per resource; pipewright adds two.
const USER_TAGS_MAX: usize = 48;

/// The longest value of an action's configuration map CodePipeline accepts, in characters.
const ACTION_CONFIG_VALUE_MAX: usize = 1000;

struct Checker<'a> {
    app: &'a App,
    out: Vec<Violation>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, path: impl Into<String>, value: impl ToString, rule: impl Into<String>) {
        self.out.push(Violation {
            path: path.into(),
            value: value.to_string(),
            rule: rule.into(),
        });
    }

    /// What a builder given to [`App::add`] found wrong, as violations at the resource's path.
    fn build_error(&mut self, e: &crate::model::BuildError) {
        for p in &e.problems {
            self.push(
                format!("{}[{}].{}", e.resource, e.name, p.field),
                p.value.as_deref().unwrap_or_default(),
                p.rule.clone(),
            );
        }
    }

    fn unique_ids(&mut self) {
        let mut seen: BTreeMap<LogicalId, String> = BTreeMap::new();
        for (id, node) in self.app.iter() {
            let at = format!("{}[{}]", node.kind().info().path_word, node.display_name());
            if let Some(first) = seen.get(id) {
                self.push(
                    at,
                    id,
                    format!("logical id must be unique in the app; {first} has the same one (names differ only in case or punctuation, or are equal)"),
                );
            } else {
                seen.insert(id.clone(), at);
            }
        }
    }

    /// Every id of the desired state, the derived resources' included, is unique: two equal ids
    /// would make one resource overwrite the other in the template and in the plan.
    fn unique_derived_ids(&mut self) {
        let desired = self.app.desired();
        let mut seen: BTreeMap<&LogicalId, String> = BTreeMap::new();
        for d in &desired.resources {
            let at = format!("{}[{}]", d.kind.cfn_type(), d.physical_name);
            if let Some(first) = seen.get(&d.id) {
                self.push(
                    at,
                    &d.id,
                    format!("logical id must be unique in the app, derived resources included; {first} has the same one (rename one of the resources they belong to)"),
                );
            } else {
                seen.insert(&d.id, at);
            }
        }
        // Derived roles and rules are named from what they belong to: two that come out equal
        // (the project `x` and the project `<app>-x` both give `<app>-build-x`) would be one
        // resource in AWS. IAM role names are unique regardless of case.
        let mut names: BTreeMap<(ResourceKind, String), String> = BTreeMap::new();
        for d in &desired.resources {
            if !matches!(d.kind, ResourceKind::Role | ResourceKind::EventRule) {
                continue;
            }
            let key = (d.kind, d.physical_name.to_lowercase());
            let at = format!("{}[{}]", d.kind.cfn_type(), d.id);
            if let Some(first) = names.get(&key) {
                self.push(
                    at,
                    d.physical_name
                        .replace(crate::model::REGION_VAR, "<region>"),
                    format!("derived name must be unique in the app; {first} has the same one, regardless of case (rename one of the resources they belong to)"),
                );
            } else {
                names.insert(key, at);
            }
        }
    }

    /// The resource `r` names when it is a resource of `kind` in this app; otherwise the
    /// violation is reported and `None` returned.
    fn reference(&mut self, path: String, r: &NodeRef, kind: ResourceKind) -> Option<&'a Node> {
        match self.app.resolve(r) {
            Some(n) if n.kind() == kind => Some(n),
            // A resource whose builder failed is reported once, with what was wrong with it.
            None if self.app.is_unbuilt(r) => None,
            _ => {
                self.push(
                    path,
                    r.name(),
                    format!("must be a {} added to this app", kind.info().path_word),
                );
                None
            }
        }
    }

    fn max_len(&mut self, at: &str, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.push(
                format!("{at}.{field}"),
                v,
                format!("at most {max} characters"),
            );
        }
    }

    fn range(&mut self, at: &str, field: &str, value: Option<u32>, min: u32, max: u32) {
        if let Some(v) = value
            && !(min..=max).contains(&v)
        {
            self.push(
                format!("{at}.{field}"),
                v,
                format!("must be {min} to {max}"),
            );
        }
    }

    fn tags(&mut self, at: &str, tags: &Tags) {
        if tags.len() > USER_TAGS_MAX {
            self.push(
                format!("{at}.tags"),
                tags.len(),
                "at most 48 user tags (AWS allows 50 per resource; pipewright adds pipewright:app and pipewright:id)",
            );
        }
    }

    fn bucket(&mut self, at: &str, b: &ArtifactBucket) {
        if b.noncurrent_expiration_days.is_some() && !b.versioned {
            self.push(
                format!("{at}.noncurrent_expiration_days"),
                b.noncurrent_expiration_days.unwrap_or_default(),
                "noncurrent-version expiration needs versioning",
            );
        }
        self.range(
            at,
            "noncurrent_expiration_days",
            b.noncurrent_expiration_days,
            1,
            u32::MAX,
        );
        self.range(at, "expiration_days", b.expiration_days, 1, u32::MAX);
        self.range(
            at,
            "abort_incomplete_upload_days",
            b.abort_incomplete_upload_days,
            1,
            u32::MAX,
        );
        if let Some(log) = &b.access_log
            && log.bucket == b.name
        {
            self.push(
                format!("{at}.access_log.bucket"),
                &log.bucket,
                "a bucket cannot log its own accesses",
            );
        }
        self.tags(at, &b.tags);
    }

    fn project(&mut self, at: &str, p: &BuildProject) {
        self.max_len(at, "description", p.description.as_deref(), 255);
        self.range(at, "timeout_minutes", p.timeout_minutes, 5, 2160);
        self.range(
            at,
            "queued_timeout_minutes",
            p.queued_timeout_minutes,
            5,
            480,
        );
        let env = &p.environment;
        if env.kind.is_lambda() != env.compute.is_lambda() {
            self.push(
                format!("{at}.environment.compute"),
                env.compute.as_str(),
                format!(
                    "environment type {} needs {} compute",
                    env.kind.as_str(),
                    if env.kind.is_lambda() {
                        "a BUILD_LAMBDA_*"
                    } else {
                        "a BUILD_GENERAL1_*"
                    }
                ),
            );
        }
        if env.kind.is_lambda() {
            if env.privileged {
                self.push(
                    format!("{at}.environment.privileged"),
                    true,
                    "Lambda compute does not support privileged mode",
                );
            }
            if p.timeout_minutes.is_some() {
                self.push(
                    format!("{at}.timeout_minutes"),
                    p.timeout_minutes.unwrap_or_default(),
                    "Lambda compute does not support a build timeout",
                );
            }
            if p.cache != Cache::None {
                self.push(
                    format!("{at}.cache"),
                    "set",
                    "Lambda compute does not support caching",
                );
            }
        }
        if env.image.as_str().is_empty() {
            self.push(
                format!("{at}.environment.image"),
                "",
                "an image is required",
            );
        }
        self.env_vars(&format!("{at}.environment.variables"), &env.variables);
        if let BuildSpec::File(path) = &p.buildspec {
            if path.is_empty() {
                self.push(
                    format!("{at}.buildspec"),
                    path,
                    "a buildspec path cannot be empty",
                );
            } else if p.source == BuildSource::None {
                self.push(
                    format!("{at}.buildspec"),
                    path,
                    "a project without source needs an inline buildspec",
                );
            }
        }
        if let BuildSource::CodeCommit { repository } = &p.source {
            self.reference(
                format!("{at}.source.repository"),
                repository,
                ResourceKind::Repository,
            );
        }
        if let Cache::S3 { bucket, .. } = &p.cache {
            self.reference(format!("{at}.cache.bucket"), bucket, ResourceKind::Bucket);
        }
        if let Some(vpc) = &p.vpc {
            if vpc.vpc_id.is_empty() {
                self.push(format!("{at}.vpc.vpc_id"), "", "a VPC id is required");
            }
            if !(1..=16).contains(&vpc.subnets.len()) {
                self.push(
                    format!("{at}.vpc.subnets"),
                    vpc.subnets.len(),
                    "1 to 16 subnets",
                );
            }
            if !(1..=5).contains(&vpc.security_groups.len()) {
                self.push(
                    format!("{at}.vpc.security_groups"),
                    vpc.security_groups.len(),
                    "1 to 5 security groups",
                );
            }
        }
        self.logs(at, p);
        self.reports(at, p);
        self.image_pushes(at, p);
        self.packages(at, p);
        self.tags(at, &p.tags);
    }

    /// A CodeArtifact repository: its domain one of this app, a description CodeArtifact takes,
    /// and upstreams that are other repositories of the same domain, each once, with no cycle
    /// through them (`UpdateRepository`: CodeArtifact refuses a cycle), and not together with an
    /// external connection (`AssociateExternalConnection`: "A repository can have one or more
    /// upstream repositories, or an external connection").
    fn artifact_repository(&mut self, at: &str, r: &ArtifactRepository) {
        self.reference(
            format!("{at}.domain"),
            &r.domain,
            ResourceKind::ArtifactDomain,
        );
        self.max_len(
            at,
            "description",
            r.description.as_deref(),
            crate::model::ARTIFACT_DESCRIPTION_MAX,
        );
        if let Some(d) = &r.description
            && d.chars().any(char::is_control)
        {
            self.push(
                format!("{at}.description"),
                d,
                "no control characters (CreateRepository: description matches \\P{C}*)",
            );
        }
        let mut seen = BTreeSet::new();
        for (i, u) in r.upstreams.iter().enumerate() {
            let path = format!("{at}.upstreams[{i}]");
            let Some(Node::ArtifactRepository(up)) =
                self.reference(path.clone(), u, ResourceKind::ArtifactRepository)
            else {
                continue;
            };
            if up.domain != r.domain {
                self.push(
                    path,
                    up.physical_name(),
                    format!(
                        "an upstream must be a repository of the same domain ({})",
                        r.domain_name
                    ),
                );
            } else if !seen.insert(u) {
                self.push(path, up.physical_name(), "this upstream is given twice");
            } else if self.upstream_reaches(u, r) {
                self.push(
                    path,
                    up.physical_name(),
                    format!(
                        "the upstreams form a cycle: {} is upstream of {} through this one",
                        r.physical_name(),
                        up.physical_name()
                    ),
                );
            }
        }
        if !r.upstreams.is_empty()
            && let Some(c) = r.external_connection
        {
            self.push(
                format!("{at}.external_connection"),
                c,
                "a repository has upstream repositories or an external connection, not both \
                 (AssociateExternalConnection): put the connection on an upstream",
            );
        }
        self.tags(at, &r.tags);
    }

    /// Whether `target` is found by following upstreams from `from` (bounded by the app's size).
    fn upstream_reaches(&self, from: &NodeRef, target: &ArtifactRepository) -> bool {
        let mut stack = vec![from];
        let mut visited = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if !visited.insert(n) {
                continue;
            }
            let Some(repo) = self.app.artifact_repository(n) else {
                continue;
            };
            if repo.domain == target.domain && repo.name == target.name {
                return true;
            }
            stack.extend(repo.upstreams.iter());
        }
        false
    }

    /// The CodeArtifact repositories the project reads from or publishes to: each one of this
    /// app, given once, and one in all (the `CODEARTIFACT_*` variables name one repository),
    /// whose variables no environment variable of the project already has.
    fn packages(&mut self, at: &str, p: &BuildProject) {
        let mut repos = BTreeSet::new();
        for (i, access) in p.packages.iter().enumerate() {
            let path = format!("{at}.packages[{i}]");
            self.reference(
                format!("{path}.repository"),
                &access.repository,
                ResourceKind::ArtifactRepository,
            );
            if !repos.insert(&access.repository) {
                self.push(
                    path,
                    access.repository.name(),
                    "the project uses this repository twice: publishes_to also reads",
                );
            } else if repos.len() > 1 {
                self.push(
                    path,
                    access.repository.name(),
                    "a project logs in to one CodeArtifact repository (its CODEARTIFACT_* \
                     variables name one): read through that repository's upstreams",
                );
            }
        }
        if p.packages.is_empty() {
            return;
        }
        for v in &p.environment.variables {
            if BuildProject::CODEARTIFACT_VARIABLES.contains(&v.name.as_str()) {
                self.push(
                    format!("{at}.environment.variables[{}]", v.name),
                    v.name.as_str(),
                    "pipewright sets this variable for the project's CodeArtifact repository",
                );
            }
        }
    }

    /// The ECR repositories the project pushes to: each one of this app, each URI in a variable
    /// of its own, named unlike the project's environment variables (CodeBuild takes a
    /// variable name once per project).
    fn image_pushes(&mut self, at: &str, p: &BuildProject) {
        let mut names: BTreeSet<&str> = p
            .environment
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        let mut repos = BTreeSet::new();
        for push in &p.image_pushes {
            let path = format!("{at}.image_pushes[{}]", push.repository.name());
            self.reference(
                format!("{path}.repository"),
                &push.repository,
                ResourceKind::ImageRepository,
            );
            if !repos.insert(&push.repository) {
                self.push(
                    path.clone(),
                    push.repository.name(),
                    "the project pushes to this repository twice",
                );
            }
            if !names.insert(push.variable.as_str()) {
                self.push(
                    format!("{path}.variable"),
                    push.variable.as_str(),
                    "another environment variable of the project has this name: give the repository URI its own (BuildProjectBuilder::pushes_to_as)",
                );
            }
        }
    }

    /// The project's report groups and the buildspec's reports that go to them: each group is
    /// named `<project>-<name>` as CodeBuild names the group of a buildspec report (CodeBuild
    /// User Guide, "Create a report group using a buildspec file"; `CreateReportGroup`: 2 to 128
    /// characters), each report goes to a group the project declares, and of its kind (a test
    /// report to a `TEST` group, coverage to `CODE_COVERAGE`).
    fn reports(&mut self, at: &str, p: &BuildProject) {
        let mut seen: BTreeMap<&str, &ReportGroup> = BTreeMap::new();
        for g in &p.report_groups {
            let path = format!("{at}.report_groups[{}]", g.name);
            let full = p.report_group_name(g);
            let ok = !g.name.is_empty()
                && g.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                && full.chars().count() <= 128;
            if !ok {
                self.push(
                    format!("{path}.name"),
                    &g.name,
                    "a report group name is <project>-<name>, at most 128 characters of A-Z, a-z, 0-9, '-' and '_'",
                );
            }
            if let Some(first) = seen.get(g.name.as_str()) {
                if *first != g {
                    self.push(
                        path.clone(),
                        &g.name,
                        "two report groups of a project have this name with different settings",
                    );
                }
            } else {
                seen.insert(&g.name, g);
            }
            if let ReportExport::Bucket {
                bucket, path: key, ..
            } = &g.export
            {
                self.reference(
                    format!("{path}.export.bucket"),
                    bucket,
                    ResourceKind::Bucket,
                );
                if let Some(key) = key
                    && (key.is_empty() || key.starts_with('/'))
                {
                    self.push(
                        format!("{path}.export.path"),
                        key,
                        "an export path is a key prefix: not empty, not starting with '/'",
                    );
                }
            }
        }
        if let BuildSpec::Inline(spec) = &p.buildspec {
            for (name, (_, format)) in &spec.reports {
                let path = format!("{at}.buildspec.reports[{name}]");
                match seen.get(name.as_str()) {
                    None => self.push(
                        path,
                        name,
                        "the buildspec reports to a report group the project does not declare (InlineBuildSpec::report, BuildProjectBuilder::report_group)",
                    ),
                    Some(g) if g.kind != format.kind() => self.push(
                        path,
                        format.as_str(),
                        format!(
                            "a {} report goes to a {} report group, not to a {} one",
                            format.kind().as_str(),
                            format.kind().as_str(),
                            g.kind.as_str()
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
    }

    /// The project's log group: its name, stream prefix, retention and key, as CloudWatch Logs
    /// accepts them (CloudWatch Logs API Reference: `CreateLogGroup` and the service model's
    /// `LogGroupName` pattern `[\.\-_/#A-Za-z0-9]+`, `CreateLogStream`, `PutRetentionPolicy`,
    /// `AssociateKmsKey`).
    fn logs(&mut self, at: &str, p: &BuildProject) {
        if let Some(g) = &p.logs.group {
            let ok = (1..=512).contains(&g.chars().count())
                && g.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c));
            if !ok {
                self.push(
                    format!("{at}.logs.group"),
                    g,
                    "a log group name has 1 to 512 characters of A-Z, a-z, 0-9, '.', '_', '-', '/' and '#'",
                );
            }
        }
        if let Some(s) = &p.logs.stream
            && (!(1..=512).contains(&s.chars().count()) || s.contains([':', '*']))
        {
            self.push(
                format!("{at}.logs.stream"),
                s,
                "a log stream name has 1 to 512 characters, none of them ':' or '*'",
            );
        }
        if let Some(days) = p.logs.retention_days
            && !crate::model::Logs::RETENTION_DAYS.contains(&days)
        {
            self.push(
                format!("{at}.logs.retention_days"),
                days,
                "CloudWatch Logs keeps events for 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days",
            );
        }
        if let Some(k) = &p.logs.kms_key
            && k.as_str()
                .split(':')
                .nth(5)
                .is_some_and(|r| r.starts_with("alias/"))
        {
            self.push(
                format!("{at}.logs.kms_key"),
                k,
                "CloudWatch Logs takes the ARN of a KMS key, not of an alias",
            );
        }
    }

    /// Two projects writing to one log group would both own it: each project's group is its own.
    fn unique_log_groups(&mut self) {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for node in self.app.nodes() {
            let Node::Project(p) = node else { continue };
            let at = format!("project[{}]", p.name);
            let group = p.log_group();
            if let Some(first) = seen.get(&group) {
                self.push(
                    format!("{at}.logs.group"),
                    &group,
                    format!("each project has its own log group; {first} writes to the same one"),
                );
            } else {
                seen.insert(group, at);
            }
        }
    }

    fn env_vars(&mut self, at: &str, vars: &[EnvVar]) {
        let mut seen = BTreeSet::new();
        for var in vars {
            let i = &var.name;
            if !seen.insert(var.name.as_str()) {
                self.push(
                    format!("{at}[{i}].name"),
                    &var.name,
                    "environment variable names must be unique",
                );
            }
            if var.value.value().is_empty() {
                self.push(
                    format!("{at}[{i}].value"),
                    "",
                    "an environment variable needs a value",
                );
            }
        }
    }

    fn config(&mut self, at: &str, c: &StoredDeploymentConfig) {
        match c.rule {
            ConfigRule::MinimumHealthyHosts(HealthyHosts::FleetPercent(p)) => {
                self.range(at, "minimum_healthy_hosts.fleet_percent", Some(p), 0, 99);
            }
            ConfigRule::MinimumHealthyHosts(HealthyHosts::Count(_)) => {}
            ConfigRule::Traffic(TrafficRouting::Canary {
                percent,
                interval_minutes,
            })
            | ConfigRule::Traffic(TrafficRouting::Linear {
                percent,
                interval_minutes,
            }) => {
                self.range(at, "traffic_routing.percent", Some(percent), 1, 99);
                self.range(
                    at,
                    "traffic_routing.interval_minutes",
                    Some(interval_minutes),
                    1,
                    u32::MAX,
                );
            }
            ConfigRule::Traffic(TrafficRouting::AllAtOnce) => {}
        }
        let fits = matches!(
            (c.platform, c.rule),
            (ComputePlatform::Server, ConfigRule::MinimumHealthyHosts(_))
                | (
                    ComputePlatform::Lambda | ComputePlatform::Ecs,
                    ConfigRule::Traffic(_)
                )
        );
        if !fits {
            self.push(format!("{at}.rule"), c.platform, "server configurations set minimum healthy hosts; Lambda and ECS configurations set traffic routing");
        }
    }

    fn group(&mut self, at: &str, g: &StoredDeploymentGroup) {
        if let Some(Node::Application(a)) = self.reference(
            format!("{at}.application"),
            &g.application,
            ResourceKind::Application,
        ) {
            if a.platform != g.platform {
                self.push(
                    format!("{at}.application"),
                    g.application.name(),
                    format!(
                        "application is {} but the group is {}",
                        a.platform, g.platform
                    ),
                );
            }
            if g.platform == ComputePlatform::Lambda
                && a.service_role.is_none()
                && matches!(&g.target, Target::Lambda(l) if l.functions.is_empty())
            {
                self.push(
                    format!("{at}.functions"),
                    0,
                    "a Lambda group needs at least one function to scope its derived role (or give the application an existing service role)",
                );
            }
        }
        if let Some(ConfigRef::Custom(c)) = &g.config
            && let Some(Node::DeploymentConfig(cfg)) =
                self.reference(format!("{at}.config"), c, ResourceKind::DeploymentConfig)
            && cfg.platform != g.platform
        {
            self.push(
                format!("{at}.config"),
                &cfg.name,
                format!(
                    "deployment config is for {} but the group is {}",
                    cfg.platform, g.platform
                ),
            );
        }
        if g.alarms.len() > 10 {
            self.push(format!("{at}.alarms"), g.alarms.len(), "at most 10 alarms");
        }
        for (i, a) in g.alarms.iter().enumerate() {
            if !(1..=255).contains(&a.chars().count()) {
                self.push(
                    format!("{at}.alarms[{i}]"),
                    a,
                    "an alarm name has 1 to 255 characters",
                );
            }
        }
        if let Some(rb) = &g.auto_rollback
            && rb.events.contains(&RollbackEvent::StopOnAlarm)
            && g.alarms.is_empty()
        {
            self.push(
                format!("{at}.auto_rollback"),
                RollbackEvent::StopOnAlarm.as_str(),
                "rolling back on alarms needs at least one alarm",
            );
        }
        match &g.target {
            Target::Ecs(e) => {
                self.range(
                    at,
                    "ecs.termination_wait_minutes",
                    Some(e.termination_wait_minutes),
                    0,
                    2880,
                );
                if e.target_groups[0] == e.target_groups[1] {
                    self.push(
                        format!("{at}.ecs.target_groups"),
                        &e.target_groups[0],
                        "blue and green target groups must differ",
                    );
                }
                for (field, l) in [
                    ("prod_listener", Some(&e.prod_listener)),
                    ("test_listener", e.test_listener.as_ref()),
                ] {
                    if let Some(l) = l
                        && !(l.starts_with("arn:")
                            && l.contains(":elasticloadbalancing:")
                            && l.contains(":listener/"))
                    {
                        self.push(
                            format!("{at}.ecs.{field}"),
                            l,
                            "an Elastic Load Balancing listener ARN",
                        );
                    }
                }
            }
            Target::Server(s) => {
                for (i, t) in s.ec2_tags.iter().chain(&s.on_premises_tags).enumerate() {
                    let empty = match t {
                        crate::model::TagFilter::KeyAndValue(k, _)
                        | crate::model::TagFilter::KeyOnly(k) => k.is_empty(),
                        crate::model::TagFilter::ValueOnly(v) => v.is_empty(),
                    };
                    if empty {
                        self.push(
                            format!("{at}.tag_filters[{i}]"),
                            "",
                            "a tag filter needs a key (or, for VALUE_ONLY, a value)",
                        );
                    }
                }
            }
            Target::Lambda(_) => {}
        }
        self.tags(at, &g.tags);
    }

    /// `complete` is false when the pipeline's builder left out something invalid (a stage,
    /// an action or an artifact with a bad name): the rules about its shape and its artifact
    /// flow are then checked once those names are fixed, so that what was left out is not
    /// reported a second time as missing.
    fn pipeline(&mut self, at: &str, p: &Pipeline, complete: bool) {
        self.reference(
            format!("{at}.artifact_store"),
            &p.artifact_store,
            ResourceKind::Bucket,
        );
        if complete && p.stages.len() < 2 {
            self.push(
                format!("{at}.stages"),
                p.stages.len(),
                "a pipeline needs at least 2 stages",
            );
        }
        if p.stages.len() > 50 {
            self.push(
                format!("{at}.stages"),
                p.stages.len(),
                "a pipeline has at most 50 stages",
            );
        }
        if p.pipeline_type == PipelineType::V1 {
            if !p.variables.is_empty() {
                self.push(
                    format!("{at}.variables"),
                    p.variables.len(),
                    "pipeline variables need pipeline type V2",
                );
            }
            if p.execution_mode != ExecutionMode::Superseded {
                self.push(
                    format!("{at}.execution_mode"),
                    p.execution_mode.as_str(),
                    "execution modes QUEUED and PARALLEL need pipeline type V2",
                );
            }
        }
        if p.variables.len() > 50 {
            self.push(
                format!("{at}.variables"),
                p.variables.len(),
                "at most 50 variables",
            );
        }
        let mut seen = BTreeSet::new();
        for var in &p.variables {
            let i = &var.name;
            if !seen.insert(var.name.as_str()) {
                self.push(
                    format!("{at}.variables[{i}].name"),
                    &var.name,
                    "variable names must be unique",
                );
            }
            if let Some(d) = &var.default
                && !(1..=1000).contains(&d.chars().count())
            {
                self.push(
                    format!("{at}.variables[{i}].default"),
                    d,
                    "a default value has 1 to 1000 characters",
                );
            }
            self.max_len(
                at,
                &format!("variables[{i}].description"),
                var.description.as_deref(),
                200,
            );
        }
        let mut stage_names = BTreeSet::new();
        for (si, stage) in p.stages.iter().enumerate() {
            let sat = format!("{at}.stages[{}]", stage.name);
            if !stage_names.insert(stage.name.as_str()) {
                self.push(
                    format!("{sat}.name"),
                    &stage.name,
                    "stage names must be unique in a pipeline",
                );
            }
            if stage.actions.is_empty() {
                self.push(
                    format!("{sat}.actions"),
                    0,
                    "a stage needs at least one action",
                );
            }
            if stage.actions.len() > 50 {
                self.push(
                    format!("{sat}.actions"),
                    stage.actions.len(),
                    "a stage has at most 50 actions",
                );
            }
            let mut action_names = BTreeSet::new();
            for a in &stage.actions {
                let aat = format!("{sat}.actions[{}]", a.name);
                if !action_names.insert(a.name.as_str()) {
                    self.push(
                        format!("{aat}.name"),
                        &a.name,
                        "action names must be unique in a stage",
                    );
                }
                let is_source = a.category() == crate::model::ActionCategory::Source;
                if complete && si == 0 && !is_source {
                    self.push(
                        aat.to_string(),
                        a.provider(),
                        "the first stage holds only source actions",
                    );
                }
                if si > 0 && is_source {
                    self.push(
                        aat.to_string(),
                        a.provider(),
                        "source actions belong in the first stage only",
                    );
                }
                self.range(&aat, "run_order", Some(a.run_order), 1, 999);
                self.action(&aat, a, complete);
            }
        }
        if complete {
            self.artifact_flow(at, p);
        }
        let mut namespaces = BTreeMap::new();
        for (si, _, a) in p.actions() {
            if let Some(ns) = &a.namespace
                && namespaces.insert(ns.as_str(), ()).is_some()
            {
                self.push(
                    format!("{at}.{}.namespace", action_path(p, si, a)),
                    ns,
                    "action namespaces must be unique in a pipeline",
                );
            }
        }
        for t in &p.disabled_transitions {
            let tat = format!("{at}.disabled_transitions[{}]", t.stage);
            match p.stages.iter().position(|s| s.name == t.stage) {
                None => self.push(
                    format!("{tat}.stage"),
                    &t.stage,
                    "names no stage of this pipeline",
                ),
                Some(0) => self.push(
                    format!("{tat}.stage"),
                    &t.stage,
                    "the first stage has no inbound transition",
                ),
                Some(_) => {}
            }
            let ok_chars = t
                .reason
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!@ ().*?-".contains(c));
            if !(1..=300).contains(&t.reason.chars().count()) || !ok_chars {
                self.push(
                    format!("{tat}.reason"),
                    &t.reason,
                    "1 to 300 characters of A-Z, a-z, 0-9, space and '!@().*?-'",
                );
            }
        }
        self.tags(at, &p.tags);
    }

    fn action(&mut self, aat: &str, a: &Action, complete: bool) {
        let ((imin, imax), (omin, omax)) = a.artifact_bounds();
        let takes = |min: usize, max: usize, what: &str| match (min, max) {
            (0, 0) => format!("no {what} artifacts"),
            (1, 1) => format!("exactly 1 {what} artifact"),
            (n, m) if n == m => format!("exactly {n} {what} artifacts"),
            (n, m) => format!("{n} to {m} {what} artifacts"),
        };
        let has = |names: &[crate::model::ArtifactName]| match names.len() {
            0 => "none".to_owned(),
            _ => names
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        if complete && !(imin..=imax).contains(&a.inputs.len()) {
            self.push(
                format!("{aat}.inputs"),
                a.inputs.len(),
                format!(
                    "a {} action takes {}; this one has {}",
                    a.provider(),
                    takes(imin, imax, "input"),
                    has(&a.inputs)
                ),
            );
        }
        if complete && !(omin..=omax).contains(&a.outputs.len()) {
            self.push(
                format!("{aat}.outputs"),
                a.outputs.len(),
                format!(
                    "a {} action produces {}; this one has {}",
                    a.provider(),
                    takes(omin, omax, "output"),
                    has(&a.outputs)
                ),
            );
        }
        match &a.kind {
            ActionKind::CodeCommitSource {
                repository, branch, ..
            } => {
                self.reference(
                    format!("{aat}.repository"),
                    repository,
                    ResourceKind::Repository,
                );
                if !(1..=256).contains(&branch.chars().count()) {
                    self.push(
                        format!("{aat}.branch"),
                        branch,
                        "a branch name has 1 to 256 characters",
                    );
                }
            }
            ActionKind::S3Source { bucket, key, .. } => {
                if let BucketRef::App(b) = bucket
                    && let Some(Node::Bucket(bucket)) =
                        self.reference(format!("{aat}.bucket"), b, ResourceKind::Bucket)
                    && !bucket.versioned
                {
                    self.push(
                        format!("{aat}.bucket"),
                        &bucket.name,
                        "an S3 source bucket must be versioned",
                    );
                }
                if key.is_empty() {
                    self.push(format!("{aat}.key"), key, "an object key is required");
                }
            }
            ActionKind::CodeBuild { project, env, .. } => {
                if let Some(Node::Project(pr)) =
                    self.reference(format!("{aat}.project"), project, ResourceKind::Project)
                    && pr.source != BuildSource::Pipeline
                {
                    self.push(
                        format!("project[{}].source", pr.name),
                        match pr.source {
                            BuildSource::CodeCommit { .. } => "CODECOMMIT",
                            _ => "NO_SOURCE",
                        },
                        format!("a project run by a pipeline ({aat}) takes its source and artifacts from the pipeline (CODEPIPELINE)"),
                    );
                }
                self.env_vars(&format!("{aat}.env"), env);
                // AWS counts the characters of the string synthesis renders, escapes included.
                if !env.is_empty() && action_env_json(env).chars().count() > ACTION_CONFIG_VALUE_MAX
                {
                    self.push(format!("{aat}.env"), env.len(), "action configuration values have at most 1000 characters (the variables' JSON is longer)");
                }
            }
            ActionKind::ManualApproval { url, comments, .. } => {
                self.max_len(aat, "comments", comments.as_deref(), 500);
                self.max_len(aat, "review_url", url.as_deref(), 1000);
            }
            ActionKind::S3Deploy { bucket, key, .. } => {
                if let BucketRef::App(b) = bucket {
                    self.reference(format!("{aat}.bucket"), b, ResourceKind::Bucket);
                }
                if let Some(k) = key
                    && k.is_empty()
                {
                    self.push(
                        format!("{aat}.object_key"),
                        k,
                        "an object key cannot be empty",
                    );
                }
            }
            ActionKind::CodeDeploy { group } => {
                if let Some(Node::DeploymentGroup(g)) =
                    self.reference(format!("{aat}.group"), group, ResourceKind::DeploymentGroup)
                    && g.platform == ComputePlatform::Ecs
                {
                    self.push(
                        format!("{aat}.group"),
                        group.name(),
                        "ECS groups deploy through the CodeDeployToECS action",
                    );
                }
            }
            ActionKind::EcsBlueGreen {
                group,
                task_definition,
                appspec,
                ..
            } => {
                self.reference(format!("{aat}.group"), group, ResourceKind::DeploymentGroup);
                if task_definition.is_none() {
                    self.push(
                        format!("{aat}.task_definition"),
                        "",
                        "a CodeDeployToECS action needs a task definition template",
                    );
                }
                if appspec.is_none() {
                    self.push(
                        format!("{aat}.appspec"),
                        "",
                        "a CodeDeployToECS action needs an AppSpec template",
                    );
                }
            }
        }
    }

    /// Every artifact produced once; every input produced by an action that runs earlier.
    fn artifact_flow(&mut self, at: &str, p: &Pipeline) {
        // artifact -> (stage, run order, path of producer)
        let mut produced: BTreeMap<&str, (usize, u32, String)> = BTreeMap::new();
        for (si, _, a) in p.actions() {
            for o in &a.outputs {
                let here = format!("{at}.{}", action_path(p, si, a));
                if let Some((_, _, first)) = produced.get(o.as_str()) {
                    self.push(
                        format!("{here}.outputs[{o}]"),
                        o,
                        format!("an artifact is produced once; {first} already produces it"),
                    );
                } else {
                    produced.insert(o.as_str(), (si, a.run_order, here));
                }
            }
        }
        for (si, _, a) in p.actions() {
            for i in &a.inputs {
                let rule = match produced.get(i.as_str()) {
                    Some((ps, pr, _)) if *ps < si || (*ps == si && *pr < a.run_order) => continue,
                    Some((ps, pr, producer)) if *ps == si && *pr == a.run_order => format!(
                        "input artifact is produced by {producer}, which runs at the same time \
                         (both have run order {pr}); give this action a later run order, such as \
                         run_order({})",
                        pr + 1
                    ),
                    Some((ps, pr, producer)) if *ps == si => format!(
                        "input artifact is produced by {producer}, which runs later in the stage \
                         (run order {pr}); give this action a later run order, such as \
                         run_order({})",
                        pr + 1
                    ),
                    Some((_, _, producer)) => format!(
                        "input artifact is produced by {producer}, in a later stage; move the \
                         action after it"
                    ),
                    None => "input artifact is not produced by any earlier action".into(),
                };
                self.push(
                    format!("{at}.{}.inputs[{i}]", action_path(p, si, a)),
                    i,
                    rule,
                );
            }
        }
    }
}

/// `stages[<stage>].actions[<action>]`: an action's path by the names the user wrote.
fn action_path(p: &Pipeline, si: usize, a: &Action) -> String {
    format!("stages[{}].actions[{}]", p.stages[si].name, a.name)
}

#[cfg(test)]
mod tests;
