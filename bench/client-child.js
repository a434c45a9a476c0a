'use strict';
// The load generator: `node client-child.js <impl> <mode> <port> <n> ...`, always in its own
// process. mode handshakes: n sequential-ish handshakes (concurrency 8); bulk: one connection
// sending n MiB; idle: n connections that stay open until the parent says 'exit'.
const [impl, mode, portArg, nArg] = process.argv.slice(2);
const tls = impl === 'uvtls' ? require('..') : require('tls');
const { ca, clientKey, clientCert } = JSON.parse(process.env.BENCH_TLS);
const port = Number(portArg);
const n = Number(nArg);
const opts = { port, host: '127.0.0.1', servername: 'localhost', ca, key: clientKey, cert: clientCert,
  maxVersion: 'TLSv1.3' };
if (impl !== 'uvtls') opts.secureContext = tls.createSecureContext(opts);
else opts.secureContext = tls.createSecureContext(opts);

function one() {
  return new Promise((resolve, reject) => {
    const s = tls.connect(opts, () => { s.end(); });
    s.on('error', reject);
    s.on('close', resolve);
    s.resume();
  });
}

async function handshakes() {
  let started = 0;
  const worker = async () => { while (started < n) { started++; await one(); } };
  const t0 = process.cpuUsage();
  await Promise.all(Array.from({ length: 8 }, worker));
  process.send({ done: true, cpu: process.cpuUsage(t0) });
}

async function bulk() {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const total = n * 1024 * 1024;
  const s = tls.connect(opts);
  await new Promise((r) => s.once('secureConnect', r));
  const t0 = process.cpuUsage();
  let sent = 0;
  while (sent < total) {
    sent += chunk.length;
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  }
  await new Promise((r) => s.end(r));
  process.send({ done: true, cpu: process.cpuUsage(t0) });
  s.destroy();
}

const open = [];
async function idle() {
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) {
      batch.push(new Promise((resolve, reject) => {
        const s = tls.connect(opts, resolve);
        s.on('error', reject);
        open.push(s);
      }));
    }
    await Promise.all(batch);
  }
  if (global.gc) { global.gc(); global.gc(); }
  const m = process.memoryUsage();
  process.send({ done: true, rss: m.rss, heap: m.heapUsed });
}

process.on('message', (msg) => { if (msg === 'exit') process.exit(0); });
({ handshakes, bulk, idle })[mode]().catch((err) => { process.send({ error: err.message }); process.exit(1); });
