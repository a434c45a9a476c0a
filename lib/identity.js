'use strict';
// checkServerIdentity(hostname, cert): does the certificate name this host?
//
// Rules (Node's documented behaviour, RFC 6125 in spirit):
// - IP hosts (v4 or v6, any textual form) match only IP address SANs, compared as bytes; never
//   DNS SANs and never the subject CN.
// - Other hosts match DNS SANs; the subject CN is consulted only when the certificate holds no
//   DNS SAN at all. URI SANs are never used for host names.
// - Comparison is case-insensitive and ignores one trailing dot on either side; labels must
//   match one for one (same count), so a wildcard covers exactly one label.
// - A wildcard is allowed only in the leftmost label, at most once, with at least two labels
//   after it (`*.a.com` yes, `*.com` and `*` never), and never in an IDNA (`xn--`) label; the
//   label may hold a partial wildcard (`b*.a.com` matches `b.a.com` and `bar.a.com`).
// - A name from the certificate with an empty label, a NUL, a space, a control or a non-ASCII
//   character never matches.
// - `cert.subjectaltname` is the comma-separated text uvtls and Node produce, in which a value
//   holding a separator or quote is a JSON string; it is parsed so that such a value stays one
//   name (`DNS:"a.com, DNS:b.com"` is one odd DNS name, not two).
// - Host names (not the certificate's) in Unicode: as the running Node does. Node 22+ maps the
//   host through UTS #46 (url.domainToASCII: 'bücher.a.com' -> 'xn--bcher-kva.a.com', full-width
//   and ideographic dots folded) before comparing, refuses a host it cannot map, and refuses a
//   host that maps to an IP address ('127.1'); Node 20 compares the host as given, so a U-label
//   never matches. Which one applies is asked from Node's own checkServerIdentity, once. uvtls
//   refuses outright a host holding '/', '\\', '?' or '#', where domainToASCII would cut the
//   name short ('a.com/x' -> 'a.com').
// Returns undefined on a match, else an Error (code ERR_TLS_CERT_ALTNAME_INVALID) with reason,
// host, cert and a hint naming the names the certificate does hold.
const net = require('net');
const { domainToASCII } = require('url');

// Node's own function, taken before anything can replace it.
const nodeCheckServerIdentity = require('tls').checkServerIdentity;
let mapsHostNames; // undefined until first needed

// Whether the running Node maps Unicode host names to A-labels before comparing.
function nodeMapsHostNames() {
  if (mapsHostNames === undefined) {
    try {
      mapsHostNames = nodeCheckServerIdentity('\u00e9.a.com',
        { subject: {}, subjectaltname: 'DNS:xn--9ca.a.com' }) === undefined;
    } catch {
      mapsHostNames = false;
    }
  }
  return mapsHostNames;
}

// --- subjectaltname text -> [{type, value}] ------------------------------------------------------

class AltNameFormatError extends Error {}

// Reads the JSON string literal that starts at text[start] ('"'); returns [value, end].
function readQuoted(text, start) {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      i += 2;
    } else if (c === '"') {
      try {
        return [JSON.parse(text.slice(start, i + 1)), i + 1];
      } catch {
        break;
      }
    } else {
      i += 1;
    }
  }
  throw new AltNameFormatError(`unterminated or invalid quoted name at offset ${start}`);
}

function parseAltNames(text) {
  const entries = [];
  let current = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const [value, end] = readQuoted(text, i);
      current += value;
      i = end;
    } else if (c === ',') {
      // The separator is always ", "; anything else means the text was not produced by a
      // certificate conversion, and guessing how to split it is how names get injected.
      if (text[i + 1] !== ' ') throw new AltNameFormatError(`separator without a space at offset ${i}`);
      entries.push(current);
      current = '';
      i += 2;
    } else {
      current += c;
      i += 1;
    }
  }
  entries.push(current);
  return entries.map((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0 ? { type: entry, value: '' } : { type: entry.slice(0, colon), value: entry.slice(colon + 1) };
  });
}

// --- IP addresses -> bytes --------------------------------------------------------------------

