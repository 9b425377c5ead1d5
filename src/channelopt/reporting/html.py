"""Self-contained HTML: figures as inline SVG, tables, one small inline stylesheet.

The page needs no network and no other file to be viewed: no external CSS,
JavaScript, fonts or images. Matplotlib writes text as SVG paths (the default
``svg.fonttype="path"``), so the figures look the same without the fonts
installed. Each figure's SVG element ids get a unique prefix so several
figures can live in one document without clashing ids.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from ._format import flatten_columns, format_cell

__all__ = ["HtmlPage", "figure_svg", "frame_html"]

_CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --accent: #0072B2; --bg: #ffffff;
        --soft: #f6f8fa; --bad: #b42318; --good: #067647; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; line-height: 1.5; }
main { max-width: 1040px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 1.5rem; padding-bottom: .75rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2.5rem 0 .5rem; padding-top: .5rem;
     border-top: 1px solid var(--line); }
h3 { font-size: 1.02rem; margin: 1.5rem 0 .4rem; }
p { margin: .4rem 0 .8rem; }
.meta, .note, figcaption { color: var(--muted); font-size: .86rem; }
nav ol { columns: 2; margin: .5rem 0 0; padding-left: 1.2rem; font-size: .92rem; }
nav a, a { color: var(--accent); text-decoration: none; }
nav a:hover, a:hover { text-decoration: underline; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: .75rem;
         margin: 1rem 0; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 8px;
        padding: .6rem .8rem; }
.card .label { color: var(--muted); font-size: .78rem; text-transform: uppercase;
               letter-spacing: .03em; }
.card .value { font-size: 1.12rem; font-weight: 600; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 1.5rem; }
figure svg { width: 100%; height: auto; display: block; }
/* Tables never scroll sideways: text wraps, wide tables are split by columns. */
.table-wrap { margin: .5rem 0 1.2rem; max-width: 100%; }
table { border-collapse: collapse; font-size: .82rem; font-variant-numeric: tabular-nums;
        min-width: 50%; max-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { padding: .28rem .5rem; border-bottom: 1px solid var(--line); white-space: normal;
         overflow-wrap: break-word; vertical-align: top; }
td.num { white-space: nowrap; }
td.wide { min-width: 14em; }
th { text-align: left; background: var(--soft); font-weight: 600; overflow-wrap: normal; }
td.num, th.num { text-align: right; }
p.cont { color: var(--muted); font-size: .8rem; margin: -.8rem 0 .4rem; }
.decision { border: 2px solid var(--accent); border-radius: 10px; padding: .6rem 1rem;
            margin: .5rem 0 1rem; background: #f3f8fc; }
.decision p.lead { font-size: 1.08rem; font-weight: 500; margin: .2rem 0 .4rem; }
tbody tr:hover { background: #fafbfc; }
.ok { color: var(--good); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
ul.problems { color: var(--bad); }
.notes { border-left: 4px solid var(--bad); background: #fef3f2; padding: .4rem 1rem;
         margin: 1rem 0; border-radius: 0 6px 6px 0; }
.notes strong { color: var(--bad); }
.notes ul { margin: .3rem 0; padding-left: 1.2rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem;
         border-top: 1px solid var(--line); padding-top: .75rem; }
@media print { main { max-width: none; } figure { break-inside: avoid; } }
"""

_XML_HEADER = re.compile(r"<\?xml[^>]*>\s*|<!DOCTYPE[^>]*>\s*", re.IGNORECASE)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'(xlink:href|href)="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_SIZE = re.compile(r'^(<svg\b[^>]*?)\s(width|height)="[^"]*"', re.DOTALL)


