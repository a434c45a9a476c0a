'use strict';
// `uvtls load` at size against real servers on loopback:
// - mosquitto with require_certificate + use_identity_as_username: 2,000 MQTT devices, each with
//   its own certificate; the broker log shows every device's CN as its user name;
// - the HTML report of that run opened in headless Chromium (Debian's `chromium`): a screenshot
//   in the test output folder, the SVG charts present with data, no console errors;
// - 20,000 mutual-TLS connections held at once, 10,000 on a uvtls server and 10,000 on a Node
//   tls server (each a cluster of processes: one process may hold 20,000 descriptors here),
//   from two `uvtls load --hold` shards (one client certificate for all: the client's cost per
//   connection halves, and per-device identities are what the broker tests cover), stopped
//   with SIGINT and merged with `uvtls load merge`.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const ih = require('./helpers');
const mosquitto = require('./servers/mosquitto');
const rabbitmq = require('./servers/rabbitmq');
const { nodeChildEnv, freePort, runUvtls } = require('../helpers');

// The run's output folder: reports, JSON results and the screenshot stay there after the run
// (UVTLS_TEST_OUTPUT chooses it; its path is printed).
const OUT = path.join(process.env.UVTLS_TEST_OUTPUT || path.join(require('os').tmpdir(), 'uvtls-test-output'), 'load');

const cli = (args, { onStderr, timeoutMs = 170000 } = {}) => runUvtls(args, { onStderr, timeoutMs });

