"""Close background runs whose worker stopped, in every project (or one): for cron or a timer.

The project page and the API close a project's stalled runs when they show them; run this every
few minutes beside `db_worker` so that they are closed, and a refresh that died is started
again, whether or not anyone looks.
"""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotate.models import Project
from annotate.selectors import project_by_name
from annotate.services.jobs import close_stalled_jobs


class Command(BaseCommand):
    help = ("Close imports and stance training runs with no progress for CLAIMDESK_STALLED_JOB_MINUTES, and start "
            "again the refreshes of suggestions whose worker stopped.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", help="only this project (by name)")

    def handle(self, *args, project: str | None = None, **options) -> None:
        projects = Project.objects.order_by("pk")
        if project is not None:
            found = project_by_name(project)
            if found is None:
                raise CommandError(f"No project named {project!r}.")
            projects = projects.filter(pk=found.pk)
        closed = {p.name: n for p in projects if (n := close_stalled_jobs(p))}
        minutes = settings.CLAIMDESK_STALLED_JOB_MINUTES
        minutes_text = f"{minutes} minute{'s' if minutes != 1 else ''}"
        if not closed:
            self.stdout.write(f"No run has gone {minutes_text} without progress.")
        for name, count in closed.items():
            # A refresh is started again rather than closed: the project page says which.
            self.stdout.write(f"{name}: {count} run{'s' if count != 1 else ''} with no progress for {minutes_text} "
                              "closed (a refresh of the suggestions: started again).")
