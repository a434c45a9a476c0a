'use strict';
// Shared test plumbing: real sockets on loopback and real peers (Node's tls, openssl).
const net = require('net');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');

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
async function pairServer(context, { requestCert = false, rejectUnauthorized, onPair } = {}) {
  const server = net.createServer((socket) => {
    const pair = uvtls.createSecurePair(context, true, requestCert, rejectUnauthorized);
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
function firstEvent(emitter, names, timeoutMs = 8000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${names}`)), timeoutMs);
    for (const name of names) {
      emitter.once(name, (...args) => { clearTimeout(timer); resolve({ event: name, args }); });
    }
  });
}

// The environment for external tools (openssl, gnutls): without the sanitizer runtime that
// `npm run test:asan` preloads into Node, which those programs must not inherit.
function toolEnv() {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  delete env.UBSAN_OPTIONS;
  return env;
}

// The environment for a child Node process: under `npm run test:asan` it keeps the sanitizer
// runtime (it loads the ASan addon) but without leak detection, which would report V8's own
// allocations of a process that ends with process.exit() or a signal.
function nodeChildEnv(extra) {
  const env = { ...process.env, ...extra };
  if (env.ASAN_OPTIONS) env.ASAN_OPTIONS += ':detect_leaks=0';
  return env;
}

// Runs an openssl command; resolves with {code, stdout, stderr}. `input` is written to stdin.
function runOpenssl(args, { input, timeoutMs = 8000, keepOpenMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], env: toolEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`openssl timed out: ${stderr}`)); }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    if (input !== undefined) {
      child.stdin.write(input);
      setTimeout(() => child.stdin.end(), keepOpenMs);
    }
  });
}

// Starts `openssl s_server` and resolves once it accepts connections.
async function startSServer(args) {
  const port = await freePort();
  const child = spawn('openssl', ['s_server', '-accept', String(port), '-naccept', '1', ...args],
    { stdio: ['pipe', 'pipe', 'pipe'], env: toolEnv() });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + 8000;
  while (!output.includes('ACCEPT')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`s_server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, child, output: () => output };
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

module.exports = {
  attach, linkPairs, pairClient, pairServer, nodeTlsServer, firstEvent, runOpenssl,
  startSServer, freePort, collect, toolEnv, nodeChildEnv, openTracker, delay, within,
};
