//! Two applies of the same app at the same time.

use std::collections::BTreeSet;

use pipewright::engine::{self, ApplyOptions};

use crate::apply::{quick_retries, resolved};
use crate::harness::{endpoint, unique};
use crate::proxy::{FaultPlan, FaultProxy};
use crate::support::aws::provider_at;
use crate::support::examples::reference_app;

/// How many times the race is run.
const RACES: usize = 3;

#[tokio::test]
async fn two_applies_at_once_converge_to_one_end_state() {
    for _ in 0..RACES {
        // Each apply goes through its own (fault-free) proxy, which counts its calls.
        let (one, two) = (
            FaultProxy::start(endpoint(), FaultPlan::none()).await,
            FaultProxy::start(endpoint(), FaultPlan::none()).await,
        );
        let (first, env) = provider_at(one.endpoint()).await;
        let (second, _) = provider_at(two.endpoint()).await;
        let prefix = unique("race");
        let desired = resolved(&reference_app(&prefix), &env);
        let options = ApplyOptions::default().retry(quick_retries());
        // Both plan from nothing before either applies, so that both create every resource:
        // planned and applied each in one go, a fast apply could finish before the other's
        // plan had read, leaving it nothing to create and no race.
        let plan = |provider| {
            let desired = &desired;
            async move { engine::plan(desired, &provider, 8).await.expect("plan") }
        };
        let (plan_a, plan_b) = tokio::join!(plan(first.clone()), plan(second.clone()));
        let (a, b) = tokio::join!(
            engine::apply(&plan_a, &first, &options),
            engine::apply(&plan_b, &second, &options)
        );
        for report in [&a, &b] {
            assert!(report.succeeded(), "{report}: {:#?}", report.outcomes);
        }
        // The race was real: both applies tried to create the same resources.
        let creates = |p: &FaultProxy| {
            p.stats()
                .requests
                .iter()
                .filter(|(op, _)| op.contains(":Create"))
                .map(|(_, n)| n)
                .sum::<u64>()
        };
        assert!(
            creates(&one) > 0 && creates(&two) > 0,
            "both created: {:?} / {:?}",
            one.stats().requests,
            two.stats().requests
        );
        assert!(
            engine::plan(&desired, &first, 8)
                .await
                .expect("plan")
                .is_empty()
        );
        let owned = first.list_owned(&prefix).await.expect("list");
        let unique_names: BTreeSet<_> = owned.iter().map(|o| (o.kind, &o.physical_name)).collect();
        assert_eq!(unique_names.len(), owned.len(), "no duplicate: {owned:?}");
        let taggable = desired
            .resources
            .iter()
            .filter(|r| r.resource.kind.taggable())
            .count();
        assert_eq!(owned.len(), taggable, "{owned:?}");
        let report = engine::destroy(&prefix, Some(&desired), &first, &ApplyOptions::default())
            .await
            .expect("destroy");
        assert!(report.succeeded(), "{report}");
        assert!(first.list_owned(&prefix).await.expect("list").is_empty());
    }
    crate::report::record_concurrency(RACES);
}
