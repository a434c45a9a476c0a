'use strict';
// A server's handshake steps on its thread pool (handshakeThreads, handshakeOffload: see
// docs/performance.md, "Handshakes on every core"). With handshakeOffload 'always' every costly
// step (a ClientHello, a client certificate) runs on a pool thread, so these tests drive that
// path on every handshake; Node's own tls is the peer.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const { Worker } = require('worker_threads');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const root = path.join(__dirname, '..');

describe('handshake threads', function () {
  let c;
  before(function () { c = certs(); });

  async function listen(options, onSecure) {
    const server = uvtls.createServer({
      key: c.serverKey, cert: c.serverChain, handshakeThreads: 2, handshakeOffload: 'always', ...options,
    }, onSecure || ((s) => s.pipe(s)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server;
  }

  // One Node tls client: connects, sends `message`, resolves with the echo and the socket's view.
  function echo(port, message, options = {}) {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost', ...options }, () => {
        s.end(message);
      });
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d) => { got += d; });
      s.on('end', () => resolve({ got, session: s.getSession(), reused: s.isSessionReused(), protocol: s.getProtocol() }));
      s.on('error', reject);
    });
  }

  for (const version of ['TLSv1.3', 'TLSv1.2']) {
    it(`completes a burst of ${version} handshakes whose steps run on pool threads, with and without client certificates`, async function () {
      this.timeout(h.STEP_MS);
      const seen = [];
      const server = await listen({ requestCert: true, rejectUnauthorized: false, ca: c.caCert, minVersion: version, maxVersion: version },
        (s) => {
          const peer = s.getPeerCertificate();
          seen.push({ authorized: s.authorized, cn: peer && peer.subject ? peer.subject.CN : undefined });
          s.pipe(s);
        });
      try {
        const port = server.address().port;
        const clients = [];
        for (let i = 0; i < 40; i++) {
          const withCert = i % 2 === 0;
          clients.push(echo(port, `hello ${i}`, withCert ? { key: c.clientKey, cert: c.clientCert } : {}));
        }
        const results = await Promise.all(clients);
        results.forEach((r, i) => {
          assert.strictEqual(r.got, `hello ${i}`);
          assert.strictEqual(r.protocol, version);
        });
        assert.strictEqual(seen.length, 40);
        assert.strictEqual(seen.filter((x) => x.authorized && x.cn === 'device-001').length, 20);
        assert.strictEqual(seen.filter((x) => !x.authorized && x.cn === undefined).length, 20);
      } finally {
        server.close();
      }
    });
  }

  it('resumes TLS 1.3 tickets and TLS 1.2 session ids with the steps on pool threads', async function () {
    this.timeout(h.STEP_MS);
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      const server = await listen({ minVersion: version, maxVersion: version });
      try {
        const port = server.address().port;
        const first = await echo(port, 'one');
        assert.strictEqual(first.reused, false);
        const again = await echo(port, 'two', { session: first.session });
        assert.strictEqual(again.got, 'two');
        assert.strictEqual(again.reused, true, `${version} resumed`);
      } finally {
        server.close();
      }
    }
  });

  it('takes new ticket keys while handshakes run on pool threads', async function () {
    this.timeout(h.STEP_MS);
    const server = await listen({});
    const crypto = require('crypto');
    let rotating = true;
    let rotations = 0;
    const rotate = () => {
      if (!rotating) return;
      server.setTicketKeys(crypto.randomBytes(48));
      rotations++;
      setImmediate(rotate);
    };
    try {
      const port = server.address().port;
      rotate();
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => echo(port, `k${i}`)));
      results.forEach((r, i) => assert.strictEqual(r.got, `k${i}`));
      rotating = false;
      assert.ok(rotations > 1);
      // With the keys still: a ticket issued now resumes.
      const fresh = await echo(port, 'fresh');
      const resumed = await echo(port, 'resumed', { session: fresh.session });
      assert.strictEqual(resumed.reused, true);
    } finally {
      rotating = false;
      server.close();
    }
  });

  it('pauses at the ClientHello for SNICallback after a step on a pool thread, and fails a rejected client certificate as usual', async function () {
    this.timeout(h.STEP_MS);
    let asked = 0;
    const sni = await listen({
      SNICallback: (name, cb) => { asked++; cb(null, uvtls.createSecureContext({ key: c.serverKey, cert: c.serverChain })); },
    });
    const strict = await listen({ requestCert: true, rejectUnauthorized: true, ca: c.caCert });
    try {
      const r = await echo(sni.address().port, 'sni');
      assert.strictEqual(r.got, 'sni');
      assert.strictEqual(asked, 1);
      const serverError = once(strict, 'tlsClientError');
      await assert.rejects(echo(strict.address().port, 'no cert'), (err) => typeof err.code === 'string');
      const [err] = await serverError;
      assert.match(err.code, /CERTIFICATE|PEER_DID_NOT_RETURN/);
    } finally {
      sni.close();
      strict.close();
    }
  });

  it('keeps serving while peers reset, stall or send garbage in the middle of their handshakes', async function () {
    this.timeout(h.STEP_MS);
    const server = await listen({ handshakeTimeout: 20000 });
    const clientErrors = [];
    server.on('tlsClientError', (err) => clientErrors.push(err.code));
    try {
      const port = server.address().port;
      // A real ClientHello, cut off by a reset: taken from a Node client's first flight.
      const hello = await new Promise((resolve) => {
        const raw = net.createServer((sock) => sock.once('data', (d) => { resolve(d); sock.destroy(); raw.close(); }));
        raw.listen(0, '127.0.0.1', () => {
          const t = tls.connect({ port: raw.address().port, host: '127.0.0.1', rejectUnauthorized: false });
          t.on('error', () => {});
        });
      });
      const hostile = [];
      for (let i = 0; i < 10; i++) {
        hostile.push(new Promise((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            if (i % 3 === 0) s.write(hello, () => s.resetAndDestroy());
            else if (i % 3 === 1) s.write(Buffer.alloc(600, 0x16), () => s.end());
            else s.write(hello.subarray(0, 40), () => s.destroy());
          });
          s.on('error', () => {});
          s.on('close', resolve);
        }));
      }
      const good = Array.from({ length: 20 }, (_, i) => echo(port, `ok${i}`));
      const results = await Promise.all(good);
      await Promise.all(hostile);
      results.forEach((r, i) => assert.strictEqual(r.got, `ok${i}`));
      // The server still accepts afterwards.
      assert.strictEqual((await echo(port, 'after')).got, 'after');
    } finally {
      server.close();
    }
  });

  it('runs everything on the event loop with handshakeThreads: 0', async function () {
    const server = await listen({ handshakeThreads: 0 });
    try {
      const r = await echo(server.address().port, 'loop');
      assert.strictEqual(r.got, 'loop');
    } finally {
      server.close();
    }
  });

  // exit() runs OpenSSL's cleanup; a step still running on a pool thread then crashes on freed
  // locks unless the pool's threads are stopped first. An RSA-4096 signature keeps each step long
  // enough that, before that fix, about one run in five crashed.
  it('exits cleanly when process.exit() comes while steps run on pool threads', async function () {
    this.timeout(h.STEP_MS * 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-exit-'));
    try {
      const key = path.join(dir, 'key.pem');
      const cert = path.join(dir, 'cert.pem');
      const made = await h.runOpenssl(['req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-keyout', key, '-out', cert,
        '-subj', '/CN=localhost', '-days', '1']);
      assert.strictEqual(made.code, 0, made.stderr);
      const script = `
        const tls = require('tls');
        const fs = require('fs');
        const uvtls = require(${JSON.stringify(root)});
        let n = 0;
        const server = uvtls.createServer({ key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2]),
          handshakeThreads: 2, handshakeOffload: 'always' }, (s) => {
          if (++n === 5) process.exit(0); // dozens more are queued for or running on the pool
          s.on('error', () => {});
        });
        server.listen(0, '127.0.0.1', () => {
          for (let i = 0; i < 60; i++) {
            const s = tls.connect({ port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false });
            s.on('error', () => {});
          }
        });`;
      for (let run = 0; run < 10; run++) {
        const child = spawn(process.execPath, ['-e', script, key, cert],
          { env: h.nodeChildEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => { stderr += d; });
        const [code, signal] = await once(child, 'exit');
        assert.deepStrictEqual({ run, code, signal, stderr }, { run, code: 0, signal: null, stderr: '' });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a worker_threads server with steps in flight terminates cleanly', async function () {
    this.timeout(h.STEP_MS * 2);
    const worker = new Worker(`
      const { parentPort, workerData } = require('worker_threads');
      const tls = require('tls');
      const uvtls = require(${JSON.stringify(root)});
      const server = uvtls.createServer({ key: workerData.key, cert: workerData.cert, handshakeThreads: 2,
        handshakeOffload: 'always' }, (s) => { if (++n === 3) parentPort.postMessage('busy'); s.on('error', () => {}); });
      let n = 0;
      server.listen(0, '127.0.0.1', () => {
        for (let i = 0; i < 40; i++) {
          const s = tls.connect({ port: server.address().port, host: '127.0.0.1', ca: workerData.ca, servername: 'localhost' });
          s.on('error', () => {});
        }
      });
    `, { eval: true, workerData: { key: c.serverKey, cert: c.serverChain, ca: c.caCert } });
    const [msg] = await once(worker, 'message');
    assert.strictEqual(msg, 'busy');
    const [[code]] = await Promise.all([once(worker, 'exit'), worker.terminate()]);
    assert.strictEqual(typeof code, 'number');
    // The main thread's uvtls still works afterwards.
    const server = await listen({});
    try {
      assert.strictEqual((await echo(server.address().port, 'main')).got, 'main');
    } finally {
      server.close();
    }
  });

  describe('options', function () {
    it('checks handshakeThreads and handshakeOffload as Node checks numbers and enums', function () {
      const make = (o) => () => uvtls.createServer({ key: c.serverKey, cert: c.serverChain, ...o });
      assert.throws(make({ handshakeThreads: -1 }), { code: 'ERR_OUT_OF_RANGE', name: 'RangeError' });
      assert.throws(make({ handshakeThreads: 1.5 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(make({ handshakeThreads: 1e9 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(make({ handshakeThreads: '2' }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      assert.throws(make({ handshakeOffload: 'sometimes' }), { code: 'ERR_INVALID_ARG_VALUE' });
      for (const ok of [{ handshakeThreads: 0 }, { handshakeThreads: false }, { handshakeThreads: 3 },
        { handshakeOffload: 'when-busy' }, { handshakeOffload: 'always' }]) {
        make(ok)();
      }
    });

    it('takes UVTLS_HANDSHAKE_THREADS when the options name no number, and refuses a bad one', function () {
      this.timeout(h.STEP_MS);
      const script = `
        const uvtls = require(${JSON.stringify(root)});
        try { uvtls.createServer({}); console.log('ok'); } catch (e) { console.log(e.code); }`;
      const run = (value) => require('child_process').spawnSync(process.execPath, ['-e', script],
        { env: h.nodeChildEnv({ UVTLS_HANDSHAKE_THREADS: value }), encoding: 'utf8' }).stdout.trim();
      assert.strictEqual(run('0'), 'ok');
      assert.strictEqual(run('4'), 'ok');
      assert.strictEqual(run('many'), 'ERR_OUT_OF_RANGE');
      assert.strictEqual(run('-2'), 'ERR_OUT_OF_RANGE');
    });
  });
});
