//! Synthesis throughput: 1, 10, 100 and 1,000 copies of the reference pipeline in one app.
//!
//! Each size runs in its own child process (this binary re-executed) so that its peak memory
//! (VmHWM) is its own. Prints, per size, the median of five runs of building the model and of
//! synthesizing it (validate, expand, render every template to JSON), and the peak memory.
//!
//! `cargo bench --bench synth`

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use pipewright::model::App;

// The examples as the test tiers include them; only the reference is measured.
#[path = "../tests/support/examples.rs"]
#[allow(dead_code)]
mod examples;

use examples::reference;

const SIZES: [usize; 4] = [1, 10, 100, 1000];
const RUNS: usize = 5;
const CHILD: &str = "PIPEWRIGHT_BENCH_PIPELINES";

fn child(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut app = App::new("fleet")?;
    for i in 0..n {
        reference::add_reference(&mut app, &format!("svc{i:04}"))?;
    }
    let built = started.elapsed();
    let started = Instant::now();
    let templates = pipewright::synth::synthesize(&app)?;
    let bytes: usize = templates.iter().map(|t| t.to_json().len()).sum();
    let synthesized = started.elapsed();
    let status = std::fs::read_to_string("/proc/self/status")?;
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let resources: usize = templates.iter().map(|t| t.resource_count()).sum();
    writeln!(
        std::io::stdout().lock(),
        "{} {} {peak_kb} {} {resources} {bytes}",
        built.as_secs_f64(),
        synthesized.as_secs_f64(),
        templates.len()
    )?;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(n) = std::env::var(CHILD) {
        return child(n.parse()?);
    }
    let exe = std::env::current_exe()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "pipelines  build model  synthesize  peak memory  templates  resources  JSON bytes"
    )?;
    for n in SIZES {
        let mut build = Vec::new();
        let mut synth = Vec::new();
        let mut peak = Vec::new();
        let mut last = Vec::new();
        for _ in 0..RUNS {
            let output = Command::new(&exe).env(CHILD, n.to_string()).output()?;
            if !output.status.success() {
                return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
            }
            let line = String::from_utf8(output.stdout)?;
            let fields: Vec<f64> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()?;
            build.push(fields[0]);
            synth.push(fields[1]);
            peak.push(fields[2]);
            last = fields;
        }
        writeln!(
            out,
            "{n:>9}  {:>8.2} ms  {:>8.2} ms  {:>8.1} MB  {:>9}  {:>9}  {:>10}",
            median(build) * 1e3,
            median(synth) * 1e3,
            median(peak) / 1024.0,
            last[3],
            last[4],
            last[5]
        )?;
    }
    Ok(())
}
