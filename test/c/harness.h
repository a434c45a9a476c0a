/* harness: a tiny test harness in the style of libuv's tests.
 *
 * A test is a `TEST_IMPL(name)` function registered in test-list.h. Checks never abort: each
 * failed CHECK prints file:line and what was expected, and marks the running test as failed, so
 * one run shows every broken expectation. REQUIRE is the exception for preconditions whose
 * failure would only cascade (a NULL context): it returns from the test function at once.
 *
 * A test passes when none of its checks failed. The runner (runner.c) prints one line per test
 * and, last, exactly one summary line "N passed, M failed"; it exits 1 when M > 0.
 */
#ifndef UVTLS_TEST_HARNESS_H
#define UVTLS_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#define TEST_IMPL(name) void test_##name(void)

/* Called by the CHECK macros; counts a failure for the running test. */
void harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr))                                                                               \
            harness_fail(__FILE__, __LINE__, "CHECK(%s) failed", #expr);                           \
    } while (0)

/* Like CHECK, but returns from the (void) test function: for preconditions. */
#define REQUIRE(expr)                                                                              \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            harness_fail(__FILE__, __LINE__, "REQUIRE(%s) failed", #expr);                         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Integers of any type, compared and printed as long long. */
#define CHECK_INT_EQ(actual, expected)                                                             \
    do {                                                                                           \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                            \
        if (a_ != e_)                                                                              \
            harness_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #actual, a_,       \
                         #expected, e_);                                                           \
    } while (0)

/* NULL-safe string equality. */
#define CHECK_STR_EQ(actual, expected)                                                             \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0)                             \
            harness_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #actual,             \
                         a_ ? a_ : "(null)", e_ ? e_ : "(null)");                                  \
    } while (0)

#define CHECK_STR_PREFIX(actual, prefix)                                                           \
    do {                                                                                           \
        const char *a_ = (actual), *p_ = (prefix);                                                 \
        if (a_ == NULL || strncmp(a_, p_, strlen(p_)) != 0)                                        \
            harness_fail(__FILE__, __LINE__, "%s == \"%s\", expected a prefix \"%s\"", #actual,    \
                         a_ ? a_ : "(null)", p_);                                                  \
    } while (0)

#define CHECK_STR_CONTAINS(actual, needle)                                                         \
    do {                                                                                           \
        const char *a_ = (actual), *n_ = (needle);                                                 \
        if (a_ == NULL || strstr(a_, n_) == NULL)                                                  \
            harness_fail(__FILE__, __LINE__, "%s == \"%s\", expected it to contain \"%s\"",        \
                         #actual, a_ ? a_ : "(null)", n_);                                         \
    } while (0)

/* An uvtls_error's code, printing the message too: that is what one needs when it differs. */
#define CHECK_ERR_CODE(err, expected)                                                              \
    do {                                                                                           \
        const uvtls_error *e_ = (err);                                                             \
        if (strcmp(e_->code, (expected)) != 0)                                                     \
            harness_fail(__FILE__, __LINE__, "%s code \"%s\" (%s), expected \"%s\"", #err,         \
                         e_->code, e_->message, (expected));                                       \
    } while (0)

#endif
