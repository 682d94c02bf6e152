//! Cookie sessions live in the CRM's own database (tower-sessions-sqlx-store), so several
//! `crm serve` processes on one PostgreSQL accept the same cookie.

use super::db::Db;
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Clone, Debug)]
pub enum CrmSessionStore {
    /// On SQLite the store's writes wait their turn among the CRM's writers (see
    /// `db::SqliteSide`), like every other write.
    Sqlite(SqliteStore, Db),
    Postgres(PostgresStore),
}

impl CrmSessionStore {
    /// The store for this database, with its table created if missing.
    pub async fn for_db(db: &Db) -> Result<Self, sqlx::Error> {
        Ok(match db {
            Db::Sqlite(pool, _) => {
                let store = SqliteStore::new(pool.clone());
                store.migrate().await?;
                CrmSessionStore::Sqlite(store, db.clone())
            }
            Db::Postgres(pool) => {
                let store = PostgresStore::new(pool.clone());
                store.migrate().await?;
                CrmSessionStore::Postgres(store)
            }
        })
    }
}

#[async_trait]
impl SessionStore for CrmSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            CrmSessionStore::Sqlite(s, db) => {
                let _turn = db.write_turn().await;
                s.create(record).await
            }
            CrmSessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            CrmSessionStore::Sqlite(s, db) => {
                let _turn = db.write_turn().await;
                s.save(record).await
            }
            CrmSessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            CrmSessionStore::Sqlite(s, _) => s.load(id).await,
            CrmSessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            CrmSessionStore::Sqlite(s, db) => {
                let _turn = db.write_turn().await;
                s.delete(id).await
            }
            CrmSessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for CrmSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            CrmSessionStore::Sqlite(s, db) => {
                let _turn = db.write_turn().await;
                s.delete_expired().await
            }
            CrmSessionStore::Postgres(s) => s.delete_expired().await,
        }
    }
}
