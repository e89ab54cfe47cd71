// Random bytes from the system OpenSSL's libcrypto. See UUID+random.swift.
#ifndef UNDERSTUDY_OPENSSL_RANDOM_H
#define UNDERSTUDY_OPENSSL_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/// Fills `buffer` from OpenSSL's default DRBG (RAND_bytes: per-thread, seeded and reseeded from the kernel).
/// Returns 1 on success, 0 when OpenSSL fails.
int us_random_bytes(uint8_t *buffer, size_t length);

#endif
