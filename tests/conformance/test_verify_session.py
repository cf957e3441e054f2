"""Signing in with a web session: the cookie, the CSRF token as a browser gets it, the errors,
and the secrets (key, cookie, CSRF token) in no output, report, log line or file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from conftest import ADA_KEY, ServerFactory
from posthog_standin import CSRF_SECRET, Mutation, proxy, serving
from verify_harness import SECRET_COOKIE, SECRET_KEY, standin, target

from fakeserver import FakeServer
from fakeserver.conformance import commands
from fakeserver.conformance.client import ApiClient
from fakeserver.conformance.session import WebSession, session_cookie_value, sign_in

SECRETS = (SECRET_KEY, SECRET_COOKIE, CSRF_SECRET)
__all__ = ["standin", "target"]  # fixtures


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = commands.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def verify_args(url: str, key: str = ADA_KEY, session: str = "ses-ada") -> list[str]:
    return [
        "verify",
        "--target",
        url,
        "--personal-api-key",
        key,
        "--project",
        "1",
        "--session-cookie",
        session,
    ]


def test_sign_in_takes_the_csrf_cookie_the_app_page_sets(standin: str):
    with ApiClient(standin, None) as client:
        session = sign_in(client, 1, "ses-ada")
    assert session == WebSession("ses-ada", CSRF_SECRET, standin)
    assert session.headers("GET") == {"Cookie": "sessionid=ses-ada"}
    assert session.headers("DELETE") == {
        "X-CSRFToken": CSRF_SECRET,
        "Origin": standin,
        "Referer": standin + "/",
        "Cookie": f"sessionid=ses-ada; posthog_csrftoken={CSRF_SECRET}",
    }


def test_a_given_csrf_token_is_used_without_loading_the_page(target: FakeServer):
    with ApiClient(target.url, None) as client:
        session = sign_in(client, 1, "ses-ada", csrf_token="b" * 32)
    assert session.csrf_token == "b" * 32
    target.journal.assert_called(times=1)  # the list that checks the session, nothing else


def test_a_pasted_name_and_value_is_the_value():
    assert session_cookie_value(" sessionid=abc123 ") == "abc123"
    assert session_cookie_value("abc123") == "abc123"


def test_a_target_that_sets_no_csrf_cookie_asks_for_the_token(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, out, err = run(capsys, *verify_args(target.url))
    assert (code, out) == (2, "")
    assert err == (
        f"fakeserver verify: {target.url} set no CSRF cookie (posthog_csrftoken) when its app "
        "page was loaded with the session; give --csrf-token (that cookie's value in your "
        "browser, see docs/verify.md)\n"
    )
    code, out, _ = run(capsys, *verify_args(target.url), "--csrf-token", "c" * 32)
    assert code == 0
    assert "signed in with a session and a key" in out


def test_a_refused_session_says_to_copy_a_fresh_cookie(
    standin: str, capsys: pytest.CaptureFixture[str]
):
    code, out, err = run(capsys, *verify_args(standin, session="expired"))
    assert (code, out) == (2, "")
    assert err == (
        f"fakeserver verify: {standin} refused the session cookie (401: Authentication "
        "credentials were not provided.); copy a fresh sessionid cookie from a browser signed "
        f"in to {standin} (see docs/verify.md)\n"
    )


def test_a_session_of_another_user_than_the_key_s_is_refused(
    standin: str, capsys: pytest.CaptureFixture[str]
):
    code, _, err = run(capsys, *verify_args(standin, session="ses-bob"))
    assert code == 2
    assert "the session cookie and the personal API key are not the same user's" in err


def test_the_session_can_come_from_the_environment(
    standin: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("POSTHOG_SESSION_COOKIE", "sessionid=ses-ada")
    argv = ["verify", "--target", standin, "--personal-api-key", ADA_KEY, "--project", "1"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "0 new differences" in out and "need a session" not in out


def test_snapshot_with_a_session_holds_the_queues(
    make_server: ServerFactory,
    target: FakeServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
):
    path = tmp_path / "snap.json"
    argv = ["snapshot", "--target", target.url, "--personal-api-key", ADA_KEY, "--project", "1"]
    code, _, _ = run(capsys, *argv, "--session-cookie", "ses-ada", "-o", str(path))
    assert code == 0
    fixture = json.loads(path.read_text())
    queued = {c["id"]: len(c.get("queue", [])) for c in fixture["conversations"]}
    assert sorted(queued.values()) == [0, 0, 1, 2]
    with make_server(path, profile="actual") as served:
        for identifier, count in queued.items():
            assert len(served.conversation(identifier).queue) == count


def _secret_run_outputs(
    target_url: str, standin: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> list[str]:
    outputs = []
    argv = verify_args(standin, key=SECRET_KEY, session=SECRET_COOKIE)
    for extra in ([], ["--json"], ["--profile", "documented", "--allow-writes", "--yes"]):
        code, out, err = run(capsys, *argv, *extra)
        assert code in (0, 1), err
        outputs += [out, err]
    outputs += run(capsys, *verify_args(standin, key=SECRET_KEY, session=SECRET_COOKIE + "x"))[1:]
    outputs += run(capsys, *argv[:-1], "sessionid=" + SECRET_COOKIE, "--csrf-token", CSRF_SECRET)[
        1:
    ]
    snap = tmp_path / "snap.yaml"
    argv = ["snapshot", "--target", standin, "--personal-api-key", SECRET_KEY, "--project", "1"]
    outputs += run(capsys, *argv, "--session-cookie", SECRET_COOKIE, "-o", str(snap))[1:]
    outputs += run(capsys, *argv, "--session-cookie", SECRET_COOKIE)[1:]
    # Secrets in values the fake cannot take: named on stderr, and in the report.
    # (snapshot reads only: it never gets a CSRF token, so none can come back.)
    with serving(proxy(target_url, [as_topic(SECRET_KEY, SECRET_COOKIE)])) as url:
        argv[2] = url
        outputs += run(capsys, *argv, "--session-cookie", SECRET_COOKIE)[1:]
    with serving(proxy(target_url, [as_topic(*SECRETS)])) as url:
        outputs += run(capsys, *verify_args(url, key=SECRET_KEY, session=SECRET_COOKIE))[1:]
    return outputs


def as_topic(*secrets: str) -> Mutation:
    """Conversations whose topic holds the secrets: a value the fake cannot be seeded with."""

    def mutate(method: str, path: str, body: Any) -> Any:
        results = body.get("results") if isinstance(body, dict) else None
        for item in results if isinstance(results, list) else [body]:
            if isinstance(item, dict) and "topic" in item:
                item["topic"] = " ".join(secrets)
        return body

    return mutate


def test_no_key_cookie_or_csrf_token_in_any_output_report_log_or_file(
    target: FakeServer,
    standin: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
):
    # A target that echoes the secrets back must not get them printed either.
    echoed = {"type": "invalid_request", "code": "not_found", "detail": " ".join(SECRETS)}
    target.add_fault("conversations_destroy", status=404, body={**echoed, "attr": None})
    with caplog.at_level(logging.DEBUG):
        outputs = _secret_run_outputs(target.url, standin, capsys, tmp_path)
    files = [path.read_text() for path in tmp_path.rglob("*") if path.is_file()]
    logged = [record.getMessage() for record in caplog.records]
    everything = [*outputs, *files, *logged]
    assert "[redacted] [redacted] [redacted]" in outputs[0]
    assert any("snapshot: left out" in text and "[redacted]" in text for text in outputs)
    assert any("seed the fake" in text and "[redacted] [redacted]" in text for text in outputs)
    for secret in SECRETS:
        assert not [text for text in everything if secret in text], secret
    # The target did get them: the test would pass without them otherwise.
    assert target.journal.filter("*conversations_queue_destroy")
