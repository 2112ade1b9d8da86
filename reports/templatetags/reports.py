from urllib.parse import urlencode

from django import template

register = template.Library()


@register.filter
def inbox_url(link) -> str:
    """The inbox list behind a figure (its ``link`` query)."""
    return "/inbox/?" + urlencode(link) if link else ""


@register.filter
def percent(value) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",") + " %"


@register.filter
def days(value) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


@register.simple_tag
def trend_chart(rows, width=620, height=180):
    """Received (blue) and resolved (green) per day as an inline SVG bar chart."""
    from django.utils.html import format_html, mark_safe

    if not rows:
        return ""
    top = max(max(r["received"], r["resolved"]) for r in rows) or 1
    left, bottom, inner_h = 34, 22, height - 32
    slot = (width - left - 6) / len(rows)
    bar = max(1.0, slot / 2 - 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Tiếp nhận và giải quyết theo ngày">',
        f'<text x="2" y="14" class="axis">{top}</text>',
        f'<text x="2" y="{height - bottom}" class="axis">0</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" class="base"/>',
    ]
    step = max(1, len(rows) // 10)
    for i, r in enumerate(rows):
        x = left + i * slot
        for j, (key, css) in enumerate((("received", "rec"), ("resolved", "res"))):
            h = inner_h * r[key] / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" class="{css}"><title>{r["day"]:%d/%m}: '
                f"{'tiếp nhận' if key == 'received' else 'giải quyết'} {r[key]}</title></rect>"
            )
        if i % step == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 6}" class="axis">{r["day"]:%d/%m}</text>')
    parts.append("</svg>")
    return format_html("{}", mark_safe("".join(parts)))


@register.filter
def urlencode_dict(query) -> str:
    return urlencode(query or {})


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
