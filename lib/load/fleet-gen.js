'use strict';
// `uvtls gen --clients N --dir DIR`: a fleet of device identities for `uvtls load --certs`.
//
//   DIR/ca_certificate.pem, ca_key.pem           the dev CA (reused when present)
//   DIR/server_certificate.pem, server_key.pem   made with the CA when it is made
//   DIR/devices/device-00001_certificate.pem, device-00001_key.pem, ...
//
// Every device has its own EC P-256 key and a certificate with CN and DNS SAN device-NNNNN
// (clientAuth). The work is split over worker threads, one per core (fleet-certs.js says why
// the certificates are made from a template).
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');
const { Report, emit } = require('../cli/output');

function genCa(binding, days) {
  const key = binding.generateKey({ type: 'ec' }).keyPem;
  const cert = binding.issueCertificate({
    keyPem: key, subject: { O: 'uvtls', CN: 'uvtls development CA' }, days,
    isCA: true, pathLength: 0, keyUsage: ['keyCertSign', 'cRLSign'],
  }).certPem;
  return { key, cert };
}

function runWorkers({ n, dir, force, caCertPem, caKeyPem, days, width, fast, threads, onProgress }) {
  const per = Math.ceil(n / threads);
  const jobs = [];
  for (let t = 0; t < threads; t++) {
    const from = t * per + 1;
    const to = Math.min(n, (t + 1) * per);
    if (from > to) break;
    jobs.push(new Promise((resolve, reject) => {
      const w = new Worker(path.join(__dirname, 'fleet-worker.js'), {
        workerData: { from, to, dir, force, caCertPem, caKeyPem, days, width, fast } });
      let result = null;
      w.on('message', (m) => {
        if (m.error) {
          const e = new Error(m.error.message);
          Object.assign(e, m.error);
          result = { error: e };
          return;
        }
        if (m.progress) onProgress(m.progress);
        if (m.fast !== undefined) result = { fast: m.fast, why: m.why };
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (result && result.error) reject(result.error);
        else if (code !== 0 || !result) reject(new Error(`certificate worker exited with code ${code}`));
        else resolve(result);
      });
    }));
  }
  return Promise.all(jobs);
}

async function genFleet(values, io, { hosts, writeAtomic, sanOf }) {
  const report = new Report('gen');
  const dir = path.resolve(values.dir);
  const devDir = path.join(dir, 'devices');
  const n = values.clients;
  const width = Math.max(5, String(n).length);
  report.data.dir = dir;
  report.data.devices = devDir;
  const binding = require('../binding');
  if (values.rsa) {
    report.fail('rsa', '--rsa is not offered for fleets: device keys are EC P-256', {
      code: 'ERR_UVTLS_USAGE', hint: 'Leave out --rsa; P-256 keys are what devices use and are ~50 times faster to make.' });
    return emit(report, { json: values.json, ...io });
  }
  try {
    fs.mkdirSync(devDir, { recursive: true });
  } catch (err) {
    report.fail('dir', `cannot create ${devDir}: ${err.message}`, { code: err.code });
    return emit(report, { json: values.json, ...io });
  }
  const caCertFile = path.join(dir, 'ca_certificate.pem');
  const caKeyFile = path.join(dir, 'ca_key.pem');
  let caCertPem;
  let caKeyPem;
  if (fs.existsSync(caCertFile) && fs.existsSync(caKeyFile)) {
    caCertPem = fs.readFileSync(caCertFile, 'utf8');
    caKeyPem = fs.readFileSync(caKeyFile, 'utf8');
    const x = new crypto.X509Certificate(caCertPem);
    if (!x.ca || !x.checkPrivateKey(crypto.createPrivateKey(caKeyPem))) {
      report.fail('ca', `${caCertFile} is not a CA certificate of ${caKeyFile}`, {
        code: 'ERR_UVTLS_BAD_CA', hint: 'Give a --dir without a CA (one is made) or with a CA made by `uvtls gen`.' });
      return emit(report, { json: values.json, ...io });
    }
    report.ok('ca', `reusing the CA in ${dir} (${x.subject.split('\n').join(', ')})`);
  } else {
    const ca = genCa(binding, values.days);
    caCertPem = ca.cert;
    caKeyPem = ca.key;
    const serverKey = binding.generateKey({ type: 'ec' }).keyPem;
    const cn = hosts.find((h) => !require('net').isIP(h)) || hosts[0];
    const serverCert = binding.issueCertificate({
      keyPem: serverKey, subject: { O: 'uvtls', CN: cn }, days: values.days, isCA: false,
      keyUsage: ['digitalSignature'], extKeyUsage: ['serverAuth'], sans: hosts.map(sanOf),
      issuerCertPem: caCertPem, issuerKeyPem: caKeyPem,
    }).certPem;
    try {
      writeAtomic(caCertFile, caCertPem, 0o644, values.force);
      writeAtomic(caKeyFile, caKeyPem, 0o600, values.force);
      writeAtomic(path.join(dir, 'server_certificate.pem'), serverCert, 0o644, values.force);
      writeAtomic(path.join(dir, 'server_key.pem'), serverKey, 0o600, values.force);
    } catch (err) {
      report.fail('files', `could not write the CA and server files in ${dir}: ${err.message}`, {
        code: err.code, hint: err.code === 'EEXIST' ? 'Pass --force to replace them.' : undefined });
      return emit(report, { json: values.json, ...io });
    }
    report.ok('ca', `CA "uvtls development CA" and a server certificate for ${hosts.join(', ')} in ${dir}`);
  }

  const threads = Math.max(1, Math.min(os.availableParallelism ? os.availableParallelism() : os.cpus().length, 8,
    Math.ceil(n / 2000)));
  const started = process.hrtime.bigint();
  let made = 0;
  const tty = !values.json && (io.stderr || process.stderr).isTTY;
  const results = await runWorkers({
    n, dir: devDir, force: values.force, caCertPem, caKeyPem, days: values.days, width,
    fast: !values['slow-path'], threads,
    onProgress: (k) => {
      made += k;
      if (tty) (io.stderr || process.stderr).write(`\r${made}/${n} devices`);
    },
  }).catch((err) => ({ error: err }));
  if (tty) (io.stderr || process.stderr).write('\r\x1b[K');
  if (results.error) {
    const err = results.error;
    report.fail('devices', `could not make the device certificates: ${err.message}`, {
      code: err.code, hint: err.code === 'EEXIST' ? `Device files exist already in ${devDir}; pass --force to replace them.` : err.hint });
    return emit(report, { json: values.json, ...io });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const fast = results.every((r) => r.fast);
  const last = `device-${String(n).padStart(width, '0')}`;
  report.ok('devices', `${n} device certificates device-${'1'.padStart(width, '0')} .. ${last} in ${devDir} ` +
    `(${seconds.toFixed(1)} s, ${Math.round(n / seconds)}/s, ${threads} thread${threads === 1 ? '' : 's'})`, {
    details: [`each: own EC P-256 key (mode 0600), CN and DNS SAN = the device name, clientAuth`,
      fast ? 'made from a natively issued template, re-signed per device (see docs/load.md)'
        : `issued one by one (${results.find((r) => !r.fast).why})`] });
  report.data.clients = n;
  report.data.width = width;
  report.data.seconds = seconds;
  report.data.fastPath = fast;
  report.data.ca = caCertFile;
  return emit(report, { json: values.json, ...io });
}

module.exports = { genFleet };
