// Keyboard use of the staff queue: j/k or arrows move between rows, x or space selects,
// Enter opens, / jumps to the search box. Works on the server-rendered table; nothing else needed.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  var search = document.getElementById("f-q");
  var selectAll = document.getElementById("select-all");
  var current = -1;

  function link(row) { return row.querySelector("a.open"); }
  function box(row) { return row.querySelector("input[type=checkbox]"); }

  function focusRow(index) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    link(rows[current]).focus();
  }

  rows.forEach(function (row, i) {
    row.addEventListener("focusin", function () {
      current = i;
      rows.forEach(function (other, j) { other.classList.toggle("current", j === i); });
    });
  });

  if (selectAll) {
    selectAll.addEventListener("change", function () {
      rows.forEach(function (row) { box(row).checked = selectAll.checked; });
    });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" && target.type !== "checkbox" ||
                            target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (typing) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    if (event.key === "j" || event.key === "ArrowDown") {
      event.preventDefault(); focusRow(current + 1);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      event.preventDefault(); focusRow(current < 0 ? 0 : current - 1);
    } else if ((event.key === "x" || event.key === " ") && current >= 0) {
      event.preventDefault();
      var checkbox = box(rows[current]);
      checkbox.checked = !checkbox.checked;
    } else if (event.key === "/" && search) {
      event.preventDefault(); search.focus(); search.select();
    }
  });
})();
