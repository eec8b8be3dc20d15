//! Profit per customer, exact to the cent: each cost-to-serve component (`cts_<name>`) and the
//! acquisition cost are expressions rounded to cents; `cost_to_serve` is their sum,
//! `profit_before_acquisition` the margin (or revenue, without a cost column) less it, and
//! `profit` that less the acquisition cost, all added in integer cents.

use rhai::Dynamic;

use super::{convert, Compiled, Frame, Program};
use crate::error::{Diagnostic, Error};
use crate::metrics::{Column, NamedColumn, Origin as ColumnOrigin};
use crate::workspace::strategy::{
    COMPONENT_PREFIX, COST_TO_SERVE, PROFIT, PROFIT_BEFORE_ACQUISITION,
};

/// The compiled profit rules.
pub(super) struct Rules {
    /// The cost-to-serve components, in policy order.
    pub components: Vec<Compiled>,
    /// The acquisition cost, if any.
    pub acquisition: Option<Compiled>,
    /// The metric profit starts from (`margin` or `revenue`).
    pub basis: &'static str,
}

impl Rules {
    /// Every expression it evaluates.
    pub fn rules(&self) -> impl Iterator<Item = &Compiled> {
        self.components.iter().chain(&self.acquisition)
    }

    /// Adds `cts_<name>` per component, `cost_to_serve`, `profit_before_acquisition` and
    /// `profit` to the frame.
    pub fn evaluate(&self, program: &Program, frame: &mut Frame<'_>) -> Result<(), Error> {
        let n = frame.ids.len();
        let mut total = vec![0i64; n];
        for c in &self.components {
            let cents = self.cents(program, frame, c, "cost_to_serve")?;
            for (i, (t, v)) in total.iter_mut().zip(&cents).enumerate() {
                *t = t
                    .checked_add(*v)
                    .ok_or_else(|| too_large(c, "cost_to_serve", &frame.ids[i]))?;
            }
            push(frame, format!("{COMPONENT_PREFIX}{}", c.name), cents);
        }
        let basis = match frame.column(self.basis) {
            Some(Column::Money(v)) => v.clone(),
            _ => vec![0; n],
        };
        let before = difference(&basis, &total, frame.ids)?;
        let profit = match &self.acquisition {
            Some(a) => {
                let cost = self.cents(program, frame, a, "acquisition_cost")?;
                difference(&before, &cost, frame.ids)?
            }
            None => before.clone(),
        };
        push(frame, COST_TO_SERVE.to_string(), total);
        push(frame, PROFIT_BEFORE_ACQUISITION.to_string(), before);
        push(frame, PROFIT.to_string(), profit);
        Ok(())
    }

    fn cents(
        &self,
        program: &Program,
        frame: &Frame<'_>,
        rule: &Compiled,
        what: &'static str,
    ) -> Result<Vec<i64>, Error> {
        let values: Vec<Dynamic> = program.eval_all(frame, rule, what)?;
        convert::cents(&values).map_err(|(i, found)| bad_money(rule, what, &frame.ids[i], &found))
    }
}

/// `a - b` per customer, or an error naming the first customer whose profit leaves the range.
fn difference(a: &[i64], b: &[i64], ids: &[String]) -> Result<Vec<i64>, Error> {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(i, (x, y))| {
            x.checked_sub(*y).ok_or_else(|| {
                Error::Evaluation(
                    Diagnostic::new(format!(
                        "the profit of customer {} is further from zero than powerbase adds exactly (±92,233,720,368,547,758.07)",
                        ids[i]
                    ))
                    .with_help("check that customer's costs and the amounts in the export")
                    .code("expr/bad-money"),
                )
            })
        })
        .collect()
}

fn push(frame: &mut Frame<'_>, name: String, cents: Vec<i64>) {
    frame.columns.push(NamedColumn {
        name,
        origin: ColumnOrigin::Derived,
        column: Column::Money(cents),
    });
}

fn bad_money(rule: &Compiled, what: &str, customer: &str, found: &str) -> Error {
    Error::Evaluation(
        Diagnostic::at(
            rule.expr.origin.clone(),
            format!(
                "{what} `{}` gave {found} for customer {customer}; a cost is an amount of money",
                rule.name
            ),
        )
        .with_help("give a number for every customer, 0 when there is no cost; an empty attribute can be read as `if x == () { 0 } else { x }`")
        .code("expr/bad-money"),
    )
}

