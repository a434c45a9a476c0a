'use strict';
// SecurePair against real peers: another pair, Node's tls, openssl s_server / s_client.
const assert = require('assert');
const net = require('net');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

describe('SecurePair', function () {
  let c;
  let serverCtx;
  let clientCtx;
  before(function () {
    c = certs();
    serverCtx = uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain, ca: c.caCert });
    clientCtx = uvtls.createSecureContext({ ca: c.caCert });
  });

  describe('pair to pair in memory', function () {
    it('handshakes, echoes, and ends with close_notify', async function () {
      const server = uvtls.createSecurePair(serverCtx, true);
      const client = uvtls.createSecurePair(clientCtx, false, false, true, { servername: 'localhost' });
      h.linkPairs(server, client);
      server.cleartext.pipe(server.cleartext);
      let serverSecure = 0;
      let servername;
      server.on('secure', () => { serverSecure++; servername = server.cleartext.servername; });
      let session;
      client.cleartext.on('data', () => { session = session || client.cleartext.getSession(); });
      await once(client, 'secure');
      assert.strictEqual(client.cleartext.authorized, true);
      assert.strictEqual(client.cleartext.authorizationError, null);
      assert.strictEqual(client.cleartext.getProtocol(), 'TLSv1.3');
      assert.strictEqual(client.cleartext.getCipher().version, 'TLSv1.3');
      const got = h.collect(client.cleartext);
      client.cleartext.end('hello pair');
      await once(client.cleartext, 'end');
      assert.strictEqual(got().toString(), 'hello pair');
      assert.strictEqual(serverSecure, 1);
      assert.strictEqual(servername, 'localhost');
      assert.ok(Buffer.isBuffer(session) && session.length > 0);
    });

    it('moves 8 MiB both ways and writes queued before the handshake', async function () {
      const server = uvtls.createSecurePair(serverCtx, true);
      const client = uvtls.createSecurePair(clientCtx, false, false, true, { servername: 'localhost' });
      h.linkPairs(server, client);
      server.cleartext.pipe(server.cleartext);
      const payload = Buffer.alloc(8 * 1024 * 1024, 'x');
      payload.write('start', 0);
      payload.write('end', payload.length - 3);
      const got = h.collect(client.cleartext);
      client.cleartext.end(payload); // before 'secure': held until the handshake is done
      await once(client.cleartext, 'end');
      assert.ok(got().equals(payload));
    });

    it('fails an untrusted server: error, no cleartext, alert to the server', async function () {
      const badServer = uvtls.createSecurePair(
        uvtls.createSecureContext({ key: c.selfSignedKey, cert: c.selfSignedCert }), true);
      const client = uvtls.createSecurePair(clientCtx, false, false, true);
      h.linkPairs(badServer, client);
      badServer.cleartext.write('secret from an unverified server');
      let clientData = 0;
      client.cleartext.on('data', () => clientData++);
      const serverErr = once(badServer, 'error');
      const [err] = await once(client, 'error');
      assert.strictEqual(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.strictEqual(err.message, 'self-signed certificate');
      assert.match(err.hint, /ca/);
      assert.strictEqual(err.stage, 'verify');
      const [sErr] = await serverErr;
      assert.strictEqual(sErr.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
      assert.strictEqual(clientData, 0);
      assert.strictEqual(client.cleartext.destroyed, true);
    });

    it('verifies by default: undefined, null, 0 and "" still reject', async function () {
      for (const flag of [undefined, null, 0, '']) {
        const badServer = uvtls.createSecurePair(
          uvtls.createSecureContext({ key: c.selfSignedKey, cert: c.selfSignedCert }), true);
        badServer.on('error', () => {});
        const client = uvtls.createSecurePair(clientCtx, false, false, flag);
        h.linkPairs(badServer, client);
        const [err] = await once(client, 'error');
        assert.strictEqual(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', String(flag));
      }
    });

    it('only a literal false lets an unverified peer through, marked unauthorized', async function () {
      const badServer = uvtls.createSecurePair(
        uvtls.createSecureContext({ key: c.expiredKey, cert: c.expiredCert }), true);
      const client = uvtls.createSecurePair(clientCtx, false, false, false);
      h.linkPairs(badServer, client);
      await once(client, 'secure');
      assert.strictEqual(client.cleartext.authorized, false);
      assert.strictEqual(client.cleartext.authorizationError, 'CERT_HAS_EXPIRED');
    });

    it('reports Node\'s verification codes', async function () {
      const cases = [
        [{ key: c.expiredKey, cert: c.expiredCert }, 'CERT_HAS_EXPIRED'],
        [{ key: c.serverKey, cert: c.serverCert }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
        [{ key: c.serverKey, cert: c.serverChain }, null],
      ];
      for (const [opts, code] of cases) {
        const server = uvtls.createSecurePair(uvtls.createSecureContext(opts), true);
        server.on('error', () => {});
        const client = uvtls.createSecurePair(clientCtx, false, false, true);
        h.linkPairs(server, client);
        const { event, args } = await h.firstEvent(client, ['secure', 'error']);
        assert.strictEqual(event === 'error' ? args[0].code : null, code);
      }
      // A root the client does not trust, sent along by the server.
      const untrusted = uvtls.createSecurePair(uvtls.createSecureContext({ key: c.serverKey,
        cert: Buffer.concat([c.serverChain, c.caCert]) }), true);
      untrusted.on('error', () => {});
      const client = uvtls.createSecurePair(uvtls.createSecureContext({ ca: c.selfSignedCert }), false);
      h.linkPairs(untrusted, client);
      const [err] = await once(client, 'error');
      assert.strictEqual(err.code, 'SELF_SIGNED_CERT_IN_CHAIN');
    });

    it('errors go to cleartext listeners too (Node\'s newer style)', async function () {
      const badServer = uvtls.createSecurePair(
        uvtls.createSecureContext({ key: c.selfSignedKey, cert: c.selfSignedCert }), true);
      badServer.on('error', () => {});
      const client = uvtls.createSecurePair(clientCtx, false);
      h.linkPairs(badServer, client);
      const [err] = await once(client.cleartext, 'error');
      assert.strictEqual(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    });
  });

  describe('mutual TLS', function () {
    it('server requiring a certificate accepts a trusted client', async function () {
      const server = uvtls.createSecurePair(serverCtx, true, true, true);
      const client = uvtls.createSecurePair(uvtls.createSecureContext({
        ca: c.caCert, key: c.clientKey, cert: c.clientCert }), false);
      h.linkPairs(server, client);
      await Promise.all([once(server, 'secure'), once(client, 'secure')]);
      assert.strictEqual(server.cleartext.authorized, true);
      assert.strictEqual(server.cleartext.getPeerCertificate().subject.CN, 'device-001');
    });

    it('a client without a certificate is refused, both sides say why', async function () {
      const server = uvtls.createSecurePair(serverCtx, true, true, true);
      const client = uvtls.createSecurePair(clientCtx, false);
      h.linkPairs(server, client);
      const [[sErr], [cErr]] = await Promise.all([once(server, 'error'), once(client, 'error')]);
      assert.strictEqual(sErr.code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
      assert.match(sErr.hint, /client certificate/);
      assert.strictEqual(cErr.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
      assert.match(cErr.hint, /cert/);
    });

    it('rejectUnauthorized false on the server: marks the client unauthorized', async function () {
      const server = uvtls.createSecurePair(serverCtx, true, true, false);
      const client = uvtls.createSecurePair(uvtls.createSecureContext({
        ca: c.caCert, key: c.selfSignedKey, cert: c.selfSignedCert }), false);
      h.linkPairs(server, client);
      await once(server, 'secure');
      assert.strictEqual(server.cleartext.authorized, false);
      assert.strictEqual(server.cleartext.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      const noCert = uvtls.createSecurePair(serverCtx, true, true, false);
      const anon = uvtls.createSecurePair(clientCtx, false);
      h.linkPairs(noCert, anon);
      await once(noCert, 'secure');
      assert.strictEqual(noCert.cleartext.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT');
      assert.deepStrictEqual(noCert.cleartext.getPeerCertificate(), {});
    });

    it('an untrusted client certificate fails the handshake with unknown_ca', async function () {
      const server = uvtls.createSecurePair(serverCtx, true, true, true);
      const client = uvtls.createSecurePair(uvtls.createSecureContext({
        ca: c.caCert, key: c.selfSignedKey, cert: c.selfSignedCert }), false);
      h.linkPairs(server, client);
      const [[sErr], [cErr]] = await Promise.all([once(server, 'error'), once(client, 'error')]);
      assert.strictEqual(sErr.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.strictEqual(cErr.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
      assert.match(cErr.hint, /trust/);
    });
  });

  describe('over TCP with Node\'s built-in tls', function () {
    it('uvtls client pair <-> Node tls server (echo)', async function () {
      const server = await h.nodeTlsServer({ key: c.serverKey, cert: c.serverChain });
      try {
        const { pair } = await h.pairClient(server.address().port, clientCtx, { servername: 'localhost' });
        await once(pair, 'secure');
        assert.strictEqual(pair.cleartext.authorized, true);
        const got = h.collect(pair.cleartext);
        pair.cleartext.write('ping over tcp');
        while (got().length < 13) await once(pair.cleartext, 'data');
        assert.strictEqual(got().toString(), 'ping over tcp');
        pair.cleartext.end();
        await once(pair.cleartext, 'close');
      } finally {
        server.close();
      }
    });

    it('Node tls.connect -> uvtls server pair (the classic echo server)', async function () {
      const server = await h.pairServer(serverCtx, { onPair: (pair) => pair.cleartext.pipe(pair.cleartext) });
      try {
        const socket = tls.connect({ port: server.address().port, host: '127.0.0.1',
          servername: 'localhost', ca: c.caCert });
        await once(socket, 'secureConnect');
        assert.strictEqual(socket.authorized, true);
        const got = h.collect(socket);
        socket.end('echo me');
        await once(socket, 'end');
        assert.strictEqual(got().toString(), 'echo me');
      } finally {
        server.close();
      }
    });

    it('TLS 1.2 with Node both ways, and mutual TLS', async function () {
      const server = await h.nodeTlsServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert,
        requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' },
      (s) => { s.end(`hello ${s.getPeerCertificate().subject.CN}`); });
      try {
        const ctx = uvtls.createSecureContext({ ca: c.caCert, key: c.clientKey, cert: c.clientCert });
        const { pair } = await h.pairClient(server.address().port, ctx, { servername: 'localhost' });
        const got = h.collect(pair.cleartext);
        let protocol;
        pair.on('secure', () => { protocol = pair.cleartext.getProtocol(); });
        await once(pair.cleartext, 'end');
        assert.strictEqual(protocol, 'TLSv1.2');
        assert.strictEqual(got().toString(), 'hello device-001');
      } finally {
        server.close();
      }
    });

    it('Node\'s tls client sees the unknown_ca alert when uvtls rejects its certificate', async function () {
      const server = await h.pairServer(serverCtx, { requestCert: true, rejectUnauthorized: true,
        onPair: (pair) => pair.on('error', () => {}) });
      try {
        const socket = tls.connect({ port: server.address().port, host: '127.0.0.1',
          servername: 'localhost', ca: c.caCert, key: c.selfSignedKey, cert: c.selfSignedCert });
        socket.resume();
        const [err] = await once(socket, 'error');
        assert.strictEqual(err.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
      } finally {
        server.close();
      }
    });
  });

  describe('over TCP with openssl', function () {
    it('uvtls client pair <-> openssl s_server', async function () {
      const s = await h.startSServer(['-cert', c.file('serverCert'), '-cert_chain', c.file('intermediateCert'),
        '-key', c.file('serverKey'),
        '-rev']);
      try {
        const { pair } = await h.pairClient(s.port, clientCtx, { servername: 'localhost' });
        const got = h.collect(pair.cleartext);
        await once(pair, 'secure');
        assert.strictEqual(pair.cleartext.authorized, true);
        pair.cleartext.write('abc\n');
        while (!got().toString().includes('cba')) await once(pair.cleartext, 'data');
        pair.cleartext.end();
      } finally {
        s.child.kill();
      }
    });

    it('openssl s_client -> uvtls server pair, with a client certificate', async function () {
      const server = await h.pairServer(serverCtx, { requestCert: true, rejectUnauthorized: true,
        onPair: (pair) => pair.cleartext.on('data', (d) => {
          pair.cleartext.end(`${pair.cleartext.getPeerCertificate().subject.CN}:${d}`);
        }) });
      try {
        const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${server.address().port}`,
          '-servername', 'localhost', '-CAfile', c.file('caCert'), '-cert', c.file('clientCert'),
          '-key', c.file('clientKey'), '-verify_return_error', '-quiet'],
        { input: 'hi\n', endWhen: /device-001:hi/ });
        assert.match(r.stdout, /device-001:hi/);
      } finally {
        server.close();
      }
    });

    it('openssl s_client without a certificate gets a certificate-required alert', async function () {
      const server = await h.pairServer(serverCtx, { requestCert: true, rejectUnauthorized: true,
        onPair: (pair) => pair.on('error', () => {}) });
      try {
        const r = await h.runOpenssl(['s_client', '-connect', `127.0.0.1:${server.address().port}`,
          '-CAfile', c.file('caCert'), '-quiet'], { input: 'hi\n', endWhen: /certificate required/ });
        assert.match(r.stderr, /certificate required/);
      } finally {
        server.close();
      }
    });
  });

  describe('robustness', function () {
    it('garbage on the wire gives an error, never a crash', async function () {
      const server = uvtls.createSecurePair(serverCtx, true);
      const errP = once(server, 'error');
      server.encrypted.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      const [err] = await errP;
      assert.match(err.code, /^ERR_SSL_/);
    });

    it('TLS spoken to a plain-text peer: ERR_SSL_WRONG_VERSION_NUMBER with a port hint', async function () {
      const plain = net.createServer((s) => s.end('220 smtp.example.test ESMTP ready\r\n'));
      plain.listen(0, '127.0.0.1');
      await once(plain, 'listening');
      try {
        const { pair } = await h.pairClient(plain.address().port, clientCtx);
        const [err] = await once(pair, 'error');
        assert.strictEqual(err.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
        assert.match(err.hint, /8883/);
      } finally {
        plain.close();
      }
    });

    it('transport closed during the handshake: ECONNRESET', async function () {
      const client = uvtls.createSecurePair(clientCtx, false);
      client.encrypted.resume();
      const errP = once(client, 'error');
      client.encrypted.end();
      const [err] = await errP;
      assert.strictEqual(err.code, 'ECONNRESET');
      assert.ok(err.hint);
    });

    it('destroy in the middle of writes calls every write callback once', async function () {
      const server = uvtls.createSecurePair(serverCtx, true);
      const client = uvtls.createSecurePair(clientCtx, false, false, true);
      h.linkPairs(server, client);
      let calls = 0;
      for (let i = 0; i < 10; i++) client.cleartext.write(Buffer.alloc(64 * 1024), () => calls++);
      client.cleartext.on('error', () => {});
      client.destroy();
      server.destroy();
      await h.waitUntil(() => calls >= 10, () => `10 write callbacks (got ${calls})`);
      await new Promise((r) => setImmediate(r));
      assert.strictEqual(calls, 10);
    });

    it('destroy inside "secure" and inside "data"', async function () {
      const server = uvtls.createSecurePair(serverCtx, true);
      const client = uvtls.createSecurePair(clientCtx, false);
      h.linkPairs(server, client);
      server.cleartext.on('data', () => server.destroy());
      client.on('secure', () => client.cleartext.write('x'));
      await once(server.cleartext, 'close');
      const s2 = uvtls.createSecurePair(serverCtx, true);
      const c2 = uvtls.createSecurePair(clientCtx, false);
      h.linkPairs(s2, c2);
      c2.on('secure', () => c2.destroy());
      await once(c2.cleartext, 'close');
      assert.strictEqual(c2.cleartext.getPeerCertificate(), null);
    });

    it('a paused cleartext reader holds back the transport (bounded buffering)', async function () {
      const server = uvtls.createSecurePair(serverCtx, true);
      const client = uvtls.createSecurePair(clientCtx, false);
      h.linkPairs(server, client);
      await once(client, 'secure');
      server.cleartext.pause();
      let flushed = true;
      let written = 0;
      const chunk = Buffer.alloc(64 * 1024);
      while (flushed && written < 64 * 1024 * 1024) {
        flushed = client.cleartext.write(chunk);
        written += chunk.length;
        await new Promise((r) => setImmediate(r));
      }
      assert.strictEqual(flushed, false, 'write() never returned false');
      assert.ok(written < 8 * 1024 * 1024, `wrote ${written} bytes before backpressure`);
      assert.ok(server.cleartext.readableLength < 1024 * 1024);
      const drained = once(client.cleartext, 'drain');
      server.cleartext.resume();
      await drained;
      client.destroy();
      server.destroy();
    });
  });
});
