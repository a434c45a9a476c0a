'use strict';
// The load engine: opens `planned` connections at `rate` per second on uvtls client sockets
// (or Node's tls with impl 'node'), runs the protocol on each, and keeps the numbers a report
// needs: counters, mergeable latency histograms, a per-second timeline and errors grouped by
// code. Everything is driven by socket events; one pacing timer opens connections on
// schedule and samples the timeline once a second.
const { EventEmitter } = require('events');
const { Histogram } = require('./histogram');
const protocols = require('./protocols');

const EARLY_STOP = 100;

function hintFor(code) {
  try {
    return require('../binding').hintFor(code) || undefined;
  } catch {
    return undefined;
  }
}

class Engine extends EventEmitter {
  // opts: { host, port, planned (connections this process opens), indexOf(j) -> global
  // connection index, identity (identities()), ca, rate, duration (s), hold, protocol, payload,
  // publishInterval (ms), qos, mqttVersion, keepalive, topic, localAddresses, servername,
  // impl, reconnect, resume, confirmTimeout (ms), tlsOptions }
  constructor(opts) {
    super();
    this.o = opts;
    this.tls = opts.impl === 'node' ? require('tls') : require('../index');
    this.proto = protocols[opts.protocol];
    this.c = { attempted: 0, handshaking: 0, up: 0, peakUp: 0, established: 0, failed: 0, closedByPeer: 0,
      published: 0, acked: 0, echoed: 0, resumed: 0, upAtEnd: 0 };
    this.h = { handshake: new Histogram(), connect: new Histogram(), publish: new Histogram(), echo: new Histogram() };
    this.errors = new Map();
    this.timeline = [];
    this.live = new Set();
    this.firstFailed = 0;
    this.stopReason = null;
    this.stopping = false;
    this.contexts = new Map();
    this.sessions = new Map();
    this.phase = 'ramp';
    this.doneLive = 0;
  }

  start() {
    this.t0 = process.hrtime.bigint();
    this.startedAt = new Date().toISOString();
    this.rss0 = process.memoryUsage().rss;
    this.opened = 0;
    this.secH = new Histogram();
    this.secNew = 0;
    this.lastSample = 0;
    this.pacer = setInterval(() => this.tick(), 20);
    this.tick();
    return new Promise((resolve) => { this.once('done', resolve); });
  }

  now() { return Number(process.hrtime.bigint() - this.t0) / 1e6; } // ms since start

  // Opens what the schedule says is due, samples once a second and ends the run when due.
  tick() {
    const t = this.now();
    if (!this.stopping && this.opened < this.o.planned) {
      const due = this.o.rate > 0 ? Math.min(this.o.planned, Math.floor((t / 1000) * this.o.rate) + 1) : this.o.planned;
      // Bounded per tick (20 ms) so the loop keeps serving the handshakes under way, and by
      // --concurrency: handshakes queued in our own process would count our queueing as the
      // server's latency.
      const batch = Math.max(25, Math.ceil(this.o.rate / 25));
      for (let n = 0; this.opened < due && n < batch && this.c.handshaking < this.o.concurrency; n++) this.open(this.opened++);
    }
    if (t - this.lastSample >= 1000) this.sample(t);
    this.maybeFinish(t);
  }

  sample(t) {
    this.lastSample = t;
    const mem = process.memoryUsage().rss;
    const s = {
      t: Math.round(t) / 1000, up: this.c.up, handshaking: this.c.handshaking, failed: this.c.failed,
      established: this.c.established, newPerSec: this.secNew, rss: mem,
      hsP50: this.secH.n ? Math.round(this.secH.percentile(50)) / 1000 : null,
      hsP99: this.secH.n ? Math.round(this.secH.percentile(99)) / 1000 : null,
      published: this.c.published, acked: this.c.acked,
    };
    this.timeline.push(s);
    // A run held for days keeps a bounded timeline: past 20,000 samples every other one goes
    // (the counters in each sample are totals or levels, so thinning loses only resolution).
    if (this.timeline.length > 20000) this.timeline = this.timeline.filter((_, i) => i % 2 === 1);
    this.secH = new Histogram();
    this.secNew = 0;
    this.emit('sample', s);
  }

  snapshot() {
    const t = this.now();
    const mem = process.memoryUsage().rss;
    return { t, ...this.c, planned: this.o.planned, opened: this.opened,
      rate: this.timeline.length ? this.timeline[this.timeline.length - 1].newPerSec : this.secNew,
      hsP50: this.h.handshake.percentile(50), hsP99: this.h.handshake.percentile(99),
      bytesPerConn: this.c.up ? Math.max(0, mem - this.rss0) / this.c.up : null, phase: this.phase };
  }

