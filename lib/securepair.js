'use strict';
// SecurePair: the classic API. One engine; `encrypted` carries TLS records to and from a
// transport, `cleartext` carries application data. Nothing here does I/O: pipe `encrypted` to a
// socket (or to another pair) and the engine does the rest.
const { Duplex } = require('stream');
const EventEmitter = require('events');
const binding = require('./binding');
const { createSecureContext, SecureContext } = require('./secure-context');
const { sideHint, withCode } = require('./errors');

const { HANDSHAKING, ERROR } = binding.states;

class CleartextStream extends Duplex {
  constructor(pair) {
    // Like a net.Socket: when the peer ends, we end too (sending our close_notify).
    super({ allowHalfOpen: false });
    this._pair = pair;
    this._pendingWrites = []; // written before the handshake finished
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
  }

  _write(chunk, encoding, callback) {
    if (!this._pair._secure) {
      this._pendingWrites.push([chunk, callback]);
      return;
    }
    this._pair._writeClear(chunk, callback);
  }

  _final(callback) {
    this._pair._endClear(callback);
  }

  _read() {
    this._pair._clearWanted();
  }

  _destroy(err, callback) {
    this._pair._teardown();
    const pending = this._pendingWrites;
    this._pendingWrites = [];
    // Every write callback runs exactly once, with an error after destroy.
    for (const [, cb] of pending) cb(err || destroyedError());
    callback(err);
  }

  getPeerCertificate(detailed) {
    const engine = this._pair._engine;
    if (!engine) return null;
    return engine.getPeerCertificate(!!detailed) || {};
  }

  getCertificate() {
    const engine = this._pair._engine;
    if (!engine) return null;
    return engine.getCertificate() || {};
  }

  getCipher() {
    const engine = this._pair._engine;
    return engine ? engine.getCipher() : undefined;
  }

  getProtocol() {
    const engine = this._pair._engine;
    return engine ? engine.getProtocol() : null;
  }

  getSession() {
    const engine = this._pair._engine;
    return engine ? engine.getSession() : undefined;
  }

  isSessionReused() {
    const engine = this._pair._engine;
    return engine ? engine.isSessionReused() : false;
  }

  get servername() {
    const engine = this._pair._engine;
    return engine ? engine.getServername() : null;
  }
}

class EncryptedStream extends Duplex {
  constructor(pair) {
    super({ allowHalfOpen: true });
    this._pair = pair;
  }

  _write(chunk, encoding, callback) {
    this._pair._feedCipher(chunk, callback);
  }

  _final(callback) {
    this._pair._feedEof();
    callback();
  }

  _read() {
    this._pair._cipherWanted();
  }

  _destroy(err, callback) {
    this._pair._teardown();
    callback(err);
  }
}

function writeAfterEndError() {
  const err = new Error('write after end');
  err.code = 'ERR_STREAM_WRITE_AFTER_END';
  err.stage = 'write';
  err.hint = 'The cleartext side was already ended (or the peer closed); open a new connection.';
  return err;
}

function destroyedError() {
  const err = new Error('Cannot call write after a stream was destroyed');
  err.code = 'ERR_STREAM_DESTROYED';
  err.stage = 'write';
  return err;
}

class SecurePair extends EventEmitter {
  constructor(context, isServer, requestCert, rejectUnauthorized, options) {
    super();
    options = options || {};
    if (context === undefined || context === null) context = createSecureContext();
    if (!(context instanceof SecureContext)) {
      // Node's classic pair: its own code and words.
      throw withCode(new TypeError('context must be a SecureContext'), 'ERR_TLS_INVALID_CONTEXT');
    }
    this.server = options.server;
    this.credentials = context;
    this._isServer = !!isServer;
    // Stricter than the classic API (which did not verify unless asked): only a literal `false`
    // lets an unverified peer through.
    this._rejectUnauthorized = rejectUnauthorized !== false;
    this._requestCert = !!requestCert;
    this._engine = new binding.Engine(context.context, {
      isServer: this._isServer,
      requestCert: this._requestCert,
      rejectUnauthorized: this._rejectUnauthorized,
      servername: this._isServer ? undefined : options.servername,
    });
    this._secure = false;
    this._failed = false;
    this._clearEnded = false;     // cleartext 'end' pushed
    this._cipherEnded = false;    // encrypted 'end' pushed
    this._clearPaused = false;    // cleartext reader is full
    this._cipherPaused = false;   // encrypted reader is full
    this._heldFeed = null;        // encrypted write callback held for backpressure
    this._heldWrites = [];        // cleartext write callbacks held for backpressure
    this.cleartext = new CleartextStream(this);
    this.encrypted = new EncryptedStream(this);
    // A client speaks first: produce the ClientHello once listeners are attached.
    process.nextTick(() => this._cycle());
  }

  destroy() {
    this.cleartext.destroy();
    this.encrypted.destroy();
  }

  // --- data paths ---------------------------------------------------------------------------

  _feedCipher(chunk, callback) {
    // After a failure or teardown the peer may still send (its last flight, an alert); that
    // ciphertext has nowhere to go and is dropped, not turned into a second error.
    if (!this._engine || this._failed) return callback();
    this._engine.feed(chunk);
    this._cycle();
    // Backpressure: while the cleartext reader is full, hold the transport's write callback so
    // it stops sending us ciphertext.
    if (this._clearPaused && !this._failed) this._heldFeed = callback;
    else callback();
  }

