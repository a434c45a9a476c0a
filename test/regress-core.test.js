'use strict';
// Regression tests for issue 11, core and binding items: process-wide OpenSSL state and workers
// (5), type tags (6), NUL in certificate strings (3), bounded chain walks (4), session id
// context on every server context (8), `authorized` on resumed sessions (9), one 'session' per
// ticket (17). Real peers on loopback: Node's tls and openssl.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { execFileSync, spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const binding = require('../lib/binding');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const root = path.join(__dirname, '..');

// Runs a Node child process to its end; resolves with {code, signal, stdout, stderr}.
function runNode(args, ms = 60000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: h.nodeChildEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`child timed out: ${stderr}`)); }, ms);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

// A scratch dir for certificates made by the openssl command line, removed at the end.
let scratch = null;
function tmp(name) {
  if (!scratch) scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-regress-core-'));
  return path.join(scratch, name);
}
after(() => { if (scratch) fs.rmSync(scratch, { recursive: true, force: true }); });

function openssl(args) {
  const emptyConf = tmp('empty.cnf');
  if (!fs.existsSync(emptyConf)) fs.writeFileSync(emptyConf, '');
  return execFileSync('openssl', args, {
    cwd: scratch, env: { ...h.toolEnv(), OPENSSL_CONF: emptyConf }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('issue 11 (core): nothing process-wide outlives the addon (item 5)', function () {
  this.timeout(90000);

  it('a worker loads uvtls, connects and exits; then Node\'s own contexts are created and freed', async () => {
    // The main thread never loads uvtls. Before the fix, the worker registered an SSL_CTX ex_data
    // free callback in the process-wide OpenSSL; once the addon was unloaded with the worker,
    // the next SSL_CTX_free (Node's own) jumped into unmapped code.
    const script = `
      'use strict';
      const { Worker } = require('worker_threads');
      const tls = require('tls');
      const w = new Worker(${JSON.stringify(`
        'use strict';
        const { parentPort } = require('worker_threads');
        const uvtls = require(${JSON.stringify(root)});
        const { certs } = require(${JSON.stringify(path.join(__dirname, 'fixtures', 'certs'))});
        const c = certs();
        for (let i = 0; i < 5; i++) uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain });
        const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end('hi'));
        server.listen(0, '127.0.0.1', () => {
          const sock = uvtls.connect({ port: server.address().port, host: '127.0.0.1',
            servername: 'localhost', ca: c.caCert }, () => {
            sock.on('data', () => {});
            sock.on('end', () => { sock.end(); server.close(() => parentPort.postMessage('done')); });
          });
          sock.on('session', () => {});
        });
      `)}, { eval: true });
      let done = false;
      w.on('message', (m) => { done = m === 'done'; });
      w.on('error', (e) => { console.error(e); process.exitCode = 3; });
      w.on('exit', () => {
        if (!done) { console.error('worker did not finish'); process.exitCode = 4; }
        for (let i = 0; i < 50; i++) tls.createSecureContext({});
        global.gc();
        setImmediate(() => {
          for (let i = 0; i < 50; i++) tls.createSecureContext({});
          global.gc();
          console.log('main survived');
        });
      });
    `;
    const r = await runNode(['--expose-gc', '-e', script]);
    assert.strictEqual(r.signal, null, `child died of ${r.signal}: ${r.stderr}`);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /main survived/);
  });
});

