'use strict';
// Plumbing for the interop suite (test/interop/*.test.js): a small PKI made with the openssl
// command line, temp dirs, ports, and real server processes that are always stopped.
//
// The suite never skips: a missing program is a failure that names the Debian package.
//
//   const ih = require('./helpers');
//   const pki = ih.pki();            // { ca, server, otherCa, client(cn), untrustedClient(cn), dir }
//   ih.requireCommand('mosquitto', 'mosquitto');
//   const srv = ih.spawnServer('/usr/sbin/mosquitto', ['-c', conf], { logFile });
//   await ih.waitForPort(port, 20000, { server: srv });
//   await srv.stop();
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { freePort, toolEnv, nodeChildEnv, delay, within } = require('../helpers');

// ---------------------------------------------------------------------------
// Temp dirs: world-readable (servers drop root and run as their own user), removed at exit.

const tmpDirs = [];
process.on('exit', () => {
  for (const dir of tmpDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch {}
  }
});

function tmpDir(prefix = 'uvtls-interop-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  tmpDirs.push(dir);
  return dir;
}

// ---------------------------------------------------------------------------
// Programs.

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

// Returns the absolute path of `name`, or throws naming the Debian package that provides it.
// `extraDirs` are searched too (e.g. /usr/lib/postgresql/15/bin).
function requireCommand(name, debianPackage, { extraDirs = [] } = {}) {
  const dirs = [...new Set([...(process.env.PATH || '').split(path.delimiter).filter(Boolean), ...SEARCH_DIRS, ...extraDirs])];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {}
  }
  throw new Error(`interop suite: the program \`${name}\` was not found (searched ${dirs.join(':')}); ` +
    `install it with \`apt-get install ${debianPackage || name}\` (.ci/run does this)`);
}

// Runs a program to completion; resolves with {code, signal, stdout, stderr}. Never hangs:
// the child is killed after timeoutMs and the promise rejects with its output.
function runCommand(cmd, args, { input, env, cwd, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env || toolEnv(), cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

// ---------------------------------------------------------------------------
// Server processes. Each runs in its own process group (detached) so stop() also ends whatever
// it forked (RabbitMQ starts epmd and beam; pg_ctl forks postgres). Output is kept for
// failure messages; `logFile` is the server's own log, read by log().

const running = new Set();

function spawnServer(cmd, args, { env, cwd, logFile, name = path.basename(cmd), uid, gid } = {}) {
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'], env: env || toolEnv(), cwd, detached: true, uid, gid,
  });
  let output = '';
  let spawnError = null;
  let exit = null;
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  child.on('error', (err) => { spawnError = err; });
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => { exit = { code, signal }; running.delete(srv); resolve(exit); });
    child.on('error', () => { exit = exit || { code: null, signal: null }; running.delete(srv); resolve(exit); });
  });
  const killGroup = (signal) => {
    try { process.kill(-child.pid, signal); } catch {}
  };
  const srv = {
    name,
    child,
    pid: child.pid,
    exited,
    // Everything the process printed plus its log file.
    output: () => output,
    log: () => {
      if (!logFile) return '';
      try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; }
    },
    status: () => (spawnError ? `could not start: ${spawnError.message}` : exit ? `exited ${exit.code}/${exit.signal}` : 'running'),
    describe: () => `${name} (${srv.status()})\n--- output ---\n${output}\n--- log ${logFile || '(none)'} ---\n${srv.log()}`,
    // SIGTERM to the group, SIGKILL after graceMs; resolves when the process has gone.
    async stop(graceMs = 10000) {
      if (exit) return exit;
      if (!child.pid) return exited;
      killGroup('SIGTERM');
      const t = setTimeout(() => killGroup('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(t);
      killGroup('SIGKILL'); // children that outlived the leader
      return result;
    },
  };
  running.add(srv);
  return srv;
}

// Last resort if a test file forgets to stop a server: no orphans after mocha exits.
process.on('exit', () => {
  for (const srv of running) {
    try { process.kill(-srv.pid, 'SIGKILL'); } catch {}
  }
});
// A run stopped with Ctrl-C or by CI's timeout: 'exit' handlers run only if we exit ourselves.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
}

// Resolves once something accepts TCP on host:port. With `server`, fails early (with its
// output) if that process exits first.
async function waitForPort(port, timeoutMs = 30000, { host = '127.0.0.1', server } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (server && server.status() !== 'running') {
      throw new Error(`${server.name} stopped before listening on ${host}:${port}:\n${server.describe()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms` + (server ? `:\n${server.describe()}` : ''));
    }
    await delay(100);
  }
}

// Polls fn() (sync or async) until it returns a truthy value; throws describe() on timeout.
async function waitUntil(fn, timeoutMs, describe = () => '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms\n${describe()}`);
    await delay(100);
  }
}

