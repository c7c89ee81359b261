"""Plain-language reasons from the engine's structured ones, in Chinese and in English.

The engine stores ``Reason(code, params)``; these renderers turn one into a sentence a
cashier can read out (``render_reason_zh``) or an English one (``render_reason_en``), and
an engine refusal into a message (``render_error_zh`` / ``render_error_en``). Pure Python:
no settings, no catalogue, so a stored sale can be explained again at any time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from huiyuan.core.money import fen_to_yuan_str
from huiyuan.pricing.errors import PricingError
from huiyuan.pricing.outputs import Param, Reason

Render = Callable[[Mapping[str, Param]], str]


def quantity_str(quantity_milli: int) -> str:
    """``25348`` → ``25.348``; ``2000`` → ``2``."""
    whole, milli = divmod(quantity_milli, 1000)
    return f"{whole}.{milli:03d}".rstrip("0") if milli else str(whole)


def zhe(paid_permille: int) -> str:
    """A paid permille as shoppers say it: 950 → 95折, 900 → 9折, 885 → 88.5折, 50 → 0.5折."""
    whole, rest = divmod(paid_permille, 100)
    if rest == 0:
        return f"{whole}折"
    if whole == 0:
        return f"0.{rest:02d}".rstrip("0") + "折"
    if rest % 10 == 0:
        return f"{paid_permille // 10}折"
    return f"{paid_permille // 10}.{paid_permille % 10}折"


def _yuan(params: Mapping[str, Param], key: str) -> str:
    return fen_to_yuan_str(int(params[key]))


def _unit_zh(params: Mapping[str, Param]) -> str:
    return str(params.get("unit") or "件")


def _unit_en(params: Mapping[str, Param]) -> str:
    return str(params.get("unit") or "unit")


def _qty(params: Mapping[str, Param]) -> str:
    return quantity_str(int(params["quantity_milli"]))


def _percent(paid_permille: int) -> str:
    off = 1000 - paid_permille
    return f"{off // 10}.{off % 10}%".replace(".0%", "%")


_ZH_ORDER = {
    "principal_first": "先扣本金",
    "bonus_first": "先扣赠送金",
    "proportional": "按余额比例",
}
_EN_ORDER = {
    "principal_first": "principal first",
    "bonus_first": "bonus first",
    "proportional": "in proportion",
}
_ZH_WHY = {"other_dates": "不在活动日期内", "other_days": "今天不是活动日"}
_EN_WHY = {"other_dates": "outside its dates", "other_days": "not one of its days"}

ZH: dict[str, Render] = {
    "benefit.rate": lambda p: (
        f"权益卡「{p['benefit_name']}」"
        + (f"{p['category_name']}类" if p["category"] else "")
        + f"再享{zhe(int(p['paid_permille']))}，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "benefit.member_price": lambda p: (
        f"权益卡「{p['benefit_name']}」会员价 {_yuan(p, 'member_price_fen')}/{_unit_zh(p)}，"
        f"{_qty(p)}{_unit_zh(p)}，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "tier.rate": lambda p: (
        f"会员等级「{p['tier_name']}」"
        + (f"{p['category_name']}类" if p["category"] else "")
        + f"{zhe(int(p['paid_permille']))}，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "promotion.percent_off": lambda p: (
        f"促销「{p['name']}」{zhe(int(p['value']))}，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "promotion.amount_off_per_unit": lambda p: (
        f"促销「{p['name']}」每{_unit_zh(p)}减 {_yuan(p, 'value')}，"
        f"{_qty(p)}{_unit_zh(p)}，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "promotion.fixed_unit_price": lambda p: (
        f"促销「{p['name']}」特价 {_yuan(p, 'value')}/{_unit_zh(p)}，"
        f"{_qty(p)}{_unit_zh(p)}，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "promotion.not_today": lambda p: (
        f"促销「{p['name']}」今日不适用（{_ZH_WHY.get(str(p['why']), str(p['why']))}）"
    ),
    "stacking.best_of": lambda p: (
        f"会员折扣比促销「{p['name']}」优惠更多，取会员折扣（不叠加）"
        if p["chosen"] == "tier"
        else f"促销「{p['name']}」比会员折扣优惠更多，取促销（不叠加）"
    ),
    "stacking.exclusive": lambda p: f"促销「{p['name']}」不与会员折扣同享",
    "line.no_discount": lambda p: "该商品不参与会员折扣和促销",
    "line.no_points": lambda p: "该商品不积分",
    "line.amount_only": lambda p: (
        f"按金额 {_yuan(p, 'amount_fen')} ÷ 单价 {_yuan(p, 'unit_price_fen')}/{_unit_zh(p)}"
        f" = {_qty(p)}{_unit_zh(p)}（不足 0.001{_unit_zh(p)} 舍去）"
    ),
    "bundle.allocated": lambda p: f"套餐价按原价比例分摊到 {p['items']} 种商品",
    "payment.points_offset": lambda p: (
        f"{p['points']} 积分抵扣 {_yuan(p, 'amount_fen')}"
        f"（{p['points_per_yuan']} 积分抵 ¥1，最多抵应付的 {p['max_offset_percent']}%）"
    ),
    "payment.balance_split": lambda p: (
        f"储值支付 {_yuan(p, 'amount_fen')}：本金 {_yuan(p, 'principal_fen')}，"
        f"赠送金 {_yuan(p, 'bonus_fen')}（{_ZH_ORDER.get(str(p['spend_order']), '')}）"
    ),
    "points.earn_frozen": lambda p: "该会员积分已冻结，本单不积分",
    "coupon.cash": lambda p: (
        f"优惠券「{p['name']}」代金 {_yuan(p, 'value')}，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "coupon.threshold": lambda p: (
        f"优惠券「{p['name']}」满 {_yuan(p, 'min_spend_fen')} 减 {_yuan(p, 'value')}，"
        f"优惠 {_yuan(p, 'amount_fen')}"
    ),
    "coupon.percent": lambda p: (
        f"优惠券「{p['name']}」{zhe(int(p['value']))}"
        + (f"（最多减 {_yuan(p, 'cap_fen')}）" if int(p["cap_fen"]) else "")
        + f"，优惠 {_yuan(p, 'amount_fen')}"
    ),
    "coupon.gift": lambda p: (
        f"兑换券「{p['name']}」免费兑换{p['product']}一件，优惠 {_yuan(p, 'amount_fen')}"
    ),
}

EN: dict[str, Render] = {
    "benefit.rate": lambda p: (
        f"Benefit card {p['benefit_name']}"
        + (f", {p['category_name']}" if p["category"] else "")
        + f": a further {_percent(int(p['paid_permille']))} off, {_yuan(p, 'amount_fen')}"
    ),
    "benefit.member_price": lambda p: (
        f"Benefit card {p['benefit_name']}: member price {_yuan(p, 'member_price_fen')}"
        f" per {_unit_en(p)} × {_qty(p)}, {_yuan(p, 'amount_fen')} off"
    ),
    "tier.rate": lambda p: (
        f"Tier {p['tier_name']}"
        + (f", {p['category_name']}" if p["category"] else "")
        + f": {_percent(int(p['paid_permille']))} off, {_yuan(p, 'amount_fen')}"
    ),
    "promotion.percent_off": lambda p: (
        f"Promotion {p['name']}: {_percent(int(p['value']))} off, {_yuan(p, 'amount_fen')}"
    ),
    "promotion.amount_off_per_unit": lambda p: (
        f"Promotion {p['name']}: {_yuan(p, 'value')} off per {_unit_en(p)} × {_qty(p)},"
        f" {_yuan(p, 'amount_fen')}"
    ),
    "promotion.fixed_unit_price": lambda p: (
        f"Promotion {p['name']}: {_yuan(p, 'value')} per {_unit_en(p)} × {_qty(p)},"
        f" {_yuan(p, 'amount_fen')} off"
    ),
    "promotion.not_today": lambda p: (
        f"Promotion {p['name']} does not apply today ({_EN_WHY.get(str(p['why']), p['why'])})"
    ),
    "stacking.best_of": lambda p: (
        f"The tier discount beats promotion {p['name']}; they do not stack"
        if p["chosen"] == "tier"
        else f"Promotion {p['name']} beats the tier discount; they do not stack"
    ),
    "stacking.exclusive": lambda p: f"Promotion {p['name']} excludes the tier discount",
    "line.no_discount": lambda p: "No tier discount or promotion on this product",
    "line.no_points": lambda p: "This product earns no points",
    "line.amount_only": lambda p: (
        f"{_yuan(p, 'amount_fen')} at {_yuan(p, 'unit_price_fen')}/{_unit_en(p)}"
        f" = {_qty(p)} {_unit_en(p)} (rounded down to 0.001)"
    ),
    "bundle.allocated": lambda p: (
        f"The bundle price is shared among its {p['items']} items by their list prices"
    ),
    "payment.points_offset": lambda p: (
        f"{p['points']} points pay {_yuan(p, 'amount_fen')} ({p['points_per_yuan']} points"
        f" = ¥1, at most {p['max_offset_percent']}% of the bill)"
    ),
    "payment.balance_split": lambda p: (
        f"Balance {_yuan(p, 'amount_fen')}: principal {_yuan(p, 'principal_fen')}, bonus"
        f" {_yuan(p, 'bonus_fen')} ({_EN_ORDER.get(str(p['spend_order']), '')})"
    ),
    "points.earn_frozen": lambda p: "Earning is frozen for this member: no points",
    "coupon.cash": lambda p: (
        f"Coupon {p['name']}: {_yuan(p, 'value')} voucher, {_yuan(p, 'amount_fen')} off"
    ),
    "coupon.threshold": lambda p: (
        f"Coupon {p['name']}: {_yuan(p, 'value')} off from {_yuan(p, 'min_spend_fen')},"
        f" {_yuan(p, 'amount_fen')}"
    ),
    "coupon.percent": lambda p: (
        f"Coupon {p['name']}: {_percent(int(p['value']))} off"
        + (f" (at most {_yuan(p, 'cap_fen')})" if int(p["cap_fen"]) else "")
        + f", {_yuan(p, 'amount_fen')}"
    ),
    "coupon.gift": lambda p: (
        f"Gift coupon {p['name']}: one {p['product']} free, {_yuan(p, 'amount_fen')} off"
    ),
}


def render_reason_zh(reason: Reason) -> str:
    render = ZH.get(reason.code)
    return render(reason.params) if render else reason.code


def render_reason_en(reason: Reason) -> str:
    render = EN.get(reason.code)
    return render(reason.params) if render else reason.code


COUPON_WHY_ZH = {
    "not_yet_valid": "未到使用日期",
    "expired": "已过期",
    "other_store": "本门店不可用",
    "other_day": "今天不可用",
    "other_tier": "会员等级不符",
    "no_line": "没有适用的商品",
    "gift_missing": "请先把兑换商品加入购物篮",
    "below_min_spend": "未达到使用门槛",
}
_COMBO_ZH = {
    "duplicate": "同一张券用了两次",
    "too_many": "张数过多",
    "exclusive": "含不可叠加的券",
    "same_group": "同组的券只能用一张",
}

ERRORS_ZH: dict[str, Render] = {
    "duplicate_line": lambda p: "同一行出现了两次。",
    "invalid_line": lambda p: "每行填写数量或金额，二者取一。",
    "invalid_price": lambda p: "单价不能为负。",
    "invalid_quantity": lambda p: "数量须大于零。",
    "fractional_quantity": lambda p: "该商品只能按整数数量销售。",
    "amount_only_not_divisible": lambda p: "该商品不能按金额销售。",
    "invalid_amount": lambda p: "金额须大于零。",
    "amount_too_small": lambda p: "金额不够最小计量单位。",
    "invalid_bundle": lambda p: "套餐内容有误。",
    "invalid_rule": lambda p: f"规则「{p.get('rule', '')}」配置有误。",
    "invalid_policy": lambda p: "积分或储值政策配置有误。",
    "invalid_allocation": lambda p: "分摊金额有误。",
    "card_required": lambda p: "使用储值或积分支付需要会员卡。",
    "member_spend_frozen": lambda p: "该会员已冻结消费。",
    "invalid_points": lambda p: f"积分须抵扣整分钱：{p['points_per_yuan']} 积分抵 ¥1。",
    "points_offset_too_high": lambda p: (
        f"积分最多抵扣本单的 {p['max_offset_percent']}%（{_yuan(p, 'cap_fen')}）。"
    ),
    "overpaid": lambda p: f"支付金额超过应付金额（{_yuan(p, 'payable_fen')}）。",
    "insufficient_points": lambda p: f"积分不足：需 {p['requested']}，可用 {p['available']}。",
    "insufficient_balance": lambda p: (
        f"余额不足：需 {_yuan(p, 'requested')}，可用 {_yuan(p, 'available')}。"
    ),
    "return_exceeds_sold": lambda p: "退货数量超过可退数量。",
    "coupon_combination": lambda p: (
        f"这些优惠券不能同时使用（{_COMBO_ZH.get(str(p.get('why')), str(p.get('why')))}）。"
    ),
    "coupon_not_applicable": lambda p: (
        f"优惠券 {p.get('coupon', '')} 本单不可用（"
        f"{COUPON_WHY_ZH.get(str(p.get('why')), str(p.get('why')))}）。"
    ),
}

ERRORS_EN: dict[str, Render] = {
    "duplicate_line": lambda p: "A line appears twice.",
    "invalid_line": lambda p: "Give each line a quantity or an amount, not both.",
    "invalid_price": lambda p: "A unit price cannot be negative.",
    "invalid_quantity": lambda p: "A quantity must be above zero.",
    "fractional_quantity": lambda p: "This product is sold in whole units only.",
    "amount_only_not_divisible": lambda p: "This product cannot be sold by amount.",
    "invalid_amount": lambda p: "An amount must be above zero.",
    "amount_too_small": lambda p: "The amount buys less than the smallest unit.",
    "invalid_bundle": lambda p: "The bundle's contents are invalid.",
    "invalid_rule": lambda p: f"Rule {p.get('rule', '')} is misconfigured.",
    "invalid_policy": lambda p: "The points or wallet policy is misconfigured.",
    "invalid_allocation": lambda p: "Invalid allocation.",
    "card_required": lambda p: "Paying by balance or points needs a card.",
    "member_spend_frozen": lambda p: "Spending is frozen for this member.",
    "invalid_points": lambda p: (
        f"Points must make whole fen: {p['points_per_yuan']} points are worth ¥1."
    ),
    "points_offset_too_high": lambda p: (
        f"Points may pay at most {p['max_offset_percent']}% of this bill ({_yuan(p, 'cap_fen')})."
    ),
    "overpaid": lambda p: f"The payments exceed the amount due ({_yuan(p, 'payable_fen')}).",
    "insufficient_points": lambda p: (
        f"Not enough points: {p['requested']} asked, {p['available']} available."
    ),
    "insufficient_balance": lambda p: (
        f"Not enough balance: {_yuan(p, 'requested')} asked, {_yuan(p, 'available')} available."
    ),
    "return_exceeds_sold": lambda p: "More would be returned than was sold.",
    "coupon_combination": lambda p: f"These coupons cannot be used together ({p.get('why')}).",
    "coupon_not_applicable": lambda p: (
        f"Coupon {p.get('coupon', '')} does not apply to this sale ({p.get('why')})."
    ),
}


def render_error_zh(error: PricingError) -> str:
    render = ERRORS_ZH.get(error.code)
    return render(error.params) if render else error.code


def render_error_en(error: PricingError) -> str:
    render = ERRORS_EN.get(error.code)
    return render(error.params) if render else error.code
