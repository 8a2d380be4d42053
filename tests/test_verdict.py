"""The run's verdict, as a scheduler sees it: real crawls against a broken upstream, each failure
class alone and all at once, checking the files, the summary line, the stats and the exit status."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import CRAWL_ENV, PROJECT, crawl_command
from tests.test_listing_crawl import Upstream, article

SHELL = '{"code":0,"message":"Required String parameter \'req_trace\' is not present"}'


def summary(result) -> str:
    lines = [line for line in result.log.splitlines() if "newsbot run " in line]
    assert len(lines) == 1, result.log
    return lines[0]


def one_page(upstream: Path, count: int = 4) -> tuple[Upstream, list[dict]]:
    up = Upstream(upstream)
    items = [article(serial, 0) for serial in range(1, count + 1)]
    up.page("columns-350-1", items)
    return up, items


def fail_text(upstream: Path, item: dict, status: int) -> None:
    meta = upstream / "text" / f"NW{item['code']}.json.meta.json"
    meta.write_text(json.dumps({"status": status}))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_healthy_run_with_a_few_failed_articles_exits_0(crawl, upstream):
    _, items = one_page(upstream, 4)
    fail_text(upstream, items[0], 500)
    result = crawl("listing")
    assert result.returncode == 0, result.log
    line = summary(result)
    assert "new=3" in line and "errors=1 (upstream_error/http_500=1)" in line
    assert line.endswith("verdict=ok")
    assert (result.stats["newsbot/verdict/exit_code"], result.stats["newsbot/verdict/success"]) == (0, 1)
    assert "[Spidermon] RunMonitor/Most articles were fetched and written... OK" in result.log


@pytest.mark.parametrize(
    ("spider", "args", "why"),
    [
        ("share", ("urls=this-is-not-a-link,http://[::1",), "no valid input (2 invalid)"),
        ("share", (), "no input"),
        ("listing", ("pages=two",), "no valid input (1 invalid)"),
        ("listing", ("api=soap",), "no valid input (1 invalid)"),
        ("migrate", (), "no valid input (1 invalid)"),
        ("migrate", ("src=/nonexistent/old-site",), "no valid input (1 invalid)"),
    ],
)
def test_no_valid_input_is_64(crawl, spider, args, why):
    result = crawl(spider, *args)
    assert result.returncode == 64, result.log
    assert summary(result).endswith(f"verdict=failed ({why})")
    assert "Traceback" not in result.log
    assert not list(result.output.glob("_posts/*.md"))


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (SHELL, "no listing page could be read (error_shell=1)"),
        ("<html><body>访问过于频繁</body></html>", "no listing page could be read (not_json=1)"),
        ('{"code": 1, "data": {"list": []}}', "the listing named no article on any page"),
        ('{"code": 1, "data": {"list": [{"title": "no code"}]}}', "no listing entry could be read (1 unreadable)"),
    ],
)
def test_an_unreadable_listing_is_65(crawl, upstream, answer, why):
    (upstream / "listing").mkdir()
    (upstream / "listing" / "columns-350-1.json").write_text(answer)
    result = crawl("listing")
    assert result.returncode == 65, result.log
    assert summary(result).endswith(f"verdict=failed ({why})")
    if answer == SHELL:  # the shell's own words are in the log
        assert "Required String parameter 'req_trace' is not present" in result.log


def test_every_listing_page_failing_is_69(crawl, upstream):
    up, _ = one_page(upstream)
    (up.root / "listing" / "columns-350-1.json.meta.json").write_text('{"status": 503}')
    result = crawl("listing")
    assert result.returncode == 69, result.log
    assert summary(result).endswith("verdict=failed (every listing page failed (http_503=1))")


def test_a_host_that_refuses_connections_is_69(crawl):
    port = closed_port()
    result = crawl("listing", settings={"NEWSBOT_LISTING_URL": f"http://127.0.0.1:{port}/list"})
    assert result.returncode == 69, result.log
    assert summary(result).endswith("(every listing page failed (connection_refused=1))")


def test_most_articles_failing_is_69_and_the_threshold_is_a_setting(crawl, upstream, tmp_path):
    _, items = one_page(upstream, 4)
    for item in items[:3]:
        fail_text(upstream, item, 503)
    result = crawl("listing")
    assert result.returncode == 69, result.log
    assert summary(result).endswith("verdict=failed (3 of 4 articles failed (http_503=3))")
    assert len(result.posts()) == 1  # what could be written was
    fresh = tmp_path / "fresh"  # on the same tree the written one is unchanged, not fetched
    lenient = crawl("listing", output=fresh, settings={"NEWSBOT_MAX_FAILED_FRACTION": "0.8"})
    assert lenient.returncode == 0, lenient.log


def test_articles_answering_error_shells_are_65(crawl, upstream):
    _, items = one_page(upstream, 2)
    for item in items:
        (upstream / "text" / f"NW{item['code']}.json").write_text(SHELL)
    codes = ",".join("NW" + item["code"] for item in items)
    result = crawl("share", f"codes={codes}")
    assert result.returncode == 65, result.log
    assert summary(result).endswith("verdict=failed (2 of 2 articles failed (error_shell=2))")
    assert "Required String parameter 'req_trace' is not present" in result.log


def test_a_post_that_cannot_be_written_is_74_and_costs_only_itself(crawl, upstream, tmp_path):
    _, items = one_page(upstream, 3)
    first = crawl("listing")
    assert first.returncode == 0, first.log
    blocked = first.posts()["NW" + items[0]["code"]]
    blocked.unlink()
    blocked.mkdir()  # a folder where the post goes: the rename onto it fails
    result = crawl("listing")
    assert result.returncode == 74, result.log
    line = summary(result)
    assert "posts/failed=1" in line and line.endswith("(the tree could not be written (posts/failed=1))")
    assert f"NW{items[0]['code']}: post" in result.log and "not written" in result.log
    assert result.stats["item_dropped_reasons_count/PostNotWritten"] == 1


def test_a_pipeline_exception_costs_its_article_and_reaches_the_summary(crawl, upstream):
    _, items = one_page(upstream, 3)
    explode = {"ITEM_PIPELINES": json.dumps({
        "tests.plugins.ExplodeOn": 150, "newsbot.pipelines.clean.CleanBodyPipeline": 100,
        "newsbot.pipelines.normalize.NormalizePipeline": 200, "newsbot.pipelines.write.PostWriterPipeline": 800,
    }), "EXPLODE_ON": "NW" + items[1]["code"]}  # fmt: skip
    result = crawl("listing", settings=explode)
    assert result.returncode == 0, result.log
    line = summary(result)
    assert "item_error/RuntimeError=1" in line and "error_lines=" in line
    assert sorted(result.posts()) == sorted("NW" + item["code"] for item in (items[0], items[2]))


def test_every_failure_at_once(crawl, upstream):
    """An error shell, a 503 page, a page with an unreadable entry and good ones, an article
    answering 500, a pipeline bug: each costs its own unit, all are named, the run did its job."""
    up = Upstream(upstream)
    items = [article(serial, 0) for serial in range(1, 6)]
    up.page("columns-350-3", items)
    good = json.loads((upstream / "listing" / "columns-350-3.json").read_text())
    good["data"]["list"].append({"title": "no code", "url": "http://[::1"})
    (upstream / "listing" / "columns-350-3.json").write_text(json.dumps(good, ensure_ascii=False))
    (upstream / "listing" / "columns-350-1.json").write_text(SHELL)
    up.page("columns-350-2", [])
    (upstream / "listing" / "columns-350-2.json.meta.json").write_text('{"status": 503}')
    fail_text(upstream, items[0], 500)
    settings = {"ITEM_PIPELINES": json.dumps({
        "tests.plugins.ExplodeOn": 150, "newsbot.pipelines.clean.CleanBodyPipeline": 100,
        "newsbot.pipelines.normalize.NormalizePipeline": 200, "newsbot.pipelines.write.PostWriterPipeline": 800,
    }), "EXPLODE_ON": "NW" + items[1]["code"]}  # fmt: skip
    result = crawl("listing", "pages=3", "page_size=6", settings=settings)
    assert result.returncode == 0, result.log
    line = summary(result)
    for part in ("listing_error/error_shell=1", "listing_error/http_503=1", "upstream_error/http_500=1",
                 "item_error/RuntimeError=1", "new=3", "verdict=ok"):  # fmt: skip
        assert part in line, line
    assert result.stats["newsbot/listing/bad_entry"] == 1
    assert len(result.posts()) == 3


def test_spidermon_off_gives_the_same_verdict(crawl):
    result = crawl("share", "urls=not-a-link", settings={"SPIDERMON_ENABLED": "0"})
    assert result.returncode == 64, result.log
    assert "[Spidermon]" not in result.log
    assert summary(result).endswith("verdict=failed (no valid input (1 invalid))")


def test_a_notifier_runs_when_a_monitor_fails(crawl):
    """spidermon's Telegram notifier, on by its own settings; its FAKE mode logs the message."""
    telegram = {
        "SPIDERMON_TELEGRAM_SENDER_TOKEN": "123:test",
        "SPIDERMON_TELEGRAM_RECIPIENTS": "@newsbot-ops",
        "SPIDERMON_TELEGRAM_FAKE": "1",
        "SPIDERMON_TELEGRAM_NOTIFIER_INCLUDE_ERROR_MESSAGES": "1",
    }
    failed = crawl("share", "urls=not-a-link", settings=telegram)
    assert failed.returncode == 64
    assert "spider finished with errors!" in failed.log and "Some input was valid" in failed.log
    assert "SendTelegramMessageSpiderFinished... OK" in failed.log
    ok = crawl("share", "codes=NW202202242288329527", settings=telegram)
    assert ok.returncode == 0, ok.log
    assert "spider finished with errors!" not in ok.log


