"""The peer citeqa is measured against: llama-index's plain starter pipeline.

``SimpleDirectoryReader`` -> ``SentenceSplitter`` (256-token chunks by default, so that all the
text is embedded: the bundled model reads at most 256 word pieces) -> the bundled
all-MiniLM-L6-v2 through ``HuggingFaceEmbedding`` (torch, fp32) -> Chroma through
``ChromaVectorStore`` -> a top-k vector retriever whose chunks are the citations. Nothing tuned.

    python -m evals.bench.peer ingest DOCS --index DIR        # one whole process: time it from outside
    python -m evals.bench.peer eval SUITE --index DIR         # the same metrics as ``citeqa eval``

It needs the ``bench`` extra (``pip install -e '.[bench]'``); ``evals/bench/ingest.py`` runs it
and ``citeqa ingest`` back to back for same-run ratios.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

COLLECTION = "starter"


@dataclass
class PeerReport:
    added: list[str] = field(default_factory=list)


@dataclass
class PeerAnswer:
    question: str
    citations: list[dict]

    def to_dict(self) -> dict:
        first = self.citations[0]["text"] if self.citations else ""
        return {"question": self.question, "answer": first, "abstained": not self.citations,
                "citations": self.citations}


class StarterPipeline:
    """The starter pipeline over one index folder (Chroma persisted inside it)."""

    def __init__(self, index: str, chunk_size: int = 256, chunk_overlap: int = 20, top_k: int = 5):
        try:
            import chromadb
            from llama_index.core import Settings
            from llama_index.core.node_parser import SentenceSplitter
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding
            from llama_index.vector_stores.chroma import ChromaVectorStore
        except ImportError as exc:
            raise SystemExit(f"evals.bench.peer: {exc.name} is missing; "
                             "run: pip install -e '.[bench]'") from None
        from index.embedding import resolve_model

        self.folder = Path(index)
        self.top_k = top_k
        Settings.embed_model = HuggingFaceEmbedding(model_name=resolve_model(None)[0])
        Settings.node_parser = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        client = chromadb.PersistentClient(path=str(self.folder / "chroma"))
        self.collection = client.get_or_create_collection(COLLECTION)
        self.store = ChromaVectorStore(chroma_collection=self.collection)
        self._vectors = None

    @property
    def vectors(self):
        if self._vectors is None:
            from llama_index.core import VectorStoreIndex

            self._vectors = VectorStoreIndex.from_vector_store(self.store)
        return self._vectors

    def ingest(self, paths: list[str], progress=None) -> PeerReport:
        """Index ``paths``; an index that already holds vectors is left as it is (the starter
        pipeline has no notion of changed files, so a second ingest would duplicate)."""
        from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex

        held = self.collection.count()
        if held:
            print(f"peer: {self.folder} already holds {held} vectors; "
                  "not ingesting again", file=sys.stderr)
            return PeerReport()

        documents = []
        for path in paths:
            reader = (SimpleDirectoryReader(input_dir=path, recursive=True) if Path(path).is_dir()
                      else SimpleDirectoryReader(input_files=[path]))
            documents += reader.load_data()
        context = StorageContext.from_defaults(vector_store=self.store)
        self._vectors = VectorStoreIndex.from_documents(documents, storage_context=context,
                                                      show_progress=progress is not None)
        return PeerReport(added=sorted({d.metadata.get("file_name", "") for d in documents}))

    def ask(self, question: str, top_k: int | None = None, history=None) -> PeerAnswer:
        retriever = self.vectors.as_retriever(similarity_top_k=top_k or self.top_k)
        citations = [{"source": hit.node.metadata.get("file_name"), "text": hit.node.get_content(),
                      "score": round(float(hit.score or 0.0), 4)}
                     for hit in retriever.retrieve(question)]
        return PeerAnswer(question, citations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.peer",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("ingest", "eval"):
        p = sub.add_parser(name)
        p.add_argument("paths", nargs="+", help="folders or files to ingest" if name == "ingest"
                       else "a suite (the first path) and optional --docs")
        p.add_argument("--index", required=True, help="the peer's index folder")
        p.add_argument("--chunk-size", type=int, default=256)
        p.add_argument("--chunk-overlap", type=int, default=20)
        p.add_argument("--top-k", type=int, default=5)
        p.add_argument("--out", help="eval: write per-question results here")
        p.add_argument("--sample", type=int, help="eval: a fixed sample of this many questions")
    args = parser.parse_args(argv)
    peer = StarterPipeline(args.index, args.chunk_size, args.chunk_overlap, args.top_k)
    if args.command == "ingest":
        report = peer.ingest(args.paths, progress=True)
        print(f"peer: {len(report.added)} documents indexed into {args.index}", file=sys.stderr)
        return 0
    from evals.runner import run_suite

    return run_suite(peer, args.paths[0], docs=args.paths[1:] or None, out=args.out,
                     sample=args.sample, top_k=args.top_k)


if __name__ == "__main__":
    raise SystemExit(main())
