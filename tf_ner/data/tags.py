"""Tag schemes: spans of positions <-> one tag per position, in pure Python.

Positions are whatever the caller counts: characters for the file readers, tokens
for the encoder. A span is `(start, end, type)` with `end` exclusive, the same
convention as `tf_ner.data.Example`.

Schemes (the tag is `PREFIX-TYPE`, split at the first `-`, or `O`):

- `"BIO"` (IOB2): `B` opens every entity, `I` continues it.
- `"IOB1"` (CoNLL-2003 original): `I` opens an entity; `B` only opens an entity that
  directly follows one of the same type (writing); any `B` opens an entity (reading).
- `"BIOES"`: `B` opens, `I` continues, `E` closes a multi-position entity, `S` is
  a single-position entity. `M` is read as a synonym of `I`.
- `"BMES"` (MSRA, People's Daily): as BIOES with `M` for the middle. `I` is read as
  a synonym of `M`.

Reading follows one rule set for every scheme, the one `seqeval`'s `get_entities`
uses, so that decoding always yields the entities seqeval would score. A sequence
that breaks the scheme (e.g. `I-PER` after `O`) is an error unless `repair=True`;
repaired sequences decode as seqeval decodes them, and the number of violations is
the `repairs` attribute of the returned list.
"""

from tf_ner.ground.errors import InputError, SettingsError

SCHEMES = ("BIO", "IOB1", "BIOES", "BMES")

# Prefixes each scheme reads, mapped to the canonical prefix of the decoder
# (B opens, I continues, E closes, S single). M and I are synonyms in BIOES/BMES.
_READ_PREFIXES = {
    "BIO": {"B": "B", "I": "I"},
    "IOB1": {"B": "B", "I": "I"},
    "BIOES": {"B": "B", "I": "I", "M": "I", "E": "E", "S": "S"},
    "BMES": {"B": "B", "M": "I", "I": "I", "E": "E", "S": "S"},
}

# Prefixes written, in vocabulary order.
_WRITE_PREFIXES = {
    "BIO": ("B", "I"),
    "IOB1": ("B", "I"),
    "BIOES": ("B", "I", "E", "S"),
    "BMES": ("B", "M", "E", "S"),
}


class TagSequenceError(InputError):
    """A tag sequence that breaks its scheme, or a tag the scheme does not know.

    Attributes:
        position: int, 0-based index of the offending tag in the sequence.
        reason: str, the message without the position prefix.
    """

    def __init__(self, position, reason):
        super().__init__(f"position {position}: {reason}")
        self.position = position
        self.reason = reason


class SpanList(list):
    """The list of spans `tags_to_spans` returns, with the number of repairs made.

    Attributes:
        repairs: int, how many violations of the scheme were repaired the way
            seqeval reads them (0 for a valid sequence): a tag that continues no
            entity, and an entity left unclosed (one tag can be both).
        problems: list of `(position, reason)`, one per repair.
    """

    def __init__(self, spans=(), problems=()):
        super().__init__(spans)
        self.problems = list(problems)
        self.repairs = len(self.problems)


