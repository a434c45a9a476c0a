'use strict';
// Device certificates for a fleet (`uvtls gen --clients N`), fast enough for 100,000.
//
// Why not one issueCertificate() call per device: on OpenSSL 3.0 every call decodes three PEM
// blocks (subject key, CA certificate, CA key) and a private-key decode costs ~0.4 ms there, so
// one device took ~1.9 ms (190 s for 100,000). @peculiar/x509 was measured at ~2.1 ms too.
//
// What this does instead: the native tools issue ONE template certificate for device 1 (same
// extensions, CA, validity as every device). All device names have the same width
// (device-00001 ... device-99999), the serial has a fixed width and every P-256 public key is 65
// bytes, so device i's to-be-signed part is the template's with four byte runs exchanged: the
// serial, the name (subject CN and SAN dNSName), the public key point and the subject key
// identifier (SHA-1 of that point, RFC 5280 4.2.1.2). Each run is found in the template and must
// occur exactly as often as expected, or the fast path is refused and the slow one is used. The
// result is signed with the CA key decoded once (Node's crypto, ECDSA with SHA-256) and wrapped
// in the three-field Certificate SEQUENCE. Keys come from the native generateKey (~0.1 ms).
const crypto = require('crypto');

function derLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derSeq(parts) {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

function pemBody(pem, label) {
  const m = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`no ${label} block`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

function toPem(der, label) {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

// The uncompressed P-256 point at the end of a PKCS#8 EC key from OpenSSL (ECPrivateKey's
// publicKey [1] BIT STRING: 03 42 00 04 X Y), or throws.
function pointOfKeyPem(keyPem) {
  const der = pemBody(keyPem, 'PRIVATE KEY');
  const p = der.subarray(der.length - 65);
  const head = der.subarray(der.length - 68, der.length - 65);
  if (p[0] !== 0x04 || head[0] !== 0x03 || head[1] !== 0x42 || head[2] !== 0x00) {
    throw new Error('the key does not end with its public point');
  }
  return Buffer.from(p);
}

// Splits a DER Certificate into its parts: [tbs, signatureAlgorithm] as whole TLVs.
function readTlv(buf, off) {
  let len = buf[off + 1];
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i];
    hdr = 2 + n;
  }
  return { start: off, contentStart: off + hdr, end: off + hdr + len };
}

function occurrences(buf, needle) {
  const at = [];
  for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + 1)) at.push(i);
  return at;
}

function deviceName(i, width) {
  return `device-${String(i).padStart(width, '0')}`;
}

// Returns { issue(i) -> { name, certPem, keyPem } } or throws when the template does not have
// the expected shape (the caller then issues natively, one call per device).
function fastIssuer(binding, { caCertPem, caKeyPem, days, width }) {
  const tKey = binding.generateKey({ type: 'ec' }).keyPem;
  const tName = deviceName(1, width);
  // A serial with a pattern that cannot occur elsewhere by chance: 16 bytes, top bit clear.
  const tSerialHex = '5a' + 'c3a5'.repeat(7) + '3c';
  const tCertPem = binding.issueCertificate({
    keyPem: tKey, subject: { O: 'uvtls', CN: tName }, days, isCA: false,
    keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'], sans: [{ type: 'dns', value: tName }],
    issuerCertPem: caCertPem, issuerKeyPem: caKeyPem, serial: tSerialHex,
  }).certPem;
  const der = pemBody(tCertPem, 'CERTIFICATE');
  const outer = readTlv(der, 0);
  const tbsTlv = readTlv(der, outer.contentStart);
  const algTlv = readTlv(der, tbsTlv.end);
  const tbs = Buffer.from(der.subarray(tbsTlv.start, tbsTlv.end));
  const sigAlg = Buffer.from(der.subarray(algTlv.start, algTlv.end));
  const tPoint = pointOfKeyPem(tKey);
  const tSkid = crypto.createHash('sha1').update(tPoint).digest();
  const runs = {
    serial: { at: occurrences(tbs, Buffer.from(tSerialHex, 'hex')), want: 1, len: 16 },
    name: { at: occurrences(tbs, Buffer.from(tName)), want: 2, len: tName.length },
    point: { at: occurrences(tbs, tPoint), want: 1, len: 65 },
    skid: { at: occurrences(tbs, tSkid), want: 1, len: 20 },
  };
  for (const [what, r] of Object.entries(runs)) {
    if (r.at.length !== r.want) throw new Error(`template: ${what} found ${r.at.length} times, not ${r.want}`);
  }
  const caKey = crypto.createPrivateKey(caKeyPem);
  const caCert = new crypto.X509Certificate(caCertPem);
  if (caKey.asymmetricKeyType !== 'ec') throw new Error('template: the fast path signs with EC CA keys only');
  const serialBase = crypto.randomBytes(8);
  let checked = 0;
  return {
    issue(i) {
      const name = deviceName(i, width);
      if (name.length !== tName.length) throw new Error(`device ${i} does not fit width ${width}`);
      const keyPem = binding.generateKey({ type: 'ec' }).keyPem;
      const point = pointOfKeyPem(keyPem);
      const t = Buffer.from(tbs);
      const serial = Buffer.alloc(16);
      serial[0] = 0x5a; // top bit clear: a positive INTEGER of exactly 16 bytes
      serialBase.copy(serial, 1, 0, 7);
      serial.writeUInt32BE(i >>> 0, 12);
      serial.copy(t, runs.serial.at[0]);
      for (const at of runs.name.at) t.write(name, at, 'latin1');
      point.copy(t, runs.point.at[0]);
      crypto.createHash('sha1').update(point).digest().copy(t, runs.skid.at[0]);
      const sig = crypto.sign('sha256', t, caKey); // DER ECDSA-Sig-Value
      const bitString = Buffer.concat([Buffer.from([0x03]), derLength(sig.length + 1), Buffer.from([0]), sig]);
      const certDer = derSeq([t, sigAlg, bitString]);
      const certPem = toPem(certDer, 'CERTIFICATE');
      // The first few are checked in full (parse, CA signature, key match): a shape mistake
      // shows at once instead of in 100,000 files.
      if (checked < 3) {
        const x = new crypto.X509Certificate(certPem);
        if (!x.verify(caCert.publicKey) || !x.checkPrivateKey(crypto.createPrivateKey(keyPem)) ||
            !x.subject.includes(`CN=${name}`) || x.subjectAltName !== `DNS:${name}`) {
          throw new Error(`template: device ${name} did not come out right`);
        }
        checked++;
      }
      return { name, certPem, keyPem };
    },
  };
}

// The one-call-per-device path (RSA CAs, or a template the fast path refused).
function slowIssuer(binding, { caCertPem, caKeyPem, days, width }) {
  return {
    issue(i) {
      const name = deviceName(i, width);
      const keyPem = binding.generateKey({ type: 'ec' }).keyPem;
      const certPem = binding.issueCertificate({
        keyPem, subject: { O: 'uvtls', CN: name }, days, isCA: false,
        keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'], sans: [{ type: 'dns', value: name }],
        issuerCertPem: caCertPem, issuerKeyPem: caKeyPem,
      }).certPem;
      return { name, certPem, keyPem };
    },
  };
}

function makeIssuer(binding, opts) {
  if (opts.slow) return { issuer: slowIssuer(binding, opts), fast: false, why: 'asked for' };
  try {
    return { issuer: fastIssuer(binding, opts), fast: true };
  } catch (err) {
    return { issuer: slowIssuer(binding, opts), fast: false, why: err.message };
  }
}

module.exports = { makeIssuer, deviceName, pointOfKeyPem };
