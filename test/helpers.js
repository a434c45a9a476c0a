'use strict';
// Shared test plumbing: real sockets on loopback and real peers (Node's tls, openssl).
const net = require('net');
const tls = require('tls');
const { spawn } = require('child_process');
const path = require('path');
const { once } = require('events');
const uvtls = require('..');

// The bound of one wait in a test (an event, a child's output, a condition). Generous: the suite
// must pass on a loaded machine (two copies at once, the sanitizer build), so only a hang ever
// reaches it; no test relies on anything happening within a shorter window.
const STEP_MS = 60000;

// Connects a SecurePair to a socket the way the classic docs did.
function attach(pair, socket) {
  socket.pipe(pair.encrypted);
  pair.encrypted.pipe(socket);
  socket.on('error', () => pair.destroy());
  return pair;
}

// Two pairs wired back to back in memory.
function linkPairs(a, b) {
  a.encrypted.pipe(b.encrypted);
  b.encrypted.pipe(a.encrypted);
}

// A uvtls client pair over a real TCP connection to host:port.
async function pairClient(port, context, { rejectUnauthorized = true, servername, requestCert } = {}) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const pair = uvtls.createSecurePair(context, false, requestCert, rejectUnauthorized, { servername });
  attach(pair, socket);
  return { pair, socket };
}

