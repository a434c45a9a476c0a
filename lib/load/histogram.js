'use strict';
// A mergeable latency histogram with log buckets (HdrHistogram's idea, kept small):
// values are microseconds; a value v >= 1 falls in bucket e*32 + s where e = floor(log2 v)
// and s is the next 5 bits below the top one, so every bucket is at most 1/32 (~3 %) wide
// relative to its value. Exact count, min, max and sum are kept beside the buckets.
// Two histograms merge by adding bucket counts, so percentiles of a merged run are those of
// all its samples (never averages of percentiles). Serialised as { n, min, max, sum, b: {i: c} }.
const SUB = 32;

function bucketOf(us) {
  const v = Math.min(2 ** 52, Math.max(1, Math.round(us)));
  let exp = Math.floor(Math.log2(v));
  if (2 ** exp > v) exp--; // log2 rounding just below a power of two
  else if (2 ** (exp + 1) <= v) exp++;
  const base = 2 ** exp;
  const s = Math.min(SUB - 1, Math.floor(((v - base) / base) * SUB));
  return exp * SUB + s;
}

// The middle of a bucket, in microseconds.
function valueOf(index) {
  const exp = Math.floor(index / SUB);
  const s = index % SUB;
  const base = 2 ** exp;
  return base + (base * (s + 0.5)) / SUB;
}

class Histogram {
  constructor() {
    this.n = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
    this.b = new Map();
  }

  record(us) {
    if (!Number.isFinite(us) || us < 0) return;
    const i = bucketOf(us);
    this.b.set(i, (this.b.get(i) || 0) + 1);
    this.n++;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  merge(other) {
    const o = other instanceof Histogram ? other : Histogram.fromJSON(other);
    for (const [i, c] of o.b) this.b.set(i, (this.b.get(i) || 0) + c);
    this.n += o.n;
    this.sum += o.sum;
    if (o.n) {
      this.min = Math.min(this.min, o.min);
      this.max = Math.max(this.max, o.max);
    }
    return this;
  }

  // p in [0, 100]; the bucket middle clamped to the exact min/max. null when empty.
  percentile(p) {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (const i of [...this.b.keys()].sort((a, b) => a - b)) {
      seen += this.b.get(i);
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i)));
    }
    return this.max;
  }

  mean() { return this.n ? this.sum / this.n : null; }

  // [{ from, to, count }] in microseconds, for charts.
  buckets() {
    return [...this.b.keys()].sort((a, b) => a - b).map((i) => {
      const exp = Math.floor(i / SUB);
      const base = 2 ** exp;
      const s = i % SUB;
      return { from: base + (base * s) / SUB, to: base + (base * (s + 1)) / SUB, count: this.b.get(i) };
    });
  }

  summary() {
    const ms = (v) => (v === null ? null : Math.round(v) / 1000);
    return { count: this.n, min: ms(this.n ? this.min : null), p50: ms(this.percentile(50)),
      p90: ms(this.percentile(90)), p99: ms(this.percentile(99)), p999: ms(this.percentile(99.9)),
      max: ms(this.n ? this.max : null), mean: ms(this.mean()) };
  }

  toJSON() {
    const b = {};
    for (const [i, c] of this.b) b[i] = c;
    return { n: this.n, min: this.n ? this.min : 0, max: this.max, sum: this.sum, b };
  }

  static fromJSON(j) {
    const h = new Histogram();
    if (!j || typeof j !== 'object') return h;
    for (const [i, c] of Object.entries(j.b || {})) {
      const idx = Number(i);
      if (Number.isInteger(idx) && idx >= 0 && idx < 64 * SUB && Number.isInteger(c) && c > 0) h.b.set(idx, c);
    }
    h.n = [...h.b.values()].reduce((a, c) => a + c, 0);
    h.min = h.n ? Number(j.min) || 0 : Infinity;
    h.max = Number(j.max) || 0;
    h.sum = Number(j.sum) || 0;
    return h;
  }
}

module.exports = { Histogram, bucketOf, valueOf };
