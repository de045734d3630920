/* Autosave a long form as it is typed (progressive enhancement: the form works without this).
 *
 * <form data-draft-url="/…/autosave" data-draft-saved-at="<ms>" data-draft-text-saving="…"
 *       data-draft-text-saved="… {time} …" data-draft-text-offline="…" data-draft-text-restored="…"
 *       data-draft-text-failed="…">
 *   <p data-draft-status role="status"></p> <div data-draft-messages></div>
 *
 * Changes are sent (POST, the form's fields, X-CSRFToken header) a moment after typing stops.
 * The server answers JSON {saved, saved_at, messages}. When the connection drops, the unsent
 * fields stay in sessionStorage (this tab only: devices are shared) and are sent when it is back,
 * or put back into the form after a reload that shows an older copy than the one typed.
 */
(function () {
  "use strict";
  var DELAY = 1500;

  function fields(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") { pairs.push([name, value]); }
    });
    return pairs;
  }

  function restore(form, pairs) {
    var values = {};
    pairs.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "file" || el.type === "submit" || el.type === "button") { return; }
      var list = values[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = list.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = list.indexOf(o.value) !== -1; });
      } else if (list.length) {
        el.value = list[0];
      }
    });
  }

  function setup(form) {
    var url = form.getAttribute("data-draft-url");
    var key = "draft:" + url;
    var status = form.querySelector("[data-draft-status]");
    var box = form.querySelector("[data-draft-messages]");
    var token = form.querySelector("input[name=csrf_token]");
    var timer = null;
    var busy = false;
    var again = false;

    function text(name) { return form.getAttribute("data-draft-text-" + name) || ""; }
    function say(message) { if (status) { status.textContent = message; } }
    function show(messages) {
      if (!box) { return; }
      box.textContent = "";
      if (!messages || !messages.length) { return; }
      var list = document.createElement("ul");
      list.className = "flash flash-warning";
      messages.forEach(function (m) {
        var item = document.createElement("li");
        item.textContent = m;
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    function keep() {
      var at = Date.now();
      try { sessionStorage.setItem(key, JSON.stringify({at: at, fields: fields(form)})); } catch (e) { /* full or blocked */ }
      return at;
    }
    function markSaved(sentAt, savedMs) {
      /* Keep the copy, marked with the server's time: a page rendered before that save (a reload racing
         the last autosave) is older and gets the copy back; a later page is newer and drops it. */
      try {
        var copy = JSON.parse(sessionStorage.getItem(key) || "null");
        if (copy && copy.at === sentAt) { copy.savedMs = savedMs; sessionStorage.setItem(key, JSON.stringify(copy)); }
      } catch (e) { /* blocked */ }
    }

    function send() {
      timer = null;
      if (busy) { again = true; return; }
      busy = true;
      var sentAt = keep();
      say(text("saving"));
      var body = new URLSearchParams();
      fields(form).forEach(function (pair) { body.append(pair[0], pair[1]); });
      fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}
      }).then(function (response) {
        return response.json().then(function (answer) { return {ok: response.ok, answer: answer}; });
      }).then(function (result) {
        if (result.ok && result.answer.saved) {
          markSaved(sentAt, result.answer.saved_ms);
          say(text("saved").replace("{time}", result.answer.saved_at || ""));
        } else {
          say(text("failed"));
        }
        show(result.answer.messages);
      }).catch(function () {
        say(text("offline"));
      }).then(function () {
        busy = false;
        if (again) { again = false; schedule(); }
      });
    }

    function schedule() {
      keep();
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(send, DELAY);
    }

    var stored = null;
    try { stored = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    var savedAt = parseInt(form.getAttribute("data-draft-saved-at") || "0", 10);
    var newer = stored && (stored.savedMs ? stored.savedMs > savedAt : stored.at > savedAt);
    if (newer) {
      restore(form, stored.fields);
      say(text("restored"));
      send();
    } else if (stored) {
      sessionStorage.removeItem(key);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function () { if (timer) { clearTimeout(timer); timer = null; } });
    window.addEventListener("online", function () { if (sessionStorage.getItem(key)) { send(); } });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-url]"), setup);
}());
