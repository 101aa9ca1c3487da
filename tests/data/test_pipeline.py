"""The tf.data pipeline: bucket lengths, seeded order, one trace per bucket, labels that
decode back to the entities, prediction bookkeeping, model.fit and tf.distribute."""

import logging
import random

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.data.tiny_vocab import TOKENS, write_tiny_vocab
from tests.helpers import run_python
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.data.buckets import check_buckets, default_buckets
from tf_ner.data.encoding import IGNORE_INDEX, SpanLabeler, TagLabeler
from tf_ner.data.encoding_report import EDGE_INSIDE_TOKEN, LONGER_THAN_WINDOW
from tf_ner.data.example import Example
from tf_ner.data.pipeline import make_dataset
from tf_ner.data.windows import merge_window_predictions, window_encoding

CHINESE = "北京上海天安门我爱中国人民银行的在是了和长江大桥南市"
TYPES = ["LOC", "ORG", "PER"]
HEADS = ["crf", "softmax", "globalpointer", "efficient_globalpointer"]


# The labeler of each head's layout (in the package, each head makes its own).
LABELERS = {
    "crf": lambda types, scheme: TagLabeler(types, scheme),
    "softmax": lambda types, scheme: TagLabeler(types, scheme, first_subtoken_only=True),
    "globalpointer": lambda types, scheme: SpanLabeler(types),
    "efficient_globalpointer": lambda types, scheme: SpanLabeler(types),
}


def _data(examples, tokenizer, head, *args, types=None, scheme="BIO", **kwargs):
    """`make_dataset` with the labeler of `head` over the examples' types."""
    types = types or sorted({t for e in examples for _, _, t in e.entities})
    return make_dataset(examples, tokenizer, LABELERS[head](types, scheme), *args, **kwargs)


@pytest.fixture(scope="module")
def vocab_file(tmp_path_factory):
    return write_tiny_vocab(tmp_path_factory.mktemp("vocab"))


@pytest.fixture(scope="module")
def tokenizer(vocab_file):
    return Tokenizer(vocab_file)


