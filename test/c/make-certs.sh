#!/bin/sh
# Builds the test PKI for the C unit tests into the directory given as $1.
#
# Nothing is committed: the Makefile calls this with a fresh mktemp dir on every run and removes
# the dir afterwards. Every key is EC P-256 because EC key generation is nearly free.
#
#   ca.pem / ca.key             root CA "uvtls C Test Root CA"
#   server.pem / server.key     CN=localhost, SAN DNS:localhost + IP:127.0.0.1, EKU serverAuth
#   server.der                  the same certificate in DER
#   server-enc.key              server.key encrypted with the passphrase "secret"
#   client.pem / client.key     CN=test-client, EKU clientAuth
#   self.pem / self.key         self-signed CN=localhost (not a CA)
#   expired.pem / expired.key   CN=localhost, valid 2020-01-01 .. 2020-01-02 (via `openssl ca`)
#   revoked.pem / revoked.key   CN=localhost, valid but listed in crl.pem
#   crl.pem                     the root CA's CRL (lists revoked.pem only)
#   server.p12                  server.key + server.pem + ca.pem, passphrase "secret"
#   dh.pem                      DH parameters (the named ffdhe2048 group: no prime search)
set -eu

dir=${1:?usage: make-certs.sh DIR}
cd "$dir"

# Ignore any system/user openssl.cnf so results do not depend on the machine; every command that
# needs a config gets one explicitly.
: >empty.cnf
OPENSSL_CONF=$PWD/empty.cnf
export OPENSSL_CONF

# A config usable both as `req -config` and as `-extfile ... -extensions ext`.
# $1: file name, remaining args: extension lines.
write_conf() {
    conf=$1
    shift
    {
        printf '[req]\ndistinguished_name = dn\n[dn]\n[ext]\n'
        for line in "$@"; do
            printf '%s\n' "$line"
        done
    } >"$conf"
}

gen_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null
}

# $1: base name, $2: subject, remaining args: extension lines. Signed by the root with x509 -req.
issue() {
    name=$1
    subj=$2
    shift 2
    gen_key "$name.key"
    write_conf "$name.cnf" "$@"
    openssl req -new -config "$name.cnf" -key "$name.key" -subj "$subj" -out "$name.csr"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
        -sha256 -days 825 -extfile "$name.cnf" -extensions ext -out "$name.pem" 2>/dev/null
}

# Root CA.
gen_key ca.key
write_conf ca.cnf 'basicConstraints = critical, CA:TRUE' 'keyUsage = critical, keyCertSign, cRLSign' \
    'subjectKeyIdentifier = hash'
openssl req -new -x509 -config ca.cnf -extensions ext -key ca.key -subj '/CN=uvtls C Test Root CA' \
    -sha256 -days 3650 -set_serial "0x$(openssl rand -hex 8)" -out ca.pem

issue server '/CN=localhost' 'basicConstraints = critical, CA:FALSE' \
    'keyUsage = critical, digitalSignature' 'extendedKeyUsage = serverAuth' \
    'subjectAltName = DNS:localhost, IP:127.0.0.1' 'authorityKeyIdentifier = keyid'
openssl x509 -in server.pem -outform der -out server.der
openssl pkey -in server.key -aes256 -passout pass:secret -out server-enc.key

issue client '/CN=test-client' 'basicConstraints = critical, CA:FALSE' \
    'keyUsage = critical, digitalSignature' 'extendedKeyUsage = clientAuth' \
    'authorityKeyIdentifier = keyid'

# Self-signed leaf: the classic "DEPTH_ZERO_SELF_SIGNED_CERT" server.
gen_key self.key
write_conf self.cnf 'basicConstraints = critical, CA:FALSE' 'extendedKeyUsage = serverAuth' \
    'subjectAltName = DNS:localhost'
openssl req -new -x509 -config self.cnf -extensions ext -key self.key -subj '/CN=localhost' \
    -sha256 -days 825 -set_serial "0x$(openssl rand -hex 8)" -out self.pem

# `openssl ca` is the only 3.0 command that can set validity dates in the past.
mkdir -p cadb/newcerts
: >cadb/index.txt
openssl rand -hex 8 >cadb/serial
echo 1000 >cadb/crlnumber
cat >ca-db.cnf <<EOF
[ca]
default_ca = root
[root]
dir = $PWD/cadb
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $PWD/ca.pem
private_key = $PWD/ca.key
default_md = sha256
default_days = 825
default_crl_days = 3650
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
EOF
gen_key expired.key
write_conf expired.cnf 'basicConstraints = critical, CA:FALSE' 'extendedKeyUsage = serverAuth' \
    'subjectAltName = DNS:localhost'
openssl req -new -config expired.cnf -key expired.key -subj '/CN=localhost' -out expired.csr
openssl ca -batch -config ca-db.cnf -in expired.csr -out expired.pem -notext -preserveDN \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile expired.cnf -extensions ext \
    2>/dev/null
gen_key revoked.key
openssl req -new -config expired.cnf -key revoked.key -subj '/CN=localhost' -out revoked.csr
openssl ca -batch -config ca-db.cnf -in revoked.csr -out revoked.pem -notext -preserveDN \
    -extfile expired.cnf -extensions ext 2>/dev/null
openssl ca -config ca-db.cnf -revoke revoked.pem 2>/dev/null
openssl ca -gencrl -config ca-db.cnf -out crl.pem 2>/dev/null

openssl pkcs12 -export -inkey server.key -in server.pem -certfile ca.pem -passout pass:secret \
    -out server.p12

openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out dh.pem 2>/dev/null
