//! Figures: SVG + PNG through plotters, with the DejaVu Sans font embedded in the binary so
//! text renders on machines without system fonts.
//!
//! An experiment either describes its figure with the ready-made [`PanelGrid`] of
//! [`LinePanel`]s, or implements [`Figure`] itself for anything else (the drawing code is
//! generic over the plotters backend and is run once for SVG and once for PNG).

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::OnceLock;

/// Font family every figure uses; DejaVu Sans is registered under this name.
pub const FONT: &str = "sans-serif";

/// Converts plotters' backend-generic errors into `anyhow` errors.
pub trait PlotResultExt<T> {
    /// Maps the error to "plotting failed: …".
    fn plot(self) -> Result<T>;
}

impl<T, E: std::fmt::Display> PlotResultExt<T> for std::result::Result<T, E> {
    fn plot(self) -> Result<T> {
        self.map_err(|e| anyhow!("plotting failed: {e}"))
    }
}

/// Something that can draw itself on any plotters backend.
pub trait Figure {
    /// Size in pixels (PNG) and user units (SVG).
    fn size(&self) -> (u32, u32);
    /// Draws onto `root`, already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Registers the embedded DejaVu fonts under the family names plotters asks for.
pub fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        let regular = dejavu::sans::regular();
        let all = [
            plotters::style::register_font(FONT, FontStyle::Normal, regular).is_ok(),
            plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok(),
            plotters::style::register_font(FONT, FontStyle::Italic, dejavu::sans::oblique())
                .is_ok(),
            plotters::style::register_font(FONT, FontStyle::Oblique, dejavu::sans::oblique())
                .is_ok(),
            plotters::style::register_font("serif", FontStyle::Normal, regular).is_ok(),
            plotters::style::register_font(
                "monospace",
                FontStyle::Normal,
                dejavu::sans_mono::regular(),
            )
            .is_ok(),
        ];
        all.iter().all(|&ok| ok)
    });
    anyhow::ensure!(
        ok,
        "the embedded DejaVu Sans font could not be loaded; rebuild icnet"
    );
    Ok(())
}

/// Renders `figure` to `svg` and `png`, each atomically.
pub fn render<F: Figure>(figure: &F, svg: &Path, png: &Path) -> Result<()> {
    register_fonts()?;
    let size = figure.size();
    for path in [svg, png] {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                anyhow!(
                    "cannot create directory {}: {e}; choose a writable --out",
                    parent.display()
                )
            })?;
        }
    }

    let temp = crate::fsutil::temp_sibling(svg);
    let drawn = (|| -> Result<()> {
        let root = SVGBackend::new(&temp, size).into_drawing_area();
        root.fill(&WHITE).plot()?;
        figure.draw(&root)?;
        root.present().plot()
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&temp);
        return Err(e.context(format!("cannot render {}", svg.display())));
    }
    crate::fsutil::commit_temp(&temp, svg)?;

    let temp = crate::fsutil::temp_sibling(png);
    let drawn = (|| -> Result<()> {
        let root = BitMapBackend::new(&temp, size).into_drawing_area();
        root.fill(&WHITE).plot()?;
        figure.draw(&root)?;
        root.present().plot()
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&temp);
        return Err(e.context(format!("cannot render {}", png.display())));
    }
    crate::fsutil::commit_temp(&temp, png)
}

/// Colour-blind-safe palette (Okabe–Ito, then greys).
pub const PALETTE: [RGBColor; 9] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
    RGBColor(120, 120, 120),
];

/// How a series is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum SeriesKind {
    /// A solid line.
    Line,
    /// A dashed line (e.g. the second of two overlaid traces).
    Dashed,
    /// Unconnected dots (spike times, scatter).
    Points,
    /// A line with a shaded band from `lower` to `upper` (mean ± s.d.).
    Band {
        /// Lower edge, one value per x.
        lower: Vec<f64>,
        /// Upper edge, one value per x.
        upper: Vec<f64>,
    },
}

/// One labelled series of a panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label (empty: not in the legend).
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates, one per abscissa.
    pub y: Vec<f64>,
    /// Index into [`PALETTE`] (wraps around).
    pub color: usize,
    /// Drawing style.
    pub kind: SeriesKind,
    /// Line width or dot radius in pixels.
    pub width: u32,
}

