//! The sealed envelope: JWE compact serialization, RSA-OAEP-256 + A256GCM.
