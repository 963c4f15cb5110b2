"""journalgen: compile a YAML tenant spec into reviewable Exchange Online journaling scripts."""

__version__ = "0.1.0"
