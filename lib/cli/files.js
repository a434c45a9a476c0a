'use strict';
// Reading the files the `uvtls` command is given: whether this user can read them (and if not,
// who owns them), and what they hold (PEM blocks, or DER / PKCS#12 / PKCS#7 that need converting,
// with the exact `openssl` command that converts them).
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

function userName(uid) {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 3 && Number(f[2]) === uid) return f[0];
    }
  } catch { /* no passwd database (Windows, containers): fall back to the number */ }
  return undefined;
}

function who(uid) {
  const name = userName(uid);
  return name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`;
}

function me() {
  if (typeof process.getuid !== 'function') return 'this user';
  const uid = process.getuid();
  const name = userName(uid);
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${name})`;
}

function modeString(mode) {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

// Reads a file, or explains why it cannot be read. Returns { data } or { error: {code, message, hint} }.
function readFile(file) {
  try {
    return { data: fs.readFileSync(file) };
  } catch (err) {
    if (err.code === 'ENOENT') {
      return { error: { code: 'ENOENT', message: `${file} does not exist`,
        hint: `Check the path (relative paths start at ${process.cwd()}).` } };
    }
    if (err.code === 'EISDIR') {
      return { error: { code: 'EISDIR', message: `${file} is a directory, not a file` } };
    }
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      let owner;
      try {
        const st = fs.statSync(file);
        owner = `owned by ${who(st.uid)}, mode ${modeString(st.mode)}`;
      } catch {
        // stat needs search permission on every directory on the way: name the one that lacks it.
        let dir = path.dirname(path.resolve(file));
        let blocked = dir;
        while (dir !== path.dirname(dir)) {
          try { fs.accessSync(dir, fs.constants.X_OK); } catch { blocked = dir; }
          dir = path.dirname(dir);
        }
        try {
          const st = fs.statSync(blocked);
          owner = `its directory ${blocked} is owned by ${who(st.uid)}, mode ${modeString(st.mode)}`;
        } catch {
          owner = `a directory on its path cannot be searched`;
        }
      }
      return { error: { code: err.code,
        message: `${file} is not readable by this user: ${owner}; you are ${me()}`,
        hint: 'Give the user that runs the program read access (e.g. chown the file to it, or ' +
          'add it to the owning group with mode 0640); keep private keys unreadable by others.' } };
    }
    return { error: { code: err.code, message: `${file}: ${err.message}` } };
  }
}

// Each BEGIN line paired with the first matching END line after it. Not one regular expression
// with a lazy body: that rescans to the end of the text for every BEGIN without its END, which
// is quadratic (a 1 MB file of BEGIN lines took 10 s). The END lines are found in one pass and
// used in order, so the whole scan is linear.
function pemBlocks(text) {
  const ends = new Map(); // label -> { at: [offsets after each END line], next: index }
  for (const m of text.matchAll(/-----END ([A-Z0-9 ]+)-----/g)) {
    if (!ends.has(m[1])) ends.set(m[1], { at: [], next: 0 });
    ends.get(m[1]).at.push(m.index + m[0].length);
  }
  const blocks = [];
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/g;
  for (let m = begin.exec(text); m !== null; m = begin.exec(text)) {
    const label = m[1];
    const end = ends.get(label);
    if (!end) continue;
    // The END line must start after this BEGIN line ends.
    const minStop = begin.lastIndex + `-----END ${label}-----`.length;
    while (end.next < end.at.length && end.at[end.next] < minStop) end.next++;
    if (end.next === end.at.length) continue;
    const stop = end.at[end.next++];
    blocks.push({ label, pem: text.slice(m.index, stop) + '\n' });
    begin.lastIndex = stop;
  }
  return blocks;
}

// DER length-prefixed header: returns [offset of contents, length] or null.
function derHeader(buf, at) {
  if (at + 2 > buf.length) return null;
  let len = buf[at + 1];
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + n > buf.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i];
    off += n;
  }
  return [off, len];
}

const OID_PKCS7_DATA = Buffer.from('06092a864886f70d010701', 'hex');
const OID_PKCS7_SIGNED = Buffer.from('06092a864886f70d010702', 'hex');

