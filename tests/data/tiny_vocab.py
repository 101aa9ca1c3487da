"""A tiny uncased WordPiece vocabulary for the data tests: Chinese characters, Latin
word pieces with `##` continuations, digits and punctuation (sentence ends among it)."""

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CHINESE = list("北京上海天安门我爱中国人民银行的在是了和长江大桥南市")
LATIN = [
    "new",
    "york",
    "bank",
    "of",
    "america",
    "un",
    "##ited",
    "state",
    "##s",
    "##ment",
    "obama",
    "play",
    "##ing",
    "##er",
    "a",
    "##b",
    "##c",
    "the",
    "city",
    "cafe",
]
DIGITS = [str(d) for d in range(10)] + [f"##{d}" for d in range(10)] + ["20", "##24"]
PUNCT = [".", ",", "'", "-", "!", "。", "；", "”"]
TOKENS = SPECIAL + CHINESE + LATIN + DIGITS + PUNCT


def write_tiny_vocab(directory):
    """Writes `vocab.txt` into `directory` and returns its path."""
    path = directory / "vocab.txt"
    path.write_text("\n".join(TOKENS) + "\n", encoding="utf-8")
    return path
