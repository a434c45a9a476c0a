'use strict';
// Regression tests for issue 11, the parts in the libuv transport (src/net) and the server:
// one bad connection must not stop a listener, plaintext never crosses between connections,
// listener exceptions propagate, every completed handshake is announced, paused handshakes are
// bounded. Real sockets on loopback, real peers (Node's tls, openssl).
const assert = require('assert');
const net = require('net');
const path = require('path');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const root = path.join(__dirname, '..');

describe('regressions (issue 11): transport and server', function () {
  // A safety bound, not a window: under ASan the 200-client runs take ~45 s (Node's server too).
  this.timeout(180000);
  let c;
  before(function () { c = certs(); });
  const serverOptions = (extra) => ({ key: c.serverKey, cert: c.serverChain, ...extra });

  const tracker = h.openTracker(2000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  async function listen(server) {
    track(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server.address().port;
  }

  // A Node tls client; resolves with how it ended: 'secure' (handshake done) or the error/close.
  function nodeAttempt(port, extra) {
    return new Promise((resolve) => {
      const s = track(tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost', ...extra }));
      s.once('secureConnect', () => { resolve({ outcome: 'secure', socket: s }); });
      s.once('error', (err) => resolve({ outcome: 'error', err, socket: s }));
      s.once('close', () => resolve({ outcome: 'close', socket: s }));
    });
  }

  // The environment of a child Node process: under `npm run test:asan` it keeps the sanitizer
  // runtime (and loads the ASan addon), without leak detection and with fast unwinding.
  function childEnv(extra) {
    return h.nodeChildEnv({ UVTLS_ROOT: root, ...extra });
  }

  // Runs a Node script in a child process; resolves with {code, signal, stdout, stderr}. The
  // timeout is a safety bound only (children under ASan start slowly).
  function runChild(source, { env = {}, timeoutMs = 60000 } = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', source],
        { cwd: root, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`child timed out: ${stdout} ${stderr}`)); }, timeoutMs);
      child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    });
  }


  // A TCP relay from a local port to `port` that makes several TLS records reach one side in one
  // read: once the client has sent its first encrypted record (its Finished, in TLS 1.3), bytes
  // in direction `hold` ('toClient' or 'toServer') are held until they end on a record boundary
  // and include a record of at least `minRecord` bytes, then go out in one write.
  async function coalescingRelay(port, hold, minRecord) {
    const relay = net.createServer((client) => {
      const upstream = net.connect(port, '127.0.0.1');
      track(client);
      track(upstream);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      let seen = Buffer.alloc(0); // client -> server bytes until its first encrypted record
      let holding = false;
      let done = false;
      let held = Buffer.alloc(0);
      const release = (to) => {
        const records = [];
        let i = 0;
        while (i + 5 <= held.length) {
          const len = held.readUInt16BE(i + 3);
          if (i + 5 + len > held.length) break;
          records.push(len);
          i += 5 + len;
        }
        if (i === held.length && records.some((len) => len >= minRecord)) {
          to.write(held);
          held = Buffer.alloc(0);
          holding = false;
          done = true;
        }
      };
      client.on('data', (d) => {
        if (!done && !holding) {
          seen = Buffer.concat([seen, d]);
          for (let i = 0; i + 5 <= seen.length; i += 5 + seen.readUInt16BE(i + 3)) {
            if (seen[i] === 0x17) { holding = true; break; }
          }
        }
        if (holding && hold === 'toServer') {
          held = Buffer.concat([held, d]);
          release(upstream);
        } else {
          upstream.write(d);
        }
      });
      upstream.on('data', (d) => {
        if (holding && hold === 'toClient') {
          held = Buffer.concat([held, d]);
          release(client);
        } else {
          client.write(d);
        }
      });
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    return listen(relay);
  }

  // ------------------------------------------------------------------------------------------
  describe('item 7: one bad connection does not stop the listener', function () {
    it('createServer refuses a malformed wire-format ALPNProtocols Buffer and a list over 65535 bytes', function () {
      assert.throws(() => uvtls.createServer(serverOptions({ ALPNProtocols: Buffer.from([3, 0x68, 0x32]) })),
        { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => uvtls.createServer(serverOptions({ ALPNProtocols: Buffer.from([0]) })),
        { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => uvtls.createServer(serverOptions({ ALPNProtocols: new Array(300).fill('x'.repeat(255)) })),
        { code: 'ERR_OUT_OF_RANGE' });
      // Valid forms still pass.
      uvtls.createServer(serverOptions({ ALPNProtocols: Buffer.from([2, 0x68, 0x32]) }));
      uvtls.createServer(serverOptions({ ALPNProtocols: ['h2', 'http/1.1'] }));
    });

    it('a connection whose set-up fails is closed and the listener keeps answering clients', async function () {
      const server = uvtls.createServer(serverOptions(), (s) => { track(s); s.end('hello'); });
      const errors = [];
      server.on('error', (err) => errors.push(err));
      const port = await listen(server);
      // Past createServer's check (the native handle directly): every connection's set-up fails.
      server._handle.setALPNProtocols(Buffer.from([5, 0x61]));
      for (let i = 0; i < 3; i++) {
        const r = await h.within(nodeAttempt(port), 8000, `bad connection ${i} is closed`);
        assert.notStrictEqual(r.outcome, 'secure');
      }
      assert.strictEqual(errors.length, 3);
      assert.strictEqual(errors[0].code, 'ERR_INVALID_ARG_VALUE');
      server._handle.setALPNProtocols(null);
      const ok = await h.within(nodeAttempt(port), 8000, 'a good connection after the bad ones');
      assert.strictEqual(ok.outcome, 'secure');
      const [data] = await once(ok.socket, 'data');
      assert.strictEqual(data.toString(), 'hello');
    });
  });
  // ------------------------------------------------------------------------------------------
  describe('item 2: plaintext never crosses between connections', function () {
    it("a 'session' listener that reads another socket does not change this socket's 'data'", async function () {
      // B: a server-side socket paused at connect whose client's first data came in the same read
      // as its Finished, so B's cleartext waits in its engine.
      const bText = 'B'.repeat(1000);
      const aText = 'A'.repeat(4000);
      let bSocket;
      const bReady = new Promise((resolve) => {
        const server = uvtls.createServer(serverOptions({ pauseOnConnect: true, minVersion: 'TLSv1.3' }), (s) => {
          track(s);
          s.on('error', () => {});
          bSocket = s;
          resolve();
        });
        listen(server).then(async (port) => {
          const relayPort = await coalescingRelay(port, 'toServer', bText.length);
          const bc = track(tls.connect({ port: relayPort, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
          bc.on('error', () => {});
          bc.on('secureConnect', () => bc.write(bText));
        });
      });
      await h.within(bReady, 8000, 'B secure');

      // A: a uvtls client whose server's session tickets and first data arrive in one read.
      const nodeServer = tls.createServer(serverOptions({ minVersion: 'TLSv1.3' }), (s) => {
        track(s);
        s.on('error', () => {});
        s.write(aText);
      });
      const aPort = await coalescingRelay(await listen(nodeServer), 'toClient', aText.length);
      const a = track(uvtls.connect({ port: aPort, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
      let sessions = 0;
      a.on('session', () => {
        sessions++;
        bSocket.read(0); // B's reader asks for more: B's engine is drained now
      });
      const aData = h.collect(a);
      await h.within(new Promise((resolve, reject) => {
        a.on('error', reject);
        a.on('data', () => { if (aData().length >= aText.length) resolve(); });
      }), 8000, 'data on A');
      assert.ok(sessions >= 1);
      assert.ok(aData().equals(Buffer.from(aText)), `A's 'data' is not A's: ${aData().toString().slice(0, 40)}...`);
      // B's own bytes, read only now.
      const bData = h.collect(bSocket);
      await h.within(new Promise((resolve) => {
        const check = () => { if (bData().length >= bText.length) resolve(); };
        bSocket.on('data', check);
        bSocket.resume();
      }), 8000, 'data on B');
      assert.ok(bData().equals(Buffer.from(bText)), `B's 'data' is not B's: ${bData().toString().slice(0, 40)}...`);
    });
  });
  // ------------------------------------------------------------------------------------------
  describe('items 16, 17c: a throwing tlsClientError listener while a handshake is paused in JS', function () {
    // The child: a server whose paused handshake fails in JS (SNICallback or OCSPRequest answering
    // with an error, now or later), a 'tlsClientError' listener that throws, and a client. It
    // exits once both the uncaught exception was seen and the client's connection closed.
    const child = `
      const uvtls = require(process.env.UVTLS_ROOT);
      const tls = require('tls');
      const { key, cert } = JSON.parse(process.env.PKI);
      const mode = process.env.MODE;
      const later = mode.endsWith('async') ? (f) => setImmediate(f) : (f) => f();
      const options = { key, cert };
      if (mode.startsWith('sni')) options.SNICallback = (name, cb) => later(() => cb(new Error('no context')));
      const server = uvtls.createServer(options);
      if (mode.startsWith('ocsp')) server.on('OCSPRequest', (c, i, cb) => later(() => cb(new Error('no response'))));
      const seen = { uncaught: null, closed: false, errors: 0 };
      const done = () => {
        if (seen.uncaught === null || !seen.closed) return;
        console.log(JSON.stringify(seen));
        process.exit(0);
      };
      server.on('tlsClientError', (err) => {
        seen.errors++;
        throw new Error('listener boom');
      });
      process.on('uncaughtException', (err) => { seen.uncaught = err.message; done(); });
      server.listen(0, '127.0.0.1', () => {
        const c = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'name.example',
          rejectUnauthorized: false, requestOCSP: true });
        c.on('error', () => {});
        c.on('close', () => { seen.closed = true; server.close(); done(); });
      });
    `;
    for (const mode of ['sni-sync', 'sni-async', 'ocsp-sync', 'ocsp-async']) {
      it(`${mode}: the exception is uncaught (not swallowed) and the connection closes`, async function () {
        const pki = JSON.stringify({ key: String(c.serverKey), cert: String(c.serverChain) });
        const r = await runChild(child, { env: { PKI: pki, MODE: mode } });
        assert.strictEqual(r.code, 0, r.stderr);
        const seen = JSON.parse(r.stdout.trim().split('\n').pop());
        assert.deepStrictEqual(seen, { uncaught: 'listener boom', closed: true, errors: 1 });
      });
    }
  });
  // ------------------------------------------------------------------------------------------
  describe("item 14: 'secureConnection' for every completed handshake", function () {
    // A server of `lib` counting 'secureConnection'; resolves `reached(n)` once it saw n.
    async function countingServer(lib) {
      let count = 0;
      let waiter = null;
      const server = lib.createServer(serverOptions(), (s) => {
        s.on('error', () => {});
        count++;
        if (waiter && count >= waiter.n) waiter.resolve();
      });
      server.on('tlsClientError', () => {});
      const port = await listen(server);
      return {
        port,
        count: () => count,
        reached: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => { waiter = { n, resolve }; })),
      };
    }

    // n Node clients, `parallel` at a time, each closing right after its handshake: end(), a
    // reset (SO_LINGER 0) or destroy(). Node's client sends its Finished only after
    // 'secureConnect' returns, so the reset and the destroy wait for the next turn of the loop
    // (else the server never sees a completed handshake, under Node's server too). Resolves
    // with how many clients completed a handshake.
    async function closingClients(port, n, parallel = 20) {
      let completed = 0;
      let started = 0;
      const one = () => new Promise((resolve) => {
        const i = started++;
        const raw = net.connect(port, '127.0.0.1');
        raw.on('error', () => {});
        const sock = tls.connect({ socket: raw, ca: c.caCert, servername: 'localhost' }, () => {
          completed++;
          if (i % 3 === 0) sock.end();
          else if (i % 3 === 1) setImmediate(() => raw.resetAndDestroy());
          else setImmediate(() => sock.destroy());
        });
        sock.on('error', () => {});
        sock.on('close', resolve);
      });
      const lanes = [];
      for (let l = 0; l < parallel; l++) {
        lanes.push((async () => { while (started < n) await one(); })());
      }
      await Promise.all(lanes);
      return completed;
    }

    for (const [name, lib] of [['uvtls', uvtls], ["Node's tls", tls]]) {
      it(`${name}: 200 Node clients that end, reset or destroy right after the handshake`, async function () {
        const server = await countingServer(lib);
        const completed = await closingClients(server.port, 200);
        assert.ok(completed > 0);
        await h.within(server.reached(completed), 10000,
          `'secureConnection' ${server.count()} of ${completed} completed handshakes`);
        assert.strictEqual(server.count(), completed);
      });

      it(`${name}: openssl s_time -new (each client closes right after its handshake)`, async function () {
        const server = await countingServer(lib);
        const r = await h.runOpenssl(['s_time', '-connect', `127.0.0.1:${server.port}`, '-new', '-time', '1'],
          { timeoutMs: 15000 });
        const m = /(\d+) connections in [\d.]+s/.exec(r.stdout);
        assert.ok(m, r.stdout + r.stderr);
        const completed = Number(m[1]);
        assert.ok(completed > 0);
        await h.within(server.reached(completed), 10000,
          `'secureConnection' ${server.count()} of ${completed} completed handshakes`);
        assert.strictEqual(server.count(), completed);
      });
    }
  });
  // ------------------------------------------------------------------------------------------
  describe('item 11: what a paused handshake holds is bounded', function () {
    it('a client that streams 50 MB after its ClientHello while SNICallback never answers is failed', async function () {
      let clientError;
      const failed = new Promise((resolve) => {
        const server = uvtls.createServer(serverOptions({ SNICallback: () => {} }));
        server.on('tlsClientError', (err, socket) => { clientError = err; resolve(socket); });
        listen(server).then((port) => {
          const raw = track(net.connect(port, '127.0.0.1'));
          raw.on('error', () => {});
          // A real ClientHello from Node's client, then raw bytes under it while it waits.
          const hello = track(tls.connect({ socket: raw, servername: 'paused.example', rejectUnauthorized: false }));
          hello.on('error', () => {});
          const chunk = Buffer.alloc(64 * 1024, 0x17);
          let sent = 0;
          const pump = () => {
            while (sent < 50 * 1024 * 1024 && !raw.destroyed) {
              sent += chunk.length;
              if (!raw.write(chunk)) return raw.once('drain', pump);
            }
          };
          raw.once('connect', () => setImmediate(pump));
        });
      });
      const socket = await h.within(failed, 15000, 'the paused handshake fails');
      assert.strictEqual(clientError.code, 'ERR_TLS_HANDSHAKE_BUFFER_LIMIT');
      // What the server read (and held) stays near the cap (64 KiB): besides it, at most the read
      // that brought the ClientHello and the read that went past the cap (64 KiB each).
      assert.ok(socket.bytesRead <= 3 * 64 * 1024, `server read ${socket.bytesRead} bytes`);
    });
  });
  // ------------------------------------------------------------------------------------------
  describe('item 17: newSession bound, listen fallback', function () {
    // TLS 1.2 with session ids (no tickets): the server's Finished waits for the callback.
    const sessionIdOptions = () => serverOptions({ handshakeTimeout: 300, maxVersion: 'TLSv1.2',
      secureOptions: require('crypto').constants.SSL_OP_NO_TICKET });
    async function stalledNewSession(lib) {
      const server = lib.createServer(sessionIdOptions(), (s) => { s.on('error', () => {}); });
      server.on('newSession', () => {}); // never calls back
      const failed = new Promise((resolve) => server.on('tlsClientError', (err, socket) => resolve({ err, socket })));
      const port = await listen(server);
      const client = track(tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
      client.on('error', () => {});
      const { err } = await h.within(failed, 8000, 'tlsClientError after handshakeTimeout');
      return { err, client };
    }

    it("Node's tls: a 'newSession' callback that never calls back: tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT", async function () {
      const { err } = await stalledNewSession(tls);
      assert.strictEqual(err.code, 'ERR_TLS_HANDSHAKE_TIMEOUT'); // (Node then leaves the connection open)
    });

    it("uvtls: the same, and the connection closes", async function () {
      const { err, client } = await stalledNewSession(uvtls);
      assert.strictEqual(err.code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
      if (!client.destroyed) await h.within(once(client, 'close'), 8000, 'the client connection closes');
    });

    // As user nobody (ports below 1024 are refused to it): listen(443) tries '::', then
    // '0.0.0.0'; the second error must be the second bind's own (EACCES), as Node's.
    const listenChild = `
      const lib = process.env.LIB === 'node' ? require('tls') : require(process.env.UVTLS_ROOT);
      const { key, cert } = JSON.parse(process.env.PKI);
      const s = lib.createServer({ key, cert });
      s.on('error', (e) => { console.log(JSON.stringify({ code: e.code, address: e.address })); process.exit(0); });
      s.listen({ port: 443, reusePort: process.env.REUSE === '1' }, () => { console.log(JSON.stringify({ listening: true })); process.exit(0); });
    `;
    for (const reuse of ['0', '1']) {
      it(`listen(port) falls back from '::' to '0.0.0.0' on a fresh handle (reusePort ${reuse === '1'})`, async function () {
        if (typeof process.getuid !== 'function' || process.getuid() !== 0) this.skip(); // needs to become nobody
        const pki = JSON.stringify({ key: String(c.serverKey), cert: String(c.serverChain) });
        // nobody may not enter the checkout (a CI clone into a 0700 mktemp -d): a copy it can read.
        const copy = h.worldReadableCopy();
        after(copy.remove);
        const run = (LIB) => new Promise((resolve, reject) => {
          const child = spawn(process.execPath, ['-e', listenChild], {
            cwd: '/', uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'],
            env: childEnv({ PKI: pki, LIB, REUSE: reuse, UVTLS_ROOT: copy.dir, ...copy.env }),
          });
          let out = '';
          child.stdout.on('data', (d) => { out += d; });
          child.stderr.on('data', (d) => { out += d; });
          child.on('error', reject);
          child.on('close', () => { try { resolve(JSON.parse(out.trim().split('\n').pop())); } catch { reject(new Error(out)); } });
        });
        const ref = await run('node');
        if (ref.listening) {
          // This machine lets nobody bind low ports: then uvtls must listen too.
          assert.deepStrictEqual(await run('uvtls'), { listening: true });
          return;
        }
        assert.deepStrictEqual(await run('uvtls'), { code: ref.code, address: '0.0.0.0' });
      });
    }
  });
});
