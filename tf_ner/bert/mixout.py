"""Mixout: in training, mix the encoder's dense kernels with their pre-trained values.

At every training step, each element of a mixed kernel `w` is replaced by its
pre-trained value `u` with probability `P`, and the result is rescaled so that its
expectation is `w`:

    w_hat = u + M * (w - u) / (1 - P),   M ~ Bernoulli(1 - P) elementwise,

so `dL/dw = M / (1 - P) * dL/dw_hat`. With `P = 1`, `w_hat = u` exactly and `w` gets no
gradient (`M / (1 - P)` is computed with `divide_no_nan`: 0, not 0/0). In inference
(`training=False`) the layer uses `w`. Mixout regularises fine-tuning towards the
pre-trained weights, as dropout regularises towards 0.

Which kernels: every `FlatDense` kernel of the encoder (`bert/encoder/.../kernel`:
query, key, value, attention output, intermediate, output of each layer) and
`bert/pooler/dense/kernel` when the model has a pooler; not the embeddings, LayerNorm
or biases, nor anything outside `bert/`. The paper applies mixout(w_pre) to the weight
matrices of the pre-trained model's linear layers, in place of the dropout before them,
and its reference code's `MixLinear` mixes a layer's weight, not its bias; LayerNorm's
scale and offset are no linear layer's weight either. The
embeddings are lookups, not such a matrix (and mixing the whole vocabulary table each
step would draw a mask for every entry of a table the batch reads a few rows of); a
head on the encoder has no pre-trained value to mix with.
Layers re-initialised when loading (`reinit_top_layers`, `reinit_pooler`) mix with
the values they were re-initialised to.

The masks are stateless draws keyed by `(seed, kernel, step)`, the step being the
optimizer's `iterations` by default: different at every step, the same on every
replica of a `tf.distribute` strategy (so several replicas train as one device would),
and the same after a run is resumed from a backup. The pre-trained values are copied,
when `apply_mixout` is called, into non-trainable `tf.Variable`s held by a hook that
Keras does not track: nothing of Mixout is in the layer configs, `model.keras` or an
exported SavedModel, and a resumed run keeps the values captured from the checkpoint,
not the restored weights.

References:
    Lee, Cho and Kang, "Mixout: Effective Regularization to Finetune Large-scale
    Pretrained Language Models", ICLR 2020.
"""

import contextlib
import re

import tensorflow as tf

from tf_ner.bert.primitives import FlatDense
from tf_ner.ground.errors import SettingsError

# The kernels mixed, by variable path (Google's checkpoint names).
MIXOUT_KERNELS = re.compile(r"^bert/(encoder/.+|pooler/dense)/kernel$")
# The second word of a mask's seed is the step plus this offset: DeterministicEpochs
# seeds dropout with (seed * 1_000_003 + index, epoch + draws), and a mixout mask
# should never share a seed pair with a dropout mask.
STEP_OFFSET = 1 << 40


def check_probability(probability):
    """`probability` as a float in [0, 1], or a ValueError naming it."""
    if isinstance(probability, bool) or not 0.0 <= float(probability) <= 1.0:
        raise SettingsError(f"mixout probability {probability!r}: expected a float in [0, 1]")
    return float(probability)


def mixout(weights, pretrained, keep, probability):
    """`pretrained + keep * (weights - pretrained) / (1 - probability)`, elementwise.

    Args:
        weights: `w`, float tensor (or variable) of any shape.
        pretrained: `u`, same shape and dtype.
        keep: `M`, the same shape and dtype, 1 where `w` is kept, 0 where `u` replaces it.
        probability: float `P` in [0, 1]; with 1, the result is `pretrained` and the
            gradient with respect to `weights` is 0.

    Returns:
        `w_hat`, the tensor of `weights`'s shape and dtype.
    """
    scale = tf.math.divide_no_nan(keep, tf.constant(1.0 - probability, keep.dtype))
    return pretrained + scale * (weights - pretrained)


class MixoutKernel:
    """The kernel one `FlatDense` trains with under Mixout (its `training_kernel`).

    Args:
        pretrained: `tf.Variable` `u` `[in, units]` (not trainable), in the kernel's dtype.
        probability: float `P` in [0, 1].
        seed: int, this kernel's seed.
        step: callable returning the step (an int scalar tensor or variable); the
            mask of a step is drawn from `(seed, step)`.

    Call arguments:
        kernel: the layer's kernel `w` `[in, units]`, as stored (float32 under mixed
            precision).

    Returns:
        `w_hat` `[in, units]` in `kernel`'s dtype.
    """

    def __init__(self, pretrained, probability, seed, step):
        self.pretrained = pretrained
        self.probability = check_probability(probability)
        self.seed = int(seed)
        self.step = step

    def keep_mask(self, dtype=tf.float32):
        """`M` of the current step: 1 with probability `1 - P`, else 0, `[in, units]`."""
        step = tf.cast(tf.convert_to_tensor(self.step()), tf.int64) + STEP_OFFSET
        seed = tf.stack([tf.constant(self.seed, tf.int64), step])
        uniform = tf.random.stateless_uniform(self.pretrained.shape, seed, dtype=tf.float32)
        return tf.cast(uniform >= self.probability, dtype)

    def __call__(self, kernel):
        kernel = tf.convert_to_tensor(kernel)
        pretrained = tf.convert_to_tensor(self.pretrained)
        return mixout(kernel, pretrained, self.keep_mask(kernel.dtype), self.probability)


