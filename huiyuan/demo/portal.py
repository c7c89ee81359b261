"""Demo data of the member portal: the member charter and the privacy notice."""

from __future__ import annotations

from huiyuan.selfservice.models import DocumentVersion
from huiyuan.selfservice.services import document_publish

CHARTER = """第一条 凡认同本店经营理念、自愿遵守本章程的顾客，均可凭本人手机号申请成为会员。
第二条 会员享有会员价、消费积分、储值和会员活动等权益，具体以门店公示为准。
第三条 积分自获得之日起按门店公示的期限有效，过期自动作废；积分不可兑现、不可转让。
第四条 储值本金可按门店退款规则申请退还；赠送金额不可兑现，退款时按比例扣回。
第五条 会员可随时在会员中心下载本人数据、关闭营销消息或申请注销账户。"""

PRIVACY = """我们只收集提供会员服务所必需的信息：姓名、手机号、消费与储值记录；生日等其他信息由您自愿填写。
这些信息仅用于会员身份识别、积分与储值记账、交易通知，以及（经您同意后）优惠活动通知。
我们不会向第三方出售您的个人信息。身份证号和地址等敏感信息加密保存。
您可以在“我的 → 我的数据与隐私”中下载本人数据、关闭营销消息或注销账户。"""


def load_portal_documents() -> None:
    """Publish the first versions of the charter and privacy notice (once)."""
    if not DocumentVersion.objects.filter(document__kind="charter").exists():
        document_publish(kind="charter", title="会员章程", body=CHARTER)
    if not DocumentVersion.objects.filter(document__kind="privacy").exists():
        document_publish(kind="privacy", title="隐私政策", body=PRIVACY)
