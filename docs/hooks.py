"""MkDocs hook: publish files that live outside ``docs/`` where the pages link to them.

The benchmark chart stays where ``make bench`` writes it, ``benchmarks/results/latest.png``,
and ``docs/benchmarks.md`` links to it as ``../benchmarks/results/latest.png``, which is
right when the Markdown is read in the repository. The site gets a copy at
``benchmarks/results/latest.png`` and the link is rewritten to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ("benchmarks/results/latest.png",)


def on_files(files: Files, config: Any) -> Files:
    for path in OUTSIDE:
        files.append(
            File(
                path,
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    for path in OUTSIDE:
        markdown = markdown.replace(f"](../{path})", f"]({path})")
    return markdown
