"""Read a dash-ag-grid table in a real browser (dash_duo): rows as lists of cell texts.

Each read is one script run in the page, so a grid redrawing meanwhile never leaves a stale
element behind.
"""

from __future__ import annotations

_ROWS = """
const [css, part, colId] = arguments;
const grid = document.querySelector(css);
if (!grid) { return null; }
const index = (row) => parseInt((row.getAttribute('row-index') || '0').replace(/\\D+/g, ''), 10) || 0;
const rows = [...grid.querySelectorAll(part + " [role='row']")].sort((a, b) => index(a) - index(b));
return rows.map((row) => {
  let cells = [...row.querySelectorAll("[role='gridcell']")];
  if (colId) { cells = cells.filter((c) => c.getAttribute('col-id') === colId); }
  cells.sort((a, b) => (+a.getAttribute('aria-colindex') || 0) - (+b.getAttribute('aria-colindex') || 0));
  return cells.map((c) => c.textContent.trim());
}).filter((cells) => cells.some((t) => t));
"""


def grid_rows(dash_duo, css: str, *, pinned: bool = False) -> list[list[str]]:
    """The cell texts of the rows drawn in the grid under ``css``, in row order.

    ``pinned`` reads the rows pinned under the grid (a borough total) instead.
    """
    part = ".ag-floating-bottom" if pinned else ".ag-center-cols-container"
    return dash_duo.driver.execute_script(_ROWS, css, part, None) or []


def grid_column(dash_duo, css: str, col_id: str) -> list[str]:
    """The texts of one column (by its field), in row order."""
    rows = dash_duo.driver.execute_script(_ROWS, css, ".ag-center-cols-container", col_id)
    return [r[0] for r in rows or [] if r]


def header_texts(dash_duo, css: str) -> list[str]:
    """The grid's column headings, left to right."""
    return dash_duo.driver.execute_script(
        "const g = document.querySelector(arguments[0]); if (!g) { return []; }"
        "const h = [...g.querySelectorAll('.ag-header-row-column .ag-header-cell')];"
        "h.sort((a, b) => (+a.getAttribute('aria-colindex')) - (+b.getAttribute('aria-colindex')));"
        "return h.map((c) => c.textContent.trim());",
        css,
    )
