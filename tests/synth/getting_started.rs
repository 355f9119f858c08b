//! The README's getting-started section, built as the separate crate a newcomer makes from it,
//! so that the section cannot rot.
//!
//! Convention: a fenced code block of README.md that a newcomer copies is preceded by an HTML
//! comment (invisible once rendered):
//!
//! - `<!-- getting-started: file PATH -->`: the block is the file `PATH` of the new crate;
//! - `<!-- getting-started: synth output -->`: the block is exactly what `synth` prints there.
//!
//! The test writes the files into a fresh directory, points the `pipewright` dependency at this
//! checkout (`pipewright = { path = ... }`, the README's third way to depend on it), copies this
//! checkout's `Cargo.lock` (the versions pipewright is tested with) and builds with
//! `cargo build --offline`, reusing this checkout's target directory: only pipewright itself and
//! the little crate compile. To reuse the dependencies already compiled here, the manifest gets
//! this checkout's own dev profile for dependencies (no debug info), which changes nothing the
//! newcomer sees. Then it runs the program's `synth` in that directory and compares what it
//! prints, and the files it writes, with the README.

use std::path::{Path, PathBuf};
use std::process::Command;

const MARK: &str = "<!-- getting-started: ";

/// The marked blocks of `readme`: (what the marker says, the block's text).
fn marked_blocks(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim().strip_prefix(MARK) else {
            continue;
        };
        let what = rest.trim_end_matches("-->").trim().to_owned();
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "the marker {what:?} must be followed by a fenced block, found {fence:?}"
        );
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push((what, body));
    }
    out
}

/// The manifest as the README gives it, with the pipewright dependency pointed at `checkout`.
fn local_manifest(readme_manifest: &str, checkout: &Path) -> String {
    let mut replaced = 0;
    let mut out = String::new();
    for line in readme_manifest.lines() {
        if line.trim_start().starts_with("pipewright =") {
            replaced += 1;
            out.push_str(&format!("pipewright = {{ path = {:?} }}\n", checkout));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(replaced, 1, "the README's Cargo.toml names pipewright once");
    out.push_str("\n[profile.dev.package.\"*\"]\ndebug = false\n");
    out
}

#[test]
fn readme_getting_started_builds_and_synthesizes_as_its_own_crate() {
    let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(checkout.join("README.md")).expect("README.md");
    let blocks = marked_blocks(&readme);
    let file = |path: &str| {
        blocks
            .iter()
            .find(|(what, _)| what == &format!("file {path}"))
            .map(|(_, body)| body.clone())
            .unwrap_or_else(|| panic!("the README has no block marked `file {path}`"))
    };
    let expected_output = blocks
        .iter()
        .find(|(what, _)| what == "synth output")
        .map(|(_, body)| body.clone())
        .expect("the README shows the output of synth");

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("getting-started");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("crate directory");
    let manifest = file("Cargo.toml");
    std::fs::write(dir.join("Cargo.toml"), local_manifest(&manifest, &checkout))
        .expect("write Cargo.toml");
    std::fs::write(dir.join("src/main.rs"), file("src/main.rs")).expect("write main.rs");
    std::fs::copy(checkout.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");

    // The target directory this test binary was built into (target/debug/deps/synth-…).
    let target = std::env::current_exe()
        .expect("test binary")
        .ancestors()
        .nth(3)
        .expect("target directory")
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo build");
    assert!(
        build.status.success(),
        "the getting-started crate does not build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let name = manifest
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .map(|n| n.trim_matches('"').to_owned())
        .expect("the package name");
    let bin = target.join("debug").join(&name);
    let synth = Command::new(&bin)
        .arg("synth")
        .current_dir(&dir)
        .output()
        .expect("run synth");
    assert!(
        synth.status.success(),
        "synth failed:\n{}",
        String::from_utf8_lossy(&synth.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&synth.stdout), expected_output);

    // Every file it says it wrote is there, and the template is a template of the app.
    for line in expected_output.lines() {
        let path = line
            .strip_prefix("wrote ")
            .and_then(|l| l.split(" (").next())
            .expect("a `wrote PATH (...)` line");
        assert!(dir.join(path).is_file(), "{path} was not written");
    }
    let template: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("pipewright.out/{name}.template.json")))
            .expect("template"),
    )
    .expect("the template is JSON");
    let resources = template["Resources"].as_object().expect("resources");
    for id in ["RepoLedger", "ProjectLedgerUnitTests", "PipelineLedger"] {
        assert!(
            resources.contains_key(id),
            "the README names {id}: {resources:?}"
        );
    }
    let names: Vec<&str> = resources
        .values()
        .filter_map(|r| r["Properties"]["RoleName"]["Fn::Sub"].as_str())
        .collect();
    for role in [
        "ledger-build-unit-tests-${AWS::Region}",
        "ledger-pipeline-${AWS::Region}",
        "ledger-events-${AWS::Region}",
    ] {
        assert!(
            names.contains(&role),
            "the README names role {role}: {names:?}"
        );
    }
    let rules: Vec<&str> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Events::Rule")
        .filter_map(|r| r["Properties"]["Name"].as_str())
        .collect();
    assert_eq!(rules, ["ledger-Checkout"], "the README names the rule");
    let _ = std::fs::remove_dir_all(&dir);
}
