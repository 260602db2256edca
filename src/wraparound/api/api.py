"""The JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from typing import NoReturn

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Router
from ninja.errors import ValidationError, ValidationErrorContext

from wraparound.api.appointments import flags_router
from wraparound.api.appointments import router as appointments_router
from wraparound.api.assessments import router as assessments_router
from wraparound.api.auth import BearerToken
from wraparound.api.consent import router as consent_router
from wraparound.api.eligibility import router as eligibility_router
from wraparound.api.errors import install_error_handlers, schema_errors
from wraparound.api.organisations import router as organisations_router
from wraparound.api.people import router as people_router
from wraparound.api.referrals import router as referrals_router


class WraparoundApi(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        # Locate schema errors as the client sent them, in the shape service errors use.
        return ValidationError(schema_errors(error_contexts))


api = WraparoundApi(
    title="Wraparound API",
    version="1",
    description=(
        "Integrated social-service delivery. Authenticate with `Authorization: Bearer "
        "<token>` (`wraparound create_api_token <username>` prints one). You see and change "
        "only the people your organisation works with; anyone else is a 404, exactly like "
        "someone who does not exist. Invalid input is a 422 listing every problem as "
        '`{"loc": [...], "msg": ..., "type": ...}`.'
    ),
    auth=BearerToken(),
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/organisations", organisations_router)
api.add_router("/people", people_router)
api.add_router("", consent_router)
api.add_router("", eligibility_router)
api.add_router("", assessments_router)
api.add_router("/referrals", referrals_router)
api.add_router("/appointments", appointments_router)
api.add_router("", flags_router)

# Registered last, so it only sees paths no route matched: they get a JSON 404 like the
# rest of the API instead of Django's HTML page.
unknown_paths = Router()


@unknown_paths.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> NoReturn:
    raise Http404(rest)


api.add_router("", unknown_paths)
