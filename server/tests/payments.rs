//! End-to-end payment tests against the real binary over HTTP.

mod common;

use std::time::{Duration, Instant};

use cardseal_core::card::YearMonth;
use cardseal_core::key::PrivateKey;
use common::*;
use serde_json::Value;

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_approves_and_masks_card() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 1200).await;
    let envelope = platform.seal_for(JCB_APPROVED, &session).await;

    let (status, body) = platform.pay(&shop, &session, &envelope, "idem-1").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["decline_code"], Value::Null);
    assert_eq!(body["amount"], 1200);
    assert_eq!(body["currency"], "JPY");
    assert_eq!(body["order_reference"], "A-1001");
    assert_eq!(body["session_id"], session.as_str());
    assert_eq!(body["card"]["brand"], "jcb");
    assert_eq!(body["card"]["last4"], "0006");
    assert!(body["card"]["exp_year"].as_u64().unwrap() >= 2026);
    assert!(body["id"].as_str().unwrap().starts_with("pay_"));
    let text = body.to_string();
    assert!(!text.contains(JCB_APPROVED.number));

    let payment_id = body["id"].as_str().unwrap();
    let fetched: Value = platform
        .client
        .get(platform.url(&format!("/v1/payments/{payment_id}")))
        .bearer_auth(&shop.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, body);

    let frame: Value = platform
        .client
        .get(platform.url(&format!("/v1/checkout-sessions/{session}/frame")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(frame["status"], "used");
    assert_eq!(frame["shop_origin"], SHOP_ORIGIN);

    let approved = platform
        .metric(r#"cardseal_authorizations_total{acquirer="simulated",outcome="approved"}"#)
        .await;
    assert_eq!(approved, 1.0);
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_brand_and_outcome() {
    // Text logs here, JSON elsewhere: both formats are searched for card data at the end.
    let mut platform =
        Platform::start(&["--simulated-slow-ms", "50", "--log-format", "text"]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let cases = [
        (VISA_APPROVED, "approved", None, "0004"),
        (MASTERCARD_APPROVED, "approved", None, "0001"),
        (AMEX_APPROVED, "approved", None, "0006"),
        (DINERS_APPROVED, "approved", None, "0005"),
        (DINERS_SLOW, "approved", None, "0054"),
        (JCB_DECLINED, "declined", Some("card_declined"), "0014"),
        (
            JCB_INSUFFICIENT,
            "declined",
            Some("insufficient_funds"),
            "0022",
        ),
        (VISA_EXPIRED_CARD, "declined", Some("expired_card"), "0038"),
        (
            VISA_PROCESSING_ERROR,
            "declined",
            Some("processing_error"),
            "0046",
        ),
    ];
    for (index, (test_card, status, decline, last4)) in cases.into_iter().enumerate() {
        let session = platform.create_session(&shop, 500).await;
        let envelope = platform.seal_for(test_card, &session).await;
        let (http_status, body) = platform
            .pay(&shop, &session, &envelope, &format!("k{index}"))
            .await;
        assert_eq!(http_status, 201, "{body}");
        assert_eq!(body["status"], status, "{}", test_card.number);
        assert_eq!(
            body["decline_code"].as_str(),
            decline,
            "{}",
            test_card.number
        );
        assert_eq!(body["card"]["brand"], test_card.brand);
        assert_eq!(body["card"]["last4"], last4);
    }
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decline_keeps_session_open_for_new_envelope() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 800).await;

    let declined = platform.seal_for(JCB_INSUFFICIENT, &session).await;
    let (status, first) = platform.pay(&shop, &session, &declined, "first").await;
    assert_eq!(status, 201);
    assert_eq!(first["decline_code"], "insufficient_funds");

    // The session is open again, so a retry passes every check that only reads. The stored
    // response still comes back, without a second authorization.
    let (status, retry) = platform.pay(&shop, &session, &declined, "first").await;
    assert_eq!((status, &retry), (201, &first));
    let declines = platform
        .metric(
            r#"cardseal_authorizations_total{acquirer="simulated",outcome="insufficient_funds"}"#,
        )
        .await;
    assert_eq!(declines, 1.0);

    let approved = platform.seal_for(JCB_APPROVED, &session).await;
    let (status, body) = platform.pay(&shop, &session, &approved, "second").await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "approved");
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_envelope_is_rejected() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 800).await;
    // A declined first use leaves the session open, so only the envelope id stops the replay.
    let envelope = platform.seal_for(JCB_DECLINED, &session).await;

    let (status, _) = platform.pay(&shop, &session, &envelope, "first").await;
    assert_eq!(status, 201);
    let (status, body) = platform.pay(&shop, &session, &envelope, "second").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(code(&body), "envelope_replayed");
    assert_eq!(
        body["type"],
        "https://cardseal.dev/problems/envelope-replayed"
    );
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_envelope_fifty_times_authorizes_once() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 3000).await;
    let envelope = platform.seal_for(VISA_APPROVED, &session).await;

    let mut tasks = Vec::new();
    for index in 0..50 {
        let client = platform.client.clone();
        let url = platform.url("/v1/payments");
        let api_key = shop.api_key.clone();
        let body = serde_json::json!({"session_id": session, "envelope": envelope});
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(api_key)
                .header("Idempotency-Key", format!("concurrent-{index}"))
                .json(&body)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            (status, body)
        }));
    }

    let mut approved = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => {
                assert_eq!(body["status"], "approved");
                approved += 1;
            }
            409 => assert!(
                ["envelope_replayed", "session_used", "payment_in_progress"].contains(&code(&body)),
                "{body}"
            ),
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!(approved, 1);
    let authorizations = platform
        .metric(r#"cardseal_authorizations_total{acquirer="simulated",outcome="approved"}"#)
        .await;
    assert_eq!(authorizations, 1.0);
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_retry_returns_first_answer() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 1500).await;
    let envelope = platform.seal_for(AMEX_APPROVED, &session).await;

    let (first_status, first) = platform.pay(&shop, &session, &envelope, "order-42").await;
    assert_eq!(first_status, 201);

    let response = platform
        .client
        .post(platform.url("/v1/payments"))
        .bearer_auth(&shop.api_key)
        .header("Idempotency-Key", "order-42")
        .json(&serde_json::json!({"session_id": session, "envelope": envelope}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["idempotent-replayed"], "true");
    let second: Value = response.json().await.unwrap();
    assert_eq!(second, first);

    // A rejected request is also answered again from the store, not checked again.
    let (status, rejected) = platform.pay(&shop, &session, &envelope, "order-43").await;
    assert_eq!((status, code(&rejected)), (409, "session_used"));
    let retry = platform
        .client
        .post(platform.url("/v1/payments"))
        .bearer_auth(&shop.api_key)
        .header("Idempotency-Key", "order-43")
        .json(&serde_json::json!({"session_id": session, "envelope": envelope}))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 409);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["content-type"], "application/problem+json");
    assert_eq!(retry.json::<Value>().await.unwrap(), rejected);

    let other_session = platform.create_session(&shop, 10).await;
    let (status, body) = platform
        .pay(&shop, &other_session, &envelope, "order-42")
        .await;
    assert_eq!(status, 422);
    assert_eq!(code(&body), "idempotency_key_reused");

    let (status, body) = platform
        .client
        .post(platform.url("/v1/payments"))
        .bearer_auth(&shop.api_key)
        .json(&serde_json::json!({"session_id": session, "envelope": envelope}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        code(&body.json::<Value>().await.unwrap()),
        "idempotency_key_missing"
    );

    let authorizations = platform
        .metric(r#"cardseal_authorizations_total{acquirer="simulated",outcome="approved"}"#)
        .await;
    assert_eq!(authorizations, 1.0);
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_disconnect_still_settles_payment() {
    let mut platform = Platform::start(&["--simulated-slow-ms", "1500"]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 700).await;
    let envelope = platform.seal_for(DINERS_SLOW, &session).await;

    // The client times out while the acquirer is still authorizing, which drops its connection.
    let abandoned = platform
        .client
        .post(platform.url("/v1/payments"))
        .bearer_auth(&shop.api_key)
        .header("Idempotency-Key", "gave-up")
        .timeout(Duration::from_millis(300))
        .json(&serde_json::json!({"session_id": session, "envelope": envelope}))
        .send()
        .await;
    assert!(abandoned.is_err(), "the slow card answered within 300 ms");

    // The payment goes on without the client: the session becomes used, not stuck in processing.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = platform
            .client
            .get(platform.url(&format!("/v1/checkout-sessions/{session}")))
            .bearer_auth(&shop.api_key)
            .send()
            .await
            .unwrap();
        let view: Value = response.json().await.unwrap();
        if view["status"] == "used" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "session still {}",
            view["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The retry gets the stored payment, authorized once.
    let (status, body) = platform.pay(&shop, &session, &envelope, "gave-up").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "approved");
    let authorizations = platform
        .metric(r#"cardseal_authorizations_total{acquirer="simulated",outcome="approved"}"#)
        .await;
    assert_eq!(authorizations, 1.0);
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_between_session_and_payment() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 2500).await;
    let declined = platform.seal_for(JCB_DECLINED, &session).await;
    let (status, _) = platform.pay(&shop, &session, &declined, "before").await;
    assert_eq!(status, 201);

    platform.restart();

    // The session survived, and so did the used envelope id.
    let (status, body) = platform
        .pay(&shop, &session, &declined, "after-replay")
        .await;
    assert_eq!(status, 409);
    assert_eq!(code(&body), "envelope_replayed");
    let envelope = platform.seal_for(JCB_APPROVED, &session).await;
    let (status, body) = platform.pay(&shop, &session, &envelope, "after").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "approved");
    // The idempotent response from before the restart is also kept.
    let (status, body) = platform.pay(&shop, &session, &declined, "before").await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "declined");
    platform.stop_and_check_secrets();
}

