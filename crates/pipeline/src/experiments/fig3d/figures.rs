//! Figures of fig3d: spike rasters under each stimulus (the paper's Fig. 3d layout, plus the
//! fitted model) and Γ per stimulus.

use super::RenderData;
use crate::output::plot::{tick_label, Figure, PlotResultExt, FONT, PALETTE};
use crate::output::{OutputEntry, OutputWriter};
use anyhow::Result;
use icnet_equivalence::fit::{Reference, StimulusEvaluation};
use icnet_neurons::stimulus::Stimulus;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One lane of a raster: a label, spike times and a palette colour.
pub(crate) struct Lane {
    pub label: String,
    pub times: Vec<f64>,
    pub color: usize,
}

/// One row of a raster figure: the stimulus on the left, lanes of spikes on the right.
pub(crate) struct RasterRow {
    pub title: String,
    pub stimulus: Stimulus,
    /// Top to bottom; lane 0 is the reference whose ±window is shaded across all lanes.
    pub lanes: Vec<Lane>,
}

/// Stimulus traces beside spike rasters, one row per stimulus.
pub(crate) struct RasterFigure {
    pub title: String,
    pub rows: Vec<RasterRow>,
    pub duration_ms: f64,
    /// Half-width of the shaded coincidence window around each reference spike (ms).
    pub window_ms: f64,
    pub size: (u32, u32),
}

impl Figure for RasterFigure {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let area = root.titled(&self.title, (FONT, 28)).plot()?;
        let width = area.dim_in_pixel().0;
        for (row, cell) in self
            .rows
            .iter()
            .zip(area.split_evenly((self.rows.len().max(1), 1)).iter())
        {
            let (left, right) = cell.split_horizontally((width as f64 * 0.34) as u32);
            self.draw_stimulus(row, &left)?;
            self.draw_raster(row, &right)?;
        }
        Ok(())
    }
}

impl RasterFigure {
    fn draw_stimulus<DB: DrawingBackend>(
        &self,
        row: &RasterRow,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<()> {
        let n = (self.duration_ms * 20.0) as usize;
        let points: Vec<(f64, f64)> = (0..=n)
            .map(|i| {
                let t = i as f64 * self.duration_ms / n as f64;
                (t, row.stimulus.current(t))
            })
            .collect();
        let (lo, hi) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p.1), hi.max(p.1))
            });
        let pad = ((hi - lo) * 0.08).max(1.0);
        let span = hi - lo + 2.0 * pad;
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{}: stimulus", row.title), (FONT, 20))
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..self.duration_ms, (lo - pad)..(hi + pad))
            .plot()?;
        chart
            .configure_mesh()
            .x_desc("t (ms)")
            .y_desc("I (µA/cm²)")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tick_label(*v, span))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(220, 220, 220))
            .draw()
            .plot()?;
        chart
            .draw_series(LineSeries::new(points, PALETTE[7].stroke_width(1)))
            .plot()?;
        Ok(())
    }

    fn draw_raster<DB: DrawingBackend>(
        &self,
        row: &RasterRow,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<()> {
        let lanes = row.lanes.len();
        let top = lanes as f64 - 0.5;
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{}: unit-2 spikes", row.title), (FONT, 20))
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..self.duration_ms, -0.5..top)
            .plot()?;
        let names: Vec<String> = row.lanes.iter().map(|l| l.label.clone()).collect();
        let lane_name = move |v: &f64| {
            let lane = v.round();
            if (v - lane).abs() > 1e-6 || lane < 0.0 || lane as usize >= names.len() {
                return String::new();
            }
            names[names.len() - 1 - lane as usize].clone()
        };
        chart
            .configure_mesh()
            .x_desc("t (ms)")
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .x_labels(9)
            .y_labels(lanes)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&lane_name)
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .plot()?;
        if let Some(reference) = row.lanes.first() {
            let shade = RGBColor(222, 222, 222).filled();
            chart
                .draw_series(reference.times.iter().map(|&t| {
                    Rectangle::new(
                        [(t - self.window_ms, -0.5), (t + self.window_ms, top)],
                        shade,
                    )
                }))
                .plot()?;
        }
        for (i, lane) in row.lanes.iter().enumerate() {
            let y = (lanes - 1 - i) as f64;
            let style = PALETTE[lane.color % PALETTE.len()].stroke_width(3);
            chart
                .draw_series(
                    lane.times
                        .iter()
                        .map(|&t| PathElement::new(vec![(t, y - 0.36), (t, y + 0.36)], style)),
                )
                .plot()?;
        }
        Ok(())
    }
}

