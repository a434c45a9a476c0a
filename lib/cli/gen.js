'use strict';
// `uvtls gen`: a development CA, a server certificate and client certificates, with the file
// names of RabbitMQ's tls-gen. Keys and certificates come from the addon (OpenSSL's C API); no
// `openssl` program is run. Private keys are created with mode 0600 from the first byte on.
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { parse, UsageError } = require('./args');
const { Report, emit } = require('./output');

const HELP = `Usage: uvtls gen [options]

Creates a CA, a server certificate and client certificates for development and tests, with
the file names of RabbitMQ's tls-gen:

  ca_certificate.pem      ca_key.pem
  server_certificate.pem  server_key.pem
  client_certificate.pem  client_key.pem   (with several --client: client_NAME_certificate.pem
                                            and client_NAME_key.pem, the first one also as
                                            client_certificate.pem / client_key.pem)

Options:
  --dir DIR        where to write the files (default: the current directory; created if missing)
  --host NAME      a name or IP address of the server (repeat; default localhost, 127.0.0.1, ::1)
  --client NAME    a client certificate with CN=NAME (repeat; default: one named "client")
  --clients N      a fleet: N device certificates (CN and DNS SAN device-00001 ...) in DIR/devices,
                   signed by the CA in DIR (made first, with a server certificate, if missing)
  --rsa            RSA 2048 keys instead of EC P-256
  --days N         validity of the certificates in days (default 365)
  --force          overwrite existing files
  --json           print one JSON object instead of text
  -h, --help       show this help

Private keys are written with mode 0600. Existing files are never overwritten without --force.
`;

const SPEC = {
  dir: { type: 'string', default: '.' },
  host: { type: 'string', multiple: true },
  client: { type: 'string', multiple: true },
  clients: { type: 'number', min: 1, max: 9999999 },
  'slow-path': { type: 'boolean', default: false },
  rsa: { type: 'boolean', default: false },
  days: { type: 'number', min: 1, max: 36500, default: 365 },
  force: { type: 'boolean', default: false },
};

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];

// The files to write: [{ name, role, client, kind: 'cert'|'key' }].
function plan(clients) {
  const out = [
    { file: 'ca_certificate.pem', of: 'ca', kind: 'cert' },
    { file: 'ca_key.pem', of: 'ca', kind: 'key' },
    { file: 'server_certificate.pem', of: 'server', kind: 'cert' },
    { file: 'server_key.pem', of: 'server', kind: 'key' },
    { file: 'client_certificate.pem', of: `client:${clients[0]}`, kind: 'cert' },
    { file: 'client_key.pem', of: `client:${clients[0]}`, kind: 'key' },
  ];
  if (clients.length > 1) {
    for (const name of clients) {
      out.push({ file: `client_${name}_certificate.pem`, of: `client:${name}`, kind: 'cert' });
      out.push({ file: `client_${name}_key.pem`, of: `client:${name}`, kind: 'key' });
    }
  }
  return out;
}

