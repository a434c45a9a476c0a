'use strict';
// Hostile peers against a uvtls server on loopback: oversized and shredded ClientHellos, floods
// of resets, refused ALPN, renegotiation attempts, empty records and warning alerts, truncation
// by a bare FIN, and a peer that stops reading. After each scenario the same server must still
// serve a normal client. Peers are raw `net` sockets, Node's tls and openssl s_client.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');
const { sslv3Alert } = require('./node-alerts');

const underAsan = /asan/.test(process.env.UVTLS_BINDING || '');
const RESET_CYCLES = underAsan ? 1000 : 10000;
const MiB = 1024 * 1024;
// Under ASan every free()d block (Node's OpenSSL's too: the runtime is preloaded) waits in a
// quarantine of up to 256 MiB, so RSS says little there; LeakSanitizer judges leaks instead.
const RSS_SLACK = underAsan ? 320 * MiB : 64 * MiB;

const openFds = () => fs.readdirSync('/proc/self/fd').length;
const tick = (ms) => new Promise((r) => setTimeout(r, ms));

// --- TLS bytes ----------------------------------------------------------------------------------

function record(type, payload, version = 0x0301) {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt16BE(version, 1);
  head.writeUInt16BE(payload.length, 3);
  return Buffer.concat([head, payload]);
}

// Splits a byte stream into TLS records: [{type, payload}], plus the unparsed rest.
function parseRecords(buf) {
  const out = [];
  let off = 0;
  while (off + 5 <= buf.length) {
    const len = buf.readUInt16BE(off + 3);
    if (off + 5 + len > buf.length) break;
    out.push({ type: buf[off], payload: buf.subarray(off + 5, off + 5 + len), raw: buf.subarray(off, off + 5 + len) });
    off += 5 + len;
  }
  return { records: out, rest: buf.subarray(off) };
}

// A ClientHello handshake message of `total` bytes: a plausible start (version, random, suites,
// no compression) followed by filler, so the length fields frame it correctly.
function hugeClientHello(total) {
  const head = Buffer.concat([
    Buffer.from([0x03, 0x03]), crypto.randomBytes(32), Buffer.from([0x00]),
    Buffer.from([0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f]), Buffer.from([0x01, 0x00]),
  ]);
  const body = Buffer.alloc(total - 4, 0x41);
  head.copy(body);
  const hs = Buffer.alloc(4);
  hs[0] = 0x01;
  hs.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([hs, body]);
}

// Splits a handshake byte stream into records of at most `size` bytes.
function intoRecords(handshake, size) {
  const parts = [];
  for (let off = 0; off < handshake.length; off += size) parts.push(record(0x16, handshake.subarray(off, off + size)));
  return Buffer.concat(parts);
}

