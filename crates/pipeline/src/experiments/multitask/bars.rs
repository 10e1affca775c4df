//! Grouped bar charts with error bars (mean ± s.d. over seeds), like the paper's Fig. 4c,
//! and dot-per-seed overlays so the spread behind each bar is visible.

use crate::output::plot::{Figure, PlotResultExt, FONT, PALETTE};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Legend entries per row.
const LEGEND_PER_ROW: usize = 5;

/// One bar: mean, s.d. and the per-seed values.
#[derive(Clone, Debug)]
pub struct Bar {
    /// Series (legend) index: the colour.
    pub series: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Individual values (seeds).
    pub values: Vec<f64>,
}

/// One panel: groups of bars along x.
#[derive(Clone, Debug)]
pub struct BarPanel {
    /// Title.
    pub title: String,
    /// y-axis label.
    pub y_label: String,
    /// Group names along x.
    pub groups: Vec<String>,
    /// Bars per group, in legend order.
    pub bars: Vec<Vec<Bar>>,
    /// y range.
    pub y_range: (f64, f64),
}

/// Panels side by side with one legend.
#[derive(Clone, Debug)]
pub struct BarFigure {
    /// Overall title.
    pub title: String,
    /// Legend labels (series).
    pub legend: Vec<String>,
    /// Panels.
    pub panels: Vec<BarPanel>,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl Figure for BarFigure {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let area = root.titled(&self.title, (FONT, 26)).plot()?;
        let rows = self.legend.len().div_ceil(LEGEND_PER_ROW).max(1);
        let (legend_area, body) = area.split_vertically(12 + 30 * rows as u32);
        // Legend row.
        let width = legend_area.dim_in_pixel().0 as i32;
        for (i, label) in self.legend.iter().enumerate() {
            let (row, col) = ((i / LEGEND_PER_ROW) as i32, (i % LEGEND_PER_ROW) as i32);
            let x = 20 + col * (width - 40) / LEGEND_PER_ROW as i32;
            let y = 8 + 30 * row;
            let color = PALETTE[i % PALETTE.len()];
            legend_area
                .draw(&Rectangle::new([(x, y), (x + 22, y + 18)], color.filled()))
                .plot()?;
            legend_area
                .draw(&Text::new(label.clone(), (x + 28, y), (FONT, 18)))
                .plot()?;
        }
        let cells = body.split_evenly((1, self.panels.len().max(1)));
        for (panel, cell) in self.panels.iter().zip(cells.iter()) {
            draw_panel(panel, self.legend.len(), cell)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    panel: &BarPanel,
    series: usize,
    area: &DrawingArea<DB, Shift>,
) -> Result<()> {
    let groups = panel.groups.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..groups as f64, panel.y_range.0..panel.y_range.1)
        .plot()?;
    let names = panel.groups.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_labels(11)
        .light_line_style(WHITE)
        .x_labels(groups * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 1e-6 && i < names.len() {
                names[i].clone()
            } else {
                String::new()
            }
        })
        .y_desc(&panel.y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()
        .plot()?;
    let slot = 0.8 / series.max(1) as f64;
    for (g, bars) in panel.bars.iter().enumerate() {
        for bar in bars {
            let x0 = g as f64 + 0.1 + bar.series as f64 * slot;
            let x1 = x0 + slot * 0.9;
            let color = PALETTE[bar.series % PALETTE.len()];
            let top = bar.mean.max(panel.y_range.0);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, panel.y_range.0), (x1, top)],
                    color.mix(0.75).filled(),
                )))
                .plot()?;
            let xm = (x0 + x1) / 2.0;
            if bar.sd > 0.0 {
                let (lo, hi) = (bar.mean - bar.sd, bar.mean + bar.sd);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(xm, lo.max(panel.y_range.0)), (xm, hi.min(panel.y_range.1))],
                        BLACK.stroke_width(2),
                    )))
                    .plot()?;
            }
            chart
                .draw_series(bar.values.iter().filter(|v| v.is_finite()).map(|&v| {
                    Circle::new(
                        (xm, v.clamp(panel.y_range.0, panel.y_range.1)),
                        3,
                        BLACK.filled(),
                    )
                }))
                .plot()?;
        }
    }
    Ok(())
}
