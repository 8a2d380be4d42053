"""Codes, dates, slugs, file writes and the exporter, table-driven."""

from __future__ import annotations

import io
import os

import pytest

from newsbot.codes import InvalidInput, parse_input
from newsbot.dates import format_post_date, parse_time
from newsbot.exporters import PostExporter
from newsbot.fileio import TEMP_PREFIX, write_atomic, write_if_changed
from newsbot.items import Article
from newsbot.slugs import slugify

CODE = "NW202202242288329527"


@pytest.mark.parametrize(
    "value",
    [
        CODE,
        CODE[2:],
        f"https://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode={CODE}",
        f"http://127.0.0.1:8080/html_News/NewsShare.html?infocode={CODE}",
        f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={CODE}&from=x",
        f"https://finance.eastmoney.com/a/{CODE[2:]}.html",
        f"http://finance.eastmoney.com/news/1350,{CODE[2:]}.html",
    ],
)
def test_every_form_gives_the_canonical_code(value):
    assert parse_input(value).code == CODE


@pytest.mark.parametrize(
    "value",
    [
        "",
        "NW123",
        "../../etc/passwd",
        "NW202202242288329527x",
        "ftp://h/html_News/NewsShare.html?infoCode=" + CODE,
        "https://h/html_News/NewsShare.html",
        "https://finance.eastmoney.com/a/123.html",
        "javascript:alert(1)",
    ],
)
def test_bad_inputs_are_refused(value):
    with pytest.raises(InvalidInput):
        parse_input(value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-02-24 22:20:26", "2022-02-24 22:20:26 +0800"),
        ("2022/02/24 22:20", "2022-02-24 22:20:00 +0800"),
        ("2022-02-24T14:20:26Z", "2022-02-24 22:20:26 +0800"),
        ("2022-02-24T22:20:26+08:00", "2022-02-24 22:20:26 +0800"),
        ("2026-08-19T17:30:05Z", "2026-08-20 01:30:05 +0800"),
        ("2026年8月19日 17:46", "2026-08-19 17:46:00 +0800"),
        (1645712426000, "2022-02-24 22:20:26 +0800"),
        ("/Date(1645712426000)/", "2022-02-24 22:20:26 +0800"),
    ],
)
def test_times_in_china_time(raw, expected):
    assert format_post_date(parse_time(raw)) == expected


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("中国日报网", "zhongguoribaowang"),
        ("界面新闻", "jiemianxinwen"),
        ("TechWeb", "techweb"),
        ("Techweb", "techweb"),
        ("证券时报·e公司", "zhengquanshibao-egongsi"),
        ("每日经济新闻（北京）", "meirijingjixinwen-beijing"),
    ],
)
def test_slugs(name, slug):
    assert slugify(name) == slug


def test_write_if_changed_leaves_mtime_and_no_temp(tmp_path):
    path = tmp_path / "a" / "post.md"
    assert write_if_changed(path, b"x")
    os.utime(path, ns=(1, 1))
    assert not write_if_changed(path, b"x")
    assert path.stat().st_mtime_ns == 1
    assert write_if_changed(path, b"y") and path.read_bytes() == b"y"
    assert oct(path.stat().st_mode & 0o444) == oct(0o444 & ~os.umask(os.umask(0)) & 0o444)
    assert [p.name for p in path.parent.iterdir()] == ["post.md"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "post.md"
    write_atomic(path, b"old")

    with pytest.raises(TypeError):
        write_atomic(path, object())  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def _article(**overrides):
    fields = dict(
        code=CODE,
        title="t",
        date=parse_time("2022-02-24 22:20:26"),
        source="中国日报网",
        slug="zhongguoribaowang",
        body="<p>b</p>",
        stocks=["1.600160"],
        summary="s",
    )
    fields.update(overrides)
    return Article(**fields)


@pytest.mark.parametrize(
    ("fields_to_export", "extra_keys"),
    [
        (None, ["stocks"]),
        (["code", "title", "date", "slug", "source", "body"], []),
        (
            ["code", "title", "date", "slug", "source", "body", "summary", "stocks"],
            ["summary", "stocks"],
        ),
    ],
)
def test_exporter_honours_fields_to_export(fields_to_export, extra_keys):
    out = io.BytesIO()
    exporter = PostExporter(
        out, share_url="http://s/{code}", site_url="//x", fields_to_export=fields_to_export
    )
    exporter.export_item(_article())
    front = out.getvalue().decode().split("---\n")[1]
    keys = [line.split(":")[0] for line in front.splitlines() if not line.startswith("-")]
    assert keys == ["layout", "title", "date", "categories", "tags", *extra_keys]
    assert "<http://s/NW202202242288329527>" in out.getvalue().decode()


def test_exporter_refuses_an_incomplete_item():
    with pytest.raises(ValueError, match="title"):
        PostExporter(io.BytesIO(), share_url="{code}", site_url="").export_item(_article(title=""))
