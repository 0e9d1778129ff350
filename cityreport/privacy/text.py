"""Find personal data in residents' free text and mask it for publication.

Pure rules. `detect()` returns spans; `resolve()` applies staff overrides to them; `render()` writes
the public text. `public_text()` does all three and is the one call an output needs. How each kind
is found, and why, is in docs/privacy.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cityreport.privacy import identifiers, names
from cityreport.privacy.fold import fold

# Bump when a rule changes what is found: stored detections of an older version are redone.
RULES_VERSION = 1

KINDS = ("cnp", "phone", "email", "iban", "plate", "name", "other")
Kind = Literal["cnp", "phone", "email", "iban", "plate", "name", "other"]

# The mask that replaces each kind, in the language of the output. Readers see what was there
# (a phone, a name) without the value; the open-data dictionary documents the same labels.
MASKS: dict[str, dict[str, str]] = {
    "ro": {"cnp": "[CNP]", "phone": "[telefon]", "email": "[e-mail]", "iban": "[IBAN]",
           "plate": "[nr. înmatriculare]", "name": "[nume]", "other": "[date personale]"},
    "en": {"cnp": "[CNP]", "phone": "[phone]", "email": "[e-mail]", "iban": "[IBAN]",
           "plate": "[licence plate]", "name": "[name]", "other": "[personal data]"},
}

# When two findings overlap, the more specific kind wins: an e-mail address may contain a name or
# digits, an IBAN or a CNP may contain a run that looks like a phone number.
PRIORITY = {"email": 0, "iban": 1, "cnp": 2, "plate": 3, "phone": 4, "name": 5, "other": 6}


@dataclass(frozen=True, order=True)
class Span:
    """A masked range [start, end) of the original text. `source` is 'auto' for the detector's
    findings and 'staff' for masks a member of staff added."""

    start: int
    end: int
    kind: str
    source: str = "auto"

    def as_dict(self) -> dict[str, int | str]:
        return {"start": self.start, "end": self.end, "kind": self.kind, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, int | str]) -> Span:
        return cls(int(data["start"]), int(data["end"]), str(data["kind"]), str(data.get("source", "auto")))


@dataclass(frozen=True)
class Override:
    """A staff decision over a range of one exact original text.

    action 'mask' adds a mask of `kind` over [start, end); 'unmask' lifts every automatic mask that
    lies within [start, end) (a false positive). Staff remove a mask they added by deleting its
    override; staff cannot unmask another staff mask by accident.
    """

    action: Literal["mask", "unmask"]
    start: int
    end: int
    kind: str = "other"

    def as_dict(self) -> dict[str, int | str]:
        return {"action": self.action, "start": self.start, "end": self.end, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, int | str]) -> Override:
        action = str(data["action"])
        if action not in ("mask", "unmask"):
            raise ValueError(f"unknown override action {action!r}")
        return cls(action, int(data["start"]), int(data["end"]), str(data.get("kind", "other")))  # type: ignore[arg-type]


def digest(text: str) -> str:
    """Identifies the exact original that spans and overrides were made for."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# --- E-mail -----------------------------------------------------------------------------------

# What mail systems accept in a local part, apostrophes included (o'brien@…); "[at]" and "(at)"
# spellings are how people hide addresses from robots and still mean them.
EMAIL_RE = re.compile(
    r"(?<![\w.%+'’-])[\w.%+'’-]*\w\s?(?:@|\s?[\[(]\s?(?:at|a)\s?[\])]\s?)\s?"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.|\s?[\[(]\s?(?:dot|punct)\s?[\])]\s?))+[a-z]{2,24}(?![\w@-])",
    re.IGNORECASE,
)


def find_emails(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "email") for m in EMAIL_RE.finditer(text)]


# --- Phone numbers ----------------------------------------------------------------------------

