"""The project page at laptop sizes: the admin's cards wrap instead of running off the screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import ImportJob, SuggestionRefresh
from annotate.services.imports import import_documents, parse_text
from tests.browser.test_review_flow import log_in

pytestmark = pytest.mark.browser
LONG_TITLE = "City council approves funding for harbour bridge repairs after years of delay"


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_admin_project_page_fits_the_screen(page, document, people, width):
    """What widens the cards: a long title in the documents list, a finished background import or refresh."""
    import_documents(project=document.project, documents=parse_text("The mayor said it is done.", title=LONG_TITLE))
    ImportJob.objects.create(project=document.project, source="many.jsonl", status="done", total=25, processed=25,
                             created_count=25, message="Imported 25 document(s).")
    SuggestionRefresh.objects.create(project=document.project, reason="stance target changed", status="done", total=25,
                                     processed=25, message="Re-made the suggestions of 25 document(s) (stance target changed).")
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "admin")
    page.goto(f"/projects/{document.project_id}/")
    cards = page.locator("section.row > .card")
    expect(cards).to_have_count(5)  # export, assignment, stance model, suggestions, import
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= width
    for box in (card.bounding_box() for card in cards.all()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["width"] >= 250, "no card is squeezed"


def test_admin_pages_ask_for_no_favicon_and_keep_their_branding(page, document, people):
    """QA16: every admin page asked for /favicon.ico, a 404 in the console; the app's pages do not."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, "admin")
    page.goto("/admin/")
    expect(page.locator('head link[rel="icon"]')).to_have_attribute("href", "data:,")
    expect(page).to_have_title("Site administration | ClaimDesk admin")
    expect(page.locator("#site-name")).to_have_text("ClaimDesk administration")
    page.goto(f"/admin/annotate/project/{document.project_id}/change/")
    expect(page.locator('head link[rel="icon"]')).to_have_attribute("href", "data:,")
    page.wait_for_load_state("networkidle")
    assert not [url for url in requested if url.endswith("/favicon.ico")]


def test_a_double_click_on_import_sends_the_form_once_and_says_it_imported(page, project, people):
    """QA16: the second request's answer ("skipped: already in the project") replaced the first's."""
    from annotate.models import Document

    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    log_in(page, "admin")
    page.goto(f"/projects/{project.pk}/")
    page.get_by_label("Title").fill("Pasted")
    page.get_by_label("Text").fill("Officials said the plan works.")
    # Two clicks 50 ms apart, as a hasty double click makes them (Chromium's own dblclick sends one).
    page.get_by_role("button", name="Import and pre-annotate").evaluate(
        "(button) => { button.click(); setTimeout(() => button.click(), 50); }")
    expect(page.get_by_role("status")).to_contain_text("Imported 1 document(s)")
    assert sum("/import/" in url for url in posts) == 1
    assert Document.objects.filter(project=project).count() == 1
