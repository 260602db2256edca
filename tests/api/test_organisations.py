from __future__ import annotations

from tests import factories as f
from tests.api.clients import ApiClientFor


def test_organisations_of_the_callers_network_in_name_order(personas, api_client_for: ApiClientFor):
    f.OrganisationFactory(name="Elsewhere Trust")  # another network: never listed

    response = api_client_for(personas.partner).get("/api/v1/organisations")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": org.pk,
            "slug": org.slug,
            "name": org.name,
            "sector": org.sector,
            "kind": org.kind,
        }
        for org in (personas.one_stop, personas.partner_org, personas.outsider_org)
    ]


def test_a_user_without_a_membership_sees_no_organisations(personas, api_client_for):
    loner = f.UserFactory(username="loner")

    response = api_client_for(loner).get("/api/v1/organisations")

    assert response.status_code == 200
    assert response.json() == []


def test_an_unexpected_error_is_a_logged_json_500(personas, api_client_for, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("selector exploded")

    monkeypatch.setattr("wraparound.api.organisations.organisations_list", broken)

    response = api_client_for(personas.keyworker).get("/api/v1/organisations")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert "selector exploded" not in response.content.decode()
    assert any(record.exc_info for record in caplog.records if record.name == "wraparound.api")
