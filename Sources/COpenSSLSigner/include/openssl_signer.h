// JWS signing through the system OpenSSL's libcrypto (RS256 and ES256). See OpenSSLSigner.swift.
#ifndef UNDERSTUDY_OPENSSL_SIGNER_H
#define UNDERSTUDY_OPENSSL_SIGNER_H

#include <stddef.h>
#include <stdint.h>

/// A private key parsed once and shared by every thread that signs with it, with a small pool of signing
/// contexts set up for it.
typedef struct us_signer us_signer;

enum us_signer_kind {
    US_SIGNER_RSA_SHA256 = 1,      ///< RSASSA-PKCS1-v1_5 with SHA-256 (JWS RS256)
    US_SIGNER_ECDSA_P256_SHA256 = 2 ///< ECDSA P-256 with SHA-256, r||s (JWS ES256)
};

/// Parses a PEM private key (PKCS#1, SEC 1 or PKCS#8). Returns NULL for anything but an RSA key or a
/// P-256 EC key; `kind` receives which it is.
us_signer *us_signer_new_from_pem(const char *pem, size_t pem_length, int *kind);

void us_signer_free(us_signer *signer);

/// The most bytes a signature can take (RSA: the modulus size; ES256: 64).
size_t us_signer_max_signature_length(const us_signer *signer);

/// Signs `message` (the JWS signing input); writes the JWS signature bytes to `signature` and returns
/// their count, or -1 when OpenSSL fails or `capacity` is too small. Safe to call from many threads.
long us_signer_sign(us_signer *signer, const uint8_t *message, size_t message_length, uint8_t *signature, size_t capacity);

#endif
