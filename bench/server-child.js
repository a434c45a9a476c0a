'use strict';
// A TLS server process for the benchmarks: `node server-child.js uvtls|node`. It answers IPC
// requests with its own CPU time and memory, so the parent measures only the server's cost.
const impl = process.argv[2];
const tls = impl === 'uvtls' ? require('..') : require('tls');
const { key, cert, ca, requestCert } = JSON.parse(process.env.BENCH_TLS);

const sockets = new Set();
let received = 0;
const server = tls.createServer({ key, cert, ca, requestCert, rejectUnauthorized: requestCert }, (s) => {
  sockets.add(s);
  s.on('data', (d) => { received += d.length; });
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));

process.on('message', (msg) => {
  if (msg === 'measure') {
    if (global.gc) { global.gc(); global.gc(); }
    const m = process.memoryUsage();
    process.send({ cpu: process.cpuUsage(), rss: m.rss, heap: m.heapUsed, external: m.external,
      connections: sockets.size, received });
  } else if (msg === 'drop') {
    for (const s of sockets) s.destroy();
    process.send({ dropped: true });
  } else if (msg === 'exit') {
    process.exit(0);
  }
});