def attach_mixout(layer, probability, seed, step):
    """Gives one built `FlatDense` a Mixout kernel whose `u` is its kernel's value now.

    `u` is created under the kernel's `tf.distribute` strategy (one copy per replica).

    Args:
        layer: a built `FlatDense`.
        probability: float `P` in [0, 1].
        seed: int, the kernel's seed.
        step: callable returning the step number.

    Returns:
        The `MixoutKernel`.

    Raises:
        TypeError: `layer` is not a `FlatDense`.
        ValueError: `P` outside [0, 1], or the layer has Mixout already, LoRA or
            quantisation (whose kernel is not the variable).
    """
    probability = check_probability(probability)
    if not isinstance(layer, FlatDense):
        raise TypeError(f"Mixout needs a FlatDense layer; received {type(layer).__name__}")
    path = layer.kernel.path
    if layer.training_kernel is not None:
        raise ValueError(f"{path} has Mixout already; apply it once, after loading")
    if layer.lora_enabled or layer.quantization_mode is not None:
        raise ValueError(f"{path}: Mixout does not combine with LoRA or quantisation")
    variable = layer.kernel.value
    strategy = getattr(variable, "distribute_strategy", None)
    scope = strategy.scope() if strategy and not tf.distribute.has_strategy() else None
    with scope or contextlib.nullcontext():
        pretrained = tf.Variable(
            layer.kernel.numpy(), trainable=False, name="mixout_pretrained", dtype=variable.dtype
        )
    hook = MixoutKernel(pretrained, probability, seed, step)
    # object.__setattr__: Keras would otherwise see a new attribute of the layer.
    object.__setattr__(layer, "training_kernel", hook)
    return hook


def mixout_layers(model):
    """The `FlatDense` layers whose kernels Mixout mixes, sorted by kernel path."""
    layers = [
        layer
        for layer in model._flatten_layers(include_self=True, recursive=True)
        if isinstance(layer, FlatDense) and layer.built and MIXOUT_KERNELS.match(layer.kernel.path)
    ]
    return sorted(layers, key=lambda layer: layer.kernel.path)


def apply_mixout(model, probability, seed=0, step=None):
    """Mixout on every encoder dense kernel of `model` (see the module's docstring).

    Call it after loading the checkpoint and re-initialising (the values then are `u`),
    under the strategy scope the model was built in, and once.

    Args:
        model: a built `keras.Model` (or layer) holding a `BertEncoder`.
        probability: float `P` in [0, 1] (0 mixes nothing but still runs the mixing).
        seed: int; kernel `k` (in path order) draws its masks from `seed * 1_000_003 + k`.
        step: None to use the model's optimizer's `iterations` at each step (the model
            must be compiled before it trains), or a callable returning the step.

    Returns:
        int, the number of kernels mixed.

    Raises:
        ValueError: `P` outside [0, 1], no encoder kernel in `model`, or Mixout
            applied already.

    Example:
    >>> from tf_ner.bert import BertConfig, build_bert
    >>> model = build_bert(BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=2,
    ...                               num_attention_heads=2, intermediate_size=32))
    >>> apply_mixout(model, 0.1)  # 6 kernels per layer and the pooler's
    13
    """
    probability = check_probability(probability)
    layers = mixout_layers(model)
    if not layers:
        raise ValueError(
            f"no encoder dense kernel (a path like bert/encoder/layer_0/attention/self/"
            f"query/kernel) in {model.name}: Mixout applies to a BERT encoder's kernels"
        )
    if step is None:
        step = _optimizer_step(model)
    for index, layer in enumerate(layers):
        attach_mixout(layer, probability, seed * 1_000_003 + index, step)
    return len(layers)


def _optimizer_step(model):
    def step():
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None:
            raise ValueError(
                f"Mixout draws each step's masks from the optimizer's step, and {model.name} "
                f"has no optimizer: compile it before training, or pass `step` to apply_mixout"
            )
        return optimizer.iterations

    return step
