"""The demo checkpoint and the synthetic camera footage it plays (not part of the kiosk).

``kiosk_demo.footage`` draws phones showing health codes walking up to a camera (and
still frames of them), for the demo, the tests and the benchmarks; ``kiosk_demo.demo``
runs a whole checkpoint on one machine: an issuer, a central server stub on 127.0.0.1
and a kiosk judging the footage.  It uses both ``kiosk`` and ``server_stub``; neither
of them imports it (an import-linter contract in pyproject.toml says so), so the
kiosk a site installs carries no demo and no test footage.
"""
