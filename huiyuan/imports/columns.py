"""The fields each kind of import knows, the header texts that name them, and the guess.

A mapping is ``{field: column index}``. It is guessed from the header (Chinese or English
texts, compared without spaces or case), preferring what the staff member mapped last time
(``ImportMapping``, kept as ``{field: header text}`` so that it fits the next file with the
same headers), and may be edited before the run.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huiyuan.core.sheets import header_key
from huiyuan.imports.models import ImportKind


@dataclass(frozen=True)
class Column:
    name: str
    label: str | Promise  # shown in the mapping form and the error workbook
    aliases: tuple[str, ...]
    required: bool = False


MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("name", _("Name"), ("姓名", "会员姓名", "名字", "客户姓名", "name"), required=True),
    Column(
        "mobile",
        _("Mobile"),
        ("手机", "手机号", "手机号码", "移动电话", "联系电话", "电话", "mobile", "phone"),
        required=True,
    ),
    Column("code", _("Member number"), ("会员编号", "会员号", "会员编码", "member number", "code")),
    Column("gender", _("Gender"), ("性别", "gender", "sex")),
    Column("birthday", _("Birthday"), ("生日", "出生日期", "出生年月日", "birthday", "birth date")),
    Column(
        "id_number", _("ID number"), ("身份证", "身份证号", "身份证号码", "证件号码", "id number")
    ),
    Column("region", _("Region"), ("地区", "区域", "所在地区", "region")),
    Column("address", _("Address"), ("地址", "住址", "联系地址", "address")),
    Column("occupation", _("Occupation"), ("职业", "occupation")),
    Column("email", _("E-mail"), ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail")),
    Column("preferences", _("Preferences"), ("偏好", "爱好", "备注", "preferences", "note")),
)

OPENING_COLUMNS: tuple[Column, ...] = (
    Column("card", _("Card number"), ("卡号", "会员卡号", "card number", "card"), required=True),
    Column(
        "mobile",
        _("Member mobile"),
        ("手机", "手机号", "手机号码", "会员手机", "mobile", "phone"),
    ),
    Column("code", _("Member number"), ("会员编号", "会员号", "member number")),
    Column(
        "principal",
        _("Principal (yuan)"),
        ("本金", "储值余额", "余额", "本金余额", "储值本金", "principal", "balance"),
    ),
    Column("bonus", _("Bonus (yuan)"), ("赠送金", "赠送余额", "赠金", "赠送金余额", "bonus")),
    Column(
        "bonus_expires",
        _("Bonus valid until"),
        ("赠送金有效期", "赠送金到期日", "赠送金过期日", "bonus expires", "bonus valid until"),
    ),
    Column("points", _("Points"), ("积分", "积分余额", "可用积分", "points")),
    Column(
        "points_expires",
        _("Points valid until"),
        ("积分有效期", "积分到期日", "积分过期日", "points expires", "points valid until"),
    ),
)

# Past sales (huiyuan/segments/history.py): the member by number or mobile.
SALES_COLUMNS: tuple[Column, ...] = (
    Column(
        "member",
        _("Member number or mobile"),
        (
            "会员",
            "会员编号",
            "会员号",
            "会员卡号",
            "手机",
            "手机号",
            "会员手机",
            "member",
            "mobile",
        ),
        required=True,
    ),
    Column(
        "date",
        _("Date"),
        ("日期", "消费日期", "销售日期", "交易日期", "date", "order date"),
        required=True,
    ),
    Column(
        "amount",
        _("Amount (yuan)"),
        ("金额", "消费金额", "实收金额", "销售金额", "amount", "total"),
        required=True,
    ),
    Column("items", _("Items"), ("商品", "商品明细", "品项", "items", "products")),
    Column("category", _("Category"), ("品类", "类别", "分类", "category")),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.MEMBERS: MEMBER_COLUMNS,
    ImportKind.OPENING: OPENING_COLUMNS,
    ImportKind.SALES: SALES_COLUMNS,
}


def columns_of(kind: str) -> tuple[Column, ...]:
    return COLUMNS[kind]


def mapping_guess(
    kind: str, header: list[str], remembered: dict[str, str] | None = None
) -> dict[str, int]:
    """``{field: column index}`` for the header: a remembered header text first, then the
    known aliases; a column serves one field at most."""
    keys = [header_key(text) for text in header]
    mapping: dict[str, int] = {}
    used: set[int] = set()

    def take(field: str, wanted: str) -> bool:
        for index, key in enumerate(keys):
            if key and key == wanted and index not in used:
                mapping[field] = index
                used.add(index)
                return True
        return False

    for field, text in (remembered or {}).items():
        if any(c.name == field for c in columns_of(kind)):
            take(field, header_key(text))
    for column in columns_of(kind):
        if column.name in mapping:
            continue
        for alias in column.aliases:
            if take(column.name, header_key(alias)):
                break
    return mapping


def mapping_problems(kind: str, mapping: dict[str, int], width: int) -> list[str]:
    """What is wrong with a mapping: a required field unmapped, a column out of range or
    used twice. Empty when it can run."""
    problems: list[str] = []
    known = {c.name: c for c in columns_of(kind)}
    for field in mapping:
        if field not in known:
            problems.append(str(_("Unknown field: %(field)s.") % {"field": field}))
    seen: dict[int, str] = {}
    for field, index in mapping.items():
        if not 0 <= index < width:
            problems.append(str(_("%(field)s: no such column.") % {"field": field}))
        elif index in seen:
            problems.append(
                str(
                    _("%(a)s and %(b)s read the same column.")
                    % {
                        "a": known[seen[index]].label if seen[index] in known else seen[index],
                        "b": known[field].label if field in known else field,
                    }
                )
            )
        else:
            seen[index] = field
    for column in columns_of(kind):
        if column.required and column.name not in mapping:
            problems.append(str(_("Choose the column for %(label)s.") % {"label": column.label}))
    return problems