// What a non-PEM file holds, judged from its DER structure.
function classifyDer(buf) {
  if (buf.length < 4 || buf[0] !== 0x30) return 'unknown';
  const h = derHeader(buf, 0);
  if (!h) return 'unknown';
  const [off] = h;
  // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo (pkcs7-data), ... }
  if (buf[off] === 0x02 && buf[off + 1] === 0x01 && buf[off + 2] === 0x03 &&
      buf.subarray(off + 3, off + 24).includes(OID_PKCS7_DATA)) return 'pkcs12';
  // ContentInfo { contentType signedData, ... }: a .p7b chain
  if (buf.subarray(off, off + OID_PKCS7_SIGNED.length).equals(OID_PKCS7_SIGNED)) return 'pkcs7';
  try {
    new crypto.X509Certificate(buf);
    return 'der-cert';
  } catch { /* not a certificate */ }
  for (const type of ['pkcs8', 'pkcs1', 'sec1']) {
    try {
      crypto.createPrivateKey({ key: buf, format: 'der', type });
      return 'der-key';
    } catch (err) {
      // An encrypted PKCS#8 DER key asks for a passphrase instead of failing to parse.
      if (/passphrase/i.test(err.message)) return 'der-key';
    }
  }
  try {
    crypto.createPrivateKey({ key: buf, format: 'der', type: 'pkcs8', passphrase: '' });
  } catch (err) {
    if (err.code === 'ERR_OSSL_BAD_DECRYPT' || /decrypt/i.test(err.message)) return 'der-key';
  }
  return 'unknown';
}

function pemName(file, suffix) {
  const base = path.basename(file).replace(/\.(der|cer|crt|key|p12|pfx|p7b|p7c)$/i, '');
  return path.join(path.dirname(file), `${base}${suffix}`);
}

function quote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// The openssl command that turns `file` (of the given kind) into what uvtls reads.
function conversionCommand(kind, file) {
  const f = quote(file);
  switch (kind) {
    case 'der-cert':
      return `openssl x509 -inform DER -in ${f} -out ${quote(pemName(file, '.pem'))}`;
    case 'der-key':
      return `openssl pkey -inform DER -in ${f} -out ${quote(pemName(file, '.key.pem'))}`;
    case 'pkcs7':
      return `openssl pkcs7 -inform DER -print_certs -in ${f} -out ${quote(pemName(file, '.pem'))}`;
    case 'pkcs12':
      return `openssl pkcs12 -in ${f} -clcerts -nokeys -out ${quote(pemName(file, '_certificate.pem'))}` +
        ` && openssl pkcs12 -in ${f} -nocerts -nodes -out ${quote(pemName(file, '_key.pem'))}`;
    default:
      return undefined;
  }
}

const KIND_TEXT = {
  'der-cert': 'a DER (binary) certificate',
  'der-key': 'a DER (binary) private key',
  pkcs7: 'a PKCS#7 (.p7b) certificate bundle in DER',
  pkcs12: 'a PKCS#12 (.p12/.pfx) archive',
  unknown: 'neither PEM nor a DER certificate, key or PKCS#12 archive',
};

// Certificates in a PEM text: [{ pem, x509 }].
function certificates(blocks) {
  return blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' ||
    b.label === 'X509 CERTIFICATE').map((b) => ({ pem: b.pem, x509: new crypto.X509Certificate(b.pem) }));
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY',
  'EC PRIVATE KEY', 'DSA PRIVATE KEY']);

function keyBlocks(blocks) {
  return blocks.filter((b) => KEY_LABELS.has(b.label));
}

function isEncryptedKey(pem) {
  return /BEGIN ENCRYPTED PRIVATE KEY/.test(pem) || /Proc-Type: 4,ENCRYPTED/.test(pem);
}

module.exports = {
  readFile, pemBlocks, classifyDer, conversionCommand, KIND_TEXT, certificates, keyBlocks,
  isEncryptedKey, modeString, who, me,
};
