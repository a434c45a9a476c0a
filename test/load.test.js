'use strict';
// `uvtls gen --clients N` and `uvtls load`: the command run as a child process against real
// servers on loopback (uvtls and Node's tls), the JSON it writes, its exit status and errors.
// The big runs (2,000 MQTT devices on mosquitto, 20,000 connections, the HTML report in
// Chromium) are in test/interop/load.test.js.
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { spawn } = require('child_process');
const { once } = require('events');
const uvtls = require('..');
const { nodeChildEnv, STEP_MS, runUvtls } = require('./helpers');
const { Histogram } = require('../lib/load/histogram');
const { mergeResults } = require('../lib/load/report');

const UVTLS = path.join(__dirname, '..', 'bin', 'uvtls.js');

const cli = (args, options) => runUvtls(args, options);

describe('uvtls gen --clients and uvtls load', function () {
  this.timeout(STEP_MS * 3);
  let dir;
  let other;
  let pem;
  const servers = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-load-'));
    other = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-load-other-'));
    const r = await cli(['gen', '--clients', '40', '--dir', dir, '--json']);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const o = await cli(['gen', '--clients', '2', '--dir', other]);
    assert.strictEqual(o.code, 0, o.stdout + o.stderr);
    pem = (f) => fs.readFileSync(path.join(dir, f));
  });

  after(() => {
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(other, { recursive: true, force: true });
  });

  async function server(impl, { requestCert = true, onConnection } = {}) {
    const lib = impl === 'node' ? tls : uvtls;
    const s = lib.createServer({ cert: pem('server_certificate.pem'), key: pem('server_key.pem'), ca: pem('ca_certificate.pem'),
      requestCert, rejectUnauthorized: requestCert }, (c) => {
      c.on('error', () => {});
      if (onConnection) onConnection(c);
      c.pipe(c);
    });
    s.on('tlsClientError', () => {});
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    servers.push(s);
    return s.address().port;
  }

  it('gen --clients: each device has its own key and a CA-signed certificate with CN and SAN = its name', () => {
    const ca = new crypto.X509Certificate(pem('ca_certificate.pem'));
    const devDir = path.join(dir, 'devices');
    const files = fs.readdirSync(devDir).sort();
    assert.strictEqual(files.length, 80);
    const points = new Set();
    for (let i = 1; i <= 40; i++) {
      const name = `device-${String(i).padStart(5, '0')}`;
      const x = new crypto.X509Certificate(fs.readFileSync(path.join(devDir, `${name}_certificate.pem`)));
      const keyFile = path.join(devDir, `${name}_key.pem`);
      const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
      assert.ok(x.verify(ca.publicKey), `${name} is signed by the CA`);
      assert.ok(x.checkPrivateKey(key), `${name}'s key matches`);
      assert.strictEqual(x.subject, `O=uvtls\nCN=${name}`);
      assert.strictEqual(x.subjectAltName, `DNS:${name}`);
      assert.deepStrictEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.2']); // Node's keyUsage lists the EKU: clientAuth
      assert.deepStrictEqual(x.ca, false);
      assert.strictEqual(fs.statSync(keyFile).mode & 0o777, 0o600);
      points.add(crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex'));
      assert.ok(!/0{32}/.test(x.serialNumber), 'serials are not all zero');
    }
    assert.strictEqual(points.size, 40, 'every device has its own key');
  });

  it('gen --clients reuses the CA in DIR, refuses to overwrite devices without --force, and the slow path agrees', async () => {
    const before = pem('ca_certificate.pem').toString();
    const again = await cli(['gen', '--clients', '3', '--dir', dir]);
    assert.strictEqual(again.code, 1);
    assert.match(again.stdout, /exist already.*--force/s);
    const slow = await cli(['gen', '--clients', '3', '--dir', dir, '--force', '--slow-path', '--json']);
    assert.strictEqual(slow.code, 0, slow.stdout);
    const j = JSON.parse(slow.stdout);
    assert.strictEqual(j.fastPath, false);
    assert.match(j.checks[0].message, /reusing the CA/);
    assert.strictEqual(pem('ca_certificate.pem').toString(), before);
    const x = new crypto.X509Certificate(pem('devices/device-00002_certificate.pem'));
    assert.ok(x.verify(new crypto.X509Certificate(before).publicKey));
    assert.strictEqual(x.subjectAltName, 'DNS:device-00002');
  });

  for (const impl of ['uvtls', 'node']) {
    it(`load: 40 devices with their own certificates against a ${impl} server, echo, --json`, async () => {
      const seen = new Set();
      const port = await server(impl, { onConnection: (c) => seen.add(c.getPeerCertificate().subject.CN) });
      const json = path.join(dir, `run-${impl}.json`);
      const r = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--payload', '64', '--rate', '0', '--json', json, '--progress-interval', '1']);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr);
      const res = JSON.parse(fs.readFileSync(json, 'utf8'));
      assert.strictEqual(res.planned, 40);
      assert.strictEqual(res.counters.established, 40);
      assert.strictEqual(res.counters.failed, 0);
      assert.strictEqual(res.counters.echoed, 40);
      assert.strictEqual(res.histograms.handshake.n, 40);
      assert.strictEqual(res.histograms.echo.n, 40);
      assert.strictEqual(res.verdict.ok, true);
      assert.strictEqual(seen.size, 40, 'the server saw 40 distinct device CNs');
      assert.ok(seen.has('device-00001') && seen.has('device-00040'));
      assert.match(r.stdout, /40 of 40 connections up; expected all: met/);
      assert.match(r.stderr, /up \d+\/40/, 'plain progress lines when not on a terminal');
    });
  }

  it('load: wrong CA, missing client certificate and nothing listening are grouped by code with hints; exit 1', async () => {
    const port = await server('uvtls');
    const wrongCa = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '5', '--ca', path.join(other, 'ca_certificate.pem'), '--json', path.join(dir, 'e1.json')]);
    const unknownToServer = await cli(['load', `127.0.0.1:${port}`, '--certs', other, '--ca', path.join(dir, 'ca_certificate.pem'), '--json', path.join(dir, 'e2.json')]);
    const noCert = await cli(['load', `127.0.0.1:${port}`, '--ca', path.join(dir, 'ca_certificate.pem'), '--connections', '4', '--json', path.join(dir, 'e3.json')]);
    for (const r of [wrongCa, unknownToServer, noCert]) assert.strictEqual(r.code, 1, r.stdout + r.stderr);
    const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const e1 = read('e1.json').errors;
    assert.strictEqual(e1.length, 1);
    assert.strictEqual(e1[0].count, 5);
    assert.match(e1[0].code, /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/);
    assert.ok(e1[0].hint && e1[0].hint.length > 20, 'a hint');
    const e2 = read('e2.json').errors;
    assert.strictEqual(e2[0].code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    assert.strictEqual(e2[0].count, 2);
    assert.match(e2[0].hint, /trust/);
    const e3 = read('e3.json').errors;
    assert.strictEqual(e3[0].code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.strictEqual(e3[0].count, 4);
    assert.match(e3[0].hint, /client certificate/);
    assert.match(noCert.stdout, /4 +ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: .*\n +hint: /);
  });

  it('load: when the first 100 connections all fail it stops early and says why', async () => {
    // A port that was listening and is closed now: nothing listens there.
    const s = uvtls.createServer({ cert: pem('server_certificate.pem'), key: pem('server_key.pem') });
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    const port = s.address().port;
    s.close();
    await once(s, 'close');
    const json = path.join(dir, 'early.json');
    const r = await cli(['load', `127.0.0.1:${port}`, '--ca', path.join(dir, 'ca_certificate.pem'), '--connections', '1000', '--rate', '200', '--json', json]);
    assert.strictEqual(r.code, 1);
    const res = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.strictEqual(res.stopReason, 'early');
    assert.ok(res.counters.attempted < 1000, `stopped before opening all (${res.counters.attempted})`);
    assert.strictEqual(res.errors[0].code, 'ECONNREFUSED');
    assert.match(res.errors[0].hint, /Nothing is listening/);
    assert.match(r.stderr, /the first 100 connections all failed, most with ECONNREFUSED/);
  });

  it('load --shard 1/2 and 2/2 take distinct devices; merge adds counts and merges histograms', async () => {
    const seen = [];
    const port = await server('uvtls', { onConnection: (c) => seen.push(c.getPeerCertificate().subject.CN) });
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    const m = path.join(dir, 'm.json');
    const [ra, rb] = await Promise.all([
      cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '21', '--shard', '1/2', '--json', a]),
      cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '21', '--shard', '2/2', '--json', b]),
    ]);
    assert.strictEqual(ra.code, 0, ra.stdout + ra.stderr);
    assert.strictEqual(rb.code, 0, rb.stdout + rb.stderr);
    assert.strictEqual(seen.length, 21);
    assert.strictEqual(new Set(seen).size, 21, 'no device twice');
    const rm = await cli(['load', 'merge', a, b, '--json', m]);
    assert.strictEqual(rm.code, 0, rm.stdout + rm.stderr);
    const merged = JSON.parse(fs.readFileSync(m, 'utf8'));
    const ja = JSON.parse(fs.readFileSync(a, 'utf8'));
    const jb = JSON.parse(fs.readFileSync(b, 'utf8'));
    assert.strictEqual(ja.planned, 11);
    assert.strictEqual(jb.planned, 10);
    assert.strictEqual(merged.planned, 21);
    assert.strictEqual(merged.counters.established, 21);
    assert.strictEqual(merged.histograms.handshake.n, 21);
    const all = Histogram.fromJSON(ja.histograms.handshake).merge(jb.histograms.handshake);
    assert.strictEqual(merged.histograms.handshake.max, all.max);
    assert.match(rm.stdout, /2 shards merged/);
  });

  it('load --processes 2: two child shards, one merged result', async () => {
    const seen = new Set();
    const port = await server('uvtls', { onConnection: (c) => seen.add(c.getPeerCertificate().subject.CN) });
    const json = path.join(dir, 'procs.json');
    const r = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '30', '--processes', '2', '--json', json]);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.strictEqual(res.processes, 2);
    assert.deepStrictEqual(res.shards, ['1/2', '2/2']);
    assert.strictEqual(res.counters.established, 30);
    // Peak at once: at least one whole shard, and never more than all: the shards may peak at
    // different times (one can finish before the other is up), but a shard's last samples
    // must not be counted twice.
    assert.ok(res.counters.peakUp >= 15 && res.counters.peakUp <= 30, `peak at once ${res.counters.peakUp}`);
    assert.strictEqual(seen.size, 30);
  });

  it('load --local-address spreads the source addresses', async () => {
    const from = new Set();
    const port = await server('uvtls', { onConnection: (c) => from.add(c.remoteAddress) });
    const r = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '12', '--local-address', '127.0.0.2-127.0.0.4']);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.deepStrictEqual([...from].sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it('load --hold: Ctrl-C (SIGINT) stops cleanly and still writes the report', async () => {
    const port = await server('uvtls');
    const json = path.join(dir, 'hold.json');
    let sent = false;
    const r = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '10', '--hold', '--json', json, '--progress-interval', '1'], {
      onStderr: (text, child) => {
        if (!sent && /up 10\/10/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.ok(sent, r.stderr);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.strictEqual(res.stopReason, 'interrupted');
    assert.strictEqual(res.counters.upAtEnd, 10);
    assert.match(r.stderr, /stopping/);
  });

  it('load --reconnect: a storm after the ramp, with and without session resumption', async () => {
    const port = await server('uvtls');
    for (const resume of [false, true]) {
      const json = path.join(dir, `storm-${resume}.json`);
      const r = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '20', '--reconnect',
        ...(resume ? ['--resume'] : []), '--json', json]);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr);
      const res = JSON.parse(fs.readFileSync(json, 'utf8'));
      assert.strictEqual(res.stopReason, 'reconnected');
      assert.strictEqual(res.counters.attempted, 40);
      assert.strictEqual(res.counters.upAtEnd, 20);
      assert.strictEqual(res.histograms.reconnect.n, 20);
      assert.strictEqual(res.firstPhase.established, 20);
      assert.strictEqual(res.counters.resumed, resume ? 20 : 0);
      assert.match(r.stdout, new RegExp(`reconnect storm: .* resumed ${resume ? 20 : 0} of 20`));
    }
  });

  it('load --impl node: the same run with Node\'s tls as the client library', async () => {
    const port = await server('uvtls');
    const json = path.join(dir, 'impl-node.json');
    const r = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '10', '--impl', 'node', '--payload', '8', '--json', json]);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.strictEqual(res.impl, 'node');
    assert.strictEqual(res.counters.echoed, 10);
  });

  it('load on a terminal redraws one progress line', async () => {
    // util-linux `script` gives the command a pseudo-terminal.
    const port = await server('uvtls');
    const cmd = [process.execPath, UVTLS, 'load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '5']
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const r = await new Promise((resolve, reject) => {
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], { env: nodeChildEnv({ NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.strictEqual(r.code, 0, r.out);
    assert.ok(r.out.includes('\r\x1b[K'), 'the line is redrawn in place');
    assert.match(r.out, /up \d+\/5/);
    assert.match(r.out, /5 of 5 connections up/);
  });

  it('--expect: a count or a percentage decides the exit status', async () => {
    const port = await server('uvtls');
    const ok = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '3', '--expect', '100%']);
    assert.strictEqual(ok.code, 0, ok.stdout);
    const bad = await cli(['load', `127.0.0.1:${port}`, '--certs', dir, '--connections', '3', '--expect', '4']);
    assert.strictEqual(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /expected 4: NOT met/);
    const usage = await cli(['load', `127.0.0.1:${port}`, '--expect', 'most']);
    assert.strictEqual(usage.code, 2);
  });

  it('histograms merge exactly: percentiles of merged halves equal those of the whole', () => {
    const whole = new Histogram();
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 20000; i++) {
      const v = Math.exp(Math.random() * 12);
      whole.record(v);
      (i % 3 ? a : b).record(v);
    }
    const merged = Histogram.fromJSON(JSON.parse(JSON.stringify(a))).merge(JSON.parse(JSON.stringify(b)));
    for (const p of [50, 90, 99, 99.9]) assert.strictEqual(merged.percentile(p), whole.percentile(p));
    // within the bucket resolution (~3 %) of the exact value
    const sorted = [];
    for (let i = 1; i <= 1000; i++) sorted.push(i * 7);
    const h = new Histogram();
    for (const v of sorted) h.record(v);
    assert.ok(Math.abs(h.percentile(99) - 6930) / 6930 < 0.04, String(h.percentile(99)));
    assert.throws(() => mergeResults([{ version: 2 }]), /not a uvtls load result/);
  });
});
