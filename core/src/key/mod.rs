//! Key formats: JWK, JWKS, SPKI PEM, PKCS#8 PEM.
