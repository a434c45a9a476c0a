'use strict';
// A worker thread of `uvtls gen --clients N`: issues and writes devices [from, to] and reports
// progress. Runs beside its siblings (one per core); each decodes the CA key once.
const fs = require('fs');
const path = require('path');
const { parentPort, workerData } = require('worker_threads');
const binding = require('../binding');
const { makeIssuer } = require('./fleet-certs');

const { from, to, dir, force, caCertPem, caKeyPem, days, width, fast: wantFast } = workerData;
const flag = force ? 'w' : 'wx';

function main() {
  const made = makeIssuer(binding, { caCertPem, caKeyPem, days, width, slow: !wantFast });
  let done = 0;
  for (let i = from; i <= to; i++) {
    const d = made.issuer.issue(i);
    // Keys are created 0600 from the first byte (the mode applies at creation; with --force an
    // existing file keeps its own mode, so it is set again).
    const keyFile = path.join(dir, `${d.name}_key.pem`);
    fs.writeFileSync(keyFile, d.keyPem, { mode: 0o600, flag });
    if (force) fs.chmodSync(keyFile, 0o600);
    fs.writeFileSync(path.join(dir, `${d.name}_certificate.pem`), d.certPem, { mode: 0o644, flag });
    if (++done % 500 === 0) parentPort.postMessage({ progress: 500 });
  }
  parentPort.postMessage({ progress: done % 500, fast: made.fast, why: made.why });
}

try {
  main();
} catch (err) {
  parentPort.postMessage({ error: { message: err.message, code: err.code, path: err.path, hint: err.hint } });
}
