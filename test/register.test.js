'use strict';
// Drop-in registration: uvtls.install()/uninstall() and `node -r uvtls/register`.
// Real sockets on loopback; the peers are Node's own tls/https/http2 servers and clients.
const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const tls = require('tls');
const ROUTED = ['connect', 'createServer', 'createSecureContext', 'SecureContext', 'TLSSocket', 'Server',
  'createSecurePair'];
const ROOT = path.join(__dirname, '..');

// Node's originals, captured before any test installs anything.
const original = {};
for (const name of ROUTED) original[name] = Object.getOwnPropertyDescriptor(tls, name);
const nodeCreateServer = tls.createServer;
const nodeCheckServerIdentity = tls.checkServerIdentity;

function runChild(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: h.nodeChildEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), h.STEP_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

// What the child prints: how `require('tls').connect` behaved after registration.
const CHILD_SCRIPT = `
const tls = require('tls');
const uvtls = require(${JSON.stringify(ROOT)});
const s = tls.connect({ port: +process.env.PORT, host: 'localhost', ca: process.env.CA }, () => s.write('ping'));
s.on('data', (d) => {
  console.log(JSON.stringify({
    installed: uvtls.isInstalled(),
    sameObject: require('node:tls') === tls,
    isUvtls: s instanceof uvtls.TLSSocket,
    authorized: s.authorized,
    echo: String(d),
  }));
  s.end();
});
s.on('error', (e) => { console.error(e.code, e.message); process.exitCode = 1; });
`;

