/* Evidence filters for claim lists and for the evidence map.
 *
 * Pages with claims carry a hidden placeholder, <div class="kb-filter" data-kb-filter hidden>, and
 * each claim is a <div class="kb-claim" data-evidence="...">, grouped under headings whose id is
 * "<evidence>-claims". The evidence map carries <div ... data-kb-filter="map">; each of its rows is a
 * <tr class="kb-map__pair" data-evidence="type type ..."> holding one <a class="kb-map-entry"
 * data-evidence="type"> per type, grouped in one <tbody> per compound.
 *
 * Without JavaScript the page is a plain, readable list or table. With it, the placeholder becomes a
 * row of toggle buttons, one per evidence type present (badge icon, name and count) plus "All", that
 * show only what is of the chosen type. The choice lives in the address as ?evidence=<type>, so a
 * filtered view can be shared, reloads as shared, and the browser's back and forward buttons step
 * through the choices; a claim's own anchor (#claim-id) is kept untouched. Plain DOM, no inline
 * code, no network: it runs under the site's Content-Security-Policy.
 */
(function () {
  "use strict";

  var PARAM = "evidence";
  var filters = [];  // one {box, show, types} per placeholder on the page

  function wanted() {
    return new URLSearchParams(window.location.search).get(PARAM) || "";
  }

  // The current address with the evidence parameter set to type (removed for ""), hash kept.
  function addressFor(type) {
    var url = new URL(window.location.href);
    if (type) url.searchParams.set(PARAM, type);
    else url.searchParams.delete(PARAM);
    return url.pathname + url.search + url.hash;
  }

  function button(label, count, type) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "kb-filter__button";
    b.setAttribute("aria-pressed", "false");
    b.dataset.kbType = type;
    if (typeof label === "string") {
      b.appendChild(document.createTextNode(label));
    } else {
      b.appendChild(label);
    }
    var n = document.createElement("span");
    n.className = "kb-filter__count";
    n.textContent = " " + count;
    b.appendChild(n);
    return b;
  }

  function all(scope, selector) {
    return Array.prototype.slice.call(scope.querySelectorAll(selector));
  }

  // What a filter acts on: its items (claims, or map rows), the types present in the order the
  // page gives, the count and a badge per type, and how to show one type.
  function claimList(box, scope) {
    var claims = all(scope, ".kb-claim[data-evidence]");
    var headings = all(scope, "h3[id$='-claims']");
    return {
      items: claims,
      typesOf: function (c) { return [c.dataset.evidence]; },
      noun: ["claim", "claims"],
      apply: function (type) {
        var shown = 0;
        claims.forEach(function (c) {
          var on = !type || c.dataset.evidence === type;
          c.hidden = !on;
          if (on) shown += 1;
        });
        headings.forEach(function (h) {
          h.hidden = !!type && h.id !== type + "-claims";
        });
        return shown;
      }
    };
  }

  function evidenceMap(box, scope) {
    var rows = all(scope, ".kb-map__pair[data-evidence]");
    var groups = all(scope, ".kb-map tbody");
    return {
      items: rows,
      typesOf: function (r) { return r.dataset.evidence.split(" "); },
      noun: ["compound–condition pair", "compound–condition pairs"],
      apply: function (type) {
        var shown = 0;
        rows.forEach(function (r) {
          var on = !type || r.dataset.evidence.split(" ").indexOf(type) >= 0;
          r.hidden = !on;
          if (on) shown += 1;
          all(r, ".kb-map-entry[data-evidence]").forEach(function (e) {
            e.hidden = !!type && e.dataset.evidence !== type;
          });
          // the studies cell counts the studies behind the shown type only
          var studies = r.querySelector(".kb-map__studies");
          if (studies) {
            var n = type ? studies.getAttribute("data-studies-" + type) : null;
            if (studies.dataset.kbAll === undefined) {
              studies.dataset.kbAll = studies.querySelector(".kb-map__n").textContent;
            }
            var count = n === null ? studies.dataset.kbAll : n;
            studies.querySelector(".kb-map__n").textContent = count;
            studies.querySelector(".kb-map__unit").textContent = count === "1" ? "study" : "studies";
          }
        });
        groups.forEach(function (g) {
          g.hidden = !!type && !g.querySelector(".kb-map__pair:not([hidden])");
        });
        return shown;
      }
    };
  }

  function setup(box) {
    if (box.dataset.kbReady) return;
    var scope = box.closest("article") || document;
    var list = box.dataset.kbFilter === "map" ? evidenceMap(box, scope) : claimList(box, scope);
    if (!list.items.length) return;
    box.dataset.kbReady = "true";

    var order = (box.dataset.kbOrder || "").split(" ").filter(Boolean);
    var types = [];
    var counts = {};
    var badges = {};
    list.items.forEach(function (item) {
      list.typesOf(item).forEach(function (t) {
        if (!(t in counts)) {
          types.push(t);
          counts[t] = 0;
          badges[t] = item.querySelector("[data-evidence='" + t + "'] .kb-badge") || item.querySelector(".kb-badge");
        }
        counts[t] += 1;
      });
    });
    if (order.length) {
      types.sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
    }

    var group = document.createElement("div");
    group.className = "kb-filter__buttons";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Show " + list.noun[1] + " of one evidence type");
    var intro = document.createElement("span");
    intro.className = "kb-filter__label";
    intro.textContent = "Show:";
    group.appendChild(intro);

    var status = document.createElement("p");
    status.className = "kb-filter__status";
    status.setAttribute("role", "status");

    var buttons = [button("All", list.items.length, "")];
    types.forEach(function (t) {
      var label = badges[t] ? badges[t].cloneNode(true) : document.createTextNode(t);
      if (label.removeAttribute) label.removeAttribute("title");
      buttons.push(button(label, counts[t], t));
    });
    buttons.forEach(function (b) { group.appendChild(b); });

    function show(type, announce) {
      if (types.indexOf(type) < 0) type = "";  // a type this page does not have: show everything
      var shown = list.apply(type);
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.dataset.kbType === type));
      });
      var noun = list.noun[list.items.length === 1 ? 0 : 1];
      status.textContent = !announce ? "" : type
        ? "Showing " + shown + " of " + list.items.length + " " + noun + "."
        : "Showing all " + list.items.length + " " + noun + ".";
      box.dataset.kbShowing = type || "all";
      return type;
    }

    group.addEventListener("click", function (event) {
      var b = event.target.closest("button.kb-filter__button");
      if (!b) return;
      var type = show(b.dataset.kbType, true);
      if (type !== wanted()) {
        window.history.pushState(window.history.state, "", addressFor(type));
      }
    });

    box.appendChild(group);
    box.appendChild(status);
    box.hidden = false;
    filters.push({show: show, types: types});

    var type = show(wanted(), false);
    // A shared link to one claim wins over its filter: never hide the claim the address points at.
    var target = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (type && target && target.closest("[hidden]")) {
      show("", false);
      window.history.replaceState(window.history.state, "", addressFor(""));
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-kb-filter]"), setup);
  }

  // Back and forward: show what the address asks for, without adding a history entry.
  window.addEventListener("popstate", function () {
    var type = wanted();
    filters.forEach(function (f) { f.show(type, true); });
  });

  // Material's instant navigation, when enabled, swaps pages without a reload: document$ emits
  // after every swap. Without it the script runs once, at the end of <body>.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(function () { filters = []; init(); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
