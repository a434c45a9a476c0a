'use strict';
// `--report FILE.html`: one self-contained page (no scripts, no network) with SVG charts drawn
// here: connections over time, handshake latency over time and its distribution, publish /
// echo latency, and the errors by code with their hints. Each chart is an <svg class="chart">
// with data-chart (its name) and data-points (how many data points it drew).
const { Histogram } = require('./histogram');
const { fmtMs } = require('./report');

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

const W = 720;
const H = 260;
const M = { l: 64, r: 16, t: 28, b: 40 };
const COLORS = ['#2b7bb9', '#e8a33d', '#d1495b', '#2e9d6b', '#7b5ea7'];

function niceTicks(max, n = 5) {
  if (!(max > 0)) return [0, 1];
  const step0 = max / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const out = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

function fmt(v) {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  return String(Number(v.toPrecision(3)));
}

function frame(name, title, xTicks, yTicks, sx, sy, xLabel, yLabel, body, points, legend) {
  const axes = [];
  for (const y of yTicks) {
    axes.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e4e4e4"/>`);
    axes.push(`<text x="${M.l - 6}" y="${sy(y) + 4}" text-anchor="end">${esc(fmt(y))}</text>`);
  }
  for (const x of xTicks) axes.push(`<text x="${sx(x.v)}" y="${H - M.b + 16}" text-anchor="middle">${esc(x.label)}</text>`);
  const leg = (legend || []).map((l, i) => `<g><rect x="${M.l + 8 + i * 130}" y="8" width="10" height="10" fill="${l.color}"/>` +
    `<text x="${M.l + 22 + i * 130}" y="17">${esc(l.name)}</text></g>`).join('');
  return `<figure><figcaption>${esc(title)}</figcaption>` +
    `<svg class="chart" data-chart="${esc(name)}" data-points="${points}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    `<g class="axes" font-size="11" fill="#555">${axes.join('')}` +
    `<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#888"/>` +
    `<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#888"/>` +
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text transform="translate(14 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text></g>` +
    `<g font-size="11">${leg}</g>${body}</svg></figure>`;
}

// series: [{ name, points: [[x, y]] }] with x in seconds.
function lineChart(name, title, series, yLabel) {
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = Math.max(...all.map((p) => p[1]), 0);
  const yTicks = niceTicks(yMax || 1);
  const yTop = yTicks[yTicks.length - 1] || 1;
  const sx = (x) => (M.l + (x / xMax) * (W - M.l - M.r)).toFixed(1);
  const sy = (y) => (H - M.b - (y / yTop) * (H - M.t - M.b)).toFixed(1);
  const xTicks = niceTicks(xMax, 6).map((v) => ({ v, label: `${fmt(v)} s` }));
  const body = series.map((s, i) => s.points.length
    ? `<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" ` +
      `points="${s.points.map((p) => `${sx(p[0])},${sy(p[1])}`).join(' ')}"/>` : '').join('');
  return frame(name, title, xTicks, yTicks, sx, sy, 'time since start', yLabel, body, all.length,
    series.map((s, i) => ({ name: s.name, color: COLORS[i % COLORS.length] })));
}

// A latency histogram as bars over a log time axis (milliseconds), with p50/p99 marked.
function histChart(name, title, hist) {
  const h = Histogram.fromJSON(hist);
  const buckets = h.buckets().map((b) => ({ from: b.from / 1000, to: b.to / 1000, count: b.count }));
  if (!buckets.length) return '';
  const lo = Math.log10(Math.max(0.001, buckets[0].from));
  const hi = Math.log10(buckets[buckets.length - 1].to);
  const span = Math.max(0.3, hi - lo);
  const x0 = lo - span * 0.02;
  const x1 = hi + span * 0.02;
  const sx = (ms) => (M.l + ((Math.log10(ms) - x0) / (x1 - x0)) * (W - M.l - M.r));
  const yMax = Math.max(...buckets.map((b) => b.count));
  const yTicks = niceTicks(yMax);
  const yTop = yTicks[yTicks.length - 1] || 1;
  const sy = (y) => (H - M.b - (y / yTop) * (H - M.t - M.b));
  const xTicks = [];
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) xTicks.push({ v: 10 ** e, label: `${fmt(10 ** e)} ms` });
  const bars = buckets.map((b) => {
    const x = sx(b.from);
    const w = Math.max(1, sx(b.to) - x - 0.5);
    return `<rect class="bar" x="${x.toFixed(1)}" y="${sy(b.count).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - M.b - sy(b.count)).toFixed(1)}" fill="#2b7bb9"><title>${esc(`${b.from.toPrecision(3)}-${b.to.toPrecision(3)} ms: ${b.count}`)}</title></rect>`;
  }).join('');
  // p50's label left of its line, p99's right of it, so the two never overlap.
  const marks = [[50, '#2e9d6b', 'end', -3], [99, '#d1495b', 'start', 3]].map(([p, c, anchor, dx]) => {
    const v = h.percentile(p) / 1000;
    const x = sx(v);
    return `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${M.t}" y2="${H - M.b}" stroke="${c}" stroke-dasharray="4 3"/>` +
      `<text x="${(x + dx).toFixed(1)}" y="${M.t - 4}" font-size="11" text-anchor="${anchor}" fill="${c}">p${p} ${esc(fmtMs(v))}</text>`;
  }).join('');
  return frame(name, title, xTicks, yTicks, (v) => sx(v).toFixed(1), (y) => sy(y).toFixed(1), 'latency (log scale)', 'connections',
    bars + marks, buckets.length);
}

