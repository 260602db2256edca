"""Survey invitations with a known token (the real one is only ever in the e-mail)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from wraparound.satisfaction.models import SurveyChannel, SurveyInvitation, SurveyTrigger
from wraparound.satisfaction.services import token_digest


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"test-survey-token-{n:04d}")
    person = factory.SelfAttribute("case.person")
    organisation = factory.SelfAttribute("case.lead_organisation")
    trigger = SurveyTrigger.STEP_DOWN
    channel = SurveyChannel.PORTAL
    token_hash = factory.LazyAttribute(lambda o: token_digest(o.token))
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + dt.timedelta(days=30))


def invitation_with_token(case, token: str = "a-known-survey-token", **kwargs):  # type: ignore[no-untyped-def]
    return SurveyInvitationFactory(case=case, token=token, **kwargs)
