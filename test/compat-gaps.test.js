'use strict';
// Compatibility gaps of issue 13 closed one by one: each test runs the same thing on Node's own
// tls and on uvtls where both can, and compares with what the running Node does.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { spawn, spawnSync } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { shouldRejectUnauthorized } = require('../lib/validators');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const LIBS = { node: tls, uvtls };

describe('compat gaps (issue 13)', function () {
  let c;
  before(function () { c = certs(); });

  const tracker = h.openTracker(2000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  async function listen(lib, options, onSecure) {
    const server = track(lib.createServer(options));
    // The peer may reset while closing: a server socket's late error is no failure here.
    server.on('secureConnection', (s) => s.on('error', () => {}));
    server.on('secureConnection', onSecure || ((s) => s.end()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server;
  }

  // Resolves with the client once it is secure, or with the error it ended with.
  function outcome(lib, options) {
    const client = track(lib.connect({ host: '127.0.0.1', ...options }));
    return h.within(new Promise((resolve) => {
      client.once('secureConnect', () => resolve({ client }));
      client.on('error', (err) => resolve({ client, err })); // later errors: already settled
    }), h.STEP_MS, 'client outcome');
  }

  describe('rejectUnauthorized: one rule', function () {
    it('only a literal false turns verification off', function () {
      assert.strictEqual(shouldRejectUnauthorized({ rejectUnauthorized: false }), false);
      for (const v of [undefined, null, 0, '', 'false', true, 1]) {
        assert.strictEqual(shouldRejectUnauthorized({ rejectUnauthorized: v }), true, String(v));
      }
      assert.strictEqual(shouldRejectUnauthorized(undefined), true);
      assert.strictEqual(shouldRejectUnauthorized(null), true);
    });

    it('Server and new TLSSocket follow it', async function () {
      const server = track(uvtls.createServer({ key: c.serverKey, cert: c.serverChain, rejectUnauthorized: 0 }));
      assert.strictEqual(server.rejectUnauthorized, true);
      const off = track(uvtls.createServer({ key: c.serverKey, cert: c.serverChain, rejectUnauthorized: false }));
      assert.strictEqual(off.rejectUnauthorized, false);
    });
  });

  describe('trust', function () {
    it('secureContext.context.addCACert adds to that context only, keeping the roots', async function () {
      for (const lib of Object.values(LIBS)) {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain });
        const port = server.address().port;
        const without = lib.createSecureContext({});
        const withCa = lib.createSecureContext({});
        withCa.context.addCACert(c.caCert);
        const bad = await outcome(lib, { port, servername: 'localhost', secureContext: without });
        assert.strictEqual(bad.err && bad.err.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
        const good = await outcome(lib, { port, servername: 'localhost', secureContext: withCa });
        assert.ifError(good.err);
        assert.strictEqual(good.client.authorized, true);
      }
      // The default roots stay trusted in the context that got the extra CA.
      const ctx = uvtls.createSecureContext({});
      ctx.context.addCACert(c.caCert);
      assert.throws(() => ctx.context.addCACert(42), { code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('intermediates given in `ca` are sent in the server\'s chain', async function () {
      for (const lib of Object.values(LIBS)) {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverCert, ca: c.intermediateCert });
        const r = await outcome(lib, { port: server.address().port, servername: 'localhost', ca: c.caCert });
        assert.ifError(r.err);
        assert.strictEqual(r.client.authorized, true);
      }
    });

    it('allowPartialTrustChain: a trusted intermediate ends the chain', async function () {
      for (const lib of Object.values(LIBS)) {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain });
        const port = server.address().port;
        const strict = await outcome(lib, { port, servername: 'localhost', ca: c.intermediateCert });
        assert.strictEqual(strict.err && strict.err.code, 'UNABLE_TO_GET_ISSUER_CERT');
        const partial = await outcome(lib, { port, servername: 'localhost', ca: c.intermediateCert, allowPartialTrustChain: true });
        assert.ifError(partial.err);
      }
    });

    it('ca: TRUSTED CERTIFICATE PEM is read; other PEM blocks are skipped', async function () {
      const trusted = c.caCert.toString().replace(/CERTIFICATE/g, 'TRUSTED CERTIFICATE');
      const withKey = `${c.serverKey}\n${c.caCert}`;
      for (const ca of [trusted, withKey]) {
        const server = await listen(uvtls, { key: c.serverKey, cert: c.serverChain });
        const r = await outcome(uvtls, { port: server.address().port, servername: 'localhost', ca });
        assert.ifError(r.err);
      }
      // A key alone given as `ca` trusts nothing (as Node), and DER is still refused with a hint.
      assert.doesNotThrow(() => uvtls.createSecureContext({ ca: c.serverKey }));
      const der = Buffer.from(c.caCert.toString().replace(/-----[^-]+-----|\s/g, ''), 'base64');
      assert.throws(() => uvtls.createSecureContext({ ca: der }), (e) => /DER/.test(e.hint));
    });

    it('getPeerX509Certificate(): issuerCertificate links what the peer sent', async function () {
      const serials = {};
      for (const [name, lib] of Object.entries(LIBS)) {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain });
        const r = await outcome(lib, { port: server.address().port, servername: 'localhost', ca: c.caCert });
        assert.ifError(r.err);
        const leaf = r.client.getPeerX509Certificate();
        assert.ok(leaf.issuerCertificate, name);
        assert.strictEqual(leaf.issuerCertificate.issuerCertificate, undefined, name);
        serials[name] = [leaf.serialNumber, leaf.issuerCertificate.serialNumber];
      }
      assert.deepStrictEqual(serials.uvtls, serials.node);
    });
  });

  describe('ciphers', function () {
    it('"!TLS_" names are TLS 1.3 suites; no suite at all is ERR_INVALID_ARG_VALUE', async function () {
      for (const lib of Object.values(LIBS)) {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain });
        const r = await outcome(lib, { port: server.address().port, servername: 'localhost', ca: c.caCert,
          ciphers: 'TLS_AES_256_GCM_SHA384:!TLS_CHACHA20_POLY1305_SHA256' });
        assert.ifError(r.err);
        assert.strictEqual(r.client.getCipher().name, 'TLS_AES_256_GCM_SHA384');
        assert.throws(() => lib.createSecureContext({ ciphers: ':' }), { code: 'ERR_INVALID_ARG_VALUE' });
      }
    });

    it('a TLS 1.2 list alone leaves TLS 1.3 on', async function () {
      const got = {};
      for (const [name, lib] of Object.entries(LIBS)) {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
        const r = await outcome(lib, { port: server.address().port, servername: 'localhost', ca: c.caCert });
        assert.ifError(r.err);
        got[name] = r.client.getProtocol();
      }
      assert.deepStrictEqual(got, { node: 'TLSv1.3', uvtls: 'TLSv1.3' });
    });
  });

  describe('SNI', function () {
    async function sniError(lib, answer) {
      const server = await listen(lib, { SNICallback: (name, cb) => cb(null, answer()) });
      const clientErr = outcome(lib, { port: server.address().port, servername: 'x.example', rejectUnauthorized: false });
      const [err] = await h.within(once(server, 'tlsClientError'), h.STEP_MS, 'tlsClientError');
      await clientErr;
      return err;
    }

    it('an answer that is not a SecureContext: "Invalid SNI context"', async function () {
      const node = await sniError(tls, () => ({}));
      const ours = await sniError(uvtls, () => ({}));
      assert.strictEqual(ours.message, node.message);
      assert.strictEqual(ours.code, 'ERR_TLS_INVALID_CONTEXT');
    });

    it('a context without a certificate: the running Node\'s error', async function () {
      const node = await sniError(tls, () => tls.createSecureContext());
      const ours = await sniError(uvtls, () => uvtls.createSecureContext());
      assert.strictEqual(ours.code, node.code);
      assert.strictEqual(ours.reason, node.reason);
    });

    it('setServername(): Node\'s argument checks', function () {
      const client = new uvtls.TLSSocket(null, {});
      for (const v of [undefined, null, 1, true, {}]) {
        assert.throws(() => client.setServername(v), { code: 'ERR_INVALID_ARG_TYPE' });
      }
      const server = new uvtls.TLSSocket(null, { isServer: true, key: c.serverKey, cert: c.serverChain });
      assert.throws(() => server.setServername('localhost'), { code: 'ERR_TLS_SNI_FROM_SERVER' });
      client.destroy();
      server.destroy();
    });
  });

  describe('Server', function () {
    it('allowHalfOpen, pauseOnConnect and the constructor\'s options check', async function () {
      for (const lib of Object.values(LIBS)) {
        const a = track(lib.createServer({ key: c.serverKey, cert: c.serverChain }));
        assert.strictEqual(a.allowHalfOpen, false);
        assert.strictEqual(a.pauseOnConnect, false);
        const b = track(lib.createServer({ key: c.serverKey, cert: c.serverChain, allowHalfOpen: true, pauseOnConnect: true }));
        assert.strictEqual(b.allowHalfOpen, true);
        assert.strictEqual(b.pauseOnConnect, true);
        assert.throws(() => lib.createServer('not options'), { code: 'ERR_INVALID_ARG_TYPE' });
      }
      const server = await listen(uvtls, { key: c.serverKey, cert: c.serverChain, allowHalfOpen: true, pauseOnConnect: true },
        (s) => { s.on('end', () => s.end()); server.emit('seen', s); });
      const seen = once(server, 'seen');
      const r = await outcome(uvtls, { port: server.address().port, servername: 'localhost', ca: c.caCert });
      assert.ifError(r.err);
      const [s] = await seen;
      assert.strictEqual(s.allowHalfOpen, true);
      assert.strictEqual(s.isPaused(), true);
      r.client.end();
      await h.within(once(r.client, 'close'), h.STEP_MS, 'close after the paused server ended');
    });

    it('setOptions() warns DEP0122 and copies the options, as Node\'s', async function () {
      const warned = new Promise((resolve) => process.once('warning', resolve));
      const server = track(uvtls.createServer());
      assert.strictEqual(server.clientCertEngine, undefined);
      server.setOptions({ clientCertEngine: 'Cannonmouth', requestCert: true });
      assert.strictEqual(server.clientCertEngine, 'Cannonmouth');
      assert.strictEqual(server.requestCert, true);
      const w = await h.within(warned, h.STEP_MS, 'warning');
      assert.strictEqual(w.code, 'DEP0122');
    });

    it('captureRejections: a rejected async secureConnection listener destroys that socket', async function () {
      const err = new Error('kaboom');
      // As Node's own test: the process-wide default, read when the server is made.
      const events = require('events');
      const saved = events.captureRejections;
      events.captureRejections = true;
      let server;
      try {
        server = track(new uvtls.Server({ key: c.serverKey, cert: c.serverChain }));
      } finally {
        events.captureRejections = saved;
      }
      const got = new Promise((resolve) => {
        server.on('secureConnection', async (s) => { s.on('error', resolve); throw err; });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const client = track(uvtls.connect({ port: server.address().port, rejectUnauthorized: false }));
      client.on('error', () => {});
      assert.strictEqual(await h.within(got, h.STEP_MS, 'socket error'), err);
    });

    it('ALPNCallback runs with the socket as this; setKeyCert() serves another certificate', async function () {
      let self;
      const server = await listen(uvtls, {
        key: c.serverKey, cert: c.serverChain,
        ALPNCallback({ protocols }) {
          self = this;
          this.setKeyCert({ key: c.sanKey, cert: c.sanCert });
          return protocols[0];
        },
      });
      const r = await outcome(uvtls, { port: server.address().port, rejectUnauthorized: false, ALPNProtocols: ['acme-tls/1'] });
      assert.ifError(r.err);
      assert.ok(self instanceof uvtls.TLSSocket);
      assert.ok(r.client.getPeerX509Certificate().raw.equals(new (require('crypto').X509Certificate)(c.sanCert).raw));
    });
  });

  describe('TLSSocket', function () {
    it('connect() on a socket made without one', async function () {
      const server = await listen(uvtls, { key: c.serverKey, cert: c.serverChain }, (s) => s.pipe(s));
      const client = track(new uvtls.TLSSocket(null, { ca: c.caCert }));
      const connected = once(client, 'connect');
      client.connect(server.address().port, '127.0.0.1');
      await h.within(connected, h.STEP_MS, 'connect');
      await h.within(once(client, 'secure'), h.STEP_MS, 'secure');
      assert.strictEqual(client.authorized, true);
      client.end('ping');
      const [data] = await h.within(once(client, 'data'), h.STEP_MS, 'echo');
      assert.strictEqual(String(data), 'ping');
      assert.throws(() => client.connect(1), { code: 'ERR_SOCKET_CONNECTED' });
    });

    it('onread: data goes to the callback in the caller\'s buffer, pause() holds the rest', async function () {
      const big = Buffer.alloc(64 * 1024, 'hello world ');
      const server = await listen(uvtls, { key: c.serverKey, cert: c.serverChain }, (s) => s.end(big));
      const sockBuf = Buffer.alloc(64);
      const parts = [];
      let paused = false;
      const client = track(uvtls.connect({
        port: server.address().port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost',
        onread: {
          buffer: sockBuf,
          callback(n, buf) {
            assert.strictEqual(buf, sockBuf);
            parts.push(Buffer.from(buf.subarray(0, n)));
            if (!paused) {
              paused = true;
              setImmediate(() => client.resume());
              return false;
            }
            return true;
          },
        },
      }));
      client.on('data', () => assert.fail('data with onread'));
      await h.within(once(client, 'end'), h.STEP_MS, 'end');
      assert.ok(Buffer.concat(parts).equals(big));
      assert.throws(() => uvtls.connect({ port: 1, onread: { buffer: 1, callback() {} } }), { code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('renegotiate() on TLS 1.3: the running Node\'s error', async function () {
      const got = {};
      for (const [name, lib] of Object.entries(LIBS)) {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain });
        const r = await outcome(lib, { port: server.address().port, servername: 'localhost', ca: c.caCert });
        assert.ifError(r.err);
        const err = await new Promise((resolve) => assert.strictEqual(r.client.renegotiate({}, resolve), false));
        got[name] = { code: err.code, message: err.message, reason: err.reason };
      }
      assert.deepStrictEqual(got.uvtls, got.node);
    });
  });

  describe('PFX errors', function () {
    let dir;
    before(function () { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-pfx-')); });
    after(function () { fs.rmSync(dir, { recursive: true, force: true }); });

    function makePfx(name, args) {
      fs.writeFileSync(path.join(dir, 'c.pem'), c.serverCert);
      fs.writeFileSync(path.join(dir, 'k.pem'), c.serverKey);
      const r = spawnSync('openssl', ['pkcs12', '-export', '-in', 'c.pem', '-out', name, '-passout', 'pass:pw', ...args],
        { cwd: dir, env: h.toolEnv(), timeout: h.STEP_MS });
      assert.strictEqual(r.status, 0, String(r.stderr));
      return fs.readFileSync(path.join(dir, name));
    }

    it('no key, and legacy encryption, as Node reports them', function () {
      const cases = [makePfx('nokey.pfx', ['-nokeys']), makePfx('legacy.pfx', ['-inkey', 'k.pem', '-legacy'])];
      for (const pfx of cases) {
        let nodeErr;
        let ourErr;
        try { tls.createSecureContext({ pfx, passphrase: 'pw' }); } catch (e) { nodeErr = e; }
        try { uvtls.createSecureContext({ pfx, passphrase: 'pw' }); } catch (e) { ourErr = e; }
        assert.ok(nodeErr && ourErr);
        assert.strictEqual(ourErr.code, nodeErr.code);
        assert.strictEqual(ourErr.message, nodeErr.message);
        assert.ok(ourErr.hint);
      }
    });
  });

  describe('command-line options', function () {
    it('--tls-keylog=FILE: both ends append their secrets, with Node\'s warning', async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-keylog-'));
      const file = path.join(dir, 'keys.log');
      const script = `
        const uvtls = require(${JSON.stringify(path.join(__dirname, '..'))});
        const c = ${JSON.stringify({ key: c.serverKey.toString(), cert: c.serverChain.toString(), ca: c.caCert.toString() })};
        const server = uvtls.createServer({ key: c.key, cert: c.cert, maxVersion: 'TLSv1.2' }, (s) => s.end());
        server.listen(0, '127.0.0.1', () => {
          const client = uvtls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', ca: c.ca },
            () => { client.end(); server.close(); });
          client.resume();
        });`;
      const child = spawn(process.execPath, [`--tls-keylog=${file}`, '-e', script],
        { env: h.nodeChildEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      const [code] = await h.within(once(child, 'close'), h.STEP_MS, 'child');
      try {
        assert.strictEqual(code, 0, stderr);
        assert.match(stderr, /Using --tls-keylog makes TLS connections insecure/);
        const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
        assert.strictEqual(lines.length, 2);
        assert.strictEqual(lines[0], lines[1]);
        assert.match(lines[0], /^CLIENT_RANDOM /);
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('after the driver became one (issue 12)', function () {
    for (const [name, lib] of Object.entries(LIBS)) {
      it(`${name}: a TLSSocket over a duplex is destroyed by the time the duplex's later 'close' listeners run`, async function () {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain });
        const raw = track(require('net').connect(server.address().port, '127.0.0.1'));
        await once(raw, 'connect');
        const secure = track(lib.connect({ socket: raw, servername: 'localhost', ca: c.caCert }));
        secure.on('error', () => {});
        await once(secure, 'secureConnect');
        let destroyedAtClose;
        raw.on('close', () => { destroyedAtClose = secure.destroyed; });
        raw.destroy();
        await once(raw, 'close');
        assert.strictEqual(destroyedAtClose, true);
      });

      it(`${name}: getSession() inside 'session' is that session`, async function () {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain },
          (s) => { s.on('error', () => {}); s.end('x'); });
        const client = track(lib.connect({ host: '127.0.0.1', port: server.address().port, servername: 'localhost', ca: c.caCert }));
        const same = [];
        client.on('session', (session) => same.push(session.equals(client.getSession())));
        client.resume();
        await once(client, 'end');
        assert.ok(same.length >= 1);
        assert.deepStrictEqual(same, same.map(() => true));
      });
    }

    for (const [name, lib] of Object.entries(LIBS)) {
      it(`${name}: getTLSTicket() inside 'session' is that session's ticket, the one a resumed connection shows`, async function () {
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain },
          (s) => { s.on('error', () => {}); s.end('x'); });
        const target = { host: '127.0.0.1', port: server.address().port, servername: 'localhost', ca: c.caCert };
        const first = track(lib.connect(target));
        const seen = [];
        first.on('session', (session) => seen.push({ session, ticket: first.getTLSTicket() }));
        first.resume();
        await once(first, 'end');
        assert.ok(seen.length >= 1);
        assert.notDeepStrictEqual(seen[0].ticket, undefined);
        if (seen.length > 1) assert.notDeepStrictEqual(seen[0].ticket, seen[1].ticket, 'one ticket per session');
        const again = track(lib.connect({ ...target, session: seen[0].session }));
        again.resume();
        await once(again, 'secureConnect');
        assert.strictEqual(again.isSessionReused(), true);
        assert.deepStrictEqual(again.getTLSTicket(), seen[0].ticket);
      });
    }

    for (const [name, lib] of Object.entries(LIBS)) {
      it(`${name}: 'OCSPResponse' comes inside the handshake: destroyed there, the client never sends its Finished`, async function () {
        let secureConnections = 0;
        const server = await listen(lib, { key: c.serverKey, cert: c.serverChain }, (s) => { secureConnections++; s.end(); });
        server.on('OCSPRequest', (cert, issuer, cb) => cb(null, Buffer.from('stapled')));
        server.on('tlsClientError', () => {});
        const client = track(lib.connect({ host: '127.0.0.1', port: server.address().port, servername: 'localhost',
          ca: c.caCert, requestOCSP: true }));
        let secureConnect = 0;
        client.on('secureConnect', () => secureConnect++);
        const [response] = await once(client, 'OCSPResponse');
        assert.strictEqual(response.toString(), 'stapled');
        client.destroy();
        await once(client, 'close');
        // A second client proves the server is still there and has had time to finish the first.
        const probe = track(lib.connect({ host: '127.0.0.1', port: server.address().port, servername: 'localhost', ca: c.caCert }));
        probe.resume();
        await once(probe, 'end');
        assert.strictEqual(secureConnect, 0);
        assert.strictEqual(secureConnections, 1, 'only the probe finished its handshake');
      });
    }

    describe('DEFAULT_* and --tls-* flags are read when a context is made', function () {
      async function protocolWithNodeClient(server, options = {}) {
        return new Promise((resolve) => {
          const s = track(tls.connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert,
            servername: 'localhost', ...options }, () => { resolve(s.getProtocol()); s.end(); }));
          s.on('error', (err) => resolve(err.code));
        });
      }

      it('uvtls.DEFAULT_MIN_VERSION assigned by the application', async function () {
        const before = uvtls.DEFAULT_MIN_VERSION;
        uvtls.DEFAULT_MIN_VERSION = 'TLSv1.3';
        let server;
        try {
          server = await listen(uvtls, { key: c.serverKey, cert: c.serverChain });
        } finally {
          uvtls.DEFAULT_MIN_VERSION = before;
        }
        server.on('tlsClientError', () => {});
        assert.match(await protocolWithNodeClient(server, { maxVersion: 'TLSv1.2' }), /PROTOCOL_VERSION/);
        const later = await listen(uvtls, { key: c.serverKey, cert: c.serverChain });
        assert.strictEqual(await protocolWithNodeClient(later, { maxVersion: 'TLSv1.2' }), 'TLSv1.2');
      });

      it('installed: tls.DEFAULT_MAX_VERSION assigned on Node\'s tls object; a legacy minimum is raised to TLS 1.2', async function () {
        uvtls.install();
        const before = [tls.DEFAULT_MAX_VERSION, tls.DEFAULT_MIN_VERSION];
        let server;
        try {
          tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
          tls.DEFAULT_MIN_VERSION = 'TLSv1';
          server = await listen(uvtls, { key: c.serverKey, cert: c.serverChain });
          // Node would allow TLS 1.0 now; uvtls raises the floor to 1.2 instead of refusing.
          assert.doesNotThrow(() => uvtls.createSecureContext({}));
        } finally {
          [tls.DEFAULT_MAX_VERSION, tls.DEFAULT_MIN_VERSION] = before;
          uvtls.uninstall();
        }
        assert.strictEqual(await protocolWithNodeClient(server), 'TLSv1.2');
        assert.match(String(await protocolWithNodeClient(server, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1',
          ciphers: 'DEFAULT:@SECLEVEL=0' })), /PROTOCOL|VERSION|ALERT/);
      });

      it('--tls-max-v1.2 on the command line', function () {
        const script = `
          const uvtls = require(${JSON.stringify(path.join(__dirname, '..'))});
          const { certs } = require(${JSON.stringify(path.join(__dirname, 'fixtures', 'certs'))});
          const c = certs();
          const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end());
          server.listen(0, '127.0.0.1', () => {
            const client = uvtls.connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }, () => {
              console.log(uvtls.DEFAULT_MAX_VERSION, client.getProtocol());
              client.destroy();
              server.close();
            });
          });`;
        const r = spawnSync(process.execPath, ['--tls-max-v1.2', '-e', script], { encoding: 'utf8', timeout: 60000, env: h.nodeChildEnv() });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), 'TLSv1.2 TLSv1.2');
      });
    });

    it('a session that does not parse holds no ticket (no crash, no error left behind)', function () {
      const binding = require('../lib/binding');
      for (const junk of [Buffer.alloc(0), Buffer.from('garbage'), Buffer.alloc(4096, 0x30)]) {
        assert.strictEqual(binding.sessionTicket(junk), undefined);
      }
      assert.throws(() => binding.sessionTicket('text'), { code: 'ERR_INVALID_ARG_TYPE' });
    });

    it("enableTrace on a server traces from the ClientHello, as Node's does", function () {
      const script = (lib) => `
        const lib = require(${JSON.stringify(lib)});
        const { certs } = require(${JSON.stringify(path.join(__dirname, 'fixtures', 'certs'))});
        const c = certs();
        const server = lib.createServer({ key: c.serverKey, cert: c.serverChain, enableTrace: true }, (s) => s.end());
        server.listen(0, '127.0.0.1', () => {
          const client = require('tls').connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' });
          client.on('end', () => { client.destroy(); server.close(); });
          client.resume();
        });`;
      for (const lib of ['tls', path.join(__dirname, '..')]) {
        const r = spawnSync(process.execPath, ['-e', script(lib)], { encoding: 'utf8', timeout: 60000, env: h.nodeChildEnv() });
        assert.strictEqual(r.status, 0, r.stderr);
        // Only the server traces (the client is Node's, untraced): the message it received. The
        // record-header lines around it differ between OpenSSL 3.0 and 3.2+, so they are not
        // part of the check.
        assert.match(r.stderr, /ClientHello, Length=\d+/, `${lib}: the server's trace shows the ClientHello it received`);
      }
    });
  });
});
