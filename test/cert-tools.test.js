'use strict';
// The diagnostic certificate tools of the binding (describeCertificate, generateKey,
// issueCertificate) checked against Node's crypto.X509Certificate, real handshakes with Node's
// tls and `openssl s_client`, and the engine getters getNegotiatedGroup/getCertificateRequest
// on real uvtls connections.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const { waitUntil } = require('./helpers');
const binding = require('../lib/binding');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');

const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };

// RFC 4514 string -> RDNs (most specific first) of [key, value] pairs, unescaped.
function parse4514(s) {
  const rdns = [];
  let rdn = [];
  let cur = '';
  let key = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') {
      const hex = s.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) { cur += String.fromCharCode(parseInt(hex, 16)); i += 2; } else { cur += s[++i]; }
    } else if (ch === '=' && key === null) {
      key = cur; cur = '';
    } else if (ch === ',' || ch === '+') {
      rdn.push([key, cur]); key = null; cur = '';
      if (ch === ',') { rdns.push(rdn); rdn = []; }
    } else {
      cur += ch;
    }
  }
  rdn.push([key, cur]);
  rdns.push(rdn);
  return rdns.map((r) => r.map(([k, v]) => `${k}=${v}`).sort());
}

// Node's multi-line subject ("C=US\nO=x\nCN=y", multi-valued RDNs joined by " + ") -> the same
// shape as parse4514, most specific first.
function parseNode(s) {
  return s.split('\n').reverse().map((line) => line.split(' + ').map((kv) => kv.replace(/\\(.)/g, '$1')).sort());
}

const canonicalIp = (ip) => (ip.includes(':') ? new URL(`http://[${ip}]`).hostname.slice(1, -1) : ip);

// Node's subjectAltName string -> [type, value] for the types both sides render as text.
function nodeSans(x) {
  if (!x.subjectAltName) return [];
  const map = { DNS: 'dns', 'IP Address': 'ip', email: 'email', URI: 'uri' };
  return x.subjectAltName.split(', ').map((entry) => {
    const i = entry.indexOf(':');
    const type = map[entry.slice(0, i)];
    const value = entry.slice(i + 1);
    return type ? [type, type === 'ip' ? canonicalIp(value) : value] : null;
  }).filter(Boolean);
}

// Everything describeCertificate says that Node's X509Certificate also says, compared.
function compareWithNode(pem) {
  const x = new crypto.X509Certificate(pem);
  const d = binding.describeCertificate(x.raw);
  assert.deepStrictEqual(parse4514(d.subject), parseNode(x.subject));
  assert.deepStrictEqual(parse4514(d.issuer), parseNode(x.issuer));
  const mine = d.subjectAltNames.filter((s) => ['dns', 'ip', 'email', 'uri'].includes(s.type))
    .map((s) => [s.type, s.type === 'ip' ? canonicalIp(s.value) : s.value]);
  assert.deepStrictEqual(mine, nodeSans(x));
  assert.strictEqual(d.notBefore, Date.parse(x.validFrom));
  assert.strictEqual(d.notAfter, Date.parse(x.validTo));
  assert.strictEqual(d.fingerprint256, x.fingerprint256);
  assert.strictEqual(d.isCA, x.ca);
  assert.strictEqual(d.serialNumber.replace(/^0+/, ''), x.serialNumber.replace(/^0+/, ''));
  const eku = (d.extKeyUsage || []).map((u) => EKU_OIDS[u] || u);
  assert.deepStrictEqual(eku, x.keyUsage || []);
  const pk = x.publicKey;
  assert.strictEqual(d.publicKey.type, pk.asymmetricKeyType);
  if (pk.asymmetricKeyType === 'rsa') assert.strictEqual(d.publicKey.bits, pk.asymmetricKeyDetails.modulusLength);
  if (pk.asymmetricKeyType === 'ec') assert.strictEqual(d.publicKey.curve, pk.asymmetricKeyDetails.namedCurve);
  assert.strictEqual(d.selfIssued, x.subject === x.issuer);
  assert.strictEqual(d.selfSigned, d.selfIssued && x.verify(pk));
  return { d, x };
}

