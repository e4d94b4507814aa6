"""The faces: how people and programs reach the Assistant. The command line (``cli`` with its parser
``cli_parser``, ``terminal`` output), the web page (``ui``, HTML from ``render``), the HTTP API
(``http``, its request checks in ``guard``), and ``serve``, which runs the page and the API in one
server. They use only the Assistant's public methods."""
