//! Every crash point in the source is in `failpoints::ALL` (so the crash trials cover it),
//! and every listed one exists.

use std::collections::BTreeSet;
use std::path::Path;

fn scan(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("failpoint!(\"").skip(1) {
                found.insert(piece.split('"').next().unwrap().to_owned());
            }
        }
    }
}

#[test]
fn failpoint_list_matches_the_source() {
    let mut found = BTreeSet::new();
    scan(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    let listed: BTreeSet<String> = tenantry::failpoints::ALL
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, listed);
    assert_eq!(
        listed.len(),
        tenantry::failpoints::ALL.len(),
        "duplicates in ALL"
    );
}
