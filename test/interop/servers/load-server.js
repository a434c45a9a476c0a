'use strict';
// A mutual-TLS echo server for the load tests, as a process of its own: `node load-server.js
// IMPL PORT WORKERS CERT_DIR` with IMPL uvtls or node. It runs WORKERS cluster workers on PORT
// (uvtls shares the port through SO_REUSEPORT, Node's tls through the cluster primary), because
// one process may hold only 20,000 descriptors here. Prints "listening PORT" once every worker
// listens, and on SIGUSR2 the connections open now and the sum of each worker's peak, with the
// memory the workers grew by to hold their peaks ("count N peak P rss R KiB/connection K").
const cluster = require('cluster');
const fs = require('fs');
const path = require('path');

const [impl, portArg, workersArg, dir] = process.argv.slice(2);
const port = Number(portArg);
const workers = Number(workersArg);

if (cluster.isPrimary) {
  let listening = 0;
  const reports = new Map();
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork();
    w.on('message', (m) => {
      if (m.listening && ++listening === workers) process.stdout.write(`listening ${port}\n`);
      if (m.count !== undefined) {
        reports.set(w.id, m);
        if (reports.size === workers) {
          const all = [...reports.values()];
          const sum = (k) => all.reduce((a, r) => a + r[k], 0);
          const grown = sum('rssAtPeak') - sum('rssAtListen');
          process.stdout.write(`count ${sum('count')} peak ${sum('peak')} rss ${(sum('rss') / 1048576).toFixed(0)} MiB ` +
            `grown ${(grown / 1048576).toFixed(0)} MiB KiB/connection ${sum('peak') ? (grown / sum('peak') / 1024).toFixed(1) : '-'}\n`);
          reports.clear();
        }
      }
    });
    w.on('exit', (code, signal) => {
      if (!process.exitCode && signal !== 'SIGTERM') process.stderr.write(`worker exited ${code ?? signal}\n`);
    });
  }
  process.on('SIGUSR2', () => { for (const w of Object.values(cluster.workers)) w.send('count'); });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const lib = impl === 'node' ? require('tls') : require(path.join(__dirname, '..', '..', '..'));
  const read = (f) => fs.readFileSync(path.join(dir, f));
  let open = 0;
  let peak = 0;
  // The worker's resident memory when it started listening and when it held its most
  // connections (sampled every 100th new peak, cheap: one read of /proc).
  let rssAtListen = 0;
  let rssAtPeak = 0;
  const server = lib.createServer({ cert: read('server_certificate.pem'), key: read('server_key.pem'),
    ca: read('ca_certificate.pem'), requestCert: true, rejectUnauthorized: true }, (c) => {
    open++;
    if (open > peak) {
      peak = open;
      if (peak % 100 === 0) rssAtPeak = process.memoryUsage.rss();
    }
    c.on('error', () => {});
    c.on('close', () => { open--; });
    c.pipe(c);
  });
  server.on('tlsClientError', () => {});
  server.listen(port, '127.0.0.1', () => {
    rssAtListen = rssAtPeak = process.memoryUsage.rss();
    process.send({ listening: true });
  });
  process.on('message', (m) => {
    if (m === 'count') process.send({ count: open, peak, rss: process.memoryUsage.rss(), rssAtListen, rssAtPeak });
  });
}
