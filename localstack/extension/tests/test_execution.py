"""The execution state machine, driven event by event on a fake clock."""

from __future__ import annotations

import pytest
from conftest import Harness, action, pipeline

from pipewright_localstack.executor import execution as ex
from pipewright_localstack.executor import shapes


def three_stages(mode="SUPERSEDED"):
    return pipeline(
        ("Source", [action("Checkout", "Source", "CodeCommit", outputs=["Src"])]),
        (
            "Build",
            [
                action("Unit", inputs=["Src"], run_order=1),
                action("Lint", inputs=["Src"], run_order=1),
                action("Package", inputs=["Src"], outputs=["Pkg"], run_order=2),
            ],
        ),
        ("Deploy", [action("Ship", "Deploy", "CodeDeploy", inputs=["Pkg"])]),
        mode=mode,
    )


def test_stages_run_in_order_and_run_orders_one_group_after_another():
    h = Harness(three_stages())
    run = h.start()
    assert h.running() == ["Checkout"]
    h.finish(run, "Checkout")
    assert h.running() == ["Lint", "Unit"]  # the same run order: in parallel
    h.finish(run, "Unit")
    assert h.running() == ["Lint"]  # run order 2 waits for every action of run order 1
    h.finish(run, "Lint")
    assert h.running() == ["Package"]
    h.finish(run, "Package")
    assert h.running() == ["Ship"]
    h.finish(run, "Ship")
    assert run.status == ex.SUCCEEDED
    assert [s.status for s in run.stages] == [ex.SUCCEEDED] * 3


def test_input_artifacts_are_the_locations_earlier_actions_wrote():
    h = Harness(three_stages())
    run = h.start()
    source = h.job(run, "Checkout").output_artifacts[0]
    assert source["s3location"]["bucket"] == "artifacts"
    assert source["s3location"]["key"].startswith("shop/Src/")
    h.finish(run, "Checkout")
    assert h.job(run, "Unit").input_artifacts == [source]


def test_a_failed_action_fails_its_stage_and_the_execution_and_skips_later_stages():
    h = Harness(three_stages())
    run = h.start()
    h.finish(run, "Checkout")
    h.finish(run, "Unit", ex.FAILED, error_details={"code": "JobFailed", "message": "boom"})
    assert run.status == ex.IN_PROGRESS  # Lint, of the same group, still runs
    h.finish(run, "Lint")
    assert run.status == ex.FAILED
    assert [s.status for s in run.stages] == [ex.SUCCEEDED, ex.FAILED, None]
    assert h.running() == []
    assert "Package" not in [j.action_name for j in h.started]


def test_stop_without_abandon_lets_running_actions_finish_and_starts_nothing_new():
    h = Harness(three_stages())
    run = h.start()
    h.finish(run, "Checkout")
    h.event(ex.stop, run.pipeline_execution_id, abandon=False, reason="enough")
    assert run.status == ex.STOPPING
    assert run.stages[1].status == ex.STOPPING
    with pytest.raises(ex.Refused) as raised:
        h.event(ex.stop, run.pipeline_execution_id, abandon=False, reason=None)
    assert raised.value.code == "DuplicatedStopRequestException"
    h.finish(run, "Unit")
    h.finish(run, "Lint")
    assert run.status == ex.STOPPED
    assert run.stages[1].status == ex.STOPPED
    assert "Package" not in [j.action_name for j in h.started]
    assert shapes.summary(run)["stopTrigger"] == {"reason": "enough"}
    with pytest.raises(ex.Refused) as raised:
        h.event(ex.stop, run.pipeline_execution_id, abandon=True, reason=None)
    assert raised.value.code == "PipelineExecutionNotStoppableException"


def test_stop_and_abandon_abandons_running_actions_at_once():
    h = Harness(three_stages())
    run = h.start()
    h.finish(run, "Checkout")
    h.event(ex.stop, run.pipeline_execution_id, abandon=False, reason=None)
    # "Stop and abandon" may follow "stop and wait".
    commands = h.event(ex.stop, run.pipeline_execution_id, abandon=True, reason=None)
    assert run.status == ex.STOPPED
    assert sorted(a.status for a in run.stages[1].latest.values()) == [ex.ABANDONED] * 2
    assert len([c for c in commands if isinstance(c, ex.CancelAction)]) == 2
    # A runner reporting after the abandon changes nothing.
    h.finish(run, "Unit")
    assert run.stages[1].latest["Unit"].status == ex.ABANDONED


