#!/bin/sh
# Seeds for fuzz_x509, made once with the openssl CLI and committed (the outputs differ on every
# run because keys are random; the fuzzer only needs them to be well-formed and varied).
#
#   sh test/fuzz/make-x509-seeds.sh test/fuzz/corpus/fuzz_x509
set -eu
out=$(cd "${1:?usage: make-x509-seeds.sh <dir>}" 2>/dev/null && pwd) || { mkdir -p "$1" && out=$(cd "$1" && pwd); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

cat > ca.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
C = DE
O = uvtls fuzz CA
CN = uvtls fuzz root
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = permitted;DNS:.example.com, permitted;IP:10.0.0.0/255.0.0.0, excluded;email:.evil.test
CNF
cat > leaf.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
string_mask = utf8only
utf8 = yes
[dn]
C = FR
ST = Île-de-France
L = Paris
O = Société Exemple, Inc.
OU = Ops
OU = Security + Research
CN = www.example.com
emailAddress = admin@example.com
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
extendedKeyUsage = serverAuth, clientAuth, codeSigning, emailProtection, 1.3.6.1.4.1.99999.1
subjectAltName = @san
authorityInfoAccess = OCSP;URI:http://ocsp.example.com/, caIssuers;URI:http://ca.example.com/ca.crt
crlDistributionPoints = URI:http://crl.example.com/root.crl
certificatePolicies = 2.23.140.1.2.1, 1.3.6.1.4.1.99999.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
[san]
DNS.1 = www.example.com
DNS.2 = *.example.com
DNS.3 = "quoted, DNS:injected.example"
IP.1 = 10.1.2.3
IP.2 = 2001:db8::1
email.1 = user@example.com
URI.1 = https://example.com/path?q=1
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.com
dirName.1 = dir_sect
RID.1 = 1.2.3.4
[dir_sect]
C = US
O = Directory Name
CN = dirname
CNF

openssl req -x509 -new -newkey rsa:2048 -nodes -keyout ca.key -config ca.cnf -extensions v3_ca \
    -days 3650 -sha256 -out ca.pem 2>/dev/null
# RSA leaf with every kind of SAN and a UTF-8 subject, signed by the CA.
openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -config leaf.cnf -out rsa.csr 2>/dev/null
openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -set_serial 0x0123456789abcdef01 \
    -days 825 -sha256 -extfile leaf.cnf -extensions leaf -out rsa.pem 2>/dev/null
# EC P-384 leaf, same extensions.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout ec.key \
    -config leaf.cnf -out ec.csr 2>/dev/null
openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 825 -sha384 \
    -extfile leaf.cnf -extensions leaf -out ec.pem 2>/dev/null
# Ed25519 and secp256k1 (a curve without a NIST name), self-signed and minimal.
openssl req -x509 -new -newkey ed25519 -nodes -keyout ed.key -subj "/CN=ed25519" -days 30 \
    -out ed.pem 2>/dev/null
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:secp256k1 -nodes -keyout k1.key \
    -subj "/CN=k1/O=a+OU=multi-valued" -days 30 -out k1.pem 2>/dev/null
# A CRL revoking the RSA leaf.
cat > crl.cnf <<'CNF'
[ca]
default_ca = ca
[ca]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 30
CNF
: > index.txt
echo 01 > crlnumber
openssl ca -config crl.cnf -keyfile ca.key -cert ca.pem -revoke rsa.pem 2>/dev/null
openssl ca -config crl.cnf -keyfile ca.key -cert ca.pem -gencrl -out crl.pem 2>/dev/null
openssl pkey -in ec.key -aes256 -passout pass:fuzz -out ec-encrypted.key 2>/dev/null

for c in ca rsa ec ed k1; do openssl x509 -in $c.pem -outform DER -out "$out/$c.der"; done
cp rsa.pem "$out/rsa.pem"
cat ec.pem ca.pem > "$out/chain.pem"
cp crl.pem "$out/crl.pem"
cp ec-encrypted.key "$out/ec-encrypted.key.pem"
cp ed.key "$out/ed.key.pem"
