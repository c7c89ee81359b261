"""``{% export_button %}``: the list page's "导出 Excel" link, keeping its filters."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from huiyuan.console.exports import FORMAT, PARAM

register = template.Library()


@register.simple_tag(takes_context=True)
def export_button(context: template.Context) -> str:
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    query[PARAM] = FORMAT
    return format_html(
        '<a href="?{}" class="btn btn-outline-secondary" data-testid="export-xlsx">'
        '<i class="ti ti-file-spreadsheet me-1"></i>{}</a>',
        query.urlencode(),
        _("Export to Excel"),
    )
