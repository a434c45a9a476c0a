'use strict';
// A throw-away RabbitMQ node for the interop suite: Debian's rabbitmq-server started as a plain
// child process in a temp dir (no system service, no files outside the temp dir), with TLS-only
// AMQP and MQTT listeners that require a client certificate, certificate login (EXTERNAL / MQTT
// ssl_cert_login, user name = the certificate's CN) and the management API on loopback.
//
//   const rabbit = await rabbitmq.start({ pki, users: ['uvtls-amqp-client'] });
//   ... rabbit.amqpsPort, rabbit.mqttsPort, rabbit.managementPort, rabbit.admin ...
//   await rabbit.stop();
//
// Failures (package missing, node does not boot) reject with the reason and the log's tail, so a
// test that needs the broker fails instead of skipping.

const { execFile } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const ih = require('../helpers');

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const BOOT_TIMEOUT_MS = 180000; // Erlang boot plus three plugins on two busy cores is slow.

// Distinct free ports (ih.freePort() may hand out the same one twice in a row).
async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await ih.freePort());
  return [...ports];
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

// One HTTP request to the management API; resolves { status, body } (body parsed when JSON).
function managementRequest(port, admin, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath,
      auth: `${admin.user}:${admin.password}`,
      headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      timeout: 15000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed = text;
        try { parsed = text ? JSON.parse(text) : null; } catch { /* keep text */ }
        resolve({ status: res.statusCode, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`management API ${method} ${urlPath} timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function lastLines(text, lines = 40) {
  return text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
}

// rabbitmqctl against our node (same env: node name, cookie in HOME, epmd port).
function rabbitmqctl(bin, env, args, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (err) {
          err.message = `rabbitmqctl ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`;
          reject(err);
        } else {
          resolve(stdout);
        }
      });
  });
}

// Starts the broker with pki.server as its certificate and pki.ca as the only CA it trusts for
// client certificates. `users`: user names (client certificate CNs) given full permissions on
// vhost '/' and no password, so that they can log in only with their certificate.
async function start({ pki = ih.pki(), users = [] } = {}) {
  try {
    return await startOnce({ pki, users });
  } catch (err) {
    // A port picked as free can be taken by another process before the node binds it (the
    // node then exits, or boots without that listener): one more try with new ports. A boot
    // that timed out is not retried.
    if (!err.retryable) throw err;
    return startOnce({ pki, users }).catch((again) => {
      again.message = `${again.message}\n(an earlier attempt failed too: ${err.message.split('\n')[0]})`;
      throw again;
    });
  }
}

async function startOnce({ pki, users }) {
  // The real scripts in RabbitMQ's own bin dir, not /usr/sbin's wrappers (first on PATH), which
  // switch to the rabbitmq user and then cannot write our temp dir.
  const serverBin = path.join(RABBIT_BIN, 'rabbitmq-server');
  if (!fs.existsSync(serverBin)) {
    ih.requireCommand('rabbitmq-server', 'rabbitmq-server'); // throws, naming the package
    throw new Error(`interop suite: ${serverBin} is missing; install the Debian package rabbitmq-server`);
  }
  const ctlBin = path.join(RABBIT_BIN, 'rabbitmqctl');
  const epmdBin = ih.requireCommand('epmd', 'erlang-base (a dependency of rabbitmq-server)');
  const dir = ih.tmpDir('uvtls-rabbitmq-');
  const [amqpsPort, mqttsPort, managementPort, distPort, epmdPort] = await freePorts(5);
  const admin = { user: 'uvtls-admin', password: crypto.randomBytes(12).toString('hex') };
  const file = (name) => path.join(dir, name);
  for (const sub of ['home', 'log', 'mnesia']) fs.mkdirSync(file(sub));

  const conf = [
    // TLS only: no plain AMQP or MQTT listener.
    'listeners.tcp = none',
    `listeners.ssl.default = 127.0.0.1:${amqpsPort}`,
    `ssl_options.cacertfile = ${pki.ca.certFile}`,
    `ssl_options.certfile = ${pki.server.certFile}`,
    `ssl_options.keyfile = ${pki.server.keyFile}`,
    'ssl_options.verify = verify_peer',
    'ssl_options.fail_if_no_peer_cert = true',
    // RabbitMQ 3.10 leaves TLS 1.3 off unless asked.
    'ssl_options.versions.1 = tlsv1.3',
    'ssl_options.versions.2 = tlsv1.2',
    'auth_mechanisms.1 = EXTERNAL',
    'auth_mechanisms.2 = PLAIN',
    'ssl_cert_login_from = common_name',
    'loopback_users = none',
    `default_user = ${admin.user}`,
    `default_pass = ${admin.password}`,
    'default_user_tags.administrator = true',
    'default_permissions.configure = .*',
    'default_permissions.read = .*',
    'default_permissions.write = .*',
    'mqtt.listeners.tcp = none',
    `mqtt.listeners.ssl.default = 127.0.0.1:${mqttsPort}`,
    'mqtt.ssl_cert_login = true',
    'mqtt.allow_anonymous = false',
    `management.tcp.port = ${managementPort}`,
    'management.tcp.ip = 127.0.0.1',
    // Connection stats reach /api/connections sooner (default 5 s).
    'collect_statistics_interval = 1000',
    // A nearly full /tmp on a CI machine must not stop the broker from accepting messages.
    'disk_free_limit.absolute = 1MB',
    '',
  ].join('\n');
  fs.writeFileSync(file('rabbitmq.conf'), conf);
  fs.writeFileSync(file('enabled_plugins'),
    '[rabbitmq_auth_mechanism_ssl,rabbitmq_mqtt,rabbitmq_management].\n');
  fs.writeFileSync(file('advanced.config'), '[].\n');

  const env = {
    PATH: process.env.PATH || '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: file('home'), // the Erlang cookie lives here, for the node and rabbitmqctl alike
    RABBITMQ_NODENAME: `uvtls-${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_CONF_ENV_FILE: file('rabbitmq-env.conf'), // absent: ignore /etc/rabbitmq's
    RABBITMQ_CONFIG_FILE: file('rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: file('advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: file('enabled_plugins'),
    RABBITMQ_MNESIA_BASE: file('mnesia'),
    RABBITMQ_LOG_BASE: file('log'),
    RABBITMQ_LOGS: file('log/rabbit.log'),
    RABBITMQ_PLUGINS_EXPAND_DIR: file('plugins-expand'),
    RABBITMQ_PID_FILE: file('rabbit.pid'),
    // No busy-waiting schedulers: the test machine's cores are shared.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '+sbwt none +sbwtdcpu none +sbwtdio none',
  };

  // Our own epmd on a private port, in the foreground and in its own process group, so that
  // stop() ends it and no daemon outlives the suite or meets another node's epmd.
  const epmd = ih.spawnServer(epmdBin, ['-port', String(epmdPort), '-address', '127.0.0.1'],
    { env, name: 'epmd' });
  await ih.waitForPort(epmdPort, 30000, { server: epmd });
  const server = ih.spawnServer(serverBin, [], { env, cwd: dir, logFile: file('log/rabbit.log'), name: 'rabbitmq-server' });

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    // A clean shutdown first (mnesia, plugins); the process group is killed in any case.
    if (server.status() === 'running') {
      await rabbitmqctl(ctlBin, env, ['stop'], 60000).catch(() => {});
      await Promise.race([server.exited, ih.delay(20000)]);
    }
    await server.stop(5000);
    await epmd.stop(2000);
    if (!process.env.UVTLS_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
  }

  const logs = () => `${server.name} (${server.status()})\n--- output ---\n${lastLines(server.output())}\n` +
    `--- rabbit.log ---\n${lastLines(server.log())}`;

  try {
    // Ready when the management API answers for the admin and lists both TLS listeners.
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      if (server.status() !== 'running') {
        throw Object.assign(new Error('rabbitmq-server stopped during boot'), { retryable: true });
      }
      if (Date.now() > deadline) throw new Error(`RabbitMQ did not start within ${BOOT_TIMEOUT_MS / 1000} s`);
      const api = await managementRequest(managementPort, admin, 'GET', '/api/overview')
        .catch(() => null);
      // The node's own list of listeners, not just an open port (another process could hold it).
      const listening = api && api.status === 200 && Array.isArray(api.body.listeners) &&
        [amqpsPort, mqttsPort].every((port) => api.body.listeners.some((l) => l.port === port));
      if (listening && await portOpen(amqpsPort) && await portOpen(mqttsPort)) break;
      // RabbitMQ logs a listener that cannot bind and finishes booting without it.
      if (api && api.status === 200 && !listening && /Server startup complete/.test(server.log())) {
        throw Object.assign(new Error('a TLS listener did not start (port taken?); ' +
          `listeners: ${JSON.stringify(api.body.listeners)}`), { retryable: true });
      }
      await ih.delay(500);
    }
    for (const user of users) {
      const name = encodeURIComponent(user);
      // No password: the user can log in only by certificate (EXTERNAL / MQTT cert login).
      let r = await managementRequest(managementPort, admin, 'PUT', `/api/users/${name}`,
        { password_hash: '', tags: '' });
      if (r.status >= 300) throw new Error(`creating user ${user}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      r = await managementRequest(managementPort, admin, 'PUT', `/api/permissions/%2F/${name}`,
        { configure: '.*', write: '.*', read: '.*' });
      if (r.status >= 300) throw new Error(`permissions for ${user}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
  } catch (err) {
    err.message = `RabbitMQ could not be started: ${err.message}\n${logs()}`;
    await stop();
    throw err;
  }

  return {
    dir, server, amqpsPort, mqttsPort, managementPort, admin, env, logs, stop,
    api: (method, urlPath, body) => managementRequest(managementPort, admin, method, urlPath, body),
    rabbitmqctl: (args) => rabbitmqctl(ctlBin, env, args),
  };
}

module.exports = { start };
