"""The pure parts of Lambda and ECS deployments and of alarm-based stops: the traffic-shifting
schedule (``deployments.traffic``), the Lambda and ECS AppSpec checks and the CodeDeployToECS
placeholder filling (``deployments.specs``), and the alarm verdict (``deployments.alarms``)."""

from __future__ import annotations

import json

import pytest

from pipewright_localstack.deployments import alarms, specs, traffic
from pipewright_localstack.deployments.traffic import Step

LAMBDA = """
version: 0.0
Resources:
  - web:
      Type: AWS::Lambda::Function
      Properties:
        Name: shop-api
        Alias: live
        CurrentVersion: 1
        TargetVersion: 2
Hooks:
  - BeforeAllowTraffic: shop-check
"""


def canary(percent, minutes):
    return {
        "type": "TimeBasedCanary",
        "timeBasedCanary": {"canaryPercentage": percent, "canaryInterval": minutes},
    }


def linear(percent, minutes):
    return {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": percent, "linearInterval": minutes},
    }


def test_all_at_once_moves_everything_at_once():
    assert traffic.schedule({"type": "AllAtOnce"}) == [Step(0, 100.0)]
    assert traffic.schedule(None) == [Step(0, 100.0)]


def test_a_canary_moves_its_share_then_the_rest_after_its_interval():
    assert traffic.schedule(canary(10, 5)) == [Step(0, 10.0), Step(5, 100.0)]


def test_linear_moves_a_share_every_interval_until_all_has_moved():
    steps = traffic.schedule(linear(10, 1))
    assert [s.percent for s in steps] == [10 * k for k in range(1, 11)]
    assert [s.minute for s in steps] == list(range(10))  # 100 % after nine minutes
    # A share that does not divide 100 ends at 100, not above.
    assert traffic.schedule(linear(30, 2)) == [
        Step(0, 30.0),
        Step(2, 60.0),
        Step(4, 90.0),
        Step(6, 100.0),
    ]


def test_an_unknown_routing_type_is_refused():
    with pytest.raises(ValueError):
        traffic.schedule({"type": "Sometimes"})


def test_the_time_scale_defaults_to_a_ten_minute_canary_in_seconds():
    scale = traffic.time_scale({})
    assert traffic.seconds(10, scale) == 3.0
    assert traffic.time_scale({"PIPEWRIGHT_DEPLOY_TIME_SCALE": "1"}) == 1.0
    assert traffic.seconds(1, 1.0) == 60.0
    for bad in ("0", "-3", "fast"):
        assert traffic.time_scale({"PIPEWRIGHT_DEPLOY_TIME_SCALE": bad}) == 200.0


def test_a_lambda_appspec_parses_in_yaml_and_json():
    spec = specs.parse_lambda(LAMBDA)
    assert (spec.name, spec.alias, spec.current_version, spec.target_version) == (
        "shop-api",
        "live",
        "1",
        "2",
    )
    assert spec.hooks == {"BeforeAllowTraffic": "shop-check"}
    document = {
        "version": "0.0",
        "Resources": [
            {
                "web": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": "f",
                        "Alias": "a",
                        "CurrentVersion": "3",
                        "TargetVersion": "4",
                    },
                }
            }
        ],
    }
    assert specs.parse_lambda(json.dumps(document)).target_version == "4"


@pytest.mark.parametrize(
    "change, detail",
    [
        (("version: 0.0", "version: 1.0"), "The version must be 0.0"),
        (("AWS::Lambda::Function", "AWS::ECS::Service"), "must be AWS::Lambda::Function"),
        (("        Alias: live\n", ""), "The Alias property of web is missing."),
        (("        TargetVersion: 2\n", ""), "The TargetVersion property of web is missing."),
        (("BeforeAllowTraffic", "BeforeInstall"), "BeforeInstall is not a lifecycle event hook"),
        (("Resources:\n", "Resources: []\nOther:\n"), "The Resources section must list"),
    ],
)
def test_a_bad_lambda_appspec_fails_with_codedeploys_message(change, detail):
    text = LAMBDA.replace(*change)
    assert text != LAMBDA
    with pytest.raises(specs.SpecError) as raised:
        specs.parse_lambda(text)
    message = str(raised.value)
    assert message.startswith(specs.LAMBDA_INVALID)
    assert detail in message


def test_two_lambda_resources_are_refused():
    two = LAMBDA.replace(
        "Hooks:", "  - other:\n      Type: AWS::Lambda::Function\n      Properties: {}\nHooks:"
    )
    with pytest.raises(specs.SpecError, match="only one Lambda function"):
        specs.parse_lambda(two)


def test_yaml_that_does_not_parse_is_invalid_configuration():
    with pytest.raises(specs.SpecError) as raised:
        specs.parse_lambda("version: [0.0\n")
    assert str(raised.value).startswith(specs.LAMBDA_INVALID)