  maybeFinish(t) {
    if (this.finished) return;
    // Counters, not a walk over every connection: this runs on every event.
    const settled = this.opened >= this.o.planned && this.c.handshaking === 0 && this.live.size === this.c.up;
    if (this.stopping) {
      if (this.live.size === 0) this.finish();
      return;
    }
    if (this.o.duration && t >= this.o.duration * 1000) return this.stop('duration');
    if (this.o.hold || this.o.duration) {
      if (settled && this.o.planned === this.c.failed && this.opened >= this.o.planned) return this.stop('all failed');
      return;
    }
    if (settled && this.doneLive === this.live.size) {
      if (this.o.reconnect && this.phase === 'ramp') return this.storm();
      this.stop(this.phase === 'reconnect' ? 'reconnected' : 'complete');
    }
  }

  // --reconnect: everything up is dropped at once and opened again (with the session of its
  // first connection when resuming), so the second phase shows how fast the fleet comes back.
  storm() {
    this.phase = 'reconnect';
    this.rampEnd = this.now();
    this.firstPhase = { handshake: this.h.handshake.toJSON(), established: this.c.established, failed: this.c.failed };
    this.h.reconnect = new Histogram();
    const again = [];
    for (const conn of this.live) {
      again.push(conn.j);
      this.close(conn);
    }
    this.live.clear();
    this.c.up = 0;
    this.doneLive = 0;
    this.stormAt = this.now();
    for (const j of again) this.open(j);
  }

  stop(reason) {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = this.stopReason || reason;
    this.c.upAtEnd = this.c.up;
    // The last sample is taken before closing, so the timeline ends with what was up.
    this.sample(this.now());
    for (const conn of this.live) {
      if (this.proto.end && conn.ready && !conn.failed) this.proto.end(this, conn);
      this.close(conn);
    }
    this.live.clear();
    this.c.up = 0;
    this.doneLive = 0;
    this.c.handshaking = 0;
    this.finish();
  }

