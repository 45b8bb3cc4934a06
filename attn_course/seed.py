"""Compatibility path for lesson 10, which imports ``attn_course.seed``.

Delete this file when lesson 10 imports ``attn_course.support.seed``.
"""

from attn_course.support.seed import set_seed

__all__ = ["set_seed"]
