"""Fitted models of the answer path: the "not in the documents" decision (``abstention``, its
coefficients in ``abstention.json``), the reading model (``reader``) and the judge (``judge``);
``fitting/`` holds the code that fits each (``make fit-abstention``, ``fit-reader``, ``fit-judge``)."""
