'use strict';
// Diagnostics: each misconfiguration people hit when setting up TLS (and mutual TLS for brokers)
// produced for real on loopback, asserting the error's code, stage and what its hint says.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { execFileSync } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const { startSServer, openTracker, within, toolEnv, waitUntil, eventList, STEP_MS } = require('./helpers');
const { sslv3Alert } = require('./node-alerts');

const c = certs();

// --- extra certificates made with the openssl CLI, signed by the fixtures' root CA -----------

let extra = null;
function extraCerts() {
  if (extra) return extra;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-diag-'));
  process.on('exit', () => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} });
  const f = (name) => path.join(dir, name);
  const run = (args) => execFileSync('openssl', args, {
    cwd: dir, env: { ...toolEnv(), OPENSSL_CONF: f('empty.cnf') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  fs.writeFileSync(f('empty.cnf'), '');
  const db = f('db');
  fs.mkdirSync(path.join(db, 'new'), { recursive: true });
  fs.writeFileSync(path.join(db, 'index.txt'), '');
  fs.writeFileSync(path.join(db, 'serial'), '1000\n');
  fs.writeFileSync(f('ca.cnf'), [
    '[ca]', 'default_ca = d', '[d]', `dir = ${db}`, 'database = $dir/index.txt',
    'new_certs_dir = $dir/new', 'serial = $dir/serial', `certificate = ${c.file('caCert')}`,
    `private_key = ${f('ca.key')}`, 'default_md = sha256', 'default_days = 30',
    'policy = any', 'unique_subject = no', '[any]', 'commonName = optional', '',
  ].join('\n'));
  fs.writeFileSync(f('ca.key'), c.caKey);
  // issue(name, subj, extLines, dates): EC P-256 key + certificate from the root CA.
  const issue = (name, subj, ext, dates = []) => {
    run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(`${name}.key`)]);
    fs.writeFileSync(f(`${name}.req.cnf`), ['[req]', 'distinguished_name = dn', 'string_mask = utf8only', '[dn]', ''].join('\n'));
    run(['req', '-new', '-config', f(`${name}.req.cnf`), '-key', f(`${name}.key`), '-subj', subj,
      '-multivalue-rdn', '-utf8', '-out', f(`${name}.csr`)]);
    fs.writeFileSync(f(`${name}.ext`), ['[ext]', ...ext, ''].join('\n'));
    run(['ca', '-batch', '-config', f('ca.cnf'), '-in', f(`${name}.csr`), '-out', f(`${name}.pem`),
      '-notext', '-preserveDN', ...dates, '-extfile', f(`${name}.ext`), '-extensions', 'ext']);
    return { key: fs.readFileSync(f(`${name}.key`)), cert: fs.readFileSync(f(`${name}.pem`)) };
  };
  const future = new Date(Date.now() + 400 * 86400e3);
  const asn1 = (d) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  extra = {
    notYetValid: issue('future', '/CN=localhost', [
      'basicConstraints = CA:FALSE', 'subjectAltName = DNS:localhost, IP:127.0.0.1',
    ], ['-startdate', asn1(future), '-enddate', asn1(new Date(future.getTime() + 86400e3))]),
    // keyUsage without digitalSignature: an ECDSA key cannot sign the handshake with it.
    certSignOnly: issue('certsign', '/CN=localhost', [
      'basicConstraints = CA:FALSE', 'keyUsage = critical, keyCertSign',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
    ]),
    // Several RDNs and every character RFC 4514 escapes; one SAN of each type (two DNS names).
    identity: issue('identity', '/C=DE/O=Müller, Söhne & Co/OU=a\\+b "q"/CN=#user; <x> ', [
      'basicConstraints = CA:FALSE', 'subjectAltName = @san', '[san]',
      'DNS.1 = one.example.test', 'DNS.2 = two.example.test', 'IP.1 = 10.0.0.7',
      'email.1 = user@example.com', 'URI.1 = spiffe://example.test/user',
      'otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn-user@example.com',
    ]),
    noCn: issue('nocn', '/O=No Common Name Org/OU=Devices', ['basicConstraints = CA:FALSE']),
    dir,
  };
  return extra;
}

// --- plumbing ------------------------------------------------------------------------------

const tracker = openTracker();
afterEach(() => tracker.closeAll());

async function uvServer(options, onSocket) {
  const errors = eventList('server error');
  const server = uvtls.createServer(options, (s) => {
    s.on('error', (e) => errors.push(e));
    s.resume();
    if (onSocket) onSocket(s);
  });
  server.on('tlsClientError', (e) => errors.push(e));
  tracker.track(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: server.address().port, errors };
}

