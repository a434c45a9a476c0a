'use strict';
// The misconfiguration matrix of issue 16: one real server (uvtls, Node's tls or `openssl
// s_server`) per classic mistake, on loopback, port 0; `uvtls doctor` must exit 1, name the one
// cause (a stable `cause` id in --json) and print no other [FAIL] line. A good server of each
// kind passes. The same mistakes in files go through `uvtls check` (test/check-matrix.test.js).
const assert = require('assert');
const { spawn } = require('child_process');
const net = require('net');
const path = require('path');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { pki } = require('./fixtures/matrix-pki');
const { nodeChildEnv } = require('./helpers');

const BIN = path.join(__dirname, '..', 'bin', 'uvtls.js');

function cli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: nodeChildEnv({ NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// The command run twice at once: as text (for the [FAIL] lines a user reads) and as --json.
async function both(args) {
  const [text, json] = await Promise.all([cli(['doctor', ...args]), cli(['doctor', ...args, '--json'])]);
  let parsed;
  try { parsed = JSON.parse(json.stdout); } catch {
    throw new Error(`not JSON (exit ${json.code}): ${json.stdout}\n${json.stderr}`);
  }
  return { text, json: parsed, code: json.code };
}

// Exit 1, exactly one failing check with `cause`, exactly one [FAIL] line, the top-level cause.
function assertOneCause(r, cause, name) {
  const fails = r.json.checks.filter((c) => c.status === 'fail');
  const where = `\n${r.text.stdout}`;
  assert.strictEqual(r.code, 1, `exit ${r.code}${where}`);
  assert.strictEqual(r.text.code, 1, where);
  assert.deepStrictEqual(fails.map((c) => c.cause), [cause], where);
  assert.strictEqual(r.json.cause, cause, where);
  if (name) assert.strictEqual(fails[0].name, name, where);
  assert.strictEqual((r.text.stdout.match(/^\[FAIL\]/gm) || []).length, 1, where);
  assert.ok(fails[0].hint, `no hint${where}`);
  // UVTLS_MATRIX_VERDICTS=file collects each row's verdict line (for reports).
  if (process.env.UVTLS_MATRIX_VERDICTS) {
    require('fs').appendFileSync(process.env.UVTLS_MATRIX_VERDICTS, `${cause}\t${r.text.stdout.match(/^\[FAIL\].*$/m)[0]}\n`);
  }
  return fails[0];
}

const servers = [];
after(() => {
  for (const s of servers) s.stop();
});

async function listen(server) {
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push({ stop: () => server.close() });
  return server.address().port;
}

function handler(s) {
  s.on('error', () => {});
  s.resume();
}

const p = () => pki();
const uvtlsServer = (options) => listen(uvtls.createServer(options, handler));
const nodeServer = (options) => listen(tls.createServer(options, handler));
const pair = (name) => ({ key: p().read(`${name}.key`), cert: p().read(`${name}.pem`) });

// `openssl s_server` on an ephemeral port; the port comes from its ACCEPT line.
async function opensslServer(args) {
  const child = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', ...args], {
    cwd: p().dir, stdio: ['pipe', 'pipe', 'pipe'],
  });
  servers.push({ stop: () => child.kill() });
  let out = '';
  child.stderr.on('data', (d) => { out += d; });
  for (;;) {
    const m = /ACCEPT .*:(\d+)/.exec(out);
    if (m) return Number(m[1]);
    const [chunk] = await Promise.race([once(child.stdout, 'data'), once(child, 'exit').then(() => {
      throw new Error(`openssl s_server exited: ${out}`);
    })]);
    out += chunk;
  }
}

