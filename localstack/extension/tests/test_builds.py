"""The build runner's pure parts: buildspec parsing and checks, artifact globs, report parsing."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipewright_localstack.builds import artifacts, buildspec, reports
from pipewright_localstack.builds.buildspec import BuildSpecError


def test_parses_phases_env_artifacts_and_reports():
    spec = buildspec.parse(
        """
version: 0.2
env:
  shell: bash
  variables: {STAGE: test, COUNT: 3, FLAG: yes}
  parameter-store: {TOKEN: /shop/token}
  secrets-manager: {PASSWORD: "db:password"}
  exported-variables: [VERSION]
phases:
  install:
    runtime-versions: {python: 3.12}
    commands: [echo install]
  build:
    on-failure: CONTINUE
    commands:
      - make
    finally:
      - echo done
artifacts:
  files: ['**/*']
  base-directory: out
  discard-paths: yes
  exclude-paths: ['**/*.tmp']
  secondary-artifacts:
    Docs: {files: [docs/*]}
reports:
  unit: {files: [unit.xml]}
  coverage: {files: [cov.xml], file-format: COBERTURAXML}
cache:
  paths: ['/root/.cargo/**/*']
"""
    )
    assert spec.shell == "bash"
    assert spec.variables == {"STAGE": "test", "COUNT": "3", "FLAG": "yes"}
    assert spec.parameter_store == {"TOKEN": "/shop/token"}
    assert spec.secrets_manager == {"PASSWORD": "db:password"}
    assert spec.exported_variables == ["VERSION"]
    assert spec.phases["build"].on_failure == "CONTINUE"
    assert spec.phases["build"].finally_ == ["echo done"]
    assert spec.artifacts.discard_paths and spec.artifacts.base_directory == "out"
    assert spec.artifacts.exclude_paths == ["**/*.tmp"]
    assert spec.secondary_artifacts["Docs"].files == ["docs/*"]
    assert [(r.name, r.kind) for r in spec.reports] == [
        ("unit", "TEST"),
        ("coverage", "CODE_COVERAGE"),
    ]
    # What the host cannot honour is collected, to be said in the log.
    assert any("runtime-versions" in u for u in spec.unused)
    assert any("cache" in u for u in spec.unused)


def test_json_on_one_line_is_a_buildspec():
    text = '{"version":"0.2","phases":{"build":{"commands":["echo hi"]}}}'
    assert buildspec.is_inline(text)
    assert buildspec.parse(text).phases["build"].commands == ["echo hi"]
    assert not buildspec.is_inline("ci/buildspec.yml")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("version: 0.2\nphases:\n  build:\n    commands:\n      - echo: [\n", "line"),
        ("phases: {}\n", "missing required version"),
        ("version: 0.3\n", "invalid buildspec version"),
        ("version: 0.2\nphases:\n  compile:\n    commands: [make]\n", "Unknown phase"),
        ("version: 0.2\nphases:\n  build:\n    commands:\n      - a: b\n", "string type"),
        ("version: 0.2\nphases:\n  build:\n    on-failure: RETRY_ALL\n", "on-failure"),
        ("version: 0.2\nartifacts:\n  base-directory: x\n", "files is required"),
        ("- just\n- a list\n", "map of keys"),
        ("version: 0.2\nreports:\n  r: {files: [a], file-format: XUNIT}\n", "file format"),
    ],
)
def test_malformed_buildspecs_are_refused_with_a_reason(text, fragment):
    with pytest.raises(BuildSpecError) as raised:
        buildspec.parse(text)
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    "pattern, path, expected",
    [
        ("**/*", "a/b/c.txt", True),
        ("**/*", "top.txt", True),
        ("*", "a/b.txt", False),
        ("*.txt", "b.txt", True),
        ("scripts/**/*", "scripts/start.sh", True),
        ("scripts/**/*", "scripts/x/y.sh", True),
        ("scripts/**/*", "other/start.sh", False),
        ("target/release/shop-api", "target/release/shop-api", True),
        ("./appspec.yml", "appspec.yml", True),
        ("src/*.rs", "src/a/b.rs", False),
        ("a?c", "abc", True),
    ],
)
def test_globs(pattern, path, expected):
    assert artifacts.matches(pattern, path) is expected


def _tree(root, names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


def test_collect_with_base_directory_exclusions_and_discarded_paths(tmp_path):
    _tree(tmp_path, ["out/app", "out/lib/x.so", "out/lib/x.tmp", "src/main.rs"])
    spec = buildspec.ArtifactSpec(files=["**/*"], base_directory="out", exclude_paths=["**/*.tmp"])
    assert [n for _, n in artifacts.collect(tmp_path, spec)] == ["app", "lib/x.so"]
    spec.discard_paths = True
    assert [n for _, n in artifacts.collect(tmp_path, spec)] == ["app", "x.so"]
    body = artifacts.zip_entries(artifacts.collect(tmp_path, spec))
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["app", "x.so"]


def test_collect_says_what_codebuild_says(tmp_path):
    _tree(tmp_path, ["a.txt"])
    with pytest.raises(artifacts.ArtifactError, match="no matching artifact paths found"):
        artifacts.collect(tmp_path, buildspec.ArtifactSpec(files=["*.jar"]))
    with pytest.raises(artifacts.ArtifactError, match="no matching base directory path found"):
        artifacts.collect(tmp_path, buildspec.ArtifactSpec(files=["*"], base_directory="dist"))


def test_extract_keeps_modes_and_refuses_escapes(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("bin/run.sh")
        info.external_attr = 0o755 << 16
        archive.writestr(info, "#!/bin/sh\n")
    artifacts.extract(buffer.getvalue(), tmp_path / "src")
    assert (tmp_path / "src/bin/run.sh").stat().st_mode & 0o777 == 0o755
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../escape", "x")
    with pytest.raises(artifacts.ArtifactError):
        artifacts.extract(evil.getvalue(), tmp_path / "src2")


JUNIT = """<?xml version="1.0"?>
<testsuites>
  <testsuite name="shop" tests="3">
    <testcase classname="shop::tests" name="ok" time="0.5"/>
    <testcase classname="shop::tests" name="bad" time="0.25"><failure message="boom"/></testcase>
    <testcase classname="shop::tests" name="later"><skipped/></testcase>
  </testsuite>
</testsuites>"""

COBERTURA = """<?xml version="1.0"?>
<coverage line-rate="0.5">
  <packages><package name="p"><classes>
    <class name="a" filename="src/a.rs"><lines>
      <line number="1" hits="3"/><line number="2" hits="0"/>
      <line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/>
    </lines></class>
    <class name="b" filename="src/b.rs"><lines><line number="1" hits="0"/></lines></class>
  </classes></package></packages>
</coverage>"""


def test_junit_cases_and_summary():
    cases = reports.parse_junit(JUNIT, "unit.xml")
    assert [(c["name"], c["status"]) for c in cases] == [
        ("ok", "SUCCEEDED"),
        ("bad", "FAILED"),
        ("later", "SKIPPED"),
    ]
    assert cases[1]["message"] == "boom" and cases[0]["prefix"] == "shop::tests"
    summary = reports.test_summary(cases)
    assert summary["total"] == 3
    assert summary["statusCounts"] == {"SUCCEEDED": 1, "FAILED": 1, "SKIPPED": 1}
    assert summary["durationInNanoSeconds"] == 750_000_000


def test_cobertura_per_file_and_summary():
    files = reports.parse_cobertura(COBERTURA)
    assert [(f["filePath"], f["linesCovered"], f["linesMissed"]) for f in files] == [
        ("src/a.rs", 2, 1),
        ("src/b.rs", 0, 1),
    ]
    assert files[0]["branchesCovered"] == 1 and files[0]["branchesMissed"] == 1
    summary = reports.coverage_summary(files)
    assert summary["linesCovered"] == 2 and summary["lineCoveragePercentage"] == 50.0


def test_report_files_that_are_not_reports_are_refused():
    with pytest.raises(reports.ReportError):
        reports.parse_junit("<html/>")
    with pytest.raises(reports.ReportError):
        reports.parse_cobertura("not xml")


def test_scalars_stay_the_text_they_are_written_as():
    # `- true` once became the command `yes`, which printed without end.
    spec = buildspec.parse(
        "version: 0.2\n"
        "env:\n  variables: {ON: true, OFF: no, N: 010, F: 1.50}\n"
        "phases:\n  build:\n    commands:\n      - true\n      - false\n"
    )
    assert spec.phases["build"].commands == ["true", "false"]
    assert spec.variables == {"ON": "true", "OFF": "no", "N": "010", "F": "1.50"}
