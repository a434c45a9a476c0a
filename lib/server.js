'use strict';
// Server: net.Server's surface over the native listener. Connections live in C until their
// handshake is done; only then is a TLSSocket made for them, so a half-open client costs no JS.
const crypto = require('crypto');
const EventEmitter = require('events');
const dns = require('dns');
const net = require('net');
const os = require('os');
const util = require('util');
const binding = require('./binding');
const { EVENTS, SERVER_EVENTS } = require('./events');
const { alpnToWire } = require('./alpn');
const { TLSSocket, kNative, decorate, tlsKeylogFile, traceTlsFlag } = require('./socket');
const { createSecureContext, SecureContext } = require('./secure-context');
const { withCode, invalidArgType } = require('./errors');
const {
  serverHandshakeTimeout, serverHandshakeThreads, serverHandshakeOffload, validateInt32,
  shouldRejectUnauthorized,
} = require('./validators');

class Server extends EventEmitter {
  constructor(options, secureConnectionListener) {
    super();
    if (typeof options === 'function') {
      secureConnectionListener = options;
      options = {};
    }
    if (options === undefined || options === null) options = {};
    else if (typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    this._options = options;
    // net.Server's properties (Node's tls.Server passes these options on to it).
    this.allowHalfOpen = options.allowHalfOpen || false;
    this.pauseOnConnect = !!options.pauseOnConnect;
    this.requestCert = options.requestCert === true;
    this.rejectUnauthorized = shouldRejectUnauthorized(options);
    this._handshakeTimeout = serverHandshakeTimeout(options.handshakeTimeout);
    this._handshakeThreads = serverHandshakeThreads(options.handshakeThreads, binding.handshakeThreads);
    this._handshakeOffload = serverHandshakeOffload(options.handshakeOffload);
    this._context = options.secureContext || createSecureContext(serverContextOptions(options));
    this._handle = null;
    this._pipe = null;
    this._maxConnections = undefined;
    this._unref = false;
    this._sniContexts = []; // [regexp, SecureContext], searched newest first (as Node)
    this._secureSockets = new Set(); // open connections past their handshake (getConnectionsInfo)
    this._alpn = alpnToWire(options.ALPNProtocols);
    this._npn = alpnToWire(options.NPNProtocols, 'options.NPNProtocols');
    if (options.ALPNCallback !== undefined) {
      if (typeof options.ALPNCallback !== 'function') {
        throw invalidArgType('options.ALPNCallback', 'of type function', options.ALPNCallback);
      }
      if (options.ALPNProtocols !== undefined) {
        throw withCode(new TypeError('The ALPNCallback and ALPNProtocols TLS options are mutually exclusive'),
          'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS');
      }
    }
    if (options.pskCallback !== undefined && typeof options.pskCallback !== 'function') {
      throw invalidArgType('options.pskCallback', 'of type function', options.pskCallback);
    }
    if (options.SNICallback !== undefined && typeof options.SNICallback !== 'function') {
      throw invalidArgType('options.SNICallback', 'of type function', options.SNICallback);
    }
    applySessionOptions(this._context, options);
    setDefaultSessionIdContext(this._context, options);
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
    // As Node's tls.Server: a socket or any duplex handed over with emit('connection', socket)
    // (proxies, SNI routers, an HTTP CONNECT) is served like an accepted connection.
    this.on('connection', (socket) => this._serveDuplex(socket));
    // Keylog costs a callback per secret: collected only while someone listens.
    this.on('newListener', (event) => {
      if (event === 'keylog' && this._handle) this._handle.setKeylog(true);
      if (event === 'OCSPRequest' && this._handle) this._handle.setOcspPause(true);
      if (event === 'connection' && this._handle) this._handle.setReportAccept(true);
      if ((event === 'resumeSession' || event === 'newSession') && this._handle) {
        process.nextTick(() => this._applySessionEvents());
      }
    });
  }

  _serveDuplex(duplex) {
    if (duplex instanceof TLSSocket || duplex === null || typeof duplex !== 'object') return;
    const socket = new TLSSocket(duplex, {
      isServer: true,
      server: this,
      secureContext: this._context,
      requestCert: this.requestCert,
      rejectUnauthorized: this.rejectUnauthorized,
    });
    if (this.pauseOnConnect) socket.pause();
    this._boundSecurePending(socket);
  }

  // The driver settings of a connection this server serves over a JS stream: the same its own
  // listener gives the connections it accepts.
  _helloOptions() {
    return {
      handshakeTimeout: this._handshakeTimeout,
      alpn: this._alpn,
      sniPause: this._sniPause(),
      keylog: this.listenerCount('keylog') > 0,
      ocspPause: this.listenerCount('OCSPRequest') > 0,
      resumePause: this.listenerCount('resumeSession') > 0,
      serverSessions: this.listenerCount('newSession') > 0,
      trace: this._options.enableTrace === true || traceTlsFlag(),
    };
  }

  // The handshake timeout in ms, as Node reads the option (also bounds the wait for
  // 'newSession' callbacks).
  _handshakeTimeoutMs() {
    return this._handshakeTimeout;
  }

  // Handshakes pause at the ClientHello when JS must take part: choosing a context by host name,
  // or setting per-connection NPN and PSK before the handshake goes on.
  _sniPause() {
    const o = this._options;
    return typeof o.SNICallback === 'function' || this._sniContexts.length > 0 ||
      this.listenerCount('newSession') > 0 ||
      this._npn !== undefined || typeof o.pskCallback === 'function' ||
      typeof o.ALPNCallback === 'function';
  }

  // addContext(hostname, context): '*' matches one label; the most recently added match wins.
  addContext(hostname, context) {
    if (typeof hostname !== 'string') throw invalidArgType('hostname', 'of type string', hostname);
    const ctx = context instanceof SecureContext ? context : createSecureContext(context);
    const pattern = hostname.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*');
    this._sniContexts.push([new RegExp(`^${pattern}$`, 'i'), ctx]);
    if (this._handle) this._handle.setSniPause(true);
  }

  _findContext(servername) {
    if (!servername) return null;
    for (let i = this._sniContexts.length - 1; i >= 0; i--) {
      if (this._sniContexts[i][0].test(servername)) return this._sniContexts[i][1];
    }
    return null;
  }

  // The ClientHello paused in C: pick the context for its host name, then let it go on.
  _onClientHello(socket, conn, servername) {
    socket._serverPending = true;
    this._boundSecurePending(socket);
    let answered = false;
    const answer = (err, ctx) => {
      if (answered) return;
      answered = true;
      if (socket.destroyed || !socket._handle) return;
      if (err) {
        failHandshake(socket, err);
        return;
      }
      if (ctx !== undefined && ctx !== null && !(ctx instanceof SecureContext)) {
        // Node's error (and code) for anything but a SecureContext.
        failHandshake(socket, withCode(new TypeError('Invalid SNI context'), 'ERR_TLS_INVALID_CONTEXT',
          'The SNICallback must answer with a context from tls.createSecureContext(), or null.'));
        return;
      }
      // A context with no certificate cannot serve the handshake, which fails as OpenSSL fails
      // it (the client gets the alert); the server reports it as the running Node does.
      if (ctx && ctx.context.getCertificateDER(false) === null) socket._sniContextWithoutCert = true;
      let prepareError;
      try {
        this._prepareConn(socket, conn, servername);
      } catch (e) {
        prepareError = e;
      }
      if (prepareError !== undefined) {
        failHandshake(socket, prepareError);
        return;
      }
      // socket.setKeyCert() called during the pause (from the ALPNCallback) picks the context.
      this._lookupSession(socket, conn, () =>
        this._stapleThenResume(socket, conn, socket._keyCertContext || ctx || this._context));
    };
    if (!this._options.SNICallback && this._sniContexts.length === 0) return answer(null, null);
    const callback = this._options.SNICallback;
    if (typeof callback !== 'function') return answer(null, this._findContext(servername));
    try {
      callback(servername || '', (err, ctx) => answer(err, ctx || this._findContext(servername)));
    } catch (err) {
      // A throwing SNICallback fails this handshake. Anything thrown once the callback has
      // answered (a 'tlsClientError' listener, the rest of the handshake's JS) is not the
      // callback's failure: it propagates, as in Node.
      if (answered) throw err;
      answer(err);
    }
  }

  // The handshake timer in C stops when the handshake completes there, but 'secure' also waits
  // for every 'newSession' callback: one that never calls back would hold the connection
  // forever. handshakeTimeout bounds that wait as in Node ('tlsClientError'
  // ERR_TLS_HANDSHAKE_TIMEOUT), and the connection closes (Node leaves it open).
  _boundSecurePending(socket) {
    const ms = this._handshakeTimeout;
    if (this.listenerCount('newSession') === 0) return;
    const timer = setTimeout(() => {
      if (socket.destroyed || !socket._serverPending) return;
      const err = withCode(new Error('TLS handshake timeout'), 'ERR_TLS_HANDSHAKE_TIMEOUT',
        "The application's 'newSession' listener did not call its callback within " +
        '`handshakeTimeout`; call it once the session is stored (or on failure).');
      err.stage = 'handshake';
      failHandshake(socket, err);
    }, ms);
    const clear = () => clearTimeout(timer);
    socket.once('secure', clear);
    socket.once('close', clear);
  }

  // An external session cache (TLS 1.2 session ids): 'resumeSession' pauses handshakes that
  // carry a session id; 'newSession' needs the socket before the handshake ends.
  _applySessionEvents() {
    if (!this._handle) return;
    const newSession = this.listenerCount('newSession') > 0;
    this._handle.setSessionCache(this.listenerCount('resumeSession') > 0, newSession);
    if (newSession) this._handle.setSniPause(true);
  }

  // 'resumeSession'(id, callback(err, sessionData)): the application's cache lookup.
  _lookupSession(socket, conn, then) {
    const id = conn.helloSessionId();
    if (!id || this.listenerCount('resumeSession') === 0) return then();
    let answered = false;
    try {
      this.emit('resumeSession', id, (err, data) => {
        if (answered) return;
        answered = true;
        if (socket.destroyed || !socket._handle) return;
        if (err) return failHandshake(socket, err);
        if (data) conn.setResumeSession(data);
        then();
      });
    } catch (err) {
      if (answered) throw err; // from what ran after the answer: propagates
      answered = true;
      failHandshake(socket, err);
    }
  }

  // Per-connection settings that must be in place before the handshake goes on.
  _prepareConn(socket, conn, servername) {
    if (this._options.enableTrace === true || traceTlsFlag()) conn.enableTrace();
    if (this._npn) conn.setNPNProtocols(this._npn);
    if (typeof this._options.ALPNCallback === 'function') this._chooseAlpn(socket, conn, servername);
    const pskCallback = this._options.pskCallback;
    if (typeof pskCallback === 'function') {
      // Called inside the handshake: (socket, identity) -> key Buffer, or null to refuse.
      conn.onpsk = (identity) => {
        const key = pskCallback(socket, identity);
        if (key === null || key === undefined) return null;
        if (!ArrayBuffer.isView(key)) throw invalidArgType('pskCallback return value', 'an instance of Buffer, TypedArray, or DataView', key);
        return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
      };
      try {
        conn.enablePsk(this._options.pskIdentityHint);
      } catch (err) {
        // OpenSSL refuses a hint over 128 bytes; Node's code and words for it.
        if (err && err.code === 'ERR_INVALID_ARG_VALUE') throw err;
        throw withCode(new Error('Failed to set PSK identity hint'), 'ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED',
          'The pskIdentityHint is too long for OpenSSL (at most 128 bytes).');
      }
    }
  }

  // ALPNCallback({servername, protocols}) picks one of the client's protocols; undefined refuses
  // them all (no_application_protocol). Not called when the client offers none.
  // As Node, the callback runs with the socket as `this` (it may call this.setKeyCert()).
  _chooseAlpn(socket, conn, servername) {
    const wire = conn.helloALPN();
    if (!wire) return;
    const protocols = [];
    for (let i = 0; i < wire.length; i += 1 + wire[i]) protocols.push(wire.toString('latin1', i + 1, i + 1 + wire[i]));
    const chosen = this._options.ALPNCallback.call(socket, { servername, protocols });
    if (chosen === undefined) {
      conn.setALPNProtocols(Buffer.alloc(0));
    } else if (typeof chosen === 'string' && protocols.includes(chosen)) {
      conn.setALPNProtocols(alpnToWire([chosen]));
    } else {
      throw withCode(new TypeError('ALPN callback returned a value that is not one of the ' +
        `client's protocols: ${String(chosen)}`), 'ERR_TLS_ALPN_CALLBACK_INVALID_RESULT');
    }
  }

  // 'OCSPRequest'(certificate, issuer, callback): the response to staple, fetched by the
  // application while the handshake waits.
  _stapleThenResume(socket, conn, ctx) {
    const resume = () => {
      if (!socket.destroyed && socket._handle) conn.resumeHello(ctx === this._context ? null : ctx.context);
    };
    if (this.listenerCount('OCSPRequest') === 0 || !conn.helloOCSPRequested()) return resume();
    const certificate = ctx.context.getCertificateDER(false);
    const issuer = ctx.context.getCertificateDER(true);
    let answered = false;
    try {
      this.emit('OCSPRequest', certificate, issuer, (err, response) => {
        if (answered) return;
        answered = true;
        if (socket.destroyed || !socket._handle) return;
        if (err) return failHandshake(socket, err);
        if (response) conn.setOCSPResponse(response);
        resume();
      });
    } catch (err) {
      // A throwing listener ends this handshake (tlsClientError), not the server; what throws
      // after its answer propagates.
      if (answered) throw err;
      answered = true;
      failHandshake(socket, err);
    }
  }

  // Node's deprecated setOptions() (DEP0122): copies the options onto the server as Node does.
  // requestCert and rejectUnauthorized take effect for connections of a later listen(); the
  // context options (key, cert, ...) are only stored, as in Node (setSecureContext() applies
  // them).
  setOptions(options) {
    warnSetOptions();
    this.requestCert = options.requestCert === true;
    this.rejectUnauthorized = shouldRejectUnauthorized(options);
    for (const name of ['pfx', 'key', 'passphrase', 'cert', 'clientCertEngine', 'ca', 'minVersion',
      'maxVersion', 'secureProtocol', 'crl', 'ciphers', 'dhparam', 'sessionTimeout', 'ticketKeys',
      'pskCallback', 'pskIdentityHint', 'sigalgs']) {
      if (options[name]) this[name] = options[name];
    }
    for (const name of ['ecdhCurve', 'privateKeyIdentifier', 'privateKeyEngine']) {
      if (options[name] !== undefined) this[name] = options[name];
    }
    this.honorCipherOrder = options.honorCipherOrder !== undefined ? !!options.honorCipherOrder : true;
    if (options.secureOptions) this.secureOptions = options.secureOptions;
    if (options.ALPNProtocols) this.ALPNProtocols = alpnToWire(options.ALPNProtocols);
    this.sessionIdContext = options.sessionIdContext || this.sessionIdContext;
  }

  // events.captureRejections: a rejected async 'secureConnection' listener destroys that
  // socket with the error; any other event's rejection is the server's 'error' (as net.Server).
  [EventEmitter.captureRejectionSymbol](err, event, socket) {
    if (event === 'secureConnection' || event === 'connection') {
      socket.destroy(err);
    } else {
      this.emit('error', err);
    }
  }

  getTicketKeys() {
    return this._context.context.getTicketKeys();
  }

  setTicketKeys(keys) {
    if (!ArrayBuffer.isView(keys)) throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', keys);
    if (keys.byteLength !== 48) {
      throw withCode(new RangeError('Session ticket keys must be a 48-byte buffer'), 'ERR_INVALID_ARG_VALUE');
    }
    this._context.context.setTicketKeys(keys);
  }

  get listening() { return this._handle !== null && this._listening === true; }

  get maxConnections() { return this._maxConnections; }
  set maxConnections(n) {
    this._maxConnections = n;
    if (this._handle) this._handle.setMaxConnections(typeof n === 'number' ? n : -1);
  }

  // getConnectionInfo() of every open connection whose handshake is done.
  getConnectionsInfo() {
    const out = [];
    for (const socket of this._secureSockets) out.push(socket.getConnectionInfo());
    return out;
  }

  get connections() { return this._handle ? this._handle.connections() : 0; }

  getConnections(callback) {
    const n = this.connections;
    process.nextTick(callback, null, n);
    return this;
  }

  setSecureContext(options) {
    this._context = createSecureContext(serverContextOptions(options));
    applySessionOptions(this._context, options);
    setDefaultSessionIdContext(this._context, options);
    if (this._handle) this._handle.setContext(this._context.context);
  }

  listen(...args) {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    let opts = {};
    if (args[0] !== null && typeof args[0] === 'object') {
      opts = args[0];
    } else if (typeof args[0] === 'string' && !/^\d+$/.test(args[0])) {
      opts = { path: args[0], backlog: args[1] };
    } else {
      opts = { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined,
        backlog: typeof args[1] === 'number' ? args[1] : args[2] };
    }
    if (callback) this.once('listening', callback);
    if (this._handle) throw withCode(new Error('Listen method has been called more than once without closing.'), 'ERR_SERVER_ALREADY_LISTEN');
    const o = this._options;
    const makeHandle = () => {
      const h = new binding.Server(this._context.context, {
        requestCert: this.requestCert,
        rejectUnauthorized: this.rejectUnauthorized,
        handshakeTimeout: this._handshakeTimeout,
        maxConnections: typeof this._maxConnections === 'number' ? this._maxConnections : undefined,
        noDelay: !!o.noDelay,
        keepAlive: !!o.keepAlive,
        keepAliveInitialDelay: o.keepAliveInitialDelay || 0,
        pipe: opts.path !== undefined,
        ipv6Only: !!opts.ipv6Only,
        reusePort: reusePortFor(opts, o),
        handshakeThreads: this._handshakeThreads,
        offloadAlways: this._handshakeOffload === 'always',
      });
      h.onevent = (kind, a, b) => this._onEvent(kind, a, b);
      this._handle = h;
      if (this._unref) h.unref();
      if (this._alpn) h.setALPNProtocols(this._alpn);
      if (this._sniPause()) h.setSniPause(true);
      if (this.listenerCount('keylog') > 0 || tlsKeylogFile()) h.setKeylog(true);
      if (this.listenerCount('OCSPRequest') > 0) h.setOcspPause(true);
      // Beyond our own listener (for handed-over duplexes), someone wants 'connection'.
      if (this.listenerCount('connection') > 1) h.setReportAccept(true);
      if (o.enableTrace === true || traceTlsFlag()) h.setTrace(true);
      this._applySessionEvents();
      return h;
    };
    let handle = makeHandle();
    const backlog = opts.backlog || 511;
    const fail = (err) => {
      listenError(err, opts.path !== undefined ? opts.path : err.address, opts.path !== undefined ? undefined : Number(opts.port) || 0);
      this._handle = null;
      handle.close();
      process.nextTick(() => this.emit('error', err));
    };
    const bind = (address) => {
      try {
        if (opts.path !== undefined) {
          handle.listenPipe(opts.path, backlog);
          this._pipe = opts.path;
        } else {
          handle.listen(address, Number(opts.port) || 0, backlog);
        }
      } catch (err) {
        if (err.address === undefined) err.address = address;
        return fail(err);
      }
      this._listening = true;
      process.nextTick(() => this.emit('listening'));
    };
    if (opts.path !== undefined) {
      bind();
    } else if (opts.host === undefined || opts.host === null) {
      // Like net.Server: all IPv6 addresses (dual stack), or all IPv4 where IPv6 is missing.
      try {
        handle.listen('::', Number(opts.port) || 0, backlog);
        this._listening = true;
        process.nextTick(() => this.emit('listening'));
      } catch (err) {
        if (err.code === 'EADDRINUSE') { err.address = '::'; return fail(err); }
        // IPv4 on a fresh handle: the failed one holds a socket of the IPv6 family (with
        // reusePort, one already opened), on which an IPv4 bind fails with EINVAL or EBUSY.
        handle.onevent = null;
        handle.close();
        handle = makeHandle();
        bind('0.0.0.0');
      }
    } else if (net.isIP(opts.host)) {
      bind(opts.host);
    } else {
      dns.lookup(opts.host, (err, address) => (err ? fail(err) : bind(address)));
    }
    return this;
  }

  _onEvent(kind, a, b) {
    switch (kind) {
      case SERVER_EVENTS.CLIENT_HELLO: {
        const socket = this._socketFor(a);
        this._onClientHello(socket, a, b);
        break;
      }
      case SERVER_EVENTS.CONNECTION: {
        // Node's 'connection', at accept, before the handshake (a listener may destroy() the
        // socket, e.g. to refuse an address). The socket hears its own handshake from now on:
        // it is the server's until secure, as after a ClientHello pause.
        const socket = this._socketFor(a, { atAccept: true });
        socket._serverPending = true;
        this._boundSecurePending(socket);
        this.emit('connection', socket);
        break;
      }
      case SERVER_EVENTS.SECURE: {
        const socket = this._socketFor(a);
        socket._onSecure();
        this.emit('secureConnection', socket);
        break;
      }
      case SERVER_EVENTS.CLIENT_ERROR: {
        const socket = this._socketFor(b);
        if (this.listenerCount('tlsClientError') > 0) this.emit('tlsClientError', decorate(a, socket), socket);
        break;
      }
      case SERVER_EVENTS.ERROR:
        this.emit('error', a);
        break;
      case SERVER_EVENTS.CLOSE:
        this._handle = null;
        this._listening = false;
        this.emit('close');
        break;
      default:
        break;
    }
  }

  _socketFor(conn, { atAccept = false } = {}) {
    const socket = new TLSSocket({ [kNative]: conn }, {
      isServer: true,
      server: this,
      requestCert: this.requestCert,
      rejectUnauthorized: this.rejectUnauthorized,
      allowHalfOpen: !!this.allowHalfOpen,
    });
    if (this.pauseOnConnect && !atAccept) {
      // As Node's tls.Server: the socket starts paused (no 'data' until it is resumed). What
      // arrives meanwhile is buffered up to the stream's highWaterMark, then reading stops
      // (backpressure); the peer's end still reaches 'end', as in Node.
      socket.pause();
    }
    return socket;
  }

  address() {
    if (this._pipe) return this._pipe;
    return this._handle ? this._handle.address() : null;
  }

  close(callback) {
    if (typeof callback === 'function') {
      if (!this._handle) {
        process.nextTick(callback, withCode(new Error('Server is not running.'), 'ERR_SERVER_NOT_RUNNING'));
      } else {
        this.once('close', callback);
      }
    }
    if (this._handle) {
      this._listening = false;
      this._handle.close();
    }
    return this;
  }

  ref() {
    this._unref = false;
    if (this._handle) this._handle.ref();
    return this;
  }

  unref() {
    this._unref = true;
    if (this._handle) this._handle.unref();
    return this;
  }
}

let setOptionsWarned = false;
function warnSetOptions() {
  if (setOptionsWarned) return;
  setOptionsWarned = true;
  process.emitWarning('Server.prototype.setOptions() is deprecated', 'DeprecationWarning', 'DEP0122');
}

// Fails a handshake paused in JS: 'tlsClientError' (from the socket), then the connection
// closes. A listener that throws does not keep the connection open; its exception propagates.
function failHandshake(socket, err) {
  try {
    socket._onEvent(EVENTS.ERROR, err);
  } finally {
    if (!socket.destroyed) socket.destroy();
  }
}

// Node's cluster shares a port among workers by handing out net handles from the primary; the
// native listener cannot take part in that, so a cluster worker listening on a fixed TCP port
// shares it through SO_REUSEPORT instead (the kernel spreads connections over the workers).
// `exclusive: true` or an explicit `reusePort: false` opts out, as does port 0 (each worker
// would get a port of its own, unlike Node, where workers share the primary's random port).
function reusePortFor(opts, o) {
  const explicit = opts.reusePort !== undefined ? opts.reusePort : o.reusePort;
  if (explicit !== undefined) return !!explicit;
  if (opts.path !== undefined || opts.exclusive || !Number(opts.port)) return false;
  return require('cluster').isWorker === true;
}

// net.Server's form: "listen EADDRINUSE: address already in use 127.0.0.1:443", with errno,
// syscall, address and port fields, plus a hint.
function listenError(err, address, port) {
  if (!(err instanceof Error)) return err;
  const errno = os.constants.errno[err.code];
  if (errno === undefined) return err;
  const where = port === undefined ? address : `${address}:${port}`;
  const described = util.getSystemErrorMap().get(-errno);
  err.message = `listen ${err.code}: ${described ? described[1] : err.code} ${where}`;
  err.errno = -errno;
  err.syscall = 'listen';
  err.address = address;
  if (port !== undefined) err.port = port;
  if (err.code === 'EADDRINUSE') {
    err.hint = `Something already listens on ${where}; stop it, choose another port (0 picks a ` +
      'free one), or set `reusePort: true` on every server meant to share it.';
  } else if (err.code === 'EACCES') {
    err.hint = `No permission to listen on ${where}; ports below 1024 need privileges.`;
  }
  return err;
}

// ticketKeys / sessionTimeout belong to the context the server hands out tickets with.
function applySessionOptions(context, options) {
  if (options.ticketKeys !== undefined) {
    if (!ArrayBuffer.isView(options.ticketKeys)) {
      throw invalidArgType('options.ticketKeys', 'an instance of Buffer, TypedArray, or DataView', options.ticketKeys);
    }
    if (options.ticketKeys.byteLength !== 48) {
      throw withCode(new TypeError("The property 'options.ticketKeys' must be exactly 48 bytes. " +
        `Received ${options.ticketKeys.byteLength} bytes`), 'ERR_INVALID_ARG_VALUE');
    }
    context.context.setTicketKeys(options.ticketKeys);
  }
  if (options.sessionTimeout !== undefined) {
    validateInt32(options.sessionTimeout, 'options.sessionTimeout', 0);
    context.context.setSessionTimeout(options.sessionTimeout);
  }
}

// Sessions are only resumed by the server (process) that made them unless told otherwise: the
// same default context id Node derives from the command line.
function setDefaultSessionIdContext(context, options) {
  if (options.secureContext || options.sessionIdContext !== undefined) return;
  const id = crypto.createHash('sha1').update(process.argv.join(' ')).digest('hex').slice(0, 32);
  context.context.setSessionIdContext(id);
}

// A server prefers its own cipher order unless told otherwise, as Node's does.
function serverContextOptions(options) {
  if (options.honorCipherOrder !== undefined) return options;
  return { ...options, honorCipherOrder: true };
}

// Classic code calls `tls.Server(options, listener)` without `new`, as Node allows; a class
// cannot be called, so the export forwards such a call to `new`. Subclassing and instanceof work
// on it as on the class.
const CallableServer = new Proxy(Server, {
  apply(target, thisArg, args) {
    return new target(...args);
  },
});

function createServer(options, listener) {
  return new Server(options, listener);
}

module.exports = { Server: CallableServer, createServer };
