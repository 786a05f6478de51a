"""Partial dependency audit from PyPI's project JSON, for machines where pip-audit cannot run.

pip-audit asks ``https://pypi.org/pypi/<name>/<version>/json`` (or OSV). Where only the
project endpoint ``https://pypi.org/pypi/<name>/json`` answers, it still lists the known
vulnerabilities of the project's *latest* release. So every installed distribution that is
at its latest release can be checked; the others are reported as not checked, never as safe.

    .venv/bin/python tools/audit_latest.py [--out FILE.md]

Exit code 0 when no checked package has a known vulnerability, 1 when one has, 2 when
nothing could be checked.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

INDEX = "https://pypi.org/pypi/{name}/json"


def installed() -> dict[str, str]:
    """Installed distributions (canonical name -> version), editable project excluded."""
    out = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or canonicalize_name(name) == "hubplan":
            continue
        out[canonicalize_name(name)] = dist.version
    return dict(sorted(out.items()))


def project_json(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(INDEX.format(name=name), timeout=30) as res:
            return json.loads(res.read())
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


def check(name: str, version: str) -> dict:
    """One package: ``status`` is ``checked``, ``not latest`` or ``no answer``."""
    data = project_json(name)
    if data is None:
        return {
            "name": name,
            "version": version,
            "status": "no answer",
            "latest": None,
            "vulns": [],
        }
    latest = data["info"]["version"]
    try:
        same = Version(version) == Version(latest)
    except InvalidVersion:
        same = version == latest
    if not same:
        return {
            "name": name,
            "version": version,
            "status": "not latest",
            "latest": latest,
            "vulns": [],
        }
    vulns = [v.get("id") for v in data.get("vulnerabilities") or [] if not v.get("withdrawn")]
    return {"name": name, "version": version, "status": "checked", "latest": latest, "vulns": vulns}


def report(rows: list[dict]) -> str:
    checked = [r for r in rows if r["status"] == "checked"]
    hit = [r for r in checked if r["vulns"]]
    lines = [
        f"Audit {datetime.now(UTC):%Y-%m-%d} of {len(rows)} installed distributions "
        "(PyPI project JSON: vulnerabilities of the latest release).",
        "",
        f"* checked (installed = latest release): {len(checked)}; with known vulnerabilities: {len(hit)}",
        f"* not checked, older than the latest release: {sum(r['status'] == 'not latest' for r in rows)}",
        f"* not checked, no answer from PyPI: {sum(r['status'] == 'no answer' for r in rows)}",
        "",
        "| package | installed | latest | status | vulnerabilities |",
        "|---|---|---|---|---|",
    ]
    order = {"checked": 1, "not latest": 2, "no answer": 3}
    for r in sorted(rows, key=lambda r: (not r["vulns"], order[r["status"]], r["name"])):
        lines.append(
            f"| {r['name']} | {r['version']} | {r['latest'] or '-'} | {r['status']} | "
            f"{', '.join(r['vulns']) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the report to this Markdown file")
    args = parser.parse_args(argv)
    packages = installed()
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = list(pool.map(lambda item: check(*item), packages.items()))
    text = report(rows)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    if not any(r["status"] == "checked" for r in rows):
        return 2
    return 1 if any(r["vulns"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
