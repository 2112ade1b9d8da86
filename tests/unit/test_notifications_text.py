"""SMS text: folding Vietnamese for GSM-7 gateways, short messages that keep
the dossier code."""

from __future__ import annotations

import unicodedata

import pytest

from notifications.text import (
    ASCII_SMS_MAX,
    UNICODE_SMS_MAX,
    fold_vietnamese,
    sms_compose,
    to_ascii,
)

CODE = "38.14797-261125-0001"


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hồ sơ đã có kết quả", "Ho so da co ket qua"),
        ("Đề nghị bổ sung", "De nghi bo sung"),
        ("ĐƯỜNG Lê Lợi, phường Hạc Thành", "DUONG Le Loi, phuong Hac Thanh"),
        ("Bảo hiểm xã hội", "Bao hiem xa hoi"),
        ("Giấy ra viện; Sổ BHXH", "Giay ra vien; So BHXH"),
        ("ơ ư ă â ê ô Ơ Ư Ă Â Ê Ô", "o u a a e o O U A A E O"),
        ("ả ã ạ á à ẻ ẽ ẹ é è ỉ ĩ ị í ì ỏ õ ọ ó ò ủ ũ ụ ú ù ỷ ỹ ỵ ý ỳ", None),
        (CODE, CODE),
        ("", ""),
    ],
)
def test_fold_vietnamese(text, folded):
    result = fold_vietnamese(text)
    if folded is None:  # every toned vowel folds to its bare letter
        assert result == "a a a a a e e e e e i i i i i o o o o o u u u u u y y y y y"
    else:
        assert result == folded


def test_fold_accepts_decomposed_input_and_leaves_no_combining_marks():
    decomposed = unicodedata.normalize("NFD", "Hồ sơ đã có kết quả")
    assert decomposed != "Hồ sơ đã có kết quả"  # really decomposed
    assert fold_vietnamese(decomposed) == "Ho so da co ket qua"
    assert fold_vietnamese("Nguyễn Thị Ánh Tuyết").isascii()


def test_to_ascii_maps_punctuation_and_never_leaves_non_ascii():
    assert to_ascii("Hẹn trả – “Bộ phận một cửa” … ok") == 'Hen tra - "Bo phan mot cua" ... ok'
    assert to_ascii("Giá 10€ → 中文") == "Gia 10? ? ??"


def test_sms_keeps_short_text_and_appends_missing_code():
    assert sms_compose(f"Hồ sơ {CODE} đã có kết quả.", dossier=CODE) == (
        f"Hồ sơ {CODE} đã có kết quả."
    )
    assert sms_compose("Mời nhận kết quả.", dossier=CODE) == f"Mời nhận kết quả. Mã hồ sơ: {CODE}."
    assert sms_compose("Mời nhận kết quả.\n\n  Cảm ơn.", dossier="") == "Mời nhận kết quả. Cảm ơn."


def test_sms_ascii_mode_folds_everything():
    text = sms_compose(
        f"Hồ sơ {CODE} đã có kết quả. Mời nhận tại Trung tâm.", dossier=CODE, ascii_only=True
    )
    assert text == f"Ho so {CODE} da co ket qua. Moi nhan tai Trung tam."
    assert text.isascii()


@pytest.mark.parametrize("ascii_only", [False, True])
def test_long_sms_is_shortened_but_keeps_the_code(ascii_only):
    limit = ASCII_SMS_MAX if ascii_only else UNICODE_SMS_MAX
    items = "; ".join(f"Giấy tờ số {i} bản chính có chứng thực" for i in range(20))
    # the code comes first: cut the end
    first = sms_compose(f"Hồ sơ {CODE} cần bổ sung: {items}.", dossier=CODE, ascii_only=ascii_only)
    assert limit - 3 <= len(first) <= limit
    assert CODE in first
    assert first.endswith("..." if ascii_only else "…")
    # the code is not in the text (or only past the cut): it is kept at the end
    last = sms_compose(f"Cần bổ sung: {items}. Hồ sơ {CODE}.", dossier=CODE, ascii_only=ascii_only)
    assert limit - 3 <= len(last) <= limit
    assert last.endswith(f"Mã hồ sơ: {CODE}." if not ascii_only else f"Ma ho so: {CODE}.")
    assert last.startswith("Cần bổ sung" if not ascii_only else "Can bo sung")
    assert last.isascii() == ascii_only


def test_a_trailing_link_survives_shortening_whole():
    link = "https://motcua.example.vn/t/38.14797-261130-0001/bdiw1xVepPVSTVdokT1MW0"
    text = "Hồ sơ của ông/bà cần bổ sung giấy tờ: " + "bản sao giấy khai sinh, " * 10 + link
    for ascii_only in (False, True):
        sms = sms_compose(text, dossier="38.14797-261130-0001", ascii_only=ascii_only)
        assert sms.endswith(" " + link), sms
        assert len(sms) <= (160 if ascii_only else 134)
