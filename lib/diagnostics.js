'use strict';
// Diagnostics on a TLSSocket: the identity a broker takes from the peer's certificate
// (getPeerIdentity) and a plain-object snapshot of the connection (getConnectionInfo). Kept out
// of lib/socket.js; install() puts them on TLSSocket.prototype.
const binding = require('./binding');
const { withCode, invalidArgType, invalidArgValue, notOneOf, codes } = require('./errors');

const IDENTITY_SOURCES = new Set(['common_name', 'distinguished_name', 'subject_alternative_name']);
const SAN_TYPES = new Set(['dns', 'ip', 'email', 'uri', 'other_name']);
const SAN_LABELS = { dns: 'DNS name', ip: 'IP address', email: 'email address', uri: 'URI', other_name: 'otherName' };

function identityNotFound(what, hint) {
  return withCode(new Error(`No identity in the peer certificate: ${what}`), codes.ERR_UVTLS_IDENTITY_NOT_FOUND, hint);
}

const methods = {
  // The identity a broker takes from the peer's certificate (RabbitMQ's ssl_cert_login_from):
  // its common name, its subject as an RFC 4514 string, or one subjectAltName of a given type.
  getPeerIdentity(options = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const pick = (a, b) => (options[a] !== undefined ? options[a] : options[b]);
    const from = pick('from', 'ssl_cert_login_from');
    const sanType = pick('sanType', 'ssl_cert_login_san_type');
    const index = pick('index', 'ssl_cert_login_san_index');
    if (!IDENTITY_SOURCES.has(from)) {
      throw withCode(notOneOf('options.from', from, IDENTITY_SOURCES), codes.ERR_INVALID_ARG_VALUE,
      'Choose where the identity comes from, as RabbitMQ\'s ssl_cert_login_from: common_name, ' +
        'distinguished_name, or subject_alternative_name with a sanType.');
    }
    let position = 0;
    if (from === 'subject_alternative_name') {
      if (!SAN_TYPES.has(sanType)) {
        throw withCode(notOneOf('options.sanType', sanType, SAN_TYPES), codes.ERR_INVALID_ARG_VALUE,
        'With subject_alternative_name, say which kind of name to take (sanType: dns, ip, email, uri or other_name).');
      }
      if (index !== undefined) {
        position = typeof index === 'string' && /^\d+$/.test(index) ? Number(index) : index;
        if (!Number.isSafeInteger(position) || position < 0) {
          throw withCode(invalidArgValue('options.index', index, 'must be a non-negative integer'),
            codes.ERR_INVALID_ARG_VALUE, 'The index counts names of that type from 0.');
        }
      }
    }
    const info = this._peerDescription();
    if (info === null) {
      throw withCode(new Error('The peer presented no certificate'), codes.ERR_UVTLS_NO_PEER_CERTIFICATE,
        this._isServer
          ? 'Clients send a certificate only when asked: create the server with `requestCert: true` ' +
            '(and `ca` naming the client CA).'
          : 'The server authenticated without a certificate (PSK), or the connection is not established yet.');
    }
    if (from === 'common_name') {
      if (info.commonName === null || info.commonName === undefined) {
        throw identityNotFound('the certificate has no CN (its subject is ' +
          `"${info.subject}")`, 'Take the identity from the distinguished_name or a subject_alternative_name instead.');
      }
      return info.commonName;
    }
    if (from === 'distinguished_name') return info.subject;
    const names = info.subjectAltNames.filter((n) => n.type === sanType);
    if (position >= names.length) {
      const label = SAN_LABELS[sanType];
      const which = names.length === 0
        ? `the certificate has no ${label} in its subjectAltName`
        : `the certificate has ${names.length} ${label}${names.length === 1 ? '' : 's'}; index ${position} is out of range`;
      const held = info.subjectAltNames.map((n) => `${n.type}:${n.value}`).join(', ');
      throw identityNotFound(which, held
        ? `It holds ${held}; pick a sanType and index among these.`
        : 'It has no subjectAltName at all; use common_name or distinguished_name.');
    }
    return names[position].value;
  },

  // binding.describeCertificate() of the peer's leaf, cached: it does not change.
  _peerDescription() {
    if (this._peerDescribed !== undefined) return this._peerDescribed;
    if (!this._handle) return null;
    const cert = this._handle.getPeerCertificate(false);
    const described = cert && cert.raw ? binding.describeCertificate(cert.raw) : null;
    if (this._secureEstablished) this._peerDescribed = described;
    return described;
  },

  // A plain-object snapshot of the connection, as a broker's management API shows one.
  getConnectionInfo() {
    const handle = this._handle;
    let fixed = this._fixedInfo;
    if (fixed === undefined) {
      const live = (fn) => {
        if (!handle) return null;
        try { return fn(); } catch { return null; }
      };
      const cipher = live(() => handle.getCipher());
      // A peer certificate OpenSSL accepted may still hold an extension describe() refuses
      // (e.g. two subjectAltName extensions, seen with rejectUnauthorized: false): a snapshot
      // must not throw for it.
      const peer = live(() => this._peerDescription());
      fixed = {
        protocol: live(() => handle.getProtocol()),
        cipher: cipher ? { name: cipher.name, standardName: cipher.standardName } : null,
        keyExchangeGroup: live(() => handle.getNegotiatedGroup()),
        peerCertificate: peer ? {
          subject: peer.subject,
          issuer: peer.issuer,
          validFrom: new Date(peer.notBefore).toISOString(),
          validTo: new Date(peer.notAfter).toISOString(),
          fingerprint256: peer.fingerprint256,
        } : null,
        servername: this.servername || null,
        alpnProtocol: this.alpnProtocol || null,
        sessionReused: !!live(() => handle.isSessionReused()),
      };
      // Fixed once the handshake is done; before that, or after the close, ask again next time.
      if (handle && this._secureEstablished) this._fixedInfo = fixed;
    }
    const peer = this._peerInfo();
    const local = this.address();
    return {
      ...fixed,
      authorized: this.authorized,
      authorizationError: this.authorizationError || null,
      peerAddress: peer.address === undefined ? null : peer.address,
      peerPort: peer.port === undefined ? null : peer.port,
      localAddress: local.address === undefined ? null : local.address,
      localPort: local.port === undefined ? null : local.port,
      bytesRead: this.bytesRead,
      bytesWritten: this.bytesWritten,
      connectedAt: this._connectedAt === undefined ? null : new Date(this._connectedAt).toISOString(),
      isServer: this._isServer,
    };
  }
};

// Adds the methods as a class body would: non-enumerable, writable, configurable.
function install(proto) {
  for (const name of Object.keys(methods)) {
    Object.defineProperty(proto, name, {
      value: methods[name], writable: true, configurable: true, enumerable: false,
    });
  }
}

module.exports = { install };
