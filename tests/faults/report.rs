//! This tier's sections of `RELIABILITY.md`, written by the tests that ran them (only once they
//! passed) into the target directory; `scripts/reliability` puts the sections together, and CI
//! checks that the committed file matches, so the report cannot go stale.

use crate::support::report::write;

/// One row of the fault table.
pub(crate) struct FaultRow {
    pub(crate) app: &'static str,
    pub(crate) rate: f64,
    pub(crate) seed: u64,
}

pub(crate) fn record_faults(rows: &[FaultRow], kinds: &str) {
    let mut md = String::from(
        "## Faults between the SDK and AWS\n\n\
         A seeded proxy on loopback answers a fraction of all requests (every service, every \
         operation) with one of: ",
    );
    md.push_str(kinds);
    md.push_str(
        ". Each app is applied from nothing, checked against a fault-free read (nothing left to \
         change), then destroyed through the same faults, and checked to own nothing.\n\n\
         | app | faulty requests | seed | apply | same end state as without faults | destroy, nothing owned left |\n\
         |---|---|---|---|---|---|\n",
    );
    for r in rows {
        md.push_str(&format!(
            "| {} | {:.0}% | {} | held | held | held |\n",
            r.app,
            r.rate * 100.0,
            r.seed
        ));
    }
    md.push_str(
        "| reference | 100% (`ServiceUnavailable`) | 9 | stops within its retry budget, names the \
         AWS code, skips dependents | a rerun after the outage converges | held |\n",
    );
    write("20-faults", &md);
}

pub(crate) fn record_crashes(total: u64, killed_at: &[(u64, String)]) {
    let mut md = format!(
        "## Crashes\n\n\
         `apply` of the reference app (the CLI, in its own process, one call at a time) makes \
         {total} requests from start to end. It was killed with SIGKILL at {} distinct requests \
         (seeded), each time right after the emulator acted on that request and before the answer \
         reached the process. After each kill, a rerun converged (a plan after it is empty), every \
         resource of the model existed exactly once with the app's tags for its id, the app owned \
         nothing else, and `destroy` then left nothing owned and nothing under the model's names.\n\n\
         | killed at request | the call whose answer was lost | rerun converged | no orphan, duplicate or untagged resource | destroy left nothing |\n\
         |---|---|---|---|---|\n",
        killed_at.len()
    );
    for (point, call) in killed_at {
        md.push_str(&format!("| {point} | `{call}` | held | held | held |\n"));
    }
    write("30-crashes", &md);
}

pub(crate) fn record_concurrency(runs: usize) {
    let md = format!(
        "## Concurrent applies\n\n\
         Two applies of the same app at once, from nothing, each with its own clients ({runs} \
         times). Both succeeded: where one met a resource the other had just created (with the \
         app's tags for that resource), it took it over instead of failing. The end state had \
         every resource once, tagged, and a plan after it was empty.\n"
    );
    write("40-concurrency", &md);
}

pub(crate) fn record_destroy_crashes(total: u64, killed_at: &[(u64, String)], exhaustive: bool) {
    let how = if exhaustive {
        "at every one of them".to_owned()
    } else {
        format!(
            "at {} distinct requests (seeded; `PIPEWRIGHT_EXHAUSTIVE=1` kills it at every one)",
            killed_at.len()
        )
    };
    let mut md = format!(
        "## Crashes of destroy\n\n\
         `destroy` of the applied reference app (the CLI, in its own process, one call at a \
         time) makes {total} requests from start to end. It was killed with SIGKILL {how}, each \
         time right after the emulator acted on that request and before the answer reached the \
         process. After each kill, a rerun of `destroy` succeeded and left nothing owned and \
         nothing under the model's names.\n\n\
         | killed at request | the call whose answer was lost | rerun destroy succeeded | nothing left |\n\
         |---|---|---|---|\n"
    );
    for (point, call) in killed_at {
        md.push_str(&format!("| {point} | `{call}` | held | held |\n"));
    }
    write("31-destroy-crashes", &md);
}

pub(crate) fn record_concurrent_crashes(kills: usize, exhaustive: bool) {
    let more = if exhaustive {
        ""
    } else {
        " (`PIPEWRIGHT_EXHAUSTIVE=1`: 20)"
    };
    let md = format!(
        "## Crashes of a concurrent apply\n\n\
         `apply` of the reference app at the CLI's default concurrency (64 calls in flight), \
         killed with SIGKILL at {kills} seeded moments{more}: when the proxy saw the n-th \
         request, n drawn from the first nine tenths of the run (the order of requests differs \
         from run to run, so the call each kill lost does too). After each kill, a rerun \
         converged (a plan after it is empty), every resource of the model existed exactly once \
         with the app's tags for its id, the app owned nothing else, and `destroy` then left \
         nothing.\n"
    );
    write("32-concurrent-crashes", &md);
}

/// One row of the eventual-consistency table.
pub(crate) struct ConsistencyRow {
    pub(crate) max_stale: u64,
    pub(crate) seed: u64,
    pub(crate) stale_reads: u64,
    pub(crate) no_such_bucket: u64,
    pub(crate) stale_listings: u64,
    pub(crate) extra_requests: u64,
}

pub(crate) fn record_consistency(rows: &[ConsistencyRow], baseline: u64) {
    let mut md = format!(
        "## Eventual consistency\n\n\
         A seeded proxy makes S3 and the tagging API lag as AWS documents they may: after a \
         write to a bucket's configuration (versioning, encryption, public access block, \
         ownership controls, lifecycle, logging, tags, policy) or the bucket's delete, the next \
         reads of it answer what they answered before; after `CreateBucket`, the next requests \
         to the bucket answer `404 NoSuchBucket`; after any delete, the next listings of the \
         tagging API answer the list from before it. How many is drawn from the seed for each \
         write, one call at a time. The reference app was planned, applied, planned again (empty), \
         destroyed, and its destroy planned again (nothing left to delete), every step through \
         the lagging proxy; a fault-free read then found it converged and nothing owned left. \
         Without lag the same steps make {baseline} requests to S3 and the tagging API; the \
         extra requests are the provider's retries of `NoSuchBucket` on a bucket it just \
         created, its reads until two in a row show what it wrote (or deleted), and the direct \
         reads that confirm each delete the listing plans. (Wall time is printed by the test, \
         not kept here: it varies with the machine.)\n\n\
         | stale reads after a write, at most | seed | stale reads served | `NoSuchBucket` answers | stale listings | extra requests | apply, plan empty, destroy, nothing left |\n\
         |---:|---|---:|---:|---:|---:|---|\n"
    );
    for r in rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | held |\n",
            r.max_stale,
            r.seed,
            r.stale_reads,
            r.no_such_bucket,
            r.stale_listings,
            r.extra_requests
        ));
    }
    write("25-consistency", &md);
}
