'use strict';
// uvtls: Node's `tls` API on a C core, plus the classic SecurePair API.
const nodeTls = require('tls');
const constants = require('./constants');
const { SecureContext, createSecureContext } = require('./secure-context');
const { SecurePair, createSecurePair } = require('./securepair');
const { TLSSocket } = require('./socket');
const { Server, createServer } = require('./server');
const { connect } = require('./connect');
const { install, uninstall, isInstalled } = require('./install');

module.exports = {
  connect,
  createServer,
  Server,
  TLSSocket,
  checkServerIdentity: require('./identity').checkServerIdentity,
  createSecureContext,
  SecureContext,
  createSecurePair,
  SecurePair,
  // The same roots Node trusts by default (data, not behaviour, so shared with Node).
  rootCertificates: nodeTls.rootCertificates,
  getCiphers: nodeTls.getCiphers,
  DEFAULT_CIPHERS: constants.DEFAULT_CIPHERS,
  DEFAULT_ECDH_CURVE: constants.DEFAULT_ECDH_CURVE,
  DEFAULT_MIN_VERSION: constants.DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION: constants.DEFAULT_MAX_VERSION,
  opensslVersion: require('./binding').opensslVersion,
  // Drop-in: route require('tls') through uvtls (docs/interop.md).
  install,
  uninstall,
  isInstalled,
};
