// What every page shares, in a file of its own: the Content-Security-Policy runs no script written
// into a page (tanfang/core/security_headers.py). Loaded with "defer" after htmx, so it runs once
// the page is parsed and before htmx starts.
(function () {
  "use strict";

  // htmx: no <style> of its own (the policy refuses inline styles; the pages use no hx-indicator),
  // no code evaluated from attributes, no <script> run from swapped-in HTML.
  if (window.htmx) {
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
    window.htmx.config.allowScriptTags = false;
  }

  // "Back" links (the error pages): back in the browser's history when there is a page to go back
  // to, else wherever the link points. A javascript: URL would be inline script, refused too.
  document.querySelectorAll("a[data-history-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });

  // The language switch in the footer applies as soon as a language is chosen.
  var language = document.getElementById("language");
  if (language && language.form) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
})();
