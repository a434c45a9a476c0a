'use strict';
// `uvtls doctor HOST:PORT`: connects to a TLS server step by step (name lookup, TCP, TLS
// handshake) and reports what it finds, every failure with its code and a hint. The TLS
// connection is diagnostic: it verifies nothing itself (a literal rejectUnauthorized: false) and
// judges the chain and host name here instead, so that it can report on servers it would reject.
// It sends no application data.
//
// Every [FAIL] line states a fact doctor saw (a verification result it recomputed from the
// certificates, an alert, a certificate request it could not satisfy), and carries a stable
// `cause` id; what is only likely is worded as such and is never a failure.
const dns = require('dns');
const crypto = require('crypto');
const net = require('net');
const tls = require('tls');
const { parse, UsageError } = require('./args');
const { Report, emit } = require('./output');
const files = require('./files');
const { canonicalAlertCode } = require('../errors');

const HELP = `Usage: uvtls doctor HOST:PORT [options]

Connects to a TLS server and explains what is wrong: name lookup, TCP reachability, the TLS
handshake (protocol, cipher, key exchange group, ALPN), the server's certificate chain, whether
the server asks for a client certificate and which CAs it accepts, chain verification and the
host name check. No application data is sent.

Options:
  --servername NAME    SNI name to send and to check the certificate against (default: HOST)
  --ca FILE            CA certificate(s) to verify the server with (default: Node's roots)
  --cert FILE          client certificate to present (PEM)
  --key FILE           private key of --cert (PEM)
  --passphrase P       passphrase of an encrypted --key
  --alpn PROTO         ALPN protocol to offer (repeat for several)
  --timeout MS         time allowed for each step (default 10000)
  --json               print one JSON object instead of text
  -h, --help           show this help

HOST may be a name, an IPv4 address or an [IPv6] address. Exit status: 0 when the connection
is fine, 1 when a check fails, 2 for usage errors.
`;

const SPEC = {
  servername: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  passphrase: { type: 'string' },
  alpn: { type: 'string', multiple: true },
  timeout: { type: 'number', min: 1, max: 600000, default: 10000 },
};

const TLS_PORTS = 'the usual TLS ports are 5671 (AMQPS), 8883 (MQTTS), 443 (HTTPS) and 8443';
const PLAIN_PORTS = { 5672: 5671, 1883: 8883, 80: 443, 8080: 8443 };

function parseTarget(text) {
  let m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (!m) m = /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m && net.isIPv6(text)) return { host: text, port: 443 };
  if (!m) throw new UsageError(`'${text}' is not HOST:PORT`, 'doctor');
  const port = m[2] === undefined ? 443 : Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`port ${m[2]} is out of range`, 'doctor');
  return { host: m[1], port };
}

function oneLine(dn) {
  return typeof dn === 'string' ? dn.split('\n').join(', ') : dn;
}

function lookup(host, timeout) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ error: Object.assign(new Error('lookup timed out'),
      { code: 'ETIMEOUT' }) }), timeout);
    dns.lookup(host, (err, address) => {
      clearTimeout(timer);
      resolve(err ? { error: err } : { address });
    });
  });
}

function tcpProbe(address, port, timeout) {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ host: address, port });
    const finish = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ error: Object.assign(new Error('connect timed out'),
      { code: 'ETIMEDOUT' }) }), timeout);
    socket.once('connect', () => finish({ ms: Date.now() - started }));
    socket.once('error', (error) => finish({ error }));
  });
}

function hostPort(address, port) {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

function tcpHint(code, address, port) {
  const plain = PLAIN_PORTS[port] ? ` (${port} is usually the plain-text port; its TLS port is ${PLAIN_PORTS[port]})` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return `Nothing is listening on ${hostPort(address, port)}; check the port${plain} and that the ` +
        `server is running and has TLS enabled (${TLS_PORTS}).`;
    case 'ETIMEDOUT':
      return `No answer from ${hostPort(address, port)}: a firewall may drop the packets, or the address is ` +
        `wrong; check both (${TLS_PORTS}).`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `There is no route to ${address}; check the address and this machine's network.`;
    default:
      return undefined;
  }
}

const DAY = 24 * 3600 * 1000;
const EKU_NAMES = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth', '2.5.29.37.0': 'anyExtendedKeyUsage' };

function fail(report, name, cause, message, extra = {}) {
  return report.fail(name, message, { ...extra, cause });
}

