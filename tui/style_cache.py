"""The first screen's parsed styles, kept from one start to the next.

Textual parses every stylesheet a screen needs (the app's .tcss files and each widget
class's DEFAULT_CSS, 27 sources and about 130 rules on the Datasets screen) the first time
it is needed, at every start: about 10 ms before the first screen is complete. It keeps what
it parsed in the stylesheet's parse cache, keyed by the CSS text itself, where the text came
from, its rank and its scope. tunedeck saves that cache (pickled) once its first screen is
complete and puts it back when the app is made, so the next start parses only CSS that
changed since. Loading it takes about 1 ms.

The file is tied to what else shapes a parse: the CSS variables (the theme), the Python
version and the installed Textual (its parser's files). Anything else, or a file that cannot
be read, and the app parses as Textual always does; the cache is written again.

It uses Textual's private `Stylesheet._parse_cache` (an LRUCache); if a release reshapes it,
loading and saving step aside (tests/app/test_style_cache.py fails so it is noticed).
"""

from __future__ import annotations

import os
import pickle
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

from textual.css import parse as textual_css_parse
from textual.css import styles as textual_css_styles
from textual.css.stylesheet import Stylesheet

FORMAT = 1  # bump when what is saved changes shape
FILE_NAME = "styles.pickle"


def fingerprint(stylesheet: Stylesheet) -> str:
    """What the saved rules depend on besides the CSS text: variables, Python, Textual's parser."""
    parts = [str(FORMAT), sys.version]
    for module in (textual_css_parse, textual_css_styles):  # a Textual upgrade replaces these files
        path = getattr(module, "__file__", None) or ""
        with suppress(OSError):
            stat = os.stat(path)
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    parts.extend(f"{name}={value}" for name, value in sorted(stylesheet._variables.items()))
    return "\n".join(parts)


def _parse_cache(stylesheet: Stylesheet) -> Any | None:
    """Textual's cache of parsed CSS, if it is still what this module knows."""
    cache = getattr(stylesheet, "_parse_cache", None)
    needed = ("keys", "get", "set")
    return cache if all(callable(getattr(cache, name, None)) for name in needed) else None


def load(stylesheet: Stylesheet, directory: Path) -> frozenset:
    """Put the rules saved in `directory` into the stylesheet's parse cache; the sources loaded."""
    cache = _parse_cache(stylesheet)
    if cache is None:
        return frozenset()
    try:
        with open(directory / FILE_NAME, "rb") as file:
            saved = pickle.load(file)  # the user's own file, written by `save` (0600)
        if saved["fingerprint"] != fingerprint(stylesheet):
            return frozenset()
        entries = dict(saved["entries"])
    except Exception:  # noqa: BLE001 - missing, unreadable or from another version: parse as usual
        return frozenset()
    for key, rules in entries.items():
        cache.set(key, rules)
    return frozenset(entries)


def in_use(stylesheet: Stylesheet) -> dict:
    """The parsed sources the stylesheet holds now (what another version of a source left is not kept)."""
    cache = _parse_cache(stylesheet)
    if cache is None:
        return {}
    entries = {}
    for key in list(cache.keys()):
        if not (isinstance(key, tuple) and len(key) == 5):  # not the key this module knows: keep nothing
            return {}
        css, read_from, is_default, _rank, scope = key
        source = stylesheet.source.get(read_from)
        # A widget's DEFAULT_CSS is parsed once per rank it takes (its own class's, a subclass's).
        seen = (getattr(source, "content", None), getattr(source, "is_defaults", None), getattr(source, "scope", None))
        if seen == (css, is_default, scope):
            entries[key] = cache.get(key)
    return entries


def save(stylesheet: Stylesheet, directory: Path, loaded: frozenset) -> bool:
    """Write the sources in use to `directory` (atomically) unless `loaded` already had them all;
    whether the file was written."""
    entries = in_use(stylesheet)
    if not entries or set(entries) <= loaded:
        return False
    try:
        data = pickle.dumps({"fingerprint": fingerprint(stylesheet), "entries": list(entries.items())},
                            protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a rule Textual holds that cannot be pickled: no cache, the app goes on
        return False
    import tempfile

    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".styles-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, directory / FILE_NAME)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    return True
