/* x509: the peer's certificate and chain as plain fields, as getPeerCertificate() shows them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/x509.h"
#include "harness.h"
#include "helpers.h"

/* The value of the first field named `key`, or NULL. */
static const char *field(const uvtls_cert_fields *f, const char *key) {
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->items[i].key, key) == 0)
            return f->items[i].value;
    }
    return NULL;
}

static int has_eku(const uvtls_cert_info *info, const char *oid) {
    for (size_t i = 0; i < info->ext_key_usage_count; i++) {
        if (strcmp(info->ext_key_usage[i], oid) == 0)
            return 1;
    }
    return 0;
}

/* "AB:CD:..." with `bytes` upper-case hex pairs. */
static int is_fingerprint(const char *s, size_t bytes) {
    if (strlen(s) != bytes * 3 - 1)
        return 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        int ok = i % 3 == 2 ? s[i] == ':'
                            : isxdigit((unsigned char)s[i]) && !islower((unsigned char)s[i]);
        if (!ok)
            return 0;
    }
    return 1;
}

static int is_upper_hex(const char *s) {
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        if (!isxdigit((unsigned char)*s) || islower((unsigned char)*s))
            return 0;
    }
    return 1;
}

/* A client (trusting the CA, optionally with its own certificate) handshaken with a server. */
typedef struct conn {
    uvtls_context *cctx, *sctx;
    uvtls_engine *client, *server;
} conn;

static void conn_free(conn *c) {
    uvtls_engine_free(c->client);
    uvtls_engine_free(c->server);
    uvtls_context_unref(c->cctx);
    uvtls_context_unref(c->sctx);
}

static int conn_open(conn *c, int mutual) {
    memset(c, 0, sizeof(*c));
    c->cctx = mutual ? make_context("client.pem", "client.key", "ca.pem") : make_client_context();
    c->sctx = make_context("server.pem", "server.key", mutual ? "ca.pem" : NULL);
    c->client = make_client(c->cctx, 1);
    c->server = make_server(c->sctx, mutual, mutual);
    if (c->client != NULL && c->server != NULL) {
        handshake_pair(c->client, c->server);
        if (uvtls_engine_state_get(c->client) == UVTLS_ENGINE_ESTABLISHED &&
            uvtls_engine_state_get(c->server) == UVTLS_ENGINE_ESTABLISHED)
            return 0;
        harness_fail(__FILE__, __LINE__, "handshake failed: client %s, server %s",
                     uvtls_engine_error(c->client)->code, uvtls_engine_error(c->server)->code);
    }
    conn_free(c);
    return -1;
}

TEST_IMPL(x509_peer_certificate_fields) {
    conn c;
    REQUIRE(conn_open(&c, 0) == 0);
    uvtls_cert_chain *chain = uvtls_engine_peer_chain(c.client, 0);
    if (chain == NULL) {
        harness_fail(__FILE__, __LINE__, "no peer chain");
        conn_free(&c);
        return;
    }
    CHECK_INT_EQ(chain->count, 1);
    const uvtls_cert_info *leaf = chain->certs[0];
    CHECK_STR_EQ(field(&leaf->subject, "CN"), "localhost");
    CHECK_STR_EQ(field(&leaf->issuer, "CN"), "uvtls C Test Root CA");
    CHECK_STR_EQ(leaf->subjectaltname, "DNS:localhost, IP Address:127.0.0.1");
    CHECK_INT_EQ(leaf->ca, 0);
    CHECK_INT_EQ(leaf->key_type, UVTLS_KEY_EC);
    CHECK_INT_EQ(leaf->bits, 256);
    CHECK_STR_EQ(leaf->asn1_curve, "prime256v1");
    CHECK_STR_EQ(leaf->nist_curve, "P-256");
    CHECK(leaf->modulus == NULL && leaf->exponent == NULL);
    /* An uncompressed P-256 point: 0x04 || X || Y. */
    CHECK_INT_EQ(leaf->pubkey_len, 65);
    if (leaf->pubkey_len > 0)
        CHECK_INT_EQ(leaf->pubkey[0], 0x04);
    CHECK_INT_EQ(strlen(leaf->fingerprint), 59);
    CHECK(is_fingerprint(leaf->fingerprint, 20));
    CHECK(is_fingerprint(leaf->fingerprint256, 32));
    CHECK(is_fingerprint(leaf->fingerprint512, 64));
    CHECK(is_upper_hex(leaf->serial_number));
    CHECK(leaf->raw != NULL && leaf->raw_len > 0);
    CHECK_INT_EQ(leaf->has_ext_key_usage, 1);
    CHECK(has_eku(leaf, "1.3.6.1.5.5.7.3.1"));
    CHECK_INT_EQ(leaf->has_info_access, 0);
    /* ASN1_TIME_print's format, e.g. "Jan  1 00:00:00 2020 GMT". */
    CHECK_STR_CONTAINS(leaf->valid_from, " GMT");
    CHECK_STR_CONTAINS(leaf->valid_to, " GMT");
    CHECK_INT_EQ(chain->last_is_self_issued, 0);
    uvtls_cert_chain_free(chain);
    conn_free(&c);
}

