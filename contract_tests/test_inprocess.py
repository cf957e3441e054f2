"""schemathesis against the served OpenAPI document of each profile, in process, every check on.

Per profile: every operation the fake implements (found from the app's routes, so operations
join as they land), through the examples, coverage and fuzzing phases, then the stateful phase
following the document's links, with the fake's state reset before each scenario. Auth,
parameters and the few per-operation expectations come from `contract_config.settings`, which
the live run (`make contract`) uses too.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from contract_config import implemented_operations
from contract_config import settings as contract_settings
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from starlette.applications import Starlette

from fakeserver.app import ServerConfig, ServerState, create_app

# `make test` runs a fixed, repeatable sample (a CI run must not pass or fail by chance);
# FAKESERVER_CONTRACT_EXPLORE=1 draws new random cases on every run, to hunt for more.
EXPLORE = os.environ.get("FAKESERVER_CONTRACT_EXPLORE") == "1"
MAX_EXAMPLES = int(os.environ.get("FAKESERVER_CONTRACT_EXAMPLES", "25"))
STATEFUL_SCENARIOS = 40
HYPOTHESIS = {"derandomize": not EXPLORE, "suppress_health_check": list(HealthCheck)}


def schema_for(profile: str) -> tuple[Starlette, schemathesis.schemas.BaseSchema]:
    app = create_app(ServerConfig(profile=profile, id_seed=1))
    document: dict[str, Any] = schemathesis.openapi.from_asgi("/api/schema/", app).raw_schema
    config = SchemathesisConfig.from_dict(
        contract_settings(profile, document, implemented_operations(app))
    )
    return app, schemathesis.openapi.from_asgi("/api/schema/", app, config=config)


documented_app, documented = schema_for("documented")
actual_app, actual = schema_for("actual")


def reset(app: Starlette) -> None:
    state: ServerState = app.state.fakeserver
    state.workspace.reset()


@documented.parametrize()
@settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS)
def test_documented(case: schemathesis.Case) -> None:
    case.call_and_validate()


@actual.parametrize()
@settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS)
def test_actual(case: schemathesis.Case) -> None:
    case.call_and_validate()


class DocumentedWorkflow(documented.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        reset(documented_app)


class ActualWorkflow(actual.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        reset(actual_app)


_STATEFUL = {"max_examples": STATEFUL_SCENARIOS, **HYPOTHESIS}
TestDocumentedStateful = DocumentedWorkflow.TestCase
TestDocumentedStateful.settings = settings(TestDocumentedStateful.settings, **_STATEFUL)
TestActualStateful = ActualWorkflow.TestCase
TestActualStateful.settings = settings(TestActualStateful.settings, **_STATEFUL)
