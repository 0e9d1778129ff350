"""Personal names in Romanian free text: built-in name lists combined with context cues.

No model and nothing downloaded: the lists ship in `data/` and were compiled by the project. The
method and its measured limits are in docs/privacy.md.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from cityreport.privacy.fold import fold


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that, right before a capitalised word, say a person follows. Compared diacritic-free and
# lower-case, with any trailing dot removed ("dl." → "dl").
PERSON_CUES = _words("""
dl dlui d-l d-lui domnul domnului dna d-na d-nei doamna doamnei dra d-ra d-ra domnisoara domnisoarei
dr doctorul doctora doctorului ing inginerul prof profesorul profesoara av avocatul avocata
vecinul vecina vecinului vecinei vecinii vecinilor vecin vecina numitul numita numitului numitei
cetateanul cetateana proprietarul proprietara proprietarului proprietarei chiriasul chiriasa
administratorul administratora administratorului administratoarea presedintele presedinta
patronul patroana patronului sotul sotia sotului sotiei fiul fiica fiului fiicei fratele sora
fratelui surorii nepotul nepoata unchiul matusa nea tanti mos baiatul baiatului soferul soferului
agentul agentului politistul politista politistului inspectorul inspectoarea angajatul angajata
colegul colega sefu seful sefa seful sefului mecanicul paznicul paznicului portarul portarului
sunt cheama numeste numesc numele nume numit numita semnat subsemnatul subsemnata stima multumesc
mulțumesc salut titular titularul titulara titularului beneficiar beneficiarul beneficiara
thanks regards mr mrs ms miss neighbour neighbor neighbour's neighbor's landlord owner driver named
""")

# Cues that say a person follows only when the next word is already a known name ("pe Maria",
# "mașina lui Popescu"): in Romanian "pe" and "lui" mark a person, but "pe" also precedes streets.
WEAK_CUES = frozenset({"pe", "cu", "si", "and", "with"})
# "lui" before a capitalised word is the genitive of a person ("mașina lui Pîrjol"): any
# capitalised word after it is taken for a name, unless a place word comes first ("strada lui").
GENITIVE = "lui"
# Possessives between a cue and the name ("vecinul meu Ion") are skipped.
POSSESSIVES = frozenset({"meu", "mea", "nostru", "noastra", "vostru", "voastra", "my", "our"})

# Words that, before a name, make it part of a place: streets, squares, schools, stops.
PLACE_CUES = _words("""
strada str stradei strazii strazile bulevardul bulevardului bd b-dul bdul blvd calea caii piata pta
p-ta pietei pietii aleea aleii al soseaua soselei sos splaiul splaiului intrarea intr drumul drumului
ulita fundatura pasajul pasajului podul podului parcul parcului scoala scolii sc liceul liceului lic
colegiul colegiului gradinita gradinitei spitalul spitalului universitatea universitatii facultatea
cartierul cartierului statuia statuii bustul biserica bisericii catedrala catedralei stadionul
stadionului complexul complexului hotelul hotelului cinema cinematograful teatrul teatrului sala
salii magazinul farmacia restaurantul statia statiei zona zonei comuna comunei satul satului orasul
orasului municipiul municipiului judetul judetului gara garii autogara metroul metrou linia liniei
cimitirul cimitirului piateta scuarul scuarului colt coltul coltului intersectia intersectiei
sfantul sfanta sfantu sfintu sf sfintii cartier bloc blocul bl sc scara scarii ap apartamentul et etaj
etajul tronson corp
street st road avenue square school park
""")

# Titles that may stand between a place word and a name ("Str. General Eremia Grigorescu").
TITLES = _words("""
gen general generalul colonel col maior mr capitan cpt locotenent lt erou eroul eroilor poet
poetul voievod voievodul domnitor domnitorul regele regina printul printesa mitropolit episcop
dr prof ing av aviator cardinal
""")

# Family names that are also everyday words or towns: a single one is never taken for a name
# without a cue ("de Crăciun", "orașul Roman", "câinele Lupu" are not people).
COMMON_WORD_SURNAMES = _words("""
mare roman lupu rusu ursu negru rosu popa pop toma luca florea sava banu done trif gal sas boca
craciun dan ion ilie vasile radu mihai marin tudor matei filip david pavel anton andrei bogdan
stan avram grigore iosif lazar mircea sandu dinu vlad simion constantin gheorghe dumitru zaharia
cucu ene costea nica frunza porumb surdu turcu grecu negru dima bucur ciocan
carp ciorba cioban corbu puiu grama
""")

# Endings that mark a Romanian family name on their own ("Popescu", "Munteanu", "Iordache").
SURNAME_ENDINGS = ("escu", "eanu", "ache", "ovici", "evici", "oiu", "ăianu")

_CUE_WORDS = PLACE_CUES | PERSON_CUES | TITLES
# Punctuation between a cue and a word breaks the link ("vecinul, Ion" is not "vecinul Ion").
_BREAKS = frozenset(",;:!?()\n")

TOKEN_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def _load(name: str) -> frozenset[str]:
    text = resources.files("cityreport.privacy").joinpath("data", name).read_text(encoding="utf-8")
    return frozenset(fold(line.strip()).lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[tuple[str, ...]]]:
    """(given names, family names, public figures' names as token tuples), diacritic-free, lower-case."""
    famous = frozenset(tuple(TOKEN_RE.findall(entry)) for entry in _load("famous_names.txt"))
    return _load("first_names.txt"), _load("surnames.txt"), famous


@lru_cache(maxsize=65536)
def _bare(word: str) -> str:
    return fold(word).lower().replace("’", "'")


@lru_cache(maxsize=65536)
def _is_given(bare: str, given: frozenset[str]) -> bool:
    return bare in given or ("-" in bare and all(part in given for part in bare.split("-")))


@lru_cache(maxsize=65536)
def _is_family(bare: str, family: frozenset[str]) -> bool:
    if bare in family:
        return True
    parts = bare.split("-")
    return all(part in family or (len(part) >= 5 and part.endswith(SURNAME_ENDINGS)) for part in parts)


def _has_ending(bare: str) -> bool:
    return any(len(part) >= 5 and part.endswith(SURNAME_ENDINGS) for part in bare.split("-"))


def _cue(text: str, tokens: list[re.Match[str]], index: int) -> str | None:
    """'person', 'genitive', 'weak' or 'place' for the word(s) before token `index`, or None."""
    if index == 0:
        return None
    before = tokens[index - 1]
    gap = text[before.end():tokens[index].start()]
    bare = _bare(before.group())
    if not _BREAKS.isdisjoint(gap) and bare not in {"stima", "multumesc", "salut", "thanks", "regards"}:
        return None
    if bare in POSSESSIVES:
        return _cue(text, tokens, index - 1)
    if bare in PERSON_CUES:
        return "person"
    if bare in PLACE_CUES:
        return "place"
    if bare in TITLES:
        # A title after a place word belongs to the place; on its own ("dr. Ionescu") to a person.
        return "place" if _cue(text, tokens, index - 1) == "place" else "person"
    if bare == GENITIVE:
        return "place" if index >= 2 and _bare(tokens[index - 2].group()) in PLACE_CUES else "genitive"
    if bare in WEAK_CUES:
        return "place" if index >= 2 and _bare(tokens[index - 2].group()) in PLACE_CUES else "weak"
    # "Str. General Eremia Grigorescu": capitalised words back to a place word belong to the place.
    k = index - 1
    while k >= 0 and index - k <= 4 and tokens[k].group()[:1].isupper() and _near(text, tokens[k], tokens[k + 1]):
        k -= 1
        if k >= 0 and _bare(tokens[k].group()) in PLACE_CUES and _near(text, tokens[k], tokens[k + 1]):
            return "place"
    return None


def _near(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Only spaces or an abbreviation's dot between two words ("Str. General")."""
    return text[left.end():right.start()].strip(" \t") in ("", ".")


def _joined(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Two words belong to one name when only spaces (or an initial's dot) stand between them."""
    gap = text[left.end():right.start()]
    if gap.strip(" \t") == "":
        return 0 < len(gap) <= 2
    return gap.strip(" \t") == "." and len(left.group()) == 1


def _mid_sentence(text: str, tokens: list[re.Match[str]], index: int) -> bool:
    """Whether the word does not open a sentence (where every word is capitalised anyway)."""
    before = text[:tokens[index].start()].rstrip()
    return bool(before) and before[-1] not in ".!?\n" or (bool(before) and before.endswith(".") and
                                                        len(before) >= 2 and before[-2].isupper())


def _followed_by_number(text: str, end: int) -> bool:
    """'Popescu 12' or 'Eminescu nr. 5' reads as an address."""
    return re.match(r"\s*(?:nr\.?\s*)?\d{1,3}(?!\d)", text[end:end + 10], re.IGNORECASE) is not None


def find_names(text: str) -> list[tuple[int, int]]:
    """Character ranges of personal names in `text`."""
    given, family, famous = name_lists()
    tokens = list(TOKEN_RE.finditer(text))
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.group()
        bare = _bare(word)
        capital = word[0].isupper()
        known_given = _is_given(bare, given)
        known_family = _is_family(bare, family)
        # Most words are neither listed nor capitalised: no need to read their context.
        if not (known_given or known_family or capital) or bare in TITLES or bare in PERSON_CUES:
            i += 1  # "Prof." or "Domnul" opening a name is a cue, not part of the name
            continue
        cue = _cue(text, tokens, i)
        initial = len(word) == 1 and capital and text[token.end():token.end() + 1] == "."
        strong = cue in ("person", "genitive")
        if cue == "place" or not (known_given or known_family or initial or (strong and capital and len(word) > 1)):
            i += 1
            continue
        # Grow the run of name words that follow.
        run = [i]
        j = i + 1
        while j < len(tokens) and len(run) < 4 and _joined(text, tokens[j - 1], tokens[j]):
            nxt = tokens[j].group()
            nbare = _bare(nxt)
            ncap = nxt[0].isupper()
            listed = _is_given(nbare, given) or _is_family(nbare, family)
            n_initial = len(nxt) == 1 and ncap and text[tokens[j].end():tokens[j].end() + 1] == "."
            previous = tokens[j - 1].group()
            # After a known name, a capitalised word is the rest of it ("Maria Kiss"; surname first
            # in official style: "Iordache Veturia").
            after_name = previous[0].isupper() and (_is_given(_bare(previous), given) or _is_family(_bare(previous), family))
            # An acronym after a name ("… Veturia CNP") is not part of it, unless the whole text shouts.
            acronym = nxt.isupper() and not previous.isupper()
            if (listed and (ncap or not capital)) or n_initial or (ncap and (after_name or strong) and len(nxt) > 2
                                                                   and nbare not in _CUE_WORDS and not acronym):
                run.append(j)
                j += 1
                continue
            break
        if initial and len(run) == 1:
            # "S. Găvruță": an initial and a capitalised word make a name (the run did not grow
            # because the word is unknown).
            if j < len(tokens) and _joined(text, token, tokens[j]) and tokens[j].group()[:1].isupper() \
                    and len(tokens[j].group()) > 2 and _bare(tokens[j].group()) not in _CUE_WORDS and cue != "place":
                found.append((token.start(), tokens[j].end()))
                i = j + 1
                continue
            i += 1
            continue
        # A family name may follow an unknown given name or an initial ("Ilinca Popescu",
        # "M. Nistor", "Bota Gheorghe"): take the capitalised word before it, mid-sentence only.
        if cue is None and i > 0 and _joined(text, tokens[i - 1], token) and tokens[i - 1].group()[:1].isupper() \
                and _mid_sentence(text, tokens, i - 1) and _cue(text, tokens, i - 1) != "place" \
                and _bare(tokens[i - 1].group()) not in _CUE_WORDS:
            run.insert(0, i - 1)
            cue = "prefixed"
        words = [_bare(tokens[k].group()) for k in run]
        start, end = tokens[run[0]].start(), tokens[run[-1]].end()
        in_famous = _famous_overlap(tokens, run[0], run[-1], famous)
        if _accept(words, [tokens[k].group()[0].isupper() for k in run], cue, given, family, in_famous,
                   _followed_by_number(text, end)):
            found.append((start, end))
        i = run[-1] + 1
    return found


def _accept(words: list[str], capitals: list[bool], cue: str | None, given: frozenset[str],
            family: frozenset[str], famous: bool, numbered: bool) -> bool:
    if cue in ("person", "genitive"):
        return True
    if famous or numbered:
        return False
    if cue == "prefixed":
        last = words[-1]
        return len(words) >= 2 and (_is_given(last, given) or
                                    (_is_family(last, family) and last not in COMMON_WORD_SURNAMES))
    if len(words) >= 2 and len(words[0]) == 1 and capitals[1]:
        return True  # an initial and a capitalised name: "O. Popa"
    givens = [w for w in words if _is_given(w, given)]
    families = [w for w in words if _is_family(w, family)]
    if len(words) >= 2:
        # A given name with a family name (either order), or a given name with a capitalised word.
        if not givens:
            return all(capitals) and sum(_has_ending(w) for w in words) >= 1
        others = [w for w in words if w not in givens]
        if all(capitals):
            return bool(others or len(givens) >= 2 and any(w in family for w in givens))
        return bool(families) and not any(w in COMMON_WORD_SURNAMES for w in others)
    word = words[0]
    if not capitals[0]:
        return False
    if cue == "weak":
        return bool(givens or families)
    return _has_ending(word)


def _famous_overlap(tokens: list[re.Match[str]], first: int, last: int,
                    famous: frozenset[tuple[str, ...]]) -> bool:
    """Whether a public figure's name ("Ștefan cel Mare", "Avram Iancu") covers part of the run."""
    starts, longest = _famous_index(famous)
    for start in range(max(0, first - longest + 1), last + 1):
        if _bare(tokens[start].group()) not in starts:
            continue
        for length in range(1, longest + 1):
            if start + length - 1 < first or start + length > len(tokens):
                continue
            if tuple(_bare(tokens[k].group()) for k in range(start, start + length)) in famous:
                return True
    return False


@lru_cache(maxsize=1)
def _famous_index(famous: frozenset[tuple[str, ...]]) -> tuple[frozenset[str], int]:
    return frozenset(name[0] for name in famous), max(map(len, famous), default=0)
