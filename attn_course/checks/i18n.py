"""The language of the checks' verdicts and hints: English, or Chinese on request.

Messages are marked for gettext: ``_("...")`` translates when the message is made,
``N_("...")`` only marks a module-level message, translated where it is printed.
The catalogues are ``locale/<language>/LC_MESSAGES/attn_course.po`` at the top of
the repository, compiled by ``make zh`` into the package's ``attn_course/locale``.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "attn_course"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
ENGLISH = ("en", "en_US", "C")

_translation: gettext.NullTranslations = gettext.NullTranslations()


def set_language(language: str) -> None:
    """Give every later verdict and hint in ``language`` ("en" or "zh_CN")."""
    global _translation
    if language in ENGLISH:
        _translation = gettext.NullTranslations()
        return
    try:
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])
    except FileNotFoundError:
        available = sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir())
        raise ValueError(
            f"no translation of the checks into {language!r}; available: en, "
            + ", ".join(available)
        ) from None


def _(message: str) -> str:
    """``message`` in the language set by :func:`set_language`."""
    return _translation.gettext(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for translation where it is printed (a module-level text)."""
    return message
