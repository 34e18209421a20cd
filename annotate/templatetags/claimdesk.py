"""Template filters for ClaimDesk pages."""
from django import template

register = template.Library()


@register.filter
def figure(value: dict | None) -> str:
    """An agreement figure: "0.74 (n=40)", or why there is none."""
    if not value:
        return "—"
    if value.get("value") is None:
        return f"not enough data: {value.get('reason') or 'unknown'}"
    return f"{value['value']:.2f} (n={value['n']})"


@register.filter
def status_label(value: str) -> str:
    """A status as words: "in_progress" -> "In progress"."""
    return str(value).replace("_", " ").capitalize()
