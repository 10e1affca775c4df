//! Fresh i.i.d. Gaussian input noise per test image — the robustness probe the paper did not
//! run. The paper's Fig. 4h adds one fixed noise image to every train and test image, so a model
//! can learn to subtract it; here each test image gets its own draw, on models trained clean.
//!
//! Image n's noise comes from ChaCha8 seeded with `seed` on stream n, so it depends only on
//! (seed, image index): the same in any batch order, batch size or thread count, and
//! independent between images. Values are not clipped to [0, 255], matching the fixed noise of
//! the data crate (`icnet_data::noise::fixed_noise`), so the two probes differ only in
//! freshness.

use crate::error::{check_finite, AnalysisError};
use crate::Result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Pixels of one 36×36 MultiMNIST-style image.
pub const IMAGE_PIXELS: usize = 36 * 36;

const WHAT: &str = "fresh Gaussian noise";

fn check_amplitude(amplitude: f32) -> Result<()> {
    if amplitude.is_finite() && amplitude >= 0.0 {
        Ok(())
    } else {
        Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "amplitude",
            problem: format!("is {amplitude}; use a finite non-negative standard deviation in grey levels (0–255 scale), e.g. 25"),
        })
    }
}

/// Adds A·z, z ~ N(0, 1) i.i.d. per pixel, to one image in place, drawing from ChaCha8(`seed`)
/// on stream `image_index`.
fn add_noise_in_place(image: &mut [f32], amplitude: f32, image_index: u64, seed: u64) {
    if amplitude == 0.0 {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(image_index);
    for v in image.iter_mut() {
        *v += amplitude * rng.sample::<f32, _>(StandardNormal);
    }
}

/// `image` (1296 pixels, byte scale) plus fresh noise A·N(0, 1) per pixel for image number
/// `image_index` of the test set (see the module documentation). Amplitude 0 returns the image
/// unchanged.
pub fn fresh_gaussian_noise(
    image: &[f32],
    amplitude: f32,
    image_index: u64,
    seed: u64,
) -> Result<Vec<f32>> {
    if image.len() != IMAGE_PIXELS {
        return Err(AnalysisError::InvalidParameter {
            what: WHAT,
            field: "image",
            problem: format!(
                "has {} pixels; pass one 36×36 image of {IMAGE_PIXELS} values",
                image.len()
            ),
        });
    }
    check_amplitude(amplitude)?;
    let as_f64: Vec<f64> = image.iter().map(|&v| f64::from(v)).collect();
    check_finite(WHAT, "image", &as_f64)?;
    let mut out = image.to_vec();
    add_noise_in_place(&mut out, amplitude, image_index, seed);
    Ok(out)
}

/// Adds fresh noise in place to a batch of consecutive images stored row-major in `images`
/// (a multiple of 1296 values), the first being test image number `first_index`. Equal to
/// calling [`fresh_gaussian_noise`] on each image with its own index.
pub fn add_fresh_gaussian_noise_batch(
    images: &mut [f32],
    first_index: u64,
    amplitude: f32,
    seed: u64,
) -> Result<()> {
    if !images.len().is_multiple_of(IMAGE_PIXELS) {
        return Err(AnalysisError::RaggedRows {
            what: WHAT,
            field: "images",
            len: images.len(),
            dim: IMAGE_PIXELS,
        });
    }
    check_amplitude(amplitude)?;
    if let Some(index) = images.iter().position(|v| !v.is_finite()) {
        return Err(AnalysisError::NonFinite {
            what: WHAT,
            field: "images",
            index,
            value: f64::from(images[index]),
        });
    }
    for (offset, image) in images.chunks_mut(IMAGE_PIXELS).enumerate() {
        add_noise_in_place(image, amplitude, first_index + offset as u64, seed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(fill: f32) -> Vec<f32> {
        vec![fill; IMAGE_PIXELS]
    }

    #[test]
    fn independent_of_batch_order() {
        let mut batch: Vec<f32> = (0..3).flat_map(|i| image(i as f32 * 10.0)).collect();
        add_fresh_gaussian_noise_batch(&mut batch, 40, 25.0, 7).unwrap();
        for i in 0..3 {
            let single =
                fresh_gaussian_noise(&image(i as f32 * 10.0), 25.0, 40 + i as u64, 7).unwrap();
            assert_eq!(
                &batch[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS],
                &single[..]
            );
        }
        // Different images and different seeds get different noise.
        let a = fresh_gaussian_noise(&image(0.0), 25.0, 1, 7).unwrap();
        let b = fresh_gaussian_noise(&image(0.0), 25.0, 2, 7).unwrap();
        let c = fresh_gaussian_noise(&image(0.0), 25.0, 1, 8).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            fresh_gaussian_noise(&image(3.0), 0.0, 1, 7).unwrap(),
            image(3.0)
        );
    }

    #[test]
    fn noise_statistics_match_the_amplitude() {
        // 200 images × 1296 pixels at A = 50: the mean of the noise has sd 50/√259200 = 0.098,
        // the sample sd has sd ≈ 50/√518400 = 0.069; allow 4 of each.
        let mut batch = vec![100.0f32; 200 * IMAGE_PIXELS];
        add_fresh_gaussian_noise_batch(&mut batch, 0, 50.0, 3).unwrap();
        let n = batch.len() as f64;
        let mean = batch.iter().map(|&v| f64::from(v) - 100.0).sum::<f64>() / n;
        let sd = (batch
            .iter()
            .map(|&v| (f64::from(v) - 100.0 - mean).powi(2))
            .sum::<f64>()
            / (n - 1.0))
            .sqrt();
        assert!(mean.abs() < 0.4, "mean {mean}");
        assert!((sd - 50.0).abs() < 0.28, "sd {sd}");
        // Consecutive images are uncorrelated: correlation of image 0 and 1's noise is
        // N(0, 1/1296) — sd 0.028; allow 4 sd.
        let (x, y) = (
            &batch[..IMAGE_PIXELS],
            &batch[IMAGE_PIXELS..2 * IMAGE_PIXELS],
        );
        let dot: f64 = x
            .iter()
            .zip(y)
            .map(|(a, b)| f64::from(a - 100.0) * f64::from(b - 100.0))
            .sum();
        let corr = dot / (IMAGE_PIXELS as f64 * 2500.0);
        assert!(corr.abs() < 0.11, "corr {corr}");
    }

    #[test]
    fn bad_input() {
        assert!(fresh_gaussian_noise(&[0.0; 10], 1.0, 0, 0)
            .unwrap_err()
            .to_string()
            .contains("1296"));
        assert!(fresh_gaussian_noise(&image(0.0), -1.0, 0, 0).is_err());
        assert!(fresh_gaussian_noise(&image(0.0), f32::NAN, 0, 0).is_err());
        let mut bad = image(0.0);
        bad[5] = f32::NAN;
        assert!(matches!(
            add_fresh_gaussian_noise_batch(&mut bad, 0, 1.0, 0),
            Err(AnalysisError::NonFinite { index: 5, .. })
        ));
        assert!(add_fresh_gaussian_noise_batch(&mut [0.0; 5], 0, 1.0, 0).is_err());
    }
}
