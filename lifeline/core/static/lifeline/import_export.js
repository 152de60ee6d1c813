// The admin's export page (templates/admin/import_export/export.html): "select all" toggles every
// field, as django-import-export's inline onchange did (the Content-Security-Policy forbids those).
document.addEventListener("change", function (event) {
  if (event.target.matches("input.select-toggle") && typeof onSelectToggleChange === "function") {
    onSelectToggleChange(event);
  }
});
