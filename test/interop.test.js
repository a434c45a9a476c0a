'use strict';
// Interop against independent TLS stacks on loopback: Node's tls (OpenSSL inside Node),
// the openssl CLI (s_client / s_server) and GnuTLS (gnutls-cli / gnutls-serv).
// uvtls plays server and client, with and without client certificates, TLS 1.2 and 1.3.
//
// Needs the `openssl` and GnuTLS command line tools (Debian/Ubuntu: apt-get install gnutls-bin).
const assert = require('assert');
const net = require('net');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');
const { sslv3Alert } = require('./node-alerts');

const STEP_MS = h.STEP_MS; // bound for every single wait below (a safety net only)

// ---------------------------------------------------------------------------
// Children (CLI peers) and servers are tracked so nothing outlives the suite.

const children = new Set();
const servers = new Set();

// Spawns a CLI peer. Output is collected; waitFor()/waitExit() are bounded in time and fail
// with everything the peer printed so far.
function spawnPeer(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: h.toolEnv() });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let exit = null;
  let spawnError = null;
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.on('error', () => {}); // EPIPE when the peer has already gone
  child.on('error', (err) => { spawnError = err; });
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      exit = { code, signal };
      resolve(exit);
    });
  });
  const describe = () => `${cmd} ${args.join(' ')}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
  const peer = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => stdout + stderr,
    describe,
    write(data) { child.stdin.write(data); },
    end() { child.stdin.end(); },
    // Resolves once `pattern` shows up in the chosen stream ('stdout' | 'stderr' | 'all').
    async waitFor(pattern, { stream = 'all', timeoutMs = STEP_MS } = {}) {
      const text = () => (stream === 'stdout' ? stdout : stream === 'stderr' ? stderr : stdout + stderr);
      const test = (t) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (test(text())) return text();
        if (spawnError) throw new Error(`${cmd} could not be started: ${spawnError.message}`);
        if (exit) throw new Error(`${cmd} exited (${exit.code}/${exit.signal}) before ${pattern}:\n${describe()}`);
        if (Date.now() > deadline) throw new Error(`timeout waiting for ${pattern} from:\n${describe()}`);
        await delay(20);
      }
    },
    async waitExit(timeoutMs = STEP_MS) {
      const timer = delay(timeoutMs).then(() => { throw new Error(`${cmd} did not exit:\n${describe()}`); });
      return Promise.race([exited, timer]);
    },
    kill() {
      if (!exit && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
  return peer;
}

const { delay, within } = h;

// Polls until something accepts TCP on 127.0.0.1:port (for servers with no "ready" line).
async function waitForTcp(port, peer, timeoutMs = STEP_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (peer && peer.child.exitCode !== null) throw new Error(`peer exited before listening:\n${peer.describe()}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port}${peer ? `:\n${peer.describe()}` : ''}`);
    await delay(30);
  }
}

async function listen(server) {
  servers.add(server);
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), STEP_MS, 'listening');
  return server.address().port;
}

async function closeServer(server) {
  if (!servers.has(server)) return;
  servers.delete(server);
  await within(new Promise((resolve) => server.close(() => resolve())), STEP_MS, 'server close').catch(() => {});
}

// A uvtls (or Node) server that echoes and records what it sees of each connection.
function recorder() {
  const rec = { secure: [], clientErrors: [] };
  rec.onSecure = (socket) => {
    rec.secure.push({
      socket,
      authorized: socket.authorized,
      authorizationError: socket.authorizationError,
      protocol: socket.getProtocol(),
      peer: socket.getPeerCertificate(),
    });
    socket.on('error', () => {});
    socket.pipe(socket);
  };
  rec.onClientError = (err) => { rec.clientErrors.push(err); };
  rec.nextSecure = () => waitUntil(() => rec.secure[0], 'secureConnection');
  rec.nextClientError = () => waitUntil(() => rec.clientErrors[0], 'tlsClientError');
  return rec;
}

async function waitUntil(fn, what, timeoutMs = STEP_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await delay(10);
  }
}

// Writes `line` on a TLS socket and resolves with what came back once it contains `expect`.
async function exchange(socket, line, expect = line) {
  let got = '';
  const done = new Promise((resolve, reject) => {
    socket.on('data', (d) => { got += d; if (got.includes(expect)) resolve(got); });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`socket closed; got ${JSON.stringify(got)}`)));
  });
  socket.write(line);
  return within(done, STEP_MS, `echo of ${JSON.stringify(expect)} (got ${JSON.stringify(got)})`);
}

// Node or uvtls client connect, resolving on secureConnect and rejecting on error.
function connectWith(lib, options) {
  return new Promise((resolve, reject) => {
    const socket = lib.connect(options);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('timeout: secureConnect')); }, STEP_MS);
    socket.once('secureConnect', () => { clearTimeout(timer); resolve(socket); });
    socket.once('error', (err) => { clearTimeout(timer); socket.destroy(); reject(err); });
  });
}

// Starts `openssl s_server` (one connection) on an ephemeral port and resolves once it prints
// ACCEPT with the port the kernel gave it.
async function startOpensslServer(args) {
  const peer = spawnPeer('openssl', ['s_server', '-accept', '0', '-naccept', '1', ...args]);
  const out = await peer.waitFor(/ACCEPT \S*:\d+/);
  peer.port = Number(/ACCEPT \S*:(\d+)/.exec(out)[1]);
  return peer;
}

// gnutls-serv cannot report an ephemeral port: a port found free is used, and should another
// process take it meanwhile (gnutls-serv then exits), another is tried.
async function startGnutlsServer(args) {
  for (let attempt = 1; ; attempt++) {
    const port = await h.freePort();
    const peer = spawnPeer('gnutls-serv', ['-p', String(port), '--echo', ...args]);
    try {
      await waitForTcp(port, peer);
      if (peer.child.exitCode !== null) throw new Error(`gnutls-serv exited:\n${peer.describe()}`);
    } catch (err) {
      await peer.kill();
      if (attempt >= 5) throw err;
      continue;
    }
    peer.port = port;
    return peer;
  }
}

// ---------------------------------------------------------------------------

describe('interop with Node tls, openssl and GnuTLS', function () {
  this.timeout(180000);
  let c;

  before(function () {
    c = certs();
  });

  afterEach(async function () {
    for (const child of [...children]) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const server of [...servers]) await closeServer(server);
  });

  after(async function () {
    for (const child of [...children]) child.kill('SIGKILL');
    for (const server of [...servers]) await closeServer(server);
  });

  // -------------------------------------------------------------------------
  describe('uvtls server', function () {
    let rec;
    let port;
    let server;

    beforeEach(async function () {
      rec = recorder();
      server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, rec.onSecure);
      server.on('tlsClientError', rec.onClientError);
      port = await listen(server);
    });

    afterEach(async function () {
      await closeServer(server);
    });

    it('Node tls.connect, TLS 1.3: verifies the chain and gets its line echoed', async function () {
      const socket = await connectWith(tls, { port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert });
      try {
        assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
        assert.strictEqual(socket.getProtocol(), 'TLSv1.3');
        assert.strictEqual(socket.getPeerCertificate().subject.CN, 'localhost');
        assert.strictEqual(await exchange(socket, 'hello from node\n'), 'hello from node\n');
        const s = await rec.nextSecure();
        assert.strictEqual(s.protocol, 'TLSv1.3');
        assert.strictEqual(s.socket.servername, 'localhost');
      } finally {
        socket.destroy();
      }
    });

    it('Node tls.connect, TLS 1.2 (maxVersion)', async function () {
      const socket = await connectWith(tls, {
        port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2',
      });
      try {
        assert.strictEqual(socket.authorized, true);
        assert.strictEqual(socket.getProtocol(), 'TLSv1.2');
        assert.strictEqual(await exchange(socket, 'tls12 node\n'), 'tls12 node\n');
        assert.strictEqual((await rec.nextSecure()).protocol, 'TLSv1.2');
      } finally {
        socket.destroy();
      }
    });

    for (const version of ['-tls1_3', '-tls1_2']) {
      it(`openssl s_client ${version}: Verify return code 0 and the line is echoed`, async function () {
        const peer = spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`,
          '-servername', 'localhost', '-verify_hostname', 'localhost', '-verify_return_error',
          '-CAfile', c.file('caCert'), version]);
        try {
          await peer.waitFor(/Verify return code: \d+/, { stream: 'stdout' });
          assert.match(peer.stdout(), /Verify return code: 0 \(ok\)/, peer.describe());
          const proto = version === '-tls1_3' ? 'TLSv1.3' : 'TLSv1.2';
          assert.match(peer.stdout(), new RegExp(`(New|Protocol *:), ${proto}|Protocol *: ${proto}`), peer.describe());
          const line = `ping over openssl ${version}`;
          peer.write(`${line}\n`);
          // s_client does not echo stdin itself: the line on its stdout came back from the server.
          await peer.waitFor(`${line}\n`, { stream: 'stdout' });
          const s = await rec.nextSecure();
          assert.strictEqual(s.protocol, proto);
          assert.strictEqual(s.socket.servername, 'localhost');
          peer.end();
          await peer.waitExit();
        } finally {
          await peer.kill();
        }
      });
    }

    it('gnutls-cli, TLS 1.3: trusts the chain for localhost and gets its line echoed', async function () {
      const peer = spawnPeer('gnutls-cli', ['--x509cafile', c.file('caCert'), '-p', String(port), 'localhost']);
      try {
        await peer.waitFor('Handshake was completed');
        assert.match(peer.output(), /The certificate is trusted/, peer.describe());
        assert.match(peer.output(), /Description: \(TLS1\.3-/, peer.describe());
        peer.write('ping over gnutls\n');
        await peer.waitFor('ping over gnutls\n', { stream: 'stdout' });
        assert.strictEqual((await rec.nextSecure()).protocol, 'TLSv1.3');
        peer.end();
        await peer.waitExit();
      } finally {
        await peer.kill();
      }
    });

    it('gnutls-cli, TLS 1.2 only (priority string)', async function () {
      const peer = spawnPeer('gnutls-cli', ['--x509cafile', c.file('caCert'),
        '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.2', '-p', String(port), 'localhost']);
      try {
        await peer.waitFor('Handshake was completed');
        assert.match(peer.output(), /Description: \(TLS1\.2-/, peer.describe());
        peer.write('gnutls tls12\n');
        await peer.waitFor('gnutls tls12\n', { stream: 'stdout' });
        assert.strictEqual((await rec.nextSecure()).protocol, 'TLSv1.2');
        peer.end();
        await peer.waitExit();
      } finally {
        await peer.kill();
      }
    });

    it('gnutls-cli refuses it under a name the certificate does not carry', async function () {
      const peer = spawnPeer('gnutls-cli', ['--x509cafile', c.file('caCert'), '-p', String(port),
        '--verify-hostname', 'not-localhost.example', '127.0.0.1']);
      try {
        const { code } = await peer.waitExit();
        assert.notStrictEqual(code, 0, peer.describe());
        assert.match(peer.output(), /The name in the certificate does not match the expected/, peer.describe());
        // gnutls-cli aborts the handshake with a bad_certificate alert.
        const err = await rec.nextClientError();
        assert.strictEqual(err.code, await sslv3Alert('BAD_CERTIFICATE'), String(err));
        assert.strictEqual(rec.secure.length, 0);
      } finally {
        await peer.kill();
      }
    });
  });

  // -------------------------------------------------------------------------
  describe('uvtls client', function () {
    it('to Node tls.createServer, TLS 1.3', async function () {
      const rec = recorder();
      const server = tls.createServer({ key: c.serverKey, cert: c.serverChain }, rec.onSecure);
      const port = await listen(server);
      const socket = await connectWith(uvtls, { port, host: 'localhost', ca: c.caCert });
      try {
        assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
        assert.strictEqual(socket.getProtocol(), 'TLSv1.3');
        assert.strictEqual(socket.getPeerCertificate().subject.CN, 'localhost');
        assert.strictEqual(await exchange(socket, 'hello node server\n'), 'hello node server\n');
        const s = await rec.nextSecure();
        assert.strictEqual(s.protocol, 'TLSv1.3');
        assert.strictEqual(s.socket.servername, 'localhost');
      } finally {
        socket.destroy();
      }
    });

    it('to Node tls.createServer, TLS 1.2 (maxVersion)', async function () {
      const rec = recorder();
      const server = tls.createServer({ key: c.serverKey, cert: c.serverChain }, rec.onSecure);
      const port = await listen(server);
      const socket = await connectWith(uvtls, { port, host: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2' });
      try {
        assert.strictEqual(socket.authorized, true);
        assert.strictEqual(socket.getProtocol(), 'TLSv1.2');
        assert.strictEqual(await exchange(socket, 'tls12 to node\n'), 'tls12 to node\n');
        assert.strictEqual((await rec.nextSecure()).protocol, 'TLSv1.2');
      } finally {
        socket.destroy();
      }
    });

    it('rejects Node tls server with a self-signed cert (DEPTH_ZERO_SELF_SIGNED_CERT)', async function () {
      const server = tls.createServer({ key: c.selfSignedKey, cert: c.selfSignedCert }, (s) => s.pipe(s));
      server.on('tlsClientError', () => {});
      const port = await listen(server);
      await assert.rejects(connectWith(uvtls, { port, host: 'localhost', ca: c.caCert }),
        (err) => err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT');
    });

    for (const version of [null, '-tls1_2']) {
      it(`to openssl s_server${version ? ` ${version}` : ''}: data both ways`, async function () {
        const peer = await startOpensslServer(['-cert', c.file('serverCert'),
          '-cert_chain', c.file('intermediateCert'), '-key', c.file('serverKey'),
          ...(version ? [version] : [])]);
        let socket;
        try {
          socket = await connectWith(uvtls, { port: peer.port, host: 'localhost', ca: c.caCert });
          assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
          assert.strictEqual(socket.getProtocol(), version ? 'TLSv1.2' : 'TLSv1.3');
          let got = '';
          socket.on('data', (d) => { got += d; });
          socket.write('from uvtls to s_server\n');
          await peer.waitFor('from uvtls to s_server\n', { stream: 'stdout' });
          peer.write('from s_server to uvtls\n');
          await waitUntil(() => got.includes('from s_server to uvtls\n'), `s_server data (got ${JSON.stringify(got)})`);
          // TLS 1.3 suites are the only ones named TLS_*.
          assert.match(peer.output(), version ? /CIPHER is ECDHE-/ : /CIPHER is TLS_/, peer.describe());
        } finally {
          if (socket) socket.destroy();
          await peer.kill();
        }
      });
    }

    it('to gnutls-serv --echo, TLS 1.3', async function () {
      const peer = await startGnutlsServer(['--x509certfile', c.file('serverChain'),
        '--x509keyfile', c.file('serverKey')]);
      let socket;
      try {
        socket = await connectWith(uvtls, { port: peer.port, host: 'localhost', ca: c.caCert });
        assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
        assert.strictEqual(socket.getProtocol(), 'TLSv1.3');
        assert.strictEqual(await exchange(socket, 'hello gnutls-serv\n'), 'hello gnutls-serv\n');
      } finally {
        if (socket) socket.destroy();
        await peer.kill();
      }
    });

    it('to gnutls-serv --echo, TLS 1.2 (maxVersion)', async function () {
      const peer = await startGnutlsServer(['--x509certfile', c.file('serverChain'),
        '--x509keyfile', c.file('serverKey')]);
      let socket;
      try {
        socket = await connectWith(uvtls, {
          port: peer.port, host: 'localhost', ca: c.caCert, maxVersion: 'TLSv1.2',
        });
        assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
        assert.strictEqual(socket.getProtocol(), 'TLSv1.2');
        assert.strictEqual(await exchange(socket, 'tls12 gnutls-serv\n'), 'tls12 gnutls-serv\n');
      } finally {
        if (socket) socket.destroy();
        await peer.kill();
      }
    });
  });

  // -------------------------------------------------------------------------
  describe('mutual TLS: uvtls server requires a client certificate', function () {
    let rec;
    let port;
    let server;

    beforeEach(async function () {
      rec = recorder();
      server = uvtls.createServer({
        key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true, rejectUnauthorized: true,
      }, rec.onSecure);
      server.on('tlsClientError', rec.onClientError);
      port = await listen(server);
    });

    afterEach(async function () {
      await closeServer(server);
    });

    function assertDevice(s) {
      assert.strictEqual(s.authorized, true, String(s.authorizationError));
      assert.strictEqual(s.peer.subject.CN, 'device-001');
    }

    it('Node client with clientCert, TLS 1.3: authorized, CN=device-001', async function () {
      const socket = await connectWith(tls, {
        port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, cert: c.clientCert, key: c.clientKey,
      });
      try {
        assert.strictEqual(await exchange(socket, 'mtls node\n'), 'mtls node\n');
        const s = await rec.nextSecure();
        assertDevice(s);
        assert.strictEqual(s.protocol, 'TLSv1.3');
        assert.deepStrictEqual(rec.clientErrors, []);
      } finally {
        socket.destroy();
      }
    });

    it('Node client with clientCert, TLS 1.2: authorized, CN=device-001', async function () {
      const socket = await connectWith(tls, {
        port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert, cert: c.clientCert, key: c.clientKey,
        maxVersion: 'TLSv1.2',
      });
      try {
        assert.strictEqual(await exchange(socket, 'mtls node 1.2\n'), 'mtls node 1.2\n');
        const s = await rec.nextSecure();
        assertDevice(s);
        assert.strictEqual(s.protocol, 'TLSv1.2');
      } finally {
        socket.destroy();
      }
    });

    it('openssl s_client -cert/-key: authorized, CN=device-001, echo', async function () {
      const peer = spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`,
        '-servername', 'localhost', '-verify_return_error', '-CAfile', c.file('caCert'),
        '-cert', c.file('clientCert'), '-key', c.file('clientKey')]);
      try {
        await peer.waitFor(/Verify return code: \d+/, { stream: 'stdout' });
        assert.match(peer.stdout(), /Verify return code: 0 \(ok\)/, peer.describe());
        peer.write('mtls openssl\n');
        await peer.waitFor('mtls openssl\n', { stream: 'stdout' });
        assertDevice(await rec.nextSecure());
        peer.end();
        await peer.waitExit();
      } finally {
        await peer.kill();
      }
    });

    it('gnutls-cli --x509certfile/--x509keyfile: authorized, CN=device-001, echo', async function () {
      const peer = spawnPeer('gnutls-cli', ['--x509cafile', c.file('caCert'),
        '--x509certfile', c.file('clientCert'), '--x509keyfile', c.file('clientKey'),
        '-p', String(port), 'localhost']);
      try {
        await peer.waitFor('Handshake was completed');
        peer.write('mtls gnutls\n');
        await peer.waitFor('mtls gnutls\n', { stream: 'stdout' });
        assertDevice(await rec.nextSecure());
        peer.end();
        await peer.waitExit();
      } finally {
        await peer.kill();
      }
    });

    it('Node client without a cert is refused (TLS 1.3)', async function () {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: c.caCert });
      const clientErr = within(once(socket, 'error'), STEP_MS, 'client error').then(([e]) => e);
      socket.write('should never be echoed\n');
      let got = '';
      socket.on('data', (d) => { got += d; });
      try {
        const err = await rec.nextClientError();
        assert.strictEqual(err.code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', String(err));
        const cErr = await clientErr;
        assert.strictEqual(cErr.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', String(cErr));
        assert.strictEqual(got, '');
        assert.strictEqual(rec.secure.length, 0);
      } finally {
        socket.destroy();
      }
    });

    it('openssl s_client -tls1_2 without a cert is refused (handshake failure)', async function () {
      const peer = spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`,
        '-servername', 'localhost', '-CAfile', c.file('caCert'), '-tls1_2']);
      try {
        peer.write('should never be echoed\n');
        const err = await rec.nextClientError();
        assert.strictEqual(err.code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', String(err));
        await peer.waitExit();
        assert.match(peer.output(), /alert handshake failure|handshake failure/i, peer.describe());
        assert.doesNotMatch(peer.stdout(), /should never be echoed/);
        assert.strictEqual(rec.secure.length, 0);
      } finally {
        await peer.kill();
      }
    });

    it('gnutls-cli without a cert is refused', async function () {
      const peer = spawnPeer('gnutls-cli', ['--x509cafile', c.file('caCert'), '-p', String(port), 'localhost']);
      try {
        peer.write('should never be echoed\n');
        const err = await rec.nextClientError();
        assert.strictEqual(err.code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', String(err));
        await peer.waitExit();
        assert.doesNotMatch(peer.stdout(), /should never be echoed/);
        assert.strictEqual(rec.secure.length, 0);
      } finally {
        await peer.kill();
      }
    });
  });

  // -------------------------------------------------------------------------
  describe('mutual TLS: uvtls client presents a certificate', function () {
    const clientOpts = () => ({ host: 'localhost', ca: c.caCert, cert: c.clientCert, key: c.clientKey });

    for (const maxVersion of ['TLSv1.3', 'TLSv1.2']) {
      it(`to Node tls server with requestCert, ${maxVersion}: authorized, CN=device-001`, async function () {
        const rec = recorder();
        const server = tls.createServer({
          key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true, rejectUnauthorized: true,
        }, rec.onSecure);
        server.on('tlsClientError', rec.onClientError);
        const port = await listen(server);
        const socket = await connectWith(uvtls, { ...clientOpts(), port, maxVersion });
        try {
          assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
          assert.strictEqual(await exchange(socket, 'mtls to node\n'), 'mtls to node\n');
          const s = await rec.nextSecure();
          assert.strictEqual(s.authorized, true, String(s.authorizationError));
          assert.strictEqual(s.peer.subject.CN, 'device-001');
          assert.strictEqual(s.protocol, maxVersion);
          assert.deepStrictEqual(rec.clientErrors, []);
        } finally {
          socket.destroy();
        }
      });
    }

    it('without a cert, to Node tls server with requestCert: refused on both sides', async function () {
      const rec = recorder();
      const server = tls.createServer({
        key: c.serverKey, cert: c.serverChain, ca: c.caCert, requestCert: true, rejectUnauthorized: true,
      }, rec.onSecure);
      server.on('tlsClientError', rec.onClientError);
      const port = await listen(server);
      const socket = uvtls.connect({ port, host: 'localhost', ca: c.caCert });
      const clientErr = within(once(socket, 'error'), STEP_MS, 'uvtls client error').then(([e]) => e);
      try {
        const err = await rec.nextClientError();
        assert.strictEqual(err.code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', String(err));
        const cErr = await clientErr;
        assert.strictEqual(cErr.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', String(cErr));
        assert.strictEqual(rec.secure.length, 0);
      } finally {
        socket.destroy();
      }
    });

    it('to openssl s_server -Verify 1: the server verifies device-001, data both ways', async function () {
      const peer = await startOpensslServer(['-cert', c.file('serverCert'),
        '-cert_chain', c.file('intermediateCert'), '-key', c.file('serverKey'),
        '-Verify', '1', '-CAfile', c.file('caCert'), '-verify_return_error']);
      let socket;
      try {
        socket = await connectWith(uvtls, { ...clientOpts(), port: peer.port });
        assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
        let got = '';
        socket.on('data', (d) => { got += d; });
        socket.write('mtls to s_server\n');
        await peer.waitFor('mtls to s_server\n', { stream: 'stdout' });
        assert.match(peer.output(), /CN ?= ?device-001/, peer.describe());
        assert.match(peer.output(), /verify return:1/, peer.describe());
        assert.doesNotMatch(peer.output(), /verify error/, peer.describe());
        peer.write('s_server says hi\n');
        await waitUntil(() => got.includes('s_server says hi\n'), `s_server data (got ${JSON.stringify(got)})`);
      } finally {
        if (socket) socket.destroy();
        await peer.kill();
      }
    });

    it('without a cert, to openssl s_server -Verify 1: certificate_required alert', async function () {
      const peer = await startOpensslServer(['-cert', c.file('serverCert'),
        '-cert_chain', c.file('intermediateCert'), '-key', c.file('serverKey'),
        '-Verify', '1', '-CAfile', c.file('caCert'), '-verify_return_error']);
      const socket = uvtls.connect({ port: peer.port, host: 'localhost', ca: c.caCert });
      const clientErr = within(once(socket, 'error'), STEP_MS, 'uvtls client error').then(([e]) => e);
      try {
        socket.write('should never arrive\n');
        const err = await clientErr;
        assert.strictEqual(err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', String(err));
        await peer.waitFor('peer did not return a certificate');
        assert.doesNotMatch(peer.stdout(), /should never arrive/);
      } finally {
        socket.destroy();
        await peer.kill();
      }
    });

    it('to gnutls-serv --require-client-cert: echo works', async function () {
      const peer = await startGnutlsServer(['--x509certfile', c.file('serverChain'),
        '--x509keyfile', c.file('serverKey'), '--require-client-cert', '--x509cafile', c.file('caCert')]);
      let socket;
      try {
        socket = await connectWith(uvtls, { ...clientOpts(), port: peer.port });
        assert.strictEqual(socket.authorized, true, String(socket.authorizationError));
        assert.strictEqual(await exchange(socket, 'mtls gnutls-serv\n'), 'mtls gnutls-serv\n');
      } finally {
        if (socket) socket.destroy();
        await peer.kill();
      }
    });

    // The same scenario runs with Node's tls.connect as a control: what uvtls must match.
    for (const [name, lib] of [['uvtls', uvtls], ['Node tls (control)', tls]]) {
      it(`without a cert, to gnutls-serv --require-client-cert: ${name} reports the alert`, async function () {
        const peer = await startGnutlsServer(['--x509certfile', c.file('serverChain'),
          '--x509keyfile', c.file('serverKey'), '--require-client-cert', '--x509cafile', c.file('caCert')]);
        const socket = lib.connect({ port: peer.port, host: 'localhost', ca: c.caCert });
        let got = '';
        socket.on('data', (d) => { got += d; });
        const ended = within(new Promise((resolve) => {
          socket.once('error', (err) => resolve({ err }));
          socket.once('close', () => resolve({ closed: true }));
        }), STEP_MS, `${name} client error/close`);
        // In TLS 1.3 the client is "secure" before the server has seen its (empty) Certificate.
        // gnutls-serv answers with a certificate_required alert and closes at once, so the write
        // below may fail with EPIPE; the alert is already in the receive buffer, and it is the
        // error to report (Node does), not the EPIPE.
        socket.once('secureConnect', () => socket.write('should never be echoed\n'));
        try {
          const r = await ended;
          assert.ok(r.err, `expected an error, got a clean close (data ${JSON.stringify(got)})`);
          assert.strictEqual(r.err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', String(r.err));
          assert.strictEqual(got, '');
          await peer.waitFor('Certificate is required');
        } finally {
          socket.destroy();
          await peer.kill();
        }
      });
    }
  });
});