// Connects and resolves with the client's error (or null) and the events seen.
function clientError(options, { write } = {}) {
  return within(new Promise((resolve) => {
    const s = tracker.track(uvtls.connect(options));
    const events = [];
    s.on('secureConnect', () => { events.push('secureConnect'); if (write) s.write('hello'); });
    s.on('end', () => events.push('end'));
    s.resume();
    s.on('error', (err) => { events.push('error'); resolve({ err, events }); });
    // 'error' comes before 'close'; resolved after the close's other listeners ran.
    s.on('close', () => setImmediate(() => resolve({ err: null, events })));
  }), STEP_MS, 'client error');
}

// The first error the server reported (tlsClientError or a socket's 'error'), once there is one.
async function firstError(errors) {
  await errors.next(1).catch(() => {});
  assert.ok(errors.length > 0, 'the server reported an error');
  return errors[0];
}

// Every error uvtls emits: Node's code, a stage, a one-sentence hint, never "turn it off".
function check(err, code, stage, hintPattern) {
  assert.ok(err instanceof Error, `an error (got ${err})`);
  assert.strictEqual(err.code, code, `code (message: ${err.message}; hint: ${err.hint})`);
  assert.strictEqual(err.stage, stage, `stage of ${code}`);
  assert.strictEqual(typeof err.hint, 'string', `hint of ${code}`);
  if (hintPattern) assert.match(err.hint, hintPattern);
  assert.doesNotMatch(err.hint, /rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED/);
  if (/^ERR_(SSL|OSSL)_/.test(code)) {
    assert.strictEqual(typeof err.library, 'string', `library of ${code}`);
    assert.strictEqual(typeof err.reason, 'string', `reason of ${code}`);
  }
  return err;
}

// A random address in 127.0.0.0/8 other than 127.0.0.1, so that another copy of the suite
// running at the same time does not pick the same one for the same well-known port.
function randomLoopback() {
  const [a, b, c2] = require('crypto').randomBytes(3);
  return `127.${1 + (a % 254)}.${b}.${1 + (c2 % 254)}`;
}

// Listens a plain TCP server on `port` at a random loopback address where that port is free.
async function listenSomewhere(server, port) {
  for (let i = 0; i < 50; i++) {
    const address = randomLoopback();
    const ok = await new Promise((resolve) => {
      const onError = () => resolve(false);
      server.once('error', onError);
      server.listen(port, address, () => { server.removeListener('error', onError); resolve(true); });
    });
    if (ok) return address;
  }
  throw new Error(`no free loopback address for port ${port}`);
}

// A loopback address on which nothing can accept connections to `port`: binding it works (so
// no listener, not even a wildcard one, owns it); the probe is closed again before use. The
// address is random, so no other test (or copy of the suite) is listening there meanwhile.
async function unusedAddress(port) {
  const probe = net.createServer();
  const address = await listenSomewhere(probe, port);
  await new Promise((r) => probe.close(r));
  return address;
}

// A plain TCP server on `port` (0: any) that answers like a non-TLS service.
async function plainServer(port, onConnection) {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  let address = '127.0.0.1';
  if (port) address = await listenSomewhere(server, port);
  else {
    server.listen(0, address);
    await once(server, 'listening');
  }
  tracker.track({ destroy: () => { for (const s of sockets) s.destroy(); server.close(); } });
  return { address, port: server.address().port };
}

