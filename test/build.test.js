'use strict';
// The addon: one OpenSSL (Node's), version check at load, context-aware (workers), default trust.
const assert = require('assert');
const { execFileSync, spawnSync } = require('child_process');
const path = require('path');
const { Worker } = require('worker_threads');
const { once } = require('events');
const uvtls = require('..');
const { certs } = require('./fixtures/certs');
const { nodeChildEnv } = require('./helpers');

const addon = process.env.UVTLS_BINDING || path.join(__dirname, '..', 'build', 'Release', 'uvtls.node');

describe('addon', function () {
  it('links no libssl/libcrypto of its own: it uses the OpenSSL inside node', function () {
    const deps = execFileSync('ldd', [addon]).toString();
    assert.doesNotMatch(deps, /libssl|libcrypto/);
  });

  it('runs on the same OpenSSL version Node reports', function () {
    assert.strictEqual(uvtls.opensslVersion.split(' ')[1], process.versions.openssl);
  });

  it('loads and works inside worker_threads, and the worker exits cleanly', async function () {
    this.timeout(180000); // a worker boots a whole Node environment; slow under the sanitizer run
    const c = certs();
    const worker = new Worker(`
      const { parentPort, workerData } = require('worker_threads');
      const uvtls = require(${JSON.stringify(path.join(__dirname, '..'))});
      const s = uvtls.createSecurePair(uvtls.createSecureContext({ key: workerData.key, cert: workerData.cert }), true);
      const c = uvtls.createSecurePair(uvtls.createSecureContext({ ca: workerData.ca }), false);
      s.encrypted.pipe(c.encrypted).pipe(s.encrypted);
      c.on('secure', () => parentPort.postMessage(c.cleartext.authorized));
    `, { eval: true, workerData: { key: c.serverKey, cert: c.serverChain, ca: c.caCert } });
    const [authorized] = await once(worker, 'message');
    assert.strictEqual(authorized, true);
    const [code] = await Promise.all([once(worker, 'exit'), worker.terminate()]);
    assert.ok(code !== undefined);
  });

  it('default trust includes NODE_EXTRA_CA_CERTS, as in Node', function () {
    this.timeout(180000); // two child processes; slow under the sanitizer run
    const c = certs();
    const script = `
      const uvtls = require(${JSON.stringify(path.join(__dirname, '..'))});
      const fs = require('fs');
      const s = uvtls.createSecurePair(uvtls.createSecureContext({
        key: fs.readFileSync(${JSON.stringify(c.file('serverKey'))}),
        cert: fs.readFileSync(${JSON.stringify(c.file('serverChain'))}) }), true);
      const cl = uvtls.createSecurePair(uvtls.createSecureContext(), false);
      s.encrypted.pipe(cl.encrypted).pipe(s.encrypted);
      // Ends by itself (no process.exit): the sanitizer run checks this process for leaks too.
      cl.on('secure', () => { console.log('authorized', cl.cleartext.authorized); cl.destroy(); s.destroy(); });
      cl.on('error', (e) => { console.log('error', e.code); s.destroy(); });
      s.on('error', () => {});`;
    const run = (extra) => spawnSync(process.execPath, ['-e', script], {
      env: nodeChildEnv({ NODE_EXTRA_CA_CERTS: extra }, { detectLeaks: true }), encoding: 'utf8' }).stdout.trim();
    assert.strictEqual(run(c.file('caCert')), 'authorized true');
    assert.strictEqual(run('/nonexistent'), 'error UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });
});
