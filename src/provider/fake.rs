//! An in-memory provider for the engine's tests: the same [`Provider`] trait, with failure
//! injection, call counts, resources that exist but are not ours, and out-of-band changes.
//!
//! It behaves like AWS where the engine's correctness depends on it: creating a resource that
//! exists fails, updating one that does not fails with [`ErrorClass::NotFound`], deleting one that
//! does not is success, deleting a bucket removes its policy, deleting an application removes
//! its deployment groups, deleting a deployment configuration a group uses fails, and it fills in a few server-side defaults and
//! returns tags in another order, as AWS does.
//!
//! ```
//! use pipewright::provider::api::{Operation, Provider, ProviderError};
//! use pipewright::provider::fake::{Failure, FakeProvider};
//!
//! let fake = FakeProvider::new();
//! fake.inject(Failure::new(ProviderError::other("InternalError", "boom")).on(Operation::Create).nth(2));
//! assert_eq!(fake.count(Operation::Create), 0);
//! ```

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::api::{
    BoxFuture, ErrorClass, FieldChange, Observed, Operation, Owned, Owner, Provider, ProviderError,
    Resource, TAG_APP, TAG_ID, kind_word, pointer_tokens,
};
use crate::model::ResourceKind;

/// One call the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation.
    pub op: Operation,
    /// The resource's kind (`None` for [`Operation::ListOwned`]).
    pub kind: Option<ResourceKind>,
    /// The resource's physical name (for [`Operation::ListOwned`]: the app).
    pub name: String,
}

/// A failure to inject: which calls fail and with what error.
///
/// By default it fails the next matching call once; [`Failure::nth`] picks a later one and
/// [`Failure::times`] fails several in a row.
#[derive(Debug, Clone)]
pub struct Failure {
    op: Option<Operation>,
    mutations: bool,
    target: Option<(ResourceKind, String)>,
    nth: Option<usize>,
    remaining: usize,
    seen: usize,
    error: ProviderError,
}

impl Failure {
    /// Fails the next call of any operation on any resource with `error`.
    #[must_use]
    pub fn new(error: ProviderError) -> Self {
        Self {
            op: None,
            mutations: false,
            target: None,
            nth: None,
            remaining: 1,
            seen: 0,
            error,
        }
    }

    /// Only calls of this operation match.
    #[must_use]
    pub fn on(mut self, op: Operation) -> Self {
        self.op = Some(op);
        self
    }

    /// Only calls that change something match: create, update and delete.
    #[must_use]
    pub fn mutations(mut self) -> Self {
        self.mutations = true;
        self
    }

    /// Only calls on this resource match.
    #[must_use]
    pub fn resource(mut self, kind: ResourceKind, physical_name: impl Into<String>) -> Self {
        self.target = Some((kind, physical_name.into()));
        self
    }

    /// Fails only the `n`-th matching call (counting from 1).
    #[must_use]
    pub fn nth(mut self, n: usize) -> Self {
        self.nth = Some(n);
        self
    }

    /// Fails the next `n` matching calls.
    #[must_use]
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = n;
        self
    }

    fn matches(&self, op: Operation, kind: Option<ResourceKind>, name: &str) -> bool {
        self.op.is_none_or(|o| o == op)
            && (!self.mutations || op.mutates())
            && self
                .target
                .as_ref()
                .is_none_or(|(k, n)| Some(*k) == kind && n == name)
    }

    /// Whether this call fails; counts it.
    fn fires(&mut self, op: Operation, kind: Option<ResourceKind>, name: &str) -> bool {
        if !self.matches(op, kind, name) {
            return false;
        }
        self.seen += 1;
        match self.nth {
            Some(n) => self.seen == n,
            None if self.remaining > 0 => {
                self.remaining -= 1;
                true
            }
            None => false,
        }
    }
}

/// Random failures of mutating calls: a fraction of them, reproducible from a seed.
#[derive(Debug, Clone)]
struct Random {
    fraction: f64,
    state: u64,
    error: ProviderError,
}