describe('diagnostics: errors with code, stage and hint', function () {
  this.timeout(180000);

  describe('untrusted server certificate', function () {
    it('self-signed: DEPTH_ZERO_SELF_SIGNED_CERT, hint names the `ca` option', async function () {
      const { port } = await uvServer({ key: c.selfSignedKey, cert: c.selfSignedCert });
      const { err, events } = await clientError({ port, host: 'localhost' });
      check(err, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'verify', /self-signed.*`ca`/);
      assert.ok(!events.includes('secureConnect'));
    });

    it('unknown CA (node:tls server): UNABLE_TO_GET_ISSUER_CERT_LOCALLY, hint: pass the issuing CA', async function () {
      const server = tracker.track(tls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end()));
      server.on('tlsClientError', () => {});
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { err } = await clientError({ port: server.address().port, host: 'localhost', ca: c.selfSignedCert });
      check(err, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'verify', /issu.*CA.*`ca`/);
    });

    it('missing intermediate (openssl s_server sends only the leaf): UNABLE_TO_VERIFY_LEAF_SIGNATURE', async function () {
      const s = await startSServer(['-cert', c.file('serverCert'), '-key', c.file('serverKey')]);
      tracker.track({ destroy: () => s.child.kill() });
      const { err } = await clientError({ port: s.port, host: 'localhost', ca: c.caCert });
      check(err, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'verify', /intermediate/);
    });
  });

  describe('host name and dates', function () {
    it('host name not in the certificate: the hint lists the names it does hold', async function () {
      const { port } = await uvServer({ key: c.serverKey, cert: c.serverChain });
      const { err } = await clientError({ port, host: '127.0.0.1', servername: 'broker.example.test', ca: c.caCert });
      check(err, 'ERR_TLS_CERT_ALTNAME_INVALID', 'verify', /broker\.example\.test/);
      assert.match(err.hint, /DNS:localhost/);
      assert.match(err.hint, /127\.0\.0\.1/);
      assert.match(err.hint, /`servername`/);
    });

    it('expired: CERT_HAS_EXPIRED, the hint gives this machine\'s clock', async function () {
      const { port } = await uvServer({ key: c.expiredKey, cert: c.expiredCert });
      const { err } = await clientError({ port, host: 'localhost', ca: c.caCert });
      check(err, 'CERT_HAS_EXPIRED', 'verify', /clock says \d{4}-/);
    });

    it('not yet valid: CERT_NOT_YET_VALID, the hint gives this machine\'s clock', async function () {
      const x = extraCerts().notYetValid;
      const { port } = await uvServer({ key: x.key, cert: x.cert });
      const { err } = await clientError({ port, host: 'localhost', ca: c.caCert });
      check(err, 'CERT_NOT_YET_VALID', 'verify', /clock says \d{4}-/);
    });

    it('a client certificate that expired, seen by the server: hint speaks of the client', async function () {
      const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true });
      await clientError({ port, host: 'localhost', ca: c.caCert, key: c.expiredKey, cert: c.expiredCert, maxVersion: 'TLSv1.2' });
      check(await firstError(errors), 'CERT_HAS_EXPIRED', 'verify', /client's certificate has expired.*clock/);
    });
  });

  describe('TLS spoken to a plain-TCP port', function () {
    it('an HTTP server: ERR_SSL_WRONG_VERSION_NUMBER, hint names the port', async function () {
      const { address, port } = await plainServer(0, (s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')));
      const { err } = await clientError({ port, host: address });
      check(err, 'ERR_SSL_WRONG_VERSION_NUMBER', 'handshake', /not TLS/);
      assert.match(err.hint, new RegExp(`:${port}\\b`));
    });

    it('an AMQP broker\'s plain port 5672 that sends its protocol header: hint suggests 5671', async function () {
      const { address, port } = await plainServer(5672, (s) => s.once('data', () => s.end(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'))));
      assert.strictEqual(port, 5672);
      const { err } = await clientError({ port, host: address });
      check(err, 'ERR_SSL_WRONG_VERSION_NUMBER', 'handshake', /5671/);
      assert.match(err.hint, /AMQP/);
    });

    it('a server that accepts and says nothing: handshakeTimeout fails the client with a hint', async function () {
      const { address, port } = await plainServer(1883, () => {});
      const { err } = await clientError({ port, host: address, handshakeTimeout: 400 });
      check(err, 'ERR_TLS_HANDSHAKE_TIMEOUT', 'handshake', /no TLS reply within 400 ms/);
      assert.match(err.hint, /8883/);
    });

    it('a client that connects to a uvtls server and says nothing: tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT', async function () {
      const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain, handshakeTimeout: 300 });
      const sock = tracker.track(net.connect(port, '127.0.0.1'));
      sock.on('error', () => {});
      check(await firstError(errors), 'ERR_TLS_HANDSHAKE_TIMEOUT', 'handshake', /handshakeTimeout/);
    });

    it('plain HTTP sent to a uvtls server: ERR_SSL_HTTP_REQUEST on the server', async function () {
      const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain });
      const sock = tracker.track(net.connect(port, '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
      sock.on('error', () => {});
      check(await firstError(errors), 'ERR_SSL_HTTP_REQUEST', 'handshake', /https:\/\//);
    });
  });

  describe('nothing listening', function () {
    for (const [port, tlsPort, proto] of [[5672, 5671, 'AMQPS'], [1883, 8883, 'MQTTS'], [80, 443, 'HTTPS']]) {
      it(`port ${port}: ECONNREFUSED, hint suggests ${tlsPort} (${proto})`, async function () {
        const address = await unusedAddress(port);
        const { err } = await clientError({ port, host: address });
        check(err, 'ECONNREFUSED', 'connect', new RegExp(`${address.replace(/\./g, '\\.')}:${port}`));
        assert.match(err.hint, new RegExp(`port ${tlsPort}\\b`));
        assert.match(err.hint, new RegExp(proto));
        assert.strictEqual(err.port, port);
      });
    }

    it('a TLS port with nothing on it: hint says the TLS listener may be off', async function () {
      const address = await unusedAddress(8883);
      const { err } = await clientError({ port: 8883, host: address });
      check(err, 'ECONNREFUSED', 'connect', /MQTTS.*TLS listener/);
    });

    it('a host name that does not resolve: stage connect, hint names the host', async function () {
      const { err } = await clientError({ port: 5671, host: 'no-such-host.invalid' });
      assert.ok(err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN', err.code);
      assert.strictEqual(err.stage, 'connect');
      assert.match(err.hint, /no-such-host\.invalid/);
    });
  });

  describe('client certificates (mutual TLS)', function () {
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      it(`${version}: the server requires one and none is given, both sides say so`, async function () {
        const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true });
        const { err } = await clientError({ port, host: 'localhost', ca: c.caCert, maxVersion: version }, { write: true });
        if (version === 'TLSv1.3') {
          check(err, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'read', /client certificate.*`cert` and `key`/);
        } else {
          check(err, await sslv3Alert('HANDSHAKE_FAILURE'), 'handshake', /client certificate.*`cert` and `key`/);
        }
        check(await firstError(errors), 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'handshake', /client certificate/);
      });

      it(`${version}: the server does not trust the client certificate's CA, both sides say so`, async function () {
        const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain, ca: c.selfSignedCert, requestCert: true });
        const { err } = await clientError({ port, host: 'localhost', ca: c.caCert, key: c.clientKey, cert: c.clientCert, maxVersion: version }, { write: true });
        check(err, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', version === 'TLSv1.3' ? 'read' : 'handshake', /trust.*our certificate/);
        const serverErr = await firstError(errors);
        check(serverErr, serverErr.code, 'verify', /server's `ca`/);
        // The client sends its CA too (OpenSSL completes a chain left unset, as for Node's client,
        // which reports SELF_SIGNED_CERT_IN_CHAIN here as well).
        assert.match(serverErr.code, /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/);
      });
    }

    it('openssl s_server -Verify without a client certificate (TLS 1.2): the client hint asks for `cert`', async function () {
      const s = await startSServer(['-cert', c.file('serverCert'), '-key', c.file('serverKey'),
        '-cert_chain', c.file('intermediateCert'), '-CAfile', c.file('caCert'), '-Verify', '1', '-tls1_2']);
      tracker.track({ destroy: () => s.child.kill() });
      const { err } = await clientError({ port: s.port, host: 'localhost', ca: c.caCert });
      check(err, await sslv3Alert('HANDSHAKE_FAILURE'), 'handshake', /client certificate.*`cert` and `key`/);
    });

    it('a TLS 1.3 node:tls server that rejects the client certificate without an alert: ECONNRESET at stage read', async function () {
      // Node's server destroys the socket after the handshake; Node's own client sees only 'end'.
      const server = tracker.track(tls.createServer({
        key: c.serverKey, cert: c.serverChain, ca: c.selfSignedCert, requestCert: true, rejectUnauthorized: true,
      }, (s) => s.end()));
      server.on('tlsClientError', () => {});
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { err, events } = await clientError({ port: server.address().port, host: 'localhost', ca: c.caCert,
        key: c.clientKey, cert: c.clientCert });
      assert.deepStrictEqual(events.slice(0, 1), ['secureConnect']);
      check(err, 'ECONNRESET', 'read', /client certificate/);
      assert.match(err.message, /Peer closed the connection right after the TLS handshake/);
      assert.match(err.hint, /logs/);
    });

    it('a peer that asked for a client certificate and closes right after the handshake while we sent none: the hint says so', async function () {
      // The application drops the client for want of a certificate: a close with no alert and
      // no close_notify (a clean close_notify would be a plain 'end', as in Node).
      const server = tracker.track(tls.createServer({ key: c.serverKey, cert: c.serverChain, requestCert: true, rejectUnauthorized: false }, (s) => s.destroy()));
      server.on('tlsClientError', () => {});
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { err } = await clientError({ port: server.address().port, host: 'localhost', ca: c.caCert });
      check(err, 'ECONNRESET', 'read', /asked for a client certificate and we sent none/);
    });

    it('a server that asked for no client certificate and closes at once: plain \'end\', as Node', async function () {
      const server = tracker.track(tls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end()));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { err, events } = await clientError({ port: server.address().port, host: 'localhost', ca: c.caCert });
      assert.strictEqual(err, null);
      assert.deepStrictEqual(events, ['secureConnect', 'end']);
    });

    it('a peer that answers before closing, or a client that ended first: no error', async function () {
      const server = tracker.track(tls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end('bye')));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const a = await clientError({ port: server.address().port, host: 'localhost', ca: c.caCert });
      assert.strictEqual(a.err, null);
      assert.ok(a.events.includes('end'));
      const quiet = tracker.track(tls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.on('end', () => s.end()).resume()));
      quiet.listen(0, '127.0.0.1');
      await once(quiet, 'listening');
      const b = await within(new Promise((resolve) => {
        const s = tracker.track(uvtls.connect({ port: quiet.address().port, host: 'localhost', ca: c.caCert }, () => s.end()));
        let error = null;
        s.on('error', (e) => { error = e; });
        s.resume();
        s.on('close', () => resolve(error));
      }), STEP_MS, 'close');
      assert.strictEqual(b, null);
    });
  });

  describe('protocol versions, ciphers, key usage', function () {
    it('no common protocol version: both sides name minVersion/maxVersion', async function () {
      const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain, minVersion: 'TLSv1.3' });
      const { err } = await clientError({ port, host: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2' });
      check(err, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'handshake', /minVersion.*maxVersion/);
      check(await firstError(errors), 'ERR_SSL_UNSUPPORTED_PROTOCOL', 'handshake', /minVersion.*maxVersion/);
    });

    it('no common cipher: both sides name `ciphers`', async function () {
      const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
      const { err } = await clientError({ port, host: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
      check(err, await sslv3Alert('HANDSHAKE_FAILURE'), 'handshake', /`ciphers`/);
      check(await firstError(errors), 'ERR_SSL_NO_SHARED_CIPHER', 'handshake', /`ciphers`/);
    });

    it('a server certificate with only the clientAuth EKU: INVALID_PURPOSE, hint asks for serverAuth', async function () {
      const { port, errors } = await uvServer({ key: c.clientKey, cert: c.clientCert });
      const { err } = await clientError({ port, host: '127.0.0.1', servername: 'device-001', ca: c.caCert });
      check(err, 'INVALID_PURPOSE', 'verify', /serverAuth/);
      check(await firstError(errors), await sslv3Alert('UNSUPPORTED_CERTIFICATE'), 'handshake', /key usage/);
    });

    it('a client certificate with only the serverAuth EKU: INVALID_PURPOSE on the server, hint asks for clientAuth', async function () {
      const { port, errors } = await uvServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true });
      const { err } = await clientError({ port, host: 'localhost', ca: c.caCert, key: c.ecServerKey, cert: c.ecServerCert }, { write: true });
      check(err, await sslv3Alert('UNSUPPORTED_CERTIFICATE'), 'read', /key usage/);
      check(await firstError(errors), 'INVALID_PURPOSE', 'verify', /clientAuth/);
    });

    it('a server certificate whose keyUsage lacks digitalSignature: INVALID_PURPOSE', async function () {
      const x = extraCerts().certSignOnly;
      const { port } = await uvServer({ key: x.key, cert: x.cert, maxVersion: 'TLSv1.2' });
      const { err } = await clientError({ port, host: 'localhost', ca: c.caCert });
      assert.ok(err, 'an error');
      assert.ok(['INVALID_PURPOSE', await sslv3Alert('HANDSHAKE_FAILURE')].includes(err.code), err.code);
      assert.strictEqual(typeof err.hint, 'string');
      assert.match(err.hint, /usage|serverAuth|client certificate/);
    });
  });

  describe('keys and certificate files (createSecureContext)', function () {
    function thrown(options) {
      try {
        uvtls.createSecureContext(options);
      } catch (err) {
        return err;
      }
      assert.fail('createSecureContext did not throw');
    }

    it('key and certificate that do not match', function () {
      check(thrown({ key: c.ecServerKey, cert: c.serverCert }), 'ERR_OSSL_X509_KEY_VALUES_MISMATCH', 'context', /does not belong/);
      check(thrown({ key: c.selfSignedKey, cert: c.clientCert }), 'ERR_OSSL_X509_KEY_VALUES_MISMATCH', 'context', /pkey -pubout/);
    });

    it('wrong passphrase', function () {
      check(thrown({ key: c.encryptedServerKey, passphrase: 'wrong', cert: c.serverCert }), 'ERR_OSSL_BAD_DECRYPT', 'context', /`passphrase`/);
      check(thrown({ pfx: c.pfx, passphrase: 'wrong' }), 'ERR_OSSL_PKCS12_MAC_VERIFY_FAILURE', 'context', /`passphrase`/);
    });

    it('DER certificate given as `cert`: the hint is the exact conversion command', function () {
      const err = check(thrown({ cert: c.serverCertDer, key: c.serverKey }), 'ERR_OSSL_PEM_NO_START_LINE', 'context');
      assert.ok(err.hint.includes('openssl x509 -inform der -in cert.der -out cert.pem'), err.hint);
    });

    it('DER key given as `key`: the hint is the exact conversion command', function () {
      const err = thrown({ cert: c.serverCert, key: c.serverKeyDer });
      assert.strictEqual(err.stage, 'context');
      assert.ok(err.hint.includes('openssl pkey -inform der -in key.der -out key.pem'), err.hint);
    });

    it('PKCS#12 given as `cert` or `key`: the hint says to use the pfx option', function () {
      for (const options of [{ cert: c.pfx }, { key: c.pfx }]) {
        const err = thrown(options);
        assert.strictEqual(err.stage, 'context');
        assert.match(err.hint, /PKCS#12/);
        assert.match(err.hint, /`pfx`/);
        assert.match(err.hint, /openssl pkcs12 -in f\.p12 -nodes -out f\.pem/);
      }
    });
  });

  describe('secure pairs', function () {
    it('a server pair judging an untrusted client certificate: server-side hint', async function () {
      const server = uvtls.createSecurePair(uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain, ca: c.selfSignedCert }), true, true, true);
      const client = uvtls.createSecurePair(uvtls.createSecureContext({ ca: c.caCert, key: c.clientKey, cert: c.clientCert }), false, false, true, { servername: 'localhost' });
      client.on('error', () => {});
      server.encrypted.pipe(client.encrypted).pipe(server.encrypted);
      const [serverErr] = await within(once(server, 'error'), STEP_MS, 'pair error');
      // The client's chain is completed from its `ca` (as Node's): the root arrives too.
      check(serverErr, 'SELF_SIGNED_CERT_IN_CHAIN', 'verify', /server's `ca`/);
      server.destroy();
      client.destroy();
    });

    it('a client pair meeting a self-signed server: client-side hint', async function () {
      const server = uvtls.createSecurePair(uvtls.createSecureContext({ key: c.selfSignedKey, cert: c.selfSignedCert }), true);
      const client = uvtls.createSecurePair(uvtls.createSecureContext({ ca: c.caCert }), false, false, true, { servername: 'localhost' });
      server.on('error', () => {});
      server.encrypted.pipe(client.encrypted).pipe(server.encrypted);
      const [err] = await within(once(client, 'error'), STEP_MS, 'pair error');
      check(err, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'verify', /`ca`/);
      server.destroy();
      client.destroy();
    });
  });
});

