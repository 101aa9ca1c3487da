"""`Task`: the interface every task implements, and what tasks share.

A task object holds its settings (`settings`, a frozen dataclass of its own, saved in
the model folder by `tf_ner.tasks.folder`) and knows, for its kind of job: reading its
data files, completing its settings from the training data, examples -> labelled
batches, the Keras model on the encoder, loss and metrics, predictions from outputs,
its evaluation scores and its serving outputs. `train`, the CLI and `tf_ner.load`
only call these; a task never sees the run's settings.

What predicts from an ONNX graph imports no TensorFlow: the Keras half of running a
model is `tf_ner.tasks.keras_forward`, imported when a Keras model runs.
"""

import concurrent.futures

from tf_ner.ground.errors import InputError
from tf_ner.ground.settings import from_dict
from tf_ner.tasks.onnx import OnnxModel


class Task:
    """Base of the tasks. Subclasses set `name`, `settings_type`, `selection_metric`.

    A task of another package subclasses it and is found through the entry-point group
    `tf_ner.tasks` (see `tf_ner.ground.registry`). Its `settings_type` is a frozen
    dataclass (`tf_ner.ground.settings`) with a `max_length` field (the run sets it).

    Attributes:
        settings: the task's settings dataclass.
        selection_metric: the key of `evaluate`'s result that picks the best epoch.
        summary_metrics: keys of `evaluate`'s result worth summarising besides
            `selection_metric` (a stability study's tables), where present.
        saves_model: whether the model folder keeps the whole Keras model
            (`model.keras`, and a SavedModel); else the model is rebuilt from the
            folder's checkpoint (`inference_model`).
    """

    name = None
    settings_type = None
    selection_metric = None
    # Whether training ends on the epoch with the best dev score (else on its last).
    keeps_best_epoch = True
    summary_metrics = ()
    predictor_class = None  # the `Predictor` of the task's model folders
    saves_model = True

    def __init__(self, settings):
        self.settings = settings

    # Building a task from training data.
    @classmethod
    def read(cls, path, format="auto", repair=False):
        """`(examples, format_name)` of a data file of this task.

        Args:
            format: the file's format, `"auto"` to detect it.
            repair: read invalid tag sequences as seqeval does (counted), where the
                format has tags.
        """
        raise NotImplementedError

    @classmethod
    def write(cls, examples, path, format="auto"):
        """Writes examples to a file that `read(path, format)` reads back as the same
        examples.

        Args:
            examples: the task's examples (as `read` returns them).
            path: str or path-like, the file to write (overwritten).
            format: one of the task's formats, or `"auto"`: the task's own format,
                which holds every example and which auto-detection recognises.
        """
        raise NotImplementedError

    @classmethod
    def trivial_scores(cls, train_examples, examples, settings):
        """Scores on `examples` of the trivial prediction, which ignores the text.

        The baseline a trained model must beat (Mosbach et al., 2021, call a run that
        does no better than the majority classifier failed).

        Args:
            train_examples: the training examples (what the trivial prediction may know).
            examples: the examples to score.
            settings: the task's settings (those that change the scoring).

        Returns:
            `(description, scores)`: a phrase saying what is predicted, and a dict with
            the keys `evaluate` gives for `selection_metric` and `summary_metrics`.
        """
        raise NotImplementedError

    def reference_scores(self, train_data, dev_data):
        """`{description: score}` of trivial predictors on the dev data, in the units of
        `selection_metric`: a trained model must beat them (the run says so when it
        does not after its warmup). None of them by default.

        Args:
            train_data, dev_data: the `labelled_data` of the training and dev examples.
        """
        return {}

    @classmethod
    def from_training(cls, settings, examples, tokenizer, situation):
        """The task with `settings` completed from the training examples (types,
        labels), the tokenizer's casing and the situational defaults
        (`tf_ner.ground.settings.resolved`).

        Args:
            settings: the task's settings, as given.
            situation: a `tf_ner.ground.settings.Situation`, where the encoder starts.

        Raises:
            InputError: training examples the task cannot learn from.
        """
        raise NotImplementedError

    @classmethod
    def from_settings(cls, values, where):
        """The task of a folder's saved settings (a dict), written by this version of
        tf_ner or an older one (`upgraded`); unknown settings refused, naming `where`."""
        return cls(from_dict(cls.settings_type, cls.upgraded(dict(values)), where))

    @staticmethod
    def upgraded(values):
        """Saved settings of an older version of tf_ner, as this version names them."""
        return values

    @staticmethod
    def texts(examples):
        return [example.text for example in examples]

    @classmethod
    def held_out(cls, examples):
        """`(train, dev)` examples split from the training file when no dev file is
        given, or None (the default: no dev set)."""
        return None

    def check(self, examples, path):
        """Raises InputError (naming `path` and the example) for what the task cannot score."""
        raise NotImplementedError

    def describe(self):
        """One line for the start-up banner."""
        raise NotImplementedError

    # Training.
    def labelled_data(
        self, examples, tokenizer, batch_size, shuffle=False, seed=0, buckets=None, **budget
    ):
        """`tf_ner.data.pipeline.LabelledData` of the examples.

        `budget` (tasks whose settings leave the run's `batch_tokens` in use):
        `batch_tokens` and `multiple`, as `tf_ner.data.pipeline.make_dataset` takes them.
        """
        raise NotImplementedError

    def build_model(self, bert_config):
        raise NotImplementedError

    def compile(self, model, optimizer, jit_compile=False):
        raise NotImplementedError

    # Evaluation and prediction.
    def evaluate(self, model, tokenizer, examples, batch_size=64, data=None):
        """Scores of `model` on `examples` (`data`: their `labelled_data`, if made)."""
        raise NotImplementedError

    def format_scores(self, scores):
        """`evaluate`'s scores as a table for people."""
        raise NotImplementedError

    def scores_json(self, scores):
        """`evaluate`'s scores as JSON for programs (`tf-ner evaluate --output`)."""
        raise NotImplementedError

    def predictor(self, model, tokenizer):
        if self.predictor_class is None:
            raise InputError(f"the {self.name} task's folders predict nothing by themselves")
        return self.predictor_class(model, self, tokenizer)

    def serving_outputs(self, outputs, features):
        raise NotImplementedError

    def checkpoint_prefixes(self):
        """The variables the folder's Google checkpoint holds: the encoder's."""
        return ("bert/",)

    def inference_model(self, model):
        """The model that predicts, from the model `build_model` made and the folder's
        checkpoint filled (tasks whose folders keep no Keras model)."""
        return model


