//! `insurance-agency`: the client book of an insurance agency opened in January 2019, with every
//! commission payment to the end of 2024.
//!
//! About 5,000 clients join over the six years (acquired through an agent, online or by phone) and
//! hold one to a few policies: motor, home, health, travel and business cover pay the agency a
//! commission on each annual premium; life pays a large first-year commission up front and a small
//! renewal commission after, clawed back in part when the policy lapses in its first year (a
//! negative amount); pension contributions are monthly and pay a commission every month. Clients
//! buy more policies over time (more often through an agent), policies lapse and clients leave.
//! Premiums are log-normal around a product's median times a client's means, business cover has
//! a long tail, so a small share of clients brings most of the commission.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::portable::*;
use super::Dataset;

/// How many clients the agency has won.
const CLIENTS: usize = 5_000;
const HOUSEHOLDS: [&str; 5] = ["single", "couple", "family", "retired", "business_owner"];
const HOUSEHOLD_WEIGHTS: [u64; 5] = [24, 26, 28, 14, 8];
const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Capital"];
const REGION_WEIGHTS: [u64; 5] = [22, 25, 18, 20, 15];
const CHANNELS: [&str; 3] = ["agent", "online", "phone"];

/// How a product pays the agency.
#[derive(Clone, Copy, PartialEq)]
enum Pays {
    /// A commission on every annual premium.
    Annual,
    /// A large first-year commission at the start, a small renewal commission each year after.
    Upfront,
    /// A commission on every monthly contribution.
    Monthly,
}

struct Product {
    name: &'static str,
    /// Median annual premium (monthly contribution for `Monthly`), in currency units.
    median: f64,
    sigma: f64,
    /// Commission rate on the premium (the renewal rate for `Upfront`).
    rate: f64,
    pays: Pays,
}

const PRODUCTS: [Product; 7] = [
    Product {
        name: "motor",
        median: 650.0,
        sigma: 0.45,
        rate: 0.10,
        pays: Pays::Annual,
    },
    Product {
        name: "home",
        median: 420.0,
        sigma: 0.5,
        rate: 0.15,
        pays: Pays::Annual,
    },
    Product {
        name: "life",
        median: 900.0,
        sigma: 0.7,
        rate: 0.03,
        pays: Pays::Upfront,
    },
    Product {
        name: "health",
        median: 1_600.0,
        sigma: 0.5,
        rate: 0.12,
        pays: Pays::Annual,
    },
    Product {
        name: "travel",
        median: 90.0,
        sigma: 0.3,
        rate: 0.20,
        pays: Pays::Annual,
    },
    Product {
        name: "pension",
        median: 300.0,
        sigma: 0.7,
        rate: 0.04,
        pays: Pays::Monthly,
    },
    Product {
        name: "business",
        median: 5_000.0,
        sigma: 1.1,
        rate: 0.12,
        pays: Pays::Annual,
    },
];

/// The first-year commission of a life policy, as a share of its annual premium.
const LIFE_UPFRONT: f64 = 0.45;

/// Per household: how much each product (in `PRODUCTS` order) is wanted; 0 = never.
const WANTS: [[u64; 7]; 5] = [
    [6, 2, 1, 2, 3, 1, 0], // single
    [5, 5, 3, 2, 2, 2, 0], // couple
    [5, 5, 5, 3, 2, 1, 0], // family
    [3, 5, 1, 4, 3, 1, 0], // retired
    [4, 4, 3, 3, 1, 3, 6], // business_owner
];

/// Per household: the youngest and oldest age (in 2024) and the yearly chance of leaving.
const AGES: [(i64, i64); 5] = [(21, 44), (27, 66), (26, 54), (60, 86), (29, 66)];
const LEAVING: [f64; 5] = [0.14, 0.09, 0.09, 0.07, 0.08];

struct Policy {
    product: usize,
    start: i64,
    premium: f64,
    channel: usize,
}

/// One commission payment: day, client, product, cents, channel.
type Payment = (i64, usize, usize, i64, usize);

