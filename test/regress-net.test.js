'use strict';
// Regression tests for issue 11, the parts in the libuv transport (src/net) and the server:
// one bad connection must not stop a listener, plaintext never crosses between connections,
// listener exceptions propagate, every completed handshake is announced, paused handshakes are
// bounded. Real sockets on loopback, real peers (Node's tls, openssl).
const assert = require('assert');
const net = require('net');
const path = require('path');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const root = path.join(__dirname, '..');

describe('regressions (issue 11): transport and server', function () {
  let c;
  before(function () { c = certs(); });
  const serverOptions = (extra) => ({ key: c.serverKey, cert: c.serverChain, ...extra });

  const tracker = h.openTracker(2000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  async function listen(server) {
    track(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server.address().port;
  }

  // A Node tls client; resolves with how it ended: 'secure' (handshake done) or the error/close.
  function nodeAttempt(port, extra) {
    return new Promise((resolve) => {
      const s = track(tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost', ...extra }));
      s.once('secureConnect', () => { resolve({ outcome: 'secure', socket: s }); });
      s.once('error', (err) => resolve({ outcome: 'error', err, socket: s }));
      s.once('close', () => resolve({ outcome: 'close', socket: s }));
    });
  }

  // Runs a Node script in a child process; resolves with {code, signal, stdout, stderr}.
  function runChild(source, { timeoutMs = 15000 } = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', source],
        { cwd: root, env: h.nodeChildEnv({ UVTLS_ROOT: root }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`child timed out: ${stdout} ${stderr}`)); }, timeoutMs);
      child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    });
  }

  // ------------------------------------------------------------------------------------------
  describe('item 7: one bad connection does not stop the listener', function () {
    it('createServer refuses a malformed wire-format ALPNProtocols Buffer and a list over 65535 bytes', function () {
      assert.throws(() => uvtls.createServer(serverOptions({ ALPNProtocols: Buffer.from([3, 0x68, 0x32]) })),
        { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => uvtls.createServer(serverOptions({ ALPNProtocols: Buffer.from([0]) })),
        { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => uvtls.createServer(serverOptions({ ALPNProtocols: new Array(300).fill('x'.repeat(255)) })),
        { code: 'ERR_OUT_OF_RANGE' });
      // Valid forms still pass.
      uvtls.createServer(serverOptions({ ALPNProtocols: Buffer.from([2, 0x68, 0x32]) }));
      uvtls.createServer(serverOptions({ ALPNProtocols: ['h2', 'http/1.1'] }));
    });

    it('a connection whose set-up fails is closed and the listener keeps answering clients', async function () {
      const server = uvtls.createServer(serverOptions(), (s) => { track(s); s.end('hello'); });
      const errors = [];
      server.on('error', (err) => errors.push(err));
      const port = await listen(server);
      // Past createServer's check (the native handle directly): every connection's set-up fails.
      server._handle.setALPNProtocols(Buffer.from([5, 0x61]));
      for (let i = 0; i < 3; i++) {
        const r = await h.within(nodeAttempt(port), 8000, `bad connection ${i} is closed`);
        assert.notStrictEqual(r.outcome, 'secure');
      }
      assert.strictEqual(errors.length, 3);
      assert.strictEqual(errors[0].code, 'ERR_INVALID_ARG_VALUE');
      server._handle.setALPNProtocols(null);
      const ok = await h.within(nodeAttempt(port), 8000, 'a good connection after the bad ones');
      assert.strictEqual(ok.outcome, 'secure');
      const [data] = await once(ok.socket, 'data');
      assert.strictEqual(data.toString(), 'hello');
    });
  });
});