describe('uvtls load at size (interop)', function () {
  this.timeout(300000);
  let dir;
  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    process.stdout.write(`      (load test output: ${OUT})\n`);
    dir = ih.tmpDir('uvtls-load-fleet-');
    const r = await cli(['gen', '--clients', '2000', '--dir', dir, '--json']);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
  });

  describe('mosquitto', () => {
    let broker;
    before(async () => {
      const file = (f) => path.join(dir, f);
      broker = await mosquitto.start({ pki: { ca: { certFile: file('ca_certificate.pem') },
        server: { certFile: file('server_certificate.pem'), keyFile: file('server_key.pem') } } });
    });
    after(async () => { if (broker) await broker.stop(); });

    it('2,000 MQTT 3.1.1 devices log in with their own certificates (CN = user) and publish with QoS 1', async () => {
      const json = path.join(OUT, 'mqtt.json');
      const html = path.join(OUT, 'mqtt.html');
      const r = await cli(['load', `127.0.0.1:${broker.port}`, '--certs', dir, '--connections', '2000', '--protocol', 'mqtt',
        '--qos', '1', '--rate', '1000', '--json', json, '--report', html]);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr.slice(-2000));
      const res = JSON.parse(fs.readFileSync(json, 'utf8'));
      assert.strictEqual(res.counters.established, 2000);
      assert.strictEqual(res.counters.acked, 2000);
      assert.strictEqual(res.histograms.publish.n, 2000);
      const log = broker.log();
      const users = new Set();
      for (const m of log.matchAll(/New client connected from \S+ as (device-\d+) \([^)]*u'(device-\d+)'\)/g)) {
        assert.strictEqual(m[1], m[2], 'the user name is the CN, the client id the device name');
        users.add(m[2]);
      }
      for (let i = 1; i <= 2000; i++) assert.ok(users.has(`device-${String(i).padStart(5, '0')}`), `device ${i} in the broker log`);
      assert.strictEqual(users.size, 2000);
    });

    it('MQTT 5 CONNECT and a device the broker does not know (other CA): grouped error with hint', async () => {
      const ok = await cli(['load', `127.0.0.1:${broker.port}`, '--certs', dir, '--connections', '20', '--protocol', 'mqtt',
        '--mqtt-version', '5', '--qos', '1']);
      assert.strictEqual(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /PUBLISH -> PUBACK +n=20/);
      const other = ih.tmpDir('uvtls-load-other-');
      assert.strictEqual((await cli(['gen', '--clients', '3', '--dir', other])).code, 0);
      const bad = await cli(['load', `127.0.0.1:${broker.port}`, '--certs', other, '--ca', path.join(dir, 'ca_certificate.pem'), '--protocol', 'mqtt']);
      assert.strictEqual(bad.code, 1);
      assert.match(bad.stdout, /3 +ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: .*\n +hint: .*trust/);
    });

    it('the HTML report renders its charts in headless Chromium, without console errors', async function () {
      const chromium = ih.requireCommand('chromium', 'chromium');
      const html = path.join(OUT, 'mqtt.html');
      assert.ok(fs.existsSync(html), 'the mosquitto test wrote the report');
      const shot = path.join(OUT, 'mqtt-report.png');
      fs.rmSync(shot, { force: true });
      const base = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
        '--enable-logging=stderr', '--v=0', `--user-data-dir=${ih.tmpDir('uvtls-chromium-')}`];
      const dom = await ih.runCommand(chromium, [...base, '--dump-dom', `file://${html}`], { timeoutMs: 120000 });
      assert.strictEqual(dom.code, 0, dom.stderr);
      const charts = [...dom.stdout.matchAll(/<svg class="chart" data-chart="([^"]+)" data-points="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);
      const names = charts.map((c) => c[0]);
      for (const want of ['connections', 'rate', 'handshake-over-time', 'handshake-distribution', 'publish-distribution']) {
        assert.ok(names.includes(want), `chart ${want} rendered (${names})`);
      }
      for (const [name, points] of charts) assert.ok(points > 0, `chart ${name} has data`);
      assert.ok((dom.stdout.match(/<polyline class="series"/g) || []).length >= 3, 'line series drawn');
      assert.ok((dom.stdout.match(/<rect class="bar"/g) || []).length >= 5, 'histogram bars drawn');
      const consoleErrors = (dom.stderr.match(/CONSOLE\(\d+\).*|Refused to .*|Uncaught .*/g) || []);
      assert.deepStrictEqual(consoleErrors, []);
      const png = await ih.runCommand(chromium, [...base, `--screenshot=${shot}`, '--window-size=820,2400', '--hide-scrollbars', `file://${html}`], { timeoutMs: 120000 });
      assert.strictEqual(png.code, 0, png.stderr);
      const head = fs.readFileSync(shot).subarray(0, 8);
      assert.deepStrictEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG screenshot');
      assert.ok(fs.statSync(shot).size > 20000, 'the screenshot is not blank');
    });
  });

  describe('RabbitMQ', () => {
    let rabbit;
    const N = 500;
    const names = [];
    for (let i = 1; i <= N; i++) names.push(`device-${String(i).padStart(5, '0')}`);
    before(async () => {
      const file = (f) => path.join(dir, f);
      rabbit = await rabbitmq.start({ users: names, pki: { ca: { certFile: file('ca_certificate.pem') },
        server: { certFile: file('server_certificate.pem'), keyFile: file('server_key.pem') } } });
    });
    after(async () => { if (rabbit) await rabbit.stop(); });

    // Holds N connections, lists them in the management API while they are up, then Ctrl-C.
    async function holdAndList(protocol, port, json) {
      let listed = null;
      let asked = false;
      const r = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', String(N), '--protocol', protocol,
        '--hold', '--publish-interval', '500', '--rate', '250', '--progress-interval', '1', '--json', json], {
        onStderr: (text, child) => {
          if (asked || !new RegExp(`up ${N}/${N}`).test(text)) return;
          asked = true;
          // The management API's view lags the broker's by its stats interval: ask until all show.
          ih.waitUntil(async () => {
            const res = await rabbit.api('GET', '/api/connections?columns=user,peer_cert_subject,protocol');
            const mine = res.body.filter((c) => /^device-/.test(c.user));
            return mine.length >= N ? mine : null;
          }, 120000, () => 'the management API did not list every connection').then((mine) => {
            listed = mine;
            child.kill('SIGINT');
          }, () => child.kill('SIGINT'));
        },
      });
      return { r, listed };
    }

    it(`${N} AMQP 0-9-1 devices log in with EXTERNAL and publish with confirms; the management API lists their certificates`, async () => {
      const json = path.join(OUT, 'amqp.json');
      const { r, listed } = await holdAndList('amqp', rabbit.amqpsPort, json);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr.slice(-2000));
      assert.ok(listed, 'listed');
      const users = new Set(listed.map((c) => c.user));
      for (const name of names) assert.ok(users.has(name), `${name} listed`);
      for (const c of listed) assert.match(c.peer_cert_subject, new RegExp(`CN=${c.user}\\b`));
      const res = JSON.parse(fs.readFileSync(json, 'utf8'));
      assert.strictEqual(res.counters.upAtEnd, N);
      assert.ok(res.counters.acked >= N, `every device had a publish confirmed (${res.counters.acked})`);
      assert.ok(res.histograms.publish.n >= N);
    });

    it(`${N} MQTT devices on RabbitMQ with ssl_cert_login`, async () => {
      const json = path.join(OUT, 'rabbit-mqtt.json');
      const { r, listed } = await holdAndList('mqtt', rabbit.mqttsPort, json);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr.slice(-2000));
      const users = new Set(listed.map((c) => c.user));
      for (const name of names) assert.ok(users.has(name), `${name} listed`);
      for (const c of listed) assert.match(c.peer_cert_subject, new RegExp(`CN=${c.user}\\b`));
    });

    it('AMQP: a device without a RabbitMQ user is refused: ACCESS_REFUSED grouped with a hint', async () => {
      const r = await cli(['load', `127.0.0.1:${rabbit.amqpsPort}`, '--certs', dir, '--connections', String(N + 3), '--protocol', 'amqp',
        '--json', path.join(OUT, 'amqp-refused.json')]);
      assert.strictEqual(r.code, 1);
      const res = JSON.parse(fs.readFileSync(path.join(OUT, 'amqp-refused.json'), 'utf8'));
      assert.strictEqual(res.counters.established, N);
      assert.strictEqual(res.errors.length, 1, JSON.stringify(res.errors));
      assert.strictEqual(res.errors[0].code, 'AMQP_ACCESS_REFUSED');
      assert.strictEqual(res.errors[0].count, 3);
      assert.match(res.errors[0].hint, /user per device CN/);
    });
  });

  it('20,000 connections held at once: 10,000 on a uvtls server and 10,000 on a Node tls server', async function () {
    this.timeout(480000);
    const servers = [];
    const start = async (impl) => {
      const port = await freePort();
      const srv = spawn(process.execPath, [path.join(__dirname, 'servers', 'load-server.js'), impl, String(port), '2', dir],
        { env: nodeChildEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      srv.stdout.on('data', (d) => { out += d; });
      const s = { srv, port, out: () => out };
      servers.push(s);
      await ih.waitUntil(() => /listening/.test(out), 60000, () => `${impl} server did not listen: ${out}`);
      return s;
    };
    try {
      const [u, n] = await Promise.all([start('uvtls'), start('node')]);
      const held = new Set();
      const children = new Map();
      let serverCounts = null;
      let stopped = false;
      // Both loads hold all of theirs: ask each server how many it holds, then Ctrl-C both.
      const stopAll = async () => {
        serverCounts = await Promise.all([u, n].map(async (x) => {
          const before = x.out().length;
          x.srv.kill('SIGUSR2');
          await ih.waitUntil(() => /count \d+/.test(x.out().slice(before)), 60000, () => `no count from the server: ${x.out()}`);
          return Number(/count (\d+)/.exec(x.out().slice(before))[1]);
        }));
        for (const c of children.values()) c.kill('SIGINT');
      };
      const dev = (f) => path.join(dir, 'devices', `device-00001_${f}.pem`);
      const run = (s, shard, name) => cli(['load', `127.0.0.1:${s.port}`, '--cert', dev('certificate'), '--key', dev('key'),
        '--ca', path.join(dir, 'ca_certificate.pem'), '--connections', '20000', '--shard', shard,
        '--hold', '--rate', '2000', '--progress-interval', '1', '--json', path.join(OUT, `${name}.json`)], {
        // A loaded two-core machine needs minutes for 20,000 handshakes on each side.
        timeoutMs: 420000,
        onStderr: (text, child) => {
          children.set(name, child);
          if (/up 10000\/10000/.test(text)) held.add(name);
          if (held.size === 2 && !stopped) {
            stopped = true;
            stopAll().catch((err) => {
              for (const c of children.values()) c.kill('SIGKILL');
              throw err;
            });
          }
        },
      });
      const results = await Promise.all([run(u, '1/2', 'hold-uvtls'), run(n, '2/2', 'hold-node')]);
      for (const r of results) assert.strictEqual(r.code, 0, r.stdout + r.stderr.slice(-3000));
      assert.deepStrictEqual(serverCounts, [10000, 10000], 'each server held 10,000 at once');
      const m = await cli(['load', 'merge', path.join(OUT, 'hold-uvtls.json'), path.join(OUT, 'hold-node.json'), '--json', path.join(OUT, 'hold-merged.json')]);
      assert.strictEqual(m.code, 0, m.stdout);
      const merged = JSON.parse(fs.readFileSync(path.join(OUT, 'hold-merged.json'), 'utf8'));
      assert.strictEqual(merged.counters.upAtEnd, 20000);
      assert.strictEqual(merged.counters.failed, 0);
      assert.strictEqual(merged.histograms.handshake.n, 20000);
    } finally {
      for (const s of servers) s.srv.kill('SIGTERM');
    }
  });
});
