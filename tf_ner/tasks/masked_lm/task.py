"""Masked-LM pre-training as a task: raw texts in, a Google-format checkpoint out."""

import dataclasses
import math

import numpy as np

from tf_ner.bert.tokenization import SPECIAL_TOKENS
from tf_ner.data.masked_lm import (
    MASKED_LM_FEATURES_SPEC,
    MaskedLmBatches,
    TokenizationReport,
    bigram_accuracy,
    count_bigrams,
    masked_lm_dataset,
    max_predictions_for,
    most_frequent_copy_accuracy,
    pack_sequences,
    read_corpus,
    tokenize_corpus,
)
from tf_ner.ground.errors import InputError
from tf_ner.losses import masked_token_crossentropy
from tf_ner.metrics import TokenAccuracy
from tf_ner.tasks.base import Task
from tf_ner.tasks.keras_forward import labelled_scores
from tf_ner.tasks.masked_lm.electra import (
    ReplacedTokenDetection,
    electra_scores,
    generator_model,
)
from tf_ner.tasks.masked_lm.filler import MaskFiller
from tf_ner.tasks.masked_lm.model import build_masked_lm_model
from tf_ner.tasks.masked_lm.settings import MaskedLmSettings

# The label of the padding of a row's predictions (`mask_sequences`).
NO_PREDICTION = -1

# Texts held out for the masked-token accuracy when no --dev is given: 1% of the
# corpus, at most this many.
HELD_OUT_FRACTION = 0.01
MAX_HELD_OUT = 2000


def masked_lm_loss(labels, logits):
    """Mean cross-entropy over the predicted positions of the batch (padding skipped)."""
    return masked_token_crossentropy(labels, logits, ignore_label=NO_PREDICTION)


@dataclasses.dataclass
class MaskedLmData:
    """Packed, masked batches of a corpus: what the train loop and `evaluate` read."""

    dataset: object
    batches: MaskedLmBatches
    report: TokenizationReport


