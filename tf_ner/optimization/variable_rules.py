"""Per-variable rules read from variable paths: weight decay on/off and learning-rate scale.

The optimizer knows nothing of BERT beyond path patterns. Layer-wise learning-rate decay
finds a variable's depth from its path, by the naming convention the model follows
(`layer_naming`: Google's `bert/encoder/layer_N/`, bert4keras's `Transformer-N-`,
keras-hub's `transformer_layer_N/`, Hugging Face's `layer_._N/`, detected from the
paths, or `layer_pattern` / `embedding_pattern` given by the caller):

- encoder layer `l` gets `decay ** (L - l)`, so the top layer `L - 1` gets `decay` and
  layer 0 `decay ** L`;
- embeddings get `decay ** (L + 1)`;
- everything else (pooler, heads) gets 1.

`L` is the `num_layers` argument when given; when None it is inferred as one more than
the largest layer index among the variables the optimizer is built on (so a model whose
top layers are frozen needs `num_layers`). A per-variable multiplier mapping
`{regex: factor}` multiplies on top; the first pattern that matches wins.
"""

import dataclasses

from tf_ner.ground.errors import SettingsError
from tf_ner.optimization import hyperparameters, layer_naming


@dataclasses.dataclass(frozen=True)
class VariableRule:
    """What the optimizer does to one variable.

    Attributes:
        path: the name patterns were matched against.
        weight_decay_rate: the decay rate applied to it (0 when excluded or off).
        lr_scale: factor on the scheduled learning rate (layer-wise decay x multiplier).
        layer: the encoder layer index, -1 for embeddings, None for anything else.
    """

    path: str
    weight_decay_rate: float
    lr_scale: float
    layer: int | None

    @property
    def decays(self):
        """Whether weight decay applies to this variable."""
        return self.weight_decay_rate > 0


@dataclasses.dataclass(frozen=True)
class RuleTable:
    """The rules of the variables an optimizer is built on, and how they were found.

    Attributes:
        rules: one `VariableRule` per variable, in order.
        naming: the `LayerNaming` that located layers and embeddings.
        num_layers: `L`, given or inferred.
    """

    rules: tuple
    naming: layer_naming.LayerNaming
    num_layers: int

    def by_path(self):
        """`{path: VariableRule}`."""
        return {rule.path: rule for rule in self.rules}

    def describe(self, learning_rate=None):
        """A table of effective learning rates, one line per variable, for printing.

        Args:
            learning_rate: the scheduled learning rate (float) the scales multiply; None
                leaves the effective-rate column out.

        Returns:
            str: a header naming the layer convention and `L`, then lines
            `path  layer  lr_scale  [effective_lr]  weight_decay`.
        """
        width = max([len(r.path) for r in self.rules] + [4])
        rate_header = "" if learning_rate is None else f"{'effective_lr':<12}  "
        lines = [
            f"{self.naming.describe()}; {self.num_layers} layers",
            f"{'path':<{width}}  layer  {'lr_scale':<12}  {rate_header}weight_decay",
        ]
        for r in self.rules:
            layer = {None: "-", -1: "emb"}.get(r.layer, str(r.layer))
            rate = "" if learning_rate is None else f"{learning_rate * r.lr_scale:<12.6g}  "
            lines.append(
                f"{r.path:<{width}}  {layer:>5}  {r.lr_scale:<12.6g}  {rate}{r.weight_decay_rate:g}"
            )
        return "\n".join(lines)


