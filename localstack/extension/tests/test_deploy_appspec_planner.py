"""The AppSpec checks and the batch planning of Server deployments (``deployments.appspec``,
``deployments.planner``): pure, so tested here without LocalStack."""

from __future__ import annotations

import pytest

from pipewright_localstack.deployments import appspec, planner

GOOD = """
version: 0.0
os: linux
files:
  - source: target/release/shop-api
    destination: /opt/shop-api
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 60
  ApplicationStart:
    - location: scripts/start.sh
"""


def test_a_good_appspec_parses_with_the_agents_defaults():
    spec = appspec.parse(GOOD)
    assert spec.os == "linux"
    assert spec.files == (appspec.FileMapping("target/release/shop-api", "/opt/shop-api"),)
    assert spec.hooks["ApplicationStop"][0].timeout == 60
    assert spec.hooks["ApplicationStart"][0].timeout == 3600  # the agent's default


@pytest.mark.parametrize(
    "text, words",
    [
        ("version: 1.0\nos: linux\n", "invalid version value (1.0)"),
        ('version: "0.0"\nos: linux\n', "invalid version value (0.0)"),
        ("os: linux\n", "invalid version value ()"),
        ("version: 0.0\nos: macos\n", "unsupported operating system (macos)"),
        ("version: 0.0\nos: linux\nfiles:\n  - destination: /x\n", "no source file"),
        ("version: 0.0\nos: linux\nfiles:\n  - source: a\n", "only a source file (a)"),
        (
            "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - timeout: 5\n",
            "a script with no location value",
        ),
        (
            "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: a.sh\n"
            "      timeout: 0\n",
            "invalid timeout value",
        ),
        ("version: 0.0\nos: linux\npermissions:\n  - owner: x\n", "has no object value"),
        ("version: 0.0\nos: [linux\n", "(<unknown>): "),
    ],
)
def test_each_invalid_appspec_fails_with_the_agents_message(text, words):
    with pytest.raises(appspec.AppSpecError) as failure:
        appspec.parse(text)
    assert words in str(failure.value)


def test_a_revision_without_appspec_names_where_it_looked(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "appspec.yml").write_text(GOOD)  # not at the root: not found
    with pytest.raises(appspec.AppSpecError) as failure:
        appspec.find(tmp_path)
    message = str(failure.value)
    assert message.startswith("The CodeDeploy agent did not find an AppSpec file")
    assert f'"{tmp_path / "appspec.yml"}"' in message


def test_appspec_yaml_is_found_too(tmp_path):
    (tmp_path / "appspec.yaml").write_text(GOOD)
    assert appspec.find(tmp_path) == tmp_path / "appspec.yaml"


def test_missing_file_sources_are_named(tmp_path):
    spec = appspec.parse(GOOD)
    (tmp_path / "target" / "release").mkdir(parents=True)
    assert appspec.missing_sources(spec, tmp_path) == [str(tmp_path / "target/release/shop-api")]
    (tmp_path / "target/release/shop-api").write_text("binary")
    assert appspec.missing_sources(spec, tmp_path) == []


@pytest.mark.parametrize(
    "total, hosts, batch, minimum",
    [
        (1, {"type": "MOST_CONCURRENCY", "value": 1}, 1, 0),
        (5, {"type": "MOST_CONCURRENCY", "value": 1}, 1, 4),
        (1, {"type": "FLEET_PERCENT", "value": 50}, 1, 1),
        (2, {"type": "FLEET_PERCENT", "value": 50}, 1, 1),
        (5, {"type": "FLEET_PERCENT", "value": 50}, 2, 3),  # half rounded down at once
        (9, {"type": "HOST_COUNT", "value": 6}, 3, 6),  # the guide's example
        (4, {"type": "FLEET_PERCENT", "value": 0}, 4, 0),
        (3, {"type": "FLEET_PERCENT", "value": 34}, 1, 2),  # 1.02 rounds up
    ],
)
def test_batches_follow_the_minimum_healthy_hosts(total, hosts, batch, minimum):
    plan = planner.plan(total, hosts)
    assert (plan.batch_size, plan.min_healthy) == (batch, minimum)
    ids = [f"i-{n}" for n in range(total)]
    batches = plan.batches(ids)
    assert [i for b in batches for i in b] == ids
    assert max(len(b) for b in batches) == batch


def test_one_at_a_time_fails_at_the_first_failure_but_not_the_last():
    plan = planner.plan(3, {"type": "MOST_CONCURRENCY", "value": 1})
    assert not plan.may_start(failed=1, batch=1)  # the first failed: the rest are skipped
    assert plan.succeeded(2)  # only the last one failed
    assert not plan.succeeded(1)
    single = planner.plan(1, {"type": "MOST_CONCURRENCY", "value": 1})
    assert not single.succeeded(0) and single.succeeded(1)


def test_half_and_all_at_once_need_their_share():
    half = planner.plan(4, {"type": "FLEET_PERCENT", "value": 50})
    assert half.succeeded(2) and not half.succeeded(1)
    assert half.may_start(failed=0, batch=2)
    assert not half.may_start(failed=1, batch=2)
    everything = planner.plan(3, {"type": "FLEET_PERCENT", "value": 0})
    assert everything.succeeded(1) and not everything.succeeded(0)


def test_a_minimum_that_can_never_hold_is_refused():
    with pytest.raises(planner.HealthConstraintsInvalid):
        planner.plan(2, {"type": "HOST_COUNT", "value": 2})
    with pytest.raises(planner.HealthConstraintsInvalid):
        planner.plan(2, {"type": "FLEET_PERCENT", "value": 100})
    assert planner.plan(3, {"type": "HOST_COUNT", "value": 2}).batch_size == 1
