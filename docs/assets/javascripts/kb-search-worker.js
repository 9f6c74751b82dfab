/* Search over the index in shards (scripts/kb/shards.py), for a site too large for one index.
 *
 * A search worker speaking Material for MkDocs' worker protocol (SETUP 0, READY 1, QUERY 2,
 * RESULT 3; integrations/search/worker/message), started by kb-search.js in place of Material's
 * when the site's search_index.json carries config.kb_shards. Nothing is loaded up front: a query
 * fetches the word list of each word's first letters, the postings of the words it matches and the
 * entries it shows, and keeps them for the next query. Answers go out in the order the queries
 * came in (kb-search.js pairs them so); one the reader has typed past while it waited gets the
 * answer before it instead of a lookup.
 *
 * Scores follow Material's lunr index (see shards.py): a word matches the words it begins
 * (Material's "word*"), "word~N" the words within N edits (kb-search.js's second try); an entry's
 * score is the sum of its matched words' weights, times Material's boost after the query
 * (1 + (page? 1 : 0) + share of the query's words it holds)^2; results are grouped by page, the
 * best page first, each group with its page entry, as Material's worker groups them.
 */
"use strict";

var SETUP = 0;
var READY = 1;
var QUERY = 2;
var RESULT = 3;
var MAX_WORDS = 16;
var MAX_SHARDS_PER_WORD = 4;   // a short prefix matching many words reads their commonest first
var MAX_FUZZY = 8;             // words taken for one loosely spelled word
var MAX_SECTIONS = 5;          // sections shown under one page

var manifest = null;
var base = "";
var separator = /[\s\-]+/;
var stop = new Set();
var vocabKeys = new Set();
var files = new Map();
var queue = Promise.resolve();
var asked = 0;                 // queries received
var shown = {items: []};       // the last answer

function load(name) {
  var known = files.get(name);
  if (known) return known;
  var promise = fetch(base + name).then(function (response) {
    if (!response.ok) throw new Error(name + ": HTTP " + response.status);
    return response.json();
  });
  promise.catch(function () { files.delete(name); });  // asked again next time
  files.set(name, promise);
  return promise;
}

function trim(word) {
  return word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
}

// The query's words: {word, fuzzy (edits or 0)}, as shards.py's words() reads an entry.
function parse(query) {
  var out = [];
  var seen = new Set();
  String(query).toLowerCase().split(separator).forEach(function (raw) {
    var m = /^[+-]?(.*?)(?:~(\d+))?\*?$/.exec(raw);
    var word = trim(m[1]);
    var fuzzy = m[2] ? Math.min(+m[2], 2) : 0;
    if (!word || stop.has(word) || seen.has(word) || out.length >= MAX_WORDS) return;
    seen.add(word);
    out.push({word: word, fuzzy: fuzzy});
  });
  return out;
}

// The word list a word is in: the one named by the longest beginning of it (shards.py splits a
// list that grew too large by one letter more); null where no indexed word begins so.
function vocabularyOf(word) {
  var letters = Array.from(word).map(function (c) { return c.codePointAt(0).toString(16); });
  for (var n = letters.length; n > 0; n--) {
    var key = letters.slice(0, n).join("-");
    if (vocabKeys.has(key)) return key;
  }
  return null;
}

function vocabulary(key) {
  return key === null ? Promise.resolve(null) : load("v/" + key + ".json");
}

