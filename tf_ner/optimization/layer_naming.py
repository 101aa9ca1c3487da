"""How the BERT projects name their encoder layers and embeddings, and which one a model uses.

Layer-wise learning-rate decay needs each variable's depth. Every project writes it into
the variable's path in its own way:

| convention | encoder layer `N` | embeddings |
|---|---|---|
| `google` (TF1 BERT, tf_ner) | `bert/encoder/layer_N/` | `bert/embeddings/` |
| `bert4keras` | `Transformer-N-` | `Embedding-` |
| `keras-hub` | `transformer_layer_N/` | `token_embedding/`, `embeddings_layer_norm/`, ... |
| `huggingface` (TF models) | `layer_._N/` | `embeddings/` as a path component |

`detect` picks, for a list of paths, the convention that places the most of them (in a
layer or in the embeddings); ties go to the earlier row. A model that follows none gets
`NONE`, which places nothing.
"""

import dataclasses

from tf_ner.optimization import hyperparameters


@dataclasses.dataclass(frozen=True)
class LayerNaming:
    """One naming convention: where a path says its encoder layer, and its embeddings.

    Attributes:
        name: the convention's name, shown by `describe_learning_rates()`.
        layer_pattern: regex whose first group captures the layer index.
        embedding_pattern: regex matching embedding variables.
    """

    name: str
    layer_pattern: str
    embedding_pattern: str

    def __post_init__(self):
        layer_re = hyperparameters.compile_pattern("layer_pattern", self.layer_pattern)
        if layer_re.groups < 1:
            raise ValueError(
                "Argument `layer_pattern` must capture the layer index in a group, e.g. "
                f"r'bert/encoder/layer_(\\d+)/'. Received: layer_pattern={self.layer_pattern!r}"
            )
        object.__setattr__(self, "_layer_re", layer_re)
        object.__setattr__(
            self,
            "_embedding_re",
            hyperparameters.compile_pattern("embedding_pattern", self.embedding_pattern),
        )

    def layer_of(self, path):
        """Encoder layer index for `path`, -1 for embeddings, None for anything else."""
        match = self._layer_re.search(path)
        if match:
            return int(match.group(1))
        if self._embedding_re.search(path):
            return -1
        return None

    def describe(self):
        """One line: the convention and its two patterns."""
        return (
            f"layer naming: {self.name} (layers {self.layer_pattern!r}, "
            f"embeddings {self.embedding_pattern!r})"
        )


CONVENTIONS = (
    LayerNaming("google", r"bert/encoder/layer_(\d+)/", r"bert/embeddings/"),
    LayerNaming("bert4keras", r"Transformer-(\d+)-", r"Embedding-"),
    LayerNaming(
        "keras-hub",
        r"transformer_layer_(\d+)/",
        r"(token_embedding|position_embedding|segment_embedding|embeddings_layer_norm)/",
    ),
    LayerNaming("huggingface", r"layer_\._(\d+)/", r"(^|/)embeddings/"),
)

# Matches no path: a `(?!)` never succeeds.
NONE = LayerNaming("none", r"(?!)(\d+)", r"(?!)")


def detect(paths):
    """The convention of `CONVENTIONS` that places the most of `paths`, else `NONE`.

    Args:
        paths: variable paths (strings).

    Returns:
        `LayerNaming`.
    """
    paths = list(paths)
    best, best_count = NONE, 0
    for naming in CONVENTIONS:
        count = sum(naming.layer_of(path) is not None for path in paths)
        if count > best_count:
            best, best_count = naming, count
    return best


def resolve_naming(paths, layer_pattern=None, embedding_pattern=None):
    """The detected convention, with the patterns the caller gave in place of its own.

    Args:
        paths: variable paths, for detection.
        layer_pattern, embedding_pattern: None to use the detected convention's.

    Returns:
        `LayerNaming`; its name says which patterns were given.
    """
    naming = detect(paths)
    if layer_pattern is None and embedding_pattern is None:
        return naming
    given = [
        f"{argument} given"
        for argument, value in (
            ("layer_pattern", layer_pattern),
            ("embedding_pattern", embedding_pattern),
        )
        if value is not None
    ]
    return LayerNaming(
        f"{naming.name}, {' and '.join(given)}",
        naming.layer_pattern if layer_pattern is None else layer_pattern,
        naming.embedding_pattern if embedding_pattern is None else embedding_pattern,
    )
