from django.db import migrations, models


def targets_as_they_are(apps, schema_editor):
    """Work saved before this migration was given toward the target its document has now (no
    target change re-made anything before): the best the database knows."""
    Document = apps.get_model("annotate", "Document")
    SentenceAnnotation = apps.get_model("annotate", "SentenceAnnotation")
    for document in Document.objects.select_related("project").only("stance_target", "project__stance_target").iterator():
        target = document.stance_target or document.project.stance_target
        if target:
            SentenceAnnotation.objects.filter(sentence__document=document).update(stance_target=target)


class Migration(migrations.Migration):

    dependencies = [
        ("annotate", "0014_job_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="sentenceannotation",
            name="stance_target",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(targets_as_they_are, migrations.RunPython.noop),
    ]
