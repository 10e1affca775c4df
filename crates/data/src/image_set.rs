//! [`ImageSet`]: labelled grey-scale images on the byte scale, the common form of every raw
//! source.

/// Number of classes of MNIST and Fashion-MNIST; every label is below it.
pub const CLASSES: usize = 10;

/// Labelled grey-scale images, row-major, one byte per pixel on the 0–255 scale
/// (0 = background, 255 = full ink), as MNIST and Fashion-MNIST store them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// `len() * rows * cols` bytes: image `i` is `images[i*rows*cols..(i+1)*rows*cols]`.
    pub images: Vec<u8>,
    /// One class label (0–9) per image.
    pub labels: Vec<u8>,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image (`rows * cols`).
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `index`, or `None` past the end.
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let p = self.pixels();
        self.images.get(index * p..(index + 1) * p)
    }

    /// Checks the invariants (buffer length matches, labels below [`CLASSES`]); the reason
    /// is a sentence fragment naming the field.
    pub fn check(&self) -> Result<(), String> {
        let expected = self
            .labels
            .len()
            .checked_mul(self.pixels())
            .ok_or_else(|| "the image dimensions overflow".to_string())?;
        if self.images.len() != expected {
            return Err(format!(
                "the image buffer holds {} bytes but {} labels of {}×{} images need {expected}",
                self.images.len(),
                self.labels.len(),
                self.rows,
                self.cols
            ));
        }
        if let Some((i, &l)) = self
            .labels
            .iter()
            .enumerate()
            .find(|(_, &l)| usize::from(l) >= CLASSES)
        {
            return Err(format!(
                "label {i} is {l}; labels must be 0 to {}",
                CLASSES - 1
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_slices_and_check() {
        let set = ImageSet {
            rows: 2,
            cols: 3,
            images: (0..12).collect(),
            labels: vec![4, 9],
        };
        assert_eq!(set.len(), 2);
        assert_eq!(set.image(1), Some(&[6u8, 7, 8, 9, 10, 11][..]));
        assert_eq!(set.image(2), None);
        assert!(set.check().is_ok());
        let bad_label = ImageSet {
            labels: vec![4, 10],
            ..set.clone()
        };
        assert!(bad_label.check().unwrap_err().contains("label 1 is 10"));
        let short = ImageSet {
            images: vec![0; 11],
            ..set
        };
        assert!(short.check().unwrap_err().contains("11 bytes"));
    }
}
