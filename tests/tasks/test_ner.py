import dataclasses
import gc
import logging
import math
import random
import threading
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.data.tiny_vocab import write_tiny_vocab
from tf_ner.bert.config import BertConfig
from tf_ner.bert.tokenization import Encoding, Tokenizer
from tf_ner.data.encoding import IGNORE_INDEX
from tf_ner.data.example import Example
from tf_ner.data.windows import window_encoding
from tf_ner.ground.settings import Situation, from_dict, resolved
from tf_ner.tasks.base import forward_function, outputs_ahead
from tf_ner.tasks.ner.heads import HEADS
from tf_ner.tasks.ner.masks import span_mask
from tf_ner.tasks.ner.settings import NerSettings
from tf_ner.tasks.ner.task import NerTask


def ner_task(**values):
    """A task of `NerSettings(**values)`, its situational defaults from scratch."""
    return NerTask(resolved(NerSettings(**values), Situation.SCRATCH))


# "[CLS] 李 鹏 在 北京 [SEP]" with 北京 one token of two characters.
ENCODING = Encoding(
    ids=[2, 10, 11, 12, 13, 3],
    segment_ids=[0] * 6,
    offsets=[(0, 0), (0, 1), (1, 2), (2, 3), (3, 5), (0, 0)],
    tokens=["[CLS]", "李", "鹏", "在", "北京", "[SEP]"],
)


def test_global_pointer_scores_are_the_sigmoid_of_the_span_cell():
    settings = NerSettings(head="globalpointer", types=["LOC", "PER"])
    logits = np.full((2, 6, 6), -5.0)
    logits[1, 1, 2] = 2.0  # PER 李鹏: tokens 1..2
    logits[0, 4, 4] = 0.5  # LOC 北京: token 4
    spans = [(0, 2, "PER"), (3, 5, "LOC")]
    scores = HEADS.get("globalpointer").span_scores(settings, logits, logits, ENCODING, spans)
    assert scores == pytest.approx([1 / (1 + math.exp(-2.0)), 1 / (1 + math.exp(-0.5))])


def test_tag_scores_average_the_decoded_tag_probability():
    settings = NerSettings(head="crf", types=["LOC", "PER"])  # tags O B-LOC I-LOC B-PER I-PER
    emissions = np.zeros((6, 5))
    emissions[1] = [0, 0, 0, math.log(3), 0]  # B-PER: 3 / 7
    emissions[2] = [0, 0, 0, 0, math.log(6)]  # I-PER: 6 / 10
    tags = np.array([0, 3, 4, 0, 1, 0])
    (score,) = HEADS.get("crf").span_scores(settings, tags, emissions, ENCODING, [(0, 2, "PER")])
    assert score == pytest.approx((3 / 7 + 6 / 10) / 2)
    softmax = NerSettings(head="softmax", types=["LOC", "PER"])
    softmax_head = HEADS.get("softmax")
    decoded = softmax_head.decodable(emissions[np.newaxis])[0]  # the batch's argmax
    np.testing.assert_array_equal(decoded, [0, 3, 4, 0, 0, 0])
    np.testing.assert_array_equal(softmax_head.decodable(tags[np.newaxis])[0], tags)  # ids stay
    (from_logits,) = softmax_head.span_scores(
        softmax, decoded, emissions, ENCODING, [(0, 2, "PER")]
    )
    assert from_logits == pytest.approx(score)  # the argmax is the decoded tag here


def test_span_mask_leaves_out_cls_sep_and_padding():
    ids = tf.constant([[2, 7, 8, 3, 0, 0], [2, 7, 8, 9, 10, 3]])
    expected = [[0, 1, 1, 0, 0, 0], [0, 1, 1, 1, 1, 0]]
    np.testing.assert_array_equal(span_mask(ids).numpy(), np.array(expected, bool))


def _tiny_bert(vocab_size):
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
    )


