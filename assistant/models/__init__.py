"""Fitted models of the answer path, each beside the code that fits it: the "not in the documents"
decision (``abstention`` with its coefficients in ``abstention.json``, refitted by
``fit_abstention``, ``make fit-abstention``)."""