describe('issue 11 (core): native objects are type-checked at every unwrap (item 6)', function () {
  this.timeout(60000);

  it('a Conn, Server or plain object where a SecureContext is wanted is a TypeError', async () => {
    // In a child process: before the fix this was a segfault in SSL_new, which would take the
    // test runner down with it.
    const script = `
      'use strict';
      const assert = require('assert');
      const uvtls = require(${JSON.stringify(root)});
      const binding = require(${JSON.stringify(path.join(root, 'lib', 'binding'))});
      const { certs } = require(${JSON.stringify(path.join(__dirname, 'fixtures', 'certs'))});
      const c = certs();
      const ctx = uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain }).context;
      const engine = new binding.Conn(ctx, { external: true });
      const typeError = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
      const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end());
      server.listen(0, '127.0.0.1', () => {
        const sock = uvtls.connect({ port: server.address().port, host: '127.0.0.1',
          servername: 'localhost', ca: c.caCert }, () => {
          const conn = sock._handle;
          const nativeServer = server._handle;
          assert.ok(conn && nativeServer, 'native handles found');
          for (const wrong of [engine, conn, nativeServer, {}, Object.create(binding.SecureContext.prototype)]) {
            assert.throws(() => new binding.Conn(wrong, {}), typeError);
            assert.throws(() => new binding.Server(wrong, {}), typeError);
            assert.throws(() => nativeServer.setContext(wrong), typeError);
            assert.throws(() => conn.resumeHello(wrong), typeError);
          }
          assert.throws(() => new binding.Conn(42, { external: true }), typeError);
          // A method called on an object of another class never reaches native code.
          assert.throws(() => binding.Conn.prototype.write.call(ctx, 'x'), TypeError);
          assert.throws(() => binding.SecureContext.prototype.addCA.call(engine, c.caCert), TypeError);
          // The right objects still work.
          engine.close();
          nativeServer.setContext(ctx);
          sock.destroy();
          server.close(() => console.log('type checks ok'));
        });
      });
    `;
    const r = await runNode(['-e', script]);
    assert.strictEqual(r.signal, null, `child died of ${r.signal}: ${r.stderr}`);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /type checks ok/);
  });
});

// --- DER surgery for certificates the openssl command line cannot make -----------------------

// Length of the DER element at `off`: [headerLength, contentLength].
function derLength(buf, off) {
  const first = buf[off + 1];
  if (first < 0x80) return [2, first];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i];
  return [2 + n, len];
}