def retry(h, run, stage, mode, version=1):
    return h.event(
        ex.retry, run.pipeline_execution_id, stage_name=stage, mode=mode, current_version=version
    )


def failed_in_build(h):
    run = h.start()
    h.finish(run, "Checkout")
    h.finish(run, "Unit", ex.FAILED)
    h.finish(run, "Lint")
    assert run.status == ex.FAILED
    return run


def test_retry_failed_actions_reruns_only_them_in_place():
    h = Harness(three_stages())
    run = failed_in_build(h)
    retry(h, run, "Build", "FAILED_ACTIONS", 1)
    assert run.status == ex.IN_PROGRESS
    assert h.running() == ["Unit"]
    h.finish(run, "Unit")
    assert h.running() == ["Package"]
    assert [j.action_name for j in h.started].count("Lint") == 1
    assert len(h.runs.executions) == 1  # the same execution
    state = shapes.pipeline_state(h.runs, h.declaration)
    assert state[1]["retryStageMetadata"]["manualStageRetryAttempt"] == 1


def test_retry_all_actions_reruns_the_stage_from_its_first_group():
    h = Harness(three_stages())
    run = failed_in_build(h)
    retry(h, run, "Build", "ALL_ACTIONS", 1)
    assert h.running() == ["Lint", "Unit"]


@pytest.mark.parametrize(
    "stage, version, code",
    [
        ("Source", 1, "StageNotRetryableException"),  # succeeded, not failed
        ("Build", 2, "StageNotRetryableException"),  # the pipeline changed since
        ("Nope", 1, "StageNotFoundException"),
    ],
)
def test_retry_is_refused_as_aws_refuses_it(stage, version, code):
    h = Harness(three_stages())
    run = failed_in_build(h)
    with pytest.raises(ex.Refused) as raised:
        retry(h, run, stage, "ALL_ACTIONS", version)
    assert raised.value.code == code


def test_retry_of_an_execution_that_is_not_the_latest_in_the_stage_is_refused():
    h = Harness(three_stages())
    first = failed_in_build(h)
    second = failed_in_build(h)
    with pytest.raises(ex.Refused) as raised:
        retry(h, first, "Build", "ALL_ACTIONS", 1)
    assert raised.value.code == "NotLatestPipelineExecutionException"
    retry(h, second, "Build", "ALL_ACTIONS", 1)


def approval_pipeline(mode):
    return pipeline(
        ("Source", [action("Checkout", "Source", "CodeCommit")]),
        ("Approve", [action("Gate", "Approval", "Manual")]),
        ("Deploy", [action("Ship", "Deploy", "CodeDeploy")]),
        mode=mode,
    )


def token_of(run):
    return run.stages[1].latest["Gate"].token


def approve(h, run, status="Approved", token=None):
    return h.event(
        ex.approve,
        stage_name="Approve",
        action_name="Gate",
        token=token or token_of(run),
        status=status,
        summary="looks good",
        by="arn:aws:iam::111111111111:root",
    )


def test_an_approval_waits_with_a_token_until_approved():
    h = Harness(approval_pipeline("SUPERSEDED"))
    run = h.start()
    h.finish(run, "Checkout")
    gate = run.stages[1].latest["Gate"]
    assert gate.status == ex.IN_PROGRESS and gate.token
    state = shapes.pipeline_state(h.runs, h.declaration)
    assert state[1]["actionStates"][0]["latestExecution"]["token"] == gate.token
    with pytest.raises(ex.Refused) as raised:
        approve(h, run, token="not-the-token")
    assert raised.value.code == "InvalidApprovalTokenException"
    commands = approve(h, run)
    assert gate.status == ex.SUCCEEDED and gate.summary == "looks good"
    assert any(isinstance(c, ex.CancelAction) for c in commands)
    assert h.running() == ["Ship"]
    with pytest.raises(ex.Refused) as raised:
        approve(h, run, token=gate.token)
    assert raised.value.code == "ApprovalAlreadyCompletedException"


