'use strict';
// createSecureContext(): validates Node's options and builds one native context that many
// connections share.
const fs = require('fs');
const nodeTls = require('tls');
const binding = require('./binding');
const { withCode, invalidArgType, invalidArgValue } = require('./errors');
const constants = require('./constants');

// Every engine is made with a context from here: the addon learns the running Node's object
// shapes from this probe when it first builds a certificate or ephemeral-key object.
binding.setShapeProbe(require('./x509-shape').probe);

const PEM_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

class SecureContext {
  constructor(native) {
    this.context = native; // Node exposes the native handle under this name too
  }
}

let defaultRootsPem = null;
// Node's trust: its bundled roots plus NODE_EXTRA_CA_CERTS, read once per process as Node does.
function defaultRoots() {
  if (defaultRootsPem !== null) return defaultRootsPem;
  let pem = nodeTls.rootCertificates.join('\n');
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      pem += '\n' + fs.readFileSync(extra, 'latin1');
    } catch (e) {
      process.emitWarning(`Ignoring extra certs from \`${extra}\`, load failed: ${e.message}`);
    }
  }
  defaultRootsPem = pem;
  return pem;
}

function isPemData(v) {
  return typeof v === 'string' || ArrayBuffer.isView(v);
}

function toList(value) {
  return Array.isArray(value) ? value : [value];
}

function checkPem(value, name) {
  if (!isPemData(value)) throw invalidArgType(name, PEM_TYPES, value);
  return value;
}

function parseVersion(value, which) {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || (!constants.TLS_VERSIONS[value] &&
      !constants.LEGACY_VERSIONS.has(value))) {
    throw withCode(new TypeError(`"${value}" is not a valid ${which} TLS protocol version`),
      'ERR_TLS_INVALID_PROTOCOL_VERSION');
  }
  if (constants.LEGACY_VERSIONS.has(value)) {
    throw withCode(new TypeError(`${value} is not supported: uvtls requires TLSv1.2 or newer`),
      'ERR_TLS_INVALID_PROTOCOL_VERSION');
  }
  return constants.TLS_VERSIONS[value];
}

// secureProtocol names of OpenSSL methods; the version-specific ones pin a single version.
const METHODS = {
  TLS_method: [0x0303, 0x0304], TLS_client_method: [0x0303, 0x0304],
  TLS_server_method: [0x0303, 0x0304], SSLv23_method: [0x0303, 0x0304],
  SSLv23_client_method: [0x0303, 0x0304], SSLv23_server_method: [0x0303, 0x0304],
  TLSv1_2_method: [0x0303, 0x0303], TLSv1_2_client_method: [0x0303, 0x0303],
  TLSv1_2_server_method: [0x0303, 0x0303],
};
const LEGACY_METHODS = /^(SSLv2|SSLv3|TLSv1|TLSv1_1)(_client|_server)?_method$/;

function protocolRange(options) {
  let min = parseVersion(options.minVersion, 'minimum');
  let max = parseVersion(options.maxVersion, 'maximum');
  const method = options.secureProtocol;
  if (method !== undefined && method !== null) {
    if (typeof method !== 'string') throw invalidArgType('options.secureProtocol', 'of type string', method);
    if (min !== undefined || max !== undefined) {
      const v = options.minVersion !== undefined ? options.minVersion : options.maxVersion;
      throw withCode(new TypeError(`TLS protocol version "${v}" conflicts with secureProtocol ` +
        `"${method}"`), 'ERR_TLS_PROTOCOL_VERSION_CONFLICT');
    }
    const ssl = /^(SSLv2|SSLv3)(_client|_server)?_method$/.exec(method);
    if (ssl) {
      // Node's words for methods OpenSSL itself no longer has.
      throw withCode(new TypeError(`${ssl[1]} methods disabled`), 'ERR_TLS_INVALID_PROTOCOL_METHOD');
    }
    if (LEGACY_METHODS.test(method)) {
      throw withCode(new TypeError(`${method} is not supported: uvtls requires TLSv1.2 or newer`),
        'ERR_TLS_INVALID_PROTOCOL_VERSION');
    }
    if (!METHODS[method]) {
      throw withCode(new TypeError(`Unknown method: ${method}`), 'ERR_TLS_INVALID_PROTOCOL_METHOD');
    }
    [min, max] = METHODS[method];
  }
  // The defaults as they are now (tls.DEFAULT_MIN_VERSION may have been assigned), checked as
  // Node checks them.
  const defaults = constants.currentDefaults();
  return [
    min !== undefined ? min : parseVersion(defaults.minVersion, 'minimum'),
    max !== undefined ? max : parseVersion(defaults.maxVersion, 'maximum'),
  ];
}

