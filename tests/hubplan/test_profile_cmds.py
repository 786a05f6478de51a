"""CLI: ``hubplan need-index``, ``add-indicator`` (see test_uploads) and profile exports."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pandas as pd
import pytest

from geo.build.places import open_place
from geo.place.bundle import read_place
from hubplan.cli.main import main
from tests.support.bundles import demo_copy


def read_csv_output(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), comment="#")


def test_need_index_preview_does_not_save(tmp_path, capsys):
    path = demo_copy(tmp_path)
    before = path.read_bytes()
    assert main(["need-index", str(path), "--preset", "children", "--keys"]) == 0
    out, err = capsys.readouterr()
    table = read_csv_output(out)
    assert list(table.columns) == ["footprint", "areas", "need_index", "rank"]
    fps = table[table["footprint"] != "All areas"]
    assert sorted(fps["rank"].astype(int)) == list(range(1, len(fps) + 1))
    top = fps.sort_values("need_index", ascending=False)["footprint"].iloc[0]
    assert int(fps.set_index("footprint").loc[top, "rank"]) == 1
    assert "synthetic demo data" in err and path.read_bytes() == before


def test_need_index_save_and_profile(tmp_path, capsys):
    path = demo_copy(tmp_path)
    out_csv = tmp_path / "ni.csv"
    args = [
        "need-index",
        str(path),
        "--weights",
        "idaci_score=2,school_readiness=1",
        "--method",
        "rank",
        "--key",
        "my_need",
        "--label",
        "My need",
        "--save",
        "--out",
        str(out_csv),
    ]
    assert main(args) == 0
    place = read_place(path)
    assert place.catalogue["my_need"].label == "My need"
    assert "Saved into" in (tmp_path / "ni.csv-metadata.json").read_text(encoding="utf-8")
    assert pd.read_csv(out_csv).columns[0] == place.footprint_label
    assert main(["profile", str(path), "--format", "csv", "--keys"]) == 0
    assert "my_need" in read_csv_output(capsys.readouterr().out).columns


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--weights", "nope=1"], "unknown indicator 'nope'"),
        (["--weights", "idaci_score"], "bad weight"),
        (["--preset", "children", "--key", "population"], "already exists"),
    ],
)
def test_need_index_bad_input(tmp_path, capsys, args, message):
    path = demo_copy(tmp_path)
    assert main(["need-index", str(path), *args, "--save"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_profile_csv_json_disclosure(capsys, tmp_path):
    out_csv = tmp_path / "profile.csv"
    argv = ["profile", "demo", "--format", "csv", "--suppress-below", "200", "--keys"]
    assert main([*argv, "--out", str(out_csv)]) == 0
    meta = (tmp_path / "profile.csv-metadata.json").read_text(encoding="utf-8")
    assert "Disclosure control: Looked after children" in meta and "suppression was applied" in meta
    assert "synthetic demo data" in meta.lower()
    table = pd.read_csv(out_csv)
    demo = open_place("demo")
    lac = demo.areas.groupby("footprint")["looked_after_children"].sum()
    for fp, v in lac.items():
        shown = table.set_index("footprint").loc[fp, "looked_after_children"]
        if v < 200:
            assert shown == "*"
    assert main(["profile", "demo", "--format", "json", "--round", "5"]) == 0
    payload = __import__("json").loads(capsys.readouterr().out)
    assert "rounded to the nearest 5" in payload["disclosure"]
    assert all(r["looked_after_children"] % 5 == 0 for r in payload["rows"])


def test_report_formats_need_footprint_and_out(capsys, tmp_path):
    assert main(["profile", "demo", "--format", "html", "--out", str(tmp_path / "r.html")]) == 2
    assert "give --footprint NAME" in capsys.readouterr().err
    fp = open_place("demo").footprint_names[0]
    assert main(["profile", "demo", "--format", "pdf", "--footprint", fp]) == 2
    assert "needs --out FILE.pdf" in capsys.readouterr().err
    assert (
        main(
            [
                "profile",
                "demo",
                "--format",
                "pdf",
                "--footprint",
                fp,
                "--out",
                str(tmp_path / "r.html"),
            ]
        )
        == 2
    )
    assert "unsupported extension '.html'" in capsys.readouterr().err
    assert (
        main(
            [
                "profile",
                "demo",
                "--format",
                "html",
                "--footprint",
                "Nowhere",
                "--out",
                str(tmp_path / "r.html"),
            ]
        )
        == 2
    )
    assert not list(tmp_path.iterdir())


def test_html_and_pdf_reports(tmp_path, capsys, monkeypatch):
    from layers import report

    demo = open_place("demo")
    assert len(demo.catalogue) >= 25  # the 3-page limit is for a footprint with 25 indicators
    fp = demo.footprint_names[0]
    html_path, pdf_path = tmp_path / "report.html", tmp_path / "report.pdf"
    assert (
        main(["profile", "demo", "--footprint", fp, "--format", "html", "--out", str(html_path)])
        == 0
    )
    text = html_path.read_text(encoding="utf-8")
    for line in demo.attribution_text().splitlines():
        assert line.replace("&", "&amp;") in text or line in text
    assert datetime.now(UTC).strftime("%d %B %Y") in text
    assert "Synthetic demo data" in text and "Disclosure control" in text
    assert text.count("data:image/svg+xml;base64,") == 1  # the map; bars are HTML/CSS
    assert f"<h1>{fp}</h1>" in text
    # The PDF is that HTML printed by headless Chromium: print the report just written ...
    pdf = report.html_to_pdf(text)
    assert pdf.startswith(b"%PDF")
    check_report_pdf(pdf, demo, fp)
    # ... and check the CLI route end to end (charts skipped here: rendered above already).
    monkeypatch.setattr(report, "report_charts", lambda place, profile: {})
    assert (
        main(["profile", "demo", "--footprint", fp, "--format", "pdf", "--out", str(pdf_path)]) == 0
    )
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.pdf"]


def check_report_pdf(pdf: bytes, place, footprint: str, *, max_pages: int = 3) -> None:
    """A4, at most ``max_pages``, nothing under 8 pt, running header and page numbers, and
    every heading on the same page as the first line after it (PyMuPDF reads the PDF)."""
    import pymupdf

    doc = pymupdf.open(stream=pdf, filetype="pdf")
    assert 1 <= doc.page_count <= max_pages
    spans = []
    for page in doc:
        assert (round(page.rect.width), round(page.rect.height)) == (595, 842)  # A4 in points
        text = page.get_text()
        assert f"Page {page.number + 1} of {doc.page_count}" in text
        assert footprint in text and place.name.split(" (")[0] in text  # running header
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    if span["text"].strip():
                        spans.append((page.number, span["size"], span["text"].strip()))
    smallest = min(size for _, size, _ in spans)
    assert smallest >= 8.0, [t for _, size, t in spans if size < 8.0][:5]
    for heading in ("How this area compares", "Counts", "Missing data and notes"):
        at = [i for i, (_, _, t) in enumerate(spans) if t == heading]
        assert at, heading
        i = at[0]
        assert spans[i][0] == spans[i + 1][0], f"heading {heading!r} is stranded at a page end"


@pytest.mark.shared_data
def test_wigan_report_pdf_fits(wigan_dir, tmp_path):
    """The Wigan footprint with the most sites: still at most 3 A4 pages, nothing under 8 pt."""
    from geo.place.bundle import read_place
    from layers import report
    from tests.support.bundles import wigan_bundle

    place = read_place(wigan_bundle(wigan_dir, tmp_path))
    fp = place.sites.groupby("footprint").size().idxmax()
    text = report.profile_report_html(place, fp)
    assert "Ofsted inspection date" in text and "apportioned" in text
    check_report_pdf(report.html_to_pdf(text), place, fp)
