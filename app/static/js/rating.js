/* The rating form, enhanced: the level follows the ticks, ticks and marks exclude each other,
   and the draft is saved on the server after each change (kept in this browser while offline).
   Without this file the form works the same with the Save draft button. */
(function () {
  "use strict";

  /* Mirrors app/competencies/levels.py derive_level exactly (tests compare every case). */
  function deriveLevel(harmfulSeen, basicSeen, basicTotal, advancedSeen, notObserved) {
    var counts = [harmfulSeen, basicSeen, basicTotal, advancedSeen];
    for (var i = 0; i < counts.length; i++) {
      if (typeof counts[i] !== "number" || !isFinite(counts[i]) || Math.floor(counts[i]) !== counts[i]) {
        throw new TypeError("counts must be whole numbers");
      }
      if (counts[i] < 0) { throw new RangeError("counts must be >= 0"); }
    }
    if (notObserved === undefined) { notObserved = false; }
    if (typeof notObserved !== "boolean") { throw new TypeError("notObserved must be a boolean"); }
    if (basicSeen > basicTotal) { throw new RangeError("basicSeen exceeds basicTotal"); }
    if (notObserved) {
      if (harmfulSeen || basicSeen || advancedSeen) {
        throw new RangeError("an item marked not observed cannot have ticked behaviours");
      }
      return null;
    }
    if (harmfulSeen > 0) { return 1; }
    if (basicSeen < basicTotal) { return 2; }
    if (advancedSeen > 0) { return 4; }
    return 3;
  }

  window.AcompanaRating = { deriveLevel: deriveLevel };

  var form = document.querySelector("form[data-rating]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector("[data-save-status]");
  var storeKey = "acompana-rating:" + window.location.pathname;
  var saving = false;
  var again = false;
  var noteTimer = null;

  /* A behaviour's checkbox sits in the list of its group: <ul data-group="harmful|basic|advanced">. */
  function behaviours(item) { return item.querySelectorAll("[data-group] input"); }
  function groupOf(box) { return box.closest("[data-group]"); }

  function showLevel(item) {
    var counts = { harmful: 0, basic: 0, advanced: 0 };
    var boxes = behaviours(item);
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) { counts[groupOf(boxes[i]).getAttribute("data-group")] += 1; }
    }
    var na = item.querySelector("input[data-na]").checked;
    var none = item.querySelector("input[data-none]").checked;
    var ticked = counts.harmful + counts.basic + counts.advanced > 0;
    var level = null;
    var key = "none";
    if (na) {
      key = "na";
    } else if (ticked || none) {
      level = deriveLevel(counts.harmful, counts.basic, Number(item.getAttribute("data-basic-total")), counts.advanced, false);
      key = String(level);
    }
    var badge = item.querySelector("[data-level-badge]");
    badge.textContent = form.getAttribute("data-level-" + key);
    badge.className = "badge level-badge level-" + key;
  }

  function exclusive(item, changed) {
    if (!changed.checked) { return; }
    var na = item.querySelector("input[data-na]");
    var none = item.querySelector("input[data-none]");
    var boxes = behaviours(item);
    var i;
    if (groupOf(changed)) {
      na.checked = false;
      none.checked = false;
    } else {
      for (i = 0; i < boxes.length; i++) { boxes[i].checked = false; }
      (changed === na ? none : na).checked = false;
    }
  }

  function say(message) { if (status) { status.textContent = message; } }

  function entries() {
    var data = new FormData(form);
    var list = [];
    data.forEach(function (value, name) { list.push([name, value]); });
    return list;
  }

  function remember() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(entries())); } catch (e) { /* storage full or off */ }
  }

  function forget() {
    try { window.localStorage.removeItem(storeKey); } catch (e) { /* nothing to forget */ }
  }

  function save() {
    if (saving) { again = true; return; }
    saving = true;
    again = false;
    remember();
    say(status.getAttribute("data-saving"));
    var body = new FormData(form);
    fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Autosave": "1", "X-CSRFToken": body.get("csrf_token") || "", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      var items = form.querySelectorAll("[data-item]");
      for (var i = 0; i < items.length; i++) {
        var problem = result.answer.errors && result.answer.errors[items[i].getAttribute("data-item")];
        items[i].classList.toggle("has-error", Boolean(problem));
      }
      if (result.ok) {
        forget();
        say(status.getAttribute("data-saved"));
      } else {
        say(status.getAttribute("data-refused"));
      }
    }).catch(function () {
      say(status.getAttribute("data-offline"));
    }).then(function () {
      saving = false;
      if (again) { save(); }
    });
  }

  function restore() {
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { saved = null; }
    if (!saved) { return false; }
    var boxes = form.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = false; }
    saved.forEach(function (pair) {
      if (pair[0] === "csrf_token") { return; }
      var fields = form.querySelectorAll("[name='" + pair[0].replace(/'/g, "") + "']");
      for (var j = 0; j < fields.length; j++) {
        if (fields[j].type === "checkbox") {
          if (fields[j].value === pair[1]) { fields[j].checked = true; }
        } else if (fields[j].tagName === "TEXTAREA") {
          fields[j].value = pair[1];
        }
      }
    });
    return true;
  }

  form.addEventListener("change", function (event) {
    var item = event.target.closest("[data-item]");
    if (item && event.target.type === "checkbox") {
      exclusive(item, event.target);
      showLevel(item);
    }
    save();
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA") { return; }
    window.clearTimeout(noteTimer);
    noteTimer = window.setTimeout(save, 800);
  });
  form.addEventListener("submit", function () { forget(); });
  window.addEventListener("online", function () { save(); });

  if (restore()) { save(); }
  var all = form.querySelectorAll("[data-item]");
  for (var k = 0; k < all.length; k++) { showLevel(all[k]); }
}());