# Windows per prediction batch on TensorFlow when a call names none (an `OnnxModel`
# has its own, `OnnxModel.batch_size`).
BATCH_SIZE = 64


class Predictor:
    """A trained model with its task and tokenizer, predicting for raw texts.

    Subclasses add `predict(texts, batch_size=None)` and `records(texts,
    batch_size=None)` (one JSON-ready dict per text, what `tf-ner predict` writes);
    `batch_size` None: the runtime's default (`default_batch_size`).
    """

    def __init__(self, model, task, tokenizer):
        self.model = model
        self.task = task
        self.tokenizer = tokenizer

    @property
    def settings(self):
        return self.task.settings

    @property
    def default_batch_size(self):
        """Windows per batch when a call names none: 64 on TensorFlow, 32 on ONNX
        Runtime (`OnnxModel.batch_size`)."""
        return self.model.batch_size if isinstance(self.model, OnnxModel) else BATCH_SIZE

    def resolved_batch_size(self, asked):
        """`asked`, or the runtime's default where it is None."""
        return self.default_batch_size if asked is None else asked

    def tensorflow_model(self, purpose):
        """The Keras model, for what only it does (`purpose`, e.g. "evaluate").

        Raises:
            InputError: the predictor runs an ONNX graph.
        """
        if isinstance(self.model, OnnxModel):
            raise InputError(
                f"{purpose} needs the TensorFlow model: load {self.model.path.parent} "
                f"without runtime='onnx'"
            )
        return self.model


def forward_function(model, features_spec=None):
    """`model(features, training=False)` as a function of a batch's features.

    An `OnnxModel` is its own forward function (numpy in and out), and TensorFlow is
    not imported: an ONNX predictor runs without it. A Keras model gets its
    `tf.function` (`tf_ner.tasks.keras_forward.keras_forward_function`; `features_spec`:
    its features as `tf.TensorSpec`s, None for `{"token_ids", "segment_ids"}`).
    """
    if isinstance(model, OnnxModel):
        return model
    from tf_ner.tasks.keras_forward import keras_forward_function

    return keras_forward_function(model, features_spec)


def outputs_ahead(forward, batches):
    """`forward(features)` of each batch, in order, each computed while the caller
    handles the previous one.

    TensorFlow and ONNX Runtime release the GIL while they run, so a worker thread runs
    the next batch's forward pass while this thread decodes the last one's outputs (the
    Python part of prediction: spans, scores, window merging); at most two batches'
    outputs are held. A forward pass that raises raises here, at its batch.

    Args:
        forward: callable, features -> outputs (`forward_function`).
        batches: iterable of features.

    Yields:
        the outputs of each batch.
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tf_ner-forward") as pool:
        pending = None
        for features in batches:
            running = pool.submit(forward, features)
            if pending is not None:
                yield pending.result()
            pending = running
        if pending is not None:
            yield pending.result()
