/* bios: the engine's input and output BIOs over the owner's buffers. See bios.h. */
#include "core/bios.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/byte_queue.h"

typedef struct bio_state {
    uvtls_byte_queue queue; /* input: kept unread bytes; output: records not placed in a loan */
    /* The active loan. Input: unread bytes are in[off, len). Output: out[0, off) is written,
     * len is its capacity. */
    const char *in;
    char *out;
    size_t len, off;
} bio_state;

static long clamp_long(size_t n) {
    return n > LONG_MAX ? LONG_MAX : (long)n;
}

/* --- input ----------------------------------------------------------------------------------- */

static size_t input_pending(const bio_state *s) {
    return uvtls_byte_queue_size(&s->queue) + (s->len - s->off);
}

static int input_end_loan(bio_state *s) {
    if (s->in == NULL)
        return 0;
    if (uvtls_byte_queue_push(&s->queue, s->in + s->off, s->len - s->off) < 0)
        return -1;
    s->in = NULL;
    s->len = s->off = 0;
    return 0;
}

static int input_read(BIO *bio, char *out, int outl) {
    bio_state *s = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (outl <= 0)
        return 0;
    size_t want = (size_t)outl;
    size_t got = uvtls_byte_queue_pop(&s->queue, out, want);
    if (got < want && s->in != NULL) {
        size_t left = s->len - s->off;
        size_t n = left < want - got ? left : want - got;
        memcpy(out + got, s->in + s->off, n);
        s->off += n;
        got += n;
    }
    if (got == 0) {
        /* "Nothing yet": the transport's end is told to the engine separately. */
        BIO_set_retry_read(bio);
        return -1;
    }
    return (int)got;
}

static int input_write(BIO *bio, const char *data, int len) {
    (void)bio;
    (void)data;
    (void)len;
    return -1; /* the SSL never writes to its read BIO */
}

static long input_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)num;
    (void)ptr;
    bio_state *s = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_PENDING:
        return clamp_long(input_pending(s));
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_RESET:
        uvtls_byte_queue_clear(&s->queue);
        s->in = NULL;
        s->len = s->off = 0;
        return 1;
    default:
        return 0; /* WPENDING, EOF and anything else: nothing to report */
    }
}

/* --- output ---------------------------------------------------------------------------------- */

static int output_write(BIO *bio, const char *data, int len) {
    bio_state *s = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (len <= 0)
        return 0;
    size_t n = (size_t)len;
    /* Into the loan while nothing is queued before it and the record fits whole (a record is
     * never split between the two, so the owner can send the loan's bytes first). */
    if (s->out != NULL && uvtls_byte_queue_size(&s->queue) == 0 && n <= s->len - s->off) {
        memcpy(s->out + s->off, data, n);
        s->off += n;
        return len;
    }
    return uvtls_byte_queue_push(&s->queue, data, n) < 0 ? -1 : len;
}

static int output_read(BIO *bio, char *out, int outl) {
    bio_state *s = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (outl <= 0)
        return 0;
    size_t got = uvtls_byte_queue_pop(&s->queue, out, (size_t)outl);
    if (got == 0) {
        BIO_set_retry_read(bio);
        return -1;
    }
    return (int)got;
}

static long output_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)num;
    (void)ptr;
    bio_state *s = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_PENDING:
        return clamp_long(uvtls_byte_queue_size(&s->queue));
    case BIO_CTRL_WPENDING:
        return 0; /* nothing waits inside the BIO to be written further */
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_RESET:
        uvtls_byte_queue_clear(&s->queue);
        return 1;
    default:
        return 0;
    }
}

/* --- both ------------------------------------------------------------------------------------ */

static int state_create(BIO *bio) {
    bio_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return 0;
    BIO_set_data(bio, s);
    BIO_set_init(bio, 1);
    return 1;
}

static int state_destroy(BIO *bio) {
    bio_state *s = BIO_get_data(bio);
    if (s != NULL) {
        uvtls_byte_queue_clear(&s->queue);
        free(s);
    }
    BIO_set_data(bio, NULL);
    return 1;
}

/* One method of each kind for the process, made on first use from whichever thread (workers
 * each run engines of their own); never freed, like OpenSSL's own methods. */
static BIO_METHOD *input_method, *output_method;
static CRYPTO_ONCE methods_once = CRYPTO_ONCE_STATIC_INIT;

static BIO_METHOD *make_method(const char *name, int (*rd)(BIO *, char *, int),
                               int (*wr)(BIO *, const char *, int),
                               long (*ctrl)(BIO *, int, long, void *)) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, name);
    if (m == NULL)
        return NULL;
    if (!BIO_meth_set_read(m, rd) || !BIO_meth_set_write(m, wr) || !BIO_meth_set_ctrl(m, ctrl) ||
        !BIO_meth_set_create(m, state_create) || !BIO_meth_set_destroy(m, state_destroy)) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

static void make_methods(void) {
    input_method = make_method("uvtls input", input_read, input_write, input_ctrl);
    output_method = make_method("uvtls output", output_read, output_write, output_ctrl);
}

static BIO *new_bio(BIO_METHOD *const *method) {
    if (!CRYPTO_THREAD_run_once(&methods_once, make_methods) || *method == NULL)
        return NULL;
    return BIO_new(*method);
}

BIO *uvtls_input_bio_new(void) {
    return new_bio(&input_method);
}

BIO *uvtls_output_bio_new(void) {
    return new_bio(&output_method);
}

int uvtls_input_bio_lend(BIO *bio, const void *data, size_t len) {
    bio_state *s = BIO_get_data(bio);
    if (input_end_loan(s) < 0)
        return -1;
    if (len == 0)
        return 0;
    s->in = data;
    s->len = len;
    s->off = 0;
    return 0;
}

int uvtls_input_bio_end_loan(BIO *bio) {
    return input_end_loan(BIO_get_data(bio));
}

int uvtls_input_bio_append(BIO *bio, const void *data, size_t len) {
    bio_state *s = BIO_get_data(bio);
    if (input_end_loan(s) < 0)
        return -1;
    return uvtls_byte_queue_push(&s->queue, data, len);
}

void uvtls_output_bio_lend(BIO *bio, void *dest, size_t cap) {
    bio_state *s = BIO_get_data(bio);
    s->out = dest;
    s->len = cap;
    s->off = 0;
}

size_t uvtls_output_bio_end_loan(BIO *bio) {
    bio_state *s = BIO_get_data(bio);
    size_t placed = s->off;
    s->out = NULL;
    s->len = s->off = 0;
    return placed;
}
