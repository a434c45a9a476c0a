/* bios: the two BIOs between an engine's SSL and its owner (core-internal).
 *
 * OpenSSL's memory BIOs copy every byte through a buffer that keeps the capacity of the largest
 * flight it ever held (64 KiB reads, the 87 KiB a 64 KiB write grows to, in realloc steps that
 * copy and wipe); giving that memory back for idle connections meant an allocation per read and
 * per write on the data path (docs/performance.md). These BIOs work on the owner's buffers
 * instead, and keep only what does not fit there, in a byte_queue freed once it is empty:
 *
 * - input: ciphertext the owner lends for one call is read in place (uvtls_input_bio_lend ...
 *   uvtls_input_bio_end_loan); only what was not consumed (a record the transport cut, records a
 *   paused reader left) is copied, when the loan ends. Bytes are read in the order they came:
 *   kept ones first, then the loan; a lend or an append while a loan is active ends it first.
 * - output: while the owner lends a destination (uvtls_output_bio_lend ... _end_loan), records
 *   are written straight into it, as long as nothing is queued before them and they fit; the
 *   rest is queued and read with BIO_read, as from a memory BIO.
 *
 * Return conventions: 0, or -1 when memory for queued bytes cannot be had (nothing is lost: an
 * input loan stays readable until it is ended).
 */
#ifndef UVTLS_CORE_BIOS_H
#define UVTLS_CORE_BIOS_H

#include <stddef.h>

#include <openssl/bio.h>

/* New, empty BIOs, or NULL when out of memory; freed with BIO_free or by the SSL owning them. */
BIO *uvtls_input_bio_new(void);
BIO *uvtls_output_bio_new(void);

/* `len` bytes at `data` are readable without a copy; they must stay valid and unchanged until
 * uvtls_input_bio_end_loan() (or the next lend or append, which ends this loan). */
int uvtls_input_bio_lend(BIO *bio, const void *data, size_t len);
/* Ends the active loan, if any: its unread bytes are copied and stay readable. */
int uvtls_input_bio_end_loan(BIO *bio);
/* Copies `len` bytes in after everything readable now. */
int uvtls_input_bio_append(BIO *bio, const void *data, size_t len);

/* Writes go to `dest` (up to `cap` bytes) until uvtls_output_bio_end_loan(), which returns how
 * many were placed there; they come before anything queued since. Only one loan at a time. */
void uvtls_output_bio_lend(BIO *bio, void *dest, size_t cap);
size_t uvtls_output_bio_end_loan(BIO *bio);

#endif
