//! Fuzzes the Markdown-to-PDF layout: any UTF-8 text (front matter and body) either renders to a
//! PDF or is refused with a front-matter error; it must never panic. No charts are supplied, so
//! chart images take the "not a chart" path.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use powerbase::report::pdf;

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    match pdf::render(markdown, &BTreeMap::new()) {
        Ok(rendered) => assert!(rendered.bytes.starts_with(b"%PDF-") && rendered.pages >= 1),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
