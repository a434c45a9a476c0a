'use strict';
// Results of a load run: merging shard results (counters add, histograms merge bucket by
// bucket, timelines add per second), the --expect verdict and the text summary.
const { Histogram } = require('./histogram');

function mergeResults(results) {
  if (!results.length) throw new Error('nothing to merge');
  const out = {
    version: 1, target: results[0].target, protocol: results[0].protocol, impl: results[0].impl,
    shards: results.map((r) => r.shard || null), planned: 0,
    startedAt: results.map((r) => r.startedAt).sort()[0], endedAt: results.map((r) => r.endedAt).sort().at(-1),
    seconds: Math.max(...results.map((r) => r.seconds || 0)),
    stopReason: [...new Set(results.map((r) => r.stopReason))].join(', '),
    earlyStop: results.find((r) => r.earlyStop)?.earlyStop || null,
    counters: {}, histograms: {}, errors: [], timeline: [], firstPhase: null, stormAt: null,
    memory: { rssStart: 0, rssPeak: 0, bytesPerConnection: null },
  };
  const errs = new Map();
  const hs = {};
  const tl = new Map();
  let memWeighted = 0;
  let memUp = 0;
  for (const r of results) {
    if (!r || r.version !== 1 || typeof r.counters !== 'object') throw new Error('not a uvtls load result (version 1)');
    out.planned += r.planned;
    for (const [k, v] of Object.entries(r.counters)) out.counters[k] = (out.counters[k] || 0) + (Number(v) || 0);
    for (const [k, h] of Object.entries(r.histograms || {})) (hs[k] || (hs[k] = new Histogram())).merge(h);
    for (const e of r.errors || []) {
      const g = errs.get(e.code);
      if (g) g.count += e.count;
      else errs.set(e.code, { ...e });
    }
    // Within one result two samples can fall in the same second (the last one is taken when
    // the run stops): the later one stands for that second; across results they add up.
    const own = new Map();
    for (const s of r.timeline || []) own.set(Math.round(s.t), s);
    for (const [sec, s] of own) {
      const m = tl.get(sec) || { t: sec, up: 0, handshaking: 0, failed: 0, established: 0, newPerSec: 0, rss: 0,
        published: 0, acked: 0, hsP50: null, hsP99: null };
      for (const k of ['up', 'handshaking', 'failed', 'established', 'newPerSec', 'rss', 'published', 'acked']) m[k] += s[k] || 0;
      // Per-second percentiles cannot be merged exactly: the worst shard's is shown.
      for (const k of ['hsP50', 'hsP99']) if (s[k] !== null && (m[k] === null || s[k] > m[k])) m[k] = s[k];
      tl.set(sec, m);
    }
    out.memory.rssStart += r.memory?.rssStart || 0;
    out.memory.rssPeak += r.memory?.rssPeak || 0;
    if (r.memory?.bytesPerConnection && r.counters.peakUp) {
      memWeighted += r.memory.bytesPerConnection * r.counters.peakUp;
      memUp += r.counters.peakUp;
    }
    if (r.stormAt !== null && r.stormAt !== undefined) out.stormAt = Math.max(out.stormAt || 0, r.stormAt);
    if (r.firstPhase) {
      const f = out.firstPhase || (out.firstPhase = { handshake: new Histogram(), established: 0, failed: 0 });
      f.handshake.merge(r.firstPhase.handshake);
      f.established += r.firstPhase.established;
      f.failed += r.firstPhase.failed;
    }
  }
  // peakUp of a merged run: the largest sum over the merged timeline (shards peak at different times).
  out.timeline = [...tl.values()].sort((a, b) => a.t - b.t);
  // (per-second samples, the last one taken before the shards closed their connections).
  out.counters.peakUp = Math.max(0, ...out.timeline.map((s) => s.up), ...results.map((r) => r.counters.peakUp || 0));
  for (const [k, h] of Object.entries(hs)) out.histograms[k] = h.toJSON();
  if (out.firstPhase) out.firstPhase.handshake = out.firstPhase.handshake.toJSON();
  out.errors = [...errs.values()].sort((a, b) => b.count - a.count);
  out.memory.bytesPerConnection = memUp ? Math.round(memWeighted / memUp) : null;
  return out;
}

