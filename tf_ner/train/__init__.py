"""Training: the fit loop, callbacks, strategy, the model folder and its export."""

from tf_ner.train.config import TrainConfig
from tf_ner.train.loop import TrainResult, train
from tf_ner.train.recognizer import Recognizer

__all__ = ["Recognizer", "TrainConfig", "TrainResult", "train"]
