'use strict';
// `uvtls check`: the certificate, key and chain a program is about to use, checked the way a
// TLS peer will judge them, with every problem explained and the command that fixes it.
const crypto = require('crypto');
const { once } = require('events');
const { parse, UsageError } = require('./args');
const { Report, emit } = require('./output');
const files = require('./files');

const HELP = `Usage: uvtls check --cert FILE --key FILE [options]
       uvtls check --pfx FILE --passphrase P [options]

Checks a certificate, its private key and its chain before you deploy them: the files are
readable by this user, are PEM, the key belongs to the certificate, the chain verifies to the
CA, the dates are valid, the key usage fits the role and the host name is in the certificate.

Options:
  --cert FILE          certificate (PEM; intermediates may follow the leaf in the same file)
  --key FILE           private key of the certificate (PEM)
  --passphrase P       passphrase of an encrypted key or of the --pfx file
  --pfx FILE           PKCS#12 (.p12/.pfx) archive instead of --cert/--key
  --ca FILE            CA certificate(s) the chain must verify to (PEM)
  --host NAME          a host name or IP address the certificate must hold
  --role server|client the role the certificate is for (checks key usage and extended key usage)
  --json               print one JSON object instead of text
  -h, --help           show this help

Exit status: 0 when every check passes, 1 when one fails, 2 for usage errors.
`;

const SPEC = {
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  pfx: { type: 'string' },
  passphrase: { type: 'string' },
  host: { type: 'string' },
  role: { type: 'string', choices: ['server', 'client'] },
};

const EKU = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

const DAY = 24 * 3600 * 1000;

let uvtlsModule;
function uvtls() {
  if (!uvtlsModule) uvtlsModule = require('..');
  return uvtlsModule;
}

function binding() {
  return require('../binding');
}

// What uvtls itself says about these options: the error it would raise, or null.
function contextError(options) {
  try {
    uvtls().createSecureContext(options);
    return null;
  } catch (err) {
    return err;
  }
}

function notPem(report, name, file, data, want) {
  const kind = files.classifyDer(data);
  const option = want === 'key' ? { key: data } : want === 'ca' ? { ca: data } : { cert: data };
  const err = contextError(option) || {};
  const wanted = want === 'key' ? 'private key' : 'certificate';
  const message = data.length === 0 ? `${file} is empty`
    : kind === 'unknown' ? `${file} is not a PEM ${wanted} (nor a DER certificate, key or PKCS#12 archive)`
      : `${file} is ${files.KIND_TEXT[kind]}, not a PEM ${wanted}`;
  let hint = err.hint;
  if (kind === 'pkcs12') {
    hint = 'Pass a PKCS#12 file as --pfx with its --passphrase (the `pfx` option), or convert it to ' +
      'PEM certificate and key files.';
  } else if (kind === 'unknown') {
    hint = 'Expected a PEM file that starts with a "-----BEGIN ...-----" line.';
  }
  report.fail(name, message, { cause: 'not-pem', code: (kind !== 'unknown' && err.code) || 'ERR_UVTLS_NOT_PEM', hint,
    command: files.conversionCommand(kind, file) });
}

function loadCerts(report, name, file, want) {
  const { data, error } = files.readFile(file);
  if (error) {
    report.fail(name, error.message, { cause: 'file-unreadable', code: error.code, hint: error.hint });
    return null;
  }
  const blocks = files.pemBlocks(data.toString('latin1'));
  if (blocks.length === 0) {
    notPem(report, name, file, data, want);
    return null;
  }
  let certs;
  try {
    certs = files.certificates(blocks);
  } catch (err) {
    report.fail(name, `${file} holds a PEM certificate that cannot be parsed: ${err.message}`,
      { cause: 'cert-unreadable', code: err.code });
    return null;
  }
  if (certs.length === 0) {
    const labels = [...new Set(blocks.map((b) => b.label))].join(', ');
    report.fail(name, `${file} holds no certificate (it holds: ${labels})`, {
      cause: 'not-pem', code: 'ERR_UVTLS_NO_CERTIFICATE',
      hint: files.keyBlocks(blocks).length
        ? 'This is a private key; were --cert and --key swapped?' : undefined,
    });
    return null;
  }
  const what = want === 'ca'
    ? `${certs.length} CA certificate${certs.length === 1 ? '' : 's'}`
    : certs.length === 1 ? '1 certificate'
      : `the leaf and ${certs.length - 1} intermediate certificate${certs.length === 2 ? '' : 's'}`;
  report.ok(name, `${file}: readable PEM, ${what}`, {
    details: certs.map((c, i) => `${want === 'ca' ? 'CA' : i === 0 ? 'leaf' : 'intermediate'}: ` +
      `${subjectOf(c.x509)}`),
  });
  return { certs, pem: data };
}