# A number ends where the digits end: "0722 123 456 0744 555 666" is two numbers, and the letters
# before one do not hide it ("tel0722123456").
# Between two digits residents put nothing, a space, a dot, a dash or a slash, sometimes twice
# ("0722 - 123 456"); brackets go round an area code.
_SEP = r"[ \t.\-/()]{0,3}"
# Romanian numbers: 0 and nine digits, the first of them 2 or 3 (fixed lines) or 7 (mobiles).
# 08 (free) and 09 (premium) are businesses' numbers, not personal.
_RO_NATIONAL = rf"[237](?:{_SEP}\d){{8}}"
PHONE_RO_RE = re.compile(
    rf"(?<![\d+])(?:"
    rf"(?:\+|00)[ ]?4[ .\-]?0{_SEP}(?:\(?0\)?{_SEP})?{_RO_NATIONAL}"  # +40 722…, 0040 (0)722…, +4 0722…
    rf"|(?<!\d)40{_SEP}{_RO_NATIONAL}"  # 40722123456, as a form's country prefix without +
    rf"|\(?0\)?{_SEP}{_RO_NATIONAL}"  # 0722 123 456, (0264) 123 456
    rf")(?!\d)"
)
# Other countries: + or 00 and a country code, 8 to 14 more digits in groups.
PHONE_INTL_RE = re.compile(r"(?<![\w+])(?:\+|00)[1-9](?:[ .\-/()]{0,2}\d){7,14}(?!\d)")
# Nine digits from 7 without the leading 0 ("tel 722 123 456") are a mobile only after a cue.
PHONE_CUE_RE = re.compile(
    r"\b(?:tel|telefon|telefonul|mobil|mobilul|nr|numar|numarul|contact|whatsapp|suna|sunati|phone|call)"
    rf"[\w.:\- ]{{0,12}}?(?<![\d])(7(?:{_SEP}\d){{8}})(?![ .\-/]?\d)",
    re.IGNORECASE,
)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def find_phones(text: str, folded: str) -> list[Span]:
    spans = []
    for match in PHONE_RO_RE.finditer(text):
        start = match.start()
        # An opening bracket belongs to the mask only when its partner is inside it too.
        if text[start] == "(" and ")" not in match.group():
            start += 1
        spans.append(Span(start, match.end(), "phone"))
    for match in PHONE_INTL_RE.finditer(text):
        digits = _digits(match.group())
        if digits.startswith(("40", "0040")):
            continue  # Romanian: the stricter rule above decides
        spans.append(Span(match.start(), match.end(), "phone"))
    for match in PHONE_CUE_RE.finditer(folded):
        spans.append(Span(match.start(1), match.end(1), "phone"))
    return spans


# --- CNP --------------------------------------------------------------------------------------

CNP_RE = re.compile(r"(?<![\d])[1-9](?:[ .\-]?\d){12}(?![ .\-]?\d)")
CNP_CUE_RE = re.compile(r"(?:cnp|c\.n\.p|cod numeric personal|cod personal|personal numeric code)\W{0,6}$")


def find_cnps(text: str, folded: str) -> list[Span]:
    spans = []
    for match in CNP_RE.finditer(text):
        digits = _digits(match.group())
        if identifiers.cnp_valid(digits):
            spans.append(Span(match.start(), match.end(), "cnp"))
        elif identifiers.cnp_plausible(digits) and CNP_CUE_RE.search(folded[max(0, match.start() - 30):match.start()]):
            # A mistyped control digit still leaves a person's birth date and county: after the
            # word "CNP" it is masked all the same.
            spans.append(Span(match.start(), match.end(), "cnp"))
    return spans


# --- IBAN -------------------------------------------------------------------------------------

# Where an IBAN may start: a known country's two letters and two check digits. The rest is read
# character by character, so an earlier near-miss ("de 500 lei…") cannot swallow the real one.
IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})[ ]?\d{2}")
IBAN_BODY_SEPARATORS = " .-"


def find_ibans(text: str) -> list[Span]:
    spans = []
    position = 0
    while (match := IBAN_START_RE.search(text, position)) is not None:
        position = match.start() + 1
        country = match.group(1).upper()
        length = identifiers.IBAN_LENGTHS.get(country)
        if length is None:
            continue  # only countries whose IBAN length is known: a check digit alone admits 1 in 97
        chars: list[int] = []
        k = match.start()
        while k < len(text) and len(chars) < length:
            if text[k].isalnum() and text[k].isascii():
                chars.append(k)
            elif text[k] not in IBAN_BODY_SEPARATORS or not chars or k - chars[-1] > 1:
                break
            k += 1
        if len(chars) < length:
            continue
        end = chars[-1] + 1
        compact = "".join(text[c] for c in chars).upper()
        if identifiers.iban_valid(compact) and not text[end:end + 1].isalnum():
            spans.append(Span(match.start(), end, "iban"))
            position = end
    return spans


# --- Licence plates ---------------------------------------------------------------------------

_COUNTY = r"(?:A[BGR]|B[CHNRTVZ]?|C[JLSTV]|D[BJ]|G[JLR]|H[DR]|I[FLS]|M[HMS]|NT|OT|PH|S[BJMV]|T[LMR]|V[LNS])"
PLATE_RE = re.compile(rf"(?<![\w])({_COUNTY})[ \-.]?(\d{{2,3}})[ \-.]?([A-Za-z]{{3}})(?![\w])", re.IGNORECASE)
TEMP_PLATE_RE = re.compile(rf"(?<![\w])({_COUNTY})[ \-.]?(0\d{{3,5}})(?![\w])", re.IGNORECASE)
# Lower-case plates are common in a hurried message, but so are lower-case words that fit the
# pattern: they count only near a word about a vehicle.
VEHICLE_CUE_RE = re.compile(
    r"(masina|masini|auto|autoturism|autoturismul|autoutilitara|vehicul|vehiculul|duba|dubita|camion|"
    r"tir|microbuz|dacia|logan|bmw|audi|vw|opel|ford|skoda|renault|mercedes|toyota|nr|numar|numarul|"
    r"inmatriculare|inmatriculat|inmatriculata|placuta|placute|plates?|car|van|truck|parcat|parcata|"
    r"parcheaza|rosu|rosii|provizoriu|provizorii)\b"
)


