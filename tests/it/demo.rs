//! `crm demo-data`: the counts the issue asks for, the same data for the same seed, and a
//! database that still has its indexes and search afterwards.

use crate::common::TestDb;
use chrono::Utc;
use crm::server::db::{Db, on};
use crm::server::demo;

async fn count(db: &Db, sql: &str) -> i64 {
    let mut h = db.handle().await.unwrap();
    on!(&mut h.c(), c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await).unwrap()
}

async fn lead_emails(db: &Db) -> Vec<String> {
    let mut h = db.handle().await.unwrap();
    on!(&mut h.c(), c => sqlx::query_scalar::<_, String>("select email from leads order by email").fetch_all(c).await).unwrap()
}

#[tokio::test]
async fn demo_data_loads_every_kind_of_record_on_every_backend() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let indexes = "select count(*) from sqlite_master where type in ('index', 'trigger')";
        let sqlite = db.backend() == crm::server::db::Backend::Sqlite;
        let before = if sqlite { count(&db, indexes).await } else { 0 };
        let loaded = demo::load(&db, 2_000, 7, Utc::now()).await.unwrap();
        assert_eq!(
            (
                loaded.leads,
                loaded.contacts,
                loaded.accounts,
                loaded.opportunities
            ),
            (2_000, 1_000, 200, 400)
        );
        assert!(
            loaded.stage_history >= loaded.opportunities
                && loaded.activities > 0
                && loaded.tasks > 0
        );
        assert_eq!(count(&db, "select count(*) from leads").await, 2_000);
        assert_eq!(
            count(
                &db,
                "select count(*) from opportunities where stage = 'won' and closed_at is null"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &db,
                "select count(*) from opportunities where stage = 'lost' and lost_reason is null"
            )
            .await,
            0
        );
        assert_eq!(
            count(&db, "select count(*) from opportunities o where not exists (select 1 from stage_history h where h.opportunity_id = o.id)").await,
            0,
            "every opportunity has its history"
        );
        if sqlite {
            assert_eq!(
                count(&db, indexes).await,
                before,
                "indexes and triggers are back"
            );
            assert_eq!(
                count(
                    &db,
                    "select count(*) from leads_fts where leads_fts match 'lovelace'"
                )
                .await,
                count(
                    &db,
                    "select count(*) from leads where name like '%Lovelace%'"
                )
                .await,
                "search was rebuilt"
            );
        }
        db.close().await;
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    let (a, b, c) = (TestDb::sqlite(), TestDb::sqlite(), TestDb::sqlite());
    let (a, b, c) = (a.open().await, b.open().await, c.open().await);
    demo::load(&a, 500, 1, Utc::now()).await.unwrap();
    demo::load(&b, 500, 1, Utc::now()).await.unwrap();
    demo::load(&c, 500, 2, Utc::now()).await.unwrap();
    assert_eq!(lead_emails(&a).await, lead_emails(&b).await);
    assert_ne!(lead_emails(&a).await, lead_emails(&c).await);
}

/// A text filter is read one of three ways, chosen by how many rows match: both must give the
/// same pages, in the same order, page after page, on every backend.
#[tokio::test]
async fn text_filters_read_the_same_rows_whichever_way_they_are_read() {
    use crm::domain::lead::Lead;
    use crm::domain::records::ListQuery;
    use crm::server::db::leads;
    use crm::server::db::list::{self, TextPlan};
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        // Enough that `a` matches more than list::COMMON_TEXT leads.
        demo::load(&db, 5_000, 7, Utc::now()).await.unwrap();
        if db.backend() == crm::server::db::Backend::Postgres {
            let mut h = db.handle().await.unwrap();
            on!(&mut h.c(), c => sqlx::query("analyze leads").execute(c).await.map(|_| ()))
                .unwrap();
        }
        let mut h = db.handle().await.unwrap();
        for (q, expected) in [
            ("a", TextPlan::Walk),
            ("qzxv", TextPlan::Matches),
            ("3000", TextPlan::Matches),
        ] {
            for sort in ["-created_at", "created_at", "name", "-updated_at"] {
                let mut query = ListQuery {
                    q: Some(q.into()),
                    sort: Some(sort.into()),
                    limit: Some(40),
                    ..Default::default()
                };
                if sort == "-created_at" {
                    assert_eq!(
                        list::text_plan(&mut h.c(), &leads::LIST, &query)
                            .await
                            .unwrap(),
                        expected,
                        "{q}"
                    );
                }
                for _ in 0..3 {
                    let mut pages = Vec::new();
                    for plan in [TextPlan::Matches, TextPlan::Walk, TextPlan::Probe] {
                        let page: crm::domain::records::Page<Lead> =
                            list::page_planned(&mut h.c(), &leads::LIST, &query, vec![], plan)
                                .await
                                .unwrap();
                        pages.push(page);
                    }
                    let ids = |p: &crm::domain::records::Page<Lead>| {
                        p.items.iter().map(|l| l.id).collect::<Vec<_>>()
                    };
                    let (a, b, probed) = (&pages[0], &pages[1], &pages[2]);
                    assert_eq!(ids(a), ids(b), "{q} sorted {sort}");
                    assert_eq!(ids(a), ids(probed), "{q} sorted {sort}, probed");
                    assert_eq!(a.next_cursor, b.next_cursor);
                    assert_eq!(a.next_cursor, probed.next_cursor);
                    match a.next_cursor.clone() {
                        Some(c) => query.cursor = Some(c),
                        None => break,
                    }
                }
            }
        }
    }
}