TEST_IMPL(x509_raw_is_the_certificate_der) {
    conn c;
    REQUIRE(conn_open(&c, 0) == 0);
    uvtls_cert_chain *chain = uvtls_engine_peer_chain(c.client, 0);
    blob der = cert_file("server.der");
    CHECK(chain != NULL);
    if (chain != NULL) {
        CHECK_INT_EQ(chain->certs[0]->raw_len, der.len);
        CHECK(chain->certs[0]->raw_len == der.len &&
              memcmp(chain->certs[0]->raw, der.data, der.len) == 0);
    }
    blob_free(&der);
    uvtls_cert_chain_free(chain);
    conn_free(&c);
}

TEST_IMPL(x509_detailed_chain_ends_at_root) {
    conn c;
    REQUIRE(conn_open(&c, 0) == 0);
    uvtls_cert_chain *chain = uvtls_engine_peer_chain(c.client, 1);
    if (chain == NULL) {
        harness_fail(__FILE__, __LINE__, "no peer chain");
        conn_free(&c);
        return;
    }
    /* The server sent its leaf only; the root comes from the client's trust store. */
    CHECK_INT_EQ(chain->count, 2);
    CHECK_INT_EQ(chain->last_is_self_issued, 1);
    if (chain->count == 2) {
        const uvtls_cert_info *root = chain->certs[1];
        CHECK_STR_EQ(field(&chain->certs[0]->subject, "CN"), "localhost");
        CHECK_STR_EQ(field(&root->subject, "CN"), "uvtls C Test Root CA");
        CHECK_STR_EQ(field(&root->issuer, "CN"), "uvtls C Test Root CA");
        CHECK_INT_EQ(root->ca, 1);
        CHECK(root->subjectaltname == NULL);
        CHECK_INT_EQ(root->has_ext_key_usage, 0);
        CHECK(strcmp(root->fingerprint256, chain->certs[0]->fingerprint256) != 0);
    }
    uvtls_cert_chain_free(chain);
    conn_free(&c);
}

TEST_IMPL(x509_detailed_chain_from_sent_intermediates) {
    /* A server sending leaf + root: the chain is linked from what was sent. */
    blob leaf = cert_file("server.pem"), ca = cert_file("ca.pem"), key = cert_file("server.key");
    size_t len = leaf.len + ca.len;
    char *pem = malloc(len);
    uvtls_context *sctx = make_context(NULL, NULL, NULL);
    uvtls_error err;
    if (pem != NULL && sctx != NULL) {
        memcpy(pem, leaf.data, leaf.len);
        memcpy(pem + leaf.len, ca.data, ca.len);
        CHECK_INT_EQ(uvtls_context_add_cert(sctx, pem, len, &err), 0);
        CHECK_INT_EQ(uvtls_context_add_key(sctx, key.data, key.len, NULL, &err), 0);
    }
    free(pem);
    blob_free(&leaf);
    blob_free(&ca);
    blob_free(&key);
    /* The client trusts nothing and does not reject: only the sent chain is known. */
    uvtls_context *cctx = make_context(NULL, NULL, NULL);
    uvtls_engine *client = make_client(cctx, 0), *server = make_server(sctx, 0, 0);
    if (client != NULL && server != NULL) {
        handshake_pair(client, server);
        CHECK_INT_EQ(uvtls_engine_state_get(client), UVTLS_ENGINE_ESTABLISHED);
        CHECK_STR_EQ(uvtls_verify_code(uvtls_engine_verify_result(client)),
                     "SELF_SIGNED_CERT_IN_CHAIN");
        uvtls_cert_chain *chain = uvtls_engine_peer_chain(client, 1);
        CHECK(chain != NULL);
        if (chain != NULL) {
            CHECK_INT_EQ(chain->count, 2);
            CHECK_INT_EQ(chain->last_is_self_issued, 1);
        }
        uvtls_cert_chain_free(chain);
    }
    uvtls_engine_free(client);
    uvtls_engine_free(server);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
}

