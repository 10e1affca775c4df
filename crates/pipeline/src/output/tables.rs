//! Tables: one value model, written as CSV (full precision, for machines) and Markdown
//! (rounded, for people).

use anyhow::Result;

/// One table cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Free text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A real number: CSV gets every digit (shortest round-trip form), Markdown `decimals` places.
    Float {
        /// The value.
        value: f64,
        /// Decimal places in Markdown.
        decimals: usize,
    },
    /// A real number shown in scientific notation in Markdown with `digits` significant digits.
    Sci {
        /// The value.
        value: f64,
        /// Digits after the point of the mantissa in Markdown.
        digits: usize,
    },
    /// No value (empty in CSV, an em dash in Markdown).
    Missing,
}

impl Cell {
    /// A real number with `decimals` places in Markdown.
    pub fn float(value: f64, decimals: usize) -> Self {
        Cell::Float { value, decimals }
    }

    /// Text.
    pub fn text(value: impl Into<String>) -> Self {
        Cell::Text(value.into())
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => csv_quote(s),
            Cell::Int(i) => i.to_string(),
            // Debug keeps every digit and switches to exponent form for tiny/huge values.
            Cell::Float { value, .. } | Cell::Sci { value, .. } => format!("{value:?}"),
            Cell::Missing => String::new(),
        }
    }

    fn markdown(&self) -> String {
        match self {
            Cell::Text(s) => s.replace('|', "\\|"),
            Cell::Int(i) => i.to_string(),
            Cell::Float { value, decimals } => format!("{value:.decimals$}"),
            Cell::Sci { value, digits } => format!("{value:.digits$e}"),
            Cell::Missing => "—".to_string(),
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Float { .. } | Cell::Sci { .. })
    }
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A rectangular table with named columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        Table {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; it must have one cell per column.
    pub fn push_row(&mut self, row: Vec<Cell>) -> Result<()> {
        anyhow::ensure!(
            row.len() == self.columns.len(),
            "table row has {} cells but the table has {} columns ({})",
            row.len(),
            self.columns.len(),
            self.columns.join(", ")
        );
        self.rows.push(row);
        Ok(())
    }

    /// CSV with a header line, every number at full precision.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| csv_quote(c)).collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::csv).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }

    /// A GitHub-flavoured Markdown table; numeric columns right-aligned.
    pub fn to_markdown(&self) -> String {
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|j| {
                !self.rows.is_empty()
                    && self
                        .rows
                        .iter()
                        .all(|r| r[j].is_numeric() || r[j] == Cell::Missing)
            })
            .collect();
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| c.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        let rule: Vec<&str> = numeric
            .iter()
            .map(|&n| if n { "---:" } else { "---" })
            .collect();
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::markdown).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_markdown_rounds() {
        let mut t = Table::new(["name", "value", "tiny"]);
        t.push_row(vec![
            Cell::text("a,b"),
            Cell::float(1.0 / 3.0, 3),
            Cell::Sci {
                value: 1.5e-13,
                digits: 2,
            },
        ])
        .unwrap();
        t.push_row(vec![Cell::text("x|y"), Cell::Missing, Cell::Int(3)])
            .unwrap();
        assert_eq!(
            t.to_csv(),
            "name,value,tiny\n\"a,b\",0.3333333333333333,1.5e-13\nx|y,,3\n"
        );
        let md = t.to_markdown();
        assert!(md.contains("|---|---:|---:|"), "{md}");
        assert!(md.contains("| a,b | 0.333 | 1.50e-13 |"), "{md}");
        assert!(md.contains("| x\\|y | — | 3 |"), "{md}");
        assert!(t.push_row(vec![Cell::Int(1)]).is_err());
    }
}