impl Series {
    /// A solid line.
    pub fn line(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, color: usize) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            color,
            kind: SeriesKind::Line,
            width: 2,
        }
    }

    /// The same series drawn with another style.
    pub fn with_kind(mut self, kind: SeriesKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same series with another line width (or dot radius).
    pub fn with_width(mut self, width: u32) -> Self {
        self.width = width;
        self
    }

    fn finite_points(&self) -> Vec<(f64, f64)> {
        self.x
            .iter()
            .zip(&self.y)
            .map(|(&x, &y)| (x, y))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect()
    }
}

/// One chart with axes, labels and a legend.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinePanel {
    /// Title above the chart.
    pub title: String,
    /// x-axis label, with units.
    pub x_label: String,
    /// y-axis label, with units.
    pub y_label: String,
    /// The series, drawn in order.
    pub series: Vec<Series>,
    /// Fixed x range; `None` fits the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None` fits the data with a 5 % margin.
    pub y_range: Option<(f64, f64)>,
    /// Extra room above the data, as a fraction of the data range, so the legend does not
    /// cover the curves (used only when `y_range` is `None`).
    pub headroom: f64,
    /// Where the legend goes.
    pub legend: Legend,
}

/// Legend placement inside a panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Legend {
    /// Top right corner.
    #[default]
    UpperRight,
    /// Top left corner.
    UpperLeft,
    /// Bottom right corner.
    LowerRight,
    /// Bottom left corner.
    LowerLeft,
    /// No legend.
    Hidden,
}

impl LinePanel {
    /// An empty panel with title and axis labels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        LinePanel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }

    /// The same panel with `fraction` of the data range left free above the data.
    pub fn with_headroom(mut self, fraction: f64) -> Self {
        self.headroom = fraction;
        self
    }

    /// The same panel with the legend placed elsewhere.
    pub fn with_legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }

    /// Adds a series.
    pub fn with(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Range of the data on one axis; band edges are ordinates, so they count only for y.
    fn data_range(&self, axis: impl Fn(&Series) -> Vec<f64>, is_y: bool) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for s in &self.series {
            let mut values = axis(s);
            if let (true, SeriesKind::Band { lower, upper }) = (is_y, &s.kind) {
                values.extend(lower.iter().chain(upper));
            }
            for v in values.into_iter().filter(|v| v.is_finite()) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        if hi - lo <= f64::EPSILON * hi.abs().max(lo.abs()).max(f64::MIN_POSITIVE) {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            return (lo - pad, hi + pad);
        }
        (lo, hi)
    }

    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let x = self
            .x_range
            .unwrap_or_else(|| self.data_range(|s| s.x.clone(), false));
        let y = self.y_range.unwrap_or_else(|| {
            let (lo, hi) = self.data_range(|s| s.y.clone(), true);
            let pad = 0.05 * (hi - lo);
            (lo - pad, hi + pad + self.headroom.max(0.0) * (hi - lo))
        });
        (x, y)
    }

    /// Draws this panel into `area`.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let ((x0, x1), (y0, y1)) = self.ranges();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT, 24))
            .margin(12)
            .x_label_area_size(56)
            .y_label_area_size(96)
            .build_cartesian_2d(x0..x1, y0..y1)
            .plot()?;
        let x_fmt = |v: &f64| tick_label(*v, x1 - x0);
        let y_fmt = |v: &f64| tick_label(*v, y1 - y0);
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 19))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .plot()?;

        let mut any_label = false;
        for s in &self.series {
            let color = PALETTE[s.color % PALETTE.len()];
            let width = s.width.max(1);
            let style = color.stroke_width(width);
            let drawn = match &s.kind {
                SeriesKind::Line => chart
                    .draw_series(LineSeries::new(s.finite_points(), style))
                    .plot()?,
                SeriesKind::Dashed => chart
                    .draw_series(DashedLineSeries::new(
                        s.finite_points(),
                        8 + 2 * width,
                        6,
                        style,
                    ))
                    .plot()?,
                SeriesKind::Points => chart
                    .draw_series(
                        s.finite_points()
                            .into_iter()
                            .map(|p| Circle::new(p, width + 1, color.filled())),
                    )
                    .plot()?,
                SeriesKind::Band { lower, upper } => {
                    let mut outline: Vec<(f64, f64)> =
                        s.x.iter().copied().zip(upper.iter().copied()).collect();
                    outline.extend(s.x.iter().copied().zip(lower.iter().copied()).rev());
                    outline.retain(|(x, y)| x.is_finite() && y.is_finite());
                    chart
                        .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.2))))
                        .plot()?;
                    chart
                        .draw_series(LineSeries::new(s.finite_points(), style))
                        .plot()?
                }
            };
            if !s.label.is_empty() {
                any_label = true;
                let dots = matches!(s.kind, SeriesKind::Points);
                // Both arms are PathElements: a short thick stroke stands in for a dot.
                drawn.label(&s.label).legend(move |(x, y)| {
                    if dots {
                        PathElement::new(vec![(x + 8, y), (x + 12, y)], color.stroke_width(8))
                    } else {
                        PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                    }
                });
            }
        }
        let position = match self.legend {
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::Hidden => return Ok(()),
        };
        if any_label {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(160, 160, 160))
                .label_font((FONT, 16))
                .position(position)
                .draw()
                .plot()?;
        }
        Ok(())
    }
}

