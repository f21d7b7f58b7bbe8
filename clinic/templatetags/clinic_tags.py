from django import template
from django.utils.safestring import mark_safe

from clinic import sections

register = template.Library()


@register.simple_tag(takes_context=True)
def page_sections(context, page):
    """Render the parts other apps registered for this page (see clinic/sections.py)."""
    request = context.get("request")
    flat = context.flatten()
    parts = []
    for section in sections.for_page(page):
        extra = section.context(request, flat)
        if extra is None:
            continue
        with context.push(**extra):
            parts.append(context.template.engine.get_template(section.template).render(context))
    return mark_safe("".join(parts))
