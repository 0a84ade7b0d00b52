"""catalog.compare (pure rows of attribute x build) and `pybs-tui compare` (headless)."""

from __future__ import annotations

import json

import humanize
import pytest

from pybs_tui.__main__ import main
from pybs_tui.catalog.compare import (
    column_label,
    comparison,
    describe_selection,
    format_size,
    host_platform,
    pick_builds,
    totals_line,
)
from pybs_tui.catalog.group import Host
from pybs_tui.catalog.names import parse_name, parse_version
from tests.ui import factory

LINUX = "x86_64-unknown-linux-gnu"


def test_columns_in_archive_kind_order_with_labels():
    picked = pick_builds(
        factory.builds(), version=parse_version("3.13.1"), platform="linux-x86_64-gnu"
    )
    assert [column_label(b) for b in picked] == [
        "install_only_stripped",
        "install_only",
        "pgo+lto full",
        "pgo full",
        "lto full",
        "noopt full",
        "debug full",
        "freethreaded install_only_stripped",
        "freethreaded install_only",
        "freethreaded+pgo+lto full",
        "freethreaded+debug full",
    ]


def test_rows_ratio_and_differences():
    builds = [b for b in factory.builds() if b.name.startswith("cpython-3.12.3+")]
    comp = comparison(builds)
    assert [r.attribute for r in comp.rows] == [
        "size",
        "ratio",
        "unpacked",
        "flags",
        "options",
        "flavor",
        "format",
        "release",
        "sha256",
        "uv pick",
    ]
    assert comp.smallest.flavor == "install_only_stripped"
    ratios = [c.text for c in comp.row("ratio").cells]
    assert ratios[0] == "x1.00" and all(r.startswith("x") for r in ratios)
    small = comp.smallest.size
    assert ratios[2] == f"x{round(comp.builds[2].size / small, 2):.2f}"
    assert comp.row("release").uniform  # one release: nothing highlighted
    fmt = comp.row("format").cells  # 2 tar.gz vs 2 tar.zst: the first value is the reference
    assert [c.differs for c in fmt] == [False, False, True, True]
    assert comp.row("sha256").cells[0].text == factory.fake_sha(comp.builds[0].name)[:12]
    assert comp.total == sum(b.size for b in builds) and comp.unknown == 0


def test_unknown_sizes_count_and_note():
    builds = [b for b in factory.builds(sizes=False) if b.name.startswith("cpython-3.12.3+")]
    comp = comparison(builds)
    assert comp.unknown == 4 and comp.total == 0 and comp.smallest is None
    assert {c.text for c in comp.row("size").cells} == {"?"}
    assert {c.text for c in comp.row("ratio").cells} == {"?"}
    assert comp.notes
    line = totals_line(comp, 10**9, "/data")
    # no total is summed or called a fit while any size is unknown
    assert line == "4 archives: 4 sizes unknown, no total; free 1.0 GB on /data"
    assert comp.to_json(free=10**9)["total"] is None and comp.to_json(free=10**9)["fits"] is None


def test_totals_against_free_disk():
    builds = [b for b in factory.builds() if b.name.startswith("cpython-3.12.8+")]
    comp = comparison(builds)
    assert totals_line(comp, 1000).endswith("free 1.0 kB: NOT ALL FIT")
    assert totals_line(comp, 10**12).endswith(": all fit")
    assert "~" in totals_line(comp, None) and totals_line(comp, None).endswith("unknown")
    assert comp.to_json(free=1000)["fits"] is False


def test_pick_prefers_the_release_with_most_archives_and_the_host_platform():
    names = [
        f"cpython-3.12.3+20240415-{LINUX}-{t}"
        for t in ("install_only.tar.gz", "pgo+lto-full.tar.zst", "debug-full.tar.zst")
    ]
    names += [
        f"cpython-3.12.3+20240501-{LINUX}-install_only_stripped.tar.gz",
        "cpython-3.12.3+20240501-aarch64-apple-darwin-install_only.tar.gz",
    ]
    builds = [parse_name(n) for n in names]
    picked = pick_builds(builds, host=Host("linux", "x86_64", "gnu", 3))
    assert {b.release for b in picked} == {"20240415"} and len(picked) == 3
    assert host_platform(builds, Host("darwin", "aarch64", "none")) == "darwin-aarch64-none"
    assert host_platform(builds, None) == "linux-x86_64-gnu"  # the most common
    assert describe_selection(picked) == "3.12.3 · linux-x86_64-gnu · 20240415"


def test_format_size_matches_humanize():
    for n in (1, 999, 1000, 1500, 24_400_000, 1_234_567_890, 5 * 10**12):
        assert format_size(n) == humanize.naturalsize(n)
    assert format_size(None) == "?"


# -- the headless command ------------------------------------------------------------------


@pytest.fixture
def catalog_file(tmp_path):
    path = tmp_path / "api.json"
    tags = sorted({n.split("+")[1][:8] for n in factory.NAMES})
    releases = [
        json.loads(factory.api_release_json(t, [n for n in factory.NAMES if f"+{t}-" in n]))
        for t in tags
    ]
    path.write_text(json.dumps(releases))
    return path


def test_cli_compare_table(capsys, catalog_file):
    code = main(
        [
            "compare",
            "3.12",
            "--os",
            "linux",
            "--arch",
            "x86_64",
            "--libc",
            "gnu",
            "--catalog",
            str(catalog_file),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "3.12.8 · linux-x86_64-gnu · 20241206"
    assert lines[1].split() == [
        "install_only_stripped",
        "install_only",
        "pgo+lto",
        "full",
        "debug",
        "full",
    ]
    assert any(line.startswith("ratio") and "x1.00" in line for line in lines)
    assert "4 archives:" in out and "all fit" in out


def test_cli_compare_json_and_variant(capsys, catalog_file):
    code = main(
        [
            "compare",
            "3.13t",
            "--os",
            "linux",
            "--arch",
            "amd64",
            "--libc",
            "gnu",
            "--catalog",
            str(catalog_file),
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["selection"] == "3.13.1 · linux-x86_64-gnu · 20241206"
    assert [c["label"] for c in data["columns"]] == [
        "freethreaded install_only_stripped",
        "freethreaded install_only",
        "freethreaded+pgo+lto full",
    ]
    first = data["columns"][0]
    assert first["ratio"] == 1.0
    assert first["flags"]["Py_GIL_DISABLED"] is True and first["flags"]["stripped"] is True
    assert first["flags"]["PGO"] is True  # inferred from the release's free-threaded pgo+lto build
    assert first["flags_source"]["PGO"].startswith("inferred")
    assert first["sha256"] == factory.fake_sha(first["name"])
    assert data["total"] == sum(c["size"] for c in data["columns"])


def test_cli_compare_errors_are_one_line(capsys, catalog_file):
    assert (
        main(
            [
                "compare",
                "3.99",
                "--os",
                "linux",
                "--arch",
                "x86_64",
                "--libc",
                "gnu",
                "--catalog",
                str(catalog_file),
            ]
        )
        == 2
    )
    assert "no archives of 3.99" in capsys.readouterr().err
    assert main(["compare", "nope", "--catalog", str(catalog_file)]) == 2
    assert "invalid version request" in capsys.readouterr().err
