'use strict';
// The data path's buffers (issue 14): ciphertext read in place from libuv's buffer, records
// written straight into the loop's send buffer, cleartext and a duplex's ciphertext handed to
// JavaScript in recycled blocks (src/binding/buffer_pool.cc). A block comes back only when its
// Buffer is collected, so chunks an application keeps must stay intact however many blocks are
// recycled meanwhile; the collector is run during the transfer to make that happen.
const assert = require('assert');
const crypto = require('crypto');
const net = require('net');
const v8 = require('v8');
const vm = require('vm');
const { once } = require('events');
const tls = require('tls');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const h = require('./helpers');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const TOTAL = Number(process.env.DATA_PATH_TOTAL) || 24 * 1024 * 1024;

// Deterministic pseudo-random bytes, different in every chunk, with their digest.
function payload(size, seed) {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

// Writes `total` bytes in `writeSize` writes, respecting back-pressure; returns their digest.
// Neither side ends before both are done: a side that ends first makes the other end too
// (allowHalfOpen is false), before it sent all.
async function sendAll(sock, total, writeSize, seed) {
  const hash = crypto.createHash('sha256');
  for (let sent = 0, i = 0; sent < total; sent += writeSize, i++) {
    const chunk = payload(Math.min(writeSize, total - sent), seed + i);
    hash.update(chunk);
    if (!sock.write(chunk)) await once(sock, 'drain');
  }
  return hash.digest('hex');
}

// Receives `total` bytes, keeping every other chunk as it came (so blocks are both held and
// recycled) and a copy of the others, collecting garbage every 2 MiB; returns the digest of all,
// computed at the end from those chunks.
function receiveAll(sock, total) {
  return new Promise((resolve, reject) => {
    const parts = []; // kept Buffers, or the copy of a dropped one
    let n = 0;
    let got = 0;
    let sinceGc = 0;
    sock.on('data', (d) => {
      parts.push(n++ % 2 === 0 ? d : Buffer.from(d));
      got += d.length;
      sinceGc += d.length;
      if (sinceGc >= 2 * 1024 * 1024) {
        sinceGc = 0;
        gc();
      }
      if (got >= total) {
        const hash = crypto.createHash('sha256');
        for (const p of parts) hash.update(p);
        resolve({ digest: hash.digest('hex'), chunks: n, bytes: got });
      }
    });
    sock.on('error', reject);
    sock.on('end', () => reject(new Error(`ended after ${got} of ${total} bytes`)));
  });
}

describe('data path: large transfers through recycled buffers', function () {
  this.timeout(120000);
  let c;
  const tracker = h.openTracker(3000);
  const track = (x) => tracker.track(x);
  afterEach(() => tracker.closeAll());
  before(() => { c = certs(); });

  const transports = {
    // uvtls on both ends, libuv sockets of their own
    native: async (onServerSocket) => {
      const server = track(uvtls.createServer({ key: c.serverKey, cert: c.serverChain }, onServerSocket));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return uvtls.connect({ port: server.address().port, host: '127.0.0.1', ca: c.caCert, servername: 'localhost' });
    },
    // a uvtls client over a net.Socket ({socket}: ciphertext leaves in OUTPUT events), against
    // Node's tls server
    'client duplex vs Node tls': async (onServerSocket) => {
      const server = track(tls.createServer({ key: c.serverKey, cert: c.serverChain }, onServerSocket));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const raw = net.connect(server.address().port, '127.0.0.1');
      await once(raw, 'connect');
      return uvtls.connect({ socket: raw, ca: c.caCert, servername: 'localhost' });
    },
  };

  for (const [name, open] of Object.entries(transports)) {
    for (const writeSize of [16 * 1024, 64 * 1024]) {
      it(`${name}: 24 MiB each way in ${writeSize / 1024} KiB writes, kept chunks intact`, async () => {
        let serverSide;
        const serverDone = new Promise((resolve, reject) => {
          serverSide = (sock) => {
            sock.on('error', reject);
            Promise.all([receiveAll(sock, TOTAL), sendAll(sock, TOTAL, writeSize, 1000)]).then(resolve, reject);
          };
        });
        const client = track(await open((s) => serverSide(s)));
        await once(client, 'secureConnect');
        const [clientGot, clientSent] = await Promise.all([receiveAll(client, TOTAL), sendAll(client, TOTAL, writeSize, 1)]);
        const [serverGot, serverSent] = await serverDone;
        assert.strictEqual(serverGot.digest, clientSent, 'what the server received is what the client sent');
        assert.strictEqual(clientGot.digest, serverSent, 'what the client received is what the server sent');
        assert.strictEqual(clientGot.bytes, TOTAL);
        assert.strictEqual(serverGot.bytes, TOTAL);
        assert.ok(clientGot.chunks > 1 && serverGot.chunks > 1);
      });
    }
  }
});