/// Panels on a grid under an optional overall title.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelGrid {
    /// Overall title (`None`: no title row).
    pub title: Option<String>,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Panels in row-major order; at most `rows * cols`.
    pub panels: Vec<LinePanel>,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl Figure for PanelGrid {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        anyhow::ensure!(
            self.panels.len() <= self.rows * self.cols,
            "figure has {} panels but a {}x{} grid",
            self.panels.len(),
            self.rows,
            self.cols
        );
        let area = match &self.title {
            Some(title) => root.titled(title, (FONT, 28)).plot()?,
            None => root.clone(),
        };
        let cells = area.split_evenly((self.rows, self.cols));
        for (panel, cell) in self.panels.iter().zip(cells.iter()) {
            panel.draw(cell)?;
        }
        Ok(())
    }
}

/// A tick label with as many decimals as the axis span needs, or scientific notation for
/// very small or large spans (so a 1e-13 mV difference trace is still readable).
pub fn tick_label(value: f64, span: f64) -> String {
    let span = span.abs();
    if value == 0.0 {
        return "0".to_string();
    }
    if span > 0.0 && !(1e-3..1e6).contains(&span) {
        return format!("{value:.1e}");
    }
    let decimals = if span > 0.0 {
        (1.0 - span.log10().floor()).clamp(0.0, 6.0) as usize
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_fit_the_span() {
        assert_eq!(tick_label(20.0, 80.0), "20");
        assert_eq!(tick_label(-65.0, 150.0), "-65");
        assert_eq!(tick_label(2.5, 9.0), "2.5");
        assert_eq!(tick_label(0.2, 1.04), "0.2");
        assert_eq!(tick_label(0.25, 0.5), "0.25");
        assert_eq!(tick_label(2e-13, 5e-13), "2.0e-13");
        assert_eq!(tick_label(0.0, 5e-13), "0");
        assert_eq!(tick_label(3.0e6, 1e7), "3.0e6");
    }

    #[test]
    fn a_panel_grid_renders_svg_and_png() {
        let dir = tempfile::tempdir().unwrap();
        let x: Vec<f64> = (0..50).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v.sin()).collect();
        let band = SeriesKind::Band {
            lower: y.iter().map(|v| v - 0.2).collect(),
            upper: y.iter().map(|v| v + 0.2).collect(),
        };
        let grid = PanelGrid {
            title: Some("Test figure".into()),
            rows: 1,
            cols: 2,
            panels: vec![
                LinePanel::new("sine", "t (ms)", "V (mV)")
                    .with(Series::line("sin", x.clone(), y.clone(), 0))
                    .with(
                        Series::line("dashed", x.clone(), y.iter().map(|v| v * 0.5).collect(), 1)
                            .with_kind(SeriesKind::Dashed),
                    ),
                LinePanel::new("band", "t (ms)", "flat")
                    .with(Series::line("mean", x.clone(), y.clone(), 2).with_kind(band))
                    .with(
                        Series::line("", x.clone(), vec![0.0; 50], 3).with_kind(SeriesKind::Points),
                    ),
            ],
            size: (800, 400),
        };
        let svg = dir.path().join("f/t.svg");
        let png = dir.path().join("f/t.png");
        render(&grid, &svg, &png).unwrap();
        let svg_text = std::fs::read_to_string(&svg).unwrap();
        assert!(svg_text.contains("Test figure") && svg_text.contains("V (mV)"));
        let png_bytes = std::fs::read(&png).unwrap();
        assert_eq!(&png_bytes[1..4], b"PNG");
        assert_eq!(
            std::fs::read_dir(dir.path().join("f")).unwrap().count(),
            2,
            "no temp files left"
        );
    }
}
