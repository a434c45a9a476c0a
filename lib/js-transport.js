'use strict';
// JsTransport: a TLS connection over any JS Duplex (a net.Socket for STARTTLS, connect({socket}),
// a server-side `new TLSSocket(duplex)`, a stream pair). The connection itself is the same native
// driver as a socket of its own (src/net/conn.c, in its `external` mode): this class only carries
// bytes between the duplex and the driver (`feed` what the duplex reads, write what OUTPUT
// events hand out) and answers for the duplex (addresses, flow control). Every handshake feature
// (SNI, ALPN, PSK, sessions, OCSP, keylog, timeouts, early writes) is the driver's, as it is for
// native sockets. Here ciphertext does pass through JavaScript: that is the point of wrapping a
// JS stream.
const binding = require('./binding');
const { EVENTS } = require('./events');

class JsTransport {
  // options: the Conn's (isServer, requestCert, rejectUnauthorized, servername, handshakeTimeout,
  // alpn, sniPause, ocspPause, resumePause, serverSessions, keylog).
  constructor(duplex, context, options) {
    this.onevent = null;
    this._duplex = duplex;
    this._conn = new binding.Conn(context.context, { ...options, external: true });
    this._conn.onevent = (kind, a, b) => this._onConnEvent(kind, a, b);
    this._closed = false;
    this._started = false;
    // A socket used for plain text first (STARTTLS) may have an encoding set: ciphertext must
    // reach the driver as raw bytes, so its decoder goes.
    const rs = duplex._readableState;
    if (rs && rs.decoder) {
      rs.decoder = null;
      rs.encoding = null;
    }
    this._onData = (chunk) => this._conn.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    this._onEnd = () => this._conn.feedEof();
    this._onError = (err) => this._emit(EVENTS.ERROR, err);
    this._onClose = () => this.close();
    duplex.on('data', this._onData);
    duplex.on('end', this._onEnd);
    duplex.on('error', this._onError);
    duplex.on('close', this._onClose);
  }

  start() {
    if (this._started) return;
    this._started = true;
    const begin = () => {
      if (!this._closed) this._conn.start();
    };
    // The handshake needs the peer's bytes even when the plain-text phase left the stream
    // paused (Node reads the socket's handle directly, whatever its JS flow state).
    if (this._duplex.isPaused && this._duplex.isPaused() && this._duplex.resume) this._duplex.resume();
    if (this._duplex.connecting) this._duplex.once('connect', begin);
    else process.nextTick(begin);
  }

  _emit(kind, a, b) {
    if (this._closed && kind !== EVENTS.CLOSE) return;
    if (this.onevent) this.onevent(kind, a, b);
  }

  _onConnEvent(kind, a, b) {
    const d = this._duplex;
    switch (kind) {
      case EVENTS.OUTPUT:
        if (!d.destroyed && d.writable) d.write(a);
        break;
      case EVENTS.OUTPUT_END:
        if (!d.destroyed && d.writable) d.end();
        break;
      case EVENTS.CLOSE:
        this._closed = true;
        if (this.onevent) this.onevent(EVENTS.CLOSE);
        break;
      default:
        this._emit(kind, a, b);
    }
  }

  write(data) { return this._conn.write(data); }
  shutdown() { if (!this._closed) this._conn.shutdown(); }

  close() {
    if (this._detached) return;
    this._detached = true;
    const d = this._duplex;
    d.removeListener('data', this._onData);
    d.removeListener('end', this._onEnd);
    d.removeListener('close', this._onClose);
    d.on('error', () => {}); // late transport errors have no one left to hear them
    if (!d.destroyed) d.destroy();
    // The driver stays readable until CLOSE, as for a native socket: a socket's getters
    // (getPeerCertificate, getCipher, servername, ...) between destroy() and 'close' answer.
    this._conn.close();
  }

  // PSK: the handshake calls `onpsk` on the Conn and leaves a thrown value as its `pskError`.
  get onpsk() { return this._conn.onpsk; }
  set onpsk(fn) { this._conn.onpsk = fn; }
  get pskError() { return this._conn.pskError; }
  set pskError(value) { this._conn.pskError = value; }

  readStart() {
    this._conn.readStart();
    if (this._duplex.isPaused && this._duplex.isPaused() && this._duplex.resume) this._duplex.resume();
  }

  readStop() {
    this._conn.readStop();
    if (this._duplex.pause) this._duplex.pause();
  }

  setTimeout(ms) { this._conn.setTimeout(ms); }
  setNoDelay(on) { if (this._duplex.setNoDelay) this._duplex.setNoDelay(on); }
  setKeepAlive(on, delay) { if (this._duplex.setKeepAlive) this._duplex.setKeepAlive(on, delay * 1000); }
  ref() { this._conn.ref(); if (this._duplex.ref) this._duplex.ref(); }
  unref() { this._conn.unref(); if (this._duplex.unref) this._duplex.unref(); }
  queued() { return this._conn.queued() + (this._duplex.writableLength || 0); }
  bytesRead() { return this._conn.bytesRead(); }
  bytesWritten() { return this._conn.bytesWritten(); }
  peername() {
    const d = this._duplex;
    return d.remoteAddress ? { address: d.remoteAddress, port: d.remotePort, family: d.remoteFamily } : undefined;
  }
  sockname() { return typeof this._duplex.address === 'function' ? this._duplex.address() : undefined; }
}

// Everything else a TLSSocket asks its handle (getters, settings, the ClientHello answer) is the
// driver's, as on a native socket.
for (const name of Object.getOwnPropertyNames(binding.Conn.prototype)) {
  if (name === 'constructor' || name in JsTransport.prototype) continue;
  if (typeof Object.getOwnPropertyDescriptor(binding.Conn.prototype, name).value !== 'function') continue;
  JsTransport.prototype[name] = function driverMethod(...args) {
    return this._conn[name](...args);
  };
}

module.exports = { JsTransport };
