'use strict';
// A TLS client process for the benchmark: `node client-child.js <impl> <json options>`, impl
// `uvtls` or `node`. Options: port, version, clientCert (present the client certificate).
// Messages: {handshakes: n} (n full handshakes, 8 at a time; replies with the CPU spent),
// 'connect' (one connection for the byte phases), {sink: total}, {source: [size, total]},
// {idle: n} (n connections kept open; replies with memory before and after), 'exit'.
const { tlsOf, sink, source, memory, cpuNs } = require('./common');

const impl = process.argv[2];
const o = JSON.parse(process.argv[3]);
const pki = JSON.parse(process.env.BENCH_PKI);
const tls = tlsOf(impl);

const base = { port: o.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca,
  minVersion: o.version, maxVersion: o.version };
if (o.clientCert) Object.assign(base, pki.client);
// One context for every connection, as an application that connects often keeps it.
base.secureContext = tls.createSecureContext(base);

function connect() {
  return new Promise((resolve, reject) => {
    const s = tls.connect(base, () => resolve(s));
    s.once('error', reject);
  });
}

async function handshakes(n) {
  let started = 0;
  const worker = async () => {
    while (started < n) {
      started++;
      const s = await connect();
      await new Promise((r) => { s.on('close', r); s.end(); s.resume(); });
    }
  };
  const t0 = cpuNs();
  await Promise.all(Array.from({ length: Math.min(8, n) }, worker));
  return cpuNs() - t0;
}

const open = [];
async function idle(n) {
  // One connection first: the TLS module's lazily loaded parts are not per connection.
  const first = await connect();
  first.on('error', () => {});
  const before = memory();
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) batch.push(connect());
    for (const s of await Promise.all(batch)) { s.on('error', () => {}); open.push(s); }
  }
  const after = memory();
  open.push(first);
  return { before, after, connections: open.length - 1 };
}

process.on('message', async (msg) => {
  try {
    if (msg === 'exit') process.exit(0);
    else if (msg === 'connect') { open.push(await connect()); process.send({ ok: true }); }
    else if (msg.handshakes) process.send({ cpu: await handshakes(msg.handshakes) });
    else if (msg.sink !== undefined) process.send({ cpu: await sink(open[0], msg.sink) });
    else if (msg.source) process.send({ cpu: await source(open[0], msg.source[0], msg.source[1]) });
    else if (msg.idle) process.send(await idle(msg.idle));
  } catch (err) {
    process.send({ error: err.stack || err.message });
    process.exit(1);
  }
});
process.send({ ready: true });
