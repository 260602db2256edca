"""Synthetic agency records of people with realistic errors and known truth (bench only).

``generate(n_records, seed=1)`` returns a pandas DataFrame of ``n_records`` rows with columns
``unique_id`` (int), ``source`` (agency slug), ``local_id``, ``given_name``, ``family_name``,
``date_of_birth`` (ISO text or ""), ``sex``, ``address``, ``postcode``, ``phone``, ``email``,
``national_number`` (mostly empty) and ``truth`` (the true person id).

About 60% of people appear once, the rest two to four times across agencies. Each extra record
may carry: a typo in a name, a nickname ("William" -> "Bill"), transliteration (accents
dropped or added, "ß" -> "ss"), a hyphenated/double-barrelled surname or one part of it,
a surname change (marriage), day and month swapped, a one-digit date typo, a move (new address
and postcode), missing fields, a changed phone or e-mail. Vectorised with numpy: 1M records in
a few seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GIVEN_F = [
    "mary",
    "patricia",
    "jennifer",
    "linda",
    "elizabeth",
    "barbara",
    "susan",
    "jessica",
    "sarah",
    "karen",
    "nancy",
    "lisa",
    "margaret",
    "sandra",
    "ashley",
    "kimberly",
    "emily",
    "donna",
    "michelle",
    "carol",
    "amanda",
    "melissa",
    "deborah",
    "stephanie",
    "rebecca",
    "laura",
    "sharon",
    "cynthia",
    "kathleen",
    "amy",
    "angela",
    "shirley",
    "anna",
    "brenda",
    "pamela",
    "nicole",
    "emma",
    "samantha",
    "katherine",
    "christine",
    "debra",
    "rachel",
    "catherine",
    "carolyn",
    "janet",
    "ruth",
    "maria",
    "heather",
    "diane",
    "virginia",
    "julie",
    "joyce",
    "victoria",
    "olivia",
    "kelly",
    "christina",
    "lauren",
    "joan",
    "evelyn",
    "judith",
    "megan",
    "cheryl",
    "andrea",
    "hannah",
    "martha",
    "jacqueline",
    "frances",
    "gloria",
    "ann",
    "teresa",
    "kathryn",
    "sara",
    "janice",
    "jean",
    "alice",
    "madison",
    "doris",
    "abigail",
    "julia",
    "judy",
    "grace",
    "denise",
    "amber",
    "marilyn",
    "beverly",
    "danielle",
    "theresa",
    "sophia",
    "marie",
    "diana",
    "brittany",
    "natalie",
    "isabella",
    "charlotte",
    "rose",
    "alexis",
    "kayla",
    "sian",
    "cerys",
    "ffion",
    "seren",
    "zoe",
    "chloe",
    "agnieszka",
    "zofia",
]
GIVEN_M = [
    "james",
    "robert",
    "john",
    "michael",
    "david",
    "william",
    "richard",
    "joseph",
    "thomas",
    "charles",
    "christopher",
    "daniel",
    "matthew",
    "anthony",
    "mark",
    "donald",
    "steven",
    "paul",
    "andrew",
    "joshua",
    "kenneth",
    "kevin",
    "brian",
    "george",
    "timothy",
    "ronald",
    "edward",
    "jason",
    "jeffrey",
    "ryan",
    "jacob",
    "gary",
    "nicholas",
    "eric",
    "jonathan",
    "stephen",
    "larry",
    "justin",
    "scott",
    "brandon",
    "benjamin",
    "samuel",
    "gregory",
    "alexander",
    "frank",
    "patrick",
    "raymond",
    "jack",
    "dennis",
    "jerry",
    "tyler",
    "aaron",
    "jose",
    "adam",
    "nathan",
    "henry",
    "douglas",
    "zachary",
    "peter",
    "kyle",
    "ethan",
    "walter",
    "noah",
    "jeremy",
    "christian",
    "keith",
    "roger",
    "terry",
    "gerald",
    "harold",
    "sean",
    "austin",
    "carl",
    "arthur",
    "lawrence",
    "dylan",
    "jesse",
    "jordan",
    "bryan",
    "billy",
    "joe",
    "bruce",
    "gabriel",
    "logan",
    "albert",
    "willie",
    "alan",
    "juan",
    "wayne",
    "elijah",
    "randy",
    "roy",
    "vincent",
    "ralph",
    "eugene",
    "russell",
    "bobby",
    "mason",
    "philip",
    "louis",
    "rhys",
    "dafydd",
    "gareth",
    "owain",
    "mohammed",
    "jurgen",
]
NICK = {
    "william": ["bill", "will", "billy"],
    "robert": ["bob", "rob", "bobby"],
    "richard": ["rick", "dick", "rich"],
    "james": ["jim", "jimmy", "jamie"],
    "michael": ["mike", "mick"],
    "thomas": ["tom", "tommy"],
    "joseph": ["joe", "joey"],
    "elizabeth": ["liz", "beth", "betty", "lizzie"],
    "margaret": ["maggie", "peggy", "meg"],
    "katherine": ["kate", "kathy", "katie"],
    "catherine": ["cathy", "kate"],
    "jennifer": ["jen", "jenny"],
    "patricia": ["pat", "patty", "trish"],
    "christopher": ["chris"],
    "daniel": ["dan", "danny"],
    "matthew": ["matt"],
    "anthony": ["tony"],
    "edward": ["ed", "eddie", "ted"],
    "alexander": ["alex", "sandy"],
    "samuel": ["sam"],
    "benjamin": ["ben"],
    "nicholas": ["nick"],
    "rebecca": ["becky"],
    "deborah": ["debbie", "deb"],
    "susan": ["sue", "susie"],
    "victoria": ["vicky", "tori"],
    "jonathan": ["jon"],
    "stephen": ["steve"],
    "steven": ["steve"],
    "andrew": ["andy", "drew"],
    "timothy": ["tim"],
    "kenneth": ["ken", "kenny"],
    "gregory": ["greg"],
    "peter": ["pete"],
    "samantha": ["sam", "sammy"],
    "jacqueline": ["jackie"],
    "abigail": ["abby"],
    "christine": ["chris", "tina"],
    "pamela": ["pam"],
    "barbara": ["barb"],
}
FAMILY = [
    "smith",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "robinson",
    "thompson",
    "wright",
    "walker",
    "white",
    "edwards",
    "hughes",
    "green",
    "hall",
    "lewis",
    "harris",
    "clarke",
    "patel",
    "jackson",
    "wood",
    "turner",
    "martin",
    "cooper",
    "hill",
    "ward",
    "morris",
    "moore",
    "clark",
    "lee",
    "king",
    "baker",
    "harrison",
    "morgan",
    "allen",
    "james",
    "scott",
    "phillips",
    "watson",
    "davis",
    "parker",
    "price",
    "bennett",
    "young",
    "griffiths",
    "mitchell",
    "kelly",
    "cook",
    "carter",
    "richardson",
    "bailey",
    "collins",
    "bell",
    "shaw",
    "murphy",
    "miller",
    "cox",
    "richards",
    "khan",
    "marshall",
    "anderson",
    "simpson",
    "ellis",
    "adams",
    "singh",
    "begum",
    "wilkinson",
    "foster",
    "chapman",
    "powell",
    "webb",
    "rogers",
    "gray",
    "mason",
    "ali",
    "hunt",
    "hussain",
    "campbell",
    "matthews",
    "owen",
    "palmer",
    "holmes",
    "mills",
    "barnes",
    "knight",
    "lloyd",
    "butler",
    "russell",
    "barker",
    "fisher",
    "stevens",
    "jenkins",
    "murray",
    "dixon",
    "harvey",
    "graham",
    "pearson",
    "ahmed",
    "fletcher",
    "walsh",
    "kaur",
    "gibson",
    "howard",
    "andrews",
    "stewart",
    "elliott",
    "reynolds",
    "saunders",
    "payne",
    "fox",
    "ford",
    "pritchard",
    "rees",
    "llewellyn",
    "vaughan",
    "bevan",
    "nowak",
    "kowalski",
    "muller",
    "schmidt",
    "gonzalez",
    "oconnor",
    "obrien",
    "mcdonald",
    "mackenzie",
    "fraser",
    "duncan",
]
STREETS = [
    "high street",
    "church road",
    "station road",
    "main street",
    "park road",
    "victoria road",
    "green lane",
    "manor road",
    "church lane",
    "park avenue",
    "the avenue",
    "queens road",
    "new road",
    "grange road",
    "kings road",
    "north street",
    "mill lane",
    "school lane",
    "albert road",
    "york road",
    "heol y nant",
    "ffordd y brenin",
    "castle street",
    "bridge street",
    "market street",
    "chapel street",
    "west street",
]
TOWNS = [
    "cardiff",
    "newport",
    "swansea",
    "pontypridd",
    "merthyr",
    "bridgend",
    "caerphilly",
    "barry",
    "neath",
    "aberdare",
]
AREAS = ["CF", "NP", "SA", "LD", "SY"]
TRANSLIT = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "î", "n": "ñ", "c": "ç"}
SOURCES = ["housing", "health", "benefits", "police", "education", "social-care"]


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 3:
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 4))
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == 0:  # substitution
        return word[:i] + letters[int(rng.integers(0, 26))] + word[i + 1 :]
    if kind == 1:  # deletion
        return word[:i] + word[i + 1 :]
    if kind == 2:  # insertion
        return word[:i] + letters[int(rng.integers(0, 26))] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]  # transposition


def _translit(rng: np.random.Generator, word: str) -> str:
    positions = [i for i, ch in enumerate(word) if ch in TRANSLIT]
    if not positions:
        return word
    i = positions[int(rng.integers(0, len(positions)))]
    return word[:i] + TRANSLIT[word[i]] + word[i + 1 :]


def _postcode(rng: np.random.Generator, n: int) -> np.ndarray:
    area = rng.choice(AREAS, n)
    district = rng.integers(1, 48, n)
    sector = rng.integers(0, 10, n)
    unit = rng.integers(0, 26 * 26, n)
    letters = np.array([chr(65 + i // 26) + chr(65 + i % 26) for i in range(26 * 26)])
    return np.char.add(
        np.char.add(np.char.add(area.astype(str), district.astype(str)), " "),
        np.char.add(sector.astype(str), letters[unit]),
    )


def _address(rng: np.random.Generator, n: int) -> np.ndarray:
    number = rng.integers(1, 300, n).astype(str)
    street = rng.choice(STREETS, n)
    town = rng.choice(TOWNS, n)
    return np.char.add(np.char.add(np.char.add(number, " "), np.char.add(street, " ")), town)


SYLLABLES_START = [
    "ab",
    "ad",
    "al",
    "an",
    "ar",
    "ash",
    "bar",
    "bel",
    "ber",
    "bl",
    "br",
    "bur",
    "car",
    "chal",
    "ches",
    "cl",
    "cr",
    "dal",
    "dar",
    "den",
    "dr",
    "ed",
    "el",
    "en",
    "far",
    "fen",
    "fl",
    "gar",
    "gil",
    "gl",
    "gr",
    "hal",
    "har",
    "hart",
    "hol",
    "hun",
    "kel",
    "ken",
    "kir",
    "lan",
    "lar",
    "ling",
    "mal",
    "mar",
    "mer",
    "mil",
    "mor",
    "nor",
    "ol",
    "os",
    "pen",
    "per",
    "pr",
    "ram",
    "red",
    "ros",
    "sal",
    "sh",
    "sl",
    "st",
    "sw",
    "tal",
    "tar",
    "th",
    "tr",
    "val",
    "wal",
    "war",
    "wes",
    "whit",
    "wil",
    "win",
    "wy",
    "york",
]
SYLLABLES_MID = [
    "a",
    "e",
    "i",
    "o",
    "u",
    "ar",
    "er",
    "in",
    "on",
    "an",
    "en",
    "el",
    "ing",
    "ow",
    "ey",
    "ay",
]
SYLLABLES_END = [
    "by",
    "croft",
    "dale",
    "don",
    "field",
    "ford",
    "gate",
    "ham",
    "hurst",
    "ington",
    "land",
    "ley",
    "ling",
    "low",
    "man",
    "mond",
    "more",
    "ney",
    "ridge",
    "rick",
    "son",
    "stead",
    "ster",
    "ston",
    "thorpe",
    "ton",
    "well",
    "wick",
    "win",
    "wood",
    "worth",
]
GIVEN_START = [
    "al",
    "am",
    "an",
    "ar",
    "bel",
    "cal",
    "dar",
    "el",
    "em",
    "fel",
    "gal",
    "hal",
    "is",
    "jas",
    "kal",
    "lar",
    "mal",
    "nal",
    "or",
    "pel",
    "ra",
    "sel",
    "tal",
]
GIVEN_END = [
    "a",
    "an",
    "ana",
    "ara",
    "as",
    "el",
    "ella",
    "en",
    "ia",
    "ie",
    "in",
    "ina",
    "io",
    "is",
    "on",
    "or",
    "os",
    "ra",
    "ric",
    "rin",
    "us",
    "ya",
]


def _rare_surnames(rng: np.random.Generator) -> np.ndarray:
    names = {
        a + m + e for a in SYLLABLES_START for m in ("", *SYLLABLES_MID) for e in SYLLABLES_END
    }
    pool = np.array(sorted(names))
    rng.shuffle(pool)
    return pool


def _rare_given(rng: np.random.Generator) -> np.ndarray:
    names = {a + m + e for a in GIVEN_START for m in ("", "l", "n", "r", "v") for e in GIVEN_END}
    return np.array(sorted(names))


def _people(rng: np.random.Generator, n: int) -> pd.DataFrame:
    sex = rng.choice(["female", "male"], n)
    given = np.where(sex == "female", rng.choice(GIVEN_F, n), rng.choice(GIVEN_M, n))
    # Surnames follow a long-tailed distribution, as real ones do: a quarter from the common
    # list (the most common about 1.5% of people, like "Smith"), the rest from tens of
    # thousands of rarer names built from syllables.
    weights = 1 / np.arange(1, len(FAMILY) + 1) ** 0.7
    common = rng.choice(FAMILY, n, p=weights / weights.sum())
    rare_pool = _rare_surnames(rng)
    rare_weights = 1 / np.arange(1, len(rare_pool) + 1) ** 0.5
    rare = rng.choice(rare_pool, n, p=rare_weights / rare_weights.sum())
    family = np.where(rng.random(n) < 0.25, common, rare)
    # Given names: the common lists for most, a long tail of rarer ones for the rest.
    rare_given = rng.choice(_rare_given(rng), n)
    given = np.where(rng.random(n) < 0.3, rare_given, given)
    double = rng.random(n) < 0.04
    family = np.where(double, np.char.add(np.char.add(family, "-"), rng.choice(FAMILY, n)), family)
    born = pd.Timestamp("1935-01-01") + pd.to_timedelta(rng.integers(0, 32000, n), unit="D")
    phone = np.char.add("07", rng.integers(100000000, 999999999, n).astype(str))
    email_domain = rng.choice(["example.org", "example.com", "mail.test"], n)
    serial = np.arange(n).astype(str)
    email = np.char.add(np.char.add(np.char.add(np.char.add(given, "."), family), serial), "@")
    email = np.char.add(email, email_domain)
    return pd.DataFrame(
        {
            "truth": np.arange(n),
            "given_name": np.char.capitalize(given.astype(str)),
            "family_name": np.char.title(family.astype(str)),
            "date_of_birth": born.strftime("%Y-%m-%d"),
            "sex": sex,
            "address": np.char.title(_address(rng, n)),
            "postcode": _postcode(rng, n),
            "phone": phone,
            "email": email,
        }
    )


def generate(n_records: int, *, seed: int = 1) -> pd.DataFrame:
    """``n_records`` agency records with known truth (see the module docstring)."""
    rng = np.random.default_rng(seed)
    # Copies per person: 1 (60%), 2 (25%), 3 (10%), 4 (5%) -> ~1.6 records a person.
    n_people = int(n_records / 1.5) + 10  # about 7% more records than asked, then cut
    people = _people(rng, n_people)
    copies = rng.choice([1, 2, 3, 4], n_people, p=[0.6, 0.25, 0.1, 0.05])
    index = np.repeat(np.arange(n_people), copies)[:n_records]
    records = people.iloc[index].reset_index(drop=True)
    first = np.r_[True, index[1:] != index[:-1]]
    m = len(records)
    dirty = ~first
    r = rng.random((12, m))

    given = records["given_name"].to_numpy(dtype=object)
    family = records["family_name"].to_numpy(dtype=object)
    dob = records["date_of_birth"].to_numpy(dtype=object)
    address = records["address"].to_numpy(dtype=object)
    postcode = records["postcode"].to_numpy(dtype=object)
    phone = records["phone"].to_numpy(dtype=object)
    email = records["email"].to_numpy(dtype=object)

    for i in np.flatnonzero(dirty & (r[0] < 0.08)):  # typo in the given name
        given[i] = _typo(rng, given[i])
    for i in np.flatnonzero(dirty & (r[1] < 0.08)):  # typo in the family name
        family[i] = _typo(rng, family[i])
    for i in np.flatnonzero(dirty & (r[2] < 0.08)):  # nickname
        options = NICK.get(given[i].lower())
        if options:
            given[i] = options[int(rng.integers(0, len(options)))].capitalize()
    for i in np.flatnonzero(dirty & (r[3] < 0.03)):  # transliteration
        if rng.random() < 0.5:
            given[i] = _translit(rng, given[i])
        else:
            family[i] = _translit(rng, family[i])
    for i in np.flatnonzero(dirty & (r[4] < 0.04)):  # surname change or hyphenation
        if "-" in family[i]:
            family[i] = family[i].split("-")[int(rng.integers(0, 2))]
        elif rng.random() < 0.5:
            family[i] = f"{family[i]}-{FAMILY[int(rng.integers(0, len(FAMILY)))].title()}"
        else:
            family[i] = FAMILY[int(rng.integers(0, len(FAMILY)))].title()
    for i in np.flatnonzero(dirty & (r[5] < 0.04)):  # day and month swapped
        y, mo, d = dob[i].split("-")
        if int(d) <= 12:
            dob[i] = f"{y}-{d}-{mo}"
    for i in np.flatnonzero(dirty & (r[6] < 0.04)):  # one-digit typo in the date
        y, mo, d = dob[i].split("-")
        if rng.random() < 0.5:
            y = y[:3] + str((int(y[3]) + int(rng.integers(1, 9))) % 10)
        else:
            d = f"{max(1, min(28, int(d) + int(rng.choice([-1, 1])))):02d}"
        dob[i] = f"{y}-{mo}-{d}"
    moved = dirty & (r[7] < 0.25)  # moved house
    address[moved] = np.char.title(_address(rng, int(moved.sum()))).astype(object)
    postcode[moved] = _postcode(rng, int(moved.sum())).astype(object)
    for i in np.flatnonzero(dirty & (r[8] < 0.05)):  # address typo
        address[i] = _typo(rng, address[i])
    dob[r[9] < 0.03] = ""  # missing fields (any record)
    address[r[10] < 0.10] = ""
    postcode[r[10] < 0.05] = ""
    phone[(r[11] < 0.4) | (dirty & (r[9] > 0.7))] = ""  # phones often missing or changed
    email[(r[11] > 0.5) | (dirty & (r[8] > 0.8))] = ""
    lower = dirty & (r[2] > 0.9)
    given[lower] = np.char.upper(given[lower].astype(str)).astype(object)

    source = rng.choice(SOURCES, m)
    return pd.DataFrame(
        {
            "unique_id": np.arange(m, dtype=np.int64),
            "source": source,
            "local_id": np.char.add("L", np.arange(m).astype(str)),
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob,
            "sex": records["sex"].to_numpy(),
            "address": address,
            "postcode": postcode,
            "phone": phone,
            "email": email,
            "national_number": "",
            "truth": records["truth"].to_numpy(),
        }
    )


def true_pairs(records: pd.DataFrame) -> set[tuple[int, int]]:
    """Every pair of records (lower unique_id first) of the same person."""
    pairs: set[tuple[int, int]] = set()
    grouped = records.groupby("truth")["unique_id"]
    for ids in grouped.apply(list):
        if len(ids) > 1:
            ids = sorted(ids)
            pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return pairs
