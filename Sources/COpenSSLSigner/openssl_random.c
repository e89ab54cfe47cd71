// Random bytes from the system OpenSSL's libcrypto: its DRBGs are per thread and draw on the kernel only to
// seed and reseed, so a token's identifiers cost no system call.
#include "openssl_random.h"

#include <limits.h>

#include <openssl/rand.h>

int us_random_bytes(uint8_t *buffer, size_t length) {
    if (length > INT_MAX) return 0;
    return RAND_bytes(buffer, (int)length) == 1;
}