/// Generates the agency's `transactions.csv` and `customers.csv`.
pub fn generate(seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first = days_from_civil(2019, 1, 1);
    let last = days_from_civil(2024, 12, 31);
    let mut payments: Vec<Payment> = Vec::new();
    let mut customers = b"customer_id,age,region,household,acquisition_cost,start_year\n".to_vec();
    for client in 0..CLIENTS {
        let household = pick(&mut rng, &HOUSEHOLD_WEIGHTS);
        let (young, old) = AGES[household];
        let age = between(&mut rng, young, old);
        let region = pick(&mut rng, &REGION_WEIGHTS);
        let channel = match (household, age < 40) {
            (3, _) => pick(&mut rng, &[60, 10, 30]),
            (_, true) => pick(&mut rng, &[35, 45, 20]),
            _ => pick(&mut rng, &[55, 25, 20]),
        };
        let start = first + below(&mut rng, (last - 45 - first) as u64) as i64;
        let acquisition = acquisition_cents(&mut rng, channel, household == 4);
        let means = lognormal(&mut rng, 1.0, 0.4);
        let mut leaving = LEAVING[household];
        leaving += [-0.02, 0.05, 0.0][channel];
        let c = Client {
            id: client,
            household,
            channel,
            means,
            leaving,
            start,
            last,
        };
        c.payments(&mut rng, &mut payments);

        push_id(&mut customers, client);
        customers.push(b',');
        push_int(&mut customers, age as u64, 1);
        for text in [REGIONS[region], HOUSEHOLDS[household]] {
            customers.push(b',');
            customers.extend_from_slice(text.as_bytes());
        }
        customers.push(b',');
        push_cents(&mut customers, acquisition);
        customers.push(b',');
        push_int(&mut customers, civil_from_days(start).0 as u64, 4);
        customers.push(b'\n');
    }
    payments.sort_unstable();
    let mut transactions = b"customer_id,date,amount,product,channel\n".to_vec();
    for (day, client, product, amount, channel) in payments {
        push_id(&mut transactions, client);
        transactions.push(b',');
        push_date(&mut transactions, day);
        transactions.push(b',');
        push_cents(&mut transactions, amount);
        for text in [PRODUCTS[product].name, CHANNELS[channel]] {
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

/// What winning the client cost: referral fees and agent time, online advertising, or call-centre
/// time; business owners cost more to win.
fn acquisition_cents(rng: &mut ChaCha8Rng, channel: usize, business: bool) -> i64 {
    let (lo, hi) = [(15_000, 40_000), (4_000, 12_000), (8_000, 20_000)][channel];
    let c = between(rng, lo, hi);
    if business {
        c * 8 / 5
    } else {
        c
    }
}

fn push_id(out: &mut Vec<u8>, client: usize) {
    out.push(b'A');
    push_int(out, client as u64 + 1, 5);
}

struct Client {
    id: usize,
    household: usize,
    channel: usize,
    means: f64,
    leaving: f64,
    start: i64,
    last: i64,
}

impl Client {
    /// Every commission payment of the client until they leave or the export ends.
    fn payments(&self, rng: &mut ChaCha8Rng, out: &mut Vec<Payment>) {
        let mut held = vec![self.new_policy(rng, &[], self.start)];
        if chance(rng, 0.35) {
            let p = self.new_policy(rng, &held, self.start);
            held.push(p);
        }
        // The client's end: the first anniversary at which they leave.
        let mut end = self.last + 1;
        let mut year = 1;
        loop {
            let anniversary = add_months(self.start, 12 * year);
            if anniversary > self.last {
                break;
            }
            if chance(rng, self.leaving) {
                end = anniversary;
                break;
            }
            let cross_sell = [0.16, 0.06, 0.10][self.channel];
            if held.len() < 7 && chance(rng, cross_sell) {
                let p = self.new_policy(rng, &held, anniversary);
                held.push(p);
            }
            year += 1;
        }
        for p in &held {
            self.policy_payments(rng, p, end, out);
        }
    }

    /// A policy of a product the client wants and does not hold yet.
    fn new_policy(&self, rng: &mut ChaCha8Rng, held: &[Policy], start: i64) -> Policy {
        let mut wants = WANTS[self.household];
        for p in held {
            wants[p.product] = 0;
        }
        if wants.iter().all(|&w| w == 0) {
            wants = WANTS[self.household];
        }
        let product = pick(rng, &wants);
        let spec = &PRODUCTS[product];
        let channel = if chance(rng, 0.7) {
            self.channel
        } else {
            pick(rng, &[50, 30, 20])
        };
        Policy {
            product,
            start,
            premium: lognormal(rng, spec.median, spec.sigma) * self.means,
            channel,
        }
    }

    /// The commissions of one policy until it lapses, the client leaves (`end`) or the export
    /// ends; premiums rise 4% a year.
    fn policy_payments(&self, rng: &mut ChaCha8Rng, p: &Policy, end: i64, out: &mut Vec<Payment>) {
        let spec = &PRODUCTS[p.product];
        let stop = end.min(self.last + 1);
        let mut pay =
            |day: i64, amount: i64| out.push((day, self.id, p.product, amount, p.channel));
        if spec.pays == Pays::Upfront && chance(rng, 0.07) {
            // Lapsed in the first year: the unearned part of the upfront commission is clawed back.
            let upfront = cents(p.premium * LIFE_UPFRONT);
            pay(p.start, upfront);
            let lapse = p.start + between(rng, 60, 330);
            if lapse < stop {
                let back = upfront * (365 - (lapse - p.start)) / 365;
                pay(lapse, -back.max(1));
            }
            return;
        }
        let mut premium = p.premium;
        let mut year = 0;
        loop {
            let day = add_months(p.start, 12 * year);
            if day >= stop || (year > 0 && chance(rng, 0.06)) {
                return;
            }
            match spec.pays {
                Pays::Annual => pay(day, cents(premium * spec.rate)),
                Pays::Upfront if year == 0 => pay(day, cents(premium * LIFE_UPFRONT)),
                Pays::Upfront => pay(day, cents(premium * spec.rate)),
                Pays::Monthly => {
                    for month in 0..12 {
                        let d = add_months(day, month);
                        if d >= stop {
                            return;
                        }
                        pay(d, cents(premium * spec.rate));
                    }
                }
            }
            premium *= 1.04;
            year += 1;
        }
    }
}