def find_plates(text: str, folded: str) -> list[Span]:
    spans = []
    for match in PLATE_RE.finditer(text):
        county, digits, letters = match.groups()
        if not identifiers.plate_valid(county, digits, letters):
            continue
        upper = county.isupper() and letters.isupper()
        if upper or VEHICLE_CUE_RE.search(folded[max(0, match.start() - 60):match.start()]):
            spans.append(Span(match.start(), match.end(), "plate"))
    for match in TEMP_PLATE_RE.finditer(text):
        county, digits = match.groups()
        # A county code and a number starting with 0 is also how people write many other things;
        # a temporary plate is taken only next to a vehicle word.
        if identifiers.temporary_plate_valid(county, digits) and \
                VEHICLE_CUE_RE.search(folded[max(0, match.start() - 60):match.start()]):
            spans.append(Span(match.start(), match.end(), "plate"))
    return spans


# --- All together -----------------------------------------------------------------------------


def detect(text: str, *, kinds: Iterable[str] = KINDS) -> list[Span]:
    """Every personal datum found in `text`, as non-overlapping spans in text order."""
    if not text:
        return []
    wanted = set(kinds)
    folded = fold(text)
    candidates: list[Span] = []
    if "email" in wanted:
        candidates += find_emails(text)
    if "iban" in wanted:
        candidates += find_ibans(text)
    if "cnp" in wanted:
        candidates += find_cnps(text, folded)
    if "plate" in wanted:
        candidates += find_plates(text, folded)
    if "phone" in wanted:
        candidates += find_phones(text, folded)
    if "name" in wanted:
        candidates += [Span(start, end, "name") for start, end in names.find_names(text)]
    return _without_overlaps(candidates)


def _without_overlaps(spans: Iterable[Span]) -> list[Span]:
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (PRIORITY.get(s.kind, 9), -(s.end - s.start), s.start)):
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return sorted(chosen)


def resolve(detected: Iterable[Span], overrides: Iterable[Override], length: int) -> list[Span]:
    """The masks to apply: detections not lifted by an 'unmask', plus staff 'mask' overrides.

    Staff masks win where they overlap a detection (the staff range is what they meant); the result
    is non-overlapping and within [0, length).
    """
    overrides = list(overrides)
    lifts = [o for o in overrides if o.action == "unmask"]
    kept = [s for s in detected if not any(o.start <= s.start and s.end <= o.end for o in lifts)]
    added = [Span(max(0, o.start), min(length, o.end), o.kind if o.kind in KINDS else "other", "staff")
             for o in overrides if o.action == "mask" and o.start < o.end]
    merged = _merge_staff([s for s in added if s.start < s.end])
    return sorted(merged + [s for s in kept
                            if all(s.end <= m.start or s.start >= m.end for m in merged)])


def _merge_staff(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), last.kind, "staff")
        else:
            merged.append(span)
    return merged


def render(text: str, spans: Iterable[Span], lang: str = "ro") -> str:
    """`text` with each span replaced by its mask in `lang` ('ro' or 'en')."""
    labels = MASKS.get(lang, MASKS["ro"])
    out: list[str] = []
    position = 0
    for span in sorted(spans):
        if span.start < position:
            continue  # overlapping input: the first mask already hides this range
        out.append(text[position:span.start])
        out.append(labels.get(span.kind, labels["other"]))
        position = span.end
    out.append(text[position:])
    return "".join(out)


@dataclass(frozen=True)
class Masking:
    """What is stored beside an original text: the detections for that exact text (by digest) and
    the rules version that made them."""

    digest: str
    spans: tuple[Span, ...]
    version: int = RULES_VERSION

    def as_dict(self) -> dict[str, object]:
        return {"digest": self.digest, "version": self.version, "spans": [s.as_dict() for s in self.spans]}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Masking:
        spans = tuple(Span.from_dict(s) for s in data.get("spans", []))  # type: ignore[union-attr]
        return cls(str(data["digest"]), spans, int(data.get("version", 0)))  # type: ignore[arg-type]


def analyse(text: str) -> Masking:
    """Detect once, to store beside the original (at write time)."""
    return Masking(digest(text), tuple(detect(text)))


def public_text(original: str, masking: Masking | None = None, overrides: Iterable[Override] = (),
                lang: str = "ro") -> str:
    """The text that may be published for `original`.

    A stored masking is used only when it was made for this exact text by the current rules;
    otherwise detection runs again, so stale or missing detections never let the original through.
    Overrides are dropped when they were made for another text (the caller stores them with the
    digest of the text they were made on and passes only those that match).
    """
    if masking is None or masking.digest != digest(original) or masking.version != RULES_VERSION:
        masking = analyse(original)
    return render(original, resolve(masking.spans, overrides, len(original)), lang)


def mask_text(text: str, lang: str = "ro") -> str:
    """Detect and mask in one call, for text that has no stored masking or overrides."""
    return render(text, detect(text), lang)
