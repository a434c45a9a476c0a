'use strict';
// ALPN protocol lists in Node's accepted forms (array of strings/Buffers, or one Buffer /
// Uint8Array already in wire format) -> wire format: each name prefixed by its length.
const { invalidArgType, invalidArgValue } = require('./errors');

function alpnToWire(protocols, name = 'options.ALPNProtocols') {
  if (protocols === undefined || protocols === null) return undefined;
  if (ArrayBuffer.isView(protocols)) return Buffer.from(protocols.buffer, protocols.byteOffset, protocols.byteLength);
  if (!Array.isArray(protocols)) {
    throw invalidArgType(name, 'an instance of Array, Buffer, TypedArray, or DataView', protocols);
  }
  const parts = [];
  for (const p of protocols) {
    const bytes = Buffer.from(p);
    if (bytes.length === 0 || bytes.length > 255) throw invalidArgValue(name, protocols, 'has a name that is empty or longer than 255 bytes');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  return Buffer.concat(parts);
}

module.exports = { alpnToWire };
