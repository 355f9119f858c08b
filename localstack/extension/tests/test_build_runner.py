"""The build runner on the host with fake services: phases, the one shell, stop and timeout."""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
import zipfile
from datetime import datetime, timezone

import pytest

from pipewright_localstack.builds import runner


class FakeServices:
    def __init__(self):
        self.objects: dict[tuple[str, str], bytes] = {}
        self.logs: list[str] = []
        self.parameters = {"/shop/token": "s3cret"}
        self.keys = {"alias/aws/s3"}

    def get_object(self, bucket, key):
        return self.objects[(bucket, key)]

    def put_object(self, bucket, key, body):
        self.objects[(bucket, key)] = body

    def kms_key_exists(self, key):
        return key in self.keys

    def codecommit_zip(self, location, version):
        raise LookupError("no repositories here")

    def parameter(self, name):
        if name not in self.parameters:
            raise runner.VariableError(
                "Decrypted Variables Error", f"parameter does not exist: {name}"
            )
        return self.parameters[name]

    def secret(self, reference):
        raise runner.VariableError("Secrets Manager Error", "not found")

    def put_log_events(self, group, stream, events):
        self.logs.extend(e["message"] for e in events)

    def save_reports(self, build, reports):
        return []


def make_build(tmp_path, buildspec, *, outputs=(), variables=(), timeout=60.0, project_env=()):
    build_id = f"proj:{uuid.uuid4()}"
    doc = {
        "id": build_id,
        "arn": f"arn:aws:codebuild:us-east-1:000000000000:build/{build_id}",
        "buildNumber": 1,
        "startTime": datetime.now(tz=timezone.utc),
        "phases": [],
        "environment": {"image": "aws/codebuild/standard:7.0"},
        "logs": {"groupName": "/aws/codebuild/proj", "streamName": build_id.split(":")[1]},
    }
    return runner.Build(
        id=build_id,
        doc=doc,
        account_id="000000000000",
        region="us-east-1",
        project={
            "source": {"type": "NO_SOURCE", "buildspec": buildspec},
            "environment": {"environmentVariables": list(project_env)},
        },
        sources=[{"identifier": None, "type": "NO_SOURCE"}],
        outputs=list(outputs),
        variables=list(variables),
        buildspec_override=None,
        timeout_seconds=timeout,
        endpoint="http://127.0.0.1:1",
        root=tmp_path / "build",
    )


def run(build, services=None):
    services = services or FakeServices()
    runner.Runner(build, services).run()
    return services


def phases(build):
    return {p["phaseType"]: p.get("phaseStatus") for p in build.doc["phases"]}


def test_cd_and_export_carry_over_and_the_environment_is_made_from_scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    build = make_build(
        tmp_path,
        """version: 0.2
env:
  exported-variables: [WHERE, GREETING]
phases:
  install:
    commands:
      - mkdir -p deep/er && cd deep/er
      - export GREETING=hello
  build:
    commands:
      - WHERE=$(pwd); echo "at $WHERE $GREETING"
      - echo "secret=${AWS_SECRET_ACCESS_KEY} home=$HOME"
      - echo to-stderr >&2
""",
    )
    services = run(build)
    assert build.doc["buildStatus"] == "SUCCEEDED", services.logs
    src = str(tmp_path / "build" / "src")
    assert f"at {src}/deep/er hello" in services.logs
    assert f"secret=test home={tmp_path / 'build' / 'home'}" in services.logs
    assert "to-stderr" in services.logs
    exported = {v["name"]: v["value"] for v in build.doc["exportedEnvironmentVariables"]}
    assert exported == {"WHERE": f"{src}/deep/er", "GREETING": "hello"}
    # The workspace is removed once the build ended.
    assert not (tmp_path / "build").exists()


