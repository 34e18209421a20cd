"""Load the spaCy pipeline once per process and run pre-annotation in batches.

`preannotate()` is the one entry point: the import service, the `predict` command and
the benchmarks all call it, so they run exactly the same code. What differs between
projects (stance target, labels, trained stance model, quote guideline) is given per
document, so every project shares one loaded pipeline.
"""
from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from . import attribution as _attribution  # noqa: F401  (registers the factory and doc._.quote_convention)
from .segmentation import load_base
from .stance import DEFAULT_LABELS as DEFAULT_STANCE_LABELS  # registers doc._.target, stance_labels, stance_model_dir
from .types import DocumentPrediction

PIPELINE_VERSION = "1"
# ClaimDesk's components, by the names they are added under.
ATTRIBUTION_PIPE, STANCE_PIPE = "claimdesk_attribution", "claimdesk_stance"


@functools.lru_cache(maxsize=4)
def load_pipeline(model_name: str, attribution_model: str | None = None) -> Language:
    """The base spaCy pipeline plus ClaimDesk's components, loaded once per process.

    `attribution_model` is a file written by `train_attribution`; without it the shipped
    model is used. A project's trained stance model and quote guideline are not part of the
    pipeline: `preannotate(stance_model=..., quote_conventions=...)` gives them per document.
    """
    nlp = load_base(model_name)
    nlp.add_pipe(
        ATTRIBUTION_PIPE,
        last=True,
        config={"model_path": attribution_model or ""},
    )
    nlp.add_pipe(STANCE_PIPE, last=True)
    return nlp


def preannotate(
    nlp: Language,
    texts: Iterable[str],
    *,
    targets: Iterable[str] | None = None,
    quote_conventions: Iterable[str | None] | None = None,
    labels: Sequence[str] | Mapping[str, str] = DEFAULT_STANCE_LABELS,
    stance_model: str | None = None,
    offered: Collection[str] | None = None,
    batch_size: int = 16,
) -> Iterator[DocumentPrediction]:
    """Yield one `DocumentPrediction` per text, in order, running `nlp.pipe` in batches.

    `targets` gives each text's stance target (same length as `texts`);
    `quote_conventions`, if given, each text's quote guideline (None: the pipeline's). `labels` is the
    project's stance label set, kept on each doc for the components: the rules' own words
    (support / oppose / neutral) or a project's labels by their meaning ({"support": "pro", ...}),
    among which the rules choose; a trained model answers the labels it was trained on, and the
    app stores a suggestion's stance only if the project has that label. `stance_model` is the
    folder of a stance classifier trained by `train_stance`, used for every text (loaded on
    first use and kept, see `stance.load_stance_classifier`); None: the rules. `offered`, if
    given, are the labels that model may answer (a project's labels not retired since).
    """
    target_iter = iter(targets) if targets is not None else None
    convention_iter = iter(quote_conventions) if quote_conventions is not None else None

    def docs() -> Iterator[Doc]:
        for text in texts:
            doc = nlp.make_doc(text)
            doc._.target = next(target_iter, "") if target_iter is not None else ""
            doc._.quote_convention = next(convention_iter, None) if convention_iter is not None else None
            doc._.stance_labels = dict(labels) if isinstance(labels, Mapping) else tuple(labels)
            doc._.stance_model_dir = stance_model
            doc._.stance_offered = tuple(offered) if offered is not None else None
            yield doc

    # spaCy keeps the language apart from the name ("en" + "core_web_sm"): join them as installed.
    base = "_".join(part for part in (nlp.meta.get("lang", ""), nlp.meta.get("name", "")) if part)
    version = f"{PIPELINE_VERSION}+{base}-{nlp.meta.get('version', '')}"
    for doc in nlp.pipe(docs(), batch_size=batch_size):
        prediction: DocumentPrediction = doc._.prediction
        prediction.model_name = f"claimdesk:{base}"
        prediction.model_version = version
        yield prediction
