// Triage page: choosing a response template pre-fills the public note (without JavaScript the
// server uses the template when the note is left empty).
(function () {
  "use strict";
  var select = document.getElementById("template");
  var note = document.getElementById("public_note");
  if (!select || !note) { return; }
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var text = option && option.getAttribute("data-text");
    if (text && (!note.value.trim() || note.dataset.fromTemplate === "1")) {
      note.value = text;
      note.dataset.fromTemplate = "1";
    }
  });
  note.addEventListener("input", function () { note.dataset.fromTemplate = "0"; });
})();
