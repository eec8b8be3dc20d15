//! The `data:` part of `powerbase.yaml`: where the transactions and customer attributes are and
//! how their columns are called.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::DataError;

/// Where the transactions come from: deserialised straight from the user's `powerbase.yaml`.
///
/// ```yaml
/// path: data/transactions.csv
/// columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
/// date_format: "%Y%m%d"
/// ```
///
/// The file kind follows the extension: `.xlsx`, `.xlsm`, `.xlsb`, `.xls` and `.ods` are read as
/// spreadsheets, anything else as delimited text (`.tsv` and `.tab` default to tab-delimited).
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionSource {
    /// The file, relative to the workspace folder (or absolute).
    pub path: PathBuf,
    /// Our column names mapped to the client's headers.
    pub columns: TransactionColumns,
    /// strftime-style date format (`%d/%m/%Y`, `%Y%m%d`, `%Y-%m-%d %H:%M:%S`, ...); default ISO
    /// `%Y-%m-%d`. A format with a time part takes the date and drops the time. A cell must be
    /// written exactly in the format: `%Y` is 4 digits, `%m` and `%d` are 2 (`%-m`, `%-d`: 1 or
    /// 2 without a leading zero), no sign, nothing after the date.
    #[serde(default)]
    pub date_format: Option<String>,
    /// Spreadsheet only: the sheet to read; default the first sheet.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Delimited text only: the field delimiter, an ASCII character; default `,` (tab for `.tsv`).
    #[serde(default)]
    pub delimiter: Option<char>,
}

/// Which header of the client's file holds each of our columns.
///
/// `customer_id`, `date` and `amount` are required. The others are optional; when mapped, every
/// row must have a value (an empty cost or quantity cell is an error, not a silent zero: map the
/// column only when the export fills it, or fix the export).
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionColumns {
    /// The customer identifier (kept as text, leading zeros included).
    pub customer_id: String,
    /// The transaction date.
    pub date: String,
    /// The amount paid, in the currency's main unit (`12.34`). Negative for refunds.
    pub amount: String,
    /// The cost of the goods sold, same unit as `amount`.
    #[serde(default)]
    pub cost: Option<String>,
    /// The number of units: a whole number (`3`, `-1` for a return; `2.0` is accepted).
    #[serde(default)]
    pub quantity: Option<String>,
    /// The order or invoice id.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The product or product category.
    #[serde(default)]
    pub product: Option<String>,
    /// The sales channel.
    #[serde(default)]
    pub channel: Option<String>,
}

impl TransactionColumns {
    /// Every mapped column as (our name, client header), required ones first.
    pub fn mapped(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![
            ("customer_id", self.customer_id.as_str()),
            ("date", self.date.as_str()),
            ("amount", self.amount.as_str()),
        ];
        let optional = [
            ("cost", &self.cost),
            ("quantity", &self.quantity),
            ("order_id", &self.order_id),
            ("product", &self.product),
            ("channel", &self.channel),
        ];
        for (role, header) in optional {
            if let Some(h) = header {
                out.push((role, h.as_str()));
            }
        }
        out
    }
}

/// An optional customer attribute table (`data.customers` in `powerbase.yaml`):
///
/// ```yaml
/// path: data/customers.xlsx
/// sheet: Customers
/// columns: { customer_id: "Cust ID", segment: "2019 Segment" }
/// ```
///
/// `columns` must map `customer_id` to the id column's header. Every other column of the file
/// becomes an attribute named by [`identifier`](super::identifier) of its header; an entry
/// `name: "Header"` in `columns` names that column's attribute explicitly (needed when the header
/// does not make a valid name, such as `2019 Segment`).
#[derive(Debug, Clone, serde::Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerSource {
    /// The file, relative to the workspace folder (or absolute).
    pub path: PathBuf,
    /// `customer_id` and attribute names mapped to the file's headers.
    pub columns: BTreeMap<String, String>,
    /// Spreadsheet only: the sheet to read; default the first sheet.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Delimited text only: the field delimiter; default `,` (tab for `.tsv`).
    #[serde(default)]
    pub delimiter: Option<char>,
}

/// The two kinds of input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// Delimited text, with its delimiter byte.
    Delimited(u8),
    /// A workbook read with calamine.
    Spreadsheet,
}

