//! Every crash point is listed in `failpoints::all()` (so the crash trials reach it): the
//! steps' own come from the operations' step tables, and every literal one in the source
//! (`.hit("..")`, and the first point of a run, `started(.., "..")`) is in
//! `failpoints::INNER`.

use std::collections::BTreeSet;
use std::path::Path;

fn scan(dir: &Path, found: &mut BTreeSet<String>, crash: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, found, crash);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split(".hit(\"").skip(1) {
                found.insert(piece.split('"').next().unwrap().to_owned());
            }
            for piece in text.split(".crash_point(\"").skip(1) {
                crash.insert(piece.split('"').next().unwrap().to_owned());
            }
            // `lifecycle::started(.., "point")`: a run's first crash point.
            for call in text.split("started(").skip(1) {
                let args = call.split(')').next().unwrap();
                if let Some(point) = args.split('"').nth(1) {
                    found.insert(point.to_owned());
                }
            }
        }
    }
}

#[test]
fn failpoint_list_matches_the_source() {
    let (mut found, mut crash) = (BTreeSet::new(), BTreeSet::new());
    scan(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
        &mut crash,
    );
    let listed: BTreeSet<String> = tenantry::failpoints::CRASH_POINTS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        crash, listed,
        "crash points in the source vs failpoints::CRASH_POINTS"
    );
    let inner: BTreeSet<String> = tenantry::failpoints::INNER
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        found, inner,
        "literal failpoints in the source vs failpoints::INNER"
    );
    let all = tenantry::failpoints::all();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "duplicates in failpoints::all()");
    for name in &inner {
        assert!(all.contains(name), "{name} missing from all()");
    }
    // Every operation step and every undo of a step before the commit point.
    for kind in ["create", "update", "delete"] {
        assert!(
            all.iter().any(|n| n.starts_with(&format!("{kind}."))),
            "{kind}"
        );
    }
    assert!(all.iter().any(|n| n.contains(".undo.")));
}
