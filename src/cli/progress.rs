//! How `apply` and `destroy` show what the engine does: a line per finished step as its events
//! arrive, on a terminal a live line of the calls in flight, and the report at the end.
//!
//! Every rendering of an [`Event`] or an outcome is here, so a change to those types touches this
//! file only.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use super::error::{CliError, Exit};
use crate::engine::{self, ApplyOptions, Event, EventKind, EventResource, Plan, Report, Status};
use crate::provider::api::{Provider, kind_word};

/// Runs the plan, printing one line per finished step (`[n/total]`, `total` from
/// [`engine::step_count`]) as the engine's events arrive; with `live`, a last line redrawn in
/// place shows what is in flight.
pub(super) async fn run(
    plan: &Plan,
    provider: &Arc<dyn Provider>,
    options: ApplyOptions,
    total: usize,
    live: bool,
    err: &mut dyn Write,
) -> Report {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let options = options.on_event(move |e| {
        // The receiver lives until the run ends; a send can only fail after that.
        let _ = tx.send(e.clone());
    });
    let started = Instant::now();
    let run = async move {
        let report = engine::apply(plan, provider, &options).await;
        // Dropping the options drops the sender, which ends the rendering loop.
        drop(options);
        report
    };
    let render = async {
        let mut finished = 0usize;
        let mut in_flight = InFlight::default();
        while let Some(event) = rx.recv().await {
            if live {
                // Erase the live line before anything is written over it.
                let _ = write!(err, "\r\x1b[2K");
                in_flight.track(&event);
            }
            if let Some(line) = progress_line(&event, &mut finished, total, started) {
                let _ = writeln!(err, "{line}");
            }
            if live {
                let _ = write!(err, "{}", in_flight.line(started));
                let _ = err.flush();
            }
        }
        if live {
            let _ = write!(err, "\r\x1b[2K");
        }
    };
    let (report, ()) = tokio::join!(run, render);
    report
}

/// The calls in flight, for the live line.
#[derive(Default)]
struct InFlight(Vec<(String, String)>);

impl InFlight {
    fn track(&mut self, event: &Event) {
        use crate::provider::api::Operation;
        let EventResource {
            id,
            kind,
            physical_name,
        } = &event.resource;
        match &event.what {
            EventKind::Started { operation } if *operation != Operation::Read => {
                let label = format!("{} {} \"{physical_name}\"", operation, kind_word(*kind));
                self.0
                    .push((format!("{id}/{physical_name}/{operation:?}"), label));
            }
            EventKind::Succeeded { operation, .. } | EventKind::Failed { operation, .. } => {
                let key = format!("{id}/{physical_name}/{operation:?}");
                self.0.retain(|(k, _)| *k != key);
            }
            _ => {}
        }
    }

    /// `  12.3s … 3 in flight: create role "a", create bucket "b", …`, at most 120 characters.
    fn line(&self, started: Instant) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = self.0.iter().map(|(_, l)| l.as_str()).collect();
        let line = format!(
            "{:>6.1}s … {} in flight: {}",
            started.elapsed().as_secs_f64(),
            names.len(),
            names.join(", ")
        );
        if line.chars().count() <= 120 {
            return line;
        }
        let cut: String = line.chars().take(119).collect();
        format!("{cut}…")
    }
}

fn progress_line(
    event: &Event,
    finished: &mut usize,
    total: usize,
    started: Instant,
) -> Option<String> {
    let clock = format!("{:>6.1}s", started.elapsed().as_secs_f64());
    let EventResource {
        id,
        kind,
        physical_name,
    } = &event.resource;
    match &event.what {
        EventKind::Succeeded {
            operation,
            elapsed_ms,
        } => {
            if matches!(operation, crate::provider::api::Operation::Read) {
                return None;
            }
            *finished += 1;
            Some(format!(
                "{clock} [{finished}/{total}] ✓ {} {} \"{physical_name}\" ({id}) in {:.1}s",
                operation,
                kind_word(*kind),
                *elapsed_ms as f64 / 1000.0
            ))
        }
        EventKind::Retrying {
            operation,
            attempt,
            delay_ms,
            error,
        } => Some(format!(
            "{clock}         … {} {} \"{physical_name}\": {} (attempt {attempt}, again in {:.1}s)",
            operation,
            kind_word(*kind),
            error.code,
            *delay_ms as f64 / 1000.0
        )),
        EventKind::Failed { operation, error } => {
            *finished += 1;
            Some(format!(
                "{clock} [{finished}/{total}] ✗ {} {} \"{physical_name}\" ({id}) failed: {error}",
                operation,
                kind_word(*kind)
            ))
        }
        EventKind::Skipped { reason } => {
            *finished += 1;
            Some(format!(
                "{clock} [{finished}/{total}] - skipped {} \"{physical_name}\" ({id}): {reason}",
                kind_word(*kind)
            ))
        }
        // Starts show on the live line only.
        _ => None,
    }
}