def test_the_stats_file_in_prometheus_format(crawl, upstream, tmp_path):
    _, items = one_page(upstream, 2)
    prom = tmp_path / "newsbot.prom"
    result = crawl("listing", settings={"NEWSBOT_STATS_FILE": str(prom)})
    assert result.returncode == 0, result.log
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    value = {name: family.samples[0].value for name, family in families.items()}
    assert value["newsbot_posts_new"] == 2 and value["newsbot_success"] == 1
    assert value["newsbot_verdict_exit_code"] == 0 and value["newsbot_end_time_seconds"] > 1.7e9
    assert value["newsbot_downloader_response_status_count_200"] == 3
    assert {s.labels["spider"] for f in families.values() for s in f.samples} == {"listing"}
    (upstream / "listing" / "columns-350-1.json").write_text(SHELL)
    failed = crawl("listing", settings={"NEWSBOT_STATS_FILE": str(prom)})
    assert failed.returncode == 65
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    assert families["newsbot_success"].samples[0].value == 0
    assert families["newsbot_verdict_exit_code"].samples[0].value == 65


# -- what an attack on the verdict found -------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("NEWSBOT_OUTPUT_DIR", "", "NEWSBOT_OUTPUT_DIR is empty"),  # an unset variable in a cron line
        ("NEWSBOT_TEXT_URL", "http://127.0.0.1:9/x?id={cod}", "only {code} and {id} may be filled in"),
        ("NEWSBOT_ARTICLE_URL", "127.0.0.1/a/{id}.html", "not an http(s) URL"),
        ("NEWSBOT_MAX_FAILED_FRACTION", "abc", "give a number from 0 to 1"),
    ],
)
def test_a_setting_slip_is_one_line_and_64(crawl, setting, value, said):
    result = crawl("share", "codes=NW202202242288329527", settings={setting: value})
    assert result.returncode == 64, result.log
    line = result.log.splitlines()[-1]  # after Scrapy's start-up lines, before any crawling
    assert line.startswith("newsbot: not starting: -s ") and said in line
    assert "Traceback" not in result.log and "Spider opened" not in result.log


