"""The artifact key layout and variable resolution."""

from __future__ import annotations

import random

import pytest

from pipewright_localstack.executor import artifacts, variables


def test_keys_cut_pipeline_and_artifact_names_at_20_characters():
    key = artifacts.key("a-pipeline-name-longer-than-twenty", "SourceArtifactWithALong", "AbC1234")
    assert key == "a-pipeline-name-long/SourceArtifactWithAL/AbC1234"


def test_object_ids_are_seven_letters_and_digits():
    ids = {artifacts.object_id(random.Random(seed)) for seed in range(20)}
    assert all(len(i) == 7 and i.isalnum() for i in ids)
    assert len(ids) == 20


def test_the_store_is_the_regions_when_there_are_several():
    one = {"name": "p", "artifactStore": {"type": "S3", "location": "one"}}
    several = {"name": "p", "artifactStores": {"eu-west-1": {"location": "eu"}, "us-east-1": {}}}
    assert artifacts.store_bucket(one, "eu-west-1") == "one"
    assert artifacts.store_bucket(several, "eu-west-1") == "eu"
    assert artifacts.location(one, "x", "Built", "id00001") == {
        "name": "Built",
        "s3location": {"bucket": "one", "key": "p/Built/id00001"},
    }


def test_references_resolve_from_their_namespace():
    scopes = {"variables": {"Env": "prod"}, "Src": {"CommitId": "abc"}}
    resolved = variables.resolve(
        {"A": "deploy #{variables.Env} at #{Src.CommitId}", "B": "plain", "C": "#{Src.CommitId}"},
        scopes,
    )
    assert resolved == {"A": "deploy prod at abc", "B": "plain", "C": "abc"}


@pytest.mark.parametrize("reference", ["#{variables.Missing}", "#{Nowhere.CommitId}"])
def test_an_unresolved_reference_is_an_error_naming_it(reference):
    with pytest.raises(variables.Unresolved) as raised:
        variables.resolve({"Field": f"x {reference}"}, {"variables": {}})
    assert raised.value.reference == reference
    assert raised.value.field == "Field"


def test_text_that_is_not_a_reference_is_left_alone():
    assert variables.resolve({"A": "#{notareference}", "B": "#{a.b"}, {}) == {
        "A": "#{notareference}",
        "B": "#{a.b",
    }


def test_pipeline_values_take_the_given_value_else_the_default():
    declared = [{"name": "Env", "defaultValue": "staging"}, {"name": "Region", "defaultValue": ""}]
    assert variables.pipeline_values(declared, [{"name": "Env", "value": "prod"}]) == {
        "Env": "prod",
        "Region": "",
    }


@pytest.mark.parametrize(
    "declared, given",
    [
        ([], [{"name": "Env", "value": "x"}]),  # not declared
        ([{"name": "Env"}], []),  # no default and no value
        ([{"name": "Env", "defaultValue": "a"}], [{"name": "Env", "value": "x" * 1001}]),
        ([{"name": "Env", "defaultValue": "a"}], [{"name": "Env", "value": "1"}] * 2),
        ([{"name": "Env", "defaultValue": "a"}], [{"name": "bad name", "value": "1"}]),
    ],
)
def test_pipeline_values_refuse_what_aws_refuses(declared, given):
    with pytest.raises(variables.Invalid):
        variables.pipeline_values(declared, given)
