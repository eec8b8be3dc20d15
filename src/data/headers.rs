//! Matching configured column names to a file's header row.

use std::path::Path;

use super::compute::{is_expression, Computed};
use super::config::TransactionColumns;
use super::error::DataError;

/// A header cell as compared: surrounding whitespace and a UTF-8 byte order mark removed.
pub(crate) fn clean_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_string()
}

/// The index of `wanted` among `headers` (already cleaned). Errors name the role, the headers
/// that exist and the closest one.
pub(crate) fn find_column(
    path: &Path,
    headers: &[String],
    role: &str,
    wanted: &str,
) -> Result<usize, DataError> {
    let wanted_clean = clean_header(wanted);
    let mut hits = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| **h == wanted_clean);
    match (hits.next(), hits.count()) {
        (Some((i, _)), 0) => Ok(i),
        (Some(_), more) => Err(DataError::DuplicateColumn {
            path: path.to_path_buf(),
            role: role.to_string(),
            header: wanted_clean,
            count: more + 1,
        }),
        (None, _) => Err(DataError::MissingColumn {
            path: path.to_path_buf(),
            role: role.to_string(),
            header: wanted.to_string(),
            available: headers.to_vec(),
            suggestion: closest(headers, &wanted_clean).map(str::to_string),
        }),
    }
}

/// The header most like `wanted` (see [`crate::ident::closest`]).
pub(crate) fn closest<'h>(headers: &'h [String], wanted: &str) -> Option<&'h str> {
    crate::ident::closest(headers, wanted)
}

/// Field indexes of the transaction columns in one file. A computed `amount` or `cost`
/// (`"=Menge * Einzelpreis"`) has its expression in `amount_expr` / `cost_expr`, and its field is
/// the first column the expression reads (where errors about the result are reported).
#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub customer_id: usize,
    pub date: usize,
    pub amount: usize,
    pub cost: Option<usize>,
    pub amount_expr: Option<Computed>,
    pub cost_expr: Option<Computed>,
    pub quantity: Option<usize>,
    pub order_id: Option<usize>,
    pub product: Option<usize>,
    pub channel: Option<usize>,
    /// The file's headers (cleaned), for error messages.
    pub headers: Vec<String>,
}

impl ColumnPlan {
    /// Resolves every mapped column; the first missing one is the error.
    pub(crate) fn new(
        path: &Path,
        headers: Vec<String>,
        cols: &TransactionColumns,
    ) -> Result<ColumnPlan, DataError> {
        let find = |role: &str, h: &str| {
            if is_expression(h) {
                return Err(DataError::Config {
                    path: path.to_path_buf(),
                    message: format!(
                        "`columns.{role}: {h:?}`: only amount and cost can be computed by an \
                         expression; map {role} to a column header"
                    ),
                });
            }
            find_column(path, &headers, role, h)
        };
        let opt = |role: &str, h: &Option<String>| h.as_deref().map(|h| find(role, h)).transpose();
        let computed = |role: &str, h: &str| {
            is_expression(h)
                .then(|| Computed::new(path, &headers, role, h))
                .transpose()
        };
        let customer_id = find("customer_id", &cols.customer_id)?;
        let date = find("date", &cols.date)?;
        let amount_expr = computed("amount", &cols.amount)?;
        let cost_expr = cols
            .cost
            .as_deref()
            .map(|h| computed("cost", h))
            .transpose()?
            .flatten();
        let amount = match &amount_expr {
            Some(c) => c.first_field,
            None => find("amount", &cols.amount)?,
        };
        let cost = match (&cost_expr, &cols.cost) {
            (Some(c), _) => Some(c.first_field),
            (None, h) => opt("cost", h)?,
        };
        Ok(ColumnPlan {
            customer_id,
            date,
            amount,
            cost,
            amount_expr,
            cost_expr,
            quantity: opt("quantity", &cols.quantity)?,
            order_id: opt("order_id", &cols.order_id)?,
            product: opt("product", &cols.product)?,
            channel: opt("channel", &cols.channel)?,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| clean_header(s)).collect()
    }

    #[test]
    fn cleaning_and_exact_match() {
        let headers = hs(&["\u{feff}customer_id", " date ", "Dollar Value"]);
        assert_eq!(headers[0], "customer_id");
        assert_eq!(headers[1], "date");
        let p = Path::new("t.csv");
        assert_eq!(find_column(p, &headers, "date", "date").unwrap(), 1);
        assert_eq!(find_column(p, &headers, "date", " date").unwrap(), 1);
        // Case matters for the match itself, but the suggestion finds it.
        let e = find_column(p, &headers, "amount", "dollar_value").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("no column \"dollar_value\""), "{text}");
        assert!(text.contains("`amount`"), "{text}");
        assert!(text.contains("did you mean \"Dollar Value\"?"), "{text}");
        assert!(
            text.contains("\"customer_id\", \"date\", \"Dollar Value\""),
            "{text}"
        );
    }

    #[test]
    fn suggestions() {
        let headers = hs(&["customer_id", "order_date", "revenue"]);
        assert_eq!(closest(&headers, "custmer_id"), Some("customer_id"));
        assert_eq!(closest(&headers, "Revenue"), Some("revenue"));
        assert_eq!(closest(&headers, "quantity"), None);
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let headers = hs(&["id", "amount", "amount"]);
        let e = find_column(Path::new("t.csv"), &headers, "amount", "amount").unwrap_err();
        assert!(e.to_string().contains("occurs 2 times"), "{e}");
    }
}