function loadKey(report, file, passphrase) {
  const { data, error } = files.readFile(file);
  if (error) {
    report.fail('key', error.message, { cause: 'file-unreadable', code: error.code, hint: error.hint });
    return null;
  }
  const blocks = files.pemBlocks(data.toString('latin1'));
  if (blocks.length === 0) {
    notPem(report, 'key', file, data, 'key');
    return null;
  }
  const keys = files.keyBlocks(blocks);
  if (keys.length === 0) {
    const labels = [...new Set(blocks.map((b) => b.label))].join(', ');
    report.fail('key', `${file} holds no private key (it holds: ${labels})`, {
      cause: 'not-pem', code: 'ERR_UVTLS_NO_KEY',
      hint: blocks.some((b) => b.label === 'CERTIFICATE')
        ? 'This is a certificate; were --cert and --key swapped?' : undefined,
    });
    return null;
  }
  const encrypted = files.isEncryptedKey(keys[0].pem);
  if (encrypted && passphrase === undefined) {
    report.fail('key', `${file} is encrypted and no --passphrase was given`, {
      cause: 'passphrase-required', code: 'ERR_UVTLS_PASSPHRASE_REQUIRED',
      hint: 'Pass the key\'s passphrase with --passphrase (the `passphrase` option).',
    });
    return null;
  }
  let key;
  try {
    key = crypto.createPrivateKey({ key: keys[0].pem, passphrase: encrypted ? passphrase : undefined });
  } catch (err) {
    const native = contextError({ key: keys[0].pem, passphrase }) || err;
    const wrong = encrypted && (native.code === 'ERR_OSSL_BAD_DECRYPT' || /decrypt/i.test(native.message));
    report.fail('key', wrong ? `${file}: wrong passphrase` : `${file}: the key cannot be read: ${err.message}`, {
      cause: wrong ? 'wrong-passphrase' : 'key-unreadable', code: native.code || err.code, hint: native.hint,
    });
    return null;
  }
  report.ok('key', `${file}: readable PEM, ${describeKey(key)}${encrypted ? ' (encrypted; passphrase correct)' : ''}`);
  return { key, pem: keys[0].pem };
}

