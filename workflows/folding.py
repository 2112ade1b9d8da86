"""Accent-insensitive text: what a search for «khai sinh» or «nguyen van a»
compares against."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics: ``Đăng ký Khai sinh`` → ``dang ky khai sinh``."""
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())
