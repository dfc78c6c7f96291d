"""Odoo-free local fakes of the bank aggregation provider APIs.

Nothing in this package may import ``odoo``: the simulators must stay independent
from both the addon and ``clients/`` so that a bug on one side cannot hide a bug on
the other.  Runtime dependencies: the standard library and ``cryptography``.
"""
