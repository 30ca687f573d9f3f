"""The HTML page shell shared by the compare and deploy reports."""

from __future__ import annotations

import html

STYLE = ("body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
         "img{max-width:100%}")


def html_page(title: str, body: str) -> str:
    """A complete UTF-8 page: `title` (escaped here) in the head, `body` (HTML) as is."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")


def html_table(header: list[str], rows: list[list[str]]) -> str:
    """A table with one header row; header and cells are HTML as given (escape text before)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
