"""A user's own indicator: a CSV keyed by area code, checked whole before anything is stored.

:func:`validate_upload` reads the file (UTF-8 with or without a byte-order mark, UTF-16 with
one, or Windows-1252 as Excel saves it), checks every row and raises one
:class:`UploadError` listing every problem with counts and examples: file too big or empty,
missing columns, unknown or duplicate area codes, non-numeric values, negative counts.
:func:`store_upload` then adds the indicator to the bundle atomically
(:func:`geo.place._edit.edit_place`), so it appears on the map, in profiles and in the CLI.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import DataError, InputError
from geo.place._edit import edit_place
from geo.place.config import DIRECTIONS, Indicator
from geo.place.model import Attribution, Place
from geo.place.readers import MAX_ABS_VALUE, parse_numbers, table_from_text, utf16_without_bom

MAX_BYTES = 5 * 1024 * 1024
UPLOAD_KINDS = ("count", "mean")
UPLOADS_TABLE = "uploads"
RESERVED_KEYS = frozenset({"name", "footprint", "geometry", "code", "areas", "fid"})
RESERVED_PREFIXES = ("sites_",)
EXAMPLES = 5


class UploadError(DataError):
    """An upload with one or more problems; ``problems`` lists them, one line each."""

    def __init__(self, problems: list[str], *, path: object | None = None) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s) in the upload, nothing was stored: "
        super().__init__(head + "; ".join(problems), path=path)


@dataclass(frozen=True)
class ValidUpload:
    """A checked upload ready to store: the indicator, its values by area code, notes."""

    indicator: Indicator
    values: pd.Series
    filename: str
    rows: int
    encoding: str
    notes: tuple[str, ...] = ()


def _examples(items: Sequence[object], n: int = EXAMPLES, *, quote: bool = True) -> str:
    shown = ", ".join(repr(x) if isinstance(x, str) and quote else str(x) for x in items[:n])
    return shown + (f", ... ({len(items) - n} more)" if len(items) > n else "")


def contents_bytes(contents: str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The file bytes of a browser upload (a ``data:...;base64,`` URL), checked for size first.

    The size is computed from the length of the base64 text, so an oversized file is refused
    before it is decoded or parsed; everything stays in memory (no temporary file).

    Raises
    ------
    UploadError
        If the upload is too big or is not a base64 data URL.
    """
    if not isinstance(contents, str) or "," not in contents:
        raise UploadError(["the upload is not a file (expected a base64 data URL)"])
    header, body = contents.split(",", 1)
    if not header.endswith(";base64"):
        raise UploadError(["the upload is not base64-encoded"])
    body = body.strip()
    size = len(body) * 3 // 4 - body[-2:].count("=")
    if size > max_bytes:
        raise UploadError(
            [f"the file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB"]
        )
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError(["the upload is not valid base64"]) from None


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: ``(text, encoding)``; raise for binary files such as workbooks."""
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UploadError(
            ["this looks like an Excel workbook, not a CSV file: save it as CSV (UTF-8) first"]
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors="strict"), "utf-8 (with BOM)"
        except UnicodeDecodeError as exc:
            raise UploadError(
                [
                    f"the file starts with a UTF-8 byte-order mark but is not UTF-8 (bad byte at position {exc.start + 3})"
                ]
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UploadError(
                [
                    f"the file starts with a UTF-16 byte-order mark but is not UTF-16 text (bad bytes at position {exc.start})"
                ]
            ) from None
    if b"\x00" in data[:4096]:
        wide = utf16_without_bom(data)
        if wide is not None:
            return wide, "utf-16 (no byte-order mark)"
        raise UploadError(["the file contains NUL bytes: it is not a CSV text file"])
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise UploadError(
            [f"the file is neither UTF-8 nor Windows-1252 text (bad byte at position {exc.start})"]
        ) from None


def check_metadata(
    indicator: Indicator, catalogue: dict[str, Indicator], *, replace_existing: bool = False
) -> list[str]:
    """Problems with the form's metadata (key, kind, direction, weight)."""
    problems = []
    key = indicator.key or ""
    if not key or not key.replace("_", "").isalnum() or not key.isascii() or key[0].isdigit():
        problems.append(
            f"key {key!r} must be plain ASCII letters, digits and '_' and not start with a digit"
        )
    elif key.lower() in RESERVED_KEYS:
        problems.append(f"key {key!r} is reserved; choose another")
    elif key.lower().startswith(RESERVED_PREFIXES):
        problems.append(
            f"key {key!r} would clash with the profile's site count columns (sites_*); "
            "choose another"
        )
    elif key in catalogue and not (
        replace_existing and catalogue[key].source.startswith("uploaded")
    ):
        problems.append(f"key {key!r} is already an indicator of this place; choose another key")
    if not indicator.label.strip():
        problems.append("label is empty")
    if indicator.kind not in UPLOAD_KINDS:
        problems.append(f"kind {indicator.kind!r}: uploads can be {' or '.join(UPLOAD_KINDS)}")
    if indicator.higher_is is not None and indicator.higher_is not in DIRECTIONS:
        problems.append(f"higher_is {indicator.higher_is!r} must be 'worse', 'better' or empty")
    if indicator.weight and indicator.weight not in catalogue:
        problems.append(f"weight {indicator.weight!r} is not an indicator of this place")
    if indicator.england is not None and not np.isfinite(indicator.england):
        problems.append("England value must be a number")
    return problems


