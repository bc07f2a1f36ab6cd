// The timeline page's print button (a script file: the page's CSP allows no inline script).
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-gs-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
});