// --expect N | P% | all (default all): how many connections must have come up.
function parseExpect(text) {
  if (text === undefined || text === 'all') return { all: true };
  let m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
  m = /^\d+$/.exec(text);
  if (m) return { count: Number(text) };
  return null;
}

function verdict(result, expect) {
  const c = result.counters;
  // A connection counts when it was up when the run ended (so one lost on the way does not).
  const up = c.upAtEnd;
  const need = expect.all ? result.planned : expect.count !== undefined ? expect.count
    : Math.ceil((expect.percent / 100) * result.planned);
  const ok = up >= need && !result.earlyStop && (!expect.all || c.failed === 0);
  return { ok, up, need, text: `${up} of ${result.planned} connections up${result.stopReason === 'reconnected' ? ' after the storm' : ''}; ` +
    `expected ${expect.all ? 'all' : need}: ${ok ? 'met' : 'NOT met'}` };
}

function fmtMs(v) {
  if (v === null || v === undefined) return '-';
  if (v >= 10000) return `${(v / 1000).toFixed(1)} s`;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ms`;
}

function fmtBytes(b) {
  if (b === null || b === undefined) return '-';
  if (b < 1024) return `${Math.round(b)} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

function histLine(name, j) {
  const h = Histogram.fromJSON(j).summary();
  if (!h.count) return null;
  return `  ${name.padEnd(22)} n=${h.count}  p50 ${fmtMs(h.p50)}  p90 ${fmtMs(h.p90)}  p99 ${fmtMs(h.p99)}  max ${fmtMs(h.max)}`;
}

function textSummary(result, v) {
  const c = result.counters;
  const lines = [];
  lines.push(`uvtls load ${result.target} (${result.protocol} on ${result.impl}${result.shards && result.shards.length > 1 ? `, ${result.shards.length} shards merged` : ''})`);
  lines.push(`  ran ${result.seconds.toFixed(1)} s, ended: ${result.stopReason}`);
  lines.push(`  connections: planned ${result.planned}, attempted ${c.attempted}, up ${c.established}, failed ${c.failed}, ` +
    `peak at once ${c.peakUp}`);
  const ramp = result.timeline.filter((s) => s.newPerSec > 0);
  if (ramp.length) {
    const hsRate = Math.max(...result.timeline.map((s) => s.newPerSec));
    lines.push(`  new connections: peak ${hsRate}/s`);
  }
  for (const [k, label] of [['handshake', 'TCP + TLS handshake'], ['connect', 'until up (protocol)'],
    ['reconnect', 'reconnect handshake'], ['echo', 'echo round trip'], ['publish', 'PUBLISH -> PUBACK']]) {
    const l = result.histograms[k] && histLine(label, result.histograms[k]);
    if (l) lines.push(l);
  }
  if (result.firstPhase && result.histograms.reconnect) {
    const a = Histogram.fromJSON(result.firstPhase.handshake).summary();
    const b = Histogram.fromJSON(result.histograms.reconnect).summary();
    lines.push(`  reconnect storm: first connect p50 ${fmtMs(a.p50)} p99 ${fmtMs(a.p99)}; reconnect p50 ${fmtMs(b.p50)} ` +
      `p99 ${fmtMs(b.p99)}; resumed ${c.resumed} of ${b.count}`);
  }
  if (c.published) lines.push(`  published ${c.published}, acknowledged ${c.acked}`);
  if (c.echoed) lines.push(`  echoes ${c.echoed}`);
  lines.push(`  client memory per connection: ${fmtBytes(result.memory.bytesPerConnection)} (RSS growth / connections up)`);
  if (result.errors.length) {
    lines.push('  errors:');
    for (const e of result.errors) {
      lines.push(`    ${String(e.count).padStart(7)}  ${e.code}: ${e.message}`);
      if (e.hint) lines.push(`             hint: ${e.hint}`);
    }
  }
  if (result.earlyStop) lines.push(`  stopped early: ${result.earlyStop.text}`);
  lines.push(`  ${v.text}`);
  return lines.join('\n') + '\n';
}

module.exports = { mergeResults, parseExpect, verdict, textSummary, fmtMs, fmtBytes };
