"""Import errors, the HSDS API's parameters and query counts, the staff UI, the demo."""

from __future__ import annotations

import json
import random
from datetime import datetime, time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import Personas
from tests.factories import AreaFactory
from wraparound.accounts.actor import Actor
from wraparound.audit.models import AuditEvent
from wraparound.core.models import Network
from wraparound.directory.demo import seed_directory
from wraparound.directory.hsds.importer import ImportFailed, import_hsds
from wraparound.directory.models import Organisation, Schedule, Service, ServiceStatus
from wraparound.directory.opening import is_open
from wraparound.directory.services import service_set_capacity, service_set_status

pytestmark = pytest.mark.django_db

ORG = "11111111-1111-4111-8111-111111111111"
SVC = "22222222-2222-4222-8222-222222222222"


def service_doc(**changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "id": SVC,
        "name": "Food bank",
        "status": "active",
        "organization": {"id": ORG, "name": "Pantry Trust", "description": "Food"},
        "phones": [{"id": "33333333-3333-4333-8333-333333333333", "number": "029 2018 0001"}],
    }
    doc.update(changes)
    return doc


def write(tmp_path: Path, name: str, doc: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_import_then_reimport_updates_by_id(
    tmp_path: Path, network: Network, system_actor: Actor
) -> None:
    path = write(tmp_path, "service.json", service_doc())
    first = import_hsds(actor=system_actor, path=path, network=network)
    assert first.created["service"] == 1
    write(tmp_path, "service.json", service_doc(name="Community food bank"))
    second = import_hsds(actor=system_actor, path=path, network=network)
    assert second.updated["service"] == 1 and second.created["service"] == 0
    assert Service.objects.get().name == "Community food bank"
    assert Organisation.objects.filter(network=network).count() == 1
    assert AuditEvent.objects.filter(action="directory.import_hsds").count() == 2


def test_import_reports_every_invalid_record_and_writes_nothing(
    tmp_path: Path, network: Network, system_actor: Actor
) -> None:
    doc = service_doc(
        status="open",
        phones=[{"id": "33333333-3333-4333-8333-333333333333"}],
        schedules=[{"id": "not-a-uuid", "opens_at": "9am"}],
    )
    with pytest.raises(ImportFailed) as failure:
        import_hsds(actor=system_actor, path=write(tmp_path, "service.json", doc), network=network)
    found = {(p.table, p.id, p.field) for p in failure.value.problems}
    assert ("service", SVC, "status") in found
    assert ("phone", "33333333-3333-4333-8333-333333333333", "number") in found
    assert ("schedule", "not-a-uuid", "id") in found
    assert not Service.objects.exists() and not Organisation.objects.exists()


def test_dangling_reference_is_an_error(
    tmp_path: Path, network: Network, system_actor: Actor
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "services.csv").write_text(
        f"id,organization_id,name,status\n{SVC},{ORG},Food bank,active\n"
    )
    with pytest.raises(ImportFailed) as failure:
        import_hsds(actor=system_actor, path=tmp_path / "pkg", network=network)
    [problem] = failure.value.problems
    assert (problem.table, problem.id, problem.field) == ("service", SVC, "organization_id")
    assert "neither in the files nor in the directory" in problem.reason
    assert problem.source == "services.csv line 2"


def test_bad_value_is_reported_with_its_field(
    tmp_path: Path, network: Network, system_actor: Actor
) -> None:
    doc = service_doc(schedules=[{"id": "44444444-4444-4444-8444-444444444444", "count": 2.5}])
    with pytest.raises(ImportFailed) as failure:
        import_hsds(actor=system_actor, path=write(tmp_path, "service.json", doc), network=network)
    [problem] = failure.value.problems
    assert (problem.table, problem.field) == ("schedule", "count")
    assert "whole number" in problem.reason
    assert not Service.objects.exists()


def test_import_command_reports_problems(tmp_path: Path, network: Network) -> None:
    path = write(tmp_path, "service.json", service_doc(status="open"))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_hsds", str(path), "--network", network.slug)
    with pytest.raises(CommandError, match="no network with slug"):
        call_command("import_hsds", str(path), "--network", "nope")


def test_export_command_writes_both_forms(
    tmp_path: Path, network: Network, system_actor: Actor
) -> None:
    import_hsds(actor=system_actor, path=write(tmp_path, "s.json", service_doc()), network=network)
    call_command("export_hsds", str(tmp_path / "out"))
    assert (tmp_path / "out" / "csv" / "services.csv").read_text().count(SVC) == 1
    assert json.loads((tmp_path / "out" / "json" / "services.json").read_text())["total_items"] == 1


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def directory(personas: Personas) -> list[Service]:
    AreaFactory(network=personas.network)
    orgs = [personas.one_stop, personas.partner_org, personas.outsider_org]
    return seed_directory(network=personas.network, organisations=orgs, rng=random.Random(1))


def test_api_root() -> None:
    body = Client().get("/hsds/").json()
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/hsds/openapi.json")


def test_api_pages_and_filters_combine(directory: list[Service]) -> None:
    client = Client()
    body = client.get("/hsds/services", {"per_page": 2, "page": 2}).json()
    assert body["total_items"] == len(directory)
    assert body["page_number"] == 2 and body["size"] == 2 and not body["first_page"]
    org = directory[0].organisation
    by_org = client.get("/hsds/services", {"organization_id": str(org.hsds_id)}).json()
    assert by_org["total_items"] == sum(1 for s in directory if s.organisation_id == org.pk)
    term = directory[0].needs.first()
    assert term is not None
    from wraparound.directory.models import TaxonomyTerm

    term_id = TaxonomyTerm.objects.get(code=term.need).hsds_id
    tagged = client.get("/hsds/services", {"taxonomy_term_id": str(term_id)}).json()
    expected = {str(s.hsds_id) for s in directory if term.need in s.need_codes}
    assert {c["id"] for c in tagged["contents"]} == expected
    both = client.get(
        "/hsds/services",
        {"taxonomy_term_id": str(term_id), "organization_id": str(org.hsds_id), "search": "zzz"},
    ).json()
    assert both["total_items"] == 0 and both["empty"]
    minimal = client.get("/hsds/services", {"minimal": "true"}).json()["contents"][0]
    assert set(minimal) == {"id", "name", "status", "last_modified"}
    later = client.get("/hsds/services", {"modified_after": "2999-01-01T00:00:00Z"}).json()
    assert later["total_items"] == 0


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"page": 0}, "page"),
        ({"per_page": 5000}, "per_page"),
        ({"page": "x"}, "page"),
        ({"taxonomy_term_id": "abc"}, "taxonomy_term_id"),
        ({"organization_id": "abc"}, "organization_id"),
        ({"modified_after": "yesterday"}, "modified_after"),
    ],
)
def test_api_bad_parameters_are_named(params: dict[str, object], name: str) -> None:
    response = Client().get("/hsds/services", params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", name]


def test_api_unknown_id_is_404() -> None:
    assert Client().get(f"/hsds/services/{SVC}").json() == {"detail": "Not found"}
    assert Client().get("/hsds/services/nope").status_code == 404


@pytest.mark.parametrize("full", ["false", "true"])
def test_api_query_count_is_constant(directory: list[Service], full: str) -> None:
    counts = []
    for per_page in (1, 5, 20):
        with CaptureQueriesContext(connection) as queries:
            response = Client().get("/hsds/services", {"per_page": per_page, "full": full})
        assert response.status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


# --- opening hours ------------------------------------------------------------------------


def test_opening_hours_follow_the_rrule() -> None:
    weekday = Schedule(freq="WEEKLY", byday="MO,WE", opens_at=time(9), closes_at=time(17))
    monday_noon = datetime(2026, 11, 23, 12)
    assert is_open(weekday, monday_noon)
    assert not is_open(weekday, datetime(2026, 11, 24, 12))  # Tuesday
    assert not is_open(weekday, datetime(2026, 11, 23, 17, 30))  # after closing
    fortnightly = Schedule(
        freq="WEEKLY",
        interval=2,
        byday="MO",
        dtstart=datetime(2026, 11, 16).date(),
        opens_at=time(9),
        closes_at=time(17),
    )
    assert not is_open(fortnightly, monday_noon)
    assert is_open(fortnightly, datetime(2026, 11, 30, 12))
    overnight = Schedule(freq="WEEKLY", byday="FR", opens_at=time(20), closes_at=time(8))
    assert is_open(overnight, datetime(2026, 11, 28, 2))  # Saturday 2am, after Friday night
    assert not is_open(overnight, datetime(2026, 11, 29, 2))


# --- writes -------------------------------------------------------------------------------


def test_status_transitions_and_capacity(directory: list[Service], personas: Personas) -> None:
    actor = personas.actor(personas.manager)
    service = directory[0]
    service_set_status(actor=actor, service=service, status=ServiceStatus.DEFUNCT)
    with pytest.raises(ValidationError) as refused:
        service_set_status(actor=actor, service=service, status=ServiceStatus.ACTIVE)
    assert "status" in refused.value.message_dict
    with pytest.raises(ValidationError) as bad:
        service_set_capacity(actor=actor, service=service, total=5, available=9)
    assert "capacity_available" in bad.value.message_dict
    service_set_capacity(actor=actor, service=service, total=5, available=2)
    service.refresh_from_db()
    assert (service.capacity_total, service.capacity_available) == (5, 2)


# --- staff UI -----------------------------------------------------------------------------


def test_directory_search_by_need_and_text(directory: list[Service], personas: Personas) -> None:
    client = personas.client(personas.keyworker)
    page = client.get("/directory/", {"need": "homelessness"})
    assert page.status_code == 200
    names = {s.name for s in directory if "homelessness" in s.need_codes}
    assert names and all(n.encode() in page.content for n in names)
    assert b"Domestic abuse support" not in page.content
    text = client.get("/directory/", {"q": "legal advice"})
    assert b"Housing and debt legal advice" in text.content
    assert b"Homelessness prevention advice" not in text.content
    bad = client.get("/directory/", {"need": "flying"})
    assert b"govuk-error-summary" in bad.content


def test_service_page_has_what_a_referrer_needs(
    directory: list[Service], personas: Personas
) -> None:
    service = next(s for s in directory if s.name == "Homelessness prevention advice")
    page = personas.client(personas.keyworker).get(f"/directory/services/{service.pk}/")
    assert page.status_code == 200
    for text in (b"How to refer", b"Tenancy agreement", b"English", b"Hours", b"Mon", b"hours"):
        assert text in page.content
    other = personas.client(personas.keyworker).get("/directory/services/999999/")
    assert other.status_code == 404


def test_open_now_filter(directory: list[Service], personas: Personas) -> None:
    from wraparound.directory.selectors import directory_search

    actor = personas.actor(personas.keyworker)
    sunday_3am = datetime(2026, 11, 22, 3)
    open_names = {s.name for s in directory_search(actor=actor, open_at=sunday_3am)}
    # Only the round-the-clock helplines are open at 3am on a Sunday.
    assert open_names == {
        s.name for s in directory if s.schedules.filter(byday__contains="SU").exists()
    }
    assert open_names


def test_eligibility_filter_says_when_screening_is_unavailable(
    directory: list[Service], personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wraparound.directory import views

    monkeypatch.setattr(views, "eligibility_filter", lambda: None)
    page = personas.client(personas.keyworker).get("/directory/", {"person": 1})
    assert b"Eligibility screening is not available yet" in page.content


def test_eligibility_filter_keeps_only_the_persons_services(
    directory: list[Service], personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page asks the eligibility engine (whatever it is) for the person's services and
    lists only those; the person must be one the worker may see."""
    from tests import factories as f
    from wraparound.directory import views

    person = f.PersonFactory(network=personas.network, registered_by=personas.one_stop)
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    chosen = directory[0]
    asked: list[object] = []

    def eligible_service_ids(*, actor: Actor, person: object) -> set[int]:
        asked.append(person)
        return {chosen.pk}

    monkeypatch.setattr(views, "eligibility_filter", lambda: eligible_service_ids)
    client = personas.client(personas.keyworker)
    page = client.get("/directory/", {"person": person.pk})
    assert asked == [person]
    assert b"1 service found" in page.content and chosen.name.encode() in page.content
    assert AuditEvent.objects.filter(action="directory.eligibility", person_id=person.pk).exists()
    # Someone the worker may not see is refused like someone who does not exist.
    stranger = f.PersonFactory(network=personas.network, registered_by=personas.outsider_org)
    refused = client.get("/directory/", {"person": stranger.pk})
    assert b"No person with this record number that you may see" in refused.content


def test_area_filter_keeps_services_covering_the_area(
    directory: list[Service], personas: Personas
) -> None:
    from wraparound.core.models import Area
    from wraparound.directory.models import ServiceArea
    from wraparound.directory.selectors import directory_search

    region = AreaFactory(network=personas.network, level="region", parent=None)
    district = AreaFactory(network=personas.network, level="district", parent=region)
    elsewhere = AreaFactory(network=personas.network, level="district", parent=region)
    hood = AreaFactory(network=personas.network, level="neighbourhood", parent=district)
    ServiceArea.objects.all().delete()
    local, remote = directory[0], directory[1]
    ServiceArea.objects.create(service=local, area=district)
    ServiceArea.objects.create(service=remote, area=elsewhere)
    actor = personas.actor(personas.keyworker)
    found = set(directory_search(actor=actor, area=Area.objects.get(pk=hood.pk)))
    assert local in found and remote not in found
    assert set(directory) - {remote} == found  # the rest serve the whole network


def test_other_endpoints_filter_and_validate(directory: list[Service]) -> None:
    from wraparound.directory.models import ServiceAtLocation, TaxonomyTerm

    client = Client()
    org = directory[0].organisation
    sal = client.get("/hsds/service_at_locations", {"organization_id": str(org.hsds_id)}).json()
    expected = ServiceAtLocation.objects.filter(service__organisation=org).count()
    assert sal["total_items"] == expected and sal["contents"][0]["service"]["organization"]
    one = ServiceAtLocation.objects.first()
    assert one is not None
    full = client.get(f"/hsds/service_at_locations/{one.hsds_id}").json()
    assert full["location"]["id"] == str(one.location.hsds_id)
    assert full["service"]["id"] == str(one.service.hsds_id)
    terms = client.get("/hsds/taxonomy_terms", {"search": "food", "top_only": "true"}).json()
    assert {t["code"] for t in terms["contents"]} == {"food-insecurity"}
    term = TaxonomyTerm.objects.get(code="food-insecurity")
    assert client.get(f"/hsds/taxonomy_terms/{term.hsds_id}").json()["taxonomy_detail"]["name"]
    by_taxonomy = client.get(
        "/hsds/taxonomy_terms", {"taxonomy_id": str(term.taxonomy_hsds_id), "per_page": 100}
    ).json()
    assert by_taxonomy["total_items"] == TaxonomyTerm.objects.count()
    orgs = client.get("/hsds/organizations", {"search": org.name, "full": "true"}).json()
    assert orgs["contents"][0]["services"]
    assert client.get("/hsds/taxonomies", {"per_page": 0}).status_code == 422
    assert client.get("/hsds/nothing-here").status_code == 404


def test_factories_build_a_searchable_service(personas: Personas) -> None:
    from tests.directory.factories import (
        ScheduleFactory,
        ServiceAtLocationFactory,
        ServiceFactory,
        ServiceNeedFactory,
    )
    from wraparound.directory.selectors import directory_search

    service = ServiceFactory(organisation=personas.partner_org, name="Pantry")
    ServiceNeedFactory(service=service)
    ServiceAtLocationFactory(service=service)
    ScheduleFactory(service=service)
    actor = personas.actor(personas.keyworker)
    assert list(directory_search(actor=actor, need="food-insecurity")) == [service]
    monday_10 = datetime(2026, 11, 23, 10)
    assert list(directory_search(actor=actor, open_at=monday_10)) == [service]
    assert list(directory_search(actor=actor, open_at=datetime(2026, 11, 22, 10))) == []


@pytest.mark.parametrize("form", ["json/services.json", "csv"])
def test_needs_travel_through_an_hsds_export(
    directory: list[Service], personas: Personas, tmp_path: Path, form: str
) -> None:
    """Need categories are published as attributes of the "Wraparound needs" taxonomy, so
    an export re-imported (here over a directory that lost them) restores them."""
    from wraparound.directory.hsds.exporter import export_hsds
    from wraparound.directory.models import ServiceNeed

    before = {s.pk: sorted(s.need_codes) for s in directory}
    export_hsds(directory=tmp_path)
    ServiceNeed.objects.all().delete()
    try:
        import_hsds(actor=Actor.system("test"), path=tmp_path / form, network=personas.network)
    except ImportFailed as exc:
        raise AssertionError("\n".join(map(str, exc.problems))) from exc
    after = {s.pk: sorted(s.needs.values_list("need", flat=True)) for s in Service.objects.all()}
    assert after == before
    assert Service.objects.count() == len(directory)


def test_set_needs_keeps_the_hsds_attributes_in_step(
    directory: list[Service], personas: Personas
) -> None:
    from wraparound.directory.models import Attribute
    from wraparound.directory.services import service_set_needs

    service = directory[0]
    service_set_needs(
        actor=personas.actor(personas.manager),
        service=service,
        needs=["food-insecurity", "stress"],
    )
    tagged = set(
        Attribute.objects.filter(link_id=service.hsds_id).values_list(
            "taxonomy_term__code", flat=True
        )
    )
    assert tagged == {"food-insecurity", "stress"} == set(service.need_codes)
    with pytest.raises(ValidationError) as bad:
        service_set_needs(actor=personas.actor(personas.manager), service=service, needs=["x"])
    assert "needs" in bad.value.message_dict


def test_eligibility_filter_with_the_eligibility_engine(personas: Personas) -> None:
    """End to end with the real engine: a service whose rule the person fails is hidden,
    a service without a rule stays."""
    import datetime as dt

    from tests import factories as f
    from tests.directory.factories import ServiceFactory
    from wraparound.directory import views
    from wraparound.eligibility.services import rule_save

    if views.eligibility_filter() is None:
        pytest.fail("wraparound.eligibility.selectors.eligible_service_ids is missing")
    person = f.PersonFactory(
        network=personas.network,
        registered_by=personas.one_stop,
        date_of_birth=dt.date(1985, 3, 27),
    )
    f.CaseFactory(person=person, lead_organisation=personas.one_stop, key_worker=personas.keyworker)
    ServiceFactory(organisation=personas.partner_org, name="Open to all")
    older_people = ServiceFactory(organisation=personas.partner_org, name="Over sixty-fives")
    rule_save(
        actor=personas.actor(personas.netadmin),
        expression="person.age >= 65",
        summary="Aged 65 or over",
        service=older_people,
    )
    page = personas.client(personas.keyworker).get("/directory/", {"person": person.pk})
    assert page.status_code == 200
    assert b"Open to all" in page.content
    assert b"Over sixty-fives" not in page.content
    everyone = personas.client(personas.keyworker).get("/directory/")
    assert b"Over sixty-fives" in everyone.content


def test_records_of_another_network_are_not_taken_over(
    tmp_path: Path, network: Network, system_actor: Actor
) -> None:
    from tests.factories import NetworkFactory

    path = write(tmp_path, "service.json", service_doc())
    import_hsds(actor=system_actor, path=path, network=network)
    other = NetworkFactory(slug="other-net")
    with pytest.raises(ImportFailed) as failure:
        import_hsds(actor=system_actor, path=path, network=other)
    found = {(p.table, p.field, p.reason) for p in failure.value.problems}
    assert ("organization", "id", "belongs to another network's directory") in found
    assert ("service", "id", "belongs to another network's directory") in found
    assert Organisation.objects.get().network == network


def test_a_whole_export_folder_imports_as_one_file_set(
    directory: list[Service], personas: Personas, tmp_path: Path
) -> None:
    """JSON and CSV of the same export, read together, agree record for record."""
    from wraparound.directory.hsds.exporter import export_hsds

    export_hsds(directory=tmp_path)
    result = import_hsds(actor=Actor.system("test"), path=tmp_path, network=personas.network)
    assert result.updated["service"] == len(directory)
    assert sum(result.created.values()) == 0
