from django.db import migrations

VALUE_MAX_LENGTH = 40  # StanceLabel.value's, as of this migration
REASON = "its value differed only in case from another label's of the project (migration 0017)"


def is_used(apps, label) -> bool:
    return any(apps.get_model("annotate", model).objects.filter(stance_id=label.pk).exists()
               for model in ("Suggestion", "Annotation"))


def free_value(value: str, taken: set[str]) -> str:
    """`value` with the lowest number after it ("Neutral-2") that no label of the project has in any case."""
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = value[:VALUE_MAX_LENGTH - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        number += 1


def set_values_apart(apps, schema_editor) -> None:
    """Before 0018 makes a project's label values unique in any case, give each label whose value
    differs only in case from another's ("Neutral" beside "neutral", which the admin let through)
    a value of its own: "Neutral-2". The label kept as it is is one that work or suggestions use,
    the earliest made among them; the others keep their names, keys and meanings, and an audit
    event says what each value was. Exports from then on carry the new value, which a trained
    stance model does not know: retrain it. No value changes where there is no clash."""
    StanceLabel = apps.get_model("annotate", "StanceLabel")
    AuditEvent = apps.get_model("annotate", "AuditEvent")
    groups: dict[tuple[int, str], list] = {}
    for label in StanceLabel.objects.order_by("pk"):
        groups.setdefault((label.project_id, label.value.lower()), []).append(label)
    taken: dict[int, set[str]] = {}
    for (project_id, folded), _ in groups.items():
        taken.setdefault(project_id, set()).add(folded)
    for (project_id, _), labels in groups.items():
        if len(labels) < 2:
            continue
        kept = min(labels, key=lambda label: (not is_used(apps, label), label.pk))
        for label in labels:
            if label is kept:
                continue
            old, label.value = label.value, free_value(label.value, taken[project_id])
            taken[project_id].add(label.value.lower())
            label.save(update_fields=["value"])
            AuditEvent.objects.create(
                project_id=project_id, actor=None, action="stancelabel.change", object_type="StanceLabel",
                object_id=str(label.pk), before={"value": old}, after={"value": label.value, "reason": REASON})


class Migration(migrations.Migration):
    """Label values that differ only in case are set apart, so that 0018 can forbid them.

    Apart from 0018 because PostgreSQL cannot index a table in the transaction that changed
    rows whose deferred foreign keys are still to be checked ("pending trigger events").
    Reversed, the values stay as they were set."""

    dependencies = [
        ('annotate', '0016_suggestion_refresh'),
    ]

    operations = [
        migrations.RunPython(set_values_apart, migrations.RunPython.noop),
    ]
