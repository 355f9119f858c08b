//! Embeds the bundled LocalStack (launcher, pinned requirements, extension sources) into the crate,
//! so that any program depending on pipewright can start the same emulator without this repository.

use std::{
    env, fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

/// Files of `localstack/` that make up the bundle; the shell wrappers are for this repository only.
const ROOT_FILES: &[&str] = &["launcher.py", "requirements.lock"];
/// Extension files worth shipping; build outputs and caches are left behind.
/// Keep in step with `include` in Cargo.toml, which ships the same suffixes in the package.
const SHIPPED_SUFFIXES: &[&str] = &[".py", ".toml", ".cfg", ".txt", ".json"];
/// Build outputs, caches and the extension's own tests (run from this repository only).
const SKIPPED_DIRS: &[&str] = &["__pycache__", "build", "dist", "tests", "emulator_tests"];

fn main() -> io::Result<()> {
    let manifest =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("localstack");
    println!("cargo::rerun-if-changed=localstack");

    let mut files = Vec::new();
    for name in ROOT_FILES {
        files.push((name.to_string(), root.join(name)));
    }
    collect(&root, &root.join("extension"), &mut files)?;
    files.sort();

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("localstack_bundle.rs");
    let mut code = Vec::new();
    writeln!(
        code,
        "/// Every file of the bundled LocalStack: path relative to the bundle root, contents."
    )?;
    writeln!(code, "pub(crate) static BUNDLE: &[(&str, &[u8])] = &[")?;
    for (rel, path) in &files {
        if !path.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("bundle file missing: {}", path.display()),
            ));
        }
        writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            path.display().to_string()
        )?;
    }
    writeln!(code, "];")?;
    // A new file renamed over the old one, never a rewrite in place: a target dir copied with
    // hard links (or read by a build running at the same time) keeps its own bundle.
    let partial = out.with_extension("rs.partial");
    fs::write(&partial, code)?;
    fs::rename(partial, out)
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) && !name.ends_with(".egg-info") {
                collect(root, &path, files)?;
            }
        } else if SHIPPED_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            let rel = path
                .strip_prefix(root)
                .expect("walked below root")
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, path));
        }
    }
    Ok(())
}
