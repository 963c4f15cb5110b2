"""Vendor presets: one YAML data file per archive vendor."""