/// Three lanes: HH, hand-tuned, fitted.
fn lanes(
    reference: &Reference,
    hand: &StimulusEvaluation,
    fitted: &StimulusEvaluation,
) -> Vec<Lane> {
    vec![
        Lane {
            label: format!("HH ({})", reference.hh.unit2.len()),
            times: reference.hh.unit2.times().to_vec(),
            color: 7,
        },
        Lane {
            label: format!(
                "hand-tuned ({}, Γ {:.2})",
                hand.model.unit2.len(),
                hand.unit2.gamma
            ),
            times: hand.model.unit2.times().to_vec(),
            color: 1,
        },
        Lane {
            label: format!(
                "fitted ({}, Γ {:.2})",
                fitted.model.unit2.len(),
                fitted.unit2.gamma
            ),
            times: fitted.model.unit2.times().to_vec(),
            color: 0,
        },
    ]
}

fn rows<'a>(
    d: &RenderData<'a>,
    pick: impl Iterator<Item = (usize, &'a StimulusEvaluation, &'a StimulusEvaluation)>,
) -> Vec<RasterRow> {
    pick.filter_map(|(i, hand, fitted)| {
        let reference = d.references.get(i)?;
        Some(RasterRow {
            title: reference.stimulus.name.clone(),
            stimulus: reference.stimulus.stimulus,
            lanes: lanes(reference, hand, fitted),
        })
    })
    .collect()
}

/// Renders the fig3d figures.
pub(super) fn render(d: &RenderData<'_>, out: &OutputWriter) -> Result<Vec<OutputEntry>> {
    let duration = d.config.protocol.duration_ms;
    let n_train = d.hand.training.len();
    let train_rows = rows(
        d,
        d.hand
            .training
            .iter()
            .zip(&d.fitted.training)
            .enumerate()
            .map(|(i, (h, f))| (i, h, f)),
    );
    let height = 60 + 300 * train_rows.len() as u32;
    let figure = RasterFigure {
        title: "Two-unit chain, unit 2: HH vs s-LIF2HH (hand-tuned and fitted)".into(),
        rows: train_rows,
        duration_ms: duration,
        window_ms: 2.0,
        size: (1900, height),
    };
    let caption = format!(
        "Fig. 3d reproduced and extended. Rows: the paper's five stimuli (left, I(t) in µA/cm²). \
         Right: spike times of unit 2 of the two-unit chain — HH (1952 convention, forward Euler, \
         dt 0.001 ms, both units starting from the authors' script state V = 0, m = 0.0489, \
         h = 0.1341, n = 0.6446; spike = rising edge of V > 70 mV), s-LIF2HH with the paper's \
         hand-tuned parameters (decay 0.9 at dt 1 ms, gains 1, weights 1/3, θ 70) and s-LIF2HH with \
         parameters fitted on these five stimuli. Grey bands: ±2 ms around each HH spike, the \
         coincidence window of Γ. Lane labels give spike counts and Γ. Fit: {}.",
        d.budget_words()
    );
    let mut entries = vec![out
        .figure("fig3d_rasters", &caption, &figure)?
        .deviation(
            "The paper shows traces of the hand-tuned model only; we add the fitted model and plot \
             spike rasters of unit 2, the unit both of the paper's metrics are computed on.",
        )
        .deviation(
            "s-LIF2HH spikes are stamped with the start of their time step (the rising edge of the \
             authors' raster).",
        )
        .deviation(
            "The fitted 3→1 weights may be negative (box [−1, 1]); the paper initialises them to \
             |w| and does not say whether they stay non-negative. With non-negative weights the \
             training loss was 5.77 instead of 3.29.",
        )];

    // One held-out example per family: the first variant of each shape and the first noise.
    let held_rows = rows(
        d,
        d.hand
            .held_out
            .iter()
            .zip(&d.fitted.held_out)
            .enumerate()
            .filter(|(_, (h, _))| h.name.ends_with("#1"))
            .map(|(i, (h, f))| (n_train + i, h, f)),
    );
    let height = 60 + 300 * held_rows.len() as u32;
    let figure = RasterFigure {
        title: "Held-out stimuli (never seen in fitting), unit 2".into(),
        rows: held_rows,
        duration_ms: duration,
        window_ms: 2.0,
        size: (1900, height),
    };
    entries.push(out.figure(
        "fig3d_heldout_rasters",
        "Validation on held-out stimuli: the first random variant of each shape (every parameter \
         of the paper's shape times an independent factor U(0.75, 1.25)) and the first seeded noisy \
         current (mean U(8, 14), s.d. U(1, 5) µA/cm², held U(0.5, 2) ms). Layout as fig3d_rasters.",
        &figure,
    )?
    .deviation("Not in the paper: held-out validation of the fit."));

    entries.push(gamma_figure(d, out)?);
    Ok(entries)
}

/// One panel of a [`DotFigure`]: named categories, one value per category and series.
pub(crate) struct DotPanel {
    pub title: String,
    pub categories: Vec<String>,
    /// (label, palette colour, filled, values): hollow rings under filled dots stay visible
    /// where two series coincide.
    pub series: Vec<(String, usize, bool, Vec<f64>)>,
    /// A dashed horizontal reference line (label, y).
    pub reference: Option<(String, f64)>,
    pub y_label: String,
    pub y_range: (f64, f64),
}

