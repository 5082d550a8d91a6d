"""Markdown pieces the reports share (numbers, tables) and a plain HTML rendering of them."""

from __future__ import annotations

import html
import math
import re


def fmt(v, spec: str = ".3g", scale: float = 1.0) -> str:
    """``v * scale`` formatted, or ``n/a`` for None and non-finite values."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return format(v * scale, spec)


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    """A markdown table."""
    header = [h.replace("|", "/") for h in header]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", "/") for c in r) + " |" for r in rows]
    return out + [""]


def to_html(md: str, title: str) -> str:
    """A small markdown subset (headings, tables, images, lists, paragraphs) as HTML."""

    def inline(text: str) -> str:
        text = html.escape(text)
        text = re.sub(r"!\[([^\]]*)\]\(([^)]+)\)", r'<img alt="\1" src="\2">', text)
        text = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", text)
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)

    out, rows, items = [], [], []

    def flush():
        if rows:
            out.append("<table>")
            for i, r in enumerate(rows):
                tag = "th" if i == 0 else "td"
                out.append("<tr>" + "".join(f"<{tag}>{inline(c)}</{tag}>" for c in r) + "</tr>")
            out.append("</table>")
            rows.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= {"-"} for c in cells):
                rows.append(cells)
            continue
        if line.startswith("- "):
            items.append(line[2:])
            continue
        flush()
        level = len(line) - len(line.lstrip("#"))
        if level and line[level : level + 1] == " ":
            out.append(f"<h{level}>{inline(line[level + 1 :])}</h{level}>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush()
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:"
        "collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n"
    )
