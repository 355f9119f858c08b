//! `RELIABILITY.md` sections, written by the tests that ran them (only once they passed) into
//! the target directory; `scripts/reliability` puts the sections together, and CI checks that
//! the committed file matches, so the report cannot go stale.

use std::path::PathBuf;

/// Where sections are written: `<target>/tmp/reliability/`.
pub(crate) fn section_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reliability")
}

/// Writes the section `name` (its file name orders it in the report).
pub(crate) fn write(name: &str, markdown: &str) {
    let dir = section_dir();
    std::fs::create_dir_all(&dir).expect("create the report directory");
    std::fs::write(dir.join(format!("{name}.md")), markdown).expect("write a report section");
}

/// Writes figures that depend on timing (requests, retries, seconds) for the section `name`
/// to `<target>/tmp/figures/NAME.txt`: for the person who ran the test, kept out of the
/// checked report, which must read the same on every run.
pub(crate) fn write_figures(name: &str, text: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("figures");
    std::fs::create_dir_all(&dir).expect("create the figures directory");
    std::fs::write(dir.join(format!("{name}.txt")), text).expect("write figures");
}
