'use strict';
// Robustness of the native transport: backpressure, destroy() at awkward moments, floods of
// half-open connections, garbage on the TLS port, worker_threads. Real sockets on loopback.
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const path = require('path');
const tls = require('tls');
const crypto = require('crypto');
const { Worker } = require('worker_threads');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

const root = path.join(__dirname, '..');
const tick = (ms) => new Promise((r) => setTimeout(r, ms));
const underAsan = /asan/.test(process.env.UVTLS_BINDING || '');

// The half-open clients' process does not load uvtls: it runs on plain Node, without the
// sanitizer runtime (h.toolEnv).
const plainEnv = () => h.toolEnv();

function openFds() {
  return fs.readdirSync('/proc/self/fd').length;
}

function closed(emitter) {
  return new Promise((resolve) => emitter.once('close', resolve));
}

// Waits for a condition that has no event of its own (a counter, a server's connections); the
// bound is a safety net only (h.STEP_MS).
const until = (predicate, what) => h.waitUntil(predicate, what);

// Resolves once every write callback in `calls` (counters, see counted()) has run at least once,
// then one turn of the loop later, so that a second run of any of them would show.
async function allCalled(calls, n) {
  await until(() => calls.length === n && calls.every((k) => k >= 1),
    () => `${n} write callbacks (ran: ${JSON.stringify(calls)})`);
  await new Promise((r) => setImmediate(r));
}