impl Random {
    /// splitmix64: small, fast and good enough to pick calls reproducibly.
    fn next(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // The top 53 bits as a fraction in [0, 1).
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Default)]
struct State {
    resources: BTreeMap<(ResourceKind, String), Value>,
    log: Vec<Call>,
    failures: Vec<Failure>,
    random: Option<Random>,
}

/// The in-memory provider. See the module documentation.
#[derive(Debug)]
pub struct FakeProvider {
    state: Mutex<State>,
    latency: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Default for FakeProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeProvider {
    /// An empty account that fills in server-side defaults and answers at once.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            latency: Duration::ZERO,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// Every call takes this long, so that concurrency can be observed.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters to a test double; keep going with what is there.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a failure to inject.
    pub fn inject(&self, failure: Failure) {
        self.state().failures.push(failure);
    }

    /// Fails each mutating call (create, update, delete) with probability `fraction`,
    /// reproducibly from `seed`.
    pub fn fail_randomly(&self, fraction: f64, seed: u64, error: ProviderError) {
        self.state().random = Some(Random {
            fraction,
            state: seed,
            error,
        });
    }

    /// Removes every injected failure.
    pub fn clear_failures(&self) {
        let mut s = self.state();
        s.failures.clear();
        s.random = None;
    }

    /// Every call so far, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.state().log.clone()
    }

    /// How many calls of `op` were made.
    #[must_use]
    pub fn count(&self, op: Operation) -> usize {
        self.state().log.iter().filter(|c| c.op == op).count()
    }

    /// Forgets the calls made so far.
    pub fn reset_calls(&self) {
        self.state().log.clear();
    }

    /// The most calls that were in progress at the same time.
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// The stored properties of a resource.
    #[must_use]
    pub fn get(&self, kind: ResourceKind, physical_name: &str) -> Option<Value> {
        self.state()
            .resources
            .get(&(kind, physical_name.to_owned()))
            .cloned()
    }

    /// Every stored resource, sorted by kind and name.
    #[must_use]
    pub fn resources(&self) -> Vec<(ResourceKind, String)> {
        self.state().resources.keys().cloned().collect()
    }

    /// Creates a resource outside pipewright: `properties` without the ownership tags.
    pub fn insert_foreign(&self, kind: ResourceKind, physical_name: &str, mut properties: Value) {
        if let Some(Value::Array(tags)) = properties.get_mut("Tags") {
            tags.retain(|t| {
                let key = t.get("Key").and_then(Value::as_str);
                key != Some(TAG_APP) && key != Some(TAG_ID)
            });
        }
        self.state()
            .resources
            .insert((kind, physical_name.to_owned()), properties);
    }

    /// Changes a field out of band, as someone using the console would: sets the value at the
    /// JSON pointer `path`, or removes it when `value` is `None`. Returns whether the resource
    /// exists.
    pub fn set_field(
        &self,
        kind: ResourceKind,
        physical_name: &str,
        path: &str,
        value: Option<Value>,
    ) -> bool {
        let mut s = self.state();
        match s.resources.get_mut(&(kind, physical_name.to_owned())) {
            Some(props) => {
                set_pointer(props, path, value);
                true
            }
            None => false,
        }
    }

    /// Logs the call and decides whether it fails.
    fn enter(
        &self,
        op: Operation,
        kind: Option<ResourceKind>,
        name: &str,
    ) -> Result<(), ProviderError> {
        let mut s = self.state();
        s.log.push(Call {
            op,
            kind,
            name: name.to_owned(),
        });
        let mut failed = None;
        for f in &mut s.failures {
            if f.fires(op, kind, name) && failed.is_none() {
                failed = Some(f.error.clone());
            }
        }
        if failed.is_none()
            && op.mutates()
            && let Some(r) = &mut s.random
            && r.next() < r.fraction
        {
            failed = Some(r.error.clone());
        }
        failed.map_or(Ok(()), Err)
    }

