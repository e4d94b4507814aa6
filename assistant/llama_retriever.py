"""A llama-index retriever over citeqa, for other llama-index apps."""

from __future__ import annotations

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode


class CiteqaRetriever(BaseRetriever):
    """Hybrid citeqa retrieval as llama-index ``NodeWithScore``s (source and offsets in metadata)."""

    def __init__(self, assistant, top_k: int | None = None):
        super().__init__()
        self._assistant = assistant
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self._assistant.retrieve(query_bundle.query_str, top_k=self._top_k)
        return [
            NodeWithScore(
                node=TextNode(
                    id_=p.id, text=p.text,
                    metadata={"source": p.source, "start": p.start, "end": p.end,
                              **({"page": p.page} if p.page else {})},
                    start_char_idx=p.start, end_char_idx=p.end,
                ),
                score=p.score,
            )
            for p in passages
        ]
