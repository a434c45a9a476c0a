'use strict';
// Node-style errors for invalid arguments, with uvtls's hints from the native hint table. The
// codes, stages and hints are defined once, in C (src/core/error_codes.h, errors.c), and read
// here through the binding.
const { hintFor, codes, stages } = require('./binding');

function describeReceived(value) {
  if (value === null || value === undefined) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = value.constructor && value.constructor.name;
    return name ? ` Received an instance of ${name}` : ' Received [Object: null prototype]';
  }
  let shown = String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return ` Received type ${typeof value} (${shown})`;
}

function withCode(err, code, hint) {
  err.code = code;
  const h = hint || hintFor(code);
  if (h) err.hint = h;
  return err;
}

function invalidArgType(name, expected, actual) {
  const what = name.includes('.') ? 'property' : 'argument';
  return withCode(new TypeError(`The "${name}" ${what} must be ${expected}.` +
    describeReceived(actual)), codes.ERR_INVALID_ARG_TYPE);
}

function invalidArgValue(name, value, reason = 'is invalid') {
  const what = name.includes('.') ? 'property' : 'argument';
  let shown;
  try { shown = require('util').inspect(value); } catch { shown = String(value); }
  return withCode(new TypeError(`The ${what} '${name}' ${reason}. Received ${shown}`),
    codes.ERR_INVALID_ARG_VALUE);
}

// An option that takes one of a few words: ERR_INVALID_ARG_VALUE naming them.
function notOneOf(name, value, allowed) {
  return invalidArgValue(name, value, `must be one of ${[...allowed].map((x) => `'${x}'`).join(', ')}`);
}

// OpenSSL 3.2 renamed the reasons of the SSL 3.0-era alerts ("sslv3 alert handshake failure"
// became "ssl/tls alert handshake failure"), so Node 22+ names the same alert
// ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE where Node 20 says ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE.
// Decisions about an alert use this one spelling; the error keeps the running Node's.
function canonicalAlertCode(code) {
  return typeof code === 'string' ? code.replace(/^ERR_SSL_SSL\/TLS_ALERT_/, 'ERR_SSL_SSLV3_ALERT_') : code;
}

module.exports = { withCode, invalidArgType, invalidArgValue, notOneOf, canonicalAlertCode, codes, stages };

// --- hints that depend on where the error happened ------------------------------------------

// Plain-text ports of protocols that have a TLS port of their own: [protocol, TLS port, TLS name].
const PLAIN_PORTS = new Map([
  [80, ['HTTP', 443, 'HTTPS']], [8080, ['HTTP', 8443, 'HTTPS']],
  [5672, ['AMQP', 5671, 'AMQPS']], [1883, ['MQTT', 8883, 'MQTTS']],
  [61613, ['STOMP', 61614, 'STOMP over TLS']], [15672, ['RabbitMQ management', 15671, 'HTTPS']],
  [143, ['IMAP', 993, 'IMAPS']], [110, ['POP3', 995, 'POP3S']], [389, ['LDAP', 636, 'LDAPS']],
  [25, ['SMTP', 465, 'SMTPS']], [6379, ['Redis', 6380, 'Redis over TLS']],
]);
const TLS_PORTS = new Map([
  [443, 'HTTPS'], [8443, 'HTTPS'], [5671, 'AMQPS'], [8883, 'MQTTS'], [61614, 'STOMP over TLS'],
  [15671, 'RabbitMQ management over TLS'], [993, 'IMAPS'], [995, 'POP3S'], [636, 'LDAPS'],
  [465, 'SMTPS'], [6380, 'Redis over TLS'],
]);
const USUAL_TLS_PORTS = 'usual TLS ports: 5671 AMQPS, 8883 MQTTS, 443 HTTPS';

function where(address, port) {
  if (address === undefined) return port === undefined ? 'the peer' : `port ${port}`;
  return port === undefined ? address : `${address}:${port}`;
}

// What to say about a port that does not answer TLS: the protocol's TLS port when it is a
// well-known plain-text port, else the usual TLS ports.
function portAdvice(port) {
  const plain = PLAIN_PORTS.get(port);
  if (plain) return `${port} is ${plain[0]}'s plain-text port: connect to ${plain[1]} for ${plain[2]}`;
  return `check the port (${USUAL_TLS_PORTS})`;
}

// Nothing listens: name the port, and the TLS port of its protocol.
function refusedHint(address, port) {
  const at = where(address, port);
  const plain = PLAIN_PORTS.get(port);
  if (plain) {
    return `Nothing is listening on ${at}, which is ${plain[0]}'s plain-text port: for ${plain[2]} ` +
      `(TLS) connect to port ${plain[1]}, and check that the server is running.`;
  }
  const tlsName = TLS_PORTS.get(port);
  if (tlsName) {
    return `Nothing is listening on ${at} (the usual ${tlsName} port); check that the server is ` +
      'running and that its TLS listener is enabled on this port.';
  }
  return `Nothing is listening on ${at}; check that the server is running and the port (${USUAL_TLS_PORTS}).`;
}

// The peer answered, but not with TLS.
function notTlsHint(address, port) {
  return `${where(address, port)} answered with something that is not TLS (plain TCP, HTTP or ` +
    `another protocol); ${portAdvice(port)}.`;
}

// The peer accepted the connection and then said nothing.
function silentPeerHint(address, port, ms) {
  return `${where(address, port)} accepted the connection but sent no TLS reply within ${ms} ms; ` +
    `it probably waits for a plain-text protocol (${portAdvice(port)}), or the server is overloaded ` +
    '(raise `handshakeTimeout`).';
}

// Adds what only the caller knows to an error: which side we are, and the time this machine
// believes it is (OpenSSL keeps no peer certificate after a failed verification, so its dates
// cannot be quoted here; the clock is the other half of the comparison).
function sideHint(err, { isServer } = {}) {
  if (!(err instanceof Error) || typeof err.code !== 'string') return err;
  if (err.stage === stages.VERIFY) {
    // The same verification failure means different things on the two sides (a server judges
    // the client's certificate against its own `ca`): the C table holds a hint per side.
    const h = hintFor(err.code, isServer ? 'server' : 'client');
    if (h) err.hint = h;
    if ((err.code === 'CERT_HAS_EXPIRED' || err.code === 'CERT_NOT_YET_VALID') && err.hint &&
        !err.hint.includes('clock says')) {
      err.hint = `${err.hint} (This machine's clock says ${new Date().toISOString()}.)`;
    }
  }
  return err;
}

module.exports.refusedHint = refusedHint;
module.exports.notTlsHint = notTlsHint;
module.exports.silentPeerHint = silentPeerHint;
module.exports.sideHint = sideHint;
module.exports.portAdvice = portAdvice;
