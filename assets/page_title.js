/* Page titles that name the place and the footprint (WCAG 2.4.2), e.g.
   "Demo borough: map · Ashby North · Locality & Hub Planner".

   Dash Pages gives a page one fixed title (its title function sees path variables only, not
   the ?place= of the URL), so the title is built here from the page: its #page-title element
   when it has one, else its heading (h1.page-title, which names the place), plus the footprint
   chosen on the map page (its panel heading), and kept so as the page changes. */
(function () {
  var APP = 'Locality & Hub Planner';

  function text(el) { return el ? (el.textContent || '').replace(/\s+/g, ' ').trim() : ''; }

  function wanted() {
    var t = text(document.getElementById('page-title')) || text(document.querySelector('h1.page-title'));
    if (!t) { return null; }
    var fp = text(document.getElementById('home-panel-title'));
    if (fp) { t += ' · ' + fp; }
    return t + ' · ' + APP;
  }

  function update() {
    var t = wanted();
    if (t && document.title !== t) { document.title = t; }
  }

  new MutationObserver(update).observe(document.documentElement, {
    childList: true, subtree: true, characterData: true,
  });
  document.addEventListener('DOMContentLoaded', update);
})();
