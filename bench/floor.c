/* floor: what OpenSSL alone costs on this machine, for the benchmark's "floor" column.
 *
 *   floor <pki dir> <handshakes> <MiB> <idle connections>
 *
 * Everything runs in one thread over memory BIOs, with no sockets, no event loop and no
 * JavaScript: the limit any TLS stack built on this libssl approaches. Each side's CPU time is
 * measured separately (the thread CPU clock around that side's calls only). Prints one JSON
 * object per line:
 *   handshake: server and client CPU per handshake (full or resumed; TLS 1.2 or 1.3; ECDSA P-256
 *              or RSA-2048 server certificate; with or without a client certificate)
 *   cipher:    AES-GCM encryption of 16 KiB records with EVP (the bulk cipher's own cost)
 *   record:    SSL_write on one side, SSL_read on the other, per byte, at 16 and 64 KiB writes
 *   idle:      heap held per established connection (glibc mallinfo2, so malloc's own overhead
 *              counts), record buffers released, by the server and by the client
 * Built by bench/run.js with the system compiler against the system libssl (libssl-dev).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

static const char *dir;

static double cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "floor: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static const char *path(const char *name) {
    static char buf[4][4096];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
    return p;
}

/* Session ids: TLS 1.2 resumption by session id (no tickets, OpenSSL's internal cache), as an
 * application's session store would give it; otherwise stateless tickets and no cache. */
static SSL_CTX *server_ctx(const char *cert, int version, int client_cert, int session_ids) {
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    char crt[64], key[64];
    snprintf(crt, sizeof(crt), "%s.pem", cert);
    snprintf(key, sizeof(key), "%s.key", cert);
    if (c == NULL || SSL_CTX_use_certificate_chain_file(c, path(crt)) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, path(key), SSL_FILETYPE_PEM) != 1)
        die("server context");
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_id_context(c, (const unsigned char *)"floor", 5);
    if (session_ids) {
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
    } else {
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    }
    if (client_cert) {
        if (SSL_CTX_load_verify_locations(c, path("ca.pem"), NULL) != 1)
            die("server CA");
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return c;
}

static SSL_CTX *client_ctx(int version, int client_cert) {
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (c == NULL || SSL_CTX_load_verify_locations(c, path("ca.pem"), NULL) != 1)
        die("client context");
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    if (client_cert && (SSL_CTX_use_certificate_chain_file(c, path("client.pem")) != 1 ||
                        SSL_CTX_use_PrivateKey_file(c, path("client.key"), SSL_FILETYPE_PEM) != 1))
        die("client certificate");
    return c;
}

static BIO *mem_bio(void) {
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        die("BIO");
    BIO_set_mem_eof_return(b, -1);
    return b;
}

static SSL *end_new(SSL_CTX *ctx, int server) {
    SSL *s = SSL_new(ctx);
    if (s == NULL)
        die("SSL_new");
    SSL_set_bio(s, mem_bio(), mem_bio());
    if (server) {
        SSL_set_accept_state(s);
    } else {
        SSL_set_connect_state(s);
        SSL_set_tlsext_host_name(s, "localhost");
        SSL_set1_host(s, "localhost");
    }
    return s;
}

/* A connection that ended cleanly: SSL_free of one that did not marks its session not resumable. */
static void end_free(SSL *s) {
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(s);
}

/* Moves the ciphertext `from` wrote into what `to` reads (not timed: a transport's work). */
static void shuttle(SSL *from, SSL *to) {
    static char buf[1 << 17];
    BIO *w = SSL_get_wbio(from), *r = SSL_get_rbio(to);
    int n;
    while ((n = BIO_read(w, buf, sizeof(buf))) > 0)
        if (BIO_write(r, buf, n) != n)
            die("BIO_write");
}

/* Runs the handshake to its end, adding each side's CPU time; then the client reads what the
 * server sent after it (TLS 1.3 tickets), as a client that keeps its session does. */