@pytest.mark.parametrize("head, warned", [("crf", True), ("globalpointer", False)])
def test_xla_with_the_crf_head_is_warned_about(caplog, head, warned):
    task = ner_task(head=head, types=["LOC"])
    model = task.build_model(_tiny_bert(vocab_size=20))
    with caplog.at_level(logging.WARNING, logger="tf_ner.tasks.ner"):
        task.compile(model, "adam", jit_compile=True)
    assert ("jit_compile=True with the CRF head" in caplog.text) == warned


@pytest.mark.parametrize("head", ["crf", "globalpointer"])
def test_training_and_prediction_trace_once_or_twice_over_many_buckets(tmp_path, head):
    tokenizer = Tokenizer(write_tiny_vocab(tmp_path))
    rng = random.Random(0)
    examples = []
    for n in range(2, 90, 3):  # 30 texts of 2..89 characters: 8 batches, 8 lengths
        text = "".join(rng.choice("北京上海天安门我爱中国人民银行") for _ in range(n))
        examples.append(Example(text, [(0, 2, "LOC")]))
    task = ner_task(head=head, types=["LOC"], max_length=96)
    data = task.labelled_data(examples, tokenizer, batch_size=4, shuffle=True)
    assert len(data.bucket_lengths) == len(data.batches) == 8
    model = task.compile(task.build_model(_tiny_bert(tokenizer.vocab_size)), "adam")
    traces = []
    original_call = model.call

    def counting_call(*args, **kwargs):
        traces.append(kwargs.get("training"))  # runs only while a graph is traced
        return original_call(*args, **kwargs)

    model.call = counting_call
    model.fit(data.dataset, epochs=2, verbose=0)
    assert 1 <= len(traces) <= 2
    traces.clear()
    task.predict_spans(model, tokenizer, [e.text for e in examples], batch_size=4)
    assert len(traces) == 1


@pytest.mark.parametrize("head", ["crf", "globalpointer", "softmax"])
def test_token_batches_weigh_every_window_or_token_alike(tmp_path, head):
    """Under `batch_tokens`, the compiled loss of a batch of windows averaged per window
    (CRF, GlobalPointer) is their sum over one constant, the mean batch: each window
    weighs the same in a batch of 10 short windows as in a batch of 3 long ones. The
    softmax loss, a mean over labelled tokens, is left as it is (no weights)."""
    tokenizer = Tokenizer(write_tiny_vocab(tmp_path))
    rng = random.Random(1)
    examples = [
        Example("".join(rng.choice("北京上海天安门我爱中国") for _ in range(n)), [(0, 2, "LOC")])
        for n in [4] * 10 + [30] * 3
    ]
    task = ner_task(head=head, types=["LOC"], max_length=32, stride=8)
    data = task.labelled_data(examples, tokenizer, 32, shuffle=True, batch_tokens=128)
    model = task.compile(task.build_model(_tiny_bert(tokenizer.vocab_size)), "adam")
    if head == "softmax":
        assert all(len(batch) == 2 for batch in data.dataset)  # features and labels only
        check_the_softmax_loss_is_a_mean_over_tokens(model, list(data.dataset))
        return
    reference = data.batches.rows_per_update
    sizes = set()
    for features, labels, weights in data.dataset:
        sizes.add(len(labels))
        loss = model.compute_loss(features, labels, model(features), weights)
        alone = [
            model.compute_loss(
                {k: v[i : i + 1] for k, v in features.items()},
                labels[i : i + 1],
                model({k: v[i : i + 1] for k, v in features.items()}),
            )
            for i in range(len(labels))
        ]
        assert float(loss) == pytest.approx(float(tf.add_n(alone)) / reference, rel=1e-5)
    assert sizes == {10, 3}  # 10 windows of 6 tokens, 3 of 32


