import numpy as np
import pytest
import tensorflow as tf

from tf_ner.bert import BertConfig
from tf_ner.bert.assignment_map import get_assignment_map_from_checkpoint
from tf_ner.bert.checkpoint_io import CheckpointError, CheckpointReader
from tf_ner.bert.convert import google_shapes

tf1 = tf.compat.v1


def graph_variables(config, shapes=None):
    """Variables made the way Google's TF1 `modeling.py` makes them, plus a task head."""
    shapes = shapes or google_shapes(config)
    variables = [
        tf1.get_variable(name, shape=shape, initializer=tf1.constant_initializer(-7.0))
        for name, shape in shapes.items()
        if name.startswith("bert/")
    ]
    variables.append(
        tf1.get_variable(
            "output_weights",
            shape=[3, config.hidden_size],
            initializer=tf1.constant_initializer(-7.0),
        )
    )
    return variables


def test_filtered_map_initialises_all_but_the_chosen(six_layer_bert_dir):
    config = BertConfig.from_json_file(six_layer_bert_dir / "bert_config.json")
    reader = CheckpointReader(six_layer_bert_dir)
    with tf.Graph().as_default():
        tvars = graph_variables(config)
        assignment_map, initialized = get_assignment_map_from_checkpoint(
            tvars,
            str(six_layer_bert_dir / "bert_model.ckpt"),
            reinit_top_layers=2,
            reinit_pooler=True,
            exclude=[r"embeddings/token_type"],
        )
        tf1.train.init_from_checkpoint(str(six_layer_bert_dir / "bert_model.ckpt"), assignment_map)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            values = dict(zip([v.name[:-2] for v in tvars], session.run(tvars), strict=True))
    left_out = {
        n
        for n in values
        if n.startswith(
            (
                "bert/encoder/layer_4/",
                "bert/encoder/layer_5/",
                "bert/pooler/",
                "bert/embeddings/token_type",
            )
        )
    }
    left_out.add("output_weights")
    assert set(assignment_map) == set(values) - left_out
    assert all(initialized[n] == 1 and initialized[n + ":0"] == 1 for n in assignment_map)
    for name, value in values.items():
        if name in left_out:
            np.testing.assert_array_equal(value, -7.0)
        else:
            np.testing.assert_array_equal(value, reader.read(name))


def test_shape_mismatch_and_bad_arguments(six_layer_bert_dir):
    config = BertConfig.from_json_file(six_layer_bert_dir / "bert_config.json")
    shapes = google_shapes(config)
    shapes["bert/pooler/dense/bias"] = (7,)
    ckpt = str(six_layer_bert_dir / "bert_model.ckpt")
    with tf.Graph().as_default():
        tvars = graph_variables(config, shapes)
        with pytest.raises(
            CheckpointError, match=r"bert/pooler/dense/bias: the graph has shape \(7,\)"
        ):
            get_assignment_map_from_checkpoint(tvars, ckpt)
        assignment_map, _ = get_assignment_map_from_checkpoint(tvars, ckpt, reinit_pooler=True)
        assert "bert/pooler/dense/bias" not in assignment_map
        with pytest.raises(ValueError, match="invalid regex"):
            get_assignment_map_from_checkpoint(tvars, ckpt, exclude=["(unclosed"])
        with pytest.raises(ValueError, match="reinit_top_layers=9"):
            get_assignment_map_from_checkpoint(tvars, ckpt, reinit_top_layers=9)
