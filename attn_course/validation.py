"""Compatibility path for lesson 10, which imports ``attn_course.validation``.

Delete this file when lesson 10 imports ``attn_course.support.validation``.
"""

from attn_course.support.validation import *  # noqa: F403
from attn_course.support.validation import _inside_checked_call  # noqa: F401
