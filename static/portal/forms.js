// A form sent back with errors: the keyboard focus goes to its error summary (RGAA 11.11),
// whose links lead to each field. A file rather than an inline script: the CSP allows it.
// As soon as the page is read; when the address has an anchor (#jetons…), once more after the
// browser has scrolled to it, unless the user has moved the focus meanwhile.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".portal-error-summary");
  if (!summary) {
    return;
  }
  summary.focus();
  if (window.location.hash) {
    window.addEventListener("load", function () {
      if (document.activeElement === summary || document.activeElement === document.body) {
        summary.focus();
      }
    });
  }
});
