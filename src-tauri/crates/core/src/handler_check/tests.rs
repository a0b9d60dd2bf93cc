use super::*;
use crate::providers::{self, RequestView, SignatureStatus, VerifyOptions};
use crate::store::StoreOptions;

const SECRET: &[u8] = b"whsec_handler_check_unit";

fn sender(store: &Store, provider: ProviderId) -> Sender<'_> {
    Sender {
        store,
        provider,
        url: "http://127.0.0.1:9/hook".to_owned(),
        secret: SECRET.to_vec(),
        other_secret: b"whsec_someone_else".to_vec(),
        options: SendOptions::default(),
        from: None,
        run_id: 1,
    }
}

/// Hookscope's own verifier on a planned request, with the handler's secret.
fn verify(provider: ProviderId, request: &OutboundRequest) -> SignatureStatus {
    let headers: Vec<(Vec<u8>, Vec<u8>)> =
        request.headers.iter().map(|(n, v)| (n.as_bytes().to_vec(), v.clone())).collect();
    let view =
        RequestView { method: "POST", path: "/hook", headers: &headers, body: &request.body };
    let secrets = [Secret::new("current", SECRET)];
    providers::provider(provider).verify(&view, &VerifyOptions::new(&secrets, now_secs())).status
}

#[test]
fn every_delivery_verifies_exactly_when_its_check_expects_acceptance() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    for provider in ProviderId::ALL {
        let sender = sender(&store, provider);
        let base = Base::sample(provider, None).unwrap();
        for id in CheckId::for_provider(provider) {
            if id == CheckId::Timeout {
                continue;
            }
            let mut notes = Vec::new();
            let planned = plan(&sender, &base, id, &mut notes)
                .unwrap_or_else(|why| panic!("{provider} {id} was skipped: {why}"));
            assert!(!planned.is_empty(), "{provider} {id}");
            for (label, request, _, _) in planned {
                let status = verify(provider, &request);
                match id.expect() {
                    judge::Expect::Accept => {
                        assert_eq!(status, SignatureStatus::Valid, "{provider} {id} {label}")
                    }
                    judge::Expect::Reject => {
                        assert_ne!(status, SignatureStatus::Valid, "{provider} {id} {label}")
                    }
                    judge::Expect::Report => {}
                }
            }
        }
    }
}

#[test]
fn raw_body_variants_change_the_bytes_but_not_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let sender = sender(&store, ProviderId::Fleiko);
    let base = Base::sample(ProviderId::Fleiko, None).unwrap();
    let valid = plan(&sender, &base, CheckId::Valid, &mut Vec::new()).unwrap();
    let valid_json: serde_json::Value = serde_json::from_slice(&valid[0].1.body).unwrap();
    for id in [
        CheckId::RawSpacing,
        CheckId::RawUnicodeEscapes,
        CheckId::RawKeyOrder,
        CheckId::RawTrailingNewline,
    ] {
        let planned = plan(&sender, &base, id, &mut Vec::new()).unwrap();
        let body = &planned[0].1.body;
        let mut json: serde_json::Value = serde_json::from_slice(body).unwrap();
        // Each delivery carries its own fresh id.
        json["id"] = valid_json["id"].clone();
        assert_eq!(json, valid_json, "{id}");
        assert_ne!(body, &valid[0].1.body, "{id}");
    }
}

#[test]
fn each_delivery_gets_fresh_ids_and_a_duplicate_repeats_them_as_attempt_2() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let sender = sender(&store, ProviderId::Fleiko);
    let base = Base::sample(ProviderId::Fleiko, None).unwrap();
    let a = plan(&sender, &base, CheckId::Valid, &mut Vec::new()).unwrap();
    let b = plan(&sender, &base, CheckId::ExtraFields, &mut Vec::new()).unwrap();
    assert_ne!(a[0].2, b[0].2);
    let dup = plan(&sender, &base, CheckId::Duplicate, &mut Vec::new()).unwrap();
    assert_eq!(dup.len(), 2);
    assert_eq!(dup[0].1.body, dup[1].1.body);
    let header = |r: &OutboundRequest, name: &str| {
        r.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    };
    assert_eq!(
        header(&dup[0].1, fleiko::DELIVERY_HEADER),
        header(&dup[1].1, fleiko::DELIVERY_HEADER)
    );
    assert_eq!(header(&dup[0].1, fleiko::ATTEMPT_HEADER), Some(b"1".to_vec()));
    assert_eq!(header(&dup[1].1, fleiko::ATTEMPT_HEADER), Some(b"2".to_vec()));
}

