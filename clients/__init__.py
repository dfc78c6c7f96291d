"""Odoo-free provider API clients. Nothing in this package imports Odoo."""
