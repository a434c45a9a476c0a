'use strict';
// install()/uninstall(): route users of Node's `tls` module through uvtls.
//
// `require('tls')` and `require('node:tls')` return one shared exports object, and code that
// looks a function up on it at call time (`tls.connect(...)`) sees whatever the property holds
// then. install() swaps the entries in ROUTED on that object and keeps the property
// descriptors it replaced, so uninstall() puts back exactly Node's functions.
//
// Node's own modules use the same object: `https`, `http2` and Node's TLS implementation call
// `tls.connect`, `tls.createSecureContext`, `tls.Server` and test `instanceof tls.TLSSocket` at
// call time. Handing them uvtls objects would break every `https` server and client in the
// process, so the installed entries are thin dispatchers: a call made directly from Node's own
// code (a `node:` module) goes to Node's original, every other call goes to uvtls. That keeps
// `https`/`http2` on Node's TLS, which is documented in docs/interop.md.
//
// Code that copied a function out before install() (`const { connect } = require('tls')`)
// keeps Node's; `node -r uvtls/register` installs before any application code runs.
const nodeTls = require('tls');

// Not routed: checkServerIdentity (Node's TLS reads `tls.checkServerIdentity` as its default at
// call time, and uvtls sockets use uvtls's own unless the `checkServerIdentity` option is
// given), and data shared with Node as it is (rootCertificates, DEFAULT_*, getCiphers,
// CLIENT_RENEG_*, convertALPNProtocols).
const ROUTED = ['connect', 'createServer', 'createSecureContext', 'SecureContext', 'TLSSocket', 'Server',
  'createSecurePair'];

let saved = null; // name -> property descriptor that install() replaced (undefined: none)
let installed = null; // name -> the value install() put there

// True when the function `fn` was called directly from one of Node's built-in modules.
// Reads one stack frame through the structured call-site API; `fn` itself is excluded.
function calledFromNode(fn) {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder = {};
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_, sites) => sites;
    Error.captureStackTrace(holder, fn);
    const site = holder.stack && holder.stack[0];
    const file = site && site.getFileName();
    return typeof file === 'string' && file.startsWith('node:');
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

// Builds the values install() puts on the tls object. `node` holds Node's originals.
function makeRouted(uvtls, node) {
  function connect(...args) {
    if (calledFromNode(connect)) return node.connect(...args);
    return uvtls.connect(...args);
  }

  function createSecureContext(...args) {
    if (calledFromNode(createSecureContext)) return node.createSecureContext(...args);
    return uvtls.createSecureContext(...args);
  }

  // `https.Server` runs `tls.Server.call(this, ...)` on an object built from Node's
  // tls.Server.prototype (fixed when `https` was loaded, which install() makes sure happens
  // first); that call gets Node's constructor. `new tls.Server(...)` and subclasses
  // (`class X extends tls.Server`) get uvtls's.
  function Server(...args) {
    if (new.target === undefined && this instanceof node.Server) {
      return Reflect.apply(node.Server, this, args);
    }
    return Reflect.construct(uvtls.Server, args, new.target || uvtls.Server);
  }
  // Methods that `https`/`http2` borrow from `tls.Server.prototype` dispatch on the receiver.
  Server.prototype = Object.create(uvtls.Server.prototype, {
    constructor: { value: Server, writable: true, configurable: true },
  });
  for (const name of ['close', 'setSecureContext', 'addContext', 'setTicketKeys', 'getTicketKeys']) {
    if (typeof uvtls.Server.prototype[name] !== 'function') continue;
    Object.defineProperty(Server.prototype, name, {
      value: function dispatch(...args) {
        const impl = this instanceof node.Server ? node.Server.prototype[name] : uvtls.Server.prototype[name];
        return Reflect.apply(impl, this, args);
      },
      writable: true, configurable: true,
    });
  }
  Object.defineProperty(Server, Symbol.hasInstance, {
    value: (v) => v instanceof uvtls.Server || v instanceof node.Server || Function.prototype[Symbol.hasInstance].call(Server, v),
  });
  Object.defineProperty(Server, 'name', { value: 'Server' });

  // `new tls.TLSSocket(...)` builds a uvtls socket; `instanceof tls.TLSSocket` (which http2
  // uses on Node's own sockets) is true for both kinds.
  function TLSSocket(...args) {
    if (new.target === undefined && this instanceof node.TLSSocket) {
      return Reflect.apply(node.TLSSocket, this, args);
    }
    return Reflect.construct(uvtls.TLSSocket, args, new.target || uvtls.TLSSocket);
  }
  TLSSocket.prototype = uvtls.TLSSocket.prototype;
  Object.defineProperty(TLSSocket, Symbol.hasInstance, {
    value: (v) => v instanceof uvtls.TLSSocket || v instanceof node.TLSSocket,
  });
  Object.defineProperty(TLSSocket, 'name', { value: 'TLSSocket' });

  function createServer(...args) {
    if (calledFromNode(createServer)) return node.createServer(...args);
    return uvtls.createServer(...args);
  }

  return {
    connect,
    createServer,
    createSecureContext,
    SecureContext: uvtls.SecureContext,
    TLSSocket,
    Server,
    createSecurePair: uvtls.createSecurePair,
  };
}

// Routes the `tls` module through uvtls. Returns false (and changes nothing) when already
// installed.
function install() {
  if (saved) return false;
  // Loaded here, not at the top: lib/index.js requires this file.
  const uvtls = require('./index');
  // `https` and `http2` copy tls.Server and its prototype when they load; load them now so
  // they copy Node's, not the dispatcher.
  require('https');
  require('http2');
  const previous = {};
  const node = {};
  for (const name of ROUTED) {
    previous[name] = Object.getOwnPropertyDescriptor(nodeTls, name);
    node[name] = nodeTls[name];
  }
  const routed = makeRouted(uvtls, node);
  for (const name of ROUTED) {
    Object.defineProperty(nodeTls, name, {
      value: routed[name], writable: true, configurable: true, enumerable: true,
    });
  }
  saved = previous;
  installed = routed;
  return true;
}

// Puts back the properties install() replaced. Returns false when not installed. An entry that
// someone else replaced after install() (another library's patch) is theirs now: left as is.
function uninstall() {
  if (!saved) return false;
  for (const name of ROUTED) {
    if (nodeTls[name] !== installed[name]) continue;
    const descriptor = saved[name];
    if (descriptor) Object.defineProperty(nodeTls, name, descriptor);
    else delete nodeTls[name];
  }
  saved = null;
  installed = null;
  return true;
}

// True while the tls module is routed through uvtls.
function isInstalled() {
  return saved !== null;
}

module.exports = { install, uninstall, isInstalled, ROUTED, _installed: () => installed };
