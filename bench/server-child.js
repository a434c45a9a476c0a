'use strict';
// A TLS server process for the benchmark: `node server-child.js <impl> <json options>`, impl
// `uvtls` or `node`. It reports its own CPU time and memory over IPC so the parent measures only
// the server's cost. Options: cert (ecdsa|rsa), requestCert, version (TLSv1.2|TLSv1.3),
// sessionIds (TLS 1.2 resumption by session id through newSession/resumeSession, no tickets),
// handshakeThreads (uvtls only; absent: uvtls's default).
// Messages: 'measure'; {connections: n} (answers once n are open); {sink: total} / {source: [size, total]} on the one connection open;
// 'exit'.
const { tlsOf, sink, source, memory, cpuNs, NO_TICKET } = require('./common');

const impl = process.argv[2];
const o = JSON.parse(process.argv[3]);
const pki = JSON.parse(process.env.BENCH_PKI);
const tls = tlsOf(impl);

const sockets = new Set();
let waitFor = null; // [count, resolve]: a TLS 1.3 client is secure before its server is
const opts = {
  key: pki.server[o.cert].key, cert: pki.server[o.cert].cert, ca: pki.ca,
  requestCert: !!o.requestCert, rejectUnauthorized: !!o.requestCert,
  minVersion: o.version, maxVersion: o.version,
};
if (o.sessionIds) opts.secureOptions = NO_TICKET;
if (impl === 'uvtls' && o.handshakeThreads !== undefined) opts.handshakeThreads = o.handshakeThreads;
const server = tls.createServer(opts, (s) => {
  sockets.add(s);
  if (waitFor && sockets.size >= waitFor[0]) waitFor[1]();
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
  if (o.http) {
    // `openssl s_time -www /` asks for a page and reads until the server closes: answering makes
    // a TLS 1.3 client read the session tickets, so that `-reuse` resumes.
    s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  }
});
if (o.sessionIds) {
  const cache = new Map();
  server.on('newSession', (id, data, cb) => {
    if (cache.size > 10000) cache.delete(cache.keys().next().value);
    cache.set(id.toString('hex'), data);
    cb();
  });
  server.on('resumeSession', (id, cb) => cb(null, cache.get(id.toString('hex')) || null));
}
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));

const one = () => sockets.values().next().value;
process.on('message', async (msg) => {
  if (msg === 'measure') {
    process.send({ cpu: cpuNs(), ...memory(), connections: sockets.size });
  } else if (msg.connections !== undefined) {
    if (sockets.size < msg.connections) {
      await new Promise((resolve) => { waitFor = [msg.connections, resolve]; });
    }
    waitFor = null;
    process.send({ connections: sockets.size });
  } else if (msg.sink !== undefined) {
    process.send({ cpu: await sink(one(), msg.sink) });
  } else if (msg.source !== undefined) {
    process.send({ cpu: await source(one(), msg.source[0], msg.source[1]) });
  } else if (msg === 'exit') {
    process.exit(0);
  }
});
