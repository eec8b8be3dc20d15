//! Renders a ~40-page board report (text, tables, charts) N times and prints pages, median and
//! max milliseconds. `cargo bench --bench pdf` (N from BENCH_RUNS, default 20).

#[path = "../tests/support/charts.rs"]
mod fixtures;

use std::time::Instant;

use powerbase::report::pdf::render;

/// The fixture's front matter followed by its body seven times, each copy under its own part
/// heading: about 40 pages with 21 charts, 14 tables (7 of 60 rows) and the usual text.
fn big_report() -> String {
    let fixture = fixtures::FIXTURE;
    let body_start = fixture[3..].find("\n---\n").expect("front matter") + 3 + 5;
    let (front, body) = fixture.split_at(body_start);
    let mut md = front.to_string();
    for part in 1..=7 {
        md.push_str(&format!("\n# Part {part}: region review\n\n"));
        md.push_str(
            &body
                .replace("\n# ", "\n## ")
                .replace("\n## Appendix", "\n### Appendix"),
        );
    }
    md
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let md = big_report();
    let charts = fixtures::sample_charts();
    // The first render also parses the embedded fonts (once per process).
    let cold = Instant::now();
    let first = render(&md, &charts).expect("render");
    let cold_ms = cold.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let r = render(&md, &charts).expect("render");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.bytes, first.bytes, "deterministic");
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "pdf render: {} pages, {} KiB, {} runs: median {:.1} ms, max {:.1} ms, min {:.1} ms (first, with font parsing: {:.1} ms)",
        first.pages,
        first.bytes.len() / 1024,
        runs,
        median,
        max,
        times[0],
        cold_ms
    );
}