function statRows(result) {
  const rows = [];
  const c = result.counters;
  rows.push(['target', `${result.target} (${result.protocol} on ${result.impl})`]);
  rows.push(['ran', `${result.seconds} s, ended: ${result.stopReason}`]);
  rows.push(['connections', `planned ${result.planned}, up ${c.established}, failed ${c.failed}, peak at once ${c.peakUp}`]);
  for (const [k, label] of [['handshake', 'handshake'], ['reconnect', 'reconnect handshake'], ['echo', 'echo'], ['publish', 'PUBACK']]) {
    const h = result.histograms[k] && Histogram.fromJSON(result.histograms[k]).summary();
    if (h && h.count) rows.push([label, `n=${h.count}, p50 ${fmtMs(h.p50)}, p90 ${fmtMs(h.p90)}, p99 ${fmtMs(h.p99)}, max ${fmtMs(h.max)}`]);
  }
  if (result.memory.bytesPerConnection) rows.push(['client memory per connection', `${(result.memory.bytesPerConnection / 1024).toFixed(1)} KiB`]);
  if (result.verdict) rows.push(['verdict', result.verdict.text]);
  if (result.earlyStop) rows.push(['stopped early', result.earlyStop.text]);
  return rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
}

function renderHtml(result) {
  const tl = result.timeline || [];
  const charts = [];
  charts.push(lineChart('connections', 'Connections over time', [
    { name: 'up', points: tl.map((s) => [s.t, s.up]) },
    { name: 'handshaking', points: tl.map((s) => [s.t, s.handshaking]) },
    { name: 'failed (total)', points: tl.map((s) => [s.t, s.failed]) },
  ], 'connections'));
  charts.push(lineChart('rate', 'New connections per second', [
    { name: 'new/s', points: tl.map((s) => [s.t, s.newPerSec]) },
  ], 'per second'));
  charts.push(lineChart('handshake-over-time', 'Handshake latency over time (per second)', [
    { name: 'p50', points: tl.filter((s) => s.hsP50 !== null).map((s) => [s.t, s.hsP50]) },
    { name: 'p99', points: tl.filter((s) => s.hsP99 !== null).map((s) => [s.t, s.hsP99]) },
  ], 'ms'));
  charts.push(histChart('handshake-distribution', 'Handshake latency distribution (TCP + TLS)', result.histograms.handshake));
  if (result.histograms.reconnect) charts.push(histChart('reconnect-distribution', 'Reconnect handshake latency distribution', result.histograms.reconnect));
  if (result.histograms.publish && result.histograms.publish.n) charts.push(histChart('publish-distribution', 'Publish latency (PUBLISH to PUBACK)', result.histograms.publish));
  if (result.histograms.echo && result.histograms.echo.n) charts.push(histChart('echo-distribution', 'Echo round trip', result.histograms.echo));
  const errors = (result.errors || []).map((e) => `<tr><td><code>${esc(e.code)}</code></td><td class="n">${e.count}</td>` +
    `<td>${esc(e.message)}</td><td>${esc(e.hint || '')}</td><td>${esc(e.device || '')}</td></tr>`).join('');
  const maxErr = Math.max(1, ...(result.errors || []).map((e) => e.count));
  const errBars = (result.errors || []).length ? `<figure><figcaption>Errors by code</figcaption>` +
    `<svg class="chart" data-chart="errors" data-points="${result.errors.length}" viewBox="0 0 ${W} ${24 * result.errors.length + 10}" width="${W}" height="${24 * result.errors.length + 10}">` +
    result.errors.map((e, i) => `<text x="4" y="${i * 24 + 20}" font-size="12">${esc(e.code.slice(0, 40))}</text>` +
      `<rect class="bar" x="300" y="${i * 24 + 8}" width="${((e.count / maxErr) * 380).toFixed(1)}" height="16" fill="#d1495b"/>` +
      `<text x="${305 + (e.count / maxErr) * 380}" y="${i * 24 + 20}" font-size="12">${e.count}</text>`).join('') + '</svg></figure>' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>uvtls load: ${esc(result.target)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:780px;color:#222}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}th,td{text-align:left;padding:3px 10px 3px 0;vertical-align:top}
td.n{text-align:right}figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}
.errors td,.errors th{border-bottom:1px solid #eee}code{font-size:12px}
</style></head><body>
<h1>uvtls load report: ${esc(result.target)}</h1>
<table class="summary">${statRows(result)}</table>
${charts.join('\n')}
<h2>Errors by code</h2>
${errors ? `${errBars}<table class="errors"><tr><th>code</th><th>count</th><th>first message</th><th>hint</th><th>first device</th></tr>${errors}</table>` : '<p>No errors.</p>'}
<p><small>Generated by uvtls load at ${esc(result.endedAt || '')}. Latency percentiles come from log-bucket histograms (about 3 % resolution) merged across shards.</small></p>
</body></html>
`;
}

module.exports = { renderHtml };
