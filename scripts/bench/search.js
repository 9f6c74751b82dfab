// Usage: node search.js SEARCH_INDEX_JSON QUERIES_JSON (lunr from the repository's node_modules: npm ci).
// Material for MkDocs' search worker, reduced to what costs time: parse search_index.json,
// build the lunr index with the same fields, boosts, separator and pipeline, then query it.
const fs = require("fs");
const lunr = require("lunr");
const t0 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
const raw = fs.readFileSync(process.argv[2], "utf8");
const t1 = process.hrtime.bigint();
const data = JSON.parse(raw);
const t2 = process.hrtime.bigint();
lunr.tokenizer.separator = new RegExp(data.config.separator);
const index = lunr(function () {
  this.pipeline.reset();
  for (const name of data.config.pipeline) this.pipeline.add(lunr[name]);
  this.searchPipeline.reset();
  this.ref("location");
  this.field("title", { boost: 1e3 });
  this.field("text");
  this.field("tags", { boost: 1e6, extractor: (doc) => (doc.tags || []).join(" ") });
  for (const doc of data.docs) this.add(doc);
});
const t3 = process.hrtime.bigint();
const queries = JSON.parse(process.argv[3]);
const times = [], hits = [];
for (const q of queries) {
  const a = process.hrtime.bigint();
  const r = index.search(q);
  times.push(ms(a, process.hrtime.bigint()));
  hits.push(r.length);
}
const serialized = JSON.stringify(index).length;
console.log(JSON.stringify({ read_ms: ms(t0, t1), parse_ms: ms(t1, t2), index_ms: ms(t2, t3),
  query_ms: times, hits, docs: data.docs.length, heap_mb: process.memoryUsage().heapUsed / 1e6,
  serialized_index_mb: serialized / 1e6 }));
