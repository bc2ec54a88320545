// The app's only script besides htmx (the Content-Security-Policy allows no inline script):
// buttons marked data-print print the page.
document.addEventListener("click", function (event) {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
