"""The lessons are the one source of the taught code: `make sync` must change nothing."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import sync  # noqa: E402


def test_package_matches_what_the_lessons_export():
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "sync.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_add_to_class_methods_land_in_the_class_body(tmp_path):
    cells = [
        "import torch\nfrom attn_course.support.utils import add_to_class\n\n"
        'class Doubler:\n    """Doubles."""\n\n    def __init__(self):\n        self.k = 2\n',
        '@add_to_class(Doubler)\ndef forward(self, x):\n    """(n,) -> (n,)."""\n'
        "    return self.k * torch.as_tensor(x)  # (n,)\n",
    ]
    lesson = REPO_ROOT / "notebooks" / "99_example.ipynb"
    text = sync.tidy(sync.render("example", lesson, "Example", cells))
    assert text.startswith(sync.HEADER.format(lesson="notebooks/99_example.ipynb"))
    assert "add_to_class" not in text
    namespace: dict = {}
    exec(compile(text, "example.py", "exec"), namespace)
    assert namespace["Doubler"]().forward([1, 2]).tolist() == [2, 4]
    assert "forward" in namespace["Doubler"].__dict__


def _cell(source: str, *tags: str) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)}}


def test_save_target_reads_the_module_name_from_the_tag():
    assert sync.save_target(_cell("x = 1", "save:masking")) == "masking"
    assert sync.save_target(_cell("x = 1", "hide-input")) is None
    assert sync.save_target({"cell_type": "markdown", "source": "", "metadata": {}}) is None


def test_a_tag_without_a_module_name_is_an_error():
    for tag in ("save:", "save:attn_course.masking"):
        try:
            sync.save_target(_cell("def f(): pass", tag))
        except SystemExit as error:
            assert "save:MODULE" in str(error)
        else:
            raise AssertionError(f"accepted the tag {tag!r}")
