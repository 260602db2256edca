"""Portal writes: sign-in codes, accounts, linking an account to a person, intermediaries
and preferences. Keyword-only, atomic, audited like every other service."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wraparound.accounts.actor import Actor
from wraparound.audit.services import audit_record
from wraparound.consent.categories import DataCategory
from wraparound.core.models import Network
from wraparound.people.models import Person
from wraparound.portal.models import (
    CitizenAccount,
    Intermediary,
    LinkMethod,
    LinkRequest,
    LinkRequestStatus,
    PersonLinkCode,
    SignInCode,
)

CODE_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
# At most this many codes per address in the window: enough for "I did not get it", not
# enough to flood someone's inbox or guess codes.
CODES_PER_WINDOW = 3
CODE_WINDOW = timedelta(minutes=15)
LINK_CODE_LIFETIME = timedelta(days=14)


def _digest(secret: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


@dataclass(frozen=True)
class IssuedCode:
    record: SignInCode
    code: str  # six digits, typed
    link_token: str  # in the magic link


@transaction.atomic
def sign_in_code_send(*, network: Network, email: str, link_url: str = "") -> IssuedCode:
    """Send a one-time code and magic link to an address (whether or not it has an account
    yet: the account is made when the code is used, so nobody learns who has one)."""
    address = normalise_email(email)
    since = timezone.now() - CODE_WINDOW
    recent = SignInCode.objects.filter(network=network, email=address, created_at__gte=since)
    if recent.count() >= CODES_PER_WINDOW:
        raise _error(
            "email",
            _(
                "We have sent %(count)s codes to this address in the last 15 minutes. "
                "Wait a few minutes, then ask for a new one."
            )
            % {"count": CODES_PER_WINDOW},
        )
    code = f"{secrets.randbelow(10**6):06d}"
    link_token = secrets.token_urlsafe(32)
    record = SignInCode.objects.create(
        network=network,
        email=address,
        code_hash=_digest(code),
        link_hash=_digest(link_token),
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    body = _(
        "Your Wraparound sign-in code is %(code)s. It works once, for 15 minutes.\n\n"
        "Or open this link on this device: %(link)s\n\n"
        "If you did not ask for it, you can ignore this e-mail."
    ) % {"code": code, "link": f"{link_url}{link_token}" if link_url else ""}
    transaction.on_commit(
        lambda: send_mail(_("Your Wraparound sign-in code"), body, None, [address])
    )
    return IssuedCode(record, code, link_token)


def _account_for(network: Network, address: str) -> CitizenAccount:
    account, _created = CitizenAccount.objects.get_or_create(network=network, email=address)
    if not account.is_active:
        raise _error("code", _("This account has been closed. Contact your key worker."))
    return account


def _signed_in(account: CitizenAccount) -> CitizenAccount:
    account.last_sign_in_at = timezone.now()
    account.save(update_fields=["last_sign_in_at"])
    return account


def sign_in_with_code(*, network: Network, email: str, code: str) -> CitizenAccount:
    """Check a typed code against the newest usable one for the address. A wrong code is
    counted (and committed) before the error is raised: the count must survive it."""
    address = normalise_email(email)
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        raise _error("code", _("Enter the 6-digit code from the e-mail"))
    with transaction.atomic():
        record = (
            SignInCode.objects.select_for_update()
            .filter(network=network, email=address, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if record is None or not record.is_usable:
            error = _error(
                "code", _("This code has expired or has already been used. Ask for a new one.")
            )
        elif not hmac.compare_digest(record.code_hash, _digest(code)):
            record.failed_attempts += 1
            record.save(update_fields=["failed_attempts"])
            error = (
                _error("code", _("Too many wrong codes. Ask for a new one."))
                if record.failed_attempts >= MAX_CODE_ATTEMPTS
                else _error("code", _("The code is not right. Check the e-mail and try again."))
            )
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            return _signed_in(_account_for(network, address))
    raise error


@transaction.atomic
def sign_in_with_link(*, token: str) -> CitizenAccount:
    record = SignInCode.objects.select_for_update().filter(link_hash=_digest(token)).first()
    if record is None or not record.is_usable:
        raise _error(
            "code", _("This link has expired or has already been used. Ask for a new one.")
        )
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    return _signed_in(_account_for(record.network, record.email))


def sign_in_with_password(*, network: Network, email: str, password: str) -> CitizenAccount:
    account = CitizenAccount.objects.filter(
        network=network, email=normalise_email(email), is_active=True
    ).first()
    if account is None or not account.check_password(password):
        raise _error("password", _("The e-mail address or password is not right"))
    return _signed_in(account)


@transaction.atomic
def account_set_password(*, account: CitizenAccount, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    account.set_password(password)
    account.save(update_fields=["password"])


@transaction.atomic
def account_update(*, account: CitizenAccount, display_name: str, language: str) -> CitizenAccount:
    if language and language not in dict(settings.LANGUAGES):
        raise _error("language", _("Choose a language from the list"))
    account.display_name = display_name.strip()[:120]
    account.language = language
    account.save(update_fields=["display_name", "language"])
    return account


# --- Linking an account to a person ---------------------------------------------------


def _require_unlinked(account: CitizenAccount) -> None:
    if account.person_id is not None:
        raise _error("code", _("Your account is already linked to your record."))


@transaction.atomic
def link_code_create(*, actor: Actor, person: Person) -> str:
    """A worker who may see the person gives them a code to link their account."""
    from wraparound.consent.policy import Action, decide, require

    require(decide(actor=actor, person=person, category=DataCategory.IDENTITY, action=Action.EDIT))
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))  # e.g. 3F2A-91BC-07DE
    PersonLinkCode.objects.create(
        person=person,
        code_hash=_digest(code.replace("-", "")),
        created_by=actor.require_membership().user,
        expires_at=timezone.now() + LINK_CODE_LIFETIME,
    )
    audit_record(
        actor=actor,
        action="portal.link_code_create",
        summary="Portal link code given to the person",
        person_id=person.pk,
        categories=[DataCategory.IDENTITY],
    )
    return code


def _link(account: CitizenAccount, person: Person, method: str, by: object | None) -> None:
    if CitizenAccount.objects.filter(person=person).exclude(pk=account.pk).exists():
        raise _error("code", _("This record is already linked to another portal account."))
    account.person = person
    account.linked_at = timezone.now()
    account.link_method = method
    account.linked_by = by  # type: ignore[assignment]
    account.save(update_fields=["person", "linked_at", "link_method", "linked_by"])


def link_with_code(*, account: CitizenAccount, code: str, date_of_birth: date) -> Person:
    """The person links their own account: the code a worker gave them and their date of
    birth must both match (the code alone could be read over a shoulder). A wrong date of
    birth is counted and committed before the error: five and the code is dead."""
    _require_unlinked(account)
    cleaned = code.strip().upper().replace("-", "").replace(" ", "")
    with transaction.atomic():
        record = (
            PersonLinkCode.objects.select_for_update()
            .select_related("person")
            .filter(code_hash=_digest(cleaned))
            .first()
        )
        if record is None or record.used_at is not None or record.expires_at <= timezone.now():
            error = _error(
                "code",
                _(
                    "This link code is not right, has expired or has been used. "
                    "Ask your key worker for a new one."
                ),
            )
        elif (
            record.failed_attempts >= MAX_CODE_ATTEMPTS
            or record.person.network_id != account.network_id
        ):
            error = _error(
                "code",
                _("This link code can no longer be used. Ask your key worker for a new one."),
            )
        elif record.person.date_of_birth != date_of_birth:
            record.failed_attempts += 1
            record.save(update_fields=["failed_attempts"])
            error = _error("date_of_birth", _("The date of birth does not match our record"))
        else:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            person = record.person
            _link(account, person, LinkMethod.LINK_CODE, None)
            audit_record(
                actor=portal_actor(account=account, person=person),
                action="portal.account_link",
                summary="Portal account linked with a link code and date of birth",
                person_id=person.pk,
                categories=[DataCategory.IDENTITY],
            )
            return person
    raise error


@transaction.atomic
def link_request_create(
    *,
    account: CitizenAccount,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    postcode: str = "",
    phone: str = "",
) -> LinkRequest:
    _require_unlinked(account)
    errors: dict[str, str] = {}
    if not given_name.strip():
        errors["given_name"] = _("Enter your first name")
    if not family_name.strip():
        errors["family_name"] = _("Enter your last name")
    if date_of_birth > timezone.localdate():
        errors["date_of_birth"] = _("Date of birth must be in the past")
    if LinkRequest.objects.filter(account=account, status=LinkRequestStatus.PENDING).exists():
        errors["given_name"] = _("You have already asked. A worker will be in touch.")
    if errors:
        raise ValidationError(errors)
    return LinkRequest.objects.create(
        account=account,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        postcode=postcode.strip().upper(),
        phone=phone.strip(),
    )


@transaction.atomic
def link_request_decide(
    *, actor: Actor, request: LinkRequest, person: Person | None, note: str = ""
) -> LinkRequest:
    """A worker confirms the account belongs to ``person`` (who they may see and whose
    identity facts they have checked), or declines with ``person=None``."""
    from wraparound.consent.policy import Action, decide, require

    locked = LinkRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != LinkRequestStatus.PENDING:
        raise _error("person", _("This request has already been decided."))
    if actor.network is None or actor.network.pk != locked.account.network_id:
        raise PermissionDenied("Not a request of your network.")
    if person is not None:
        require(
            decide(actor=actor, person=person, category=DataCategory.IDENTITY, action=Action.EDIT)
        )
        if person.date_of_birth != locked.date_of_birth:
            raise _error(
                "person", _("The date of birth the person gave does not match this record.")
            )
        _link(locked.account, person, LinkMethod.WORKER, actor.user)
        locked.status = LinkRequestStatus.CONFIRMED
        locked.person = person
    else:
        locked.status = LinkRequestStatus.REJECTED
    locked.decided_by = actor.user
    locked.decided_at = timezone.now()
    locked.decision_note = note[:500]
    locked.save()
    audit_record(
        actor=actor,
        action="portal.link_request_decide",
        summary=f"Portal link request {locked.status}",
        person_id=person.pk if person else None,
        target=locked,
        categories=[DataCategory.IDENTITY],
    )
    return locked


# --- Acting for someone ---------------------------------------------------------------


def portal_actor(
    *, account: CitizenAccount, person: Person | None, request_id: str = "", ip: str | None = None
) -> Actor:
    """The actor for audit: the account holder, and whom they act for when it is not
    themselves ("Sam Jones (intermediary) for person 12")."""
    acting_for = person is not None and account.person_id != person.pk
    label = (
        f"{account} (intermediary for person {person.pk})"
        if acting_for and person is not None
        else f"{account} (portal)"
    )
    return Actor(
        user=None, membership=None, via="portal", request_id=request_id, ip_address=ip, label=label
    )


@transaction.atomic
def intermediary_allow(*, account: CitizenAccount, email: str, relationship: str) -> Intermediary:
    """The person allows someone (by the e-mail of their portal account) to act for them."""
    if account.person is None:
        raise _error("email", _("Link your account to your record first."))
    other = CitizenAccount.objects.filter(
        network=account.network, email=normalise_email(email), is_active=True
    ).first()
    if other is None:
        raise _error(
            "email",
            _(
                "Nobody has a portal account with this e-mail address yet. "
                "Ask them to sign in once, then try again."
            ),
        )
    if other.pk == account.pk:
        raise _error("email", _("Enter someone else's e-mail address"))
    if relationship not in dict(Intermediary._meta.get_field("relationship").choices or []):
        raise _error("relationship", _("Choose how you know them"))
    if Intermediary.objects.filter(
        person=account.person, account=other, revoked_at__isnull=True
    ).exists():
        raise _error("email", _("This person can already act for you"))
    granted = Intermediary.objects.create(
        person=account.person, account=other, relationship=relationship
    )
    audit_record(
        actor=portal_actor(account=account, person=account.person),
        action="portal.intermediary_allow",
        summary=f"Allowed {other.email} to act for them in the portal",
        person_id=account.person_id,
        target=granted,
        categories=[DataCategory.IDENTITY],
    )
    return granted


@transaction.atomic
def intermediary_revoke(*, account: CitizenAccount, intermediary: Intermediary) -> None:
    if account.person_id is None or intermediary.person_id != account.person_id:
        raise PermissionDenied("Not your intermediary.")
    intermediary.revoked_at = timezone.now()
    intermediary.save(update_fields=["revoked_at"])
    audit_record(
        actor=portal_actor(account=account, person=account.person),
        action="portal.intermediary_revoke",
        summary=f"Stopped {intermediary.account.email} acting for them",
        person_id=account.person_id,
        target=intermediary,
        categories=[DataCategory.IDENTITY],
    )
