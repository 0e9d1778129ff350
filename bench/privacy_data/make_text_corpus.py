"""Generate the labelled text corpus of bench/privacy.py: `descriptions.jsonl` beside this file.

Residents' descriptions are written from templates that read the way people write to a city hall
(short, often without diacritics, with typos and shouting), filled with identifiers in the many
shapes people type them: phones with and without separators and prefixes, plates with spaces,
dashes or none, valid CNPs and IBANs, e-mails, names. Names come partly from outside the
engine's built-in lists, so that their recall is measured honestly. Hard negatives are written into
the templates: dates, amounts, postal codes, registration numbers, 13-digit numbers that fail the
CNP check, bus lines, and streets, squares and schools named after people (never masked).

Run:  .venv/bin/python bench/privacy_data/make_text_corpus.py   (deterministic; the output is committed)
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cityreport.privacy import identifiers  # noqa: E402

OUT = Path(__file__).with_name("descriptions.jsonl")
SEED = 17
COUNT = 1200

# Names: the first part of each pool is in the engine's lists, the second (marked *) is kept out of them
# on purpose (tests/unit/test_privacy_text.py checks it), so that recall outside the lists is measured.
GIVEN = ["Ion", "Maria", "Elena", "Gheorghe", "Andrei", "Ioana", "Mihai", "Cristina", "Vasile", "Ana",
         "Florin", "Daniela", "Radu", "Mirela", "Sorin", "Gabriela", "Dumitru", "Alexandra", "Costel",
         "Lenuța", "Ștefan", "Nicoleta", "Marius", "Ana-Maria",
         "*Zenaida", "*Heruvim", "*Olimpiu", "*Filofteia", "*Sofronie", "*Anatolie", "*Nectarie", "*Veturia"]
FAMILY = ["Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitrescu", "Stan", "Stoica", "Gheorghe", "Matei",
          "Munteanu", "Moldovan", "Constantinescu", "Mureșan", "Lazăr", "Cojocaru", "Rusu", "Nistor",
          "Tudose", "Vasilescu", "Iordache", "Bălan", "Ungureanu", "Szabo", "Kovacs",
          "*Vădăstreanu", "*Hurduc", "*Pleșcan", "*Zbârcea", "*Găvruță", "*Cârlan", "*Butucel", "*Mogoș",
          "*Zetu", "*Frâncu", "*Ursachi", "*Rebegea"]

STREETS = ["Strada Mihai Viteazu", "Piața Avram Iancu", "str. Ion Creangă", "Bulevardul Nicolae Bălcescu",
           "Calea Victoriei", "strada Vasile Lucaciu", "Str. General Eremia Grigorescu", "Aleea Ion Rațiu",
           "bd. Regele Ferdinand", "Parcul Ion Creangă", "strada Lucian Blaga", "piata Mihai Viteazu",
           "Bd. 21 Decembrie 1989", "Str. Emil Isac", "strada Horea", "Liceul Nicolae Bălcescu",
           "Școala Gheorghe Șincai", "statia Mihai Eminescu", "Piața Ștefan cel Mare", "strada Popa Nan",
           "str. Andrei Mureșanu", "Bulevardul Eroilor", "Str. Tudor Vladimirescu", "Parcul Central"]

SEP = {"space": " ", "dot": ".", "dash": "-", "none": "", "slash": "/"}


def phone(rng: random.Random) -> str:
    kind = rng.choice(["mobile"] * 6 + ["landline", "bucharest", "foreign"])
    if kind == "foreign":
        return rng.choice(["+33 6 12 34 56 78", "+49 151 23456789", "+44 7700 900123", "+373 69 123 456",
                           "+39 347 123 4567", "0049 170 1234567", "+36 30 123 4567", "+34 612 34 56 78"])
    if kind == "mobile":
        national = "7" + rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(7))
    elif kind == "landline":
        national = rng.choice(["264", "256", "232", "268", "241", "251", "365", "369"]) + "".join(
            rng.choice("0123456789") for _ in range(6))
    else:
        national = rng.choice(["21", "31"]) + "".join(rng.choice("0123456789") for _ in range(7))
    digits = "0" + national
    shape = rng.choice(["4-3-3", "4-3-3", "10", "3-3-4", "4-2-2-2", "2-2-2-2-2", "4-6"])
    if national.startswith(("21", "31")):
        shape = rng.choice(["3-3-2-2", "3-3-4", "10", "3-7"])
    groups, position = [], 0
    for size in (int(x) for x in shape.split("-")):
        groups.append(digits[position:position + size])
        position += size
    sep = SEP[rng.choice(["space", "space", "dot", "dash", "none", "slash"] if shape != "10" else ["none"])]
    number = sep.join(groups)
    prefix = rng.random()
    if prefix < 0.15:
        number = "+40 " + number[1:] if rng.random() < 0.5 else "+40" + number[1:].replace(sep, "") if sep else "+40" + number[1:]
    elif prefix < 0.22:
        number = "0040 " + number[1:]
    elif prefix < 0.26:
        number = "+4 " + number
    elif prefix < 0.30:
        number = "+40 (0)" + number[1:]
    return number


def cnp(rng: random.Random) -> str:
    sex = rng.choice([1, 2, 1, 2, 5, 6])
    year = rng.randrange(40, 100) if sex in (1, 2) else rng.randrange(0, 8)
    value = identifiers.make_cnp(sex, year, rng.randrange(1, 13), rng.randrange(1, 29),
                                 rng.choice(list(range(1, 47)) + [51, 52]), rng.randrange(1, 1000))
    if rng.random() < 0.08:
        value = f"{value[:7]} {value[7:]}"
    return value


def iban(rng: random.Random) -> str:
    if rng.random() < 0.8:
        bank = rng.choice(["RNCB", "BTRL", "BRDE", "INGB", "BACX", "RZBR", "TREZ", "CECE"])
        value = identifiers.make_iban("RO", bank + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
                                                          for _ in range(16)))
    else:
        country, length = rng.choice([("DE", 18), ("FR", 23), ("IT", 23), ("ES", 20), ("HU", 24), ("MD", 20)])
        value = identifiers.make_iban(country, "".join(rng.choice("0123456789") for _ in range(length)))
    style = rng.random()
    if style < 0.55:
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    if style < 0.9:
        return value
    return value.lower()


def plate(rng: random.Random) -> str:
    county = rng.choice(sorted(identifiers.PLATE_COUNTIES))
    digits = f"{rng.randrange(1, 1000):03d}" if county == "B" and rng.random() < 0.5 else f"{rng.randrange(1, 100):02d}"
    letters = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ") for _ in range(2))
    sep = rng.choice([" ", " ", "-", "", " "])
    value = f"{county}{sep}{digits}{sep}{letters}"
    if rng.random() < 0.06:
        return f"{county} 0{rng.randrange(1000, 99999)}"  # red temporary plate
    return value


def email(rng: random.Random, given: str, family: str) -> str:
    user = rng.choice([f"{given}.{family}", f"{family}{rng.randrange(60, 99)}", f"{given[0]}{family}",
                       f"{given}_{family}{rng.randrange(1, 9)}", "o'brien", f"{family}.{given}"])
    user = strip(user).lower().replace("*", "")
    domain = rng.choice(["gmail.com", "yahoo.com", "yahoo.ro", "hotmail.com", "outlook.com", "primariacj.ro",
                         "mail.ru", "icloud.com"])
    if rng.random() < 0.07:
        return f"{user} [at] {domain.replace('.', ' [dot] ')}"
    return f"{user}@{domain}" if rng.random() < 0.85 else f"{user.upper()}@{domain.upper()}"


def strip(text: str) -> str:
    return text.translate(str.maketrans("ăâîșțĂÂÎȘȚ", "aaistAAIST"))


def name(rng: random.Random, shape: str) -> str:
    given = rng.choice(GIVEN).lstrip("*")
    family = rng.choice(FAMILY).lstrip("*")
    value = {"full": f"{given} {family}", "reverse": f"{family} {given}", "family": family, "given": given,
             "initial": f"{given[0]}. {family}"}[shape]
    if rng.random() < 0.5:
        value = strip(value)
    if rng.random() < 0.08:
        value = value.lower()
    return value


# Templates. Placeholders: {phone} {cnp} {iban} {plate} {email} {full} {reverse} {family} {given}
# {initial} {street}. Literal digits and capitalised words in templates are hard negatives.
TEMPLATES = [
    "Vecinul meu {full} de la nr. 5 arunca gunoaiele in spatele blocului. Va rog sa luati masuri!",
    "Masina {plate} e parcata pe trotuar de o luna pe {street}, nu se mai poate trece cu caruciorul",
    "sunati-ma la {phone} daca aveti nevoie de detalii",
    "Groapa mare in asfalt pe {street} colt cu strada Horea, s-a spart roata la 2 masini. Tel {phone}",
    "Bună ziua, mă numesc {full}, CNP {cnp}, și vă rog să verificați iluminatul de pe {street}.",
    "dl. {family} de la etajul 3 tine caini in apartament si latra toata noaptea, inclusiv intre orele 22:00-06:00",
    "doamna {full} de la ap 12 a taiat copacul din fata blocului B4 fara aviz",
    "Rog returnarea taxei de 150 lei in contul {iban} deschis pe numele {full}",
    "autoturismul cu nr de inmatriculare {plate} e abandonat de peste 6 luni, fara roti",
    "Contact: {email} / {phone}",
    "am sunat de 3 ori la 0800 800 983 si nu raspunde nimeni. numarul meu e {phone}",
    "Stalpul nr. 1234 de pe {street} nu functioneaza din 12.03.2024. Petitia nr. 4567/2024 nu a primit raspuns",
    "S-a depus la registratura dosarul 1234567890123 pe 15.01.2025, cod postal 400123, fara raspuns",
    "Duba alba {plate} descarca moloz noaptea langa {street}. Am poze. {given}",
    "VA ROG FRUMOS SA VENITI URGENT, VECINUL {full} A AFUMAT TOT BLOCUL!!! TEL {phone}",
    "Cainii fara stapan de la {street} au muscat un copil. Mama copilului, {full}, {phone}",
    "Am platit amenda de 500 lei din contul {iban}, dar apare tot neplatita. CNP titular {cnp}",
    "scuzati, nu stiu unde sa scriu. ma puteti contacta pe mail la {email} sau pe whatsapp {phone}",
    "Cu stima, {full}",
    "masina lui {family} ({plate}) blocheaza iesirea din parcare in fiecare dimineata pe la 7:30",
    "Semafor defect la intersectia {street} cu Calea Dorobanților. Autobuzul 35 si tramvaiul 101 stau la coada",
    "la scoala din {street} lipseste trecerea de pietoni, au trecut 2 ani de cand am cerut-o",
    "In Piata Unirii s-au furat 3 capace de canal. Multumesc, {given}",
    "Administratorul {full} nu vrea sa repare interfonul, ii puteti scrie la {email}",
    "my neighbour {full} keeps burning rubbish in the yard, please call me on {phone}",
    "The car {plate} has been parked on the pavement for a month near {street}",
    "Please refund the fee to {iban}. Thanks, {full}",
    "Gunoiul nu a fost ridicat de 2 saptamani pe {street} nr 14, bl. C3, sc. 2, ap. 24.",
    "Lumina de pe aleea din spatele blocului 24B nu merge din 2023. Am sunat la Electrica la {phone}.",
    "cineva a aruncat mobila veche langa tomberoane, cred ca e de la {initial} de la parter",
    "numarul {plate} a intrat cu masina in spatiul verde si a distrus gardul viu",
    "Il stiti pe {full}? El tot arunca deseuri la marginea orasului, ii stiu si masina, {plate}",
    "Reclamatie: in zona {street} se circula cu viteza, cer limitatoare. Semnat, {reverse}",
    "sunt {full}, locuiesc pe {street} si vreau sa semnalez o scurgere de apa",
    "Rog sa ma sunati: {phone}. Sau la serviciu: {phone}",
    "Trotuarul de pe {street} e plin de gropi de la km 2+500 pana la nr. 120. Suma de 1.250.000 lei a fost alocata in 2024?",
    "Angajatul firmei de salubritate, {full}, a fost nepoliticos cu noi ieri la ora 08:15.",
    "Am trimis poze pe {email}, vedeti va rog. Reclamatia nr. 0723/2025",
    "pe {street} s-a surpat trotuarul langa Farmacia Catena, la 50 m de Liceul Avram Iancu",
    "in parcul de pe {street} copiii se joaca langa cabluri rupte. {given} {family}, tel. {phone}",
    "Sesizare pentru vecina {given} de la nr 7 care hraneste porumbeii pe geam si e mizerie",
    "doamna {family} zice ca a sunat si ea la politia locala la 112 dar nu a venit nimeni",
    "Masina rosie cu numere provizorii {plate} sta de 3 saptamani in fata scolii",
    "nr auto {plate}, parcheaza zilnic pe locul de handicap",
    "plata prin OP in contul {iban} titular {reverse} CNP {cnp}",
    "Bună seara! Copacul de pe {street} stă să cadă peste mașini. Mulțumesc anticipat, {full} ({email})",
    "fantana arteziana din Piata Avram Iancu e plina de gunoaie, iar lumina din Parcul Mihai Eminescu nu merge",
    "{given}, paznicul de la {street}, spune ca nu e treaba lui. telefon paznic {phone}",
    "Pe Mihai Viteazu colț cu Eminescu lipsește un capac de canal de ieri.",
    "Bulevardul 1 Mai e blocat de lucrari din 10.05, iar DN1 si A3 la fel. Linia 24B nu mai circula.",
    "de Crăciun s-a ars becul de pe {street}, acum e martie si tot nu s-a reparat",
    "{full} {phone}",
    "{email}",
    "CJ 2024 — an de gratie pentru gropi. Tramvaiul 41 ocoleste prin Piata Marasti.",
    "Firma Salubris si Primaria Cluj-Napoca nu raspund. Am scris si la Politia Locala, nimic.",
    "cainele lui {given} de la bloc latra, si al lui nea {given} la fel",
    "Va rog sa-mi returnati garantia. IBAN: {iban}, CNP: {cnp}, tel: {phone}",
    "identificare: {reverse}, cnp {cnp}, domiciliat pe {street} nr 3",
    "Factura 1850101123456 (nr. client, nu CNP) a fost platita de doua ori, rog restituire in {iban}",
    "Numarul de inregistrare al cererii e 2960230123459 si nu se vede in sistem",
]


def build(rng: random.Random) -> dict:
    template = rng.choice(TEMPLATES)
    given_pick = rng.choice(GIVEN).lstrip("*")
    family_pick = rng.choice(FAMILY).lstrip("*")
    out, spans, position = [], [], 0
    rest = template
    casual = rng.random() < 0.5  # a resident who does not type diacritics
    while rest:
        start = rest.find("{")
        if start < 0:
            piece = rest
            rest = ""
        else:
            piece, rest = rest[:start], rest[start:]
        if piece:
            piece = typo(strip(piece) if casual else piece, rng)
            out.append(piece)
            position += len(piece)
            continue
        end = rest.index("}")
        field, rest = rest[1:end], rest[end + 1:]
        kind, value = fill(field, rng, given_pick, family_pick)
        if template.isupper() or (template[:1].isupper() and template[3:20].isupper()):
            value = value if kind in ("email", "iban", "cnp", "phone") else value.upper()
        out.append(value)
        if kind:
            spans.append({"start": position, "end": position + len(value), "kind": kind})
        position += len(value)
    return {"text": "".join(out), "spans": spans, "template": TEMPLATES.index(template)}


def fill(field: str, rng: random.Random, given: str, family: str) -> tuple[str | None, str]:
    if field == "phone":
        return "phone", phone(rng)
    if field == "cnp":
        return "cnp", cnp(rng)
    if field == "iban":
        return "iban", iban(rng)
    if field == "plate":
        return "plate", plate(rng)
    if field == "email":
        return "email", email(rng, given, family)
    if field == "street":
        return None, rng.choice(STREETS)
    return "name", name(rng, field)


def typo(text: str, rng: random.Random) -> str:
    """One slip of the thumb in about a third of the pieces: a swapped, doubled or dropped letter."""
    if rng.random() > 0.33 or len(text) < 12:
        return text
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha() and w.islower()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    k = rng.randrange(1, len(w) - 1)
    words[i] = rng.choice([w[:k] + w[k + 1] + w[k] + w[k + 2:], w[:k] + w[k] + w[k:], w[:k] + w[k + 1:]])
    return " ".join(words)


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    for number in range(COUNT):
        row = build(rng)
        row["id"] = number + 1
        rows.append(row)
    with OUT.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({"id": row["id"], "template": row["template"], "text": row["text"],
                                     "spans": row["spans"]}, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for row in rows:
        for span in row["spans"]:
            kinds[span["kind"]] = kinds.get(span["kind"], 0) + 1
    print(f"{len(rows)} descriptions, {sum(kinds.values())} labelled spans: {kinds} -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
