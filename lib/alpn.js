'use strict';
// ALPN protocol lists in Node's accepted forms (array of strings/Buffers, or one Buffer /
// Uint8Array already in wire format) -> wire format: each name prefixed by its length.
const { withCode, invalidArgType, invalidArgValue } = require('./errors');

// The protocol list of a ClientHello's ALPN extension is at most 2^16 - 1 bytes (RFC 7301);
// OpenSSL refuses a longer one, and only once a connection is being set up.
const MAX_WIRE_LENGTH = 0xffff;

function alpnToWire(protocols, name = 'options.ALPNProtocols') {
  if (protocols === undefined || protocols === null) return undefined;
  let wire;
  if (ArrayBuffer.isView(protocols)) {
    // Copied: the caller may change its buffer later. Checked here, so a malformed list fails
    // the call that passed it and not, later, every connection that uses it.
    wire = Buffer.from(Buffer.from(protocols.buffer, protocols.byteOffset, protocols.byteLength));
    checkWire(wire, name, protocols);
  } else if (Array.isArray(protocols)) {
    const parts = [];
    for (const p of protocols) {
      const bytes = Buffer.from(p);
      if (bytes.length === 0 || bytes.length > 255) throw invalidArgValue(name, protocols, 'has a name that is empty or longer than 255 bytes');
      parts.push(Buffer.from([bytes.length]), bytes);
    }
    wire = Buffer.concat(parts);
  } else {
    throw invalidArgType(name, 'an instance of Array, Buffer, TypedArray, or DataView', protocols);
  }
  if (wire.length > MAX_WIRE_LENGTH) {
    throw withCode(new RangeError(`The byte length of ${name} must be <= ${MAX_WIRE_LENGTH}. ` +
      `Received ${wire.length}`), 'ERR_OUT_OF_RANGE');
  }
  return wire;
}

// Wire format: one or more names, each a length byte (1..255) followed by that many bytes.
function checkWire(wire, name, given) {
  let at = 0;
  while (at < wire.length) {
    const len = wire[at];
    if (len === 0 || at + 1 + len > wire.length) {
      throw invalidArgValue(name, given, 'is not a valid wire-format protocol list (each name is a ' +
        'length byte from 1 to 255 followed by that many bytes)');
    }
    at += 1 + len;
  }
}

module.exports = { alpnToWire };
