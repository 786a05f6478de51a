/* Corrections to the DOM that Dash 4's own components render, where Dash offers no prop to set
   it right (WCAG 4.1.2 "Name, Role, Value"; checked by axe-core 4.9 in
   tests/hubplan/test_browser_a11y.py). Our own controls are named in the page code (labels,
   fieldset legends, ``radio_group`` in hubplan/pages/_ui.py); this file fixes only what is
   wrong inside Dash's components, and says per fix what and why.

   One MutationObserver re-applies every fix whenever Dash (React) adds nodes or rewrites one
   of the attributes below; each fix changes an element only when it is still wrong, so the
   observer's own changes settle at once. */
(function () {
  /* 1. dcc.Upload draws a file <input> inside its drop zone with no label of its own and no
     way to pass one: give it the drop zone's visible text ("Drag a CSV file here or choose a
     file") as its accessible name (axe "label"). */
  function nameUploads(root) {
    var inputs = root.querySelectorAll('input[type="file"]:not([aria-label])');
    for (var i = 0; i < inputs.length; i++) {
      var zone = inputs[i].parentNode;
      var text = zone ? (zone.textContent || '').replace(/\s+/g, ' ').trim() : '';
      inputs[i].setAttribute('aria-label', text || 'Choose a file to upload');
    }
  }

  /* 2. dcc.Dropdown puts an invisible <input class="dash-dropdown-focus-target" tabindex="0"
     aria-hidden="true"> in the tab order, in front of its real control (a <button
     aria-haspopup="listbox"> with tabindex="-1"), and moves focus on to the button when the
     input gets it. A screen reader's Tab lands on an element hidden from it (axe
     "aria-hidden-focus"). Swap the two: the button itself is in the tab order (Enter or
     ArrowDown opens the list, Delete clears, as before) and the hidden input is not. Dash
     puts tabindex="0" back on the input each time the button loses focus, hence the observer
     watches tabindex. A disabled dropdown's button is disabled, so not focusable either way. */
  function fixDropdownFocus(root) {
    var targets = root.querySelectorAll('input.dash-dropdown-focus-target');
    for (var i = 0; i < targets.length; i++) {
      var input = targets[i];
      if (input.getAttribute('tabindex') !== '-1') input.setAttribute('tabindex', '-1');
      var button = input.nextElementSibling;
      if (button && button.tagName === 'BUTTON' && button.getAttribute('tabindex') !== '0') {
        button.setAttribute('tabindex', '0');
      }
    }
  }

  /* 3. The dropdown's "Clear selection" control is an <a> without href or role but with an
     aria-label: a name on an element that has no role to carry it (axe
     "aria-prohibited-attr"). It acts as a button (click clears the value; from the keyboard
     Delete or Backspace on the dropdown does the same), so say so: role="button". */
  function fixClearLinks(root) {
    var links = root.querySelectorAll('a.dash-dropdown-clear:not([role])');
    for (var i = 0; i < links.length; i++) links[i].setAttribute('role', 'button');
  }

  /* 4. dcc.Checklist and dcc.RadioItems render <div role="listbox"> holding
     <label role="option" aria-selected> elements, each wrapping a real checkbox or radio
     <input>. A listbox option may not contain a focusable control (axe "nested-interactive",
     "aria-allowed-role"), and the listbox has no name (axe "aria-input-field-name"). The
     native inputs inside their <label>s already say everything (name, checked state), so
     drop the wrong listbox/option roles and aria-selected (React sets aria-selected again
     on each change, hence the observer watches it). The group's name comes from our page:
     a <fieldset> with a <legend>, or a named role="radiogroup"/"group" around it; a list
     without either becomes a group named by its <label for=id>, if any.
     An open dcc.Dropdown's popup lists its options the same way (<label role="option"> around
     a radio, or a checkbox when multi=True, which gets the keyboard focus): same fix, and its
     list becomes a group named like the popup (fix 6). The popup is a Radix dialog, so the
     dropdown's button says aria-haspopup="dialog" instead of Dash's "listbox". */
  var CHOICE_LISTS = '.dash-options-list.dash-checklist, .dash-options-list.dash-radioitems';

  function groupName(list) {
    var up = list.parentElement;
    while (up && up !== document.body) {
      if (up.tagName === 'FIELDSET' && up.querySelector(':scope > legend')) return true;
      var role = up.getAttribute('role');
      if ((role === 'radiogroup' || role === 'group') &&
          (up.getAttribute('aria-label') || up.getAttribute('aria-labelledby'))) return true;
      up = up.parentElement;
    }
    return false;
  }

  function fixDropdownOptions(root) {
    var lists = root.querySelectorAll('.dash-options-list.dash-dropdown-options[role="listbox"]');
    for (var i = 0; i < lists.length; i++) lists[i].setAttribute('role', 'group');
    var options = root.querySelectorAll(
      '.dash-dropdown-options label[role="option"], .dash-dropdown-options label[aria-selected]');
    for (var j = 0; j < options.length; j++) {
      options[j].removeAttribute('role');
      options[j].removeAttribute('aria-selected');
    }
    var buttons = root.querySelectorAll('button.dash-dropdown[aria-haspopup="listbox"]');
    for (var k = 0; k < buttons.length; k++) buttons[k].setAttribute('aria-haspopup', 'dialog');
  }

  function fixChoiceLists(root) {
    var lists = root.querySelectorAll(CHOICE_LISTS);
    for (var i = 0; i < lists.length; i++) {
      var list = lists[i];
      if (list.getAttribute('role') === 'listbox') {
        if (groupName(list)) {
          list.removeAttribute('role');
        } else {
          var radios = list.classList.contains('dash-radioitems');
          list.setAttribute('role', radios ? 'radiogroup' : 'group');
          var label = list.id && document.querySelector('label[for="' + CSS.escape(list.id) + '"]');
          if (label) {
            if (!label.id) label.id = list.id + '-a11y-label';
            list.setAttribute('aria-labelledby', label.id);
          }
        }
      }
    }
    var options = root.querySelectorAll(
      '.dash-checklist label[role="option"], .dash-radioitems label[role="option"],' +
      '.dash-checklist label[aria-selected], .dash-radioitems label[aria-selected]');
    for (var j = 0; j < options.length; j++) {
      options[j].removeAttribute('role');
      options[j].removeAttribute('aria-selected');
    }
  }

  /* 5. Every map's MapLibre canvas (inside dcc.Graph) is a landmark role="region" named just
     "Map", MapLibre's default, which Plotly does not let us change: two maps on one page
     (clusters) or a map inside our "Map" region (the map page) give landmarks with the same
     name, which a screen reader cannot tell apart (axe "landmark-unique"). Name each canvas
     from our caption of its chart (the first clause of the <figcaption> written by
     ``described`` in hubplan/pages/_ui.py, e.g. "Map of the school clusters"), else
     "Interactive map"; a name met twice gets a number. */
  function mapName(canvas) {
    var figure = canvas.closest('figure');
    var caption = figure && figure.querySelector('figcaption');
    var text = caption ? (caption.textContent || '').replace(/\s+/g, ' ').trim() : '';
    var clause = text.split(/[,;:.]/)[0].trim();
    return clause || 'Interactive map';
  }

  function nameMaps(root) {
    var canvases = root.querySelectorAll('canvas.maplibregl-canvas[role="region"]');
    var seen = {};
    for (var i = 0; i < canvases.length; i++) {
      var name = mapName(canvases[i]);
      seen[name] = (seen[name] || 0) + 1;
      if (seen[name] > 1) name += ' (' + seen[name] + ')';
      if (canvases[i].getAttribute('aria-label') !== name) {
        canvases[i].setAttribute('aria-label', name);
      }
    }
  }

  /* 6. An open dcc.Dropdown shows its options in a popup <div role="dialog"> holding a
     <div role="listbox">; neither has a name (axe "aria-dialog-name",
     "aria-input-field-name"; the list is a group after fix 4). Name both after the dropdown: the label our page gives it (the
     aria-labelledby of the group around it, else its <label for=id>). The trigger button
     points at the popup with aria-controls. */
  function dropdownLabel(button) {
    var group = button.parentElement && button.parentElement.closest('[aria-labelledby]');
    if (group && !group.classList.contains('dash-dropdown')) {
      return group.getAttribute('aria-labelledby');
    }
    var label = button.id && document.querySelector('label[for="' + CSS.escape(button.id) + '"]');
    if (!label) return null;
    if (!label.id) label.id = button.id + '-a11y-label';
    return label.id;
  }

  function nameDropdownPopups(root) {
    var popups = root.querySelectorAll('.dash-dropdown-content[role="dialog"][id]');
    for (var i = 0; i < popups.length; i++) {
      var popup = popups[i];
      var button = document.querySelector(
        'button[aria-controls="' + CSS.escape(popup.id) + '"]');
      var ids = button && dropdownLabel(button);
      if (!ids) continue;
      var named = [popup].concat([].slice.call(popup.querySelectorAll('.dash-dropdown-options')));
      for (var j = 0; j < named.length; j++) {
        if (named[j].getAttribute('aria-labelledby') !== ids) {
          named[j].setAttribute('aria-labelledby', ids);
        }
      }
    }
  }

  function fixAll() {
    nameUploads(document);
    fixDropdownFocus(document);
    fixClearLinks(document);
    fixChoiceLists(document);
    fixDropdownOptions(document);
    nameMaps(document);
    nameDropdownPopups(document);
  }

  new MutationObserver(fixAll).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['tabindex', 'aria-selected', 'role'],
  });
  document.addEventListener('DOMContentLoaded', fixAll);
})();