impl FileKind {
    /// Decides the kind from the extension and checks that `sheet` / `delimiter` fit it.
    pub(crate) fn of(
        path: &Path,
        sheet: Option<&str>,
        delimiter: Option<char>,
    ) -> Result<FileKind, DataError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let config = |message: String| DataError::Config {
            path: path.to_path_buf(),
            message,
        };
        match ext.as_str() {
            "xlsx" | "xlsm" | "xlsb" | "xls" | "xla" | "xlam" | "ods" => {
                if let Some(d) = delimiter {
                    return Err(config(format!(
                        "`delimiter: {d:?}` applies to delimited text files only, not to a .{ext} workbook; remove it"
                    )));
                }
                Ok(FileKind::Spreadsheet)
            }
            _ => {
                if let Some(s) = sheet {
                    return Err(config(format!(
                        "`sheet: {s:?}` applies to spreadsheets only (.xlsx, .xls, .ods), not to a delimited text file; remove it"
                    )));
                }
                let d = match delimiter {
                    Some(c) => c,
                    None if ext == "tsv" || ext == "tab" => '\t',
                    None => ',',
                };
                if !d.is_ascii() || matches!(d, '"' | '\n' | '\r') {
                    return Err(config(format!(
                        "`delimiter: {d:?}` must be one ASCII character other than a quote or line break, such as ',' ';' or '\\t'"
                    )));
                }
                Ok(FileKind::Delimited(d as u8))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_transaction_source() {
        let yaml = r#"
path: data/transactions.csv
columns: { customer_id: customer_id, date: date, amount: dollar_value, quantity: number_of_cds }
date_format: "%Y%m%d"
delimiter: ";"
"#;
        let src: TransactionSource = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(src.path, PathBuf::from("data/transactions.csv"));
        assert_eq!(src.columns.amount, "dollar_value");
        assert_eq!(src.columns.quantity.as_deref(), Some("number_of_cds"));
        assert_eq!(src.columns.cost, None);
        assert_eq!(src.date_format.as_deref(), Some("%Y%m%d"));
        assert_eq!(src.delimiter, Some(';'));
        assert_eq!(
            src.columns.mapped(),
            vec![
                ("customer_id", "customer_id"),
                ("date", "date"),
                ("amount", "dollar_value"),
                ("quantity", "number_of_cds")
            ]
        );

        // Typos are caught at both levels.
        let typo = "path: a.csv\ncolumns: { customer_id: a, date: b, amount: c }\ndate_fromat: x\n";
        assert!(serde_saphyr::from_str::<TransactionSource>(typo).is_err());
        let typo = "path: a.csv\ncolumns: { customer_id: a, date: b, amount: c, revnue: d }\n";
        assert!(serde_saphyr::from_str::<TransactionSource>(typo).is_err());
        let missing = "path: a.csv\ncolumns: { customer_id: a, date: b }\n";
        assert!(serde_saphyr::from_str::<TransactionSource>(missing).is_err());
    }

    #[test]
    fn yaml_customer_source() {
        let yaml = r#"
path: data/customers.xlsx
sheet: Customers
columns: { customer_id: "Cust ID", segment_2019: "2019 Segment" }
"#;
        let src: CustomerSource = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(src.sheet.as_deref(), Some("Customers"));
        assert_eq!(src.columns["customer_id"], "Cust ID");
        assert_eq!(src.columns["segment_2019"], "2019 Segment");
        let tab: CustomerSource =
            serde_saphyr::from_str("path: c.txt\ncolumns: {customer_id: id}\ndelimiter: \"\\t\"\n")
                .unwrap();
        assert_eq!(tab.delimiter, Some('\t'));
    }

    #[test]
    fn file_kinds() {
        let p = Path::new;
        assert_eq!(
            FileKind::of(p("a.csv"), None, None).unwrap(),
            FileKind::Delimited(b',')
        );
        assert_eq!(
            FileKind::of(p("a.TSV"), None, None).unwrap(),
            FileKind::Delimited(b'\t')
        );
        assert_eq!(
            FileKind::of(p("a.txt"), None, Some(';')).unwrap(),
            FileKind::Delimited(b';')
        );
        assert_eq!(
            FileKind::of(p("a.XLSX"), Some("S"), None).unwrap(),
            FileKind::Spreadsheet
        );
        assert_eq!(
            FileKind::of(p("a.ods"), None, None).unwrap(),
            FileKind::Spreadsheet
        );
        let e = FileKind::of(p("a.csv"), Some("Sheet1"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("spreadsheets only"), "{e}");
        let e = FileKind::of(p("a.xlsx"), None, Some(';'))
            .unwrap_err()
            .to_string();
        assert!(e.contains("delimited text files only"), "{e}");
        assert!(FileKind::of(p("a.csv"), None, Some('€')).is_err());
        assert!(FileKind::of(p("a.csv"), None, Some('"')).is_err());
    }
}
