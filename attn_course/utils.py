"""Compatibility path for lesson 10, which imports ``attn_course.utils``.

Delete this file when lesson 10 imports ``attn_course.support.utils``.
"""

from attn_course.support.utils import add_to_class

__all__ = ["add_to_class"]
