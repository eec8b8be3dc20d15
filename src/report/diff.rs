//! The report of a policy change (`powerbase diff`): one model ([`PolicyDiff`]) serialised as
//! diff.json and written as diff.md, which the PDF renderer turns into diff.pdf.

use std::collections::BTreeMap;

use serde::Serialize;

use super::charts::{self, Chart, MigrationTitles};
use super::format;
use super::markdown::escape_markdown;
use super::model::Money;
use super::{pdf, OutputFile};
use crate::analysis::migration::Cell;
use crate::analysis::TierSummary;
use crate::error::{Diagnostic, Error};
use crate::pipeline::compare::Comparison;
use crate::workspace::changes::Change;
use crate::workspace::Policy;

/// The chart `--out` writes beside diff.md (`charts/migration.svg`).
const CHART: &str = "migration";

/// How many moved customers the Markdown lists (diff.json lists them all).
pub const MOVED_SHOWN: usize = 25;

/// A policy change and what it does to the customers. Field order is the order of diff.json.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyDiff {
    /// The client's name.
    pub client: String,
    /// ISO currency code.
    pub currency: String,
    /// The as-of date both policies were evaluated at.
    pub as_of: String,
    /// Customers both policies placed.
    pub customers: usize,
    /// Their revenue (as the head sees it).
    pub revenue: Money,
    /// The policy before.
    pub base: Side,
    /// The policy after.
    pub head: Side,
    /// Rows: base tier; columns: head tier; every pair holding a customer.
    pub matrix: Vec<Cell>,
    /// The customer columns the tier rules of either side read (params left out), in policy
    /// order: the evidence shown beside each moved customer.
    pub rule_reads: Vec<String>,
    /// Customers whose tier changed, largest revenue first (ties by id).
    pub moved: Vec<Moved>,
    /// Moves to a higher tier: customers and revenue.
    pub up: Total,
    /// Moves to a lower tier.
    pub down: Total,
    /// What changed in the policy itself.
    pub changes: Vec<Change>,
    /// Customers only one side's reading of the data holds (the two policies map the data
    /// differently), left out of the matrix.
    pub unmatched: Unmatched,
    /// Where the data came from: `head` or `base`.
    pub data_from: String,
    /// The page size of the PDF (the head's report setting).
    #[serde(skip)]
    pub page_size: String,
}

/// One side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// What it is: a git revision, a folder, `working tree`, with any `--set` overrides.
    pub label: String,
    /// Its tiers, in its policy order.
    pub tiers: Vec<DiffTier>,
}

/// A tier's figures on one side.
#[derive(Debug, Clone, Serialize)]
pub struct DiffTier {
    /// Its name.
    pub name: String,
    /// Customers in it.
    pub customers: usize,
    /// Share of all customers.
    pub customer_share: f64,
    /// Its revenue.
    pub revenue: Money,
    /// Share of total revenue.
    pub revenue_share: f64,
    /// Its rule (`None` for the last tier, which takes everyone left).
    pub rule: Option<String>,
}

/// A customer whose tier changed.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    /// The customer id.
    pub id: String,
    /// The tier before.
    pub from: String,
    /// The tier after.
    pub to: String,
    /// Revenue.
    pub revenue: Money,
    /// Whether the move is to a higher tier.
    pub up: bool,
    /// The rule that placed the customer before (the tier's condition, or the last tier).
    pub rule_before: String,
    /// The rule that places the customer after.
    pub rule_after: String,
    /// The customer's values of `rule_reads` (as customers.csv writes them; empty when none).
    pub values: Vec<String>,
}

/// Customers and revenue.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Total {
    /// How many customers.
    pub customers: u64,
    /// Their revenue.
    pub revenue: Money,
}

/// Customers on one side only.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Unmatched {
    /// Only in the base's reading of the data.
    pub base_only: usize,
    /// Only in the head's.
    pub head_only: usize,
}

/// The text of the rule of tier `index` of `policy`.
fn rule_text(policy: &Policy, index: u16) -> String {
    let tier = &policy.tiers[index as usize];
    match &tier.when {
        Some(w) => format!("{}: {}", tier.name, w.text.trim()),
        None => format!("{}: everyone left", tier.name),
    }
}

fn tiers(summaries: &[TierSummary], policy: &Policy) -> Vec<DiffTier> {
    summaries
        .iter()
        .map(|t| DiffTier {
            rule: policy
                .tiers
                .iter()
                .find(|p| p.name == t.name)
                .and_then(|p| p.when.as_ref())
                .map(|w| w.text.trim().to_string()),
            name: t.name.clone(),
            customers: t.customers,
            customer_share: t.customer_share,
            revenue: Money(t.revenue),
            revenue_share: t.revenue_share,
        })
        .collect()
}

