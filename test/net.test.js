'use strict';
// Servers, clients and TLSSocket over the native libuv transport, against real peers on
// loopback: mostly Node's own tls, whose behaviour (events, their order, error codes) is the
// reference and is often run side by side in the same test.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { spawnSync } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const { freePort } = h;

const root = path.join(__dirname, '..');
const tick = (ms) => new Promise((r) => setTimeout(r, ms));
const CHILD_MS = h.STEP_MS; // safety bound of a child Node process (slow under the sanitizer build)

// Child processes load the addon: under `npm run test:asan` they get the sanitizer runtime
// (h.nodeChildEnv), without leak detection, which flags V8's own allocations of a process that
// exits by itself, and with fast unwinding.
const childEnv = (extra) => h.nodeChildEnv(extra);

describe('net: servers, clients and TLSSocket', function () {
  let c;
  before(function () { c = certs(); });
  const serverOptions = (extra) => ({ key: c.serverKey, cert: c.serverChain, ...extra });

  const tracker = h.openTracker(2000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  function listen(server, ...args) {
    track(server);
    server.listen(...args);
    return once(server, 'listening').then(() => server);
  }

  // A server of `lib` (uvtls or Node's tls) on 127.0.0.1; accepted sockets are tracked and
  // handed to onSocket (default: echo).
  function startServer(lib, options, onSocket = (s) => s.pipe(s)) {
    const server = lib.createServer(serverOptions(options), (s) => {
      track(s);
      s.on('error', () => {});
      onSocket(s);
    });
    return listen(server, 0, '127.0.0.1');
  }

  // Connects and resolves at secureConnect; rejects on 'error'.
  function connected(socket) {
    track(socket);
    return new Promise((resolve, reject) => {
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  // Records events in order: "name" or "name:<detail>".
  function record(emitter, names) {
    const seen = [];
    for (const name of names) {
      emitter.on(name, (arg) => {
        if (name === 'error') seen.push(`error:${arg.code}`);
        else if (name === 'close') seen.push(`close:${arg}`);
        else seen.push(name);
      });
    }
    return seen;
  }

  // 'close', without the rejection on 'error' that events.once() adds.
  function closed(emitter) {
    return new Promise((resolve) => emitter.once('close', resolve));
  }

  function echoOnce(socket, text) {
    return new Promise((resolve, reject) => {
      let got = '';
      const onData = (d) => {
        got += d;
        if (got.length >= text.length) { socket.removeListener('data', onData); resolve(got); }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(text);
    });
  }

  function nodeClient(port, extra) {
    return connected(tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost', ...extra }));
  }

  function uvClient(port, extra) {
    return connected(uvtls.connect({ port, host: '127.0.0.1', ca: c.caCert, ...extra }));
  }

  // --------------------------------------------------------------------------------------------
  describe('Server', function () {
    it('listen(port, host, backlog, cb): listening, address(), the listening event', async function () {
      const server = track(uvtls.createServer(serverOptions(), (s) => { track(s); s.pipe(s); }));
      assert.strictEqual(server.listening, false);
      assert.strictEqual(server.address(), null);
      let events = 0;
      server.on('listening', () => events++);
      await new Promise((resolve) => server.listen(0, '127.0.0.1', 16, resolve));
      assert.strictEqual(server.listening, true);
      assert.strictEqual(events, 1);
      const addr = server.address();
      assert.strictEqual(addr.address, '127.0.0.1');
      assert.strictEqual(addr.family, 'IPv4');
      assert.ok(addr.port > 0);
      const client = await nodeClient(addr.port);
      assert.strictEqual(await echoOnce(client, 'ping'), 'ping');
    });

    it('listen({port, host}, cb) on a chosen port, and listen(port) on all addresses as net.Server', async function () {
      const a = track(uvtls.createServer(serverOptions(), (s) => { track(s); s.end('a'); }));
      // A port found free may be taken by another process before it is used: try another.
      let port;
      for (let attempt = 1; ; attempt++) {
        port = await freePort();
        const err = await new Promise((resolve) => {
          a.once('error', resolve);
          a.listen({ port, host: '127.0.0.1' }, () => { a.removeListener('error', resolve); resolve(null); });
        });
        if (!err) break;
        if (err.code !== 'EADDRINUSE' || attempt >= 5) throw err;
      }
      assert.deepStrictEqual(a.address(), { address: '127.0.0.1', family: 'IPv4', port });

      const b = await listen(uvtls.createServer(serverOptions(), (s) => { track(s); s.end('b'); }), '0');
      const ref = await listen(net.createServer(), 0);
      assert.strictEqual(b.address().address, ref.address().address);
      assert.strictEqual(b.address().family, ref.address().family);
      const client = await nodeClient(b.address().port);
      const [data] = await once(client, 'data');
      assert.strictEqual(data.toString(), 'b');
    });

    it('listen twice throws ERR_SERVER_ALREADY_LISTEN', async function () {
      const server = await startServer(uvtls);
      assert.throws(() => server.listen(0), { code: 'ERR_SERVER_ALREADY_LISTEN' });
    });

    it('listen(path) on a Unix socket; clients connect(path, options, cb) and connect({path})', async function () {
      const sock = path.join(os.tmpdir(), `uvtls-${process.pid}-${Date.now()}.sock`);
      const server = track(uvtls.createServer(serverOptions(), (s) => { track(s); s.pipe(s); }));
      await new Promise((resolve) => server.listen(sock, resolve));
      try {
        assert.strictEqual(server.address(), sock);
        const a = track(uvtls.connect(sock, { ca: c.caCert, servername: 'localhost' }));
        await new Promise((resolve, reject) => { a.once('secureConnect', resolve); a.once('error', reject); });
        assert.strictEqual(a.authorized, true);
        assert.strictEqual(await echoOnce(a, 'unix'), 'unix');
        const b = await connected(tls.connect({ path: sock, ca: c.caCert, servername: 'localhost' }));
        assert.strictEqual(await echoOnce(b, 'node'), 'node');
        const d = await connected(uvtls.connect({ path: sock, ca: c.caCert, servername: 'localhost' }));
        assert.strictEqual(await echoOnce(d, 'opts'), 'opts');
      } finally {
        await tracker.closeAll(); // sockets, then the server (waiting for its 'close')
      }
      assert.strictEqual(fs.existsSync(sock), false, 'the socket file is removed at close, as net.Server does');
    });

    it('EADDRINUSE: an error event shaped as net.Server\'s, with a hint', async function () {
      const blocker = await listen(net.createServer(), 0, '127.0.0.1');
      const { port } = blocker.address();
      const errors = [];
      for (const lib of [tls, uvtls]) {
        const s = lib.createServer(serverOptions());
        s.listen(port, '127.0.0.1');
        const [err] = await once(s, 'error');
        assert.strictEqual(s.listening, false);
        errors.push(err);
      }
      const [node, ours] = errors;
      for (const key of ['code', 'errno', 'syscall', 'address', 'port', 'message']) {
        assert.strictEqual(ours[key], node[key], key);
      }
      assert.match(ours.hint, /already listens/);
    });

    it('connections and getConnections(cb) count open connections', async function () {
      const server = await startServer(uvtls);
      const { port } = server.address();
      assert.strictEqual(server.connections, 0);
      const a = await nodeClient(port);
      const b = await nodeClient(port);
      await echoOnce(a, 'x');
      await echoOnce(b, 'x');
      assert.strictEqual(server.connections, 2);
      const [err, n] = await new Promise((resolve) => server.getConnections((...args) => resolve(args)));
      assert.strictEqual(err, null);
      assert.strictEqual(n, 2);
      a.destroy();
      await h.waitUntil(() => server.connections === 1, 'server.connections to drop to 1').catch(() => {});
      assert.strictEqual(server.connections, 1);
    });

    it('maxConnections: connections above the limit are closed at once', async function () {
      const server = await startServer(uvtls);
      server.maxConnections = 1;
      assert.strictEqual(server.maxConnections, 1);
      const { port } = server.address();
      const first = await nodeClient(port);
      const second = track(tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
      const seen = record(second, ['secureConnect', 'error', 'close']);
      await closed(second);
      assert.ok(!seen.includes('secureConnect'), seen.join());
      assert.strictEqual(seen[0], 'error:ECONNRESET');
      assert.strictEqual(await echoOnce(first, 'still served'), 'still served');
      assert.strictEqual(server.connections, 1);
    });

    it('close(cb): stops accepting at once, calls back after the last connection ends (as Node)', async function () {
      for (const lib of [tls, uvtls]) {
        const server = await startServer(lib);
        const { port } = server.address();
        const client = await nodeClient(port);
        await echoOnce(client, 'x');
        let closed = false;
        server.close(() => { closed = true; });
        assert.strictEqual(server.listening, false);
        const refused = track(net.connect(port, '127.0.0.1'));
        const [err] = await once(refused, 'error');
        assert.strictEqual(err.code, 'ECONNREFUSED');
        assert.strictEqual(closed, false, `${lib === tls ? 'node' : 'uvtls'}: close before the last connection ended`);
        assert.strictEqual(await echoOnce(client, 'still open'), 'still open');
        assert.strictEqual(closed, false, `${lib === tls ? 'node' : 'uvtls'}: close before the last connection ended`);
        client.end();
        await h.waitUntil(() => closed, 'the close callback').catch(() => {});
        assert.strictEqual(closed, true);
      }
    });

    it('close(cb) on a server that is not listening calls back ERR_SERVER_NOT_RUNNING', async function () {
      const server = uvtls.createServer(serverOptions());
      const [err] = await new Promise((resolve) => server.close((...args) => resolve(args)));
      assert.strictEqual(err.code, 'ERR_SERVER_NOT_RUNNING');
    });

    it('unref() lets the process exit; ref() keeps it alive again', function () {
      const script = (body) => spawnSync(process.execPath, ['-e', `
        const uvtls = require(${JSON.stringify(root)});
        const s = uvtls.createServer({ key: process.env.KEY, cert: process.env.CERT });
        ${body}`], { env: childEnv({ KEY: c.serverKey.toString(), CERT: c.serverChain.toString() }),
        encoding: 'utf8', timeout: CHILD_MS });
      const unrefd = script("s.listen(0, '127.0.0.1', () => { s.unref(); console.log('listening'); });");
      assert.strictEqual(unrefd.status, 0, unrefd.stderr);
      assert.strictEqual(unrefd.stdout.trim(), 'listening');
      const refd = script(`s.unref(); s.listen(0, '127.0.0.1', () => { s.ref();
        setTimeout(() => { console.log('alive'); s.close(); }, 300).unref(); });`);
      assert.strictEqual(refd.status, 0, refd.stderr);
      assert.strictEqual(refd.stdout.trim(), 'alive');
    });

    it('secureConnection gives an established TLSSocket; tlsClientError gets the error and a socket', async function () {
      const server = await startServer(uvtls, {}, (s) => {
        assert.ok(s instanceof uvtls.TLSSocket);
        assert.strictEqual(s.encrypted, true);
        assert.strictEqual(s.getProtocol(), 'TLSv1.3');
        s.end('hi');
      });
      const client = await nodeClient(server.address().port);
      const [d] = await once(client, 'data');
      assert.strictEqual(d.toString(), 'hi');
      const raw = track(net.connect(server.address().port, '127.0.0.1'));
      raw.on('error', () => {});
      raw.write(Buffer.alloc(64, 0x42));
      const [err, socket] = await once(server, 'tlsClientError');
      assert.strictEqual(err.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
      assert.ok(err.hint);
      assert.ok(socket instanceof uvtls.TLSSocket);
      assert.strictEqual(socket.remoteAddress, '127.0.0.1');
    });

    it('requestCert + rejectUnauthorized: a client certificate is required and verified', async function () {
      const opts = { requestCert: true, rejectUnauthorized: true, ca: c.caCert };
      const server = await startServer(uvtls, opts, (s) => {
        s.end(`${s.authorized} ${s.getPeerCertificate().subject.CN}`);
      });
      const { port } = server.address();
      const good = await nodeClient(port, { key: c.clientKey, cert: c.clientCert });
      const [d] = await once(good, 'data');
      assert.strictEqual(d.toString(), 'true device-001');

      const clientErrors = [];
      server.on('tlsClientError', (err) => clientErrors.push(err.code));
      const bad = track(tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
      const [err] = await once(bad, 'error');
      assert.match(err.code, /CERTIFICATE_REQUIRED|ECONNRESET/);
      await h.waitUntil(() => clientErrors.length > 0, 'tlsClientError').catch(() => {});
      assert.deepStrictEqual(clientErrors, ['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE']);
    });

    it('requestCert without rejectUnauthorized: authorized and authorizationError as Node\'s server', async function () {
      const results = [];
      for (const lib of [tls, uvtls]) {
        const server = await startServer(lib, { requestCert: true, rejectUnauthorized: false, ca: c.caCert },
          (s) => s.end(JSON.stringify([s.authorized, s.authorizationError])));
        const { port } = server.address();
        for (const extra of [{}, { key: c.selfSignedKey, cert: c.selfSignedCert }, { key: c.clientKey, cert: c.clientCert }]) {
          const client = await nodeClient(port, extra);
          const [d] = await once(client, 'data');
          results.push(d.toString());
        }
      }
      assert.deepStrictEqual(results.slice(3), results.slice(0, 3));
      assert.strictEqual(results[5], '[true,null]');
    });

    it('handshakeTimeout: a silent client gets tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT and is freed', async function () {
      const server = await startServer(uvtls, { handshakeTimeout: 300 });
      // Not before the timeout: a 250 ms timer armed before the connection exists (on the same
      // loop clock, which a busy loop lets lag behind Date.now()) has fired by then.
      let early = false;
      const reference = setTimeout(() => { early = true; }, 250);
      const t0 = Date.now();
      const raw = track(net.connect(server.address().port, '127.0.0.1'));
      await once(raw, 'connect');
      const [[err, socket]] = await Promise.all([once(server, 'tlsClientError'), closed(raw)]);
      const elapsed = Date.now() - t0;
      clearTimeout(reference);
      assert.ok(early, `the handshake timed out before a 250 ms timer (${elapsed} ms)`);
      // The upper bound only tells it from Node's 120 s default on a loaded machine.
      assert.ok(elapsed < 30000, `elapsed ${elapsed}`);
      assert.strictEqual(err.code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
      assert.strictEqual(err.message, 'TLS handshake timeout');
      assert.ok(err.hint);
      assert.ok(socket instanceof uvtls.TLSSocket);
      await h.waitUntil(() => server.connections === 0, 'server.connections to drop to 0').catch(() => {});
      assert.strictEqual(server.connections, 0);
    });

    it('noDelay, keepAlive, keepAliveInitialDelay and allowHalfOpen are accepted', async function () {
      const server = await startServer(uvtls, { noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000, allowHalfOpen: true },
        (s) => {
          let got = '';
          s.on('data', (d) => { got += d; });
          s.on('end', () => setTimeout(() => s.end(`after end: ${got}`), 20));
        });
      const client = await nodeClient(server.address().port);
      const chunks = [];
      client.on('data', (d) => chunks.push(d));
      client.end('half');
      await once(client, 'end');
      assert.strictEqual(Buffer.concat(chunks).toString(), 'after end: half');
    });

    it('pauseOnConnect: no data is delivered until the socket is resumed', async function () {
      for (const pauseOnConnect of [true, false]) {
        let serverSocket;
        const server = await startServer(uvtls, { pauseOnConnect }, (s) => { serverSocket = s; });
        const client = await nodeClient(server.address().port);
        client.write('early data');
        await h.waitUntil(() => serverSocket, 'secureConnection');
        if (pauseOnConnect) await tick(150); // (a window only for what must not happen: a read while paused)
        else await h.waitUntil(() => serverSocket.readableLength >= 10, 'the early data read').catch(() => {});
        const buffered = serverSocket.readableLength;
        if (pauseOnConnect) {
          // As Node's tls.Server: the socket is paused (what arrives waits in its buffer,
          // Node's own shows readableLength 10 here) and 'data' comes only after resume().
          assert.strictEqual(serverSocket.isPaused(), true, 'paused on connect');
          assert.ok(buffered === 0 || buffered === 10, `buffered ${buffered}`);
          const data = once(serverSocket, 'data');
          serverSocket.resume();
          assert.strictEqual(String((await data)[0]), 'early data');
        } else {
          assert.strictEqual(buffered, 10, 'without pauseOnConnect the data is read at once');
        }
        client.destroy();
      }
    });

    it('reusePort: two servers listen on one port and both serve', async function () {
      const names = [];
      const mk = (name, p) => listen(uvtls.createServer(serverOptions({ reusePort: true }), (s) => { track(s); s.end(name); }),
        { port: p, host: '127.0.0.1' });
      // The first on an ephemeral port, the second on the same one.
      const { port } = (await mk('a', 0)).address();
      await mk('b', port);
      for (let i = 0; i < 16; i++) {
        const client = await nodeClient(port);
        const [d] = await once(client, 'data');
        names.push(d.toString());
        client.destroy();
      }
      assert.ok(names.every((n) => n === 'a' || n === 'b'), names.join());
      const plain = uvtls.createServer(serverOptions());
      plain.listen(port, '127.0.0.1');
      const [err] = await once(plain, 'error');
      assert.strictEqual(err.code, 'EADDRINUSE');
    });
  });

  // --------------------------------------------------------------------------------------------
  describe('Client', function () {
    let server;
    let port;
    beforeEach(async function () {
      server = await startServer(tls, {}, (s) => {
        s.write(`sni=${s.servername}\n`);
        s.pipe(s);
      });
      port = server.address().port;
    });

    function firstLine(socket) {
      return new Promise((resolve) => {
        let got = '';
        socket.setEncoding('utf8');
        socket.on('data', function onData(d) {
          got += d;
          if (got.includes('\n')) { socket.removeListener('data', onData); resolve(got.split('\n')[0]); }
        });
      });
    }

    it('connect(options, cb): cb runs at secureConnect with the socket verified', async function () {
      const socket = await new Promise((resolve, reject) => {
        const s = track(uvtls.connect({ port, host: 'localhost', ca: c.caCert }, function () {
          assert.strictEqual(this, s);
          assert.strictEqual(s.authorized, true);
          assert.strictEqual(s.authorizationError, null);
          resolve(s);
        }));
        s.on('error', reject);
      });
      assert.strictEqual(await firstLine(socket), 'sni=localhost');
    });

    it('connect(port, host, options, cb) and connect(port, options, cb) (host defaults to localhost)', async function () {
      const a = await new Promise((resolve, reject) => {
        const s = track(uvtls.connect(port, 'localhost', { ca: c.caCert }, () => resolve(s)));
        s.on('error', reject);
      });
      assert.strictEqual(await firstLine(a), 'sni=localhost');
      const b = await new Promise((resolve, reject) => {
        const s = track(uvtls.connect(port, { ca: c.caCert }, () => resolve(s)));
        s.on('error', reject);
      });
      assert.strictEqual(await firstLine(b), 'sni=localhost');
      assert.strictEqual(b.remoteAddress === '127.0.0.1' || b.remoteAddress === '::1', true);
    });

    it('host names go through dns.lookup, or the lookup option; a failed lookup is an error with a hint', async function () {
      const calls = [];
      const lookup = (host, options, cb) => { calls.push([host, options.family]); cb(null, '127.0.0.1', 4); };
      const socket = await connected(uvtls.connect({ port, host: 'localhost', family: 4, ca: c.caCert, lookup }));
      assert.deepStrictEqual(calls, [['localhost', 4]]);
      assert.strictEqual(socket.remoteAddress, '127.0.0.1');
      assert.strictEqual(await firstLine(socket), 'sni=localhost');

      const failing = (host, options, cb) => cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
      const bad = track(uvtls.connect({ port, host: 'no.such.host.invalid', lookup: failing }));
      const seen = record(bad, ['secureConnect', 'error', 'close']);
      const [err] = await once(bad, 'error');
      assert.strictEqual(err.code, 'ENOTFOUND');
      assert.ok(err.hint);
      await closed(bad);
      assert.deepStrictEqual(seen, ['error:ENOTFOUND', 'close:true']);
    });

    it('IPv6: ::1 as host, and family 6 through the lookup', async function () {
      const six = await listen(uvtls.createServer(serverOptions(), (s) => { track(s); s.end(`${s.remoteFamily} ${s.remoteAddress}`); }), 0, '::1');
      assert.strictEqual(six.address().family, 'IPv6');
      const p6 = six.address().port;
      const a = await connected(uvtls.connect({ port: p6, host: '::1', ca: c.caCert }));
      assert.strictEqual(a.authorized, true, 'the certificate holds IP ::1');
      assert.strictEqual(a.remoteFamily, 'IPv6');
      assert.strictEqual(a.remoteAddress, '::1');
      const [d] = await once(a, 'data');
      assert.strictEqual(d.toString(), 'IPv6 ::1');
      const lookup = (host, options, cb) => cb(null, options.family === 6 ? '::1' : '127.0.0.1', options.family);
      const b = await connected(uvtls.connect({ port: p6, host: 'localhost', family: 6, lookup, ca: c.caCert }));
      assert.strictEqual(b.remoteAddress, '::1');
    });

    it('SNI: the host name is sent, an IP literal is not, servername overrides', async function () {
      const byName = await connected(uvtls.connect({ port, host: 'localhost', ca: c.caCert }));
      assert.strictEqual(await firstLine(byName), 'sni=localhost');
      const byIp = await connected(uvtls.connect({ port, host: '127.0.0.1', ca: c.caCert }));
      assert.strictEqual(await firstLine(byIp), 'sni=false');
      const byOption = await connected(uvtls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert }));
      assert.strictEqual(await firstLine(byOption), 'sni=localhost');
      // And the uvtls server reports what Node's server does.
      const ours = await startServer(uvtls, {}, (s) => s.end(`sni=${s.servername}`));
      for (const [options, expected] of [[{ servername: 'localhost' }, 'sni=localhost'], [{ servername: '' }, 'sni=false']]) {
        const client = await nodeClient(ours.address().port, options.servername ? options : { ...options, checkServerIdentity: () => undefined });
        const [d] = await once(client, 'data');
        assert.strictEqual(d.toString(), expected);
      }
    });

    it('rejectUnauthorized defaults to true: an untrusted chain is an error with a hint, never secureConnect', async function () {
      const socket = track(uvtls.connect({ port, host: 'localhost' }));
      const seen = record(socket, ['secureConnect', 'data', 'error', 'close']);
      const [err] = await once(socket, 'error');
      assert.strictEqual(err.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      assert.match(err.hint, /ca/);
      assert.doesNotMatch(err.hint, /rejectUnauthorized/);
      await closed(socket);
      assert.deepStrictEqual(seen, ['error:UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'close:true']);

      const lax = await connected(uvtls.connect({ port, host: 'localhost', rejectUnauthorized: false }));
      assert.strictEqual(lax.authorized, false);
      assert.strictEqual(lax.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    });

    it('host name mismatch: ERR_TLS_CERT_ALTNAME_INVALID as Node, plus a hint', async function () {
      const errors = [];
      for (const lib of [tls, uvtls]) {
        const socket = track(lib.connect({ port, host: '127.0.0.1', servername: 'wrong.example', ca: c.caCert }));
        const seen = record(socket, ['secureConnect', 'data', 'end', 'error', 'close']);
        const closing = closed(socket);
        const [err] = await once(socket, 'error');
        await closing;
        await tick(20);
        errors.push({ err, seen });
      }
      const [node, ours] = errors;
      assert.deepStrictEqual(ours.seen, node.seen);
      assert.strictEqual(ours.err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.strictEqual(ours.err.message, node.err.message);
      assert.strictEqual(ours.err.host, node.err.host);
      assert.match(ours.err.hint, /wrong\.example/);

      const lax = await connected(uvtls.connect({ port, host: '127.0.0.1', servername: 'wrong.example', ca: c.caCert, rejectUnauthorized: false }));
      assert.strictEqual(lax.authorized, false);
      assert.strictEqual(lax.authorizationError, 'ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('checkServerIdentity(host, cert): its error rejects, its undefined accepts', async function () {
      const calls = [];
      const veto = (host, cert) => { calls.push([host, cert.subject.CN]); return Object.assign(new Error('pinned key mismatch'), { code: 'EPINNED' }); };
      const rejected = track(uvtls.connect({ port, host: 'localhost', ca: c.caCert, checkServerIdentity: veto }));
      const seen = record(rejected, ['secureConnect', 'error', 'close']);
      const [err] = await once(rejected, 'error');
      assert.strictEqual(err.message, 'pinned key mismatch');
      assert.deepStrictEqual(calls, [['localhost', 'localhost']]);
      await closed(rejected);
      assert.deepStrictEqual(seen, ['error:EPINNED', 'close:true']);

      const accepted = await connected(uvtls.connect({ port, host: '127.0.0.1', servername: 'other.example', ca: c.caCert, checkServerIdentity: () => undefined }));
      assert.strictEqual(accepted.authorized, true);
    });

    it('the timeout option emits timeout when idle, and leaves the socket open', async function () {
      const socket = await connected(uvtls.connect({ port, host: 'localhost', ca: c.caCert, timeout: 200 }));
      await firstLine(socket);
      let reference = false;
      const ref = setTimeout(() => { reference = true; }, 100); // same loop clock as the socket's timer
      await once(socket, 'timeout');
      clearTimeout(ref);
      assert.ok(reference, "'timeout' (200 ms idle) before a 100 ms timer armed after the last activity");
      assert.strictEqual(socket.destroyed, false);
      assert.strictEqual(await echoOnce(socket, 'after'), 'after');
    });

    it('secureContext option', async function () {
      const secureContext = uvtls.createSecureContext({ ca: c.caCert });
      const socket = await connected(uvtls.connect({ port, host: 'localhost', secureContext }));
      assert.strictEqual(socket.authorized, true);
      assert.throws(() => uvtls.connect({ port, secureContext: tls.createSecureContext({}) }), { code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('path: null or empty (as https agents pass it) means TCP, as net.connect', async function () {
      for (const pathValue of [null, '']) {
        const socket = await connected(uvtls.connect({ port, host: 'localhost', path: pathValue, ca: c.caCert }));
        assert.strictEqual(socket.remotePort, port);
        socket.destroy();
      }
    });

    it('STARTTLS: connect({socket}) over a net.Socket that already exchanged plain text', async function () {
      const plain = await listen(net.createServer((raw) => {
        track(raw);
        raw.once('data', (d) => {
          assert.strictEqual(d.toString(), 'STARTTLS\r\n');
          raw.write('220 go ahead\r\n');
          const secure = track(new tls.TLSSocket(raw, { isServer: true, ...serverOptions() }));
          secure.on('error', () => {});
          secure.pipe(secure);
        });
      }), 0, '127.0.0.1');
      const raw = track(net.connect(plain.address().port, '127.0.0.1'));
      raw.setEncoding('utf8');
      raw.write('STARTTLS\r\n');
      const [greeting] = await once(raw, 'data');
      assert.strictEqual(greeting, '220 go ahead\r\n');
      raw.removeAllListeners('data');
      const secure = await connected(uvtls.connect({ socket: raw, servername: 'localhost', ca: c.caCert }));
      assert.strictEqual(secure.authorized, true);
      assert.strictEqual(await echoOnce(secure, 'over tls'), 'over tls');
      assert.strictEqual(secure.remotePort, plain.address().port);
    });

    it('STARTTLS: writes and end() made before the handshake ends go out after it, in order (pg writes at once)', async function () {
      const received = [];
      const server = await listen(net.createServer((raw) => {
        track(raw);
        const secure = track(new tls.TLSSocket(raw, { isServer: true, ...serverOptions() }));
        secure.on('error', () => {});
        secure.on('data', (d) => received.push(d.toString()));
        secure.on('end', () => secure.end('bye'));
      }), 0, '127.0.0.1');
      const raw = track(net.connect(server.address().port, '127.0.0.1'));
      await once(raw, 'connect');
      raw.pause(); // left paused by a plain-text phase: the handshake must still read
      const secure = track(uvtls.connect({ socket: raw, servername: 'localhost', ca: c.caCert }));
      const order = [];
      secure.write('one,', () => order.push('cb1'));
      secure.write('two', () => order.push('cb2'));
      secure.on('secureConnect', () => order.push('secure'));
      secure.end();
      const got = h.collect(secure);
      await once(secure, 'end');
      const reply = got().toString();
      assert.strictEqual(reply, 'bye');
      assert.deepStrictEqual(order, ['secure', 'cb1', 'cb2']);
      assert.strictEqual(received.join(''), 'one,two');
    });

    it('connect() that throws on a bad option opens no connection and leaves a given {socket} alone', async function () {
      let accepted = 0;
      const plain = await listen(net.createServer((s) => { accepted++; track(s); }), 0, '127.0.0.1');
      const target = { port: plain.address().port, host: '127.0.0.1' };
      const bad = [[{ handshakeTimeout: -1 }, 'ERR_OUT_OF_RANGE'], [{ handshakeTimeout: 'soon' }, 'ERR_INVALID_ARG_TYPE'],
        [{ ALPNProtocols: 5 }, 'ERR_INVALID_ARG_TYPE'], [{ pskCallback: 'x' }, 'ERR_INVALID_ARG_TYPE']];
      for (const [options, code] of bad) {
        assert.throws(() => uvtls.connect({ ...target, ...options }), { code });
      }
      const raw = track(net.connect(target.port, target.host));
      await once(raw, 'connect');
      for (const [options, code] of bad) {
        assert.throws(() => uvtls.connect({ socket: raw, ...options }), { code });
      }
      await tick(300);
      assert.strictEqual(accepted, 1); // only `raw`
      assert.strictEqual(raw.destroyed, false);
      assert.strictEqual(raw.listenerCount('data'), 0);
    });

    it('connect({socket}): getters between destroy() and \'close\' answer as over a native socket, without a TypeError', async function () {
      const server = await startServer(uvtls);
      const raw = track(net.connect(server.address().port, '127.0.0.1'));
      await once(raw, 'connect');
      const secure = await connected(uvtls.connect({ socket: raw, servername: 'localhost', ca: c.caCert }));
      secure.destroy();
      assert.strictEqual(secure.getPeerCertificate().subject.CN, 'localhost');
      assert.strictEqual(secure.getProtocol(), 'TLSv1.3');
      assert.strictEqual(secure.servername, 'localhost');
      assert.strictEqual(secure.getPeerIdentity({ from: 'common_name' }), 'localhost');
      assert.strictEqual(secure.getConnectionInfo().protocol, 'TLSv1.3');
      assert.throws(() => secure._handle.write(Buffer.from('late')), { code: 'ERR_SOCKET_CLOSED' });
      await closed(secure);
      assert.strictEqual(secure.getPeerCertificate(), null);
      assert.strictEqual(secure.getConnectionInfo().protocol, 'TLSv1.3'); // fixed at the handshake
    });

    it('STARTTLS server side: new TLSSocket(socket, {isServer}) after plain text, ClientHello in the same chunk', async function () {
      const results = [];
      const plain = await listen(net.createServer((raw) => {
        track(raw);
        raw.once('data', (d) => {
          // The ClientHello may be glued to the command: give it back to the stream.
          const cut = d.indexOf('\r\n') + 2;
          results.push(d.subarray(0, cut).toString());
          raw.pause();
          if (cut < d.length) raw.unshift(d.subarray(cut));
          const secure = track(new uvtls.TLSSocket(raw, { isServer: true, secureContext: uvtls.createSecureContext(serverOptions()) }));
          secure.on('error', (e) => results.push(e.code));
          secure.on('secure', () => results.push('secure'));
          secure.pipe(secure);
        });
      }), 0, '127.0.0.1');
      const raw = track(net.connect(plain.address().port, '127.0.0.1'));
      await once(raw, 'connect');
      raw.write('STARTTLS\r\n');
      // No wait for a reply: the ClientHello follows right away.
      const client = await connected(tls.connect({ socket: raw, servername: 'localhost', ca: c.caCert }));
      assert.strictEqual(await echoOnce(client, 'upgraded'), 'upgraded');
      assert.deepStrictEqual(results, ['STARTTLS\r\n', 'secure']);
    });

    it('new TLSSocket(socket, options) as a client over a connected net.Socket', async function () {
      const raw = track(net.connect(port, '127.0.0.1'));
      await once(raw, 'connect');
      const secure = track(new uvtls.TLSSocket(raw, { secureContext: uvtls.createSecureContext({ ca: c.caCert }), servername: 'localhost' }));
      secure._start(); // as Node's: a client-side TLSSocket made directly waits to be started
      await once(secure, 'secure');
      assert.strictEqual(secure.authorized, true);
      assert.strictEqual(await firstLine(secure), 'sni=localhost');
    });
  });

  // --------------------------------------------------------------------------------------------
  describe('TLSSocket', function () {
    it('state and addresses before and after the handshake, getters as Node\'s', async function () {
      const server = await startServer(tls);
      const { port } = server.address();
      const socket = track(uvtls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert }));
      assert.strictEqual(socket.connecting, true);
      assert.strictEqual(socket.pending, true);
      assert.strictEqual(socket.readyState, 'opening');
      assert.strictEqual(socket.encrypted, true);
      await connected(socket);
      const node = await nodeClient(port);
      assert.strictEqual(socket.connecting, false);
      assert.strictEqual(socket.pending, false);
      assert.strictEqual(socket.readyState, 'open');
      assert.strictEqual(socket.authorized, true);
      assert.strictEqual(socket.authorizationError, null);
      assert.strictEqual(socket.remoteAddress, '127.0.0.1');
      assert.strictEqual(socket.remotePort, port);
      assert.strictEqual(socket.remoteFamily, 'IPv4');
      assert.strictEqual(socket.localAddress, '127.0.0.1');
      assert.ok(socket.localPort > 0);
      assert.deepStrictEqual(socket.address(), { address: '127.0.0.1', family: 'IPv4', port: socket.localPort });
      assert.strictEqual(socket.getProtocol(), node.getProtocol());
      assert.deepStrictEqual(socket.getCipher(), node.getCipher());
      assert.deepStrictEqual(socket.getPeerCertificate().subject, node.getPeerCertificate().subject);
      assert.strictEqual(socket.getPeerCertificate().fingerprint256, node.getPeerCertificate().fingerprint256);
      const r0 = socket.bytesRead;
      const w0 = socket.bytesWritten;
      assert.ok(r0 > 0 && w0 > 0, 'the handshake counts');
      const text = 'y'.repeat(5000);
      assert.strictEqual(await echoOnce(socket, text), text);
      assert.ok(socket.bytesWritten >= w0 + 5000, `${socket.bytesWritten}`);
      assert.ok(socket.bytesRead >= r0 + 5000, `${socket.bytesRead}`);
      socket.end();
      assert.strictEqual(socket.readyState, 'readOnly');
      await closed(socket);
      assert.strictEqual(socket.readyState, 'closed');
      assert.ok(socket.bytesRead >= r0 + 5000, 'counters survive the close');
    });

    it('write callbacks, finish, end, close(false) in Node\'s order for a clean exchange', async function () {
      const sequences = [];
      for (const lib of [tls, uvtls]) {
        const server = await startServer(tls, {}, (s) => { s.resume(); s.on('end', () => s.end()); });
        const socket = await connected(lib.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert }));
        const seen = record(socket, ['end', 'finish', 'close', 'error']);
        socket.resume();
        let written = 0;
        socket.write('a', () => written++);
        socket.write(Buffer.alloc(100000), () => written++);
        socket.end('z', () => written++);
        await closed(socket);
        assert.strictEqual(written, 3);
        sequences.push(seen);
      }
      assert.deepStrictEqual(sequences[1], sequences[0]);
    });

    it('end() sends close_notify (seen on the wire); the peer sees end', async function () {
      // TLS 1.2, so record types are visible: the last record from the client is an alert.
      const server = await startServer(tls, { maxVersion: 'TLSv1.2' }, (s) => {
        s.resume();
        s.on('end', () => s.end());
      });
      const records = [];
      let buffered = Buffer.alloc(0);
      const proxy = await listen(net.createServer((inbound) => {
        track(inbound);
        const outbound = track(net.connect(server.address().port, '127.0.0.1'));
        inbound.on('data', (d) => {
          buffered = Buffer.concat([buffered, d]);
          while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt16BE(3)) {
            records.push(buffered[0]);
            buffered = buffered.subarray(5 + buffered.readUInt16BE(3));
          }
          outbound.write(d);
        });
        inbound.on('end', () => outbound.end());
        outbound.pipe(inbound);
        inbound.on('error', () => {});
        outbound.on('error', () => {});
      }), 0, '127.0.0.1');
      const socket = await uvClient(proxy.address().port, { servername: 'localhost' });
      assert.strictEqual(socket.getProtocol(), 'TLSv1.2');
      socket.write('data');
      socket.end();
      socket.resume();
      await closed(socket);
      assert.strictEqual(records[records.length - 1], 21, `record types: ${records}`);
      assert.strictEqual(records[records.length - 2], 23);
    });

    it('a FIN without close_notify ends the stream as Node does (no error)', async function () {
      const sequences = [];
      for (const lib of [tls, uvtls]) {
        // Past the handshake and 'hello' (every byte the server wrote once its write of 'hello'
        // has called back), the proxy cuts the TCP connection with a FIN only.
        let serverBytes = null;
        let maybeCut = () => {};
        let raw = null;
        const server = await startServer(tls, {}, (s) => s.write('hello', () => {
          serverBytes = raw.bytesWritten;
          maybeCut();
        }));
        server.on('connection', (r) => { raw = r; });
        const proxy = await listen(net.createServer((inbound) => {
          track(inbound);
          const outbound = track(net.connect(server.address().port, '127.0.0.1'));
          inbound.pipe(outbound);
          let fromServer = 0;
          let cut = false;
          maybeCut = () => {
            if (cut || serverBytes === null || fromServer < serverBytes) return;
            cut = true;
            inbound.end();
            outbound.destroy();
          };
          outbound.on('data', (d) => {
            inbound.write(d);
            fromServer += d.length;
            maybeCut();
          });
          inbound.on('error', () => {});
          outbound.on('error', () => {});
        }), 0, '127.0.0.1');
        const socket = track(lib.connect({ port: proxy.address().port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert }));
        const seen = record(socket, ['secureConnect', 'data', 'end', 'close', 'error']);
        await closed(socket);
        sequences.push(seen);
      }
      assert.deepStrictEqual(sequences[1], sequences[0]);
      assert.deepStrictEqual(sequences[1], ['secureConnect', 'data', 'end', 'close:false']);
    });

    it('cork/uncork batch writes into one record; setEncoding gives strings', async function () {
      const chunks = [];
      const server = await startServer(tls, {}, (s) => s.on('data', (d) => { chunks.push(d.toString()); if (chunks.join('') === 'abc') s.end('ünïcödé'); }));
      const socket = await uvClient(server.address().port, { servername: 'localhost' });
      socket.setEncoding('utf8');
      socket.cork();
      socket.write('a');
      socket.write('b');
      socket.write('c');
      await tick(50);
      assert.deepStrictEqual(chunks, [], 'nothing leaves while corked');
      socket.uncork();
      let text = '';
      socket.on('data', (d) => { assert.strictEqual(typeof d, 'string'); text += d; });
      await once(socket, 'end');
      assert.deepStrictEqual(chunks, ['abc']);
      assert.strictEqual(text, 'ünïcödé');
    });

    it('pause() holds data back, resume() delivers it', async function () {
      let serverSide;
      const server = await startServer(tls, {}, (s) => { serverSide = s; });
      const socket = await uvClient(server.address().port, { servername: 'localhost' });
      const got = [];
      socket.on('data', (d) => got.push(d.toString()));
      socket.pause();
      await h.waitUntil(() => serverSide, 'secureConnection');
      serverSide.write('held');
      await tick(100); // (a window only for what must not happen: data while paused)
      assert.deepStrictEqual(got, []);
      socket.resume();
      await h.waitUntil(() => got.length > 0, "'data' after resume()");
      await new Promise((r) => setImmediate(r));
      assert.deepStrictEqual(got, ['held']);
    });

    it('setNoDelay/setKeepAlive/setTimeout/ref/unref chain; setTimeout emits timeout, 0 turns it off', async function () {
      const server = await startServer(tls);
      const socket = await uvClient(server.address().port, { servername: 'localhost' });
      assert.strictEqual(socket.setNoDelay(true).setKeepAlive(true, 1000).unref().ref(), socket);
      let fired = 0;
      // Not at once: an 80 ms timer armed just before (same loop clock) fires first.
      let reference = false;
      setTimeout(() => { reference = true; }, 80);
      socket.setTimeout(100, () => fired++);
      await once(socket, 'timeout');
      assert.ok(reference, "'timeout' before an 80 ms timer");
      assert.strictEqual(fired, 1);
      socket.setTimeout(100);
      socket.setTimeout(0);
      let late = 0;
      socket.on('timeout', () => late++);
      await tick(250);
      assert.strictEqual(late, 0);
    });

    it('unref() on sockets and server lets the process exit while connected', function () {
      const run = spawnSync(process.execPath, ['-e', `
        const uvtls = require(${JSON.stringify(root)});
        const s = uvtls.createServer({ key: process.env.KEY, cert: process.env.CERT }, (sock) => sock.unref());
        s.listen(0, '127.0.0.1', () => {
          s.unref();
          const c = uvtls.connect(s.address().port, '127.0.0.1', { rejectUnauthorized: false }, () => {
            c.unref();
            console.log('secure');
          });
        });`], { env: childEnv({ KEY: c.serverKey.toString(), CERT: c.serverChain.toString() }), encoding: 'utf8', timeout: CHILD_MS });
      assert.strictEqual(run.status, 0, run.stderr);
      assert.strictEqual(run.stdout.trim(), 'secure');
    });

    it('unref() also releases a pending handshakeTimeout timer', function () {
      const run = spawnSync(process.execPath, ['-e', `
        const net = require('net');
        const uvtls = require(${JSON.stringify(root)});
        const silent = net.createServer((s) => s.unref()); // accepts, never answers the ClientHello
        silent.listen(0, '127.0.0.1', () => {
          silent.unref();
          const c = uvtls.connect({ port: silent.address().port, host: '127.0.0.1', handshakeTimeout: 60000 });
          c.on('error', () => {});
          c.unref();
          console.log('waiting');
        });`], { env: childEnv({}), encoding: 'utf8', timeout: CHILD_MS });
      assert.strictEqual(run.status, 0, run.stderr || 'still running after 8 s');
      assert.strictEqual(run.stdout.trim(), 'waiting');
    });

    it('destroy() and destroy(err): close(hadError) and error in Node\'s order', async function () {
      const server = await startServer(tls);
      const sequences = [];
      for (const lib of [tls, uvtls]) {
        for (const withError of [false, true]) {
          const socket = await connected(lib.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert }));
          const seen = record(socket, ['end', 'finish', 'error', 'close']);
          socket.destroy(withError ? Object.assign(new Error('boom'), { code: 'EBOOM' }) : undefined);
          assert.strictEqual(socket.destroyed, true);
          await closed(socket);
          sequences.push(seen);
        }
      }
      assert.deepStrictEqual(sequences.slice(2), sequences.slice(0, 2));
      assert.deepStrictEqual(sequences[3], ['error:EBOOM', 'close:true']);
    });

    describe('errors in Node\'s order, with hints', function () {
      async function compare(makePeer, connectOptions = {}) {
        const out = [];
        for (const lib of [tls, uvtls]) {
          const peer = await makePeer();
          const socket = track(lib.connect({ port: peer.address().port, host: '127.0.0.1', rejectUnauthorized: false, ...connectOptions }));
          const seen = record(socket, ['secureConnect', 'end', 'error', 'close']);
          let error;
          socket.on('error', (e) => { error = e; });
          await closed(socket);
          await tick(10);
          out.push({ seen, error });
        }
        assert.deepStrictEqual(out[1].seen, out[0].seen);
        if (out[0].error) {
          assert.strictEqual(out[1].error.code, out[0].error.code);
          for (const k of ['syscall', 'errno']) assert.strictEqual(out[1].error[k], out[0].error[k], k);
        }
        return out;
      }

      it('peer reset during the handshake: ECONNRESET', async function () {
        const [node, ours] = await compare(() => listen(net.createServer((s) => {
          s.once('data', () => s.resetAndDestroy());
        }), 0, '127.0.0.1'));
        assert.strictEqual(ours.error.code, 'ECONNRESET');
        assert.strictEqual(ours.error.message, node.error.message);
        assert.ok(ours.error.hint);
      });

      it('peer FIN during the handshake: end, then ECONNRESET with Node\'s message', async function () {
        const [node, ours] = await compare(() => listen(net.createServer((s) => s.once('data', () => s.end())), 0, '127.0.0.1'));
        assert.deepStrictEqual(ours.seen, ['end', 'error:ECONNRESET', 'close:true']);
        assert.strictEqual(ours.error.message, node.error.message);
        assert.ok(ours.error.hint);
      });

      it('closed port: ECONNREFUSED with Node\'s message and a hint', async function () {
        const port = await freePort();
        const out = [];
        for (const lib of [tls, uvtls]) {
          const socket = track(lib.connect({ port, host: '127.0.0.1' }));
          const seen = record(socket, ['secureConnect', 'error', 'close']);
          const [err] = await once(socket, 'error');
          await closed(socket);
          out.push({ seen, err });
        }
        const [node, ours] = out;
        assert.deepStrictEqual(ours.seen, node.seen);
        for (const k of ['code', 'errno', 'syscall', 'address', 'port', 'message']) assert.strictEqual(ours.err[k], node.err[k], k);
        assert.match(ours.err.hint, new RegExp(`127\\.0\\.0\\.1:${port}`));
      });

      it('TLS spoken to a plain TCP server: ERR_SSL_WRONG_VERSION_NUMBER with a hint', async function () {
        const [, ours] = await compare(() => listen(net.createServer((s) => {
          s.on('error', () => {});
          s.once('data', () => s.end('220 smtp.example.test ESMTP ready\r\n'));
        }), 0, '127.0.0.1'));
        assert.strictEqual(ours.error.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
        assert.match(ours.error.hint, /port/);
      });

      it('peer reset after the handshake: read ECONNRESET, close(true)', async function () {
        const [node, ours] = await compare(() => startServer(tls, {}, (s) => {
          s.write('x');
          setTimeout(() => s._parent ? s._parent.resetAndDestroy() : s.resetAndDestroy(), 50);
        }), { servername: 'localhost' });
        assert.deepStrictEqual(ours.seen, ['secureConnect', 'error:ECONNRESET', 'close:true']);
        assert.strictEqual(ours.error.message, node.error.message);
        assert.ok(ours.error.hint);
        assert.doesNotMatch(ours.error.hint, /handshake/);
      });
    });
  });
});