/// Prints the summary of `verb`'s run on `out`; exit 0 when everything is done, else an error that
/// lists what failed and what conflicts.
///
/// The summary counts in the progress lines' unit first (`steps`, a replacement taking two), then
/// in resources: `apply: 4 steps on 1 resource: 1 done, 0 failed, 0 skipped in 1.2s`.
pub(super) fn report(report: &Report, verb: &str, steps: usize, out: &mut dyn Write) -> Exit {
    let resources = report
        .outcomes
        .iter()
        .filter(|o| o.change != crate::engine::ChangeKind::NoOp)
        .count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "{verb}: {} on {}: {report} in {:.1}s",
        plural(steps, "step"),
        plural(resources, "resource"),
        report.elapsed_ms as f64 / 1000.0
    );
    if report.succeeded() {
        return Ok(0);
    }
    let mut lines = Vec::new();
    for o in &report.outcomes {
        let what = format!("{} \"{}\" ({})", kind_word(o.kind), o.physical_name, o.id);
        match &o.status {
            Status::Failed { operation, error } => lines.push(format!(
                "error: {what}: {} failed with {}: {}",
                operation, error.code, error.message
            )),
            Status::Conflict { message } => lines.push(format!("conflict: {message}")),
            _ => {}
        }
    }
    let failed = report
        .outcomes
        .iter()
        .any(|o| matches!(o.status, Status::Failed { .. }));
    lines.push(if failed {
        format!(
            "{verb} did not finish: fix what failed and run `{verb}` again; it picks up from what AWS has now"
        )
    } else {
        format!(
            "{verb} did not finish: it stopped short of resources it does not own; resolve each \
             conflict as it says (nothing of theirs was changed), then run `{verb}` again"
        )
    });
    Err(CliError::lines(lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResourceKind;
    use crate::provider::api::Operation;

    fn started(id: &str, operation: Operation) -> Event {
        Event::new(
            EventResource::new(id, ResourceKind::Role, id.to_lowercase()),
            EventKind::Started { operation },
        )
    }

    #[test]
    fn the_live_line_shows_the_calls_in_flight_and_stays_short() {
        let clock = Instant::now();
        let mut f = InFlight::default();
        f.track(&started("A", Operation::Create));
        f.track(&started("B", Operation::Delete));
        f.track(&started("C", Operation::Read));
        let line = f.line(clock);
        assert!(
            line.ends_with("… 2 in flight: create role \"a\", delete role \"b\""),
            "{line}"
        );
        f.track(&Event::new(
            EventResource::new("A", ResourceKind::Role, "a"),
            EventKind::Succeeded {
                operation: Operation::Create,
                elapsed_ms: 5,
            },
        ));
        assert!(f.line(clock).ends_with("1 in flight: delete role \"b\""));
        for i in 0..20 {
            f.track(&started(&format!("R{i}"), Operation::Update));
        }
        let line = f.line(clock);
        assert_eq!(line.chars().count(), 120, "{line}");
        assert!(line.ends_with('…'));
        f.track(&Event::new(
            EventResource::new("B", ResourceKind::Role, "b"),
            EventKind::Failed {
                operation: Operation::Delete,
                error: crate::provider::api::ProviderError::other("X", "y"),
            },
        ));
        assert!(!f.line(clock).contains("delete role"));
    }
}