def check_the_softmax_loss_is_a_mean_over_tokens(model, batches):
    """The compiled loss of each batch, and of a batch of 10 windows of 4 labelled tokens
    and 3 of 30, is the mean cross-entropy over its labelled tokens (numpy): a short
    window weighs 4/130 of that batch, not 1/13 as in a mean of the windows' means."""
    # Tag O likely: a window's mean then depends on its share of entity tokens (2 of 4
    # in a short window, 2 of 30 in a long one), so the two means differ.
    model.get_layer("classifier").weights[1].assign([4.0, 0.0, 0.0])  # O, B-LOC, I-LOC
    (short,) = [(f, y) for f, y in batches if len(y) == 10]
    (long,) = [(f, y) for f, y in batches if len(y) == 3]
    width = long[1].shape[1]

    def padded(tensor, value):
        return tf.pad(tensor, [[0, 0], [0, width - tensor.shape[1]]], constant_values=value)

    mixed = (
        {k: tf.concat([padded(short[0][k], 0), long[0][k]], 0) for k in short[0]},
        tf.concat([padded(short[1], IGNORE_INDEX), long[1]], 0),
    )
    for features, labels in [*batches, mixed]:
        logits = model(features)
        z = np.asarray(logits, np.float64)
        log_probs = z - z.max(-1, keepdims=True)
        log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
        labels = labels.numpy()
        labelled = labels != IGNORE_INDEX
        nll = -np.take_along_axis(log_probs, np.where(labelled, labels, 0)[..., None], -1)[..., 0]
        token_mean = nll[labelled].mean()
        loss = float(model.compute_loss(features, labels, logits))
        assert loss == pytest.approx(token_mean, rel=1e-5)
    assert labelled.sum(1).tolist() == [4] * 10 + [30] * 3
    window_means = (nll * labelled).sum(1) / labelled.sum(1)
    assert abs(window_means.mean() - token_mean) > 0.3, (window_means.mean(), token_mean)


def test_outputs_ahead_runs_the_next_forward_pass_while_the_last_outputs_are_handled():
    started = [threading.Event() for _ in range(3)]

    def forward(batch):
        started[batch].set()
        if batch == 2:
            raise RuntimeError("forward of batch 2")
        return batch * 10

    outputs = outputs_ahead(forward, range(3))
    assert next(outputs) == 0
    # Batch 1's forward pass runs before the caller asks for its outputs.
    assert started[1].wait(timeout=10)
    assert next(outputs) == 10
    with pytest.raises(RuntimeError, match="forward of batch 2"):
        next(outputs)
    assert list(outputs_ahead(forward, [])) == []


def test_the_forward_function_does_not_keep_its_model_alive():
    task = ner_task(head="crf", types=["LOC"])
    model = task.build_model(_tiny_bert(vocab_size=20))
    ids = tf.constant([[2, 5, 6, 3]])
    forward_function(model)({"token_ids": ids, "segment_ids": tf.zeros_like(ids)})
    assert forward_function(model) is forward_function(model)
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None, "the cached tf.function still holds the model"


def test_every_registered_head_has_its_labeler_layout():
    from tf_ner.data.encoding import SpanLabeler, TagLabeler

    layouts = {}
    for name in HEADS.builtin:  # (a test may register more)
        own = HEADS.settings_type(name)
        tagged = "scheme" in {f.name for f in dataclasses.fields(own)}
        settings = NerSettings(head=name, types=["LOC"], head_settings=own(
            **({"scheme": "BIOES"} if tagged else {})))  # fmt: skip
        labeler = HEADS.get(name).labeler(settings)
        layouts[name] = (type(labeler), getattr(labeler, "first_subtoken_only", None))
    assert layouts == {
        "crf": (TagLabeler, False),
        "softmax": (TagLabeler, True),
        "globalpointer": (SpanLabeler, None),
        "efficient_globalpointer": (SpanLabeler, None),
    }
    with pytest.raises(ValueError, match="head 'lstm': expected one of crf, softmax"):
        NerSettings(head="lstm", types=["LOC"])


