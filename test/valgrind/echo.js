'use strict';
// The addon under valgrind: real TCP connections on loopback through uvtls, both ends in this
// process. Run by scripts/valgrind.js after the C round trips; exits 1 on any failed check.
// Kept short (each handshake is slow under valgrind): TLS 1.3 echo with ALPN, TLS 1.2 with
// session resumption, mutual TLS, 1 MiB echoed, an untrusted certificate refused.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const uvtls = require('../..');

const dir = process.env.UVTLS_TEST_CERTS;
const read = (f) => fs.readFileSync(path.join(dir, f));

function listen(opts) {
  const server = uvtls.createServer(opts, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Connects, sends `payload`, waits for all of it back, ends. Resolves with the socket.
function echo(port, opts, payload) {
  return new Promise((resolve, reject) => {
    const c = uvtls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...opts }, () => {
      // Getters answer while the connection is open; keep what the checks need.
      c.seen = { protocol: c.getProtocol(), reused: c.isSessionReused(), authorized: c.authorized };
      c.end(payload);
    });
    const chunks = [];
    c.on('data', (d) => chunks.push(d));
    c.on('error', reject);
    c.on('close', () => {
      try {
        assert.ok(Buffer.concat(chunks).equals(Buffer.from(payload)), 'echoed bytes differ');
        resolve(c);
      } catch (e) {
        reject(e);
      }
    });
  });
}

async function main() {
  const identity = { key: read('server.key'), cert: read('server.pem') };
  const server = await listen({ ...identity, ALPNProtocols: ['echo'] });
  const port = server.address().port;
  let session;
  const c1 = await echo(port, { ca: read('ca.pem'), ALPNProtocols: ['echo'] }, 'hello 1.3');
  assert.strictEqual(c1.alpnProtocol, 'echo');
  assert.strictEqual(c1.seen.protocol, 'TLSv1.3');

  const tls12 = { ca: read('ca.pem'), maxVersion: 'TLSv1.2' };
  const c2 = await new Promise((resolve, reject) => {
    const c = uvtls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...tls12 }, () => {
      session = c.getSession();
      c.seen = { protocol: c.getProtocol() };
      c.end();
    });
    c.on('error', reject);
    c.on('close', () => resolve(c));
    c.resume();
  });
  assert.strictEqual(c2.seen.protocol, 'TLSv1.2');
  const c3 = await echo(port, { ...tls12, session }, 'resumed');
  assert.strictEqual(c3.seen.reused, true);

  const big = Buffer.alloc(1 << 20, 'x').toString();
  await echo(port, { ca: read('ca.pem') }, big);

  await assert.rejects(echo(port, {}, 'nope'), (e) => typeof e.code === 'string');
  server.close();

  const mutual = await listen({ ...identity, ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true });
  const client = { ca: read('ca.pem'), key: read('client.key'), cert: read('client.pem') };
  const c4 = await echo(mutual.address().port, client, 'mutual');
  assert.strictEqual(c4.seen.authorized, true);
  mutual.close();
  console.log('echo.js: 6 checks passed');
}

main().catch((e) => {
  console.error('echo.js:', e);
  process.exit(1);
});
