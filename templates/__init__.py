"""Jinja templates for the generated scripts (packaged data)."""