// A plain TCP server whose connections are served by uvtls server pairs.
async function pairServer(context, { requestCert = false, rejectUnauthorized, onPair, options } = {}) {
  const server = net.createServer((socket) => {
    const pair = uvtls.createSecurePair(context, true, requestCert, rejectUnauthorized, options);
    attach(pair, socket);
    if (onPair) onPair(pair, socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function nodeTlsServer(options, onSocket) {
  const server = tls.createServer(options, onSocket || ((s) => s.pipe(s)));
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

// Resolves with the first of the named events (or rejects on 'error' unless listed).
function firstEvent(emitter, names, timeoutMs = STEP_MS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${names}`)), timeoutMs);
    for (const name of names) {
      emitter.once(name, (...args) => { clearTimeout(timer); resolve({ event: name, args }); });
    }
  });
}

// The sanitizer variables. Under `npm run test:asan`, scripts/asan-preload.js has moved them out
// of process.env (to UVTLS_SANITIZER_<name>), so that no child inherits the runtime by accident.
const SANITIZER_VARS = ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS'];

// The environment for external tools (openssl, gnutls, sh) and for Node children that do not
// load uvtls: never the sanitizer runtime, which only the addon's processes are meant to carry.
function toolEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const name of SANITIZER_VARS) {
    delete env[name];
    delete env[`UVTLS_SANITIZER_${name}`];
  }
  return env;
}

// The environment for a child Node process that loads uvtls (UVTLS_BINDING names the addon it
// loads): under `npm run test:asan` it gets the sanitizer runtime back, without leak detection
// (unless `detectLeaks`), which would report V8's own allocations of a process that ends with
// process.exit() or a signal; and then with fast unwinding, since only complete leak stacks
// need the slow unwinder (which makes every allocation of a whole Node process expensive).
function nodeChildEnv(extra, { detectLeaks = false } = {}) {
  const env = toolEnv(extra);
  for (const name of SANITIZER_VARS) {
    const saved = process.env[`UVTLS_SANITIZER_${name}`] || process.env[name];
    if (saved !== undefined) env[name] = saved;
  }
  if (env.ASAN_OPTIONS && !detectLeaks) env.ASAN_OPTIONS += ':detect_leaks=0:fast_unwind_on_malloc=1';
  return env;
}

// Runs an openssl command; resolves with {code, stdout, stderr}. `input` is written to stdin,
// which is closed once the output matches `endWhen` (a pattern: e.g. s_client's handshake summary
// or the arrival of a session ticket), else at once.
function runOpenssl(args, { input, timeoutMs = STEP_MS, endWhen } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], env: toolEnv() });
    let stdout = '';
    let stderr = '';
    let ended = false;
    const maybeEnd = () => {
      if (ended || input === undefined) return;
      if (endWhen && !endWhen.test(stdout + stderr)) return;
      ended = true;
      child.stdin.end();
    };
    child.stdin.on('error', () => {}); // EPIPE when it has already gone
    child.stdout.on('data', (d) => { stdout += d; maybeEnd(); });
    child.stderr.on('data', (d) => { stderr += d; maybeEnd(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`openssl timed out: ${stdout}${stderr}`)); }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    if (input !== undefined) {
      child.stdin.write(input);
      maybeEnd();
    }
  });
}

// Starts `openssl s_server` on an ephemeral port (it prints the one the kernel gave it) and
// resolves once it accepts connections.
function startSServer(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_server', '-accept', '0', '-naccept', '1', ...args],
      { stdio: ['pipe', 'pipe', 'pipe'], env: toolEnv() });
    let output = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`s_server did not start: ${output}`)); }, STEP_MS);
    const onData = (d) => {
      output += d;
      const m = /ACCEPT \S*:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`s_server did not start: ${output}`)); });
  });
}

async function freePort() {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  s.close();
  await once(s, 'close');
  return port;
}

// Tracks what a test opens and closes it afterwards (servers wait for 'close', sockets are
// destroyed), newest first, so that mocha exits by itself.
function openTracker(closeWaitMs = 3000) {
  let open = [];
  return {
    track(x) { open.push(x); return x; },
    async closeAll() {
      const items = open.reverse();
      open = [];
      for (const x of items) {
        if (typeof x.listen === 'function') {
          if (x.listening) {
            await new Promise((resolve) => {
              const t = setTimeout(resolve, closeWaitMs);
              x.close(() => { clearTimeout(t); resolve(); });
            });
          }
        } else if (typeof x.destroy === 'function') {
          x.destroy();
        }
      }
    },
  };
}

// Polls `fn` until it returns something truthy (for state that has no event, such as a
// counter of a server's connections); fails after `timeoutMs`.
async function waitUntil(fn, what, timeoutMs = STEP_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${typeof what === 'function' ? what() : what}`);
    await delay(10);
  }
}

// An array that can be awaited: `list.next(n)` resolves once it holds n items (default 1).
function eventList(what = 'event') {
  const list = [];
  const waiters = [];
  list.push = (...items) => {
    const n = Array.prototype.push.apply(list, items);
    for (const w of waiters.slice()) if (list.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
    return n;
  };
  list.next = (n = 1, ms = STEP_MS) => (list.length >= n ? Promise.resolve(list[n - 1])
    : within(new Promise((resolve) => waiters.push({ n, resolve })), ms, `${n} ${what}(s), got ${list.length}`)
      .then(() => list[n - 1]));
  return list;
}

// A timer promise that never keeps the process alive.
function delay(ms) {
  return new Promise((resolve) => { const t = setTimeout(resolve, ms); t.unref(); });
}

// Rejects after ms unless the promise settles first.
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function collect(stream) {
  const chunks = [];
  stream.on('data', (d) => chunks.push(Buffer.from(d)));
  return () => Buffer.concat(chunks);
}

// A copy of bin/, lib/, package.json and the addon in a world-readable temporary directory, for
// tests that run something as user nobody: the checkout itself may sit in a 0700 directory (a CI
// clone into mktemp -d) that nobody cannot enter. Returns { dir, env, remove }: `dir` is what
// to require (or dir/bin/uvtls.js to run), `env` points the copy at its addon.
function worldReadableCopy() {
  const fs = require('fs');
  const os = require('os');
  const path = require('path');
  const root = path.join(__dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-nobody-'));
  for (const part of ['bin', 'lib', 'package.json']) {
    fs.cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
  }
  const addon = path.join(dir, 'uvtls.node');
  fs.copyFileSync(process.env.UVTLS_BINDING || path.join(root, 'build', 'Release', 'uvtls.node'), addon);
  const open = (p) => {
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) open(path.join(p, e));
  };
  open(dir);
  fs.chmodSync(path.join(dir, 'bin', 'uvtls.js'), 0o755);
  return { dir, env: { UVTLS_BINDING: addon }, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// Runs the `uvtls` command; resolves with { code, stdout, stderr }. `onStderr(text, child)` sees
// its progress as it comes (Ctrl-C tests). A run that outlives `timeoutMs` is killed and fails.
function runUvtls(args, { onStderr, timeoutMs = STEP_MS * 2 } = {}) {
  const bin = path.join(__dirname, '..', 'bin', 'uvtls.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: nodeChildEnv({ NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (onStderr) onStderr(stderr, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`uvtls ${args.join(' ')} hung\n${stdout}\n${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

module.exports = {
  worldReadableCopy,
  attach, linkPairs, runUvtls, pairClient, pairServer, nodeTlsServer, firstEvent, runOpenssl,
  startSServer, freePort, collect, toolEnv, nodeChildEnv, openTracker, delay, within, waitUntil,
  eventList, STEP_MS,
};
