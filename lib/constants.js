'use strict';
// Defaults shared with Node, so uvtls negotiates exactly what Node's tls would.
const nodeTls = require('tls');

const TLS_VERSIONS = { 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 };
// Known to Node but refused here: TLS 1.0 and 1.1 are broken and below uvtls's floor.
const LEGACY_VERSIONS = new Set(['TLSv1', 'TLSv1.1']);

module.exports = {
  TLS_VERSIONS,
  LEGACY_VERSIONS,
  // Node's list without CBC suites (LUCKY13-style padding oracles; every client uvtls supports
  // has GCM or ChaCha20), unless Node's list was changed (--tls-cipher-list): then it as given.
  DEFAULT_CIPHERS: nodeTls.DEFAULT_CIPHERS === require('crypto').constants.defaultCoreCipherList
    ? `${nodeTls.DEFAULT_CIPHERS}:!CBC` : nodeTls.DEFAULT_CIPHERS,
  DEFAULT_ECDH_CURVE: 'auto',
  DEFAULT_MIN_VERSION: 'TLSv1.2',
  DEFAULT_MAX_VERSION: 'TLSv1.3',
};