def check_filename(filename: str) -> list[str]:
    """Problems with the uploaded file's name: browsers send a plain name, never a path.

    A name with a folder part (``../../evil.csv``, ``C:\\x.csv``), control characters or no
    name at all comes from a crafted request and is refused (the name is only recorded as the
    indicator's provenance, but it must never look like a path).
    """
    name = str(filename or "")
    if not name.strip():
        return ["the file has no name"]
    if len(name) > 255:
        return [f"the file name is {len(name)} characters long; the limit is 255"]
    if "/" in name or "\\" in name or name.strip() in (".", ".."):
        return [f"file name {name[:80]!r} contains a folder part; upload a plain file name"]
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return [f"file name {name[:80]!r} contains control characters"]
    return []


def validate_upload(
    place: Place,
    data: bytes,
    *,
    filename: str,
    code_column: str,
    value_column: str,
    indicator: Indicator,
    max_bytes: int = MAX_BYTES,
    replace_existing: bool = False,
    plain_filename: bool = True,
    unknown_codes: str = "warn",
) -> ValidUpload:
    """Check an uploaded CSV and its metadata against ``place``; raise :class:`UploadError`.

    Parameters
    ----------
    data
        The raw file bytes.
    code_column, value_column
        The column holding area codes and the one holding the values.
    indicator
        Metadata from the form (``key``, ``label``, ``kind``, ``unit``, ``higher_is``,
        ``sensitive``, ``source``, ``attribution``, ``vintage``, ``weight``, ``england``).
    plain_filename
        Refuse a ``filename`` with a folder part or control characters (see
        :func:`check_filename`): true for files from a browser; the CLI, which reads a local
        path the user typed, passes false.
    unknown_codes
        ``"warn"`` (default): rows whose code is not an area of the place are ignored and
        counted in the notes, as the build does; ``"error"``: they refuse the upload. A file
        in which no code matches is always refused.

    The file is read by the one table reader of the build
    (:func:`geo.place.readers.table_from_text`): delimiter and decimal mark detected, title
    rows skipped, blank rows ignored, ``"1,234"`` and ``"34%"`` read as numbers.
    """
    if unknown_codes not in ("warn", "error"):
        raise ValueError(f"unknown_codes must be 'warn' or 'error', not {unknown_codes!r}")
    problems = check_metadata(indicator, place.catalogue, replace_existing=replace_existing)
    if plain_filename:
        problems += check_filename(filename)
    if len(data) > max_bytes:
        problems.append(
            f"the file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB"
        )
        raise UploadError(problems, path=filename)
    if not data.strip():
        raise UploadError([*problems, "the file is empty"], path=filename)
    try:
        text, encoding = decode(data)
    except UploadError as exc:
        raise UploadError([*problems, *exc.problems], path=filename) from None
    try:
        frame = table_from_text(text, path=filename, dtype_str=[code_column, value_column])
    except InputError as exc:
        message = str(exc).removeprefix(f"{filename}: ")
        raise UploadError([*problems, message], path=filename) from None
    dupes = frame.attrs.get("duplicates", {})
    twice = [c for c in (code_column, value_column) if c in dupes]
    if twice:
        problems += [
            f"column {c!r} appears {len(dupes[c])} times (columns "
            f"{', '.join(map(str, dupes[c]))}); pick one by position, e.g. '{c}[1]'"
            for c in twice
        ]
        raise UploadError(problems, path=filename)
    missing = [c for c in (code_column, value_column) if c not in frame.columns]
    if missing:
        problems.append(
            f"column(s) {', '.join(map(repr, missing))} not found; the file has {_examples(list(frame.columns), 12)}"
        )
        raise UploadError(problems, path=filename)
    if not len(frame):
        raise UploadError([*problems, "the file has a header but no rows"], path=filename)

    line = pd.Series(frame.attrs["row_numbers"], index=frame.index)  # file row numbers
    codes = frame[code_column].astype("string").fillna("").str.strip()
    raw = frame[value_column].astype("string").fillna("").str.strip()
    blank_code = codes == ""
    if blank_code.any():
        problems.append(
            f"{int(blank_code.sum())} row(s) have no area code (lines {_examples(line[blank_code].tolist())})"
        )
    known = codes.isin(place.areas.index)
    unknown = ~known & ~blank_code
    notes: list[str] = []
    if unknown.any():
        listed = (
            f"{int(unknown.sum())} unknown area code(s), not areas of {place.name}: "
            f"{_examples(codes[unknown].drop_duplicates().tolist())}"
        )
        if unknown_codes == "error" or not (known & ~blank_code).any():
            problems.append(listed)
        else:  # real council extracts include out-of-borough rows, as the build allows
            notes.append(f"{listed} (rows ignored)")
    dup = codes.duplicated(keep=False) & ~blank_code
    if dup.any():
        dups = codes[dup].drop_duplicates().tolist()
        problems.append(f"{len(dups)} area code(s) appear more than once: {_examples(dups)}")
    values, bad, comma = parse_numbers(raw, decimal=frame.attrs.get("decimal", "."))
    if comma.any():
        examples = [f"line {ln}: {v!r}" for ln, v in zip(line[comma], raw[comma], strict=True)]
        problems.append(
            f"{int(comma.sum())} value(s) in {value_column!r} with a comma that is not a thousands "
            f"separator ({_examples(examples, quote=False)}); save the file with '.' decimals"
        )
    if bad.any():
        examples = [f"line {ln}: {v!r}" for ln, v in zip(line[bad], raw[bad], strict=True)]
        problems.append(
            f"{int(bad.sum())} non-numeric value(s) in {value_column!r} ({_examples(examples, quote=False)})"
        )
    if not bad.any() and not comma.any() and values[known].isna().all() and known.any():
        problems.append(f"no value in {value_column!r} is a number (all blank or suppressed)")
    huge = ~np.isfinite(values.fillna(0)) | (values.abs() > MAX_ABS_VALUE)
    if huge.any():
        examples = [f"line {ln}: {v!r}" for ln, v in zip(line[huge], raw[huge], strict=True)]
        problems.append(
            f"{int(huge.sum())} infinite or too large value(s) in {value_column!r} ({_examples(examples, quote=False)})"
        )
    if indicator.kind == "count":
        neg = (values < 0) & ~huge
        if neg.any():
            examples = [f"{c}: {v:g}" for c, v in zip(codes[neg], values[neg], strict=True)]
            problems.append(
                f"{int(neg.sum())} negative count(s) ({_examples(examples, quote=False)})"
            )
    if problems:  # say what else was found, so one round of fixes is enough
        raise UploadError(
            problems + [n.replace("(rows ignored)", "(rows would be ignored)") for n in notes],
            path=filename,
        )

    keep = known.to_numpy()
    series = pd.Series(values.to_numpy(dtype=float)[keep], index=codes.to_numpy()[keep]).reindex(
        place.areas.index
    )
    notes = [f"read as {encoding}", *notes]
    delimiter, decimal = frame.attrs.get("delimiter", ","), frame.attrs.get("decimal", ".")
    if delimiter != "," or decimal != ".":  # said as the build says it (reading_notes)
        shown = {"\t": "tab", ";": "';'", "|": "'|'"}.get(delimiter, repr(delimiter))
        notes.append(f"{shown}-separated with decimal mark {decimal!r}")
    if frame.attrs.get("title_rows"):
        notes.append(
            f"skipped {frame.attrs['title_rows']} row(s) above the header "
            f"(the header is row {frame.attrs['header_row']})"
        )
    no_value = int(series.isna().sum())
    if no_value:
        notes.append(f"{no_value} of {len(series)} areas have no value (left missing)")
    ind = replace(
        indicator,
        column=indicator.key,
        label=indicator.label.strip(),
        source=indicator.source.strip() or f"uploaded: {Path(filename).name}",
        vintage=indicator.vintage or datetime.now(UTC).date().isoformat(),
    )
    if not ind.source.startswith("uploaded"):
        ind = replace(ind, source=f"uploaded: {ind.source}")
    return ValidUpload(
        ind, series.rename(ind.key), Path(filename).name, len(frame), encoding, tuple(notes)
    )


