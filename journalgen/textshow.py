"""Text shown to people: every character a reader cannot see is written as its code point."""

from __future__ import annotations

import re

# Characters that str.isprintable() accepts although they draw nothing (Unicode's
# Default_Ignorable_Code_Point outside the categories it already refuses, and the blank fillers):
# a name made of them looks empty, or like another name.
_DRAWS_NOTHING = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef]"
)


def hidden(char: str) -> bool:
    """Whether ``char`` is invisible, a line break, a control, a bidi or other format character,
    unassigned, or white space other than the space (``str.isprintable()`` refuses all of these).
    """
    return not char.isprintable() or _DRAWS_NOTHING.match(char) is not None


def code_point(char: str) -> str:
    """``char`` as ``<U+202E>``."""
    return f"<U+{ord(char):04X}>"


def shown(text: str) -> str:
    """``text`` on one line with nothing hidden: each hidden character as ``<U+XXXX>``.

    Showing what is already shown changes nothing, so a message that quotes a shown value can be
    shown again. A value that spells ``<U+202E>`` itself reads the same as one holding U+202E;
    the other characters around it are what a reader compares.
    """
    if text.isprintable() and _DRAWS_NOTHING.search(text) is None:
        return text
    return "".join(code_point(c) if hidden(c) else c for c in text)


def quoted(text: str) -> str:
    """``text`` in single quotes, shown: how messages and the plan name a value."""
    return f"'{shown(text)}'"