/// Dot plots over named categories, side by side.
pub(crate) struct DotFigure {
    pub title: String,
    pub panels: Vec<DotPanel>,
    /// Relative widths of the panels.
    pub widths: Vec<f64>,
    pub size: (u32, u32),
}

impl Figure for DotFigure {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let mut area = root.titled(&self.title, (FONT, 28)).plot()?;
        let total: f64 = self.widths.iter().sum();
        let width = area.dim_in_pixel().0 as f64;
        for (i, panel) in self.panels.iter().enumerate() {
            let cell = if i + 1 < self.panels.len() {
                let w = (width * self.widths[i] / total) as u32;
                let (left, right) = area.split_horizontally(w);
                area = right;
                left
            } else {
                area.clone()
            };
            draw_dots(panel, &cell)?;
        }
        Ok(())
    }
}

fn draw_dots<DB: DrawingBackend>(panel: &DotPanel, area: &DrawingArea<DB, Shift>) -> Result<()> {
    let n = panel.categories.len().max(2);
    let (y0, y1) = panel.y_range;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 22))
        .margin(12)
        .x_label_area_size(130)
        .y_label_area_size(80)
        // Segmented 0..n−1 has n segments (the range's end is a segment of its own).
        .build_cartesian_2d((0..n - 1).into_segmented(), y0..y1)
        .plot()?;
    let span = y1 - y0;
    chart
        .configure_mesh()
        .y_desc(&panel.y_label)
        .x_labels(n)
        .y_labels(11)
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|v| tick_label(*v, span))
        .y_label_style((FONT, 16))
        .axis_desc_style((FONT, 18))
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .plot()?;
    // Category names, rotated, hanging below the axis (the mesh centres rotated labels on the
    // tick, which puts half of each name inside the plot).
    let (_, area_top) = area.get_base_pixel();
    let label_style = TextStyle::from((FONT, 15).into_font().transform(FontTransform::Rotate90))
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, name) in panel.categories.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(SegmentValue::CenterOf(i), y0));
        let (bx, _) = area.get_base_pixel();
        area.draw(&Text::new(
            name.clone(),
            (x - bx, y - area_top + 10),
            label_style.clone(),
        ))
        .plot()?;
    }
    if let Some((label, y)) = &panel.reference {
        let color = PALETTE[8];
        chart
            .draw_series(DashedLineSeries::new(
                vec![(SegmentValue::Exact(0), *y), (SegmentValue::Last, *y)],
                10,
                6,
                color.stroke_width(2),
            ))
            .plot()?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
    }
    for (label, color, filled, values) in &panel.series {
        let color = PALETTE[color % PALETTE.len()];
        let filled = *filled;
        let style = if filled {
            color.filled()
        } else {
            color.stroke_width(2)
        };
        let radius = if filled { 5 } else { 9 };
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| Circle::new((SegmentValue::CenterOf(i), v), radius, style)),
            )
            .plot()?
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 12, y), radius, style));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .label_font((FONT, 16))
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .plot()?;
    Ok(())
}

/// Γ per stimulus for both models, training and held-out.
fn gamma_figure(d: &RenderData<'_>, out: &OutputWriter) -> Result<OutputEntry> {
    let panel = |title: &str, hand: &[StimulusEvaluation], fitted: &[StimulusEvaluation]| {
        let gamma = |e: &[StimulusEvaluation]| e.iter().map(|e| e.unit2.gamma).collect();
        DotPanel {
            title: title.into(),
            categories: hand.iter().map(|e| e.name.clone()).collect(),
            series: vec![
                ("hand-tuned".into(), 1, false, gamma(hand)),
                ("fitted".into(), 0, true, gamma(fitted)),
            ],
            reference: Some(("bar Γ = 0.8".into(), 0.8)),
            y_label: "Γ (±2 ms)".into(),
            y_range: (-1.05, 1.05),
        }
    };
    let figure = DotFigure {
        title: "Coincidence factor Γ of unit 2 against HH, per stimulus".into(),
        panels: vec![
            panel("a  Training stimuli", &d.hand.training, &d.fitted.training),
            panel("b  Held-out stimuli", &d.hand.held_out, &d.fitted.held_out),
        ],
        widths: vec![
            2.0 + d.hand.training.len() as f64,
            2.0 + d.hand.held_out.len() as f64,
        ],
        size: (1900, 750),
    };
    let caption = "Coincidence factor Γ (Kistler et al. 1997, ±2 ms, chance-corrected; 1 = every \
         spike matched, 0 = chance level, < 0 = worse than chance) of unit 2 of the s-LIF2HH chain \
         against HH, with the hand-tuned (orange rings) and fitted (blue dots) parameters. (a) the \
         five training stimuli; (b) the held-out stimuli (shape#i: random variants of the paper's \
         shapes; noise#i: seeded noisy currents). Dashed: the issue's bar Γ ≥ 0.8 for the fitted \
         model on every held-out stimulus.";
    Ok(out
        .figure("fig3d_gamma", caption, &figure)?
        .deviation("Not in the paper: Γ is our addition to the paper's two metrics."))
}