  _feedEof() {
    if (!this._engine) return;
    this._engine.feedEof();
    this._cycle();
  }

  _writeClear(chunk, callback) {
    if (!this._engine) return callback(destroyedError());
    const n = this._engine.write(chunk);
    if (n < 0) {
      const err = this._engine.error() || writeAfterEndError();
      this._cycle();
      return callback(err);
    }
    this._flushCipher();
    if (this._cipherPaused) this._heldWrites.push(callback);
    else callback();
  }

  _endClear(callback) {
    if (!this._engine) return callback();
    this._engine.shutdown();
    this._flushCipher();
    // We said close_notify: the transport can end its write side, as Node's TLSSocket does.
    this._endCipher();
    callback();
  }

  _clearWanted() {
    this._clearPaused = false;
    this._readClear();
    if (!this._clearPaused && this._heldFeed) {
      const cb = this._heldFeed;
      this._heldFeed = null;
      cb();
    }
  }

  _cipherWanted() {
    this._cipherPaused = false;
    this._flushCipher();
    while (!this._cipherPaused && this._heldWrites.length > 0) this._heldWrites.shift()();
  }

  // --- the engine loop ----------------------------------------------------------------------

  _cycle() {
    const engine = this._engine;
    if (!engine) return;
    let state = engine.state();
    if (state === HANDSHAKING) state = engine.handshake();
    this._flushCipher(); // the next flight, or an alert
    if (state === ERROR) return this._fail(engine.error());
    if (!this._secure && state !== HANDSHAKING) this._onSecure();
    if (this._secure) this._readClear();
  }

  _onSecure() {
    const engine = this._engine;
    this._secure = true;
    const clear = this.cleartext;
    if (this._isServer && !this._requestCert) {
      // Nothing was asked of the client, so nothing is authorized or in error (as Node).
      clear.authorized = false;
      clear.authorizationError = null;
    } else {
      const verifyError = engine.verifyError();
      clear.authorized = verifyError === null;
      clear.authorizationError = verifyError === null ? null : verifyError.code;
    }
    this.emit('secure');
    clear.emit('secure');
    if (!this._engine) return; // destroyed by a 'secure' listener
    const pending = clear._pendingWrites;
    clear._pendingWrites = [];
    for (const [chunk, cb] of pending) this._writeClear(chunk, cb);
  }

  _readClear() {
    while (this._engine && !this._clearPaused && !this._clearEnded) {
      const data = this._engine.read();
      if (this._engine.state() === ERROR) return this._fail(this._engine.error());
      if (data === null) break;
      if (data === false) {
        this._clearEnded = true;
        this.cleartext.push(null);
        break;
      }
      if (!this.cleartext.push(data)) this._clearPaused = true;
    }
    this._flushCipher(); // reading may answer the peer (key updates)
  }

  _flushCipher() {
    const engine = this._engine;
    if (!engine || this._cipherEnded) return;
    while (!this._cipherPaused) {
      const out = engine.take();
      if (out === null) break;
      if (!this.encrypted.push(out)) this._cipherPaused = true;
    }
  }

  _endCipher() {
    if (this._cipherEnded) return;
    this._cipherEnded = true;
    this.encrypted.push(null);
  }

  _fail(err) {
    if (this._failed) return;
    this._failed = true;
    sideHint(err, { isServer: this._isServer });
    // Let the peer read our alert before the transport ends.
    this._flushCipher();
    this._endCipher();
    const held = [this._heldFeed, ...this._heldWrites].filter(Boolean);
    this._heldFeed = null;
    this._heldWrites = [];
    for (const cb of held) cb(err);
    // The classic API reports on the pair; Node's newer one on `cleartext`. A pair listener
    // takes it; otherwise cleartext errors (and, unheard, throws like any unhandled 'error').
    // Counting cleartext's listeners would not work: pipe() adds hidden ones.
    if (this.listenerCount('error') > 0) {
      this.emit('error', err);
      this.cleartext.destroy();
    } else {
      this.cleartext.destroy(err);
    }
  }

  _teardown() {
    const engine = this._engine;
    if (!engine) return;
    if (!this._cipherEnded && !this._failed) {
      this._flushCipher();
      this._endCipher();
    }
    this._engine = null;
    engine.destroy();
    if (!this.cleartext.destroyed) this.cleartext.destroy();
    if (!this.encrypted.destroyed && this._cipherEnded && this.encrypted.readableEnded) {
      this.encrypted.destroy();
    }
  }
}

// Node deprecated it (DEP0064) and removed it in Node 24; uvtls keeps it, and warns once, as
// Node did while it had it.
let deprecationWarned = false;
function createSecurePair(context, isServer, requestCert, rejectUnauthorized, options) {
  if (!deprecationWarned) {
    deprecationWarned = true;
    process.emitWarning('tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead.',
      'DeprecationWarning', 'DEP0064');
  }
  return new SecurePair(context, isServer, requestCert, rejectUnauthorized, options);
}

module.exports = { SecurePair, createSecurePair };