def _corpus(count, seed, nested, max_chars=150):
    """Chinese texts of 1..max_chars characters (one token each) with random entities."""
    rng = random.Random(seed)
    examples = []
    for index in range(count):
        n = rng.randint(1, max_chars)
        text = "".join(rng.choice(CHINESE) for _ in range(n))
        spans = set()
        for _ in range(rng.randint(0, n // 4 + 1)):
            start = rng.randrange(n)
            spans.add((start, min(n, start + rng.randint(1, 6)), rng.choice(TYPES)))
        if not nested:
            flat, used = [], set()
            for span in sorted(spans):
                if used.isdisjoint(range(span[0], span[1])):
                    flat.append(span)
                    used.update(range(span[0], span[1]))
            spans = flat
        examples.append(Example(text, spans, source=f"corpus.txt:{index + 1}"))
    return examples


@pytest.fixture(scope="module")
def corpus():
    return _corpus(60, seed=0, nested=False)


def _epoch(dataset):
    return [(f["token_ids"].numpy(), labels.numpy()) for f, labels in dataset.dataset]


# ---------------------------------------------------------------- buckets


def test_default_buckets():
    assert default_buckets(128) == tuple(range(16, 129, 8))
    assert default_buckets(100) == (*range(16, 97, 8), 100)
    assert default_buckets(512) == (
        *range(16, 128, 8),
        *range(128, 256, 16),
        *range(256, 513, 32),
    )
    assert default_buckets(32) == (16, 24, 32)
    assert default_buckets(16) == (16,)
    assert default_buckets(10) == (10,)


@pytest.mark.parametrize("max_length", [16, 17, 64, 100, 128, 200, 256, 384, 512, 1000])
def test_default_buckets_pad_little(max_length):
    buckets = default_buckets(max_length)
    assert list(buckets) == sorted(set(buckets)) and buckets[-1] == max_length
    for n in range(1, max_length + 1):
        padded = next(b for b in buckets if b >= n)
        assert padded - n < (16 if n <= 16 else max(8, n / 8))


def test_bucket_errors():
    assert check_buckets([64, 16, 32, 64], 64) == (16, 32, 64)
    with pytest.raises(ValueError, match=r"stop below max_length=128.*add 128"):
        check_buckets((32, 64), 128)
    with pytest.raises(ValueError, match="expected ints >= 3"):
        check_buckets((2, 64), 64)


@pytest.mark.parametrize("head", HEADS)
def test_batches_have_only_bucket_lengths(tokenizer, corpus, head):
    dataset = _data(
        corpus, tokenizer, head, 64, 16, batch_size=8, shuffle=True, seed=1, buckets=(32, 64)
    )
    assert dataset.bucket_lengths == (32, 64)
    seen = set()
    for features, labels in dataset.dataset:
        ids = features["token_ids"]
        assert ids.dtype == tf.int32 and labels.dtype == tf.int32
        assert features["segment_ids"].shape == ids.shape
        assert ids.shape[0] == 8  # shuffled batches are always full
        length = ids.shape[1]
        seen.add(length)
        if head.endswith("globalpointer"):
            assert labels.shape[0] == 8 and labels.shape[2] == 3
        else:
            assert labels.shape == ids.shape
    assert seen == {32, 64}


def test_batches_of_a_custom_bucket_set(tokenizer, corpus):
    dataset = _data(corpus, tokenizer, "crf", 64, 16, 4, buckets=(8, 24, 40, 64))
    lengths = {f["token_ids"].shape[1] for f, _ in dataset.dataset}
    assert lengths <= {8, 24, 40, 64} and len(lengths) >= 3


def test_every_window_once_without_shuffling(tokenizer, corpus):
    dataset = _data(corpus, tokenizer, "softmax", 64, 16, batch_size=7)
    encoded = dataset.encoded
    rows = []
    for features, labels in dataset.dataset:
        for ids, row_labels in zip(features["token_ids"].numpy(), labels.numpy(), strict=True):
            n = int((ids != 0).sum())
            assert (ids[n:] == 0).all() and (row_labels[n:] == IGNORE_INDEX).all()
            rows.append((tuple(ids[:n]), tuple(row_labels[:n])))
    expected = [
        (tuple(i), tuple(lab)) for i, lab in zip(encoded.token_ids, encoded.labels, strict=True)
    ]
    assert sorted(rows) == sorted(expected)
    assert dataset.dataset.cardinality().numpy() == len(list(dataset.dataset))
    long_texts = sum(len(tokenizer.tokenize(e.text).ids) > 62 for e in corpus)
    assert dataset.report.split_texts == long_texts > 0


# ---------------------------------------------------------------- order


def test_seeded_order_is_reproducible(tokenizer, corpus):
    def make(seed):
        return _data(corpus, tokenizer, "crf", 64, 16, 8, shuffle=True, seed=seed)

    first, again, other = make(3), make(3), make(4)
    epoch_1, epoch_2 = _epoch(first), _epoch(first)
    same_1, same_2 = _epoch(again), _epoch(again)
    tf.random.set_seed(99)  # TensorFlow's global seed plays no part
    other_1 = _epoch(other)

    def key(epoch):
        return [ids.tobytes() for ids, _ in epoch]

    assert key(epoch_1) == key(same_1) and key(epoch_2) == key(same_2)
    assert key(epoch_1) != key(epoch_2), "a new epoch must reshuffle"
    assert key(epoch_1) != key(other_1), "another seed must give another order"
    first.batches.epoch = 1  # a resumed run asks for epoch 1 again
    assert key(_epoch(first)) == key(epoch_2)
    assert len(first.batches) == len(epoch_1) == first.dataset.cardinality().numpy()
    lengths = [ids.shape[1] for ids, _ in epoch_1]
    assert lengths != sorted(lengths) and lengths != sorted(lengths, reverse=True)

    def windows(epoch):  # without the padding, which depends on a window's batch
        return {np.trim_zeros(r, "b").tobytes() for ids, _ in epoch for r in ids}

    expected = {np.asarray(ids, np.int32).tobytes() for ids in first.encoded.token_ids}
    assert windows(epoch_1) == windows(epoch_2) == expected  # each epoch holds every window


@pytest.mark.parametrize("head", ["crf", "globalpointer"])
def test_a_tf_function_traces_once_per_shape(tokenizer, corpus, head):
    dataset = _data(corpus, tokenizer, head, 64, 16, 8, shuffle=True, seed=0, buckets=(32, 64))
    traces, shapes = [], set()

    @tf.function
    def step(features, labels):
        traces.append(features["token_ids"].shape)  # runs only while tracing
        return tf.reduce_sum(features["token_ids"]) + tf.reduce_sum(labels)

    batches = 0
    for _ in range(2):
        for features, labels in dataset.dataset:
            step(features, labels)
            shapes.add((tuple(features["token_ids"].shape), tuple(labels.shape)))
            batches += 1
    assert len(traces) == len(shapes) < batches / 3
    assert {ids[1] for ids, _ in shapes} == set(dataset.bucket_lengths) == {32, 64}
    if head == "globalpointer":  # span rows padded to a multiple of 8: few shapes
        assert all(spans[1] % 8 == 0 for _, spans in shapes)
    else:
        assert len(shapes) == 2


# ---------------------------------------------------------------- labels decode back


@pytest.mark.parametrize(
    ("head", "nested"),
    [("globalpointer", True), ("crf", False), ("softmax", False)],
)
def test_rows_decode_and_merge_to_the_entities(tokenizer, head, nested):
    examples = _corpus(40, seed=5, nested=nested, max_chars=200)
    dataset = _data(examples, tokenizer, head, max_length=40, stride=8, types=TYPES)
    encoded, labeler = dataset.encoded, dataset.labeler
    assert encoded.report.unrepresentable == []
    assert (
        encoded.report.encoded == encoded.report.entities == sum(len(e.entities) for e in examples)
    )
    by_example = {}
    for labels, index, window in zip(
        encoded.labels, encoded.example_index, encoded.windows, strict=True
    ):
        text = examples[index].text
        encoding = window_encoding(tokenizer, tokenizer.tokenize(text), window)
        by_example.setdefault(index, ([], []))
        by_example[index][0].append(window)
        by_example[index][1].append(labeler.decode(labels, text, encoding))
    assert max(len(w) for w, _ in by_example.values()) > 3
    for index, (windows, predictions) in by_example.items():
        assert merge_window_predictions(windows, predictions) == list(examples[index].entities)


def test_the_report_lists_what_cannot_be_encoded(tokenizer, caplog):
    examples = [
        Example("statement 北京", [(0, 4, "ORG"), (10, 12, "LOC")], source="a.txt:1"),
        Example(CHINESE * 2, [(0, 40, "LOC"), (1, 3, "PER")], source="a.txt:5"),
    ]
    with caplog.at_level(logging.WARNING, logger="tf_ner.data.pipeline"):
        dataset = _data(examples, tokenizer, "globalpointer", max_length=32, stride=8)
    report = dataset.report
    assert report.counts() == {EDGE_INSIDE_TOKEN: 1, LONGER_THAN_WINDOW: 1}
    assert {(u.source, u.entity) for u in report.unrepresentable} == {
        ("a.txt:1", (0, 4, "ORG")),
        ("a.txt:5", (0, 40, "LOC")),
    }
    assert (report.examples, report.entities, report.encoded) == (2, 4, 2)
    assert report.windows == len(dataset.encoded.token_ids) > 2
    assert "2 of 4 entities labelled, 2 unrepresentable" in caplog.text
    assert "a.txt:5: entity (0, 40, 'LOC'): longer than a window (40 tokens" in caplog.text


@pytest.mark.parametrize("head", ["softmax", "crf"])
def test_entities_cut_by_a_window_edge_are_not_taught_as_o_by_softmax(tokenizer, head):
    text = (CHINESE * 3)[:60]  # one token per character
    example = Example(text, [(0, 3, "PER"), (10, 30, "LOC"), (40, 44, "ORG")], source="b:1")
    dataset = _data([example], tokenizer, head, max_length=12, stride=2)
    encoded = dataset.encoded
    assert [u.entity for u in encoded.report.unrepresentable] == [(10, 30, "LOC")]
    cut_rows = 0
    for labels, window in zip(encoded.labels, encoded.windows, strict=True):
        chars = range(window.char_start, window.char_end)  # position p holds character
        inside = [p + 1 for p, c in enumerate(chars) if 10 <= c < 30]  # start + p - 1
        cut_rows += bool(inside)
        expected = IGNORE_INDEX if head == "softmax" else 0
        assert all(labels[p] == expected for p in inside), (window, labels)
    assert cut_rows >= 2


def test_types_and_labeler_reuse(tokenizer, corpus):
    train = _data(corpus, tokenizer, "crf", 64, 16, 8, scheme="BIOES")
    assert train.labeler.types == tuple(TYPES) and train.labeler.scheme == "BIOES"
    dev = make_dataset(corpus[:3], tokenizer, train.labeler, 64, 16, 8)
    assert dev.labeler is train.labeler
    with pytest.raises(ValueError, match=r"corpus.txt:\d+: .*known types: \['LOC'\]"):
        _data(corpus, tokenizer, "globalpointer", 64, 16, 8, types=["LOC"])


def test_bad_arguments(tokenizer, corpus, tmp_path):
    with pytest.raises(ValueError, match="stride=62 with max_length=64"):
        _data(corpus, tokenizer, "crf", 64, 62, 8)
    with pytest.raises(ValueError, match="max_length=2 leaves no room"):
        _data(corpus, tokenizer, "crf", 2, 0, 8, buckets=(32,))
    with pytest.raises(ValueError, match="batch_size=0"):
        _data(corpus, tokenizer, "crf", 64, 16, 0)
    with pytest.raises(ValueError, match="seed=None"):
        _data(corpus, tokenizer, "crf", 64, 16, 8, shuffle=True, seed=None)
    with pytest.raises(ValueError, match="labeler='crf': expected a SpanLabeler or TagLabeler"):
        make_dataset(corpus, tokenizer, "crf", 64, 16, 8)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[UNK]", "[PAD]", *TOKENS[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[PAD\] must be id 0.*got id 0 = '\[UNK\]'"):
        _data(corpus, Tokenizer(vocab), "crf", 64, 16, 8)


def _pad(rows, length):
    if rows[0].ndim == 2:  # GlobalPointer rows [n, 3]
        out = np.full((len(rows), max(1, max(len(r) for r in rows)), 3), -1, np.int32)
    else:
        out = np.zeros((len(rows), length), np.int32)
    for k, r in enumerate(rows):
        out[k, : len(r)] = r
    return out


# ---------------------------------------------------------------- token budgets


def _batches(data, epoch=0):
    """One epoch of a dataset's batches as numpy (`(ids, labels[, weights])`)."""
    data.batches.epoch = epoch
    return [
        tuple(np.asarray(part) for part in (f["token_ids"], *rest)) for f, *rest in data.dataset
    ]


def _unpadded(ids):
    return [tuple(row[row != 0]) for row in ids]


@pytest.mark.parametrize("head", ["crf", "globalpointer"])
def test_token_batches_hold_at_most_the_budget_and_every_window_once(tokenizer, corpus, head):
    def batches_of(epoch=0, **kwargs):
        data = _data(corpus, tokenizer, head, 64, 16, 8, shuffle=True, seed=0, **kwargs)
        return data, _batches(data, epoch)

    data, first = batches_of(batch_tokens=200)
    windows = sorted(tuple(ids) for ids in data.encoded.token_ids)
    for batches in (first, _batches(data, 1)):
        assert len(batches) == len(data.batches)
        below = 0
        for ids, *_ in batches:
            # Padded positions ([CLS], tokens, [SEP], padding) within the budget; by
            # default each batch is padded to its longest window.
            assert ids.size <= 200 and ids.shape[1] == max(len(row) for row in _unpadded(ids))
            below += ids.size <= 200 - ids.shape[1]  # room for one more window
        # Greedy cuts over windows sorted by length: a batch has room left only where
        # the next window is longer, and at the end.
        assert below <= len({ids.shape[1] for ids, *_ in batches})
        assert sorted(row for ids, *_ in batches for row in _unpadded(ids)) == windows
    assert [b[0].tolist() for b in first] != [b[0].tolist() for b in _batches(data, 1)]
    _, again = batches_of(batch_tokens=200)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(again, first, strict=True))
    # Coarser buckets: each batch padded to the bucket of its longest window, more padding.
    buckets = default_buckets(64)
    _, coarse = batches_of(batch_tokens=200, buckets=buckets)
    for ids, *_ in coarse:
        longest = max(len(row) for row in _unpadded(ids))
        assert ids.size <= 200 and ids.shape[1] == min(b for b in buckets if b >= longest)
    assert sum(b[0].size for b in first) < sum(b[0].size for b in coarse)


