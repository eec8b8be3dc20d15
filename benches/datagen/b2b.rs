//! `b2b-services`: the invoices of an IT services firm to about 2,000 client companies from
//! January 2022 to December 2024, with the firm's CRM export of those companies.
//!
//! Companies are small, mid-sized, large or enterprise, which sets how much they buy. Some buy
//! managed services (invoiced every quarter), most buy consulting projects (invoiced by days
//! worked), some training and security audits; a few invoices are followed by a credit note (a
//! negative amount). Every invoice carries the firm's delivery cost, higher when sold through a
//! partner, who takes a cut. The CRM gives per company its name, industry, size band, region, the
//! year it became a client, and the support tickets and account-management hours it takes per
//! year: some small companies take far more support than their invoices pay for. About one company
//! in eight is a subsidiary of another client company (its group): the CRM's `parent_id` names the
//! group's parent, which has no parent itself, so the invoices roll up to accounts
//! (`level: account`). The groups are drawn from a stream of their own, so adding them changed no
//! other value of the data.

use std::collections::BTreeSet;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::portable::*;
use super::Dataset;

/// How many companies the firm has served.
const COMPANIES: usize = 2_000;
const SIZES: [&str; 4] = ["small", "mid", "large", "enterprise"];
const SIZE_WEIGHTS: [u64; 4] = [50, 30, 15, 5];
/// How much more a company of each size buys than a small one (median).
const SCALE: [f64; 4] = [1.0, 3.0, 9.0, 25.0];
/// Yearly chance of leaving, by size.
const LEAVING: [f64; 4] = [0.16, 0.11, 0.07, 0.04];
/// Median support tickets and account-management hours per year, by size.
const TICKETS: [f64; 4] = [6.0, 12.0, 28.0, 70.0];
const AM_HOURS: [f64; 4] = [10.0, 24.0, 80.0, 220.0];
/// The share of demanding clients, and the discount they negotiated (per mille of the amount).
const DEMANDING: f64 = 0.15;
const DISCOUNT: i64 = 150;
const INDUSTRIES: [&str; 7] = [
    "software",
    "manufacturing",
    "retail",
    "healthcare",
    "finance",
    "logistics",
    "public_sector",
];
const INDUSTRY_WEIGHTS: [u64; 7] = [20, 18, 14, 14, 12, 12, 10];
/// Name endings by industry.
const TRADES: [[&str; 3]; 7] = [
    ["Software", "Systems", "Labs"],
    ["Manufacturing", "Engineering", "Works"],
    ["Retail", "Stores", "Trading"],
    ["Health", "Care", "Clinics"],
    ["Capital", "Finance", "Partners"],
    ["Logistics", "Freight", "Transport"],
    ["Council", "Trust", "Authority"],
];
const NAME_FIRST: [&str; 24] = [
    "Acorn",
    "Birch",
    "Cobalt",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbour",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Northwind",
    "Orion",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Tidal",
    "Union",
    "Vertex",
    "Willow",
    "Zenith",
];
const NAME_SECOND: [&str; 10] = [
    "Bay", "Bridge", "Crest", "Field", "Gate", "Hill", "Park", "Stone", "Wood", "Point",
];
const REGIONS: [&str; 5] = ["North", "South", "Midlands", "London", "Scotland"];
const REGION_WEIGHTS: [u64; 5] = [20, 20, 20, 28, 12];
const PRODUCTS: [&str; 4] = [
    "managed_services",
    "consulting",
    "training",
    "security_audit",
];
const CHANNELS: [&str; 3] = ["direct", "partner", "online"];
/// The share of companies that are a subsidiary of another client company.
const SUBSIDIARIES: f64 = 0.12;
/// Mixed into the seed for the groups' own random stream.
const GROUP_STREAM: u64 = 0x6772_6f75_7073;

/// One invoice line: day, company, product, amount, cost (cents), quantity, channel.
type Invoice = (i64, usize, usize, i64, i64, i64, usize);

struct Company {
    id: usize,
    size: usize,
    scale: f64,
    channel: usize,
    /// Per mille of each invoice given away as a discount (it raises the cost share).
    discount: i64,
    start: i64,
    end: i64,
}

