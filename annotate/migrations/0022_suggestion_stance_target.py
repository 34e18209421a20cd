from django.db import migrations, models


def targets_suggested_toward(apps, schema_editor):
    """A suggestion was made toward the target its document had then. Suggestions of a sentence
    someone worked on are kept through target changes, so theirs is the target the first such
    work was saved toward (the suggestion that person was shown); the others were re-made with
    each change, toward the target the document has now."""
    Document = apps.get_model("annotate", "Document")
    Suggestion = apps.get_model("annotate", "Suggestion")
    SentenceAnnotation = apps.get_model("annotate", "SentenceAnnotation")
    for document in Document.objects.select_related("project").only("stance_target", "project__stance_target").iterator():
        target = document.stance_target or document.project.stance_target
        if target:
            Suggestion.objects.filter(sentence__document=document).update(stance_target=target)
    first_work: dict[int, str] = {}
    for sentence_id, target in (SentenceAnnotation.objects.exclude(status="skipped").exclude(stance_target="")
                                .order_by("created_at", "id").values_list("sentence_id", "stance_target").iterator()):
        first_work.setdefault(sentence_id, target)
    by_target: dict[str, list[int]] = {}
    for sentence_id, target in first_work.items():
        by_target.setdefault(target, []).append(sentence_id)
    for target, sentence_ids in by_target.items():
        for start in range(0, len(sentence_ids), 500):
            (Suggestion.objects.filter(sentence_id__in=sentence_ids[start:start + 500])
             .exclude(stance_target=target).update(stance_target=target))


class Migration(migrations.Migration):

    dependencies = [
        ("annotate", "0021_suggestionrefresh_taken_over"),
    ]

    operations = [
        migrations.AddField(
            model_name="suggestion",
            name="stance_target",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(targets_suggested_toward, migrations.RunPython.noop),
    ]
