"""``scrapy crawl``, holding the output tree's lock so that overlapping scheduled runs never both write."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl

from newsbot.lock import TreeBusy, TreeLock
from newsbot.tree import SiteTree

logger = logging.getLogger(__name__)

EXIT_BUSY = 75  # EX_TEMPFAIL: cron and CI read it as "try again later"
EXIT_CANTCREAT = 73  # EX_CANTCREAT: the output tree cannot be written


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider; refuses to start while another run writes the same output tree"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        tree = SiteTree(Path(self.settings.get("NEWSBOT_OUTPUT_DIR") or "output"))
        lock = TreeLock(tree.root)
        try:
            problem = tree.unusable()
            if problem is None:
                lock.acquire()
        except TreeBusy as exc:
            sys.stderr.write(f"newsbot: not starting: {exc}. Nothing was written.\n")
            self.exitcode = EXIT_BUSY
            return
        except OSError as exc:  # the tree cannot be created or opened (permissions, a file)
            problem = f"{tree.root}: {exc.strerror or exc}"
        if problem is not None:
            sys.stderr.write(f"newsbot: not starting: {problem}. Nothing was written.\n")
            self.exitcode = EXIT_CANTCREAT
            return
        try:
            super().run(args, opts)
        finally:
            lock.release()
