"""Text classification: one label per text, or several (multi-label)."""