TEST_IMPL(x509_detailed_chain_of_self_signed) {
    uvtls_context *cctx = make_client_context(), *sctx = make_context("self.pem", "self.key", NULL);
    uvtls_engine *client = make_client(cctx, 0), *server = make_server(sctx, 0, 0);
    if (client != NULL && server != NULL) {
        handshake_pair(client, server);
        uvtls_cert_chain *chain = uvtls_engine_peer_chain(client, 1);
        CHECK(chain != NULL);
        if (chain != NULL) {
            CHECK_INT_EQ(chain->count, 1);
            CHECK_INT_EQ(chain->last_is_self_issued, 1);
            CHECK_STR_EQ(chain->certs[0]->subjectaltname, "DNS:localhost");
        }
        uvtls_cert_chain_free(chain);
    }
    uvtls_engine_free(client);
    uvtls_engine_free(server);
    uvtls_context_unref(cctx);
    uvtls_context_unref(sctx);
}

TEST_IMPL(x509_no_peer_certificate) {
    conn c;
    REQUIRE(conn_open(&c, 0) == 0);
    /* The server asked for none. */
    CHECK(uvtls_engine_peer_chain(c.server, 0) == NULL);
    CHECK(uvtls_engine_peer_chain(c.server, 1) == NULL);
    uvtls_cert_chain_free(NULL); /* allowed */
    conn_free(&c);
}

TEST_IMPL(x509_client_certificate_on_server) {
    conn c;
    REQUIRE(conn_open(&c, 1) == 0);
    uvtls_cert_chain *chain = uvtls_engine_peer_chain(c.server, 1);
    CHECK(chain != NULL);
    if (chain != NULL) {
        CHECK_STR_EQ(field(&chain->certs[0]->subject, "CN"), "test-client");
        CHECK(has_eku(chain->certs[0], "1.3.6.1.5.5.7.3.2"));
        CHECK(!has_eku(chain->certs[0], "1.3.6.1.5.5.7.3.1"));
        CHECK(chain->certs[0]->subjectaltname == NULL);
        CHECK_INT_EQ(chain->count, 2);
        CHECK_INT_EQ(chain->last_is_self_issued, 1);
    }
    uvtls_cert_chain_free(chain);
    conn_free(&c);
}

TEST_IMPL(x509_own_chain) {
    conn c;
    REQUIRE(conn_open(&c, 0) == 0);
    uvtls_cert_chain *own = uvtls_engine_own_chain(c.server);
    CHECK(own != NULL);
    if (own != NULL) {
        CHECK_INT_EQ(own->count, 1);
        CHECK_STR_EQ(field(&own->certs[0]->subject, "CN"), "localhost");
    }
    uvtls_cert_chain_free(own);
    /* The client has no certificate of its own. */
    CHECK(uvtls_engine_own_chain(c.client) == NULL);
    conn_free(&c);
}

TEST_IMPL(x509_cert_info_from_pem) {
    blob pem = cert_file("expired.pem");
    BIO *bio = BIO_new_mem_buf(pem.data, (int)pem.len);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    blob_free(&pem);
    REQUIRE(x != NULL);
    uvtls_cert_info *info = uvtls_cert_info_new(x);
    X509_free(x); /* the info owns copies of everything */
    REQUIRE(info != NULL);
    CHECK_STR_EQ(info->valid_from, "Jan  1 00:00:00 2020 GMT");
    CHECK_STR_EQ(info->valid_to, "Jan  2 00:00:00 2020 GMT");
    CHECK_STR_EQ(info->subjectaltname, "DNS:localhost");
    uvtls_cert_info_free(info);
    uvtls_cert_info_free(NULL); /* allowed */
}