// ---------------------------------------------------------------------------
// PKI. EC P-256 keys (fast to make, accepted by mosquitto, Erlang/OTP and PostgreSQL).
//
//   uvtls Interop CA
//   |-- server       CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1 (serverAuth)
//   `-- client(cn)   CN=<cn> (clientAuth), one per CN, made on demand
//   uvtls Untrusted CA (nobody trusts it)
//   `-- untrustedClient(cn)
//
// Every item: { cert, key (Buffers), certFile, keyFile }; the CAs also have caFile = certFile.
// Files are mode 0644 in a 0755 dir so servers running as their own user can read them;
// a server that insists on a 0600 key (PostgreSQL) copies it with copyKey().

let cachedPki = null;

function pki() {
  if (!cachedPki) cachedPki = makePki();
  return cachedPki;
}

function makePki() {
  const dir = tmpDir('uvtls-interop-pki-');
  const emptyConf = path.join(dir, 'empty.cnf');
  fs.writeFileSync(emptyConf, '');
  const openssl = (args) => execFileSync('openssl', args, {
    cwd: dir, env: { ...toolEnv(), OPENSSL_CONF: emptyConf }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = (name) => path.join(dir, name);
  const writeExt = (name, lines) => {
    fs.writeFileSync(file(name), ['[req]', 'distinguished_name = dn', '[dn]', '[ext]', ...lines, ''].join('\n'));
    return file(name);
  };
  const genKey = (name) => {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
      '-pkeyopt', 'ec_param_enc:named_curve', '-out', file(name)]);
  };
  let serial = 1000 + Math.floor(Math.random() * 1e6);
  const item = (base) => {
    const it = {
      certFile: file(`${base}.pem`),
      keyFile: file(`${base}.key`),
      cert: fs.readFileSync(file(`${base}.pem`)),
      key: fs.readFileSync(file(`${base}.key`)),
    };
    fs.chmodSync(it.keyFile, 0o644);
    fs.chmodSync(it.certFile, 0o644);
    return it;
  };
  const makeCa = (base, cn) => {
    genKey(`${base}.key`);
    const conf = writeExt(`${base}.cnf`, [
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
    ]);
    openssl(['req', '-new', '-x509', '-config', conf, '-extensions', 'ext', '-key', file(`${base}.key`),
      '-subj', `/O=uvtls interop/CN=${cn}`, '-sha256', '-days', '3650', '-set_serial', String(serial++),
      '-out', file(`${base}.pem`)]);
    const ca = item(base);
    ca.caFile = ca.certFile;
    ca.base = base;
    return ca;
  };
  const issue = (ca, base, subj, ext) => {
    genKey(`${base}.key`);
    const conf = writeExt(`${base}.cnf`, [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid:always',
      ...ext,
    ]);
    openssl(['req', '-new', '-config', conf, '-key', file(`${base}.key`), '-subj', subj, '-out', file(`${base}.csr`)]);
    openssl(['x509', '-req', '-in', file(`${base}.csr`), '-CA', file(`${ca.base}.pem`), '-CAkey', file(`${ca.base}.key`),
      '-set_serial', String(serial++), '-sha256', '-days', '825', '-extfile', conf, '-extensions', 'ext',
      '-out', file(`${base}.pem`)]);
    return item(base);
  };
  const safe = (cn) => cn.replace(/[^A-Za-z0-9._-]/g, '_');

  const ca = makeCa('ca', 'uvtls Interop CA');
  const otherCa = makeCa('other-ca', 'uvtls Untrusted CA');
  const server = issue(ca, 'server', '/O=uvtls interop/CN=localhost', [
    'extendedKeyUsage = serverAuth',
    'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1',
  ]);
  const clients = new Map();
  const client = (cn) => {
    const key = `trusted:${cn}`;
    if (!clients.has(key)) {
      clients.set(key, issue(ca, `client-${safe(cn)}`, `/O=uvtls interop/CN=${cn}`, ['extendedKeyUsage = clientAuth']));
    }
    return clients.get(key);
  };
  const untrustedClient = (cn) => {
    const key = `untrusted:${cn}`;
    if (!clients.has(key)) {
      clients.set(key, issue(otherCa, `untrusted-${safe(cn)}`, `/O=uvtls interop/CN=${cn}`, ['extendedKeyUsage = clientAuth']));
    }
    return clients.get(key);
  };
  // A copy of a key file with the given owner and mode, for servers that check them.
  const copyKey = (it, dest, { mode = 0o600, uid, gid } = {}) => {
    fs.copyFileSync(it.keyFile, dest);
    fs.chmodSync(dest, mode);
    if (uid !== undefined) fs.chownSync(dest, uid, gid !== undefined ? gid : uid);
    return dest;
  };
  return { dir, ca, otherCa, server, client, untrustedClient, copyKey };
}

// Numeric uid/gid of a system user (e.g. 'mosquitto', 'postgres'), or throws.
function userIds(name) {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`interop suite: system user ${name} does not exist`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

module.exports = {
  tmpDir, freePort, waitForPort, waitUntil, spawnServer, requireCommand, runCommand, pki, userIds,
  toolEnv, nodeChildEnv, delay, within,
};
