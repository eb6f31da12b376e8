"""Literal-string substitution, the merge step SendGrid performs with `substitutions`.

Rendering produces one body per lesson with sentinel keys where a subscriber's merge
fields go; local backends (and previews) apply the same substitutions SendGrid would,
in one pass, so a value that happens to contain another key is never re-substituted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache


@lru_cache(maxsize=256)
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so a key that is a prefix of another never wins by accident.
    ordered = sorted(keys, key=len, reverse=True)
    return re.compile("|".join(re.escape(key) for key in ordered))


def substitute(template: str, substitutions: Mapping[str, str]) -> str:
    if not substitutions:
        return template
    pattern = _pattern(tuple(sorted(substitutions)))
    return pattern.sub(lambda match: substitutions[match.group(0)], template)
