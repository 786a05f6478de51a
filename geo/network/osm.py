"""Reading a road network source into node and edge tables (working CRS).

Supported ``[network] source`` values:

* an OpenStreetMap file: ``.osm`` / ``.xml`` (optionally ``.bz2``), read with
  :func:`osmnx.graph_from_xml` (offline); ``.osm.pbf`` is converted to XML with pyosmium first;
* ``.graphml`` (an osmnx graph saved with :func:`osmnx.save_graphml`);
* ``.gpkg`` with layers ``nodes`` (``osmid``, point geometry) and ``edges`` (``u``, ``v``,
  ``highway``, optional ``maxspeed``, ``oneway``, ``foot``, ``bicycle``, ``access``,
  LineString geometry), the layout of :func:`osmnx.save_graph_geopackage`;
* ``osm-online``: downloaded with :func:`osmnx.graph_from_polygon` for the place boundary
  plus a buffer, cached as GraphML under the cache folder.

Every problem is a :class:`~geo.errors.NetworkError` naming the file.
"""

from __future__ import annotations

import bz2
import hashlib
import tempfile
import warnings
from pathlib import Path
from xml.etree.ElementTree import ParseError

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import NetworkError
from geo.place.bundle import atomic_write
from geo.settings import cache_dir

EXTRA_WAY_TAGS = ("foot", "bicycle", "motor_vehicle", "motorcar")
RAW_COLUMNS = ("u", "v", "highway", "maxspeed", "oneway", "access", *EXTRA_WAY_TAGS)
ONLINE = "osm-online"
DEFAULT_ONLINE_BUFFER_M = 2_000.0


def source_kind(source: str) -> str:
    """``osm``, ``pbf``, ``graphml``, ``gpkg`` or ``online`` for a ``[network] source``."""
    if source == ONLINE:
        return "online"
    name = Path(source).name.lower()
    if name.endswith((".osm.pbf", ".pbf")):
        return "pbf"
    if name.endswith((".osm", ".osm.bz2", ".xml", ".xml.bz2")):
        return "osm"
    if name.endswith(".graphml"):
        return "graphml"
    if name.endswith(".gpkg"):
        return "gpkg"
    raise NetworkError(
        "unsupported network source (use .osm, .osm.bz2, .osm.pbf, .graphml, .gpkg, "
        "'osm-online' or 'crowfly')",
        path=source,
    )


