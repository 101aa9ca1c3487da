"""The speed floor of a NER head: the encoder with a plain `Dense` on top (benchmarks only).

`dense` is registered as a head (`tf_ner.tasks.ner.heads.register_head`, as any head of
a user's own), so that the benchmark runners build, compile and train it through the
same `NerTask` and `tf-ner train` code as the real heads: tag logits from one `Dense`
(no dropout), Keras's sparse categorical cross-entropy from logits, labels -100 ignored,
the tag layout of the softmax head (first sub-token of each word). Every head is
measured against it: what a head costs beyond this is the head's.
"""

import keras

from tf_ner.data.encoding import IGNORE_INDEX
from tf_ner.tasks.ner.heads import register_head
from tf_ner.tasks.ner.heads.base import TagHead


class DenseHead(TagHead):
    name = "dense"
    first_subtoken_only = True
    loss_over_windows = False  # Keras's mean over the labelled tokens

    def build_model(self, inputs, hidden, settings, dropout):
        logits = keras.layers.Dense(self.labeler(settings).num_tags, name="classifier")(hidden)
        return keras.Model(inputs, logits, name="ner_dense")

    def loss(self, settings):
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=IGNORE_INDEX
        )


HEAD = register_head(DenseHead())
