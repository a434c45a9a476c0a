'use strict';
// uvtls against Node's built-in tls, side by side in one run, with the floor: what OpenSSL alone
// costs on this machine (bench/floor.c). Prints one Markdown table; ratio = uvtls / Node (below 1
// is better). Every figure is the CPU time or memory of the one process under test, with the
// other end always the same (Node's tls, or `openssl s_time`), so only the implementation under
// test differs. See docs/performance.md for what each row means.
//
//   npm run bench                   (a full run: a few minutes)
//   BENCH_SCALE=0.3 npm run bench   (quicker, noisier)
//   BENCH_ONLY=bytes npm run bench  (sections: floor, handshakes, client, bytes, memory, cores)
//   BENCH_RUNS=n                    (byte runs per row; BENCH_ROWS=server-send-65536,... picks rows)
//   BENCH_JSON=out.json             (also write every sample)
//   BENCH_PERF=dir                  (a `perf record -g` profile of every byte run: see perfRecord)
const { execFile, execFileSync, spawn, fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { make } = require('./pki');

const scale = Number(process.env.BENCH_SCALE || 1);
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const want = (section) => !only || only.includes(section);
const SECONDS = Math.max(1, Math.round(2 * scale)); // per `openssl s_time` run
const S_TIME_CLIENTS = 3;
const CLIENT_HANDSHAKES = Math.max(50, Math.round(400 * scale));
const MIB = Math.max(16, Math.round(128 * scale));
const RUNS = Number(process.env.BENCH_RUNS) || Math.max(3, Math.round(5 * scale));
const IDLE = Math.max(200, Math.round(2000 * scale));
const FLOOR_HANDSHAKES = Math.max(50, Math.round(300 * scale));
const IMPLS = ['node', 'uvtls'];

const pki = make();
const env = { ...process.env, BENCH_PKI: JSON.stringify(pki) };

// A child process with an IPC queue: next() resolves with its next message.
function child(file, args) {
  const p = fork(path.join(__dirname, file), args, { env, execArgv: ['--expose-gc'] });
  const queue = [];
  const waiting = [];
  let dead = null;
  p.on('message', (m) => { if (waiting.length) waiting.shift()(m); else queue.push(m); });
  p.on('exit', (code) => {
    dead = new Error(`${file} ${args.join(' ')} exited with ${code}`);
    while (waiting.length) waiting.shift()(null);
  });
  const next = () => new Promise((resolve, reject) => {
    const take = (m) => {
      if (m === null) reject(dead);
      else if (m.error) reject(new Error(m.error));
      else resolve(m);
    };
    if (queue.length) take(queue.shift());
    else if (dead) reject(dead);
    else waiting.push(take);
  });
  const ask = (msg) => { p.send(msg); return next(); };
  const stop = () => { if (!dead) p.kill(); };
  return { p, next, ask, stop };
}

async function server(impl, opts) {
  const s = child('server-child.js', [impl, JSON.stringify(opts)]);
  const { port } = await s.next();
  return { ...s, port };
}

async function client(impl, opts) {
  const c = child('client-child.js', [impl, JSON.stringify(opts)]);
  await c.next();
  return c;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// --- the floor --------------------------------------------------------------------------------

function buildFloor() {
  const out = path.join(pki.dir, 'floor');
  const cc = process.env.CC || 'cc';
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-std=c11', path.join(__dirname, 'floor.c'),
    '-o', out, '-lssl', '-lcrypto'], { stdio: 'inherit' });
  let pkg = 'libssl-dev (version unknown)';
  try {
    pkg = `libssl-dev ${execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libssl-dev']).toString()}`;
  } catch {
    // not a Debian system: the compiler found the headers wherever they are
  }
  return { out, how: `${cc} -O2 bench/floor.c -lssl -lcrypto, against the system's ${pkg}` };
}

function runFloor() {
  const { out, how } = buildFloor();
  const lines = execFileSync(out, [pki.dir, String(FLOOR_HANDSHAKES), String(MIB), String(IDLE)])
    .toString().trim().split('\n').map((l) => JSON.parse(l));
  return { how, lines };
}

// --- handshakes, counted by `openssl s_time` --------------------------------------------------