#[test]
fn runs_compare_check_by_check() {
    let result = |id: CheckId, outcome: CheckOutcome| CheckResult {
        id,
        title: String::new(),
        required: true,
        outcome,
        expected: String::new(),
        summary: String::new(),
        why: String::new(),
        source: String::new(),
        exchanges: Vec::new(),
        notes: Vec::new(),
    };
    let report = |results: Vec<CheckResult>| HandlerCheckReport {
        run_id: 1,
        at: 0,
        provider: ProviderId::Fleiko,
        target: String::new(),
        event: String::new(),
        from_delivery: None,
        timeout_ms: 0,
        timeout_note: String::new(),
        results,
        counts: CheckCounts::default(),
        passed: true,
        retry: None,
        notes: Vec::new(),
    };
    let before = report(vec![
        result(CheckId::Valid, CheckOutcome::Pass),
        result(CheckId::TamperedBody, CheckOutcome::Fail),
    ]);
    let after = report(vec![
        result(CheckId::Valid, CheckOutcome::Pass),
        result(CheckId::TamperedBody, CheckOutcome::Pass),
        result(CheckId::Duplicate, CheckOutcome::Pass),
    ]);
    let diff = compare_runs(&before, &after);
    assert_eq!(diff.len(), 3);
    assert!(!diff[0].changed);
    assert_eq!(diff[1].before, Some(CheckOutcome::Fail));
    assert_eq!(diff[1].after, Some(CheckOutcome::Pass));
    assert!(diff[1].changed);
    assert_eq!(diff[2].before, None);
}

#[test]
fn the_migration_keeps_earlier_records_and_admits_check_records() {
    use rusqlite_migration::{M, Migrations};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::store::DB_FILE);
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    Migrations::new(vec![
        M::up(include_str!("../store/migrations/0001_init.sql")),
        M::up(include_str!("../store/migrations/0002_providers.sql")),
        M::up(include_str!("../store/migrations/0003_flovi.sql")),
        M::up(include_str!("../store/migrations/0004_replay.sql")),
        M::up(include_str!("../store/migrations/0005_forward.sql")),
        M::up(include_str!("../store/migrations/0006_tunnel.sql")),
        M::up(include_str!("../store/migrations/0007_search.sql")),
        M::up(include_str!("../store/migrations/0008_inline_body.sql")),
        M::up(include_str!("../store/migrations/0009_request_target.sql")),
    ])
    .to_latest(&mut conn)
    .unwrap();
    conn.execute(
        "INSERT INTO outbound_requests (at, kind, url, method, request_headers, request_body,
            response_headers, response_body, duration_ms)
         VALUES (1, 'replay', 'http://x/', 'POST', '[]', x'7b7d', '[]', x'', 5)",
        [],
    )
    .unwrap();
    drop(conn);

    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let request = OutboundRequest {
        method: "POST".into(),
        url: "http://127.0.0.1:9/".into(),
        headers: Vec::new(),
        body: b"{}".to_vec(),
    };
    let response = outbound::OutboundResponse { status: Some(200), ..Default::default() };
    let id = outbound::record(
        &store,
        OutboundKind::Check,
        &RecordContext::default(),
        &request,
        &response,
    )
    .unwrap();
    let kinds: Vec<String> = store
        .read(|c| {
            let mut stmt = c.prepare("SELECT kind FROM outbound_requests ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .unwrap();
    assert_eq!(kinds, vec!["replay".to_owned(), "check".to_owned()]);
    assert_eq!(id, 2);
}

#[test]
fn a_run_can_be_awaited_on_any_thread() {
    // The window runs checks from async commands on a multi-threaded runtime.
    fn send<T: Send>(_: T) {}
    fn start(registry: &Registry, spec: &CheckSpec) {
        send(run(registry, spec));
    }
    let _ = start as fn(&Registry, &CheckSpec);
}
