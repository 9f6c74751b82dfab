/* Search that waits to be wanted, and forgives a typo.
 *
 * Loaded from overrides/partials/search.html, before the theme's bundle, because both of its parts
 * wrap something the bundle creates as it starts. Plain DOM, no inline code, no network of its own:
 * it runs under the site's Content-Security-Policy.
 *
 * 1. The index is fetched when a reader first reaches for search, not on every page. Material for
 *    MkDocs (9.x, src/templates/assets/javascripts/integrations/search/worker/_/index.ts) requests
 *    search/search_index.json as soon as the page loads over http(s): only on file:// does it wait
 *    for the search toggle, and no setting changes that. Its request is an XMLHttpRequest
 *    (browser/request/index.ts), so its send() is held here until the search box gets focus, the
 *    search toggle opens, a pointer goes down on the search form, or the address asks for a search
 *    (?q=). If the theme ever fetches the index some other way, nothing is held and search still works.
 *
 * 2. A query that finds nothing for one of its words is asked again with that word spelled loosely.
 *    The theme appends a wildcard to every word (lunr: "word*"), which forgives a missing ending but
 *    not a typo such as "sarkosine". Its search worker speaks a documented message protocol
 *    (integrations/search/worker/message: SETUP 0, READY 1, QUERY 2, RESULT 3), so the worker is
 *    wrapped here: when a result shows a word of the query matched nowhere, that word is sent again
 *    as a lunr fuzzy term ("sarkosine~2", edit distance 1 for words of 4-7 letters, 2 from 8), and
 *    the theme is given that answer instead, marked in the result count as spelled loosely.
 *
 * 3. A page whose name or synonym is exactly what was typed comes first, whatever the word counts
 *    of other pages (lunr counts a word twice in "seryl-glycine, L-seryl-glycine"): "glycine" finds
 *    Glycine before Ser-Gly, "dserine" finds D-serine. Exact means equal once case and every
 *    character other than a letter or digit are set aside. Its score is raised with its rank, since
 *    the theme's Enter key opens the result with the highest score.
 *
 * 4. A site too large for one index (scripts/kb/shards.py) says so in its index's config
 *    (kb_shards): its setup message then goes to kb-search-worker.js, a worker of the same protocol
 *    that looks the index up in shards instead of loading it whole, and Material's worker is
 *    stopped. Everything above works on its answers alike.
 */
