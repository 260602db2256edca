"""One error shape for the whole API, whoever raised the error.

* invalid input, whether ninja's schema validation or a service's ``ValidationError``:
  422 ``{"detail": [{"loc": ["body", "phone"], "msg": "...", "type": "..."}]}``
* a body that is not JSON: 400 ``{"detail": "..."}`` (ninja's HttpError); too big: 413
* no or bad credentials: 401; refused by the access policy: 403 with its reason
* not found and not allowed to see: the same 404 ``{"detail": "Not found"}``
* anything unexpected: a logged 500, still JSON
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationErrorContext
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("wraparound.api")

NOT_FOUND = "Not found"


# {"loc": [...], "msg": "...", "type": "..."}: pydantic's own error shape, minus its extras.
ApiError = dict[str, Any]


def api_error(loc: list[str | int], msg: str, error_type: str) -> ApiError:
    return {"loc": loc, "msg": msg, "type": error_type}


def schema_errors(contexts: Iterable[ValidationErrorContext[Any]]) -> list[ApiError]:
    """Ninja's pydantic errors, located as the client sees the request.

    Ninja wraps a single body parameter in its argument name ("payload"); the client never
    sent that name, so it is dropped: ``["body", "payload", "phone"]`` -> ``["body", "phone"]``.
    """
    errors: list[ApiError] = []
    for context in contexts:
        model = context.model
        source: str = model.__ninja_param_source__
        wrapper = getattr(model, "__read_from_single_attr__", None)
        flattened: dict[tuple[Any, ...], tuple[Any, ...]] = model.__ninja_flatten_map_reverse__
        for error in context.pydantic_validation_error.errors(include_url=False):
            loc = tuple(error["loc"])
            loc = flattened.get(loc, loc)
            if wrapper and loc[:1] == (wrapper,):
                loc = loc[1:]
            errors.append(api_error([source, *loc], error["msg"], error["type"]))
    return errors


def service_errors(exc: DjangoValidationError, *, source: str = "body") -> list[ApiError]:
    """A service's ValidationError (keyed by field, like the request body) in the same shape."""
    errors: list[ApiError] = []
    by_field = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    for field, field_errors in by_field.items():
        loc: list[str | int] = [source] if field == NON_FIELD_ERRORS else [source, field]
        for error in field_errors:
            message = error.message % error.params if error.params else error.message
            errors.append(api_error(loc, str(message), error.code or "value_error"))
    return errors


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, detail: Any, status: int) -> HttpResponse:
        return api.create_response(request, {"detail": detail}, status=status)

    @api.exception_handler(NinjaValidationError)
    def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, exc.errors, 422)

    @api.exception_handler(DjangoValidationError)
    def refused_by_service(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, service_errors(exc), 422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, "Send a valid API token: Authorization: Bearer <token>", 401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, exc.message, exc.status_code)

    @api.exception_handler(SuspiciousOperation)
    def bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Django answers these 400 itself; the catch-all below would otherwise make them 500s.
        if isinstance(exc, RequestDataTooBig):
            return respond(request, "Request body too large", 413)
        return respond(request, "Bad request", 400)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, str(exc) or "You may not do that", 403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # Never the exception's own text: "no such person" and "not yours to see" must
        # read the same.
        return respond(request, NOT_FOUND, 404)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception(
            "Unhandled error in %s %s",
            request.method,
            request.path,
            extra={"request_id": getattr(request, "request_id", "")},
        )
        return respond(request, "Internal server error", 500)