    async fn call<T>(
        &self,
        op: Operation,
        kind: Option<ResourceKind>,
        name: &str,
        body: impl FnOnce(&mut State) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let result = self
            .enter(op, kind, name)
            .and_then(|()| body(&mut self.state()));
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn stored(&self, resource: &Resource) -> Value {
        let mut props = resource.properties.clone();
        if let Value::Object(m) = &mut props {
            for (k, v) in server_defaults(resource.kind) {
                m.entry(k).or_insert(v);
            }
            if let Some(Value::Array(tags)) = m.get_mut("Tags") {
                tags.reverse();
            }
        }
        props
    }
}

/// What AWS fills in when the model leaves a field out.
fn server_defaults(kind: ResourceKind) -> Vec<(String, Value)> {
    let pairs: &[(&str, Value)] = match kind {
        // (A project's default timeouts are not among them: the AWS provider reads them as
        // absent, so that removing a timeout is a change.)
        ResourceKind::Pipeline => &[("ExecutionMode", json!("SUPERSEDED"))],
        ResourceKind::Role => &[("MaxSessionDuration", json!(3600)), ("Path", json!("/"))],
        _ => &[],
    };
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Sets (or with `None` removes) the value at a JSON pointer, creating objects on the way.
fn set_pointer(root: &mut Value, path: &str, value: Option<Value>) {
    let tokens = pointer_tokens(path);
    let Some((last, parents)) = tokens.split_last() else {
        if let Some(v) = value {
            *root = v;
        }
        return;
    };
    let mut cur = root;
    for t in parents {
        cur = match cur {
            Value::Array(a) => match t.parse::<usize>().ok().filter(|&i| i < a.len()) {
                Some(i) => &mut a[i],
                None => return,
            },
            other => {
                if !other.is_object() {
                    *other = Value::Object(Map::new());
                }
                match other {
                    Value::Object(m) => m.entry(t.clone()).or_insert(Value::Object(Map::new())),
                    _ => return,
                }
            }
        };
    }
    match (cur, value) {
        (Value::Object(m), Some(v)) => {
            m.insert(last.clone(), v);
        }
        (Value::Object(m), None) => {
            m.remove(last);
        }
        (Value::Array(a), v) => match (last.parse::<usize>(), v) {
            (Ok(i), Some(v)) if i < a.len() => a[i] = v,
            (Ok(i), Some(v)) if i == a.len() => a.push(v),
            (Ok(i), None) if i < a.len() => {
                a.remove(i);
            }
            _ => {}
        },
        (other, Some(v)) => {
            let mut m = Map::new();
            m.insert(last.clone(), v);
            *other = Value::Object(m);
        }
        (_, None) => {}
    }
}

fn not_found(kind: ResourceKind, name: &str) -> ProviderError {
    ProviderError::new(
        ErrorClass::NotFound,
        "ResourceNotFoundException",
        format!("{} {name} does not exist", kind_word(kind)),
    )
}

impl Provider for FakeProvider {
    fn read<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Observed>, ProviderError>> {
        Box::pin(
            self.call(Operation::Read, Some(kind), physical_name, move |s| {
                Ok(s.resources
                    .get(&(kind, physical_name.to_owned()))
                    .map(|p| Observed::new(p.clone())))
            }),
        )
    }

    fn create<'a>(&'a self, resource: &'a Resource) -> BoxFuture<'a, Result<(), ProviderError>> {
        let stored = self.stored(resource);
        Box::pin(self.call(
            Operation::Create,
            Some(resource.kind),
            &resource.physical_name,
            move |s| {
                let key = (resource.kind, resource.physical_name.clone());
                if s.resources.contains_key(&key) {
                    return Err(ProviderError::new(
                        ErrorClass::AlreadyExists,
                        "ResourceAlreadyExistsException",
                        format!(
                            "{} {} already exists",
                            kind_word(resource.kind),
                            resource.physical_name
                        ),
                    ));
                }
                s.resources.insert(key, stored);
                Ok(())
            },
        ))
    }

    fn update<'a>(
        &'a self,
        resource: &'a Resource,
        fields: &'a [FieldChange],
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(self.call(
            Operation::Update,
            Some(resource.kind),
            &resource.physical_name,
            move |s| {
                let Some(props) = s
                    .resources
                    .get_mut(&(resource.kind, resource.physical_name.clone()))
                else {
                    return Err(not_found(resource.kind, &resource.physical_name));
                };
                for f in fields {
                    set_pointer(props, &f.path, f.new.clone());
                }
                Ok(())
            },
        ))
    }

    fn delete<'a>(
        &'a self,
        kind: ResourceKind,
        physical_name: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(
            self.call(Operation::Delete, Some(kind), physical_name, move |s| {
                // As CodeDeploy: a configuration a group uses cannot be deleted.
                if kind == ResourceKind::DeploymentConfig {
                    let user = s.resources.iter().find(|((k, _), p)| {
                        *k == ResourceKind::DeploymentGroup
                            && p["DeploymentConfigName"] == physical_name
                    });
                    if let Some(((_, group), _)) = user {
                        return Err(ProviderError::other(
                            "DeploymentConfigInUseException",
                            format!(
                                "deployment config \"{physical_name}\" is used by deployment group \"{group}\""
                            ),
                        ));
                    }
                }
                s.resources.remove(&(kind, physical_name.to_owned()));
                // As AWS: a bucket's policy goes with it, an application's groups with it (the
                // kind table's parents).
                s.resources.retain(|(k, _), p| {
                    !k.info().parent.is_some_and(|(parent, property)| {
                        parent == kind && p.pointer(property) == Some(&json!(physical_name))
                    })
                });
                Ok(())
            }),
        )
    }

