/* Names for controls the Dash components render without one (WCAG 4.1.2).

   dcc.Upload draws a file <input> inside its drop zone with no label of its own and no way
   to pass one: give it the drop zone's visible text ("Drag a CSV file here or choose a
   file") as its accessible name. */
(function () {
  function name() {
    var inputs = document.querySelectorAll('input[type="file"]:not([aria-label])');
    for (var i = 0; i < inputs.length; i++) {
      var zone = inputs[i].parentNode;
      var text = zone ? (zone.textContent || '').replace(/\s+/g, ' ').trim() : '';
      inputs[i].setAttribute('aria-label', text || 'Choose a file to upload');
    }
  }
  new MutationObserver(name).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', name);
})();
