//! The audit log as a hash chain: intact after ordinary work, one chain under concurrent
//! writers from separate pools (as from separate server processes), and `crm audit verify`
//! naming the first bad entry after an edit, a removal or an insertion behind the app's back.

use crate::common::*;
use chrono::Utc;
use crm::server::db::audit::{self, NewEntry, Problem, Verdict};
use crm::server::db::{Backend, Db};
use std::process::Stdio;

fn entry(n: usize) -> NewEntry {
    NewEntry {
        action: "test.wrote".into(),
        actor_label: Some(format!("writer {n}")),
        target_type: Some("lead".into()),
        target_id: Some(n.to_string()),
        details: serde_json::json!({ "n": n, "zeta": "last", "alpha": [1, {"b": 2, "a": 1}] }),
        ..Default::default()
    }
}

async fn write(db: &Db, n: usize) {
    let mut tx = db.begin().await.expect("begin");
    audit::insert(&mut tx.c(), &entry(n), Utc::now())
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
}

async fn verdict(db: &Db) -> Verdict {
    let mut h = db.handle().await.expect("handle");
    audit::verify(&mut h.c()).await.expect("verify")
}

/// Runs SQL behind the application's back, with the append-only triggers out of the way.
async fn tamper(db: &Db, sql: &str) {
    let mut h = db.handle().await.expect("handle");
    let (off, on): (&[&str], &[&str]) = match db.backend() {
        Backend::Sqlite => (
            &[
                "drop trigger if exists audit_log_no_update",
                "drop trigger if exists audit_log_no_delete",
            ],
            &[],
        ),
        Backend::Postgres => (
            &["alter table audit_log disable trigger audit_log_no_update"],
            &["alter table audit_log enable trigger audit_log_no_update"],
        ),
    };
    for s in off.iter().chain([&sql]).chain(on.iter()) {
        crm::on!(&mut h.c(), c => sqlx::query(s).execute(&mut *c).await.map(|_| ())).expect(s);
    }
}

async fn seq_of(db: &Db, n: usize) -> i64 {
    let mut h = db.handle().await.expect("handle");
    let sql = "select seq from audit_log where target_id = $1";
    crm::on!(&mut h.c(), c => sqlx::query_scalar(sql).bind(n.to_string()).fetch_one(c).await)
        .expect("seq")
}

#[tokio::test]
async fn an_intact_chain_verifies_and_each_kind_of_tampering_is_named() {
    for kind in ["edit", "delete", "insert", "unsealed"] {
        for test_db in TestDb::all().await {
            let db = test_db.open().await;
            for n in 0..5 {
                write(&db, n).await;
            }
            let Verdict::Intact { entries, .. } = verdict(&db).await else {
                panic!("a fresh chain is intact");
            };
            assert_eq!(entries, 5);
            let target = seq_of(&db, 2).await;
            // Ids are blobs on SQLite and uuids on PostgreSQL.
            let new_id = match db.backend() {
                Backend::Sqlite => "randomblob(16)",
                Backend::Postgres => "gen_random_uuid()",
            };
            let head = "(select max(seq) from audit_log)";
            let (sql, at, problem) = match kind {
                "edit" => (
                    format!("update audit_log set actor_label = 'someone else' where seq = {target}"),
                    target,
                    Problem::ContentChanged,
                ),
                "delete" => (
                    format!("delete from audit_log where seq = {target}"),
                    seq_of(&db, 3).await,
                    Problem::LinkBroken,
                ),
                // A forged entry at the end, linked to the real head, with a made-up hash.
                "insert" => (
                    format!(
                        "insert into audit_log (id, at, action, details, prev_hash, hash)
                         select {new_id}, at, 'user.deleted', details, hash, 'forged'
                         from audit_log where seq = {head}"
                    ),
                    0,
                    Problem::ContentChanged,
                ),
                // An entry with no hash at all.
                _ => (
                    format!(
                        "insert into audit_log (id, at, action, details)
                         select {new_id}, at, 'user.deleted', details from audit_log where seq = {head}"
                    ),
                    0,
                    Problem::Unsealed,
                ),
            };
            tamper(&db, &sql).await;
            match verdict(&db).await {
                Verdict::Broken {
                    seq,
                    problem: p,
                    checked,
                    ..
                } => {
                    assert_eq!(p, problem, "{kind} on {:?}", db.backend());
                    if at != 0 {
                        assert_eq!(seq, at, "{kind}: the first bad entry is named");
                    } else {
                        assert_eq!(
                            checked, 5,
                            "{kind}: everything before the forged row checks out"
                        );
                    }
                }
                other => panic!("{kind} went unnoticed on {:?}: {other:?}", db.backend()),
            }
            db.close().await;
        }
    }
}

#[tokio::test]
async fn concurrent_writers_in_separate_pools_make_one_chain() {
    for test_db in TestDb::all().await {
        // Two pools on one database: what two server processes are to it.
        let first = test_db.open().await;
        let second = test_db.open().await;
        let mut tasks = Vec::new();
        for w in 0..8 {
            let db = if w % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tasks.push(tokio::spawn(async move {
                for i in 0..25 {
                    write(&db, w * 100 + i).await;
                }
            }));
        }
        for t in tasks {
            t.await.expect("writer");
        }
        match verdict(&first).await {
            Verdict::Intact { entries, .. } => assert_eq!(entries, 200, "{:?}", first.backend()),
            broken => panic!(
                "concurrent writers broke the chain on {:?}: {broken:?}",
                first.backend()
            ),
        }
        first.close().await;
        second.close().await;
    }
}

#[tokio::test]
async fn entries_from_before_the_chain_are_sealed_once_and_later_gaps_are_not() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        write(&db, 1).await;
        // Pretend two entries predate the chain: written without hashes, then marked legacy.
        tamper(&db, "update audit_log set prev_hash = null, hash = null").await;
        write(&db, 2).await;
        tamper(&db, "update audit_log set prev_hash = null, hash = null").await;
        tamper(&db, "update audit_chain_start set legacy_through = 1000").await;
        let mut tx = db.begin().await.expect("begin");
        let sealed = audit::seal_unhashed(&mut tx.c()).await.expect("seal");
        tx.commit().await.expect("commit");
        assert_eq!(sealed, 2);
        write(&db, 3).await;
        assert!(matches!(
            verdict(&db).await,
            Verdict::Intact { entries: 3, .. }
        ));
        db.close().await;
    }
}

#[tokio::test]
async fn crm_audit_verify_exits_by_the_state_of_the_chain() {
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    for n in 0..3 {
        write(&db, n).await;
    }
    let run = || async {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(["audit", "verify"])
            .env("DATABASE_URL", &test_db.url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .expect("run crm");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, text) = run().await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("intact: 3 entries"), "{text}");
    let target = seq_of(&db, 1).await;
    tamper(
        &db,
        &format!("update audit_log set details = '{{}}' where seq = {target}"),
    )
    .await;
    let (code, text) = run().await;
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(&format!("entry #{target}")), "{text}");
    assert!(text.contains("changed after it was written"), "{text}");
    db.close().await;
}