describe('drop-in registration (install / uninstall / uvtls/register)', function () {
  this.timeout(180000);
  const c = certs();
  const tracker = h.openTracker();

  afterEach(async () => {
    uvtls.uninstall();
    await tracker.closeAll();
  });

  async function nodeEchoServer() {
    const server = nodeCreateServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.pipe(s));
    server.on('tlsClientError', () => {});
    tracker.track(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server;
  }

  it('require("tls") and require("node:tls") are one object, so one install covers both', () => {
    assert.strictEqual(require('node:tls'), tls);
  });

  it('install() routes every entry, is idempotent, and uninstall() restores the exact descriptors', () => {
    assert.strictEqual(uvtls.isInstalled(), false);
    assert.strictEqual(uvtls.install(), true);
    const routed = {};
    for (const name of ROUTED) {
      routed[name] = tls[name];
      // (Node 24 has no createSecurePair of its own: install() adds uvtls's.)
      assert.notStrictEqual(tls[name], original[name] && original[name].value, `${name} was not replaced`);
    }
    assert.strictEqual(tls.SecureContext, uvtls.SecureContext);
    assert.strictEqual(tls.createSecurePair, uvtls.createSecurePair);
    assert.strictEqual(tls.checkServerIdentity, nodeCheckServerIdentity, 'checkServerIdentity is not routed');
    // A second install changes nothing.
    assert.strictEqual(uvtls.install(), false);
    for (const name of ROUTED) assert.strictEqual(tls[name], routed[name]);
    assert.strictEqual(uvtls.uninstall(), true);
    assert.strictEqual(uvtls.isInstalled(), false);
    for (const name of ROUTED) {
      assert.deepStrictEqual(Object.getOwnPropertyDescriptor(tls, name), original[name], name);
    }
    assert.strictEqual(uvtls.uninstall(), false);
    // And again: a second install/uninstall cycle restores the same functions.
    uvtls.install();
    uvtls.uninstall();
    for (const name of ROUTED) assert.strictEqual(tls[name], original[name] && original[name].value);
  });

  it('after install(), tls.connect/createServer/createSecureContext/new tls.Server are uvtls and talk to Node', async () => {
    const server = await nodeEchoServer();
    uvtls.install();
    const ctx = tls.createSecureContext({ ca: c.caCert });
    assert.ok(ctx instanceof uvtls.SecureContext);
    const socket = tracker.track(tls.connect({ port: server.address().port, host: 'localhost', secureContext: ctx }));
    assert.ok(socket instanceof uvtls.TLSSocket, 'tls.connect did not return a uvtls socket');
    assert.ok(socket instanceof tls.TLSSocket);
    await once(socket, 'secureConnect');
    assert.strictEqual(socket.authorized, true);
    socket.write('hello');
    const [data] = await once(socket, 'data');
    assert.strictEqual(String(data), 'hello');

    // A uvtls server made through the tls module, reached by Node's own client.
    const uvServer = tracker.track(tls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end('from uvtls')));
    assert.ok(uvServer instanceof uvtls.Server);
    assert.ok(uvServer instanceof tls.Server);
    uvServer.listen(0, '127.0.0.1');
    await once(uvServer, 'listening');
    const viaNode = tracker.track(original.connect.value({ port: uvServer.address().port, host: 'localhost', ca: c.caCert }));
    assert.ok(!(viaNode instanceof uvtls.TLSSocket));
    const [reply] = await once(viaNode, 'data');
    assert.strictEqual(String(reply), 'from uvtls');

    // Subclassing keeps working.
    class MyServer extends tls.Server {}
    const mine = tracker.track(new MyServer({ key: c.serverKey, cert: c.serverChain }));
    assert.ok(mine instanceof uvtls.Server && mine instanceof MyServer && mine instanceof tls.Server);
    const wrapped = new tls.TLSSocket(null, {});
    assert.ok(wrapped instanceof uvtls.TLSSocket);
    wrapped.destroy();
  });

  it('after install(), Node\'s https and http2 still work (they stay on Node\'s TLS)', async () => {
    uvtls.install();
    const https = require('https');
    const http2 = require('http2');
    const server = https.createServer({ key: c.serverKey, cert: c.serverChain }, (req, res) => res.end('https ok'));
    tracker.track(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const body = await h.within(new Promise((resolve, reject) => {
      https.get({ port: server.address().port, host: 'localhost', ca: c.caCert, agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    }), 10000, 'https.get');
    assert.strictEqual(body, 'https ok');

    const h2 = http2.createSecureServer({ key: c.serverKey, cert: c.serverChain });
    h2.on('stream', (stream) => { stream.respond({ ':status': 200 }); stream.end('h2 ok'); });
    tracker.track(h2);
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    const session = http2.connect(`https://localhost:${h2.address().port}`, { ca: c.caCert });
    try {
      const text = await h.within(new Promise((resolve, reject) => {
        session.on('error', reject);
        const req = session.request({ ':path': '/' });
        let t = '';
        req.on('data', (d) => { t += d; });
        req.on('end', () => resolve(t));
        req.on('error', reject);
        req.end();
      }), 10000, 'http2 request');
      assert.strictEqual(text, 'h2 ok');
    } finally {
      session.close();
    }
  });

  for (const [label, preload] of [['node -r ./register.js', './register.js'], ['node -r uvtls/register', 'uvtls/register']]) {
    it(`${label}: a child's require('tls').connect is a uvtls socket talking to Node's server`, async () => {
      const server = await nodeEchoServer();
      const out = await runChild(['-r', preload, '-e', CHILD_SCRIPT],
        { PORT: String(server.address().port), CA: String(c.caCert) });
      assert.strictEqual(out.code, 0, `child failed: ${out.stderr}`);
      const result = JSON.parse(out.stdout.trim());
      assert.deepStrictEqual(result, { installed: true, sameObject: true, isUvtls: true, authorized: true, echo: 'ping' });
    });
  }

  it('without registration the same child script gets Node\'s socket (the test can fail)', async () => {
    const server = await nodeEchoServer();
    const out = await runChild(['-e', CHILD_SCRIPT], { PORT: String(server.address().port), CA: String(c.caCert) });
    assert.strictEqual(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout.trim());
    assert.strictEqual(result.installed, false);
    assert.strictEqual(result.isUvtls, false);
  });
  it('the ESM entry exports install, uninstall and isInstalled, the same functions as CommonJS', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      import uvtls, { install, uninstall, isInstalled, connect } from ${JSON.stringify(path.join(ROOT, 'lib', 'index.mjs'))};
      process.stdout.write(JSON.stringify({ same: install === uvtls.install && uninstall === uvtls.uninstall &&
        isInstalled === uvtls.isInstalled && connect === uvtls.connect, installed: isInstalled() }));
    `], { stdio: ['ignore', 'pipe', 'inherit'], env: h.nodeChildEnv() });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const [code] = await once(child, 'exit');
    assert.strictEqual(code, 0);
    assert.deepStrictEqual(JSON.parse(out), { same: true, installed: false });
  });
  it('uninstall() leaves an entry another library patched after install() alone, and restores the rest', () => {
    const nodeConnect = tls.connect;
    uvtls.install();
    const theirs = function patchedConnect(...args) { return nodeConnect(...args); };
    tls.connect = theirs;
    try {
      uvtls.uninstall();
      assert.strictEqual(tls.connect, theirs);
      assert.strictEqual(tls.createServer, nodeCreateServer);
    } finally {
      tls.connect = nodeConnect;
    }
  });
});
