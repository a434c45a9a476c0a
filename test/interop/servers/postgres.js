'use strict';
// PostgreSQL (Debian package `postgresql`) on loopback, for the interop suite: a fresh cluster
// made with initdb in a temp dir, run as the `postgres` user (the server refuses to run as root),
// `ssl = on` with pki.server's certificate, and a pg_hba.conf that admits TCP clients only over
// TLS (`hostssl ... trust`), so a query that works proves the connection was encrypted.
//
//   const pg = await postgres.start();
//   pg.port           TCP port on localhost (127.0.0.1 and ::1)
//   pg.describe()     the server's output, for failure messages
//   await pg.stop()
const { execFile } = require('child_process');
const fs = require('fs');
const path = require('path');
const ih = require('../helpers');

const PG_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];
const START_TIMEOUT_MS = 120000;

// Runs a program as `ids` (uid/gid); rejects with its output on failure or timeout.
function runAs(ids, bin, args, { env, timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { uid: ids.uid, gid: ids.gid, env, timeout: timeoutMs, cwd: '/' },
      (err, stdout, stderr) => {
        if (err) {
          err.message = `${path.basename(bin)} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`;
          reject(err);
        } else {
          resolve(stdout);
        }
      });
  });
}

async function start({ pki = ih.pki() } = {}) {
  const installHint = 'postgresql';
  const postgresBin = ih.requireCommand('postgres', installHint, { extraDirs: PG_DIRS });
  const binDir = path.dirname(postgresBin);
  const initdbBin = ih.requireCommand('initdb', installHint, { extraDirs: [binDir] });
  const isReadyBin = ih.requireCommand('pg_isready', installHint, { extraDirs: [binDir] });
  const ids = ih.userIds('postgres');

  const dir = ih.tmpDir('uvtls-postgres-');
  const data = path.join(dir, 'data');
  const run = path.join(dir, 'run');
  for (const d of [data, run]) {
    fs.mkdirSync(d, { mode: 0o700 });
    fs.chownSync(d, ids.uid, ids.gid);
  }
  // PostgreSQL refuses a key that others can read or that belongs to someone else.
  const keyFile = pki.copyKey(pki.server, path.join(dir, 'server.key'), { mode: 0o600, ...ids });
  const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', TZ: 'UTC', HOME: dir };

  await runAs(ids, initdbBin, ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8',
    '--no-locale', '--no-sync'], { env });
  // Local socket for administration; over TCP only TLS, never plain.
  fs.writeFileSync(path.join(data, 'pg_hba.conf'), [
    'local     all all               trust',
    'hostssl   all all 127.0.0.1/32  trust',
    'hostssl   all all ::1/128       trust',
    '',
  ].join('\n'));

  // A port picked as free can be taken before postgres binds it (postgres then exits): one
  // more try on a new port.
  let lastError;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return await launch(await ih.freePort());
    } catch (err) {
      lastError = err;
      if (!err.retryable) break;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError;

  async function launch(port) {
    const settings = {
      listen_addresses: 'localhost',
      port: String(port),
      unix_socket_directories: run,
      ssl: 'on',
      ssl_cert_file: pki.server.certFile,
      ssl_key_file: keyFile,
      // A throw-away cluster on a shared machine: small and without fsync.
      fsync: 'off',
      max_connections: '20',
      shared_buffers: '16MB',
      logging_collector: 'off',
      log_connections: 'on',
    };
    const args = ['-D', data];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    const server = ih.spawnServer(postgresBin, args, { env, name: 'postgres', ...ids });

    // Fast shutdown (SIGINT: disconnect clients, stop cleanly); the group is killed in any case.
    async function stop() {
      if (server.status() === 'running') {
        try { process.kill(server.pid, 'SIGINT'); } catch { /* gone */ }
        await Promise.race([server.exited, ih.delay(15000)]);
      }
      await server.stop(5000);
      fs.rmSync(dir, { recursive: true, force: true });
    }

    try {
      await ih.waitForPort(port, START_TIMEOUT_MS, { server });
      // The port opens before recovery ends; pg_isready says when sessions are accepted.
      await ih.waitUntil(async () => {
        if (server.status() !== 'running') throw new Error(`postgres stopped during start-up:\n${server.describe()}`);
        const r = await ih.runCommand(isReadyBin, ['-h', run, '-p', String(port), '-U', 'postgres'], { env });
        return r.code === 0;
      }, START_TIMEOUT_MS, () => server.describe());
    } catch (err) {
      err.message = `PostgreSQL could not be started: ${err.message}`;
      err.retryable = server.status() !== 'running';
      if (server.status() === 'running') await stop();
      else await server.stop(5000);
      throw err;
    }

    return { port, dir, server, describe: () => server.describe(), stop };
  }
}

module.exports = { start };
