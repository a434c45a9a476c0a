'use strict';
// The benchmark's own PKI, made with the `openssl` command line into a temporary directory that
// is removed at exit: one root (P-256), a P-256 and an RSA-2048 server leaf (CN and SAN
// localhost, signed by the root, served without intermediates so both leaves cost the same chain
// work), and a P-256 client certificate. Files, not only strings: `openssl s_time` and the floor
// program read them.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function make() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvtls-bench-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'empty.cnf');
  fs.writeFileSync(conf, '');
  const run = (args) => execFileSync('openssl', args, {
    cwd: dir, env: { ...process.env, OPENSSL_CONF: conf }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ext = (name, lines) => {
    const f = path.join(dir, `${name}.ext`);
    fs.writeFileSync(f, `[ext]\n${lines.join('\n')}\n`);
    return f;
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=uvtls bench CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = (name, keyArgs, cn, usage) => {
    run(['req', '-new', '-newkey', ...keyArgs, '-nodes', '-keyout', `${name}.key`,
      '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-CAcreateserial', '-days', '30', '-out', `${name}.pem`,
      '-extfile', ext(name, ['basicConstraints=CA:FALSE', `extendedKeyUsage=${usage}`,
        'subjectAltName=DNS:localhost,IP:127.0.0.1']), '-extensions', 'ext']);
  };
  leaf('ecdsa', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'localhost', 'serverAuth');
  leaf('rsa', ['rsa:2048'], 'localhost', 'serverAuth');
  // a server whose signature dominates its handshake: what the handshake pool spreads best
  leaf('rsa4096', ['rsa:4096'], 'localhost', 'serverAuth');
  leaf('client', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'device-001', 'clientAuth');
  const file = (n) => path.join(dir, n);
  const text = (n) => fs.readFileSync(file(n), 'utf8');
  return {
    dir, file,
    ca: text('ca.pem'),
    server: {
      ecdsa: { key: text('ecdsa.key'), cert: text('ecdsa.pem') },
      rsa: { key: text('rsa.key'), cert: text('rsa.pem') },
      rsa4096: { key: text('rsa4096.key'), cert: text('rsa4096.pem') },
    },
    client: { key: text('client.key'), cert: text('client.pem') },
  };
}

module.exports = { make };
