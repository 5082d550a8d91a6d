"""Build hook: ship the repository's configs/ inside the package as armjac/_configs.

configs/ stays the one source of truth in the repository. A wheel gets a copy at
build time; an editable install reads configs/ in place (see armjac.configs.root).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONFIGS = Path(__file__).resolve().parent / "configs"


class BuildWithConfigs(build_py):
    """build_py that also copies configs/ to <build>/armjac/_configs."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's configs/ is read directly
        target = Path(self.build_lib) / "armjac" / "_configs"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(CONFIGS, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


# The licence is given here (pyproject: dynamic = ["license"]): a [project] licence
# table warns on setuptools >= 77, and its SPDX string is refused before 77; this
# form builds without a warning on both.
setup(cmdclass={"build_py": BuildWithConfigs}, license="MIT")
