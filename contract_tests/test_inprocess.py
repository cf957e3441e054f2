"""schemathesis against the served OpenAPI document of each profile, in process, every check on."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from fakeserver.app import ServerConfig, create_app

CSRF = "c" * 32
AUTH = {
    # documented: personal API keys work everywhere.
    "documented": {"Authorization": "Bearer phx_ada_all"},
    # actual: keys are refused on the queue actions, so use Ada's browser session.
    "actual": {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={CSRF}", "X-CSRFToken": CSRF},
}
IMPLEMENTED = (
    r"^(environments_)?conversations_(list|retrieve|destroy|queue_retrieve|queue_create|"
    r"queue_partial_update|queue_destroy|queue_clear_create)$"
)


def schema_for(profile: str) -> schemathesis.schemas.BaseSchema:
    app = create_app(ServerConfig(profile=profile))
    schema = schemathesis.openapi.from_asgi("/api/schema/", app)
    schema.config.update(headers=AUTH[profile], parameters={"project_id": "1"})
    return schema.include(operation_id_regex=IMPLEMENTED)


documented = schema_for("documented")
actual = schema_for("actual")


@documented.parametrize()
@settings(max_examples=25, suppress_health_check=list(HealthCheck))
def test_documented(case: schemathesis.Case) -> None:
    case.call_and_validate()


@actual.parametrize()
@settings(max_examples=25, suppress_health_check=list(HealthCheck))
def test_actual(case: schemathesis.Case) -> None:
    case.call_and_validate()
