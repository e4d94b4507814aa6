"""LLM mode: the OpenAI-compatible client (``client``), a GGUF on llama.cpp's server in this process
(``local``), the prompts (``prompts``), the reply's [n] markers and claims (``markers``), the checks
of a reply against the passages (``check``), and recording replies once to replay the checks
(``replay``)."""
