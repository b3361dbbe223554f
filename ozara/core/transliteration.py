"""Names written in another script, in Latin letters: ICAO Doc 9303 Part 3 and the
Parties' passport practice (Cyrillic of Russian, Belarusian, Kazakh, Kyrgyz and Tajik;
Armenian). Used by ``ozara.core.names`` to match a person's name across scripts.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Language", "transliterate"]

#: A Cyrillic language whose letters transliterate differently; ``None`` means "guess".
Language = Literal["ru", "be", "kk", "ky", "tg"]

# --- Transliteration ----------------------------------------------------------------

#: ICAO Doc 9303 Part 3, Table B (Cyrillic), for the letters of Russian and Belarusian
#: (and Ukrainian Ґ Є Ї), then the letters of Kazakh, Kyrgyz and Tajik as those states'
#: passports write them (Ә A, Ғ G, Қ K, Ң N, Ө O, Ұ Ү U, Һ Ҳ H, Ҷ J, Ӣ I, Ӯ U), then the
#: rest of Table B (Serbian, Macedonian). Other letters (Tatar Җ, Bashkir Ҙ) are kept.
_CYRILLIC: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e",
    "є": "ie", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ў": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    "ҳ": "h", "ҷ": "j", "ӣ": "i", "ӯ": "u",
    "ђ": "d", "ѓ": "g", "ѕ": "dz", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "ќ": "k",
    "џ": "dz",
}  # fmt: skip
#: Table B's language exceptions: Г is H in Belarusian; Belarusian passports write Ё as
#: IO (Фёдар → Fiodar); Tajik passports write Ғ as GH and Қ as Q (Ғафуров → Ghafurov).
_EXCEPTIONS: dict[str, dict[str, str]] = {
    "be": {"г": "h", "ё": "io"},
    "tg": {"ғ": "gh", "қ": "q"},
}
#: Armenian as Armenian passports write it (the BGN/PCGN values without the aspiration
#: marks): Ե is YE and Ո is VO at the start of a word, ՈՒ is U, և is EV.
_ARMENIAN: dict[str, str] = {
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "y",
    "թ": "t", "ժ": "zh", "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h",
    "ձ": "dz", "ղ": "gh", "ճ": "ch", "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "ո": "o",
    "չ": "ch", "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r",
    "ց": "ts", "ւ": "v", "փ": "p", "ք": "k", "և": "ev", "օ": "o", "ֆ": "f",
}  # fmt: skip
_ARMENIAN_VOWELS = frozenset("աեէըիոօւ")
#: Letters typed as a base letter and a combining mark (и + ◌̆ for й), composed first.
_COMPOSE = {
    "и\u0306": "й", "И\u0306": "Й", "е\u0308": "ё", "Е\u0308": "Ё", "у\u0306": "ў",
    "У\u0306": "Ў", "і\u0308": "ї", "І\u0308": "Ї", "и\u0304": "ӣ", "И\u0304": "Ӣ",
    "у\u0304": "ӯ", "У\u0304": "Ӯ",
}  # fmt: skip
_COMBINING = re.compile("|".join(_COMPOSE))
_TAJIK_ONLY = frozenset("ӣӯҳҷ")
_KAZAKH_KYRGYZ = frozenset("әғқңөұүһ")


def _compose(text: str) -> str:
    return _COMBINING.sub(lambda m: _COMPOSE[m[0]], text)


def _detect(text: str) -> Language:
    """The Cyrillic language whose exceptions apply, from the letters only it uses.

    Tajik has Ӣ Ӯ Ҳ Ҷ; Belarusian has Ў, or І without И (Kazakh writes both) and without
    Kazakh letters. Russian, Kazakh and Kyrgyz share one table, so any of them is "ru".
    """
    letters = set(text.lower())
    if letters & _TAJIK_ONLY:
        return "tg"
    if "ў" in letters or ("і" in letters and not letters & (_KAZAKH_KYRGYZ | {"и", "щ", "ъ"})):
        return "be"
    return "ru"


def _armenian(text: str, i: int, low: str) -> str:
    """The Latin of the Armenian letter at ``i``: its table value, or a contextual one."""
    before = text[i - 1].lower() if i else ""
    after = text[i + 1].lower() if i + 1 < len(text) else ""
    initial = not before or not ("\u0531" <= before <= "\u058a")
    if low == "ո":
        if after == "ւ":
            return "u"
        return "vo" if initial and after != "վ" else "o"
    if low == "ւ" and before == "ո":
        return ""
    if low in "եև" and (initial or before in _ARMENIAN_VOWELS):
        return "y" + _ARMENIAN[low]
    return _ARMENIAN[low]


def transliterate(text: str, lang: Language | None = None) -> str:
    """Cyrillic and Armenian letters of ``text`` in Latin, as a passport would print them.

    Follows ICAO Doc 9303 Part 3, section 6 (Table B for Cyrillic): Х → KH, Ц → TS,
    Й → I, Ю → IU, Я → IA, Ъ → IE, Ь dropped. ``lang`` picks the language exceptions
    (Belarusian Г → H; Tajik Ғ → GH, Қ → Q); without it they are guessed from the
    letters (see :func:`_detect`). Case is kept (Щукин → Shchukin, ЩУКИН → SHCHUKIN);
    anything that is not a Cyrillic or Armenian letter, Latin included, is left as is.
    """
    text = _compose(text)
    table = {**_CYRILLIC, **_EXCEPTIONS.get(lang or _detect(text), {})}
    out: list[str] = []
    for i, char in enumerate(text):
        low = char.lower()
        if low in _ARMENIAN:
            latin = _armenian(text, i, low)
        elif low in table:
            latin = table[low]
        else:
            out.append(char)
            continue
        if char != low and latin:
            after = text[i + 1] if i + 1 < len(text) else ""
            before = text[i - 1] if i else ""
            shout = after.isupper() or (not after.isalpha() and before.isupper())
            latin = latin.upper() if shout else latin.capitalize()
        out.append(latin)
    return "".join(out)
