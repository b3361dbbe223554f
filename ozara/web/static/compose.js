// Checks the request as it is typed: the server answers with each violation, its field and
// article (the same rules as on saving; nothing is stored).
(function () {
  var form = document.getElementById("compose");
  if (!form) return;
  var timer = null;
  function check() {
    var data = new FormData(form);
    fetch(form.dataset.check, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        form.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
        (answer.violations || []).forEach(function (v) {
          var el = document.getElementById("err-" + v.field) || document.getElementById("err-form");
          el.textContent = (el.textContent ? el.textContent + " " : "") + v.message;
        });
      });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 400); });
})();
