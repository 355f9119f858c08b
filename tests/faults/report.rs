//! This tier's sections of `RELIABILITY.md`, written by the tests that ran them (only once they
//! passed) into the target directory; `scripts/reliability` puts the sections together, and CI
//! checks that the committed file matches, so the report cannot go stale.

use crate::support::report::{write, write_figures};

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
         times), both planned before either applied, so that each creates every resource. Both \
         succeeded: where one met a resource the other had just created (with the \
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

pub(crate) fn record_watching(rows: &[crate::watch::WatchRow], outage: &crate::watch::Outage) {
    let mut figures = String::from(
        "verb  failing         seed  requests  faults injected (each tried again)  time\n",
    );
    for r in rows {
        let faults: Vec<String> = r.faults.iter().map(|(k, n)| format!("{k} {n}")).collect();
        figures.push_str(&format!(
            "{:5} {:14.14}  {:4}  {:8}  {:34}  {:.1} s\n",
            r.verb,
            r.what,
            r.seed.map_or("-".to_owned(), |s| s.to_string()),
            r.requests,
            if faults.is_empty() {
                "none".to_owned()
            } else {
                faults.join(", ")
            },
            r.seconds
        ));
    }
    figures.push_str(&format!(
        "outage: the watch ended {:.1} s after the outage began, {} requests refused\n",
        outage.seconds, outage.refused
    ));
    write_figures("25-watching-faults", &figures);
    let options = pipewright::executions::WatchOptions::default();
    let wait = options.approval.max(options.slow);
    let mut md = format!(
        "## Watching through faults\n\n\
         A pipeline of a CodeCommit source, a build that prints {} numbered lines and a manual \
         approval is followed with `--json` through the fault proxy, the same kinds of fault as \
         above drawn on every request: the execution's and the pipeline's state, the build, its \
         log pages, the approval's answer from `--approve`. Each run told the same stages and \
         actions in the same order, each with the same last status, as the run without faults; \
         every log line exactly once and in order; the approval answered once; and it ended \
         with the execution's outcome (`Succeeded`, exit 0). Each failed request was tried \
         again (by the SDK's retries, the watch's read retries, or its next poll). The test \
         writes, for each run, its requests, the faults injected by kind and its time to \
         `target/tmp/figures/25-watching-faults.txt` (they depend on timing).\n\n\
         | verb | faulty requests | seed | same stages and actions | every line once | outcome |\n\
         |---|---|---|---|---|---|\n",
        crate::watch::LINES
    );
    for r in rows {
        let seed = r.seed.map_or("-".to_owned(), |s| s.to_string());
        md.push_str(&format!(
            "| `{}` | {} | {seed} | held | held | held |\n",
            r.verb, r.what,
        ));
    }
    md.push_str(&format!(
        "\nA total outage while watching (the proxy refuses every request once the watch reads \
         the build's log) ends the watch within the bound it enforces: a poll (its reads with \
         the SDK's retries and the watch's own) that has not ended within {} s ends the watch, \
         and the first poll the outage meets begins at most {} s after it (the longest wait \
         between polls), so the outage is told at most {} s after it began (the time this run \
         took is in the figures). It ended with exit {} and \
         `` {}: CAUSE ``; the execution itself runs on to its approval. Before this was \
         tested, a lost answer to `--approve` ended the watch with exit 1 \
         (`ApprovalAlreadyCompletedException` from the SDK's retry of its own answer); the \
         CLI now reads the approval's state when its answer meets that error.\n",
        options.give_up.as_secs(),
        wait.as_secs(),
        (options.give_up + wait).as_secs(),
        outage.code,
        outage.message
    ));
    write("25-watching-faults", &md);
}

pub(crate) fn record_killed_watches(killed: &[crate::watch_killed::Killed]) {
    let mut md = String::from(
        "## Watches killed\n\n\
         The pipeline of the section above; the CLI, in its own process, killed with SIGKILL \
         at each of these moments. Each time the execution carried on in the emulator without \
         it, and a new `watch --approve` followed that same execution (the latest, or the one \
         named by `--execution`) to its end: `Succeeded`, exit 0, and, when it saw the build \
         run, every log line once and in order.\n\n\
         | killed | when | the execution went on | a new watch reported its end |\n\
         |---|---|---|---|\n",
    );
    for k in killed {
        md.push_str(&format!("| `{}` | {} | held | held |\n", k.verb, k.when));
    }
    write("26-watches-killed", &md);
}

pub(crate) fn record_push_kills(kills: &[crate::push_killed::PushKill]) {
    let figures: String = kills
        .iter()
        .map(|k| {
            let kept = if k.kept_old { "old" } else { "new" };
            format!(
                "killed at {}‰ of git push: the branch had the {kept} commit; killed: {}; \
                 its temporary folder {}\n",
                k.at,
                k.running.join(", "),
                if k.killed_left {
                    "was left, and the rerun removed it"
                } else {
                    "was not left"
                }
            )
        })
        .collect();
    write_figures("27-pushes-killed", &figures);
    let at: Vec<String> = kills.iter().map(|k| format!("{}‰", k.at)).collect();
    let md = format!(
        "## Pushes killed\n\n\
         `push` of a folder with an 8 MiB incompressible file to a branch of the app's \
         repository, the CLI in a process group of its own, killed with SIGKILL with `git` and \
         its remote helper, at {} seeded moments of `git push`'s run (per mille of the time it takes \
         in a whole push: {}). Each time nothing \
         of the group was left running; a fresh clone of the branch passed `git fsck --full \
         --strict`; the branch pointed at the commit it had before or at the new one (the \
         folder's tree, on top of the old commit), never at anything else; and a rerun of \
         `push` put the folder on the branch, on top of what the kill left, and removed the \
         temporary folder (`pipewright-push-PID-*`) the killed push left behind: a push sweeps \
         those whose process no longer runs. \
         `PIPEWRIGHT_EXHAUSTIVE=1` kills it at 10 moments. (Which of the two a kill left, \
         and whether a push ran faster than the measured one and ended first, depends on \
         timing: `target/tmp/figures/27-pushes-killed.txt` says.)\n",
        kills.len(),
        at.join(", ")
    );
    write("27-pushes-killed", &md);
}

pub(crate) fn record_busy(b: &crate::busy::Busy) {
    write_figures(
        "45-busy",
        &format!(
            "pipelines {}, failing {}, deploying {}\nslowest push --watch: {:.1} s\n\
             deployments seen in flight while builds ran: {}\n\
             emulator threads: baseline {}, peak {}, after {}\n\
             emulator RSS (kB): baseline {}, peak {}, after {} (at most +{}%)\n\
             processes of the emulator seen while builds ran: {}, hooks running at the stop: {}\n\
             watch of the stopped emulator ended {:.1} s after the stop\n",
            b.pipelines,
            b.failing,
            b.deploying,
            b.slowest,
            b.overlap,
            b.threads.0,
            b.threads.1,
            b.threads.2,
            b.rss_kb.0,
            b.rss_kb.1,
            b.rss_kb.2,
            b.rss_margin,
            b.children_seen,
            b.hooks_at_stop,
            b.watch_seconds
        ),
    );
    let md = format!(
        "## A busy emulator\n\n\
         An emulator of its own (a second LocalStack instance, deployment hooks on) and {} \
         pipelines pushed at once, each push followed by `push --watch` in a CLI process of its \
         own: {} of them end in a CodeDeploy deployment (EC2/on-premises, all at once) to an \
         instance of the emulator whose `ApplicationStart` hook runs for 6 s, the others build \
         for 6 s, and {} of the {} commits carry a `FAIL` file that fails their build \
         (`PIPEWRIGHT_EXHAUSTIVE=1` pushes {}). A warm-up round first, then the busy round: in \
         each, every watch ended as its commit deserved (exit 0 and `Succeeded`, or exit 1 and \
         `Failed`), and in the busy round at least {} deployment's hook ran while builds ran \
         (3 with `PIPEWRIGHT_EXHAUSTIVE=1`). Once the busy round's work was done, the emulator's \
         thread count was back to its baseline (taken after the warm-up round) and its memory \
         (RSS) at most {}% above it: the emulator's Python process keeps memory it grew to, so \
         the bound is a margin over a warmed-up baseline, and a leak per round exceeds it. Then \
         every pipeline was pushed again and the emulator stopped while builds and deployment \
         hooks ran: none of the processes it had started (every descendant, and its process \
         group, scanned in `/proc`) was left, and a `watch` of it ended with exit 1 and \
         `` {}: CAUSE ``. The test writes the slowest watch's time, the deployments seen in \
         flight, the emulator's threads and memory at baseline, peak and after, to \
         `target/tmp/figures/45-busy.txt`.\n",
        b.pipelines,
        b.deploying,
        b.failing,
        b.pipelines,
        crate::busy::PIPELINES_EXHAUSTIVE,
        1,
        b.rss_margin,
        b.watch_message
    );
    write("45-busy", &md);
}