// RFC 4514 subject/issuer and key usage from the addon; Node's X509Certificate as the fallback.
function describeX509(x, binding) {
  let d = null;
  if (typeof binding.describeCertificate === 'function') {
    try { d = binding.describeCertificate(x.raw); } catch { d = null; }
  }
  return {
    subject: d ? d.subject : oneLine(x.subject),
    issuer: d ? d.issuer : oneLine(x.issuer),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    subjectAltNames: d ? (d.subjectAltNames || []).map((n) => `${n.type}:${n.value}`)
      : (x.subjectAltName ? x.subjectAltName.split(', ') : []),
    isCA: d ? d.isCA : x.ca,
    selfSigned: selfSigned(x),
    keyUsage: d ? d.keyUsage || null : null,
    extKeyUsage: x.keyUsage ? x.keyUsage.map((o) => EKU_NAMES[o] || o) : null,
    fingerprint256: x.fingerprint256,
  };
}

// Self-signed by name and signature (checkIssued would also demand keyCertSign, which a
// self-signed server certificate usually lacks).
function selfSigned(x) {
  try { return x.subject === x.issuer && x.verify(x.publicKey); } catch { return false; }
}

function x509s(buffers) {
  const out = [];
  for (const b of buffers || []) {
    try { out.push(new crypto.X509Certificate(b)); } catch { /* a certificate Node cannot parse */ }
  }
  return out;
}

function pemCerts(data) {
  return files.certificates(files.pemBlocks(data.toString('latin1'))).map((c) => c.x509);
}

// The trust anchors the diagnostic connection used: --ca, or Node's roots (+ NODE_EXTRA_CA_CERTS).
function anchorsOf(options) {
  if (options.ca) return pemCerts(options.ca);
  const list = tls.rootCertificates.map((p) => new crypto.X509Certificate(p));
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try { list.push(...pemCerts(require('fs').readFileSync(extra))); } catch { /* Node warns itself */ }
  }
  return list;
}

// Reads --ca, --cert and --key before anything goes on the network: a file in the wrong form, a
// key that does not belong to the certificate or a wrong passphrase is the cause by itself.
function loadOptions(report, values) {
  const options = {};
  for (const name of ['ca', 'cert', 'key']) {
    const file = values[name];
    if (file === undefined) continue;
    const { data, error } = files.readFile(file);
    if (error) {
      fail(report, name, 'file-unreadable', error.message, { code: error.code, hint: error.hint });
      return null;
    }
    if (files.pemBlocks(data.toString('latin1')).length === 0) {
      const kind = files.classifyDer(data);
      fail(report, name, 'not-pem', `${file} is ${files.KIND_TEXT[kind]}, not PEM`, {
        code: 'ERR_UVTLS_NOT_PEM',
        hint: kind === 'pkcs12' ? 'doctor reads PEM files: convert the PKCS#12 archive into a PEM ' +
          'certificate and key (the command below), then pass them as --cert and --key.'
          : 'doctor reads PEM files (text starting with "-----BEGIN"); convert this one (the command below).',
        command: files.conversionCommand(kind, file) });
      return null;
    }
    options[name] = data;
  }
  if (values.passphrase !== undefined) options.passphrase = values.passphrase;
  if (options.ca && pemCerts(options.ca).length === 0) {
    fail(report, 'ca', 'not-pem', `${values.ca} holds no PEM certificate`, { code: 'ERR_UVTLS_NO_CERTIFICATE' });
    return null;
  }
  if (!options.cert) return { options, client: null };
  const certs = pemCerts(options.cert);
  if (certs.length === 0) {
    fail(report, 'cert', 'not-pem', `${values.cert} holds no PEM certificate`, { code: 'ERR_UVTLS_NO_CERTIFICATE',
      hint: files.keyBlocks(files.pemBlocks(options.cert.toString('latin1'))).length
        ? 'This is a private key; were --cert and --key swapped?' : undefined });
    return null;
  }
  const keys = files.keyBlocks(files.pemBlocks(options.key.toString('latin1')));
  if (keys.length === 0) {
    fail(report, 'key', 'not-pem', `${values.key} holds no PEM private key`, { code: 'ERR_UVTLS_NO_KEY' });
    return null;
  }
  const encrypted = files.isEncryptedKey(keys[0].pem);
  if (encrypted && values.passphrase === undefined) {
    fail(report, 'key', 'passphrase-required', `${values.key} is encrypted and no --passphrase was given`, {
      code: 'ERR_UVTLS_PASSPHRASE_REQUIRED', hint: 'Pass the key\'s passphrase with --passphrase.' });
    return null;
  }
  let key;
  try {
    key = crypto.createPrivateKey({ key: keys[0].pem, passphrase: encrypted ? values.passphrase : undefined });
  } catch (err) {
    const wrong = encrypted && (err.code === 'ERR_OSSL_BAD_DECRYPT' || /decrypt/i.test(err.message));
    fail(report, 'key', wrong ? 'wrong-passphrase' : 'key-unreadable',
      wrong ? `${values.key}: wrong passphrase (the key cannot be decrypted with it)` : `${values.key} cannot be read: ${err.message}`,
      { code: err.code, hint: wrong ? 'Pass the passphrase the key was encrypted with.' : undefined });
    return null;
  }
  const leaf = certs[0];
  if (!leaf.checkPrivateKey(key)) {
    fail(report, 'key', 'key-mismatch', `${values.key} is not the private key of ${values.cert}`, {
      code: 'ERR_OSSL_X509_KEY_VALUES_MISMATCH',
      hint: 'Pass the key that was generated together with this certificate.' });
    return null;
  }
  const d = describeX509(leaf, require('../binding'));
  report.ok('files', `${values.cert}: ${d.subject}, issued by "${d.issuer}"; the key belongs to it`);
  return { options, client: { ...d, x509: leaf } };
}

