//! The output contract (other issues and their checks rely on it):
//!
//! - `DIR/figures/<id>*.svg` and `.png`, rendered by plotters with the embedded DejaVu Sans
//!   font, so text is legible on a machine with no system fonts;
//! - `DIR/tables/<name>.csv` and `.md`;
//! - `DIR/index.md`: every output with caption, profile and deviations from the paper;
//! - `DIR/manifest.json`: per output experiment, profile, seeds, config hash, git commit,
//!   source hash, data checksums and wall time, plus tool version and per-experiment times;
//! - `DIR/metrics.json`: one flat JSON object `{"<experiment>.<metric>": number}`, sorted keys.
//!
//! Every file is written atomically (temporary file in the same directory, then rename).

pub mod index;
pub mod manifest;
pub mod metrics;
pub mod plot;
pub mod summary;
pub mod tables;

use crate::profile::Profile;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use plot::{Figure, Legend, LinePanel, PanelGrid, PlotResultExt, Series, SeriesKind};
pub use tables::{Cell, Table};

/// Subdirectory of figures inside the output directory.
pub const FIGURES_DIR: &str = "figures";
/// Subdirectory of tables inside the output directory.
pub const TABLES_DIR: &str = "tables";

/// Whether an output is a figure or a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// An SVG + PNG pair under `figures/`.
    Figure,
    /// A CSV + Markdown pair under `tables/`.
    Table,
}

/// One figure or table written by an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputEntry {
    /// Figure or table.
    pub kind: OutputKind,
    /// Output name (file stem), starting with the experiment id.
    pub name: String,
    /// Files written, relative to the output directory (`figures/x.svg`, `figures/x.png`).
    pub files: Vec<String>,
    /// Full caption, ending with the profile note.
    pub caption: String,
    /// How this output departs from the paper's figure or table (empty: it does not).
    pub deviations: Vec<String>,
}

impl OutputEntry {
    /// Adds one deviation from the paper, as a sentence.
    pub fn deviation(mut self, sentence: impl Into<String>) -> Self {
        self.deviations.push(sentence.into());
        self
    }
}

/// Writes one experiment's figures and tables into the output directory, enforcing the
/// naming rule (`<id>` or `<id>_…`) and adding the profile note to every caption.
pub struct OutputWriter {
    root: PathBuf,
    experiment: &'static str,
    profile: Profile,
    profile_invariant: bool,
}

impl OutputWriter {
    /// A writer for `experiment` into `root`.
    pub fn new(
        root: &Path,
        experiment: &'static str,
        profile: Profile,
        profile_invariant: bool,
    ) -> Self {
        OutputWriter {
            root: root.to_path_buf(),
            experiment,
            profile,
            profile_invariant,
        }
    }

    /// The profile being rendered.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The note appended to every caption: the profile's scale, or that the experiment is the
    /// same in every profile.
    pub fn profile_note(&self) -> String {
        if self.profile_invariant {
            format!(
                "Profile {}: this experiment is identical in every profile (smoke, quick, paper) \
                 and runs the paper's full setting.",
                self.profile
            )
        } else {
            let name = self.profile.name();
            let capitalised = format!("{}{}", name[..1].to_ascii_uppercase(), &name[1..]);
            format!("{capitalised} profile: {}.", self.profile.scale())
        }
    }

    fn caption(&self, caption: &str) -> String {
        let caption = caption.trim();
        let sep = if caption.ends_with('.') { " " } else { ". " };
        format!("{caption}{sep}{}", self.profile_note())
    }

    fn check_name(&self, name: &str) -> Result<()> {
        let id = self.experiment;
        let prefixed = name == id
            || name
                .strip_prefix(id)
                .is_some_and(|rest| rest.starts_with('_'));
        let clean = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        anyhow::ensure!(
            prefixed && clean,
            "output name '{name}' of experiment {id} must be '{id}' or start with '{id}_' and use only letters, digits, '_' and '-'"
        );
        Ok(())
    }

    /// Renders `figure` to `figures/<name>.svg` and `figures/<name>.png`.
    pub fn figure<F: Figure>(&self, name: &str, caption: &str, figure: &F) -> Result<OutputEntry> {
        self.check_name(name)?;
        let svg = format!("{FIGURES_DIR}/{name}.svg");
        let png = format!("{FIGURES_DIR}/{name}.png");
        plot::render(figure, &self.root.join(&svg), &self.root.join(&png))?;
        Ok(OutputEntry {
            kind: OutputKind::Figure,
            name: name.to_string(),
            files: vec![svg, png],
            caption: self.caption(caption),
            deviations: Vec::new(),
        })
    }

    /// Writes `table` to `tables/<name>.csv` and `tables/<name>.md`.
    pub fn table(&self, name: &str, caption: &str, table: &Table) -> Result<OutputEntry> {
        self.check_name(name)?;
        let csv = format!("{TABLES_DIR}/{name}.csv");
        let md = format!("{TABLES_DIR}/{name}.md");
        crate::fsutil::write_atomic(&self.root.join(&csv), table.to_csv().as_bytes())?;
        crate::fsutil::write_atomic(&self.root.join(&md), table.to_markdown().as_bytes())?;
        Ok(OutputEntry {
            kind: OutputKind::Table,
            name: name.to_string(),
            files: vec![csv, md],
            caption: self.caption(caption),
            deviations: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_carry_the_experiment_prefix() {
        let w = OutputWriter::new(Path::new("/nonexistent"), "fig2", Profile::Smoke, false);
        assert!(w.check_name("fig2").is_ok());
        assert!(w.check_name("fig2_traces").is_ok());
        assert!(w.check_name("fig20").is_err());
        assert!(w.check_name("traces").is_err());
        assert!(w.check_name("fig2_a/b").is_err());
    }

    #[test]
    fn captions_carry_the_profile_note() {
        let scaled = OutputWriter::new(Path::new("."), "x", Profile::Smoke, false);
        let c = scaled.caption("Voltage traces");
        assert!(c.starts_with("Voltage traces. Smoke profile:"), "{c}");
        let same = OutputWriter::new(Path::new("."), "x", Profile::Quick, true);
        assert!(same.caption("V.").contains("identical in every profile"));
    }

    #[test]
    fn tables_are_written_as_csv_and_markdown() {
        let dir = tempfile::tempdir().unwrap();
        let w = OutputWriter::new(dir.path(), "t", Profile::Paper, false);
        let mut table = Table::new(["a", "b"]);
        table
            .push_row(vec![Cell::Int(1), Cell::float(2.5, 2)])
            .unwrap();
        let entry = w.table("t_values", "Values", &table).unwrap();
        assert_eq!(
            entry.files,
            vec!["tables/t_values.csv", "tables/t_values.md"]
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("tables/t_values.csv")).unwrap(),
            "a,b\n1,2.5\n"
        );
        assert!(dir.path().join("tables/t_values.md").is_file());
    }
}