  finish() {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.pacer);
    this.endedAt = new Date().toISOString();
    this.emit('done');
  }

  contextFor(id) {
    const key = this.o.identity.shared ? 'shared' : id.name;
    if (this.o.identity.shared || this.o.identity.kind === 'none') {
      if (!this.contexts.has(key)) {
        this.contexts.set(key, this.tls.createSecureContext({ ca: this.o.ca, cert: id.cert, key: id.key, ...this.o.tlsOptions }));
      }
      return this.contexts.get(key);
    }
    return this.tls.createSecureContext({ ca: this.o.ca, cert: id.cert, key: id.key, ...this.o.tlsOptions });
  }

  open(j) {
    const k = this.o.indexOf(j);
    const conn = { j, k, ready: false, done: false, failed: false, closing: false };
    const start = process.hrtime.bigint();
    conn.start = start;
    this.c.attempted++;
    this.c.handshaking++;
    this.secNew++;
    let id;
    let socket;
    try {
      id = this.o.identity.at(k);
      conn.name = id.name;
      const options = {
        host: this.o.host, port: this.o.port, secureContext: this.contextFor(id),
        servername: this.o.servername, rejectUnauthorized: this.o.rejectUnauthorized !== false,
        ALPNProtocols: this.proto.alpn,
      };
      if (this.o.localAddresses) options.localAddress = this.o.localAddresses[j % this.o.localAddresses.length];
      if (this.phase === 'reconnect' && this.o.resume && this.sessions.has(j)) options.session = this.sessions.get(j);
      socket = this.tls.connect(options);
    } catch (err) {
      conn.handshaking = true;
      this.fail(conn, err);
      return;
    }
    conn.socket = socket;
    conn.handshaking = true;
    this.live.add(conn);
    socket.on('secureConnect', () => {
      const us = Number(process.hrtime.bigint() - start) / 1e3;
      conn.handshaking = false;
      this.c.handshaking--;
      (this.phase === 'reconnect' ? this.h.reconnect : this.h.handshake).record(us);
      this.secH.record(us);
      if (socket.isSessionReused && socket.isSessionReused()) this.c.resumed++;
      this.proto.onSecure(this, conn);
    });
    socket.on('session', (s) => {
      conn.gotSession = true;
      if (this.o.resume) this.sessions.set(j, s);
      if (this.proto.onSession) this.proto.onSession(this, conn);
    });
    socket.on('error', (err) => this.fail(conn, err));
    socket.on('close', () => {
      if (conn.closing || conn.failed) return;
      const err = new Error(conn.ready ? 'the server closed the connection' : 'the server closed the connection during the handshake');
      err.code = conn.ready ? 'ECLOSED_BY_PEER' : 'ECONNRESET_HANDSHAKE';
      if (conn.ready) this.c.closedByPeer++;
      this.fail(conn, err);
    });
  }

  // The protocol says the connection is fully up (TLS confirmed, CONNACK, Connection.OpenOk).
  ready(conn) {
    if (conn.ready || conn.failed) return;
    conn.ready = true;
    conn.readyAt = this.now();
    this.c.up++;
    this.c.established++;
    if (this.c.up > this.c.peakUp) this.c.peakUp = this.c.up;
    this.h.connect.record(Number(process.hrtime.bigint() - conn.start) / 1e3);
    if (this.proto.onReady) this.proto.onReady(this, conn);
    this.maybeFinish(this.now());
  }

  // The protocol's own work on a connection is finished (no --duration/--hold: the run ends
  // when every connection is done or failed).
  done(conn) {
    if (conn.done || conn.failed) return;
    conn.done = true;
    this.doneLive++;
    this.maybeFinish(this.now());
  }

  // Our own close (end of run, storm): not a failure.
  close(conn) {
    conn.closing = true;
    for (const t of conn.timers || []) clearInterval(t);
    conn.socket.destroy();
  }

  fail(conn, err) {
    if (conn.failed || conn.closing) return;
    conn.failed = true;
    if (conn.handshaking) {
      conn.handshaking = false;
      this.c.handshaking--;
    }
    if (conn.ready) this.c.up--;
    if (conn.done) this.doneLive--;
    this.c.failed++;
    this.live.delete(conn);
    if (conn.socket) conn.socket.destroy();
    for (const t of conn.timers || []) clearInterval(t);
    const code = (err && err.code) || 'ERR_UNKNOWN';
    let g = this.errors.get(code);
    if (!g) {
      g = { code, count: 0, message: String(err && err.message || err), hint: (err && err.hint) || hintFor(code),
        device: conn.name, firstAt: Math.round(this.now()) / 1000 };
      this.errors.set(code, g);
    }
    g.count++;
    if (conn.j < EARLY_STOP && this.phase === 'ramp' && ++this.firstFailed >= Math.min(EARLY_STOP, this.o.planned) &&
        this.o.planned >= EARLY_STOP) {
      const top = [...this.errors.values()].sort((a, b) => b.count - a.count)[0];
      this.stopReason = 'early';
      this.earlyStop = { code: top.code, message: top.message, hint: top.hint,
        text: `the first ${EARLY_STOP} connections all failed, most with ${top.code} (${top.message})` };
      this.stop('early');
      return;
    }
    this.maybeFinish(this.now());
  }

  error(conn, code, message, hint) {
    const err = new Error(message);
    err.code = code;
    if (hint) err.hint = hint;
    this.fail(conn, err);
  }

  result() {
    const hs = {};
    for (const [k, h] of Object.entries(this.h)) hs[k] = h.toJSON();
    return {
      version: 1,
      target: `${this.o.host}:${this.o.port}`, protocol: this.o.protocol, impl: this.o.impl || 'uvtls',
      shard: this.o.shard, planned: this.o.planned, startedAt: this.startedAt, endedAt: this.endedAt,
      seconds: Math.round(this.now()) / 1000, stopReason: this.stopReason, earlyStop: this.earlyStop || null,
      counters: { ...this.c }, histograms: hs,
      errors: [...this.errors.values()].sort((a, b) => b.count - a.count),
      timeline: this.timeline, firstPhase: this.firstPhase || null, stormAt: this.stormAt === undefined ? null : this.stormAt / 1000,
      memory: { rssStart: this.rss0, rssPeak: this.timeline.reduce((m, s) => Math.max(m, s.rss), this.rss0),
        bytesPerConnection: this.peakBytesPerConn() },
    };
  }

  peakBytesPerConn() {
    let best = null;
    for (const s of this.timeline) {
      if (s.up > 0) {
        const v = Math.max(0, s.rss - this.rss0) / s.up;
        if (s.up === this.c.peakUp || best === null) best = Math.round(v);
      }
    }
    return best;
  }
}

module.exports = { Engine, EARLY_STOP };