def figure_svg(fig: Figure, prefix: str) -> str:
    """The figure as an inline ``<svg>`` element with ids made unique by ``prefix``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to render.
    prefix : str
        Prepended to every element id (and every reference to it), e.g. ``"f3-"``.

    Returns
    -------
    str
        An ``<svg>`` element without XML header, DOCTYPE or RDF metadata (which
        carry URLs), scaled to the page width by CSS, its ``viewBox`` kept.
    """
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, facecolor="white")
    text = _XML_HEADER.sub("", buf.getvalue())
    text = _METADATA.sub("", text)
    text = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = _HREF.sub(lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', text)
    text = _URL.sub(lambda m: f"url(#{prefix}{m.group(1)})", text)
    for _ in range(2):  # width and height; the viewBox keeps the aspect ratio
        text = _SIZE.sub(r"\1", text, count=1)
    title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if title:
        text = text.replace(
            "<svg ", f'<svg role="img" aria-label="{html.escape(title, quote=True)}" ', 1
        )
    return text.strip()


def frame_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    index: bool | None = None,
    max_rows: int = 200,
    labels: dict[str, str] | None = None,
    max_columns: int = 10,
) -> str:
    """A DataFrame as an escaped HTML table with readable numbers.

    Fractions are shown as percentages (by column name), money and counts
    with thousands separators; numeric columns are right-aligned. The index
    is shown when it has a name (``index=None``) or when asked. A table with
    more than ``max_columns`` columns is split into several tables that each
    repeat the first column, so that no column hides behind a scrollbar.
    """
    data = frame
    show_index = index if index is not None else any(n is not None for n in frame.index.names)
    if show_index:
        data = frame.reset_index()
    if data.shape[1] > max_columns >= 2:
        first, rest = data.columns[:1], list(data.columns[1:])
        step = max_columns - 1
        parts = []
        for i in range(0, len(rest), step):
            chunk = data[[*first, *rest[i : i + step]]]
            part_caption = caption if i == 0 else None
            html_part = frame_html(
                chunk,
                caption=part_caption,
                index=False,
                max_rows=max_rows,
                labels=labels,
                max_columns=max_columns,
            )
            if i:
                html_part = (
                    f'<p class="cont">{html.escape(caption or "table")} (continued)</p>' + html_part
                )
            parts.append(html_part)
        return "".join(parts)
    columns = flatten_columns(data.columns)
    labels = labels or {}
    numeric = [pd.api.types.is_numeric_dtype(data[c]) and data[c].dtype != bool for c in data]
    # Long free text (effects, error messages) may wrap; everything else stays on one line.
    shown = data.head(max_rows)
    wide = [
        not is_num and shown[c].astype(str).str.len().max() > 40 if len(shown) else False
        for c, is_num in zip(data.columns, numeric, strict=True)
    ]
    out = ['<div class="table-wrap"><table>']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>")
    for name, is_num in zip(columns, numeric, strict=True):
        label = labels.get(name, name.replace("_", " "))
        out.append(f'<th class="{"num" if is_num else ""}">{html.escape(label)}</th>')
    out.append("</tr></thead><tbody>")
    for row in shown.itertuples(index=False):
        out.append("<tr>")
        for value, name, is_num, is_wide in zip(row, columns, numeric, wide, strict=True):
            cls = ' class="num"' if is_num else (' class="wide"' if is_wide else "")
            out.append(f"<td{cls}>{html.escape(format_cell(value, name))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if len(data) > max_rows:
        out.append(f'<p class="note">{len(data) - max_rows} more rows not shown.</p>')
    out.append("</div>")
    return "".join(out)


@dataclass
class HtmlPage:
    """A report page built section by section; :meth:`render` returns the document."""

    title: str
    subtitle: str = ""
    parts: list[str] = field(default_factory=list)
    toc: list[tuple[str, str]] = field(default_factory=list)
    footer: str = ""
    _figures: int = 0
    #: Parts shown before the table of contents (the decision); None: contents first.
    nav_after: int | None = None

    def end_lead(self) -> None:
        """The parts so far come before the table of contents (the decision)."""
        self.nav_after = len(self.parts)

    def section(self, title: str, anchor: str) -> None:
        """Start a section (listed in the table of contents)."""
        self.toc.append((anchor, title))
        self.parts.append(f'<h2 id="{html.escape(anchor)}">{html.escape(title)}</h2>')

    def heading(self, text: str) -> None:
        """A sub-heading inside a section."""
        self.parts.append(f"<h3>{html.escape(text)}</h3>")

    def paragraph(self, text: str, *, cls: str | None = None) -> None:
        """A paragraph of plain text (escaped)."""
        attr = f' class="{cls}"' if cls else ""
        self.parts.append(f"<p{attr}>{html.escape(text)}</p>")

    def raw(self, markup: str) -> None:
        """Trusted markup built by this package."""
        self.parts.append(markup)

    def cards(self, items: Sequence[tuple[str, str]]) -> None:
        """A row of key figures (label, value)."""
        cells = "".join(
            f'<div class="card"><div class="label">{html.escape(k)}</div>'
            f'<div class="value">{html.escape(v)}</div></div>'
            for k, v in items
        )
        self.parts.append(f'<div class="cards">{cells}</div>')

    def figure(self, fig: Figure, caption: str = "") -> None:
        """Inline a figure as SVG, with an optional caption."""
        self._figures += 1
        svg = figure_svg(fig, prefix=f"f{self._figures}-")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.parts.append(f'<figure class="chart">{svg}{cap}</figure>')

    def table(self, frame: pd.DataFrame, caption: str | None = None, **kwargs: object) -> None:
        """A table (see :func:`frame_html`)."""
        self.parts.append(frame_html(frame, caption=caption, **kwargs))  # type: ignore[arg-type]

    def notes(self, title: str, items: Sequence[str]) -> None:
        """A highlighted box: a bold title and a list (e.g. why no plan was found)."""
        if items:
            lis = "".join(f"<li>{html.escape(s)}</li>" for s in items)
            self.parts.append(
                f'<div class="notes" role="note"><strong>{html.escape(title)}</strong>'
                f"<ul>{lis}</ul></div>"
            )

    def problems(self, items: Sequence[str]) -> None:
        """A list of problems (violations, failed steps) in the warning colour."""
        if items:
            lis = "".join(f"<li>{html.escape(s)}</li>" for s in items)
            self.parts.append(f'<ul class="problems">{lis}</ul>')

    def render(self) -> str:
        """The complete HTML document."""
        nav = ""
        if self.toc:
            items = "".join(
                f'<li><a href="#{html.escape(a)}">{html.escape(t)}</a></li>' for a, t in self.toc
            )
            nav = f'<nav aria-label="contents"><ol>{items}</ol></nav>'
        sub = f'<p class="meta">{html.escape(self.subtitle)}</p>' if self.subtitle else ""
        foot = f"<footer>{html.escape(self.footer)}</footer>" if self.footer else ""
        parts = list(self.parts)
        if self.nav_after is not None:
            parts.insert(self.nav_after, nav)
            nav = ""
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            f"<header><h1>{html.escape(self.title)}</h1>{sub}{nav}</header>\n"
            + "\n".join(parts)
            + f"\n{foot}\n</main>\n</body>\n</html>\n"
        )