// What is wrong with our client certificate by itself (dates, clientAuth), as detail lines.
function clientFacts(client, now) {
  const out = {};
  if (now > Date.parse(client.validTo)) out.expired = `--cert expired on ${client.validTo}`;
  if (now < Date.parse(client.validFrom)) out.notYetValid = `--cert is not valid before ${client.validFrom}`;
  const eku = client.extKeyUsage;
  if (eku && !eku.includes('clientAuth') && !eku.includes('anyExtendedKeyUsage')) {
    out.purpose = `--cert has extendedKeyUsage ${eku.join(', ')}: no clientAuth`;
  }
  return out;
}

const CLIENT_ALERTS = {
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'unknown-ca',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'expired',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'purpose',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'bad',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'required',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'handshake',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'denied',
};

// The verdict on the client certificate once the server asked for one and then ended the
// connection: `evidence` is the alert's code, or null for a close without one. Returns the
// failure to report (a fact: an alert, or a certificate we could not make acceptable) or null.
function clientVerdict({ req, client, evidence, now }) {
  const names = req && req.caNames ? req.caNames : [];
  const accepts = names.length ? names.map((n) => `accepts: ${n}`)
    : ['accepts: (the server sent no CA names)'];
  const alert = evidence ? CLIENT_ALERTS[canonicalAlertCode(evidence)] : undefined;
  const code = evidence || 'ERR_UVTLS_CLOSED_AFTER_CERTIFICATE_REQUEST';
  if (!client) {
    return { cause: 'client-cert-required', message: 'the server requires a client certificate and none was given',
      code, details: accepts,
      hint: 'Pass a client certificate with --cert and --key (the `cert` and `key` options), issued by one of the CAs the server accepts.' };
  }
  const facts = clientFacts(client, now);
  const issuerListed = names.length ? names.includes(client.issuer) : null;
  const issuerLine = names.length
    ? `--cert is issued by "${client.issuer}", which is ${issuerListed ? '' : 'not '}among them`
    : `--cert is issued by "${client.issuer}"`;
  const unknownCa = () => ({ cause: 'client-cert-unknown-ca',
    message: alert === 'unknown-ca' ? 'the server rejected the client certificate: it does not trust the CA that issued --cert (alert unknown_ca)'
      : 'the server rejected the client certificate: it closed the connection on receiving --cert, whose issuer is not among the CAs it accepts',
    code, details: [...accepts, issuerLine],
    hint: names.length ? 'Use a client certificate issued by one of the CAs listed above, or add its CA to the server\'s trusted CAs.'
      : 'Use a client certificate issued by a CA the server trusts, or add "' + client.issuer + '" to the server\'s trusted CAs.' });
  const expired = () => ({ cause: 'client-cert-expired',
    message: facts.expired ? `the server rejected --cert: it expired on ${client.validTo}`
      : `the server rejected --cert: it is not valid before ${client.validFrom}`,
    code, details: [...accepts, facts.expired || facts.notYetValid],
    hint: 'Issue a new client certificate (or fix the clock of the machine whose date is wrong).' });
  const purpose = () => ({ cause: 'client-cert-purpose',
    message: 'the server rejected --cert: it is not for TLS clients (its extendedKeyUsage lacks clientAuth)',
    code, details: [...accepts, facts.purpose || `--cert has extendedKeyUsage ${(client.extKeyUsage || []).join(', ')}`],
    hint: 'Issue the client certificate with extendedKeyUsage clientAuth.' });
  if (alert === 'unknown-ca') return unknownCa();
  if (alert === 'expired') return expired();
  if (alert === 'purpose') return purpose();
  // No alert that names the reason (a bare close, bad_certificate, handshake_failure): a defect
  // of --cert we can see ourselves is the cause; otherwise it is an alert we report as is.
  if (issuerListed === false) return unknownCa();
  if (facts.expired || facts.notYetValid) return expired();
  if (facts.purpose) return purpose();
  if (evidence) {
    return { cause: 'client-cert-rejected', message: `the server rejected --cert with an alert (${evidence})`,
      code, details: [...accepts, issuerLine], hint: undefined };
  }
  return null;
}

