"""``scrapy verify PATH``: check a site tree against the post contract; exit 0 only when clean."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot.verify import verify_tree


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "PATH"

    def short_desc(self) -> str:
        return "Check a site tree (_posts/, old_post/, category/) against the post contract"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one site tree: scrapy verify PATH")
        root = Path(args[0])
        if not root.is_dir():
            raise UsageError(f"{root} is not a folder")
        problems, checked = verify_tree(root)
        for problem in problems:
            # a file name that is not UTF-8 holds surrogates: shown escaped, never a crash
            print(str(problem).encode("utf-8", "backslashreplace").decode())  # noqa: T201
        files = {p.path for p in problems}
        print(f"{checked} files checked, {len(problems)} problems in {len(files)} files")  # noqa: T201
        self.exitcode = 1 if problems else 0
