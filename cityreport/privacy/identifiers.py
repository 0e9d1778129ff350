"""Check digits and formats of the structured identifiers residents type: CNP, IBAN, Romanian plates.

Pure functions over strings already cut out of a text; finding them in free text is `text.py`'s job
(see docs/privacy.md).
"""

from __future__ import annotations

import calendar

# The weights of the CNP's control digit, as the population register defines them.
CNP_WEIGHTS = (2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9)

# County codes in a CNP: 01–46 are the counties in alphabetical order and Bucharest's sectors
# (41–46), 47 and 48 are Bucharest's former sectors 7 and 8, 51 and 52 are Călărași and Giurgiu,
# 70 is used for CNPs issued since 2024 regardless of county.
CNP_COUNTIES = frozenset(range(1, 49)) | {51, 52, 70}

# The century each sex-and-century digit stands for; 7, 8 and 9 are foreign residents, whose year is
# read in the century that makes them no older than 100 (not decidable here, so any is accepted).
CNP_CENTURY = {1: 1900, 2: 1900, 3: 1800, 4: 1800, 5: 2000, 6: 2000, 7: None, 8: None, 9: None}


def cnp_check_digit(first12: str) -> int:
    total = sum(int(digit) * weight for digit, weight in zip(first12, CNP_WEIGHTS, strict=True))
    rest = total % 11
    return 1 if rest == 10 else rest


def cnp_plausible(digits: str) -> bool:
    """Sex/century digit, a real calendar date and a county code: the structure without the check digit."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    sex = int(digits[0])
    if sex == 0:
        return False
    year, month, day, county = int(digits[1:3]), int(digits[3:5]), int(digits[5:7]), int(digits[7:9])
    if not 1 <= month <= 12 or county not in CNP_COUNTIES:
        return False
    century = CNP_CENTURY[sex]
    # Foreign residents' century is unknown: accept 29 February in any year that could be a leap year.
    full_year = (century or 2000) + year
    return 1 <= day <= calendar.monthrange(full_year, month)[1]


def cnp_valid(digits: str) -> bool:
    """A plausible CNP whose thirteenth digit is its control digit."""
    return cnp_plausible(digits) and int(digits[12]) == cnp_check_digit(digits[:12])


def make_cnp(sex: int, year: int, month: int, day: int, county: int, serial: int) -> str:
    """A CNP with a correct control digit (for the corpus and the tests; year is two digits)."""
    first12 = f"{sex}{year:02d}{month:02d}{day:02d}{county:02d}{serial:03d}"
    return first12 + str(cnp_check_digit(first12))


# IBAN lengths per country (ISO 13616 registry), for the countries a Romanian city hall's residents
# are likely to quote; another country's IBAN is accepted on its check digits alone (15–34 characters).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}
IBAN_MIN, IBAN_MAX = 15, 34


def iban_mod97(iban: str) -> int:
    """ISO 7064 MOD 97-10 over the IBAN moved four characters left, letters as 10–35."""
    moved = iban[4:] + iban[:4]
    remainder = 0
    for char in moved:
        value = int(char) if char.isdigit() else ord(char) - 55
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder


def iban_valid(compact: str) -> bool:
    """An IBAN without spaces, upper case: country, check digits, the country's length, MOD 97 = 1."""
    if not (IBAN_MIN <= len(compact) <= IBAN_MAX) or not compact.isascii() or not compact.isalnum():
        return False
    country, check = compact[:2], compact[2:4]
    if not country.isalpha() or not check.isdigit():
        return False
    expected = IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        return False
    return iban_mod97(compact) == 1


def make_iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits for `bban` (for the corpus and the tests)."""
    check = 98 - iban_mod97(f"{country}00{bban}")
    return f"{country}{check:02d}{bban}"


# Registration codes of Romania's 41 counties and Bucharest (B), as they appear on plates.
PLATE_COUNTIES = frozenset({
    "AB", "AG", "AR", "B", "BC", "BH", "BN", "BR", "BT", "BV", "BZ", "CJ", "CL", "CS", "CT", "CV", "DB",
    "DJ", "GJ", "GL", "GR", "HD", "HR", "IF", "IL", "IS", "MH", "MM", "MS", "NT", "OT", "PH", "SB", "SJ",
    "SM", "SV", "TL", "TM", "TR", "VL", "VN", "VS",
})


def plate_valid(county: str, digits: str, letters: str) -> bool:
    """A permanent Romanian plate: county, 2 digits (Bucharest: 2 or 3), 3 letters.

    The digits are never 00 (000 for Bucharest), and the letter group never starts with I or O nor
    contains Q, which the registration rules exclude to avoid confusion with 1, 0 and O.
    """
    county, letters = county.upper(), letters.upper()
    if county not in PLATE_COUNTIES or not digits.isdigit() or int(digits) == 0:
        return False
    if len(digits) == 3 and county != "B":
        return False
    if len(digits) not in (2, 3) or len(letters) != 3 or not letters.isascii() or not letters.isalpha():
        return False
    return letters[0] not in "IO" and "Q" not in letters


def temporary_plate_valid(county: str, digits: str) -> bool:
    """A red temporary plate: county and a number of 4 to 6 digits that starts with 0 ("CJ 012345")."""
    return county.upper() in PLATE_COUNTIES and digits.isdigit() and 4 <= len(digits) <= 6 and digits[0] == "0"
