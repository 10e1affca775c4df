//! A minimal pickle reader: just enough of the pickle virtual machine (protocols 2–5) to read
//! tuples and lists of numpy arrays, as in the authors' `multi_mnist.pickle` files.
//!
//! numpy pickles an array `a` as `_reconstruct(ndarray, (0,), b'b')` followed by `BUILD` with
//! the state `(1, shape, dtype, is_fortran, raw_bytes)`; the dtype is `dtype('f4', False, True)`
//! followed by `BUILD` with `(3, '<', None, None, None, -1, -1, 0)`, whose second field is the
//! byte order. Under protocol 2 (Python 3) the raw bytes are written as the latin-1 text
//! `_codecs.encode(str, 'latin1')`; under protocols 3–4 as `BINBYTES`; under protocol 5 numpy
//! uses `_frombuffer(bytearray, dtype, shape, order)` instead. Python 2 pickles store them as a
//! byte string (`BINSTRING`). Only these callables are accepted (under both `numpy.core` and
//! `numpy._core` module names); anything else is refused with the offending name, so reading
//! a pickle never executes or imitates arbitrary code.
//!
//! The reader never panics on malformed input: every read is bounds-checked, lengths are
//! checked against the bytes left before anything is allocated, and containers nest at most
//! [`MAX_DEPTH`] deep. Lists and dicts are copy-on-write: an object appended to after being
//! memoized is not seen through earlier memo references (numpy array pickles never do that).

mod machine;

use std::rc::Rc;

/// Deepest nesting of tuples, lists and dicts accepted.
pub const MAX_DEPTH: usize = 64;

/// What went wrong while decoding a pickle; offsets are byte positions in the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PickleError {
    /// The stream ended inside an opcode or before `STOP`.
    #[error("it ends early at byte {offset} (truncated file?); fetch it again")]
    Truncated {
        /// Where the missing bytes should have been.
        offset: usize,
    },
    /// An opcode this reader does not implement.
    #[error(
        "opcode {opcode:#04x} at byte {offset} is not supported (only pickles of numpy arrays, \
         protocols 2 to 5, can be read)"
    )]
    UnsupportedOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Its position.
        offset: usize,
    },
    /// A global other than the numpy array machinery.
    #[error("global `{module}.{name}` at byte {offset} is not supported (only numpy arrays can be read)")]
    UnsupportedGlobal {
        /// Module of the global.
        module: String,
        /// Name of the global.
        name: String,
        /// Its position.
        offset: usize,
    },
    /// Opcodes in an order or with arguments that make no sense.
    #[error("it is malformed at byte {offset}: {reason}")]
    Malformed {
        /// Where.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
}

/// The callables a numpy array pickle refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    /// `numpy.core.multiarray._reconstruct`.
    Reconstruct,
    /// `numpy.ndarray`.
    NdarrayType,
    /// `numpy.dtype`.
    DtypeType,
    /// `_codecs.encode` (protocol-2 byte strings).
    CodecsEncode,
    /// `numpy.core.numeric._frombuffer` (protocol 5).
    FromBuffer,
}

impl Global {
    fn lookup(module: &str, name: &str) -> Option<Global> {
        let numpy_core = |m: &str, sub: &str| {
            m == format!("numpy.core.{sub}") || m == format!("numpy._core.{sub}")
        };
        Some(match (module, name) {
            (m, "_reconstruct") if numpy_core(m, "multiarray") => Global::Reconstruct,
            (m, "_frombuffer") if numpy_core(m, "numeric") => Global::FromBuffer,
            ("numpy", "ndarray") => Global::NdarrayType,
            ("numpy", "dtype") => Global::DtypeType,
            ("_codecs", "encode") => Global::CodecsEncode,
            _ => return None,
        })
    }
}

/// A numpy dtype: kind letter (`u`, `i`, `f`, `b`, …), item size in bytes and byte order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtype {
    /// numpy kind letter: `u` unsigned, `i` signed, `f` float, `b` bool, others unsupported.
    pub kind: char,
    /// Bytes per element.
    pub size: usize,
    /// True for big-endian multi-byte elements.
    pub big_endian: bool,
    /// The descriptor as pickled, e.g. `f4`, for messages.
    pub descr: String,
}

impl Dtype {
    fn parse(descr: &str) -> Option<Dtype> {
        let (big_endian, rest) = match descr.as_bytes().first()? {
            b'>' => (true, &descr[1..]),
            b'<' | b'|' | b'=' => (false, &descr[1..]),
            _ => (false, descr),
        };
        let mut chars = rest.chars();
        let kind = chars.next()?;
        let size: usize = chars.as_str().parse().ok()?;
        (size > 0).then(|| Dtype {
            kind,
            size,
            big_endian,
            descr: descr.to_string(),
        })
    }
}

/// A decoded numpy array: shape, dtype and the raw element bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: Dtype,
    /// True when the bytes are in Fortran (column-major) order.
    pub fortran_order: bool,
    /// `product(shape) * dtype.size` bytes.
    pub data: Rc<Vec<u8>>,
}

/// A tuple, list or dict body with its nesting depth.
#[derive(Debug, Clone, PartialEq)]
pub struct Seq<T> {
    /// The elements.
    pub items: Vec<T>,
    /// 1 + the deepest element's depth.
    pub depth: usize,
}

