"""``scrapy verify TREE [FILE ...]``: check a site tree, or some posts of it, against the post
contract; exit 0 only when clean."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot.verify import Tally, check_tree, default_jobs


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # no crawl: no reactor, no spider loader
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[-j N] TREE [FILE ...]"

    def short_desc(self) -> str:
        return "Check a site tree (_posts/, old_post/, category/) against the post contract"

    def long_desc(self) -> str:
        return (
            "Check a site tree (_posts/, old_post/, category/, or a bare posts folder) against "
            "the post contract and print each problem as PATH: PROBLEM, then one line: N files "
            "checked in T s (X ms/post, J workers), P problems in F files. With FILE arguments, "
            "only those posts are checked (each must be a .md file in the tree's _posts/ or "
            "old_post/, else that is its problem), and of the category pages only that the page "
            "of each given post's category exists and is titled with its tag: whether a page "
            "fits all its posts takes them all. Exit 0 only when there is no problem, 1 when "
            "there is one."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-j",
            "--jobs",
            type=int,
            metavar="N",
            help=f"worker processes checking posts (default: the CPUs available, {default_jobs()} "
            "here); trees of up to 1024 posts are checked without them",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give a site tree: scrapy verify TREE [FILE ...]")
        root = Path(args[0])
        if not root.is_dir():
            raise UsageError(f"{root} is not a folder")
        jobs = default_jobs() if opts.jobs is None else opts.jobs
        if jobs < 1:
            raise UsageError(f"-j {jobs}: give at least one worker")
        jobs = min(jobs, 4 * default_jobs())  # more workers than CPUs only cost their start-up
        started = time.perf_counter()
        tally = Tally()
        for problem in check_tree(root, args[1:] or None, jobs=jobs, tally=tally):
            # a file name that is not UTF-8 holds surrogates: shown escaped, never a crash
            print(str(problem).encode("utf-8", "backslashreplace").decode())  # noqa: T201
        took = time.perf_counter() - started
        per_post = 1000 * took / tally.posts if tally.posts else 0.0
        workers = f"{tally.workers} worker{'s' if tally.workers > 1 else ''}"
        print(  # noqa: T201
            f"{tally.checked} files checked in {took:.2f} s ({per_post:.2f} ms/post, {workers}), "
            f"{tally.problems} problems in {tally.files} files"
        )
        self.exitcode = 1 if tally.problems else 0