describe('robustness of the native transport', function () {
  let c;
  before(function () { c = certs(); });
  const serverOptions = (extra) => ({ key: c.serverKey, cert: c.serverChain, ...extra });

  const tracker = h.openTracker(3000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());

  async function startServer(options, onSocket) {
    const server = track(uvtls.createServer(serverOptions(options), (s) => {
      track(s);
      s.on('error', () => {});
      onSocket(s);
    }));
    server.listen(0, '127.0.0.1', 1024);
    await once(server, 'listening');
    return server;
  }

  function connect(port, extra) {
    const socket = track(uvtls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost', ...extra }));
    return new Promise((resolve, reject) => {
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  async function echoWorks(port) {
    const socket = await connect(port);
    socket.write('ping');
    const [d] = await once(socket, 'data');
    socket.destroy();
    return d.toString();
  }

  // ---------------------------------------------------------------------------------------------
  describe('backpressure', function () {
    const TOTAL = 50 * 1024 * 1024;
    // What a paused reader may hold: its readableHighWaterMark (the running Node's default:
    // 16 KiB up to Node 20, 64 KiB from Node 22) plus room for the read batch that crosses it.
    const BATCH_ROOM = 84 * 1024;
    const CHUNK = 64 * 1024;

    // Writes TOTAL bytes as fast as write() allows; the reader stays paused for a while and its
    // buffered bytes are sampled, then it resumes and everything must arrive.
    async function run(writer, reader) {
      let received = 0;
      let maxBuffered = 0;
      let falseSeen = 0;
      let drains = 0;
      let falseAboveHwm = true;
      writer.on('drain', () => drains++);
      reader.on('data', (d) => { received += d.length; });
      reader.pause();
      const chunk = crypto.randomBytes(CHUNK);
      const sample = setInterval(() => { maxBuffered = Math.max(maxBuffered, reader.readableLength); }, 5);
      let resumed = false;
      // Paused for a while (any length shows the bound: the writer blocks until it resumes).
      const resumeLater = setTimeout(() => { resumed = true; reader.resume(); }, 400);
      try {
        for (let sent = 0; sent < TOTAL; sent += CHUNK) {
          maxBuffered = Math.max(maxBuffered, reader.readableLength);
          if (!writer.write(chunk)) {
            falseSeen++;
            // Node's Writable rule: false once writableLength reaches the high-water mark (a
            // 64 KiB chunk reaches Node 22+'s 64 KiB default exactly).
            if (writer.writableLength < writer.writableHighWaterMark) falseAboveHwm = false;
            await new Promise((resolve, reject) => {
              const onError = (err) => reject(err);
              writer.once('error', onError);
              writer.once('drain', () => { writer.removeListener('error', onError); resolve(); });
            });
          }
        }
        await until(() => received === TOTAL, `all ${TOTAL} bytes (got ${received})`);
      } finally {
        clearInterval(sample);
        clearTimeout(resumeLater);
      }
      assert.ok(resumed, 'the reader was paused while the writer ran');
      const limit = reader.readableHighWaterMark + BATCH_ROOM;
      assert.ok(maxBuffered < limit, `reader buffered ${maxBuffered} bytes while paused (limit ${limit})`);
      assert.ok(falseSeen > 0, 'write() returned false at least once');
      assert.ok(falseAboveHwm, 'write() returned false only at or above writableHighWaterMark');
      assert.ok(drains >= falseSeen, `'drain' followed every false (${drains} / ${falseSeen})`);
      assert.strictEqual(received, TOTAL);
    }

    it('uvtls server writes 50 MiB to a paused uvtls client', async function () {
      let serverSide;
      const server = await startServer({}, (s) => { serverSide = s; });
      const client = await connect(server.address().port);
      await until(() => serverSide, 'secureConnection');
      await run(serverSide, client);
    });

    it('uvtls client writes 50 MiB to a paused uvtls server socket', async function () {
      let serverSide;
      const server = await startServer({}, (s) => { serverSide = s; });
      const client = await connect(server.address().port);
      await until(() => serverSide, 'secureConnection');
      await run(client, serverSide);
    });

    it('Node tls server writes 50 MiB to a paused uvtls client', async function () {
      let serverSide;
      const server = track(tls.createServer(serverOptions(), (s) => { track(s); serverSide = s; }));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const client = await connect(server.address().port);
      await until(() => serverSide, 'secureConnection');
      await run(serverSide, client);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('destroy() at awkward moments', function () {
    // Counts every callback; each must run exactly once.
    function counted(calls, i) {
      calls[i] = 0;
      return () => { calls[i]++; };
    }

    async function settle(socket, calls, n) {
      await closed(socket);
      await allCalled(calls, n);
      assert.strictEqual(calls.length, n);
      calls.forEach((k, i) => assert.strictEqual(k, 1, `write callback ${i} ran ${k} times`));
    }

    it('with writes in flight (client and server side)', async function () {
      let serverSide;
      const server = await startServer({}, (s) => { serverSide = s; });
      const client = await connect(server.address().port);
      await until(() => serverSide, 'secureConnection');
      serverSide.pause();
      const calls = [];
      const big = Buffer.alloc(1024 * 1024, 1);
      for (let i = 0; i < 20; i++) client.write(big, counted(calls, i));
      client.destroy();
      await settle(client, calls, 20);

      const serverCalls = [];
      serverSide = undefined;
      const other = await connect(server.address().port);
      other.pause();
      await until(() => serverSide, 'secureConnection');
      const side = serverSide;
      for (let i = 0; i < 20; i++) side.write(big, counted(serverCalls, i));
      side.destroy();
      await settle(side, serverCalls, 20);
    });

    it('inside data', async function () {
      const server = await startServer({}, (s) => { s.write(Buffer.alloc(200000, 2)); });
      const client = await connect(server.address().port);
      const calls = [];
      let datas = 0;
      const done = closed(client);
      client.on('data', () => {
        datas++;
        for (let i = 0; i < 5; i++) client.write(Buffer.alloc(100000), counted(calls, calls.length));
        client.destroy();
      });
      await done;
      await allCalled(calls, 5);
      assert.strictEqual(datas, 1, 'no data after destroy()');
      assert.strictEqual(calls.length, 5);
      calls.forEach((k) => assert.strictEqual(k, 1));
    });

    it('inside secureConnect and inside secureConnection', async function () {
      const serverEvents = [];
      const server = await startServer({}, (s) => {
        s.write('x', (err) => serverEvents.push(err ? 'write-error' : 'write-ok'));
        s.destroy();
        s.on('close', () => serverEvents.push('close'));
      });
      const port = server.address().port;
      for (let i = 0; i < 3; i++) {
        const socket = track(uvtls.connect({ port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' }));
        socket.on('error', () => {});
        const calls = [];
        socket.on('secureConnect', () => {
          socket.write('hello', counted(calls, 0));
          socket.write(Buffer.alloc(300000), counted(calls, 1));
          socket.destroy();
          socket.write('late', counted(calls, 2));
        });
        await closed(socket);
        await allCalled(calls, 3);
        assert.deepStrictEqual(calls, [1, 1, 1]);
      }
      await until(() => serverEvents.filter((e) => e === 'close').length === 3, 'server-side closes');
      assert.strictEqual(serverEvents.length, 6);
    });

    it('after a peer reset', async function () {
      const server = track(tls.createServer(serverOptions(), (s) => {
        s.on('error', () => {});
        s.write('x');
        s.once('data', () => s._parent ? s._parent.resetAndDestroy() : s.resetAndDestroy());
      }));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      for (const when of ['writes-then-reset', 'reset-then-writes']) {
        const client = await connect(server.address().port);
        const calls = [];
        const errors = [];
        client.on('error', (e) => errors.push(e.code));
        const done = closed(client);
        client.write('trigger');
        if (when === 'writes-then-reset') {
          // In flight when the reset arrives; destroy() once it has.
          for (let i = 0; i < 10; i++) client.write(Buffer.alloc(65536), counted(calls, i));
          await until(() => errors.length > 0, 'the reset');
        } else {
          await done;
          for (let i = 0; i < 10; i++) client.write(Buffer.alloc(65536), counted(calls, i));
        }
        client.destroy();
        await done;
        await allCalled(calls, 10);
        assert.strictEqual(calls.length, 10);
        calls.forEach((k, i) => assert.strictEqual(k, 1, `${when}: write callback ${i} ran ${k} times`));
        assert.deepStrictEqual(errors, ['ECONNRESET']);
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  it('1,000 half-open connections are closed by handshakeTimeout; fds and RSS return; others are served', async function () {
    // Under ASan every allocation unwinds the stack (an accept costs ~25 ms), so that run uses
    // fewer connections; the leak check there is LeakSanitizer's.
    const N = underAsan ? 100 : 1000;
    const timeouts = h.eventList('tlsClientError');
    // The timeout is long enough for all N to be open at once in every round even on a loaded
    // machine, so that every round reaches the same peak of memory (RSS keeps its peak).
    const server = await startServer({ handshakeTimeout: underAsan ? 3000 : 2000 }, (s) => s.pipe(s));
    server.on('tlsClientError', (err) => timeouts.push(err.code));
    const port = server.address().port;

    // The silent clients live in a child process, so that this process's fds and RSS are the
    // server's alone. Each line on its stdin opens N connections that never send a byte.
    const child = spawn(process.execPath, ['-e', `
      const net = require('net');
      const { once } = require('events');
      require('readline').createInterface({ input: process.stdin }).on('line', async () => {
        // 'close' is listened for from the start: on a loaded machine the first connections
        // can time out and close before the last ones have connected.
        const closes = [];
        for (let i = 0; i < ${N}; i += 100) {
          const batch = [];
          for (let j = 0; j < 100; j++) {
            const raw = net.connect(${port}, '127.0.0.1');
            raw.on('error', () => {});
            closes.push(once(raw, 'close'));
            batch.push(once(raw, 'connect'));
          }
          await Promise.all(batch);
        }
        process.stdout.write('open\\n');
        await Promise.all(closes);
        process.stdout.write('closed\\n');
      });`], { stdio: ['pipe', 'pipe', 'inherit'], env: plainEnv() });
    track({ destroy: () => child.kill() });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });

    // (How many the server holds at one moment depends on how fast it accepts against the
    // timeout, so that is not asserted: every one of them is accepted and timed out, and a
    // normal client is served while they are open.)
    async function round() {
      out = '';
      const expected = timeouts.length + N;
      child.stdin.write('go\n');
      await until(() => out.includes('open'), 'the half-open connections');
      // A normal client is served while the half-open ones wait.
      assert.strictEqual(await echoWorks(port), 'ping');
      await timeouts.next(expected);
      await until(() => out.includes('closed'), 'the server to close them all');
      await until(() => server.connections === 0, 'server.connections to drop to 0');
    }

    // RSS is noisy while allocator arenas and the JS heap warm up: measure after two warm-up
    // rounds, over two more. A per-connection leak of an SSL object (~14 KB) or of the conn
    // would show as tens of MiB. Under ASan its quarantine holds freed memory, so only a loose
    // bound applies there (LeakSanitizer checks for leaks in that run).
    require('v8').setFlagsFromString('--expose-gc');
    const gc = require('vm').runInNewContext('gc');
    const rounds = underAsan ? 1 : 2;
    for (let i = 0; i < rounds; i++) await round();
    gc();
    await tick(50);
    const fds = openFds();
    const rss = process.memoryUsage().rss;
    const before = timeouts.length;
    for (let i = 0; i < rounds; i++) await round();
    gc();
    await tick(50);
    assert.strictEqual(timeouts.length - before, rounds * N);
    assert.ok(timeouts.every((code) => code === 'ERR_TLS_HANDSHAKE_TIMEOUT'), [...new Set(timeouts)].join());
    assert.ok(openFds() <= fds, `fds ${fds} -> ${openFds()}`);
    const grown = process.memoryUsage().rss - rss;
    // A leak of an SSL object per connection would be ~28 MiB here; the slack covers a round
    // whose peak of open connections was higher than the warm-up rounds' (a loaded machine).
    const allowed = (underAsan ? 256 : 16) * 1024 * 1024;
    assert.ok(grown < allowed, `RSS grew by ${(grown / 1048576).toFixed(1)} MiB over ${rounds * N} connections`);
  });

  it('garbage bytes and plain HTTP give tlsClientError; the server keeps serving', async function () {
    const server = await startServer({ handshakeTimeout: 2000 }, (s) => s.pipe(s));
    const errors = [];
    server.on('tlsClientError', (err, socket) => {
      assert.ok(socket instanceof uvtls.TLSSocket);
      errors.push(err.code);
    });
    const port = server.address().port;
    const payloads = [
      Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      Buffer.from('POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n'),
      Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00]), // a ClientHello header, then nothing
      Buffer.from([0x17, 0x03, 0x03, 0x00, 0x10, ...Buffer.alloc(16)]), // application data first
      Buffer.alloc(10000, 0),
    ];
    for (let i = 0; i < 10; i++) payloads.push(crypto.randomBytes(1 + crypto.randomInt(4096)));
    for (const payload of payloads) {
      const raw = track(net.connect(port, '127.0.0.1'));
      raw.on('error', () => {});
      raw.resume();
      await once(raw, 'connect');
      raw.end(payload);
      await closed(raw);
    }
    await until(() => errors.length === payloads.length, `${payloads.length} tlsClientErrors (got ${errors.length})`);
    assert.deepStrictEqual(errors.slice(0, 2), ['ERR_SSL_HTTP_REQUEST', 'ERR_SSL_HTTP_REQUEST']);
    assert.strictEqual(await echoWorks(port), 'ping');
    await until(() => server.connections === 0, 'connections to close');
  });

  // ---------------------------------------------------------------------------------------------
  describe('worker_threads', function () {
    const workerData = () => ({ root, key: c.serverKey, cert: c.serverChain, ca: c.caCert });

    it('a server and clients inside a worker, which then exits by itself', async function () {
      const worker = new Worker(`
        const { parentPort, workerData } = require('worker_threads');
        const uvtls = require(workerData.root);
        const server = uvtls.createServer({ key: workerData.key, cert: workerData.cert }, (s) => s.pipe(s));
        server.listen(0, '127.0.0.1', () => {
          const client = uvtls.connect({ port: server.address().port, host: '127.0.0.1', ca: workerData.ca, servername: 'localhost' }, () => {
            client.write('from a worker');
          });
          client.on('data', (d) => {
            parentPort.postMessage({ echo: d.toString(), authorized: client.authorized });
            client.end();
            server.close();
          });
        });
      `, { eval: true, workerData: workerData() });
      const [msg] = await once(worker, 'message');
      assert.deepStrictEqual(msg, { echo: 'from a worker', authorized: true });
      const [code] = await once(worker, 'exit');
      assert.strictEqual(code, 0);
    });

    it('terminate() with open servers, sockets, half-open and busy connections exits cleanly', async function () {
      const main = await startServer({}, (s) => s.pipe(s));
      for (let round = 0; round < (underAsan ? 1 : 3); round++) {
        const worker = new Worker(`
          const { parentPort, workerData } = require('worker_threads');
          const net = require('net');
          const uvtls = require(workerData.root);
          const server = uvtls.createServer({ key: workerData.key, cert: workerData.cert }, (s) => {
            s.on('error', () => {});
            s.write(Buffer.alloc(${underAsan ? 1 : 4} * 1024 * 1024)); // busy: more than the kernel takes
          });
          server.listen(0, '127.0.0.1', async () => {
            const port = server.address().port;
            const ready = [];
            for (let i = 0; i < 5; i++) {
              const cl = uvtls.connect({ port, host: '127.0.0.1', ca: workerData.ca, servername: 'localhost' });
              cl.on('error', () => {});
              cl.pause();
              ready.push(new Promise((r) => cl.once('secureConnect', r)));
            }
            // connections to the main thread's server, one in the middle of its handshake
            const outside = uvtls.connect({ port: workerData.mainPort, host: '127.0.0.1', ca: workerData.ca, servername: 'localhost' });
            outside.on('error', () => {});
            net.connect(port, '127.0.0.1').on('error', () => {}); // half-open: never says hello
            await Promise.all(ready);
            const pending = uvtls.connect({ port, host: '127.0.0.1', ca: workerData.ca, servername: 'localhost' });
            pending.on('error', () => {});
            pending.write('queued before the handshake', () => {});
            parentPort.postMessage('ready');
          });
        `, { eval: true, workerData: { ...workerData(), mainPort: main.address().port } });
        worker.on('error', (err) => { throw err; });
        const [msg] = await once(worker, 'message');
        assert.strictEqual(msg, 'ready');
        const [[code]] = await Promise.all([once(worker, 'exit'), worker.terminate()]);
        assert.strictEqual(code, 1);
      }
      assert.strictEqual(await echoWorks(main.address().port), 'ping', 'the main thread still serves');
    });
  });
});
