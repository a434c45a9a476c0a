'use strict';
// uvtls against Node's built-in tls, side by side in one run, reported as ratios (uvtls / node;
// below 1 is better). Each number is the server process's own CPU or memory, with the same
// client driving both, so only the implementation under test differs.
//
//   npm run bench            (defaults: 1000 handshakes, 256 MiB, 2000 idle mTLS connections)
//   BENCH_SCALE=0.2 npm run bench   (quicker)
const { fork } = require('child_process');
const path = require('path');
const { certs } = require('../test/fixtures/certs');

const scale = Number(process.env.BENCH_SCALE || 1);
const HANDSHAKES = Math.round(1000 * scale);
const MIB = Math.round(256 * scale);
const IDLE = Math.round(2000 * scale);

const c = certs();
const env = { ...process.env, BENCH_TLS: JSON.stringify({
  key: c.serverKey.toString(), cert: c.serverChain.toString(), ca: c.caCert.toString(),
  clientKey: c.clientKey.toString(), clientCert: c.clientCert.toString(), requestCert: true,
}) };

function child(file, args) {
  const p = fork(path.join(__dirname, file), args, { env, execArgv: ['--expose-gc'] });
  const next = () => new Promise((resolve, reject) => {
    p.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
    p.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return { p, next };
}

const cpuMs = (u) => (u.user + u.system) / 1000;

async function withServer(impl, fn) {
  const server = child('server-child.js', [impl]);
  const { port } = await server.next();
  try {
    return await fn(server, port);
  } finally {
    server.p.send('exit');
  }
}

async function measureServer(impl, mode, n) {
  return withServer(impl, async (server, port) => {
    server.p.send('measure');
    const before = await server.next();
    const client = child('client-child.js', ['node', mode, String(port), String(n)]);
    const result = await client.next();
    await new Promise((r) => setTimeout(r, 200));
    server.p.send('measure');
    const after = await server.next();
    client.p.send('exit');
    return { before, after, result };
  });
}

async function clientHandshakes(impl) {
  return withServer('node', async (server, port) => {
    const client = child('client-child.js', [impl, 'handshakes', String(port), String(HANDSHAKES)]);
    const r = await client.next();
    client.p.send('exit');
    return cpuMs(r.cpu) / HANDSHAKES;
  });
}

function row(name, unit, u, n) {
  const ratio = u / n;
  console.log(`${name.padEnd(42)} uvtls ${u.toFixed(3).padStart(10)} ${unit.padEnd(8)} node ${n.toFixed(3).padStart(10)} ${unit.padEnd(8)} ratio ${ratio.toFixed(2)}`);
  return ratio;
}

async function main() {
  console.log(`uvtls benchmark: ${HANDSHAKES} handshakes, ${MIB} MiB, ${IDLE} idle mTLS connections (TLS 1.3, mutual TLS, RSA 2048 server / P-256 client)\n`);
  const results = {};
  for (const impl of ['uvtls', 'node']) {
    const hs = await measureServer(impl, 'handshakes', HANDSHAKES);
    const bulk = await measureServer(impl, 'bulk', MIB);
    const idle = await measureServer(impl, 'idle', IDLE);
    results[impl] = {
      handshake: (cpuMs(hs.after.cpu) - cpuMs(hs.before.cpu)) / HANDSHAKES,
      perMiB: (cpuMs(bulk.after.cpu) - cpuMs(bulk.before.cpu)) / MIB,
      idleKiB: (idle.after.rss - idle.before.rss) / IDLE / 1024,
      idleHeapKiB: (idle.after.heap - idle.before.heap) / IDLE / 1024,
      connections: idle.after.connections,
      clientHandshake: await clientHandshakes(impl),
    };
  }
  const u = results.uvtls;
  const n = results.node;
  if (u.connections !== IDLE || n.connections !== IDLE) {
    throw new Error(`idle connections held: uvtls ${u.connections}, node ${n.connections} (wanted ${IDLE})`);
  }
  row('server CPU per handshake', 'ms', u.handshake, n.handshake);
  row('client CPU per handshake', 'ms', u.clientHandshake, n.clientHandshake);
  row('server CPU per MiB received', 'ms', u.perMiB, n.perMiB);
  row('server RSS per idle mTLS connection', 'KiB', u.idleKiB, n.idleKiB);
  row('server JS heap per idle mTLS connection', 'KiB', u.idleHeapKiB, n.idleHeapKiB);
}

main().catch((err) => { console.error(err); process.exit(1); });
