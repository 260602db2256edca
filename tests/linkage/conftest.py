"""Fixtures for the master client index: a small set of agency records with known truth."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests import factories as f
from wraparound.accounts.actor import Actor
from wraparound.linkage.services import import_people, link_network

HEADER = [
    "local_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "phone",
    "email",
]

# (truth, row): the same five people as two agencies hold them, plus strangers.
HOUSING = [
    [
        "H1",
        "William",
        "Pritchard",
        "1980-03-14",
        "male",
        "12 High Street Pontypridd",
        "CF37 1AA",
        "",
        "",
    ],
    [
        "H2",
        "Sian",
        "Evans-Hughes",
        "1992-07-02",
        "female",
        "4 Heol y Nant Cardiff",
        "CF14 2BB",
        "",
        "",
    ],
    ["H3", "Mohammed", "Khan", "1975-11-30", "male", "9 Mill Lane Barry", "CF62 3CC", "", ""],
    ["H4", "Agnieszka", "Nowak", "1988-01-20", "female", "3 Park Road Newport", "NP20 4DD", "", ""],
    ["H5", "Gareth", "Llewellyn", "1969-05-09", "male", "77 Church Road Neath", "SA11 5EE", "", ""],
]
HEALTH = [
    ["X1", "Bill", "Pritchard", "1980-03-14", "m", "12 High St Pontypridd", "CF371AA", "", ""],
    ["X2", "Siân", "Evans-Hughes", "1992-02-07", "f", "4 Heol y Nant Cardiff", "CF14 2BB", "", ""],
    ["X3", "Mohammed", "Khan", "1975-11-30", "male", "1 New Road Swansea", "SA1 9ZZ", "", ""],
    ["X4", "Agnieszka", "Nowak", "1988-01-20", "female", "3 Park Road Newport", "NP20 4DD", "", ""],
    ["X5", "Gareth", "Llewelyn", "1969-05-09", "male", "77 Church Rd Neath", "SA11 5EE", "", ""],
]
STRANGERS = [
    [f"S{i}", given, family, dob, sex, address, postcode, "", ""]
    for i, (given, family, dob, sex, address, postcode) in enumerate(
        [
            ("Emma", "Watson", "2001-09-09", "female", "5 Bridge Street Bridgend", "CF31 1XX"),
            ("Peter", "Jones", "1955-12-01", "male", "8 Market Street Aberdare", "CF44 7YY"),
            ("Rhys", "Vaughan", "1999-04-04", "male", "2 Castle Street Caerphilly", "CF83 1QQ"),
            ("Ffion", "Rees", "1983-06-17", "female", "61 York Road Merthyr", "CF47 8PP"),
            ("Julia", "Fraser", "1947-02-28", "female", "10 Queens Road Barry", "CF62 6RR"),
        ]
    )
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def housing_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "housing.csv", HOUSING + STRANGERS)


@pytest.fixture
def health_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "health.csv", HEALTH)


@pytest.fixture
def imported(personas, housing_csv: Path, health_csv: Path):  # type: ignore[no-untyped-def]
    health = f.OrganisationFactory(network=personas.network, slug="health-board", sector="health")
    actor = Actor.system("test")
    import_people(actor=actor, path=housing_csv, source=personas.partner_org)
    import_people(actor=actor, path=health_csv, source=health)
    return health


@pytest.fixture
def grey_pair(personas, tmp_path):  # type: ignore[no-untyped-def]
    """A registered person and an agency record that is only probably them."""
    person = f.PersonFactory(
        network=personas.network,
        given_name="Catherine",
        family_name="Morgan",
        date_of_birth="1961-04-22",
        postcode="CF10 1AB",
    )
    path = tmp_path / "grey.csv"
    path.write_text(
        "local_id,given_name,family_name,date_of_birth,postcode\n"
        "G1,Katy,Morgan,1961-04-23,SA1 1ZZ\n"
    )
    import_people(actor=Actor.system("t"), path=path, source=personas.partner_org)
    actor = personas.actor(personas.keyworker)
    link_network(actor=actor, network=personas.network)
    return person