// Replaces every `from` with `to` (same length) inside the TBSCertificate of an RSA-SHA256
// certificate and signs it again with `keyPem`: the signature keeps its length, so no length
// field changes.
function patchAndResign(certPem, keyPem, from, to) {
  assert.strictEqual(from.length, to.length);
  const der = new crypto.X509Certificate(certPem).raw;
  const [outerHead] = derLength(der, 0);
  const tbsStart = outerHead;
  const [tbsHead, tbsLen] = derLength(der, tbsStart);
  const tbs = Buffer.from(der.subarray(tbsStart, tbsStart + tbsHead + tbsLen));
  let at = tbs.indexOf(from);
  assert.ok(at >= 0, 'pattern found');
  while (at >= 0) { to.copy(tbs, at); at = tbs.indexOf(from, at + 1); }
  const signature = crypto.sign('sha256', tbs, keyPem);
  const out = Buffer.from(der);
  tbs.copy(out, tbsStart);
  assert.strictEqual(signature.length, 256);
  signature.copy(out, out.length - signature.length);
  const b64 = out.toString('base64').match(/.{1,64}/g).join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

describe('issue 11 (core): certificate strings keep their NUL bytes (item 3)', function () {
  this.timeout(60000);
  const forgedCN = 'localhost\0.attacker.example';
  let key;
  let cert;
  const t = h.openTracker();
  afterEach(() => t.closeAll());

  before(() => {
    // A self-signed RSA certificate, CN only (no DNS SAN), whose CN holds a NUL.
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', tmp('nul.key'),
      '-out', tmp('nul.pem'), '-subj', '/CN=localhostX.attacker.example', '-days', '30']);
    key = fs.readFileSync(tmp('nul.key'));
    cert = patchAndResign(fs.readFileSync(tmp('nul.pem')), key,
      Buffer.from('localhostX.attacker'), Buffer.from('localhost\0.attacker'));
    assert.ok(new crypto.X509Certificate(cert).verify(new crypto.X509Certificate(cert).publicKey));
  });

  async function clientResult(connect, serverFactory) {
    const server = t.track(serverFactory({ key, cert }, (s) => { s.on('error', () => {}); s.end(); }));
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new Promise((resolve) => {
      const sock = t.track(connect({ port: server.address().port, host: '127.0.0.1',
        servername: 'localhost', ca: cert }));
      sock.on('secureConnect', () => resolve({ secure: true, sock }));
      sock.on('error', (err) => resolve({ secure: false, err, sock }));
    });
  }

  for (const [name, serverFactory] of [['uvtls', uvtls.createServer], ['Node', tls.createServer]]) {
    it(`a CN "localhost\\0.attacker.example" is refused for host localhost (${name} server)`, async () => {
      const node = await clientResult(tls.connect, serverFactory);
      assert.strictEqual(node.secure, false, 'Node rejects it');
      assert.strictEqual(node.err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      const ours = await clientResult(uvtls.connect, serverFactory);
      assert.strictEqual(ours.secure, false, 'uvtls rejects it as Node does');
      assert.strictEqual(ours.err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    });
  }

  it('getPeerCertificate() keeps the whole CN, NUL included, and checkServerIdentity refuses it', async () => {
    const got = await clientResult((o) => uvtls.connect({ ...o, rejectUnauthorized: false }), uvtls.createServer);
    assert.strictEqual(got.secure, true);
    const peer = got.sock.getPeerCertificate(true);
    assert.strictEqual(peer.subject.CN, forgedCN);
    assert.strictEqual(peer.issuer.CN, forgedCN);
    assert.strictEqual(got.sock.authorized, false);
    assert.strictEqual(got.sock.authorizationError.code || got.sock.authorizationError, 'ERR_TLS_CERT_ALTNAME_INVALID');
    const err = uvtls.checkServerIdentity('localhost', peer);
    assert.ok(err instanceof Error);
    assert.strictEqual(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    // Node's own view of the same certificate agrees.
    const nodeView = await clientResult((o) => tls.connect({ ...o, rejectUnauthorized: false }), tls.createServer);
    assert.strictEqual(nodeView.sock.getPeerCertificate().subject.CN, forgedCN);
  });

  it('exportKeyingMaterial uses a label with a NUL whole, as Node does', async () => {
    const c = certs();
    const server = t.track(tls.createServer({ key: c.serverKey, cert: c.serverChain }));
    const serverKeys = new Promise((resolve) => server.on('secureConnection', (s) => {
      resolve({ full: s.exportKeyingMaterial(32, 'label\0tail'), cut: s.exportKeyingMaterial(32, 'label') });
    }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const sock = t.track(uvtls.connect({ port: server.address().port, host: '127.0.0.1',
      servername: 'localhost', ca: c.caCert }));
    await once(sock, 'secureConnect');
    const ours = sock.exportKeyingMaterial(32, 'label\0tail');
    const theirs = await serverKeys;
    assert.deepStrictEqual(ours, theirs.full);
    assert.notDeepStrictEqual(ours, theirs.cut);
  });

  it('a servername or PSK identity hint holding a NUL is refused, not cut short', () => {
    const ctx = uvtls.createSecureContext({}).context;
    assert.throws(() => new binding.Conn(ctx, { external: true, servername: 'localhost\0.evil' }),
      { code: 'ERR_INVALID_ARG_VALUE' });
    const e = new binding.Conn(ctx, { external: true, isServer: true });
    assert.throws(() => e.enablePsk('hint\0more'), { code: 'ERR_INVALID_ARG_VALUE' });
    e.close();
  });
});

describe('issue 11 (core): chain walks are bounded (item 4)', function () {
  this.timeout(90000);
  let files;

  before(() => {
    const c = certs();
    const w = (name, data) => { fs.writeFileSync(tmp(name), data); return tmp(name); };
    const ec = (name) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', tmp(name)]);
    const caExt = w('ca.ext', '[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
    const leafExt = w('leaf.ext', '[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:localhost\n');
    ec('ka.key');
    ec('kb.key');
    ec('leaf.key');
    const selfCa = (key, cn, out) => openssl(['req', '-x509', '-key', tmp(key), '-subj', `/CN=${cn}`, '-days', '30',
      '-extensions', 'v3', '-config', caExt, '-out', tmp(out)]);
    selfCa('ka.key', 'Cross A', 'a0.pem');
    selfCa('kb.key', 'Cross B', 'b0.pem');
    const issue = (key, cn, caCert, caKey, ext, out, serial) => {
      openssl(['req', '-new', '-key', tmp(key), '-subj', `/CN=${cn}`, '-config', tmp('empty.cnf'), '-out', tmp(`${out}.csr`)]);
      openssl(['x509', '-req', '-in', tmp(`${out}.csr`), '-CA', tmp(caCert), '-CAkey', tmp(caKey), '-set_serial', String(serial),
        '-days', '30', '-extfile', ext, '-extensions', 'v3', '-out', tmp(out)]);
    };
    issue('ka.key', 'Cross A', 'b0.pem', 'kb.key', caExt, 'a-by-b.pem', 11);
    issue('kb.key', 'Cross B', 'a0.pem', 'ka.key', caExt, 'b-by-a.pem', 12);
    issue('leaf.key', 'localhost', 'a0.pem', 'ka.key', leafExt, 'leaf.pem', 13);
    files = {
      selfKey: w('self.key', c.selfSignedKey), selfCert: w('self.pem', c.selfSignedCert),
      leafKey: tmp('leaf.key'), leafCert: tmp('leaf.pem'), aByB: tmp('a-by-b.pem'), bByA: tmp('b-by-a.pem'),
    };
  });

  // In a child process with a deadline: before the fix the walk never ended (and grew memory),
  // blocking the event loop for good.
  async function walk(kind, serverModule, serverOpts, clientOpts) {
    const script = `
      'use strict';
      const fs = require('fs');
      const uvtls = require(${JSON.stringify(root)});
      const server = require(${JSON.stringify(serverModule)}).createServer(${serverOpts}, (s) => { s.on('error', () => {}); s.end(); });
      server.listen(0, '127.0.0.1', () => {
        const sock = uvtls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', ...${clientOpts} }, () => {
          const names = [];
          const seen = new Set();
          let c = sock.getPeerCertificate(true);
          for (; c && !seen.has(c) && names.length < 1000; c = c.issuerCertificate) { seen.add(c); names.push(c.subject.CN); }
          console.log(JSON.stringify({ authorized: sock.authorized, names, selfLinked: seen.has(c) }));
          sock.destroy();
          server.close();
        });
        sock.on('error', (e) => { console.error(e); process.exitCode = 5; server.close(); });
      });
    `;
    const r = await runNode(['-e', script], 20000).catch((e) => ({ code: null, signal: 'timeout', stderr: e.message }));
    assert.strictEqual(r.signal, null, `${kind}: ${r.signal} ${r.stderr}`);
    assert.strictEqual(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  for (const serverModule of ['tls', root]) {
    const which = serverModule === 'tls' ? 'Node' : 'uvtls';
    it(`connect({ ca: selfSigned }) without keyCertSign completes (${which} server)`, async () => {
      const f = JSON.stringify(files);
      const out = await walk('self-signed', serverModule,
        `{ key: fs.readFileSync(${f}.selfKey), cert: fs.readFileSync(${f}.selfCert) }`,
        `{ ca: fs.readFileSync(${f}.selfCert) }`);
      assert.strictEqual(out.authorized, true);
      assert.deepStrictEqual(out.names, ['localhost']);
      assert.strictEqual(out.selfLinked, true, 'the certificate is its own issuer');
    });
  }

  it('two CAs naming each other as issuer end the walk at the first repeat', async () => {
    const f = JSON.stringify(files);
    const out = await walk('cross-issued', root,
      `{ key: fs.readFileSync(${f}.leafKey), cert: fs.readFileSync(${f}.leafCert) }`,
      `{ ca: [fs.readFileSync(${f}.aByB), fs.readFileSync(${f}.bByA)], rejectUnauthorized: false }`);
    assert.deepStrictEqual(out.names, ['localhost', 'Cross A', 'Cross B']);
    assert.strictEqual(out.selfLinked, false);
  });
});

describe('issue 11 (core): every server context has a session id context (item 8)', function () {
  this.timeout(60000);
  const t = h.openTracker();
  afterEach(() => t.closeAll());

  // A TLS 1.2 server that asks for a client certificate, served from a context that did not come
  // from createServer's own options; a Node client connects, then resumes with its session.
  async function resumes(makeServer) {
    const c = certs();
    const server = t.track(makeServer(c));
    server.on('secureConnection', (s) => { s.on('error', () => {}); s.end('x'); });
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const connectOnce = (session) => new Promise((resolve, reject) => {
      const sock = t.track(tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
        ca: c.caCert, key: c.clientKey, cert: c.clientCert, maxVersion: 'TLSv1.2', session }));
      let got = null;
      sock.on('session', (s) => { got = s; });
      sock.on('error', reject);
      sock.on('data', () => {});
      sock.on('end', () => resolve({ reused: sock.isSessionReused(), session: got || sock.getSession() }));
    });
    const first = await h.within(connectOnce(), 15000, 'first connection');
    assert.strictEqual(first.reused, false);
    assert.ok(first.session, 'a session to resume');
    const second = await h.within(connectOnce(first.session), 15000, 'resumed connection');
    return second.reused;
  }

  const serverOpts = (c) => ({ requestCert: true, rejectUnauthorized: true, ca: c.caCert, maxVersion: 'TLSv1.2' });
  const context = (c) => uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain, ca: c.caCert });

  it('context from SNICallback', async () => {
    assert.strictEqual(await resumes((c) => {
      const sni = context(c); // one context, so that its ticket keys decrypt the ticket it issued
      return uvtls.createServer({ ...serverOpts(c), key: c.serverKey, cert: c.serverChain,
        SNICallback: (name, cb) => cb(null, sni) });
    }), true);
  });

  it('context from addContext', async () => {
    assert.strictEqual(await resumes((c) => {
      const s = uvtls.createServer({ ...serverOpts(c), key: c.serverKey, cert: c.serverChain });
      s.addContext('localhost', context(c));
      return s;
    }), true);
  });

  it('the secureContext option', async () => {
    assert.strictEqual(await resumes((c) => uvtls.createServer({ ...serverOpts(c), secureContext: context(c) })), true);
  });
});

describe('issue 11 (core): authorized needs a verified certificate behind the session (item 9)', function () {
  this.timeout(60000);
  const t = h.openTracker();
  afterEach(() => t.closeAll());

  // A TLS 1.3 uvtls server with requestCert and rejectUnauthorized: false; a Node client connects
  // twice, the second time resuming. Resolves with the server's view of both connections.
  async function twoConnections(clientCert) {
    const c = certs();
    const views = [];
    const server = t.track(uvtls.createServer({ key: c.serverKey, cert: c.serverChain, ca: c.caCert,
      requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (s) => {
      const peer = s.getPeerCertificate();
      views.push({ authorized: s.authorized, reused: s.isSessionReused(), peerCN: peer && peer.subject && peer.subject.CN });
      s.on('error', () => {});
      s.end('x');
    }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const connectOnce = (session) => new Promise((resolve, reject) => {
      const sock = t.track(tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
        ca: c.caCert, session, ...(clientCert ? { key: c.clientKey, cert: c.clientCert } : {}) }));
      let got = null;
      sock.on('session', (s) => { got = got || s; });
      sock.on('error', reject);
      sock.on('data', () => {});
      sock.on('end', () => resolve({ reused: sock.isSessionReused(), session: got }));
    });
    const first = await h.within(connectOnce(), 15000, 'first connection');
    assert.ok(first.session, 'a ticket arrived');
    const second = await h.within(connectOnce(first.session), 15000, 'resumed connection');
    assert.strictEqual(second.reused, true, 'the session was resumed');
    return views;
  }

  it('a resumed TLS 1.3 session without a client certificate is not authorized', async () => {
    const [first, resumed] = await twoConnections(false);
    assert.strictEqual(first.authorized, false);
    assert.strictEqual(resumed.reused, true);
    assert.strictEqual(resumed.authorized, false, 'no certificate stands behind the session');
  });

  it('a resumed TLS 1.3 session whose client certificate verified stays authorized', async () => {
    const [first, resumed] = await twoConnections(true);
    assert.strictEqual(first.authorized, true);
    assert.strictEqual(resumed.reused, true);
    assert.strictEqual(resumed.authorized, true);
    assert.strictEqual(resumed.peerCN, 'device-001');
  });
});
