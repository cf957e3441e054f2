"""The pytest plugin, run the way a user runs it (pytester), including under pytest-xdist."""

from __future__ import annotations

import sys

import pytest

pytest_plugins = ["pytester"]

QUEUE = "/api/projects/1/conversations/3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10/queue/"
ITEM = "5d5f3a9e-7c21-4b8e-a0f4-1c2d3e4f5a61"

EACH_TEST_STARTS_CLEAN = f"""
import pytest

@pytest.mark.parametrize("run", range(3))
def test_delete_then_check(fakeserver, fakeserver_client, run):
    headers = {{"Authorization": "Bearer phx_ada_all"}}
    assert len(fakeserver.queue("3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10")) == 2
    assert len(fakeserver.journal) == 0
    assert fakeserver.faults.rules() == []
    answer = fakeserver_client.delete("{QUEUE}{ITEM}/", headers=headers)
    assert answer.status_code == 204
    fakeserver.journal.assert_called("conversations_queue_destroy", times=1)
    fakeserver.add_fault("conversations_list", status=500)
    fakeserver.set_profile("actual")
    fakeserver.load_fixture({{"projects": [{{"id": 9, "name": "Extra"}}]}})

SEEN = set()

@pytest.mark.parametrize("run", range(2))
def test_the_server_is_shared_not_rebuilt(fakeserver, run):
    SEEN.add(id(fakeserver))
    assert len(SEEN) == 1
    assert fakeserver.profile.name == "documented"
    assert 9 not in fakeserver.state.seed.projects
"""


def test_each_test_starts_from_the_fixture_state(pytester: pytest.Pytester):
    pytester.makepyfile(EACH_TEST_STARTS_CLEAN)
    result = pytester.runpytest()
    result.assert_outcomes(passed=5)


LIVE = f"""
import httpx

def test_live_first(fakeserver_live):
    assert fakeserver_live.url.startswith("http://127.0.0.1:")
    answer = httpx.delete(
        fakeserver_live.url + "{QUEUE}{ITEM}/", headers={{"Authorization": "Bearer phx_ada_all"}}
    )
    assert answer.status_code == 204

def test_live_second_sees_a_reset_server(fakeserver_live):
    assert len(fakeserver_live.queue("3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10")) == 2
    with fakeserver_live.client("ns1", api_key="phx_ada_all") as client:
        assert client.get("/api/projects/1/conversations/").json()["count"] == 4
    fakeserver_live.journal.assert_called("conversations_list", namespace="ns1")

def test_live_and_in_process_are_different_servers(fakeserver_live, fakeserver):
    assert fakeserver_live is not fakeserver
    assert not fakeserver.is_live
"""


def test_the_live_fixture(pytester: pytest.Pytester):
    pytester.makepyfile(LIVE)
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)


MARKED = """
import pytest

pytestmark = pytest.mark.fakeserver(profile="actual")

def test_module_marker(fakeserver):
    assert fakeserver.profile.name == "actual"
    assert len(fakeserver.conversations()) > 1

@pytest.mark.fakeserver(fixtures=["data/small.yaml"], profile="documented")
def test_closest_marker_wins(fakeserver):
    assert fakeserver.profile.name == "documented"
    assert [c.title for c in fakeserver.conversations()] == ["Only one"]

@pytest.mark.fakeserver(fixtures="data/small.yaml", id_seed=1)
def test_live_with_a_marker(fakeserver_live):
    assert [c.title for c in fakeserver_live.conversations()] == ["Only one"]
    assert fakeserver_live.profile.name == "actual"

@pytest.mark.fakeserver(colour="blue")
def test_unknown_marker_argument(fakeserver):
    pass
"""

SMALL_FIXTURE = """
projects: [{id: 1, name: P}]
users:
  - {id: 1, email: a@example.com, projects: [1], personal_api_keys: [{key: phx_small}]}
conversations:
  - {id: 11111111-2222-4333-8444-555555555555, project: 1, user: 1, title: Only one}
"""


