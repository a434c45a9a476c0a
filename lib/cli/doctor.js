'use strict';
// `uvtls doctor HOST:PORT`: connects to a TLS server step by step (name lookup, TCP, TLS
// handshake) and reports what it finds, every failure with its code and a hint. The TLS
// connection is diagnostic: it verifies nothing itself (a literal rejectUnauthorized: false) and
// judges the chain and host name here instead, so that it can report on servers it would reject.
// It sends no application data.
const dns = require('dns');
const net = require('net');
const { parse, UsageError } = require('./args');
const { Report, emit } = require('./output');
const files = require('./files');

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

// Reads the PEM files given for the TLS connection; failures go into the report.
function loadOptions(report, values) {
  const options = {};
  for (const [name, option] of [['ca', 'ca'], ['cert', 'cert'], ['key', 'key']]) {
    const file = values[name];
    if (file === undefined) continue;
    const { data, error } = files.readFile(file);
    if (error) {
      report.fail(name, error.message, { code: error.code, hint: error.hint });
      return null;
    }
    if (files.pemBlocks(data.toString('latin1')).length === 0) {
      const kind = files.classifyDer(data);
      report.fail(name, `${file} is ${files.KIND_TEXT[kind]}, not PEM`, {
        code: 'ERR_UVTLS_NOT_PEM', command: files.conversionCommand(kind, file) });
      return null;
    }
    options[option] = data;
  }
  if (values.passphrase !== undefined) options.passphrase = values.passphrase;
  return options;
}

function describeChain(peer, binding) {
  const chain = [];
  const seen = new Set();
  for (let c = peer; c && c.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    const entry = {
      subject: null, issuer: null, validFrom: null, validTo: null, subjectAltNames: [],
      fingerprint256: c.fingerprint256,
    };
    let d = null;
    if (typeof binding.describeCertificate === 'function') {
      try { d = binding.describeCertificate(c.raw); } catch { d = null; }
    }
    if (d) {
      entry.subject = d.subject;
      entry.issuer = d.issuer;
      entry.validFrom = new Date(d.notBefore).toISOString();
      entry.validTo = new Date(d.notAfter).toISOString();
      entry.subjectAltNames = (d.subjectAltNames || []).map((s) => `${s.type}:${s.value}`);
      entry.isCA = d.isCA;
      entry.selfSigned = d.selfSigned;
    } else {
      const x = new (require('crypto').X509Certificate)(c.raw);
      entry.subject = oneLine(x.subject);
      entry.issuer = oneLine(x.issuer);
      entry.validFrom = new Date(x.validFrom).toISOString();
      entry.validTo = new Date(x.validTo).toISOString();
      entry.subjectAltNames = x.subjectAltName ? x.subjectAltName.split(', ') : [];
      entry.isCA = x.ca;
    }
    chain.push(entry);
  }
  return chain;
}

// One diagnostic TLS connection. Resolves with what was learnt; never rejects.
function handshake(uvtls, binding, target, options, values) {
  return new Promise((resolve) => {
    const result = { secure: false, error: null, afterError: null, closedEarly: false };
    let socket;
    let settleTimer = null;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(settleTimer);
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
      result.authorized = socket.authorized;
      result.authorizationError = socket.authorizationError;
      result.peer = socket.getPeerCertificate(true);
      result.chain = describeChain(result.peer, binding);
      // A server that rejects our client certificate (or its absence) in TLS 1.3 says so only
      // after the handshake: keep reading for a moment to see that alert or a close.
      socket.resume();
      settleTimer = setTimeout(done, Math.min(1500, values.timeout));
    });
    socket.on('error', (err) => {
      // A TLS 1.2 server that requires a client certificate ends the handshake itself; the
      // socket still tells whether it asked for one.
      if (!result.secure && !result.certificateRequest) result.certificateRequest = socket.getCertificateRequest();
      if (result.secure) result.afterError = result.afterError || err;
      else result.error = result.error || err;
      // A TLS 1.2 server that requires a client certificate fails the handshake itself; what
      // it asked for is still known.

      if (!result.secure) done();
    });
    socket.on('close', () => {
      if (result.secure && !result.afterError) result.closedEarly = true;
      done();
    });
    socket.on('end', () => {
      if (result.secure) result.closedEarly = true;
    });
  });
}

