"""AdamWeightDecay with bias correction for TF1 graphs and Keras 3; schedules.

- `AdamWeightDecayOptimizer`, `create_optimizer`: TF1 graphs (Google BERT's API).
- `AdamWeightDecay`: Keras 3 optimizer with layer-wise decay, lr multipliers and
  pre-trained weight decay.
- `WarmupLinearDecay`, `WarmupPolynomialDecay`, `WarmupConstant`: Keras 3 schedules.
- `tf_ner.optimization.legacy`: the same optimizer and schedules for tf-keras (Keras 2),
  an OptimizerV2 that bert4keras's `extend_with_*_v2` wrappers compose with.
- `tf_ner.optimization.model_garden`: Model Garden's `official.nlp.optimization` API
  (`AdamWeightDecay`, `WarmUp`, `create_optimizer`) on the tf-keras optimizer.

The update rule, shared by all of them, is written out in `update_rule`; layer-wise
decay finds layers by the naming conventions of `layer_naming`.

Names are imported on first use (`tf_ner.ground.lazy`), so that
`tf_ner.optimization.legacy` never imports Keras 3 behind a tf-keras project's back
(bert4keras rebinds `keras` to tf-keras and breaks if Keras 3 was imported first).
"""

from tf_ner.ground.lazy import lazy_exports

_EXPORTS = {
    "AdamWeightDecay": "tf_ner.optimization.keras_optimizer",
    "AdamWeightDecayOptimizer": "tf_ner.optimization.tf1",
    "create_optimizer": "tf_ner.optimization.tf1",
    "VariableRule": "tf_ner.optimization.variable_rules",
    "VariableRules": "tf_ner.optimization.variable_rules",
    "WarmupConstant": "tf_ner.optimization.schedules",
    "WarmupLinearDecay": "tf_ner.optimization.schedules",
    "WarmupPolynomialDecay": "tf_ner.optimization.schedules",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
