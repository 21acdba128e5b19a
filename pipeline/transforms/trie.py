"""One regular expression for many words, shaped as a trie (gazetteer and keyword matching)."""

from __future__ import annotations

import re
from collections.abc import Sequence


def trie_regex(words: Sequence[str]) -> str:
    """An alternation of `words` shaped as a trie, so matching is linear and longest-first."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return ("(?:" + body + ")?") if len(alts) == 1 else body + "?"
        return body

    return build(trie)
