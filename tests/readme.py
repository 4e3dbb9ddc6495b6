"""The README's code blocks, read as data, so that tests can run every example it shows."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE_URL = "http://127.0.0.1:8000"  # the address the examples assume; tests put a live server's there

_FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>\w*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int  # where it starts in README.md, for messages

    def at(self, url: str) -> str:
        """The block with the example address replaced by ``url``."""
        return self.text.replace(EXAMPLE_URL, url)


def blocks() -> list[Block]:
    source = README.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(source):
        indent = match.group("indent")
        body = textwrap.dedent(match.group("body")) if indent else match.group("body")
        found.append(Block(match.group("lang"), body, source.count("\n", 0, match.start()) + 1))
    return found


def block_with(lang: str, needle: str) -> Block:
    """The one block of ``lang`` that contains ``needle``."""
    matching = [b for b in blocks() if b.lang == lang and needle in b.text]
    assert len(matching) == 1, f"README.md: {len(matching)} {lang or 'plain'} blocks contain {needle!r}"
    return matching[0]
