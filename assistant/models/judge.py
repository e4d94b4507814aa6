"""The judge: the bundled Qwen2.5-Coder-1.5B (``--llm-url local``'s model, on a llama.cpp server
of its own in this process) asked whether one candidate passage states the answer to the
question (prompts/judge.txt: the passage first, then the question, "yes or no"). Its P(yes) is
read from the first token's log-probabilities, not from sampled text.

judge.json (beside this module, written by ``python -m assistant.models.fitting.judge``) holds the
fitted decision: z = w_reader · logit(the MiniLM reader's probability) + w_judge · logit(P(yes))
+ bias, fitted on "the documents answer"; when sigmoid(z) is below ``threshold`` they are said
not to. The confidence shown is sigmoid(scale · z + shift), fitted on the answered questions to
"the first citation holds the answer" (what the eval's calibration error checks).
"""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import prompts
from assistant.errors import CiteqaError
from assistant.llm.control_tokens import neutralise

FIT_FILE = Path(__file__).with_name("judge.json")
TOP_LOGPROBS = 10
TIMEOUT_S = 120.0


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class JudgeFit:
    """The fitted decision over the reader's and the judge's probabilities (see the module)."""

    w_reader: float
    w_judge: float
    bias: float
    threshold: float
    scale: float = 1.0  # the confidence's calibration (1, 0: the decision's own probability)
    shift: float = 0.0

    def decision(self, reader_probability: float, judge_probability: float) -> float:
        """z, the decision's log-odds that the documents answer."""
        return (self.w_reader * logit(reader_probability)
                + self.w_judge * logit(judge_probability) + self.bias)

    def answers(self, z: float) -> bool:
        return sigmoid(z) >= self.threshold

    def confidence(self, z: float) -> float:
        """The probability that the first citation holds the answer."""
        return sigmoid(self.scale * z + self.shift)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def load_fit(path: Path = FIT_FILE) -> JudgeFit:
    data = json.loads(path.read_text(encoding="utf-8"))
    return JudgeFit(float(data["w_reader"]), float(data["w_judge"]), float(data["bias"]),
                    float(data["threshold"]), float(data.get("scale", 1.0)),
                    float(data.get("shift", 0.0)))


def yes_share(top_logprobs: list[dict]) -> float:
    """P(yes) / (P(yes) + P(no)) over the first token's alternatives (0.5 when neither is
    among them)."""
    def mass(word: str) -> float:
        return sum(math.exp(t["logprob"]) for t in top_logprobs
                   if t.get("token", "").strip().lower() == word)
    yes, no = mass("yes"), mass("no")
    return yes / (yes + no) if yes + no > 0 else 0.5


class Judge:
    """The 1.5B model on a local llama.cpp server, started on first use and kept running."""

    def __init__(self, model: str | None = None):
        self.model = model
        self._lock = threading.Lock()

    @cached_property
    def _server(self):
        from assistant.llm import local
        from assistant.llm.control_tokens import gguf_special_tokens

        server = local.start(self.model)
        return server, gguf_special_tokens(server.model)

    def warm(self) -> None:
        self._server  # noqa: B018 - loads the model

    def p_yes(self, question: str, passage: str) -> float:
        """The probability that ``passage`` states the answer to ``question``."""
        server, specials = self._server
        user = prompts.load("judge").render(passage=neutralise(passage, specials),
                                            question=neutralise(question, specials)).rstrip()
        body = {"model": server.model.name, "temperature": 0, "max_tokens": 1, "logprobs": True,
                "top_logprobs": TOP_LOGPROBS, "messages": [{"role": "user", "content": user}]}
        request = urllib.request.Request(
            server.url + "/chat/completions", json.dumps(body).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {server.api_key}"})
        try:
            with self._lock, urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
                data = json.load(reply)
            return yes_share(data["choices"][0]["logprobs"]["content"][0]["top_logprobs"])
        except (OSError, urllib.error.URLError, KeyError, IndexError, ValueError) as exc:
            raise CiteqaError(f"the judge model did not answer: {exc}") from None