// Writes through a temporary file created with its final mode (O_EXCL, so never someone
// else's file), then links it into place: with `force` a rename replaces the old file in one
// step; without it link() fails if the name exists, so nothing is ever overwritten by accident.
function writeAtomic(file, data, mode, force) {
  const tmp = path.join(path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
  try {
    fs.fchmodSync(fd, mode); // the umask may have taken bits from a certificate's 0644
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    if (force) fs.renameSync(tmp, file);
    else fs.linkSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function sanOf(host) {
  return { type: net.isIP(host) ? 'ip' : 'dns', value: host };
}

async function run(argv, io = {}) {
  const { values } = parse('gen', argv, SPEC);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const hosts = values.host.length ? [...new Set(values.host)] : DEFAULT_HOSTS;
  const clients = values.client.length ? [...new Set(values.client)] : ['client'];
  for (const h of hosts) {
    if (!net.isIP(h) && !/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(h)) {
      throw new UsageError(`--host '${h}' is neither a DNS name nor an IP address`, 'gen');
    }
  }
  for (const c of clients) {
    // The name goes into file names: keep it to characters that are safe there.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(c) || c.length > 64) {
      throw new UsageError(`--client '${c}' must be letters, digits, '.', '_' or '-' (it names files)`, 'gen');
    }
  }

  if (values.clients !== undefined) {
    if (values.client.length) throw new UsageError('--clients and --client do not go together', 'gen');
    return require('../load/fleet-gen').genFleet(values, io, { hosts, writeAtomic, sanOf });
  }
  const report = new Report('gen');
  const dir = path.resolve(values.dir);
  report.data.dir = dir;
  const files = plan(clients);

  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    report.fail('dir', `cannot create ${dir}: ${err.message}`, { code: err.code });
    return emit(report, { json: values.json, ...io });
  }
  const existing = files.filter((f) => fs.existsSync(path.join(dir, f.file))).map((f) => f.file);
  if (existing.length && !values.force) {
    report.fail('files', `${existing.length} of the files exist already in ${dir}; nothing was written`, {
      code: 'EEXIST', details: existing,
      hint: 'Pass --force to replace them, or --dir to write somewhere else.' });
    return emit(report, { json: values.json, ...io });
  }

  const binding = require('../binding');
  if (typeof binding.issueCertificate !== 'function' || typeof binding.generateKey !== 'function') {
    report.fail('addon', 'this build of the uvtls addon cannot issue certificates', {
      code: 'ERR_UVTLS_UNSUPPORTED', hint: 'Rebuild uvtls (`npm rebuild uvtls`).' });
    return emit(report, { json: values.json, ...io });
  }
  const keyType = values.rsa ? { type: 'rsa', bits: 2048 } : { type: 'ec' };
  const keyUsageLeaf = values.rsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
  const made = {};
  try {
    const caKey = binding.generateKey(keyType).keyPem;
    const caCert = binding.issueCertificate({
      keyPem: caKey, subject: { O: 'uvtls', CN: 'uvtls development CA' }, days: values.days,
      isCA: true, pathLength: 0, keyUsage: ['keyCertSign', 'cRLSign'],
    }).certPem;
    made.ca = { cert: caCert, key: caKey };
    const issue = (subject, extra) => {
      const key = binding.generateKey(keyType).keyPem;
      const cert = binding.issueCertificate({
        keyPem: key, subject, days: values.days, isCA: false, keyUsage: keyUsageLeaf,
        issuerCertPem: caCert, issuerKeyPem: caKey, ...extra,
      }).certPem;
      return { cert, key };
    };
    const cn = hosts.find((h) => !net.isIP(h)) || hosts[0];
    made.server = issue({ O: 'uvtls', CN: cn }, { sans: hosts.map(sanOf), extKeyUsage: ['serverAuth'] });
    for (const name of clients) {
      made[`client:${name}`] = issue({ O: 'uvtls', CN: name }, { extKeyUsage: ['clientAuth'] });
    }
  } catch (err) {
    report.fail('issue', `could not create the certificates: ${err.message}`, { code: err.code, hint: err.hint });
    return emit(report, { json: values.json, ...io });
  }

  // Sanity: each certificate is signed by the CA and belongs to its key.
  const ca = new crypto.X509Certificate(made.ca.cert);
  for (const [what, m] of Object.entries(made)) {
    const x = new crypto.X509Certificate(m.cert);
    if (!x.checkPrivateKey(crypto.createPrivateKey(m.key)) || !x.verify(ca.publicKey)) {
      report.fail('issue', `the ${what} certificate did not come out right (signature or key mismatch)`,
        { code: 'ERR_UVTLS_GEN_FAILED' });
      return emit(report, { json: values.json, ...io });
    }
  }

  const written = [];
  try {
    for (const f of files) {
      const full = path.join(dir, f.file);
      const mode = f.kind === 'key' ? 0o600 : 0o644;
      writeAtomic(full, made[f.of][f.kind], mode, values.force);
      written.push({ path: full, mode: '0' + mode.toString(8), kind: f.kind, of: f.of });
    }
  } catch (err) {
    report.fail('files', `could not write ${err.path || dir}: ${err.message}`, {
      code: err.code, details: written.map((w) => `written: ${w.path}`),
      hint: err.code === 'EEXIST' ? 'A file appeared while writing; pass --force to replace it.' : undefined });
    return emit(report, { json: values.json, ...io });
  }

  const x = (pem) => new crypto.X509Certificate(pem);
  const until = new Date(Date.parse(ca.validTo)).toISOString().slice(0, 10);
  const alg = values.rsa ? 'RSA 2048' : 'EC P-256';
  report.ok('ca', `CA "uvtls development CA" (${alg}, valid until ${until})`, {
    details: ['ca_certificate.pem, ca_key.pem'] });
  const server = x(made.server.cert);
  report.ok('server', `server certificate for ${hosts.join(', ')} (serverAuth)`, {
    details: ['server_certificate.pem, server_key.pem', `names: ${server.subjectAltName}`] });
  clients.forEach((name, i) => {
    const names = [];
    if (i === 0) names.push('client_certificate.pem, client_key.pem');
    if (clients.length > 1) names.push(`client_${name}_certificate.pem, client_${name}_key.pem`);
    report.ok('client', `client certificate CN=${name} (clientAuth)`, { details: names });
  });
  report.ok('files', `${written.length} files written to ${dir} (private keys mode 0600)`);
  report.data.files = written;
  report.data.ca = { subject: ca.subject.split('\n').join(', '), validTo: new Date(Date.parse(ca.validTo)).toISOString(),
    fingerprint256: ca.fingerprint256 };
  report.data.server = { hosts, subjectAltName: server.subjectAltName };
  report.data.clients = clients;
  return emit(report, { json: values.json, ...io });
}

module.exports = { run, HELP, writeAtomic };
