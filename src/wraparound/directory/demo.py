"""Demo directory: realistic services across sectors, with full HSDS data.

``seed_directory(network=, organisations=, rng=)`` gives each organisation the services its
sector typically runs (a catalogue below), each with a location and address in one of the
network's areas, phones (Ofcom drama numbers), opening hours as RRULE schedules,
languages, documents required, costs, capacity, referral SLA, need categories, and HSDS
attributes tagging it with the "Wraparound needs" taxonomy (so an HSDS export carries the
need categories too).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from wraparound.core.models import Area, AreaLevel, Network
from wraparound.directory.models import (
    Address,
    CostOption,
    Language,
    Location,
    Organisation,
    Phone,
    Program,
    RequiredDocument,
    Schedule,
    Sector,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from wraparound.directory.needs import BASIC_NEEDS, NeedCategory, PriorityClass
from wraparound.directory.services import sync_needs

N = NeedCategory


@dataclass(frozen=True)
class ServiceDef:
    name: str
    description: str
    needs: tuple[NeedCategory, ...]
    documents: tuple[str, ...] = ()
    capacity: int | None = None
    cost: Decimal | None = None
    hours: str = "office"  # office | extended | weekend | drop_in | helpline
    min_age: int | None = None
    max_age: int | None = None


CATALOGUE: dict[str, tuple[ServiceDef, ...]] = {
    Sector.HOUSING: (
        ServiceDef(
            "Homelessness prevention advice",
            "Help to keep your home: negotiation with landlords, rent arrears plans, "
            "and emergency accommodation when there is no other option.",
            (N.HOUSING_INSTABILITY, N.HOMELESSNESS),
            ("Proof of identity", "Tenancy agreement or notice received"),
            capacity=40,
            hours="extended",
        ),
        ServiceDef(
            "Supported housing for young people",
            "Rooms with on-site support for people aged 16 to 24 leaving care or at risk.",
            (N.HOMELESSNESS, N.HOUSING_INSTABILITY),
            ("Proof of identity",),
            capacity=12,
            min_age=16,
            max_age=24,
        ),
        ServiceDef(
            "Tenancy sustainment",
            "A support worker for up to six months to settle into a new home.",
            (N.HOUSING_INSTABILITY, N.FINANCIAL_INSECURITY),
            capacity=30,
        ),
    ),
    Sector.HEALTH: (
        ServiceDef(
            "Community health drop-in",
            "Nurse-led drop-in for people not registered with a GP.",
            (N.HEALTH_CARE_ACCESS,),
            hours="drop_in",
        ),
        ServiceDef(
            "Social prescribing link workers",
            "Time with a link worker to find local activities and support.",
            (N.SOCIAL_CONNECTION, N.STRESS),
            capacity=60,
        ),
    ),
    Sector.MENTAL_HEALTH: (
        ServiceDef(
            "Crisis mental health line",
            "Round-the-clock telephone support for anyone in mental health crisis.",
            (N.MENTAL_HEALTH,),
            hours="helpline",
        ),
        ServiceDef(
            "Talking therapies",
            "Short courses of counselling and CBT for anxiety and depression.",
            (N.MENTAL_HEALTH, N.STRESS),
            ("GP letter or self-referral form",),
            capacity=80,
            min_age=16,
        ),
    ),
    Sector.SUBSTANCE_USE: (
        ServiceDef(
            "Drug and alcohol recovery",
            "Assessment, prescribing, harm reduction and recovery groups.",
            (N.SUBSTANCE_USE, N.MENTAL_HEALTH),
            capacity=50,
            min_age=18,
        ),
    ),
    Sector.LEGAL: (
        ServiceDef(
            "Housing and debt legal advice",
            "Free legal advice and representation on evictions, debt and benefits appeals.",
            (N.LEGAL_NEEDS, N.HOUSING_INSTABILITY, N.FINANCIAL_INSECURITY),
            ("Any letters or court papers received",),
            capacity=25,
        ),
        ServiceDef(
            "Immigration advice clinic",
            "Regulated immigration advice by appointment.",
            (N.LEGAL_NEEDS,),
            ("Passport or travel documents", "Home Office letters"),
            capacity=10,
            cost=Decimal("0.00"),
        ),
    ),
    Sector.SOCIAL_SERVICES: (
        ServiceDef(
            "One-stop support and key working",
            "A key worker who assesses needs and coordinates support across agencies.",
            (N.HOUSING_INSTABILITY, N.FINANCIAL_INSECURITY, N.SOCIAL_CONNECTION),
            capacity=200,
            hours="extended",
        ),
        ServiceDef(
            "Domestic abuse support",
            "Independent advocates, safety planning and refuge referrals.",
            (N.INTERPERSONAL_SAFETY,),
            hours="helpline",
        ),
    ),
    Sector.EMPLOYMENT: (
        ServiceDef(
            "Employment support and CV clinic",
            "One-to-one coaching, CV help and job matching with local employers.",
            (N.EMPLOYMENT_STATUS, N.EDUCATIONAL_ATTAINMENT),
            ("National Insurance number",),
            capacity=70,
            min_age=16,
        ),
        ServiceDef(
            "Digital skills courses",
            "Free beginners' courses in using a computer, email and online forms.",
            (N.DIGITAL_ACCESS, N.EDUCATIONAL_ATTAINMENT),
            capacity=15,
            hours="weekend",
        ),
    ),
    Sector.EDUCATION: (
        ServiceDef(
            "Adult learning: English and maths",
            "Free courses for adults working towards essential skills qualifications.",
            (N.EDUCATIONAL_ATTAINMENT,),
            capacity=40,
            min_age=19,
        ),
    ),
    Sector.CHILD_AND_FAMILY: (
        ServiceDef(
            "Family support workers",
            "Practical and emotional support at home for families with children under 18.",
            (N.CHILDCARE, N.STRESS),
            capacity=35,
        ),
        ServiceDef(
            "Funded childcare places",
            "Up to 30 hours of funded childcare for eligible working parents.",
            (N.CHILDCARE, N.EMPLOYMENT_STATUS),
            ("Child's birth certificate", "Proof of earnings"),
            capacity=60,
        ),
    ),
    Sector.DISABILITY: (
        ServiceDef(
            "Disability advice and equipment",
            "Advice on adaptations, equipment loans and disability benefits.",
            (N.DISABILITY_SUPPORT, N.FINANCIAL_INSECURITY),
            capacity=30,
        ),
        ServiceDef(
            "Carers' support",
            "Breaks, peer groups and assessments for unpaid carers.",
            (N.CAREGIVER_SUPPORT, N.STRESS),
        ),
    ),
    Sector.INCOME_AND_BENEFITS: (
        ServiceDef(
            "Benefits and debt advice",
            "Benefit checks, help with claims and appeals, and debt solutions.",
            (N.FINANCIAL_INSECURITY, N.MATERIAL_HARDSHIP),
            ("Proof of identity", "Recent bank statements"),
            capacity=90,
        ),
        ServiceDef(
            "Discretionary assistance fund",
            "Emergency payments for food, fuel and essential household items.",
            (N.FINANCIAL_INSECURITY, N.UTILITY_INSECURITY, N.MATERIAL_HARDSHIP),
            ("Proof of identity",),
        ),
    ),
    Sector.FOOD: (
        ServiceDef(
            "Food bank",
            "Three days of emergency food with a referral voucher.",
            (N.FOOD_INSECURITY,),
            ("Referral voucher",),
            hours="drop_in",
        ),
        ServiceDef(
            "Community pantry",
            "Weekly shop of groceries for a small membership fee.",
            (N.FOOD_INSECURITY, N.FINANCIAL_INSECURITY),
            capacity=120,
            cost=Decimal("3.50"),
            hours="weekend",
        ),
    ),
    Sector.JUSTICE: (
        ServiceDef(
            "Resettlement support after prison",
            "Help with housing, benefits and work for people leaving custody.",
            (N.HOUSING_INSTABILITY, N.EMPLOYMENT_STATUS, N.LEGAL_NEEDS),
            ("Licence conditions",),
            capacity=20,
            min_age=18,
        ),
    ),
    Sector.OTHER: (
        ServiceDef(
            "Community transport",
            "Door-to-door minibus to appointments for people who cannot use buses.",
            (N.TRANSPORTATION_INSECURITY,),
            cost=Decimal("2.00"),
        ),
    ),
}

# (byday, opens, closes)
HOURS: dict[str, tuple[tuple[str, time, time], ...]] = {
    "office": (("MO,TU,WE,TH,FR", time(9), time(17)),),
    "extended": (("MO,TU,WE,TH", time(8, 30), time(19)), ("FR", time(8, 30), time(16, 30))),
    "weekend": (("TU,TH", time(10), time(15)), ("SA", time(10), time(13))),
    "drop_in": (("MO,WE,FR", time(10), time(14)),),
    "helpline": (("MO,TU,WE,TH,FR,SA,SU", time(0), time(23, 59)),),
}
LANGUAGES = (("Welsh", "cy"), ("Polish", "pl"), ("Arabic", "ar"), ("Romanian", "ro"))
STREETS = ("High Street", "Taff Street", "Mill Street", "Church Road", "Station Road")


@transaction.atomic
def seed_directory(
    *, network: Network, organisations: Sequence[Organisation], rng: random.Random
) -> list[Service]:
    neighbourhoods = list(
        Area.objects.filter(network=network, level=AreaLevel.NEIGHBOURHOOD).order_by("code")
    )
    districts = list(
        Area.objects.filter(network=network, level=AreaLevel.DISTRICT).order_by("code")
    )
    now = timezone.now()
    services: list[Service] = []
    phone_counter = 0
    for organisation in organisations:
        area = rng.choice(neighbourhoods) if neighbourhoods else None
        location = Location.objects.create(
            network=network,
            organisation=organisation,
            area=area,
            name=f"{organisation.name}, {area.name if area else 'main office'}",
            description=f"The main office of {organisation.name}.",
            transportation="On the main bus route; step-free entrance.",
        )
        Address.objects.create(
            location=location,
            address_1=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            city=area.name if area else "Pontypridd",
            state_province="Wales",
            postal_code=f"CF37 {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            country="GB",
            address_type="physical",
        )
        Language.objects.create(location=location, name="English", code="en")
        program = Program.objects.create(
            organisation=organisation,
            name=f"{organisation.name} services",
            description=f"Everything {organisation.name} offers to the network.",
        )
        for spec in CATALOGUE.get(organisation.sector, CATALOGUE[Sector.OTHER]):
            phone_counter += 1
            needs = set(spec.needs)
            capacity_available = (
                rng.randint(0, spec.capacity) if spec.capacity is not None else None
            )
            service = Service.objects.create(
                organisation=organisation,
                program=program,
                name=spec.name,
                description=spec.description,
                email=f"referrals@{organisation.slug}.example.org",
                status="active",
                application_process="Refer through Wraparound, or the person can call us.",
                eligibility_description=_eligibility_text(spec),
                minimum_age=spec.min_age,
                maximum_age=spec.max_age,
                last_modified=now,
                priority_class=PriorityClass.PRIORITY
                if needs & BASIC_NEEDS
                else PriorityClass.SUPPORTIVE,
                capacity_total=spec.capacity,
                capacity_available=capacity_available,
                accepts_referrals=spec.hours != "helpline",
                referral_response_hours=rng.choice((24, 48, 72)),
                first_contact_days=rng.choice((2, 5, 10)),
                unit_cost=Decimal(rng.randrange(40, 900)),
                fees_description="Free" if not spec.cost else f"£{spec.cost} per visit",
            )
            sync_needs(service=service, needs=needs)
            ServiceAtLocation.objects.create(service=service, location=location)
            for byday, opens, closes in HOURS[spec.hours]:
                Schedule.objects.create(
                    service=service,
                    freq="WEEKLY",
                    wkst="MO",
                    byday=byday,
                    opens_at=opens,
                    closes_at=closes,
                    description=f"Open {byday} {opens:%H:%M} to {closes:%H:%M}",
                )
            Phone.objects.create(
                service=service,
                number=f"029 2018 0{phone_counter % 1000:03d}",
                type="voice",
                description="Referrals and enquiries",
            )
            Language.objects.create(service=service, name="English", code="en")
            for name, code in rng.sample(LANGUAGES, k=rng.randint(0, 2)):
                Language.objects.create(
                    service=service, name=name, code=code, note="Interpreter on request"
                )
            for document in spec.documents:
                RequiredDocument.objects.create(service=service, document=document)
            if spec.cost:
                CostOption.objects.create(
                    service=service,
                    option="Standard",
                    currency="GBP",
                    amount=float(spec.cost),
                    amount_description="per visit",
                )
            if districts and rng.random() < 0.5:
                district = rng.choice(districts)
                ServiceArea.objects.create(
                    service=service, area=district, name=district.name, extent_type="area"
                )
            services.append(service)
    return services


def _eligibility_text(spec: ServiceDef) -> str:
    if spec.min_age is not None and spec.max_age is not None:
        return f"People aged {spec.min_age} to {spec.max_age}."
    if spec.min_age is not None:
        return f"People aged {spec.min_age} and over."
    return "Anyone living in the network's area."
