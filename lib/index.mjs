// ESM entry: the same module as lib/index.js.
import uvtls from './index.js';

export default uvtls;
export const {
  connect, createServer, Server, TLSSocket, checkServerIdentity,
  createSecureContext, SecureContext, createSecurePair, SecurePair, rootCertificates, getCiphers,
  DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MIN_VERSION, DEFAULT_MAX_VERSION, opensslVersion,
  install, uninstall, isInstalled,
} = uvtls;
