//! HTTP API tests against the real binary: OpenAPI agreement, keys, auth, limits, static assets
//! and the command line.

mod common;

use std::collections::BTreeSet;
use std::fs;

use cardseal_server::http::ROUTES;
use cardseal_server::http::problem::ProblemKind;
use common::*;
use serde_json::{Value, json};

fn openapi() -> Value {
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("openapi.json");
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

fn openapi_operations() -> BTreeSet<(String, String)> {
    let spec = openapi();
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

#[test]
fn openapi_lists_exactly_the_routes() {
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(openapi_operations(), routes);
}

#[test]
fn openapi_lists_every_problem_code() {
    let spec = openapi();
    let documented: BTreeSet<String> =
        spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
    let codes: BTreeSet<String> = ProblemKind::ALL
        .iter()
        .map(|k| k.code().to_owned())
        .collect();
    assert_eq!(documented, codes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_is_served() {
    let platform = Platform::start(&[]).await;
    for (method, path) in openapi_operations() {
        let url = platform.url(&path.replace("{id}", "cs_aaaa"));
        let response = platform
            .client
            .request(method.parse().unwrap(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("\"code\":\"not_found\"")
                && !body.contains("\"code\":\"method_not_allowed\""),
            "{method} {path} is not routed: {status} {body}"
        );
    }

    let response = platform
        .client
        .delete(platform.url("/v1/payments"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let response = platform
        .client
        .get(platform.url("/v2/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_has_cache_and_cors_headers() {
    let platform = Platform::start(&["--jwks-max-age", "120"]).await;
    let response = platform
        .client
        .get(platform.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["cache-control"], "public, max-age=120");
    assert_eq!(headers["content-type"], "application/jwk-set+json");
    let etag = headers["etag"].to_str().unwrap().to_owned();

    let jwks: Value = response.json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["use"], "enc");
    assert_eq!(key["alg"], "RSA-OAEP-256");
    assert_eq!(key["kty"], "RSA");
    assert!(key.get("d").is_none(), "no private member");

    let cached = platform
        .client
        .get(platform.url("/.well-known/jwks.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_api_keys_get_one_answer() {
    let mut platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);
    let other = platform.add_shop("Other shop", "https://other.example");
    let session = platform.create_session(&shop, 100).await;

    let unknown = "csk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let wrong_secret = format!("{}B", &shop.api_key[..shop.api_key.len() - 1]);
    let mut answers = Vec::new();
    for key in [
        None,
        Some("garbage"),
        Some(unknown),
        Some(wrong_secret.as_str()),
    ] {
        let mut request = platform
            .client
            .post(platform.url("/v1/checkout-sessions"))
            .json(&json!({"amount": 1, "currency": "JPY", "order_reference": "x"}));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let mut body: Value = response.json().await.unwrap();
        body.as_object_mut().unwrap().remove("request_id");
        answers.push(body);
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );

    // Rotation with no overlap: the previous key stops working at once.
    let rotated: Value = serde_json::from_str(&platform.cli_ok(&[
        "shops",
        "rotate-key",
        &shop.shop_id,
        "--overlap-hours",
        "0",
        "--json",
    ]))
    .unwrap();
    let new_key = ShopCredentials {
        shop_id: shop.shop_id.clone(),
        api_key: rotated["api_key"].as_str().unwrap().into(),
    };
    let response = platform
        .client
        .get(platform.url(&format!("/v1/checkout-sessions/{session}")))
        .bearer_auth(&shop.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let mut body: Value = response.json().await.unwrap();
    body.as_object_mut().unwrap().remove("request_id");
    assert_eq!(body, answers[0], "expired key gets the same answer");
    let response = platform
        .client
        .get(platform.url(&format!("/v1/checkout-sessions/{session}")))
        .bearer_auth(&new_key.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A key past its expiry time (moved into the past in the database, as time would).
    let second = platform.add_shop("Expiring shop", "https://expiring.example");
    let db = rusqlite::Connection::open(platform.data().join("d/cardseal.db")).unwrap();
    db.execute(
        "UPDATE api_keys SET expires_at = 1 WHERE shop_id = ?1",
        [&second.shop_id],
    )
    .unwrap();
    drop(db);
    let response = platform
        .client
        .get(platform.url("/v1/payments/pay_aaaa"))
        .bearer_auth(&second.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // Another shop's key cannot read this shop's sessions or payments.
    let envelope = platform.seal_for(JCB_APPROVED, &session).await;
    let (status, body) = platform
        .pay(&other, &session, &envelope, "wrong-shop")
        .await;
    assert_eq!(
        (status, body["code"].as_str().unwrap()),
        (404, "session_not_found")
    );
    let (status, paid) = platform
        .pay(&new_key, &session, &envelope, "right-shop")
        .await;
    assert_eq!(status, 201, "{paid}");
    let payment_url = platform.url(&format!("/v1/payments/{}", paid["id"].as_str().unwrap()));
    let response = platform
        .client
        .get(&payment_url)
        .bearer_auth(&other.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = platform
        .client
        .get(platform.url(&format!("/v1/checkout-sessions/{session}")))
        .bearer_auth(&other.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // A disabled shop's key stops working.
    platform.cli_ok(&["shops", "disable", &other.shop_id]);
    let response = platform
        .client
        .get(&payment_url)
        .bearer_auth(&other.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_answer_with_proper_status() {
    let platform = Platform::start(&[
        "--max-body-bytes",
        "4096",
        "--max-headers",
        "20",
        "--rate-limit",
        "1",
        "--rate-burst",
        "5",
    ])
    .await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);

    // Declared length over the limit.
    let big = json!({"session_id": "cs_aaaa", "envelope": "a".repeat(8000)});
    let response = platform
        .client
        .post(platform.url("/v1/payments"))
        .bearer_auth(&shop.api_key)
        .header("Idempotency-Key", "big")
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "body_too_large");

    // Chunked body without a declared length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(vec![b' '; 3000]), Ok(vec![b' '; 3000])];
    let stream = futures_stream(chunks);
    let response = platform
        .client
        .post(platform.url("/v1/checkout-sessions"))
        .bearer_auth(&shop.api_key)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    // Too many header fields.
    let mut request = platform.client.get(platform.url("/healthz"));
    for index in 0..30 {
        request = request.header(format!("x-extra-{index}"), "1");
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 431);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "too_many_headers");

    // A request head far over the 32 KiB head limit is rejected by hyper itself.
    let response = platform
        .client
        .get(platform.url("/healthz"))
        .header("x-large", "a".repeat(256 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);

    // Per-shop rate: the burst passes, then 429 with Retry-After. The first two requests above
    // used two tokens already.
    let mut limited = None;
    for _ in 0..10 {
        let response = platform
            .client
            .get(platform.url("/v1/payments/pay_aaaa"))
            .bearer_auth(&shop.api_key)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 404);
    }
    let response = limited.expect("rate limit reached");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");

    // Unsupported media type and a JSON error that would quote a card number.
    let other = platform.add_shop("Second shop", SHOP_ORIGIN);
    let response = platform
        .client
        .post(platform.url("/v1/checkout-sessions"))
        .bearer_auth(&other.api_key)
        .body("amount=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let response = platform
        .client
        .post(platform.url("/v1/checkout-sessions"))
        .bearer_auth(&other.api_key)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"amount": "{}", "currency": "JPY", "order_reference": "x"}}"#,
            JCB_APPROVED.number
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(text.contains("\"field\":\"amount\""), "{text}");
    assert!(!text.contains(JCB_APPROVED.number), "{text}");
    platform.stop_and_check_secrets();
}

fn futures_stream(
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    struct Chunks(std::vec::IntoIter<Result<Vec<u8>, std::io::Error>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Chunks(chunks.into_iter())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_validation_and_views() {
    let platform = Platform::start(&[]).await;
    let shop = platform.add_shop("テスト商店", SHOP_ORIGIN);
    let post = |body: Value| {
        platform
            .client
            .post(platform.url("/v1/checkout-sessions"))
            .bearer_auth(&shop.api_key)
            .json(&body)
            .send()
    };
    let cases = [
        (
            json!({"amount": 0, "currency": "JPY", "order_reference": "x"}),
            422,
            "amount_invalid",
        ),
        (
            json!({"amount": 12.5, "currency": "JPY", "order_reference": "x"}),
            400,
            "invalid_request",
        ),
        (
            json!({"amount": -1, "currency": "JPY", "order_reference": "x"}),
            400,
            "invalid_request",
        ),
        (
            json!({"amount": 100, "currency": "XYZ", "order_reference": "x"}),
            422,
            "currency_unsupported",
        ),
        (
            json!({"amount": 100, "currency": "JPY"}),
            400,
            "invalid_request",
        ),
        (
            json!({"amount": 100, "currency": "JPY", "order_reference": "x", "extra": 1}),
            400,
            "invalid_request",
        ),
    ];
    for (body, status, code) in cases {
        let response = post(body.clone()).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code, "{body}");
    }

    let created: Value =
        post(json!({"amount": 1200, "currency": "JPY", "order_reference": "A-1001"}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(created["status"], "open");
    assert_eq!(created["amount"], 1200);
    let id = created["id"].as_str().unwrap();
    let frame: Value = platform
        .client
        .get(platform.url(&format!("/v1/checkout-sessions/{id}/frame")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(frame["session_id"], id);
    assert_eq!(frame["shop_origin"], SHOP_ORIGIN);
    assert_eq!(frame["shop_name"], "テスト商店");
    assert_eq!(frame["amount"], 1200);
    assert_eq!(frame["currency"], "JPY");
    assert_eq!(frame["status"], "open");
    assert!(frame["server_time"].as_u64().unwrap() > 1_700_000_000);
    let missing = platform
        .client
        .get(platform.url("/v1/checkout-sessions/cs_zzzz/frame"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_and_metrics() {
    let mut platform = Platform::start(&[]).await;
    platform.used_cards.push(JCB_APPROVED);
    let health = platform
        .client
        .get(platform.url("/healthz"))
        .header("x-request-id", JCB_APPROVED.number)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let request_id = health.headers()["x-request-id"].to_str().unwrap();
    assert!(
        request_id.starts_with("req_"),
        "client request ids are not reused: {request_id}"
    );
    let ready = platform
        .client
        .get(platform.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = platform
        .client
        .get(platform.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(
            r#"cardseal_http_requests_total{method="GET",route="/readyz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("cardseal_http_request_duration_seconds_bucket"));
    assert!(text.trim_end().ends_with("# EOF"));
    platform.stop_and_check_secrets();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precompressed_assets_follow_accept_encoding() {
    let assets = tempfile::tempdir().unwrap();
    fs::create_dir_all(assets.path().join("pkg")).unwrap();
    let wasm = assets.path().join("pkg/cardseal_bg.wasm");
    fs::write(&wasm, b"\0asm\x01\0\0\0 identity").unwrap();
    // The service does not look inside the copies, so marker bytes show which file was sent.
    fs::write(wasm.with_extension("wasm.br"), b"brotli copy").unwrap();
    fs::write(wasm.with_extension("wasm.gz"), b"gzip copy").unwrap();
    let assets_arg = assets.path().to_str().unwrap().to_owned();
    let platform = Platform::start(&["--assets", &assets_arg]).await;

    let cases: [(Option<&str>, Option<&str>, &[u8]); 4] = [
        (Some("gzip, deflate, br"), Some("br"), b"brotli copy"),
        (Some("gzip, deflate"), Some("gzip"), b"gzip copy"),
        (Some("identity"), None, b"\0asm\x01\0\0\0 identity"),
        (None, None, b"\0asm\x01\0\0\0 identity"),
    ];
    for (accept, encoding, body) in cases {
        let mut request = platform.client.get(platform.url("/pkg/cardseal_bg.wasm"));
        if let Some(accept) = accept {
            request = request.header("accept-encoding", accept);
        }
        let response = request.send().await.unwrap();

        assert_eq!(response.status(), 200, "{accept:?}");
        assert_eq!(
            response.headers()["content-type"],
            "application/wasm",
            "{accept:?}"
        );
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert_eq!(response.headers()["vary"], "accept-encoding", "{accept:?}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), body, "{accept:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_assets_with_csp_and_cors() {
    let assets = tempfile::tempdir().unwrap();
    fs::create_dir_all(assets.path().join("frame")).unwrap();
    fs::create_dir_all(assets.path().join("embed")).unwrap();
    fs::create_dir_all(assets.path().join("pkg")).unwrap();
    fs::write(
        assets.path().join("frame/index.html"),
        "<!doctype html><title>frame</title>",
    )
    .unwrap();
    fs::write(
        assets.path().join("embed/cardseal.js"),
        "window.CardSeal = {};",
    )
    .unwrap();
    fs::write(
        assets.path().join("pkg/cardseal_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    let assets_arg = assets.path().to_str().unwrap().to_owned();

    let platform = Platform::start(&["--assets", &assets_arg]).await;
    let html = platform
        .client
        .get(platform.url("/frame/index.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(
        csp.ends_with("frame-ancestors 'none'"),
        "no shops yet: {csp}"
    );

    platform.add_shop("Test shop", SHOP_ORIGIN);
    platform.add_shop("Other shop", "https://other.example");
    let html = platform
        .client
        .get(platform.url("/frame/"))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200, "directory index");
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.ends_with("frame-ancestors http://127.0.0.1:8081 https://other.example"),
        "{csp}"
    );

    let script = platform
        .client
        .get(platform.url("/embed/cardseal.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.headers()["access-control-allow-origin"], "*");
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(script.headers().get("content-security-policy").is_none());

    let wasm = platform
        .client
        .get(platform.url("/pkg/cardseal_bg.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert!(wasm.headers().get("access-control-allow-origin").is_none());

    let missing = platform
        .client
        .get(platform.url("/frame/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let api = platform
        .client
        .get(platform.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200, "API routes win over assets");

    let fixed = Platform::start(&[
        "--assets",
        &assets_arg,
        "--frame-ancestors",
        "https://a.example,https://b.example",
    ])
    .await;
    let html = fixed
        .client
        .get(fixed.url("/frame/index.html"))
        .send()
        .await
        .unwrap();
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.ends_with("frame-ancestors https://a.example https://b.example"),
        "{csp}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_output_is_stable() {
    let platform = Platform::start(&[]).await;
    let stdout = platform.cli_ok(&[
        "shops",
        "add",
        "--name",
        "CLI shop",
        "--origin",
        "HTTP://LOCALHOST:8081/",
        "--json",
    ]);
    let added: Value = serde_json::from_str(&stdout).unwrap();
    let keys: BTreeSet<&str> = added
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["shop_id", "api_key", "expires_at"]));
    assert!(added["api_key"].as_str().unwrap().starts_with("csk_"));

    let listed: Value =
        serde_json::from_str(&platform.cli_ok(&["shops", "list", "--json"])).unwrap();
    let shop = &listed[0];
    assert_eq!(shop["origin"], "http://localhost:8081");
    assert_eq!(shop["api_keys"].as_array().unwrap().len(), 1);
    assert!(
        !listed
            .to_string()
            .contains(added["api_key"].as_str().unwrap()),
        "list never prints keys"
    );

    let bad = platform.cli(&[
        "shops",
        "add",
        "--name",
        "x",
        "--origin",
        "https://shop.example/path",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("path"));

    let refused = platform.cli(&["keys", "generate", "--bits", "2048"]);
    assert!(
        !refused.status.success(),
        "generate refuses when a key is active"
    );
    let bits = platform.cli(&["keys", "generate", "--bits", "1024"]);
    assert!(!bits.status.success());

    let help = platform.cli_ok(&["serve", "--help"]);
    for expected in [
        "[unit: seconds]",
        "[default: 127.0.0.1:8080]",
        "CARDSEAL_LISTEN",
        "[unit: bytes]",
    ] {
        assert!(help.contains(expected), "serve --help lacks {expected}");
    }

    let keys_dir = platform.data().join("d/keys");
    for entry in fs::read_dir(&keys_dir).unwrap() {
        let path = entry.unwrap().path();
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&path).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    let db_mode = std::os::unix::fs::PermissionsExt::mode(
        &fs::metadata(platform.data().join("d/cardseal.db"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(db_mode & 0o077, 0, "database readable only by its owner");
}

#[test]
fn serve_runs_on_embedded_defaults() {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};

    // No flags at all: settings come from the environment and the defaults. Only the port is
    // changed (0 picks a free one) so the test never touches 127.0.0.1:8080.
    let work_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("serve")
        .current_dir(work_dir.path())
        .env_remove("CARDSEAL_DATA_DIR")
        .env("CARDSEAL_LISTEN", "127.0.0.1:0")
        .env("CARDSEAL_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut generated_bits = None;
    let mut listening = false;
    for line in BufReader::new(child.stderr.take().unwrap())
        .lines()
        .take(50)
    {
        let line = line.unwrap();
        let value: Value = serde_json::from_str(&line).expect("JSON log line");
        if value["level"] == "WARN" && value["fields"]["bits"].is_number() {
            generated_bits = value["fields"]["bits"].as_u64();
        }
        if value["fields"]["message"] == "listening" {
            listening = true;
            break;
        }
    }
    // SAFETY: kill(2) on the child this test spawned.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();

    assert!(listening, "the service started");
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    assert_eq!(
        generated_bits,
        Some(3072),
        "a 3072-bit development key was generated"
    );
    let data = work_dir.path().join("data");
    assert!(data.join("cardseal.db").is_file());
    assert!(data.join("card-fingerprint.key").is_file());
    let pem_count = fs::read_dir(data.join("keys"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|e| e == "pem")
        })
        .count();
    assert_eq!(pem_count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_reference_rejects_card_numbers() {
    let platform = Platform::start(&[]).await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);

    // Public test numbers (Visa 4111..., JCB 3530...) in the forms a shop might paste them.
    let full_width: String = "3530111333300000"
        .chars()
        .map(|c| char::from_u32(0xFF10 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    let card_like = [
        "4111111111111111",
        "4111 1111 1111 1111",
        "order-4111-1111-1111-1111",
        full_width.as_str(),
    ];
    for reference in card_like {
        let response = platform
            .client
            .post(platform.url("/v1/checkout-sessions"))
            .bearer_auth(&shop.api_key)
            .json(&json!({"amount": 100, "currency": "JPY", "order_reference": reference}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{reference}");
        let text = response.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["code"], "card_number_in_reference");
        assert_eq!(body["field"], "order_reference");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("do not put card numbers"),
            "{text}"
        );
        assert!(!text.contains("1111 1111"), "value echoed: {text}");
        assert!(!text.contains("11111111"), "value echoed: {text}");
        assert!(!text.contains("\u{FF11}"), "value echoed: {text}");
    }

    for reference in ["A-1001", "4111111111111112", "2026-01-31 12345"] {
        let response = platform
            .client
            .post(platform.url("/v1/checkout-sessions"))
            .bearer_auth(&shop.api_key)
            .json(&json!({"amount": 100, "currency": "JPY", "order_reference": reference}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{reference}");
    }

    let mut platform = platform;
    platform.stop();
    let db = rusqlite::Connection::open(platform.data().join("d/cardseal.db")).unwrap();
    for reference in card_like {
        let stored: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM checkout_sessions WHERE order_reference = ?1",
                [reference],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(stored, 0, "card-like reference reached the database");
    }
    let log = fs::read_to_string(&platform.log_path).unwrap();
    assert!(
        !log.contains("4111111111111111") && !log.contains("4111 1111"),
        "card-like reference reached the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shops_list_shows_disabled_keys() {
    let platform = Platform::start(&[]).await;
    let enabled = platform.add_shop("Enabled shop", SHOP_ORIGIN);
    let disabled = platform.add_shop("Disabled shop", "https://disabled.example");
    platform.cli_ok(&["shops", "disable", &disabled.shop_id]);

    let listed: Value =
        serde_json::from_str(&platform.cli_ok(&["shops", "list", "--json"])).unwrap();
    for shop in listed.as_array().unwrap() {
        let expected = if shop["shop_id"] == disabled.shop_id.as_str() {
            "disabled"
        } else {
            "valid"
        };
        for key in shop["api_keys"].as_array().unwrap() {
            assert_eq!(key["state"], expected, "{shop}");
        }
    }

    let text = platform.cli_ok(&["shops", "list"]);
    let mut current_shop = "";
    let mut key_lines = 0;
    for line in text.lines() {
        if !line.starts_with("    key ") {
            current_shop = line.split_whitespace().next().unwrap();
            continue;
        }
        key_lines += 1;
        let state = line.split_whitespace().nth(2).unwrap();
        if current_shop == disabled.shop_id {
            assert_eq!(state, "disabled", "{text}");
        } else {
            assert_eq!(current_shop, enabled.shop_id);
            assert_eq!(state, "valid", "{text}");
        }
    }
    assert_eq!(key_lines, 2, "{text}");
}

/// Sends `count` requests at once and returns each status with its Retry-After value.
async fn flood(platform: &Platform, api_key: &str, count: usize) -> Vec<(u16, Option<u64>)> {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let request = platform
            .client
            .get(platform.url("/v1/payments/pay_aaaa"))
            .bearer_auth(api_key);
        tasks.push(tokio::spawn(async move {
            let response = request.send().await.unwrap();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            (response.status().as_u16(), retry_after)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// Returns the JSON log lines whose message is `message`.
fn log_lines(platform: &Platform, message: &str) -> Vec<Value> {
    fs::read_to_string(&platform.log_path)
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_limited_and_logged_once() {
    const AUTH_FAILURE_LIMIT: usize = 10;
    let platform = Platform::start(&[
        "--rate-limit",
        "1",
        "--rate-burst",
        "5",
        "--auth-failure-limit",
        "10",
        "--refusal-log-interval",
        "3600",
    ])
    .await;
    let shop = platform.add_shop("Test shop", SHOP_ORIGIN);

    // Per-shop limit: each 429 is counted, but only the first one is logged.
    let results = flood(&platform, &shop.api_key, 60).await;
    let shop_refusals = results.iter().filter(|(status, _)| *status == 429).count();
    assert!(shop_refusals > 0, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(status, retry)| *status != 429 || retry.is_some())
    );
    let refused_lines: Vec<Value> = log_lines(&platform, "request refused");
    assert_eq!(refused_lines.len(), 1, "{refused_lines:?}");
    assert_eq!(refused_lines[0]["fields"]["event"], "rate_limited");
    assert_eq!(
        platform
            .metric(r#"cardseal_suppressed_log_lines_total{event="rate_limited"}"#)
            .await,
        (shop_refusals - 1) as f64
    );

    // Failed authentications per client address: at most the limit (plus what refills during the
    // flood, one per 6 s at 10 per minute) get 401, the rest 429 with Retry-After.
    let started = std::time::Instant::now();
    let bad_key = "csk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let results = flood(&platform, bad_key, 200).await;
    let refill = started.elapsed().as_secs() as usize / 6 + 1;
    let unauthorized = results.iter().filter(|(status, _)| *status == 401).count();
    let auth_refusals = results.iter().filter(|(status, _)| *status == 429).count();
    assert_eq!(unauthorized + auth_refusals, results.len(), "{results:?}");
    assert!(unauthorized >= AUTH_FAILURE_LIMIT, "{unauthorized} 401s");
    assert!(
        unauthorized <= AUTH_FAILURE_LIMIT + refill,
        "{unauthorized} 401s"
    );
    assert!(
        results
            .iter()
            .all(|(status, retry)| *status != 429 || retry.is_some())
    );

    // Past the limit, a valid key from the same address is refused too, so a guessed key cannot
    // be confirmed.
    let response = platform
        .client
        .get(platform.url("/v1/payments/pay_aaaa"))
        .bearer_auth(&shop.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);

    let refused_lines = log_lines(&platform, "request refused");
    let auth_lines: Vec<&Value> = refused_lines
        .iter()
        .filter(|line| line["fields"]["event"] == "auth_failure_limited")
        .collect();
    assert_eq!(auth_lines.len(), 1, "{refused_lines:?}");
    assert_eq!(
        platform
            .metric(r#"cardseal_suppressed_log_lines_total{event="auth_failure_limited"}"#)
            .await,
        auth_refusals as f64,
        "every auth refusal after the first is left out, plus the valid key's"
    );
    let finished_429 = log_lines(&platform, "request finished")
        .into_iter()
        .filter(|line| line["fields"]["status"] == 429)
        .count();
    assert_eq!(
        finished_429, 0,
        "429s are logged only through the refusal log"
    );

    let help = platform.cli_ok(&["serve", "--help"]);
    assert!(help.contains("CARDSEAL_AUTH_FAILURE_LIMIT"));
    assert!(help.contains("[unit: failures per minute]"));
    assert!(help.contains("[default: 30]"));
    platform.stop_and_check_secrets();
}
