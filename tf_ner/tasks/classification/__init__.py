"""Text classification: one label per text, or several (multi-label)."""

# The text vectors `pooling.TextPooling` makes (here, so the CLI lists them lightly).
POOLINGS = ("pooler", "cls", "mean", "concat-last-4")