class VariableRules:
    """Resolves a `RuleTable` for a list of variable paths.

    Args:
        weight_decay_rate: float >= 0; 0 turns weight decay off for every variable.
        exclude_from_weight_decay: regexes; a variable whose path matches any is not
            decayed. None means `("LayerNorm", "layer_norm", "bias")`, `()` nothing.
        layerwise_lr_decay: None, or a float in (0, 1] (see the module docstring).
        num_layers: None to infer `L` from the paths at `resolve` time, or an int.
        lr_multipliers: `{regex: factor}`; the first pattern matching a path applies.
        layer_pattern: None to detect the naming convention, or a regex with one group
            capturing the encoder layer index.
        embedding_pattern: None to detect it, or a regex matching embedding variables.
        include_in_weight_decay: regexes; a variable whose path matches any decays even
            if an exclusion matches it (Model Garden's argument).
    """

    def __init__(
        self,
        weight_decay_rate=0.0,
        exclude_from_weight_decay=None,
        layerwise_lr_decay=None,
        num_layers=None,
        lr_multipliers=None,
        layer_pattern=None,
        embedding_pattern=None,
        include_in_weight_decay=None,
    ):
        self.weight_decay_rate = hyperparameters.check_non_negative(
            "weight_decay_rate", weight_decay_rate
        )
        self.exclude_from_weight_decay = hyperparameters.normalise_exclusions(
            exclude_from_weight_decay
        )
        self.include_in_weight_decay = hyperparameters.normalise_patterns(
            "include_in_weight_decay", include_in_weight_decay or ()
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
        self._inclusions = [
            hyperparameters.compile_pattern("include_in_weight_decay", p)
            for p in self.include_in_weight_decay
        ]
        self._multipliers = [
            (hyperparameters.compile_pattern("lr_multipliers", p), f)
            for p, f in self.lr_multipliers.items()
        ]
        # Checks the given patterns now, not at the first step.
        layer_naming.resolve_naming([], layer_pattern, embedding_pattern)

    def decays(self, path):
        """Whether the variable at `path` gets weight decay."""
        if not self.weight_decay_rate:
            return False
        if any(p.search(path) for p in self._inclusions):
            return True
        return not any(p.search(path) for p in self._exclusions)

    def naming(self, paths):
        """The `LayerNaming` for these paths: the given patterns, else the detected one."""
        return layer_naming.resolve_naming(paths, self.layer_pattern, self.embedding_pattern)

    def infer_num_layers(self, paths, naming):
        """`num_layers` if given, else 1 + the largest layer index in `paths`.

        Raises:
            ValueError: layer-wise decay is on, `num_layers` is None and no path names
                an encoder layer (the decay would silently do nothing).
        """
        if self.num_layers is not None:
            return self.num_layers
        layers = [layer for layer in map(naming.layer_of, paths) if layer is not None]
        if max(layers, default=-1) >= 0:
            return max(layers) + 1
        if self.layerwise_lr_decay is not None:
            known = ", ".join(f"{n.name} {n.layer_pattern!r}" for n in layer_naming.CONVENTIONS)
            raise SettingsError(
                f"layerwise_lr_decay={self.layerwise_lr_decay} needs encoder layers, but no "
                f"variable path names one in the naming used ({naming.name}; known: "
                f"{known}). Pass `layer_pattern` (a regex capturing the layer index) and "
                "`embedding_pattern`, or `num_layers`."
            )
        return 0

    def layerwise_scale(self, layer, num_layers, path):
        """`decay ** (L - l)` for layer l, `decay ** (L + 1)` for embeddings, else 1."""
        if self.layerwise_lr_decay is None or layer is None:
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

    def resolve(self, paths):
        """Returns the `RuleTable` of `paths`, one rule per path, in order."""
        paths = list(paths)
        naming = self.naming(paths)
        num_layers = self.infer_num_layers(paths, naming)
        rules = []
        for path in paths:
            layer = naming.layer_of(path)
            rules.append(
                VariableRule(
                    path=path,
                    weight_decay_rate=self.weight_decay_rate if self.decays(path) else 0.0,
                    lr_scale=self.layerwise_scale(layer, num_layers, path) * self.multiplier(path),
                    layer=layer,
                )
            )
        return RuleTable(tuple(rules), naming, num_layers)

    def config(self):
        """The constructor arguments, JSON-friendly."""
        return {
            "weight_decay_rate": self.weight_decay_rate,
            "exclude_from_weight_decay": list(self.exclude_from_weight_decay),
            "include_in_weight_decay": list(self.include_in_weight_decay),
            "layerwise_lr_decay": self.layerwise_lr_decay,
            "num_layers": self.num_layers,
            "lr_multipliers": dict(self.lr_multipliers),
            "layer_pattern": self.layer_pattern,
            "embedding_pattern": self.embedding_pattern,
        }
