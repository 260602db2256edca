"""Staff pages: what could this person get, circumstances, rules, parameters, gaps."""

from __future__ import annotations

import datetime as dt

from tests.eligibility.conftest import Setup
from wraparound.eligibility.models import Circumstances, ParameterValue, Rule, RuleVersion


def test_the_person_record_links_to_the_screening(setup: Setup) -> None:
    client = setup.personas.client(setup.personas.keyworker)
    page = client.get(f"/people/{setup.person.pk}/").content.decode()
    assert f"/eligibility/people/{setup.person.pk}/" in page


def test_what_could_this_person_get(setup: Setup) -> None:
    client = setup.personas.client(setup.personas.keyworker)
    response = client.get(f"/eligibility/people/{setup.person.pk}/?on_0=1&on_1=4&on_2=2026")
    assert response.status_code == 200
    page = response.content.decode()
    assert "What could this person get?" in page
    assert "monthly income £1,420 ≤ £1,600 threshold for a 2-person household" in page
    assert "Facts withheld from you" in page
    assert "Eligible (2)" in page and "Unknown: more facts needed (1)" in page


def test_screening_someone_not_yours_is_404(setup: Setup) -> None:
    client = setup.personas.client(setup.personas.outsider)
    assert client.get(f"/eligibility/people/{setup.person.pk}/").status_code == 404


def test_record_circumstances(setup: Setup) -> None:
    client = setup.personas.client(setup.personas.keyworker)
    url = f"/eligibility/people/{setup.person.pk}/circumstances"
    setup.person.circumstances.update(disabled=True)  # recorded by the partner organisation
    form = client.get(url).content.decode()
    assert 'name="income_monthly"' in form
    assert 'name="disabled"' not in form  # health recorded by another organisation: withheld
    response = client.post(
        url, {"income_monthly": "abc", "needs": ["food-insecurity"], "carer": "yes"}
    )
    assert response.status_code == 200
    assert "Enter the monthly income as a number" in response.content.decode()
    assert Circumstances.objects.filter(person=setup.person).count() == 1
    response = client.post(
        url, {"income_monthly": "1000", "needs": ["food-insecurity"], "carer": "yes"}
    )
    assert response.status_code == 302
    latest = Circumstances.objects.filter(person=setup.person).order_by("-version").first()
    assert latest is not None and latest.version == 2 and latest.carer is True


def test_a_rule_with_an_error_is_shown_and_not_saved(setup: Setup) -> None:
    client = setup.personas.client(setup.personas.netadmin)
    url = f"/eligibility/rules/service/{setup.open_service.pk}"
    response = client.post(url, {"expression": "person.age >= 18.0", "summary": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Cannot compare a whole number (int) with a decimal number (double)" in page
    assert not Rule.objects.filter(service=setup.open_service).exists()
    response = client.post(url, {"expression": "person.age >= 18", "summary": "Adults"})
    assert response.status_code == 302
    assert RuleVersion.objects.get(rule__service=setup.open_service).summary == "Adults"
    assert "person.age &gt;= 18" in client.get("/eligibility/rules/").content.decode()


def test_only_administrators_edit_rules(setup: Setup) -> None:
    client = setup.personas.client(setup.personas.keyworker)
    url = f"/eligibility/rules/service/{setup.open_service.pk}"
    assert client.post(url, {"expression": "true"}).status_code == 403
    assert client.get("/eligibility/rules/bogus/1").status_code == 404


def test_parameters_pages(setup: Setup) -> None:
    client = setup.personas.client(setup.personas.netadmin)
    assert "low_income_threshold" in client.get("/eligibility/parameters/").content.decode()
    url = f"/eligibility/parameters/{setup.threshold.pk}/"
    response = client.post(
        url,
        {
            "key": "2",
            "value": "1700",
            "effective_from_0": "1",
            "effective_from_1": "4",
            "effective_from_2": "2026",
        },
    )
    assert response.status_code == 302
    assert ParameterValue.objects.filter(
        parameter=setup.threshold, key=2, effective_from=dt.date(2026, 4, 1)
    ).exists()
    response = client.post(url, {"key": "2", "value": "", "effective_from_0": "1"})
    assert response.status_code == 200
    assert "Enter the value" in response.content.decode()
    response = client.post(
        "/eligibility/parameters/new",
        {"name": "max_age", "label": "maximum age", "unit": "years", "key_label": ""},
    )
    assert response.status_code == 302


def test_gaps_page_and_csv_for_managers_only(setup: Setup) -> None:
    manager = setup.personas.client(setup.personas.manager)
    page = manager.get("/eligibility/gaps/")
    assert page.status_code == 200
    assert "Food insecurity" in page.content.decode()  # no service serves that need
    csv_response = manager.get("/eligibility/gaps.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode().splitlines()
    assert lines[0] == "area,area_code,need,need_label,people_with_no_service"
    assert lines[1] == "Treorchy,W05000001,food-insecurity,Food insecurity,fewer than 5"
    keyworker = setup.personas.client(setup.personas.keyworker)
    assert keyworker.get("/eligibility/gaps/").status_code == 403