function lowerBound(list, value) {
  var lo = 0;
  var hi = list.length;
  while (lo < hi) {
    var mid = (lo + hi) >>> 1;
    if (list[mid] < value) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function edits(a, b, max) {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  var prev = [];
  for (var j = 0; j <= b.length; j++) prev.push(j);
  for (var i = 1; i <= a.length; i++) {
    var row = [i];
    var best = i;
    for (var k = 1; k <= b.length; k++) {
      var cost = a[i - 1] === b[k - 1] ? 0 : 1;
      row.push(Math.min(prev[k] + 1, row[k - 1] + 1, prev[k - 1] + cost));
      best = Math.min(best, row[k]);
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length];
}

// The indexed words a query word stands for: [{term, shard}].
function candidates(q) {
  if (q.fuzzy) {
    // the word meant is in the typed word's list, or, where its first letter was typed in excess,
    // in the list of the rest
    var keys = [vocabularyOf(q.word), vocabularyOf(Array.from(q.word).slice(1).join(""))];
    keys = keys.filter(function (k, i) { return k !== null && keys.indexOf(k) === i; });
    return Promise.all(keys.map(vocabulary)).then(function (vocabs) {
      var found = [];
      vocabs.forEach(function (v) {
        if (!v) return;
        for (var i = 0; i < v.t.length; i++) {
          var d = edits(q.word, v.t[i], q.fuzzy);
          if (d <= q.fuzzy) found.push({term: v.t[i], shard: v.s[i], d: d, n: v.n[i]});
        }
      });
      found.sort(function (a, b) { return a.d - b.d || b.n - a.n || (a.term < b.term ? -1 : 1); });
      return found.slice(0, MAX_FUZZY);
    });
  }
  var single = Array.from(q.word).length === 1;  // one letter stands for itself, not every word it begins
  return vocabulary(vocabularyOf(q.word)).then(function (v) {
    if (!v) return [];
    var found = [];
    for (var i = lowerBound(v.t, q.word); i < v.t.length && v.t[i].lastIndexOf(q.word, 0) === 0; i++) {
      if (single && v.t[i] !== q.word) break;
      found.push({term: v.t[i], shard: v.s[i], exact: v.t[i] === q.word, n: v.n[i]});
    }
    found.sort(function (a, b) { return b.exact - a.exact || b.n - a.n || (a.term < b.term ? -1 : 1); });
    var shards = new Set();
    return found.filter(function (c) {
      if (!shards.has(c.shard) && shards.size >= MAX_SHARDS_PER_WORD) return false;
      shards.add(c.shard);
      return true;
    });
  });
}

var firstEntries = null;

// The first entry of every page, ascending (pages.json holds their differences): {list, set}.
function pageStarts() {
  if (!firstEntries) {
    firstEntries = load("pages.json").then(function (deltas) {
      var at = 0;
      return {list: deltas.map(function (d) { return at += d; }), set: null};
    });
    firstEntries.catch(function () { firstEntries = null; });
  }
  return firstEntries.then(function (s) {
    if (!s.set) s.set = new Set(s.list);
    return s;
  });
}

function pageOf(starts, doc) {
  var i = lowerBound(starts.list, doc + 1) - 1;
  return starts.list[Math.max(i, 0)];
}

function escapeHTML(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// text with every word that a matched query word stands for in <mark>
function highlight(text, matches) {
  var re = new RegExp(separator.source, "g");
  var out = "";
  var last = 0;
  var m;
  function piece(token) {
    var word = trim(token.toLowerCase());
    return word && matches(word) ? "<mark>" + escapeHTML(token) + "</mark>" : escapeHTML(token);
  }
  while ((m = re.exec(text)) !== null) {
    if (!m[0].length) { re.lastIndex++; continue; }
    out += piece(text.slice(last, m.index)) + escapeHTML(m[0]);
    last = m.index + m[0].length;
  }
  return out + piece(text.slice(last));
}

function search(query) {
  var words = parse(query);
  if (!words.length) return Promise.resolve({items: []});
  return Promise.all([pageStarts(), Promise.all(words.map(candidates))]).then(function (got) {
    var starts = got[0];
    var lists = got[1];
    var shardNames = new Set();
    lists.forEach(function (list) { list.forEach(function (c) { shardNames.add(c.shard); }); });
    var names = Array.from(shardNames);
    return Promise.all(names.map(function (s) { return load("p/" + s + ".json"); })).then(function (loaded) {
      var shards = new Map();
      names.forEach(function (s, i) { shards.set(s, loaded[i]); });
      return rank(words, lists, shards, starts);
    });
  });
}

function rank(words, lists, shards, starts) {
  var scores = new Map();   // entry -> [score, bitmask of the query words it holds]
  var steps = manifest.steps;
  lists.forEach(function (list, w) {
    list.forEach(function (c) {
      var postings = shards.get(c.shard)[c.term] || [];
      var doc = 0;
      for (var i = 0; i < postings.length; i += 2) {
        doc += postings[i];
        var hit = scores.get(doc);
        if (!hit) scores.set(doc, hit = [0, 0]);
        hit[0] += Math.pow(2, postings[i + 1] / steps);
        hit[1] |= 1 << w;
      }
    });
  });
  var pages = starts.set;
  var ranked = [];
  scores.forEach(function (hit, doc) {
    var held = 0;
    for (var b = hit[1]; b; b &= b - 1) held++;
    var boost = (pages.has(doc) ? 1 : 0) + held / words.length;
    ranked.push({doc: doc, score: hit[0] * (1 + boost * boost), mask: hit[1]});
  });
  ranked.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });

  var groups = new Map();   // page entry -> ranked entries, best first
  ranked.forEach(function (r) {
    var page = pageOf(starts, r.doc);
    var group = groups.get(page);
    if (!group) {
      if (groups.size >= manifest.groups) return;
      groups.set(page, group = []);
    }
    if (group.length <= MAX_SECTIONS) group.push(r);
  });
  groups.forEach(function (group, page) {
    if (!group.some(function (r) { return r.doc === page; })) group.push({doc: page, score: 0, mask: -1});
  });

  var chunks = new Set();
  groups.forEach(function (group) { group.forEach(function (r) { chunks.add(Math.floor(r.doc / manifest.chunk)); }); });
  var chunkList = Array.from(chunks);
  var termsOf = words.map(function (q, w) {
    var set = new Set(lists[w].map(function (c) { return c.term; }));
    return {q: q, set: set};
  });
  function matches(word) {
    return termsOf.some(function (t) {
      return t.q.fuzzy ? t.set.has(word) : word.lastIndexOf(t.q.word, 0) === 0;
    });
  }
  return Promise.all(chunkList.map(function (c) { return load("d/" + c + ".json"); })).then(function (loaded) {
    var docs = new Map();
    chunkList.forEach(function (c, i) { docs.set(c, loaded[i]); });
    var items = [];
    groups.forEach(function (group) {
      items.push(group.map(function (r) {
        var d = docs.get(Math.floor(r.doc / manifest.chunk))[r.doc % manifest.chunk];
        var terms = {};
        if (r.mask !== -1) words.forEach(function (q, w) { terms[q.word] = !!(r.mask & (1 << w)); });
        var item = {location: d[0], title: highlight(d[1], matches), text: highlight(d[2], matches),
                    score: r.score, terms: terms};
        if (d[3].length) item.tags = d[3].map(escapeHTML);  // the theme writes tags as HTML
        return item;
      }));
    });
    // how many entries match (exact for one word: the entries holding the words it stands for;
    // for several, the most of any one of them, since a word keeps only its best entries), and
    // which words matched anywhere (kb-search.js asks again loosely only for those that did not)
    var total = scores.size;
    lists.forEach(function (list) {
      total = Math.max(total, list.reduce(function (n, c) { return n + c.n; }, 0));
    });
    var found = words.filter(function (q, w) { return lists[w].length > 0; }).map(function (q) { return q.word; });
    return {items: items, kb_matches: total, kb_found: found};
  });
}

addEventListener("message", function (event) {
  var message = event.data || {};
  if (message.type === SETUP) {
    var config = message.data.config;
    manifest = config.kb_shards;
    base = new URL("../../search/" + manifest.path, self.location.href).href;
    separator = new RegExp(config.separator || "[\\s\\-]+");
    stop = new Set(manifest.stop);
    vocabKeys = new Set(manifest.vocab);
    pageStarts();
    postMessage({type: READY});
  } else if (message.type === QUERY) {
    var query = message.data;
    var id = ++asked;
    queue = queue.then(function () {
      // a query the reader has typed past is answered with the answer before (kept on screen
      // until the newest is ready), not looked up
      return id < asked ? shown : search(query);
    }).catch(function (err) {
      console.warn("kb search: " + query + ": " + err);
      return {items: []};
    }).then(function (data) {
      shown = data;
      postMessage({type: RESULT, data: data});
    });
  }
});
