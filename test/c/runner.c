/* runner: runs every test in test-list.h (or those named on the command line) and prints the
 * summary line CI parses: "N passed, M failed". Exits 1 when any test failed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "harness.h"

#define TEST_DECLARE(name) TEST_IMPL(name);
#include "test-list.h"
#undef TEST_DECLARE

typedef struct test_entry {
    const char *name;
    void (*fn)(void);
} test_entry;

static const test_entry tests[] = {
#define TEST_DECLARE(name) {#name, test_##name},
#include "test-list.h"
#undef TEST_DECLARE
};

static const char *current_test = "(none)";
static int current_failures;

void harness_fail(const char *file, int line, const char *fmt, ...) {
    /* stdout, like the result lines, so that every capture keeps them in order. */
    va_list ap;
    printf("  %s:%d: [%s] ", file, line, current_test);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    current_failures++;
}

static int selected(const char *name, int argc, char **argv) {
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], name) == 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    /* A passphrase prompt would open /dev/tty, not stdin: leaving the terminal's session makes
     * any prompt fail at once instead of hanging a test run (stdin is /dev/null too). */
    (void)setsid();
    /* And a test that hangs anyway (a livelock in the engine) must not hang CI. */
    alarm(300);
    setvbuf(stdout, NULL, _IOLBF, 0);

    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        current_test = tests[i].name;
        current_failures = 0;
        tests[i].fn();
        /* Every core function promises to leave this thread's error queue empty; a leftover
         * entry would be misreported as the cause of the next, unrelated failure. */
        unsigned long stale = ERR_peek_error();
        if (stale != 0) {
            char text[256];
            ERR_error_string_n(stale, text, sizeof(text));
            harness_fail(__FILE__, __LINE__, "OpenSSL error queue not empty: %s", text);
            ERR_clear_error();
        }
        if (current_failures == 0) {
            passed++;
            printf("ok   %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL %s (%d failed check%s)\n", tests[i].name, current_failures,
                   current_failures == 1 ? "" : "s");
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed > 0 ? 1 : 0;
}
