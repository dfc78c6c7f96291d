"""A faithful local Ponto (Ponto API at the root, Ponto Connect under
``/ponto-connect``) served over HTTPS on 127.0.0.1.  See ``simulator.py`` for
the knobs and ``pages.py`` for the HTML forms.  No ``odoo`` import here."""

from .simulator import KNOBS, PontoSimulator

__all__ = ["KNOBS", "PontoSimulator"]