const PLAIN_TEXT_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_RECORD_LAYER_FAILURE']);
const VERSION_CODES = new Set(['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'ERR_SSL_VERSION_TOO_LOW']);

// A second look with Node's tls, offering every protocol version and cipher OpenSSL has: what the
// server agrees to there is what it wanted and the diagnostic connection did not offer.
function probe(target, servername, timeout, options) {
  return new Promise((resolve) => {
    let socket;
    const finish = (r) => { clearTimeout(timer); if (socket) socket.destroy(); resolve(r); };
    const timer = setTimeout(() => finish({ error: { code: 'ETIMEDOUT' } }), timeout);
    try {
      socket = tls.connect({ host: target.host, port: target.port, servername: net.isIP(servername) ? undefined : servername,
        rejectUnauthorized: false, ...options });
    } catch (error) {
      finish({ error });
      return;
    }
    socket.on('secureConnect', () => {
      const c = socket.getCipher();
      finish({ protocol: socket.getProtocol(), cipher: c && (c.standardName || c.name) });
    });
    socket.on('error', (error) => finish({ error }));
  });
}

async function handshakeFailure(report, r, ctx) {
  const { values, target, servername, client, binding } = ctx;
  const err = r.error || {};
  // Decided on one spelling of the alert codes; reported as the running Node spells them.
  const code = canonicalAlertCode(err.code);
  const req = r.certificateRequest;
  if (req !== undefined) {
    report.data.tls = { certificateRequested: !!req, acceptedCaNames: req ? req.caNames || [] : null };
  }
  const base = { code: err.code, hint: err.hint || (err.code && binding.hintFor(err.code)) || undefined };
  if (code === 'ERR_UVTLS_HANDSHAKE_TIMEOUT') {
    return fail(report, 'handshake', 'no-tls-answer', err.message, base);
  }
  if (PLAIN_TEXT_CODES.has(code)) {
    return fail(report, 'handshake', 'plain-tcp', 'the server answered the TLS ClientHello with something ' +
      'that is not TLS: this port speaks plain text (HTTP, AMQP, MQTT, ...)', {
      ...base, hint: `Use the server's TLS port, or enable TLS on this one (${TLS_PORTS}).` });
  }
  if (code === 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME' || code === 'ERR_SSL_TLSV1_ALERT_UNRECOGNIZED_NAME') {
    return fail(report, 'handshake', 'sni-unknown-name', `the server does not serve the name "${servername}" ` +
      '(it answered the SNI name with the alert unrecognized_name)', {
      ...base, hint: 'Connect with a name the server is configured for (--servername, the `servername` option), ' +
        'or add a certificate for this name to the server.' });
  }
  if (req) {
    // The server asked for a certificate, then ended the handshake: an alert about it, or a
    // request we could not satisfy (none given, or --cert has a defect we can see) is the cause.
    const v = clientVerdict({ req, client, evidence: CLIENT_ALERTS[code] ? code : null, now: Date.now() });
    if (v) {
      return fail(report, 'handshake', v.cause, v.message, { code: err.code || v.code, hint: v.hint || base.hint,
        details: [`the handshake failed: ${err.message}`,
          `the server asked for a client certificate${client ? '' : ' and none was given'}`, ...v.details] });
    }
  }
  if (VERSION_CODES.has(code)) {
    const p = await probe(target, servername, values.timeout, { minVersion: 'TLSv1', ciphers: 'ALL:@SECLEVEL=0' });
    return fail(report, 'handshake', 'protocol-version', 'the server and uvtls share no TLS protocol version' +
      `${p.protocol ? `: the server speaks ${p.protocol}, uvtls TLSv1.2 and TLSv1.3` : ''}`, {
      ...base, details: [`the handshake failed: ${err.message}`],
      hint: 'Enable TLSv1.2 (better TLSv1.3) on the server; uvtls does not speak older versions.' });
  }
  if (code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' || code === 'ERR_SSL_NO_SHARED_CIPHER' ||
      code === 'ERR_SSL_NO_CIPHERS_AVAILABLE') {
    const p = await probe(target, servername, values.timeout, { ciphers: 'ALL:@SECLEVEL=0', maxVersion: 'TLSv1.2' });
    if (p.cipher) {
      return fail(report, 'handshake', 'no-shared-cipher', 'the server and uvtls share no cipher: the server ' +
        `accepts ${p.cipher} (${p.protocol}), which uvtls does not offer`, {
        ...base, details: [`the handshake failed: ${err.message}`],
        hint: 'Configure the server with a modern cipher (TLS 1.3, or ECDHE with AES-GCM or ChaCha20-Poly1305 in TLS 1.2).' });
    }
  }
  return fail(report, 'handshake', 'handshake-failed', `TLS handshake failed: ${err.message}`, {
    ...base,
    details: req ? ['the server asked for a client certificate' +
      `${values.cert === undefined ? ' and none was given' : ''}`,
    ...(req.caNames || []).map((n) => `accepts: ${n}`)] : undefined });
}

// One diagnostic TLS connection. Resolves with what was learnt; never rejects.
function handshake(uvtls, target, options, values) {
  return new Promise((resolve) => {
    const result = { secure: false, error: null, afterError: null, closedEarly: false, tickets: 0 };
    let socket;
    let settleTimer = null;
    let graceTimer = null;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(settleTimer);
      clearTimeout(graceTimer);
      if (socket) socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      if (!result.secure) {
        result.error = Object.assign(new Error(`no TLS handshake within ${values.timeout} ms`), {
          code: 'ERR_UVTLS_HANDSHAKE_TIMEOUT',
          hint: 'The server accepted the TCP connection but did not answer the TLS ClientHello; ' +
            `the port may speak plain text and wait for the client first (${TLS_PORTS}).`,
        });
      }
      done();
    }, values.timeout);
    try {
      socket = uvtls.connect({
        host: target.host,
        port: target.port,
        servername: values.servername,
        ALPNProtocols: values.alpn.length ? values.alpn : undefined,
        ...options,
        // Diagnostic connection: verification is judged below, from the results it reports.
        rejectUnauthorized: false,
      });
    } catch (err) {
      result.error = err;
      done();
      return;
    }
    socket.on('secureConnect', () => {
      result.secure = true;
      const handle = socket._handle;
      result.protocol = socket.getProtocol();
      const cipher = socket.getCipher();
      result.cipher = cipher ? cipher.standardName || cipher.name : null;
      result.alpn = socket.alpnProtocol || null;
      result.group = null;
      if (handle && typeof handle.getNegotiatedGroup === 'function') result.group = handle.getNegotiatedGroup();
      if (!result.group) {
        const eph = socket.getEphemeralKeyInfo();
        if (eph && eph.name) result.group = eph.name;
      }
      result.certificateRequest = socket.getCertificateRequest();
      result.verifyError = handle && typeof handle.verifyError === 'function' ? handle.verifyError() : undefined;
      result.peer = socket.getPeerCertificate(true);
      if (handle && typeof handle.getPeerChain === 'function') {
        result.sent = x509s(handle.getPeerChain('sent'));
        result.verified = x509s(handle.getPeerChain('verified'));
      }
      // A TLS 1.3 server judges our certificate after its last handshake message, and answers
      // with an alert (rejected), a close, or session tickets (a server built on OpenSSL sends
      // them once it accepted; Node's then still closes when its own check fails). A TLS 1.2
      // server that asked for a certificate may likewise close once the handshake is done (Node
      // judges after it). Without a certificate request there is nothing of ours to reject.
      if (result.protocol !== 'TLSv1.3' && !result.certificateRequest) {
        done();
        return;
      }
      socket.resume();
      settleTimer = setTimeout(done, Math.min(1500, values.timeout));
    });
    socket.on('session', () => {
      result.tickets++;
      // The close of a server that rejects after sending tickets follows them at once.
      if (result.tickets === 1) graceTimer = setTimeout(done, Math.min(250, values.timeout));
    });
    socket.on('error', (err) => {
      // A TLS 1.2 server that requires a client certificate ends the handshake itself; the
      // socket still tells whether it asked for one.
      if (!result.secure && !result.certificateRequest) result.certificateRequest = socket.getCertificateRequest();
      if (result.secure) result.afterError = result.afterError || err;
      else result.error = result.error || err;
      done();
    });
    socket.on('end', () => {
      if (result.secure) result.closedEarly = true;
    });
    socket.on('close', () => {
      if (result.secure && !result.afterError) result.closedEarly = true;
      done();
    });
  });
}

