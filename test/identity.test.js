'use strict';
// Host name checks (uvtls's own checkServerIdentity) against Node's rule table, certificates
// whose names try to inject a second name, and "verify unless rejectUnauthorized === false".
const assert = require('assert');
const { execFileSync } = require('child_process');
const { X509Certificate } = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { checkServerIdentity } = require('../lib/identity');
const { certs } = require('./fixtures/certs');
const { openTracker, within, firstEvent, STEP_MS } = require('./helpers');

// [host, cert, matches, nodeAgrees]
const san = (s, extra) => ({ subjectaltname: s, ...extra });
// Asked from the running Node with another name than the table's: does it map Unicode host
// names to A-labels (UTS #46) before comparing? Node 22+ does, Node 20 does not.
const NODE_MAPS_HOST_NAMES = tls.checkServerIdentity('\u00e9.a.com', san('DNS:xn--9ca.a.com')) === undefined;
const TABLE = [
  // wildcards
  ['b.a.com', san('DNS:*.a.com'), true],
  ['B.A.COM', san('DNS:*.a.com'), true],
  ['b.a.com', san('DNS:*.A.COM'), true],
  ['a.com', san('DNS:*.a.com'), false],
  ['c.b.a.com', san('DNS:*.a.com'), false],
  ['a.com', san('DNS:*'), false],
  ['com', san('DNS:*'), false],
  ['a.com', san('DNS:*.com'), false],
  ['a.b.com', san('DNS:*.*.com'), false],
  ['a.b.com', san('DNS:a.*.com'), false],
  ['a.b.c.com', san('DNS:a.*.c.com'), false],
  // partial wildcards in the leftmost label, as Node accepts them
  ['bar.a.com', san('DNS:b*.a.com'), true],
  ['b.a.com', san('DNS:b*.a.com'), true],
  ['foo.a.com', san('DNS:b*.a.com'), false],
  ['xfoo.a.com', san('DNS:*foo.a.com'), true],
  ['foo.a.com', san('DNS:*foo.a.com'), true],
  ['fo.a.com', san('DNS:*foo.a.com'), false],
  ['bxz.a.com', san('DNS:b*z.a.com'), true],
  ['bz.a.com', san('DNS:b*z.a.com'), true],
  ['bzz.a.com', san('DNS:b**.a.com'), false],
  ['xn--a.a.com', san('DNS:xn--*.a.com'), false],
  ['b.com', san('DNS:b*.com'), false],
  // exact names, case, trailing dots
  ['a.com', san('DNS:a.com'), true],
  ['A.COM.', san('DNS:a.com'), true],
  ['a.com', san('DNS:A.com.'), true],
  ['a.com.', san('DNS:a.com.'), true],
  ['a.com', san('DNS:b.com'), false],
  ['a.co', san('DNS:a.com'), false],
  ['aa.com', san('DNS:a.com'), false],
  ['a.com', san('DNS:a.com, DNS:b.com'), true],
  ['b.com', san('DNS:a.com, DNS:b.com'), true],
  ['c.com', san('DNS:a.com, DNS:b.com'), false],
  ['a..com', san('DNS:a..com'), false],
  ['', san('DNS:a.com'), false],
  ['a b.com', san('DNS:a b.com'), false],
  // IDNA: certificates hold A-labels (punycode); a U-label host matches its A-label where the
  // running Node maps host names (Node 22+), never on Node 20
  ['xn--bcher-kva.a.com', san('DNS:xn--bcher-kva.a.com'), true],
  ['XN--BCHER-KVA.a.com', san('DNS:xn--bcher-kva.a.com'), true],
  ['bücher.a.com', san('DNS:xn--bcher-kva.a.com'), NODE_MAPS_HOST_NAMES],
  ['bücher.com', san('DNS:bücher.com'), false],
  ['xn--bcher-kva.a.com', san('DNS:*.a.com'), true],
  // NUL bytes inside names
  ['a.com', san('DNS:"a.com\\u0000.evil.com"'), false],
  ['a.com\u0000.evil.com', san('DNS:"a.com\\u0000.evil.com"'), false],
  ['evil.com', san('DNS:"a.com\\u0000.evil.com"'), false],
  ['a.com', san('DNS:"a.com\\u0000"'), false],
  ['a.com\u0000', san('DNS:a.com'), false],
  ['a.com', {}, false],
  ['a.com', { subject: { CN: 'a.com\u0000.evil.com' } }, false],
  // quoted SAN values stay one name
  ['b.com', san('DNS:"a.com, DNS:b.com"'), false],
  ['a.com', san('DNS:"a.com, DNS:b.com"'), false],
  ['a.com', san('DNS:"a.com\\", DNS:b.com"'), false],
  ['b.com', san('URI:"http://x/, DNS:b.com"'), false],
  ['x.com', san('DNS:"x.com"'), true],
  ['b.com', san('DNS:"a.com, DNS:b.com", DNS:b.com'), true],
  // IP hosts: only IP SANs, compared as addresses
  ['127.0.0.1', san('IP Address:127.0.0.1'), true],
  ['127.0.0.1', san('IP Address:127.0.0.2'), false],
  ['127.0.0.1', san('DNS:127.0.0.1'), false],
  ['127.0.0.1', { subject: { CN: '127.0.0.1' } }, false],
  ['127.0.0.1', san('DNS:127.0.0.1', { subject: { CN: '127.0.0.1' } }), false],
  ['1.2.3.4', san('DNS:*.2.3.4'), false],
  ['::1', san('IP Address:0:0:0:0:0:0:0:1'), true],
  ['0:0::1', san('IP Address:0:0:0:0:0:0:0:1'), true],
  ['0000:0000:0000:0000:0000:0000:0000:0001', san('IP Address:0:0:0:0:0:0:0:1'), true],
  ['::2', san('IP Address:0:0:0:0:0:0:0:1'), false],
  ['2001:DB8::1', san('IP Address:2001:DB8:0:0:0:0:0:1'), true],
  ['2001:db8:0::1', san('IP Address:2001:DB8:0:0:0:0:0:1'), true],
  ['2001:db8::1:0', san('IP Address:2001:DB8:0:0:0:0:0:1'), false],
  ['::ffff:127.0.0.1', san('IP Address:0:0:0:0:0:FFFF:7F00:1'), true],
  ['::ffff:7f00:1', san('IP Address:0:0:0:0:0:FFFF:7F00:1'), true],
  ['127.0.0.1', san('IP Address:0:0:0:0:0:FFFF:7F00:1'), false],
  ['fe80::1%eth0', san('IP Address:FE80:0:0:0:0:0:0:1'), true],
  ['::1', san('DNS:::1'), false],
  ['::1', san('URI:http://[::1]/'), false],
  // not an IP literal: a (failing) DNS name
  ['[::1]', san('IP Address:0:0:0:0:0:0:0:1'), false],
  ['01.2.3.4', san('IP Address:1.2.3.4'), false],
  // URI SANs never name hosts
  ['a.com', san('URI:http://a.com/'), false],
  ['a.com', san('URI:a.com'), false],
  ['a.com', san('URI:http://a.com/, DNS:b.com'), false],
  ['a.com', san('email:a@a.com'), false],
  // the subject CN: ignored when DNS SANs exist, used when there are none
  ['a.com', san('DNS:b.com', { subject: { CN: 'a.com' } }), false],
  ['b.com', san('DNS:b.com', { subject: { CN: 'a.com' } }), true],
  ['a.com', { subject: { CN: 'a.com' } }, true],
  ['b.a.com', { subject: { CN: '*.a.com' } }, true],
  ['a.com', { subject: { CN: '*.com' } }, false],
  ['a.com', { subject: { CN: ['x.com', 'a.com'] } }, true],
  ['a.com', { subject: { CN: 'b.com' } }, false],
  ['a.com', san('IP Address:1.2.3.4', { subject: { CN: 'a.com' } }), true],
  ['a.com', san('', { subject: { CN: 'a.com' } }), true],
];

