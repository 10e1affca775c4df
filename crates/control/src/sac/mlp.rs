//! A plain multilayer perceptron (ReLU between layers, none after the last) built from the
//! training engine's [`Linear`] layer, with explicit forward and backward passes.

use icnet_train::linalg::{matmul, MatRef};
use icnet_train::linear::Linear;
use icnet_train::param::Param;
use icnet_train::Scalar;
use rand_chacha::ChaCha8Rng;

/// `sizes[0] → sizes[1] → … → sizes[n]`, ReLU after every layer but the last.
#[derive(Clone, Debug)]
pub struct Mlp<S> {
    /// The layers, input first.
    pub layers: Vec<Linear<S>>,
    rows: usize,
    /// `acts[i]` is the input of layer i (acts[0] the network input).
    acts: Vec<Vec<S>>,
    out: Vec<S>,
    // Gradient scratch of the backward pass (two, used in turn), kept between calls.
    grads: [Vec<S>; 2],
}

impl<S: Scalar> Mlp<S> {
    /// PyTorch's default initialisation (U(±1/√fan_in) for weights and biases).
    ///
    /// # Panics
    /// With fewer than two sizes.
    pub fn new(name: &str, sizes: &[usize], rng: &mut ChaCha8Rng) -> Self {
        assert!(sizes.len() >= 2, "an MLP needs an input and an output size");
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(&format!("{name}.{i}"), w[0], w[1], 1.0, rng))
            .collect::<Vec<_>>();
        let n = layers.len();
        Self {
            layers,
            rows: 0,
            acts: vec![Vec::new(); n],
            out: Vec::new(),
            grads: [Vec::new(), Vec::new()],
        }
    }

    /// The output of the last forward pass.
    pub fn last_output(&self) -> &[S] {
        &self.out
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs()
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs()
    }

    /// Forward pass of `rows` inputs (`rows × inputs`), keeping what backward needs.
    pub fn forward(&mut self, x: &[S], rows: usize) -> &[S] {
        assert_eq!(
            x.len(),
            rows * self.inputs(),
            "MLP input has the wrong length"
        );
        self.rows = rows;
        self.acts[0].clear();
        self.acts[0].extend_from_slice(x);
        let n = self.layers.len();
        for i in 0..n {
            let width = self.layers[i].outputs();
            // Layer i's output is layer i + 1's input (ReLU applied), or the network output.
            let (input, y) = if i + 1 < n {
                let (head, tail) = self.acts.split_at_mut(i + 1);
                (&head[i], &mut tail[0])
            } else {
                (&self.acts[i], &mut self.out)
            };
            // Linear::forward overwrites every element: no zeroing needed.
            y.resize(rows * width, S::zero());
            self.layers[i].forward(input, rows, y);
            if i + 1 < n {
                y.iter_mut().for_each(|v| *v = v.max(S::zero()));
            }
        }
        &self.out
    }

    /// Backward pass of the last forward: accumulates parameter gradients and, when asked,
    /// writes `∂L/∂x` into `gx`.
    pub fn backward(&mut self, gy: &[S], gx: Option<&mut [S]>) {
        let rows = self.rows;
        assert_eq!(
            gy.len(),
            rows * self.outputs(),
            "MLP output gradient has the wrong length"
        );
        let [mut g, mut g_in] = std::mem::take(&mut self.grads);
        g.clear();
        g.extend_from_slice(gy);
        let n = self.layers.len();
        let mut gx = gx;
        for i in (0..n).rev() {
            let layer = &mut self.layers[i];
            let n_in = layer.inputs();
            let need_input = i > 0 || gx.is_some();
            // The product below overwrites `g_in`.
            g_in.resize(if need_input { rows * n_in } else { 0 }, S::zero());
            layer.backward(
                &self.acts[i],
                &g,
                rows,
                if need_input { Some(&mut g_in) } else { None },
            );
            if i > 0 {
                relu_grad(&mut g_in, &self.acts[i], n_in, 0..rows);
                std::mem::swap(&mut g, &mut g_in);
            } else if let Some(out) = gx.take() {
                out.copy_from_slice(&g_in);
            }
        }
        self.grads = [g, g_in];
    }

    /// `∂L/∂x` of the rows `picked` of the last forward pass, when the output gradient of
    /// every other row is zero (the actor's loss reaches only the smaller critic of each
    /// row); parameter gradients untouched. `gy` and `gx` hold the picked rows in the order
    /// of `picked` (`picked.len() × outputs` and `picked.len() × inputs`). Each row's
    /// gradient is its own product, so leaving out the rows whose gradient is zero changes
    /// nothing but the work.
    ///
    /// # Panics
    /// On wrong lengths or a row the last forward pass did not have (caller bugs).
    pub fn input_grad_rows(&mut self, picked: &[usize], gy: &[S], gx: &mut [S]) {
        let k = picked.len();
        assert_eq!(
            gy.len(),
            k * self.outputs(),
            "MLP output gradient has the wrong length"
        );
        assert_eq!(
            gx.len(),
            k * self.inputs(),
            "MLP input gradient has the wrong length"
        );
        assert!(
            picked.iter().all(|&r| r < self.rows),
            "a picked row is not in the last forward pass"
        );
        let [mut g, mut g_in] = std::mem::take(&mut self.grads);
        g.clear();
        g.extend_from_slice(gy);
        for i in (0..self.layers.len()).rev() {
            let layer = &self.layers[i];
            let (n_in, n_out) = (layer.inputs(), layer.outputs());
            let out: &mut [S] = if i > 0 {
                // The product overwrites every element.
                g_in.resize(k * n_in, S::zero());
                &mut g_in
            } else {
                gx
            };
            matmul(
                out,
                MatRef::new(&g, k, n_out),
                MatRef::new(&layer.weight.value, n_out, n_in),
                false,
            );
            if i > 0 {
                relu_grad(&mut g_in, &self.acts[i], n_in, picked.iter().copied());
                std::mem::swap(&mut g, &mut g_in);
            }
        }
        self.grads = [g, g_in];
    }

    /// Parameters, layer by layer, weight before bias.
    pub fn params(&self) -> Vec<&Param<S>> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }

    /// Parameters, layer by layer, weight before bias.
    pub fn params_mut(&mut self) -> Vec<&mut Param<S>> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.params_mut())
            .collect()
    }
}

/// ReLU's gradient: zeroes the gradient wherever the activation was not positive. `g` holds
/// rows of `width` values; its row j belongs to row `rows[j]` of `acts`.
fn relu_grad<S: Scalar>(g: &mut [S], acts: &[S], width: usize, rows: impl Iterator<Item = usize>) {
    for (g_row, r) in g.chunks_exact_mut(width).zip(rows) {
        for (gv, &a) in g_row.iter_mut().zip(&acts[r * width..(r + 1) * width]) {
            if a <= S::zero() {
                *gv = S::zero();
            }
        }
    }
}