/// Generates the firm's `transactions.csv` (invoices) and `customers.csv` (the CRM export).
pub fn generate(seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first = days_from_civil(2022, 1, 1);
    let last = days_from_civil(2024, 12, 31);
    let mut invoices: Vec<Invoice> = Vec::new();
    let mut names = BTreeSet::new();
    let mut customers = b"customer_id,company,industry,size_band,region,client_since,support_tickets_per_year,am_hours_per_year,parent_id\n".to_vec();
    for (id, parent) in groups(seed).into_iter().enumerate() {
        let size = pick(&mut rng, &SIZE_WEIGHTS);
        let industry = pick(&mut rng, &INDUSTRY_WEIGHTS);
        let region = pick(&mut rng, &REGION_WEIGHTS);
        let name = company_name(&mut rng, industry, size, &mut names);
        let (start, since) = if chance(&mut rng, 0.55) {
            (first, between(&mut rng, 2012, 2021))
        } else {
            let s = first + below(&mut rng, (last - 60 - first) as u64) as i64;
            (s, civil_from_days(s).0)
        };
        let end = leaving_day(&mut rng, start, last, LEAVING[size]);
        let channel = pick(
            &mut rng,
            [[45, 25, 30], [65, 30, 5], [80, 20, 0], [80, 20, 0]][size].as_slice(),
        );
        // A demanding client takes far more support and account management, at a discount.
        let demanding = chance(&mut rng, DEMANDING);
        let (more_tickets, more_hours) = if demanding { (3.5, 2.5) } else { (1.0, 1.0) };
        let mean_tickets = TICKETS[size] * more_tickets * lognormal(&mut rng, 1.0, 0.5);
        let tickets = poisson(&mut rng, mean_tickets.min(200.0));
        let hours = (AM_HOURS[size] * more_hours * lognormal(&mut rng, 1.0, 0.5) * 10.0).round();
        let company = Company {
            id,
            size,
            scale: SCALE[size] * lognormal(&mut rng, 1.0, 0.6),
            channel,
            discount: if demanding { DISCOUNT } else { 0 },
            start,
            end,
        };
        company.invoices(&mut rng, &mut invoices);

        push_id(&mut customers, id);
        for text in [
            name.as_str(),
            INDUSTRIES[industry],
            SIZES[size],
            REGIONS[region],
        ] {
            customers.push(b',');
            customers.extend_from_slice(text.as_bytes());
        }
        customers.push(b',');
        push_int(&mut customers, since as u64, 4);
        customers.push(b',');
        push_int(&mut customers, tickets, 1);
        customers.push(b',');
        push_int(&mut customers, hours as u64 / 10, 1);
        customers.push(b'.');
        push_int(&mut customers, hours as u64 % 10, 1);
        customers.push(b',');
        if let Some(parent) = parent {
            push_id(&mut customers, parent);
        }
        customers.push(b'\n');
    }
    invoices.sort_unstable();
    let mut transactions = b"customer_id,date,amount,cost,quantity,product,channel\n".to_vec();
    for (day, id, product, amount, cost, quantity, channel) in invoices {
        push_id(&mut transactions, id);
        transactions.push(b',');
        push_date(&mut transactions, day);
        transactions.push(b',');
        push_cents(&mut transactions, amount);
        transactions.push(b',');
        push_cents(&mut transactions, cost);
        transactions.push(b',');
        if quantity < 0 {
            transactions.push(b'-');
        }
        push_int(&mut transactions, quantity.unsigned_abs(), 1);
        for text in [PRODUCTS[product], CHANNELS[channel]] {
            transactions.push(b',');
            transactions.extend_from_slice(text.as_bytes());
        }
        transactions.push(b'\n');
    }
    Dataset {
        transactions,
        customers,
    }
}

/// Per company, the parent of its group when it is a subsidiary: an earlier company that is not a
/// subsidiary itself.
fn groups(seed: u64) -> Vec<Option<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ GROUP_STREAM);
    let mut tops: Vec<usize> = Vec::new();
    let mut parents = Vec::with_capacity(COMPANIES);
    for id in 0..COMPANIES {
        if !tops.is_empty() && chance(&mut rng, SUBSIDIARIES) {
            parents.push(Some(tops[below(&mut rng, tops.len() as u64) as usize]));
        } else {
            tops.push(id);
            parents.push(None);
        }
    }
    parents
}

fn push_id(out: &mut Vec<u8>, id: usize) {
    out.push(b'B');
    push_int(out, id as u64 + 1, 4);
}

/// A company name not used before ("Kestrel Bridge Engineering Ltd").
fn company_name(
    rng: &mut ChaCha8Rng,
    industry: usize,
    size: usize,
    used: &mut BTreeSet<String>,
) -> String {
    loop {
        let a = NAME_FIRST[below(rng, NAME_FIRST.len() as u64) as usize];
        let b = NAME_SECOND[below(rng, NAME_SECOND.len() as u64) as usize];
        let c = TRADES[industry][below(rng, 3) as usize];
        let form = match (industry, size) {
            (6, _) => "",
            (_, 3) => " plc",
            _ => " Ltd",
        };
        let name = format!("{a} {b} {c}{form}");
        if used.insert(name.clone()) {
            return name;
        }
    }
}

