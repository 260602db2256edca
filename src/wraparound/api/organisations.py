"""GET /organisations: the agencies of the caller's network."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from wraparound.api.auth import request_actor
from wraparound.api.schemas import OrganisationOut, with_errors
from wraparound.directory.models import Organisation
from wraparound.directory.selectors import organisations_list

router = Router(tags=["organisations"])


@router.get(
    "", response=with_errors({200: list[OrganisationOut]}), summary="Organisations of your network"
)
def list_organisations(request: HttpRequest) -> list[Organisation]:
    return list(organisations_list(actor=request_actor(request)))
