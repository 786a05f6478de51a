"""Read a dash-ag-grid table in a real browser (dash_duo): rows as lists of cell texts."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By


def _index(row) -> int:
    """A row's position: ``row-index`` is ``3`` for a body row, ``b-0`` for a pinned one."""
    match = re.search(r"\d+", row.get_attribute("row-index") or "")
    return int(match.group()) if match else 0


def grid_rows(dash_duo, css: str, *, pinned: bool = False) -> list[list[str]]:
    """The cell texts of the rows rendered in the grid under ``css``, in row order.

    ``pinned`` reads the rows pinned under the grid (a borough total) instead.
    """
    part = ".ag-floating-bottom" if pinned else ".ag-center-cols-container"
    rows = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"{css} {part} [role='row']")
    out = []
    for row in sorted(rows, key=_index):
        cells = row.find_elements(By.CSS_SELECTOR, "[role='gridcell']")
        cells = sorted(cells, key=lambda c: int(c.get_attribute("aria-colindex") or 0))
        texts = [c.text.strip() for c in cells]
        if any(texts):
            out.append(texts)
    return out


def grid_column(dash_duo, css: str, col_id: str) -> list[str]:
    """The texts of one column (by its field) in row order."""
    rows = dash_duo.driver.find_elements(
        By.CSS_SELECTOR, f"{css} .ag-center-cols-container [role='row']"
    )
    out = []
    for row in sorted(rows, key=_index):
        cells = row.find_elements(By.CSS_SELECTOR, f"[col-id='{col_id}']")
        if cells:
            out.append(cells[0].text.strip())
    return out


def header_texts(dash_duo, css: str) -> list[str]:
    """The grid's column headings, left to right."""
    cells = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"{css} .ag-header-cell")
    cells = sorted(cells, key=lambda c: int(c.get_attribute("aria-colindex") or 0))
    return [c.text.strip() for c in cells]
