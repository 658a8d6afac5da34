/* cursus serve only: reload the page after each rebuild and show source errors in the page. */
(function () {
  'use strict';
  var known = null;
  var panel = null;

  function show(errors) {
    if (!errors.length) {
      if (panel) { panel.remove(); panel = null; }
      return;
    }
    if (!panel) {
      panel = document.createElement('div');
      panel.id = 'cursus-serve-errors';
      panel.setAttribute('role', 'alert');
      panel.style.cssText = 'position:fixed;left:0;right:0;bottom:0;z-index:100;max-height:50vh;overflow:auto;' +
        'margin:0;padding:1rem;background:#fff0f0;color:#7a0000;border-top:4px solid #a3262a;font:14px/1.4 monospace;white-space:pre-wrap';
      document.body.appendChild(panel);
    }
    panel.textContent = errors.join('\n');
  }

  function poll() {
    fetch('/_cursus/status', { cache: 'no-store' })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (known !== null && status.generation !== known) { window.location.reload(); return; }
        known = status.generation;
        show(status.errors);
      })
      .catch(function () { /* the server is restarting: try again */ })
      .then(function () { setTimeout(poll, 700); });
  }

  poll();
})();
