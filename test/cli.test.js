'use strict';
// The `uvtls` command, run as a real process: gen, check and doctor, their --json output and
// exit codes, against real files (wrong formats, permissions, passphrases) and real servers.
const assert = require('assert');
const { spawn, execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const tls = require('tls');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const { nodeChildEnv, worldReadableCopy } = require('./helpers');
const { sslv3Alert } = require('./node-alerts');

const BIN = path.join(__dirname, '..', 'bin', 'uvtls.js');
// A safety bound only: a test runs up to 14 CLI processes one after another, each a Node start
// (slow under the sanitizer build and on a loaded machine).
const TIMEOUT = 600000;

// A doctor run against a target gets a generous --timeout for each step (unless the test sets
// one): its default (10 s) is meant for people, and a loaded machine or the sanitizer build can
// take longer to start a handshake.
function withDoctorTimeout(args) {
  if (args[0] !== 'doctor' || !args[1] || args[1].startsWith('-') || args.includes('--timeout')) return args;
  return [...args, '--timeout', '60000'];
}

// Runs `node bin/uvtls.js args...`; resolves with { code, stdout, stderr, json }.
function cli(givenArgs, { env, uid, gid, cwd, bin = BIN } = {}) {
  const args = withDoctorTimeout(givenArgs);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: nodeChildEnv({ NO_COLOR: '1', ...env }), uid, gid, cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      let json;
      if (args.includes('--json')) {
        try { json = JSON.parse(stdout); } catch {
          reject(new Error(`not JSON (exit ${code}): ${stdout}\n${stderr}`));
          return;
        }
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

function check(json, name, status) {
  const found = json.checks.filter((c) => c.name === name && (!status || c.status === status));
  assert.ok(found.length, `no ${status || ''} check "${name}" in ${JSON.stringify(json.checks, null, 1)}`);
  return found[0];
}

function tmpdir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `uvtls-cli-${prefix}-`));
  after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => server.close());
  return server.address().port;
}

function uvtlsServer(options) {
  const server = uvtls.createServer(options, (s) => {
    s.on('error', () => {});
    s.resume();
  });
  server.on('tlsClientError', () => {});
  return server;
}