def test_an_argument_named_like_a_method_is_refused(crawl):
    result = crawl("share", "start=1", "codes=NW202202242288329527")
    assert result.returncode == 64, result.log
    assert "-a start=...: not an argument of this spider" in result.log


def test_a_migrate_where_every_file_fails_is_65(crawl, tmp_path):
    src = tmp_path / "old" / "_posts"
    src.mkdir(parents=True)
    (src / "2022-02-24-NW202202242288329527.md").write_bytes(b"---\ntitle: a\x00\n---\n")
    (src / "2022-02-25-x.md").symlink_to("/etc/hostname")
    result = crawl("migrate", f"src={tmp_path / 'old'}")
    assert result.returncode == 65, result.log
    line = summary(result)
    assert "migrate/failed/symlink=1" in line and "migrate/failed/undecodable=1" in line
    assert line.endswith("verdict=failed (2 of 2 old files failed (symlink=1 undecodable=1))")


def test_a_listing_with_a_charset_that_is_no_text_is_still_read(crawl, upstream):
    up, items = one_page(upstream, 2)
    meta = {"headers": {"Content-Type": "application/json; charset=base64"}}
    (up.root / "listing" / "columns-350-1.json.meta.json").write_text(json.dumps(meta))
    result = crawl("listing")
    assert result.returncode == 0, result.log
    assert result.stats["newsbot/posts/new"] == 2


def test_a_nested_error_shell_says_its_message(crawl, upstream):
    (upstream / "listing").mkdir()
    shell = {"data": None, "error": {"code": 403, "message": "访问受限，请稍后再试"}}
    (upstream / "listing" / "columns-350-1.json").write_text(json.dumps(shell, ensure_ascii=False))
    result = crawl("listing")
    assert result.returncode == 65, result.log
    assert "访问受限，请稍后再试" in result.log


def test_a_notifier_setting_that_is_no_boolean_costs_only_the_notifier(crawl):
    result = crawl("share", "urls=not-a-link", settings={"SPIDERMON_SLACK_FAKE": "maybe"})
    assert result.returncode == 64, result.log
    assert "spidermon notifier SendSlackMessageSpiderFinished not enabled" in result.log
    assert summary(result).endswith("verdict=failed (no valid input (1 invalid))")


def test_a_forced_shutdown_has_no_verdict_and_says_so(crawl_settings, upstream):
    _, items = one_page(upstream, 6)
    for item in items:
        (upstream / "text" / f"NW{item['code']}.json.meta.json").write_text('{"delay": 3}')
    proc = subprocess.Popen(
        crawl_command("listing", (), crawl_settings(CONCURRENT_REQUESTS="2")),
        cwd=PROJECT, env=CRAWL_ENV, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(upstream.parent.glob("stats.json")):
        time.sleep(0.5)
        if proc.poll() is not None:
            break
        if time.monotonic() > deadline - 57:  # the answers take 3 s: the run is mid-way
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)  # a second one forces Scrapy's unclean shutdown
            break
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 70, err[-3000:]
    assert "newsbot: the run was stopped before its end: no verdict." in err