// TLS 1.3 (TLS_AES_128_GCM_SHA256) record protection from a traffic secret, so that a test can
// add its own records to a real client's stream (RFC 8446 7.1, 5.2, 5.3).
function hkdfExpandLabel(secret, label, length) {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  // One HMAC block is enough for 16- and 12-byte outputs.
  return crypto.createHmac('sha256', secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

function recordSealer(secretHex) {
  const secret = Buffer.from(secretHex, 'hex');
  const key = hkdfExpandLabel(secret, 'key', 16);
  const iv = hkdfExpandLabel(secret, 'iv', 12);
  let seq = 0n;
  return (contentType, content) => {
    const nonce = Buffer.from(iv);
    const seqBytes = Buffer.alloc(8);
    seqBytes.writeBigUInt64BE(seq++);
    for (let i = 0; i < 8; i++) nonce[4 + i] ^= seqBytes[i];
    const inner = Buffer.concat([content, Buffer.from([contentType])]);
    const header = Buffer.from([0x17, 0x03, 0x03, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
    const cipher = crypto.createCipheriv('aes-128-gcm', key, nonce);
    cipher.setAAD(header);
    const sealed = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([header, sealed]);
  };
}

// --- the suite ----------------------------------------------------------------------------------

describe('hostile peers against a uvtls server', function () {
  this.timeout(300000);
  let c;
  before(() => { c = certs(); });
  const tracker = h.openTracker(3000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  // An echo server (uvtls or Node's tls); `stats` counts what it saw.
  async function startServer(lib, extra = {}, onSocket) {
    const stats = { clientErrors: [], secure: 0, socketErrors: [] };
    const server = track(lib.createServer({ key: c.serverKey, cert: c.serverChain, ...extra }, (s) => {
      stats.secure++;
      s.on('error', (err) => stats.socketErrors.push(err.code));
      if (onSocket) onSocket(s);
      else s.pipe(s);
    }));
    server.on('tlsClientError', (err) => stats.clientErrors.push(err.code));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, port: server.address().port, stats };
  }

  // A well-behaved client: verifies the server, sends a line and expects it back.
  async function assertServes(port, extra = {}) {
    const client = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: c.caCert, ...extra }));
    const got = h.collect(client);
    await h.within(once(client, 'secureConnect'), h.STEP_MS, 'normal client handshake');
    assert.strictEqual(client.authorized, true);
    client.end('still serving\n');
    await h.within(once(client, 'end'), h.STEP_MS, 'normal client echo');
    assert.strictEqual(got().toString(), 'still serving\n');
    client.destroy();
  }

  // A raw TCP connection; resolves with everything the server sent and how the connection ended.
  function rawExchange(port, payload, { timeoutMs = h.STEP_MS } = {}) {
    return new Promise((resolve, reject) => {
      const sock = track(net.connect(port, '127.0.0.1'));
      const chunks = [];
      let ended = 'close';
      sock.on('data', (d) => chunks.push(d));
      sock.on('error', (err) => { ended = err.code; });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('the server kept the connection open')); }, timeoutMs);
      sock.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), ended }); });
      sock.on('connect', () => sock.write(payload, () => {}));
    });
  }

  // Alerts among the server's answer, as [level, description].
  function alertsIn(data) {
    return parseRecords(data).records.filter((r) => r.type === 0x15 && r.payload.length === 2)
      .map((r) => [r.payload[0], r.payload[1]]);
  }

  it('a 1 MiB ClientHello (framed in 64 records) is refused with the alert Node\'s server sends, and closed', async () => {
    const wire = intoRecords(hugeClientHello(MiB), 16384);
    assert.ok(wire.length > MiB);
    const answers = [];
    for (const lib of [uvtls, tls]) {
      const { port, stats } = await startServer(lib);
      const rssBefore = process.memoryUsage().rss;
      const r = await rawExchange(port, wire);
      // No ServerHello: only a fatal alert.
      const records = parseRecords(r.data).records;
      assert.ok(records.every((rec) => rec.type === 0x15), `server answered with records ${records.map((x) => x.type)}`);
      const alerts = alertsIn(r.data);
      assert.strictEqual(alerts.length, 1);
      assert.strictEqual(alerts[0][0], 2);
      answers.push(alerts);
      await h.within((async () => { while (stats.clientErrors.length === 0) await tick(10); })(), h.STEP_MS, 'tlsClientError');
      assert.match(stats.clientErrors[0], /^ERR_SSL_/);
      assert.strictEqual(stats.secure, 0);
      assert.ok(process.memoryUsage().rss - rssBefore < RSS_SLACK);
      await assertServes(port);
    }
    assert.deepStrictEqual(answers[0], answers[1]);
  });

  it('a ClientHello split into 1-byte records still completes a handshake', async () => {
    const { port, stats } = await startServer(uvtls);
    let shredded = 0;
    // A proxy that re-frames the client's first flight (the ClientHello) one byte per record
    // and passes everything else through unchanged.
    // Half-open both ways: the client's FIN must not cut off the echo coming back.
    const proxy = track(net.createServer({ allowHalfOpen: true }, (down) => {
      const up = track(net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }));
      let pending = Buffer.alloc(0);
      let first = true;
      down.on('data', (d) => {
        if (!first) return up.write(d);
        pending = Buffer.concat([pending, d]);
        const { records, rest } = parseRecords(pending);
        const hello = records.find((rec) => rec.type === 0x16);
        if (!hello) return undefined;
        first = false;
        const out = [];
        for (const rec of records) {
          if (rec.type !== 0x16) { out.push(rec.raw); continue; }
          for (const byte of rec.payload) { out.push(record(0x16, Buffer.from([byte]))); shredded++; }
        }
        up.write(Buffer.concat([...out, rest]));
        return undefined;
      });
      up.pipe(down);
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.on('end', () => up.end());
    }));
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2']) {
      await assertServes(proxy.address().port, { maxVersion });
    }
    assert.ok(shredded > 200, `only ${shredded} one-byte records`);
    assert.strictEqual(stats.secure, 2);
    await assertServes(port);
  });

  it(`${RESET_CYCLES} connect-and-reset cycles (half of them mid-handshake)`, async () => {
    const { port, server, stats } = await startServer(uvtls);
    // A real ClientHello to send before resetting.
    const hello = await new Promise((resolve) => {
      const grab = net.createServer((s) => s.once('data', (d) => { resolve(d); s.destroy(); }));
      grab.listen(0, '127.0.0.1', () => {
        const cl = tls.connect({ port: grab.address().port, host: '127.0.0.1', servername: 'localhost' });
        cl.on('error', () => {});
        cl.on('close', () => grab.close());
      });
    });
    await assertServes(port);
    const fdBefore = openFds();
    let done = 0;
    let resets = 0;
    const one = (i) => new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', resolve);
      s.on('connect', () => {
        if (i % 2 === 0) {
          s.resetAndDestroy();
          resets++;
        } else {
          s.write(hello, () => { s.resetAndDestroy(); resets++; });
        }
      });
    });
    const workers = [];
    for (let w = 0; w < 32; w++) {
      workers.push((async () => {
        while (done < RESET_CYCLES) await one(done++);
      })());
    }
    await Promise.all(workers);
    assert.ok(resets >= RESET_CYCLES);
    // Every accepted connection is closed again on the server side.
    await h.within((async () => {
      for (;;) {
        const n = await new Promise((r) => server.getConnections((e, k) => r(k)));
        if (n === 0 && openFds() <= fdBefore + 8) return;
        await tick(50);
      }
    })(), h.STEP_MS, `connections to close (fds ${openFds()} vs ${fdBefore})`);
    assert.strictEqual(stats.secure, 1); // only the normal client before the flood
    await assertServes(port);
  });

  it('500 handshakes offering only unknown ALPN protocols: each refused, fds and RSS back near baseline', async () => {
    const { port, stats } = await startServer(uvtls, { ALPNProtocols: ['h2', 'http/1.1'] });
    const attempt = () => new Promise((resolve) => {
      const cl = tls.connect({
        host: '127.0.0.1', port, servername: 'localhost', ca: c.caCert, ALPNProtocols: ['x-unknown', 'y-unknown'],
      });
      let code = null;
      cl.on('error', (err) => { code = err.code; });
      cl.on('secureConnect', () => { code = 'secureConnect'; });
      cl.on('close', () => resolve(code));
    });
    const codes = new Map();
    const runBatch = async (n) => {
      for (let i = 0; i < n; i += 20) {
        const got = await Promise.all(Array.from({ length: Math.min(20, n - i) }, attempt));
        for (const k of got) codes.set(k, (codes.get(k) || 0) + 1);
      }
    };
    await runBatch(50); // warm-up: allocator and code paths
    await tick(100);
    const fdBefore = openFds();
    const rssBefore = process.memoryUsage().rss;
    await runBatch(500);
    assert.deepStrictEqual([...codes], [['ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL', 550]]);
    assert.strictEqual(stats.secure, 0);
    assert.strictEqual(stats.clientErrors.length, 550);
    await h.within((async () => { while (openFds() > fdBefore + 8) await tick(50); })(), h.STEP_MS,
      `fds back to baseline (${openFds()} vs ${fdBefore})`);
    const growth = process.memoryUsage().rss - rssBefore;
    assert.ok(growth < (underAsan ? RSS_SLACK : 48 * MiB), `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
    await assertServes(port, { ALPNProtocols: ['h2'] });
  });

  it('client-initiated renegotiation (openssl s_client -tls1_2, then R) is refused; the server stays healthy', async () => {
    const { port, stats } = await startServer(uvtls);
    const { spawn } = require('child_process');
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-servername', 'localhost',
      '-CAfile', c.file('caCert')], { env: h.toolEnv() });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.stdin.on('error', () => {}); // EPIPE once it has gone
    let gone = false;
    const exited = once(child, 'close').then((args) => { gone = true; return args; });
    // s_client treats a line that is exactly "R" as "renegotiate": each line goes on its own,
    // once the previous one has had its effect.
    const send = (line) => { if (!gone && child.stdin.writable) child.stdin.write(line); };
    const seen = (pattern, what) => h.within((async () => {
      while (!pattern.test(out) && !gone) await tick(20);
    })(), h.STEP_MS, what);
    await seen(/Verify return code/, 's_client handshake');
    send('hello\n');
    await seen(/hello\n/, 'the echo of hello');
    send('R\n');
    await seen(/RENEGOTIATING/, 'the renegotiation attempt');
    await seen(/no renegotiation/, "the server's no_renegotiation alert");
    send('after\n');
    if (!gone && child.stdin.writable) child.stdin.end();
    const [code] = await h.within(exited, h.STEP_MS, 's_client exit');
    assert.match(out, /RENEGOTIATING/);
    assert.match(out, /hello\n/); // echoed before the attempt
    assert.match(out, /no renegotiation/); // the server's no_renegotiation alert
    assert.doesNotMatch(out, /after\n/); // nothing is served on the attempted connection afterwards
    assert.notStrictEqual(code, 0);
    assert.strictEqual(stats.secure, 1);
    await h.within((async () => { while (stats.socketErrors.length === 0) await tick(20); })(), h.STEP_MS, 'server socket error');
    assert.deepStrictEqual(stats.socketErrors, [await sslv3Alert('HANDSHAKE_FAILURE')]);
    await assertServes(port);
  });

  // Records before any handshake: what OpenSSL does with them decides; uvtls must do what Node's
  // server (same OpenSSL) does, promptly, and stay up.
  for (const [name, wire] of [
    ['10,000 warning alerts (user_canceled) before the ClientHello',
      Buffer.concat(Array.from({ length: 10000 }, () => record(0x15, Buffer.from([1, 90]))))],
    ['10,000 empty handshake records', Buffer.concat(Array.from({ length: 10000 }, () => record(0x16, Buffer.alloc(0))))],
    ['10,000 empty application-data records before the handshake',
      Buffer.concat(Array.from({ length: 10000 }, () => record(0x17, Buffer.alloc(0))))],
  ]) {
    it(`plaintext: ${name}: answered as Node's server answers, connection closed`, async () => {
      const results = [];
      for (const lib of [uvtls, tls]) {
        const { port, stats } = await startServer(lib);
        const r = await h.within(rawExchange(port, wire), h.STEP_MS, `${lib === tls ? 'node' : 'uvtls'} close`);
        results.push({ alerts: alertsIn(r.data), other: parseRecords(r.data).records.filter((x) => x.type !== 0x15).length });
        assert.strictEqual(stats.secure, 0);
        await assertServes(port);
      }
      if (process.env.HOSTILE_DEBUG) console.log(JSON.stringify(results));
      assert.deepStrictEqual(results[0], results[1]);
      assert.strictEqual(results[0].other, 0);
    });
  }

  // TLS 1.3 records sealed with the client's application traffic secret (from its keylog) and
  // spliced into its stream by a proxy: 10,000 empty application-data records, or 10,000
  // user_canceled warning alerts, then "ping". Outcome (echo, or which error) must be Node's.
  async function spliced(lib, makeRecords) {
    const { port, stats } = await startServer(lib);
    let upstream = null;
    let finishedSeen = 0;
    let pending = Buffer.alloc(0);
    const proxy = track(net.createServer({ allowHalfOpen: true }, (down) => {
      const up = track(net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }));
      upstream = up;
      down.on('data', (d) => {
        pending = Buffer.concat([pending, d]);
        const { records, rest } = parseRecords(pending);
        finishedSeen += records.filter((x) => x.type === 0x17).length;
        pending = rest;
        up.write(d);
      });
      up.pipe(down);
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.on('end', () => up.end());
    }));
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const client = track(tls.connect({
      host: '127.0.0.1', port: proxy.address().port, servername: 'localhost', ca: c.caCert,
      minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256',
    }));
    let secret = null;
    client.on('keylog', (line) => {
      const m = /^CLIENT_TRAFFIC_SECRET_0 \S+ (\S+)/.exec(line.toString());
      if (m) secret = m[1];
    });
    const got = h.collect(client);
    let clientError = null;
    client.on('error', (err) => { clientError = err.code; });
    await h.within(once(client, 'secureConnect'), h.STEP_MS, 'handshake through the proxy');
    await h.within((async () => { while (!secret || finishedSeen < 1) await tick(10); })(), h.STEP_MS, 'client Finished');
    const seal = recordSealer(secret);
    const started = Date.now();
    upstream.write(Buffer.concat([...makeRecords(seal), seal(0x17, Buffer.from('ping'))]));
    const outcome = await h.within(new Promise((resolve) => {
      const check = () => {
        if (got().toString() === 'ping') resolve('echo');
        else if (client.destroyed || clientError) resolve(`closed:${clientError}`);
        else setTimeout(check, 10);
      };
      check();
    }), h.STEP_MS, 'the server to answer or close');
    const ms = Date.now() - started;
    client.destroy();
    await tick(50);
    await assertServes(port);
    return { outcome, ms, socketErrors: stats.socketErrors.slice(0, 1) };
  }

  const empty = (n) => (seal) => Array.from({ length: n }, () => seal(0x17, Buffer.alloc(0)));
  const userCanceled = (n) => (seal) => Array.from({ length: n }, () => seal(0x15, Buffer.from([1, 90])));
  const refused = 'refused'; // closed with the running Node's unexpected_message alert code
  for (const [name, makeRecords, outcome, serverError] of [
    // The controls: a few are tolerated, which shows the spliced records are well formed.
    ['10 empty application-data records', empty(10), 'echo', undefined],
    ['10,000 empty application-data records', empty(10000), refused, 'ERR_SSL_RECORD_TOO_SMALL'],
    ['3 user_canceled warning alerts', userCanceled(3), 'echo', undefined],
    ['10,000 user_canceled warning alerts', userCanceled(10000), refused, 'ERR_SSL_TOO_MANY_WARN_ALERTS'],
  ]) {
    it(`TLS 1.3 after the handshake: ${name}: bounded work, the same outcome as Node's server`, async () => {
      const ours = await spliced(uvtls, makeRecords);
      const node = await spliced(tls, makeRecords);
      if (process.env.HOSTILE_DEBUG) console.log(ours, node);
      assert.strictEqual(node.outcome,
        outcome === refused ? `closed:${await sslv3Alert('UNEXPECTED_MESSAGE')}` : outcome);
      assert.strictEqual(ours.outcome, node.outcome);
      assert.deepStrictEqual(ours.socketErrors, node.socketErrors);
      assert.strictEqual(ours.socketErrors[0], serverError);
    });
  }

  // A TLS 1.2 proxy that can drop the alert records (close_notify) one side sends, so that side's
  // closing reaches the other as a bare TCP FIN.
  async function alertStrippingProxy(port, strip, stripped) {
    const proxy = track(net.createServer({ allowHalfOpen: true }, (down) => {
      const up = track(net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }));
      const relay = (from, to, dropAlerts) => {
        let pending = Buffer.alloc(0);
        from.on('data', (d) => {
          if (!dropAlerts) return to.write(d);
          pending = Buffer.concat([pending, d]);
          const { records, rest } = parseRecords(pending);
          pending = rest;
          const keep = records.filter((r) => r.type !== 0x15).map((r) => r.raw);
          stripped.count += records.length - keep.length;
          if (keep.length) to.write(Buffer.concat(keep));
          return undefined;
        });
        from.on('end', () => to.end());
        from.on('error', () => to.destroy());
      };
      relay(down, up, strip === 'client');
      relay(up, down, strip === 'server');
    }));
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    return proxy.address().port;
  }

  // What a TLS socket reports as it closes, in order ('data' once).
  function closeLog(socket) {
    const log = [];
    socket.on('data', () => { if (log[log.length - 1] !== 'data') log.push('data'); });
    socket.on('end', () => log.push('end'));
    socket.on('error', (err) => log.push(`error:${err.code}`));
    const closed = new Promise((resolve) => socket.on('close', (hadError) => { log.push(`close:${hadError}`); resolve(log); }));
    return closed;
  }

  for (const mode of ['close_notify', 'bare FIN']) {
    it(`server side: a client closing with ${mode} is reported as Node's server reports it`, async () => {
      const logs = [];
      for (const lib of [uvtls, tls]) {
        let serverLog;
        const { port } = await startServer(lib, {}, (s) => {
          serverLog = closeLog(s);
          s.on('data', (d) => s.write(d));
        });
        const stripped = { count: 0 };
        const proxyPort = await alertStrippingProxy(port, mode === 'bare FIN' ? 'client' : null, stripped);
        const client = track(tls.connect({
          host: '127.0.0.1', port: proxyPort, servername: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2',
        }));
        client.on('error', () => {});
        client.write('hi');
        await h.within(once(client, 'data'), h.STEP_MS, 'echo');
        client.end();
        logs.push(await h.within((async () => { while (!serverLog) await tick(10); return serverLog; })(), h.STEP_MS, 'server close'));
        assert.strictEqual(stripped.count > 0, mode === 'bare FIN');
        await assertServes(port);
      }
      if (process.env.HOSTILE_DEBUG) console.log(logs);
      assert.deepStrictEqual(logs[0], logs[1]);
    });

    it(`client side: a server closing with ${mode} is reported as Node's client reports it`, async () => {
      const { port } = await startServer(tls, {}, (s) => s.end('bye'));
      const stripped = { count: 0 };
      const proxyPort = await alertStrippingProxy(port, mode === 'bare FIN' ? 'server' : null, stripped);
      const logs = [];
      for (const lib of [uvtls, tls]) {
        const client = track(lib.connect({
          host: '127.0.0.1', port: proxyPort, servername: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2',
        }));
        logs.push(await h.within(closeLog(client), h.STEP_MS, 'client close'));
      }
      if (process.env.HOSTILE_DEBUG) console.log(logs);
      assert.deepStrictEqual(logs[0], logs[1]);
      assert.strictEqual(logs[0][0], 'data');
      assert.strictEqual(stripped.count > 0, mode === 'bare FIN');
    });
  }

  it('a peer that stops reading while the server writes 50 MiB: memory stays bounded, the write completes', async () => {
    const TOTAL = 50 * MiB;
    const chunk = crypto.randomBytes(256 * 1024);
    const writer = { sawFalse: false, maxQueued: 0, written: 0, finished: null, error: null };
    const { port } = await startServer(uvtls, {}, (s) => {
      s.once('data', (d) => {
        if (String(d) !== 'go') { s.write(d); s.pipe(s); return; } // a normal client: echo
        s.on('error', (err) => { writer.error = err.code; });
        const pump = () => {
          while (writer.written < TOTAL) {
            writer.written += chunk.length;
            const ok = s.write(chunk);
            writer.maxQueued = Math.max(writer.maxQueued, s.writableLength);
            if (!ok) { writer.sawFalse = true; s.once('drain', pump); return; }
          }
          s.end(() => { writer.finished = true; });
        };
        pump();
      });
    });
    const rssBefore = process.memoryUsage().rss;
    const client = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: c.caCert }));
    await once(client, 'secureConnect');
    let received = 0;
    client.pause();
    client.write('go');
    // The peer reads nothing: the server's socket buffers fill and write() says so.
    await h.within((async () => { while (!writer.sawFalse) await tick(20); })(), h.STEP_MS, 'write() to return false');
    await tick(1500);
    const stalledAt = writer.written;
    if (process.env.HOSTILE_DEBUG) console.log({ stalledAt, maxQueued: writer.maxQueued, rssGrowth: process.memoryUsage().rss - rssBefore });
    assert.ok(stalledAt < TOTAL, 'the whole 50 MiB was accepted without the peer reading');
    const growth = process.memoryUsage().rss - rssBefore;
    assert.ok(growth < RSS_SLACK, `RSS grew by ${(growth / MiB).toFixed(1)} MiB while the peer did not read`);
    assert.ok(writer.maxQueued < 16 * MiB, `${writer.maxQueued} bytes queued in the socket`);
    // The peer resumes: everything arrives and the server's end() completes.
    client.on('data', (d) => { received += d.length; });
    client.resume();
    await h.within(once(client, 'end'), 2 * h.STEP_MS, 'all 50 MiB');
    assert.strictEqual(received, TOTAL);
    await h.within((async () => { while (!writer.finished) await tick(20); })(), h.STEP_MS, 'server end() callback');
    assert.strictEqual(writer.error, null);
    await assertServes(port);
  });

  it('a peer that stops reading and is destroyed while the server writes: the server errors cleanly', async () => {
    const writer = { sawFalse: false, closed: false, error: null, callbacks: 0, writes: 0 };
    const chunk = crypto.randomBytes(256 * 1024);
    const { port } = await startServer(uvtls, {}, (s) => {
      s.once('data', (d) => {
        if (String(d) !== 'go') { s.write(d); s.pipe(s); return; } // a normal client: echo
        s.on('error', (err) => { writer.error = err.code; });
        s.on('close', () => { writer.closed = true; });
        const pump = () => {
          while (!s.destroyed && writer.writes < 200) {
            writer.writes++;
            if (!s.write(chunk, () => { writer.callbacks++; })) { writer.sawFalse = true; s.once('drain', pump); return; }
          }
        };
        pump();
      });
    });
    const client = track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: c.caCert }));
    await once(client, 'secureConnect');
    client.pause();
    client.write('go');
    await h.within((async () => { while (!writer.sawFalse) await tick(20); })(), h.STEP_MS, 'write() to return false');
    client.destroy();
    await h.within((async () => { while (!writer.closed) await tick(20); })(), h.STEP_MS, 'server socket close');
    if (process.env.HOSTILE_DEBUG) console.log(writer);
    assert.ok(writer.writes < 200);
    // Every write callback ran exactly once, and the reset was reported.
    await h.within((async () => { while (writer.callbacks < writer.writes) await tick(20); })(), h.STEP_MS,
      `write callbacks (${writer.callbacks} of ${writer.writes})`);
    await tick(100);
    assert.strictEqual(writer.callbacks, writer.writes);
    assert.match(String(writer.error), /^(ECONNRESET|EPIPE)$/);
    await assertServes(port);
  });
});