function describeKey(key) {
  const d = key.asymmetricKeyDetails || {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `RSA ${d.modulusLength} bit key`;
  if (key.asymmetricKeyType === 'ec') return `EC key on ${d.namedCurve}`;
  return `${key.asymmetricKeyType} key`;
}

// A PKCS#12 archive: uvtls opens it (wrong passphrase -> its code and hint), then an in-memory
// handshake between two secure pairs hands back the certificate chain it holds.
async function loadPfx(report, file, passphrase) {
  const { data, error } = files.readFile(file);
  if (error) {
    report.fail('pfx', error.message, { cause: 'file-unreadable', code: error.code, hint: error.hint });
    return null;
  }
  const kind = files.classifyDer(data);
  if (kind !== 'pkcs12') {
    const pem = files.pemBlocks(data.toString('latin1')).length > 0;
    report.fail('pfx', `${file} is ${pem ? 'a PEM file' : files.KIND_TEXT[kind]}, not a PKCS#12 archive`, {
      cause: 'not-pkcs12', code: 'ERR_UVTLS_NOT_PKCS12',
      hint: pem ? 'Pass PEM files as --cert and --key.' : undefined,
    });
    return null;
  }
  let context;
  try {
    context = uvtls().createSecureContext({ pfx: data, passphrase });
  } catch (err) {
    const mac = /mac verify|PKCS12|decrypt/i.test(`${err.code} ${err.message}`);
    report.fail('pfx', mac ? `${file}: wrong passphrase${passphrase === undefined ? ' (none given)' : ''}`
      : `${file} cannot be opened: ${err.message}`, { cause: mac ? 'wrong-passphrase' : 'pfx-unreadable', code: err.code, hint: err.hint });
    return null;
  }
  let chain;
  try {
    chain = await chainOfContext(context);
  } catch (err) {
    report.fail('pfx', `${file} opened but its certificate cannot be used: ${err.message}`,
      { cause: 'pfx-unusable', code: err.code, hint: err.hint });
    return null;
  }
  report.ok('pfx', `${file}: PKCS#12 opened (passphrase correct), ${chain.length} certificate(s) ` +
    'and a matching private key', { details: chain.map((c) => subjectOf(c.x509)) });
  return { certs: chain };
}

async function chainOfContext(context) {
  const u = uvtls();
  const server = u.createSecurePair(context, true);
  const client = u.createSecurePair(u.createSecureContext({}), false, false, false);
  server.encrypted.pipe(client.encrypted);
  client.encrypted.pipe(server.encrypted);
  const failed = new Promise((resolve, reject) => {
    server.on('error', reject);
    client.on('error', reject);
  });
  try {
    await Promise.race([once(client, 'secure'), failed]);
    const out = [];
    const seen = new Set();
    for (let c = client.cleartext.getPeerCertificate(true); c && c.raw && !seen.has(c.fingerprint256);
      c = c.issuerCertificate) {
      seen.add(c.fingerprint256);
      out.push({ x509: new crypto.X509Certificate(c.raw) });
    }
    return out;
  } finally {
    server.destroy();
    client.destroy();
  }
}

// Distinguished names as RFC 4514 strings (as doctor and the rest of uvtls print them).
const dnCache = new WeakMap();
function describe(x509) {
  if (!dnCache.has(x509)) {
    let d = null;
    const b = binding();
    if (typeof b.describeCertificate === 'function') {
      try { d = b.describeCertificate(x509.raw); } catch { d = null; }
    }
    dnCache.set(x509, d);
  }
  return dnCache.get(x509);
}

function subjectOf(x509) {
  const d = describe(x509);
  return d ? d.subject : x509.subject.split('\n').join(', ');
}

function issuerOf(x509) {
  const d = describe(x509);
  return d ? d.issuer : x509.issuer.split('\n').join(', ');
}

function sansOf(x509) {
  return x509.subjectAltName ? x509.subjectAltName.split(', ') : [];
}

function checkMatch(report, leaf, keyInfo, certPem, passphrase) {
  if (leaf.checkPrivateKey(keyInfo.key)) {
    report.ok('match', 'the private key belongs to the certificate');
    return;
  }
  const err = contextError({ cert: certPem, key: keyInfo.pem, passphrase }) || {};
  report.fail('match', 'the private key does not belong to the certificate', {
    cause: 'key-mismatch', code: err.code || 'ERR_OSSL_X509_KEY_VALUES_MISMATCH',
    hint: err.hint || 'Pass the key generated together with this certificate.',
    details: [`certificate public key: ${describeKey(leaf.publicKey)}, key file: ${describeKey(keyInfo.key)}`],
  });
}

// Walks leaf -> intermediates -> a certificate from --ca, checking each signature.
function checkChain(report, chain, cas) {
  const pool = chain.slice(1);
  const path = [chain[0]];
  let current = chain[0];
  for (let depth = 0; depth < 10; depth++) {
    const anchor = cas.find((ca) => ca.x509.fingerprint256 === current.x509.fingerprint256 ||
      (current.x509.checkIssued(ca.x509) && current.x509.verify(ca.x509.publicKey)));
    if (anchor) {
      if (anchor.x509.fingerprint256 !== current.x509.fingerprint256) path.push(anchor);
      report.ok('chain', `the chain verifies to the CA (${path.length} certificate${path.length === 1 ? '' : 's'})`, {
        details: path.map((c, i) => `${'  '.repeat(i)}${subjectOf(c.x509)}`),
      });
      return true;
    }
    // A self-signed certificate ends the walk: it is its own issuer, and looking for it again in
    // the file would go round in circles (a root appended to the chain file).
    const selfSigned = current.x509.subject === current.x509.issuer &&
      current.x509.verify(current.x509.publicKey);
    const issuer = selfSigned ? undefined : pool.find((c) => !path.includes(c) &&
      current.x509.checkIssued(c.x509) && current.x509.verify(c.x509.publicKey));
    if (!issuer) {
      const code = selfSigned
        ? (depth === 0 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN')
        : (depth === 0 ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      const issuerName = issuerOf(current.x509);
      report.fail('chain', selfSigned
        ? `the chain ends in the self-signed "${subjectOf(current.x509)}", which is not in --ca`
        : `no certificate in the cert file or --ca issued "${subjectOf(current.x509)}" ` +
          `(its issuer is "${issuerName}")`, {
        cause: selfSigned ? (depth === 0 ? 'self-signed' : 'unknown-ca') : 'issuer-not-found',
        code,
        hint: selfSigned
          ? (depth === 0 ? 'The certificate is self-signed and --ca does not hold it: issue it from your CA, or pass it as --ca (the `ca` option of the peers).'
          : 'The chain ends at a root CA that --ca does not hold: pass that root as --ca (the `ca` option of the peers), or use a certificate from the CA the peers trust.')
          : `Append the intermediate "${issuerName}" to the certificate file after the leaf, or pass the CA that issued it as --ca.`,
        details: path.map((c, i) => `${'  '.repeat(i)}${subjectOf(c.x509)}`),
      });
      return false;
    }
    path.push(issuer);
    current = issuer;
  }
  report.fail('chain', 'the chain is longer than 10 certificates or loops', { cause: 'chain-loop', code: 'ERR_UVTLS_CHAIN_LOOP' });
  return false;
}

function checkDates(report, chain, now) {
  let good = true;
  chain.forEach((c, i) => {
    const who = i === 0 ? 'the certificate' : `intermediate "${subjectOf(c.x509)}"`;
    const from = Date.parse(c.x509.validFrom);
    const to = Date.parse(c.x509.validTo);
    const range = [`valid from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`];
    if (now < from) {
      good = false;
      report.fail('dates', `${who} is not valid yet (${Math.ceil((from - now) / DAY)} days to go)`, {
        cause: 'not-yet-valid', code: 'CERT_NOT_YET_VALID', details: range,
        hint: 'Check this machine\'s clock (and the clock of the machine that issued it), or wait until the start date.',
      });
    } else if (now > to) {
      good = false;
      report.fail('dates', `${who} expired ${Math.floor((now - to) / DAY)} days ago`, {
        cause: 'expired', code: 'CERT_HAS_EXPIRED', details: range,
        hint: 'Issue a new certificate (or check the clock of this machine if the date looks wrong).',
      });
    } else if (i === 0) {
      const left = Math.floor((to - now) / DAY);
      if (left < 30) {
        report.warn('dates', `${who} expires in ${left} day${left === 1 ? '' : 's'}`, {
          details: range, hint: 'Renew it soon.' });
      } else {
        report.ok('dates', `${who} is valid for ${left} more days`, { details: range });
      }
    }
  });
  return good;
}

function normalise(name) {
  return String(name).toLowerCase().replace(/[^a-z]/g, '');
}

function checkUsage(report, leaf, role) {
  const ekus = leaf.keyUsage ? leaf.keyUsage.map((oid) => EKU[oid] || oid) : null; // Node: EKU list
  const described = describe(leaf);
  const keyUsage = described ? described.keyUsage : null;
  const allows = (r) => !ekus || ekus.includes('anyExtendedKeyUsage') ||
    ekus.includes(r === 'server' ? 'serverAuth' : 'clientAuth');
  const details = [`extended key usage: ${ekus ? ekus.join(', ') : '(none: any use)'}`];
  if (keyUsage) details.push(`key usage: ${keyUsage.join(', ')}`);
  const roles = role ? [role] : ['server', 'client'].filter(allows);
  let good = true;
  if (role && !allows(role)) {
    good = false;
    report.fail('usage', `the certificate may not be used by a ${role}: its extended key usage is ` +
      `${ekus.join(', ')}`, {
      cause: `${role}-cert-purpose`, code: 'ERR_UVTLS_CERT_PURPOSE',
      hint: `Issue a certificate with extendedKeyUsage ${role === 'server' ? 'serverAuth' : 'clientAuth'} ` +
        `for the ${role}; peers reject this one with "unsupported certificate purpose".`,
      details,
    });
  } else if (!role && roles.length === 0) {
    good = false;
    report.fail('usage', 'the certificate is for neither TLS servers nor TLS clients', {
      cause: 'cert-purpose', code: 'ERR_UVTLS_CERT_PURPOSE', details,
      hint: 'Issue a certificate with extendedKeyUsage serverAuth and/or clientAuth.' });
  }
  if (keyUsage) {
    const ku = new Set(keyUsage.map(normalise));
    const rsa = leaf.publicKey.asymmetricKeyType === 'rsa';
    if (!ku.has('digitalsignature') && !(rsa && ku.has('keyencipherment'))) {
      good = false;
      report.fail('usage', 'the key usage forbids TLS: it has no digitalSignature' +
        `${rsa ? ' or keyEncipherment' : ''}`, {
        cause: 'key-usage', code: 'ERR_UVTLS_CERT_PURPOSE', details,
        hint: 'Issue the certificate with keyUsage digitalSignature' +
          `${rsa ? ' (and keyEncipherment for TLS 1.2 RSA key exchange)' : ''}.` });
    } else if (!ku.has('digitalsignature')) {
      report.warn('usage', 'the key usage lacks digitalSignature: only TLS 1.2 RSA key exchange ' +
        'can use this certificate; TLS 1.3 and ECDHE need digitalSignature', { details });
    }
  }
  if (leaf.ca) {
    report.warn('usage', 'this is a CA certificate (basicConstraints CA:TRUE); servers and clients ' +
      'should present a leaf certificate issued by the CA', { details });
  }
  if (good) {
    report.ok('usage', `usable as a TLS ${roles.join(' and ')} certificate` +
      `${role ? '' : ' (no --role given)'}`, { details });
  }
  return { ekus, keyUsage };
}

function checkHost(report, leaf, host) {
  const sans = sansOf(leaf);
  const err = uvtls().checkServerIdentity(host, leaf.toLegacyObject());
  const names = sans.length ? sans.join(', ') : `no subject alternative names (subject: ${subjectOf(leaf)})`;
  if (!err) {
    report.ok('host', `${host} is in the certificate`, { details: [`names: ${names}`] });
    return;
  }
  report.fail('host', `${host} is not in the certificate; it holds ${names}`, {
    cause: 'hostname-mismatch', code: err.code || 'ERR_TLS_CERT_ALTNAME_INVALID',
    hint: `Connect with one of those names (or set \`servername\`), or issue a certificate whose ` +
      `subjectAltName includes ${require('net').isIP(host) ? 'IP' : 'DNS'}:${host}.`,
  });
}

async function run(argv, io = {}) {
  const { values } = parse('check', argv, SPEC);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.cert && !values.pfx) throw new UsageError('give --cert and --key, or --pfx', 'check');
  if (values.cert && values.pfx) throw new UsageError('give either --cert/--key or --pfx, not both', 'check');
  if (values.cert && !values.key) throw new UsageError('--cert needs --key', 'check');
  if (values.key && !values.cert) throw new UsageError('--key needs --cert', 'check');

  const report = new Report('check');
  const now = Date.now();
  let chain = null;
  let certPem;
  if (values.cert) {
    const c = loadCerts(report, 'cert', values.cert, 'cert');
    const k = loadKey(report, values.key, values.passphrase);
    if (c) {
      chain = c.certs;
      certPem = c.pem;
    }
    if (c && k) checkMatch(report, chain[0].x509, k, certPem, values.passphrase);
  } else {
    const p = await loadPfx(report, values.pfx, values.passphrase);
    if (p) chain = p.certs;
  }
  const cas = values.ca ? loadCerts(report, 'ca', values.ca, 'ca') : null;
  if (chain) {
    const leaf = chain[0].x509;
    report.data.certificate = {
      subject: subjectOf(leaf),
      issuer: issuerOf(leaf),
      subjectAltNames: sansOf(leaf),
      validFrom: new Date(leaf.validFrom).toISOString(),
      validTo: new Date(leaf.validTo).toISOString(),
      daysLeft: Math.floor((Date.parse(leaf.validTo) - now) / DAY),
      fingerprint256: leaf.fingerprint256,
    };
    if (cas) checkChain(report, chain, cas.certs);
    else if (values.ca === undefined) {
      report.info('chain', 'no --ca given: the chain was not verified', {
        details: [`issuer: ${issuerOf(leaf)}`] });
    }
    checkDates(report, chain, now);
    const usage = checkUsage(report, leaf, values.role);
    report.data.certificate.extKeyUsage = usage.ekus;
    report.data.certificate.keyUsage = usage.keyUsage;
    if (values.host !== undefined) checkHost(report, leaf, values.host);
  }
  return emit(report, { json: values.json, ...io });
}

module.exports = { run, HELP };
