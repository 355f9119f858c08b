"""CodeArtifact's rules for names, upstreams and external connections, as the emulator applies
them (``pipewright_localstack.packages``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipewright_localstack.packages import (  # noqa: E402
    DOMAIN,
    EXTERNAL_CONNECTIONS,
    REPOSITORY,
    connection_problem,
    upstream_problem,
)


def test_names_follow_the_api_patterns():
    assert DOMAIN.match("shop-packages")
    for bad in ["a", "Shop", "1shop", "shop-", "x" * 51]:
        assert not DOMAIN.match(bad), bad
    assert REPOSITORY.match("Shop.Libs_v2-x")
    for bad in ["l", ".libs", "has space", "x" * 101]:
        assert not REPOSITORY.match(bad), bad


def test_upstreams_exist_once_without_a_cycle():
    graph = {"store": [], "libs": ["store"], "release": ["libs"]}
    none: dict = {}
    assert upstream_problem(graph, none, "release", ["libs"]) is None
    assert upstream_problem(graph, none, "libs", ["nowhere"])[0] == "ResourceNotFoundException"
    assert upstream_problem(graph, none, "libs", ["libs"])[0] == "ValidationException"
    assert upstream_problem(graph, none, "release", ["libs", "libs"])[0] == "ValidationException"
    # store -> release -> libs -> store
    code, message = upstream_problem(graph, none, "store", ["release"])
    assert code == "ValidationException" and "cycle" in message
    # Upstreams removed: always allowed.
    assert upstream_problem(graph, {"libs": ["public:npmjs"]}, "libs", []) is None


def test_upstreams_or_a_connection_not_both():
    graph = {"store": [], "libs": []}
    code, _ = upstream_problem(graph, {"libs": ["public:npmjs"]}, "libs", ["store"])
    assert code == "ConflictException"
    assert connection_problem("libs", ["store"], [], "public:pypi")[0] == "ConflictException"
    assert connection_problem("libs", [], ["public:npmjs"], "public:pypi")[0] == "ConflictException"
    assert connection_problem("libs", [], [], "public:cpan")[0] == "ValidationException"
    assert connection_problem("libs", [], [], "public:crates-io") is None


def test_every_connection_has_a_package_format():
    assert len(EXTERNAL_CONNECTIONS) == 10
    assert set(EXTERNAL_CONNECTIONS.values()) <= {"npm", "nuget", "pypi", "maven", "ruby", "cargo"}