function sTime(port, o, seconds = SECONDS) {
  const args = ['s_time', '-connect', `127.0.0.1:${port}`, o.resume ? '-reuse' : '-new',
    '-time', String(seconds), o.version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2'];
  if (o.requestCert) args.push('-cert', pki.file('client.pem'), '-key', pki.file('client.key'));
  if (o.resume) args.push('-www', '/');
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d) => { text += d; });
    p.stderr.on('data', (d) => { text += d; });
    p.on('error', reject);
    p.on('close', () => {
      const m = /(\d+) connections in [\d.]+s;/.exec(text);
      if (!m) return reject(new Error(`openssl s_time: ${text.slice(-500)}`));
      // s_time prints 'r' for each resumed connection and '*' for each full one.
      resolve({ count: Number(m[1]), resumed: (text.match(/r/g) || []).length });
    });
  });
}

async function serverHandshakes(impl, o) {
  const s = await server(impl, o);
  try {
    const before = await s.ask('measure');
    const runs = await Promise.all(Array.from({ length: S_TIME_CLIENTS }, () => sTime(s.port, o)));
    const after = await s.ask('measure');
    const count = runs.reduce((a, r) => a + r.count, 0);
    const resumed = runs.reduce((a, r) => a + r.resumed, 0);
    if (o.resume && resumed < count * 0.95) {
      throw new Error(`${impl}: only ${resumed} of ${count} handshakes resumed`);
    }
    return { us: (after.cpu - before.cpu) / count / 1000, count };
  } finally {
    s.stop();
  }
}

// --- handshakes across cores ---------------------------------------------------------------------

// Handshakes per second a server completes, and its CPU per handshake (all its threads), against
// CORE_CLIENTS processes of bench/hsload.c, each keeping 16 handshakes in flight. `openssl
// s_time` costs more CPU per handshake than the server under test, so on this 2-core machine
// it, not the server, would set the pace; hsload is leaner (but still OpenSSL 3.0: see
// docs/performance.md for what the clients take).
const CORE_CLIENTS = 2;
const CORE_SECONDS = Math.max(2, Math.round(5 * scale));
const CORE_RUNS = Number(process.env.BENCH_CORE_RUNS) || 3;
function buildHsload() {
  const out = path.join(pki.dir, 'hsload');
  execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-std=c11',
    path.join(__dirname, 'hsload.c'), '-o', out, '-lssl', '-lcrypto'], { stdio: 'inherit' });
  return out;
}