// A CA, a server (localhost + 127.0.0.1 + ::1, serverAuth) and a client (clientAuth).
function makePki(type = 'ec') {
  const caKey = binding.generateKey({ type }).keyPem;
  const ca = binding.issueCertificate({
    keyPem: caKey, subject: { C: 'US', O: 'Example, Inc.', CN: 'Diag Test CA' }, days: 30, isCA: true, pathLength: 0,
  }).certPem;
  const issuer = { issuerCertPem: ca, issuerKeyPem: caKey };
  const serverKey = binding.generateKey({ type }).keyPem;
  const server = binding.issueCertificate({
    keyPem: serverKey, subject: { CN: 'localhost' }, days: 5, isCA: false, ...issuer,
    sans: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }],
    extKeyUsage: ['serverAuth'],
  }).certPem;
  const clientKey = binding.generateKey({ type }).keyPem;
  const client = binding.issueCertificate({
    keyPem: clientKey, subject: { O: 'Example', CN: 'client1' }, days: 5, isCA: false, ...issuer,
    extKeyUsage: ['clientAuth'],
  }).certPem;
  return { caKey, ca, serverKey, server, clientKey, client };
}

function listen(server) {
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => server.address().port);
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

// openssl s_client against 127.0.0.1:port; resolves with { code, out }.
function sClient(port, caFile) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', caFile,
      '-verify_return_error', '-servername', 'localhost', '-verify_hostname', 'localhost'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end();
  });
}

