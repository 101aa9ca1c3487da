"""Entities of tag-id sequences, read in the graph as seqeval reads them.

The rules are those of `tf_ner.data.tags.tags_to_spans(tags, scheme, repair=True)`
(seqeval's `get_entities`), written as tensor operations so that they run inside
`fit` and under `tf.function` (no `py_function`, no shapes that depend on values):

- a position with a non-`O` tag *starts* an entity when the previous position is
  `O` or the sequence start, when the previous tag closes an entity (`E`/`S`), when
  its own tag opens one (`B`/`S`), or when its type differs from the previous one;
- otherwise it *continues* the entity of the previous position;
- an entity ends (exclusive) after its last continuing position.

So an `I-X` after `O` opens an entity, and an unclosed BIOES `B-X` ends where the
next tag does not continue it, exactly as seqeval reads broken sequences.
"""

import numpy as np
import tensorflow as tf

OUTSIDE, BEGIN, INSIDE, END, SINGLE = range(5)
# Canonical reading of each prefix (M and I are synonyms in BIOES and BMES), and the
# prefixes each scheme accepts.
_PREFIX_CODES = {"B": BEGIN, "I": INSIDE, "M": INSIDE, "E": END, "S": SINGLE}
_SCHEME_PREFIXES = {"BIO": "BI", "IOB2": "BI", "IOB1": "BI", "BIOES": "BIMES", "BMES": "BIMES"}


def tag_table(tags, scheme):
    """How each tag id reads: its prefix code and its entity type.

    Args:
        tags: sequence of str, the tag vocabulary (the index of a tag is its id), e.g.
            `tf_ner.data.tags.tag_vocabulary(types, scheme)`; it must hold `"O"`.
        scheme: str, `"BIO"` (or `"IOB2"`), `"IOB1"`, `"BIOES"` or `"BMES"`.

    Returns:
        `(prefixes, types, outside_id)`: int32 numpy arrays `[num_tags]` (prefix
        codes `OUTSIDE`..`SINGLE`; type ids, -1 for `O`) and the id of `"O"`.

    Raises:
        ValueError: an unknown scheme, a tag the scheme does not know, a repeated
            tag, or no `"O"` tag.
    """
    name = str(scheme).upper()
    if name not in _SCHEME_PREFIXES:
        raise ValueError(f"unknown tag scheme {scheme!r}; expected one of BIO, IOB1, BIOES, BMES")
    tags = [str(tag) for tag in tags]
    if "O" not in tags or len(set(tags)) != len(tags):
        raise ValueError(
            f"tags {tags!r}: expected a vocabulary of distinct tags holding 'O', e.g. "
            "tf_ner.data.tags.tag_vocabulary(types, scheme)"
        )
    type_ids, prefixes, types = {}, [], []
    for tag in tags:
        if tag == "O":
            prefixes.append(OUTSIDE)
            types.append(-1)
            continue
        prefix, dash, type_ = tag.partition("-")
        if not dash or not type_ or prefix not in _SCHEME_PREFIXES[name]:
            allowed = "/".join(f"{p}-" for p in _SCHEME_PREFIXES[name])
            raise ValueError(
                f"tag {tag!r} is not a {name} tag; expected 'O' or {allowed} followed by "
                "an entity type"
            )
        prefixes.append(_PREFIX_CODES[prefix])
        types.append(type_ids.setdefault(type_, len(type_ids)))
    return np.array(prefixes, np.int32), np.array(types, np.int32), tags.index("O")


def compact(tensors, keep, fills):
    """Moves each row's kept positions to the left, in order, and fills the rest.

    Args:
        tensors: list of `[batch, length]` tensors, compacted alike.
        keep: bool `[batch, length]`, the positions to keep.
        fills: list of scalars, one per tensor, written after the kept positions.

    Returns:
        list of `[batch, length]` tensors: row `b` starts with `tensor[b][keep[b]]`.
    """
    length = tf.shape(keep)[1]
    positions = tf.range(length)[None, :]
    # Kept positions sort by position, the others after every kept one: no
    # boolean_mask, so shapes stay static (XLA) and the batch stays rectangular.
    order = tf.argsort(tf.where(keep, positions, positions + length), axis=1, stable=True)
    filled = positions < tf.reduce_sum(tf.cast(keep, tf.int32), axis=1, keepdims=True)
    return [
        tf.where(filled, tf.gather(tensor, order, batch_dims=1), tf.cast(fill, tensor.dtype))
        for tensor, fill in zip(tensors, fills, strict=True)
    ]


def chunks(prefixes, types):
    """Where each entity starts and ends, by the rules of the module docstring.

    Args:
        prefixes: int32 `[batch, length]` prefix codes (`OUTSIDE`..`SINGLE`).
        types: int32 `[batch, length]` type ids, -1 at `OUTSIDE`.

    Returns:
        `(starts, ends)`: bool `[batch, length]`, True where an entity starts, and
        int32 `[batch, length]`, the exclusive end of the entity starting there
        (meaningless where `starts` is False).
    """
    shape = tf.shape(prefixes)
    previous_prefix = tf.pad(prefixes[:, :-1], [[0, 0], [1, 0]], constant_values=OUTSIDE)
    previous_type = tf.pad(types[:, :-1], [[0, 0], [1, 0]], constant_values=-1)
    inside = prefixes != OUTSIDE
    starts = inside & (
        (previous_prefix == END)
        | (previous_prefix == SINGLE)
        | (prefixes == BEGIN)
        | (prefixes == SINGLE)
        | (types != previous_type)  # also after O (type -1) and at the sequence start
    )
    # Number the entities over the flattened batch; every inside position belongs to
    # the last start at or before it (a row's first inside position is a start).
    flat_inside = tf.reshape(inside, [-1])
    entity = tf.cumsum(tf.cast(tf.reshape(starts, [-1]), tf.int32)) - 1
    count = tf.size(entity)
    sizes = tf.math.unsorted_segment_sum(
        tf.cast(flat_inside, tf.int32), tf.where(flat_inside, entity, count), count + 1
    )
    ends = tf.range(shape[1])[None, :] + tf.reshape(tf.gather(sizes, tf.maximum(entity, 0)), shape)
    return starts, ends


def entity_counts(labels, predictions, keep, table):
    """Per example: entities found, predicted and gold, of tag-id sequences.

    The positions outside `keep` are removed first (the sequence is read as if they
    were absent); gold and predicted entities are then read from the same positions
    and match when start, end and type agree.

    Args:
        labels: int32 `[batch, length]` gold tag ids.
        predictions: int32 `[batch, length]` predicted tag ids.
        keep: bool `[batch, length]`, the positions that are units.
        table: `(prefixes, types, outside_id)` as `tag_table` returns.

    Returns:
        `(true_positives, predicted, gold)`, float64 `[batch]` each.
    """
    prefix_table, type_table, outside_id = (tf.constant(part) for part in table)
    labels, predictions = compact([labels, predictions], keep, [outside_id, outside_id])
    read = []
    for ids in (labels, predictions):
        types = tf.gather(type_table, ids)
        read.append((*chunks(tf.gather(prefix_table, ids), types), types))
    (gold_starts, gold_ends, gold_types), (pred_starts, pred_ends, pred_types) = read
    hits = gold_starts & pred_starts & (gold_ends == pred_ends) & (gold_types == pred_types)

    def per_example(cells):
        return tf.reduce_sum(tf.cast(cells, tf.float64), axis=1)

    return per_example(hits), per_example(pred_starts), per_example(gold_starts)
