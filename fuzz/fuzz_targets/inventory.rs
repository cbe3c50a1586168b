//! The inventory reader on any file: never panics, never stops on a bad row,
//! and every row it yields names its line.
#![no_main]

use exchange_exposure::inventory::{Kind, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = Reader::new(Box::new(std::io::Cursor::new(data.to_vec()))) else { return };
    for entry in reader {
        let entry = entry.expect("reading from memory cannot fail with I/O");
        assert!(entry.line >= 1);
        if let Kind::Invalid(why) = &entry.kind {
            assert!(why.starts_with("line "), "{why}");
        }
    }
});
