"""What the registry's pages post, for tests that drive them as an officer does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tanfang.elders.models import Elder


def edit_page_data(client: Client, elder: Elder, **changes: Any) -> dict[str, Any]:
    """What the edit page posts when the officer saves what it showed, with only `changes` changed."""
    page = client.get(f"/elders/{elder.pk}/edit/")
    form, formsets = page.context["form"], page.context["formsets"]
    data: dict[str, Any] = {name: "" if value is None else value for name, value in form.initial.items()}
    data["lives_at_registration"] = "on" if elder.lives_at_registration else ""
    data["group_source"] = "village_survey"
    for prefix, formset in formsets.items():
        data[f"{prefix}-TOTAL_FORMS"] = str(len(formset.initial or []))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(formset.initial or []))
        for index, row in enumerate(formset.initial or []):
            for name, value in row.items():
                data[f"{prefix}-{index}-{name}"] = "" if value is None else str(value)
    return data | changes