// OpenSSL engines (deprecated in OpenSSL 3) are not supported: the options are checked as Node
// checks them, then refused with the error Node gives where engines are unavailable.
function checkEngines(options) {
  const given = [];
  for (const name of ['privateKeyEngine', 'privateKeyIdentifier', 'clientCertEngine']) {
    const value = options[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw invalidArgType(`options.${name}`, 'of type string', value);
    given.push(name);
  }
  if (given.length > 0) {
    throw withCode(new Error('Custom engines not supported by this OpenSSL'),
      'ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED',
      'uvtls loads keys from PEM or PKCS#12 only; export the key from the engine, or use Node\'s tls for engine keys.');
  }
}

// Node's split: names starting with "TLS_" (or "!TLS_", which removes one) are TLS 1.3 suites,
// the rest a TLS 1.2 cipher list. Naming neither kind is refused: no handshake could succeed.
function applyCiphers(ctx, ciphers, min, max) {
  if (ciphers !== undefined && ciphers !== null && typeof ciphers !== 'string') {
    throw invalidArgType('options.ciphers', 'of type string', ciphers);
  }
  const names = (ciphers || constants.currentDefaults().ciphers).split(':');
  const isSuite = (c) => c.startsWith('TLS_') || c.startsWith('!TLS_');
  const tls12 = names.filter((c) => c.length > 0 && !isSuite(c)).join(':');
  const tls13 = names.filter((c) => c.length > 0 && isSuite(c)).join(':');
  if (tls12 === '' && tls13 === '') throw invalidArgValue('options.ciphers', names);
  if (tls13 !== '') ctx.setCiphers(null, tls13);
  if (tls12 !== '') ctx.setCiphers(tls12, null);
  // As Node: TLS 1.3 suites alone raise the minimum to TLS 1.3. A TLS 1.2 list alone leaves
  // TLS 1.3 on, with its default suites.
  if (tls12 === '' && min < 0x0304 && max > 0x0303) ctx.setProtocolRange(0x0304, max);
}

function addKeys(ctx, key, passphrase) {
  for (const k of toList(key)) {
    if (k !== null && typeof k === 'object' && !ArrayBuffer.isView(k)) {
      checkPem(k.pem, 'options.key.pem');
      ctx.addKey(k.pem, k.passphrase !== undefined ? String(k.passphrase) : passphrase);
    } else {
      ctx.addKey(checkPem(k, 'options.key'), passphrase);
    }
  }
}

function addPfx(ctx, pfx, passphrase) {
  for (const p of toList(pfx)) {
    if (p !== null && typeof p === 'object' && !ArrayBuffer.isView(p)) {
      checkPem(p.buf, 'options.pfx.buf');
      ctx.addPKCS12(p.buf, p.passphrase !== undefined ? String(p.passphrase) : passphrase);
    } else {
      ctx.addPKCS12(checkPem(p, 'options.pfx'), passphrase);
    }
  }
}

// OpenSSL's library and reason for the codes the core reports without the error queue (it
// checks the key itself to name both key types in the message).
const OPENSSL_ORIGIN = {
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: ['x509 certificate routines', 'key values mismatch'],
  ERR_OSSL_PEM_NO_START_LINE: ['PEM routines', 'no start line'],
  ERR_SSL_NO_CIPHER_MATCH: ['SSL routines', 'no cipher match'],
};

// Every error of context construction says where it happened (stage 'context') and, for
// OpenSSL's, which library and reason.
function createSecureContext(options) {
  try {
    return buildSecureContext(options);
  } catch (err) {
    if (err instanceof Error && typeof err.code === 'string') {
      if (err.stage === undefined) err.stage = 'context';
      const origin = OPENSSL_ORIGIN[err.code];
      if (origin && err.library === undefined) [err.library, err.reason] = origin;
    }
    throw err;
  }
}

function buildSecureContext(options) {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  checkEngines(options);
  const ctx = new binding.SecureContext();
  const [min, max] = protocolRange(options);
  ctx.setProtocolRange(min, max);
  // Ciphers before keys, as Node: a `@SECLEVEL=0` in the list must be in force when a small key
  // is loaded.
  applyCiphers(ctx, options.ciphers, ctx.getMinVersion(), ctx.getMaxVersion());

  // A string, as Node checks it (a number or Buffer here is a mistake, not a passphrase).
  if (options.passphrase !== undefined && options.passphrase !== null && typeof options.passphrase !== 'string') {
    throw invalidArgType('options.passphrase', 'of type string', options.passphrase);
  }
  const passphrase = options.passphrase !== undefined && options.passphrase !== null
    ? options.passphrase : undefined;

  // Trust: `ca` replaces the default roots, as in Node.
  if (options.ca !== undefined && options.ca !== null) {
    for (const ca of toList(options.ca)) {
      checkPem(ca, 'options.ca');
      if (ca.length > 0) ctx.addCA(ca);
    }
  } else {
    ctx.useDefaultRoots(defaultRoots());
  }
  // As Node: a trusted intermediate may end a chain (X509_V_FLAG_PARTIAL_CHAIN).
  if (options.allowPartialTrustChain) ctx.setAllowPartialTrustChain();
  // Certificates before keys: OpenSSL checks each key against the certificate already loaded.
  // `false` means "none" as in Node (`key: cond && pem` is a common idiom).
  if (options.cert !== undefined && options.cert !== null && options.cert !== false) {
    for (const cert of toList(options.cert)) ctx.addCert(checkPem(cert, 'options.cert'));
  }
  if (options.key !== undefined && options.key !== null && options.key !== false) addKeys(ctx, options.key, passphrase);
  if (options.pfx !== undefined && options.pfx !== null) addPfx(ctx, options.pfx, passphrase);
  ctx.checkKeys();

  const curve = options.ecdhCurve === undefined ? constants.currentDefaults().ecdhCurve : options.ecdhCurve;
  if (typeof curve !== 'string') throw invalidArgType('options.ecdhCurve', 'of type string', curve);
  ctx.setGroups(curve);

  if (options.sigalgs !== undefined && options.sigalgs !== null) {
    if (typeof options.sigalgs !== 'string') {
      throw invalidArgType('options.sigalgs', 'of type string', options.sigalgs);
    }
    if (options.sigalgs === '') throw invalidArgValue('options.sigalgs', '');
    ctx.setSigalgs(options.sigalgs);
  }
  if (options.dhparam !== undefined && options.dhparam !== null) {
    ctx.setDHParam(checkPem(options.dhparam, 'options.dhparam'));
  }
  if (options.crl !== undefined && options.crl !== null) {
    for (const crl of toList(options.crl)) ctx.addCRL(checkPem(crl, 'options.crl'));
  }
  if (options.honorCipherOrder) ctx.setHonorCipherOrder(true);
  if (options.secureOptions !== undefined && options.secureOptions !== null) {
    if (typeof options.secureOptions !== 'number') {
      throw invalidArgType('options.secureOptions', 'of type number', options.secureOptions);
    }
    ctx.setOptions(options.secureOptions);
  }
  if (options.sessionIdContext !== undefined && options.sessionIdContext !== null) {
    if (typeof options.sessionIdContext !== 'string') {
      throw invalidArgType('options.sessionIdContext', 'of type string', options.sessionIdContext);
    }
    ctx.setSessionIdContext(options.sessionIdContext);
  }
  return new SecureContext(ctx);
}

module.exports = { SecureContext, createSecureContext };
