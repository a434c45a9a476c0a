'use strict';
// connect(): Node's argument forms, DNS in JS (dns.lookup or the `lookup` option), then the
// native connection. With `socket`, the engine wraps that duplex instead (STARTTLS).
const dns = require('dns');
const net = require('net');
const binding = require('./binding');
const { TLSSocket, kNative, contextOf, decorate } = require('./socket');
const { invalidArgType, withCode } = require('./errors');
const { alpnToWire } = require('./alpn');
const { validateInteger, validateTimerDuration, TIMEOUT_MAX, shouldRejectUnauthorized } = require('./validators');

function normalizeArgs(args) {
  let options = {};
  let callback;
  let i = 0;
  if (args[i] !== null && typeof args[i] === 'object') {
    options = { ...args[i++] };
  } else if (typeof args[i] === 'string' && !/^\d+$/.test(args[i])) {
    options = { path: args[i++] };
    if (args[i] !== null && typeof args[i] === 'object') options = { ...args[i++], path: options.path };
  } else if (args[i] !== undefined && typeof args[i] !== 'function') {
    options.port = args[i++];
    if (typeof args[i] === 'string') options.host = args[i++];
    if (args[i] !== null && typeof args[i] === 'object') options = { ...args[i++], ...options };
  }
  if (typeof args[i] === 'function') callback = args[i];
  // As net.connect: an empty path (https agents pass `path: null`) means TCP, not a pipe.
  if (!options.path) delete options.path;
  return { options, callback };
}

function connect(...args) {
  const { options, callback } = normalizeArgs(args);
  const host = options.host || 'localhost';
  const isIp = net.isIP(host) !== 0;
  // SNI is never sent for IP literals (RFC 6066); an empty servername turns it off.
  let servername = options.servername !== undefined ? options.servername : (isIp ? undefined : host);
  if (options.servername && net.isIP(options.servername)) warnIpServername();
  if (servername === '' || (servername && net.isIP(servername))) servername = undefined;
  const rejectUnauthorized = shouldRejectUnauthorized(options);
  // The name the certificate must hold, as Node picks it: servername, else host, else the host
  // a plain {socket} was connected to, else localhost. A pipe (`path`) is checked too.
  const verifyHost = options.servername || options.host ||
    (options.socket && options.socket._host) || 'localhost';
  const socketOptions = {
    ...options,
    isServer: false,
    servername,
    rejectUnauthorized,
    _verifyHost: verifyHost,
  };

  // Every option that can throw is checked before anything starts: a throw after the socket
  // exists would leave its connection open (or the caller's {socket} wrapped) with no owner.
  const alpn = alpnToWire(options.ALPNProtocols);
  const npn = alpnToWire(options.NPNProtocols, 'options.NPNProtocols');
  if (options.pskCallback !== undefined && typeof options.pskCallback !== 'function') {
    throw invalidArgType('options.pskCallback', 'of type function', options.pskCallback);
  }
  if (options.handshakeTimeout !== undefined) checkHandshakeTimeout(options.handshakeTimeout);
  // Node spreads the options over its default (1024), so an explicit undefined is checked too.
  const minDHSize = 'minDHSize' in options ? checkMinDHSize(options.minDHSize) : 1024;
  const timeout = options.timeout ? validateTimerDuration(options.timeout, 'timeout') : 0;

  let socket;
  if (options.socket) {
    socket = new TLSSocket(options.socket, socketOptions);
  } else {
    if (options.port === undefined && options.path === undefined) {
      throw invalidArgType('options.port', 'of type number or string', options.port);
    }
    const context = contextOf(options);
    const handle = new binding.Conn(context.context, {
      rejectUnauthorized,
      servername,
      pipe: options.path !== undefined,
      handshakeTimeout: options.handshakeTimeout,
    });
    socket = new TLSSocket({ [kNative]: handle }, socketOptions);
    socket._context = context;
    socket.connecting = true;
  }
  try {
    configure(socket, options, alpn, npn);
  } catch (err) {
    // Nothing has been sent yet; the handle must not outlive the throw (it would keep the
    // process alive with no owner).
    if (!options.socket) socket.destroy();
    throw err;
  }
  socket._connectOptions = { path: options.path, host: options.host, port: options.port, localAddress: options.localAddress };
  socket._minDHSize = minDHSize;
  if (options.socket) socket._start();
  else startConnect(socket, socket._handle, options, host);
  if (timeout) socket.setTimeout(timeout);
  if (callback) socket.once('secureConnect', callback);
  return socket;
}

