// A form sent back with errors: the keyboard focus goes to its error summary (RGAA 11.11),
// whose links lead to each field. A file rather than an inline script: the CSP allows it.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".portal-error-summary");
  if (summary) {
    summary.focus();
  }
});