describe('uvtls command', function () {
  this.timeout(TIMEOUT);
  const c = certs();
  let gen; // the directory of one `uvtls gen` run, shared by the tests that only read it
  const g = (name) => path.join(gen, name);

  before(async function () {
    this.timeout(TIMEOUT);
    gen = tmpdir('gen');
    const r = await cli(['gen', '--dir', gen, '--json']);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
  });

  describe('usage', () => {
    it('prints help and exits 0, exits 2 on usage errors', async () => {
      for (const args of [[], ['--help'], ['gen', '--help'], ['check', '-h'], ['doctor', '--help']]) {
        const r = await cli(args);
        assert.strictEqual(r.code, 0, `${args}: ${r.stderr}`);
        assert.match(r.stdout, /Usage: uvtls/);
      }
      for (const args of [['frobnicate'], ['check'], ['check', '--cert', 'x'], ['gen', '--days', 'soon'],
        ['gen', '--bogus'], ['doctor'], ['doctor', 'a:b:c'], ['check', '--cert', 'a', '--key', 'b', '--role', 'peer'],
        ['gen', '--client', '../evil']]) {
        const r = await cli(args);
        assert.strictEqual(r.code, 2, `${args} exited ${r.code}: ${r.stdout}`);
        assert.match(r.stderr, /uvtls/);
      }
    });

    it('takes whole numbers as digits only (--days 0x10, 1e3, " 5" are usage errors, nothing written)', async () => {
      const dir = tmpdir('days');
      for (const days of ['0x10', '1e3', ' 5', '0b1', '0', '36501', '--days=-1']) {
        const args = days.startsWith('--') ? ['gen', '--dir', dir, days] : ['gen', '--dir', dir, '--days', days];
        const r = await cli(args);
        assert.strictEqual(r.code, 2, `--days '${days}' exited ${r.code}: ${r.stdout}`);
        assert.match(r.stderr, /--days must be a whole number from 1 to 36500/);
      }
      assert.deepStrictEqual(fs.readdirSync(dir), []);
    });

    it('colours only when asked or on a terminal, never with NO_COLOR', async () => {
      const args = ['check', '--cert', g('server_certificate.pem'), '--key', g('server_key.pem')];
      const plain = await cli(args);
      assert.strictEqual(plain.code, 0);
      assert.ok(!plain.stdout.includes('\x1b['));
      assert.match(plain.stdout, /\[ ok \]/);
      const coloured = await cli(args, { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
      assert.ok(coloured.stdout.includes('\x1b[32m'), coloured.stdout);
    });
  });

  describe('gen', () => {
    it('writes a CA, server and client with 0600 keys and a chain that verifies', () => {
      for (const name of ['ca_certificate.pem', 'ca_key.pem', 'server_certificate.pem',
        'server_key.pem', 'client_certificate.pem', 'client_key.pem']) {
        const st = fs.statSync(g(name));
        assert.strictEqual(st.mode & 0o777, name.endsWith('key.pem') ? 0o600 : 0o644, name);
      }
      assert.deepStrictEqual(fs.readdirSync(gen).filter((f) => f.endsWith('.tmp')), []);
      const ca = new crypto.X509Certificate(fs.readFileSync(g('ca_certificate.pem')));
      const server = new crypto.X509Certificate(fs.readFileSync(g('server_certificate.pem')));
      const client = new crypto.X509Certificate(fs.readFileSync(g('client_certificate.pem')));
      assert.ok(ca.ca);
      assert.ok(ca.verify(ca.publicKey));
      for (const leaf of [server, client]) {
        assert.ok(leaf.checkIssued(ca));
        assert.ok(leaf.verify(ca.publicKey));
        assert.strictEqual(leaf.ca, false);
      }
      assert.ok(server.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(g('server_key.pem')))));
      assert.ok(client.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(g('client_key.pem')))));
      assert.ok(!server.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(g('client_key.pem')))));
      assert.strictEqual(server.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
      assert.deepStrictEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
      assert.deepStrictEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
      assert.match(client.subject, /CN=client/);
      assert.strictEqual(server.publicKey.asymmetricKeyType, 'ec');
    });

    it('produces files a uvtls server and a node:tls client accept (mutual TLS)', async () => {
      const read = (n) => fs.readFileSync(g(n));
      const server = uvtls.createServer({
        key: read('server_key.pem'), cert: read('server_certificate.pem'),
        ca: read('ca_certificate.pem'), requestCert: true, rejectUnauthorized: true,
      }, (s) => {
        s.end(`hello ${s.getPeerCertificate().subject.CN}`);
      });
      const port = await listen(server);
      for (const host of ['localhost', '127.0.0.1']) {
        const client = tls.connect({
          host, port, ca: read('ca_certificate.pem'),
          key: read('client_key.pem'), cert: read('client_certificate.pem'),
        });
        let text = '';
        client.on('data', (d) => { text += d; });
        await once(client, 'end');
        assert.strictEqual(client.authorized, true);
        assert.strictEqual(text, 'hello client');
        client.destroy();
      }
    });

    it('refuses to overwrite existing files unless --force', async () => {
      const dir = tmpdir('over');
      assert.strictEqual((await cli(['gen', '--dir', dir])).code, 0);
      const before = fs.readFileSync(path.join(dir, 'server_key.pem'), 'utf8');
      const r = await cli(['gen', '--dir', dir, '--json']);
      assert.strictEqual(r.code, 1);
      assert.strictEqual(r.json.ok, false);
      const f = check(r.json, 'files', 'fail');
      assert.strictEqual(f.code, 'EEXIST');
      assert.ok(f.details.includes('server_key.pem'));
      assert.match(f.hint, /--force/);
      assert.strictEqual(fs.readFileSync(path.join(dir, 'server_key.pem'), 'utf8'), before);
      const forced = await cli(['gen', '--dir', dir, '--force', '--json']);
      assert.strictEqual(forced.code, 0, forced.stdout);
      assert.notStrictEqual(fs.readFileSync(path.join(dir, 'server_key.pem'), 'utf8'), before);
      assert.strictEqual(fs.statSync(path.join(dir, 'server_key.pem')).mode & 0o777, 0o600);
    });

    it('takes --host, several --client, --rsa and --days', async () => {
      const dir = path.join(tmpdir('opts'), 'made-by-gen');
      const r = await cli(['gen', '--dir', dir, '--host', 'broker.example.test', '--host', '10.0.0.7',
        '--client', 'alice', '--client', 'bob', '--rsa', '--days', '30', '--json']);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr);
      assert.strictEqual(r.json.files.length, 10);
      const x = (n) => new crypto.X509Certificate(fs.readFileSync(path.join(dir, n)));
      const server = x('server_certificate.pem');
      assert.strictEqual(server.subjectAltName, 'DNS:broker.example.test, IP Address:10.0.0.7');
      assert.strictEqual(server.publicKey.asymmetricKeyType, 'rsa');
      const days = (Date.parse(server.validTo) - Date.now()) / 86400000;
      assert.ok(days > 28 && days < 31, String(days));
      assert.match(x('client_alice_certificate.pem').subject, /CN=alice/);
      assert.match(x('client_bob_certificate.pem').subject, /CN=bob/);
      assert.strictEqual(x('client_certificate.pem').fingerprint256, x('client_alice_certificate.pem').fingerprint256);
      assert.strictEqual(fs.statSync(path.join(dir, 'client_bob_key.pem')).mode & 0o777, 0o600);
    });
  });

  describe('check', () => {
    it('passes on the files of gen, for both roles', async () => {
      const r = await cli(['check', '--cert', g('server_certificate.pem'), '--key', g('server_key.pem'),
        '--ca', g('ca_certificate.pem'), '--host', 'localhost', '--role', 'server', '--json']);
      assert.strictEqual(r.code, 0, r.stdout);
      assert.strictEqual(r.json.ok, true);
      for (const name of ['cert', 'key', 'match', 'ca', 'chain', 'dates', 'usage', 'host']) check(r.json, name, 'ok');
      assert.ok(r.json.certificate.daysLeft >= 363);
      const text = await cli(['check', '--cert', g('client_certificate.pem'), '--key', g('client_key.pem'),
        '--ca', g('ca_certificate.pem'), '--role', 'client']);
      assert.strictEqual(text.code, 0, text.stdout);
      assert.match(text.stdout, /the chain verifies to the CA/);
      assert.match(text.stdout, /valid for 36\d more days/);
    });

    it('reads a file of many unterminated BEGIN lines in linear time, still finding the certificate after them', async function () {
      this.timeout(120000); // linear: milliseconds (and one CLI run); the old lazy regular expression took minutes
      const dir = tmpdir('pem');
      const file = path.join(dir, 'junk_then_cert.pem');
      const leaf = fs.readFileSync(g('server_certificate.pem'), 'latin1');
      fs.writeFileSync(file, '-----BEGIN JUNK-----\n'.repeat(80000) + leaf);
      const { pemBlocks } = require('../lib/cli/files');
      const blocks = pemBlocks(fs.readFileSync(file, 'latin1'));
      assert.strictEqual(blocks.length, 1);
      assert.strictEqual(blocks[0].pem.trim(), leaf.trim());
      const r = await cli(['check', '--cert', file, '--key', g('server_key.pem'), '--json']);
      check(r.json, 'match', 'ok');
    });

    it('fails when the key belongs to another certificate', async () => {
      const r = await cli(['check', '--cert', g('server_certificate.pem'), '--key', g('client_key.pem'), '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'match', 'fail');
      assert.strictEqual(f.code, 'ERR_OSSL_X509_KEY_VALUES_MISMATCH');
      assert.match(f.hint, /does not belong/);
    });

    it('recognises a DER certificate and prints the conversion command', async () => {
      const der = c.file('serverCertDer');
      const r = await cli(['check', '--cert', der, '--key', c.file('serverKey'), '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'cert', 'fail');
      assert.match(f.message, /DER \(binary\) certificate/);
      assert.strictEqual(f.command, `openssl x509 -inform DER -in ${der} -out ${der.replace(/\.der$/, '.pem')}`);
      // The command it prints works, and check then passes.
      execFileSync('sh', ['-c', f.command]);
      const again = await cli(['check', '--cert', der.replace(/\.der$/, '.pem'), '--key', c.file('serverKey')]);
      assert.strictEqual(again.code, 0, again.stdout);
    });

    it('recognises a PKCS#12 file given as --cert, and checks it as --pfx', async () => {
      const r = await cli(['check', '--cert', c.file('pfx'), '--key', c.file('serverKey'), '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'cert', 'fail');
      assert.match(f.message, /PKCS#12/);
      assert.match(f.hint, /--pfx/);
      assert.match(f.command, /^openssl pkcs12 -in \S+pfx\.p12 -clcerts -nokeys/);
      const ok = await cli(['check', '--pfx', c.file('pfx'), '--passphrase', c.pfxPassphrase,
        '--ca', c.file('caCert'), '--host', 'localhost', '--json']);
      assert.strictEqual(ok.code, 0, ok.stdout);
      assert.match(check(ok.json, 'chain', 'ok').message, /3 certificates/);
    });

    // The command as another user sees it: a copy of bin/, lib/, package.json and the addon in
    // a world-readable directory, since the checkout itself may sit in a 0700 directory (a CI
    // clone into mktemp -d) that user nobody cannot enter.
    function installForNobody() {
      const copy = worldReadableCopy();
      after(copy.remove);
      return { bin: path.join(copy.dir, 'bin', 'uvtls.js'), env: copy.env, cwd: copy.dir };
    }

    it('says who owns a file this user cannot read', async () => {
      const asNobody = { uid: 65534, gid: 65534, ...installForNobody() };
      const dir = tmpdir('perm');
      fs.chmodSync(dir, 0o755);
      const cert = path.join(dir, 'cert.pem');
      fs.copyFileSync(g('server_certificate.pem'), cert);
      fs.chmodSync(cert, 0o600);
      fs.chownSync(cert, 0, 0);
      const r = await cli(['check', '--cert', cert, '--key', g('ca_certificate.pem'), '--json'], asNobody);
      assert.strictEqual(r.code, 1, r.stdout + r.stderr);
      const f = check(r.json, 'cert', 'fail');
      assert.strictEqual(f.code, 'EACCES');
      assert.match(f.message, /owned by root \(uid 0\), mode 0600; you are uid 65534 \(nobody\)/);
      // And the same for mode 0000.
      fs.chmodSync(cert, 0o000);
      const z = await cli(['check', '--cert', cert, '--key', g('ca_certificate.pem'), '--json'], asNobody);
      assert.match(check(z.json, 'cert', 'fail').message, /mode 0000/);
      const missing = await cli(['check', '--cert', path.join(dir, 'nope.pem'), '--key', cert, '--json']);
      assert.match(check(missing.json, 'cert', 'fail').message, /does not exist/);
    });

    it('fails an expired certificate', async () => {
      const r = await cli(['check', '--cert', c.file('expiredCert'), '--key', c.file('expiredKey'),
        '--ca', c.file('caCert'), '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'dates', 'fail');
      assert.strictEqual(f.code, 'CERT_HAS_EXPIRED');
      assert.match(f.message, /expired \d+ days ago/);
      check(r.json, 'chain', 'ok');
    });

    it('fails a --host the certificate does not hold, listing the names it does', async () => {
      const r = await cli(['check', '--cert', g('server_certificate.pem'), '--key', g('server_key.pem'),
        '--host', 'mq.example.test', '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'host', 'fail');
      assert.strictEqual(f.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.match(f.message, /mq\.example\.test is not in the certificate; it holds DNS:localhost, IP Address:127\.0\.0\.1/);
    });

    it('fails a client certificate checked for the server role', async () => {
      const r = await cli(['check', '--cert', g('client_certificate.pem'), '--key', g('client_key.pem'),
        '--role', 'server', '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'usage', 'fail');
      assert.match(f.message, /may not be used by a server: its extended key usage is clientAuth/);
      assert.match(f.hint, /serverAuth/);
    });

    it('fails a certificate whose key usage forbids TLS (a CA certificate as a server)', async () => {
      const r = await cli(['check', '--cert', g('ca_certificate.pem'), '--key', g('ca_key.pem'),
        '--role', 'server', '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'usage', 'fail');
      assert.strictEqual(f.code, 'ERR_UVTLS_CERT_PURPOSE');
      assert.match(f.message, /key usage forbids TLS: it has no digitalSignature/);
      assert.ok(f.details.includes('key usage: keyCertSign, cRLSign'), f.details);
      check(r.json, 'usage', 'warn');
    });

    it('fails a wrong or missing passphrase with a hint', async () => {
      const args = ['check', '--cert', c.file('serverCert'), '--key', c.file('encryptedServerKey')];
      const wrong = await cli([...args, '--passphrase', 'not it', '--json']);
      assert.strictEqual(wrong.code, 1);
      const f = check(wrong.json, 'key', 'fail');
      assert.match(f.message, /wrong passphrase/);
      assert.strictEqual(f.code, 'ERR_OSSL_BAD_DECRYPT');
      assert.match(f.hint, /passphrase/);
      const none = await cli([...args, '--json']);
      assert.match(check(none.json, 'key', 'fail').message, /encrypted and no --passphrase/);
      const right = await cli([...args, '--passphrase', c.passphrase, '--json']);
      assert.strictEqual(right.code, 0, right.stdout);
      const pfx = await cli(['check', '--pfx', c.file('pfx'), '--passphrase', 'nope', '--json']);
      assert.strictEqual(pfx.code, 1);
      assert.strictEqual(check(pfx.json, 'pfx', 'fail').code, 'ERR_OSSL_PKCS12_MAC_VERIFY_FAILURE');
    });

    it('fails a chain with a missing intermediate or an unknown CA', async () => {
      const r = await cli(['check', '--cert', c.file('serverCert'), '--key', c.file('serverKey'),
        '--ca', c.file('caCert'), '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'chain', 'fail');
      assert.match(f.message, /its issuer is "CN=uvtls Test Intermediate CA"/);
      assert.match(f.hint, /Append the intermediate/);
      const full = await cli(['check', '--cert', c.file('serverChain'), '--key', c.file('serverKey'),
        '--ca', c.file('caCert'), '--json']);
      assert.strictEqual(full.code, 0, full.stdout);
      const other = await cli(['check', '--cert', g('server_certificate.pem'), '--key', g('server_key.pem'),
        '--ca', c.file('caCert'), '--json']);
      assert.strictEqual(other.code, 1);
      check(other.json, 'chain', 'fail');
      const self = await cli(['check', '--cert', c.file('selfSignedCert'), '--key', c.file('selfSignedKey'),
        '--ca', c.file('caCert'), '--json']);
      assert.strictEqual(check(self.json, 'chain', 'fail').code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    });
  });

  describe('doctor', () => {
    const read = (n) => fs.readFileSync(g(n));
    let port; // a uvtls server with gen's files
    let mtlsPort; // the same, requiring a client certificate

    before(async () => {
      port = await listen(uvtlsServer({ key: read('server_key.pem'), cert: read('server_certificate.pem') }));
      mtlsPort = await listen(uvtlsServer({
        key: read('server_key.pem'), cert: read('server_certificate.pem'),
        ca: read('ca_certificate.pem'), requestCert: true, rejectUnauthorized: true,
      }));
    });

    it('reports a good server and exits 0', async () => {
      const r = await cli(['doctor', `localhost:${port}`, '--ca', g('ca_certificate.pem'), '--json']);
      assert.strictEqual(r.code, 0, r.stdout + r.stderr);
      assert.strictEqual(r.json.ok, true);
      for (const name of ['dns', 'tcp', 'handshake', 'verify', 'hostname']) check(r.json, name, 'ok');
      assert.strictEqual(r.json.tls.protocol, 'TLSv1.3');
      assert.match(r.json.tls.cipher, /^TLS_/);
      assert.strictEqual(r.json.tls.certificateRequested, false);
      // The leaf the server sent, then the CA it verified to.
      assert.strictEqual(r.json.tls.chain.length, 2);
      assert.match(r.json.tls.chain[0].subject, /CN=localhost/);
      assert.match(r.json.tls.chain[0].issuer, /CN=uvtls development CA/);
      assert.deepStrictEqual(r.json.tls.chain[0].subjectAltNames, ['dns:localhost', 'ip:127.0.0.1', 'ip:::1']);
      assert.match(r.json.tls.chain[1].subject, /CN=uvtls development CA/);
      const text = await cli(['doctor', `127.0.0.1:${port}`, '--ca', g('ca_certificate.pem')]);
      assert.strictEqual(text.code, 0, text.stdout);
      assert.match(text.stdout, /TLS handshake done: TLSv1\.3/);
    });

    it('reports an untrusted server with the code and a hint', async () => {
      const r = await cli(['doctor', `localhost:${port}`, '--json']);
      assert.strictEqual(r.code, 1, r.stdout);
      const f = check(r.json, 'verify', 'fail');
      assert.ok(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'].includes(f.code), f.code);
      assert.ok(f.hint && f.hint.length > 20, f.hint);
      check(r.json, 'handshake', 'ok');
      const selfPort = await listen(uvtlsServer({ key: c.selfSignedKey, cert: c.selfSignedCert }));
      const s = await cli(['doctor', `localhost:${selfPort}`, '--ca', g('ca_certificate.pem'), '--json']);
      assert.strictEqual(s.code, 1);
      const sf = check(s.json, 'verify', 'fail');
      assert.strictEqual(sf.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(sf.hint, /self-signed/);
    });

    it('reports a host name the certificate does not hold', async () => {
      const r = await cli(['doctor', `127.0.0.1:${port}`, '--servername', 'mq.example.test',
        '--ca', g('ca_certificate.pem'), '--json']);
      assert.strictEqual(r.code, 1);
      check(r.json, 'verify', 'ok');
      const f = check(r.json, 'hostname', 'fail');
      assert.strictEqual(f.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.match(f.message, /does not hold mq\.example\.test; it holds DNS:localhost/);
    });

    it('reports TLS spoken to a plain-TCP port', async () => {
      const plain = net.createServer((s) => {
        s.on('error', () => {});
        s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
      });
      const plainPort = await listen(plain);
      const r = await cli(['doctor', `127.0.0.1:${plainPort}`, '--json']);
      assert.strictEqual(r.code, 1);
      check(r.json, 'tcp', 'ok');
      const f = check(r.json, 'handshake', 'fail');
      assert.strictEqual(f.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
      assert.ok(f.hint, JSON.stringify(f));
    });

    it('reports a closed port with the usual TLS ports', async () => {
      const probe = net.createServer();
      probe.listen(0, '127.0.0.1');
      await once(probe, 'listening');
      const closed = probe.address().port;
      probe.close();
      await once(probe, 'close');
      const r = await cli(['doctor', `127.0.0.1:${closed}`, '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'tcp', 'fail');
      assert.strictEqual(f.code, 'ECONNREFUSED');
      assert.match(f.hint, /5671.*8883.*443/);
      const dnsFail = await cli(['doctor', 'no-such-host.invalid:443', '--json']);
      assert.strictEqual(dnsFail.code, 1);
      assert.match(check(dnsFail.json, 'dns', 'fail').hint, /could not be resolved/);
    });

    it('reports a server that requires a client certificate, and passes with one', async () => {
      const r = await cli(['doctor', `localhost:${mtlsPort}`, '--ca', g('ca_certificate.pem'), '--json']);
      assert.strictEqual(r.code, 1, r.stdout);
      assert.strictEqual(r.json.tls.certificateRequested, true);
      assert.ok(r.json.tls.acceptedCaNames.some((n) => /CN=uvtls development CA/.test(n)),
        JSON.stringify(r.json.tls.acceptedCaNames));
      const f = check(r.json, 'client-certificate', 'fail');
      assert.match(f.message, /requires a client certificate and none was given/);
      const ok = await cli(['doctor', `localhost:${mtlsPort}`, '--ca', g('ca_certificate.pem'),
        '--cert', g('client_certificate.pem'), '--key', g('client_key.pem'), '--json']);
      assert.strictEqual(ok.code, 0, ok.stdout);
      check(ok.json, 'client-certificate', 'ok');
      // A client certificate from a CA the server does not trust.
      const bad = await cli(['doctor', `localhost:${mtlsPort}`, '--ca', g('ca_certificate.pem'),
        '--cert', c.file('clientCert'), '--key', c.file('clientKey'), '--json']);
      assert.strictEqual(bad.code, 1, bad.stdout);
      const f2 = check(bad.json, 'client-certificate', 'fail');
      assert.match(f2.message, /rejected the client certificate/);
      assert.ok(f2.details.some((d) => /--cert is issued by "CN=uvtls Test Root CA", which is not among them/.test(d)),
        JSON.stringify(f2.details));
      assert.ok(f2.code, JSON.stringify(f2));
      assert.ok(f2.hint, JSON.stringify(f2));
    });

    it('reports a TLS 1.2 server that fails the handshake for want of a client certificate', async () => {
      const port12 = await listen(uvtlsServer({
        key: read('server_key.pem'), cert: read('server_certificate.pem'), maxVersion: 'TLSv1.2',
        ca: read('ca_certificate.pem'), requestCert: true, rejectUnauthorized: true,
      }));
      const r = await cli(['doctor', `localhost:${port12}`, '--ca', g('ca_certificate.pem'), '--json']);
      assert.strictEqual(r.code, 1, r.stdout);
      const f = check(r.json, 'handshake', 'fail');
      assert.strictEqual(f.code, await sslv3Alert('HANDSHAKE_FAILURE')); // as the running Node spells it
      assert.match(f.hint, /client certificate/);
      assert.strictEqual(r.json.tls.certificateRequested, true);
      assert.ok(f.details.includes('the server asked for a client certificate and none was given'), f.details);
      const ok = await cli(['doctor', `localhost:${port12}`, '--ca', g('ca_certificate.pem'),
        '--cert', g('client_certificate.pem'), '--key', g('client_key.pem'), '--json']);
      assert.strictEqual(ok.code, 0, ok.stdout);
      assert.strictEqual(ok.json.tls.protocol, 'TLSv1.2');
    });

    it('gives up on a port that never answers the ClientHello', async () => {
      const silent = net.createServer((s) => s.on('error', () => {}));
      const silentPort = await listen(silent);
      const r = await cli(['doctor', `127.0.0.1:${silentPort}`, '--timeout', '1500', '--json']);
      assert.strictEqual(r.code, 1);
      const f = check(r.json, 'handshake', 'fail');
      assert.strictEqual(f.code, 'ERR_UVTLS_HANDSHAKE_TIMEOUT');
      assert.match(f.hint, /plain text/);
      const v6 = await cli(['doctor', `[::1]:${silentPort}`, '--json']);
      assert.strictEqual(v6.code, 1);
      assert.match(check(v6.json, 'tcp', 'fail').message, /^connection to \[::1\]:\d+ refused$/);
    });

    it('reports the negotiated ALPN protocol and a refused offer', async () => {
      const alpnPort = await listen(uvtlsServer({
        key: read('server_key.pem'), cert: read('server_certificate.pem'), ALPNProtocols: ['amqp'],
      }));
      const r = await cli(['doctor', `localhost:${alpnPort}`, '--ca', g('ca_certificate.pem'),
        '--alpn', 'mqtt', '--alpn', 'amqp', '--json']);
      assert.strictEqual(r.code, 0, r.stdout);
      assert.strictEqual(r.json.tls.alpn, 'amqp');
      assert.match(r.json.tls.group, /\w/);
      const none = await cli(['doctor', `localhost:${port}`, '--ca', g('ca_certificate.pem'), '--alpn', 'mqtt', '--json']);
      assert.strictEqual(none.code, 0, none.stdout);
      check(none.json, 'alpn', 'warn');
    });
  });
});
