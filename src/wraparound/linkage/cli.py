"""What the linkage commands share: choosing the network, the source and the acting member."""

from __future__ import annotations

from django.core.management.base import CommandError

from wraparound.accounts.actor import Actor
from wraparound.accounts.models import CASEWORK_ROLES, Membership
from wraparound.core.models import Network
from wraparound.directory.models import Organisation


def network_option(slug: str | None) -> Network:
    networks = Network.objects.all()
    if slug:
        network = networks.filter(slug=slug).first()
        if network is None:
            raise CommandError(f"No network {slug!r}")
        return network
    found = list(networks[:2])
    if len(found) != 1:
        raise CommandError("Name the network with --network SLUG")
    return found[0]


def source_option(slug: str, network_slug: str | None) -> Organisation:
    organisations = Organisation.objects.filter(slug=slug).select_related("network")
    if network_slug:
        organisations = organisations.filter(network__slug=network_slug)
    found = list(organisations[:2])
    if not found:
        raise CommandError(f"No organisation with the slug {slug!r}")
    if len(found) > 1:
        raise CommandError(f"Several networks have an organisation {slug!r}: add --network")
    return found[0]


def acting_member(network: Network, username: str | None, label: str) -> Actor:
    """The member the command acts as: --as USERNAME, or the first active caseworking
    member of the network's lead organisation (new people are registered under them)."""
    memberships = Membership.objects.filter(
        is_active=True,
        organisation__network=network,
        role__in=CASEWORK_ROLES,
    ).select_related("organisation", "user")
    if username:
        membership = memberships.filter(user__username=username).first()
        if membership is None:
            raise CommandError(
                f"{username!r} has no active caseworking membership in {network.slug}"
            )
    else:
        membership = memberships.filter(organisation__is_lead=True).order_by("pk").first()
        if membership is None:
            raise CommandError(
                f"{network.slug} has no caseworking member of a lead organisation: use --as"
            )
    return Actor.system(label, membership=membership)
