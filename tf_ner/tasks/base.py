"""`Task`: the interface every task implements, and what tasks share.

A task object holds its settings (`settings`, a frozen dataclass saved in the model
folder as `task.json`) and knows, for its kind of job: reading its data files,
building its settings from the training data, examples -> labelled batches, the Keras
model on the encoder, loss and metrics, predictions from outputs, its evaluation
report and its serving outputs. `train`, the CLI and `tf_ner.load` only call these.
"""

import dataclasses
import json
import pathlib
import weakref

import tensorflow as tf

from tf_ner.data.pipeline import FEATURES_SPEC

SETTINGS_FILE = "task.json"


class Task:
    """Base of the tasks. Subclasses set `name`, `settings_type`, `selection_metric`.

    Attributes:
        settings: the task's settings dataclass.
        selection_metric: the key of `evaluate`'s result that picks the best epoch.
        summary_metrics: keys of `evaluate`'s result worth summarising besides
            `selection_metric` (a stability study's tables), where present.
        page_kinds: the HTML pages the task writes: `"predictions"` (`prediction_page`,
            `tf-ner predict --html`), `"errors"` (`error_page`, `tf-ner evaluate --errors`).
    """

    name = None
    settings_type = None
    selection_metric = None
    # Whether training ends on the epoch with the best dev score (else on its last).
    keeps_best_epoch = True
    summary_metrics = ()
    predictor_class = None  # the `Predictor` of the task's model folders
    page_kinds = ()

    def __init__(self, settings):
        self.settings = settings

    # Building a task from training data.
    @classmethod
    def read(cls, path, config):
        """`(examples, format_name)` of a data file of this task."""
        raise NotImplementedError

    @classmethod
    def write(cls, examples, path, format="auto"):
        """Writes examples to a file that `read(path, config)` reads back as the same
        examples, when `config.format` is `format`.

        Args:
            examples: the task's examples (as `read` returns them).
            path: str or path-like, the file to write (overwritten).
            format: one of the task's formats, or `"auto"`: the task's own format,
                which holds every example and which auto-detection recognises.
        """
        raise NotImplementedError

    @classmethod
    def trivial_scores(cls, train_examples, examples, config):
        """Scores on `examples` of the trivial prediction, which ignores the text.

        The baseline a trained model must beat (Mosbach et al., 2021, call a run that
        does no better than the majority classifier failed).

        Args:
            train_examples: the training examples (what the trivial prediction may know).
            examples: the examples to score.
            config: the `TrainConfig` (settings that change the scoring).

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
    def from_training(cls, config, examples, tokenizer):
        """The task for `config`, with what the training examples define (types, labels)."""
        raise NotImplementedError

    @staticmethod
    def texts(examples):
        return [example.text for example in examples]

    @classmethod
    def held_out(cls, examples, config):
        """`(train, dev)` examples split from the training file when no dev file is
        given, or None (the default: no dev set)."""
        return None

    def check(self, examples, path):
        """Raises ValueError (naming `path` and the example) for what the task cannot score."""
        raise NotImplementedError

    def describe(self):
        """One line for the start-up banner."""
        raise NotImplementedError

    # Training.
    def labelled_data(
        self, examples, tokenizer, batch_size, shuffle=False, seed=0, buckets=None, **budget
    ):
        """`tf_ner.data.pipeline.LabelledData` of the examples.

        `budget` (tasks whose settings take `batch_tokens`): `batch_tokens` and
        `multiple`, as `tf_ner.data.pipeline.make_dataset` takes them.
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

    def prediction_page(self, records, path):
        """Writes one self-contained HTML page of the predictor's `records` to `path`."""
        raise NotImplementedError

    def error_page(self, model, tokenizer, examples, scores, path, batch_size=64):
        """Writes one self-contained HTML page of what `model` gets wrong on `examples`.

        Args:
            scores: `evaluate`'s result on the same examples (what it already predicted).
        """
        raise NotImplementedError

    def check_page(self, kind, flag):
        """Raises ValueError unless the task writes `kind` pages (see `page_kinds`)."""
        if kind not in self.page_kinds:
            raise ValueError(f"{flag}: the {self.name} task writes no page of {kind}")

    def predictor(self, model, tokenizer):
        if self.predictor_class is None:
            raise ValueError(f"the {self.name} task's folders predict nothing by themselves")
        return self.predictor_class(model, self, tokenizer)

    def serving_outputs(self, outputs, features):
        raise NotImplementedError

    def load_model(self, folder):
        """The trained model of a folder `write_folder` wrote, for inference."""
        from tf_ner.tasks.folder import load_model_file

        return load_model_file(folder)

    def write_folder(self, model, folder, bert_config, vocab_file):
        """Writes the trained model's folder (`tf_ner.tasks.folder`): what `tf_ner.load`
        reads, and a TensorFlow SavedModel for serving."""
        from tf_ner.tasks.folder import SAVED_MODEL_DIR, export_saved_model, save_model_folder

        save_model_folder(model, folder, self, bert_config, vocab_file)
        export_saved_model(model, self, pathlib.Path(folder) / SAVED_MODEL_DIR)

    # The settings file.
    def save(self, folder):
        values = {"task": self.name, "settings": dataclasses.asdict(self.settings)}
        path = pathlib.Path(folder) / SETTINGS_FILE
        path.write_text(json.dumps(values, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def from_settings(cls, values, path):
        fields = {f.name for f in dataclasses.fields(cls.settings_type)}
        unknown = sorted(set(values) - fields)
        if unknown:
            raise ValueError(f"{path}: unknown setting(s) {unknown}; expected {sorted(fields)}")
        return cls(cls.settings_type(**values))


class Predictor:
    """A trained model with its task and tokenizer, predicting for raw texts.

    Subclasses add `predict(texts)` and `records(texts)` (one JSON-ready dict per text,
    what `tf-ner predict` writes).
    """

    def __init__(self, model, task, tokenizer):
        self.model = model
        self.task = task
        self.tokenizer = tokenizer

    @property
    def settings(self):
        return self.task.settings


def load_task(folder):
    """The task of a model folder, from its `task.json`.

    Raises:
        FileNotFoundError: no `task.json` (not a model folder).
        ValueError: an unknown task or setting, named.
    """
    from tf_ner.tasks import TASKS

    path = pathlib.Path(folder) / SETTINGS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {folder} a tf_ner model folder?")
    values = json.loads(path.read_text(encoding="utf-8"))
    return TASKS.get(values["task"]).from_settings(values["settings"], path)


_FORWARD = weakref.WeakKeyDictionary()


def forward_function(model, features_spec=FEATURES_SPEC):
    """`model(features, training=False)` as a `tf.function`, one per model.

    Not `predict_on_batch`: under a distribution strategy that runs the whole batch on
    every replica (and across workers), where inference needs no collective at all.
    Its input signature has any batch size and length, so it traces once for all
    bucket lengths. The function holds the model weakly: a model nobody else holds is
    freed with its function.
    """
    forward = _FORWARD.get(model)
    if forward is None:
        reference = weakref.ref(model)
        forward = tf.function(
            lambda features: reference()(features, training=False),
            input_signature=[features_spec],
            autograph=False,  # plain graph code: nothing for AutoGraph to convert
        )
        _FORWARD[model] = forward
    return forward


def labelled_scores(
    model, data, loss_function, metrics, metric_outputs=lambda outputs: outputs,
    features_spec=FEATURES_SPEC,
):  # fmt: skip
    """Mean loss and Keras metrics of `model` over labelled batches, in inference mode.

    Args:
        model: the task's Keras model.
        data: `LabelledData` (its dataset yields `(features, labels)`).
        loss_function: callable `(labels, outputs) -> scalar mean over the batch`.
        metrics: Keras metrics updated with `(labels, metric_outputs(outputs))`.
        metric_outputs: callable picking what the metrics read from the outputs.
        features_spec: the model's features, as `tf.TensorSpec`s.

    Returns:
        dict: `"loss"` (the mean over windows) and each metric's `result()` by name.
    """
    forward = forward_function(model, features_spec)
    total, windows = 0.0, 0
    for metric in metrics:
        metric.reset_state()
    for features, labels in data.dataset:
        outputs = forward(features)
        size = int(features["token_ids"].shape[0])
        total += float(loss_function(labels, outputs)) * size
        windows += size
        for metric in metrics:
            metric.update_state(labels, metric_outputs(outputs))
    scores = {"loss": total / windows if windows else 0.0}
    scores.update({metric.name: float(metric.result()) for metric in metrics})
    return scores
