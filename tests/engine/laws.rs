//! The engine's laws on generated apps: `diff(x, x)` is a no-op; after apply the plan is empty;
//! apply respects every dependency; destroy after apply leaves nothing owned; random failures
//! followed by reruns converge.

use proptest::prelude::*;
use serde_json::{Value, json};

use pipewright::engine::{self, ApplyOptions, Change, ResolvedApp, ResolvedResource};
use pipewright::model::ResourceKind;
use pipewright::provider::api::{
    ErrorClass, Observed, Operation, ProviderError, Resource, TAG_APP, TAG_ID,
};

const KINDS: [ResourceKind; 6] = [
    ResourceKind::Repository,
    ResourceKind::Bucket,
    ResourceKind::Project,
    ResourceKind::Role,
    ResourceKind::Pipeline,
    ResourceKind::EventRule,
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        (0u32..1000).prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[A-Z][a-z]{0,5}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn tags(app: &str, id: &str) -> Value {
    json!([{"Key": TAG_APP, "Value": app}, {"Key": TAG_ID, "Value": id}])
}

/// An app of `n` resources, each depending on some earlier ones, with arbitrary properties.
fn app() -> impl Strategy<Value = ResolvedApp> {
    prop::collection::vec(
        (
            0..KINDS.len(),
            prop::collection::btree_map("[A-Z][a-z]{0,5}", value(), 0..4),
            prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        ),
        1..12,
    )
    .prop_map(|specs| {
        let mut resources: Vec<ResolvedResource> = Vec::new();
        for (i, (kind, props, deps)) in specs.into_iter().enumerate() {
            let id = format!("R{i}");
            let mut properties = Value::Object(props.into_iter().collect());
            properties["Tags"] = tags("gen", &id);
            let mut depends_on: Vec<String> = if i == 0 {
                Vec::new()
            } else {
                deps.iter().map(|d| format!("R{}", d.index(i))).collect()
            };
            depends_on.sort();
            depends_on.dedup();
            resources.push(ResolvedResource {
                resource: Resource {
                    id: id.clone(),
                    kind: KINDS[kind],
                    physical_name: format!("gen-{i}"),
                    properties,
                },
                depends_on,
                retain: false,
            });
        }
        ResolvedApp {
            app: "gen".into(),
            resources,
        }
    })
}

/// A runtime on paused time: retry delays pass at once.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn diff_of_a_resource_with_itself_is_a_no_op(props in value(), kind in 0..KINDS.len()) {
        let mut properties = match props {
            Value::Object(m) => Value::Object(m),
            other => json!({"Value": other}),
        };
        properties["Tags"] = tags("gen", "R0");
        let r = Resource { id: "R0".into(), kind: KINDS[kind], physical_name: "x".into(), properties };
        let seen = Observed::new(r.properties.clone());
        prop_assert_eq!(engine::diff(&r, Some(&seen), "gen"), Change::NoOp);
        prop_assert!(engine::changed_fields(r.kind, &r.properties, &r.properties).is_empty());
    }

    #[test]
    fn after_apply_the_plan_is_empty_and_every_dependency_came_first(desired in app()) {
        runtime().block_on(async {
            let (fake, provider) = crate::fake();
            let plan = engine::plan(&desired, &provider, 4).await.expect("the fake answers");
            let report = engine::apply(&plan, &provider, &ApplyOptions::default().concurrency(3)).await;
            prop_assert!(report.succeeded(), "{}", report);
            let again = engine::plan(&desired, &provider, 4).await.expect("the fake answers");
            prop_assert!(again.is_empty(), "{:#?}", again.changes);
            let calls = fake.calls();
            // Progress counts up to exactly the changes the provider saw.
            let writes = calls
                .iter()
                .filter(|c| matches!(c.op, Operation::Create | Operation::Update | Operation::Delete))
                .count();
            prop_assert_eq!(writes, engine::step_count(&plan, &ApplyOptions::default()));
            let at = |id: &str| {
                let r = desired.resources.iter().find(|r| r.resource.id == id).map(|r| &r.resource);
                r.and_then(|r| calls.iter().position(|c| c.op == Operation::Create && c.name == r.physical_name))
                    .unwrap_or_else(|| panic!("{id} was created"))
            };
            for r in &desired.resources {
                for d in &r.depends_on {
                    prop_assert!(at(d) < at(&r.resource.id), "{} before {}", d, r.resource.id);
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn destroy_after_apply_leaves_nothing_owned(desired in app()) {
        runtime().block_on(async {
            let (fake, provider) = crate::fake();
            let plan = engine::plan(&desired, &provider, 4).await.expect("the fake answers");
            let applied = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
            prop_assert!(applied.succeeded(), "{}", applied);
            fake.reset_calls();
            let report = engine::destroy(&desired.app, Some(&desired), &provider, &ApplyOptions::default())
                .await
                .expect("the fake answers");
            prop_assert!(report.succeeded(), "{}", report);
            prop_assert!(provider.list_owned("gen").await.expect("the fake answers").is_empty());
            let calls = fake.calls();
            let at = |id: &str| {
                let r = desired.resources.iter().find(|r| r.resource.id == id).map(|r| &r.resource);
                r.and_then(|r| calls.iter().position(|c| c.op == Operation::Delete && c.name == r.physical_name))
                    .unwrap_or_else(|| panic!("{id} was deleted"))
            };
            for r in &desired.resources {
                for d in &r.depends_on {
                    prop_assert!(at(&r.resource.id) < at(d), "{} before {}", r.resource.id, d);
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn random_failures_then_reruns_converge(desired in app(), seed in any::<u64>()) {
        runtime().block_on(async {
            let (fake, provider) = crate::fake();
            fake.fail_randomly(0.3, seed, ProviderError::new(ErrorClass::Throttled, "ThrottlingException", "rate exceeded"));
            for _ in 0..3 {
                let plan = engine::plan(&desired, &provider, 4).await.expect("reads do not fail");
                engine::apply(&plan, &provider, &ApplyOptions::default()).await;
            }
            fake.clear_failures();
            let plan = engine::plan(&desired, &provider, 4).await.expect("the fake answers");
            let report = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
            prop_assert!(report.succeeded(), "{}", report);
            let again = engine::plan(&desired, &provider, 4).await.expect("the fake answers");
            prop_assert!(again.is_empty());
            Ok(())
        })?;
    }

    #[test]
    fn destroy_with_random_failures_converges_on_rerun(desired in app(), seed in any::<u64>()) {
        runtime().block_on(async {
            let (fake, provider) = crate::fake();
            let plan = engine::plan(&desired, &provider, 4).await.expect("the fake answers");
            let applied = engine::apply(&plan, &provider, &ApplyOptions::default()).await;
            prop_assert!(applied.succeeded(), "{}", applied);
            prop_assert!(!fake.resources().is_empty());
            fake.fail_randomly(0.3, seed, ProviderError::other("InternalFailure", "try again"));
            engine::destroy(&desired.app, Some(&desired), &provider, &ApplyOptions::default())
                .await
                .expect("listing does not fail");
            fake.clear_failures();
            let report = engine::destroy(&desired.app, Some(&desired), &provider, &ApplyOptions::default())
                .await
                .expect("the fake answers");
            prop_assert!(report.succeeded(), "{}", report);
            prop_assert!(fake.resources().is_empty());
            Ok(())
        })?;
    }
}
