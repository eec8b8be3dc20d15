//! Sample report data shared by tests/pdf.rs and the PDF benchmark (benches/pdf.rs, which
//! includes this file alone): the fixture reports and the charts a real analysis stage would
//! build for them.

#![allow(dead_code)]

use std::collections::BTreeMap;

use powerbase::report::charts::{Chart, Pareto, RfmCell, RfmGrid, TierBar, TierBars};

/// A board report in Markdown: text, tables and chart references (tests/fixtures/report.md).
pub const FIXTURE: &str = include_str!("../fixtures/report.md");
/// Unusual input: long title, Letter, nested quotes and lists, alignments, missing glyphs.
pub const EDGE: &str = include_str!("../fixtures/edge.md");

/// Pareto, tiers and RFM charts matching the numbers in tests/fixtures/report.md.
pub fn sample_charts() -> BTreeMap<String, Chart> {
    let total_revenue = 8_423_112.0;
    let total_margin = 2_100_000.0;
    let customers = 12_480u64;

    // A concave Lorenz-style curve y = 1 - (1 - x)^4.5, sampled at 101 points.
    let k = 4.5f64;
    let points: Vec<(f64, f64)> = (0..=100)
        .map(|i| {
            let x = f64::from(i) / 100.0;
            (x, 1.0 - (1.0 - x).powf(k))
        })
        .collect();
    let pareto = Pareto {
        points,
        top20_share: 1.0 - 0.8f64.powf(k),
        x_at_80: 1.0 - 0.2f64.powf(1.0 / k),
        customers,
        total_revenue,
        currency: "USD".into(),
    };

    let tier = |name: &str, c: u64, revenue: f64, margin: f64| TierBar {
        name: name.into(),
        customers: c,
        revenue,
        margin,
        customer_share: c as f64 / customers as f64,
        revenue_share: revenue / total_revenue,
        margin_share: margin / total_margin,
    };
    let tiers = TierBars {
        tiers: vec![
            tier("First class", 1_060, 4_950_000.0, 1_480_000.0),
            tier("Business class", 3_120, 2_400_000.0, 590_000.0),
            tier("Economy class", 8_300, 1_073_112.0, 30_000.0),
        ],
        currency: "USD".into(),
        has_margin: true,
    };

    // Customers and revenue by recency (rows) and frequency (columns) score.
    let counts: [[u64; 5]; 5] = [
        [2_160, 640, 310, 120, 40],
        [820, 560, 330, 150, 60],
        [610, 520, 410, 260, 110],
        [380, 470, 520, 480, 300],
        [170, 360, 610, 790, 1_300],
    ];
    let weights: [[f64; 5]; 5] = [
        [0.4, 0.5, 0.6, 0.5, 0.3],
        [0.6, 0.9, 1.1, 1.0, 0.7],
        [0.8, 1.4, 2.2, 2.6, 2.0],
        [0.7, 1.9, 3.8, 6.1, 7.4],
        [0.5, 2.1, 5.9, 14.2, 42.0],
    ];
    let wsum: f64 = weights.iter().flatten().sum();
    let mut cells = [[RfmCell::default(); 5]; 5];
    for r in 0..5 {
        for f in 0..5 {
            let share = weights[r][f] / wsum;
            cells[r][f] = RfmCell {
                customers: counts[r][f],
                revenue: share * total_revenue,
                revenue_share: share,
            };
        }
    }
    let rfm = RfmGrid {
        cells,
        currency: "USD".into(),
    };

    let mut charts = BTreeMap::new();
    charts.insert("pareto".to_string(), Chart::Pareto(pareto));
    charts.insert("tiers".to_string(), Chart::Tiers(tiers));
    charts.insert("rfm".to_string(), Chart::Rfm(rfm));
    charts
}

/// [`sample_charts`] as for data without a cost column: the tiers chart has no margin series.
pub fn sample_charts_without_margin() -> BTreeMap<String, Chart> {
    let mut charts = sample_charts();
    if let Some(Chart::Tiers(t)) = charts.get_mut("tiers") {
        t.has_margin = false;
    }
    charts
}

/// Charts for tests/fixtures/edge.md: seven tiers with long names and a negative margin, an
/// almost even (flat) concentration curve, and an empty RFM grid.
pub fn edge_charts() -> BTreeMap<String, Chart> {
    let names = [
        "Platinum",
        "Gold class members",
        "Silver",
        "Bronze tier customers",
        "Standard",
        "Occasional buyers",
        "Dormant",
    ];
    let shares = [0.02, 0.05, 0.08, 0.15, 0.2, 0.25, 0.25];
    let revenue = [0.3, 0.22, 0.18, 0.12, 0.1, 0.06, 0.02];
    let margin = [0.45, 0.3, 0.15, 0.1, 0.05, 0.0, -0.05];
    let tiers = names
        .iter()
        .enumerate()
        .map(|(i, n)| TierBar {
            name: n.to_string(),
            customers: (shares[i] * 50_000.0) as u64,
            revenue: revenue[i] * 9_000_000.0,
            margin: margin[i] * 1_000_000.0,
            customer_share: shares[i],
            revenue_share: revenue[i],
            margin_share: margin[i],
        })
        .collect();
    let points: Vec<(f64, f64)> = (0..=50)
        .map(|i| {
            let x = f64::from(i) / 50.0;
            (x, x.powf(0.8))
        })
        .collect();
    let mut charts = BTreeMap::new();
    charts.insert(
        "tiers7".to_string(),
        Chart::Tiers(TierBars {
            tiers,
            currency: "EUR".into(),
            has_margin: true,
        }),
    );
    charts.insert(
        "flat".to_string(),
        Chart::Pareto(Pareto {
            points,
            top20_share: 0.2f64.powf(0.8),
            x_at_80: 0.8f64.powf(1.0 / 0.8),
            customers: 812,
            total_revenue: 1_234_567.0,
            currency: "GBP".into(),
        }),
    );
    charts.insert(
        "rfmempty".to_string(),
        Chart::Rfm(RfmGrid {
            cells: [[RfmCell::default(); 5]; 5],
            currency: "CHF".into(),
        }),
    );
    charts
}
