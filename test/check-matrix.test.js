'use strict';
// The misconfiguration matrix of issue 16 for `uvtls check`: the rows that live in files (the
// network-only rows, such as no common cipher or nothing listening, are doctor's: see
// test/doctor-matrix.test.js). Each must exit 1, name one cause (`cause` in --json) and print
// exactly one [FAIL] line.
const assert = require('assert');
const { spawn } = require('child_process');
const path = require('path');
const { pki } = require('./fixtures/matrix-pki');
const { nodeChildEnv } = require('./helpers');

const BIN = path.join(__dirname, '..', 'bin', 'uvtls.js');

function cli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: nodeChildEnv({ NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stdout += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('uvtls check: the misconfiguration matrix', function () {
  this.timeout(60000);
  const f = (n) => pki().file(n);
  const files = (name) => ['--cert', f(`${name}.pem`), '--key', f(`${name}.key`)];
  const CA = () => ['--ca', f('root.pem')];

  before(function () {
    this.timeout(60000);
    pki();
  });

  it('passes the good server and client files', async () => {
    for (const args of [[...files('server'), ...CA(), '--role', 'server', '--host', 'localhost'],
      [...files('client'), ...CA(), '--role', 'client']]) {
      const r = await cli(['check', ...args]);
      assert.strictEqual(r.code, 0, r.stdout);
    }
  });

  const rows = [
    ['untrusted self-signed', () => [...files('selfSigned'), ...CA()], 'self-signed', 'chain'],
    ['unknown CA (the file holds the other root)', () => ['--cert', f('other+root.pem'), '--key', f('other.key'),
      ...CA()], 'unknown-ca', 'chain'],
    ['unknown CA (leaf only)', () => [...files('other'), ...CA()], 'issuer-not-found', 'chain'],
    ['missing intermediate', () => [...files('chained'), ...CA()], 'issuer-not-found', 'chain'],
    ['expired', () => [...files('expired'), ...CA()], 'expired', 'dates'],
    ['not yet valid', () => [...files('notYet'), ...CA()], 'not-yet-valid', 'dates'],
    ['wrong host name, DNS', () => [...files('server'), ...CA(), '--host', 'mq.example.test'], 'hostname-mismatch', 'host'],
    ['wrong host name, IP', () => [...files('dnsOnly'), ...CA(), '--host', '127.0.0.1'], 'hostname-mismatch', 'host'],
    ['server certificate without serverAuth', () => [...files('noServerAuth'), ...CA(), '--role', 'server'],
      'server-cert-purpose', 'usage'],
    ['keyUsage without digitalSignature', () => [...files('noDigSig'), ...CA(), '--role', 'server'], 'key-usage', 'usage'],
    ['client certificate from a CA the server does not accept', () => [...files('otherClient'), ...CA(),
      '--role', 'client'], 'issuer-not-found', 'chain'],
    ['client certificate without clientAuth', () => [...files('clientNoClientAuth'), ...CA(), '--role', 'client'],
      'client-cert-purpose', 'usage'],
    ['client certificate expired', () => [...files('clientExpired'), ...CA(), '--role', 'client'], 'expired', 'dates'],
    ['DER file given as PEM', () => ['--cert', f('server.der'), '--key', f('server.key')], 'not-pem', 'cert'],
    ['PKCS#12 file given as PEM', () => ['--cert', f('server.p12'), '--key', f('server.key')], 'not-pem', 'cert'],
    ['key not matching the certificate', () => ['--cert', f('client.pem'), '--key', f('server.key')], 'key-mismatch', 'match'],
    ['wrong passphrase', () => ['--cert', f('client.pem'), '--key', f('clientEnc.key'), '--passphrase', 'wrong horse'],
      'wrong-passphrase', 'key'],
    ['wrong passphrase of a PKCS#12 archive', () => ['--pfx', f('client.p12'), '--passphrase', 'wrong'],
      'wrong-passphrase', 'pfx'],
  ];

  for (const [row, args, cause, name] of rows) {
    it(`${row}: ${cause}`, async () => {
      const [text, json] = await Promise.all([cli(['check', ...args()]), cli(['check', ...args(), '--json'])]);
      const report = JSON.parse(json.stdout);
      const fails = report.checks.filter((c) => c.status === 'fail');
      const where = `\n${text.stdout}`;
      assert.strictEqual(json.code, 1, where);
      assert.strictEqual(text.code, 1, where);
      assert.deepStrictEqual(fails.map((c) => c.cause), [cause], where);
      assert.strictEqual(fails[0].name, name, where);
      assert.strictEqual(report.cause, cause, where);
      assert.strictEqual((text.stdout.match(/^\[FAIL\]/gm) || []).length, 1, where);
      if (process.env.UVTLS_MATRIX_VERDICTS) process.stderr.write(`${row}\t${fails[0].message}\n`);
    });
  }
});
