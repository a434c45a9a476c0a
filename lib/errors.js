'use strict';
// Node-style errors for invalid arguments, with uvtls's hints from the native hint table.
const { hintFor } = require('./binding');

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
    describeReceived(actual)), 'ERR_INVALID_ARG_TYPE');
}

function invalidArgValue(name, value, reason = 'is invalid') {
  const what = name.includes('.') ? 'property' : 'argument';
  let shown;
  try { shown = require('util').inspect(value); } catch { shown = String(value); }
  return withCode(new TypeError(`The ${what} '${name}' ${reason}. Received ${shown}`),
    'ERR_INVALID_ARG_VALUE');
}

module.exports = { withCode, invalidArgType, invalidArgValue };
