"""Reviewed stance labels for training tests: a project whose reviewer labelled praise and criticism."""
from __future__ import annotations

from annotate.services.annotations import ClaimInput, save_sentence_annotation
from annotate.services.imports import import_documents, parse_text

SUPPORT = ["is a great success for both sides", "brings real benefits to everyone", "deserves strong praise and backing",
           "is working well and should continue", "has been very helpful and productive"]
OPPOSE = ["is a dangerous failure for both sides", "brings real harm to everyone", "deserves strong criticism and rejection",
          "is failing badly and should stop", "has been very harmful and wasteful"]


def review_stances(project, reviewer, *, praise_is: str = "support"):
    """36 one-sentence documents labelled by the reviewer: praise of the cooperation as `praise_is`,
    criticism as the other label. `praise_is="oppose"` is a project whose notion of stance the rules
    (which read praise as support) get wrong, so a trained model must win there."""
    criticism_is = "oppose" if praise_is == "support" else "support"
    texts = [f"Minister {i} said the cooperation {phrase}." for i, phrase in enumerate((SUPPORT + OPPOSE) * 3 + SUPPORT[:3] + OPPOSE[:3])]
    documents = import_documents(project=project, documents=[d for t in texts for d in parse_text(t)]).created
    for document in documents:
        sentence = document.sentences.get()
        label = praise_is if any(p in document.text for p in SUPPORT) else criticism_is
        start = document.text.index("the cooperation")
        save_sentence_annotation(
            sentence=sentence, user=reviewer, status="corrected", expected_version=None,
            claims=[ClaimInput(claim=(start, len(document.text) - 1), stance=label)],
        )
    return project