    fn list_owned<'a>(&'a self, app: &'a str) -> BoxFuture<'a, Result<Vec<Owned>, ProviderError>> {
        Box::pin(self.call(Operation::ListOwned, None, app, move |s| {
            Ok(s.resources
                .iter()
                .filter_map(|((kind, name), props)| {
                    let owner = Owner::from_properties(props)?;
                    (owner.app == app).then(|| Owned {
                        kind: *kind,
                        physical_name: name.clone(),
                        id: owner.id,
                    })
                })
                .collect())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(name: &str) -> Resource {
        Resource {
            id: "Bucket".into(),
            kind: ResourceKind::Bucket,
            physical_name: name.into(),
            properties: json!({
                "BucketName": name,
                "Tags": [{"Key": TAG_APP, "Value": "shop"}, {"Key": TAG_ID, "Value": "Bucket"}],
            }),
        }
    }

    #[tokio::test]
    async fn creates_reads_updates_lists_and_deletes() {
        let fake = FakeProvider::new();
        let b = bucket("b1");
        fake.create(&b).await.unwrap();
        assert!(fake.create(&b).await.is_err(), "creating twice fails");
        let seen = fake
            .read(ResourceKind::Bucket, "b1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.owner.unwrap().id, "Bucket");
        let change = FieldChange {
            path: "/VersioningConfiguration/Status".into(),
            old: None,
            new: Some(json!("Enabled")),
        };
        fake.update(&b, std::slice::from_ref(&change))
            .await
            .unwrap();
        assert_eq!(
            fake.get(ResourceKind::Bucket, "b1").unwrap()["VersioningConfiguration"]["Status"],
            "Enabled"
        );
        let owned = fake.list_owned("shop").await.unwrap();
        assert_eq!(owned.len(), 1);
        assert!(fake.list_owned("other").await.unwrap().is_empty());
        fake.delete(ResourceKind::Bucket, "b1").await.unwrap();
        fake.delete(ResourceKind::Bucket, "b1").await.unwrap();
        let err = fake.update(&b, &[change]).await.unwrap_err();
        assert_eq!(err.class, ErrorClass::NotFound);
        assert_eq!(fake.count(Operation::Delete), 2);
    }

    #[tokio::test]
    async fn injects_the_nth_matching_failure_once() {
        let fake = FakeProvider::new();
        fake.inject(
            Failure::new(ProviderError::other("InternalError", "boom"))
                .on(Operation::Create)
                .nth(2),
        );
        assert!(fake.create(&bucket("a")).await.is_ok());
        assert!(fake.read(ResourceKind::Bucket, "a").await.is_ok());
        assert_eq!(
            fake.create(&bucket("b")).await.unwrap_err().code,
            "InternalError"
        );
        assert!(fake.create(&bucket("b")).await.is_ok());
    }

    #[tokio::test]
    async fn injects_failures_for_one_resource_and_at_random() {
        let fake = FakeProvider::new();
        let err = ProviderError::new(ErrorClass::Retryable, "AccessDenied", "not authorized");
        fake.inject(
            Failure::new(err.clone())
                .resource(ResourceKind::Bucket, "b")
                .times(2),
        );
        assert!(fake.create(&bucket("a")).await.is_ok());
        assert!(fake.create(&bucket("b")).await.is_err());
        assert!(fake.create(&bucket("b")).await.is_err());
        assert!(fake.create(&bucket("b")).await.is_ok());

        async fn pattern(seed: u64, err: &ProviderError) -> Vec<bool> {
            let fake = FakeProvider::new();
            fake.fail_randomly(0.5, seed, err.clone());
            let mut out = Vec::new();
            for i in 0..32 {
                out.push(fake.create(&bucket(&format!("r{i}"))).await.is_err());
            }
            out
        }
        let failures = |seed| pattern(seed, &err);
        assert_eq!(failures(7).await, failures(7).await, "reproducible");
        let hits = failures(7).await.iter().filter(|x| **x).count();
        assert!((4..=28).contains(&hits), "about half fail: {hits}");
    }

    #[tokio::test]
    async fn foreign_resources_have_no_owner_and_out_of_band_changes_stick() {
        let fake = FakeProvider::new();
        fake.insert_foreign(ResourceKind::Bucket, "theirs", bucket("theirs").properties);
        let seen = fake
            .read(ResourceKind::Bucket, "theirs")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.owner, None);
        assert!(fake.list_owned("shop").await.unwrap().is_empty());
        assert!(fake.set_field(ResourceKind::Bucket, "theirs", "/A/B", Some(json!(1))));
        assert_eq!(
            fake.get(ResourceKind::Bucket, "theirs").unwrap()["A"]["B"],
            1
        );
        assert!(!fake.set_field(ResourceKind::Bucket, "none", "/A", None));
    }

    #[tokio::test]
    async fn deleting_a_parent_removes_its_children() {
        let fake = FakeProvider::new();
        let mut policy = bucket("b");
        policy.kind = ResourceKind::BucketPolicy;
        policy.properties = json!({"Bucket": "b"});
        let mut group = bucket("app/g");
        group.kind = ResourceKind::DeploymentGroup;
        group.properties = json!({"ApplicationName": "app", "DeploymentGroupName": "g"});
        for r in [bucket("b"), policy, group] {
            fake.create(&r).await.unwrap();
        }
        fake.delete(ResourceKind::Bucket, "b").await.unwrap();
        fake.delete(ResourceKind::Application, "app").await.unwrap();
        assert!(fake.resources().is_empty());
    }

    #[test]
    fn pointers_set_and_remove_nested_values() {
        let mut v = json!({"a": [{"b": 1}, {"b": 2}]});
        set_pointer(&mut v, "/a/1/b", Some(json!(3)));
        set_pointer(&mut v, "/a/2", Some(json!({"b": 4})));
        set_pointer(&mut v, "/c~1d/e", Some(json!(true)));
        set_pointer(&mut v, "/a/0/b", None);
        assert_eq!(
            v,
            json!({"a": [{}, {"b": 3}, {"b": 4}], "c/d": {"e": true}})
        );
    }
}
