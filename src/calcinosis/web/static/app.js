// calcinosis case page: pickers (chips), lab units, added rows, answers to questions, what-if, tabs.
// A file (no inline script, see the Content-Security-Policy); the form also works without it.
(function () {
  "use strict";
  var form = document.getElementById("case-form");

  function changed() {
    if (form) form.dispatchEvent(new Event("casechange", { bubbles: true }));
  }

  // a word as the lists compare it: accents, case and spaces aside ("Sclérodermie" = "sclerodermie")
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").trim().toLowerCase();
  }

  function optionFor(listId, text) {
    var list = document.getElementById(listId);
    if (!list) return null;
    var wanted = fold(text);
    for (var i = 0; i < list.options.length; i++) {
      var o = list.options[i];
      if (fold(o.value) === wanted || o.dataset.id === text.trim()) return o;
    }
    return null;
  }

  function labelOf(listName, id) {
    var list = document.getElementById("dl-" + listName);
    if (!list) return id;
    for (var i = 0; i < list.options.length; i++) {
      var o = list.options[i];
      if (o.dataset.id === id && !o.dataset.label) return o.value;
    }
    return id;
  }

  function addChip(picker, id, text) {
    var chips = picker.querySelector(".chips");
    var name = picker.dataset.name;
    var present = chips.querySelector('input[value="' + CSS.escape(id) + '"]');
    if (present) return false;
    var tpl = document.getElementById("tpl-chip");
    var li = tpl.content.firstElementChild.cloneNode(true);
    var input = li.querySelector("input");
    input.name = name;
    input.value = id;
    li.querySelector("span").textContent = text;
    li.querySelectorAll("button").forEach(function (b) {
      if (b.classList.contains("remove")) b.setAttribute("aria-label", form.dataset.msgRemove.replace("{}", text));
      if (b.classList.contains("whatif")) {
        if (["history", "exposures", "findings", "sites"].indexOf(name) < 0) { b.remove(); return; }
        b.dataset.key = name; b.dataset.term = id;
        b.setAttribute("aria-label", form.dataset.msgWhatif.replace("{}", text));
      }
    });
    chips.appendChild(li);
    return true;
  }

  function pick(picker) {
    var field = picker.querySelector("input[list]");
    var error = picker.querySelector(".pick-error");
    var text = field.value;
    if (!text.trim()) return;
    var option = optionFor(field.getAttribute("list"), text);
    if (!option) {
      error.textContent = form.dataset.msgUnknown.replace("{}", text);
      error.hidden = false;
      return;
    }
    error.hidden = true;
    var label = option.dataset.label || option.value;
    if (addChip(picker, option.dataset.id, label)) changed();
    field.value = "";
    field.focus();
  }

  function pickerFor(name) {
    return document.querySelector('.picker[data-name="' + CSS.escape(name) + '"]');
  }

  function setUnits(select) {
    var row = select.closest("tr");
    var unit = row.querySelector(".lab-unit");
    var units = JSON.parse(form.dataset.units)[select.value] || [];
    var current = unit.value;
    unit.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = ""; blank.textContent = "—";
    unit.appendChild(blank);
    units.forEach(function (u) {
      var o = document.createElement("option");
      o.value = u; o.textContent = u;
      if (u === current || units.length === 1) o.selected = true;
      unit.appendChild(o);
    });
  }

  function addRow(tableId) {
    var body = document.querySelector("#" + tableId + " tbody");
    var last = body.lastElementChild;
    var row = last.cloneNode(true);
    var index = body.children.length;
    row.querySelectorAll("[id],[name],[for]").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) el.setAttribute(attr, v.replace(/-(\d+)-/, "-" + index + "-"));
      });
      if (el.tagName === "INPUT" && el.type !== "hidden") el.value = "";
      if (el.tagName === "SELECT") el.selectedIndex = 0;
    });
    row.querySelectorAll("label.sr").forEach(function (l) { l.textContent = l.textContent.replace(/\d+$/, String(index + 1)); });
    row.querySelectorAll('input[type="hidden"]').forEach(function (h) { h.remove(); });
    body.appendChild(row);
    var first = row.querySelector("select, input");
    if (first) first.focus();
  }

  function selectTab(tab) {
    var list = tab.closest('[role="tablist"]');
    list.querySelectorAll('[role="tab"]').forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    tab.focus();
  }

  function initTabs(root) {
    (root || document).querySelectorAll("[data-tabs]").forEach(function (box) {
      var selected = box.querySelector('[role="tab"][aria-selected="true"]');
      if (selected) selectTab(selected);
      if (document.activeElement === selected) selected.blur();
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("button");
    if (!t) return;
    if (t.classList.contains("add")) { pick(t.closest(".picker")); }
    else if (t.classList.contains("remove")) {
      var li = t.closest("li"); var picker = t.closest(".picker");
      li.remove(); changed();
      var field = picker && picker.querySelector("input[list]"); if (field) field.focus();
    }
    else if (t.classList.contains("add-row")) { addRow(t.dataset.table); }
    else if (t.classList.contains("answer")) {
      var target = pickerFor(t.dataset.target);
      if (target && addChip(target, t.dataset.term, labelOf(t.dataset.list, t.dataset.term))) changed();
    }
    else if (t.classList.contains("whatif")) {
      htmx.ajax("POST", "/ui/whatif?lang=" + form.dataset.lang + "&key=" + encodeURIComponent(t.dataset.key) +
        "&term=" + encodeURIComponent(t.dataset.term), { source: form, target: "#whatif", swap: "innerHTML" });
    }
    else if (t.classList.contains("close-whatif")) { document.getElementById("whatif").innerHTML = ""; }
    else if (t.getAttribute("role") === "tab") { selectTab(t); }
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t.matches && t.matches(".picker input[list]") && e.key === "Enter") {
      e.preventDefault(); pick(t.closest(".picker"));
    }
    if (t.getAttribute && t.getAttribute("role") === "tab" && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
      var tabs = Array.prototype.slice.call(t.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
      var i = tabs.indexOf(t) + (e.key === "ArrowRight" ? 1 : -1);
      selectTab(tabs[(i + tabs.length) % tabs.length]);
    }
  });

  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("lab-test")) setUnits(e.target);
  });

  // the language switch on the case page carries the case being typed to the other language
  // (the page is drawn again from the posted form; a plain link lost everything)
  document.querySelectorAll("nav.lang a[hreflang]").forEach(function (link) {
    link.addEventListener("click", function (e) {
      if (!form || link.getAttribute("aria-current")) return;
      e.preventDefault();
      form.setAttribute("action", "/ui/page?lang=" + link.getAttribute("hreflang"));
      form.submit();
    });
  });

  // "Update the result" and Enter in a field redraw the result in place, as every change does
  // (the browser would otherwise open the result fragment as a page of its own); the report
  // buttons, which name their own address, download as forms do
  if (form) form.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.hasAttribute("formaction")) return;
    e.preventDefault(); changed();
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    initTabs(e.detail.target);
    // a what-if answer is drawn below the result: bring it into view, and the reader's focus to it
    if (e.detail.target.id === "whatif" && e.detail.target.firstElementChild) {
      e.detail.target.scrollIntoView({ block: "start" });
      e.detail.target.setAttribute("tabindex", "-1");
      e.detail.target.focus({ preventScroll: true });
    }
  });
  document.addEventListener("DOMContentLoaded", function () { initTabs(document); });
})();
