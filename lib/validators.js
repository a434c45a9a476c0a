'use strict';
// Number and type checks with Node's codes and messages (lib/internal/validators in Node):
// ERR_INVALID_ARG_TYPE for a value of the wrong type, ERR_OUT_OF_RANGE for a number outside
// its range. A value is never cast before it is checked: `2 ** 32 + 16` must not become 16.
const { inspect } = require('util');
const { withCode, invalidArgType, notOneOf } = require('./errors');

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;
// The longest timer libuv and Node's timers take (2^31 - 1 ms, about 24.8 days).
const TIMEOUT_MAX = INT32_MAX;

// 4294967312 -> 4_294_967_312, as Node shows large integers in range errors.
function withSeparators(text) {
  const sign = text.startsWith('-') ? '-' : '';
  let digits = sign ? text.slice(1) : text;
  let out = '';
  while (digits.length > 3) {
    out = `_${digits.slice(-3)}${out}`;
    digits = digits.slice(0, -3);
  }
  return `${sign}${digits}${out}`;
}

function outOfRange(name, range, value) {
  const shown = Number.isInteger(value) && Math.abs(value) > 2 ** 32
    ? withSeparators(String(value)) : inspect(value);
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. ` +
    `Received ${shown}`), 'ERR_OUT_OF_RANGE');
}

function validateNumberType(value, name) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
}

function validateInteger(value, name, min, max) {
  validateNumberType(value, name);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

const validateInt32 = (value, name, min = INT32_MIN, max = INT32_MAX) =>
  validateInteger(value, name, min, max);
const validateUint32 = (value, name, positive = false) =>
  validateInteger(value, name, positive ? 1 : 0, UINT32_MAX);

// A timer duration in milliseconds, as Node's socket.setTimeout() takes one: a non-negative
// finite number; beyond what a timer holds it is clamped with Node's TimeoutOverflowWarning.
function validateTimerDuration(value, name) {
  validateNumberType(value, name);
  if (!Number.isFinite(value) || value < 0) {
    throw outOfRange(name, 'a non-negative finite number', value);
  }
  if (value > TIMEOUT_MAX) {
    process.emitWarning(`${value} does not fit into a 32-bit signed integer.\n` +
      `Timer duration was truncated to ${TIMEOUT_MAX}.`, 'TimeoutOverflowWarning');
    return TIMEOUT_MAX;
  }
  return Math.trunc(value);
}

// A server's handshakeTimeout, read as Node reads it: absent or falsy (0, NaN, null) means
// the default of 120 s; anything but a number is refused. Stricter than Node: a negative value or one beyond
// what a timer holds is refused (Node turns them into 1 ms or clamps them with a warning).
const DEFAULT_SERVER_HANDSHAKE_TIMEOUT = 120000;

function serverHandshakeTimeout(value) {
  if (!value) return DEFAULT_SERVER_HANDSHAKE_TIMEOUT; // Node: `handshakeTimeout || 120000`
  validateNumberType(value, 'options.handshakeTimeout');
  if (!(value > 0) || value > TIMEOUT_MAX) {
    throw outOfRange('options.handshakeTimeout', `> 0 && <= ${TIMEOUT_MAX}`, value);
  }
  return Math.ceil(value);
}

// How many threads run a server's handshake steps (docs/performance.md, "Handshakes on every
// core"): `handshakeThreads` when given (0 or false: all on the event loop), else the
// UVTLS_HANDSHAKE_THREADS environment variable (for programs started with uvtls/register, whose
// options name no such thing), else one per core (none on a single core).
function serverHandshakeThreads(value, limits) {
  if (value === false) return 0;
  if (value === undefined) {
    const env = process.env.UVTLS_HANDSHAKE_THREADS;
    if (env === undefined || env === '') return limits.default;
    return validateInteger(Number(env), 'UVTLS_HANDSHAKE_THREADS', 0, limits.max);
  }
  return validateInteger(value, 'options.handshakeThreads', 0, limits.max);
}

// Which handshake steps go to those threads: 'when-busy' (the default) keeps the first costly
// step of each event-loop turn on the loop thread, where it costs least; 'always' hands every
// one over, so that handshake arithmetic never delays the loop (at some CPU per handshake).
const HANDSHAKE_OFFLOAD = ['when-busy', 'always'];
function serverHandshakeOffload(value) {
  if (value === undefined) return 'when-busy';
  if (!HANDSHAKE_OFFLOAD.includes(value)) throw notOneOf('options.handshakeOffload', value, HANDSHAKE_OFFLOAD);
  return value;
}

// The one rule for whether a peer's certificate is verified (issue 12: one place per policy).
// Only a literal `false` turns verification off; `undefined`, `null`, `0`, `''` and `'false'`
// all verify, so a value read from a config file or an environment variable never disables it
// by accident. Every place that reads `rejectUnauthorized` asks this function.
function shouldRejectUnauthorized(options) {
  return !(options != null && options.rejectUnauthorized === false);
}

module.exports = {
  serverHandshakeTimeout, serverHandshakeThreads, serverHandshakeOffload, shouldRejectUnauthorized,
  INT32_MAX, UINT32_MAX, TIMEOUT_MAX,
  outOfRange, validateNumberType, validateInteger, validateInt32, validateUint32, validateTimerDuration,
};
