"""A dataset summary: sizes, entities per type, nested and crossing entity pairs."""

from collections import Counter
from dataclasses import dataclass, field

from tf_ner.data.formats import read_dataset


@dataclass
class DatasetSummary:
    """What `summarize` counts.

    Attributes:
        sentences: int, the number of examples.
        characters: int, the total text length.
        entities: int, the total number of entities.
        entities_per_type: dict type -> count, sorted by type.
        nested_pairs: int, pairs of entities of one example where one lies inside
            the other (equal spans with different types count too).
        overlapping_pairs: int, pairs that share characters but neither holds the
            other (crossing).
        longest: int, the length of the longest text.
        longest_index: int or None, its index in the examples (the first if tied).
        longest_source: str or None, its `Example.source` (`"file:line"`).
        longest_entity: int, the length of the longest entity.
        empty_texts: int, examples with an empty text.
    """

    sentences: int = 0
    characters: int = 0
    entities: int = 0
    entities_per_type: dict = field(default_factory=dict)
    nested_pairs: int = 0
    overlapping_pairs: int = 0
    longest: int = 0
    longest_index: int | None = None
    longest_source: str | None = None
    longest_entity: int = 0
    empty_texts: int = 0


def _pairs(entities):
    """Counts (nested, crossing) pairs among spans sorted by start."""
    nested = crossing = 0
    for i, (start, end, _) in enumerate(entities):
        for other_start, other_end, _ in entities[i + 1 :]:
            if other_start >= end:
                break  # sorted by start: no later span reaches back into this one
            if other_end <= end or (other_start == start and other_end >= end):
                nested += 1
            else:
                crossing += 1
    return nested, crossing


def summarize(examples):
    """Counts sentences, characters, entities and entity overlaps of a dataset.

    Args:
        examples: iterable of `tf_ner.data.Example`.

    Returns:
        `DatasetSummary`.
    """
    summary = DatasetSummary()
    types = Counter()
    for index, example in enumerate(examples):
        length = len(example.text)
        summary.sentences += 1
        summary.characters += length
        summary.empty_texts += length == 0
        if summary.longest_index is None or length > summary.longest:
            summary.longest = length
            summary.longest_index = index
            summary.longest_source = example.source
        types.update(type_ for _, _, type_ in example.entities)
        for start, end, _ in example.entities:
            summary.longest_entity = max(summary.longest_entity, end - start)
        nested, crossing = _pairs(example.entities)
        summary.nested_pairs += nested
        summary.overlapping_pairs += crossing
    summary.entities = sum(types.values())
    summary.entities_per_type = dict(sorted(types.items()))
    return summary


def format_summary(summary):
    """Renders a `DatasetSummary` as aligned text lines for a terminal.

    Args:
        summary: `DatasetSummary`.

    Returns:
        str, several lines without a trailing newline.
    """
    mean = summary.characters / summary.sentences if summary.sentences else 0.0
    where = f"example {summary.longest_index}"
    if summary.longest_source:
        where += f", {summary.longest_source}"
    rows = [
        ("sentences", f"{summary.sentences:,}"),
        ("characters", f"{summary.characters:,} (mean {mean:.1f} per sentence)"),
        ("longest text", f"{summary.longest:,} characters ({where})"),
        ("empty texts", f"{summary.empty_texts:,}"),
        ("entities", f"{summary.entities:,} (longest {summary.longest_entity} characters)"),
    ]
    rows += [(f"  {type_}", f"{count:,}") for type_, count in summary.entities_per_type.items()]
    rows += [
        ("nested pairs", f"{summary.nested_pairs:,} (one entity inside another)"),
        ("overlapping pairs", f"{summary.overlapping_pairs:,} (crossing, neither inside)"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def data_stats_main(path, format="auto", repair=False):
    """Reads a dataset file and prints its format and summary (for `tf-ner data-stats`).

    Args:
        path: str or path-like, the file.
        format: str, `"auto"` or a format of `tf_ner.data.formats.FORMATS`.
        repair: bool, repair invalid tag sequences as seqeval reads them.

    Returns:
        `DatasetSummary`.

    Raises:
        DatasetError, ValueError: as `read_dataset`.
    """
    examples, info = read_dataset(path, format=format, repair=repair, return_info=True)
    how = "auto-detected" if info.detected else "as requested"
    print(f"file     {info.path}")
    print(f"format   {info.format} ({how})")
    if info.repairs:
        line, reason = info.repairs[0]
        print(f"repaired {info.repair_count} tags (first at line {line}: {reason})")
    if info.duplicates:
        print(f"merged   {info.duplicates} duplicate entities")
    summary = summarize(examples)
    print(format_summary(summary))
    return summary
