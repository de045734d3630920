/* Quiz pages: save a changed answer at once (the Next and Previous buttons save it too, without JS).
   Sends only the changed question's fields to the form's data-autosave URL, with the CSRF token. */
(function () {
  "use strict";
  var form = document.querySelector("form.quiz-form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrf_token]");
  var timers = {};

  function status(fieldset, text) {
    var box = fieldset.querySelector("[data-save-status]");
    if (box) { box.textContent = text; }
  }

  function save(fieldset) {
    var data = new FormData();
    data.append("csrf_token", token ? token.value : "");
    fieldset.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.disabled) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      data.append(el.name, el.value);
    });
    fetch(url, {method: "POST", body: data, credentials: "same-origin",
                headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (result) {
        if (result.ok) {
          status(fieldset, form.getAttribute("data-saved-text"));
        } else if (result.body && result.body.review) {
          window.location.assign(result.body.review);
        } else {
          status(fieldset, (result.body && result.body.message) || form.getAttribute("data-failed-text"));
        }
      })
      .catch(function () { status(fieldset, form.getAttribute("data-failed-text")); });
  }

  function later(fieldset, delay) {
    var key = fieldset.getAttribute("data-question");
    window.clearTimeout(timers[key]);
    timers[key] = window.setTimeout(function () { save(fieldset); }, delay);
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (fieldset) { later(fieldset, 0); }
  });
  form.addEventListener("input", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (fieldset && (event.target.tagName === "TEXTAREA" || event.target.type === "text")) { later(fieldset, 1500); }
  });
})();