function chainLines(list, sentFps) {
  const details = [];
  list.forEach((c, i) => {
    const from = sentFps && !sentFps.has(c.fingerprint256) ? '  [not sent: from the local trust store]' : '';
    details.push(`${i}: ${c.subject}${from}`);
    details.push(`   issuer: ${c.issuer}`);
    details.push(`   valid:  ${c.validFrom} .. ${c.validTo}`);
    if (c.subjectAltNames.length) details.push(`   names:  ${c.subjectAltNames.join(', ')}`);
  });
  return details;
}

// Chain, dates, purpose and key usage of the server's certificate, each judged from the
// certificates themselves so that one problem is not reported as another.
function judgeServerChain(report, r, ctx) {
  const { values, binding, options } = ctx;
  const trustName = values.ca ? values.ca : 'the trust store (Node\'s root certificates)';
  const sent = r.sent || [];
  const verified = r.verified && r.verified.length ? r.verified : sent;
  const sentFps = new Set(sent.map((x) => x.fingerprint256));
  const sentD = sent.map((x) => describeX509(x, binding));
  const verifiedD = verified.map((x) => ({ ...describeX509(x, binding), sent: sentFps.has(x.fingerprint256) }));
  report.data.tls.sentChain = sentD.map(({ keyUsage, extKeyUsage, ...rest }) => rest); // eslint-disable-line no-unused-vars
  report.data.tls.chain = verifiedD.map(({ keyUsage, extKeyUsage, ...rest }) => rest); // eslint-disable-line no-unused-vars
  report.info('chain', `the server sent ${sent.length} certificate${sent.length === 1 ? '' : 's'}`,
    { details: chainLines(sentD) });
  const local = verifiedD.filter((c) => !c.sent);
  if (local.length) {
    report.info('chain', `verification completed the chain with ${local.length} certificate${local.length === 1 ? '' : 's'} ` +
      `from ${trustName} (not sent by the server)`, { details: chainLines(verifiedD, sentFps) });
  }
  if (!verified.length) return;

  const now = Date.now();
  const anchors = new Set(anchorsOf(options).map((x) => x.fingerprint256));
  const anchored = verified.find((x) => anchors.has(x.fingerprint256));
  const top = verified[verified.length - 1];
  const topD = verifiedD[verifiedD.length - 1];
  let problems = 0;
  if (anchored) {
    report.ok('verify', `the chain leads to "${describeX509(anchored, binding).subject}" in ${trustName}`);
  } else {
    problems++;
    const v = r.verifyError || {};
    if (selfSigned(top) && verified.length === 1) {
      fail(report, 'verify', 'self-signed', `the server's certificate "${topD.subject}" is self-signed, and ` +
        `${trustName} does not hold it`, { code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        hint: 'Give the server a certificate issued by your CA, or (for a deliberately self-signed server) pass its certificate with --ca (the `ca` option).' });
    } else if (selfSigned(top)) {
      fail(report, 'verify', 'unknown-ca', `the chain ends at the root CA "${topD.subject}", which ` +
        `${trustName} does not hold`, { code: 'SELF_SIGNED_CERT_IN_CHAIN',
        hint: `If you trust "${topD.subject}", pass its certificate with --ca (the \`ca\` option); otherwise the server has a certificate from the wrong CA.` });
    } else {
      fail(report, 'verify', 'issuer-not-found', `the issuer of "${topD.subject}", "${topD.issuer}", was not sent ` +
        `by the server and is not in ${trustName}`, {
        code: verified.length === 1 ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
        hint: `If "${topD.issuer}" is an intermediate CA, configure the server to send it after its certificate ` +
          `(a full-chain file); if it is the root CA, pass it with --ca (the \`ca\` option).` });
    }
    void v;
  }
  verified.forEach((x, i) => {
    const d = verifiedD[i];
    const who = i === 0 ? 'the server\'s certificate' : `${d.sent ? '' : 'local '}CA certificate "${d.subject}"`;
    if (now > Date.parse(x.validTo)) {
      problems++;
      fail(report, 'dates', 'expired', `${who} expired on ${d.validTo} (${Math.floor((now - Date.parse(x.validTo)) / DAY)} days ago)`, {
        code: 'CERT_HAS_EXPIRED', details: [`valid: ${d.validFrom} .. ${d.validTo}`],
        hint: 'Renew the certificate and install it on the server (or fix this machine\'s clock if the date is wrong).' });
    } else if (now < Date.parse(x.validFrom)) {
      problems++;
      fail(report, 'dates', 'not-yet-valid', `${who} is not valid before ${d.validFrom}`, {
        code: 'CERT_NOT_YET_VALID', details: [`valid: ${d.validFrom} .. ${d.validTo}`],
        hint: 'Check the clocks of this machine and of the machine that issued the certificate, or wait until the start date.' });
    }
  });
  const leaf = verifiedD[0];
  const eku = leaf.extKeyUsage;
  if (eku && !eku.includes('serverAuth') && !eku.includes('anyExtendedKeyUsage')) {
    problems++;
    fail(report, 'usage', 'server-cert-purpose', `the server's certificate is not for TLS servers: its ` +
      `extendedKeyUsage is ${eku.join(', ')} (no serverAuth)`, { code: 'INVALID_PURPOSE',
      hint: 'Issue the server a certificate with extendedKeyUsage serverAuth.' });
  }
  const ku = leaf.keyUsage;
  if (ku && !ku.includes('digitalSignature')) {
    const rsaKx = verified[0].publicKey.asymmetricKeyType === 'rsa' && ku.includes('keyEncipherment') &&
      r.protocol === 'TLSv1.2' && !/DHE/.test(r.cipher || '');
    if (!rsaKx) {
      problems++;
      fail(report, 'usage', 'key-usage', `the server's certificate has keyUsage ${ku.join(', ')}: no ` +
        `digitalSignature, yet the server signed this ${r.protocol} handshake with its key`, {
        code: 'ERR_UVTLS_KEY_USAGE',
        hint: 'Strict clients reject this certificate; issue it with keyUsage digitalSignature.' });
    }
  }
  if (!problems && r.verifyError) {
    fail(report, 'verify', 'verify-failed', `the server's certificate is not trusted: ${r.verifyError.message || r.verifyError.code}`,
      { code: r.verifyError.code, hint: r.verifyError.hint || binding.hintFor(r.verifyError.code) || undefined });
  }
}

