//! Build::parse on any text: never panics; what it accepts prints back to a
//! string it accepts again, unchanged (normalisation is idempotent), and the
//! verdict for it can always be made.
#![no_main]

use exchange_exposure::build::Build;
use exchange_exposure::table::Table;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TABLE: OnceLock<Table> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(build) = Build::parse(text) {
        let shown = build.to_string();
        assert_eq!(Build::parse(&shown), Ok(build));
        let table = TABLE.get_or_init(Table::builtin);
        let verdict = exchange_exposure::assess::judge(&build, table);
        assert!(!verdict.detail.is_empty());
    }
});
