'use strict';
// One driver for every transport (issue 12): the same handshake features, run over each way a
// uvtls connection can be carried, give the same results. The transports:
//   native         uvtls.createServer + uvtls.connect (libuv sockets of their own)
//   client duplex  uvtls.connect({socket}) over a net.Socket the application opened
//   server duplex  a plain net.Server handing each socket to the uvtls Server with
//                  server.emit('connection', socket)
//   TLSSocket      a standalone server-side new TLSSocket(socket, {isServer, ...})
//   SecurePair     createSecurePair on both sides, over TCP
// The features: SNI (the server's SNICallback picks a context), ALPN, NPN, PSK, TLS 1.3 session
// resumption, OCSP stapling, keylog, client certificates.
const assert = require('assert');
const net = require('net');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const PSK = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const OCSP = Buffer.from('a stapled OCSP response');

describe('transports: one driver, the same features on every transport', function () {
  this.timeout(30000);
  let c;
  const tracker = h.openTracker(3000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());
  before(() => { c = certs(); });

  // What the server saw, filled by its callbacks.
  function serverOptions(seen, extra = {}) {
    return {
      key: c.serverKey, cert: c.serverChain, ca: c.caCert,
      ALPNProtocols: ['b', 'a'],
      NPNProtocols: ['spdy', 'http/1.1'],
      SNICallback: (name, cb) => { seen.sni = name; cb(null, null); },
      ...extra,
    };
  }

  function watchServer(server, seen) {
    server.on('secureConnection', (s) => {
      track(s);
      s.on('error', () => {});
      seen.secure = s;
      s.end(`alpn=${s.alpnProtocol} servername=${s.servername}`);
    });
    server.on('keylog', () => { seen.keylog = (seen.keylog || 0) + 1; });
    server.on('tlsClientError', (err) => { seen.clientError = err; });
  }

  // Starts the uvtls server behind the given transport; resolves to its port.
  async function startServer(kind, options, seen) {
    const server = track(uvtls.createServer(options));
    watchServer(server, seen);
    if (kind === 'native') {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }
    const plain = track(net.createServer((raw) => { track(raw); server.emit('connection', raw); }));
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    plain.uvtls = server;
    return plain;
  }

  async function clientFor(kind, port, options) {
    const base = { host: '127.0.0.1', port, ca: c.caCert, servername: 'localhost', ...options };
    if (kind !== 'client duplex') return track(uvtls.connect(base));
    const raw = track(net.connect(port, '127.0.0.1'));
    await once(raw, 'connect');
    return track(uvtls.connect({ ...base, socket: raw }));
  }

  async function received(s) {
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    await once(s, 'end');
    return Buffer.concat(chunks).toString();
  }

  for (const kind of ['native', 'client duplex', 'server duplex']) {
    describe(kind, function () {
      it('SNI, ALPN, keylog and a client certificate', async function () {
        const seen = {};
        const server = await startServer(kind === 'server duplex' ? kind : 'native',
          serverOptions(seen, { requestCert: true }), seen);
        let clientKeylog = 0;
        const s = await clientFor(kind, server.address().port, {
          ALPNProtocols: ['a'], key: c.clientKey, cert: c.clientCert,
        });
        s.on('keylog', () => clientKeylog++);
        await once(s, 'secureConnect');
        assert.strictEqual(s.authorized, true);
        assert.strictEqual(s.alpnProtocol, 'a');
        assert.strictEqual(await received(s), 'alpn=a servername=localhost');
        assert.strictEqual(seen.sni, 'localhost');
        assert.strictEqual(seen.secure.authorized, true);
        assert.ok(seen.secure.getPeerCertificate().subject.CN, 'the server sees the client certificate');
        assert.ok(seen.keylog >= 5, `server keylog lines: ${seen.keylog}`);
        assert.ok(clientKeylog >= 5, `client keylog lines: ${clientKeylog}`);
      });

      it('NPN (TLS 1.2)', async function () {
        const seen = {};
        const server = await startServer(kind === 'server duplex' ? kind : 'native',
          serverOptions(seen, { maxVersion: 'TLSv1.2', ALPNProtocols: undefined }), seen);
        const s = await clientFor(kind, server.address().port, { NPNProtocols: ['http/1.1'], maxVersion: 'TLSv1.2' });
        await once(s, 'secureConnect');
        assert.strictEqual(s.npnProtocol, 'http/1.1');
        await received(s);
        assert.strictEqual(seen.secure.npnProtocol, 'http/1.1');
      });

      it('PSK (TLS 1.3)', async function () {
        const seen = {};
        const server = await startServer(kind === 'server duplex' ? kind : 'native', {
          ciphers: 'TLS_AES_128_GCM_SHA256', minVersion: 'TLSv1.3', pskIdentityHint: 'fleet',
          pskCallback: (socket, identity) => { seen.identity = identity; return PSK; },
        }, seen);
        const s = await clientFor(kind, server.address().port, {
          ciphers: 'TLS_AES_128_GCM_SHA256', minVersion: 'TLSv1.3', checkServerIdentity: () => undefined,
          pskCallback: () => ({ psk: PSK, identity: 'device-1' }),
        });
        await once(s, 'secureConnect');
        await received(s);
        assert.strictEqual(seen.identity, 'device-1');
      });

      it('TLS 1.3 session resumption', async function () {
        const seen = {};
        const server = await startServer(kind === 'server duplex' ? kind : 'native', serverOptions(seen), seen);
        const first = await clientFor(kind, server.address().port, {});
        const [session] = await once(first, 'session');
        await received(first);
        const again = await clientFor(kind, server.address().port, { session });
        await once(again, 'secureConnect');
        assert.strictEqual(again.isSessionReused(), true);
        await received(again);
      });

      it('OCSP stapling', async function () {
        const seen = {};
        const server = await startServer(kind === 'server duplex' ? kind : 'native', serverOptions(seen), seen);
        (server.uvtls || server).on('OCSPRequest', (cert, issuer, cb) => { seen.ocspCert = cert; cb(null, OCSP); });
        const s = await clientFor(kind, server.address().port, { requestOCSP: true });
        const [response] = await once(s, 'OCSPResponse');
        assert.deepStrictEqual(response, OCSP);
        assert.ok(Buffer.isBuffer(seen.ocspCert) && seen.ocspCert.length > 0);
        await received(s);
      });

      it('a rejected client certificate fails the server side with tlsClientError', async function () {
        const seen = {};
        const server = await startServer(kind === 'server duplex' ? kind : 'native',
          serverOptions(seen, { requestCert: true, rejectUnauthorized: true }), seen);
        const s = await clientFor(kind, server.address().port, {});
        const failed = new Promise((resolve) => s.on('error', resolve));
        await new Promise((resolve) => s.on('close', resolve));
        assert.match((await failed).code, /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|ECONNRESET/);
        await h.waitUntil(() => seen.clientError !== undefined, 'tlsClientError');
        assert.strictEqual(seen.secure, undefined);
      });
    });
  }

  describe("a server's 'connection' event (at accept, before the handshake)", function () {
    it('gives a socket of this server; destroy() refuses the client; handshakes still end in secureConnection or tlsClientError', async function () {
      const seen = { connections: 0, errors: 0 };
      const server = track(uvtls.createServer({ key: c.serverKey, cert: c.serverChain, requestCert: true, ca: c.caCert }));
      let refuseNext = false;
      server.on('connection', (socket) => {
        seen.connections++;
        assert.strictEqual(socket.server, server);
        if (refuseNext) socket.destroy();
      });
      server.on('secureConnection', (s) => { track(s); s.end('welcome'); });
      server.on('tlsClientError', () => { seen.errors++; });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = server.address().port;
      const good = await clientFor('native', port, { key: c.clientKey, cert: c.clientCert });
      assert.strictEqual(await received(good), 'welcome');
      const bad = await clientFor('native', port, {});
      const badError = new Promise((resolve) => bad.on('error', resolve));
      await new Promise((resolve) => bad.on('close', resolve));
      await badError;
      await h.waitUntil(() => seen.errors === 1, 'tlsClientError for the client without a certificate');
      refuseNext = true;
      const refused = await clientFor('native', port, {});
      const refusedError = new Promise((resolve) => refused.on('error', resolve));
      await new Promise((resolve) => refused.on('close', resolve));
      assert.match((await refusedError).code, /ECONNRESET|EPIPE/);
      assert.strictEqual(seen.connections, 3);
    });
  });

  describe('standalone server-side new TLSSocket', function () {
    it('SNICallback, ALPNProtocols and a client certificate', async function () {
      const seen = {};
      const plain = track(net.createServer((raw) => {
        track(raw);
        const s = track(new uvtls.TLSSocket(raw, {
          isServer: true, requestCert: true, rejectUnauthorized: true,
          secureContext: uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain, ca: c.caCert }),
          ALPNProtocols: ['b', 'a'],
          SNICallback: (name, cb) => { seen.sni = name; cb(null, null); },
        }));
        s.on('secure', () => { seen.authorized = s.authorized; s.end(`alpn=${s.alpnProtocol}`); });
      }));
      plain.listen(0, '127.0.0.1');
      await once(plain, 'listening');
      const s = await clientFor('native', plain.address().port, { ALPNProtocols: ['a'], key: c.clientKey, cert: c.clientCert });
      await once(s, 'secureConnect');
      assert.strictEqual(await received(s), 'alpn=a');
      assert.strictEqual(seen.sni, 'localhost');
      assert.strictEqual(seen.authorized, true);
    });
  });

  describe('SecurePair', function () {
    it('SNI (the fifth argument\'s SNICallback), a client certificate, sessions', async function () {
      const seen = {};
      const serverCtx = uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain, ca: c.caCert });
      const clientCtx = uvtls.createSecureContext({ ca: c.caCert, key: c.clientKey, cert: c.clientCert });
      const server = await h.pairServer(serverCtx, { requestCert: true, rejectUnauthorized: true,
        onPair: (pair) => {
          pair.cleartext.on('data', () => {});
          pair.on('secure', () => { seen.authorized = pair.cleartext.authorized; pair.cleartext.end('hi'); });
        },
        options: { SNICallback: (name, cb) => { seen.sni = name; cb(null, null); } } });
      track(server);
      const { pair, socket } = await h.pairClient(server.address().port, clientCtx, { servername: 'localhost' });
      track(socket);
      await once(pair, 'secure');
      assert.strictEqual(pair.cleartext.authorized, true);
      assert.ok(pair.cleartext.getSession().length > 0);
      const chunks = [];
      pair.cleartext.on('data', (d) => chunks.push(d));
      await once(pair.cleartext, 'end');
      assert.strictEqual(Buffer.concat(chunks).toString(), 'hi');
      assert.strictEqual(seen.authorized, true);
      assert.strictEqual(seen.sni, 'localhost');
    });
  });
});