function hsload(bin, port, o) {
  const args = [String(port), String(CORE_SECONDS), '16', o.version === 'TLSv1.2' ? 'tls1.2' : 'tls1.3'];
  if (o.requestCert) args.push(pki.file('client.pem'), pki.file('client.key'));
  return new Promise((resolve, reject) => {
    execFile(bin, args, (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
  });
}

async function serverRate(bin, impl, o) {
  const s = await server(impl, o);
  try {
    const before = await s.ask('measure');
    const t0 = process.hrtime.bigint();
    const runs = await Promise.all(Array.from({ length: CORE_CLIENTS }, () => hsload(bin, s.port, o)));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = await s.ask('measure');
    const count = runs.reduce((a, r) => a + r.handshakes, 0);
    const failures = runs.reduce((a, r) => a + r.failures, 0);
    if (failures > count / 100) throw new Error(`${impl}: ${failures} of ${count + failures} handshakes failed`);
    const cpu = (after.cpu - before.cpu) / 1e9;
    return { perSecond: count / CORE_SECONDS, us: cpu / count * 1e6, cores: cpu / wall };
  } finally {
    s.stop();
  }
}

async function clientHandshakes(impl, o) {
  const s = await server('node', o);
  const c = await client(impl, { ...o, port: s.port, clientCert: o.requestCert });
  try {
    const r = await c.ask({ handshakes: CLIENT_HANDSHAKES });
    return { us: r.cpu / CLIENT_HANDSHAKES / 1000 };
  } finally {
    c.stop();
    s.stop();
  }
}

// --- bytes --------------------------------------------------------------------------------------

// One connection, TLS 1.3, ECDSA; `side` (server|client) runs `impl` and is measured, the other
// end is Node's tls. `dir`: the measured side receives or sends MIB in writes of `size`.
async function bytesOnce(impl, side, dir, size) {
  const o = { cert: 'ecdsa', version: 'TLSv1.3' };
  const s = await server(side === 'server' ? impl : 'node', o);
  const c = await client(side === 'client' ? impl : 'node', { ...o, port: s.port });
  try {
    await c.ask('connect');
    await s.ask({ connections: 1 }); // a TLS 1.3 client is secure before its server is
    const total = MIB * 1024 * 1024;
    const receiver = dir === 'receive' ? (side === 'server' ? s : c) : (side === 'server' ? c : s);
    const sender = receiver === s ? c : s;
    const profiled = side === 'server' ? s : c;
    const perf = PERF_DIR && perfRecord(profiled.p.pid, `${impl}-${side}-${dir}-${size}`);
    receiver.p.send({ sink: total });
    sender.p.send({ source: [size, total] });
    const [rr, sr] = await Promise.all([receiver.next(), sender.next()]);
    const measured = profiled === receiver ? rr : sr;
    if (perf) await perf.stop(measured.cpu / total);
    return measured.cpu / total;
  } finally {
    c.stop();
    s.stop();
  }
}

// BENCH_PERF=dir: each byte run of the measured process is recorded with `perf record -g`, in
// dir/<impl>-<side>-<direction>-<size>-<n>.data, its CPU per byte in the file's name (in ps/B)
// so that a slow run's profile can be told from a fast one's. BENCH_PERF_ARGS replaces the
// sampling options (default `-F 999 -g`), e.g. `--call-graph dwarf -e syscalls:sys_enter_brk`.
const PERF_DIR = process.env.BENCH_PERF;
let perfRuns = 0;
function perfRecord(pid, label) {
  const file = path.join(PERF_DIR, `${label}-${++perfRuns}.data`);
  const args = (process.env.BENCH_PERF_ARGS || '-F 999 -g').split(' ');
  const p = spawn('perf', ['record', ...args, '-p', String(pid), '-o', file], { stdio: 'ignore' });
  return {
    stop: (nsPerByte) => new Promise((resolve) => {
      p.once('close', () => {
        fs.renameSync(file, file.replace(/\.data$/, `-${Math.round(nsPerByte * 1000)}psB.data`));
        resolve();
      });
      p.kill('SIGINT');
    }),
  };
}

// --- memory -------------------------------------------------------------------------------------

async function serverIdle(impl, requestCert) {
  const o = { cert: 'ecdsa', version: 'TLSv1.3', requestCert };
  const s = await server(impl, o);
  const c = await client('node', { ...o, port: s.port, clientCert: requestCert });
  const warm = await client('node', { ...o, port: s.port, clientCert: requestCert });
  try {
    // One connection first: the TLS module's lazily loaded parts are not per connection.
    await warm.ask({ idle: 1 });
    await s.ask({ connections: 2 }); // the client process's own first one, and the idle one
    const before = await s.ask('measure');
    const r = await c.ask({ idle: IDLE });
    // The client process opens one connection before it measures, then IDLE.
    await s.ask({ connections: before.connections + IDLE + 1 });
    const after = await s.ask('measure');
    if (after.connections !== before.connections + IDLE + 1 || r.connections !== IDLE) {
      throw new Error(`${impl} server held ${after.connections - before.connections - 1} of ${IDLE} connections`);
    }
    return { kib: (after.rss - before.rss) / IDLE / 1024,
      heapKib: (after.heap - before.heap) / IDLE / 1024 };
  } finally {
    warm.stop();
    c.stop();
    s.stop();
  }
}

async function clientIdle(impl) {
  const o = { cert: 'ecdsa', version: 'TLSv1.3' };
  const s = await server('node', o);
  const c = await client(impl, { ...o, port: s.port });
  try {
    const r = await c.ask({ idle: IDLE });
    return { kib: (r.after.rss - r.before.rss) / IDLE / 1024,
      heapKib: (r.after.heap - r.before.heap) / IDLE / 1024 };
  } finally {
    c.stop();
    s.stop();
  }
}

// --- the table ----------------------------------------------------------------------------------

const rows = [];
function row(figure, unit, node, uvtls, target, floor, note) {
  const ratio = uvtls.value / node.value;
  rows.push({ figure, unit, node, uvtls, ratio, target, floor, note });
  const cell = (v) => v.text ?? v.value.toFixed(v.digits ?? 1);
  const verdict = target === undefined ? '' : ratio <= target ? ` (≤ ${target}: met)` : ` (≤ ${target}: missed)`;
  console.log(`| ${figure} | ${cell(node)} ${unit} | ${cell(uvtls)} ${unit} | ${ratio.toFixed(2)}${verdict} | ${floor ?? ''} |`);
}

const spread = (xs, digits) => ({ value: median(xs), digits,
  text: `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` });

async function main() {
  const t0 = Date.now();
  console.log(`# uvtls benchmark (${new Date().toISOString()}, ${os.cpus().length} cores, Node ${process.version}, ` +
    `BENCH_SCALE=${scale})\n`);
  console.log(`s_time: ${S_TIME_CLIENTS} clients × ${SECONDS} s per row; client handshakes: ${CLIENT_HANDSHAKES}; ` +
    `bytes: ${MIB} MiB per run, ${RUNS} runs (median, min–max); idle: ${IDLE} connections\n`);
  const all = { scale, samples: {} };
  let floor = { lines: [] };
  if (want('floor')) {
    floor = runFloor();
    console.log(`floor: ${floor.lines[0].openssl} (bench/floor.c built with ${floor.how})\n`);
  }
  const f = (pred) => floor.lines.find((l) => Object.entries(pred).every(([k, v]) => l[k] === v));
  console.log('| figure | Node tls | uvtls | ratio (target) | floor: OpenSSL alone |');
  console.log('| --- | --- | --- | --- | --- |');

  if (want('handshakes')) {
    const configs = [];
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      for (const cert of ['ecdsa', 'rsa']) {
        for (const requestCert of [false, true]) configs.push({ version, cert, requestCert });
      }
    }
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      for (const cert of ['ecdsa', 'rsa']) {
        configs.push({ version, cert, resume: true, http: true, sessionIds: version === 'TLSv1.2' });
      }
    }
    for (const o of configs) {
      const r = {};
      for (const impl of IMPLS) r[impl] = await serverHandshakes(impl, o);
      all.samples[`server handshake ${JSON.stringify(o)}`] = r;
      const fl = f({ kind: 'handshake', version: o.version, cert: o.cert,
        clientCert: o.requestCert ? 1 : 0, resume: o.resume ? 1 : 0 });
      const kind = o.resume ? (o.version === 'TLSv1.3' ? 'resumed (ticket)' : 'resumed (session id)')
        : `full${o.requestCert ? ', client cert' : ''}`;
      const target = o.resume ? 0.3 : o.requestCert ? undefined : 0.45;
      row(`server CPU per handshake: ${o.version.slice(3)} ${o.cert.toUpperCase()}, ${kind} ` +
        `(s_time, ${r.node.count}/${r.uvtls.count} counted)`, 'µs',
      { value: r.node.us, digits: 0 }, { value: r.uvtls.us, digits: 0 }, target,
      fl && `${fl.server_us.toFixed(0)} µs in memory`);
    }
  }

  if (want('client')) {
    const configs = [
      { version: 'TLSv1.3', cert: 'ecdsa' }, { version: 'TLSv1.3', cert: 'rsa' },
      { version: 'TLSv1.2', cert: 'ecdsa' }, { version: 'TLSv1.3', cert: 'ecdsa', requestCert: true },
    ];
    for (const o of configs) {
      const r = {};
      for (const impl of IMPLS) r[impl] = await clientHandshakes(impl, o);
      all.samples[`client handshake ${JSON.stringify(o)}`] = r;
      const fl = f({ kind: 'handshake', version: o.version, cert: o.cert,
        clientCert: o.requestCert ? 1 : 0, resume: 0 });
      row(`client CPU per full handshake: ${o.version.slice(3)} ${o.cert.toUpperCase()}` +
        `${o.requestCert ? ', client cert' : ''}`, 'µs', { value: r.node.us, digits: 0 },
      { value: r.uvtls.us, digits: 0 }, 0.6, fl && `${fl.client_us.toFixed(0)} µs in memory`);
    }
  }

  if (want('bytes')) {
    const aes = f({ kind: 'cipher', name: 'AES-256-GCM' });
    for (const side of ['server', 'client']) {
      for (const dir of ['receive', 'send']) {
        for (const size of [16384, 65536]) {
          if (process.env.BENCH_ROWS && !process.env.BENCH_ROWS.split(',').includes(`${side}-${dir}-${size}`)) continue;
          const r = { node: [], uvtls: [] };
          for (let i = 0; i < RUNS; i++) {
            for (const impl of IMPLS) r[impl].push(await bytesOnce(impl, side, dir, size));
          }
          all.samples[`${side} ${dir} ${size}`] = r;
          const rec = f({ kind: 'record', size });
          row(`${side} CPU per ${dir === 'receive' ? 'received' : 'sent'} byte, ${size / 1024} KiB writes`,
            'ns', spread(r.node, 2), spread(r.uvtls, 2), 0.5,
            rec && `${(dir === 'receive' ? rec.recv_ns : rec.send_ns).toFixed(2)} ns SSL_${dir === 'receive' ? 'read' : 'write'}` +
              ` in memory (${rec.cipher}); AES-256-GCM ${aes.ns_per_byte.toFixed(2)} ns`);
        }
      }
    }
  }

  if (want('memory')) {
    for (const requestCert of [false, true]) {
      const r = {};
      for (const impl of IMPLS) r[impl] = await serverIdle(impl, requestCert);
      all.samples[`server idle ${requestCert}`] = r;
      const fl = f({ kind: 'idle', clientCert: requestCert ? 1 : 0, freeBuffers: 1 });
      row(`server memory per idle connection (RSS; JS heap part), ${requestCert ? 'with' : 'no'} client cert`,
        'KiB', { value: r.node.kib, text: `${r.node.kib.toFixed(1)} (${r.node.heapKib.toFixed(1)})` },
        { value: r.uvtls.kib, text: `${r.uvtls.kib.toFixed(1)} (${r.uvtls.heapKib.toFixed(1)})` }, undefined,
        fl && `${(fl.server_bytes / 1024).toFixed(1)} KiB established SSL, buffers freed ` +
          `(target ≤ ${requestCert ? 24 : 16} KB)`);
    }
    const r = {};
    for (const impl of IMPLS) r[impl] = await clientIdle(impl);
    all.samples['client idle'] = r;
    const fl = f({ kind: 'idle', clientCert: 0, freeBuffers: 1 });
    row('client memory per idle connection (RSS; JS heap part)', 'KiB',
      { value: r.node.kib, text: `${r.node.kib.toFixed(1)} (${r.node.heapKib.toFixed(1)})` },
      { value: r.uvtls.kib, text: `${r.uvtls.kib.toFixed(1)} (${r.uvtls.heapKib.toFixed(1)})` }, undefined,
      fl && `${(fl.client_bytes / 1024).toFixed(1)} KiB established SSL, buffers freed (target ≤ 24 KB)`);
  }

  if (want('cores')) {
    const bin = buildHsload();
    console.log(`\n### Handshakes across cores (${CORE_CLIENTS} bench/hsload.c clients × 16 in flight on the same ` +
      `${os.cpus().length} cores, ${CORE_SECONDS} s per run, median of ${CORE_RUNS} runs; per cell: handshakes/s, ` +
      'server CPU per handshake over all its threads, cores the server used)\n');
    console.log('| handshakes (TLS 1.3, full) | Node tls | uvtls, loop thread only | uvtls, handshake threads (default) | ' +
      'threads ÷ loop only (target ≥ 1.6) |');
    console.log('| --- | --- | --- | --- | --- |');
    const configs = [
      { version: 'TLSv1.3', cert: 'rsa4096' }, { version: 'TLSv1.3', cert: 'rsa' },
      { version: 'TLSv1.3', cert: 'ecdsa' }, { version: 'TLSv1.3', cert: 'ecdsa', requestCert: true },
    ];
    for (const o of configs) {
      const r = { node: [], loop: [], pool: [] };
      for (let i = 0; i < CORE_RUNS; i++) {
        r.node.push(await serverRate(bin, 'node', o));
        r.loop.push(await serverRate(bin, 'uvtls', { ...o, handshakeThreads: 0 }));
        r.pool.push(await serverRate(bin, 'uvtls', o));
      }
      all.samples[`cores ${JSON.stringify(o)}`] = r;
      const med = (xs, k) => median(xs.map((x) => x[k]));
      const cell = (xs) => `${med(xs, 'perSecond').toFixed(0)}/s (${Math.min(...xs.map((x) => x.perSecond)).toFixed(0)}–` +
        `${Math.max(...xs.map((x) => x.perSecond)).toFixed(0)}), ${med(xs, 'us').toFixed(0)} µs, ${med(xs, 'cores').toFixed(2)} cores`;
      const ratio = med(r.pool, 'perSecond') / med(r.loop, 'perSecond');
      const name = o.cert === 'rsa4096' ? 'RSA-4096' : o.cert === 'rsa' ? 'RSA-2048' : 'ECDSA P-256';
      console.log(`| ${name}${o.requestCert ? ', client cert' : ''} | ${cell(r.node)} | ${cell(r.loop)} | ${cell(r.pool)} | ` +
        `${ratio.toFixed(2)} (${ratio >= 1.6 ? 'met' : 'missed'}) |`);
    }
  }

  if (floor.lines.length) {
    const l = (k) => floor.lines.filter((x) => x.kind === k);
    console.log(`\nfloor details: ${l('cipher').map((c) => `${c.name} ${c.ns_per_byte.toFixed(3)} ns/B`).join(', ')}; ` +
      l('idle').map((i) => `idle ${i.clientCert ? 'mTLS' : 'TLS'} ${i.freeBuffers ? 'SSL_free_buffers' : 'RELEASE_BUFFERS only'}: ` +
        `server ${(i.server_bytes / 1024).toFixed(1)} KiB, client ${(i.client_bytes / 1024).toFixed(1)} KiB`).join('; '));
  }
  console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  all.floor = floor.lines;
  all.rows = rows;
  if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(all, null, 1));
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
