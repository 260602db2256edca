"""Portal accounts and a test client signed in as one."""

from __future__ import annotations

import factory
from django.test import Client

from tests.factories import NetworkFactory
from wraparound.portal.models import CitizenAccount, Intermediary, LinkMethod
from wraparound.portal.session import ACCOUNT_KEY


class CitizenAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CitizenAccount

    network = factory.SubFactory(NetworkFactory)
    email = factory.Sequence(lambda n: f"citizen{n}@example.org")
    person = None
    link_method = factory.LazyAttribute(lambda o: LinkMethod.WORKER if o.person else "")


class IntermediaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intermediary

    relationship = "relative"


def citizen_client(account: CitizenAccount, *, language: str = "") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    session = client.session
    session[ACCOUNT_KEY] = account.pk
    session.save()
    return client


def appointment_for(person, organisation, booked_by, *, days: int = 2, hour: int = 10, **kwargs):  # type: ignore[no-untyped-def]
    """A booked appointment (straight into the table: booking rules are tested elsewhere)."""
    import datetime as dt

    from django.utils import timezone

    from wraparound.appointments.models import Appointment

    start = timezone.localtime().replace(
        hour=hour, minute=0, second=0, microsecond=0
    ) + dt.timedelta(days=days)
    return Appointment.objects.create(
        network=person.network,
        person=person,
        organisation=organisation,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        place=kwargs.pop("place", "centre"),
        purpose=kwargs.pop("purpose", "Housing options interview"),
        booked_by=booked_by,
        **kwargs,
    )
