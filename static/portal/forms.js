// A form sent back with errors: the keyboard focus goes to its error summary (RGAA 11.11),
// whose links lead to each field. A file rather than an inline script: the CSP allows it.
// On "load", after the browser has scrolled to an anchor of the address (#jetons…), which
// would otherwise keep the focus on the page.
window.addEventListener("load", function () {
  var summary = document.querySelector(".portal-error-summary");
  if (summary) {
    summary.focus();
  }
});
