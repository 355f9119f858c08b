//! CodeDeploy deployments in the bundled emulator: a `CodeDeployDefault.OneAtATime` deployment
//! to 1, 5 and 20 emulated EC2 instances (made with `local instances add`), hook scripts skipped
//! (the emulator's default), from `CreateDeployment` returning to `GetDeployment` saying
//! `Succeeded`, polled every 10 ms. Five deployments per count; the median and the maximum.
//!
//! Target on a 2-core machine: under 1 s for 5 instances.
//!
//! The emulator is the bundled LocalStack started for this run (in `.localstack/`, on a free
//! port, stopped when this process ends). `cargo bench --bench deployments`;
//! `PIPEWRIGHT_BENCH_INSTANCES=1,50` runs other counts. `cargo test --all-targets` runs it with
//! one instance and one deployment, as a check that it still works.

use std::error::Error;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    BundleType, DeploymentStatus, Ec2TagFilter, Ec2TagFilterType, RevisionLocation,
    RevisionLocationType, S3Location,
};
use pipewright::local::LocalOptions;
use pipewright::provider::aws::{ClientOptions, Clients};

const COUNTS: [usize; 3] = [1, 5, 20];
const RUNS: usize = 5;

fn emulator() -> LocalOptions {
    let pid = std::process::id();
    LocalOptions::default()
        .state_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"))
        .instance(format!("bench-deploy-{pid}"))
        .port(0)
        .owner_pid(pid)
        .timeout(Duration::from_secs(300))
        .show_progress(true)
}

/// A ZIP revision: an AppSpec with a file and a hook, made with Python's zipfile.
fn bundle() -> Result<Vec<u8>, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("pipewright-bench-deploy-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("root/scripts"))?;
    std::fs::write(
        dir.join("root/appspec.yml"),
        "version: 0.0\nos: linux\nfiles:\n  - source: app.txt\n    destination: /opt/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n",
    )?;
    std::fs::write(dir.join("root/app.txt"), "app")?;
    std::fs::write(dir.join("root/scripts/start.sh"), "#!/bin/sh\n")?;
    let python = std::env::var("PIPEWRIGHT_PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(python)
        .current_dir(dir.join("root"))
        .args([
            "-m",
            "zipfile",
            "-c",
            "../bundle.zip",
            "appspec.yml",
            "app.txt",
            "scripts",
        ])
        .status()?;
    if !status.success() {
        return Err("python3 -m zipfile failed".into());
    }
    let bytes = std::fs::read(dir.join("bundle.zip"))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(bytes)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let benching = std::env::args().any(|a| a == "--bench");
    let counts: Vec<usize> = match std::env::var("PIPEWRIGHT_BENCH_INSTANCES") {
        Ok(s) => s.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) if benching => COUNTS.to_vec(),
        Err(_) => vec![1],
    };
    let runs = if benching { RUNS } else { 1 };
    let started = tokio::task::spawn_blocking(|| emulator().start()).await??;
    let clients = Clients::load(&ClientOptions::local(started.endpoint())).await?;
    let cd = &clients.codedeploy;
    let stamp = std::process::id();
    let bucket = format!("bench-deploy-{stamp}");
    clients.s3.create_bucket().bucket(&bucket).send().await?;
    clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key("app.zip")
        .body(bundle()?.into())
        .send()
        .await?;
    let role = format!("arn:aws:iam::000000000000:role/bench-deploy-{stamp}");
    let mut out = std::io::stdout();
    writeln!(
        out,
        "instances  deployments  OneAtATime median  max      per instance"
    )?;
    for &n in &counts {
        let app = format!("bench-{stamp}-{n}");
        let tag = format!("Name={app}");
        let count = n.to_string();
        tokio::task::spawn_blocking(move || {
            emulator().instances(["add", "--tag", &tag, "--count", &count])
        })
        .await??;
        cd.create_application()
            .application_name(&app)
            .send()
            .await?;
        cd.create_deployment_group()
            .application_name(&app)
            .deployment_group_name("g")
            .service_role_arn(&role)
            .deployment_config_name("CodeDeployDefault.OneAtATime")
            .ec2_tag_filters(
                Ec2TagFilter::builder()
                    .key("Name")
                    .value(&app)
                    .r#type(Ec2TagFilterType::KeyAndValue)
                    .build(),
            )
            .send()
            .await?;
        let revision = RevisionLocation::builder()
            .revision_type(RevisionLocationType::S3)
            .s3_location(
                S3Location::builder()
                    .bucket(&bucket)
                    .key("app.zip")
                    .bundle_type(BundleType::Zip)
                    .build(),
            )
            .build();
        let mut times = Vec::new();
        for _ in 0..runs {
            let id = cd
                .create_deployment()
                .application_name(&app)
                .deployment_group_name("g")
                .revision(revision.clone())
                .send()
                .await?
                .deployment_id
                .ok_or("no deployment id")?;
            let created = Instant::now();
            let deadline = created + Duration::from_secs(120);
            loop {
                let info = cd.get_deployment().deployment_id(&id).send().await?;
                let status = info.deployment_info().and_then(|i| i.status()).cloned();
                match status {
                    Some(DeploymentStatus::Succeeded) => break,
                    Some(DeploymentStatus::Failed | DeploymentStatus::Stopped) => {
                        return Err(format!("deployment {id} ended {status:?}").into());
                    }
                    _ if Instant::now() > deadline => {
                        return Err(format!("deployment {id} did not end in 120 s").into());
                    }
                    _ => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            times.push(created.elapsed().as_secs_f64());
        }
        let max = times.iter().copied().fold(0.0, f64::max);
        let m = median(times);
        writeln!(
            out,
            "{n:>9}  {runs:>11}  {m:>15.3} s  {max:>6.3} s  {:>8.1} ms",
            m * 1000.0 / n as f64
        )?;
    }
    tokio::task::spawn_blocking(|| emulator().stop()).await??;
    Ok(())
}
