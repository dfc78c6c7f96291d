"""A local Salt Edge Account Information API v6 (``/api/v6``), its widget
pages and signed callbacks, served over HTTPS on 127.0.0.1. See
``simulator.py`` for the knobs, ``pages.py`` for the widget's element ids and
../shared-notes/saltedge_contract.md for the contract. No ``odoo`` here."""

from .simulator import KNOBS, SaltEdgeSimulator

__all__ = ["KNOBS", "SaltEdgeSimulator"]
