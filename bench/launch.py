"""Runs one command and writes what it cost: ``python -S bench/launch.py RESULT -- COMMAND...``.

Linux keeps the memory high-water mark of the image a process was exec'ed from (vfork included)
in its ``ru_maxrss``: a run started straight from the benchmark, which holds newsbot and a
snapshot of 200,000 files, would report the benchmark's size as its own. This launcher is a small
process (stdlib only, no site), so the peak its child reports is the child's. Exits with the
child's status.
"""

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    result, command = argv[1], argv[3:]  # argv[2] is "--"
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)  # not started: the status a shell gives
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    with open(result, "w") as handle:
        json.dump(
            {
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,  # with the children it waited for
                "maxrss_kb": usage.ru_maxrss,
                "exit_code": os.waitstatus_to_exitcode(status),
            },
            handle,
        )
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
