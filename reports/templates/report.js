(function () {
  "use strict";
  // Progressive enhancement: the page is complete without this script. It only hides what does not
  // match the filters and never writes markup, so nothing from the data can become code.
  var d = document;
  var form = d.getElementById("filters");
  if (!form || !d.querySelectorAll) { return; }
  var fields = {
    s: form.elements.namedItem("status"),
    v: form.elements.namedItem("severity"),
    d: form.elements.namedItem("domain"),
    q: form.elements.namedItem("q")
  };
  var shown = d.getElementById("shown");
  var note = d.getElementById("filtered-note");
  var controls = toArray(d.querySelectorAll("section.control")).map(function (el) {
    var head = el.querySelector("header");
    return { el: el, head: head, headText: head.textContent, items: toArray(el.querySelectorAll(".f")) };
  });
  var reqs = toArray(d.querySelectorAll("section.requirements .req"));
  var hay = new Map();

  function toArray(list) { return Array.prototype.slice.call(list); }

  // Text to search, built on first use: a control's items also match on the control's own heading.
  function text(el, extra) {
    var t = hay.get(el);
    if (t === undefined) {
      t = ((extra || "") + " " + el.textContent + " " + (el.getAttribute("title") || "")).toLowerCase();
      hay.set(el, t);
    }
    return t;
  }

  function has(list, token) { return (" " + (list || "") + " ").indexOf(" " + token + " ") !== -1; }

  function matches(el, f, extra) {
    if (f.s && !has(el.getAttribute("data-s"), f.s)) { return false; }
    if (f.v && el.getAttribute("data-v") !== f.v) { return false; }
    if (f.d && el.getAttribute("data-d") !== f.d) { return false; }
    if (f.q && text(el, extra).indexOf(f.q) === -1) { return false; }
    return true;
  }

  function show(el, on) { el.classList.toggle("x", !on); }

  function apply() {
    var f = { s: fields.s.value, v: fields.v.value, d: fields.d.value, q: fields.q.value.trim().toLowerCase() };
    var active = !!(f.s || f.v || f.d || f.q);
    var onlyText = !(f.s || f.v || f.d);
    var items = 0, itemsShown = 0, controlsShown = 0;
    controls.forEach(function (c) {
      var any = false;
      c.items.forEach(function (el) {
        var ok = !active || matches(el, f, c.headText);
        show(el, ok);
        items += 1;
        if (ok) { itemsShown += 1; any = true; }
      });
      // A control with nothing to list still shows when its own heading matches the filters.
      var headOk = !active || (!f.s && matches(c.head, f, ""));
      show(c.el, any || headOk);
      if (any || headOk) { controlsShown += 1; }
    });
    // Requirements, children before parents, so a parent stays visible above any visible child.
    var childShown = {};
    for (var i = reqs.length - 1; i >= 0; i -= 1) {
      var r = reqs[i];
      var id = r.getAttribute("data-id");
      var ok = !active || !!childShown[id];
      toArray(r.querySelectorAll(".chip")).forEach(function (chip) {
        var c = !active || matches(chip, f, "");
        show(chip, c);
        if (c) { ok = true; }
      });
      if (active && !ok) {
        var own = r.querySelector(".rh");
        if (f.s === "manual") { ok = has(r.getAttribute("data-s"), "manual") && matches(own, { s: "", v: "", d: "", q: f.q }, ""); }
        else if (onlyText) { ok = matches(own, f, ""); }
      }
      show(r, ok);
      if (ok) { childShown[r.getAttribute("data-parent")] = true; }
    }
    shown.value = active ? itemsShown + " of " + items + " items (findings and collapsed groups), " + controlsShown + " of " + controls.length + " controls shown" : "";
    var parts = [];
    if (f.s) { parts.push("status " + f.s); }
    if (f.v) { parts.push("severity " + f.v); }
    if (f.d) { parts.push("domain " + f.d); }
    if (f.q) { parts.push("text \u201c" + fields.q.value.trim() + "\u201d"); }
    note.textContent = parts.length ? "Filtered view: " + parts.join(", ") + ". Clear the filters to see everything." : "";
    note.hidden = !parts.length;
  }

  var pending = 0;
  function later() {
    clearTimeout(pending);
    pending = setTimeout(apply, 120);
  }

  // Opens the collapsed lists around a cited evidence id (index.html#EV-…) so the row is on screen.
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && d.getElementById(id);
    if (!el) { return; }
    for (var p = el.closest("details"); p; p = p.parentElement && p.parentElement.closest("details")) { p.open = true; }
    el.scrollIntoView();
  }

  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = toArray(d.querySelectorAll("details:not([open])"));
    opened.forEach(function (el) { el.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });
  window.addEventListener("hashchange", reveal);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  form.addEventListener("change", apply);
  fields.q.addEventListener("input", later);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  form.hidden = false;
  reveal();
  window.__pcicheckReadyAt = performance.now();
  window.__pcicheckReady = true;
})();
