import datetime as dt

import pytest

from huiyuan.core import china, money, pii
from huiyuan.core.errors import ValidationFailed


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8619912345678", "19912345678"),
    ],
)
def test_mobile_is_normalized(raw, expected):
    assert china.normalize_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "12812345678", "1381234567", "138123456789", "abc", "1381234567\u0661", "١٣٨١٢٣٤٥٦٧٨"],
)
def test_invalid_mobile_is_refused(raw):
    with pytest.raises(ValidationFailed) as err:
        china.normalize_mobile(raw)
    assert err.value.code == "invalid_mobile"


def test_id_number_checksum():
    assert china.normalize_id_number("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ValidationFailed):  # Arabic-Indic digits are digits to \\d, not to us
        china.normalize_id_number("1101051949123100\u0662X")
    with pytest.raises(ValidationFailed) as err:
        china.normalize_id_number("110105194912310021")
    assert err.value.code == "invalid_id_checksum"
    with pytest.raises(ValidationFailed) as err:
        china.normalize_id_number("110105194902300021")  # 30 February
    assert err.value.code == "invalid_id_number"


def test_pinyin():
    assert china.pinyin_initials("张三丰") == "zsf"
    assert china.pinyin_full("李娜") == "lina"


def test_lunar_round_trip():
    # 中秋 1990 fell on 3 October.
    assert china.lunar_to_solar(1990, 8, 15) == dt.date(1990, 10, 3)
    assert china.solar_to_lunar(dt.date(1990, 10, 3)) == (1990, 8, 15, False)
    # 2023 had a leap second month (闰二月).
    assert china.lunar_to_solar(2023, 2, 1, leap=True) == dt.date(2023, 3, 22)
    with pytest.raises(ValidationFailed):
        china.lunar_to_solar(2024, 2, 1, leap=True)


def test_money_edges():
    assert money.yuan_to_fen("12.3") == 1230
    assert money.yuan_to_fen("¥1,000.05") == 100005
    assert money.fen_to_yuan_str(123456) == "¥1,234.56"
    assert money.fen_to_yuan_str(-5) == "-¥0.05"
    with pytest.raises(ValidationFailed):
        money.yuan_to_fen("1.234")
    with pytest.raises(ValidationFailed):
        money.yuan_to_fen("abc")


def test_pii_round_trip_and_masks(settings):
    token = pii.encrypt("11010519491231002X")
    assert "1101" not in token
    assert pii.decrypt(token) == "11010519491231002X"
    assert pii.mask_mobile("13812345678") == "138****5678"
    assert pii.mask_id_number("11010519491231002X") == "110***********002X"