def test_failing_pre_build_skips_build_and_upload(tmp_path):
    build = make_build(
        tmp_path,
        """version: 0.2
phases:
  pre_build:
    commands: [echo pre, "false", echo never]
    finally: [echo cleanup]
  build:
    commands: [echo built]
""",
    )
    services = run(build)
    assert build.doc["buildStatus"] == "FAILED"
    assert list(phases(build)) == [
        "SUBMITTED",
        "QUEUED",
        "PROVISIONING",
        "DOWNLOAD_SOURCE",
        "INSTALL",
        "PRE_BUILD",
        "FINALIZING",
        "COMPLETED",
    ]
    failed = next(p for p in build.doc["phases"] if p["phaseType"] == "PRE_BUILD")
    assert failed["phaseStatus"] == "FAILED"
    assert failed["contexts"] == [
        {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: false. Reason: exit status 1",
        }
    ]
    assert "cleanup" in services.logs and "never" not in services.logs
    assert "built" not in services.logs


def test_failing_build_runs_post_build_with_succeeding_0_and_uploads(tmp_path):
    build = make_build(
        tmp_path,
        """version: 0.2
phases:
  build:
    commands: [echo out > out.txt, exit 3]
  post_build:
    commands: ['echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"']
artifacts:
  files: [out.txt]
""",
        outputs=[{"identifier": None, "primary": True, "bucket": "b", "key": "k"}],
    )
    services = run(build)
    assert build.doc["buildStatus"] == "FAILED"
    assert phases(build)["POST_BUILD"] == "SUCCEEDED"
    assert phases(build)["UPLOAD_ARTIFACTS"] == "SUCCEEDED"
    assert "succeeding=0" in services.logs
    names = zipfile.ZipFile(io.BytesIO(services.objects[("b", "k")])).namelist()
    assert names == ["out.txt"]


def test_on_failure_continue_goes_on_and_the_build_still_fails(tmp_path):
    build = make_build(
        tmp_path,
        """version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands: ["false"]
  build:
    commands: ['echo "build ran $CODEBUILD_BUILD_SUCCEEDING"']
""",
    )
    services = run(build)
    assert "build ran 0" in services.logs
    assert build.doc["buildStatus"] == "FAILED"


