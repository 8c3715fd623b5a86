use std::fmt;

/// A content digest as OCI writes it: `algorithm:hex` (OCI image-spec, descriptor.md "Digests").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest {
    algorithm: String,
    hex: String,
}

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestError {
    /// There is no `:` between algorithm and encoded part.
    MissingColon(String),
    /// The algorithm part is empty or holds characters outside `[a-z0-9+._-]`.
    BadAlgorithm(String),
    /// The encoded part has the wrong length or characters for its algorithm.
    BadEncoded {
        /// The whole digest string.
        digest: String,
        /// What the algorithm requires.
        expected: &'static str,
    },
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingColon(d) => write!(f, "digest {d:?} has no ':' between algorithm and hex"),
            Self::BadAlgorithm(d) => write!(f, "digest {d:?} has an invalid algorithm"),
            Self::BadEncoded { digest, expected } => {
                write!(f, "digest {digest:?}: the encoded part must be {expected}")
            }
        }
    }
}

impl std::error::Error for DigestError {}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>` (and `sha512:<128 hex>`); other registered
    /// algorithms are accepted with a non-empty `[A-Za-z0-9=_-]` encoded part, as the
    /// OCI grammar allows, but only sha256 and sha512 can be verified.
    pub fn parse(s: &str) -> Result<Self, DigestError> {
        let (algorithm, hex) = s.split_once(':').ok_or_else(|| DigestError::MissingColon(s.to_owned()))?;
        // OCI grammar: algorithm-component (separator algorithm-component)*, components of
        // [a-z0-9]+ and separators of [+._-] — so no empty component, `..` or leading `.`.
        let algo_ok = algorithm.split(['+', '.', '_', '-']).all(|component| {
            !component.is_empty() && component.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !algo_ok {
            return Err(DigestError::BadAlgorithm(s.to_owned()));
        }
        let is_hex = |h: &str| h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let bad = |expected| DigestError::BadEncoded { digest: s.to_owned(), expected };
        match algorithm {
            "sha256" if hex.len() != 64 || !is_hex(hex) => return Err(bad("64 lowercase hex digits")),
            "sha512" if hex.len() != 128 || !is_hex(hex) => {
                return Err(bad("128 lowercase hex digits"));
            }
            _ if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b)) => {
                return Err(bad("non-empty [A-Za-z0-9=_-]"));
            }
            _ => {}
        }
        Ok(Self { algorithm: algorithm.to_owned(), hex: hex.to_owned() })
    }

    /// A sha256 digest from its raw 32 bytes.
    pub fn sha256_from_bytes(bytes: &[u8; 32]) -> Self {
        use fmt::Write;
        let mut hex = String::with_capacity(64);
        for b in bytes {
            let _ = write!(hex, "{b:02x}");
        }
        Self { algorithm: "sha256".into(), hex }
    }

    /// The algorithm, e.g. `sha256`.
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The encoded (hex) part.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl TryFrom<String> for Digest {
    type Error = DigestError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.to_string()
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Digest::parse("sha256:64507d6bcdd71fd4dea0848ec91a550f804c5d7661eeb639826dc4a66f7da74c").unwrap();
        assert_eq!(d.algorithm(), "sha256");
        assert!(matches!(Digest::parse("sha256"), Err(DigestError::MissingColon(_))));
        assert!(matches!(Digest::parse("sha256:ABC"), Err(DigestError::BadEncoded { .. })));
        assert!(matches!(Digest::parse("SHA256:abc"), Err(DigestError::BadAlgorithm(_))));
        for bad in ["..:abc", "a..b:abc", ".a:abc", "a.:abc", ":abc"] {
            assert!(matches!(Digest::parse(bad), Err(DigestError::BadAlgorithm(_))), "{bad}");
        }
        assert!(Digest::parse("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8").is_ok());
    }
}