ECS = """
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 80
"""


def test_an_ecs_appspec_needs_its_task_definition_and_load_balancer_info():
    spec = specs.parse_ecs(ECS)
    assert (spec.task_definition, spec.container_name, spec.container_port) == (
        "<TASK_DEFINITION>",
        "web",
        80,
    )
    with pytest.raises(specs.SpecError, match="ContainerPort"):
        specs.parse_ecs(ECS.replace("ContainerPort: 80", "ContainerPort: http"))
    with pytest.raises(specs.SpecError, match="TaskDefinition property"):
        specs.parse_ecs(ECS.replace("TaskDefinition: <TASK_DEFINITION>", "Other: x"))


TASKDEF = json.dumps(
    {
        "family": "shop-web",
        "containerDefinitions": [
            {"name": "web", "image": "<IMAGE1_NAME>"},
            {"name": "sidecar", "image": "<IMAGE2_NAME>"},
        ],
    }
)


def test_placeholders_are_filled_from_the_image_uris():
    filled = specs.fill_task_definition(
        TASKDEF, "Src", {"IMAGE1_NAME": "repo/web:1", "IMAGE2_NAME": "repo/side:2"}
    )
    assert [c["image"] for c in filled["containerDefinitions"]] == ["repo/web:1", "repo/side:2"]


def test_a_placeholder_without_an_image_detail_fails():
    with pytest.raises(specs.SpecError) as raised:
        specs.fill_task_definition(TASKDEF, "Src", {"IMAGE1_NAME": "repo/web:1"})
    message = str(raised.value)
    assert message.startswith(
        "Exception while trying to read the task definition artifact file from: Src."
    )
    assert "<IMAGE2_NAME> has no image" in message


def test_a_container_name_the_template_does_not_have_fails():
    with pytest.raises(specs.SpecError, match="<IMAGE9_NAME> named by the action"):
        specs.fill_task_definition(TASKDEF, "Src", {"IMAGE9_NAME": "x"})


@pytest.mark.parametrize(
    "text, detail",
    [
        (None, "The file is not in the artifact."),
        ("{not json", "not valid JSON"),
        ('{"family": "x"}', "no containerDefinitions list"),
    ],
)
def test_a_missing_or_bad_task_definition_fails_with_the_documented_message(text, detail):
    with pytest.raises(specs.SpecError) as raised:
        specs.fill_task_definition(text, "Defs", {})
    message = str(raised.value)
    assert message.startswith(
        "Exception while trying to read the task definition artifact file from: Defs."
    )
    assert detail in message


@pytest.mark.parametrize(
    "text, detail",
    [
        (None, "no imageDetail.json"),
        ('{"ImageURI": ', "not valid JSON"),
        ('{"imageUri": "x"}', "no ImageURI string"),
        ('["x"]', "no ImageURI string"),
    ],
)
def test_a_bad_image_detail_fails_with_the_documented_message(text, detail):
    with pytest.raises(specs.SpecError) as raised:
        specs.image_uri(text, "Img")
    message = str(raised.value)
    assert message.startswith(
        "Exception while trying to read the image artifact file from the artifact: Img."
    )
    assert detail in message
    assert specs.image_uri('{"ImageURI": " repo/web@sha256:ab "}', "Img") == "repo/web@sha256:ab"


def config(names, enabled=True, ignore=False):
    return {
        "enabled": enabled,
        "ignorePollAlarmFailure": ignore,
        "alarms": [{"name": n} for n in names],
    }


def test_an_alarm_in_alarm_stops_the_deployment():
    states = {"errors": "OK", "latency": "ALARM"}
    verdict = alarms.verdict(config(["errors", "latency"]), states, None)
    assert verdict.endswith("Activated alarms: latency")
    assert alarms.verdict(config(["errors"]), {"errors": "OK"}, None) is None
    assert alarms.verdict(config(["errors"]), {"errors": "INSUFFICIENT_DATA"}, None) is None


def test_a_disabled_configuration_watches_nothing():
    assert alarms.names(config(["errors"], enabled=False)) == []
    assert alarms.verdict(config(["errors"], enabled=False), {"errors": "ALARM"}, None) is None
    assert alarms.names(None) == []


def test_poll_failures_stop_unless_ignored():
    failing = alarms.verdict(config(["errors"]), None, "CloudWatch refused")
    assert "could not be retrieved (CloudWatch refused)" in failing
    assert alarms.verdict(config(["errors"], ignore=True), None, "CloudWatch refused") is None
    # An alarm CloudWatch does not have is a state that cannot be read.
    assert "no alarm named gone" in alarms.verdict(config(["gone"]), {}, None)
    assert alarms.verdict(config(["gone"], ignore=True), {}, None) is None
    # Ignoring poll failures never ignores an alarm that is on.
    assert alarms.verdict(config(["on"], ignore=True), {"on": "ALARM"}, None) is not None
