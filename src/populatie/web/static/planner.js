// While "Herbereken" runs: the button is disabled and says so, once, so nobody posts twice.
// Without this script the form posts the same way; only the indication is missing.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-busy]");
  if (!form) return;
  form.addEventListener("submit", function () {
    var busy = form.getAttribute("data-busy");
    var button = form.querySelector("button[type=submit]");
    var status = document.getElementById("herbereken-status");
    form.setAttribute("aria-busy", "true");
    if (status) status.textContent = busy;
    // After the submit has been taken: a disabled button would not post the form in time.
    window.setTimeout(function () {
      if (button) {
        button.disabled = true;
        button.textContent = busy;
      }
    }, 0);
  });
});