def test_a_rejected_approval_fails_the_execution():
    h = Harness(approval_pipeline("SUPERSEDED"))
    run = h.start()
    h.finish(run, "Checkout")
    approve(h, run, status="Rejected")
    assert run.stages[1].latest["Gate"].status == ex.FAILED
    assert run.status == ex.FAILED


def test_an_approval_expires_after_seven_days():
    h = Harness(approval_pipeline("SUPERSEDED"))
    run = h.start()
    h.finish(run, "Checkout")
    h.clock.advance(days=6, hours=23)
    assert ex.expire_approvals(h.runs, h.clock.now(), h.ids) == []
    h.clock.advance(hours=1)
    ex.expire_approvals(h.runs, h.clock.now(), h.ids)
    assert run.status == ex.FAILED
    assert "expired" in run.stages[1].latest["Gate"].error_details["message"]


def test_superseded_a_newer_execution_replaces_an_older_one_waiting_at_the_same_stage():
    h = Harness(approval_pipeline("SUPERSEDED"))
    first = h.start()
    h.finish(first, "Checkout")  # first now waits for approval, inside Approve
    second = h.start()
    h.finish(second, "Checkout")  # waits to enter Approve (locked by first)
    third = h.start()
    h.finish(third, "Checkout")  # also waits there: second is superseded
    assert second.status == ex.SUPERSEDED
    assert third.status == ex.IN_PROGRESS and third.waiting
    state = shapes.pipeline_state(h.runs, h.declaration)
    assert state[1]["inboundExecution"]["pipelineExecutionId"] == third.pipeline_execution_id
    approve(h, first)
    assert not third.waiting and third.stage_index == 1  # entered Approve once first left it


def test_superseded_a_new_execution_waits_for_the_first_stage_to_be_free():
    h = Harness(approval_pipeline("SUPERSEDED"))
    first = h.start()
    second = h.start()
    assert second.waiting and second.stage_index == 0
    assert h.running() == ["Checkout"]
    h.finish(first, "Checkout")
    assert h.running() == ["Checkout", "Gate"]


def test_queued_executions_wait_their_turn_in_order():
    h = Harness(approval_pipeline("QUEUED"))
    first = h.start()
    h.finish(first, "Checkout")
    second = h.start()
    h.finish(second, "Checkout")
    third = h.start()
    h.finish(third, "Checkout")
    assert [e.status for e in (second, third)] == [ex.IN_PROGRESS] * 2
    assert second.waiting and third.waiting
    approve(h, first)
    assert not second.waiting and third.waiting
    approve(h, second)
    assert not third.waiting


def test_parallel_executions_do_not_wait_for_each_other():
    h = Harness(approval_pipeline("PARALLEL"))
    first, second = h.start(), h.start()
    assert h.running() == ["Checkout", "Checkout"]
    h.finish(first, "Checkout")
    h.finish(second, "Checkout")
    assert h.running() == ["Gate", "Gate"]


def test_a_disabled_transition_holds_executions_until_enabled():
    h = Harness(three_stages())
    names = [s["name"] for s in h.declaration["stages"]]
    h.event(ex.set_transition, names, "Build", enabled=False, by="me", reason="freeze")
    run = h.start()
    h.finish(run, "Checkout")
    assert run.waiting and run.stage_index == 1 and h.running() == []
    state = shapes.pipeline_state(h.runs, h.declaration)
    assert state[1]["inboundTransitionState"]["enabled"] is False
    assert state[1]["inboundTransitionState"]["disabledReason"] == "freeze"
    h.event(ex.set_transition, names, "Build", enabled=True, by="me", reason=None)
    assert h.running() == ["Lint", "Unit"]


def test_a_stopped_execution_waiting_at_a_transition_stops_at_once():
    h = Harness(three_stages())
    names = [s["name"] for s in h.declaration["stages"]]
    h.event(ex.set_transition, names, "Build", enabled=False, by="me", reason="freeze")
    run = h.start()
    h.finish(run, "Checkout")
    h.event(ex.stop, run.pipeline_execution_id, abandon=False, reason=None)
    assert run.status == ex.STOPPED


