"""How the models beside this package are fitted: ``python -m assistant.models.fitting.abstention``
(``make fit-abstention``), ``.reader`` (``make fit-reader``) and ``.judge`` (``make fit-judge``).
Answering never imports these modules."""