class MaskedLmTask(Task):
    """BERT's masked-LM objective on raw texts (Devlin et al. 2019, without next-sentence
    prediction, as RoBERTa): 15% of the tokens chosen, 80% of those replaced by [MASK],
    10% by a random token, 10% kept; the masks drawn afresh every epoch; consecutive
    texts packed into full rows. Scores: the accuracy and loss of the masked tokens.
    """

    name = "masked_lm"
    settings_type = MaskedLmSettings
    selection_metric = "accuracy"
    # Pre-training ends on its last weights: the held-out curve is watched, not used to
    # pick (ELECTRA's generator accuracy would be a poor judge of its encoder).
    keeps_best_epoch = False
    predictor_class = MaskFiller
    saves_model = False  # the folder is a Google-format checkpoint (a --bert-dir)

    @classmethod
    def read(cls, path, format="auto", repair=False):
        """Texts of one or more files (comma-separated): raw text, one per line, or
        the texts of any dataset file (their tags unread: `repair` changes nothing)."""
        corpus = read_corpus([p for p in str(path).split(",") if p], format=format)
        print(f"  {corpus.report}", flush=True)
        return corpus.texts, "texts"

    @staticmethod
    def texts(examples):
        return list(examples)

    @classmethod
    def held_out(cls, examples):
        """`(train, held_out)` texts: 1% (at most 2,000) chosen at random, the same for
        every seed; None for a corpus under 2 texts."""
        if len(examples) < 2:
            return None
        size = min(MAX_HELD_OUT, max(1, round(HELD_OUT_FRACTION * len(examples))))
        chosen = set(np.random.default_rng(0).choice(len(examples), size, replace=False))
        train = [t for i, t in enumerate(examples) if i not in chosen]
        held_out = [t for i, t in enumerate(examples) if i in chosen]
        return train, held_out

    @classmethod
    def from_training(cls, settings, examples, tokenizer, situation):
        return cls(
            dataclasses.replace(
                settings, do_lower_case=tokenizer.do_lower_case, fold_width=tokenizer.fold_width,
                max_predictions=max_predictions_for(settings.max_length, settings.mask_rate),
            )  # fmt: skip
        )

    @staticmethod
    def upgraded(values):
        """tf_ner 0.1.0 named the masking rate `rate`."""
        if "rate" in values:
            values["mask_rate"] = values.pop("rate")
        return values

    def check(self, examples, path):
        if not examples:
            raise InputError(f"{path}: no text")

    def describe(self):
        s = self.settings
        masking = "whole words (jieba for Chinese)" if s.whole_word_masking else "tokens"
        objective = "masked LM"
        if s.electra:
            objective = (
                f"replaced-token detection (ELECTRA; a {s.generator_layers}-layer generator "
                f"fills the masks)"
            )
        return (
            f"{objective}: {s.mask_rate:.0%} of the {masking} chosen (80% [MASK], 10% random, "
            f"10% kept), rows of {s.max_length} tokens packed, at most {s.max_predictions} "
            f"predictions per row"
        )

    def labelled_data(self, examples, tokenizer, batch_size, shuffle=False, seed=0, buckets=None):
        s = self.settings
        report = TokenizationReport()
        tokenized = tokenize_corpus(examples, tokenizer, s.whole_word_masking, report)
        packed = pack_sequences(tokenized, s.max_length, tokenizer.cls_id, tokenizer.sep_id)
        special = [tokenizer.vocab[t] for t in SPECIAL_TOKENS if t in tokenizer.vocab]
        batches = MaskedLmBatches(
            packed, batch_size, shuffle=shuffle, seed=seed, mask_id=tokenizer.vocab["[MASK]"],
            vocab_size=tokenizer.vocab_size, special_ids=special, rate=s.mask_rate,
            max_predictions=s.max_predictions, fixed_masks=not shuffle,
            with_original=s.electra,
        )  # fmt: skip
        print(
            f"  {report}; packed into {len(packed.ids):,} rows of {s.max_length} "
            f"({report.tokens / max(1, packed.ids.size):.1%} of the positions text tokens)",
            flush=True,
        )
        return MaskedLmData(masked_lm_dataset(batches), batches, report)

    def reference_scores(self, train_data, dev_data):
        """The held-out accuracy of two trivial predictors on the held-out masks
        (`tf_ner.data.masked_lm.baselines`), counted on the training rows."""
        train, held_out = train_data.batches, dev_data.batches
        vocab_size = train.vocab_size
        counts = count_bigrams(train.packed.ids, vocab_size)
        candidates = np.setdiff1d(np.arange(vocab_size), train.special_ids)
        masked = held_out.fixed()
        return {
            "most frequent + copy": most_frequent_copy_accuracy(
                masked, counts.unigram, train.mask_id, candidates
            ),
            "bigram + copy": bigram_accuracy(masked, counts, train.mask_id, candidates),
        }

    def build_model(self, bert_config):
        if self.settings.electra:
            return ReplacedTokenDetection(bert_config, self.settings.generator_layers)
        return build_masked_lm_model(bert_config)

    def compile(self, model, optimizer, jit_compile=False):
        if self.settings.electra:  # the model computes its own loss and metrics
            model.compile(optimizer=optimizer, jit_compile=jit_compile)
            return model
        model.compile(
            optimizer=optimizer,
            loss=masked_lm_loss,
            metrics=[TokenAccuracy(name="accuracy")],
            jit_compile=jit_compile,
        )
        return model

    def evaluate(self, model, tokenizer, examples, batch_size=64, data=None):
        """Accuracy and mean loss over the masked tokens (masks fixed by the seed, so
        evaluations of one run compare), and the perplexity exp(loss). With ELECTRA:
        the generator's accuracy and perplexity, the discriminator's accuracy over every
        real token, and the loss is ELECTRA's (the generator's plus 50 x the
        discriminator's)."""
        data = data or self.labelled_data(list(examples), tokenizer, batch_size)
        if self.settings.electra:
            return electra_scores(model, data)
        values = labelled_scores(
            model, data, masked_lm_loss, [TokenAccuracy(name="accuracy")],
            features_spec=MASKED_LM_FEATURES_SPEC,
        )  # fmt: skip
        loss = values["loss"]
        return {
            "accuracy": values["accuracy"],
            "perplexity": math.exp(min(loss, 700.0)),
            "labelled": {"loss": loss},
        }

    @staticmethod
    def format_scores(scores):
        text = (
            f"masked-token accuracy {100 * scores['accuracy']:.2f}%, loss "
            f"{scores['labelled']['loss']:.4f}, perplexity {scores['perplexity']:.2f}"
        )
        if "discriminator_accuracy" in scores:
            text += f", replaced-token accuracy {100 * scores['discriminator_accuracy']:.2f}%"
        return text

    @staticmethod
    def scores_json(scores):
        return {
            "accuracy": scores["accuracy"],
            "loss": scores["labelled"]["loss"],
            "perplexity": scores["perplexity"],
            **{k: scores[k] for k in ("discriminator_accuracy",) if k in scores},
        }

    def checkpoint_prefixes(self):
        """`bert/` and `cls/predictions/` (ELECTRA: `bert/`, the generator and the
        discriminator's head): a Google-format checkpoint folder."""
        if self.settings.electra:
            return ("bert/", "generator/", "discriminator_predictions/")
        return ("bert/", "cls/")

    def inference_model(self, model):
        """The masked-LM model; of ELECTRA, its generator (what fills in masks)."""
        return generator_model(model) if self.settings.electra else model


TASK = MaskedLmTask