@pytest.mark.parametrize("head", ["crf", "softmax", "globalpointer"])
def test_the_heads_keras_metrics_equal_decoding_every_window(tmp_path, head):
    """`evaluate`'s metrics over labelled windows (in the graph, accumulated over batches)
    equal the F1 of decoding each window's output and labels with the labeler."""
    from tf_ner.metrics import prf

    tokenizer = Tokenizer(write_tiny_vocab(tmp_path))
    rng = random.Random(1)
    examples = []
    for _ in range(24):  # a LOC or ORG name among characters that are never in one
        before, after = ("".join(rng.choice("天安门我爱中的在是了和") for _ in range(
            rng.randint(1, 14))) for _ in "ab")  # fmt: skip
        type_, name = rng.choice([("LOC", "北京"), ("LOC", "上海"), ("ORG", "人民银行")])
        text = before + name + after
        examples.append(Example(text, [(len(before), len(before) + len(name), type_)]))
    task = ner_task(head=head, types=["LOC", "ORG"], max_length=16, stride=4)
    model = task.build_model(_tiny_bert(tokenizer.vocab_size))
    task.compile(model, keras.optimizers.Adam(1e-2))
    data = task.labelled_data(examples, tokenizer, batch_size=5, shuffle=True, seed=1)
    model.fit(data.dataset, epochs=3, verbose=0)
    data = task.labelled_data(examples, tokenizer, batch_size=5)
    scores = task.evaluate(model, tokenizer, examples, data=data)["labelled"]
    gold, pred, forward = set(), set(), forward_function(model)
    rows = []  # the windows of each batch, in the order the plan yields them
    planned = data.batches.plan(0)
    for (features, labels), (_, batch_rows) in zip(data.dataset, planned, strict=True):
        decoded = task.head.decodable(forward(features))
        for output, label, row in zip(decoded, labels.numpy(), batch_rows, strict=True):
            index, window = data.encoded.example_index[row], data.encoded.windows[row]
            text = examples[index].text
            encoding = window_encoding(tokenizer, tokenizer.tokenize(text), window)
            gold |= {(row, *s) for s in task.labeler.decode(label, text, encoding)}
            pred |= {(row, *s) for s in task.labeler.decode(output, text, encoding)}
            rows.append(int(row))
    assert gold and sorted(rows) == list(range(len(data.encoded.token_ids)))
    # Some entities predicted right and some wrong (F1 0.67-0.73 measured): an F1 that
    # is neither 0 nor 1, which a metric blind to the predictions would not match.
    assert gold & pred and pred != gold
    assert 0 < scores["entity_f1"] < 1
    assert scores["entity_f1"] == pytest.approx(prf(gold, pred)["f1"], abs=1e-6)
    assert np.isfinite(scores["loss"])


@pytest.mark.parametrize("sentence_cuts", [True, False])
def test_the_task_windows_long_texts_as_its_sentence_cuts_setting_says(
    tmp_path, monkeypatch, sentence_cuts
):
    import tf_ner.tasks.ner.task as task_module

    tokenizer = Tokenizer(write_tiny_vocab(tmp_path))
    text = "北京上海天安门我爱。" * 4  # sentences of 10 tokens; windows hold 14
    examples = [Example(text, [(0, 2, "LOC")])]
    task = ner_task(head="softmax", types=["LOC"], max_length=16, stride=4,
                    sentence_cuts=sentence_cuts)  # fmt: skip
    cut = [(0, 10), (10, 20), (20, 30), (30, 40)]
    overlapping = [(0, 14), (10, 24), (20, 34), (26, 40)]
    expected = cut if sentence_cuts else overlapping
    windows = task.labelled_data(examples, tokenizer, batch_size=4).encoded.windows
    assert [(w.token_start, w.token_end) for w in windows] == expected
    made = []
    original = task_module.make_prediction_batches

    def recorded(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(task_module, "make_prediction_batches", recorded)
    model = task.build_model(_tiny_bert(tokenizer.vocab_size))
    task.predict_spans(model, tokenizer, [text], batch_size=4)
    [[*predicted]] = made[0].windows
    assert [(w.token_start, w.token_end) for w in predicted] == expected


def test_a_folder_written_before_sentence_cuts_gets_them():
    values = {"head": "softmax", "stride": 32, "types": ["LOC"], "max_length": 128}
    assert from_dict(NerSettings, values, "task.json").sentence_cuts is True
