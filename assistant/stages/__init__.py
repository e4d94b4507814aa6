"""The answer path, one module a stage, numbered in the order a question travels.

1. ``s1_query``     QueryBuilder: the question cleaned, read in the conversation's context
                    (``followups``), the kind of answer asked, its vectors and term weights -> Query
2. ``s2_retrieve``  Retriever: dense search + BM25, fused -> Hits
3. ``s3_rank``      EvidenceRanker: every sentence of the best chunks scored, whether the
                    documents answer at all, the sentences to cite -> Evidence
4. ``s4_read``      Reader: a reading model reads the question with each of the best candidates,
                    reorders them, and decides "not in the documents" (calibrated
                    ``confidence``); ``--reader none`` passes the Evidence on -> Evidence
5. ``s5_answer``    Answerer: the chosen sentences with their markers, or an LLM's answer checked
                    against the passages -> Answer

The Assistant (``assistant/core.py``) runs them; each can be replaced and tested alone.
"""