def add_indicator(place: Place, upload: ValidUpload) -> Place:
    """Add a validated upload to ``place`` (a copy you own); also records provenance."""
    ind = upload.indicator
    place.areas[ind.key] = upload.values.reindex(place.areas.index).to_numpy(dtype=float)
    place.catalogue[ind.key] = ind
    if ind.attribution and ind.attribution not in {a.text for a in place.attributions}:
        place.attributions.append(Attribution(ind.source, ind.attribution))
    row = pd.DataFrame(
        [
            {
                "key": ind.key,
                "filename": upload.filename,
                "rows": upload.rows,
                "encoding": upload.encoding,
                "uploaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        ]
    )
    old = place.tables.get(UPLOADS_TABLE)
    if old is not None and len(old):
        old = pd.DataFrame(old)
        row = pd.concat([old[old["key"].astype(str) != ind.key], row], ignore_index=True)
    place.tables[UPLOADS_TABLE] = row
    return place


def store_upload(
    path: str | Path,
    data: bytes,
    *,
    filename: str,
    code_column: str,
    value_column: str,
    indicator: Indicator,
    max_bytes: int = MAX_BYTES,
    replace_existing: bool = False,
    plain_filename: bool = True,
    unknown_codes: str = "warn",
) -> tuple[Place, ValidUpload]:
    """Validate against the bundle at ``path`` and, only if the whole file is valid, store it.

    Returns the saved place and the upload (with its notes).
    """
    result: dict[str, ValidUpload] = {}

    def change(place: Place) -> Place:
        upload = validate_upload(
            place,
            data,
            filename=filename,
            code_column=code_column,
            value_column=value_column,
            indicator=indicator,
            max_bytes=max_bytes,
            unknown_codes=unknown_codes,
            replace_existing=replace_existing,
            plain_filename=plain_filename,
        )
        result["upload"] = upload
        return add_indicator(place, upload)

    place = edit_place(path, change, what=f"uploaded indicator {indicator.key}")
    return place, result["upload"]