// Where uvtls is deliberately stricter than Node (tested against uvtls only).
const STRICTER = [
  // Node lets `*` stand for an empty label; a host with one is not a DNS name.
  ['.a.com', san('DNS:*.a.com'), false, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  // Node strips trailing dots twice; a host with two is not a DNS name.
  ['a.com..', san('DNS:a.com'), false, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  // Node splits on "," and skips the next character whatever it is; uvtls refuses such text.
  ['b.com', san('DNS:a.com,DNS:b.com'), false, 'ERR_TLS_CERT_ALTNAME_FORMAT'],
  // Node throws ERR_TLS_CERT_ALTNAME_FORMAT; uvtls returns it (the connection fails either way).
  ['a.com', san('DNS:"a.com'), false, 'ERR_TLS_CERT_ALTNAME_FORMAT'],
];

function describe_(host, cert) {
  return `${JSON.stringify(host)} vs ${JSON.stringify(cert)}`;
}

describe('identity: checkServerIdentity rule table', () => {
  it('is the function uvtls exports and uses by default', () => {
    assert.strictEqual(uvtls.checkServerIdentity, checkServerIdentity);
    assert.notStrictEqual(uvtls.checkServerIdentity, tls.checkServerIdentity);
  });

  it(`${TABLE.length} cases: uvtls and Node's tls.checkServerIdentity agree with the table`, () => {
    const wrong = [];
    for (const [host, cert, expected] of TABLE) {
      const ours = checkServerIdentity(host, cert);
      if ((ours === undefined) !== expected) wrong.push(`uvtls: ${describe_(host, cert)} -> ${ours ? ours.reason : 'match'}`);
      const theirs = tls.checkServerIdentity(host, cert);
      if ((theirs === undefined) !== expected) wrong.push(`node: ${describe_(host, cert)} -> ${theirs ? theirs.reason : 'match'}`);
    }
    assert.deepStrictEqual(wrong, []);
  });

  it('is stricter than Node on malformed input, by design', () => {
    for (const [host, cert, , code] of STRICTER) {
      const err = checkServerIdentity(host, cert);
      assert.ok(err instanceof Error, describe_(host, cert));
      assert.strictEqual(err.code, code);
    }
  });

  it('returns an Error with code, reason, host, cert and a hint that names what the cert holds', () => {
    const cert = san('DNS:a.com, DNS:*.b.com, IP Address:10.0.0.1, URI:http://c.com/', { subject: { CN: 'a.com' } });
    const err = checkServerIdentity('x.com', cert);
    assert.ok(err instanceof Error);
    assert.strictEqual(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.strictEqual(err.host, 'x.com');
    assert.strictEqual(err.cert, cert);
    assert.match(err.reason, /x\.com/);
    assert.match(err.message, /x\.com/);
    assert.match(err.hint, /DNS:a\.com/);
    assert.match(err.hint, /DNS:\*\.b\.com/);
    assert.match(err.hint, /IP:10\.0\.0\.1/);
    assert.doesNotMatch(err.hint, /c\.com/); // URIs are not names it can be reached by
    assert.doesNotMatch(err.hint, /rejectUnauthorized/);

    const ipErr = checkServerIdentity('10.0.0.2', cert);
    assert.strictEqual(ipErr.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.strictEqual(ipErr.host, '10.0.0.2');
    assert.match(ipErr.reason, /10\.0\.0\.2/);

    const cnErr = checkServerIdentity('x.com', { subject: { CN: 'a.com' } });
    assert.match(cnErr.hint, /CN=a\.com/);
    const none = checkServerIdentity('x.com', {});
    assert.match(none.hint, /no DNS name or IP address/);
  });

  it('matches Node on odd arguments', () => {
    assert.strictEqual(checkServerIdentity('a.com', san('DNS:a.com')), undefined);
    assert.strictEqual(checkServerIdentity(undefined, san('DNS:undefined')), undefined);
    assert.ok(checkServerIdentity('a.com', undefined) instanceof Error);
    assert.ok(checkServerIdentity('a.com', null) instanceof Error);
  });
});

// --- real certificates --------------------------------------------------------------------------

function makeCert(dir, name, extLines, subj = '/CN=identity test') {
  const conf = path.join(dir, `${name}.cnf`);
  fs.writeFileSync(conf, [
    '[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no', '[dn]', '[ext]',
    'basicConstraints = critical, CA:FALSE', ...extLines, '',
  ].join('\n'));
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-subj', subj, '-days', '2', '-config', conf, '-keyout', key, '-out', cert],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OPENSSL_CONF: conf } });
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

// DER of a subjectAltName holding one dNSName with these exact bytes (NULs included).
function dnsNameDer(bytes) {
  const name = Buffer.concat([Buffer.from([0x82, bytes.length]), bytes]);
  return Buffer.concat([Buffer.from([0x30, name.length]), name]).toString('hex');
}

describe('identity: real certificates through a real connection', function () {
  this.timeout(180000);
  const tracker = openTracker();
  let dir;
  let injected;
  let honest;
  let nul;
  afterEach(() => tracker.closeAll());

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-identity-'));
    // One DNS name whose text is literally `a.com, DNS:b.com`.
    injected = makeCert(dir, 'injected', ['subjectAltName = @alt', '[alt]', 'DNS.1 = a.com, DNS:b.com']);
    // The control: two real names.
    honest = makeCert(dir, 'honest', ['subjectAltName = DNS:a.com, DNS:b.com']);
    // One DNS name `a.com<NUL>.b.com`, written as raw DER.
    nul = makeCert(dir, 'nul', [`subjectAltName = DER:${dnsNameDer(Buffer.from('a.com\0.b.com', 'latin1'))}`],
      '/CN=a.com');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function serve(identity) {
    const server = tracker.track(uvtls.createServer({ key: identity.key, cert: identity.cert }, (s) => {
      s.on('error', () => {}); // the client hangs up after judging the name
      s.end('hi');
    }));
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server.address().port;
  }

  // Connects with uvtls (or Node's tls) as servername; resolves {ok, err, cert}.
  async function tryConnect(lib, port, servername, ca) {
    const socket = tracker.track(lib.connect({ host: '127.0.0.1', port, servername, ca }));
    socket.on('error', () => {});
    const { event, args } = await firstEvent(socket, ['secureConnect', 'error']);
    if (event === 'secureConnect') {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      return { ok: true, cert };
    }
    return { ok: false, err: args[0] };
  }

  it('a DNS SAN of `a.com, DNS:b.com` is one quoted name: b.com and a.com are both refused', async () => {
    const port = await serve(injected);
    for (const lib of [uvtls, tls]) {
      for (const host of ['b.com', 'a.com']) {
        const r = await within(tryConnect(lib, port, host, injected.cert), STEP_MS, host);
        assert.strictEqual(r.ok, false, `${lib === tls ? 'node' : 'uvtls'} accepted ${host}`);
        assert.strictEqual(r.err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      }
    }
    // The certificate object uvtls builds carries the quoted form, exactly as Node's does.
    const nodeForm = new X509Certificate(injected.cert).toLegacyObject().subjectaltname;
    assert.strictEqual(nodeForm, 'DNS:"a.com\\u002c DNS:b.com"');
    const sock = tracker.track(uvtls.connect({
      host: '127.0.0.1', port, ca: injected.cert, checkServerIdentity: () => undefined,
    }));
    await once(sock, 'secureConnect');
    assert.strictEqual(sock.getPeerCertificate().subjectaltname, nodeForm);
    assert.strictEqual(checkServerIdentity('b.com', sock.getPeerCertificate()).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('the control certificate with two real names is accepted for both (the test can fail)', async () => {
    const port = await serve(honest);
    for (const host of ['a.com', 'b.com']) {
      const r = await within(tryConnect(uvtls, port, host, honest.cert), STEP_MS, host);
      assert.strictEqual(r.ok, true, r.err && r.err.message);
      assert.strictEqual(r.cert.subjectaltname, 'DNS:a.com, DNS:b.com');
    }
    const r = await within(tryConnect(uvtls, port, 'c.com', honest.cert), STEP_MS, 'c.com');
    assert.strictEqual(r.err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(r.err.hint, /DNS:a\.com, DNS:b\.com/);
  });

  it('a DNS SAN with a NUL byte matches neither part, and its CN is not consulted', async () => {
    const port = await serve(nul);
    for (const host of ['a.com', 'b.com']) {
      const r = await within(tryConnect(uvtls, port, host, nul.cert), STEP_MS, host);
      assert.strictEqual(r.ok, false, `accepted ${host}`);
      assert.strictEqual(r.err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    }
    const sock = tracker.track(uvtls.connect({
      host: '127.0.0.1', port, ca: nul.cert, checkServerIdentity: () => undefined,
    }));
    await once(sock, 'secureConnect');
    assert.strictEqual(sock.getPeerCertificate().subjectaltname, 'DNS:"a.com\\u0000.b.com"');
  });
});

// --- rejectUnauthorized: only literal false turns verification off ------------------------------

const NOT_FALSE = [undefined, null, 0, '', 'false'];

describe('identity: rejectUnauthorized other than literal false still verifies', function () {
  this.timeout(180000);
  const tracker = openTracker();
  afterEach(() => tracker.closeAll());
  const c = certs();

  // A server whose certificate nobody trusts (self-signed, no ca given to the client).
  async function untrustedServer() {
    const server = tracker.track(tls.createServer({ key: c.selfSignedKey, cert: c.selfSignedCert }, (s) => s.end('x')));
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server.address().port;
  }

  async function outcome(emitter, okEvent) {
    const { event, args } = await firstEvent(emitter, [okEvent, 'error'], STEP_MS);
    return event === okEvent ? { ok: true } : { ok: false, err: args[0] };
  }

  it('connect()', async () => {
    const port = await untrustedServer();
    for (const value of [...NOT_FALSE, false]) {
      const s = tracker.track(uvtls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: value }));
      const r = await outcome(s, 'secureConnect');
      if (value === false) {
        assert.strictEqual(r.ok, true);
        assert.strictEqual(s.authorized, false);
        assert.strictEqual(s.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      } else {
        assert.strictEqual(r.ok, false, `rejectUnauthorized=${JSON.stringify(value)} connected`);
        assert.strictEqual(r.err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      }
      s.destroy();
    }
  });

  it('new TLSSocket(socket, options) over a net socket', async () => {
    const port = await untrustedServer();
    for (const value of [...NOT_FALSE, false]) {
      const raw = tracker.track(net.connect(port, '127.0.0.1'));
      await once(raw, 'connect');
      const s = tracker.track(new uvtls.TLSSocket(raw, { servername: 'localhost', rejectUnauthorized: value }));
      // As with Node's TLSSocket, a client-side socket made directly sends its ClientHello when
      // started, and the handshake result is the 'secure' event or an error.
      s._start();
      const r = await outcome(s, 'secure');
      if (value === false) {
        assert.strictEqual(r.ok, true);
        assert.strictEqual(s.authorized, false);
      } else {
        assert.strictEqual(r.ok, false, `rejectUnauthorized=${JSON.stringify(value)} connected`);
        assert.strictEqual(r.err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      }
      s.destroy();
      raw.destroy();
    }
  });

  it('createSecurePair(context, false, ...)', async () => {
    const port = await untrustedServer();
    const context = uvtls.createSecureContext({});
    for (const value of [...NOT_FALSE, false]) {
      const raw = tracker.track(net.connect(port, '127.0.0.1'));
      await once(raw, 'connect');
      const pair = uvtls.createSecurePair(context, false, false, value, { servername: 'localhost' });
      raw.pipe(pair.encrypted).pipe(raw);
      raw.on('error', () => {});
      pair.cleartext.on('error', () => {});
      const r = await outcome(pair, 'secure');
      if (value === false) {
        assert.strictEqual(r.ok, true);
        assert.strictEqual(pair.cleartext.authorized, false);
      } else {
        assert.strictEqual(r.ok, false, `rejectUnauthorized=${JSON.stringify(value)} connected`);
        assert.strictEqual(r.err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      }
      pair.destroy();
      raw.destroy();
    }
  });

  it('createServer({requestCert: true}) against an untrusted client certificate', async () => {
    for (const value of [...NOT_FALSE, false]) {
      const server = tracker.track(uvtls.createServer({
        key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true, rejectUnauthorized: value,
      }, (s) => s.end(s.authorized ? 'authorized' : `unauthorized:${s.authorizationError}`)));
      const clientErrors = [];
      server.on('tlsClientError', (err) => clientErrors.push(err.code));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      // The client trusts the server but presents a self-signed certificate.
      const s = tracker.track(tls.connect({
        host: '127.0.0.1', port: server.address().port, servername: 'localhost', ca: c.caCert,
        key: c.selfSignedKey, cert: c.selfSignedCert,
      }));
      s.on('error', () => {});
      let data = '';
      s.on('data', (d) => { data += d; });
      await within(new Promise((resolve) => s.on('close', resolve)), STEP_MS, 'client close');
      if (value === false) {
        assert.strictEqual(data, 'unauthorized:DEPTH_ZERO_SELF_SIGNED_CERT');
      } else {
        assert.strictEqual(data, '', `rejectUnauthorized=${JSON.stringify(value)} served an untrusted client`);
        assert.deepStrictEqual(clientErrors.length, 1);
      }
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
