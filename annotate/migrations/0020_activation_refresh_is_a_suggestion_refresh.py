from django.db import migrations

# Where a message of the old mechanism says how far its refresh went, or that it was started again.
OLD_PROGRESS = " Re-making the suggestions"


def continue_refreshes_in_flight(apps, schema_editor) -> None:
    """An activated model re-made the project's suggestions itself, tracked on its own row (done,
    active, progress below 1.0 until the refresh ended); a `SuggestionRefresh` does that now. A
    refresh in flight that way is ended on the model's row (progress 1.0) and continued, for all
    the project's documents, as a `SuggestionRefresh`, so that none keeps the old suggestions.

    The refresh is made "running", last heard of when the model's row was: no task is queued for
    it here (a migration must not run one), and `close_stalled_jobs` starts again a running refresh
    silent for CLAIMDESK_STALLED_JOB_MINUTES whatever the task backend, where a queued one would wait
    for good for a worker of the database queue."""
    AuditEvent = apps.get_model("annotate", "AuditEvent")
    Document = apps.get_model("annotate", "Document")
    StanceModel = apps.get_model("annotate", "StanceModel")
    SuggestionRefresh = apps.get_model("annotate", "SuggestionRefresh")
    for model in StanceModel.objects.filter(status="done", is_active=True, progress__lt=1.0).order_by("pk"):
        ids = list(Document.objects.filter(project_id=model.project_id).order_by("pk").values_list("pk", flat=True))
        outcome = model.message.split(OLD_PROGRESS)[0]
        model.progress = 1.0
        model.message = (f"{outcome} The re-making of the project's suggestions, interrupted, goes on: the "
                         "Suggestions card shows how far." if ids else outcome)
        model.save(update_fields=["progress", "message"])  # not `updated_at`: the heartbeat the refresh keeps
        if not ids:
            continue
        reason = f"stance model v{model.version} now suggests (continuing an interrupted refresh)"
        refresh = SuggestionRefresh.objects.create(
            project_id=model.project_id, reason=reason, status="running", documents=ids, total=len(ids),
            updated_at=model.updated_at,
            message="Continues a refresh interrupted by an upgrade of ClaimDesk; started again once silent for "
                    "CLAIMDESK_STALLED_JOB_MINUTES since its last progress.")
        AuditEvent.objects.create(project_id=model.project_id, actor=None, action="suggestions.resuggest",
                                  object_type="Project", object_id=str(model.project_id),
                                  after={"documents": ids, "reason": reason, "refresh": refresh.pk})


class Migration(migrations.Migration):
    """A trained model's re-making of the suggestions after its activation is a tracked
    `SuggestionRefresh`, like any other; no schema changes, only the refreshes in flight carried
    over. Reversed, nothing is undone: the refreshes made go on."""

    dependencies = [
        ('annotate', '0019_import_job_skipped'),
    ]

    operations = [
        migrations.RunPython(continue_refreshes_in_flight, migrations.RunPython.noop),
    ]
