"""Text for SMS: Vietnamese without diacritics for GSM-7 gateways, short
messages that always carry the dossier code.

Pure functions, no Django.
"""

from __future__ import annotations

import re
import unicodedata

#: One GSM-7 segment; one ASCII-folded SMS stays within it.
ASCII_SMS_MAX = 160
#: Two concatenated UCS-2 segments (67 characters each): a Unicode SMS with
#: Vietnamese diacritics costs two messages at most.
UNICODE_SMS_MAX = 134

_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})
#: Punctuation a GSM-7 gateway cannot carry, with its ASCII stand-in.
_PUNCTUATION = str.maketrans(
    {
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u2026": "...",
        "\u00a0": " ",  # no-break space
        "\u2022": "-",  # bullet
    }
)
_SPACES = re.compile(r"\s+")
_TRAILING_LINK = re.compile(r"\s(https?://\S+)$")


def fold_vietnamese(text: str) -> str:
    """Remove Vietnamese diacritics: "Hồ sơ đã có kết quả" → "Ho so da co ket qua".

    Works on composed (NFC) and decomposed (NFD) input alike; đ/Đ, which are
    letters of their own rather than d with a mark, become d/D. Characters that
    are not Vietnamese letters are left as they are.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def to_ascii(text: str) -> str:
    """Fold Vietnamese, map typographic punctuation to ASCII and replace any
    character still outside ASCII with "?", so a GSM-7 gateway never shows
    mojibake."""
    folded = fold_vietnamese(text).translate(_PUNCTUATION)
    return folded.encode("ascii", "replace").decode("ascii")


def one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def sms_compose(text: str, *, dossier: str = "", ascii_only: bool = False) -> str:
    """The SMS actually sent: one line, short, carrying the dossier code
    and, when the text ends with one, the whole tracking link.

    If ``text`` does not mention ``dossier`` the code is appended; if it is
    too long it is shortened with an ellipsis, never cutting the code off.
    With ``ascii_only`` the result is folded for GSM-7 gateways.
    """
    limit = ASCII_SMS_MAX if ascii_only else UNICODE_SMS_MAX
    ellipsis = "..." if ascii_only else "\u2026"
    tag = f"Mã hồ sơ: {dossier}." if dossier else ""
    message = one_line(text)
    if tag and dossier not in message:
        if message and message[-1] not in ".!?…:;":
            message += "."
        message = f"{message} {tag}".strip()
    if ascii_only:
        message, tag = to_ascii(message), to_ascii(tag)
    if len(message) <= limit:
        return message
    # A trailing tracking link is kept whole: a cut link is worse than none.
    found = _TRAILING_LINK.search(message)
    link = f" {found[1]}" if found else ""
    body = message[: found.start()] if found else message
    room = limit - len(ellipsis) - len(link)
    if not dossier or dossier in body[:room]:
        return body[:room].rstrip() + ellipsis + link
    tail = f" {tag}"
    return body[: room - len(tail)].rstrip() + ellipsis + tail + link
