from django import template

from wraparound.people.validation import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """An E.164 number as people write it: national format at home, international abroad."""
    return format_phone(value)
