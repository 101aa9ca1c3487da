"""What the HTML pages of the tasks share: the page, escaping, colours, tables.

A page is one self-contained file: its CSS inline, no script, no external resource
(a picture is embedded as a `data:` URI). Every text, type and label of the data goes
through `html.escape` (`cell`, `Markup`), so that a text holding `<script>` or `&amp;`
shows as written.
"""

import html

from tf_ner.ground.files import atomic_write_text

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:2px 7px;text-align:right}
th:first-child,td:first-child{text-align:left}
.doc{border-top:1px solid #ddd;padding:.5em 0;content-visibility:auto;
contain-intrinsic-size:auto 5em}
.meta{color:#666;font-size:.85em}
.text{white-space:pre-wrap;line-height:2.7}
.swatch{display:inline-block;width:1em;height:1em;border:1px solid;vertical-align:-.15em}
.note{max-width:60em}
"""


class Markup(str):
    """HTML written by this package: `cell` and `page` insert it unescaped."""


def cell(value):
    """`value` as HTML: escaped, unless it is `Markup`; floats with 4 digits."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, float):
        value = f"{value:.4f}"
    return html.escape(str(value), quote=True)


def attribute(value):
    """`value` escaped for a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def table(header, rows, classes=None):
    """An HTML table.

    Args:
        header: column names (escaped as cells).
        rows: lists of cells (`cell`).
        classes: optional class attribute of the table.
    """
    head = "".join(f"<th>{cell(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    kind = f' class="{attribute(classes)}"' if classes else ""
    return Markup(f"<table{kind}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def colours(names):
    """`{name: index}` of a colour class per name, in the order given (`colour_style`)."""
    return {name: i for i, name in enumerate(dict.fromkeys(names))}


def colour_style(count):
    """CSS classes `.c0`..`.c{count-1}`: a light background and a darker border each.

    Hues step by the golden angle (137.5 degrees), so that neighbouring indices, and
    any number of them, stay apart.
    """
    rules = []
    for i in range(count):
        hue = round(i * 137.508) % 360
        rules.append(f".c{i}{{background:hsl({hue} 80% 86%);border-color:hsl({hue} 55% 38%)}}")
    return "\n".join(rules)


def swatch(index):
    """A small square of colour class `index`."""
    return Markup(f'<span class="swatch c{index}"></span>')


def page(title, body, style=""):
    """A whole HTML document.

    Args:
        title: str, the page's title (escaped), also its first heading.
        body: str, the HTML of the body after the heading (`Markup`, not escaped).
        style: str, CSS added to the shared rules.
    """
    title = cell(title)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_STYLE}{style}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n{body}\n</body>\n</html>\n"
    )


def write_page(path, document):
    """Writes `document` to `path` (UTF-8, atomically); returns `path`."""
    atomic_write_text(path, document)
    return path
