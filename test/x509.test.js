'use strict';
// getPeerCertificate() must return exactly what Node returns for the same certificate: each
// case runs Node's tls client and a uvtls client pair against the same Node tls server and
// compares the two objects field by field, issuerCertificate chains included.
const assert = require('assert');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

async function nodeView(port, ca) {
  const socket = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost',
    rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  const view = { short: socket.getPeerCertificate(), detailed: socket.getPeerCertificate(true) };
  socket.destroy();
  return view;
}

async function uvtlsView(port, ca) {
  const { pair, socket } = await h.pairClient(port, uvtls.createSecureContext({ ca }),
    { rejectUnauthorized: false, servername: 'localhost' });
  await once(pair, 'secure');
  const view = { short: pair.cleartext.getPeerCertificate(), detailed: pair.cleartext.getPeerCertificate(true) };
  pair.destroy();
  socket.destroy();
  return view;
}

function compareFieldByField(actual, expected, path = 'cert', seen = new Set()) {
  if (seen.has(expected)) return;
  seen.add(expected);
  assert.deepStrictEqual(Object.keys(actual), Object.keys(expected), `${path}: keys`);
  for (const key of Object.keys(expected)) {
    if (key === 'issuerCertificate') {
      if (expected.issuerCertificate === expected) {
        assert.strictEqual(actual.issuerCertificate, actual, `${path}: root points to itself`);
      } else {
        compareFieldByField(actual.issuerCertificate, expected.issuerCertificate,
          `${path}.issuerCertificate`, seen);
      }
      continue;
    }
    assert.deepStrictEqual(actual[key], expected[key], `${path}.${key}`);
    // Node 24+ sets every key, undefined where it does not apply (no infoAccess, say).
    if ((key === 'subject' || key === 'issuer' || key === 'infoAccess') && expected[key] !== undefined) {
      assert.strictEqual(Object.getPrototypeOf(actual[key]), Object.getPrototypeOf(expected[key]),
        `${path}.${key}: prototype`);
    }
  }
}

describe('getPeerCertificate matches Node', function () {
  let c;
  before(function () { c = certs(); });

  const cases = [
    ['RSA leaf with AIA and an intermediate chain', (x) => ({ key: x.serverKey, cert: x.serverChain }), (x) => x.caCert],
    ['EC leaf', (x) => ({ key: x.ecServerKey, cert: x.ecServerCert }), (x) => x.caCert],
    ['SAN types DNS, wildcard, IPv4, IPv6, URI, email', (x) => ({ key: x.sanKey, cert: x.sanCert }), (x) => x.caCert],
    ['repeated attribute and multi-valued RDN', (x) => ({ key: x.multiRdnKey, cert: x.multiRdnCert }), (x) => x.caCert],
    ['UTF-8 subject', (x) => ({ key: x.utf8Key, cert: x.utf8Cert }), (x) => x.caCert],
    ['self-signed leaf', (x) => ({ key: x.selfSignedKey, cert: x.selfSignedCert }), (x) => x.caCert],
    ['chain whose root is not trusted', (x) => ({ key: x.serverKey, cert: x.serverChain }), (x) => x.selfSignedCert],
    ['expired leaf', (x) => ({ key: x.expiredKey, cert: x.expiredCert }), (x) => x.caCert],
  ];
  for (const [name, serverOptions, ca] of cases) {
    it(name, async function () {
      const server = await h.nodeTlsServer(serverOptions(c), (s) => s.on('error', () => {}));
      try {
        const port = server.address().port;
        const expected = await nodeView(port, ca(c));
        const actual = await uvtlsView(port, ca(c));
        compareFieldByField(actual.short, expected.short);
        compareFieldByField(actual.detailed, expected.detailed);
      } finally {
        server.close();
      }
    });
  }

  it('client certificate as seen by a server (chain without the leaf in OpenSSL)', async function () {
    // Node's view: a Node server with requestCert.
    const nodeServer = await h.nodeTlsServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert,
      requestCert: true, rejectUnauthorized: true });
    let expected;
    nodeServer.on('secureConnection', (s) => { expected = s.getPeerCertificate(true); s.end(); });
    const clientOpts = { port: nodeServer.address().port, host: '127.0.0.1', servername: 'localhost',
      ca: c.caCert, key: c.clientKey, cert: c.clientCert };
    const s1 = tls.connect(clientOpts);
    s1.resume();
    await once(s1, 'end');
    nodeServer.close();
    // uvtls's view: a uvtls server pair with requestCert.
    let actual;
    const ctx = uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain, ca: c.caCert });
    const server = await h.pairServer(ctx, { requestCert: true, rejectUnauthorized: true,
      onPair: (pair) => pair.on('secure', () => {
        actual = pair.cleartext.getPeerCertificate(true);
        pair.cleartext.end();
      }) });
    const s2 = tls.connect({ ...clientOpts, port: server.address().port });
    s2.resume();
    await once(s2, 'end');
    server.close();
    compareFieldByField(actual, expected);
  });
});
