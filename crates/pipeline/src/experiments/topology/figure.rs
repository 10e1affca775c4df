//! The topology figure: one line per family against the number of units k, on integer axes.

use crate::output::plot::{tick_label, Figure, PlotResultExt, FONT, PALETTE};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One family's points (k, value), sorted by k.
pub(super) struct FamilyLine {
    pub label: String,
    pub color: usize,
    pub points: Vec<(f64, f64)>,
}

/// One panel: a value per fit against k.
pub(super) struct KPanel {
    pub title: String,
    pub y_label: String,
    pub lines: Vec<FamilyLine>,
    /// A point to ring and name (the s-LIF2HH topology).
    pub highlight: Option<(String, (f64, f64))>,
    /// Lower and upper limits the axis must include (the data may widen them).
    pub y_include: (f64, f64),
    pub legend: bool,
}

/// Panels of [`KPanel`] on a grid.
pub(super) struct KFigure {
    pub title: String,
    pub rows: usize,
    pub cols: usize,
    pub max_units: usize,
    pub panels: Vec<KPanel>,
    pub size: (u32, u32),
}

impl Figure for KFigure {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let area = root.titled(&self.title, (FONT, 28)).plot()?;
        for (panel, cell) in self
            .panels
            .iter()
            .zip(area.split_evenly((self.rows, self.cols)).iter())
        {
            self.draw_panel(panel, cell)?;
        }
        Ok(())
    }
}

impl KFigure {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        panel: &KPanel,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<()> {
        let values = panel
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold(panel.y_include, |(lo, hi), v| (lo.min(v), hi.max(v)));
        let pad = 0.04 * (hi - lo).max(1e-9);
        let (y0, y1) = (lo - pad, hi + pad);
        let span = y1 - y0;
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, (FONT, 24))
            .margin(14)
            .x_label_area_size(56)
            .y_label_area_size(90)
            .build_cartesian_2d(0.6..self.max_units as f64 + 0.4, y0..y1)
            .plot()?;
        chart
            .configure_mesh()
            .x_desc("units k")
            .y_desc(&panel.y_label)
            .x_labels(self.max_units)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tick_label(*v, span))
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 19))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .plot()?;
        for line in &panel.lines {
            let color = PALETTE[line.color % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(line.points.clone(), color.stroke_width(3)))
                .plot()?
                .label(&line.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
            chart
                .draw_series(
                    line.points
                        .iter()
                        .map(|&p| Circle::new(p, 6, color.filled())),
                )
                .plot()?;
        }
        if let Some((label, point)) = &panel.highlight {
            let black = PALETTE[7];
            chart
                .draw_series(std::iter::once(Circle::new(
                    *point,
                    12,
                    black.stroke_width(2),
                )))
                .plot()?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 12, y), 7, black.stroke_width(2)));
        }
        if panel.legend {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(160, 160, 160))
                .label_font((FONT, 16))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .plot()?;
        }
        Ok(())
    }
}