describe('diagnostics: peer identity and connection info', function () {
  this.timeout(180000);

  // A mutual-TLS server; resolves with the server socket of one connection from `clientOptions`.
  async function mtls(clientOptions, serverOptions = {}) {
    const { server, port } = await uvServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true, ...serverOptions });
    const accepted = once(server, 'secureConnection');
    const client = tracker.track(uvtls.connect({ port, host: 'localhost', ca: c.caCert, ...clientOptions }));
    client.on('error', () => {});
    await within(once(client, 'secureConnect'), STEP_MS, 'secureConnect');
    const [socket] = await within(accepted, STEP_MS, 'secureConnection');
    return { server, port, client, socket };
  }

  function thrown(fn) {
    try { fn(); } catch (err) { return err; }
    assert.fail('did not throw');
  }

  it('common_name, distinguished_name (RFC 4514) and each SAN type, with RabbitMQ\'s option names', async function () {
    const id = extraCerts().identity;
    const { socket } = await mtls({ key: id.key, cert: id.cert });
    assert.strictEqual(socket.getPeerIdentity({ from: 'common_name' }), '#user; <x> ');
    assert.strictEqual(socket.getPeerIdentity({ from: 'distinguished_name' }),
      'CN=\\#user\\; \\<x\\>\\ ,OU=a\\+b \\"q\\",O=Müller\\, Söhne & Co,C=DE');
    const san = (sanType, index) => socket.getPeerIdentity({ from: 'subject_alternative_name', sanType, index });
    assert.strictEqual(san('dns'), 'one.example.test');
    assert.strictEqual(san('dns', 1), 'two.example.test');
    assert.strictEqual(san('ip'), '10.0.0.7');
    assert.strictEqual(san('email'), 'user@example.com');
    assert.strictEqual(san('uri'), 'spiffe://example.test/user');
    assert.strictEqual(san('other_name'), 'upn-user@example.com');
    assert.strictEqual(socket.getPeerIdentity({ ssl_cert_login_from: 'subject_alternative_name',
      ssl_cert_login_san_type: 'dns', ssl_cert_login_san_index: 1 }), 'two.example.test');
    assert.strictEqual(socket.getPeerIdentity({ ssl_cert_login_from: 'common_name' }), '#user; <x> ');
  });

  it('clear errors: index out of range, no such SAN type, no CN, bad options', async function () {
    const id = extraCerts().identity;
    const { socket } = await mtls({ key: id.key, cert: id.cert });
    let err = thrown(() => socket.getPeerIdentity({ from: 'subject_alternative_name', sanType: 'dns', index: 2 }));
    assert.strictEqual(err.code, 'ERR_UVTLS_IDENTITY_NOT_FOUND');
    assert.match(err.message, /the certificate has 2 DNS names; index 2 is out of range/);
    assert.match(err.hint, /dns:one\.example\.test/);
    err = thrown(() => socket.getPeerIdentity({ from: 'subject_alternative_name', sanType: 'ip', index: 1 }));
    assert.match(err.message, /the certificate has 1 IP address; index 1 is out of range/);
    for (const bad of [{ from: 'cn' }, {}, { from: 'subject_alternative_name' },
      { from: 'subject_alternative_name', sanType: 'dns', index: -1 }, { from: 'subject_alternative_name', sanType: 'x400' }]) {
      err = thrown(() => socket.getPeerIdentity(bad));
      assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE', JSON.stringify(bad));
      assert.strictEqual(typeof err.hint, 'string');
    }
    const noCn = extraCerts().noCn;
    const other = await mtls({ key: noCn.key, cert: noCn.cert });
    err = thrown(() => other.socket.getPeerIdentity({ from: 'common_name' }));
    assert.strictEqual(err.code, 'ERR_UVTLS_IDENTITY_NOT_FOUND');
    assert.match(err.message, /the certificate has no CN/);
    assert.strictEqual(other.socket.getPeerIdentity({ from: 'distinguished_name' }), 'OU=Devices,O=No Common Name Org');
    err = thrown(() => other.socket.getPeerIdentity({ from: 'subject_alternative_name', sanType: 'email' }));
    assert.match(err.message, /no email address/);
  });

  it('no client certificate: ERR_UVTLS_NO_PEER_CERTIFICATE with a hint about requestCert; clients read the server\'s', async function () {
    const { socket, client } = await mtls({}, { requestCert: false });
    const err = thrown(() => socket.getPeerIdentity({ from: 'common_name' }));
    assert.strictEqual(err.code, 'ERR_UVTLS_NO_PEER_CERTIFICATE');
    assert.match(err.hint, /requestCert: true/);
    assert.strictEqual(client.getPeerIdentity({ from: 'common_name' }), 'localhost');
    assert.strictEqual(client.getPeerIdentity({ from: 'subject_alternative_name', sanType: 'ip', index: 1 }), '::1');
  });

  it('getConnectionInfo() and getNegotiatedGroup inside tlsClientError for a client that never sent a ClientHello', async function () {
    // Found by fuzz_engine_server: asking a server engine with no session for its group crashed.
    const { server, port } = await uvServer({ key: c.serverKey, cert: c.serverChain });
    server.removeAllListeners('tlsClientError');
    const seen = new Promise((resolve) => {
      server.once('tlsClientError', (err, socket) => {
        resolve({ err, info: socket.getConnectionInfo(), handleOpen: !!socket._handle });
      });
    });
    const raw = net.connect(port, '127.0.0.1', () => raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    raw.on('error', () => {});
    const { err, info, handleOpen } = await within(seen, STEP_MS, 'tlsClientError');
    raw.destroy();
    assert.strictEqual(err.code, 'ERR_SSL_HTTP_REQUEST');
    assert.strictEqual(handleOpen, true, 'the engine is still there to be asked');
    assert.strictEqual(info.keyExchangeGroup, null);
  });

  it('getCertificateRequest(): the CA names a server asks for, also after a TLS 1.2 handshake it failed', async function () {
    const { socket, client } = await mtls({ key: c.clientKey, cert: c.clientCert });
    assert.strictEqual(socket.getCertificateRequest(), null); // servers are never asked
    assert.deepStrictEqual(client.getCertificateRequest().caNames, ['CN=uvtls Test Root CA']);
    // No request: null.
    const plain = await uvServer({ key: c.serverKey, cert: c.serverChain });
    const asked = tracker.track(uvtls.connect({ port: plain.port, host: 'localhost', ca: c.caCert }));
    await within(once(asked, 'secureConnect'), STEP_MS, 'secureConnect');
    assert.strictEqual(asked.getCertificateRequest(), null);
    // TLS 1.2, certificate required and none given: the server ends the handshake; the socket
    // still says what was asked.
    const strict = await uvServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true,
      rejectUnauthorized: true, maxVersion: 'TLSv1.2' });
    strict.server.on('tlsClientError', () => {});
    const refused = tracker.track(uvtls.connect({ port: strict.port, host: 'localhost', ca: c.caCert }));
    const [err] = await within(once(refused, 'error'), STEP_MS, 'error');
    assert.ok(err.code, 'a coded error');
    assert.deepStrictEqual(refused.getCertificateRequest(), { caNames: ['CN=uvtls Test Root CA'] });
  });

  it('getConnectionInfo(): both sides of a mutual-TLS connection', async function () {
    const { socket, client } = await mtls({ key: c.clientKey, cert: c.clientCert, ALPNProtocols: ['amqp'], servername: 'localhost' },
      { ALPNProtocols: ['amqp'] });
    client.write('ping');
    await within(once(socket, 'data'), STEP_MS, 'data');
    const s = socket.getConnectionInfo();
    const k = client.getConnectionInfo();
    for (const info of [s, k]) {
      assert.strictEqual(Object.getPrototypeOf(info), Object.prototype);
      assert.strictEqual(info.protocol, 'TLSv1.3');
      assert.match(info.cipher.name, /^TLS_/);
      assert.strictEqual(info.cipher.standardName, info.cipher.name);
      assert.strictEqual(typeof info.keyExchangeGroup, 'string');
      assert.strictEqual(info.alpnProtocol, 'amqp');
      assert.strictEqual(info.sessionReused, false);
      assert.strictEqual(info.authorized, true);
      assert.strictEqual(info.authorizationError, null);
      assert.ok(!Number.isNaN(Date.parse(info.connectedAt)));
      assert.doesNotThrow(() => JSON.stringify(info));
    }
    assert.strictEqual(s.isServer, true);
    assert.strictEqual(k.isServer, false);
    assert.strictEqual(s.servername, 'localhost');
    assert.strictEqual(s.peerCertificate.subject, 'CN=device-001,O=uvtls IoT');
    assert.strictEqual(s.peerCertificate.issuer, 'CN=uvtls Test Root CA');
    assert.strictEqual(k.peerCertificate.subject, 'CN=localhost');
    assert.strictEqual(k.peerCertificate.issuer, 'CN=uvtls Test Intermediate CA');
    assert.match(k.peerCertificate.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(Date.parse(k.peerCertificate.validFrom) < Date.now() && Date.now() < Date.parse(k.peerCertificate.validTo));
    assert.strictEqual(s.peerPort, k.localPort);
    assert.strictEqual(k.peerPort, s.localPort);
    assert.strictEqual(s.peerAddress, '127.0.0.1');
    assert.ok(s.bytesRead >= k.bytesWritten - 100 && k.bytesWritten > 0);
    assert.strictEqual(s.keyExchangeGroup, k.keyExchangeGroup);

    // After the close: what is known stays readable.
    client.destroy();
    await once(client, 'close');
    const after = client.getConnectionInfo();
    assert.strictEqual(after.protocol, 'TLSv1.3');
    assert.strictEqual(after.peerCertificate.subject, 'CN=localhost');
    assert.ok(after.bytesWritten >= k.bytesWritten);
    assert.strictEqual(after.connectedAt, k.connectedAt);
  });

  it('getConnectionInfo() of a socket over a JS duplex ({socket}), TLS 1.2', async function () {
    const { server, port } = await uvServer({ key: c.serverKey, cert: c.serverChain, maxVersion: 'TLSv1.2' });
    const raw = net.connect(port, '127.0.0.1');
    const client = tracker.track(uvtls.connect({ socket: raw, servername: 'localhost', ca: c.caCert }));
    await within(once(client, 'secureConnect'), STEP_MS, 'secureConnect');
    const info = client.getConnectionInfo();
    assert.strictEqual(info.protocol, 'TLSv1.2');
    assert.match(info.cipher.standardName, /^TLS_ECDHE_RSA_WITH_/);
    assert.strictEqual(info.peerCertificate.subject, 'CN=localhost');
    assert.strictEqual(info.peerPort, port);
    assert.strictEqual(info.localPort, raw.localPort);
    assert.strictEqual(info.servername, 'localhost');
    assert.strictEqual(typeof info.keyExchangeGroup, 'string');
    assert.ok(info.bytesWritten > 0);
    assert.strictEqual(server.getConnectionsInfo().length, 1);
  });

  it('server.getConnectionsInfo(): one entry per open connection, [] once they close', async function () {
    const { server, port } = await uvServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true });
    assert.deepStrictEqual(server.getConnectionsInfo(), []);
    const id = extraCerts();
    const creds = [[c.clientKey, c.clientCert, 'CN=device-001,O=uvtls IoT'], [id.noCn.key, id.noCn.cert, 'OU=Devices,O=No Common Name Org'],
      [id.identity.key, id.identity.cert, 'CN=\\#user\\; \\<x\\>\\ ,OU=a\\+b \\"q\\",O=Müller\\, Söhne & Co,C=DE']];
    const clients = [];
    for (const [key, cert] of creds) {
      const cl = tracker.track(uvtls.connect({ port, host: 'localhost', ca: c.caCert, key, cert }));
      cl.on('error', () => {});
      await within(once(cl, 'secureConnect'), STEP_MS, 'secureConnect');
      clients.push(cl);
    }
    await waitUntil(() => server.getConnectionsInfo().length >= 3, 'three connections in getConnectionsInfo()');
    const infos = server.getConnectionsInfo();
    assert.strictEqual(infos.length, 3);
    const byPort = new Map(infos.map((x) => [x.peerPort, x]));
    clients.forEach((cl, i) => {
      const info = byPort.get(cl.localPort);
      assert.ok(info, `an entry for client port ${cl.localPort}`);
      assert.strictEqual(info.peerCertificate.subject, creds[i][2]);
      assert.strictEqual(info.isServer, true);
      assert.strictEqual(info.localPort, port);
    });
    for (const cl of clients) cl.end();
    await waitUntil(() => server.getConnectionsInfo().length === 0, 'getConnectionsInfo() to empty').catch(() => {});
    assert.deepStrictEqual(server.getConnectionsInfo(), []);
    assert.strictEqual(server._secureSockets.size, 0);
  });
});
