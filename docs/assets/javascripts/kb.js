/* Evidence filter for claim lists.
 *
 * Pages with claims carry a hidden placeholder, <div class="kb-filter" data-kb-filter hidden>, and
 * each claim is a <div class="kb-claim" data-evidence="...">, grouped under headings whose id is
 * "<evidence>-claims". Without JavaScript the page is a plain, readable list. With it, the
 * placeholder becomes a row of toggle buttons, one per evidence type present (badge icon, name and
 * count) plus "All", that show only the claims of the chosen type. Plain DOM, no inline code, no
 * network: it runs under the site's Content-Security-Policy.
 */
(function () {
  "use strict";

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

  function setup(box) {
    if (box.dataset.kbReady) return;
    var scope = box.closest("article") || document;
    var claims = Array.prototype.slice.call(scope.querySelectorAll(".kb-claim[data-evidence]"));
    if (!claims.length) return;
    box.dataset.kbReady = "true";

    var types = [];
    var counts = {};
    var badges = {};
    claims.forEach(function (c) {
      var t = c.dataset.evidence;
      if (!(t in counts)) {
        types.push(t);
        counts[t] = 0;
        badges[t] = c.querySelector(".kb-badge");
      }
      counts[t] += 1;
    });

    var group = document.createElement("div");
    group.className = "kb-filter__buttons";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Show claims of one evidence type");
    var intro = document.createElement("span");
    intro.className = "kb-filter__label";
    intro.textContent = "Show:";
    group.appendChild(intro);

    var status = document.createElement("p");
    status.className = "kb-filter__status";
    status.setAttribute("role", "status");

    var buttons = [button("All", claims.length, "")];
    types.forEach(function (t) {
      var label = badges[t] ? badges[t].cloneNode(true) : document.createTextNode(t);
      if (label.removeAttribute) label.removeAttribute("title");
      buttons.push(button(label, counts[t], t));
    });
    buttons.forEach(function (b) { group.appendChild(b); });

    var headings = Array.prototype.slice.call(scope.querySelectorAll("h3[id$='-claims']"));

    function show(type) {
      var shown = 0;
      claims.forEach(function (c) {
        var on = !type || c.dataset.evidence === type;
        c.hidden = !on;
        if (on) shown += 1;
      });
      headings.forEach(function (h) {
        h.hidden = !!type && h.id !== type + "-claims";
      });
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.dataset.kbType === type));
      });
      status.textContent = type
        ? "Showing " + shown + " of " + claims.length + " claims."
        : "Showing all " + claims.length + " claims.";
      box.dataset.kbShowing = type || "all";
    }

    group.addEventListener("click", function (event) {
      var b = event.target.closest("button.kb-filter__button");
      if (b) show(b.dataset.kbType);
    });

    box.appendChild(group);
    box.appendChild(status);
    show("");
    status.textContent = "";  // announce changes only, not the initial state
    box.hidden = false;
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-kb-filter]"), setup);
  }

  // Material's instant navigation, when enabled, swaps pages without a reload: document$ emits
  // after every swap. Without it the script runs once, at the end of <body>.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