describe('certificate tools', function () {
  this.timeout(180000);
  let pki;
  let tmp;
  before(function () {
    pki = makePki('ec');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-certtools-'));
  });
  after(function () { fs.rmSync(tmp, { recursive: true, force: true }); });

  describe('generateKey', function () {
    it('makes unencrypted PKCS#8 PEM keys: EC P-256 and RSA (default 2048, or bits)', function () {
      const ec = binding.generateKey({ type: 'ec' });
      assert.match(ec.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const k = crypto.createPrivateKey(ec.keyPem);
      assert.strictEqual(k.asymmetricKeyType, 'ec');
      assert.strictEqual(k.asymmetricKeyDetails.namedCurve, 'prime256v1');
      const rsa = crypto.createPrivateKey(binding.generateKey({ type: 'rsa' }).keyPem);
      assert.strictEqual(rsa.asymmetricKeyDetails.modulusLength, 2048);
      const rsa3 = crypto.createPrivateKey(binding.generateKey({ type: 'rsa', bits: 3072 }).keyPem);
      assert.strictEqual(rsa3.asymmetricKeyDetails.modulusLength, 3072);
      assert.notStrictEqual(binding.generateKey({ type: 'ec' }).keyPem, ec.keyPem);
    });

    it('bad options: TypeError / RangeError with ERR_INVALID_ARG_VALUE', function () {
      const cases = [[undefined, TypeError], [{}, TypeError], [{ type: 'dsa' }, TypeError],
        [{ type: 'rsa', bits: 1024 }, RangeError], [{ type: 'rsa', bits: 8193 }, RangeError],
        [{ type: 'rsa', bits: '2048' }, TypeError], [{ type: 'rsa', bits: 2048.5 }, RangeError],
        [{ type: 'ec', bits: 384 }, RangeError]];
      for (const [opts, Type] of cases) {
        assert.throws(() => binding.generateKey(opts), (err) => err instanceof Type && err.code === 'ERR_INVALID_ARG_VALUE',
          JSON.stringify(opts));
      }
    });
  });

  describe('issueCertificate + describeCertificate', function () {
    it('a generated CA, server and client agree with crypto.X509Certificate', function () {
      for (const type of ['ec', 'rsa']) {
        const p = type === 'ec' ? pki : makePki('rsa');
        const ca = compareWithNode(p.ca).d;
        assert.strictEqual(ca.subject, 'CN=Diag Test CA,O=Example\\, Inc.,C=US');
        assert.strictEqual(ca.isCA, true);
        assert.strictEqual(ca.pathLength, 0);
        assert.deepStrictEqual(ca.keyUsage, ['keyCertSign', 'cRLSign']);
        assert.strictEqual(ca.selfSigned, true);
        const { d: server, x } = compareWithNode(p.server);
        assert.strictEqual(server.commonName, 'localhost');
        assert.strictEqual(server.issuer, ca.subject);
        assert.deepStrictEqual(server.subjectAltNames, [{ type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }]);
        assert.deepStrictEqual(server.extKeyUsage, ['serverAuth']);
        assert.deepStrictEqual(server.keyUsage, type === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']);
        assert.strictEqual(server.pathLength, null);
        assert.strictEqual(server.selfSigned, false);
        assert.ok(x.verify(new crypto.X509Certificate(p.ca).publicKey));
        assert.ok(x.checkIssued(new crypto.X509Certificate(p.ca)));
        assert.strictEqual(x.checkHost('localhost'), 'localhost');
        assert.strictEqual(x.checkIP('127.0.0.1'), '127.0.0.1');
        // notBefore an hour back for clock skew; notAfter `days` from now.
        assert.ok(Math.abs(server.notBefore - (Date.now() - 3600e3)) < 60e3);
        assert.ok(Math.abs(server.notAfter - (Date.now() + 5 * 86400e3)) < 60e3);
        const client = compareWithNode(p.client).d;
        assert.deepStrictEqual(client.extKeyUsage, ['clientAuth']);
        assert.strictEqual(client.subject, 'CN=client1,O=Example');
      }
    });

    it('subject order, UTF-8, repeated attributes, keyUsage, serial, email/uri SANs', function () {
      const keyPem = binding.generateKey({ type: 'ec' }).keyPem;
      const pem = binding.issueCertificate({
        keyPem, days: 1, isCA: false, serial: '0badc0de',
        subject: { C: 'DE', ST: 'Bayern', L: 'München', O: 'Ünïcode ✓', OU: ['A', 'B'], CN: 'Zoë', emailAddress: 'z@example.com' },
        sans: [{ type: 'email', value: 'z@example.com' }, { type: 'uri', value: 'spiffe://example/x' }],
        keyUsage: ['digitalSignature', 'keyAgreement'], extKeyUsage: ['clientAuth', '1.2.3.4'],
      }).certPem;
      const { d } = compareWithNode(pem);
      assert.strictEqual(d.subject, 'emailAddress=z@example.com,CN=Zoë,OU=B,OU=A,O=Ünïcode ✓,L=München,ST=Bayern,C=DE');
      assert.strictEqual(d.commonName, 'Zoë');
      assert.strictEqual(d.serialNumber, '0BADC0DE');
      assert.deepStrictEqual(d.keyUsage, ['digitalSignature', 'keyAgreement']);
      assert.deepStrictEqual(d.extKeyUsage, ['clientAuth', '1.2.3.4']);
      assert.strictEqual(d.selfIssued, true);
      assert.strictEqual(d.selfSigned, true);
    });

    it('certificates made by the openssl CLI agree with crypto.X509Certificate', function () {
      const c = certs();
      for (const name of ['caCert', 'intermediateCert', 'serverCert', 'ecServerCert', 'clientCert', 'selfSignedCert',
        'expiredCert', 'sanCert', 'multiRdnCert', 'utf8Cert', 'revokedCert']) {
        try {
          compareWithNode(c[name]);
        } catch (err) {
          err.message = `${name}: ${err.message}`;
          throw err;
        }
      }
      const multi = binding.describeCertificate(new crypto.X509Certificate(c.multiRdnCert).raw);
      assert.match(multi.subject, /^(CN=multi\.example\.test\+serialNumber=42|serialNumber=42\+CN=multi\.example\.test),OU=Sensors,OU=Devices,O=uvtls,C=US$/);
      assert.strictEqual(multi.commonName, 'multi.example.test');
      const utf8 = binding.describeCertificate(new crypto.X509Certificate(c.utf8Cert).raw);
      assert.strictEqual(utf8.subject, 'CN=Zürich Gerät ✓,O=Société Générale,L=東京,C=JP');
      const san = binding.describeCertificate(new crypto.X509Certificate(c.sanCert).raw);
      assert.deepStrictEqual(san.subjectAltNames.map((s) => s.type), ['dns', 'dns', 'ip', 'ip', 'uri', 'email']);
      assert.strictEqual(san.subjectAltNames[3].value, '2001:db8::1');
      const expired = binding.describeCertificate(new crypto.X509Certificate(c.expiredCert).raw);
      assert.ok(expired.notAfter < Date.now());
      // A PEM string is accepted too.
      assert.strictEqual(binding.describeCertificate(c.caCert).fingerprint256, new crypto.X509Certificate(c.caCert).fingerprint256);
    });

    it('bytes that are not a certificate: ERR_UVTLS_BAD_CERTIFICATE with a hint', function () {
      const raw = new crypto.X509Certificate(pki.server).raw;
      const inputs = [Buffer.alloc(0), Buffer.from('garbage'), raw.subarray(0, raw.length - 1),
        Buffer.concat([raw, Buffer.from([0])]), crypto.randomBytes(300), Buffer.from(pki.serverKey)];
      for (const input of inputs) {
        assert.throws(() => binding.describeCertificate(input), (err) => err.code === 'ERR_UVTLS_BAD_CERTIFICATE' && typeof err.hint === 'string');
      }
      assert.throws(() => binding.describeCertificate(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    });

    it('a NUL inside a CN or a DNS name reaches JS whole, never cutting the name short', function () {
      // Issued with a placeholder byte, which is then turned into NUL in the DER (the signature
      // no longer matches; describeCertificate reads fields and does not verify).
      const pem = binding.issueCertificate({ keyPem: pki.clientKey, days: 1, subject: { CN: 'adm~in' },
        sans: [{ type: 'dns', value: 'good.example~evil.example' }] }).certPem;
      const raw = Buffer.from(new crypto.X509Certificate(pem).raw);
      for (const text of ['adm~in', 'good.example~evil.example']) {
        assert.ok(raw.indexOf(text) > 0, text);
        // Every copy: the self-signed certificate's issuer is its subject.
        for (let at = raw.indexOf(text); at >= 0; at = raw.indexOf(text, at + 1)) raw[at + text.indexOf('~')] = 0;
      }
      const d = binding.describeCertificate(raw);
      assert.strictEqual(d.commonName, 'adm\0in');
      assert.strictEqual(d.subject, 'CN=adm\\00in');
      assert.deepStrictEqual(d.subjectAltNames, [{ type: 'dns', value: 'good.example\0evil.example' }]);
    });

    it('bad specs give errors with a code and a hint, never a certificate', function () {
      const keyPem = pki.clientKey;
      const base = { keyPem, subject: { CN: 'x' }, days: 1, isCA: false };
      const mismatch = () => binding.issueCertificate({ ...base, issuerCertPem: pki.ca, issuerKeyPem: pki.serverKey });
      assert.throws(mismatch, (err) => err.code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' && /CA's own key/.test(err.hint));
      assert.throws(() => binding.issueCertificate({ ...base, keyPem: 'not a key' }), (err) => /^ERR_/.test(err.code) && /keyPem/.test(err.message) && typeof err.hint === 'string');
      assert.throws(() => binding.issueCertificate({ ...base, sans: [{ type: 'ip', value: '999.1.1.1' }] }),
        (err) => err.code === 'ERR_INVALID_ARG_VALUE' && /999\.1\.1\.1/.test(err.message) && typeof err.hint === 'string');
      assert.throws(() => binding.issueCertificate({ ...base, issuerCertPem: pki.ca }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, issuerCertPem: pki.server, issuerKeyPem: pki.serverKey }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, days: 0 }), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, keyUsage: ['everything'] }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, subject: { C: 'USA' } }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, serial: 'xyz' }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, pathLength: 1 }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate(null), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      // DNS names are IA5String (ASCII): UTF-8 there made a certificate other tools misread.
      assert.throws(() => binding.issueCertificate({ ...base, sans: [{ type: 'dns', value: 'bücher.example' }] }),
        (err) => err.code === 'ERR_INVALID_ARG_VALUE' && /punycode/.test(err.hint));
    });

    it('odd JS input: NUL in strings, NaN/Infinity numbers, throwing getters, huge sparse arrays', function () {
      const base = { keyPem: pki.clientKey, subject: { CN: 'x' }, days: 1 };
      const bad = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /NUL/ };
      // Each would otherwise be issued cut short at the NUL ("good.example" alone).
      assert.throws(() => binding.issueCertificate({ ...base, subject: { CN: 'adm\0in' } }), bad);
      assert.throws(() => binding.issueCertificate({ ...base, subject: { O: ['a', 'b\0c'] } }), bad);
      assert.throws(() => binding.issueCertificate({ ...base, sans: [{ type: 'dns', value: 'good.example\0evil' }] }), bad);
      assert.throws(() => binding.issueCertificate({ ...base, serial: '01\0ff' }), bad);
      assert.throws(() => binding.issueCertificate({ ...base, extKeyUsage: ['serverAuth\0x'] }), bad);
      for (const days of [NaN, Infinity, -Infinity, 1e300, 1.5]) {
        assert.throws(() => binding.issueCertificate({ ...base, days }), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
      }
      for (const bits of [NaN, Infinity, 1e20, -1e20, 2048.5]) {
        assert.throws(() => binding.generateKey({ type: 'rsa', bits }), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
      }
      assert.throws(() => binding.issueCertificate({ ...base, isCA: true, pathLength: NaN }), { name: 'RangeError' });
      assert.throws(() => binding.issueCertificate({ ...base, get days() { throw new Error('getter'); } }), /getter/);
      assert.throws(() => binding.issueCertificate({ ...base, subject: { get CN() { throw new Error('cn getter'); } } }), /cn getter/);
      // A billion-slot sparse array fails at its first hole, without gathering it first (which
      // ran out of memory or past the test's timeout).
      assert.throws(() => binding.issueCertificate({ ...base, subject: { CN: new Array(1e9) } }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, sans: new Array(1e9) }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => binding.issueCertificate({ ...base, keyUsage: new Array(1e9) }), { code: 'ERR_INVALID_ARG_VALUE' });
      for (const odd of [undefined, 1, 'x', Symbol('s'), () => {}]) {
        assert.throws(() => binding.issueCertificate(odd), { code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => binding.generateKey(odd), { code: 'ERR_INVALID_ARG_VALUE' });
      }
    });
  });

  describe('a generated chain in real handshakes', function () {
    it('Node tls client trusts the generated CA; another CA is rejected', async function () {
      const server = tls.createServer({ key: pki.serverKey, cert: pki.server }, (s) => s.end('hi'));
      server.on('tlsClientError', () => {});
      const port = await listen(server);
      try {
        const ok = await connected(tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca }));
        assert.strictEqual(ok.authorized, true);
        const [data] = await once(ok, 'data');
        assert.strictEqual(data.toString(), 'hi');
        ok.destroy();
        const other = makePki('ec');
        const bad = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: other.ca });
        const [err] = await once(bad, 'error');
        assert.strictEqual(err.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      } finally {
        server.close();
      }
    });

    it('openssl s_client -verify_return_error accepts it (and rejects an unrelated CA)', async function () {
      const server = tls.createServer({ key: pki.serverKey, cert: pki.server }, (s) => s.end());
      server.on('tlsClientError', () => {});
      const port = await listen(server);
      const caFile = path.join(tmp, 'ca.pem');
      const otherFile = path.join(tmp, 'other.pem');
      fs.writeFileSync(caFile, pki.ca);
      fs.writeFileSync(otherFile, makePki('ec').ca);
      try {
        const good = await sClient(port, caFile);
        assert.strictEqual(good.code, 0, good.out);
        assert.match(good.out, /Verify return code: 0 \(ok\)/);
        const bad = await sClient(port, otherFile);
        assert.notStrictEqual(bad.code, 0, bad.out);
      } finally {
        server.close();
      }
    });
  });

  describe('engine getters: getNegotiatedGroup, getCertificateRequest', function () {
    async function run(serverExtra, clientExtra) {
      let serverSide = null;
      const server = uvtls.createServer({ key: pki.serverKey, cert: pki.server, ...serverExtra }, (s) => {
        serverSide = { group: s._handle.getNegotiatedGroup(), request: s._handle.getCertificateRequest() };
        s.on('error', () => {});
        s.end('x');
      });
      const port = await listen(server);
      try {
        const client = uvtls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca, ...clientExtra });
        await connected(client);
        const result = { group: client._handle.getNegotiatedGroup(), request: client._handle.getCertificateRequest() };
        await once(client, 'data');
        client.destroy();
        await waitUntil(() => serverSide !== null, 'the server side of the handshake');
        return { client: result, server: serverSide };
      } finally {
        server.close();
      }
    }

    it('requestCert with ca: the client sees the CertificateRequest and the CA names', async function () {
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3']) {
        const r = await run({ requestCert: true, rejectUnauthorized: true, ca: pki.ca },
          { key: pki.clientKey, cert: pki.client, maxVersion });
        assert.deepStrictEqual(r.client.request, { caNames: [binding.describeCertificate(pki.ca).subject] }, maxVersion);
        assert.deepStrictEqual(r.client.request.caNames, ['CN=Diag Test CA,O=Example\\, Inc.,C=US']);
        assert.strictEqual(r.server.request, null);
        assert.strictEqual(typeof r.client.group, 'string');
        assert.ok(r.client.group.length > 0);
        assert.strictEqual(r.server.group, r.client.group);
      }
    });

    it('requestCert without a client certificate still records the request', async function () {
      const r = await run({ requestCert: true, rejectUnauthorized: false, ca: pki.ca }, {});
      assert.deepStrictEqual(r.client.request, { caNames: ['CN=Diag Test CA,O=Example\\, Inc.,C=US'] });
    });

    it('no requestCert: null; the group follows the ecdhCurve setting', async function () {
      const r = await run({ ecdhCurve: 'secp384r1' }, {});
      assert.strictEqual(r.client.request, null);
      assert.strictEqual(r.server.request, null);
      assert.strictEqual(r.client.group, 'secp384r1');
      assert.strictEqual(r.server.group, 'secp384r1');
    });
  });
});
