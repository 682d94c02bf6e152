//! The pipeline board, stage gates, stage configuration and the metrics, through the REST API
//! and the real router, on every backend.

use crate::common::*;
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use crm::domain::user::Role;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn minor(v: &Value) -> i64 {
    (v.as_f64().unwrap_or(0.0) * 100.0).round() as i64
}

async fn move_to(api: &mut Client, opp: &Value, body: Value) -> Resp {
    api.post_json(&format!("/api/crm/opportunity/{}/stage", id(opp)), body)
        .await
}

#[tokio::test]
async fn stage_gates_ask_for_exactly_the_missing_fields_and_moves_carry_them() {
    on_every_backend(async |app| {
        let (mut manager, _) = app.api("meg@example.com", Role::Manager).await;
        let (mut sales, _) = app.api("sam@example.com", Role::Sales).await;
        // A fresh installation gates its open stages (seed 002's exit criteria): Proposal needs
        // a value and an expected close, Negotiation a primary contact; editable as any stage.
        let mut stages = manager.get("/api/crm/pipeline/stages").await.json();
        assert_eq!(stages[2]["key"], "proposal");
        assert_eq!(stages[2]["required_fields"], json!(["value", "expected_close"]));
        assert_eq!(stages[3]["required_fields"], json!(["primary_contact_id"]));
        stages[3]["required_fields"] = json!([]);
        let r = manager.put_json("/api/crm/pipeline/stages", json!({"stages": stages})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(manager.get("/api/crm/pipeline/stages").await.json()[3]["required_fields"], json!([]));

        let opp = sales.post_json("/api/crm/opportunities", json!({"name": "Gadget rollout"})).await.json();
        let r = move_to(&mut sales, &opp, json!({"stage": "proposal", "version": 1})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields = r.json()["error"]["fields"].clone();
        let mut missing: Vec<&str> = fields.as_object().unwrap().keys().map(String::as_str).collect();
        missing.sort();
        assert_eq!(missing, ["expected_close", "value"]);

        let r = move_to(&mut sales, &opp, json!({"stage": "proposal", "version": 1, "value": "9000", "expected_close": "2027-01-31"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let moved = r.json();
        assert_eq!((moved["stage"].as_str(), moved["version"].as_i64(), moved["probability"].as_i64()), (Some("proposal"), Some(2), Some(50)));
        assert_eq!(moved["value"].as_f64(), Some(9000.0));

        let r = move_to(&mut sales, &opp, json!({"stage": "negotiation", "version": 1})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "a stale version is refused");
        assert_eq!(r.json()["error"]["current"]["version"], 2);

        let r = move_to(&mut sales, &opp, json!({"stage": "won", "version": 2})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields = r.json()["error"]["fields"].clone();
        assert!(fields["account_id"].is_array() && fields["value"].is_null(), "value is there already: {fields}");
        let r = move_to(&mut sales, &opp, json!({"stage": "lost", "version": 2})).await;
        assert!(r.json()["error"]["fields"]["lost_reason"].is_array());
        let r = move_to(&mut sales, &opp, json!({"stage": "lost", "version": 2, "lost_reason": "timing"})).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.json()["closed_at"].is_string());
        let r = move_to(&mut sales, &opp, json!({"stage": "proposal", "version": 3})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "only managers reopen");
        let r = move_to(&mut sales, &opp, json!({"version": 3})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a move names its stage");
        let r = move_to(&mut sales, &opp, json!({"stage": "nowhere", "version": 3})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            sales.post_json(&format!("/api/crm/opportunity/{}/stage", uuid::Uuid::now_v7()), json!({"stage": "lead", "version": 1})).await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn the_board_shows_each_stage_with_its_count_total_and_cards_by_expected_close() {
    on_every_backend(async |app| {
        let (mut sam, sam_id) = app.api("sam@example.com", Role::Sales).await;
        let (mut kim, _) = app.api("kim@example.com", Role::Sales).await;
        let account = sam.post_json("/api/crm/accounts", json!({"name": "Acme"})).await.json();
        let mut made = Vec::new();
        for (i, (who, stage, value, close)) in [
            ("sam", "lead", 100, Some("2027-03-01")),
            ("sam", "lead", 250, None),
            ("sam", "lead", 50, Some("2027-01-15")),
            ("kim", "lead", 1000, Some("2027-02-01")),
            ("kim", "proposal", 700, Some("2027-05-01")),
            ("sam", "won", 400, Some("2026-12-01")),
        ]
        .into_iter()
        .enumerate()
        {
            let api = if who == "sam" { &mut sam } else { &mut kim };
            let mut body = json!({"name": format!("Deal {i} Zephyr"), "stage": stage, "value": value, "account_id": id(&account)});
            if let Some(close) = close {
                body["expected_close"] = json!(close);
            }
            let r = api.post_json("/api/crm/opportunities", body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
            made.push(r.json());
        }
        // A euro deal is counted but not added into the dollar total.
        sam.post_json("/api/crm/opportunities", json!({"name": "Euro deal", "value": 77, "currency": "EUR"})).await;

        let board = sam.get("/api/crm/pipeline").await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.text());
        let board = board.json();
        let columns = board["stages"].as_array().unwrap();
        let keys: Vec<&str> = columns.iter().map(|c| c["stage"].as_str().unwrap()).collect();
        assert_eq!(keys, ["lead", "qualified", "proposal", "negotiation", "won", "lost"]);
        let lead = &columns[0];
        assert_eq!(lead["count"], 5);
        assert_eq!(minor(&lead["total_value"]), 140_000);
        assert_eq!(lead["other_currencies"][0]["currency"], "EUR");
        let names: Vec<&str> = lead["opportunities"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Deal 2 Zephyr", "Deal 3 Zephyr", "Deal 0 Zephyr", "Deal 1 Zephyr", "Euro deal"], "by expected close, undated last");
        assert_eq!((columns[2]["count"].as_i64(), minor(&columns[2]["total_value"])), (Some(1), 70_000));
        assert_eq!(columns[4]["count"], 1, "won this month");

        // Owner filter, text filter, a close range, and a small page with its cursor.
        let mine = sam.get(&format!("/api/crm/pipeline?owner_id={sam_id}")).await.json();
        assert_eq!((mine["stages"][0]["count"].as_i64(), minor(&mine["stages"][0]["total_value"])), (Some(4), 40_000));
        let text = sam.get("/api/crm/pipeline?q=zeph").await.json();
        assert_eq!(text["stages"][0]["count"], 4);
        let range = sam.get("/api/crm/pipeline?close_from=2027-01-01&close_to=2027-02-28").await.json();
        assert_eq!((range["stages"][0]["count"].as_i64(), minor(&range["stages"][0]["total_value"])), (Some(2), 105_000));
        let page = sam.get("/api/crm/pipeline?limit=2").await.json();
        let first = &page["stages"][0];
        assert_eq!(first["opportunities"].as_array().unwrap().len(), 2);
        let cursor = first["next_cursor"].as_str().expect("more to load");
        let more = sam.get(&format!("/api/crm/opportunities?stage=lead&sort=expected_close&limit=2&cursor={cursor}")).await.json();
        assert_eq!(more["items"][0]["name"], "Deal 0 Zephyr");

        // Counts by stage.
        let counts = sam.get("/api/crm/count").await.json();
        assert_eq!(counts[0], json!({"stage": "lead", "count": 5}));

        // A deal won more than a month ago leaves the default Won column, not the wider one.
        app.clock.advance(Duration::days(45));
        let board = sam.get("/api/crm/pipeline").await.json();
        assert_eq!(board["stages"][4]["count"], 0);
        assert!(board["stages"][4]["opportunities"].as_array().unwrap().is_empty());
        let wide = sam.get("/api/crm/pipeline?closed=all").await.json();
        assert_eq!((wide["stages"][4]["count"].as_i64(), wide["stages"][4]["opportunities"].as_array().map(Vec::len)), (Some(1), Some(1)));
        let (mut support, _) = app.api("sue@example.com", Role::Support).await;
        assert_eq!(support.get("/api/crm/pipeline").await.status, StatusCode::OK, "support reads opportunities");
        let _ = made;
    })
    .await;
}

#[tokio::test]
async fn running_totals_follow_every_change() {
    on_every_backend(async |app| {
        let (mut sam, _) = app.api("sam@example.com", Role::Sales).await;
        let (mut meg, meg_id) = app.api("meg@example.com", Role::Manager).await;
        let a = sam.post_json("/api/crm/opportunities", json!({"name": "A", "value": 10})).await.json();
        let b = sam.post_json("/api/crm/opportunities", json!({"name": "B", "value": 20})).await.json();
        let r = sam.put_json(&format!("/api/crm/opportunities/{}", id(&a)), json!({"version": 1, "value": 15, "stage": "qualified"})).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = meg.put_json(&format!("/api/crm/opportunities/{}", id(&b)), json!({"version": 1, "owner_id": meg_id.to_string()})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        // The board's figures (running totals) equal an aggregate over the rows.
        let mut h = app.state.db.handle().await.unwrap();
        let rows: Vec<(String, i64, i64)> = crm::on!(&mut h.c(), c => sqlx::query_as(
            "select stage, count(*), cast(coalesce(sum(value_minor), 0) as bigint) from opportunities group by stage order by stage"
        ).fetch_all(c).await).unwrap();
        drop(h);
        let board = sam.get("/api/crm/pipeline").await.json();
        for (stage, count, value) in rows {
            let column = board["stages"].as_array().unwrap().iter().find(|c| c["stage"] == stage.as_str()).unwrap();
            assert_eq!((column["count"].as_i64(), minor(&column["total_value"])), (Some(count), value), "{stage}");
        }
        let mine = meg.get(&format!("/api/crm/pipeline?owner_id={meg_id}")).await.json();
        assert_eq!((mine["stages"][0]["count"].as_i64(), minor(&mine["stages"][0]["total_value"])), (Some(1), 2_000));

        // Closing, re-closing another way and reopening keep the closed totals equal to the rows.
        let account = sam.post_json("/api/crm/accounts", json!({"name": "Acme"})).await.json();
        let path = format!("/api/crm/opportunities/{}", id(&a));
        for body in [
            json!({"version": 2, "stage": "won", "account_id": id(&account)}),
            json!({"version": 3, "stage": "lost", "lost_reason": "price"}),
            json!({"version": 4, "stage": "qualified"}),
            json!({"version": 5, "stage": "lost", "lost_reason": "timing"}),
        ] {
            let r = meg.put_json(&path, body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let mut h = app.state.db.handle().await.unwrap();
            let kept: Vec<(String, String, i64, i64)> = crm::on!(&mut h.c(), c => sqlx::query_as(
                "select stage, lost_reason, cast(sum(count) as bigint), cast(sum(value_minor) as bigint)
                 from pipeline_closed_totals group by stage, lost_reason having sum(count) <> 0 order by 1, 2"
            ).fetch_all(c).await).unwrap();
            let rows: Vec<(String, String, i64, i64)> = crm::on!(&mut h.c(), c => sqlx::query_as(
                "select stage, coalesce(lost_reason, ''), count(*), cast(coalesce(sum(value_minor), 0) as bigint)
                 from opportunities where closed_at is not null group by stage, coalesce(lost_reason, '') order by 1, 2"
            ).fetch_all(c).await).unwrap();
            assert_eq!(kept, rows);
        }
    })
    .await;
}

#[tokio::test]
async fn admins_and_managers_configure_the_stages_and_history_stays_valid() {
    on_every_backend(async |app| {
        let (mut admin, _) = app.api("ada@example.com", Role::Admin).await;
        let (mut sales, _) = app.api("sam@example.com", Role::Sales).await;
        let opp = sales.post_json("/api/crm/opportunities", json!({"name": "Trialist", "stage": "qualified"})).await.json();
        let empty = sales.post_json("/api/crm/opportunities", json!({"name": "Newcomer"})).await.json();
        let _ = empty;

        // Seed 002's consumer flow: Contacted, Trial Started, Active User, Paid, Repeat Buyer.
        let consumer = json!({
            "stages": [
                {"key": "lead", "label": "Contacted", "probability": 10},
                {"label": "Trial Started", "probability": 30, "aging_days": 14},
                {"label": "Active User", "probability": 60, "required_fields": ["primary_contact_id"]},
                {"key": "won", "label": "Paid", "probability": 100, "kind": "won"},
                {"label": "Repeat Buyer", "probability": 100, "kind": "won"}
            ]
        });
        let r = sales.put_json("/api/crm/pipeline/stages", consumer.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "sales cannot change the pipeline");
        let r = admin.put_json("/api/crm/pipeline/stages", consumer.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "qualified still holds a deal");
        assert!(r.json()["error"]["fields"]["moves.qualified"].is_array(), "{}", r.text());
        let mut with_moves = consumer.clone();
        with_moves["moves"] = json!({"qualified": "won"});
        let r = admin.put_json("/api/crm/pipeline/stages", with_moves.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an open deal cannot be moved into a won stage");
        with_moves["moves"] = json!({"qualified": "trial_started"});
        let r = admin.put_json("/api/crm/pipeline/stages", with_moves).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let stages = r.json();
        let labels: Vec<(&str, &str, &str)> = stages.as_array().unwrap().iter()
            .map(|s| (s["key"].as_str().unwrap(), s["label"].as_str().unwrap(), s["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(labels, [
            ("lead", "Contacted", "open"), ("trial_started", "Trial Started", "open"), ("active_user", "Active User", "open"),
            ("won", "Paid", "won"), ("repeat_buyer", "Repeat Buyer", "won"),
        ]);
        assert_eq!(stages[1]["aging_days"], 14);

        // The deal moved, with a history row; its old stage is retired, not deleted.
        let moved = sales.get(&format!("/api/crm/opportunities/{}", id(&opp))).await.json();
        assert_eq!((moved["stage"].as_str(), moved["version"].as_i64()), (Some("trial_started"), Some(2)));
        let mut h = app.state.db.handle().await.unwrap();
        let history = crm::server::db::opportunities::stage_history(&mut h.c(), id(&opp).parse().unwrap()).await.unwrap();
        assert_eq!((history[0].from_stage.as_deref(), history[0].to_stage.as_str()), (Some("qualified"), "trial_started"));
        let retired: i64 = crm::on!(&mut h.c(), c => sqlx::query_scalar(
            "select count(*) from pipeline_stages where archived_at is not null"
        ).fetch_one(c).await).unwrap();
        assert_eq!(retired, 4, "qualified, proposal, negotiation and lost");
        drop(h);
        let board = sales.get("/api/crm/pipeline").await.json();
        assert_eq!(board["stages"].as_array().unwrap().len(), 5);
        assert_eq!(board["stages"][1]["count"], 1);

        // Paid → Repeat Buyer is not a reopening: sales may do it. Repeat Buyer → Active User is.
        let mut sales_move = json!({"stage": "won", "version": 2, "value": 30, "account_id": id(&sales.post_json("/api/crm/accounts", json!({"name": "Shop"})).await.json())});
        let r = move_to(&mut sales, &opp, sales_move.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        sales_move = json!({"stage": "repeat_buyer", "version": 3});
        let r = move_to(&mut sales, &opp, sales_move).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.json()["closed_at"].is_string());
        let r = move_to(&mut sales, &opp, json!({"stage": "active_user", "version": 4})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // A populated stage cannot silently change its outcome; a bad list changes nothing.
        let mut stages = admin.get("/api/crm/pipeline/stages").await.json();
        stages[4]["kind"] = json!("open");
        let r = admin.put_json("/api/crm/pipeline/stages", json!({"stages": stages})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.json()["error"]["fields"]["stages.4.kind"].is_array());
        let r = admin.put_json("/api/crm/pipeline/stages", json!({"stages": [{"label": "", "kind": "won"}]})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(admin.get("/api/crm/pipeline/stages").await.json().as_array().unwrap().len(), 5);

        // Renaming and reordering keep keys; a retired stage can come back by its key.
        let mut stages = admin.get("/api/crm/pipeline/stages").await.json();
        stages.as_array_mut().unwrap().swap(1, 2);
        stages[0]["label"] = json!("Reached out");
        stages.as_array_mut().unwrap().push(json!({"key": "lost", "label": "Churned", "kind": "lost"}));
        let r = admin.put_json("/api/crm/pipeline/stages", json!({"stages": stages})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let keys: Vec<String> = r.json().as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap().to_string()).collect();
        assert_eq!(keys, ["lead", "active_user", "trial_started", "won", "repeat_buyer", "lost"]);
        let audit = app.count("audit_log where action = 'pipeline.stages_changed'").await;
        assert_eq!(audit, 2);
    })
    .await;
}

/// What the test expects, from the rows themselves.
struct Expected {
    open_value: i64,
    conversion: f64,
    avg_deal: i64,
    won_month: i64,
    lost_by_reason: BTreeMap<String, i64>,
    monthly: BTreeMap<String, i64>,
}

fn expected(opps: &[Value], leads: &[Value], now: DateTime<Utc>) -> Expected {
    // The default period: the last three whole months (this one and the two before).
    let mut first = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap();
    for _ in 0..2 {
        let prev = first - Duration::days(1);
        first = NaiveDate::from_ymd_opt(prev.year(), prev.month(), 1).unwrap();
    }
    let since = first.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap();
    let closed_at = |o: &Value| {
        o["closed_at"]
            .as_str()
            .map(|t| t.parse::<DateTime<Utc>>().unwrap())
    };
    let usd = |o: &&Value| o["currency"] == "USD";
    let value = |o: &Value| minor(&o["value"]);
    let won: Vec<&Value> = opps
        .iter()
        .filter(|o| o["stage"] == "won")
        .filter(usd)
        .collect();
    let won_period: Vec<&&Value> = won
        .iter()
        .filter(|o| closed_at(o).unwrap() >= since)
        .collect();
    let mut lost_by_reason = BTreeMap::new();
    for o in opps.iter().filter(|o| o["stage"] == "lost").filter(usd) {
        if closed_at(o).unwrap() >= since {
            *lost_by_reason
                .entry(o["lost_reason"].as_str().unwrap_or("unknown").to_string())
                .or_default() += 1;
        }
    }
    let mut monthly = BTreeMap::new();
    for o in &won {
        *monthly
            .entry(closed_at(o).unwrap().format("%Y-%m").to_string())
            .or_default() += value(o);
    }
    let leads_period: Vec<&Value> = leads
        .iter()
        .filter(|l| {
            l["created_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
                >= since
        })
        .collect();
    let converted_won = leads_period
        .iter()
        .filter(|l| {
            l["converted_opportunity_id"]
                .as_str()
                .is_some_and(|oid| won.iter().any(|o| o["id"] == oid))
        })
        .count();
    Expected {
        open_value: opps
            .iter()
            .filter(|o| o["closed_at"].is_null())
            .filter(usd)
            .map(value)
            .sum(),
        conversion: if leads_period.is_empty() {
            0.0
        } else {
            converted_won as f64 / leads_period.len() as f64
        },
        avg_deal: if won_period.is_empty() {
            0
        } else {
            won_period.iter().map(|o| value(o)).sum::<i64>() / won_period.len() as i64
        },
        won_month: won
            .iter()
            .filter(|o| closed_at(o).unwrap().date_naive() >= month)
            .map(|o| value(o))
            .sum(),
        lost_by_reason,
        monthly,
    }
}

#[tokio::test]
async fn every_metric_equals_the_figure_recomputed_from_the_rows() {
    on_every_backend(async |app| {
        let (mut meg, _) = app.api("meg@example.com", Role::Manager).await;
        let account = meg.post_json("/api/crm/accounts", json!({"name": "Acme"})).await.json();
        let acc = id(&account);
        // Leads, some qualified into deals that are then won or lost, over two months.
        let mut deals = Vec::new();
        for i in 0..6 {
            let lead = meg.post_json("/api/crm/leads", json!({"name": format!("Lead {i}"), "company": format!("Co {i}")})).await.json();
            if i < 4 {
                let q = meg.post_json(&format!("/api/crm/leads/{}/qualify", id(&lead)), json!({"value": 1000 * (i + 1)})).await;
                assert_eq!(q.status, StatusCode::OK, "{}", q.text());
                deals.push(json!({"id": q.json()["opportunity_id"]}));
            }
        }
        app.clock.advance(Duration::days(3));
        let outcomes = [("won", Some(json!(null))), ("lost", Some(json!("price"))), ("won", None), ("open", None)];
        for (deal, (outcome, reason)) in deals.iter().zip(outcomes) {
            let current = meg.get(&format!("/api/crm/opportunities/{}", id(deal))).await.json();
            let body = match outcome {
                "won" => json!({"stage": "won", "version": current["version"], "account_id": acc}),
                "lost" => json!({"stage": "lost", "version": current["version"], "lost_reason": reason.unwrap()}),
                _ => json!({"stage": "proposal", "version": current["version"], "expected_close": "2027-06-30"}),
            };
            assert_eq!(move_to(&mut meg, deal, body).await.status, StatusCode::OK);
            app.clock.advance(Duration::days(2));
        }
        // A lost deal without a reason from before reasons were required is counted as unknown.
        let direct = meg.post_json("/api/crm/opportunities", json!({"name": "Old loss", "stage": "lost", "lost_reason": "other", "value": 5})).await.json();
        let mut h = app.state.db.handle().await.unwrap();
        crm::on!(&mut h.c(), c => sqlx::query("update opportunities set lost_reason = null where id = $1")
            .bind(id(&direct).parse::<uuid::Uuid>().unwrap()).execute(c).await.map(|_| ())).unwrap();
        drop(h);
        let target_month = app.state.now().date_naive().with_day(1).unwrap();
        let r = meg.put_json("/api/crm/stats/targets", json!({"month": target_month, "target": 4000})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());

        let opps = meg.get("/api/crm/opportunities?limit=200").await.json()["items"].as_array().unwrap().clone();
        let leads = meg.get("/api/crm/leads?limit=200").await.json()["items"].as_array().unwrap().clone();
        let want = expected(&opps, &leads, app.state.now());

        let s = meg.get("/api/crm/stats/summary").await.json();
        assert_eq!(minor(&s["total_pipeline_value"]), want.open_value);
        assert!((s["conversion_rate"].as_f64().unwrap() - want.conversion).abs() < 1e-9, "{s}");
        assert_eq!(minor(&s["avg_deal_size"]), want.avg_deal);
        assert_eq!(minor(&s["won_this_month"]), want.won_month);
        assert_eq!(s["leads_won"], 2);

        let wl = meg.get("/api/crm/stats/win_loss").await.json();
        assert_eq!(wl["won"], 2);
        let lost: BTreeMap<String, i64> = wl["lost"].as_array().unwrap().iter()
            .map(|r| (r["reason"].as_str().unwrap().to_string(), r["count"].as_i64().unwrap())).collect();
        assert_eq!(lost, want.lost_by_reason);
        assert_eq!(lost.get("unknown"), Some(&1));

        let monthly = meg.get("/api/crm/stats/monthly_won").await.json();
        assert_eq!(monthly.as_array().unwrap().len(), 12);
        let got: BTreeMap<String, i64> = monthly.as_array().unwrap().iter()
            .filter(|m| minor(&m["value"]) > 0)
            .map(|m| (m["month"].as_str().unwrap().to_string(), minor(&m["value"]))).collect();
        assert_eq!(got, want.monthly);

        // Days in stage, from the history: each deal left Qualified 3, 5, 7 and 9 days in.
        let durations = meg.get("/api/crm/stats/stage_duration").await.json();
        let qualified = durations.as_array().unwrap().iter().find(|d| d["stage"] == "qualified").expect("qualified stays");
        assert_eq!(qualified["count"], 4);
        assert!((qualified["avg_days"].as_f64().unwrap() - 6.0).abs() < 0.05, "{durations}");
        // …and it follows the owner filter like every other figure: another rep's stays are none.
        let (_, sam_id) = app.api("sam@example.com", Role::Sales).await;
        let theirs = meg.get(&format!("/api/crm/stats/stage_duration?owner_id={sam_id}")).await.json();
        assert_eq!(theirs, json!([]), "{theirs}");

        // Coverage: open value expected to close this month against the target.
        let coverage = meg.get("/api/crm/stats/coverage").await.json();
        assert_eq!(coverage.as_array().unwrap().len(), 3);
        assert_eq!(minor(&coverage[0]["target"]), 400_000);
        let (mut sam, _) = app.api("sam2@example.com", Role::Sales).await;
        let r = sam.put_json("/api/crm/stats/targets", json!({"month": target_month, "target": 1})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Each figure lists its rows: the lost-for-price deals, the deals won this month.
        let listed = meg.get("/api/crm/opportunities?stage=closed_lost&lost_reason=price").await.json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let from = target_month.format("%Y-%m-%d");
        let listed = meg.get(&format!("/api/crm/opportunities?stage=closed_won&closed_from={from}")).await.json();
        let listed_value: i64 = listed["items"].as_array().unwrap().iter().map(|o| minor(&o["value"])).sum();
        assert_eq!(listed_value, want.won_month);
    })
    .await;
}