def test_namespace_variables_flow_into_later_configuration_and_misses_fail_the_action():
    declaration = pipeline(
        ("Source", [action("Checkout", "Source", "CodeCommit", namespace="Src")]),
        (
            "Build",
            [
                action(
                    "Build",
                    configuration={"EnvironmentVariables": "#{Src.CommitId}/#{variables.Env}"},
                ),
                action("Broken", configuration={"ProjectName": "#{Src.Nope}"}),
            ],
        ),
        variables=[{"name": "Env", "defaultValue": "staging"}],
    )
    h = Harness(declaration)
    run = h.start(variables=[{"name": "Env", "value": "prod"}])
    h.finish(run, "Checkout", output_variables={"CommitId": "abc123"})
    assert h.job(run, "Build").configuration == {"EnvironmentVariables": "abc123/prod"}
    broken = run.stages[1].latest["Broken"]
    assert broken.status == ex.FAILED
    assert "#{Src.Nope}" in broken.error_details["message"]
    h.finish(run, "Build")
    assert run.status == ex.FAILED
    assert shapes.detail(run)["variables"] == [{"name": "Env", "resolvedValue": "prod"}]


def test_an_execution_keeps_the_declaration_it_started_with():
    declaration = three_stages()
    h = Harness(declaration)
    run = h.start()
    declaration["stages"].pop()  # UpdatePipeline replaces the document
    declaration["version"] = 2
    h.finish(run, "Checkout")
    for name in ("Unit", "Lint", "Package"):
        h.finish(run, name)
    assert h.running() == ["Ship"]
    assert run.pipeline_version == 1


def test_a_client_request_token_returns_the_same_execution():
    h = Harness(three_stages())
    first = h.start(token="t-1")
    assert h.start(token="t-1") is first
    assert len(h.runs.executions) == 1


def test_source_overrides_must_name_a_source_action_with_its_revision_type():
    h = Harness(three_stages())
    run = h.start(
        source_revisions=[
            {"actionName": "Checkout", "revisionType": "COMMIT_ID", "revisionValue": "abc"}
        ]
    )
    assert h.job(run, "Checkout").source_override["revisionValue"] == "abc"
    for override in (
        {"actionName": "Unit", "revisionType": "COMMIT_ID", "revisionValue": "abc"},
        {"actionName": "Checkout", "revisionType": "IMAGE_DIGEST", "revisionValue": "abc"},
    ):
        with pytest.raises(ex.Refused) as raised:
            h.start(source_revisions=[override])
        assert raised.value.code == "ValidationException"


def test_deleting_the_pipeline_abandons_running_actions():
    h = Harness(three_stages())
    run = h.start()
    commands = ex.cancel_all(h.runs, h.clock.now())
    assert run.status == ex.STOPPED
    assert [type(c) for c in commands] == [ex.CancelAction]


def test_action_executions_are_listed_newest_first_with_their_artifacts():
    h = Harness(three_stages())
    run = h.start()
    h.finish(run, "Checkout", external_execution_id="abc")
    details = shapes.action_details(h.runs, run.pipeline_execution_id)
    assert [d["actionName"] for d in details][-1] == "Checkout"
    checkout = details[-1]
    assert checkout["status"] == "Succeeded"
    assert checkout["output"]["executionResult"]["externalExecutionId"] == "abc"
    assert checkout["output"]["outputArtifacts"][0]["name"] == "Src"
    assert details[0]["input"]["inputArtifacts"][0]["name"] == "Src"
    with pytest.raises(ex.Refused) as raised:
        shapes.action_details(h.runs, "nope")
    assert raised.value.code == "PipelineExecutionNotFoundException"


def test_variables_are_refused_for_a_v1_pipeline():
    declaration = three_stages()
    declaration["pipelineType"] = "V1"
    declaration["variables"] = [{"name": "Env", "defaultValue": "dev"}]
    with pytest.raises(ex.Refused) as raised:
        Harness(declaration).start(variables=[{"name": "Env", "value": "prod"}])
    assert raised.value.code == "ValidationException"
