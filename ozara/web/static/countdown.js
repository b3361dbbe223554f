// Counts each deadline down in the browser. The page says what time the node thinks it is
// (data-now), so the count follows the node's clock even when the browser's differs.
(function () {
  var page = document.querySelector("[data-now]");
  if (!page) return;
  var skew = Date.parse(page.dataset.now) - Date.now();
  var units = page.dataset.units.split("|");  // localized "d|h|min"
  function render(el) {
    var left = Date.parse(el.dataset.due) - (Date.now() + skew), sign = left < 0 ? "−" : "";
    left = Math.abs(left);
    var d = Math.floor(left / 864e5), h = Math.floor(left % 864e5 / 36e5), m = Math.floor(left % 36e5 / 6e4);
    el.textContent = sign + d + " " + units[0] + " " + h + " " + units[1] + " " + m + " " + units[2];
  }
  var els = document.querySelectorAll(".countdown[data-due]");
  setInterval(function () { els.forEach(render); }, 30000);
})();
