'use strict';
// Command-line parsing for the `uvtls` command: util.parseArgs plus value checks, with every
// mistake turned into a UsageError (exit code 2) that names the option and the command's --help.
const { parseArgs } = require('util');

class UsageError extends Error {
  constructor(message, command) {
    super(message);
    this.name = 'UsageError';
    this.code = 'ERR_UVTLS_USAGE';
    this.command = command;
  }
}

// spec: { name: { type: 'string'|'boolean'|'number', multiple, short, default, choices } }
// Returns { values, positionals }. --help and --json are accepted by every command.
function parse(command, argv, spec, { positionals: maxPositionals = 0 } = {}) {
  const options = {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'boolean' },
  };
  for (const [name, s] of Object.entries(spec)) {
    options[name] = { type: s.type === 'boolean' ? 'boolean' : 'string' };
    if (s.multiple) options[name].multiple = true;
    if (s.short) options[name].short = s.short;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs's messages are good ("Unknown option '--x'"); drop its advice about '--'.
    throw new UsageError(err.message.split('. To specify')[0].replace(/\.$/, ''), command);
  }
  const values = { ...parsed.values };
  if (values.help) return { values, positionals: parsed.positionals };
  for (const [name, s] of Object.entries(spec)) {
    let v = values[name];
    if (v === undefined) {
      if (s.default !== undefined) values[name] = s.default;
      else if (s.multiple) values[name] = [];
      continue;
    }
    if (s.type === 'number') {
      // Digits only: Number() would also take '0x10', '1e3', ' 5' and '0b1'.
      const n = Number(v);
      if (!/^-?[0-9]+$/.test(v) || !Number.isInteger(n) || n < (s.min ?? 0) || n > (s.max ?? Number.MAX_SAFE_INTEGER)) {
        throw new UsageError(`--${name} must be a whole number` +
          `${s.min !== undefined ? ` from ${s.min}` : ''}${s.max !== undefined ? ` to ${s.max}` : ''}` +
          `, got '${v}'`, command);
      }
      v = n;
    } else if (s.type === 'string') {
      const list = s.multiple ? v : [v];
      for (const item of list) {
        if (item === '') throw new UsageError(`--${name} needs a value`, command);
        if (s.choices && !s.choices.includes(item)) {
          throw new UsageError(`--${name} must be one of ${s.choices.join(', ')}, got '${item}'`, command);
        }
      }
    }
    values[name] = v;
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`, command);
  }
  return { values, positionals: parsed.positionals };
}

module.exports = { parse, UsageError };
