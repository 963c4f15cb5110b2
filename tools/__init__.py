"""Maintainer tools that live outside the wheel."""
