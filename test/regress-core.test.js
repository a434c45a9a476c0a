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

  it('an Engine, Conn, Server or plain object where a SecureContext is wanted is a TypeError', async () => {
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
      const engine = new binding.Engine(ctx, { isServer: false });
      const typeError = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
      const server = uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, (s) => s.end());
      server.listen(0, '127.0.0.1', () => {
        const sock = uvtls.connect({ port: server.address().port, host: '127.0.0.1',
          servername: 'localhost', ca: c.caCert }, () => {
          const conn = sock._handle;
          const nativeServer = server._handle;
          assert.ok(conn && nativeServer, 'native handles found');
          for (const wrong of [engine, conn, nativeServer, {}, Object.create(binding.SecureContext.prototype)]) {
            assert.throws(() => new binding.Engine(wrong, { isServer: false }), typeError);
            assert.throws(() => new binding.Conn(wrong, {}), typeError);
            assert.throws(() => new binding.Server(wrong, {}), typeError);
            assert.throws(() => nativeServer.setContext(wrong), typeError);
            assert.throws(() => conn.resumeHello(wrong), typeError);
          }
          assert.throws(() => new binding.Engine(42, { isServer: false }), typeError);
          // A method called on an object of another class never reaches native code.
          assert.throws(() => binding.Engine.prototype.read.call(ctx), TypeError);
          assert.throws(() => binding.SecureContext.prototype.addCA.call(engine, c.caCert), TypeError);
          // The right objects still work.
          engine.destroy();
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
