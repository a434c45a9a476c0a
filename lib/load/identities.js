'use strict';
// Who each connection is: one --cert/--key for all, or one device per connection from
// --certs DIR (the files of `uvtls gen --clients N`: DIR/devices/NAME_certificate.pem and
// NAME_key.pem, or those files directly in DIR). Device k (0-based, sorted by name) serves
// connection k; with --shard i/n this process takes connections i-1, i-1+n, i-1+2n, ...
const fs = require('fs');
const path = require('path');

function listDevices(dir) {
  const devDir = fs.existsSync(path.join(dir, 'devices')) ? path.join(dir, 'devices') : dir;
  const names = [];
  for (const f of fs.readdirSync(devDir)) {
    const m = /^(.+)_certificate\.pem$/.exec(f);
    if (m && m[1] !== 'ca' && m[1] !== 'server') names.push(m[1]);
  }
  names.sort();
  return { devDir, names };
}

// Returns { count, at(k) -> { name, cert, key } } where k is the global connection index.
function identities({ certs, cert, key }) {
  if (certs) {
    const { devDir, names } = listDevices(certs);
    if (!names.length) {
      const err = new Error(`no device certificates (NAME_certificate.pem) in ${devDir}`);
      err.code = 'ENOENT';
      err.hint = 'Make them with `uvtls gen --clients N --dir DIR`.';
      throw err;
    }
    return {
      kind: 'devices', dir: devDir, count: names.length,
      // Read when the connection starts: 100,000 devices are not all held in memory as text.
      at(k) {
        const name = names[k % names.length];
        return {
          name,
          cert: fs.readFileSync(path.join(devDir, `${name}_certificate.pem`)),
          key: fs.readFileSync(path.join(devDir, `${name}_key.pem`)),
        };
      },
    };
  }
  if (cert || key) {
    if (!cert || !key) {
      const err = new Error('--cert and --key go together');
      err.code = 'ERR_UVTLS_USAGE';
      throw err;
    }
    const c = fs.readFileSync(cert);
    const keyPem = fs.readFileSync(key);
    let cn = 'client';
    try {
      const x = new (require('crypto').X509Certificate)(c);
      const m = /(?:^|\n)CN=([^\n]*)/.exec(x.subject);
      if (m) cn = m[1];
    } catch { /* the TLS handshake reports a bad certificate with its own code */ }
    return { kind: 'shared', count: Infinity, shared: true, at: (k) => ({ name: `${cn}-${k + 1}`, cert: c, key: keyPem }) };
  }
  return { kind: 'none', count: Infinity, at: (k) => ({ name: `client-${k + 1}` }) };
}

// "i/n" with 1 <= i <= n.
function parseShard(text) {
  const m = /^(\d+)\/(\d+)$/.exec(text || '1/1');
  const i = m && Number(m[1]);
  const n = m && Number(m[2]);
  if (!m || n < 1 || i < 1 || i > n || n > 100000) return null;
  return { i, n };
}

// "127.0.0.2-127.0.0.9,10.0.0.5" -> ['127.0.0.2', ..., '10.0.0.5'] (IPv4 ranges; at most 65536).
function parseAddresses(text) {
  const out = [];
  const toInt = (a) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const toIp = (n) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
  const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
  for (const part of text.split(',')) {
    const p = part.trim();
    const r = p.split('-');
    if (r.length === 2 && ipv4.test(r[0]) && ipv4.test(r[1])) {
      const a = toInt(r[0]);
      const b = toInt(r[1]);
      if (b < a || b - a >= 65536) return null;
      for (let x = a; x <= b; x++) out.push(toIp(x));
    } else if (require('net').isIP(p)) {
      out.push(p);
    } else {
      return null;
    }
  }
  return out.length ? out : null;
}

module.exports = { identities, listDevices, parseShard, parseAddresses };
