"""An HTML page as a tree, read with the standard library's `html.parser`, for tests."""

import dataclasses
import html.parser

# A text that breaks a page that does not escape it.
EVIL = '<script>alert(1)</script> &amp; "x"'
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclasses.dataclass
class Element:
    tag: str
    attrs: dict
    children: list = dataclasses.field(default_factory=list)  # Elements and strs
    parent: "Element | None" = dataclasses.field(default=None, repr=False)

    @property
    def classes(self):
        return set(self.attrs.get("class", "").split())

    def iter(self, tag=None, cls=None):
        """Every element below this one (depth first, document order) matching."""
        for child in self.children:
            if isinstance(child, Element):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                    yield child
                yield from child.iter(tag, cls)

    def text(self):
        """The text nodes below, joined."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), parent=self.stack[-1])
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_page(document):
    """The root `Element` of an HTML document; fails on an end tag that closes nothing
    open, or an element left open."""
    builder = _TreeBuilder()
    builder.feed(document)
    builder.close()
    assert builder.stack == [builder.root], [e.tag for e in builder.stack]
    return builder.root


def marks(node):
    """`(start, end, type)` of the entity marks below `node`, in document order."""
    return [
        (int(m.attrs["data-start"]), int(m.attrs["data-end"]), m.attrs["data-type"])
        for m in node.iter("mark", "e")
    ]


def table_rows(table):
    """The body rows of a table: the first cell's text, then the others'."""
    return [[cell.text().strip() for cell in row.iter("td")] for row in table.iter("tr")][1:]