// TLSSocket#connect(): a native connection for a socket made without one. Node's TLSSocket
// sends SNI only when given `servername`, and checks no host name.
function connectExisting(socket, options) {
  if (options.port === undefined && options.path === undefined) {
    throw invalidArgType('options.port', 'of type number or string', options.port);
  }
  const host = options.host || 'localhost';
  let servername = options.servername;
  if (servername === '' || (servername && net.isIP(servername))) servername = undefined;
  const alpn = alpnToWire(options.ALPNProtocols);
  const npn = alpnToWire(options.NPNProtocols, 'options.NPNProtocols');
  const context = contextOf(options);
  const handle = new binding.Conn(context.context, {
    rejectUnauthorized: socket._rejectUnauthorized,
    servername,
    pipe: options.path !== undefined,
  });
  socket._attach(handle);
  socket._context = context;
  socket.connecting = true;
  try {
    configure(socket, options, alpn, npn);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  socket._connectOptions = { path: options.path, host: options.host, port: options.port, localAddress: options.localAddress };
  startConnect(socket, handle, options, host);
}

// Per-connection settings on the engine, before the first byte of the handshake.
function configure(socket, options, alpn, npn) {
  const handle = socket._handle;
  if (alpn && handle) handle.setALPNProtocols(alpn);
  if (npn && handle) handle.setNPNProtocols(npn);
  if (options.enableTrace === true && handle) handle.enableTrace();
  if (options.requestOCSP && handle) {
    handle.requestOCSP();
    socket._requestOCSP = true;
  }
  if (options.pskCallback !== undefined && handle) {
    // Called inside the handshake with the server's identity hint (or null).
    handle.onpsk = (hint) => {
      const r = options.pskCallback(hint);
      if (r === null || r === undefined) return null;
      if (typeof r !== 'object' || !ArrayBuffer.isView(r.psk) || typeof r.identity !== 'string') {
        throw invalidArgType('pskCallback return value', 'an object {psk: Buffer, identity: string}', r);
      }
      return { psk: Buffer.from(r.psk.buffer, r.psk.byteOffset, r.psk.byteLength), identity: r.identity };
    };
    handle.enablePsk();
  }
  if (options.session && handle) {
    try {
      handle.setSession(options.session);
    } catch {
      // A stale or foreign session is no reason to fail: Node too just does a full handshake.
    }
  }
}

// uvtls's own client option: fail a handshake that has not finished after `ms` (Node's clients
// wait forever on a peer that accepts the connection and then says nothing).
// The smallest finite-field DH group a client accepts (Node's default 1024 bits), checked with
// Node's messages.
function checkMinDHSize(value) {
  if (typeof value !== 'number') {
    throw withCode(new TypeError(`options.minDHSize is not a number: ${String(value)}`), 'ERR_INVALID_ARG_TYPE');
  }
  if (!(value > 0)) {
    throw withCode(new RangeError(`options.minDHSize is not a positive number: ${value}`), 'ERR_OUT_OF_RANGE');
  }
  return value;
}

// A whole number of milliseconds a timer can hold; leave the option out for no limit (0, NaN
// or a string meaning "none" would hide a mistake).
function checkHandshakeTimeout(ms) {
  validateInteger(ms, 'options.handshakeTimeout', 1, TIMEOUT_MAX);
}

function startConnect(socket, handle, options, host) {
  if (options.path !== undefined) {
    socket._connectTarget = { address: options.path, port: undefined };
    handle.connectPipe(options.path);
    return;
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.nextTick(() => socket.destroy(Object.assign(
      new RangeError(`options.port should be >= 0 and < 65536. Received ${options.port}.`),
      { code: 'ERR_SOCKET_BAD_PORT', stage: 'connect',
        hint: 'Pass a port number from 1 to 65535 (TLS ports: 5671 AMQPS, 8883 MQTTS, 443 HTTPS).' })));
    return;
  }
  const go = (address) => {
    if (socket.destroyed) return;
    socket._connectTarget = { address, port };
    try {
      handle.connect(address, port, options.localAddress, options.localPort);
    } catch (err) {
      socket.destroy(decorate(err, socket));
    }
  };
  if (net.isIP(host)) {
    process.nextTick(go, host);
    return;
  }
  const lookup = options.lookup || dns.lookup;
  lookup(host, lookupOptions(options), (err, address) => {
    if (err) {
      err.stage = 'connect';
      err.hint = `The host name "${host}" could not be resolved; check its spelling and DNS.`;
      socket.destroy(err);
      return;
    }
    go(Array.isArray(address) ? address[0].address : address);
  });
}

// The options net.connect gives dns.lookup (or the `lookup` option), so a custom lookup sees
// what it sees under Node: the family as a number, ADDRCONFIG unless a family or hints are
// given, and `all: true` while Node's automatic family selection is on.
function lookupOptions(options) {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
  const out = { family, hints: options.hints || 0 };
  if (family !== 4 && family !== 6 && out.hints === 0) out.hints = dns.ADDRCONFIG;
  const autoSelect = options.autoSelectFamily !== undefined ? options.autoSelectFamily
    : (typeof net.getDefaultAutoSelectFamily === 'function' && net.getDefaultAutoSelectFamily());
  if (autoSelect) out.all = true;
  return out;
}

// DEP0123, once per process, as Node: SNI carries host names only (RFC 6066).
let ipServernameWarned = false;
function warnIpServername() {
  if (ipServernameWarned) return;
  ipServernameWarned = true;
  process.emitWarning('Setting the TLS ServerName to an IP address is not permitted by RFC 6066. ' +
    'This will be ignored in a future version.', 'DeprecationWarning', 'DEP0123');
}

module.exports = { connect, connectExisting };