fn too_large(rule: &Compiled, what: &str, customer: &str) -> Error {
    Error::Evaluation(
        Diagnostic::at(
            rule.expr.origin.clone(),
            format!(
                "{what} `{}` makes the cost to serve of customer {customer} larger than powerbase adds exactly",
                rule.name
            ),
        )
        .code("expr/bad-money"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::workspace;
    use super::super::{compile, Evaluation};
    use crate::data::Day;
    use crate::metrics::{Column, CustomerTable, Origin};

    /// Customers with revenue (cents), tickets (an attribute; empty for the last) and a region.
    fn table() -> CustomerTable {
        let mut t = CustomerTable {
            as_of: Day(0),
            ids: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            columns: Vec::new(),
        };
        t.push(
            "revenue",
            Origin::Builtin,
            Column::Money(vec![100_000, 25_050, 1_999, 0]),
        );
        t.push("tickets", Origin::Attribute, Column::Int(vec![2, 10, 0, 1]));
        t.push(
            "region",
            Origin::Attribute,
            Column::Text(vec![
                Some("North".into()),
                Some("South".into()),
                Some("North".into()),
                None,
            ]),
        );
        t
    }

    fn evaluate(extra: &str) -> Evaluation {
        let (_dir, ws) = workspace(extra, &[]);
        let attributes = ["tickets".to_string(), "region".to_string()];
        let program = compile(&ws, &attributes).unwrap_or_else(|p| panic!("{p:#?}"));
        program.evaluate(&table()).unwrap()
    }

    fn money<'e>(e: &'e Evaluation, name: &str) -> &'e [i64] {
        match &e.derived.iter().find(|c| c.name == name).unwrap().column {
            Column::Money(v) => v,
            other => panic!("{name}: {other:?}"),
        }
    }

    const COSTS: &str = "params:\n  rate: 12.345\n\
cost_to_serve:\n  support: tickets * 35\n  handling: rate\n\
acquisition_cost: \"if region == \\\"North\\\" { 100 } else { 0.5 }\"\n";

    #[test]
    fn profit_is_revenue_less_costs_in_exact_cents() {
        let e = evaluate(COSTS);
        let revenue = [100_000i64, 25_050, 1_999, 0];
        let tickets = [2i64, 10, 0, 1];
        let north = [true, false, true, false];
        // Computed here: support = tickets * 35.00; handling = 12.345 rounded to 12.35 (1235
        // cents, half away from zero); acquisition 100.00 in the North, else 0.50.
        let support: Vec<i64> = tickets.iter().map(|t| t * 3_500).collect();
        assert_eq!(money(&e, "cts_support"), support);
        assert_eq!(money(&e, "cts_handling"), [1_235; 4]);
        let cts: Vec<i64> = support.iter().map(|s| s + 1_235).collect();
        assert_eq!(money(&e, "cost_to_serve"), cts);
        let before: Vec<i64> = revenue.iter().zip(&cts).map(|(r, c)| r - c).collect();
        assert_eq!(money(&e, "profit_before_acquisition"), before);
        let profit: Vec<i64> = before
            .iter()
            .zip(north)
            .map(|(b, n)| b - if n { 10_000 } else { 50 })
            .collect();
        assert_eq!(money(&e, "profit"), profit);
        // In customers.csv order: the components, then the totals.
        let names: Vec<&str> = e.derived.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cts_support",
                "cts_handling",
                "cost_to_serve",
                "profit_before_acquisition",
                "profit"
            ]
        );
    }

    #[test]
    fn tiers_checks_and_personas_read_profit_and_personas_may_overlap() {
        let e = evaluate(&format!(
            "{COSTS}personas:\n  - name: Northern\n    when: region == \"North\"\n  - name: Losing\n    when: profit < 0 && tier == \"Rest\"\n\
checks:\n  - name: loss\n    when: profit < 0\n    message: loses money\n"
        ));
        // Profits: a 729.65 (North), b -102.35, c -95.36 (North), d -359.85; a and b have
        // revenue >= 100 (tier Top), c and d are Rest.
        assert_eq!(e.personas[0], ("Northern".to_string(), vec![0, 2]));
        assert_eq!(e.personas[1], ("Losing".to_string(), vec![2, 3]));
        assert_eq!(e.checks[0].customers, vec![1, 2, 3]);
    }

    #[test]
    fn a_cost_that_is_not_money_names_the_customer() {
        let (_dir, ws) = workspace("cost_to_serve:\n  odd: region\n", &[]);
        let attributes = ["tickets".to_string(), "region".to_string()];
        let program = compile(&ws, &attributes).unwrap();
        let e = program.evaluate(&table()).unwrap_err().to_string();
        assert!(
            e.contains("cost_to_serve `odd`") && e.contains("customer a"),
            "{e}"
        );
    }

    #[test]
    fn a_derived_metric_cannot_read_profit() {
        let (_dir, ws) = workspace(
            "cost_to_serve:\n  support: tickets * 35\nmetrics:\n  margin_after: profit * 2\n",
            &[],
        );
        let problems = compile(&ws, &["tickets".to_string()]).err().unwrap();
        assert_eq!(problems[0].code, "expr/unknown-name");
        assert!(
            problems[0].message.contains("computed after"),
            "{problems:?}"
        );
    }
}
