//! Access tokens, stored by digest (never the secret), with their role and revocation time.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{NOW, Result, Store, found};

/// An access token as stored (the secret itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenRecord {
    pub id: i64,
    pub role: String,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl Store {
    /// Stores a token by its digest and returns its id.
    pub fn insert_token(&self, hash: &str, role: &str, name: &str) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO tokens (hash, role, name, created_at) VALUES (?1, ?2, ?3, {NOW})"
                ),
                [hash, role, name],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// The active (not revoked) token with this digest.
    pub fn active_token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, role, name, created_at, revoked_at FROM tokens
                 WHERE hash = ?1 AND revoked_at IS NULL",
                [hash],
                token_row,
            )
            .optional()?)
        })
    }

    /// Every token ever created, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT id, role, name, created_at, revoked_at FROM tokens ORDER BY id")?;
            let rows = stmt.query_map([], token_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// How many tokens are not revoked.
    pub fn active_token_count(&self) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c.query_row(
                "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL",
                [],
                |row| row.get(0),
            )?;
            Ok(n.max(0) as u64)
        })
    }

    /// Revokes a token; `NotFound` if no active token has this id.
    pub fn revoke_token(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE tokens SET revoked_at = {NOW} WHERE id = ?1 AND revoked_at IS NULL"
                ),
                [id],
            )?;
            found(n, "active token", &id.to_string())
        })
    }
}

/// A token from the columns `id, role, name, created_at, revoked_at`, in this order.
fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    let (id, role, name, created_at, revoked_at) = row.try_into()?;
    Ok(TokenRecord {
        id,
        role,
        name,
        created_at,
        revoked_at,
    })
}

#[cfg(test)]
mod tests {
    use crate::store::testkit::*;

    #[test]
    fn tokens_are_found_by_hash_until_revoked() {
        let (_dir, store) = open();
        let id = store.insert_token("h1", "department", "bootstrap").unwrap();
        store.insert_token("h2", "zone:z1", "园区").unwrap();
        assert_eq!(store.active_token_count().unwrap(), 2);
        assert_eq!(
            store.active_token("h1").unwrap().unwrap().role,
            "department"
        );
        assert!(store.active_token("nope").unwrap().is_none());
        store.revoke_token(id).unwrap();
        assert!(store.active_token("h1").unwrap().is_none());
        assert_eq!(store.revoke_token(id).unwrap_err().code(), "not_found");
        let all = store.tokens().unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].revoked_at.is_some() && all[1].revoked_at.is_none());
    }
}