static void handshake(SSL *srv, SSL *cli, double *s_ns, double *c_ns) {
    int sdone = 0, cdone = 0;
    for (int round = 0; round < 32 && !(sdone && cdone); round++) {
        double t = cpu_ns();
        if (!cdone) {
            int r = SSL_do_handshake(cli);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(cli, r) != SSL_ERROR_WANT_READ)
                die("client handshake");
        }
        double u = cpu_ns();
        *c_ns += u - t;
        shuttle(cli, srv);
        t = cpu_ns();
        if (!sdone) {
            int r = SSL_do_handshake(srv);
            if (r == 1)
                sdone = 1;
            else if (SSL_get_error(srv, r) != SSL_ERROR_WANT_READ)
                die("server handshake");
        }
        *s_ns += cpu_ns() - t;
        shuttle(srv, cli);
    }
    if (!(sdone && cdone))
        die("handshake did not end");
    char b[1];
    size_t got;
    double t = cpu_ns();
    if (SSL_read_ex(cli, b, sizeof(b), &got) == 1 || SSL_get_error(cli, 0) != SSL_ERROR_WANT_READ)
        die("client read after the handshake");
    *c_ns += cpu_ns() - t;
}

static void bench_handshakes(int n, int version, const char *cert, int client_cert, int resume) {
    SSL_CTX *sctx = server_ctx(cert, version, client_cert, resume && version == TLS1_2_VERSION);
    SSL_CTX *cctx = client_ctx(version, client_cert);
    SSL_SESSION *sess = NULL;
    double ignore = 0;
    if (resume) {
        SSL *s = end_new(sctx, 1), *c = end_new(cctx, 0);
        handshake(s, c, &ignore, &ignore);
        sess = SSL_get1_session(c);
        end_free(s);
        end_free(c);
    }
    double s_ns = 0, c_ns = 0;
    int reused = 0;
    for (int i = 0; i < n; i++) {
        SSL *s = end_new(sctx, 1), *c = end_new(cctx, 0);
        if (sess != NULL)
            SSL_set_session(c, sess);
        handshake(s, c, &s_ns, &c_ns);
        reused += SSL_session_reused(s);
        end_free(s);
        end_free(c);
    }
    if (resume && reused != n)
        fprintf(stderr, "floor: %d of %d handshakes resumed\n", reused, n), exit(1);
    printf("{\"kind\":\"handshake\",\"version\":\"%s\",\"cert\":\"%s\",\"clientCert\":%d,"
           "\"resume\":%d,\"server_us\":%.1f,\"client_us\":%.1f}\n",
           version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2", cert, client_cert, resume,
           s_ns / n / 1000, c_ns / n / 1000);
    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

static void bench_cipher(const char *name, const EVP_CIPHER *cipher, size_t mib) {
    static unsigned char in[16384], out[16384 + 16];
    unsigned char key[32] = {1}, iv[12] = {2}, tag[16];
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    size_t records = mib * 64;
    double t = cpu_ns();
    for (size_t i = 0; i < records; i++) {
        int len = 0;
        iv[11] = (unsigned char)i;
        if (EVP_EncryptInit_ex(x, cipher, NULL, key, iv) != 1 ||
            EVP_EncryptUpdate(x, out, &len, in, sizeof(in)) != 1 ||
            EVP_EncryptFinal_ex(x, out + len, &len) != 1 ||
            EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
            die("AES-GCM");
    }
    double ns = cpu_ns() - t;
    printf("{\"kind\":\"cipher\",\"name\":\"%s\",\"ns_per_byte\":%.3f}\n", name,
           ns / (double)(records * sizeof(in)));
    EVP_CIPHER_CTX_free(x);
}

/* TLS 1.3 records in memory: the sender's SSL_write and the receiver's SSL_read, per byte. */
static void bench_records(size_t size, size_t mib) {
    SSL_CTX *sctx = server_ctx("ecdsa", TLS1_3_VERSION, 0, 0);
    SSL_CTX *cctx = client_ctx(TLS1_3_VERSION, 0);
    SSL *s = end_new(sctx, 1), *c = end_new(cctx, 0);
    double ignore = 0;
    handshake(s, c, &ignore, &ignore);
    unsigned char *buf = calloc(1, size);
    size_t total = mib << 20, sent = 0;
    double send_ns = 0, recv_ns = 0;
    while (sent < total) {
        size_t n = 0, got = 0;
        double t = cpu_ns();
        if (SSL_write_ex(c, buf, size, &n) != 1 || n != size)
            die("SSL_write");
        double u = cpu_ns();
        send_ns += u - t;
        shuttle(c, s);
        t = cpu_ns();
        while (got < size) {
            size_t r = 0;
            if (SSL_read_ex(s, buf, size - got, &r) != 1)
                die("SSL_read");
            got += r;
        }
        recv_ns += cpu_ns() - t;
        sent += size;
    }
    printf("{\"kind\":\"record\",\"size\":%zu,\"cipher\":\"%s\",\"send_ns\":%.3f,"
           "\"recv_ns\":%.3f}\n",
           size, SSL_CIPHER_get_name(SSL_get_current_cipher(s)), send_ns / (double)total,
           recv_ns / (double)total);
    free(buf);
    end_free(s);
    end_free(c);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

static size_t heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* Established TLS 1.3 connections with nothing in flight: record buffers released, the memory
 * BIOs swapped for empty ones (a transport that keeps no ciphertext while idle). */
static void bench_idle(int n, int client_cert, int free_buffers) {
    SSL_CTX *sctx = server_ctx("ecdsa", TLS1_3_VERSION, client_cert, 0);
    SSL_CTX *cctx = client_ctx(TLS1_3_VERSION, client_cert);
    SSL **s = calloc((size_t)n, sizeof(*s)), **c = calloc((size_t)n, sizeof(*c));
    double ignore = 0;
    size_t m0 = heap_in_use();
    for (int i = 0; i < n; i++) {
        s[i] = end_new(sctx, 1);
        c[i] = end_new(cctx, 0);
        handshake(s[i], c[i], &ignore, &ignore);
        SSL_set_bio(s[i], mem_bio(), mem_bio());
        SSL_set_bio(c[i], mem_bio(), mem_bio());
        /* SSL_MODE_RELEASE_BUFFERS frees a record buffer once its record is consumed, but a read
         * that found no record (the client's, after the tickets) leaves the read buffer. */
        if (free_buffers && (SSL_free_buffers(s[i]) != 1 || SSL_free_buffers(c[i]) != 1))
            die("SSL_free_buffers");
    }
    size_t m1 = heap_in_use();
    for (int i = 0; i < n; i++)
        end_free(c[i]);
    size_t m2 = heap_in_use();
    for (int i = 0; i < n; i++)
        end_free(s[i]);
    size_t m3 = heap_in_use();
    printf("{\"kind\":\"idle\",\"clientCert\":%d,\"freeBuffers\":%d,\"server_bytes\":%.0f,\"client_"
           "bytes\":%.0f,"
           "\"leaked\":%.0f}\n",
           client_cert, free_buffers, (double)(m2 - m3) / n, (double)(m1 - m2) / n,
           ((double)m3 - (double)m0) / n);
    free(s);
    free(c);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: floor <pki dir> <handshakes> <MiB> <idle connections>\n");
        return 2;
    }
    dir = argv[1];
    int n = atoi(argv[2]), idle = atoi(argv[4]);
    size_t mib = (size_t)atoi(argv[3]);
    printf("{\"kind\":\"build\",\"openssl\":\"%s\",\"headers\":\"%s\"}\n",
           OpenSSL_version(OPENSSL_VERSION), OPENSSL_VERSION_TEXT);
    static const char *certs[] = {"ecdsa", "rsa"};
    for (int v = 0; v < 2; v++) {
        int version = v == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
        for (int k = 0; k < 2; k++) {
            bench_handshakes(n, version, certs[k], 0, 0);
            bench_handshakes(n, version, certs[k], 1, 0);
            bench_handshakes(n, version, certs[k], 0, 1);
        }
    }
    bench_cipher("AES-128-GCM", EVP_aes_128_gcm(), mib);
    bench_cipher("AES-256-GCM", EVP_aes_256_gcm(), mib);
    bench_records(16384, mib);
    bench_records(65536, mib);
    for (int f = 0; f < 2; f++) {
        bench_idle(idle, 0, f);
        bench_idle(idle, 1, f);
    }
    return 0;
}
