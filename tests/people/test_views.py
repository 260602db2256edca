import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from tests.conftest import audit_lock_queries
from wraparound.audit.models import AuditEvent
from wraparound.people.models import Household, Person

pytestmark = pytest.mark.django_db


def person_form(**overrides):
    data = {
        "given_name": "Siân",
        "family_name": "Evans",
        "sex": "female",
        "date_of_birth_0": "27",
        "date_of_birth_1": "3",
        "date_of_birth_2": "1985",
        "phone": "029 2018 0123",
        "postcode": "cf37 1aa",
        "preferred_languages": ["cy", "en"],
        "identifier_type": "",
        "identifier_value": "",
        "identifier_issuer": "",
    }
    data.update(overrides)
    return data


def test_pages_need_sign_in(client):
    for url in ("/", "/people/", "/people/new"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_sign_in_and_out(personas, client):
    response = client.post(
        reverse("accounts:login"), {"username": "keyworker", "password": "wrong"}
    )
    assert "Enter a correct username and password" in response.content.decode()
    assert 'class="govuk-error-summary"' in response.content.decode()
    response = client.post(
        reverse("accounts:login"),
        {"username": "keyworker", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get("/").status_code == 302


def test_register_then_see_the_record(keyworker_client):
    response = keyworker_client.post("/people/new", person_form())
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/"
    page = keyworker_client.get(response["Location"]).content.decode()
    assert "Siân Evans" in page
    assert "029 2018 0123" in page
    assert "Registered Siân Evans" in page  # the timeline


def test_validation_errors_keep_what_was_typed(keyworker_client):
    response = keyworker_client.post(
        "/people/new",
        person_form(
            phone="not a phone",
            date_of_birth_0="31",
            date_of_birth_1="2",
            address_line_1="12 Heol y Bryn",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Register a person" in page
    assert "There is a problem" in page
    assert 'href="#id_phone"' in page and "Enter a phone number" in page
    assert 'href="#id_date_of_birth_0"' in page and "must be a real date" in page
    assert 'value="12 Heol y Bryn"' in page and 'value="not a phone"' in page
    assert 'value="31"' in page
    assert Person.objects.count() == 0


def test_service_errors_land_on_their_fields(keyworker_client):
    response = keyworker_client.post(
        "/people/new",
        person_form(date_of_birth_2="2999", identifier_type="nhs_number", identifier_value="123"),
    )
    page = response.content.decode()
    assert "Date of birth must be today or in the past" in page
    assert "valid NHS number" in page
    assert 'href="#id_identifier_value"' in page
    assert Person.objects.count() == 0


def test_edit_records_change_on_timeline(personas, keyworker_client):
    person = f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        given_name="Gwen",
        family_name="Morgan",
    )
    response = keyworker_client.post(
        f"/people/{person.pk}/edit", person_form(given_name="Gwen", family_name="Morgan-Price")
    )
    assert response.status_code == 302
    page = keyworker_client.get(f"/people/{person.pk}/").content.decode()
    assert "Details edited:" in page and "family name" in page


def test_record_is_404_for_people_not_shared(personas):
    person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    outsider = personas.client(personas.outsider)
    missing = outsider.get("/people/999999/")
    hidden = outsider.get(f"/people/{person.pk}/")
    assert missing.status_code == hidden.status_code == 404
    assert outsider.get(f"/people/{person.pk}/edit").status_code == 404


def test_netadmin_cannot_register(personas):
    assert personas.client(personas.netadmin).get("/people/new").status_code == 403


def test_search_page(personas, keyworker_client):
    person = f.PersonFactory(
        network=personas.network,
        given_name="Siân",
        family_name="Évans",
        registered_by=personas.one_stop,
    )
    page = keyworker_client.get("/people/", {"name": "sian evans"}).content.decode()
    assert "1 person found" in page and f"/people/{person.pk}/" in page
    partial = keyworker_client.get("/people/", {"name": "sian"}, HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="results"')
    bad = keyworker_client.get(
        "/people/", {"date_of_birth_0": "40", "date_of_birth_1": "1", "date_of_birth_2": "1990"}
    ).content.decode()
    assert "must be a real date" in bad


def test_search_page_query_count_does_not_grow_with_results(personas, keyworker_client):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = keyworker_client.get("/people/", {"name": "jones"})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for _ in range(n):
            p = f.PersonFactory(network=personas.network, family_name="Jones")
            f.CaseFactory(
                person=p, lead_organisation=personas.one_stop, key_worker=personas.keyworker
            )

    add(2)
    few = count_queries()
    add(20)
    assert count_queries() == few
    # session, user, membership, rare grounds, count, page, cases, audit (4), session save (3)
    assert few <= 14 + audit_lock_queries()


def test_household_create_and_two_heads_refused(personas, keyworker_client):
    a = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    b = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    base = {
        "name": "Evans",
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "20",
        "members-0-reference": a.reference,
        "members-0-relationship": "head",
        "members-1-reference": b.reference,
        "members-2-reference": "",
        "members-2-relationship": "",
    }
    response = keyworker_client.post(
        f"/people/{a.pk}/household", {**base, "members-1-relationship": "head"}
    )
    assert "A household has one head" in response.content.decode()
    assert Household.objects.count() == 0
    response = keyworker_client.post(
        f"/people/{a.pk}/household", {**base, "members-1-relationship": "partner"}
    )
    assert response.status_code == 302
    household = Household.objects.get()
    assert household.members.count() == 2
    page = keyworker_client.get(f"/people/{b.pk}/").content.decode()
    assert "Joined the Evans household as spouse or partner" in page


def test_household_member_outsider_cannot_see_is_unknown(personas, keyworker_client):
    a = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    hidden = f.PersonFactory(network=personas.network, registered_by=personas.partner_org)
    response = keyworker_client.post(
        f"/people/{a.pk}/household",
        {
            "name": "Evans",
            "members-TOTAL_FORMS": "2",
            "members-INITIAL_FORMS": "1",
            "members-MIN_NUM_FORMS": "0",
            "members-MAX_NUM_FORMS": "20",
            "members-0-reference": a.reference,
            "members-0-relationship": "head",
            "members-1-reference": hidden.reference,
            "members-1-relationship": "partner",
        },
    )
    assert f"No person with record number {hidden.reference}" in response.content.decode()
    assert Household.objects.count() == 0


def test_identifier_add_and_remove(personas, keyworker_client):
    person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    response = keyworker_client.post(
        f"/people/{person.pk}/identifiers", {"type": "nhs_number", "value": "943 476 5919"}
    )
    assert response.status_code == 302
    identifier = person.identifiers.get()
    bad = keyworker_client.post(
        f"/people/{person.pk}/identifiers", {"type": "nhs_number", "value": "1234567890"}
    )
    assert "valid NHS number" in bad.content.decode()
    keyworker_client.post(f"/people/{person.pk}/identifiers/{identifier.pk}/remove")
    assert person.identifiers.count() == 0
    assert AuditEvent.objects.filter(action="identifier.remove").count() == 1


def test_broad_searches_say_more_than_the_cap(personas, keyworker_client, monkeypatch):
    from wraparound.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for _ in range(5):
        f.PersonFactory(
            network=personas.network, family_name="Jones", registered_by=personas.one_stop
        )
    page = keyworker_client.get("/people/", {"name": "jones"}).content.decode()
    assert "More than 3 people found" in page
    assert "Add more of the name" in page
    few = keyworker_client.get("/people/", {"name": "jones", "page": "1"}).context["page"]
    assert few.paginator.count == 4  # counted no further than the cap + 1


def test_api_list_reports_a_capped_count(personas, monkeypatch):
    from tests.api.clients import bearer_client
    from wraparound.accounts.actor import Actor
    from wraparound.accounts.services import api_token_create
    from wraparound.api import people as api_people
    from wraparound.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    monkeypatch.setattr(api_people, "COUNT_CAP", 3)
    for _ in range(5):
        f.PersonFactory(
            network=personas.network, family_name="Jones", registered_by=personas.one_stop
        )
    _, raw = api_token_create(actor=Actor.system("test"), user=personas.keyworker)
    body = bearer_client(raw).get("/api/v1/people", {"q": "jones"}).json()
    assert (body["count"], body["count_capped"]) == (4, True)
    assert len(body["results"]) == 5
