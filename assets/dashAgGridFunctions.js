/* Functions the dashboard's tables (dash-ag-grid, hubplan/pages/_grid.py) call by name.
 *
 * hubNumber: a number with thousands separators and a fixed number of decimals (the decimals
 * its unit states, as in the CSV/XLSX downloads); text such as the suppression marker "*" is
 * shown as it is; a missing value is empty.
 * hubCompare: numbers in order, then text (such as "*"), missing values last, whatever the
 * direction of the sort.
 */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

dagfuncs.hubNumber = function (value, decimals) {
    if (value === null || value === undefined || value === "") {
        return "";
    }
    if (typeof value !== "number" || !isFinite(value)) {
        return String(value);
    }
    return value.toLocaleString("en-GB", {
        minimumFractionDigits: decimals,
        maximumFractionDigits: decimals,
    });
};

dagfuncs.hubCompare = function (a, b, nodeA, nodeB, isDescending) {
    var rank = function (v) {
        if (v === null || v === undefined || v === "") {
            return 2;
        }
        return typeof v === "number" ? 0 : 1;
    };
    var ra = rank(a);
    var rb = rank(b);
    if (ra !== rb) {
        // Missing values stay last in both directions.
        var diff = ra - rb;
        return isDescending ? -diff : diff;
    }
    if (ra === 0) {
        return a - b;
    }
    if (ra === 1) {
        return String(a).localeCompare(String(b), "en-GB", { numeric: true });
    }
    return 0;
};

/* Give every grid (AG Grid's role="grid"/"treegrid" element) the accessible name of the region
 * around it (hubplan/pages/_grid.py puts the table's name on that region as aria-label), so a
 * screen reader announces "Footprints compared by every indicator, grid" on entering it. */
(function () {
    var nameGrids = function () {
        var regions = document.querySelectorAll(".grid-region[aria-label]");
        for (var i = 0; i < regions.length; i++) {
            var grid = regions[i].querySelector("[role='grid'], [role='treegrid']");
            var label = regions[i].getAttribute("aria-label");
            if (grid && grid.getAttribute("aria-label") !== label) {
                grid.setAttribute("aria-label", label);
            }
        }
    };
    if (typeof MutationObserver === "undefined" || typeof document === "undefined") {
        return;
    }
    var start = function () {
        nameGrids();
        new MutationObserver(nameGrids).observe(document.body, { childList: true, subtree: true });
    };
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
