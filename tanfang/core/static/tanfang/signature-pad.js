// Signatures drawn with a finger or a mouse, kept as PNG data URLs in hidden fields: every
// <canvas data-signature="NAME"> inside a form draws into the form's hidden input NAME, and a
// button data-clear="NAME" wipes it. A value already in the field (a page shown again after an
// error, a restored draft) is drawn when the page opens. Each stroke and each wipe fires "input"
// on the field, so a page that keeps a draft (records/visit-form.js) saves it.
// Load it after any script that fills the fields from a draft.
(function () {
  "use strict";

  document.querySelectorAll("form canvas[data-signature]").forEach(function (canvas) {
    var form = canvas.closest("form");
    var field = form.elements[canvas.dataset.signature];
    if (!field) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;

    function changed() { field.dispatchEvent(new Event("input", { bubbles: true })); }

    function fit() {
      var width = canvas.clientWidth || 300;
      if (canvas.width !== width) canvas.width = width;
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      if (field.value) {
        var image = new Image();
        image.onload = function () { ctx.drawImage(image, 0, 0, canvas.width, canvas.height); };
        image.src = field.value;
      }
    }
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: (event.clientX - box.left) * canvas.width / box.width, y: (event.clientY - box.top) * canvas.height / box.height };
    }
    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; drawn = true;
      var p = point(event);
      ctx.beginPath(); ctx.moveTo(p.x, p.y);
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      ctx.lineTo(p.x, p.y); ctx.stroke();
    });
    function finish() {
      if (!drawing) return;
      drawing = false;
      if (drawn) { field.value = canvas.toDataURL("image/png"); changed(); }
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    var clear = form.querySelector('[data-clear="' + canvas.dataset.signature + '"]');
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); field.value = ""; drawn = false; changed();
    });
    fit();
  });
})();
