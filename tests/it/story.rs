//! The story test: every repository function, on SQLite and (when `TEST_DATABASE_URL` is set)
//! on PostgreSQL, each run on its own fresh database.

use crate::common::TestDb;
use chrono::{Duration, Utc};
use crm::domain::user::Role;
use crm::server::db::truncate_micros;
use crm::server::db::{Db, audit, sessions, throttle, tokens, users};
use uuid::Uuid;

#[tokio::test]
async fn foundation_story_on_every_backend() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        foundation_story(&db).await;
        // Migrations are idempotent: a second run changes nothing.
        db.migrate().await.expect("second migrate");
        db.close().await;
    }
}

async fn foundation_story(db: &Db) {
    let now = truncate_micros(Utc::now());
    let mut tx = db.begin().await.unwrap();
    let c = &mut tx.c();

    // Users.
    assert_eq!(users::count(c).await.unwrap(), 0);
    let ada = Uuid::now_v7();
    let new = users::NewUser {
        id: ada,
        email: "ada@example.com",
        name: "Ada",
        role: Role::Admin,
        password_hash: Some("h"),
        now,
    };
    users::insert(c, &new).await.unwrap();
    tx.commit().await.unwrap();
    // A duplicate fails with a recognisable unique violation (in its own transaction: on
    // PostgreSQL a failed statement poisons the transaction it is in).
    let mut tx = db.begin().await.unwrap();
    let dup = users::NewUser {
        id: Uuid::now_v7(),
        ..new
    };
    let err = users::insert(&mut tx.c(), &dup).await.unwrap_err();
    assert!(users::EMAIL_TAKEN.violated_by(&err), "{err}");
    drop(tx);

    let mut h = db.handle().await.unwrap();
    let c = &mut h.c();
    let row = users::by_email(c, "ada@example.com")
        .await
        .unwrap()
        .expect("found by email");
    assert_eq!(
        (row.id, row.role, row.active, row.created_at),
        (ada, Role::Admin, true, now)
    );
    assert_eq!(
        users::by_id(c, ada).await.unwrap().unwrap().email,
        "ada@example.com"
    );
    assert!(users::by_id(c, Uuid::now_v7()).await.unwrap().is_none());
    assert!(users::set_password(c, ada, "h2", now).await.unwrap());
    assert!(users::set_active(c, ada, false, now).await.unwrap());
    users::record_login(c, ada, now).await.unwrap();
    let row = users::by_id(c, ada).await.unwrap().unwrap();
    assert_eq!(
        (row.password_hash.as_deref(), row.active, row.last_login_at),
        (Some("h2"), false, Some(now))
    );
    users::set_active(c, ada, true, now).await.unwrap();
    assert_eq!(users::count(c).await.unwrap(), 1);

    // Sign-in sessions.
    let s1 = Uuid::now_v7();
    let s2 = Uuid::now_v7();
    for id in [s1, s2] {
        let s = sessions::NewSession {
            id,
            user_id: ada,
            now,
            expires_at: now + Duration::hours(12),
            ip: "10.0.0.1",
            user_agent: "test",
        };
        sessions::insert(c, &s).await.unwrap();
    }
    let live = sessions::with_user(c, s1).await.unwrap().expect("session");
    assert_eq!(
        (live.user.id, live.ended_at, live.last_seen_at),
        (ada, None, now)
    );
    sessions::touch(c, s1, now + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        sessions::with_user(c, s1)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        now + Duration::minutes(5)
    );
    assert_eq!(sessions::count_open_for_user(c, ada, now).await.unwrap(), 2);
    sessions::end(c, s1, "logout", now).await.unwrap();
    assert!(
        sessions::with_user(c, s1)
            .await
            .unwrap()
            .unwrap()
            .ended_at
            .is_some()
    );
    assert_eq!(
        sessions::end_all_for_user(c, ada, "deactivated", now)
            .await
            .unwrap(),
        1,
        "s1 had ended already"
    );
    assert_eq!(sessions::count_open_for_user(c, ada, now).await.unwrap(), 0);

    // API tokens.
    let token_id = Uuid::now_v7();
    tokens::insert_api_token(c, token_id, ada, "ci", "hash-1", now)
        .await
        .unwrap();
    let found = tokens::api_token_user(c, "hash-1")
        .await
        .unwrap()
        .expect("token");
    assert_eq!(
        (found.token_id, found.user.id, found.last_used_at),
        (token_id, ada, None)
    );
    tokens::touch_api_token(c, token_id, now).await.unwrap();
    assert_eq!(
        tokens::api_token_user(c, "hash-1")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(now)
    );
    assert!(tokens::api_token_user(c, "hash-2").await.unwrap().is_none());

    // One-time links.
    use tokens::Purpose;
    tokens::insert_one_time(
        c,
        "ot-1",
        Purpose::SetPassword,
        Some(ada),
        now,
        now + Duration::hours(72),
    )
    .await
    .unwrap();
    tokens::insert_one_time(
        c,
        "ot-2",
        Purpose::Setup,
        None,
        now,
        now + Duration::hours(24),
    )
    .await
    .unwrap();
    assert!(
        tokens::find_one_time(c, "ot-1", Purpose::Setup)
            .await
            .unwrap()
            .is_none(),
        "purpose must match"
    );
    let ot = tokens::find_one_time(c, "ot-1", Purpose::SetPassword)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ot.user_id, ot.used_at), (Some(ada), None));
    assert!(tokens::use_one_time(c, "ot-1", now).await.unwrap());
    assert!(
        !tokens::use_one_time(c, "ot-1", now).await.unwrap(),
        "second use loses"
    );
    tokens::retire_one_time(c, Purpose::Setup, None, now)
        .await
        .unwrap();
    assert!(
        tokens::find_one_time(c, "ot-2", Purpose::Setup)
            .await
            .unwrap()
            .unwrap()
            .used_at
            .is_some()
    );

    // Failed sign-ins.
    for i in 0..4 {
        throttle::record_failure(
            c,
            "email:ada@example.com",
            now - Duration::minutes(20 - i * 5),
        )
        .await
        .unwrap();
    }
    let since = now - Duration::minutes(15);
    let (n, oldest) = throttle::failures_since(c, "email:ada@example.com", since)
        .await
        .unwrap();
    assert_eq!((n, oldest), (2, Some(now - Duration::minutes(10))));
    assert_eq!(
        throttle::nth_newest_since(c, "email:ada@example.com", since, 2)
            .await
            .unwrap(),
        Some(now - Duration::minutes(10))
    );
    assert_eq!(
        throttle::nth_newest_since(c, "email:ada@example.com", since, 3)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        throttle::prune(c, since).await.unwrap(),
        1,
        "only the one older than the window"
    );
    throttle::clear(c, "email:ada@example.com").await.unwrap();
    assert_eq!(
        throttle::failures_since(c, "email:ada@example.com", since)
            .await
            .unwrap()
            .0,
        0
    );

    // The audit log only grows.
    let entry = audit::NewEntry {
        actor_id: Some(ada),
        action: "test.done".into(),
        target_type: Some("user".into()),
        target_id: Some(ada.to_string()),
        details: serde_json::json!({ "n": 1 }),
        ..Default::default()
    };
    let audit_id = audit::insert(c, &entry, now).await.unwrap();
    let rows = audit::recent(c, Some("test.done"), 5).await.unwrap();
    assert_eq!(
        (rows.len(), rows[0].id, rows[0].details.0["n"].as_i64()),
        (1, audit_id, Some(1))
    );
    assert!(audit::recent(c, None, 5).await.unwrap().len() >= 1);
    crm::on!(c, c => {
        let update = sqlx::query("update audit_log set action = 'x'").execute(&mut *c).await;
        assert!(update.is_err(), "audit rows cannot be updated");
        let delete = sqlx::query("delete from audit_log").execute(&mut *c).await;
        assert!(delete.is_err(), "audit rows cannot be deleted");
    });
}
