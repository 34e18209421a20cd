// The project page's forms are sent once: a double click on a button sent a second request,
// whose answer ("skipped: already in the project") replaced the first's ("imported"), so the
// user was told nothing was imported (QA16). The button is disabled once the form is on its
// way (after the browser has read the form, so that nothing of it is left out).
for (const form of document.querySelectorAll("form[method=post]")) {
  form.addEventListener("submit", () => {
    setTimeout(() => {
      for (const button of form.querySelectorAll("button")) button.disabled = true;
    }, 0);
  });
}

// Back to the page from the browser's back/forward cache: its buttons as they were before sending.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const button of document.querySelectorAll("form[method=post] button")) button.disabled = false;
});
