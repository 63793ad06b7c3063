"""A report's templates are checked when saved: each must render with sample values of the
report (its name, zone and parameters' defaults), or the save is a 422 naming the field."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.api.errors import FieldError
from shared.message_templates.messages import TEMPLATE_FIELDS, template_problems
from shared.message_templates.variables import RunFacts, sample_facts, sample_variants

# A change to one of these can break a template that rendered before.
TEMPLATE_INPUTS = frozenset({*TEMPLATE_FIELDS, "name", "description", "timezone", "parameters"})


def sample_facts_of(definition: Mapping[str, Any], now: datetime) -> RunFacts:
    return sample_facts(
        definition["name"],
        definition.get("description"),
        definition["timezone"],
        list(definition.get("parameters") or []),
        now,
    )


def check_templates(definition: Mapping[str, Any], now: datetime) -> None:
    """`definition`: the report's fields as stored (the templates included, null or not)."""
    templates = {field: definition.get(field) for field in TEMPLATE_FIELDS}
    for kind, facts in sample_variants(sample_facts_of(definition, now)).items():
        for field, problem in template_problems(templates, facts).items():
            raise FieldError(
                422,
                field,
                f"the template cannot be rendered for {kind}: {problem}",
                "invalid_template",
            )
