// JWS signing through the system OpenSSL's libcrypto. One EVP_PKEY per key, shared read-only. The message is
// hashed with a one-shot digest and the hash signed with EVP_PKEY_sign on a key context set up once (padding,
// digest) and kept in a small pool, as `openssl speed` signs: setting a context up per signature costs
// OpenSSL 3 provider lookups under locks both threads share. A context is used by one thread at a time.
#include "openssl_signer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

/// Idle contexts kept for reuse; more signing threads than this only create and free extra contexts.
#define US_SIGNER_POOL_SIZE 8

struct us_signer {
    EVP_PKEY *key;
    EVP_MD *digest;  // SHA-256, fetched once: fetching per signature costs a provider lookup
    int kind;
    size_t max_signature_length;
    pthread_mutex_t pool_lock;
    EVP_PKEY_CTX *pool[US_SIGNER_POOL_SIZE];  // idle sign contexts, ready for EVP_PKEY_sign
    int pool_count;
};

static int is_p256(EVP_PKEY *key) {
    char curve[64] = {0};
    size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof(curve), &length) != 1) return 0;
    return strcmp(curve, SN_X9_62_prime256v1) == 0;
}

/// Refuses passphrases: without a callback OpenSSL would prompt on the terminal for an encrypted key.
static int no_passphrase(char *buffer, int size, int rwflag, void *userdata) {
    (void)buffer, (void)size, (void)rwflag, (void)userdata;
    return -1;
}

us_signer *us_signer_new_from_pem(const char *pem, size_t pem_length, int *kind) {
    if (pem == NULL || pem_length > (size_t)INT32_MAX) return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_length);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (key == NULL) return NULL;

    int found = 0;
    size_t max_length = 0;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        found = US_SIGNER_RSA_SHA256;
        max_length = (size_t)EVP_PKEY_get_size(key);
    } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && is_p256(key)) {
        found = US_SIGNER_ECDSA_P256_SHA256;
        max_length = 64;
    }
    EVP_MD *digest = found ? EVP_MD_fetch(NULL, "SHA256", NULL) : NULL;
    us_signer *signer = digest ? calloc(1, sizeof(us_signer)) : NULL;
    if (signer == NULL) {
        EVP_MD_free(digest);
        EVP_PKEY_free(key);
        return NULL;
    }
    if (pthread_mutex_init(&signer->pool_lock, NULL) != 0) {
        free(signer);
        EVP_MD_free(digest);
        EVP_PKEY_free(key);
        return NULL;
    }
    signer->key = key;
    signer->digest = digest;
    signer->kind = found;
    signer->max_signature_length = max_length;
    if (kind) *kind = found;
    return signer;
}

void us_signer_free(us_signer *signer) {
    if (signer == NULL) return;
    for (int i = 0; i < signer->pool_count; i++) EVP_PKEY_CTX_free(signer->pool[i]);
    pthread_mutex_destroy(&signer->pool_lock);
    EVP_MD_free(signer->digest);
    EVP_PKEY_free(signer->key);
    free(signer);
}

size_t us_signer_max_signature_length(const us_signer *signer) {
    return signer ? signer->max_signature_length : 0;
}

/// RFC 7518 §3.4: an ES256 signature is R and S as 32-byte big-endian integers, not DER.
static long der_to_raw_p256(const uint8_t *der, size_t der_length, uint8_t *out, size_t capacity) {
    if (capacity < 64) return -1;
    const unsigned char *cursor = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &cursor, (long)der_length);
    if (sig == NULL) return -1;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(sig, &r, &s);
    long result = (BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32) ? 64 : -1;
    ECDSA_SIG_free(sig);
    return result;
}

/// A context ready to sign a SHA-256 hash with the signer's key: from the pool, or new.
static EVP_PKEY_CTX *take_context(us_signer *signer) {
    EVP_PKEY_CTX *context = NULL;
    pthread_mutex_lock(&signer->pool_lock);
    if (signer->pool_count > 0) context = signer->pool[--signer->pool_count];
    pthread_mutex_unlock(&signer->pool_lock);
    if (context != NULL) return context;

    context = EVP_PKEY_CTX_new_from_pkey(NULL, signer->key, NULL);
    if (context == NULL) return NULL;
    int ready = EVP_PKEY_sign_init(context) == 1 && EVP_PKEY_CTX_set_signature_md(context, signer->digest) == 1;
    if (ready && signer->kind == US_SIGNER_RSA_SHA256) ready = EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1;
    if (!ready) {
        EVP_PKEY_CTX_free(context);
        return NULL;
    }
    return context;
}

/// Returns a context that signed successfully to the pool (or frees it when the pool is full).
static void return_context(us_signer *signer, EVP_PKEY_CTX *context) {
    pthread_mutex_lock(&signer->pool_lock);
    if (signer->pool_count < US_SIGNER_POOL_SIZE) {
        signer->pool[signer->pool_count++] = context;
        context = NULL;
    }
    pthread_mutex_unlock(&signer->pool_lock);
    EVP_PKEY_CTX_free(context);
}

long us_signer_sign(us_signer *signer, const uint8_t *message, size_t message_length, uint8_t *signature, size_t capacity) {
    if (signer == NULL || signature == NULL || (message == NULL && message_length > 0)) return -1;
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_length = 0;
    if (EVP_Digest(message, message_length, hash, &hash_length, signer->digest, NULL) != 1) {
        ERR_clear_error();
        return -1;
    }
    EVP_PKEY_CTX *context = take_context(signer);
    if (context == NULL) {
        ERR_clear_error();
        return -1;
    }
    long result = -1;
    if (signer->kind == US_SIGNER_RSA_SHA256) {
        size_t length = capacity;
        if (EVP_PKEY_sign(context, signature, &length, hash, hash_length) == 1) result = (long)length;
    } else {
        uint8_t der[80];  // a DER ECDSA-Sig-Value for P-256 takes at most 72 bytes
        size_t length = sizeof(der);
        if (EVP_PKEY_sign(context, der, &length, hash, hash_length) == 1) result = der_to_raw_p256(der, length, signature, capacity);
    }
    if (result < 0) {
        // A context that failed is not reused: its state after an error is OpenSSL's business.
        EVP_PKEY_CTX_free(context);
        ERR_clear_error();
    } else {
        return_context(signer, context);
    }
    return result;
}
