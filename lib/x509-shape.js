'use strict';
// The shape the running Node gives the plain objects of getPeerCertificate() and
// getEphemeralKeyInfo(), learnt from Node itself rather than from its version number.
//
// Up to Node 22 a certificate object holds only the keys that apply to it (no `modulus` on an EC
// key, no `subjectaltname` without the extension). Node 24 builds it from one fixed template:
// every key present, undefined where it does not apply, in the template's order. The same
// change gave getEphemeralKeyInfo() a fixed {type, name, size} and named key exchanges that
// have no classic ephemeral key (ML-KEM, X25519MLKEM768) {type: 'TLSGroup'}.
//
// The addon calls probe() once, on the first such object it builds: Node's own legacy object
// of a small certificate with no SAN, AIA, EKU, RSA or EC key tells both the keys and their
// order. Nothing runs at load.
const { X509Certificate } = require('crypto');

// A self-signed Ed25519 certificate (CN=p, valid until 2126) with no optional fields.
const PROBE_PEM = `-----BEGIN CERTIFICATE-----
MIIBLjCB4aADAgECAhRrC6lH6CdqZFkW0Vh3UX6LUO2uAjAFBgMrZXAwDDEKMAgG
A1UEAwwBcDAgFw0yNjEyMDYwODIyMTRaGA8yMTI2MTExMjA4MjIxNFowDDEKMAgG
A1UEAwwBcDAqMAUGAytlcAMhAPhbqziPRmot6DNFWOtlsSjOvJ9hRubG3vvW9FpP
a8zHo1MwUTAdBgNVHQ4EFgQUZBQ+NMo+GDKSGIbR+6BGwUkBI04wHwYDVR0jBBgw
FoAUZBQ+NMo+GDKSGIbR+6BGwUkBI04wDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXAD
QQDGyMy+EWgHD1J/xRnI6a17WUkF7tiBGggLnaBMFvaKTYQlZsK77te46/FpFPqd
5j/ACZDjvOQ3uPJIRewgvNIM
-----END CERTIFICATE-----
`;

function probe() {
  const legacy = new X509Certificate(PROBE_PEM).toLegacyObject();
  const keys = Object.keys(legacy);
  // A key with the value undefined: Node sets the keys that do not apply too.
  const fixed = keys.some((k) => legacy[k] === undefined);
  return { certKeys: fixed ? keys : null, ephemeralFixed: fixed };
}

module.exports = { probe };