/// The day the company stops buying (after `last` when it stays to the end).
fn leaving_day(rng: &mut ChaCha8Rng, start: i64, last: i64, hazard: f64) -> i64 {
    let mut year_start = start;
    while year_start <= last {
        if chance(rng, hazard) {
            return year_start + below(rng, 365) as i64;
        }
        year_start = add_months(year_start, 12);
    }
    last + 1
}

impl Company {
    /// The company's invoices while it is a client, within the export.
    fn invoices(&self, rng: &mut ChaCha8Rng, out: &mut Vec<Invoice>) {
        let stop = self.end.min(days_from_civil(2024, 12, 31) + 1);
        let before = out.len();
        if chance(rng, [0.2, 0.4, 0.6, 0.8][self.size]) {
            self.managed_services(rng, stop, out);
        }
        let mut year_start = self.start;
        while year_start < stop {
            let year_end = add_months(year_start, 12).min(stop);
            let span = (year_end - year_start) as u64;
            let share = span as f64 / 365.0;
            let projects = poisson(rng, [0.7, 1.2, 2.2, 3.5][self.size] * share);
            for _ in 0..projects {
                let day = year_start + below(rng, span) as i64;
                self.consulting(rng, day, stop, out);
            }
            for _ in 0..poisson(rng, 0.4 * share) {
                let day = year_start + below(rng, span) as i64;
                let seats = between(rng, 1, 4 + 2 * self.size as i64);
                self.invoice(rng, out, (day, 2, seats * 45_000, seats), (350, 450));
            }
            for _ in 0..poisson(rng, [0.1, 0.2, 0.35, 0.5][self.size] * share) {
                let day = year_start + below(rng, span) as i64;
                let amount = cents(6_000.0 * self.scale.sqrt() * lognormal(rng, 1.0, 0.3));
                self.invoice(rng, out, (day, 3, amount, 1), (550, 650));
            }
            year_start = year_end;
        }
        if out.len() == before {
            // Every company in the CRM bought at least once: a first small project.
            self.consulting(rng, self.start, self.start + 1, out);
        }
    }

    /// Quarterly invoices from the first quarter day on or after the start; 3% dearer each year.
    fn managed_services(&self, rng: &mut ChaCha8Rng, stop: i64, out: &mut Vec<Invoice>) {
        let (y, m, _) = civil_from_days(self.start);
        let mut day = days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
        if day < self.start {
            day = add_months(day, 3);
        }
        let mut quarterly = self.scale * 1_500.0 * lognormal(rng, 1.0, 0.25);
        let seats = ((self.scale * 8.0).round() as i64).max(1);
        let mut quarter = 0;
        while day < stop && day <= days_from_civil(2024, 12, 31) {
            let amount = cents(quarterly);
            self.invoice(rng, out, (day, 0, amount, seats), (620, 760));
            day = add_months(day, 3);
            quarter += 1;
            if quarter % 4 == 0 {
                quarterly *= 1.03;
            }
        }
    }

    /// A consulting project: one to three monthly invoices for the days worked.
    fn consulting(&self, rng: &mut ChaCha8Rng, day: i64, stop: i64, out: &mut Vec<Invoice>) {
        let day_rate = between(rng, 850, 1_150) * 100;
        let months = between(rng, 1, 3);
        for m in 0..months {
            let d = add_months(day, m);
            if d >= stop || d > days_from_civil(2024, 12, 31) {
                return;
            }
            let days = (lognormal(rng, 4.0 * self.scale.sqrt(), 0.6).round() as i64).max(1);
            self.invoice(rng, out, (d, 1, days * day_rate, days), (600, 780));
        }
    }

    /// One invoice (day, product, amount, quantity) with a delivery cost drawn from `cost`
    /// (per mille of the amount; a partner takes 80 more, a discount adds its share), and now and
    /// then a credit note.
    fn invoice(
        &self,
        rng: &mut ChaCha8Rng,
        out: &mut Vec<Invoice>,
        (day, product, amount, quantity): (i64, usize, i64, i64),
        cost: (i64, i64),
    ) {
        let channel = if product == 2 && self.channel == 2 {
            2
        } else if self.channel == 2 {
            0
        } else {
            self.channel
        };
        let partner = if channel == 1 { 80 } else { 0 };
        let per_mille = between(rng, cost.0, cost.1) + partner + self.discount;
        out.push((
            day,
            self.id,
            product,
            amount,
            amount * per_mille / 1000,
            quantity,
            channel,
        ));
        if chance(rng, 0.02) {
            let credit = amount * between(rng, 10, 50) / 100;
            let d = day + between(rng, 20, 40);
            if d <= days_from_civil(2024, 12, 31) {
                out.push((d, self.id, product, -credit, 0, 0, channel));
            }
        }
    }
}
