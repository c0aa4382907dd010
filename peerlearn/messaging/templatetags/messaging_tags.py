from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("messaging/_message_button.html", takes_context=True)
def message_button(context: dict[str, Any], person: Any) -> dict[str, Any]:
    """The "Message" button of a profile: for signed-in visitors other than the person."""
    user = context.get("user")
    show = bool(user and user.is_authenticated and person and user.pk != person.pk)
    return {"person": person, "show": show}
