// The visit recording page: a draft kept in this browser until the server has it, check-in time
// and position, signatures drawn with a finger, and the detail box an answer asks for.
// The record's id (client_id) is part of the draft, so sending it again after a failure or a
// reload can never store it twice.
(function () {
  "use strict";

  // The page after a successful submission names the elder whose draft can now go.
  var saved = document.querySelector("[data-saved-elder]");
  if (saved && saved.dataset.savedElder) {
    try { localStorage.removeItem("tanfang-draft-" + saved.dataset.savedElder); } catch (e) { /* private mode */ }
  }

  var form = document.getElementById("visit-form");
  if (!form) return;
  var key = "tanfang-draft-" + form.dataset.elder;
  var skip = { csrfmiddlewaretoken: true };

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !skip[el.name] && el.type !== "file" && el.type !== "submit" && el.type !== "button";
    });
  }

  function save() {
    var values = {};
    fields().forEach(function (el) {
      if (el.type === "radio") { if (el.checked) values[el.name] = el.value; }
      else if (el.type === "checkbox") { values[el.name + "=" + el.value] = el.checked; }  // boxes may share a name
      else { values[el.name] = el.value; }
    });
    try { localStorage.setItem(key, JSON.stringify({ values: values, at: new Date().toISOString() })); } catch (e) { /* full or private */ }
  }

  function restore() {
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (e) { return false; }
    if (!raw) return false;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return false; }
    var values = draft.values || {};
    fields().forEach(function (el) {
      if (el.type === "checkbox") {
        if (el.name + "=" + el.value in values) el.checked = !!values[el.name + "=" + el.value];
        return;
      }
      if (!(el.name in values)) return;
      if (el.type === "radio") el.checked = values[el.name] === el.value;
      else el.value = values[el.name];
    });
    return true;
  }

  // A page re-shown by the server after an error already holds what was sent; the draft only
  // fills a fresh page (a reload, or coming back after the network failed).
  var fresh = !document.querySelector("[data-testid=errors]");
  if (fresh && restore()) {
    var note = document.querySelector("[data-draft-note]");
    if (note) note.classList.remove("d-none");
  }

  // Check-in: when the page was first opened for this record, and where the phone was.
  if (!form.checkin_at.value) form.checkin_at.value = new Date().toISOString();
  var place = document.querySelector("[data-position]");
  function showPlace(text) { place.textContent = text; }
  if (form.latitude.value) {
    showPlace(place.dataset.got + " ±" + Math.round(form.accuracy.value || 0) + "m");
  } else if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (p) {
      form.latitude.value = p.coords.latitude.toFixed(6);
      form.longitude.value = p.coords.longitude.toFixed(6);
      form.accuracy.value = Math.round(p.coords.accuracy);
      showPlace(place.dataset.got + " ±" + Math.round(p.coords.accuracy) + "m");
      save();
    }, function () { showPlace(place.dataset.none); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  } else {
    showPlace(place.dataset.none);
  }

  // The number or text an answer asks for appears only when that answer is chosen.
  function details() {
    form.querySelectorAll("[data-detail-for]").forEach(function (box) {
      var chosen = form.querySelector('input[name="a-' + box.dataset.detailFor + '"]:checked');
      var show = !!chosen && chosen.dataset.detail === box.dataset.kind;
      box.classList.toggle("d-none", !show);
      box.disabled = !show;
    });
  }

  // An attempt that was not a visit needs no answers or signatures; only a home visit asks the elder
  // to sign (on the phone or by video there is nobody to hand the screen to).
  function outcome() {
    var visited = form.outcome.value === "visited";
    var method = form.querySelector('input[name="method"]:checked');  // (form.method is the form's own GET/POST)
    var home = !method || method.value === "home";
    document.querySelectorAll("[data-visit-only]").forEach(function (part) { part.classList.toggle("d-none", !visited); });
    document.querySelectorAll("[data-home-only]").forEach(function (part) { part.classList.toggle("d-none", !home); });
  }

  // Signatures: drawn by tanfang/signature-pad.js (loaded after this file, so that it draws what a
  // restored draft holds); each stroke fires "input" on its hidden field, which saves the draft below.

  // 全部无变化: every item that can say "no change" says it; the others take last time's answer (with
  // its number or text). Items with no such answer, and the free text, are left as they are.
  function allSame() {
    form.querySelectorAll("[data-item]").forEach(function (item) {
      var code = item.dataset.item;
      var pick = function (value) {
        var box = form.querySelector('input[name="a-' + code + '"][value="' + value + '"]');
        if (box) box.checked = true;
        return !!box;
      };
      if (item.dataset.kind === "choice") {
        if (pick("same") || !item.dataset.lastOption || !pick(item.dataset.lastOption)) return;
        ["count", "text"].forEach(function (kind) {
          var box = item.querySelector('[data-detail-for][data-kind="' + kind + '"]');
          var last = item.dataset["last" + kind.charAt(0).toUpperCase() + kind.slice(1)];
          if (box && last) box.value = last;
        });
      } else if (item.dataset.kind === "multi" && item.dataset.lastOptions) {
        item.querySelectorAll('input[type="checkbox"]').forEach(function (box) { box.checked = false; });
        item.dataset.lastOptions.split(" ").forEach(pick);
      }
    });
    details();
    save();
  }
  var sameButton = form.querySelector("[data-all-same]");
  if (sameButton) sameButton.addEventListener("click", allSame);

  form.addEventListener("change", function () { details(); outcome(); save(); });
  form.addEventListener("input", save);
  form.addEventListener("submit", save);  // if the network fails now, nothing typed is lost
  details();
  outcome();
  save();
})();
