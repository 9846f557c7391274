"""Text from outside, made safe to keep: one line, valid UTF-8, no credentials, bounded
(`short()` is the edge every detail, vendor title and error message passes)."""

from __future__ import annotations

import re

from monitors.vocabulary import DETAIL_MAX

_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]{0,31}://)[^/\s:@]+(:[^/\s@]*)?@")
_SHORT_SCAN = 1 << 16  # characters of a (possibly huge) value looked at


def short(value: object, limit: int = DETAIL_MAX) -> str:
    """A one-line, credential-free text of at most `limit` characters for `detail`.

    This is the edge for outside text: the result is always valid UTF-8 (lone surrogates,
    e.g. from a JSON "\\ud800" escape, become U+FFFD), and the work is linear in its size.
    """
    text = (
        str(value)
        if not isinstance(value, BaseException)
        else (f"{type(value).__name__}: {value}" if str(value) else type(value).__name__)
    )
    text = " ".join(text[: max(_SHORT_SCAN, 2 * limit)].split())
    if not text.isascii():  # a UTF-16 round trip joins surrogate pairs, replaces lone ones
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _CREDENTIALS.sub(r"\1***@", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
