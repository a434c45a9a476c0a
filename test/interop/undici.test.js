'use strict';
// undici (npm `undici`): fetch over uvtls sockets from Node's own HTTPS server.
//  1. An Agent whose `connect` hook builds the socket with uvtls.connect (no drop-in needed).
//  2. undici's default connector after uvtls.install(): it calls `tls.connect` at connect
//     time, so it lands on uvtls without any change to undici.
const assert = require('assert');
const https = require('https');
const { once } = require('events');
const undici = require('undici');
const uvtls = require('../..');
const ih = require('./helpers');

describe('interop: undici fetch over uvtls from Node\'s https server', function () {
  const pki = ih.pki();
  let server;
  let base;
  const serverSockets = [];

  before(async () => {
    server = https.createServer({ key: pki.server.key, cert: pki.server.cert, ALPNProtocols: ['http/1.1'] }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, alpn: req.socket.alpnProtocol, protocol: req.socket.getProtocol() }));
    });
    server.on('secureConnection', (s) => serverSockets.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `https://localhost:${server.address().port}`;
  });

  after(async () => {
    uvtls.uninstall();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // An undici connector on uvtls: undici passes {hostname, host, protocol, port, servername,
  // ...} and expects callback(err, socket) once the socket is ready for HTTP.
  function uvtlsConnector(tlsOptions, made) {
    return (opts, callback) => {
      const socket = uvtls.connect({
        host: opts.hostname,
        port: Number(opts.port) || 443,
        servername: opts.servername || opts.hostname,
        ALPNProtocols: ['http/1.1'],
        ...tlsOptions,
      });
      made.push(socket);
      let settled = false;
      socket.once('secureConnect', () => {
        if (settled) return;
        settled = true;
        callback(null, socket);
      });
      socket.once('error', (err) => {
        if (settled) return;
        settled = true;
        callback(err, null);
      });
    };
  }

  it('Agent({connect}) built on uvtls: fetch works, ALPN http/1.1 is negotiated on the uvtls socket', async () => {
    const made = [];
    const agent = new undici.Agent({ connect: uvtlsConnector({ ca: pki.ca.cert }, made) });
    try {
      const res = await undici.fetch(`${base}/hello?x=1`, { dispatcher: agent });
      assert.strictEqual(res.status, 200);
      const body = await res.json();
      assert.strictEqual(body.path, '/hello?x=1');
      assert.strictEqual(body.alpn, 'http/1.1');
      assert.strictEqual(made.length, 1);
      assert.ok(made[0] instanceof uvtls.TLSSocket);
      assert.strictEqual(made[0].alpnProtocol, 'http/1.1');
      assert.strictEqual(made[0].authorized, true);
      // A second request (on the kept-alive connection or a new one: undici's timing, the same
      // with Node's tls) also runs on uvtls.
      const again = await undici.fetch(`${base}/again`, { dispatcher: agent });
      assert.strictEqual((await again.json()).path, '/again');
      for (const s of made) assert.ok(s instanceof uvtls.TLSSocket);
    } finally {
      await agent.close();
    }
  });

  it('a wrong CA: fetch rejects with a uvtls verification error (code + hint) as its cause', async () => {
    const made = [];
    const agent = new undici.Agent({ connect: uvtlsConnector({ ca: pki.otherCa.cert }, made) });
    try {
      await assert.rejects(undici.fetch(`${base}/`, { dispatcher: agent }), (err) => {
        assert.ok(err.cause, `no cause on ${err}`);
        assert.ok(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN']
          .includes(err.cause.code), `unexpected cause ${err.cause.code}: ${err.cause.message}`);
        assert.match(String(err.cause.hint), /\bca\b/);
        return true;
      });
      assert.ok(made[0] instanceof uvtls.TLSSocket);
    } finally {
      await agent.close();
    }
  });

  it('after uvtls.install(), undici\'s own connector runs on uvtls unchanged', async () => {
    uvtls.install();
    const sockets = [];
    const agent = new undici.Agent({ connect: { ca: pki.ca.cert } });
    // undici's diagnostics channel reports the socket it connected.
    const dc = require('diagnostics_channel');
    const onConnected = ({ socket }) => sockets.push(socket);
    dc.subscribe('undici:client:connected', onConnected);
    try {
      const res = await undici.fetch(`${base}/default`, { dispatcher: agent });
      assert.strictEqual((await res.json()).alpn, 'http/1.1');
      assert.strictEqual(sockets.length, 1);
      assert.ok(sockets[0] instanceof uvtls.TLSSocket, `undici used ${sockets[0].constructor.name}`);
    } finally {
      dc.unsubscribe('undici:client:connected', onConnected);
      uvtls.uninstall();
      await agent.close();
    }
  });
});
