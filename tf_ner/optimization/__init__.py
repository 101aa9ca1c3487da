"""AdamWeightDecay with bias correction for TF1 graphs and Keras 3; schedules.

- `AdamWeightDecayOptimizer`, `create_optimizer`: TF1 graphs (Google BERT's API).
- `AdamWeightDecay`: Keras 3 optimizer with layer-wise decay, lr multipliers and
  pre-trained weight decay.
- `WarmupLinearDecay`, `WarmupPolynomialDecay`, `WarmupConstant`: schedules.
- `tf_ner.optimization.legacy.AdamWeightDecay`: Keras 2 (tf-keras); import it yourself,
  it is not imported here.

The update rule, shared by all of them, is written out in `update_rule`.
"""

from tf_ner.optimization.keras_optimizer import AdamWeightDecay
from tf_ner.optimization.schedules import WarmupConstant, WarmupLinearDecay, WarmupPolynomialDecay
from tf_ner.optimization.tf1 import AdamWeightDecayOptimizer, create_optimizer
from tf_ner.optimization.variable_rules import VariableRule, VariableRules

__all__ = [
    "AdamWeightDecay",
    "AdamWeightDecayOptimizer",
    "VariableRule",
    "VariableRules",
    "WarmupConstant",
    "WarmupLinearDecay",
    "WarmupPolynomialDecay",
    "create_optimizer",
]
