"""Person names across scripts: ICAO transliteration, matching keys, similarity, search.

The six Parties write one person's name in up to five ways: the national script
(Russian, Kazakh, Kyrgyz, Tajik or Belarusian Cyrillic, Armenian), the Russian Cyrillic
form of a non-Russian name (Нұрлан → Нурлан, Երվանդ → Ерванд, Аляксандр → Александр),
the Latin of the passport (ICAO Doc 9303 since 2013 in Russia, older rules before),
national Latin alphabets (Kazakh Q/Ğ, Tajik Q/Gh) and free spellings (-off, Yu/Iu/J).
A request about a person must find the record whichever way either side typed it.

Three layers, each a pure function of its input:

* :func:`transliterate`: Cyrillic and Armenian to Latin by the tables of ICAO Doc 9303
  Part 3 (section 6) and the passport practice of the Parties for letters ICAO leaves
  open (Kazakh, Kyrgyz and Tajik letters; Г as H and Ё as IO in Belarusian).
* :func:`keys` / :func:`name_key`: a *key* per name part, a spelling-free Latin
  skeleton where the usual variants coincide (Kh/H/Q/K, Zh/J/Dzh, Y/I/J for Й, Yu/Iu,
  Ya/Ia, E/Ye/Ie, doubled letters, -ov/-off, -uly/-ovich patronymics), plus coarser
  keys tried as well, a little below an equal key: Belarusian to Russian (Аляксандр ≈
  Александр, Казлоў ≈ Козлов), without Armenian Հ (Hakobyan ≈ Акопян), German-style J
  (Aljona ≈ Алёна) and a short table of equivalent given names (Мікалай ≈ Николай).
* :func:`similarity`: the best one-to-one pairing of the parts of two names (any order),
  each pair scored over its keys by Damerau-Levenshtein and Jaro-Winkler (typos), a
  missing patronymic costing nothing and any other missing part half a part; a man's and
  a woman's form of a name (Ахметов, Ахметова) are two people.

Search is the database's two steps: fetch candidates sharing a :func:`blocking_keys`
entry (short consonant skeletons a table can index), then rank them by similarity.
:class:`NameIndex` and :func:`best_matches` do both in memory, as the reference the
database index must agree with. ``docs/names.md`` gives the method and its measured
recall and precision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

from ozara.core.transliteration import Language, transliterate

__all__ = [
    "MATCH_THRESHOLD",
    "Language",
    "NameIndex",
    "best_matches",
    "blocking_keys",
    "keys",
    "name_key",
    "similarity",
    "transliterate",
]


#: The score from which two names are reported as the same person (see docs/names.md):
#: one typo in one part of a two-part name still passes, a different given name does not.
MATCH_THRESHOLD = 0.85

# --- Keys ---------------------------------------------------------------------------

#: Latin letters with diacritics as the Parties' alphabets read them: Kazakh Ş Ç Ğ Ä Ö Ü
#: Ū Ñ, Turkish ı, Czech-style Š Č Ž; the rest lose their mark. Apostrophes go.
_FOLD: dict[str, str] = {
    **dict.fromkeys("àáâãäåāăąǎəǟ", "a"),
    **dict.fromkeys("çćčĉċ", "ch"),
    **dict.fromkeys("ďđð", "d"),
    **dict.fromkeys("èéêëēĕėęě", "e"),
    **dict.fromkeys("ğĝġģǧǵ", "g"),
    **dict.fromkeys("ĥħ", "h"),
    **dict.fromkeys("ìíîïĩīĭįıǐ", "i"),
    **dict.fromkeys("ĵǰ", "j"),
    **dict.fromkeys("ķǩ", "k"),
    **dict.fromkeys("ĺļľŀł", "l"),
    **dict.fromkeys("ñńņňŋ", "n"),
    **dict.fromkeys("òóôõöøōŏőǒ", "o"),
    **dict.fromkeys("ŕŗř", "r"),
    **dict.fromkeys("śŝşšș", "sh"),
    **dict.fromkeys("ţťțŧ", "t"),
    **dict.fromkeys("ùúûüũūŭůűųǔǖ", "u"),
    **dict.fromkeys("ýÿŷ", "y"),
    **dict.fromkeys("źż", "z"),
    "ž": "zh",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
}
_MARKS = re.compile("[\u0300-\u036f\u02b9-\u02bf'`´’‘]")
#: What separates name parts: spaces, commas, the MRZ filler ``<``, slashes, dots.
_SEPARATORS = re.compile(r"[\s,;<./()]+")
#: Words that belong to the part before them: Kyrgyz "Асанбек уулу", Kazakh "Нұрлан
#: ұлы", Kyrgyz and Kazakh "кызы", Azerbaijani "оглы" (they are the patronymic's suffix).
_PARTICLES = frozenset({"uulu", "ulu", "uly", "uuly", "kyzy", "kizi", "qyzy", "qizi", "ogly"})
#: Spelling rules, in order, on lower-case Latin. Digraphs become one upper-case letter
#: first (lowered at the end), so later rules cannot split them: X ш, Q ч, J ж/дж, C ц,
#: H х/һ/h, G ғ/ղ, F ф.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        ("shch|sch", "X"),  # Щ: Shchukin, Schukin
        ("t?ch", "Q"),  # Ч: Chernov, Tchernov
        ("sh", "X"),
        ("dzh|dj|zh", "J"),  # Ж and Дж: Zhandos, Jandos; Dzhamshed, Djamshed, Jamshed
        ("kh", "H"),  # Х: Akhmetov, Ahmetov
        ("gu(?=[eiy])", "g"),  # French gu: Serguei
        ("gh", "G"),  # Ғ, Ղ: Ghafurov, Gafurov
        ("ph", "F"),
        ("t[sz]", "C"),  # Ц: Tsoi, Tzoi
        ("x", "ks"),  # Alexandr, Xenia
        ("q|ck|c", "k"),  # Kazakh Q for Қ: Qairat; Victor, Nicolai
        ("w", "v"),
        ("^j|(?<![aeiouy])j|j(?=[aeiouy])", "J"),  # J for Ж: Janar, Aijan
        ("j", "i"),  # J for Й after a vowel: Sergej, Nikolaj
        ("ou$", "ov"),  # Belarusian -оў: Ivanou
        ("([ae])u$", r"\1v"),  # -аў, -еў: Zaitsau, Kavaleu
        ("ou", "u"),  # French ou: Nourlan, Ioulia
        ("y", "i"),  # Ы, Й: Dmitriy, Kyzy
        ("i+", "i"),  # Dmitrii, Mariia, Aliyev (after Y → I)
        ("ff$", "v"),  # French -off: Akhmetoff
        ("ie|io", "e"),  # Ye/Ie for Е, Yo/Io for Ё: Yerlan, Valerievich, Fiodar
    )
)
#: Patronymic endings, longest first: Russian -ovich/-evna, Belarusian -avich/-auna,
#: Kazakh -uly/-kyzy, Kyrgyz -uulu/-kyzy, Azerbaijani and Uzbek -ogly/-ugli.
_PATRONYMIC = re.compile(
    r"(?<=...)(uulu|oviq|eviq|aviq|ovna|evna|auna|euna|iqna|kizi|ogli|ugli|uli|ulu)$"
    r"|(?<=..)iq$"  # Ильич, Кузьмич, Лукич
)
_DOUBLE = re.compile(r"(.)\1+")
#: The Belarusian-to-Russian key: Г written H, prothetic В (Вольга), дз for д, ц for т
#: before i/e, я for е after a consonant, -енка for -енко, Ў before a consonant, initial
#: У for В (Уладзімір), and О and Е both as А, the way Belarusian writes them unstressed
#: (Казлоў, Козлов; Зайцаў, Зайцев; Шаўчэнка, Шевченко).
_BELARUSIAN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        ("h", "g"),
        ("^v(?=o)", ""),
        ("dz", "d"),
        ("c(?=[ie])", "t"),
        ("(?<=[^aeiou])ia(?!$)", "e"),
        ("ev$", "av"),
        ("enka$", "enko"),
        ("(?<=[ae])u(?=[^aeiou])", "v"),
        ("^u(?=[^aeiou])", "v"),
        ("[oe]", "a"),
    )
)


@dataclass(frozen=True, slots=True, order=True)
class _Part:
    """One name part: its key and coarser keys, and whether it is a patronymic.

    ``levels`` is the key, then the Belarusian-to-Russian key, the key without a lone H,
    the key with J after a consonant read as Й (Aljona, Tatjana) and the key of the
    name's equivalent (:data:`_EQUIVALENTS`); a coarse key that changes nothing is the key.
    """

    levels: tuple[str, str, str, str, str]
    patronymic: bool

    @property
    def key(self) -> str:
        return self.levels[0]

    @property
    def label(self) -> str:
        return f"+{self.key}" if self.patronymic else self.key


def _latin(text: str) -> str:
    """Lower-case Latin letters of ``text``, whatever its script."""
    text = transliterate(text).lower()
    text = "".join(_FOLD.get(char, char) for char in text)
    return _MARKS.sub("", text)


#: A single H (Armenian Հ, Tajik Ҳ, Kazakh Һ), not the H of Kh, Sh, Ch, Zh, Gh, Ph, Th.
_LONE_H = re.compile("(?<![kszcgdpt])h")
#: J between a consonant and a vowel: Ж in Kazakh Latin (Ğalymjan), Й in German and
#: Czech-style spellings (Aljona, Tatjana, Grigorjan); the key reads Ж, a coarse key Й.
_JOT = re.compile("(?<=[bcdfgklmnprstvz])j(?=[aeiou])")


def _key(word: str) -> tuple[str, bool]:
    """The key of one Latin word, and whether it is a patronymic (then its father's name)."""
    key = re.sub("[^a-z]", "", word)
    for pattern, replacement in _RULES:
        key = pattern.sub(replacement, key)
    key = key.lower()
    match = _PATRONYMIC.search(key)
    if match:
        key = key[: match.start()]
    return _DOUBLE.sub(r"\1", key), match is not None


def _belarusian(key: str) -> str:
    for pattern, replacement in _BELARUSIAN:
        key = pattern.sub(replacement, key)
    return key


@lru_cache(maxsize=1 << 16)  # a search scores the same words of many names
def _part(word: str) -> _Part | None:
    key, patronymic = _key(word)
    if not key:
        return None
    belarusian = _belarusian(key)
    without_h = _key(_LONE_H.sub("", word))[0]
    jot = _key(_JOT.sub("i", word))[0]
    table = _equivalents()
    equivalent = table.get(key) or table.get(belarusian) or key
    return _Part((key, belarusian, without_h, jot, equivalent), patronymic)


#: Given names that are one name in two languages but too far apart for the rules: the
#: Belarusian and the Russian form, the Armenian and its Russian adaptation, Arabic names
#: in Kazakh, Tajik and Russian. Each group's keys stand for the first one's.
_EQUIVALENTS = (
    ("Николай", "Мікалай"),
    ("Геннадий", "Генадзь"),
    ("Екатерина", "Катерина", "Кацярына"),
    ("Анна", "Ганна"),
    ("Григорий", "Рыгор"),
    ("Иосиф", "Осип", "Язэп"),
    ("Егор", "Ягор"),
    ("Александр", "Алесь"),
    ("Евгений", "Яўген"),
    ("Оксана", "Аксана"),
    ("Оганес", "Ованес", "Հովհաննես"),
    ("Акоп", "Հակոբ"),
    ("Саркис", "Սարգիս"),
    ("Давид", "Davit", "Դավիթ"),
    ("Грант", "Հրանտ"),
    ("Грачья", "Грачя", "Հրաչյա"),
    ("Мгер", "Մհեր"),
    ("Геворк", "Գևորգ"),
    ("Астхик", "Աստղիկ"),
    ("Мухаммед", "Мухаммад", "Магомед", "Мохаммед", "Мұхаммед", "Муҳаммад"),
    ("Юсуф", "Юсуп", "Жүсіп"),
    ("Ибрагим", "Ибрахим", "Ибраһим", "Иброҳим"),
    ("Сулейман", "Сүлеймен", "Сулаймон"),
    ("Исхак", "Ысқақ", "Исҳоқ"),
    ("Бауржан", "Бауыржан"),
)


@lru_cache(maxsize=1)
def _equivalents() -> dict[str, str]:
    """Key (or Belarusian key) → the key its group stands for. A final I (Й) is dropped
    from both, so the patronymic's root (Мікалаевіч → mikala) is covered with the name
    (Мікалай → mikalai).
    """
    table: dict[str, str] = {}
    for group in _EQUIVALENTS:
        canonical = _key(_latin(group[0]))[0].removesuffix("i")
        for name in group:
            key = _key(_latin(name))[0]
            for form in (key, _belarusian(key)):
                table[form] = table[form.removesuffix("i")] = canonical
    return table


#: Longer words are cut: no name part is this long, and edit distance is quadratic.
_LONGEST = 48


@lru_cache(maxsize=1 << 16)
def _parse(name: str) -> tuple[_Part, ...]:
    """The parts of a name, each with its keys. Hyphenated parts stay one (Ter-Petrosyan)."""
    words: list[str] = []
    for whole in _SEPARATORS.split(_latin(name).replace("-", "")):
        word = whole[:_LONGEST]
        if not word:
            continue
        if words and word in _PARTICLES:
            words[-1] += word
        else:
            words.append(word)
    return tuple(part for part in map(_part, words) if part is not None)


def keys(text: str) -> set[str]:
    """Every key of every part of the name ``text``: its key and its coarser keys.

    A patronymic's key is its father's name with ``+`` before it, whatever its form:
    Нурланович, Nurlanuly and Нұрланұлы are all ``+nurlan``.
    """
    found: set[str] = set()
    for part in _parse(text):
        prefix = "+" if part.patronymic else ""
        found.update(prefix + level for level in set(part.levels))
    return found


def name_key(text: str) -> str:
    """One key for the whole name, equal for equal names whatever the script or order.

    The parts' keys sorted, patronymics last: "Кайрат Нурланович Ахметов", "Qairat
    Nurlanuly Akhmetov" and "AKHMETOV KAIRAT NURLANOVICH" all give "ahmetov kairat
    +nurlan". An exact-match column; anything less than equal needs :func:`similarity`.
    """
    parts = _parse(text)
    labels = sorted(p.label for p in parts if not p.patronymic)
    return " ".join(labels + sorted(p.label for p in parts if p.patronymic))


# --- Similarity ---------------------------------------------------------------------


def _damerau(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i, *[0] * len(b)]
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def _jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity: shared letters near the same place, a common start."""
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    taken = [False] * len(b)
    matched_a: list[str] = []
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not taken[j] and b[j] == char:
                taken[j] = True
                matched_a.append(char)
                break
    if not matched_a:
        return 0.0
    matched_b = [char for char, hit in zip(b, taken, strict=True) if hit]
    m = len(matched_a)
    swaps = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) / 2
    jaro = (m / len(a) + m / len(b) + (m - swaps) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def _genders(a: str, b: str) -> bool:
    """Whether two keys are the man's and the woman's form of one name.

    Ахметов / Ахметова, Евгений / Евгения, Александр / Александра, Савицкий / Савицкая:
    one letter apart, but two people (a brother and a sister, a husband and a wife).
    """
    short, long = sorted((a, b), key=len)
    return long == short + "a" or (short.endswith("i") and long == short[:-1] + "aia")


@lru_cache(maxsize=1 << 18)
def _key_similarity(a: str, b: str) -> float:
    """Two keys' similarity: the mean of edit similarity and Jaro-Winkler, squared.

    Edits alone punish short names (one typo in "olga" is a quarter of it); Jaro-Winkler
    alone is lenient with different names that share a start or an ending (Nurlan and
    Nursultan, Omarov and Toktarov). Squaring spreads the top of the scale: one typo in
    a surname keeps about 0.8, a different surname of the same shape falls to 0.5.
    The man's and the woman's form of a name score :data:`_GENDERS`.
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    if _genders(a, b):
        return _GENDERS
    edits = 1 - _damerau(a, b) / max(len(a), len(b))
    return ((max(edits, 0.0) + _jaro_winkler(a, b)) / 2) ** 2


#: The man's and the woman's form of one name (see :func:`_genders`).
_GENDERS = 0.25
#: A coarser key's match counts a little less than an equal key: Аляксандр and
#: Александр match, but below two spellings of one Russian name.
_COARSE = 0.97
#: A patronymic paired with a part that is not one: Nurlan is not Nurlanovich's son.
_CROSS = 0.8
#: What an unpaired part costs, in parts: a patronymic nothing (it is optional), any
#: other part half (a second given name, or a surname the other side did not give).
_MISSING = 0.5


def _part_similarity(a: _Part, b: _Part) -> float:
    score = _key_similarity(a.key, b.key)
    for x, y in zip(a.levels[1:], b.levels[1:], strict=True):
        if score < 1 and (x != a.key or y != b.key):
            score = max(score, _COARSE * _key_similarity(x, y) ** 2)
    return score if a.patronymic == b.patronymic else score * _CROSS


def _score(query: tuple[_Part, ...], other: tuple[_Part, ...]) -> float:
    if (len(query), query) > (len(other), other):  # symmetric: the same order either way
        query, other = other, query
    if not query:
        return 0.0
    grid = [[_part_similarity(a, b) for b in other] for a in query]
    if len(other) <= 6:
        choices: Iterable[tuple[int, ...]] = permutations(range(len(other)), len(query))
        pairing = max(choices, key=lambda cols: sum(grid[i][j] for i, j in enumerate(cols)))
    else:  # a pathological name: pair greedily, best first
        pairing_list: list[int] = []
        for row in grid:
            free = [j for j in range(len(other)) if j not in pairing_list]
            pairing_list.append(max(free, key=row.__getitem__))
        pairing = tuple(pairing_list)
    total = sum(grid[i][j] for i, j in enumerate(pairing))
    unpaired = [other[j] for j in range(len(other)) if j not in pairing]
    missing = _MISSING * sum(not part.patronymic for part in unpaired)
    return total / (len(query) + missing)


def similarity(a: str, b: str) -> float:
    """How alike two names are, from 0 to 1, whatever their script, order and spelling.

    The parts are paired one to one, in whichever order scores best (surname, given name
    and patronymic come in any order); a pair scores 1 when its keys are equal and less
    for each typo. A patronymic present on one side only costs nothing ("Кайрат Ахметов"
    is "Ахметов Кайрат Нурланович"); any other unpaired part costs half a part. Symmetric.
    """
    return _score(_parse(a), _parse(b))


# --- Blocking and search ------------------------------------------------------------

#: Consonants by sound for blocking: voiced with voiceless, Ж with Ш, Ц with С.
_SKELETON = str.maketrans("bdgvzjc", "ptkfsxs", "aeiouh")


def _skeleton(key: str) -> str:
    return _DOUBLE.sub(r"\1", key.translate(_SKELETON))


def blocking_keys(name: str) -> set[str]:
    """Short keys a database indexes to fetch the candidates worth scoring for ``name``.

    Per part and per key of it, the first three consonants of its skeleton (vowels and H
    dropped, voiced and voiceless merged): Akhmetov, Ахмедов and Ahmetoff all give
    ``c:mtf``. A part with fewer than two consonants gives its first three letters
    (``v:...``) instead. A name is a candidate for a query when they share one key, so a
    typo in one part is covered by the others.
    """
    found: set[str] = set()
    for part in _parse(name):
        for level in part.levels:
            skeleton = _skeleton(level)
            found.add(f"c:{skeleton[:3]}" if len(skeleton) >= 2 else f"v:{level[:3]}")
    return found


class NameIndex:
    """The database's name index in memory: blocking key → entries, then scoring.

    An id may be added under several names (aliases, the same person in two scripts);
    it is then reported once, with its best score.
    """

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._names: list[tuple[str, str]] = []
        self._blocks: dict[str, list[int]] = {}
        for entry_id, name in entries:
            self.add(entry_id, name)

    def __len__(self) -> int:
        return len(self._names)

    def add(self, entry_id: str, name: str) -> None:
        position = len(self._names)
        self._names.append((entry_id, name))
        for block in blocking_keys(name):
            self._blocks.setdefault(block, []).append(position)

    def candidates(self, query: str) -> set[str]:
        """The ids the blocking step fetches for ``query`` (before any scoring)."""
        return {self._names[p][0] for p in self._positions(query)}

    def _positions(self, query: str) -> set[int]:
        return {p for block in blocking_keys(query) for p in self._blocks.get(block, ())}

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` best ids for ``query`` with their scores, best first (ties by id)."""
        parsed = _parse(query)
        best: dict[str, float] = {}
        for position in self._positions(query):
            entry_id, name = self._names[position]
            score = _score(parsed, _parse(name))
            if score > best.get(entry_id, -1.0):
                best[entry_id] = score
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]


def best_matches(
    query: str, candidates: Iterable[tuple[str, str]], k: int = 10
) -> list[tuple[str, float]]:
    """The ``k`` candidates ``(id, name)`` most like ``query``: block, then score.

    The reference for the database search: a candidate that shares no blocking key with
    the query is never scored, as in the database. For many queries over one set of
    candidates, build a :class:`NameIndex` once instead.
    """
    return NameIndex(candidates).search(query, k)
