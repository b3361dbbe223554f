"""The page: letterhead, fields, signature and verification blocks on A4 with fpdf2.

Every piece of text goes through ``multi_cell``, which wraps words and continues on a new
page, so no text of any length is cut off. The font is DejaVu Sans, embedded (as a
subset): the PDF core fonts know no Cyrillic, and DejaVu Sans also has the Kazakh
letters and the Armenian script that names and quoted texts may contain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
MARGIN = 20.0  # mm
BODY_SIZE = 10.5
SMALL_SIZE = 8.5
LINE = 5.2  # mm for body text
SMALL_LINE = 4.2

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """Text as it may be typed (CR LF, tabs, stray control characters) made printable."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL.sub("", text)


class Sheet(FPDF):
    """An A4 document whose every page carries its reference number and page count.

    The reference in the footer keeps a loose page attributable to its document.
    """

    def __init__(self, reference: str, created: datetime, title: str, author: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.reference = reference
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        # The same inputs give the same bytes: the creation date is the document's own date,
        # and the file identifier fpdf2 derives from the content and that date.
        self.set_creation_date(created)
        self.set_title(title)
        self.set_author(author)
        self.set_creator("Ozara")
        self.set_lang("ru")
        self.alias_nb_pages()
        self.add_page()

    def footer(self) -> None:
        self.set_y(-MARGIN + 6)
        self.set_font(FONT, "", SMALL_SIZE - 1)
        self.set_text_color(90)
        self.cell(
            0,
            SMALL_LINE,
            f"№ {self.reference} · стр. {self.page_no()} из {{nb}}",
            align=Align.C,
        )
        self.set_text_color(0)

    def write_text(
        self, text: str, *, bold: bool = False, size: float = BODY_SIZE, align: str = "L"
    ) -> None:
        """A paragraph across the full width, wrapped and continued on new pages as needed."""
        self.set_font(FONT, "B" if bold else "", size)
        height = LINE if size >= BODY_SIZE else SMALL_LINE
        self.multi_cell(
            0, height, clean(text), align=Align.coerce(align), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def rule(self, gap: float = 2.0) -> None:
        self.ln(gap)
        self.set_draw_color(120)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(gap)

    def keep_with_next(self, lines: int = 3) -> None:
        """Start a new page rather than leave a heading alone at the bottom of one."""
        if self.will_page_break(LINE * lines):
            self.add_page()

    def letterhead(self, state_ru: str, body_ru: str, body_id: str) -> None:
        self.write_text(state_ru.upper(), bold=True, size=SMALL_SIZE + 0.5, align="C")
        self.write_text(body_ru, bold=True, size=12, align="C")
        self.write_text(f"Компетентный орган {body_id}", size=SMALL_SIZE, align="C")
        self.rule()

    def reference_line(self, reference: str, dated: str) -> None:
        self.write_text(f"Исх. № {reference}")
        self.write_text(f"от {dated}")
        self.ln(3)

    def addressee(self, lines: Sequence[str]) -> None:
        """The addressee, in the right half of the page as Russian business letters place it."""
        half = (self.w - 2 * MARGIN) / 2
        self.set_font(FONT, "", BODY_SIZE)
        for line in lines:
            self.set_x(MARGIN + half)
            self.multi_cell(
                half, LINE, clean(line), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        self.ln(4)

    def heading(self, title: str, subtitle: str = "") -> None:
        self.keep_with_next(4)
        self.write_text(title.upper(), bold=True, size=13, align="C")
        if subtitle:
            self.write_text(subtitle, size=SMALL_SIZE + 0.5, align="C")
        self.ln(4)

    def section(self, title: str) -> None:
        """A section's title, bold and kept with what follows it."""
        self.keep_with_next(5)
        self.ln(2)
        self.write_text(title, bold=True, size=BODY_SIZE + 1)
        self.ln(2)

    def field(self, label: str, value: str) -> None:
        """A labelled field: the label in bold on its own line, the value in full below it."""
        self.keep_with_next()
        self.write_text(label, bold=True)
        self.write_text(value.strip() or "—")
        self.ln(2)

    def signature(self, name: str, post: str, dated: str) -> None:
        """Post, name and date of the signatory, and a line for the handwritten signature.

        A missing value leaves a blank line to fill in by hand rather than a gap.
        """
        blank = "____________________"
        self.keep_with_next(6)
        self.ln(4)
        self.write_text(f"Должность: {post or blank}")
        self.write_text(f"Ф. И. О.: {name or blank}")
        self.write_text(f"Подпись: {blank}")
        self.write_text(f"Дата: {dated}")
        self.ln(2)

    def verification(self, rows: Sequence[tuple[str, str]]) -> None:
        """Values to check the paper against the record: each on its own line, never split.

        A 64-character hexadecimal digest fits the width in the small size, so it is
        extracted and compared as one word.
        """
        self.keep_with_next(2 + 2 * len(rows))
        self.rule()
        self.write_text("Данные для проверки", bold=True, size=SMALL_SIZE + 0.5)
        for label, value in rows:
            self.write_text(label, size=SMALL_SIZE)
            self.write_text(value, bold=True, size=SMALL_SIZE)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
