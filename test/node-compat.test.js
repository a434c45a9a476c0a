'use strict';
// Node 20, 22, 24 and 26 shape some results differently; uvtls follows the Node it runs on,
// never Node 20's constants. Each case asks the running Node's tls for its answer in the same
// run and compares.
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { checkServerIdentity } = require('../lib/identity');
const { certs } = require('./fixtures/certs');
const { sslv3Alert } = require('./node-alerts');
const h = require('./helpers');

function keysWithUndefined(o) {
  return Object.keys(o).map((k) => (o[k] === undefined ? `${k}=undefined` : k));
}

async function connected(socket) {
  await Promise.race([once(socket, 'secureConnect'),
    once(socket, 'error').then(([err]) => { throw err; })]);
  return socket;
}

describe('Node version compatibility: results follow the running Node', function () {
  let c;
  let ed25519;
  before(function () {
    c = certs();
    // A key type that is neither RSA nor EC: Node 24+ still lists modulus, bits, pubkey... as
    // undefined; Node 20 and 22 leave them out.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-compat-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout',
        path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-subj', '/CN=localhost',
        '-days', '30', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
      ed25519 = { key: fs.readFileSync(path.join(dir, 'k.pem')), cert: fs.readFileSync(path.join(dir, 'c.pem')) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('getPeerCertificate(true) of an Ed25519 leaf: the same keys, in the same order, as Node', async function () {
    const server = await h.nodeTlsServer({ key: ed25519.key, cert: ed25519.cert });
    const sockets = [];
    try {
      const port = server.address().port;
      const opts = { port, host: '127.0.0.1', servername: 'localhost', ca: ed25519.cert };
      const theirs = await connected(tls.connect(opts));
      sockets.push(theirs);
      const mine = await connected(uvtls.connect(opts));
      sockets.push(mine);
      for (const detailed of [false, true]) {
        const a = mine.getPeerCertificate(detailed);
        const b = theirs.getPeerCertificate(detailed);
        assert.deepStrictEqual(keysWithUndefined(a), keysWithUndefined(b), `detailed=${detailed}`);
        for (const k of Object.keys(b)) {
          if (k !== 'issuerCertificate') assert.deepStrictEqual(a[k], b[k], k);
        }
      }
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  // X25519MLKEM768 and the other ML-KEM groups exist from OpenSSL 3.5 (Node 22+). Node 22 says
  // {} for them, Node 24+ {type: 'TLSGroup', name, size: undefined}; DH gains name: undefined.
  for (const [label, serverOpts, client] of [
    ['the default groups', {}, {}],
    ['X25519MLKEM768', { ecdhCurve: 'X25519MLKEM768' }, { ecdhCurve: 'X25519MLKEM768' }],
    ['SecP256r1MLKEM768', { ecdhCurve: 'SecP256r1MLKEM768' }, { ecdhCurve: 'SecP256r1MLKEM768' }],
    ['ffdhe2048 (TLS 1.3)', { ecdhCurve: 'ffdhe2048' }, { ecdhCurve: 'ffdhe2048' }],
    ['DHE (TLS 1.2)', { maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256', dhparam: 'auto' },
      { ciphers: 'DHE-RSA-AES128-GCM-SHA256' }],
  ]) {
    it(`getEphemeralKeyInfo() with ${label}: as Node's client sees it, undefined values included`, async function () {
      let server;
      try {
        server = await h.nodeTlsServer({ key: c.serverKey, cert: c.serverChain, ...serverOpts });
      } catch (err) {
        if (!/curve|group/i.test(err.message)) throw err;
        // This OpenSSL lacks the group (3.0, inside Node 20): uvtls refuses it as Node does.
        assert.throws(() => uvtls.createSecureContext({ ...serverOpts }), { code: err.code });
        return;
      }
      const sockets = [];
      try {
        const opts = { port: server.address().port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, ...client };
        const theirs = await connected(tls.connect(opts));
        sockets.push(theirs);
        const mine = await connected(uvtls.connect(opts));
        sockets.push(mine);
        const expected = theirs.getEphemeralKeyInfo();
        assert.deepStrictEqual(keysWithUndefined(mine.getEphemeralKeyInfo()), keysWithUndefined(expected));
        assert.deepStrictEqual(mine.getEphemeralKeyInfo(), expected);
        // getConnectionInfo() names the group too, also a provider-only one (X25519MLKEM768).
        if (expected.name !== undefined) assert.strictEqual(typeof mine.getConnectionInfo().keyExchangeGroup, 'string');
        if (expected.type === 'TLSGroup') assert.strictEqual(mine.getConnectionInfo().keyExchangeGroup, expected.name);
      } finally {
        for (const s of sockets) s.destroy();
        server.close();
      }
    });
  }

  it('an alert renamed in OpenSSL 3.2 keeps its hint: no common cipher on TLS 1.2', async function () {
    const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = uvtls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
        ca: c.caCert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
      const [err] = await h.within(once(client, 'error'), 10000, 'client error');
      client.destroy();
      assert.strictEqual(err.code, await sslv3Alert('HANDSHAKE_FAILURE'));
      assert.match(err.hint, /`ciphers`/);
      assert.strictEqual(uvtls.opensslVersion.split(' ')[1], process.versions.openssl);
    } finally {
      server.close();
    }
  });

  it('Unicode host names: matched or refused as the running Node does', function () {
    const san = (s) => ({ subject: {}, subjectaltname: s });
    const cases = [
      ['bücher.a.com', san('DNS:xn--bcher-kva.a.com')],
      ['BÜCHER.a.com', san('DNS:xn--bcher-kva.a.com')],
      ['x.bücher.a.com', san('DNS:*.xn--bcher-kva.a.com')],
      ['bücher.a.com', san('DNS:xn--*.a.com')],
      ['faß.de', san('DNS:xn--fa-hia.de')],
      ['faß.de', san('DNS:fass.de')],
      ['\uff41.a.com', san('DNS:a.a.com')], // full-width a
      ['a\u3002a.com', san('DNS:a.a.com')], // ideographic full stop
      ['bücher.com', san('DNS:bücher.com')],
      ['%.a.com', san('DNS:%.a.com')],
      ['xn--zz.com', san('DNS:xn--zz.com')],
      ['127.1', san('IP Address:127.0.0.1, DNS:127.1')],
      ['bücher.a.com', { subject: { CN: 'xn--bcher-kva.a.com' } }],
      ['bücher.a.com.', san('DNS:xn--bcher-kva.a.com')],
    ];
    const wrong = [];
    for (const [host, cert] of cases) {
      const ours = checkServerIdentity(host, cert) === undefined;
      const theirs = tls.checkServerIdentity(host, cert) === undefined;
      if (ours !== theirs) wrong.push(`${host} vs ${JSON.stringify(cert)}: uvtls ${ours}, Node ${theirs}`);
    }
    assert.deepStrictEqual(wrong, []);
    // Stricter than Node 22+, whose domainToASCII cuts 'a.com/x' to 'a.com'.
    for (const host of ['a.com/x', 'a.com\\x', 'a.com?x', 'a.com#x']) {
      assert.ok(checkServerIdentity(host, san('DNS:a.com')) instanceof Error, host);
    }
  });
});
