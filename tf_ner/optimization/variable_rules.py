"""Per-variable rules read from variable paths: weight decay on/off and learning-rate scale.

The optimizer knows nothing of BERT beyond path patterns. Layer-wise learning-rate decay
finds a variable's depth with two regular expressions on its path:

- `layer_pattern` (default `bert/encoder/layer_(\\d+)/`): encoder layer `l` gets
  `decay ** (L - l)`, so the top layer `L - 1` gets `decay` and layer 0 `decay ** L`;
- `embedding_pattern` (default `bert/embeddings/`): embeddings get `decay ** (L + 1)`;
- everything else (pooler, heads) gets 1.

`L` is the `num_layers` argument when given; when None it is inferred as one more than
the largest layer index among the variables the optimizer is built on (so a model whose
top layers are frozen needs `num_layers`). A per-variable multiplier mapping
`{regex: factor}` multiplies on top; the first pattern that matches wins.
"""

import dataclasses

from tf_ner.optimization import hyperparameters

DEFAULT_LAYER_PATTERN = r"bert/encoder/layer_(\d+)/"
DEFAULT_EMBEDDING_PATTERN = r"bert/embeddings/"


@dataclasses.dataclass(frozen=True)
class VariableRule:
    """What the optimizer does to one variable.

    Attributes:
        path: the name patterns were matched against.
        decays: whether weight decay applies (weight_decay_rate > 0 and no exclusion hit).
        lr_scale: factor on the scheduled learning rate (layer-wise decay x multiplier).
        layer: the encoder layer index, -1 for embeddings, None for anything else.
    """

    path: str
    decays: bool
    lr_scale: float
    layer: int | None


class VariableRules:
    """Resolves `VariableRule`s for a list of variable paths.

    Args:
        weight_decay_rate: float >= 0; 0 turns weight decay off for every variable.
        exclude_from_weight_decay: regexes; a variable whose path matches any is not decayed.
        layerwise_lr_decay: None, or a float in (0, 1] (see the module docstring).
        num_layers: None to infer `L` from the paths at `resolve` time, or an int.
        lr_multipliers: `{regex: factor}`; the first pattern matching a path applies.
        layer_pattern: regex with one group capturing the encoder layer index.
        embedding_pattern: regex matching embedding variables.
    """

    def __init__(
        self,
        weight_decay_rate=0.0,
        exclude_from_weight_decay=None,
        layerwise_lr_decay=None,
        num_layers=None,
        lr_multipliers=None,
        layer_pattern=DEFAULT_LAYER_PATTERN,
        embedding_pattern=DEFAULT_EMBEDDING_PATTERN,
    ):
        self.weight_decay_rate = hyperparameters.check_non_negative(
            "weight_decay_rate", weight_decay_rate
        )
        self.exclude_from_weight_decay = hyperparameters.normalise_exclusions(
            exclude_from_weight_decay
        )
        self.layerwise_lr_decay = hyperparameters.check_layerwise_lr_decay(layerwise_lr_decay)
        self.num_layers = hyperparameters.check_num_layers(num_layers)
        self.lr_multipliers = hyperparameters.normalise_multipliers(lr_multipliers)
        self.layer_pattern = layer_pattern
        self.embedding_pattern = embedding_pattern
        self._exclusions = [
            hyperparameters.compile_pattern("exclude_from_weight_decay", p)
            for p in self.exclude_from_weight_decay
        ]
        self._multipliers = [
            (hyperparameters.compile_pattern("lr_multipliers", p), f)
            for p, f in self.lr_multipliers.items()
        ]
        self._layer_re = hyperparameters.compile_pattern("layer_pattern", layer_pattern)
        if self._layer_re.groups < 1:
            raise ValueError(
                "Argument `layer_pattern` must capture the layer index in a group, e.g. "
                f"r'bert/encoder/layer_(\\d+)/'. Received: layer_pattern={layer_pattern!r}"
            )
        self._embedding_re = hyperparameters.compile_pattern("embedding_pattern", embedding_pattern)

    def decays(self, path):
        """Whether the variable at `path` gets weight decay."""
        if not self.weight_decay_rate:
            return False
        return not any(p.search(path) for p in self._exclusions)

    def layer_of(self, path):
        """Encoder layer index for `path`, -1 for embeddings, None for anything else."""
        match = self._layer_re.search(path)
        if match:
            return int(match.group(1))
        if self._embedding_re.search(path):
            return -1
        return None

    def infer_num_layers(self, paths):
        """`num_layers` if given, else 1 + the largest layer index in `paths` (0 if none)."""
        if self.num_layers is not None:
            return self.num_layers
        layers = [layer for layer in map(self.layer_of, paths) if layer is not None]
        return max(layers) + 1 if layers else 0

    def layerwise_scale(self, path, num_layers):
        """`decay ** (L - l)` for layer l, `decay ** (L + 1)` for embeddings, else 1."""
        if self.layerwise_lr_decay is None:
            return 1.0
        layer = self.layer_of(path)
        if layer is None:
            return 1.0
        if layer >= num_layers:
            raise ValueError(
                f"Variable {path!r} is in encoder layer {layer}, but num_layers={num_layers}. "
                "Pass the model's layer count as `num_layers`, or None to infer it."
            )
        depth = num_layers + 1 if layer == -1 else num_layers - layer
        return self.layerwise_lr_decay**depth

    def multiplier(self, path):
        """The factor of the first `lr_multipliers` pattern that matches `path`, else 1."""
        for pattern, factor in self._multipliers:
            if pattern.search(path):
                return factor
        return 1.0

    def resolve_one(self, path, num_layers):
        return VariableRule(
            path=path,
            decays=self.decays(path),
            lr_scale=self.layerwise_scale(path, num_layers) * self.multiplier(path),
            layer=self.layer_of(path),
        )

    def resolve(self, paths):
        """Returns one `VariableRule` per path, in order."""
        paths = list(paths)
        num_layers = self.infer_num_layers(paths)
        return [self.resolve_one(path, num_layers) for path in paths]

    def config(self):
        """The constructor arguments, JSON-friendly."""
        return {
            "weight_decay_rate": self.weight_decay_rate,
            "exclude_from_weight_decay": list(self.exclude_from_weight_decay),
            "layerwise_lr_decay": self.layerwise_lr_decay,
            "num_layers": self.num_layers,
            "lr_multipliers": dict(self.lr_multipliers),
            "layer_pattern": self.layer_pattern,
            "embedding_pattern": self.embedding_pattern,
        }


def format_rules(rules, learning_rate):
    """A table of effective learning rates, one line per variable, for printing.

    Args:
        rules: `VariableRule`s as returned by `VariableRules.resolve`.
        learning_rate: the scheduled learning rate (float) they scale.

    Returns:
        str: lines `path  layer  lr_scale  effective_lr  decay`.
    """
    width = max([len(r.path) for r in rules] + [4])
    lines = [f"{'path':<{width}}  layer  lr_scale      effective_lr  weight_decay"]
    for r in rules:
        layer = {None: "-", -1: "emb"}.get(r.layer, str(r.layer))
        effective = learning_rate * r.lr_scale
        lines.append(
            f"{r.path:<{width}}  {layer:>5}  {r.lr_scale:<12.6g}  {effective:<12.6g}"
            f"  {'yes' if r.decays else 'no'}"
        )
    return "\n".join(lines)