def read_network(
    source: str,
    *,
    crs: str,
    boundary: BaseGeometry | None = None,
    options: dict | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Read a network source into ``(nodes, edges)`` in the working CRS.

    Parameters
    ----------
    source : str
        File path or ``"osm-online"``.
    crs : str
        Working CRS (projected, metres).
    boundary : shapely geometry, optional
        The place's boundary in the working CRS (needed for ``osm-online``).
    options : dict, optional
        ``[network]`` options: ``simplify`` (default true), ``buffer_m`` for downloads.

    Returns
    -------
    nodes : pandas.DataFrame
        ``node_id``, ``x``, ``y``.
    edges : geopandas.GeoDataFrame
        One row per street segment: ``u``, ``v``, ``highway``, ``maxspeed``, ``oneway`` and
        the access tags, ``length_m`` and a LineString from ``u`` to ``v``.
    """
    options = options or {}
    kind = source_kind(source)
    if kind != "online" and not Path(source).is_file():
        raise NetworkError("network file not found", path=source)
    if kind in ("osm", "pbf"):
        _check_osm_content(Path(source), kind=kind)
    if kind == "gpkg":
        return _from_gpkg(Path(source), crs=crs)
    if kind == "online":
        graph = _download(boundary, crs=crs, options=options)
    elif kind == "graphml":
        graph = _highways_only(_read_graphml(Path(source)), source)
    else:
        graph = _read_osm(Path(source), kind=kind, simplify=bool(options.get("simplify", True)))
    nodes, edges = graph_tables(graph, crs=crs, path=source)
    edges.attrs["clipped_ways"] = int(graph.graph.get("clipped_ways", 0))
    edges.attrs["clipped_pieces"] = int(graph.graph.get("clipped_pieces", 0))
    return nodes, edges


def _check_osm_content(path: Path, *, kind: str) -> None:
    """Refuse an OSM file whose bytes do not match its name (XML named .pbf, and so on)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    bz2_name = path.name.lower().endswith(".bz2")
    if kind == "pbf" and text.startswith(b"<"):
        raise NetworkError(
            "the file holds OpenStreetMap XML, not PBF: rename it to .osm", path=path
        )
    if kind == "osm" and b"OSMHeader" in head:
        raise NetworkError(
            "the file holds OpenStreetMap PBF, not XML: rename it to .osm.pbf", path=path
        )
    if kind == "osm" and bz2_name and head and not head.startswith(b"BZh"):
        raise NetworkError("the file is not bzip2-compressed: remove the .bz2 ending", path=path)


def _read_osm(
    path: Path, *, kind: str, simplify: bool, shown: Path | None = None
) -> nx.MultiDiGraph:
    """Read OSM XML (or PBF) with osmnx; errors name ``shown`` (the user's file)."""
    import osmnx as ox

    shown = shown or path
    if kind == "pbf":
        with tempfile.TemporaryDirectory(prefix="hubplan-pbf-") as tmp:
            xml = Path(tmp) / "network.osm"
            pbf_to_xml(path, xml)
            return _read_osm(xml, kind="osm", simplify=simplify, shown=shown)
    tags = list(dict.fromkeys([*ox.settings.useful_tags_way, *EXTRA_WAY_TAGS]))
    old = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = tags
    try:
        with tempfile.TemporaryDirectory(prefix="hubplan-osm-") as tmp:
            clean = Path(tmp) / "network.osm"
            clipped = clean_osm_xml(path, clean, shown=shown)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                graph = ox.graph_from_xml(
                    clean, bidirectional=False, simplify=False, retain_all=True
                )
    except NetworkError:
        raise
    except (ParseError, EOFError, OSError, UnicodeDecodeError) as exc:
        raise NetworkError(f"cannot read OpenStreetMap XML: {exc}", path=shown) from None
    except Exception as exc:  # osmnx raises assorted errors on odd files
        raise NetworkError(
            f"cannot read OpenStreetMap file: {type(exc).__name__}: {exc}", path=shown
        ) from None
    finally:
        ox.settings.useful_tags_way = old
    graph = _highways_only(graph, shown)
    if simplify and graph.number_of_edges():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = ox.simplify_graph(graph, edge_attrs_differ=["highway", "maxspeed", "oneway"])
    graph.graph["clipped_ways"] = clipped["ways_cut"]
    graph.graph["clipped_pieces"] = clipped["pieces"]
    return graph


def clean_osm_xml(path: Path, out: Path, *, shown: Path | None = None) -> dict[str, int]:
    """Check an OSM XML file's nodes and cut its ways to the nodes present; write ``out``.

    Extracts clipped at a bounding box have ways naming nodes outside the file. Each way is
    cut to the nodes present and split where a gap falls inside it (pieces get new negative
    ids); a way left with fewer than two nodes is dropped. Relations are dropped (not used).

    Raises
    ------
    NetworkError
        Naming ``shown``: unreadable XML, or a node whose coordinates are not numbers or lie
        outside ±90° latitude / ±180° longitude.

    Returns
    -------
    dict
        ``ways_cut`` (ways that named missing nodes), ``pieces`` (ways written for them) and
        ``ways_dropped`` (ways with no two consecutive nodes present).
    """
    import xml.etree.ElementTree as ET

    shown = shown or path
    opener = bz2.open if path.suffix.lower() == ".bz2" else open
    with opener(path, "rb") as fh:
        tree = ET.parse(fh)
    root = tree.getroot()
    if root.tag != "osm":
        raise NetworkError(f"not an OpenStreetMap XML file (root element <{root.tag}>)", path=shown)
    if root.find("way") is None:
        raise NetworkError("the OpenStreetMap file has no ways (no streets at all)", path=shown)
    present: dict[str | None, tuple[str, str]] = {}  # id -> (lat, lon); no id is kept as None
    for node in root.iter("node"):
        nid, lat_text, lon_text = node.get("id"), node.get("lat"), node.get("lon")
        try:
            if lat_text is None or lon_text is None:
                raise TypeError("a node without lat or lon")
            lat, lon = float(lat_text), float(lon_text)
        except (TypeError, ValueError):
            raise NetworkError(
                f"node {nid} has a coordinate that is not a number (lat={lat_text!r}, "
                f"lon={lon_text!r})",
                path=shown,
            ) from None
        if not (np.isfinite(lat) and np.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise NetworkError(
                f"node {nid} has coordinates outside ±90° latitude / ±180° longitude "
                f"(lat={lat_text!r}, lon={lon_text!r})",
                path=shown,
            )
        seen = present.setdefault(nid, (lat_text, lon_text))
        if seen != (lat_text, lon_text) and (float(seen[0]), float(seen[1])) != (lat, lon):
            raise NetworkError(
                f"node {nid} appears twice with different coordinates (lat={seen[0]!r}, "
                f"lon={seen[1]!r} and lat={lat_text!r}, lon={lon_text!r}): merge the files "
                "with osmium, which keeps one version of each node",
                path=shown,
            )
    stats = {"ways_cut": 0, "pieces": 0, "ways_dropped": 0}
    next_id = -1
    for relation in list(root.iter("relation")):
        root.remove(relation)
    for way in list(root.findall("way")):
        refs = way.findall("nd")
        if all(r.get("ref") in present for r in refs):
            continue
        stats["ways_cut"] += 1
        runs: list[list[ET.Element]] = [[]]
        for r in refs:
            if r.get("ref") in present:
                runs[-1].append(r)
            elif runs[-1]:
                runs.append([])
        runs = [run for run in runs if len(run) >= 2]
        tags = way.findall("tag")
        index = list(root).index(way)
        root.remove(way)
        if not runs:
            stats["ways_dropped"] += 1
            continue
        for k, run in enumerate(runs):
            piece = ET.Element("way", dict(way.attrib))
            if len(runs) > 1 or k:
                piece.set("id", str(next_id))
                next_id -= 1
            piece.extend(run)
            piece.extend(tags)
            root.insert(index + k, piece)
            stats["pieces"] += 1
    if stats["ways_dropped"] and not root.findall("way"):
        raise NetworkError(
            f"no way has two of its nodes in the file ({stats['ways_dropped']} way(s) name only "
            "nodes missing from it): is this extract clipped outside the place?",
            path=shown,
        )
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return stats


def pbf_to_xml(pbf: Path, xml: Path) -> None:
    """Convert an ``.osm.pbf`` file to OSM XML with pyosmium."""
    try:
        import osmium
    except ImportError:  # pragma: no cover - dependency is declared
        raise NetworkError(
            "reading .osm.pbf needs the 'osmium' package (pip install osmium)", path=pbf
        ) from None
    try:
        with osmium.SimpleWriter(str(xml)) as writer:
            for obj in osmium.FileProcessor(str(pbf)):
                writer.add(obj)
    except RuntimeError as exc:
        raise NetworkError(f"cannot read OpenStreetMap PBF: {exc}", path=pbf) from None


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ox.load_graphml(path)
    except Exception as exc:
        raise NetworkError(
            f"cannot read GraphML network: {type(exc).__name__}: {exc}", path=path
        ) from None


def _highways_only(graph: nx.MultiDiGraph, path: object) -> nx.MultiDiGraph:
    drop = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if not d.get("highway")]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    if graph.number_of_edges() == 0:
        raise NetworkError(
            "the OpenStreetMap data has no highways (no ways tagged highway=*)", path=path
        )
    return graph


def online_cache_path(boundary: BaseGeometry, *, buffer_m: float) -> Path:
    """Where a downloaded network for ``boundary`` is cached (GraphML, keyed by its shape)."""
    digest = hashlib.sha256(shapely.to_wkb(boundary) + str(buffer_m).encode()).hexdigest()[:16]
    folder = cache_dir() / "osm"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"network-{digest}.graphml"


def _download(boundary: BaseGeometry | None, *, crs: str, options: dict) -> nx.MultiDiGraph:
    """Download (or reuse the cached) OpenStreetMap network around ``boundary``."""
    import osmnx as ox

    if boundary is None:
        raise NetworkError("network source 'osm-online' needs the place boundary")
    buffer_m = float(options.get("buffer_m", DEFAULT_ONLINE_BUFFER_M))
    cached = online_cache_path(boundary, buffer_m=buffer_m)
    if cached.exists():
        return _read_graphml(cached)
    polygon = gpd.GeoSeries([boundary.buffer(buffer_m)], crs=crs).to_crs("EPSG:4326").iloc[0]
    tags = list(dict.fromkeys([*ox.settings.useful_tags_way, *EXTRA_WAY_TAGS]))
    old = (ox.settings.useful_tags_way, ox.settings.use_cache, ox.settings.cache_folder)
    ox.settings.useful_tags_way = tags
    ox.settings.use_cache = True
    ox.settings.cache_folder = str(cached.parent / "http")
    try:
        graph = ox.graph_from_polygon(polygon, network_type="all", simplify=True, retain_all=True)
    except Exception as exc:
        raise NetworkError(
            f"downloading the OpenStreetMap network failed ({type(exc).__name__}: {exc}); "
            "give a local .osm/.pbf/.graphml file as [network] source instead",
            path=ONLINE,
        ) from None
    finally:
        ox.settings.useful_tags_way, ox.settings.use_cache, ox.settings.cache_folder = old
    graph = _highways_only(graph, ONLINE)

    atomic_write(cached, lambda tmp: ox.save_graphml(graph, tmp), suffix=".graphml")
    return graph


def _first(value: object) -> object:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def graph_tables(
    graph: nx.MultiDiGraph, *, crs: str, path: object
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Node and edge tables from an osmnx graph, one edge row per way segment (not per direction).

    osmnx stores a two-way street as two directed edges, the second flagged ``reversed``;
    the reverse copy is dropped here and ``oneway`` says whether driving may go back.
    """
    if graph.number_of_edges() == 0:
        raise NetworkError("the network has no edges", path=path)
    graph_crs = graph.graph.get("crs", "EPSG:4326")
    node_ids = np.fromiter(graph.nodes, dtype="int64", count=graph.number_of_nodes())
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)], dtype=float)
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=graph_crs).to_crs(crs)
    nodes = pd.DataFrame({"node_id": node_ids, "x": pts.x.to_numpy(), "y": pts.y.to_numpy()})
    where = dict(zip(node_ids.tolist(), range(len(node_ids)), strict=True))

    rows = []
    geoms = []
    for u, v, data in graph.edges(data=True):
        if _truthy(data.get("reversed")) and graph.has_edge(v, u):
            continue
        rows.append(
            {
                "u": u,
                "v": v,
                "highway": _first(data.get("highway")),
                "maxspeed": data.get("maxspeed"),
                "oneway": _truthy(data.get("oneway")),
                **{t: _first(data.get(t)) for t in ("access", *EXTRA_WAY_TAGS)},
            }
        )
        geom = data.get("geometry")
        if isinstance(geom, str):
            geom = shapely.from_wkt(geom)
        if geom is None:
            geom = shapely.LineString([xy[where[u]], xy[where[v]]])
        geoms.append(geom)
    raw = pd.DataFrame(rows, columns=list(RAW_COLUMNS))
    geo = gpd.GeoSeries(geoms, crs=graph_crs).to_crs(crs)
    edges = gpd.GeoDataFrame(raw, geometry=geo.to_numpy(), crs=crs)
    edges["maxspeed"] = edges["maxspeed"].map(
        lambda m: ";".join(map(str, m)) if isinstance(m, list) else m
    )
    edges["length_m"] = edges.geometry.length.to_numpy()
    edges = edges[edges["length_m"] > 0].reset_index(drop=True)
    return nodes, edges


def _truthy(value: object) -> bool:
    value = _first(value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "-1")
    return (
        bool(value)
        if value is not None and not (isinstance(value, float) and np.isnan(value))
        else False
    )


def _from_gpkg(path: Path, *, crs: str) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    try:
        layers = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    except Exception as exc:
        raise NetworkError(f"cannot read network GeoPackage: {exc}", path=path) from None
    missing = {"nodes", "edges"} - layers
    if missing:
        raise NetworkError(
            f"network GeoPackage needs layers 'nodes' and 'edges' (missing {', '.join(sorted(missing))})",
            path=path,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nodes = gpd.read_file(path, layer="nodes", engine="pyogrio")
        edges = gpd.read_file(path, layer="edges", engine="pyogrio")
    for col, frame, layer in (
        ("osmid", nodes, "nodes"),
        ("u", edges, "edges"),
        ("v", edges, "edges"),
        ("highway", edges, "edges"),
    ):
        if col not in frame:
            raise NetworkError(f"layer '{layer}' has no column {col!r}", path=path)
    if nodes.crs is None or edges.crs is None:
        raise NetworkError("network layers have no CRS", path=path)
    nodes = nodes.to_crs(crs)
    edges = edges.to_crs(crs)
    out_nodes = pd.DataFrame(
        {
            "node_id": nodes["osmid"].astype("int64").to_numpy(),
            "x": nodes.geometry.x.to_numpy(),
            "y": nodes.geometry.y.to_numpy(),
        }
    )
    known = set(out_nodes["node_id"])
    bad = ~(edges["u"].isin(known) & edges["v"].isin(known))
    if bad.any():
        raise NetworkError(
            f"{int(bad.sum())} edge(s) refer to nodes not in layer 'nodes'", path=path
        )
    has_highway = edges["highway"].notna() & (edges["highway"].astype("object").astype(str) != "")
    if not has_highway.any():
        raise NetworkError("the network has no highways", path=path)
    edges = edges[has_highway.to_numpy()].reset_index(drop=True)
    raw = pd.DataFrame({c: edges.get(c, None) for c in RAW_COLUMNS})
    raw["oneway"] = raw["oneway"].map(_truthy)
    if "reversed" in edges:  # an osmnx export holds both directions of two-way streets
        rev = edges["reversed"].map(_truthy).to_numpy()
        pairs = set(zip(edges["u"], edges["v"], strict=True))
        dup = rev & np.array([(v, u) in pairs for u, v in zip(edges["u"], edges["v"], strict=True)])
        raw, edges = raw[~dup], edges[~dup]
    out = gpd.GeoDataFrame(raw.reset_index(drop=True), geometry=edges.geometry.to_numpy(), crs=crs)
    out["length_m"] = out.geometry.length.to_numpy()
    return out_nodes, out[out["length_m"] > 0].reset_index(drop=True)


#: OSM ``place`` values read as town and suburb names for the maps (largest first).
PLACE_KINDS: tuple[str, ...] = ("city", "town", "suburb", "village", "hamlet")


def read_place_labels(
    source: str, *, crs: str, boundary: BaseGeometry | None = None
) -> gpd.GeoDataFrame:
    """Named OSM place nodes (``place`` in :data:`PLACE_KINDS`) of an ``.osm``/``.osm.pbf``.

    Read with pyosmium (XML, bz2 and PBF alike). Returns ``name``, ``kind`` (the ``place``
    value) and point geometry in ``crs``, largest kind first; with ``boundary`` (working CRS)
    only the names inside it. Other sources (GraphML, GeoPackage, online) carry no place
    nodes: an empty frame.

    Raises
    ------
    geo.errors.NetworkError
        The file cannot be read.
    """
    empty = gpd.GeoDataFrame({"name": [], "kind": []}, geometry=[], crs=crs)
    if source_kind(source) not in ("osm", "pbf"):
        return empty
    import osmium

    rows: list[tuple[str, str, float, float]] = []
    try:
        reader = osmium.FileProcessor(str(source), osmium.osm.NODE).with_filter(
            osmium.filter.KeyFilter("place")
        )
        for node in reader:
            if not isinstance(node, osmium.osm.Node):
                continue
            kind = node.tags.get("place")
            name = (node.tags.get("name") or "").strip()
            if kind in PLACE_KINDS and name and node.location.valid():
                rows.append((name, kind, node.location.lon, node.location.lat))
    except (RuntimeError, OSError, ValueError) as exc:
        raise NetworkError(f"cannot read place names: {exc}", path=source) from None
    if not rows:
        return empty
    frame = pd.DataFrame(rows, columns=["name", "kind", "lon", "lat"])
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    out = gpd.GeoDataFrame(frame[["name", "kind"]], geometry=points.to_crs(crs).values, crs=crs)
    if boundary is not None:
        out = out[out.geometry.within(boundary)]
    order = out["kind"].map({k: i for i, k in enumerate(PLACE_KINDS)})
    out = out.assign(_o=order).sort_values(["_o", "name"], kind="stable").drop(columns="_o")
    return out.drop_duplicates(["name", "kind"]).reset_index(drop=True)