async function run(argv, io = {}) {
  const { values, positionals } = parse('doctor', argv, SPEC, { positionals: 1 });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('give the server as HOST:PORT', 'doctor');
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError('--cert and --key go together', 'doctor');
  }
  const target = parseTarget(positionals[0]);
  const servername = values.servername !== undefined ? values.servername : target.host;
  const report = new Report('doctor');
  report.data.target = { host: target.host, port: target.port, servername };
  const finish = () => emit(report, { json: values.json, ...io });

  // 0. The files: their problems need no server to be found.
  const loaded = loadOptions(report, values);
  if (!loaded) return finish();
  const { options, client } = loaded;

  // 1. Name lookup.
  let address = target.host;
  if (!net.isIP(target.host)) {
    const r = await lookup(target.host, values.timeout);
    if (r.error) {
      fail(report, 'dns', 'dns', `${target.host} cannot be resolved: ${r.error.code || r.error.message}`, {
        code: r.error.code,
        hint: `The host name "${target.host}" could not be resolved; check its spelling and DNS.` });
      return finish();
    }
    address = r.address;
    report.ok('dns', `${target.host} resolves to ${address}`);
  }
  report.data.target.address = address;

  // 2. TCP.
  const tcp = await tcpProbe(address, target.port, values.timeout);
  if (tcp.error) {
    const code = tcp.error.code;
    fail(report, 'tcp', code === 'ECONNREFUSED' ? 'connection-refused' : 'tcp', code === 'ECONNREFUSED'
      ? `connection to ${hostPort(address, target.port)} refused`
      : `cannot connect to ${hostPort(address, target.port)}: ${code || tcp.error.message}`,
    { code, hint: tcpHint(code, address, target.port) });
    return finish();
  }
  report.ok('tcp', `TCP connection to ${hostPort(address, target.port)} works (${tcp.ms} ms)`);

  // 3. TLS.
  const uvtls = require('..');
  const binding = require('../binding');
  const ctx = { values, target, servername, client, binding, options };
  const r = await handshake(uvtls, target, options, values);
  if (!r.secure) {
    await handshakeFailure(report, r, ctx);
    return finish();
  }
  report.data.tls = {
    protocol: r.protocol, cipher: r.cipher, group: r.group, alpn: r.alpn,
    authorized: !r.verifyError, authorizationError: r.verifyError ? r.verifyError.code : null,
    certificateRequested: r.certificateRequest === undefined ? null : !!r.certificateRequest,
    acceptedCaNames: r.certificateRequest ? r.certificateRequest.caNames || [] : null,
  };
  report.ok('handshake', `TLS handshake done: ${r.protocol}, ${r.cipher}` +
    `${r.group ? `, group ${r.group}` : ''}, ALPN ${r.alpn || 'none'}`);
  if (values.alpn.length && !r.alpn) {
    report.warn('alpn', `the server chose none of the offered ALPN protocols (${values.alpn.join(', ')})`);
  }

  judgeServerChain(report, r, ctx);

  // Host name.
  if (r.peer && r.peer.raw) {
    const err = uvtls.checkServerIdentity(servername, r.peer);
    const names = r.peer.subjectaltname || `no subject alternative names (subject CN=${r.peer.subject && r.peer.subject.CN})`;
    if (!err) {
      report.ok('hostname', `the certificate holds ${servername}`);
    } else {
      fail(report, 'hostname', 'hostname-mismatch', `the certificate does not hold ${servername}; it holds ${names}`, {
        code: err.code || 'ERR_TLS_CERT_ALTNAME_INVALID',
        hint: `Connect with a name the certificate holds (or pass --servername / the \`servername\` ` +
          `option), or issue the server a certificate whose subjectAltName includes ${net.isIP(servername) ? 'IP' : 'DNS'}:${servername}.` });
    }
  }

  // Client certificate, and how the connection ended.
  const req = r.certificateRequest;
  const after = r.afterError;
  const ended = !!after || r.closedEarly;
  const endLine = after ? `the server ended the connection after the handshake: ${after.message}`
    : 'the server closed the connection after the handshake, without an alert';
  if (req) {
    const names = req.caNames && req.caNames.length ? req.caNames : [];
    const caDetails = names.length ? names.map((n) => `accepts: ${n}`) : ['accepts: (the server sent no CA names)'];
    const alertCode = after && /ALERT/.test(after.code || '') ? after.code : null;
    const v = ended ? clientVerdict({ req, client, evidence: alertCode, now: Date.now() }) : null;
    if (v) {
      fail(report, 'client-certificate', v.cause, v.message, { code: v.code, hint: v.hint,
        details: [endLine, ...v.details] });
    } else if (ended) {
      report.warn('client-certificate', `${endLine}; it had asked for a client certificate and got --cert, ` +
        'so it may have rejected it (its log says why)', { code: after && after.code, details: caDetails });
    } else if (client) {
      report.ok('client-certificate', 'the server asked for a client certificate and did not reject --cert',
        { details: caDetails });
    } else {
      report.warn('client-certificate', 'the server asks for a client certificate (optional; none given)',
        { details: caDetails });
    }
  } else {
    if (req === null) {
      report.info('client-certificate', `the server did not ask for a client certificate` +
        `${client ? ' (--cert was not used)' : ''}`);
    }
    if (after && /ALERT/.test(after.code || '')) {
      fail(report, 'after-handshake', 'alert-after-handshake', `the server sent an alert right after the handshake: ${after.message}`,
        { code: after.code, hint: after.hint || binding.hintFor(after.code) || undefined });
    } else if (ended) {
      report.info('after-handshake', `${endLine}; that is no TLS failure by itself (many servers close ` +
        'an idle connection that sends nothing)', { code: after ? after.code : undefined });
    }
  }
  return finish();
}

module.exports = { run, HELP, parseTarget };