/// The labels and policies of the two sides, for [`build`].
pub struct Sides<'a> {
    /// The base's label and policy.
    pub base: (String, &'a Policy),
    /// The head's label and policy.
    pub head: (String, &'a Policy),
}

/// The diff model of a comparison.
pub fn build(
    sides: Sides,
    comparison: &Comparison,
    changes: Vec<Change>,
    data_from: &str,
) -> PolicyDiff {
    let (base_policy, head_policy) = (sides.base.1, sides.head.1);
    let m = &comparison.migration;
    let table = &comparison.head.table;
    let mut rule_reads: Vec<String> = Vec::new();
    let reads = [&comparison.base, &comparison.head]
        .into_iter()
        .flat_map(|o| o.evaluation.tier_reads.iter().flatten());
    for name in reads {
        if table.column(name).is_some() && !rule_reads.contains(name) {
            rule_reads.push(name.clone());
        }
    }
    let row: std::collections::HashMap<&str, usize> = table
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let values = |id: &str| -> Vec<String> {
        rule_reads
            .iter()
            .map(|name| {
                let column = table.column(name).expect("a column of the table");
                row.get(id)
                    .map_or(String::new(), |&i| column.get(i).to_csv())
            })
            .collect()
    };
    let moved = m
        .moved
        .iter()
        .zip(&comparison.placed_by)
        .map(|(mv, &(b, h))| Moved {
            values: values(&mv.id),
            id: mv.id.clone(),
            from: mv.from.clone(),
            to: mv.to.clone(),
            revenue: Money(mv.revenue),
            up: mv.up,
            rule_before: rule_text(base_policy, b),
            rule_after: rule_text(head_policy, h),
        })
        .collect();
    let total = |up: bool| {
        let (customers, revenue) = m.total(up);
        Total {
            customers,
            revenue: Money(revenue),
        }
    };
    PolicyDiff {
        client: head_policy.client.clone(),
        currency: head_policy.currency.clone(),
        as_of: comparison.as_of.to_string(),
        customers: m.matrix.iter().map(|c| c.customers as usize).sum(),
        revenue: Money(m.matrix.iter().map(|c| c.revenue).sum()),
        base: Side {
            label: sides.base.0,
            tiers: tiers(&comparison.base.analysis.tiers, base_policy),
        },
        head: Side {
            label: sides.head.0,
            tiers: tiers(&comparison.head.analysis.tiers, head_policy),
        },
        matrix: m.matrix.clone(),
        rule_reads,
        moved,
        up: total(true),
        down: total(false),
        changes,
        unmatched: Unmatched {
            base_only: comparison.unmatched.0,
            head_only: comparison.unmatched.1,
        },
        data_from: data_from.to_string(),
        page_size: head_policy.report.page_size.clone(),
    }
}

impl PolicyDiff {
    /// The files `--out` writes: diff.md, diff.pdf (the Markdown through the report's PDF
    /// renderer), diff.json and charts/migration.svg (drawn in the PDF too), with the PDF
    /// renderer's warnings.
    pub fn files(&self) -> Result<(Vec<OutputFile>, Vec<String>), Error> {
        let markdown = self.markdown(true);
        let chart = self.chart();
        let charts = BTreeMap::from([(CHART.to_string(), chart.clone())]);
        let pdf = pdf::render(&markdown, &charts).map_err(|e| {
            Error::Render(Diagnostic::new(format!("diff.pdf from diff.md: {e}")).code("report/pdf"))
        })?;
        let file = |path: &str, bytes: Vec<u8>| OutputFile {
            path: path.to_string(),
            bytes,
        };
        Ok((
            vec![
                file(
                    &format!("charts/{CHART}.svg"),
                    charts::svg::to_svg(&chart).into_bytes(),
                ),
                file("diff.json", self.to_json()),
                file("diff.md", markdown.into_bytes()),
                file("diff.pdf", pdf.bytes),
            ],
            pdf.warnings,
        ))
    }

    /// diff.json: the model, pretty-printed, with a final line break.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("the model serialises");
        out.push(b'\n');
        out
    }

    /// The Markdown printed on standard output: a front matter block (for the PDF), the headline, the policy changes, the tier
    /// table before and after, the migration matrix and the largest moves.
    pub fn to_markdown(&self) -> String {
        self.markdown(false)
    }

    /// [`PolicyDiff::to_markdown`], with the matrix chart (`charts/migration.svg`) placed above
    /// the matrix table when `chart` is set (the files of `--out` hold it).
    fn markdown(&self, chart: bool) -> String {
        let mut out = String::new();
        let title = format!("Policy change: {} to {}", self.base.label, self.head.label);
        out.push_str(&format!(
            "---\ntitle: {}\nclient: {}\nas_of: {}\npage_size: {}\n---\n# {}\n\n",
            yaml(&title),
            yaml(&self.client),
            yaml(&self.as_of),
            yaml(&self.page_size),
            esc(&title)
        ));
        out.push_str(&self.headline());
        out.push_str(&self.changes_section());
        out.push_str(&self.tiers_section());
        out.push_str(&self.matrix_section(chart));
        out.push_str(&self.rules_section());
        out.push_str(&self.moved_section());
        out
    }

    /// The migration matrix as a heat map: base tiers down, head tiers across.
    pub fn chart(&self) -> Chart {
        let names =
            |side: &Side| -> Vec<String> { side.tiers.iter().map(|t| t.name.clone()).collect() };
        charts::migration_grid(
            &self.matrix,
            &names(&self.base),
            &names(&self.head),
            MigrationTitles {
                title: "How the change moves customers between tiers".into(),
                subtitle: format!(
                    "{} customers as of {}; each cell: customers, their revenue and share of customers",
                    format::thousands(self.customers as i64),
                    self.as_of
                ),
                rows: format!("tier under {}", self.base.label),
                columns: format!("tier under {}", self.head.label),
            },
            &self.currency,
        )
    }

    fn money(&self, m: Money) -> String {
        format::money(m.units(), &self.currency, 0)
    }

    fn share(&self, part: i64) -> String {
        format::percent(
            format::share_of(part as f64 / self.revenue.0 as f64, self.revenue.0),
            1,
        )
    }

    /// The sentence a reviewer reads first: how many customers and how much revenue the change
    /// moves, up and down.
    fn headline(&self) -> String {
        let n = self.up.customers + self.down.customers;
        let mut s = format!(
            "Evaluated on the same data as of {} ({} customers, {} of revenue; data files of the {}). ",
            self.as_of,
            format::thousands(self.customers as i64),
            self.money(self.revenue),
            self.data_from
        );
        if n == 0 {
            s.push_str("**No customer changes tier.**");
        } else {
            s.push_str(&format!(
                "**The change moves {} customers ({}) with {} of revenue ({})**: {} up ({}), {} down ({}).",
                format::thousands(n as i64),
                format::percent(n as f64 / self.customers.max(1) as f64, 1),
                self.money(Money(self.up.revenue.0 + self.down.revenue.0)),
                self.share(self.up.revenue.0 + self.down.revenue.0),
                format::thousands(self.up.customers as i64),
                self.money(self.up.revenue),
                format::thousands(self.down.customers as i64),
                self.money(self.down.revenue),
            ));
        }
        let u = self.unmatched;
        if u.base_only + u.head_only > 0 {
            s.push_str(&format!(
                " The two policies read the data differently: {} customers exist only under {} and {} only under {}; they are left out of the comparison.",
                format::thousands(u.base_only as i64),
                esc(&self.base.label),
                format::thousands(u.head_only as i64),
                esc(&self.head.label)
            ));
        }
        s.push_str("\n\n");
        s
    }

    fn changes_section(&self) -> String {
        let mut s = String::from("## What changed in the policy\n\n");
        if self.changes.is_empty() {
            s.push_str("The two policies are the same: no rule, param, setting, script or template differs.\n\n");
            return s;
        }
        s.push_str("| Kind | Name | Before | After |\n|---|---|---|---|\n");
        for c in &self.changes {
            let text = |t: &Option<String>| t.as_deref().map_or("(none)".to_string(), esc);
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                c.kind,
                esc(&c.name),
                text(&c.before),
                text(&c.after)
            ));
        }
        s.push('\n');
        s
    }

    fn tiers_section(&self) -> String {
        let mut s = String::from("## Tiers before and after\n\n");
        s.push_str("| Tier | Customers before | Customers after | Change | Revenue before | Revenue after | Share before | Share after |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for name in self.tier_names() {
            let find = |side: &Side| side.tiers.iter().find(|t| t.name == name).cloned();
            let (b, h) = (find(&self.base), find(&self.head));
            let count = |t: &Option<DiffTier>| {
                t.as_ref()
                    .map_or("–".to_string(), |t| format::thousands(t.customers as i64))
            };
            let revenue = |t: &Option<DiffTier>| {
                t.as_ref()
                    .map_or("–".to_string(), |t| self.money(t.revenue))
            };
            let share = |t: &Option<DiffTier>| {
                t.as_ref()
                    .map_or("–".to_string(), |t| format::percent(t.revenue_share, 1))
            };
            let change = h.as_ref().map_or(0, |t| t.customers as i64)
                - b.as_ref().map_or(0, |t| t.customers as i64);
            s.push_str(&format!(
                "| {} | {} | {} | {}{} | {} | {} | {} | {} |\n",
                esc(name),
                count(&b),
                count(&h),
                if change > 0 { "+" } else { "" },
                format::thousands(change),
                revenue(&b),
                revenue(&h),
                share(&b),
                share(&h)
            ));
        }
        s.push('\n');
        s
    }

    fn matrix_section(&self, chart: bool) -> String {
        let mut s = format!(
            "## Migration matrix\n\nRows are the tiers under {}, columns the tiers under {}; each cell gives customers and their revenue.\n\n",
            esc(&self.base.label),
            esc(&self.head.label)
        );
        if chart {
            s.push_str(&format!(
                "![Customers moved between tiers by the change](charts/{CHART}.svg)\n\n"
            ));
        }
        let cols: Vec<&str> = self.head.tiers.iter().map(|t| t.name.as_str()).collect();
        s.push_str("| Before / after |");
        for c in &cols {
            s.push_str(&format!(" {} |", esc(c)));
        }
        s.push_str("\n|---|");
        s.push_str(&"---:|".repeat(cols.len()));
        s.push('\n');
        for row in &self.base.tiers {
            s.push_str(&format!("| {} |", esc(&row.name)));
            for c in &cols {
                let cell = self
                    .matrix
                    .iter()
                    .find(|x| x.from == row.name && x.to == *c);
                match cell {
                    Some(x) => s.push_str(&format!(
                        " {} ({}) |",
                        format::thousands(x.customers as i64),
                        self.money(Money(x.revenue))
                    )),
                    None => s.push_str(" – |"),
                }
            }
            s.push('\n');
        }
        s.push('\n');
        s
    }

    /// Each tier's rule before and after (first match wins: a customer is placed by the rule of
    /// its tier).
    fn rules_section(&self) -> String {
        let mut s = String::from("## The tier rules\n\nA customer lands in the first tier whose rule holds.\n\n| Tier | Rule before | Rule after |\n|---|---|---|\n");
        for name in self.tier_names() {
            let rule = |side: &Side| match side.tiers.iter().find(|t| t.name == name) {
                None => "(no such tier)".to_string(),
                Some(t) => t.rule.as_deref().map_or("everyone left".to_string(), esc),
            };
            let (before, after) = (rule(&self.base), rule(&self.head));
            let after = if after == before {
                "(same)".to_string()
            } else {
                after
            };
            s.push_str(&format!("| {} | {before} | {after} |\n", esc(name)));
        }
        s.push('\n');
        s
    }

    /// The tier names of both sides: the base's, then those only the head has.
    fn tier_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.base.tiers.iter().map(|t| t.name.as_str()).collect();
        for t in &self.head.tiers {
            if !names.contains(&t.name.as_str()) {
                names.push(&t.name);
            }
        }
        names
    }

    fn moved_section(&self) -> String {
        if self.moved.is_empty() {
            return String::new();
        }
        let mut s = format!(
            "## Customers who moved\n\n{} customers changed tier; the {} with the most revenue, with the values the tier rules read:\n\n",
            format::thousands(self.moved.len() as i64),
            self.moved.len().min(MOVED_SHOWN)
        );
        // Revenue has its own column, to the cent.
        let shown: Vec<usize> = (0..self.rule_reads.len())
            .filter(|&k| self.rule_reads[k] != "revenue")
            .collect();
        s.push_str("| Customer | From | To | Revenue |");
        for name in shown.iter().map(|&k| &self.rule_reads[k]) {
            s.push_str(&format!(" {} |", esc(name)));
        }
        s.push_str("\n|---|---|---|---:|");
        s.push_str(&"---:|".repeat(shown.len()));
        s.push('\n');
        for m in self.moved.iter().take(MOVED_SHOWN) {
            s.push_str(&format!(
                "| {} | {} | {} | {} |",
                esc(&m.id),
                esc(&m.from),
                esc(&m.to),
                format::money(m.revenue.units(), &self.currency, 2),
            ));
            for v in shown.iter().map(|&k| &m.values[k]) {
                s.push_str(&format!(
                    " {} |",
                    if v.is_empty() {
                        "–".to_string()
                    } else {
                        esc(v)
                    }
                ));
            }
            s.push('\n');
        }
        if self.moved.len() > MOVED_SHOWN {
            s.push_str(&format!(
                "\nThe other {} are listed in diff.json.\n",
                format::thousands((self.moved.len() - MOVED_SHOWN) as i64)
            ));
        }
        s.push('\n');
        s
    }
}

/// `text` escaped for Markdown.
fn esc(text: &str) -> String {
    let mut out = Vec::new();
    escape_markdown(text, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("escaping keeps UTF-8")
}

/// `text` as a YAML scalar (a JSON string is one).
fn yaml(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}
