'use strict';
// Defaults shared with Node, so uvtls negotiates exactly what Node's tls would.
const nodeTls = require('tls');

const TLS_VERSIONS = { 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 };
// Known to Node but refused here: TLS 1.0 and 1.1 are broken and below uvtls's floor.
const LEGACY_VERSIONS = new Set(['TLSv1', 'TLSv1.1']);

const { defaultCoreCipherList } = require('crypto').constants;

// Node's list without CBC suites (LUCKY13-style padding oracles; every client uvtls supports has
// GCM or ChaCha20), unless the list was changed (--tls-cipher-list, or by the application):
// then it as given.
function withoutCbc(ciphers) {
  return ciphers === defaultCoreCipherList ? `${ciphers}:!CBC` : ciphers;
}

// TLS 1.0 and 1.1 are below uvtls's floor: a default naming them (--tls-min-v1.0, or an
// application's assignment) is raised to TLS 1.2 (docs/compat.md).
function floored(version) {
  return LEGACY_VERSIONS.has(version) ? 'TLSv1.2' : version;
}

// The defaults in force at the time of the call, read as Node reads them: from Node's tls object
// while uvtls is installed (the application and Node's --tls-* flags set those), else from
// uvtls's own exports, which start as Node's (so the flags count there too) and which the
// application may assign.
function currentDefaults() {
  const source = require('./install').isInstalled() ? nodeTls : require('./index');
  return {
    ciphers: withoutCbc(source.DEFAULT_CIPHERS),
    ecdhCurve: source.DEFAULT_ECDH_CURVE,
    minVersion: floored(source.DEFAULT_MIN_VERSION),
    maxVersion: floored(source.DEFAULT_MAX_VERSION),
  };
}

module.exports = {
  TLS_VERSIONS,
  LEGACY_VERSIONS,
  currentDefaults,
  // The values uvtls's exports start with.
  DEFAULT_CIPHERS: withoutCbc(nodeTls.DEFAULT_CIPHERS),
  DEFAULT_ECDH_CURVE: nodeTls.DEFAULT_ECDH_CURVE,
  DEFAULT_MIN_VERSION: floored(nodeTls.DEFAULT_MIN_VERSION),
  DEFAULT_MAX_VERSION: floored(nodeTls.DEFAULT_MAX_VERSION),
};