@pytest.mark.parametrize("head", ["softmax", "globalpointer"])
def test_batches_of_a_count_are_padded_to_their_longest_and_hold_every_window(
    tokenizer, corpus, head
):
    data = _data(corpus, tokenizer, head, 64, 16, 8, shuffle=True, seed=2)
    windows = sorted(tuple(ids) for ids in data.encoded.token_ids)
    assert len(data.batches) == -(-len(windows) // 8)  # no fills but the epoch's last
    for epoch in (0, 1):
        batches = _batches(data, epoch)
        rows = [row for ids, _ in batches for row in _unpadded(ids)]
        assert all(len(ids) == 8 for ids, _ in batches)  # training batches are full
        assert set(rows) == set(windows) and len(rows) - len(windows) < 8
        spread = []
        for ids, labels in batches:
            lengths = [len(row) for row in _unpadded(ids)]
            assert ids.shape[1] == max(lengths)  # padded to its longest window
            spread.append(max(lengths) - min(lengths))
            if head == "softmax":
                assert labels.shape == ids.shape
        # Windows sorted by length before the cut: a batch holds windows of about one
        # length (a random cut of this corpus spans tens of tokens).
        assert np.median(spread) <= 2
        real = sum(len(row) for row in rows)
        assert real / sum(ids.size for ids, _ in batches) > 0.95
    assert [b[0].tolist() for b in _batches(data, 0)] != [b[0].tolist() for b in _batches(data, 1)]
    # Without shuffling: shortest first, every window once, the last batch what is left.
    plain = _data(corpus, tokenizer, head, 64, 16, 8)
    batches = _batches(plain)
    assert [ids.shape[1] for ids, _ in batches] == sorted(ids.shape[1] for ids, _ in batches)
    assert sorted(row for ids, _ in batches for row in _unpadded(ids)) == windows
    assert len(batches[-1][0]) == len(windows) - 8 * (len(batches) - 1)


def test_token_batches_split_across_replicas_and_weigh_windows_alike(tokenizer, corpus):
    data = _data(
        corpus, tokenizer, "globalpointer", 64, 16, 8, shuffle=True, seed=1, batch_tokens=200,
        multiple=3, window_weights=True,
    )  # fmt: skip
    batches = _batches(data)
    total = sum(len(ids) for ids, _, _ in batches)
    for ids, _, weights in batches:
        assert len(ids) % 3 == 0 and ids.size <= 200
        # Each window weighs batch size / mean batch size: a loss averaged over the
        # batch, times the weight, is the windows' sum over one constant.
        np.testing.assert_allclose(weights, len(ids) * len(batches) / total, rtol=1e-6)
    rows = [row for ids, _, _ in batches for row in _unpadded(ids)]
    assert set(rows) == {tuple(ids) for ids in data.encoded.token_ids}
    assert len(rows) - len(data.encoded.token_ids) <= 2 * len(batches)  # fills only
    with pytest.raises(ValueError, match=r"batch_tokens=100 holds fewer than 2 window\(s\) of 64"):
        _data(corpus, tokenizer, "crf", 64, 16, 8, batch_tokens=100, multiple=2)


# ---------------------------------------------------------------- Keras and tf.distribute


def test_model_fit_consumes_the_dataset(tokenizer, corpus):
    dataset = _data(corpus, tokenizer, "softmax", 64, 16, 8, shuffle=True, seed=0)
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    segment_ids = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
    hidden = keras.layers.Embedding(tokenizer.vocab_size, 8)(token_ids)
    hidden = hidden + keras.layers.Embedding(2, 8)(segment_ids)
    logits = keras.layers.Dense(dataset.labeler.num_tags)(hidden)
    model = keras.Model({"token_ids": token_ids, "segment_ids": segment_ids}, logits)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_INDEX)
    model.compile(optimizer="adam", loss=loss)
    history = model.fit(dataset.dataset, epochs=2, verbose=0)
    assert all(np.isfinite(history.history["loss"]))