/// Polls the JWKS until `condition` holds, for at most a bounded number of tries.
async fn wait_for_kids(platform: &Platform, condition: impl Fn(&[String]) -> bool) -> Vec<String> {
    for _ in 0..200 {
        let kids = platform.jwks_kids().await;
        if condition(&kids) {
            return kids;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the key set did not change as expected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_keeps_previous_key_opening() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 900).await;
    let old_kid = platform.jwks_kids().await[0].clone();
    let envelope = platform.seal_for(DINERS_APPROVED, &session).await;

    let rotated: Value =
        serde_json::from_str(&platform.cli_ok(&["keys", "rotate", "--bits", "2048", "--json"]))
            .unwrap();
    assert_eq!(rotated["retiring"]["kid"], old_kid.as_str());
    let new_kid = rotated["active"]["kid"].as_str().unwrap().to_owned();
    // No SIGHUP here: the service notices the change by checking the key directory.

    let kids = wait_for_kids(&platform, |kids| kids.len() == 2).await;
    assert_eq!(
        kids,
        vec![new_kid.clone(), old_kid.clone()],
        "active key first"
    );

    let (status, body) = platform.pay(&shop, &session, &envelope, "rotated").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "approved");

    let listed: Value =
        serde_json::from_str(&platform.cli_ok(&["keys", "list", "--json"])).unwrap();
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["state"].as_str().unwrap()))
        .collect();
    assert!(states.contains(&(old_kid.as_str(), "retiring")));
    assert!(states.contains(&(new_kid.as_str(), "active")));
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retired_key_opens_nothing() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 900).await;
    let old_kid = platform.jwks_kids().await[0].clone();
    let envelope = platform.seal_for(JCB_APPROVED, &session).await;

    let rotated: Value =
        serde_json::from_str(&platform.cli_ok(&["keys", "rotate", "--bits", "2048", "--json"]))
            .unwrap();
    let retire_at = rotated["retiring"]["retire_at"].as_str().unwrap();
    let pem = platform
        .data()
        .join("d/keys")
        .join(format!("{old_kid}.pem"));

    // Inside the grace period, retiring needs --force and the message says why and until when.
    let refused = platform.cli(&["keys", "retire", &old_kid]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("grace period"), "{message}");
    assert!(message.contains(retire_at), "{message}");
    assert!(message.contains("--force"), "{message}");
    assert!(pem.exists(), "refused retirement kept the private key file");

    let forced = platform.cli(&["keys", "retire", &old_kid, "--force"]);
    assert!(forced.status.success());
    assert!(
        !platform
            .data()
            .join("d/keys")
            .join(format!("{old_kid}.pem"))
            .exists()
    );
    platform.reload_keys();
    wait_for_kids(&platform, |kids| kids.len() == 1 && kids[0] != old_kid).await;

    let (status, body) = platform.pay(&shop, &session, &envelope, "retired").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "unknown_key");
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_period_end_retires_key() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 900).await;
    let envelope = platform.seal_for(JCB_APPROVED, &session).await;

    let old_kid = platform.jwks_kids().await[0].clone();
    platform.cli_ok(&["keys", "rotate", "--bits", "2048", "--grace", "0"]);
    platform.reload_keys();
    wait_for_kids(&platform, |kids| kids.len() == 1 && kids[0] != old_kid).await;
    let (status, body) = platform
        .pay(&shop, &session, &envelope, "after-grace")
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "unknown_key");
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_check_fails_on_its_own() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let other_shop = platform.add_shop("Other shop", "http://127.0.0.1:9090");
    let key = platform.active_key().await;
    platform.used_cards.push(JCB_APPROVED);
    let fresh_card = card(JCB_APPROVED);
    let now = now();

    // Unknown kid: a key the service never had.
    let session = platform.create_session(&shop, 100).await;
    let stranger = PrivateKey::generate(2048, "stranger-key").unwrap();
    let envelope = seal_card(
        &fresh_card,
        &session,
        SHOP_ORIGIN,
        now,
        stranger.public_key(),
    );
    let (status, body) = platform
        .pay(&shop, &session, &envelope, "unknown-kid")
        .await;
    assert_eq!((status, code(&body)), (422, "unknown_key"));

    // Issue time too old, and in the future.
    let envelope = seal_card(&fresh_card, &session, SHOP_ORIGIN, now - 3600, &key);
    let (status, body) = platform.pay(&shop, &session, &envelope, "stale").await;
    assert_eq!((status, code(&body)), (422, "envelope_stale"));
    let envelope = seal_card(&fresh_card, &session, SHOP_ORIGIN, now + 3600, &key);
    let (status, body) = platform.pay(&shop, &session, &envelope, "future").await;
    assert_eq!((status, code(&body)), (422, "envelope_not_yet_valid"));

    // Session that does not exist.
    let missing = "cs_aaaaaaaaaaaaaaaaaaaaaaaaaa";
    let envelope = seal_card(&fresh_card, missing, SHOP_ORIGIN, now, &key);
    let (status, body) = platform.pay(&shop, missing, &envelope, "missing").await;
    assert_eq!((status, code(&body)), (404, "session_not_found"));

    // Session of another shop: the same problem as a missing one.
    let foreign = platform.create_session(&other_shop, 100).await;
    let envelope = seal_card(&fresh_card, &foreign, SHOP_ORIGIN, now, &key);
    let (status, body) = platform.pay(&shop, &foreign, &envelope, "foreign").await;
    assert_eq!((status, code(&body)), (404, "session_not_found"));

    // Session claim differs from the session paid.
    let second = platform.create_session(&shop, 100).await;
    let envelope = seal_card(&fresh_card, &second, SHOP_ORIGIN, now, &key);
    let (status, body) = platform.pay(&shop, &session, &envelope, "mismatch").await;
    assert_eq!((status, code(&body)), (422, "session_mismatch"));

    // Origin claim differs from the shop's registered origin.
    let envelope = seal_card(&fresh_card, &session, "http://127.0.0.1:9999", now, &key);
    let (status, body) = platform.pay(&shop, &session, &envelope, "origin").await;
    assert_eq!((status, code(&body)), (422, "origin_mismatch"));

    // Tampered ciphertext: parses, fails to open, one opaque problem.
    let envelope = seal_card(&fresh_card, &session, SHOP_ORIGIN, now, &key);
    let mut parts: Vec<String> = envelope.split('.').map(str::to_owned).collect();
    let flipped = if parts[3].starts_with('A') { 'B' } else { 'A' };
    parts[3].replace_range(0..1, &flipped.to_string());
    let (status, body) = platform
        .pay(&shop, &session, &parts.join("."), "tampered")
        .await;
    assert_eq!((status, code(&body)), (422, "envelope_invalid"));
    assert_eq!(body["title"], "envelope could not be opened");
    assert!(
        body.get("detail").is_none(),
        "no detail for an open failure: {body}"
    );

    // Card whose expiry month has passed: sealed as if it were 2020.
    let old_today = YearMonth::new(2020, 1).unwrap();
    let expired_card = card_with_expiry(JCB_APPROVED, "12/21", old_today);
    let envelope = seal_card(&expired_card, &session, SHOP_ORIGIN, now, &key);
    let (status, body) = platform
        .pay(&shop, &session, &envelope, "card-expired")
        .await;
    assert_eq!((status, code(&body)), (422, "card_expired"));

    // Malformed envelope.
    let (status, body) = platform
        .pay(&shop, &session, "not.a.jwe", "malformed")
        .await;
    assert_eq!((status, code(&body)), (400, "envelope_malformed"));

    // The session is still open after all of that; pay it, then it is used.
    let envelope = seal_card(&fresh_card, &session, SHOP_ORIGIN, now, &key);
    let (status, _) = platform.pay(&shop, &session, &envelope, "ok").await;
    assert_eq!(status, 201);
    let envelope = seal_card(&fresh_card, &session, SHOP_ORIGIN, now, &key);
    let (status, body) = platform.pay(&shop, &session, &envelope, "used").await;
    assert_eq!((status, code(&body)), (409, "session_used"));

    let failures = platform
        .metric(r#"cardseal_envelope_open_failures_total{class="envelope_invalid"}"#)
        .await;
    assert_eq!(failures, 1.0);
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_is_rejected() {
    let mut platform = Platform::start(&["--session-ttl", "1"]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 100).await;
    let envelope = platform.seal_for(JCB_APPROVED, &session).await;

    let frame_url = platform.url(&format!("/v1/checkout-sessions/{session}/frame"));
    let mut expired = false;
    for _ in 0..100 {
        let frame: Value = platform
            .client
            .get(&frame_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if frame["status"] == "expired" {
            expired = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(expired, "session never reported expired");

    let (status, body) = platform.pay(&shop, &session, &envelope, "late").await;
    assert_eq!((status, code(&body)), (409, "session_expired"));
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_records_each_attempt_without_card_data() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let session = platform.create_session(&shop, 100).await;
    let envelope = platform.seal_for(JCB_DECLINED, &session).await;
    platform.pay(&shop, &session, &envelope, "a").await;
    platform.pay(&shop, &session, &envelope, "b").await;
    let db_path = platform.data().join("d/cardseal.db");
    platform.stop();

    let conn = rusqlite::Connection::open(&db_path).unwrap();
    let mut statement = conn
        .prepare("SELECT shop_id, session_id, kid, outcome FROM open_attempts ORDER BY id")
        .unwrap();
    let rows: Vec<(String, String, Option<String>, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].3, "accepted");
    assert_eq!(rows[1].3, "envelope_replayed");
    for row in &rows {
        assert_eq!(row.0, shop.shop_id);
        assert_eq!(row.1, session);
        assert!(row.2.is_some());
    }
    let (brand, last4, fingerprint_len): (String, String, i64) = conn
        .query_row(
            "SELECT brand, last4, length(card_fingerprint) FROM payments",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (brand.as_str(), last4.as_str(), fingerprint_len),
        ("jcb", "0014", 32)
    );
    drop(statement);
    drop(conn);
    platform.stop_and_check_secrets();
}
