//! Who may do what: roles, access tokens and the permission rules every endpoint applies.
//!
//! A token is 32 random bytes written as 64 hex characters. It is shown once when created; only its
//! SHA-256 digest is stored, so a copy of the database does not leak usable tokens. Roles:
//! `department` (everything), `zone:<zone_id>` (its own zone and demands), `university:<university_id>`
//! (its own university and teams).

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::domain::{UniversityId, ZoneId};
use crate::error_code::ErrorCode;
use crate::store::{Store, StoreError};

/// The role a token acts in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    Department,
    Zone(ZoneId),
    University(UniversityId),
}

/// Why a role or a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(
        "invalid role {0:?}: expected department, zone:<zone_id> or university:<university_id>"
    )]
    InvalidRole(String),
    #[error("missing bearer token")]
    MissingToken,
    #[error("unknown or revoked token")]
    InvalidToken,
    #[error("the {role} role may not {action}")]
    Forbidden { role: String, action: String },
}

impl AuthError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::InvalidRole(_) => ErrorCode::InvalidRole,
            AuthError::MissingToken => ErrorCode::MissingToken,
            AuthError::InvalidToken => ErrorCode::InvalidToken,
            AuthError::Forbidden { .. } => ErrorCode::Forbidden,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Department => f.write_str("department"),
            Role::Zone(id) => write!(f, "zone:{id}"),
            Role::University(id) => write!(f, "university:{id}"),
        }
    }
}

impl FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || AuthError::InvalidRole(s.to_owned());
        let valid_id =
            |id: &str| !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control());
        if s == "department" {
            return Ok(Role::Department);
        }
        match s.split_once(':') {
            Some(("zone", id)) if valid_id(id) => Ok(Role::Zone(ZoneId::from(id))),
            Some(("university", id)) if valid_id(id) => {
                Ok(Role::University(UniversityId::from(id)))
            }
            _ => Err(invalid()),
        }
    }
}

impl Role {
    /// The role's kind without its id: `department`, `zone` or `university` (safe to log and to use
    /// as a metrics label).
    pub fn kind(&self) -> &'static str {
        match self {
            Role::Department => "department",
            Role::Zone(_) => "zone",
            Role::University(_) => "university",
        }
    }

    pub fn is_department(&self) -> bool {
        matches!(self, Role::Department)
    }

    /// Whether this role acts for `zone` (the department acts for every zone).
    pub fn owns_zone(&self, zone: &ZoneId) -> bool {
        match self {
            Role::Department => true,
            Role::Zone(own) => own == zone,
            Role::University(_) => false,
        }
    }

    /// Whether this role acts for `university` (the department acts for every university).
    pub fn owns_university(&self, university: &UniversityId) -> bool {
        match self {
            Role::Department => true,
            Role::University(own) => own == university,
            Role::Zone(_) => false,
        }
    }

    /// Whether this role may read and comment on a pairing between `zone` and `university`.
    pub fn involved_in(&self, zone: &ZoneId, university: &UniversityId) -> bool {
        self.owns_zone(zone) || self.owns_university(university)
    }

    /// A `forbidden` error naming this role and what it tried.
    pub fn forbidden(&self, action: impl Into<String>) -> AuthError {
        AuthError::Forbidden {
            role: self.to_string(),
            action: action.into(),
        }
    }
}

/// The caller behind a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    /// The note given when the token was created (who holds it).
    pub name: String,
    pub role: Role,
}

/// A fresh random token: 32 bytes from the operating system, as 64 lowercase hex characters.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a token: its SHA-256 digest in hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token for `role`, stores its digest and returns its id and the token (to show once).
pub fn create_token(store: &Store, role: &Role, name: &str) -> Result<(i64, String), StoreError> {
    let token = generate_token();
    let id = store.insert_token(&hash_token(&token), &role.to_string(), name)?;
    Ok((id, token))
}

/// Reads the token out of an `Authorization` header value (`Bearer TOKEN`, scheme case-insensitive).
pub fn bearer_token(header: Option<&str>) -> Result<&str, AuthError> {
    let header = header.ok_or(AuthError::MissingToken)?.trim();
    let (scheme, token) = header.split_once(' ').ok_or(AuthError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::InvalidToken);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print_the_same() {
        for text in ["department", "zone:z-suzhou", "university:u-nju"] {
            assert_eq!(text.parse::<Role>().unwrap().to_string(), text);
        }
        for bad in [
            "",
            "admin",
            "zone:",
            "zone",
            "university: u",
            "zone:a b",
            "zone:a\tb",
            "Department",
        ] {
            assert_eq!(
                bad.parse::<Role>().unwrap_err().code(),
                "invalid_role",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ownership_rules() {
        let z = ZoneId::from("z1");
        let u = UniversityId::from("u1");
        let dept = Role::Department;
        let zone = Role::Zone(z.clone());
        let univ = Role::University(u.clone());
        assert!(dept.owns_zone(&z) && dept.owns_university(&u));
        assert!(zone.owns_zone(&z) && !zone.owns_zone(&ZoneId::from("z2")));
        assert!(!zone.owns_university(&u));
        assert!(univ.owns_university(&u) && !univ.owns_zone(&z));
        assert!(zone.involved_in(&z, &UniversityId::from("u9")));
        assert!(!univ.involved_in(&z, &UniversityId::from("u9")));
        assert_eq!(zone.kind(), "zone");
    }

    #[test]
    fn tokens_are_random_hex_and_hash_deterministically() {
        let a = generate_token();
        let b = generate_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer_token(None), Err(AuthError::MissingToken));
        assert_eq!(bearer_token(Some("Bearer ")), Err(AuthError::InvalidToken));
        assert_eq!(
            bearer_token(Some("Basic abc")),
            Err(AuthError::InvalidToken)
        );
        assert_eq!(bearer_token(Some("abc")), Err(AuthError::InvalidToken));
    }
}
