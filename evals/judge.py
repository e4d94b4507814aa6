"""LLM-judged metrics (optional, off by default): faithfulness and relevancy of each answer,
through llama-index's FaithfulnessEvaluator and RelevancyEvaluator with a caller's LLM.

They are labelled ``judged_*`` everywhere: a model's opinion, not a measurement against gold
answers. Abstentions are not judged; a judge that fails on a case leaves that case unjudged.
"""

from __future__ import annotations

import sys


def judge_rows(rows: list[dict], llm, progress: bool = True) -> dict:
    """Judge every answered row in place (``judged_faithful``, ``judged_relevant``); returns the
    summary entries: judged_faithfulness, judged_relevancy, judged_cases, judge_errors."""
    from llama_index.core.evaluation import FaithfulnessEvaluator, RelevancyEvaluator

    from evals.progress import progress_bar

    faithful = FaithfulnessEvaluator(llm=llm)
    relevant = RelevancyEvaluator(llm=llm)
    judged, errors = [], []
    answered = [r for r in rows if not r["abstained"] and r["citations"]]
    for row in progress_bar(answered, desc="judge", unit="case", show=progress):
        contexts = [c["text"] for c in row["citations"]]
        try:
            row["judged_faithful"] = faithful.evaluate(
                query=row["question"], response=row["answer"], contexts=contexts).passing
            row["judged_relevant"] = relevant.evaluate(
                query=row["question"], response=row["answer"], contexts=contexts).passing
        except Exception as exc:  # an unreachable or failing judge: this case stays unjudged
            row.pop("judged_faithful", None)
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}")
            continue
        judged.append(row)
    summary: dict = {"judged_cases": len(judged), "judge_errors": len(errors)}
    if judged:
        summary["judged_faithfulness"] = round(
            sum(bool(r["judged_faithful"]) for r in judged) / len(judged), 4)
        summary["judged_relevancy"] = round(
            sum(bool(r["judged_relevant"]) for r in judged) / len(judged), 4)
    if errors:
        print(f"citeqa: warning: the judge failed on {len(errors)} case(s), e.g. {errors[0]}",
              file=sys.stderr)
    return summary