def test_experimental_distribute_dataset_and_fit_under_a_strategy(vocab_file):
    code = f"""
import keras, numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.data.example import Example
from tf_ner.data.encoding import TagLabeler
from tf_ner.data.pipeline import make_dataset

tokenizer = Tokenizer({str(vocab_file)!r})
examples = [Example("北京上海" * k, [(0, 2, "LOC")]) for k in range(1, 25)]
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
dataset = make_dataset(examples, tokenizer, TagLabeler(["LOC"]), 32, 8, batch_size=6)
expected = sum(len(ids) for ids in dataset.encoded.token_ids)

@tf.function
def count(inputs):
    features, labels = inputs
    return tf.reduce_sum(tf.cast(features["token_ids"] != 0, tf.int32))

total = 0
for inputs in strategy.experimental_distribute_dataset(dataset.dataset):
    total += int(strategy.reduce("SUM", strategy.run(count, args=(inputs,)), axis=None))
assert total == expected, (total, expected)

labeler = TagLabeler(["LOC"])
train = make_dataset(examples, tokenizer, labeler, 32, 8, batch_size=6, shuffle=True, seed=0)
with strategy.scope():
    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    seg = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
    logits = keras.layers.Dense(train.labeler.num_tags)(keras.layers.Embedding(100, 4)(ids))
    model = keras.Model({{"token_ids": ids, "segment_ids": seg}}, logits)
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(True, ignore_class=-100))
history = model.fit(train.dataset, epochs=1, verbose=0)
assert np.isfinite(history.history["loss"][0])
print("OK", total, strategy.num_replicas_in_sync)
"""
    out = run_python(code, timeout=300).stdout
    assert "OK" in out and out.strip().endswith(" 2")