def check_scheme(scheme):
    """Returns `scheme` upper-cased, or raises if it is not one of `SCHEMES`.

    Args:
        scheme: str, e.g. `"BIO"`, `"bioes"`; `"IOB2"` is accepted for `"BIO"`.

    Returns:
        str, the canonical scheme name.

    Raises:
        ValueError: an unknown scheme.
    """
    name = str(scheme).upper()
    if name == "IOB2":
        name = "BIO"
    if name not in SCHEMES:
        raise SettingsError(f"unknown tag scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    return name


def parse_tag(tag, scheme, position=0):
    """Splits one tag into `(canonical_prefix, type)`; `("O", None)` for `O`.

    Args:
        tag: str, e.g. `"B-PER"`, `"M-NS"`, `"O"`.
        scheme: str, one of `SCHEMES`.
        position: int, index used in the error message.

    Returns:
        `(prefix, type)` with prefix one of `"O"`, `"B"`, `"I"`, `"E"`, `"S"`.

    Raises:
        TagSequenceError: a tag the scheme does not know (bad prefix or empty type).
    """
    if tag == "O":
        return "O", None
    prefixes = _READ_PREFIXES[scheme]
    prefix, dash, type_ = tag.partition("-")
    if not dash or prefix not in prefixes or not type_:
        allowed = "/".join(f"{p}-" for p in prefixes)
        raise TagSequenceError(
            position,
            f"unknown tag {tag!r} for scheme {scheme} (expected 'O' or {allowed} followed "
            f"by an entity type, e.g. '{_WRITE_PREFIXES[scheme][0]}-PER')",
        )
    return prefixes[prefix], type_


def _violations(parsed, tags, scheme):
    """Lists `(position, reason)` for every place `parsed` breaks `scheme`."""
    problems = []
    if scheme == "IOB1":
        return problems  # every IOB1 sequence reads unambiguously
    closing = scheme in ("BIOES", "BMES")
    prev_prefix, prev_type, prev_tag = "O", None, "the start of the sequence"
    # prev_tag is a description: the quoted previous tag, or the sequence start.
    for i, (prefix, type_) in enumerate(parsed):
        opened = prev_prefix in ("B", "I") and closing
        if prefix in ("I", "E") and (prev_prefix not in ("B", "I") or prev_type != type_):
            before = f"'B-{type_}' or '{_middle(scheme)}-{type_}'"
            here = f"'{_opener(scheme, prefix)}-{type_}'"
            problems.append(
                (
                    i,
                    f"{tags[i]!r} continues no entity: it follows {prev_tag} (expected "
                    f"{before} before it, or {here} here to start an entity)",
                )
            )
        elif opened and (prefix not in ("I", "E") or type_ != prev_type):
            problems.append(
                (
                    i,
                    f"{tags[i]!r} follows {prev_tag}, which leaves that entity unclosed "
                    f"(expected {_middle(scheme)}-{prev_type} or E-{prev_type})",
                )
            )
        prev_prefix, prev_type, prev_tag = prefix, type_, repr(tags[i])
    if closing and prev_prefix in ("B", "I"):
        problems.append(
            (
                len(parsed) - 1,
                f"the sequence ends with {prev_tag}, which leaves that entity unclosed "
                f"(expected E-{prev_type} or S-{prev_type} at the end)",
            )
        )
    return problems


def _opener(scheme, prefix):
    if scheme in ("BIOES", "BMES") and prefix == "E":
        return "S"
    return "B"


def _middle(scheme):
    return "M" if scheme == "BMES" else "I"


def tag_errors(tags, scheme):
    """Lists where a tag sequence breaks its scheme, without raising for them.

    Args:
        tags: sequence of str tags.
        scheme: str, one of `SCHEMES`.

    Returns:
        list of `(position, reason)`; empty for a valid sequence.

    Raises:
        TagSequenceError: a tag the scheme does not know (that cannot be repaired).
        ValueError: an unknown scheme.
    """
    scheme = check_scheme(scheme)
    parsed = [parse_tag(tag, scheme, i) for i, tag in enumerate(tags)]
    return _violations(parsed, list(tags), scheme)


def tags_to_spans(tags, scheme, repair=False):
    """Decodes a tag sequence into spans `(start, end, type)`, end exclusive.

    Args:
        tags: sequence of str tags, one per position.
        scheme: str, one of `"BIO"` (or `"IOB2"`), `"IOB1"`, `"BIOES"`, `"BMES"`.
        repair: bool. False: a sequence that breaks the scheme raises. True: it is
            read the way seqeval's `get_entities` reads it (an `I-X` after `O` or
            after another type opens a new entity; an unclosed `B-X` ends where the
            next tag does not continue it) and each violation is counted.

    Returns:
        `SpanList` (a list) of `(start, end, type)` sorted by start, with
        `.repairs` (int) and `.problems` (list of `(position, reason)`).

    Raises:
        TagSequenceError: an unknown tag, or (when `repair` is False) the first
            position where the sequence breaks the scheme, naming the offending tags.
        ValueError: an unknown scheme.
    """
    scheme = check_scheme(scheme)
    tags = list(tags)
    parsed = [parse_tag(tag, scheme, i) for i, tag in enumerate(tags)]
    problems = _violations(parsed, tags, scheme)
    if problems and not repair:
        position, reason = problems[0]
        raise TagSequenceError(position, reason + "; pass repair=True to read it as seqeval does")
    spans = []
    open_start, open_type, prev_prefix = None, None, "O"
    for i, (prefix, type_) in enumerate(parsed):
        # seqeval's end_of_chunk: an open entity ends after E/S, before B/S/O, or
        # when the type changes.
        if open_start is not None and (
            prev_prefix in ("E", "S") or prefix in ("B", "S", "O") or type_ != open_type
        ):
            spans.append((open_start, i, open_type))
            open_start = None
        # With nothing open, any non-O tag opens an entity (seqeval's start_of_chunk).
        if prefix != "O" and open_start is None:
            open_start, open_type = i, type_
        prev_prefix = prefix
    if open_start is not None:
        spans.append((open_start, len(parsed), open_type))
    return SpanList(spans, problems)


def spans_to_tags(length, spans, scheme):
    """Encodes non-overlapping spans as one tag per position.

    Args:
        length: int, the number of positions.
        spans: iterable of `(start, end, type)`, end exclusive, inside `[0, length]`.
        scheme: str, one of `"BIO"` (or `"IOB2"`), `"IOB1"`, `"BIOES"`, `"BMES"`.

    Returns:
        list of `length` str tags.

    Raises:
        ValueError: an unknown scheme, a span outside `[0, length]` or empty, a type
            that is empty or contains whitespace, or overlapping spans (flat tag
            schemes cannot hold nested entities).
    """
    scheme = check_scheme(scheme)
    middle = _middle(scheme)
    tags = ["O"] * length
    previous = None
    for span in sorted(spans):
        start, end, type_ = span
        if not 0 <= start < end <= length:
            raise InputError(
                f"span {span!r} is outside the sequence of length {length} "
                f"(expected 0 <= start < end <= {length})"
            )
        if not isinstance(type_, str) or not type_ or any(c.isspace() for c in type_):
            raise InputError(f"span {span!r}: the type must be a non-empty str without spaces")
        if previous is not None and start < previous[1]:
            raise InputError(
                f"spans {previous!r} and {span!r} overlap; the {scheme} scheme holds flat "
                "entities only (use a span format such as jsonl for nested entities)"
            )
        if scheme in ("BIO", "IOB1"):
            first = "B"
            if scheme == "IOB1" and not (
                previous is not None and previous[1] == start and previous[2] == type_
            ):
                first = "I"
            tags[start] = f"{first}-{type_}"
            for i in range(start + 1, end):
                tags[i] = f"I-{type_}"
        elif end - start == 1:
            tags[start] = f"S-{type_}"
        else:
            tags[start] = f"B-{type_}"
            for i in range(start + 1, end - 1):
                tags[i] = f"{middle}-{type_}"
            tags[end - 1] = f"E-{type_}"
        previous = span
    return tags


def tag_vocabulary(types, scheme):
    """The tags of a scheme for a set of types, in a fixed order.

    The order is `"O"` first, then for each type in sorted order the scheme's
    prefixes in this order: BIO and IOB1 `B, I`; BIOES `B, I, E, S`; BMES `B, M, E, S`.
    So `tag_vocabulary(["PER", "LOC"], "BIO")` is
    `["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]`.

    Args:
        types: iterable of str entity types (duplicates are ignored).
        scheme: str, one of `SCHEMES` (or `"IOB2"`).

    Returns:
        list of str tags; the index of a tag is its id.

    Raises:
        ValueError: an unknown scheme, or a type that is empty, `"O"`, or contains
            whitespace.
    """
    scheme = check_scheme(scheme)
    unique = sorted(set(types))
    for type_ in unique:
        if not isinstance(type_, str) or not type_ or any(c.isspace() for c in type_):
            raise InputError(f"entity type {type_!r}: expected a non-empty str without spaces")
    return ["O"] + [f"{p}-{t}" for t in unique for p in _WRITE_PREFIXES[scheme]]
