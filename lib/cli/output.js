'use strict';
// Output of the `uvtls` command: a report is a list of checks (ok / warn / fail / info), each
// with a message and optional code, hint and detail lines. Printed as text (coloured on a
// terminal unless NO_COLOR is set) or, with --json, as one JSON object for scripts.

const STATUS = {
  ok: { label: '[ ok ]', colour: 32 },
  warn: { label: '[warn]', colour: 33 },
  fail: { label: '[FAIL]', colour: 31 },
  info: { label: '[info]', colour: 36 },
};

function useColour(stream) {
  if ('NO_COLOR' in process.env) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

class Report {
  constructor(command) {
    this.command = command;
    this.checks = [];
    this.data = {};
  }

  add(status, name, message, extra = {}) {
    const check = { name, status, message };
    for (const key of ['cause', 'code', 'hint', 'command', 'details']) {
      if (extra[key] !== undefined && extra[key] !== null) check[key] = extra[key];
    }
    this.checks.push(check);
    return check;
  }

  ok(name, message, extra) { return this.add('ok', name, message, extra); }
  warn(name, message, extra) { return this.add('warn', name, message, extra); }
  fail(name, message, extra) { return this.add('fail', name, message, extra); }
  info(name, message, extra) { return this.add('info', name, message, extra); }

  // A failure from an Error: its code and hint travel with it.
  failErr(name, message, err, extra = {}) {
    return this.fail(name, message, { code: err && err.code, hint: err && err.hint, ...extra });
  }

  get failed() { return this.checks.some((c) => c.status === 'fail'); }

  // The stable id of the first failure (what a script branches on), or null.
  get cause() {
    const f = this.checks.find((c) => c.status === 'fail');
    return f ? f.cause || f.name : null;
  }

  toJSON() {
    return {
      command: this.command,
      ok: !this.failed,
      cause: this.cause,
      ...this.data,
      checks: this.checks,
    };
  }
}

function paint(on, colour, text) {
  return on ? `\x1b[${colour}m${text}\x1b[0m` : text;
}

function render(report, { colour = false } = {}) {
  const out = [];
  for (const c of report.checks) {
    const s = STATUS[c.status];
    out.push(`${paint(colour, s.colour, s.label)} ${c.message}`);
    for (const line of c.details || []) out.push(`       ${line}`);
    if (c.code) out.push(`       ${paint(colour, 2, 'code:')} ${c.code}`);
    if (c.hint) out.push(`       ${paint(colour, 2, 'hint:')} ${c.hint}`);
    if (c.command) out.push(`       ${paint(colour, 2, 'run: ')} ${paint(colour, 1, c.command)}`);
  }
  const fails = report.checks.filter((c) => c.status === 'fail').length;
  const warns = report.checks.filter((c) => c.status === 'warn').length;
  const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const summary = fails
    ? paint(colour, 31, `${plural(fails, 'problem')}, ${plural(warns, 'warning')}`)
    : paint(colour, 32, `all good${warns ? ` (${plural(warns, 'warning')})` : ''}`);
  out.push('', `uvtls ${report.command}: ${summary}`);
  return out.join('\n') + '\n';
}

// Prints the report; returns the exit code (0 all well, 1 a check failed).
function emit(report, { json, stream = process.stdout } = {}) {
  if (json) stream.write(JSON.stringify(report, null, 2) + '\n');
  else stream.write(render(report, { colour: useColour(stream) }));
  return report.failed ? 1 : 0;
}

module.exports = { Report, render, emit, useColour };