/// A value on the pickle machine's stack.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A float.
    Float(f64),
    /// A text string.
    Str(Rc<str>),
    /// `bytes`, `bytearray` or a Python 2 byte string.
    Bytes(Rc<Vec<u8>>),
    /// A tuple.
    Tuple(Rc<Seq<Value>>),
    /// A list.
    List(Rc<Seq<Value>>),
    /// A dict, as key/value pairs in insertion order.
    Dict(Rc<Seq<(Value, Value)>>),
    /// One of the supported callables.
    Global(Global),
    /// A dtype (its byte order is set by the following `BUILD`).
    Dtype(Dtype),
    /// An array created by `_reconstruct`, waiting for its `BUILD` state.
    EmptyArray,
    /// A complete array.
    Array(Rc<NdArray>),
}

impl Value {
    fn depth(&self) -> usize {
        match self {
            Value::Tuple(s) | Value::List(s) => s.depth,
            Value::Dict(s) => s.depth,
            _ => 0,
        }
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Global(_) => "global",
            Value::Dtype(_) => "dtype",
            Value::EmptyArray => "unfinished ndarray",
            Value::Array(_) => "ndarray",
        }
    }

    /// The elements of a tuple or list.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::Tuple(s) | Value::List(s) => Some(&s.items),
            _ => None,
        }
    }
}

/// Decodes a whole pickle and returns the object it describes.
pub fn load(bytes: &[u8]) -> Result<Value, PickleError> {
    machine::Machine::new(bytes).run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scalars_and_containers() {
        // pickle.dumps((1, -2, 300, 1.5, 'ab', b'c', [None, True], {'k': 2**40}, 2**63-1,
        // -2**63), protocol=4) from CPython 3.11.
        let bytes = b"\x80\x04\x95\x49\x00\x00\x00\x00\x00\x00\x00\x28\x4b\x01\x4a\xfe\xff\xff\xff\x4d\x2c\x01\x47\x3f\xf8\x00\x00\x00\x00\x00\x00\x8c\x02\x61\x62\x94\x43\x01\x63\x94\x5d\x94\x28\x4e\x88\x65\x7d\x94\x8c\x01\x6b\x94\x8a\x06\x00\x00\x00\x00\x00\x01\x73\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x74\x94\x2e";
        let v = load(bytes).unwrap();
        let items = v.as_seq().unwrap();
        assert_eq!(items[0], Value::Int(1));
        assert_eq!(items[1], Value::Int(-2));
        assert_eq!(items[2], Value::Int(300));
        assert_eq!(items[3], Value::Float(1.5));
        assert_eq!(items[4], Value::Str(Rc::from("ab")));
        assert_eq!(items[5], Value::Bytes(Rc::new(b"c".to_vec())));
        assert_eq!(
            items[6].as_seq().unwrap(),
            &[Value::None, Value::Bool(true)]
        );
        let Value::Dict(d) = &items[7] else {
            panic!("not a dict: {:?}", items[7]);
        };
        assert_eq!(
            d.items,
            vec![(Value::Str(Rc::from("k")), Value::Int(1 << 40))]
        );
        assert_eq!(items[8], Value::Int(i64::MAX));
        assert_eq!(items[9], Value::Int(i64::MIN));
    }

    #[test]
    fn long1_is_twos_complement() {
        assert_eq!(load(b"\x80\x02\x8a\x01\xff.").unwrap(), Value::Int(-1));
        assert_eq!(load(b"\x80\x02\x8a\x02\xff\x00.").unwrap(), Value::Int(255));
        assert_eq!(load(b"\x80\x02\x8a\x00.").unwrap(), Value::Int(0));
    }

    #[test]
    fn errors_name_what_went_wrong() {
        assert!(matches!(
            load(b"\x80\x02X\xff\x00\x00\x00ab"),
            Err(PickleError::Truncated { .. })
        ));
        assert!(matches!(
            load(b"\x80\x02I1\n."),
            Err(PickleError::UnsupportedOpcode {
                opcode: b'I',
                offset: 2
            })
        ));
        let e = load(b"\x80\x02cos\nsystem\n.").unwrap_err();
        assert!(e.to_string().contains("os.system"), "{e}");
        assert!(matches!(load(b"."), Err(PickleError::Malformed { .. })));
        assert!(matches!(
            load(b"h\x05."),
            Err(PickleError::Malformed { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut b = b"\x80\x02)".to_vec();
        b.extend(std::iter::repeat_n(0x85u8, 1000));
        b.push(b'.');
        let e = load(&b).unwrap_err();
        assert!(e.to_string().contains("nest deeper"), "{e}");
    }

    #[test]
    fn dtype_descriptors() {
        let d = Dtype::parse("<f8").unwrap();
        assert_eq!((d.kind, d.size, d.big_endian), ('f', 8, false));
        let d = Dtype::parse(">i4").unwrap();
        assert_eq!((d.kind, d.size, d.big_endian), ('i', 4, true));
        assert!(Dtype::parse("O").is_none());
        assert!(Dtype::parse("").is_none());
    }
}
