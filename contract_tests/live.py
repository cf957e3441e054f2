"""The contract run against a live server: for each profile, start `fakeserver serve` on a free
port, run the `schemathesis run` CLI with every check against its `/api/schema/`, stop the server.

    python contract_tests/live.py [--max-examples N] [--profile documented|actual]

Its configuration is `fakeserver schemathesis-config` plus this suite's two users
(contract_config.py); to run schemathesis yourself, use that command.

Exit status: 0 when every profile passes. Each server start and each schemathesis run is
bounded in time; the server is stopped whatever happens.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_config import PROFILES, as_toml, implemented_operations, settings

from fakeserver.app import ServerConfig, create_app

START_TIMEOUT: Final = 20.0
RUN_TIMEOUT: Final = 150.0
STOP_TIMEOUT: Final = 10.0
BASE_URL_LABEL: Final = "base URL"


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@contextmanager
def serving(profile: str) -> Iterator[str]:
    """A `fakeserver serve` on a free loopback port; yields its base URL from the banner."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakeserver",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--profile",
            profile,
            "--id-seed",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        output = []
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"fakeserver did not start in {START_TIMEOUT} s") from None
            if line is None:
                raise RuntimeError("fakeserver exited before it was ready:\n" + "".join(output))
            output.append(line)
            if line.strip().startswith(BASE_URL_LABEL):
                yield line.split()[-1]
                return
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def require_every_check(config_file: Path) -> None:
    """What `--checks all` would select: the run leaves every check on by default instead.

    `--checks all` on the command line outranks the config file, per operation too, so it would
    undo the few per-operation settings `contract_config.settings` explains. Without `--checks`,
    every check is on unless the config file says otherwise; this makes sure it still is.
    """
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
    from schemathesis.checks import CHECKS
    from schemathesis.config import SchemathesisConfig

    checks = SchemathesisConfig.from_path(config_file).projects.default.checks
    off = [name for name in CHECKS.get_all_names() if not checks.get_by_name(name=name).enabled]
    if off:
        raise RuntimeError(f"checks switched off for the whole run: {', '.join(off)}")


def served_document(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/api/schema/", timeout=10) as response:
        document: dict[str, Any] = json.loads(response.read())
    return document


def run_profile(profile: str, max_examples: int, workdir: Path) -> int:
    implemented = implemented_operations(create_app(ServerConfig(profile=profile)))
    with serving(profile) as base_url:
        config = settings(profile, served_document(base_url), implemented)
        config_file = workdir / f"schemathesis-{profile}.toml"
        config_file.write_text(as_toml(config))
        require_every_check(config_file)
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(config_file),
            "run",
            f"{base_url}/api/schema/",
            "--max-examples",
            str(max_examples),
            "--seed",
            "1",
            "--no-color",
        ]
        print(f"== {profile}: {' '.join(command[1:])}", flush=True)
        try:
            return subprocess.run(command, cwd=workdir, timeout=RUN_TIMEOUT).returncode
        except subprocess.TimeoutExpired:
            print(f"== {profile}: schemathesis did not finish in {RUN_TIMEOUT} s", flush=True)
            return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--profile", choices=PROFILES, action="append")
    args = parser.parse_args()
    failed = []
    with tempfile.TemporaryDirectory(prefix="fakeserver-contract-") as workdir:
        for profile in args.profile or PROFILES:
            if run_profile(profile, args.max_examples, Path(workdir)) != 0:
                failed.append(profile)
    if failed:
        print(f"live contract run failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
