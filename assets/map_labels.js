/* Footprint, town and suburb names on the dashboard map, offline.

   MapLibre can draw map text only with glyphs fetched from a font server, which needs the
   internet. So the map page sends the names as a trace that draws nothing (uid
   "footprint-labels", mode "none": lon, lat and text), and this script writes them as HTML
   text in a layer over the map, moved on every render of the map (pan, zoom, resize). The
   names follow the trace's visibility (the footprints layer toggle). They are decoration for
   sighted users (aria-hidden): the footprint list, panel and table name the footprints too. */
(function () {
  // Label traces (by uid) and the class of their text: town and suburb names ("place-labels",
  // from OSM place nodes or the place's [labels] file) under the footprint names.
  var KINDS = [
    {uid: 'place-labels', cls: 'hubplan-place-label'},
    {uid: 'footprint-labels', cls: 'hubplan-map-label'},
  ];

  function traceByUid(gd, uid) {
    var data = gd && gd.data;
    if (!data) { return null; }
    for (var i = 0; i < data.length; i++) {
      if (data[i] && data[i].uid === uid) { return data[i]; }
    }
    return null;
  }

  function labelTrace(gd) {
    for (var k = 0; k < KINDS.length; k++) {
      var t = traceByUid(gd, KINDS[k].uid);
      if (t) { return t; }
    }
    return null;
  }

  function draw(gd) {
    var full = gd._fullLayout;
    var sub = full && full.map && full.map._subplot;
    var map = sub && sub.map;
    var trace = labelTrace(gd);
    var layer = gd.querySelector('.hubplan-map-labels');
    if (!map || !trace) {
      if (layer) { layer.innerHTML = ''; }
      return;
    }
    var container = map.getContainer();
    if (!layer) {
      layer = document.createElement('div');
      layer.className = 'hubplan-map-labels';
      layer.setAttribute('aria-hidden', 'true');
      container.parentNode.appendChild(layer);
    }
    var box = container.getBoundingClientRect();
    var host = container.parentNode.getBoundingClientRect();
    layer.style.left = (box.left - host.left) + 'px';
    layer.style.top = (box.top - host.top) + 'px';
    layer.style.width = box.width + 'px';
    layer.style.height = box.height + 'px';
    var html = [];
    KINDS.forEach(function (kind) {
      var t = traceByUid(gd, kind.uid);
      var shown = t && (t.visible === undefined || t.visible === true);
      if (!shown) { return; }
      var lon = t.lon || [], lat = t.lat || [], text = t.text || [];
      for (var i = 0; i < text.length; i++) {
        var p = map.project([lon[i], lat[i]]);
        if (p.x < 0 || p.y < 0 || p.x > box.width || p.y > box.height) { continue; }
        var span = document.createElement('span');
        span.className = kind.cls;
        span.textContent = text[i];
        span.style.left = p.x + 'px';
        span.style.top = p.y + 'px';
        html.push(span.outerHTML);
      }
    });
    layer.innerHTML = html.join('');
  }

  function attach(gd) {
    var sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = sub && sub.map;
    if (!map) { return; }
    if (map.__hubplanLabels !== true) {
      map.__hubplanLabels = true;
      map.on('render', function () { draw(gd); });
    }
    draw(gd);
  }

  function scan() {
    var plots = document.querySelectorAll('.js-plotly-plot');
    for (var i = 0; i < plots.length; i++) {
      var gd = plots[i];
      // Hook each plot once: drawing the labels changes the DOM, which calls scan again.
      if (gd.__hubplanLabelsHooked === true || !gd.on || !labelTrace(gd)) { continue; }
      gd.__hubplanLabelsHooked = true;
      gd.on('plotly_afterplot', function () { attach(this); }.bind(gd));
      attach(gd);
    }
  }

  new MutationObserver(function () { scan(); }).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  document.addEventListener('DOMContentLoaded', scan);
})();
