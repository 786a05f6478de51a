/* Back/forward on the map page. The map page writes its view into the URL with
   history.pushState (so the page is not re-rendered on every change); when the browser moves
   to another entry of the map page, the page is reloaded from that URL. Hash-only changes
   (e.g. the skip link) are ignored. */
(function () {
  var key = function () { return window.location.pathname + window.location.search; };
  var last = key();
  ['pushState', 'replaceState'].forEach(function (name) {
    var orig = window.history[name];
    window.history[name] = function () {
      var out = orig.apply(this, arguments);
      last = key();
      return out;
    };
  });
  window.addEventListener('popstate', function (e) {
    var now = key();
    if (now === last) { return; }
    last = now;
    var ours = e.state && e.state.hubplan;
    if (ours || document.getElementById('home-map')) {
      window.location.reload();
    }
  });
})();
