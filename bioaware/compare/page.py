"""The HTML page shell shared by the compare and deploy reports."""

from __future__ import annotations

import html

STYLE = ("body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
         "img{max-width:100%}")


def html_page(title: str, body: str) -> str:
    """A complete UTF-8 page: `title` (escaped here) in the head, `body` (HTML) as is."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")
