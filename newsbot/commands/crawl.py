"""``scrapy crawl``, holding the output tree's lock so that overlapping scheduled runs never both write."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from newsbot import config, stats, verdict
from newsbot.lock import TreeBusy, TreeLock
from newsbot.tree import SiteTree

logger = logging.getLogger(__name__)

EXIT_BUSY = verdict.EX_TEMPFAIL  # cron and CI read it as "try again later"
EXIT_CANTCREAT = verdict.EX_CANTCREAT  # the output tree cannot be written
EXIT_NO_VERDICT = verdict.EX_SOFTWARE  # the run ended without its end-of-run checks


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider; refuses to start while another run writes the same output tree"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        slips = config.problems(self.settings)
        if slips:
            for slip in slips:
                sys.stderr.write(f"newsbot: not starting: {slip}. Nothing was written.\n")
            self.exitcode = verdict.EX_NOINPUT
            return
        tree = SiteTree(Path(self.settings.get("NEWSBOT_OUTPUT_DIR")))
        lock = TreeLock(tree.root)
        try:
            problem = tree.unusable()
            if problem is None:
                lock.acquire()
                tree.probe()
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
            self._crawl(args, opts)
        finally:
            lock.release()

    def _crawl(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl SPIDER")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        # the verdict the monitors left in the stats (newsbot.verdict): 0, or a sysexits status
        values = crawler.stats.get_stats()
        if stats.VERDICT_EXIT_CODE not in values:  # a forced shutdown (a second SIGTERM)
            sys.stderr.write("newsbot: the run was stopped before its end: no verdict.\n")
            self.exitcode = EXIT_NO_VERDICT
            return
        self.exitcode = verdict.count(values, stats.VERDICT_EXIT_CODE)