(function () {
  "use strict";

  // ---- 1. fetch the index only when search is wanted ---------------------------------------
  var INDEX = /\/search\/search_index\.json(?:[?#]|$)/;
  var wantedYet = false;
  var held = [];

  function want() {
    if (wantedYet) return;
    wantedYet = true;
    held.splice(0).forEach(function (go) { go(); });
  }

  var XHR = window.XMLHttpRequest && window.XMLHttpRequest.prototype;
  if (XHR) {
    var open = XHR.open;
    var send = XHR.send;
    var abort = XHR.abort;
    XHR.open = function (method, url) {
      this.__kbIndex = INDEX.test(String(url));
      this.__kbAborted = false;
      return open.apply(this, arguments);
    };
    XHR.abort = function () {
      this.__kbAborted = true;
      return abort.apply(this, arguments);
    };
    XHR.send = function () {
      if (this.__kbIndex && !wantedYet) {
        var xhr = this;
        var args = arguments;
        held.push(function () {
          if (xhr.readyState === 1 && !xhr.__kbAborted) send.apply(xhr, args);  // still wanted
        });
        return undefined;
      }
      return send.apply(this, arguments);
    };
  }

  document.addEventListener("focusin", function (event) {
    if (event.target && event.target.matches && event.target.matches("input.md-search__input")) want();
  }, true);
  document.addEventListener("pointerdown", function (event) {
    var t = event.target;
    if (t && t.closest && t.closest(".md-search, label[for='__search']")) want();
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "__search" && event.target.checked) want();
  }, true);
  if (new URLSearchParams(window.location.search).has("q")) want();

  // ---- 2. forgive a typo -------------------------------------------------------------------
  var SETUP = 0;
  var QUERY = 2;
  var RESULT = 3;
  var Native = window.Worker;
  if (typeof Native !== "function") return;

  // Words of the query (split at white space) that no result matched, judged by the theme's own
  // per-result record of which query terms each result holds.
  function unmatched(query, data) {
    var words = query.trim().split(/\s+/).filter(function (w) { return /^[\p{L}\p{N}]{4,}$/u.test(w); });
    if (!words.length) return [];
    var items = data.items || [];
    if (data.kb_found) {  // 4. the shards' worker lists only the best pages, and says which words it found
      return words.filter(function (w) { return data.kb_found.indexOf(w.toLowerCase()) < 0; });
    }
    if (!items.length) return words;
    // The theme lists a word as false where it is missing, and leaves out stop words.
    var found = {};
    var missing = {};
    items.forEach(function (group) {
      group.forEach(function (doc) {
        Object.keys(doc.terms || {}).forEach(function (term) {
          (doc.terms[term] ? found : missing)[term.toLowerCase()] = true;
        });
      });
    });
    return words.filter(function (w) { return missing[w.toLowerCase()] && !found[w.toLowerCase()]; });
  }

  function loosely(query, words) {
    var loose = {};
    words.forEach(function (w) { loose[w] = true; });
    return query.trim().split(/\s+/).map(function (w) {
      return loose[w] ? w + "~" + (w.length >= 8 ? 2 : 1) : w;
    }).join(" ");
  }

  function plain(html) {
    return String(html).replace(/<[^>]*>/g, "")
      .replace(/&#(\d+);/g, function (m, n) { return String.fromCharCode(+n); })
      .replace(/&#x([0-9a-f]+);/gi, function (m, n) { return String.fromCharCode(parseInt(n, 16)); })
      .replace(/&quot;/g, "\"").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function key(text) {
    return plain(text).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
  }

  function best(group) {
    return Math.max.apply(null, group.map(function (doc) { return doc.score; }));
  }

  function exactFirst(query, data) {
    var q = key(query);
    var items = data.items || [];
    if (!q || !items.length) return;
    var exact = [];
    var rest = [];
    items.forEach(function (group) {
      var article = group.filter(function (doc) { return doc.location.indexOf("#") < 0; })[0] || group[0];
      var names = [article.title].concat(article.tags || []);
      (names.some(function (n) { return key(n) === q; }) ? exact : rest).push(group);
    });
    if (!exact.length || !rest.length) return;
    var top = Math.max.apply(null, rest.map(best));
    var low = Math.min.apply(null, exact.map(best));
    if (low > 0 && low <= top) {
      var factor = (top * 1.01) / low;
      exact.forEach(function (group) {
        group.forEach(function (doc) { doc.score *= factor; });
      });
    }
    data.items = exact.concat(rest);
  }

  function forgive(worker, url) {
    var native = worker.postMessage.bind(worker);
    var shards = null;    // 4. the worker over the index in shards, once the setup asked for it
    var addListener = worker.addEventListener.bind(worker);
    var removeListener = worker.removeEventListener.bind(worker);
    var listeners = [];   // the theme's message listeners: [theirs, ours]
    var sent = [];        // queries in flight, in order: {query, loose: words or null}
    var latest = null;    // the last query the theme asked

    function deliver(data) {
      var event = new MessageEvent("message", {data: data});
      listeners.slice().forEach(function (pair) {
        if (typeof pair[0] === "function") pair[0].call(worker, event);
        else pair[0].handleEvent(event);
      });
    }

    function post(message) {
      return shards ? shards.postMessage(message) : native(message);
    }

    worker.postMessage = function (message) {
      if (message && message.type === SETUP && !shards && message.data && message.data.config &&
          message.data.config.kb_shards) {
        // the shards' folder is named by their hash: asking for the worker with it keeps a cached
        // worker of another build from reading these shards
        shards = new Native(String(url).replace(/workers\/search\.[^/?#]*\.js.*$/, "kb-search-worker.js?" +
          encodeURIComponent(message.data.config.kb_shards.path)));
        shards.addEventListener("message", answer);
        worker.terminate();
      }
      if (message && message.type === QUERY) {
        latest = message.data;
        sent.push({query: message.data, loose: null});
      }
      return post(message);
    };

    function answer(event) {
      var message = event.data;
      if (!message || message.type !== RESULT || !sent.length) return deliver(message);
      var asked = sent.shift();
      if (asked.loose === null) {
        var words = asked.query === latest ? unmatched(asked.query, message.data) : [];
        if (!words.length) {
          exactFirst(asked.query, message.data);
          deliver(message);
          return bestOf(message.data);
        }
        sent.push({query: asked.query, loose: words});
        post({type: QUERY, data: loosely(asked.query, words)});
        return undefined;
      }
      if (asked.query !== latest) return undefined;  // the reader typed on: that answer follows
      // The loosely spelled words matched something: do not list them as missing.
      var lower = asked.loose.map(function (w) { return w.toLowerCase(); });
      (message.data.items || []).forEach(function (group) {
        group.forEach(function (doc) {
          Object.keys(doc.terms || {}).forEach(function (term) {
            if (lower.indexOf(term.toLowerCase()) >= 0) delete doc.terms[term];
          });
        });
      });
      deliver(message);
      var meta = document.querySelector(".md-search-result__meta");
      if (meta && (message.data.items || []).length) {
        meta.textContent += " (similar spellings)";
      }
      return bestOf(message.data);
    }

    // 4. The worker over shards lists the best pages only: say of how many matching entries.
    function bestOf(data) {
      var meta = document.querySelector(".md-search-result__meta");
      var shown = (data.items || []).length;
      if (meta && shown && data.kb_matches > shown) {
        meta.textContent += " (the best of " + (data.kb_found.length > 1 ? "at least " : "") +
          data.kb_matches.toLocaleString("en") + " matching entries)";
      }
      return undefined;
    }
    addListener("message", answer);

    worker.addEventListener = function (type, listener, options) {
      if (type !== "message") return addListener(type, listener, options);
      listeners.push([listener, options]);
      return undefined;
    };
    worker.removeEventListener = function (type, listener, options) {
      if (type !== "message") return removeListener(type, listener, options);
      listeners = listeners.filter(function (pair) { return pair[0] !== listener; });
      return undefined;
    };
  }

  function KBWorker(url, options) {
    var worker = arguments.length > 1 ? new Native(url, options) : new Native(url);
    if (/\/workers\/search\.[^/]*\.js(?:[?#]|$)/.test(String(url))) forgive(worker, url);
    return worker;
  }
  KBWorker.prototype = Native.prototype;
  window.Worker = KBWorker;
})();