def test_variable_precedence_and_a_missing_parameter(tmp_path):
    spec = """version: 0.2
env:
  variables: {A: spec, B: spec, C: spec}
  parameter-store: {TOKEN: /shop/token}
phases:
  build:
    commands: ['echo "$A $B $C $TOKEN"']
"""
    build = make_build(
        tmp_path,
        spec,
        project_env=[{"name": "B", "value": "project"}, {"name": "C", "value": "project"}],
        variables=[{"name": "C", "value": "start", "type": "PLAINTEXT"}],
    )
    services = run(build)
    # A PARAMETER_STORE value is masked in the log, as CodeBuild masks it.
    assert "spec project start ***" in services.logs
    assert not any("s3cret" in line for line in services.logs)
    missing = make_build(tmp_path, spec.replace("/shop/token", "/nope"))
    run(missing)
    assert missing.doc["buildStatus"] == "FAILED"
    download = next(p for p in missing.doc["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")
    assert download["contexts"][0]["message"] == "parameter does not exist: /nope"


def test_malformed_buildspec_fails_download_source(tmp_path):
    build = make_build(tmp_path, "version: 0.2\nphases:\n  build:\n    commands:\n  - [unclosed\n")
    run(build)
    download = next(p for p in build.doc["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    assert download["contexts"][0]["statusCode"] == "YAML_FILE_ERROR"
    assert "INSTALL" not in phases(build)


def _alive(marker):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    return True
        except OSError:
            pass
    return False


@pytest.mark.parametrize("how", ["timeout", "stop"])
def test_timeout_and_stop_kill_the_whole_process_group(tmp_path, how):
    marker = f"pwtest{uuid.uuid4().hex[:8]}"
    # A background sleeper and a foreground one, both named by the marker (exec -a).
    spec = f"""version: 0.2
env:
  shell: bash
phases:
  build:
    commands:
      - (exec -a {marker} sleep 300) &
      - exec -a {marker} sleep 300
"""
    build = make_build(tmp_path, spec, timeout=1.5 if how == "timeout" else 60)
    thread = threading.Thread(target=run, args=(build,))
    thread.start()
    deadline = time.monotonic() + 10
    while not _alive(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(marker)
    if how == "stop":
        build.stop()
    thread.join(15)
    assert not thread.is_alive()
    assert build.doc["buildStatus"] == ("TIMED_OUT" if how == "timeout" else "STOPPED")
    entry = next(p for p in build.doc["phases"] if p["phaseType"] == "BUILD")
    assert entry["phaseStatus"] == build.doc["buildStatus"]
    time.sleep(0.2)
    assert not _alive(marker)


class SecretServices(FakeServices):
    def __init__(self):
        super().__init__()
        self.parameters["/shop/db"] = "hunter2-db-password"

    def secret(self, reference):
        if reference == "shop/pem":
            return "-----BEGIN KEY-----\nline-one-of-the-key\nline-two-of-the-key\n-----END KEY-"
        return super().secret(reference)


def test_parameter_store_and_secrets_manager_values_are_masked_everywhere_in_the_log(tmp_path):
    spec = """version: 0.2
env:
  variables: {PLAIN: visible-plain-value}
  parameter-store: {TOKEN: /shop/token}
  secrets-manager: {PEM: shop/pem}
phases:
  build:
    commands:
      - echo "token=$TOKEN plain=$PLAIN db=$DB"
      - echo "s3cret typed in a command"
      - printf '%s\\n' "$PEM"
      - env
      - echo "key AKIAIOSFODNN7EXAMPLE and ASIAABCDEFGHIJKLMNOP here"
"""
    build = make_build(
        tmp_path, spec, project_env=[{"name": "DB", "value": "/shop/db", "type": "PARAMETER_STORE"}]
    )
    services = run(build, SecretServices())
    assert build.doc["buildStatus"] == "SUCCEEDED", services.logs
    text = "\n".join(services.logs)
    for secret in ("s3cret", "hunter2-db-password", "line-one-of-the-key", "line-two-of-the-key"):
        assert secret not in text, secret
    for key in ("AKIAIOSFODNN7EXAMPLE", "ASIAABCDEFGHIJKLMNOP"):
        assert key not in text
    assert "token=*** plain=visible-plain-value db=***" in services.logs
    # Masking is textual, as CodeBuild's: the command line itself is masked too.
    command = 'Running command echo "*** typed in a command"'
    assert any(line.endswith(command) for line in services.logs)
    assert "*** typed in a command" in services.logs
    assert "TOKEN=***" in services.logs and "DB=***" in services.logs
    assert "PLAIN=visible-plain-value" in services.logs
    assert "key *** and *** here" in services.logs
    # The build itself still saw the real values.
    assert build.doc["buildStatus"] == "SUCCEEDED"


def test_masking_keeps_short_lines_of_a_secret_and_an_empty_value_masks_nothing():
    assert runner.secret_fragments("") == []
    assert runner.secret_fragments('{\n  "a": "bcd"\n}') == [
        '{\n  "a": "bcd"\n}',
        '"a": "bcd"',
    ]
    assert runner.mask("x secret-long y secret", ["secret-long", "secret"]) == "x *** y ***"


def test_an_endless_printer_stops_being_stored_at_the_cap_and_the_build_goes_on(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(runner, "LOG_LIMIT_BYTES", 64 * 1024)
    spec = """version: 0.2
phases:
  build:
    commands:
      - i=0; while [ $i -lt 20000 ]; do echo "line $i of a noisy build"; i=$((i+1)); done
      - echo after-the-flood
"""
    build = make_build(tmp_path, spec)
    services = run(build)
    assert build.doc["buildStatus"] == "SUCCEEDED", services.logs[-5:]
    stored = sum(len(line.encode()) for line in services.logs[:-1])
    assert stored <= 64 * 1024
    capped = [line for line in services.logs if "the rest of its output is not stored" in line]
    assert len(capped) == 1, capped
    assert "65536 bytes" in capped[0]
    assert services.logs[-1] == capped[0]  # nothing stored after it, phase lines included
    assert "after-the-flood" not in services.logs
    assert any("line 100 of a noisy build" in line for line in services.logs)


def test_the_host_toolchain_reaches_a_build_through_links_in_its_own_folder(tmp_path, monkeypatch):
    # A toolchain outside the build's folder, as the host's ~/.rustup one is.
    host = tmp_path / "host-home" / ".rustup" / "toolchains" / "stable" / "bin"
    host.mkdir(parents=True)
    for name in ("cargo", "rustc"):
        tool = host / name
        tool.write_text(f'#!/bin/sh\necho {name}-ran "$@"\n')
        tool.chmod(0o755)
    monkeypatch.setattr(runner, "_TOOLCHAIN", sorted(host.iterdir()))
    build = make_build(
        tmp_path,
        """version: 0.2
phases:
  build:
    commands:
      - cargo build --release
      - rustc --version
      - echo "path=$PATH"
""",
    )
    root = tmp_path / "build"
    services = run(build)
    assert build.doc["buildStatus"] == "SUCCEEDED", services.logs
    assert "cargo-ran build --release" in services.logs
    assert "rustc-ran --version" in services.logs
    links = root / "toolchain" / "bin"
    assert f"path={':'.join(runner.SYSTEM_PATH)}:{links}" in services.logs
    # Neither the log nor the environment names the host's folder.
    assert not [line for line in services.logs if "host-home" in line], services.logs
    assert any(f"linked in {links}" in line for line in services.logs), services.logs
    # The links went with the build's folder; what they pointed to is untouched.
    assert not root.exists()
    assert sorted(p.name for p in host.iterdir()) == ["cargo", "rustc"]


MISSING_KEY = "arn:aws:kms:us-east-1:000000000000:key/0000aaaa-00aa-00aa-00aa-000000000000"
UPLOADS = """version: 0.2
phases:
  build:
    commands: [echo out > out.txt]
artifacts:
  files: [out.txt]
"""


def test_artifacts_under_a_key_that_does_not_exist_fail_the_upload(tmp_path):
    output = {"identifier": None, "primary": True, "bucket": "b", "key": "k"}
    build = make_build(tmp_path, UPLOADS, outputs=[output])
    build.doc["encryptionKey"] = MISSING_KEY
    services = run(build)
    upload = next(p for p in build.doc["phases"] if p["phaseType"] == "UPLOAD_ARTIFACTS")
    assert upload["phaseStatus"] == "FAILED"
    assert upload["contexts"] == [
        {
            "statusCode": "CLIENT_ERROR",
            "message": f"KMS.NotFoundException: Key '{MISSING_KEY}' does not exist",
        }
    ]
    assert build.doc["buildStatus"] == "FAILED"
    assert services.objects == {}


def test_artifacts_under_the_managed_key_or_unencrypted_are_uploaded(tmp_path):
    build = make_build(
        tmp_path / "managed",
        UPLOADS,
        outputs=[{"identifier": None, "primary": True, "bucket": "b", "key": "k"}],
    )
    build.doc["encryptionKey"] = "arn:aws:kms:us-east-1:000000000000:alias/aws/s3"
    services = FakeServices()
    services.keys.add(build.doc["encryptionKey"])
    assert ("b", "k") in run(build, services).objects
    plain = make_build(
        tmp_path / "plain",
        UPLOADS,
        outputs=[
            {
                "identifier": None,
                "primary": True,
                "bucket": "b",
                "key": "k",
                "encryptionDisabled": True,
            }
        ],
    )
    plain.doc["encryptionKey"] = MISSING_KEY
    assert ("b", "k") in run(plain).objects