describe('uvtls doctor: the misconfiguration matrix', function () {
  this.timeout(60000);
  const f = (n) => p().file(n);
  const CA = () => ['--ca', f('root.pem')];

  before(function () {
    this.timeout(60000);
    pki();
  });

  describe('good servers pass, and only true lines are printed', () => {
    it('a uvtls server that sends only its leaf: 1 certificate sent, the root from --ca', async () => {
      const port = await uvtlsServer(pair('server'));
      const r = await both([`localhost:${port}`, ...CA()]);
      assert.strictEqual(r.code, 0, r.text.stdout);
      assert.strictEqual(r.json.cause, null);
      assert.strictEqual(r.json.tls.sentChain.length, 1);
      assert.deepStrictEqual(r.json.tls.chain.map((c) => c.sent), [true, false]);
      assert.match(r.text.stdout, /\[info\] the server sent 1 certificate\n/);
      assert.match(r.text.stdout, /CN=Matrix Root CA {2}\[not sent: from the local trust store\]/);
      assert.doesNotMatch(r.text.stdout, /as sent|2 certificates/);
    });

    it('Node\'s tls and openssl s_server, TLS 1.2 and 1.3, with a client certificate', async () => {
      const nport = await nodeServer({ ...pair('server'), ca: p().read('root.pem'), requestCert: true,
        rejectUnauthorized: true, maxVersion: 'TLSv1.2' });
      const sport = await opensslServer(['-cert', 'server.pem', '-key', 'server.key', '-Verify', '1',
        '-verify_return_error', '-CAfile', 'root.pem']);
      for (const port of [nport, sport]) {
        const r = await both([`localhost:${port}`, ...CA(), '--cert', f('client.pem'), '--key', f('client.key')]);
        assert.strictEqual(r.code, 0, r.text.stdout);
        assert.strictEqual(r.json.checks.find((c) => c.name === 'client-certificate').status, 'ok');
      }
    });

    it('a server that closes right after the handshake without asking for a certificate: info, exit 0', async () => {
      const port = await listen(uvtls.createServer(pair('server'), (s) => {
        s.on('error', () => {});
        s.end();
      }));
      const r = await both([`localhost:${port}`, ...CA()]);
      assert.strictEqual(r.code, 0, r.text.stdout);
      assert.doesNotMatch(r.text.stdout, /\[FAIL\]/);
      assert.match(r.text.stdout, /\[info\] the server did not ask for a client certificate/);
    });
  });

  // [row, server (resolves with the port), doctor arguments after HOST:PORT, cause, check name]
  const rows = [
    ['untrusted self-signed (uvtls)', () => uvtlsServer(pair('selfSigned')), CA, 'self-signed', 'verify'],
    ['unknown CA: chain up to another root (Node tls)', () => nodeServer({ key: p().read('other.key'),
      cert: p().read('other+root.pem') }), CA, 'unknown-ca', 'verify'],
    ['unknown CA, no --ca: Node\'s roots (uvtls)', () => uvtlsServer({ key: p().read('other.key'),
      cert: p().read('other+root.pem') }), () => [], 'unknown-ca', 'verify'],
    ['missing intermediate (openssl)', () => opensslServer(['-cert', 'chained.pem', '-key', 'chained.key']),
      CA, 'issuer-not-found', 'verify'],
    ['expired (uvtls)', () => uvtlsServer(pair('expired')), CA, 'expired', 'dates'],
    ['not yet valid (Node tls)', () => nodeServer(pair('notYet')), CA, 'not-yet-valid', 'dates'],
    ['wrong host name, DNS (uvtls)', () => uvtlsServer(pair('server')),
      () => [...CA(), '--servername', 'mq.example.test'], 'hostname-mismatch', 'hostname'],
    ['wrong host name, IP (openssl)', () => opensslServer(['-cert', 'dnsOnly.pem', '-key', 'dnsOnly.key']),
      CA, 'hostname-mismatch', 'hostname', '127.0.0.1'],
    ['server certificate without serverAuth (uvtls)', () => uvtlsServer(pair('noServerAuth')), CA,
      'server-cert-purpose', 'usage'],
    ['keyUsage without digitalSignature (openssl)', () => opensslServer(['-cert', 'noDigSig.pem',
      '-key', 'noDigSig.key']), CA, 'key-usage', 'usage'],
    ['client certificate required and missing, TLS 1.3 (uvtls)', () => uvtlsServer({ ...pair('server'),
      ca: p().read('root.pem'), requestCert: true, rejectUnauthorized: true }), CA, 'client-cert-required',
    'client-certificate'],
    ['client certificate required and missing, TLS 1.2 (Node tls)', () => nodeServer({ ...pair('server'),
      ca: p().read('root.pem'), requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }), CA,
    'client-cert-required'],
    ['client certificate from a CA the server does not accept (Node tls: a bare close)', () => nodeServer({
      ...pair('server'), ca: p().read('root.pem'), requestCert: true, rejectUnauthorized: true }),
    () => [...CA(), '--cert', f('otherClient.pem'), '--key', f('otherClient.key')], 'client-cert-unknown-ca',
    'client-certificate'],
    ['client certificate from another CA, server sends no CA names (openssl)', () => opensslServer(['-cert',
      'server.pem', '-key', 'server.key', '-Verify', '1', '-verify_return_error', '-verifyCAfile', 'root.pem']),
    () => [...CA(), '--cert', f('otherClient.pem'), '--key', f('otherClient.key')], 'client-cert-unknown-ca',
    'client-certificate'],
    ['client certificate without clientAuth (openssl)', () => opensslServer(['-cert', 'server.pem', '-key',
      'server.key', '-Verify', '1', '-verify_return_error', '-CAfile', 'root.pem']),
    () => [...CA(), '--cert', f('clientNoClientAuth.pem'), '--key', f('clientNoClientAuth.key')],
    'client-cert-purpose', 'client-certificate'],
    ['client certificate expired (uvtls: alert)', () => uvtlsServer({ ...pair('server'),
      ca: p().read('root.pem'), requestCert: true, rejectUnauthorized: true }),
    () => [...CA(), '--cert', f('clientExpired.pem'), '--key', f('clientExpired.key')], 'client-cert-expired',
    'client-certificate'],
    ['client certificate expired (Node tls, TLS 1.2: a bare close)', () => nodeServer({ ...pair('server'),
      ca: p().read('root.pem'), requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }),
    () => [...CA(), '--cert', f('clientExpired.pem'), '--key', f('clientExpired.key')], 'client-cert-expired'],
    ['no common protocol version (openssl, TLS 1.1 only)', () => opensslServer(['-cert', 'server.pem', '-key',
      'server.key', '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']), CA, 'protocol-version', 'handshake'],
    ['no common cipher (openssl, CAMELLIA only)', () => opensslServer(['-cert', 'server.pem', '-key', 'server.key',
      '-tls1_2', '-cipher', 'ECDHE-ECDSA-CAMELLIA128-SHA256']), CA, 'no-shared-cipher', 'handshake'],
    ['plain TCP on the port', () => listen(net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    })), CA, 'plain-tcp', 'handshake'],
    ['nothing listening', async () => {
      const probe = net.createServer().listen(0, '127.0.0.1');
      await once(probe, 'listening');
      const { port } = probe.address();
      probe.close();
      await once(probe, 'close');
      return port;
    }, CA, 'connection-refused', 'tcp'],
    ['DER file given as PEM (--ca)', () => uvtlsServer(pair('server')), () => ['--ca', f('root.der')],
      'not-pem', 'ca'],
    ['PKCS#12 file given as PEM (--cert)', () => uvtlsServer(pair('server')),
      () => [...CA(), '--cert', f('client.p12'), '--key', f('client.key')], 'not-pem', 'cert'],
    ['key not matching the certificate', () => uvtlsServer(pair('server')),
      () => [...CA(), '--cert', f('client.pem'), '--key', f('server.key')], 'key-mismatch', 'key'],
    ['wrong passphrase', () => uvtlsServer(pair('server')),
      () => [...CA(), '--cert', f('client.pem'), '--key', f('clientEnc.key'), '--passphrase', 'wrong horse'],
      'wrong-passphrase', 'key'],
    ['SNI name the server does not serve (openssl)', () => opensslServer(['-cert', 'served.pem', '-key',
      'served.key', '-servername', 'served.test', '-cert2', 'served.pem', '-key2', 'served.key',
      '-servername_fatal']), CA, 'sni-unknown-name', 'handshake'],
  ];

  for (const [row, server, args, cause, name, host = 'localhost'] of rows) {
    it(`${row}: ${cause}`, async () => {
      const port = await server();
      const r = await both([`${host}:${port}`, ...args()]);
      const failed = assertOneCause(r, cause, name);
      if (process.env.UVTLS_MATRIX_VERDICTS) process.stderr.write(`${row}\t${failed.message}\n`);
    });
  }

  it('getPeerChain: "sent" is what the server sent, "verified" adds the root from ca', async () => {
    const port = await uvtlsServer(pair('server'));
    const socket = uvtls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: p().read('root.pem') });
    await once(socket, 'secureConnect');
    const fp = (b) => new (require('crypto').X509Certificate)(b).fingerprint256;
    const leaf = fp(p().read('server.pem'));
    const root = fp(p().read('root.pem'));
    assert.deepStrictEqual(socket._handle.getPeerChain('sent').map(fp), [leaf]);
    assert.deepStrictEqual(socket._handle.getPeerChain('verified').map(fp), [leaf, root]);
    socket.destroy();
  });

  it('an expired certificate from the CA in --ca: the chain is reported as trusted, only the date fails', async () => {
    const port = await uvtlsServer(pair('expired'));
    const r = await both([`localhost:${port}`, ...CA()]);
    assertOneCause(r, 'expired', 'dates');
    assert.doesNotMatch(r.text.stdout, /does not hold/);
    assert.match(r.text.stdout, /\[ ok \] the chain leads to "CN=Matrix Root CA" in .*root\.pem/);
    assert.strictEqual(r.json.tls.sentChain.length, 1);
  });

  it('a rejected client certificate names the accepted CAs and the issuer of --cert', async () => {
    const port = await uvtlsServer({ ...pair('server'), ca: p().read('root.pem'), requestCert: true,
      rejectUnauthorized: true });
    const r = await both([`localhost:${port}`, ...CA(), '--cert', f('otherClient.pem'), '--key', f('otherClient.key')]);
    const failed = assertOneCause(r, 'client-cert-unknown-ca', 'client-certificate');
    assert.strictEqual(failed.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    assert.ok(failed.details.includes('accepts: CN=Matrix Root CA'), failed.details);
    assert.ok(failed.details.includes('--cert is issued by "CN=Other Root CA", which is not among them'), failed.details);
  });
});
