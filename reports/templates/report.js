(function () {
  "use strict";
  // Progressive enhancement: with scripting off the page still shows every requirement, every control
  // and its first findings. This script filters, and draws from the page's data block (JSON, never
  // run) what is not markup yet: the evidence index a page at a time and a control's further findings.
  // It builds elements and sets their textContent; it never writes markup, so nothing from the data
  // can become code.
  var d = document;
  window.__pcicheckStartAt = performance.now();  // the parser reached the script: for bench/html_report.py
  var form = d.getElementById("filters");
  if (!form || !d.querySelectorAll || !window.JSON) { return; }
  var PAGE = 100;  // findings drawn by "Show more", index rows per page
  var FIRST = 10;  // findings per control a filter draws at once (as many as the page writes as markup)
  var data = readData();
  window.__pcicheckDataAt = performance.now();
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
    var more = el.querySelector(".more");
    var key = more ? more.getAttribute("data-c") : null;
    var rows = key !== null && Object.prototype.hasOwnProperty.call(data.pending, key) ? data.pending[key] : [];
    return {
      el: el, head: head, headText: head.textContent, items: toArray(el.querySelectorAll(".f")),
      more: more, button: more ? more.querySelector("button") : null, pending: rows.slice(), matching: rows.length
    };
  });
  var reqs = toArray(d.querySelectorAll("section.requirements .req"));
  var hay = new Map();
  var rowHay = new Map();

  function toArray(list) { return Array.prototype.slice.call(list); }

  function readData() {
    var empty = {
      strings: [], statuses: [], listed: [], controls: [], resources: [], index: [], pending: {}, groups: [],
      linksets: [], connected: []
    };
    var el = d.getElementById("pcicheck-data");
    try {
      var parsed = el ? JSON.parse(el.textContent) : null;
      return parsed && typeof parsed === "object" ? parsed : empty;
    } catch (e) {
      return empty;
    }
  }

  function make(tag, cls, text) {
    var el = d.createElement(tag);
    if (cls) { el.className = cls; }
    if (text !== undefined && text !== null) { el.textContent = String(text); }
    return el;
  }

  function add(parent) {
    for (var i = 1; i < arguments.length; i += 1) {
      var part = arguments[i];
      parent.appendChild(typeof part === "string" ? d.createTextNode(part) : part);
    }
    return parent;
  }

  function count(n) { return Number(n).toLocaleString("en-US"); }
  function words(status) { return String(status).replace(/_/g, " "); }
  // A string the data block writes once (html_data.PageData.string) and rows name by position.
  function str(i) {
    var s = typeof i === "number" ? data.strings[i] : undefined;
    return s === undefined ? "" : String(s);
  }
  // Flat [key, value, key, value, …] string positions as [key, value] pairs.
  function pairsOf(flat) {
    var out = [];
    for (var i = 0; i + 1 < (flat || []).length; i += 2) { out.push([str(flat[i]), str(flat[i + 1])]); }
    return out;
  }
  // A resource's row (html_data.PageData.resource): name, uid, where it was read, the evidence values its
  // findings show by path, and the details a finding shows (present once a finding drawn from data names it).
  function resource(i) {
    var r = data.resources[i] || [];
    var x = r[4] || [];
    return {
      name: r[0] || "", uid: r[1] || "", source: str(r[2]), shown: r[3] || [], type: str(x[0]),
      account: str(x[1]), region: str(x[2]), scope: str(x[3]), reason: str(x[4]), tenant: str(x[5]),
      tags: pairsOf(x[6]), tagsMore: x[7] || 0
    };
  }

  // A finding's evidence as [path, value] pairs: its own, or the paths it names (string positions), their values
  // in its resource's row (path, value positions in turn).
  function evidence(row) {
    var shownBy = resource(row[2]).shown;
    return (row[4] || []).map(function (p) {
      if (typeof p !== "number") { return p; }
      for (var i = 0; i + 1 < shownBy.length; i += 2) {
        if (shownBy[i] === p) { return [str(p), str(shownBy[i + 1])]; }
      }
      return [str(p), ""];
    });
  }

  // Text to search, built on first use: a control's items also match on the control's own heading, and a
  // collapsed group on the names it has not drawn yet.
  function text(el, extra) {
    var t = hay.get(el);
    if (t === undefined) {
      var pend = el.querySelector("li.pend");
      t = ((extra || "") + " " + el.textContent + " " + (el.getAttribute("title") || "") + " " +
        (pend ? listedRows(pend).map(listedText).join(" ") : "")).toLowerCase();
      hay.set(el, t);
    }
    return t;
  }

  // A collapsed group's names past the markup (html_data.PageData.listed_rows): evidence id, resource, its
  // evidence on one line, and the name when it is not the resource's own.
  function listedRows(pend) {
    var rows = data.groups[Number(pend.getAttribute("data-g"))];
    return Array.isArray(rows) ? rows : [];
  }

  function listedName(row) {
    if (row.length > 3) { return String(row[3]); }
    var res = resource(row[1]);
    return res.name || res.uid;
  }

  function listedText(row) { return [row[0], listedName(row), str(row[2])].join(" "); }

  // Draws a group's names in place of its placeholder, as the template writes the first ones.
  function drawListed(pend) {
    if (!pend.parentNode) { return; }
    var frag = d.createDocumentFragment();
    listedRows(pend).forEach(function (row) {
      var li = make("li");
      li.id = row[0];
      var link = make("a", "ev", row[0]);
      link.setAttribute("href", "#" + row[0]);
      add(li, link, " ", make("span", "name", listedName(row)));
      if (str(row[2])) { add(li, " ", make("code", "muted", str(row[2]))); }
      frag.appendChild(li);
    });
    pend.parentNode.replaceChild(frag, pend);
  }

  function drawAllListed() { toArray(d.querySelectorAll("li.pend")).forEach(drawListed); }

  function has(list, token) { return (" " + (list || "") + " ").indexOf(" " + token + " ") !== -1; }

  function matches(el, f, extra) {
    if (f.s && !has(el.getAttribute("data-s"), f.s)) { return false; }
    if (f.v && el.getAttribute("data-v") !== f.v) { return false; }
    if (f.d && el.getAttribute("data-d") !== f.d) { return false; }
    if (f.q && text(el, extra).indexOf(f.q) === -1) { return false; }
    return true;
  }

  // A finding not drawn yet, judged as its element would be: the same text, from the data.
  function pairsText(list, sep, join) {
    return (list || []).map(function (p) { return p[0] + sep + p[1]; }).join(join);
  }

  function rowText(row, c) {
    var t = rowHay.get(row);
    if (t === undefined) {
      var res = resource(row[2]);
      t = [c.headText, row[0], words(data.statuses[row[1]]), res.name, res.type, res.uid, res.account, res.region,
        res.scope, res.reason, res.tenant, str(row[3]), pairsText(res.tags, "=", "; "), pairsText(evidence(row), ": ", "\n"),
        pairsText(row[6], ": ", "; ")]
        .join(" ").toLowerCase();
      rowHay.set(row, t);
    }
    return t;
  }

  function rowMatches(row, c, f) {
    if (f.s && data.statuses[row[1]] !== f.s) { return false; }
    if (f.v && c.head.getAttribute("data-v") !== f.v) { return false; }
    if (f.d && c.head.getAttribute("data-d") !== f.d) { return false; }
    if (f.q && rowText(row, c).indexOf(f.q) === -1) { return false; }
    return true;
  }

  // One finding as the template writes it (_macros.html.j2 `finding`), from a data row.
  function finding(row, c) {
    var status = String(data.statuses[row[1]]);
    var res = resource(row[2]);
    var el = make("div", "fd f st-" + status);
    el.id = row[0];
    el.setAttribute("data-s", status);
    el.setAttribute("data-v", c.head.getAttribute("data-v") || "");
    el.setAttribute("data-d", c.head.getAttribute("data-d") || "");
    var link = make("a", "ev", row[0]);
    link.setAttribute("href", "#" + row[0]);
    add(el, add(make("p", "fh"), link, " ", make("span", "badge s-" + status, words(status)), " ",
      make("b", "name", res.name), " ", make("span", "muted mono", res.type)));
    add(el, make("p", "fm", str(row[3])));
    add(el, add(make("p", "fr"), make("code", "", res.uid), " · account " + (res.account || "—") + " · region " +
      (res.region || "—") + " · " + (res.scope || "—") + (res.reason ? " (" + res.reason + ")" : "") +
      (res.tenant ? " · tenant " + res.tenant : "")));
    if (res.tags.length) {
      add(el, make("p", "fr", "tags: " + pairsText(res.tags, "=", "; ") + (res.tagsMore ? " (and " + count(res.tagsMore) + " more)" : "")));
    }
    if (row[4] && row[4].length) {
      add(el, make("pre", "evd", pairsText(evidence(row), ": ", "\n") + (row[5] ? "\n(and " + count(row[5]) + " more attributes)" : "")));
    }
    if (row[6] && row[6].length) {
      add(el, make("p", "fw", "waiver: " + row[6].map(function (p) { return words(p[0]) + ": " + p[1]; }).join("; ")));
    }
    return el;
  }

  // Draws `rows` of a control's pending findings (in the order given) before its "more" box.
  function draw(c, rows) {
    if (!rows.length) { return; }
    var drawn = new Set(rows);
    var frag = d.createDocumentFragment();
    rows.forEach(function (row) {
      var el = finding(row, c);
      frag.appendChild(el);
      c.items.push(el);
    });
    c.more.parentNode.insertBefore(frag, c.more);
    c.pending = c.pending.filter(function (row) { return !drawn.has(row); });
  }

  function label(c, active) {
    if (!c.button) { return; }
    var n = active ? c.matching : c.pending.length;
    c.button.hidden = n === 0;
    c.button.textContent = "Show " + count(Math.min(PAGE, n)) + " more of " + count(n) + (active ? " matching" : "") +
      " findings not shown";
  }

  function current() {
    return { s: fields.s.value, v: fields.v.value, d: fields.d.value, q: fields.q.value.trim().toLowerCase() };
  }

  function isActive(f) { return !!(f.s || f.v || f.d || f.q); }

  function apply() {
    var f = current();
    var active = isActive(f);
    var onlyText = !(f.s || f.v || f.d);
    var items = 0, itemsShown = 0, controlsShown = 0;
    controls.forEach(function (c) {
      var any = false;
      if (c.pending.length) {
        // A filter looks at every finding: the first few of those it matches are drawn now.
        var hits = active ? c.pending.filter(function (row) { return rowMatches(row, c, f); }) : [];
        draw(c, hits.slice(0, FIRST));
        c.matching = hits.length - Math.min(FIRST, hits.length);
      }
      c.items.forEach(function (el) {
        var ok = !active || matches(el, f, c.headText);
        show(el, ok);
        items += 1;
        if (ok) { itemsShown += 1; any = true; }
      });
      items += c.pending.length;
      if (active) { itemsShown += c.matching; any = any || c.matching > 0; }
      label(c, active);
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

  function show(el, on) { el.classList.toggle("x", !on); }

  function showMore(c) {
    var f = current();
    var active = isActive(f);
    var next = (active ? c.pending.filter(function (row) { return rowMatches(row, c, f); }) : c.pending).slice(0, PAGE);
    draw(c, next);
    if (active) { c.matching = Math.max(0, c.matching - next.length); }
    label(c, active);
  }

  // The evidence index: every result, a page at a time, searched over all rows. The data block writes it flat,
  // four numbers or strings per result (html_data.PageData.result); `rows` are result positions.
  var index = (function () {
    var box = d.getElementById("index");
    var total = Math.floor(data.index.length / 4);
    if (!box || !total) { return null; }
    var pager = box.querySelector(".pager");
    var all = new Array(total);
    for (var i = 0; i < total; i += 1) { all[i] = i; }
    var state = {
      box: box, body: box.querySelector("tbody"), at: 0, all: all, rows: all, cache: [],
      out: pager.querySelector("output"), prev: pager.querySelector("[data-step='-1']"),
      next: pager.querySelector("[data-step='1']"), q: pager.querySelector("input")
    };
    pager.hidden = false;
    return state;
  })();

  function indexRow(n) {
    var at = n * 4;
    return [data.index[at], data.index[at + 1], data.index[at + 2], data.index[at + 3]];
  }

  function indexText(n) {
    var t = index.cache[n];
    if (t === undefined) {
      var row = indexRow(n);
      var c = data.controls[row[2]] || ["", ""];
      var res = resource(row[3]);
      t = [row[0], words(data.statuses[row[1]]), c[0], c[1], res.name, res.uid, res.source].join(" ").toLowerCase();
      index.cache[n] = t;
    }
    return t;
  }

  function drawIndex() {
    var end = Math.min(index.at + PAGE, index.rows.length);
    var frag = d.createDocumentFragment();
    for (var i = index.at; i < end; i += 1) {
      var row = indexRow(index.rows[i]);
      var status = String(data.statuses[row[1]]);
      var c = data.controls[row[2]] || ["", ""];
      var res = resource(row[3]);
      var tr = make("tr");
      tr.setAttribute("data-status", status);
      var id = make("td", "mono");
      if (data.listed.indexOf(status) !== -1) {
        var link = make("a", "", row[0]);
        link.setAttribute("href", "#" + row[0]);
        id.appendChild(link);
      } else {
        id.textContent = row[0];
      }
      add(tr, id, make("td", "", words(status)), make("td", "", c[0]), make("td", "", c[1]),
        add(make("td"), res.name, make("br"), make("span", "muted mono", res.uid)), make("td", "mono", res.source));
      frag.appendChild(tr);
    }
    index.body.textContent = "";
    index.body.appendChild(frag);
    var of = index.rows === index.all ? count(index.all.length) : count(index.rows.length) + " matching (of " + count(index.all.length) + ")";
    index.out.value = index.rows.length ? "rows " + count(index.at + 1) + "–" + count(end) + " of " + of : "no row matches";
    index.prev.disabled = index.at === 0;
    index.next.disabled = end >= index.rows.length;
  }

  function searchIndex() {
    var q = index.q.value.trim().toLowerCase();
    index.rows = q ? index.all.filter(function (n) { return indexText(n).indexOf(q) !== -1; }) : index.all;
    index.at = 0;
    drawIndex();
  }

  // The connected-to systems past the first page (the markup): drawn a page at a time as the template writes them.
  var connected = (function () {
    var box = d.getElementById("connected");
    var pager = box ? box.querySelector(".pager") : null;
    if (!pager || !data.connected.length) { return null; }
    var body = box.querySelector("tbody");
    var state = {
      body: body, at: 0, size: Math.max(1, body.rows.length), out: pager.querySelector("output"),
      prev: pager.querySelector("[data-step='-1']"), next: pager.querySelector("[data-step='1']")
    };
    pager.hidden = false;
    return state;
  })();

  function connectedRow(row) {
    var links = data.linksets[row[4]] || [];
    var linkCell = make("td");
    for (var i = 0; i + 2 < links.length; i += 3) {
      if (i) { linkCell.appendChild(make("br")); }
      add(linkCell, str(links[i]) + " " + str(links[i + 1]) + ": ", make("b", "", str(links[i + 2])));
    }
    var verdicts = make("td");
    (row[5] || []).forEach(function (v, i) {
      if (i) { add(verdicts, ", "); }
      verdicts.appendChild(make("span", "badge s-" + v[0], v[1] + " " + v[0]));
    });
    if (!(row[5] || []).length) { verdicts.appendChild(make("span", "muted", "none")); }
    return add(make("tr"), add(make("td"), make("span", "name", row[0]), make("br"), make("code", "muted", row[1])),
      make("td", "mono", str(row[2])), add(make("td"), row[3] ? "tagged" : make("b", "", "untagged, connected to the CDE")),
      linkCell, verdicts);
  }

  function drawConnected(redraw) {
    var c = connected;
    var end = Math.min(c.at + c.size, data.connected.length);
    if (redraw) {
      var frag = d.createDocumentFragment();
      for (var i = c.at; i < end; i += 1) { frag.appendChild(connectedRow(data.connected[i])); }
      c.body.textContent = "";
      c.body.appendChild(frag);
    }
    c.out.value = "systems " + count(c.at + 1) + "–" + count(end) + " of " + count(data.connected.length);
    c.prev.disabled = c.at === 0;
    c.next.disabled = end >= data.connected.length;
  }

  // Runs `fn` once typing pauses.
  function debounced(fn) {
    var timer = 0;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, 120);
    };
  }

  // Opens the collapsed lists around a cited evidence id (index.html#EV-…) so the row is on screen,
  // drawing the finding first when it is one the page has not drawn yet.
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) { return; }
    var el = d.getElementById(id);
    if (!el) {
      controls.some(function (c) {
        var row = c.pending.filter(function (r) { return r[0] === id; })[0];
        if (row) { draw(c, [row]); label(c, isActive(current())); }
        return !!row;
      });
      el = d.getElementById(id);
    }
    if (!el) {
      toArray(d.querySelectorAll("li.pend")).some(function (pend) {
        var hit = listedRows(pend).some(function (row) { return row[0] === id; });
        if (hit) { drawListed(pend); }
        return hit;
      });
      el = d.getElementById(id);
    }
    if (!el) { return; }
    for (var p = el.closest("details"); p; p = p.parentElement && p.parentElement.closest("details")) { p.open = true; }
    show(el, true);
    el.scrollIntoView();
  }

  var opened = [];
  window.addEventListener("beforeprint", function () {
    drawAllListed();
    opened = toArray(d.querySelectorAll("details:not([open])"));
    opened.forEach(function (el) { el.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });
  window.addEventListener("hashchange", reveal);
  // A collapsed group draws the names past its first few when it opens (toggle does not bubble: captured).
  d.addEventListener("toggle", function (e) {
    var el = e.target;
    if (el.open && el.classList && el.classList.contains("grp")) {
      var pend = el.querySelector("li.pend");
      if (pend) { drawListed(pend); }
    }
  }, true);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  form.addEventListener("change", apply);
  fields.q.addEventListener("input", debounced(apply));
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  controls.forEach(function (c) {
    if (c.button) { c.button.addEventListener("click", function () { showMore(c); }); }
    label(c, false);
  });
  if (connected) {
    connected.prev.addEventListener("click", function () { connected.at = Math.max(0, connected.at - connected.size); drawConnected(true); });
    connected.next.addEventListener("click", function () { connected.at += connected.size; drawConnected(true); });
    drawConnected(false);  // the first page is the markup's
  }
  if (index) {
    index.prev.addEventListener("click", function () { index.at = Math.max(0, index.at - PAGE); drawIndex(); });
    index.next.addEventListener("click", function () { index.at += PAGE; drawIndex(); });
    index.q.addEventListener("input", debounced(searchIndex));
    drawIndex();
  }
  form.hidden = false;
  reveal();
  window.__pcicheckReadyAt = performance.now();
  window.__pcicheckReady = true;
})();