// The issuer (RFC 4514) of the first certificate in the --cert file, or null.
function clientIssuer(pem, binding) {
  try {
    const x = new (require('crypto').X509Certificate)(pem);
    return typeof binding.describeCertificate === 'function'
      ? binding.describeCertificate(x.raw).issuer : null;
  } catch {
    return null;
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

  // 1. Name lookup.
  let address = target.host;
  if (!net.isIP(target.host)) {
    const r = await lookup(target.host, values.timeout);
    if (r.error) {
      report.fail('dns', `${target.host} cannot be resolved: ${r.error.code || r.error.message}`, {
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
    report.fail('tcp', code === 'ECONNREFUSED'
      ? `connection to ${hostPort(address, target.port)} refused`
      : `cannot connect to ${hostPort(address, target.port)}: ${code || tcp.error.message}`,
    { code, hint: tcpHint(code, address, target.port) });
    return finish();
  }
  report.ok('tcp', `TCP connection to ${hostPort(address, target.port)} works (${tcp.ms} ms)`);

  // 3. TLS.
  const options = loadOptions(report, values);
  if (!options) return finish();
  const uvtls = require('..');
  const binding = require('../binding');
  const r = await handshake(uvtls, binding, target, options, values);
  if (!r.secure) {
    const err = r.error || {};
    const req = r.certificateRequest;
    if (req !== undefined) {
      report.data.tls = { certificateRequested: !!req, acceptedCaNames: req ? req.caNames || [] : null };
    }
    report.fail('handshake', `TLS handshake failed: ${err.message}`, {
      code: err.code, hint: err.hint || (err.code && binding.hintFor(err.code)) || undefined,
      details: req ? ['the server asked for a client certificate' +
        `${values.cert === undefined ? ' and none was given' : ''}`,
      ...(req.caNames || []).map((n) => `accepts: ${n}`)] : undefined });
    return finish();
  }
  report.data.tls = {
    protocol: r.protocol, cipher: r.cipher, group: r.group, alpn: r.alpn,
    authorized: r.authorized, authorizationError: r.authorizationError,
    certificateRequested: r.certificateRequest === undefined ? null : !!r.certificateRequest,
    acceptedCaNames: r.certificateRequest ? r.certificateRequest.caNames || [] : null,
    chain: r.chain,
  };
  report.ok('handshake', `TLS handshake done: ${r.protocol}, ${r.cipher}` +
    `${r.group ? `, group ${r.group}` : ''}, ALPN ${r.alpn || 'none'}`);
  if (values.alpn.length && !r.alpn) {
    report.warn('alpn', `the server chose none of the offered ALPN protocols (${values.alpn.join(', ')})`);
  }

  // Chain verification, as a client with --ca (or Node's roots) would judge it.
  const verifyError = r.verifyError !== undefined ? r.verifyError
    : (r.authorizationError && r.authorizationError !== 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? { code: r.authorizationError } : null);
  // The chain the server sent.
  const details = [];
  r.chain.forEach((c, i) => {
    details.push(`${i}: ${c.subject}`);
    details.push(`   issuer: ${c.issuer}`);
    details.push(`   valid:  ${c.validFrom} .. ${c.validTo}`);
    if (c.subjectAltNames.length) details.push(`   names:  ${c.subjectAltNames.join(', ')}`);
  });
  report.info('chain', `server certificate chain: ${r.chain.length} certificate${r.chain.length === 1 ? '' : 's'}` +
    `${verifyError ? ' (as sent)' : ' (as verified)'}`,
    { details });

  if (!verifyError) {
    report.ok('verify', `the chain verifies to ${values.ca ? values.ca : 'Node\'s trusted roots'}`);
  } else {
    const code = verifyError.code;
    const last = r.chain[r.chain.length - 1];
    report.fail('verify', `the server's certificate is not trusted: ${verifyError.message || code}`, {
      code, hint: verifyError.hint || binding.hintFor(code) || undefined,
      details: last ? [`the chain ends at "${last.subject}", issued by "${last.issuer}"; ` +
        `${values.ca ? `${values.ca} does not hold that CA` : 'if that is a private CA, pass it with --ca'}`] : undefined });
  }

  // Host name.
  if (r.peer && r.peer.raw) {
    const err = uvtls.checkServerIdentity(servername, r.peer);
    const names = r.peer.subjectaltname || `no subject alternative names (subject CN=${r.peer.subject && r.peer.subject.CN})`;
    if (!err) {
      report.ok('hostname', `the certificate holds ${servername}`);
    } else {
      report.fail('hostname', `the certificate does not hold ${servername}; it holds ${names}`, {
        code: err.code || 'ERR_TLS_CERT_ALTNAME_INVALID',
        hint: `Connect with a name the certificate holds (or pass --servername / the \`servername\` ` +
          `option), or issue the server a certificate whose subjectAltName includes ${servername}.` });
    }
  }

  // Client certificate.
  const req = r.certificateRequest;
  const after = r.afterError;
  const gaveCert = values.cert !== undefined;
  if (req) {
    const names = req.caNames && req.caNames.length ? req.caNames : [];
    const caDetails = names.length ? names.map((n) => `accepts: ${n}`) : ['accepts: (no CA names sent: any CA it trusts)'];
    if (!gaveCert && (after || r.closedEarly)) {
      report.fail('client-certificate', 'the server requires a client certificate and none was given', {
        code: after ? after.code : 'ERR_UVTLS_CLIENT_CERT_REQUIRED',
        hint: 'Pass --cert and --key (the `cert` and `key` options) with a certificate issued by ' +
          'one of the CAs the server accepts.',
        details: caDetails });
    } else if (gaveCert && (after || r.closedEarly)) {
      const issuer = clientIssuer(options.cert, binding);
      if (issuer && names.length && !names.includes(issuer)) {
        caDetails.push(`--cert is issued by "${issuer}", which is not among them`);
      }
      report.fail('client-certificate', 'the server rejected the client certificate', {
        code: after ? after.code : 'ERR_UVTLS_CLOSED_AFTER_HANDSHAKE',
        hint: (after && after.hint) || 'The server does not trust the CA of --cert, or the ' +
          'certificate lacks clientAuth; use a certificate issued by one of the CAs the server accepts.',
        details: caDetails });
    } else if (gaveCert) {
      report.ok('client-certificate', 'the server asked for a client certificate and accepted it',
        { details: caDetails });
    } else {
      report.warn('client-certificate', 'the server asks for a client certificate (optional; none given)',
        { details: caDetails });
    }
  } else {
    if (req === null) {
      report.info('client-certificate', `the server did not ask for a client certificate` +
        `${gaveCert ? ' (--cert was not used)' : ''}`);
    }
    if (after) {
      report.fail('after-handshake', `the connection failed right after the handshake: ${after.message}`,
        { code: after.code, hint: after.hint || binding.hintFor(after.code) || undefined });
    } else if (r.closedEarly) {
      report.fail('after-handshake', 'the server closed the connection right after the handshake', {
        code: 'ERR_UVTLS_CLOSED_AFTER_HANDSHAKE',
        hint: 'Servers do this when they reject the client certificate or the SNI name; check the server\'s log.' });
    }
  }
  return finish();
}

module.exports = { run, HELP, parseTarget };
