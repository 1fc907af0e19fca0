// OpenSSL's libcrypto (Debian: libssl-dev): MD5 digests to verify downloaded datasets.
#include <openssl/evp.h>