def test_the_marker_chooses_fixtures_and_profile(pytester: pytest.Pytester):
    pytester.makepyfile(MARKED)
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "small.yaml").write_text(SMALL_FIXTURE)
    result = pytester.runpytest("-rE")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        ["*UsageError: @pytest.mark.fakeserver: unknown argument(s)*colour*"]
    )


INI_CONFIGURED = """
def test_ini_options(fakeserver):
    assert fakeserver.profile.name == "actual"
    assert [c.title for c in fakeserver.conversations()] == ["Only one"]
"""


def test_ini_options_set_the_suite_defaults(pytester: pytest.Pytester):
    pytester.makepyfile(INI_CONFIGURED)
    pytester.makeini("[pytest]\nfakeserver_fixtures = small.yaml\nfakeserver_profile = actual\n")
    (pytester.path / "small.yaml").write_text(SMALL_FIXTURE)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


XDIST = f"""
import os
import pytest

@pytest.mark.parametrize("run", range(8))
def test_isolated_per_worker(fakeserver_live, fakeserver_client, run):
    assert os.environ["PYTEST_XDIST_WORKER"].startswith("gw")
    assert len(fakeserver_live.queue("3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10")) == 2
    with fakeserver_live.client(api_key="phx_ada_all") as client:
        assert client.delete("{QUEUE}{ITEM}/").status_code == 204
    headers = {{"Authorization": "Bearer phx_ada_all"}}
    assert fakeserver_client.delete("{QUEUE}{ITEM}/", headers=headers).status_code == 204
"""


def test_under_xdist_every_worker_has_its_own_servers(pytester: pytest.Pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(XDIST)
    # Without schemathesis' and hypothesis' plugins each worker starts in a fraction of the time.
    quick = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist", *quick)
    result.assert_outcomes(passed=8)


OUTSIDE = """
from fakeserver import FakeServer

with FakeServer(live=True) as server, server.client(api_key="phx_ada_all") as client:
    print(client.get("/api/projects/1/conversations/").json()["count"])
"""


def test_the_server_works_outside_pytest(pytester: pytest.Pytester):
    script = pytester.makepyfile(outside=OUTSIDE)
    result = pytester.run(sys.executable, str(script), timeout=60)
    assert result.ret == 0
    assert result.outlines == ["4"]


FAULTS_AND_NAMESPACES = """
import httpx
import pytest

LIST = "/api/projects/1/conversations/"
ADA = {"Authorization": "Bearer phx_ada_all"}

def test_a_fault_and_a_namespace_through_the_live_fixture(fakeserver_live):
    fakeserver_live.add_fault("conversations_list", namespace="mine", status=503)
    with httpx.Client(base_url=fakeserver_live.url, headers=ADA) as http:
        assert http.get("/_ns/mine" + LIST).status_code == 503
        assert http.get("/_ns/other" + LIST).status_code == 200
        assert http.post("/_ns/mine/_fakeserver/reset").json() == {"reset": ["mine"]}
        assert http.get("/_ns/mine" + LIST).status_code == 200
        http.post("/_fakeserver/faults", json={"action": {"status": 500}})
    # The namespace reset also cleared its journal: the 503 is gone, the last call is there.
    fakeserver_live.journal.assert_called("conversations_list", times=2)

def test_the_next_test_has_no_faults_and_no_namespaces(fakeserver_live):
    assert fakeserver_live.faults.rules() == []
    assert sorted(fakeserver_live.state.workspaces) == ["default"]
    with httpx.Client(base_url=fakeserver_live.url, headers=ADA) as http:
        assert http.get(LIST).status_code == 200
"""


def test_faults_and_namespaces_through_the_fixtures(pytester: pytest.Pytester):
    pytester.makepyfile(FAULTS_AND_NAMESPACES)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
