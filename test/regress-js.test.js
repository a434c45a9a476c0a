'use strict';
// Regression tests for defects found in review (issue 11) in the socket, connect and server
// JavaScript and in how the native transport reports a peer's close. Node's own tls is the
// reference, run side by side in the same test.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const root = path.join(__dirname, '..');

// Resolves once `fn()` is (or resolves to) true, checking every few milliseconds; fails after
// `ms`, a bound far above what the awaited event needs, so only a hang trips it.
async function until(fn, what, ms = 30000) {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const connections = (server) => new Promise((resolve, reject) =>
  server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

describe('issue 11 regressions: socket, connect and server (JS)', function () {
  this.timeout(60000);
  let c;
  before(function () { c = certs(); });
  const tracker = h.openTracker(2000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  async function listen(server, ...args) {
    track(server);
    server.listen(...(args.length ? args : [0, '127.0.0.1']));
    await once(server, 'listening');
    return server;
  }

  describe('a peer that closes right after the handshake (items 1 and 14)', function () {
    // How the client leaves once it is secure. `raw` is its plain TCP socket, when it has one.
    const leave = {
      destroy: (cl) => cl.destroy(),
      end: (cl) => cl.end(),
      'destroy after data': (cl) => cl.write('hi', () => cl.destroy()),
      'end after data': (cl) => cl.end('hi'),
      'reset after data': (cl, raw) => cl.write('hi', () => raw.resetAndDestroy()),
      'FIN without close_notify after data': (cl, raw) => cl.write('hi', () => raw.end()),
      'FIN without close_notify': (cl, raw) => raw.end(),
      reset: (cl, raw) => raw.resetAndDestroy(),
    };

    // The server-side story of one connection: its events in order, as one string.
    function serverStory(lib, version, clientLib, how) {
      return new Promise((resolve, reject) => {
        const events = [];
        let done = false;
        const finish = (story) => {
          if (done) return;
          done = true;
          server.close();
          resolve(story);
        };
        const server = lib.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: version }, (s) => {
          track(s);
          events.push('secureConnection');
          s.on('data', () => events.push('data'));
          s.on('end', () => events.push('end'));
          s.on('error', (e) => events.push(`error ${e.code}`));
          s.on('close', () => { events.push('close'); finish(events.join(', ')); });
        });
        // A client whose handshake never completed on the server's side ends here instead.
        server.on('tlsClientError', (e) => { events.push(`tlsClientError ${e.code}`); finish(events.join(', ')); });
        track(server);
        server.listen(0, '127.0.0.1', () => {
          const port = server.address().port;
          const raw = net.connect(port, '127.0.0.1', () => {
            const cl = track(clientLib.connect({ socket: raw, ca: c.caCert, servername: 'localhost' }));
            // TLS 1.3 servers send two session tickets after the handshake: the client leaves
            // once it has read them, so its close is not also a reset for unread data (a race
            // Node's server loses in the same way).
            let tickets = 0;
            // (On the next turn: Node's client corrupts its records when written to from
            // inside its own 'session' event.)
            cl.on('session', () => { if (++tickets === 2) setImmediate(() => leave[how](cl, raw)); });
            if (version === 'TLSv1.2') cl.once('secureConnect', () => leave[how](cl, raw));
            cl.on('error', () => {});
          });
          raw.on('error', () => {});
          track(raw);
        });
        server.on('error', reject);
      });
    }

    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      for (const how of Object.keys(leave)) {
        it(`${version}, the client ${how}: the server's events are Node's (no EPIPE from the automatic end)`, async function () {
          const node = await serverStory(tls, version, tls, how);
          const ours = await serverStory(uvtls, version, tls, how);
          assert.strictEqual(ours, node);
          assert.doesNotMatch(ours, /EPIPE/);
        });
      }
    }

    // A uvtls client has sent its Finished when it is secure, so a destroy at 'secureConnect'
    // completes the server's handshake and then ends the connection; the server's session
    // tickets then meet a closed socket, and its automatic end() writes into a reset.
    function nativeClientStory(serverLib, version, how) {
      return new Promise((resolve) => {
        const events = [];
        const server = serverLib.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: version }, (s) => {
          track(s);
          events.push('secureConnection');
          s.on('data', () => events.push('data'));
          s.on('end', () => events.push('end'));
          s.on('error', (e) => events.push(`error ${e.code}`));
          s.on('close', () => { events.push('close'); server.close(); resolve(events.join(', ')); });
        });
        server.on('tlsClientError', (e) => { events.push(`tlsClientError ${e.code}`); server.close(); resolve(events.join(', ')); });
        track(server);
        server.listen(0, '127.0.0.1', () => {
          const cl = track(uvtls.connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' },
            () => (how === 'destroy' ? cl.destroy() : cl.write('hi', () => cl.destroy()))));
          cl.on('error', () => {});
        });
      });
    }

    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      for (const how of ['destroy', 'destroy after data']) {
        it(`${version}, a uvtls client that does "${how}" at secureConnect: the server's events are Node's`, async function () {
          const node = await nativeClientStory(tls, version, how);
          const ours = await nativeClientStory(uvtls, version, how);
          assert.strictEqual(ours, node);
          assert.match(ours, /^secureConnection, /);
        });
      }
    }

    it('clients that destroy once secure: a server with no error listener survives', async function () {
      // The server has no 'error' listener on its sockets, as Node's own examples are written:
      // an error there would be an uncaught exception and end this process.
      let closed = 0;
      const server = await listen(uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => {
        s.on('close', () => { closed++; });
      }));
      const port = server.address().port;
      for (let i = 0; i < 20; i++) {
        const cl = tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' });
        let tickets = 0;
        cl.on('session', () => { if (++tickets === 2) setImmediate(() => cl.destroy()); });
        cl.on('error', () => {});
        await once(cl, 'close');
      }
      await until(() => closed === 20, 'the server sockets to close');
      // Still serving.
      const cl = track(uvtls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
      await once(cl, 'secureConnect');
      cl.end();
      cl.resume();
      await once(cl, 'close');
    });

    it("'secureConnection' for every handshake openssl s_time completes (it closes at once)", async function () {
      async function count(lib) {
        let secure = 0;
        const server = await listen(lib.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => {
          secure++;
          s.on('error', () => {});
          s.resume(); // a paused socket never sees its 'end', and never closes
        }));
        server.on('tlsClientError', () => {});
        const out = await new Promise((resolve, reject) => {
          const p = spawn('openssl', ['s_time', '-connect', `127.0.0.1:${server.address().port}`, '-new', '-time', '2'],
            { env: h.toolEnv() });
          let text = '';
          p.stdout.on('data', (d) => { text += d; });
          p.on('error', reject);
          p.on('close', () => resolve(text));
        });
        const m = /(\d+) connections in/.exec(out);
        assert(m, `s_time printed no count: ${out}`);
        const completed = Number(m[1]);
        assert(completed > 10, `s_time completed only ${completed} handshakes`);
        // Every connection s_time made has been closed by it: wait until the server has seen
        // each of them go.
        await until(async () => await connections(server) === 0 && secure >= completed,
          `the server to see all ${completed} connections (secureConnection so far: ${secure})`);
        return { completed, secure };
      }
      const node = await count(tls);
      const ours = await count(uvtls);
      assert.strictEqual(node.secure, node.completed);
      assert.strictEqual(ours.secure, ours.completed);
    });
  });

  describe('the client after the handshake: close_notify is a plain end (item 15)', function () {
    for (const transport of ['native', '{socket}']) {
      it(`${transport}: a server that asked for and accepted our certificate, then ended cleanly: 'end', no error`, async function () {
        const server = await listen(tls.createServer({
          key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true, rejectUnauthorized: true,
        }, (s) => s.end()));
        const port = server.address().port;
        const options = { host: '127.0.0.1', servername: 'localhost', ca: c.caCert, key: c.clientKey, cert: c.clientCert };
        if (transport === '{socket}') {
          options.socket = track(net.connect(port, '127.0.0.1'));
          await once(options.socket, 'connect');
        } else {
          options.port = port;
        }
        const cl = track(uvtls.connect(options));
        const events = [];
        cl.on('secureConnect', () => events.push('secureConnect'));
        cl.on('end', () => events.push('end'));
        cl.on('error', (e) => events.push(`error ${e.code}`));
        cl.resume();
        await once(cl, 'close');
        assert.deepStrictEqual(events, ['secureConnect', 'end']);
        assert.strictEqual(cl.authorized, true);
      });
    }
  });

  describe('host-name check for pipes and {socket} (item 10)', function () {
    let dir;
    before(function () { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-regress-')); });
    after(function () { fs.rmSync(dir, { recursive: true, force: true }); });

    // The server ends each connection at once; a client that then leaves without reading its
    // close_notify resets the connection, which is no concern of these tests.
    const endQuietly = (s) => { s.on('error', () => {}); s.end(); };

    // The outcome of a connection: 'secure' or the error code.
    function outcome(lib, options) {
      return new Promise((resolve) => {
        const cl = track(lib.connect({ ca: c.caCert, ...options }, () => resolve('secure')));
        cl.on('error', (e) => resolve(e.code));
      });
    }

    it('connect({path, host}) checks host as Node does (else localhost)', async function () {
      const file = path.join(dir, `s-${process.pid}.sock`);
      await listen(uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, endQuietly), file);
      for (const extra of [{ host: 'wrong.example' }, { host: 'localhost' }, {}, { servername: 'wrong.example' }]) {
        const node = await outcome(tls, { path: file, ...extra });
        const ours = await outcome(uvtls, { path: file, ...extra });
        assert.strictEqual(ours, node, `options ${JSON.stringify(extra)}`);
      }
      assert.strictEqual(await outcome(uvtls, { path: file, host: 'wrong.example' }), 'ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('connect({socket}) without servername checks the host the plain socket was connected to', async function () {
      const server = await listen(uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, endQuietly));
      const port = server.address().port;
      for (const host of ['localhost', '127.0.0.1']) {
        const results = [];
        for (const lib of [tls, uvtls]) {
          const raw = track(net.connect(port, host));
          await once(raw, 'connect');
          results.push(await outcome(lib, { socket: raw }));
        }
        assert.strictEqual(results[1], results[0], `plain socket to ${host}`);
      }
    });
  });

  describe('options checked before anything starts (item 12)', function () {
    const badAlpn = [
      ['a malformed wire-format Buffer', Buffer.from([5, 0x68, 0x32]), 'ERR_INVALID_ARG_VALUE'],
      ['a zero-length name in wire format', Buffer.from([0, 2, 0x68, 0x32]), 'ERR_INVALID_ARG_VALUE'],
      ['a list over 65535 bytes', Array(300).fill('x'.repeat(255)), 'ERR_OUT_OF_RANGE'],
    ];
    for (const [what, ALPNProtocols, expectedCode] of badAlpn) {
      it(`connect() with ${what} throws ${expectedCode} and leaves nothing running`, async function () {
        const server = await listen(net.createServer((s) => { track(s); }));
        // In a child: an orphan connection would keep it alive, so it must exit by itself.
        const script = `
          const uvtls = require(${JSON.stringify(root)});
          const ALPNProtocols = ${JSON.stringify(ALPNProtocols)};
          const list = ALPNProtocols.type === 'Buffer' ? Buffer.from(ALPNProtocols.data) : ALPNProtocols;
          try {
            uvtls.connect({ port: ${server.address().port}, host: '127.0.0.1', ALPNProtocols: list });
            console.log('no throw');
          } catch (err) {
            console.log(err.code);
          }`;
        const child = spawn(process.execPath, ['-e', script], { env: h.nodeChildEnv() });
        let out = '';
        child.stdout.on('data', (d) => { out += d; });
        const killer = setTimeout(() => child.kill('SIGKILL'), 30000);
        const [code, signal] = await once(child, 'exit');
        clearTimeout(killer);
        assert.strictEqual(signal, null, 'the child was kept alive by an orphan connection');
        assert.strictEqual(code, 0);
        assert.strictEqual(out.trim(), expectedCode);
      });
    }

    it('createServer() refuses the same lists', function () {
      for (const [, ALPNProtocols, code] of badAlpn) {
        assert.throws(() => uvtls.createServer({ key: c.serverKey, cert: c.serverChain, ALPNProtocols }), { code });
      }
    });
  });

  describe('numbers validated as Node does (item 13)', function () {
    // The error Node's own function throws for the same call, or null.
    const thrown = (fn) => {
      try { fn(); } catch (err) { return { code: err.code, message: err.message }; }
      return null;
    };

    it('exportKeyingMaterial, setTimeout and setMaxSendFragment on a connected socket', async function () {
      const server = await listen(uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => { s.resume(); s.on('error', () => {}); }));
      const cl = track(uvtls.connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
      await once(cl, 'secureConnect');
      const nodeSocket = new tls.TLSSocket();
      const calls = [
        ['exportKeyingMaterial', 2 ** 32 + 16, 'label'], ['exportKeyingMaterial', 'abc', 'label'],
        ['exportKeyingMaterial', NaN, 'label'], ['exportKeyingMaterial', 0, 'label'],
        ['exportKeyingMaterial', -1, 'label'], ['exportKeyingMaterial', 2.5, 'label'],
        ['setTimeout', 'abc'], ['setTimeout', NaN], ['setTimeout', -1], ['setTimeout', Infinity],
        ['setMaxSendFragment', 'abc'], ['setMaxSendFragment', 1.5], ['setMaxSendFragment', 2 ** 40],
      ];
      for (const [method, ...args] of calls) {
        const expected = thrown(() => nodeSocket[method](...args));
        assert(expected, `Node accepted ${method}(${args})`);
        assert.deepStrictEqual(thrown(() => cl[method](...args)), expected, `${method}(${args})`);
      }
      // In range, the length is the length: not reduced modulo 2^32.
      assert.strictEqual(cl.exportKeyingMaterial(16, 'label').length, 16);
      assert.strictEqual(cl.setMaxSendFragment(100), false);
    });

    it("a server's handshakeTimeout: a string is refused as by Node; 0, NaN and null mean Node's default", function () {
      const base = { key: c.serverKey, cert: c.serverChain };
      const expected = thrown(() => tls.createServer({ ...base, handshakeTimeout: 'abc' }));
      assert.deepStrictEqual(thrown(() => uvtls.createServer({ ...base, handshakeTimeout: 'abc' })), expected);
      for (const value of [0, NaN, null, undefined]) {
        assert.strictEqual(uvtls.createServer({ ...base, handshakeTimeout: value })._handshakeTimeoutMs(), 120000);
      }
      for (const value of [-5, 2 ** 32 + 10, Infinity]) {
        assert.throws(() => uvtls.createServer({ ...base, handshakeTimeout: value }), { code: 'ERR_OUT_OF_RANGE' });
      }
    });

    it("a client's handshakeTimeout: 'abc', NaN and 0 are refused, not 'no timeout'", function () {
      const target = { port: 1, host: '127.0.0.1' };
      assert.throws(() => uvtls.connect({ ...target, handshakeTimeout: 'abc' }), { code: 'ERR_INVALID_ARG_TYPE' });
      for (const value of [NaN, 0, -1, 2 ** 32 + 16, 1.5]) {
        assert.throws(() => uvtls.connect({ ...target, handshakeTimeout: value }), { code: 'ERR_OUT_OF_RANGE' });
      }
    });
  });

  describe("the socket in 'tlsClientError' (item 16)", function () {
    it('knows the servername the ClientHello asked for, as Node\'s does', async function () {
      const names = [];
      for (const lib of [tls, uvtls]) {
        const server = await listen(lib.createServer({
          key: c.serverKey, cert: c.serverChain,
          SNICallback: (name, cb) => cb(new Error('no such name')),
        }));
        const clientError = once(server, 'tlsClientError');
        const cl = track(tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'example.test', ca: c.caCert }));
        cl.on('error', () => {});
        const [, socket] = await clientError;
        names.push(socket.servername);
      }
      assert.strictEqual(names[1], names[0]);
      assert.strictEqual(names[1], 'example.test');
    });
  });

  describe("a 'newSession' listener that never calls back (item 17)", function () {
    it('holds the connection no longer than the handshake timeout, then tlsClientError', async function () {
      const server = await listen(uvtls.createServer({
        // No tickets: a TLS 1.2 session id goes through the application's cache.
        key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2', handshakeTimeout: 300,
        secureOptions: require('crypto').constants.SSL_OP_NO_TICKET,
      }, () => assert.fail('secureConnection without the session stored')));
      server.on('newSession', () => {}); // never calls back
      const clientError = once(server, 'tlsClientError');
      const cl = track(uvtls.connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
      cl.on('error', () => {});
      const [err] = await clientError;
      assert.strictEqual(err.code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
      assert.match(err.hint, /newSession/);
      await once(cl, 'close');
      await until(async () => await connections(server) === 0, 'the server to drop the connection');
    });
  });
});
