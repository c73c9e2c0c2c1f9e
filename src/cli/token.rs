//! `shuanggao token create|revoke|list`: manage the service's access tokens in its database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use shuanggao::auth::{self, Role};
use shuanggao::store::{Store, StoreError};

/// Manage access tokens.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// SQLite database file of the service.
    #[arg(long, default_value = "var/shuanggao.db", global = true)]
    pub db: PathBuf,
    #[command(subcommand)]
    pub action: TokenAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once.
    Create {
        /// department, zone:<zone_id> or university:<university_id>.
        #[arg(long)]
        role: String,
        /// Who holds the token (recorded in review history).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Revoke a token by its id (see `token list`).
    Revoke { id: i64 },
    /// List tokens (ids, roles, names, dates; never the tokens themselves).
    List,
}

pub fn run(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.db)
        .with_context(|| format!("cannot open database {}", args.db.display()))?;
    match args.action {
        TokenAction::Create { role, name } => {
            let role: Role = match role.parse() {
                Ok(role) => role,
                Err(err) => {
                    eprintln!("error: {err}");
                    return Ok(ExitCode::from(2));
                }
            };
            let known = match &role {
                Role::Department => true,
                Role::Zone(id) => !store.is_imported()? || store.zone_exists(id)?,
                Role::University(id) => !store.is_imported()? || store.university_exists(id)?,
            };
            if !known {
                eprintln!("error: role {role} names no imported zone or university");
                return Ok(ExitCode::from(2));
            }
            let name = if name.trim().is_empty() {
                role.to_string()
            } else {
                name.trim().to_owned()
            };
            let (id, token) = auth::create_token(&store, &role, &name)?;
            eprintln!("token {id} for {role} ({name}); it is shown once:");
            println!("{token}");
        }
        TokenAction::Revoke { id } => match store.revoke_token(id) {
            Ok(()) => eprintln!("token {id} revoked"),
            Err(StoreError::NotFound { .. }) => {
                eprintln!("error: no active token with id {id}");
                return Ok(ExitCode::from(2));
            }
            Err(err) => return Err(err.into()),
        },
        TokenAction::List => {
            println!(
                "{:>4}  {:<32}  {:<24}  {:<24}  revoked",
                "id", "role", "name", "created"
            );
            for t in store.tokens()? {
                println!(
                    "{:>4}  {:<32}  {:<24}  {:<24}  {}",
                    t.id,
                    t.role,
                    t.name,
                    t.created_at,
                    t.revoked_at.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