function ipv4Bytes(text) {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

// Words (16-bit groups) of one side of '::'; an IPv4 tail counts as two words.
function ipv6Words(side, allowV4Tail) {
  if (side === '') return [];
  const groups = side.split(':');
  const words = [];
  for (let k = 0; k < groups.length; k++) {
    const g = groups[k];
    if (allowV4Tail && k === groups.length - 1 && g.includes('.')) {
      const v4 = ipv4Bytes(g);
      if (!v4) return null;
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      words.push(parseInt(g, 16));
    } else {
      return null;
    }
  }
  return words;
}

function ipv6Bytes(input) {
  // A zone (fe80::1%eth0) names an interface, not part of the address.
  const text = input.split('%')[0];
  const halves = text.split('::');
  if (halves.length > 2) return null;
  let words;
  if (halves.length === 1) {
    words = ipv6Words(text, true);
    if (!words || words.length !== 8) return null;
  } else {
    const head = ipv6Words(halves[0], false);
    const tail = ipv6Words(halves[1], true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = [];
  for (const w of words) out.push(w >> 8, w & 0xff);
  return out;
}

// The address as '4:' or '6:' plus its bytes in hex, or null when `text` is no address.
function ipKey(text) {
  const v4 = ipv4Bytes(text);
  if (v4) return `4:${Buffer.from(v4).toString('hex')}`;
  if (!text.includes(':')) return null;
  const v6 = ipv6Bytes(text);
  return v6 ? `6:${Buffer.from(v6).toString('hex')}` : null;
}

// --- DNS names --------------------------------------------------------------------------------

function labelsOf(name) {
  const lower = name.toLowerCase();
  return (lower.endsWith('.') ? lower.slice(0, -1) : lower).split('.');
}

// Printable ASCII without space; anything else in a certificate's name disqualifies it.
const kBadNameChar = /[^\x21-\x7e]/;

function dnsNameMatches(hostLabels, pattern) {
  if (typeof pattern !== 'string' || pattern === '') return false;
  const labels = labelsOf(pattern);
  if (labels.length !== hostLabels.length) return false;
  if (labels.some((l) => l === '' || kBadNameChar.test(l))) return false;
  for (let i = labels.length - 1; i >= 1; i--) {
    if (labels[i] !== hostLabels[i]) return false;
  }
  const first = labels[0];
  const host = hostLabels[0];
  const star = first.indexOf('*');
  if (star < 0 || first.startsWith('xn--')) return first === host;
  if (first.indexOf('*', star + 1) >= 0) return false; // one wildcard at most
  if (labels.length < 3) return false; // `*.com`, `*`: too broad
  const prefix = first.slice(0, star);
  const suffix = first.slice(star + 1);
  return host.length >= prefix.length + suffix.length &&
    host.startsWith(prefix) && host.endsWith(suffix);
}

// --- the check --------------------------------------------------------------------------------

function describeNames(cert, dnsNames, ipNames) {
  const held = [...dnsNames.map((n) => `DNS:${n}`), ...ipNames.map((n) => `IP:${n}`)];
  const cn = cert && cert.subject && cert.subject.CN;
  if (held.length === 0 && cn) held.push(`CN=${[].concat(cn).join(', CN=')}`);
  return held.length ? held.join(', ') : 'no DNS name or IP address';
}

function identityError(host, cert, reason, hint, code = 'ERR_TLS_CERT_ALTNAME_INVALID') {
  const err = new Error(`Hostname/IP does not match certificate's altnames: ${reason}`);
  err.code = code;
  err.reason = reason;
  err.host = host;
  err.cert = cert;
  err.hint = hint;
  err.stage = 'verify';
  return err;
}

function checkServerIdentity(hostname, cert) {
  const host = String(hostname);
  const subject = cert && cert.subject;
  const altText = cert && typeof cert.subjectaltname === 'string' ? cert.subjectaltname : '';

  let entries = [];
  if (altText !== '') {
    try {
      entries = parseAltNames(altText);
    } catch (e) {
      if (!(e instanceof AltNameFormatError)) throw e;
      const reason = `the certificate's subjectaltname cannot be parsed (${e.message})`;
      return identityError(host, cert, reason,
        'The subjectaltname text is malformed; pass the certificate object uvtls or Node produced, unchanged.',
        'ERR_TLS_CERT_ALTNAME_FORMAT');
    }
  }
  const dnsNames = [];
  const ipNames = [];
  for (const { type, value } of entries) {
    if (type === 'DNS') dnsNames.push(value);
    else if (type === 'IP Address') ipNames.push(value);
    // URI, email, othername and the rest never name a host.
  }
  const held = describeNames(cert, dnsNames, ipNames);
  const hint = `The certificate holds ${held}, not "${host}"; connect with a name it holds ` +
    '(or set `servername` to one), or have the server use a certificate for this name.';

  if (net.isIP(host)) {
    const key = ipKey(host);
    if (key !== null && ipNames.some((n) => ipKey(n) === key)) return undefined;
    return identityError(host, cert,
      `IP: ${host} is not in the cert's list: ${ipNames.join(', ')}`, hint);
  }

  let name = host;
  if (nodeMapsHostNames()) {
    name = /[/\\?#]/.test(host) ? '' : domainToASCII(host);
    if (name === '') return identityError(host, cert, `Host: ${host}. is not a valid DNS name`, hint);
    if (net.isIP(name)) return identityError(host, cert, 'Host is a non-canonical IP address', hint);
  }
  const hostLabels = labelsOf(name);
  // An empty label (`.a.com`, `a..com`) is no DNS name; a wildcard must not stand for it.
  if (hostLabels.some((l) => l === '')) {
    return identityError(host, cert, `Host: ${host}. is not a valid DNS name`, hint);
  }
  if (dnsNames.length > 0) {
    if (dnsNames.some((n) => dnsNameMatches(hostLabels, n))) return undefined;
    return identityError(host, cert, `Host: ${host}. is not in the cert's altnames: ${altText}`, hint);
  }
  const cn = subject && subject.CN;
  if (cn) {
    if ([].concat(cn).some((n) => dnsNameMatches(hostLabels, n))) return undefined;
    return identityError(host, cert, `Host: ${host}. is not cert's CN: ${cn}`, hint);
  }
  return identityError(host, cert, 'Cert does not contain a DNS name', hint);
}

module.exports = { checkServerIdentity, parseAltNames };
